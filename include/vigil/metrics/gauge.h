// Gauge: a value that goes up and down (queue size, GPU memory, temperature).
//
//   vigil::metrics::Gauge g = queue_size->WithLabelValues({"detector"});
//   g.Set(12);  g.Inc();  g.Dec(2);  g.SetToCurrentTime();
//
// For a value computed when scraped, register a callback gauge with
// Registry::AddGaugeCallback() (evaluated at collect time, outside any lock).
// A NaN or infinite Set() is allowed (gauges may legitimately carry them, as
// in Prometheus). Gauges keep one atomic double per series: Set() is a
// store, Inc()/Dec() a compare-and-swap loop.
//
// Thread safety: thread-safe.
#pragma once

#include <atomic>

#include "vigil/metrics/internal/series.h"

namespace vigil::metrics {

namespace internal {
class FamilyCore;
}

class Gauge {
 public:
  Gauge();

  void Set(double v) {
    if (s_.get()->flags != 0) [[unlikely]] return internal::RecordDroppedUpdate(s_.get());
    s_.get()->value.store(v, std::memory_order_relaxed);
  }
  void Inc(double v = 1.0) {
    if (s_.get()->flags != 0) [[unlikely]] return internal::RecordDroppedUpdate(s_.get());
    s_.get()->value.fetch_add(v, std::memory_order_relaxed);
  }
  void Dec(double v = 1.0) { Inc(-v); }
  // Sets the gauge to the current Unix time in seconds.
  void SetToCurrentTime();

  double Value() const { return s_.get()->value.load(std::memory_order_relaxed); }

 private:
  friend class internal::FamilyCore;
  explicit Gauge(internal::Series* adopted) : s_(adopted) {}
  internal::SeriesHandle s_;
};

}  // namespace vigil::metrics
