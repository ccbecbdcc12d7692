// Histogram: observations counted into cumulative buckets (latency,
// confidence, batch size), with count and sum.
//
//   auto* latency = registry.MustAddHistogram(
//       {.name = "inference_duration_seconds", .help = "Inference time.",
//        .label_names = {"model"}},
//       vigil::metrics::ExponentialBuckets(0.001, 2, 12));
//   latency->WithLabelValues({"owlv2"}).Observe(0.042);
//
// In process: Count(), Sum(), Average() and Quantile(q), estimated by linear
// interpolation inside the bucket as PromQL's histogram_quantile() does.
//
// Consistency: a collection sees, for every writer thread, either all or none
// of one observation (a single-writer seqlock per thread slab; see
// internal/cells.h), so count always equals the +Inf bucket and sum always
// matches the same observations. A NaN observation counts in +Inf and turns
// the sum into NaN, as in Prometheus' Go client.
//
// Thread safety: thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "vigil/metrics/counter.h"
#include "vigil/metrics/internal/series.h"
#include "vigil/result.h"

namespace vigil::metrics {

// Prometheus' client default: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10.
std::vector<double> DefaultBuckets();
// count buckets: start, start+width, ... REQUIRES (checked): count >= 1, width > 0.
Result<std::vector<double>> LinearBuckets(double start, double width, int count);
// count buckets: start, start*factor, ... REQUIRES (checked): start > 0, factor > 1.
Result<std::vector<double>> ExponentialBuckets(double start, double factor, int count);

class Histogram {
 public:
  Histogram();

  void Observe(double v) {
    if (s_.get()->flags != 0) [[unlikely]] return internal::RecordDroppedUpdate(s_.get());
    uint32_t b = 0;
    if (n_bounds_ <= 16) {
      while (b < n_bounds_ && !(v <= bounds_[b])) ++b;
    } else {
      b = BinarySearch(v);
    }
    internal::Cell* c = internal::CellAt(cell_);
    // Single-writer seqlock: odd while this thread's record is changing.
    const uint64_t seq = c[0].load(std::memory_order_relaxed);
    c[0].store(seq + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    internal::AddOne(&c[2 + b]);
    internal::AddDouble(&c[1], v);
    c[0].store(seq + 2, std::memory_order_release);
  }
  // Observe(v) and remember an exemplar for v's bucket.
  void ObserveWithExemplar(double v, const ExemplarLabels& labels);

  uint64_t Count() const;
  double Sum() const;
  // Sum / Count, NaN when empty.
  double Average() const;
  // histogram_quantile(q) over this series' buckets: NaN when empty or q is
  // NaN, -Inf for q < 0, +Inf for q > 1.
  double Quantile(double q) const;
  // Finite upper bounds.
  std::span<const double> Bounds() const { return {bounds_, n_bounds_}; }
  // Cumulative counts, Bounds().size() + 1 of them.
  std::vector<uint64_t> CumulativeCounts() const;

 private:
  friend class internal::FamilyCore;
  Histogram(internal::Series* adopted, const double* bounds, uint32_t n)
      : s_(adopted), cell_(adopted->cell), bounds_(bounds), n_bounds_(n) {}
  uint32_t BinarySearch(double v) const;
  // One consistent read: cumulative counts, and the sum into *sum.
  std::vector<uint64_t> Read(double* sum) const;

  internal::SeriesHandle s_;
  uint32_t cell_ = internal::kNoCell;
  const double* bounds_ = nullptr;  // owned by the family, immutable
  uint32_t n_bounds_ = 0;
};

// Linear interpolation of quantile q over cumulative bucket counts, with
// PromQL's histogram_quantile() rules. `cumulative` has bounds.size()+1
// entries (the last is +Inf).
double BucketQuantile(double q, std::span<const double> bounds,
                      std::span<const uint64_t> cumulative);

}  // namespace vigil::metrics
