// The object behind a metric handle: one labelled series of a family.
//
// A Series is reference-counted: its Family holds one reference while the
// series is registered, and every handle (Counter, Gauge, ...) holds one. The
// last Unref() returns the series' cells to the arena and deletes it, so a
// handle stays usable (detached) after Family::Remove(). Handles must not
// outlive their Registry.
//
// Thread safety: thread-safe (refs, gauge and extra are atomics; the other
// fields are constant after the series is published).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "vigil/metrics/internal/cells.h"

namespace vigil::metrics::internal {

class FamilyCore;
struct SeriesExtra;  // exemplars and summary windows; see family.cc

// 72 bytes: the per-series memory of a counter is this, one arena cell, and
// its share of the family's lookup table and order vector.
struct Series {
  std::atomic<int32_t> refs{1};
  uint32_t cell = kNoCell;  // first arena cell, or kNoCell (gauges)
  uint32_t hash = 0;        // of the label values, for the family table
  uint16_t flags = 0;       // kSeriesDropped for the cardinality sink
  uint16_t n_cells = 0;
  FamilyCore* family = nullptr;
  std::string label_values;  // values in label-name order, joined by '\xff'
  // Gauges: the value. Other types: the wall-clock creation time in seconds
  // (OpenMetrics _created), written once before the series is published.
  std::atomic<double> value{0};
  std::atomic<SeriesExtra*> extra{nullptr};
};

inline constexpr uint32_t kSeriesDropped = 1;

inline void Ref(Series* s) { s->refs.fetch_add(1, std::memory_order_relaxed); }
// Frees the series on the last reference.
void Unref(Series* s);

// Records an update that went to the cardinality sink (counted in
// vigil_dropped_series_total{family}).
void RecordDroppedUpdate(Series* s);
// Records an update refused for `reason` (counted in
// vigil_metrics_rejected_updates_total{family,reason}).
void RecordRejectedUpdate(Series* s, const char* reason);

// A process-wide detached series that default-constructed handles point to.
Series* DetachedSeries(uint32_t n_cells);

// Shared handle plumbing: copy = Ref, destroy = Unref.
class SeriesHandle {
 public:
  SeriesHandle() = default;
  explicit SeriesHandle(Series* s) : s_(s) {}  // adopts one reference
  SeriesHandle(const SeriesHandle& o) : s_(o.s_) {
    if (s_) Ref(s_);
  }
  SeriesHandle(SeriesHandle&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  SeriesHandle& operator=(SeriesHandle o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~SeriesHandle() {
    if (s_) Unref(s_);
  }
  Series* get() const { return s_; }

 private:
  Series* s_ = nullptr;
};

}  // namespace vigil::metrics::internal
