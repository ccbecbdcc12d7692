// Counter: a monotonically increasing value (requests served, errors).
//
//   auto* requests = registry.MustAddCounter({.name = "requests_total",
//                                             .help = "Requests served.",
//                                             .label_names = {"model"}});
//   vigil::metrics::Counter c = requests->WithLabelValues({"owlv2"});
//   c.Inc();          // hot path: no lock, no allocation, no atomic RMW
//   c.Inc(0.25);
//
// A negative, NaN or infinite increment is refused: the value does not
// change, the refusal is counted in
// vigil_metrics_rejected_updates_total{family,reason} and TryInc() returns
// InvalidArgument. A handle is cheap to copy and keep; a default-constructed
// handle is detached (updates go nowhere).
//
// Thread safety: thread-safe. Any number of threads may update one handle or
// copies of it; updates from different threads never share a cache line.
#pragma once

#include <cmath>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "vigil/metrics/internal/series.h"
#include "vigil/status.h"

namespace vigil::metrics {

using ExemplarLabels = std::vector<std::pair<std::string, std::string>>;

namespace internal {
class FamilyCore;
}

class Counter {
 public:
  Counter();

  void Inc() {
    if (s_.get()->flags != 0) [[unlikely]] return internal::RecordDroppedUpdate(s_.get());
    internal::AddOne(internal::CellAt(cell_));
  }
  void Inc(double v) {
    if (!(v >= 0) || v == kInf || s_.get()->flags != 0) [[unlikely]] return SlowInc(v);
    internal::AddDouble(internal::CellAt(cell_) + 1, v);
  }
  // Inc(v) that reports a refused increment.
  Status TryInc(double v);
  // Inc(v) and remember an exemplar (OpenMetrics; labels such as
  // {"trace_id", "..."}, at most 128 UTF-8 characters in all). An invalid
  // exemplar is dropped and counted; the increment still happens.
  void IncWithExemplar(double v, const ExemplarLabels& labels);

  double Value() const;

 private:
  friend class internal::FamilyCore;
  static constexpr double kInf = HUGE_VAL;
  explicit Counter(internal::Series* adopted) : s_(adopted), cell_(adopted->cell) {}
  void SlowInc(double v);

  internal::SeriesHandle s_;
  uint32_t cell_ = internal::kNoCell;
};

}  // namespace vigil::metrics
