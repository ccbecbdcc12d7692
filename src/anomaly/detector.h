// The detector interfaces of vigil's anomaly detection (issue 7) and what
// they report.
//
// Every detector takes one observation at a time and returns a Score:
//   score       in [0, 1], on one scale for all detectors: 0.5 is a tail
//               probability of 1e-5 under the detector's model of normal
//               (score = -log10(p) / 10, capped at 1), so one threshold
//               means the same for every detector;
//   confidence  in [0, 1], the probability that the observation is not
//               from the learned normal behaviour (1 - p), times how far the
//               detector is through its warm-up. On data that is normal for
//               the model it is calibrated: about 1% of points have
//               confidence >= 0.99;
//   type        what kind of anomaly it would be ("outlier",
//               "level_shift", "seasonality", "multivariate", "spatial"...).
//
// A Finding is a Score at or above the `low` severity threshold, with the
// detector's name, the severity, time, the series' labels and, for spatial
// detectors, the location.
//
// Bad input (NaN, +-Inf, a vector of the wrong dimension, an empty vector)
// is refused with kInvalidArgument and leaves the detector as it was.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "anomaly/state.h"
#include "model/labels.h"
#include "vigil/result.h"

namespace vigil::anomaly {

struct Score {
  double score = 0;
  double confidence = 0;
  std::string_view type = "outlier";  // a static string
};

// score = -log10(p) / 10 capped to [0, 1]; confidence = (1 - p) * warmup.
Score ScoreFromTail(double p, double warmup, std::string_view type);
// The two-sided tail probability of a standard normal |z|.
double NormalTail(double z);
// The two-sided tail probability of |t| under Student's t with `dof`
// degrees of freedom: a standardized value whose mean and spread were
// themselves estimated from about dof + 1 values has heavier tails than a
// normal, and this keeps the confidence calibrated.
double StudentTail(double t, double dof);

enum class Severity : uint8_t { kNone, kLow, kMedium, kHigh, kCritical };
std::string_view SeverityName(Severity s);  // "none", "low", ... "critical"

// Scores at or above each threshold have that severity (defaults: low 0.5 =
// p 1e-5, medium 0.6, high 0.8, critical 0.95).
struct SeverityThresholds {
  double low = 0.5;
  double medium = 0.6;
  double high = 0.8;
  double critical = 0.95;
  // kInvalidArgument unless 0 < low <= medium <= high <= critical <= 1.
  Status Validate() const;
  Severity Classify(double score) const;
};

// A point in 2-D or 3-D (dims 2 or 3; z is 0 in 2-D).
struct Location {
  std::array<double, 3> xyz{};
  int dims = 2;
};

struct Finding {
  std::string detector;
  std::string type;
  double score = 0;
  double confidence = 0;
  Severity severity = Severity::kNone;
  int64_t timestamp_ms = 0;
  model::Labels labels;
  std::optional<Location> location;
};

// A detector's numeric parameters by name, as given in a rule file or a
// call. Get() marks a parameter used; Finish() refuses the ones never used
// (a misspelt parameter is an error, not silently ignored).
class Options {
 public:
  Options() = default;
  explicit Options(std::map<std::string, double> values) : values_(std::move(values)) {}
  // The value of `name`, or `def`; kInvalidArgument outside [min, max].
  Result<double> Get(std::string_view name, double def, double min, double max);
  // The same, which must be an integer.
  Result<int64_t> GetInt(std::string_view name, int64_t def, int64_t min, int64_t max);
  Status Finish() const;
  const std::map<std::string, double>& values() const { return values_; }

 private:
  std::map<std::string, double> values_;
  std::map<std::string, bool> used_;
};

// One series of numbers.
//
// Thread safety: thread-compatible (a detector serves one series).
class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::string_view name() const = 0;
  // Scores x at t (ms since the epoch), then learns from it.
  virtual Result<Score> Update(int64_t t_ms, double x) = 0;
  // The learned state; Load takes what Save wrote for the same parameters.
  virtual void Save(StateWriter& w) const = 0;
  virtual Status Load(StateReader& r) = 0;
};

// A series of feature vectors (embeddings, per-frame statistics) or of
// locations (spatial detectors: dimension 2 or 3).
//
// Thread safety: thread-compatible.
class VectorDetector {
 public:
  virtual ~VectorDetector() = default;
  virtual std::string_view name() const = 0;
  // The dimension it was built for; 0: set by the first vector.
  virtual size_t dim() const = 0;
  virtual Result<Score> Update(int64_t t_ms, std::span<const double> x) = 0;
  virtual void Save(StateWriter& w) const = 0;
  virtual Status Load(StateReader& r) = 0;
};

// kInvalidArgument for NaN or +-Inf, naming `what`.
Status CheckFinite(double x, std::string_view what = "value");
// kInvalidArgument for an empty vector, a non-finite element (by index), or
// a dimension other than `dim` (when dim > 0).
Status CheckVector(std::span<const double> x, size_t dim);

}  // namespace vigil::anomaly
