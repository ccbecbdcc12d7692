// Streaming univariate anomaly detectors (issue 7): one value at a time,
// each returning a score in [0, 1], in constant memory per series.
//
//   anomaly::EnsembleDetector d;           // the recommended detector
//   for (auto [t_ms, v] : stream) {
//     Result<double> s = d.Update(t_ms, v);
//     if (s.ok() && *s >= anomaly::EnsembleDetector::kRecommendedThreshold) Alert(...);
//   }
//
// The pieces (docs/anomaly.md explains the design and its NAB scores):
//   RobustZScore     |x - median| / (half the inter-quartile range) over a
//                    sliding window: robust to the outliers it looks for.
//   SeasonalProfile  an EWMA of the value per 5-minute slot of the day and
//                    of the week, learned online.
//   AnomalyLikelihood  turns a raw surprise stream into the probability
//                    that its recent average is unusual against its own
//                    long history (Numenta's "anomaly likelihood").
//   EnsembleDetector robust z of the value and of its first difference,
//                    distance to the daily and weekly profiles, each through
//                    a likelihood, the largest wins; plus an out-of-range
//                    flag (a value beyond the range seen so far by 2% of it
//                    whose deviation from the window median is also beyond
//                    the range of such deviations, so steady drift sets no
//                    records) and alert suppression for 200 points after an
//                    alert (an out-of-range value after a likelihood alert
//                    still alerts).
//
// Bad input (NaN, +-Inf) is refused with kInvalidArgument and leaves the
// state untouched. Timestamps are milliseconds since the epoch, read in
// UTC; they need not be regular, unique or increasing.
//
// Thread safety: thread-compatible (one series per detector).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

#include "anomaly/state.h"
#include "vigil/result.h"

namespace vigil::anomaly {

// The last `capacity` values, also kept sorted for quantiles.
class SlidingWindow {
 public:
  explicit SlidingWindow(size_t capacity) : capacity_(capacity) {}
  void Add(double x);
  size_t size() const { return sorted_.size(); }
  double Median() const;
  // sorted[min(n-1, floor(p*n))]
  double Quantile(double p) const;
  // Half the inter-quartile range: a robust standard-deviation stand-in.
  double Scale() const { return 0.5 * (Quantile(0.75) - Quantile(0.25)); }
  const std::vector<double>& sorted() const { return sorted_; }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  size_t capacity_;
  std::deque<double> fifo_;
  std::vector<double> sorted_;
};

// Robust z-score of each value against the window before it; score
// 1 - exp(-z / saturation).
class RobustZScore {
 public:
  explicit RobustZScore(size_t window = 400, double saturation = 8.0)
      : window_(window), saturation_(saturation) {}
  Result<double> Update(double x);
  // The raw z (0 until min_points values are in); does not add x.
  double Z(double x) const;
  void Add(double x) { window_.Add(x); }
  const SlidingWindow& window() const { return window_; }
  void Save(StateWriter& w) const { window_.Save(w); }
  Status Load(StateReader& r) { return window_.Load(r); }

 private:
  static constexpr size_t kMinPoints = 20;
  SlidingWindow window_;
  double saturation_;
};

// An EWMA of the value per slot of the day (288 five-minute slots) and of
// the week (7 x 288), learned online.
class SeasonalProfile {
 public:
  static constexpr int kSlotSeconds = 300;
  static constexpr int kDaySlots = 86400 / kSlotSeconds;
  // The expected value at t, if the slot has seen at least two values.
  bool DailyExpected(int64_t t_ms, double* out) const;
  bool WeeklyExpected(int64_t t_ms, double* out) const;
  void Add(int64_t t_ms, double x);
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  static constexpr double kAlpha = 0.2;
  static int DaySlot(int64_t t_ms);
  static int WeekSlot(int64_t t_ms);
  std::array<double, kDaySlots> day_mean_{};
  std::array<uint32_t, kDaySlots> day_n_{};
  std::array<double, 7 * kDaySlots> week_mean_{};
  std::array<uint32_t, 7 * kDaySlots> week_n_{};
};

// Numenta's anomaly likelihood: the tail probability of the short-term
// average raw score under a Gaussian fitted to the long-term history of
// such averages; 0.5 until `learn` averages are in.
class AnomalyLikelihood {
 public:
  double Update(double raw);
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  static constexpr size_t kShort = 20;
  static constexpr size_t kHistory = 8640;
  static constexpr size_t kLearn = 300;
  std::deque<double> short_;
  double short_sum_ = 0;
  std::deque<double> history_;
  double sum_ = 0, sum_sq_ = 0;
};

class EnsembleDetector {
 public:
  // Scores at or above this are anomalies (one threshold for every series;
  // docs/anomaly.md).
  static constexpr double kRecommendedThreshold = 0.5;

  Result<double> Update(int64_t t_ms, double x);
  static constexpr std::string_view kName = "ensemble";
  // What the last score came from: "out_of_range", or the component whose
  // likelihood was highest: "outlier" (the value), "spike" (its change),
  // "seasonality" (the daily or weekly profile).
  std::string_view last_type() const { return last_type_; }
  // The whole learned state; Load restores it exactly.
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  // The robust windows' length (RobustZScore's default) and the values they need
  // before they score.
  static constexpr size_t kWindow = 400;
  static constexpr size_t kMinWindow = 20;
  // Out of range: after kRangeStart points, a value beyond the range seen so far by
  // kRangeMargin of it, and its deviation from the window median beyond the range of
  // those seen so far by kRangeMargin of that.
  static constexpr size_t kRangeStart = 100;
  static constexpr double kRangeMargin = 0.02;
  static constexpr int kSuppression = 200;

  RobustZScore value_{kWindow};
  RobustZScore diff_{kWindow};
  SeasonalProfile seasonal_;
  std::array<AnomalyLikelihood, 4> likelihood_;
  bool have_prev_ = false;
  double prev_ = 0;
  size_t n_ = 0;
  double min_ = 0, max_ = 0;
  bool have_residual_ = false;
  double residual_min_ = 0, residual_max_ = 0;
  int cooldown_ = 0;
  bool last_alert_out_of_range_ = false;
  std::string_view last_type_ = "outlier";
};

}  // namespace vigil::anomaly
