// Summary: quantiles over a sliding time window, plus a running count and sum.
//
//   auto* lifetime = registry.MustAddSummary(
//       {.name = "track_lifetime_seconds", .help = "Track lifetime.",
//        .label_names = {"class"}},
//       {.quantiles = {0.5, 0.9, 0.99}, .max_age = std::chrono::minutes(10),
//        .age_buckets = 5});
//   lifetime->WithLabelValues({"person"}).Observe(12.5);
//
// Algorithm: each age bucket holds a log-linear sketch (the float's exponent
// and its top 7 mantissa bits pick one of 128 sub-buckets per power of two).
// The window is the current age bucket plus the age_buckets-1 before it, so
// it spans between (age_buckets-1)/age_buckets * max_age and max_age; a
// bucket is cleared when time comes back round to it.
//
// Error bound: Quantile(q) returns the midpoint of the sketch bucket that
// holds the observation of rank ceil(q*n) (1-based) in the window, so for
// |x| in [2^-64, 2^63] the estimate is within 1/256 (0.39%) relative error of
// that observation (exact for 0 and +-Inf). Smaller or larger magnitudes are
// clamped to the edge buckets. NaN observations are counted in count and sum
// but not in quantiles.
//
// Cost: Observe() is a coarse-clock read, a few bit operations and one
// relaxed atomic add on the sketch, plus the per-thread count/sum record; no
// lock, no allocation except the first time a power of two is seen.
//
// Thread safety: thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "vigil/metrics/internal/series.h"

namespace vigil::metrics {

namespace internal {
class FamilyCore;
class SummaryWindow;
}  // namespace internal

struct SummaryOptions {
  std::vector<double> quantiles = {0.5, 0.9, 0.99};
  std::chrono::seconds max_age{600};
  int age_buckets = 5;
};

class Summary {
 public:
  Summary();

  void Observe(double v);

  uint64_t Count() const;
  double Sum() const;
  // Estimate of quantile q (0 <= q <= 1) over the window; NaN when the
  // window is empty.
  double Quantile(double q) const;
  // Number of observations currently in the window (excluding NaN).
  uint64_t WindowCount() const;

 private:
  friend class internal::FamilyCore;
  Summary(internal::Series* adopted, internal::SummaryWindow* w)
      : s_(adopted), cell_(adopted->cell), window_(w) {}

  internal::SeriesHandle s_;
  uint32_t cell_ = internal::kNoCell;
  internal::SummaryWindow* window_ = nullptr;  // owned by the series
};

}  // namespace vigil::metrics
