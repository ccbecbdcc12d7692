#include "vigil/metrics/histogram.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <limits>

#include "metrics/series_extra.h"

namespace vigil::metrics {

namespace {
// start + width*i accumulates binary rounding error (0.30000000000000004);
// bounds are printed in every exposition, so keep 15 significant digits.
double Round15(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.15g", v);
  return std::strtod(buf, nullptr);
}
}  // namespace

std::vector<double> DefaultBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Result<std::vector<double>> LinearBuckets(double start, double width, int count) {
  if (count < 1) return InvalidArgumentError("LinearBuckets: count must be >= 1");
  if (!(width > 0) || !std::isfinite(width) || !std::isfinite(start)) {
    return InvalidArgumentError("LinearBuckets: width must be finite and > 0, start finite");
  }
  std::vector<double> b(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) b[static_cast<size_t>(i)] = Round15(start + width * i);
  return b;
}

Result<std::vector<double>> ExponentialBuckets(double start, double factor, int count) {
  if (count < 1) return InvalidArgumentError("ExponentialBuckets: count must be >= 1");
  if (!(start > 0) || !std::isfinite(start)) {
    return InvalidArgumentError("ExponentialBuckets: start must be finite and > 0");
  }
  if (!(factor > 1) || !std::isfinite(factor)) {
    return InvalidArgumentError("ExponentialBuckets: factor must be finite and > 1");
  }
  std::vector<double> b(static_cast<size_t>(count));
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) b[static_cast<size_t>(i)] = Round15(v);
  return b;
}

Histogram::Histogram()
    : s_(internal::DetachedSeries(3)), cell_(s_.get()->cell), bounds_(nullptr), n_bounds_(0) {
  internal::Ref(s_.get());
}

uint32_t Histogram::BinarySearch(double v) const {
  // First bound >= v; NaN compares false everywhere and lands in +Inf.
  if (std::isnan(v)) return n_bounds_;
  return static_cast<uint32_t>(std::lower_bound(bounds_, bounds_ + n_bounds_, v) - bounds_);
}

void Histogram::ObserveWithExemplar(double v, const ExemplarLabels& labels) {
  Observe(v);
  if (s_.get()->flags != 0) return;
  if (!internal::ValidExemplarLabels(labels)) {
    return internal::RecordRejectedUpdate(s_.get(), "invalid_exemplar");
  }
  uint32_t b = 0;
  while (b < n_bounds_ && !(v <= bounds_[b])) ++b;
  internal::SeriesExtra* extra = internal::EnsureExtra(s_.get(), n_bounds_ + 1);
  std::lock_guard<std::mutex> lock(extra->mu);
  extra->exemplars[b] = Exemplar{labels, v, internal::WallSeconds()};
}

std::vector<uint64_t> Histogram::Read(double* sum) const {
  std::vector<uint64_t> counts(n_bounds_ + 1, 0);
  internal::SumRecord(cell_, n_bounds_ + 1, counts.data(), sum);
  for (size_t i = 1; i < counts.size(); ++i) counts[i] += counts[i - 1];
  return counts;
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  double sum = 0;
  return Read(&sum);
}

uint64_t Histogram::Count() const { return CumulativeCounts().back(); }

double Histogram::Sum() const {
  double sum = 0;
  (void)Read(&sum);
  return sum;
}

double Histogram::Average() const {
  double sum = 0;
  const std::vector<uint64_t> cumulative = Read(&sum);
  const uint64_t n = cumulative.back();
  return n == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / static_cast<double>(n);
}

double Histogram::Quantile(double q) const {
  const std::vector<uint64_t> cumulative = CumulativeCounts();
  return BucketQuantile(q, Bounds(), cumulative);
}

double BucketQuantile(double q, std::span<const double> bounds,
                      std::span<const uint64_t> cumulative) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (std::isnan(q)) return nan;
  if (q < 0) return -HUGE_VAL;
  if (q > 1) return HUGE_VAL;
  if (cumulative.empty() || cumulative.back() == 0) return nan;
  const double total = static_cast<double>(cumulative.back());
  const double rank = q * total;
  size_t b = 0;
  while (b < cumulative.size() && static_cast<double>(cumulative[b]) < rank) ++b;
  if (b >= bounds.size()) {
    // The +Inf bucket: like PromQL, answer the highest finite bound.
    return bounds.empty() ? nan : bounds.back();
  }
  if (b == 0 && bounds[0] <= 0) return bounds[0];
  double lower = b == 0 ? 0 : bounds[b - 1];
  const double upper = bounds[b];
  const double below = b == 0 ? 0 : static_cast<double>(cumulative[b - 1]);
  const double in_bucket = static_cast<double>(cumulative[b]) - below;
  if (in_bucket == 0) return upper;
  return lower + (upper - lower) * ((rank - below) / in_bucket);
}

}  // namespace vigil::metrics
