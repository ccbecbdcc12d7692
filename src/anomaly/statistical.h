// Statistical univariate detectors (issue 7), each a Detector
// (anomaly/detector.h) with constant memory per series:
//
//   RobustZDetector  |x - median| / (1.4826 MAD) over a sliding window of
//                    the last `window` values: the outliers it looks for do
//                    not move its baseline.
//   EwmaDetector     (x - mean) / sd with an exponentially weighted mean and
//                    variance (`alpha`), updates clipped at 4 sd so one
//                    spike does not poison the baseline; follows drift.
//   CusumDetector    two-sided tabular CUSUM of the standardized value
//                    against a slow EWMA baseline (`alpha`, slack `k`): finds
//                    small sustained level shifts a point test misses. Its
//                    tail probability is the in-control chance of a sum this
//                    high (Siegmund's average run length); after a detected
//                    shift it re-centres on the new level.
//   SeasonalDetector the value against an EWMA of its slot of a cycle
//                    (`period_seconds`, `slots`; default the 5-minute slot of
//                    the day), scaled by the pooled residual spread.
//
// Each maps its statistic to a tail probability p and reports
// ScoreFromTail(p, warm-up) (see detector.h). Thread safety:
// thread-compatible.
#pragma once

#include <memory>
#include <vector>

#include "anomaly/detector.h"
#include "anomaly/univariate.h"

namespace vigil::anomaly {

class RobustZDetector final : public Detector {
 public:
  // Parameters: window (400, 10..100000), min_points (20).
  static Result<std::unique_ptr<Detector>> Make(Options options);
  RobustZDetector(size_t window, size_t min_points) : window_(window), min_points_(min_points) {}

  std::string_view name() const override { return "robust_z"; }
  Result<Score> Update(int64_t t_ms, double x) override;
  void Save(StateWriter& w) const override;
  Status Load(StateReader& r) override;

 private:
  double Mad(double median) const;

  SlidingWindow window_;
  size_t min_points_;
};

class EwmaDetector final : public Detector {
 public:
  // Parameters: alpha (0.05, 0.0001..0.5), warmup (30 points).
  static Result<std::unique_ptr<Detector>> Make(Options options);
  EwmaDetector(double alpha, int64_t warmup) : alpha_(alpha), warmup_(warmup) {}

  std::string_view name() const override { return "ewma"; }
  Result<Score> Update(int64_t t_ms, double x) override;
  void Save(StateWriter& w) const override;
  Status Load(StateReader& r) override;

 private:
  double alpha_;
  int64_t warmup_;
  int64_t n_ = 0;
  double mean_ = 0, var_ = 0;
};

class CusumDetector final : public Detector {
 public:
  // Parameters: k (0.5 sd, 0.05..3), alpha (0.005, baseline), warmup (100),
  // reset_score (0.5: the score at which a shift is declared and the
  // baseline re-centred).
  static Result<std::unique_ptr<Detector>> Make(Options options);
  CusumDetector(double k, double alpha, int64_t warmup, double reset_score)
      : k_(k), alpha_(alpha), warmup_(warmup), reset_score_(reset_score) {}

  std::string_view name() const override { return "cusum"; }
  Result<Score> Update(int64_t t_ms, double x) override;
  void Save(StateWriter& w) const override;
  Status Load(StateReader& r) override;

  // The one-sided in-control average run length to a sum of s (exposed
  // for tests).
  static double AverageRunLength(double s, double k);

 private:
  double k_, alpha_;
  int64_t warmup_;
  double reset_score_;
  int64_t n_ = 0;
  double mean_ = 0, var_ = 0, recent_ = 0;
  double up_ = 0, down_ = 0;
};

class SeasonalDetector final : public Detector {
 public:
  // Parameters: period_seconds (86400), slots (288, 1..10080), alpha (0.2,
  // per slot), warmup (2: a slot scores once it has seen that many values).
  static Result<std::unique_ptr<Detector>> Make(Options options);
  SeasonalDetector(int64_t period_s, size_t slots, double alpha, int64_t warmup);

  std::string_view name() const override { return "seasonal"; }
  Result<Score> Update(int64_t t_ms, double x) override;
  void Save(StateWriter& w) const override;
  Status Load(StateReader& r) override;

 private:
  size_t Slot(int64_t t_ms) const;
  int64_t period_s_;
  double alpha_;
  int64_t warmup_;
  std::vector<double> mean_;
  std::vector<double> seen_;  // per slot (as double for Save)
  double resid_var_ = 0;
  int64_t resid_n_ = 0;
};

}  // namespace vigil::anomaly
