// The object behind a metric handle: one labelled series of a family.
//
// Reference counting, in two modes:
//  - Resident (in its family's table): the table keeps the series alive and
//    handles count themselves in a per-thread *reference cell* (the arena
//    cell after the series' value cells): a handle copy or drop is a plain
//    load-add-store in the calling thread's slab, no atomic read-modify-write.
//    Ref/Unref run inside the same big-reader critical section lookups use.
//  - Detached (removed, or never in a table): `detached` is set, the family
//    waits out a grace period (no thread is inside a critical section that
//    saw it unset), folds the reference cells into `refs`, and from then on
//    handles use `refs` atomically; the last Unref frees the series.
// So a handle stays usable after Family::Remove(). Handles must not outlive
// their Registry.
//
// Thread safety: thread-safe (refs, detached, value and extra are atomics;
// the other fields are constant while the series is published).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "vigil/metrics/internal/cells.h"

namespace vigil::metrics::internal {

class FamilyCore;
struct SeriesExtra;  // exemplars and summary windows; see family.cc

// 72 bytes (allocated from the family's pool, so exactly that): the memory of
// a counter is this, its arena cells, and its share of the family's table.
struct Series {
  std::atomic<int32_t> refs{1};  // the table's reference (+ handles once detached)
  uint32_t cell = kNoCell;       // first arena cell
  uint32_t hash = 0;             // of the label values, for the family table
  uint8_t flags = 0;             // kSeriesDropped for the cardinality sink
  std::atomic<uint8_t> detached{0};
  uint16_t n_cells = 0;          // value cells; the reference cell follows them
  FamilyCore* family = nullptr;
  std::string label_values;  // values in label-name order, joined by '\xff'
  // Gauges: the value. Other types: the wall-clock creation time in seconds
  // (OpenMetrics _created), written once before the series is published.
  std::atomic<double> value{0};
  std::atomic<SeriesExtra*> extra{nullptr};
};

inline constexpr uint8_t kSeriesDropped = 1;

// Ref() for callers already inside a big-reader critical section.
inline void RefInCriticalSection(Series* s) {
  if (s->detached.load(std::memory_order_acquire) == 0) {
    AddOne(CellAt(s->cell + s->n_cells));
  } else {
    s->refs.fetch_add(1, std::memory_order_relaxed);
  }
}

// Takes a reference. REQUIRES: the caller holds a reference.
inline void Ref(Series* s) {
  if (s->detached.load(std::memory_order_relaxed) != 0) {
    s->refs.fetch_add(1, std::memory_order_relaxed);  // detached for good
    return;
  }
  ThreadSlab* slab = tls_slab;
  if (slab == nullptr) [[unlikely]] slab = CurrentSlab();
  slab->reading.store(1, std::memory_order_relaxed);
  ReaderFence();
  RefInCriticalSection(s);
  slab->reading.store(0, std::memory_order_release);
}

// The detached half of Unref: frees the series on the last reference.
void UnrefDetached(Series* s);

// Drops a reference; frees a detached series on the last one.
inline void Unref(Series* s) {
  if (s->detached.load(std::memory_order_relaxed) == 0) {
    ThreadSlab* slab = tls_slab;
    if (slab == nullptr) [[unlikely]] slab = CurrentSlab();
    slab->reading.store(1, std::memory_order_relaxed);
    ReaderFence();
    if (s->detached.load(std::memory_order_acquire) == 0) [[likely]] {
      Cell* c = CellAt(s->cell + s->n_cells);
      c->store(c->load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
      slab->reading.store(0, std::memory_order_release);
      return;
    }
    slab->reading.store(0, std::memory_order_release);
  }
  UnrefDetached(s);
}

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
