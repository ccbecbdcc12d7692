#include <chrono>
#include <map>
#include <mutex>

#include "metrics/series_extra.h"
#include "vigil/metrics/family.h"
#include "vigil/metrics/registry.h"

namespace vigil::metrics::internal {

void UnrefDetached(Series* s) {
  if (s->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (s->flags == 0 && s->family != nullptr) {
    s->family->FreeSeries(s);  // pooled: returns cells and memory to the family
    return;
  }
  delete s->extra.load(std::memory_order_acquire);
  delete s;
}

Series* DetachedSeries(uint32_t n_cells) {
  // One per record size, never freed (refcounts start high and only churn).
  static std::mutex mu;
  static auto* by_size = new std::map<uint32_t, Series*>();
  std::lock_guard<std::mutex> lock(mu);
  Series*& s = (*by_size)[n_cells];
  if (s == nullptr) {
    s = new Series();
    s->refs.store(1 << 30, std::memory_order_relaxed);
    s->detached.store(1, std::memory_order_relaxed);
    s->n_cells = static_cast<uint16_t>(n_cells);
    s->cell = n_cells > 0 ? AllocateCells(n_cells) : kNoCell;
    if (n_cells > 0 && s->cell == kNoCell) {
      // Arena full: fall back to the first cells, which are harmless scratch
      // for a handle whose updates are discarded anyway.
      s->cell = 0;
    }
    auto* extra = new SeriesExtra();
    extra->window = std::make_unique<SummaryWindow>(1000000000, 1);
    s->extra.store(extra, std::memory_order_release);
  }
  return s;
}

void RecordDroppedUpdate(Series* s) {
  if (s->family != nullptr) s->family->OnDroppedUpdate();
}

void RecordRejectedUpdate(Series* s, const char* reason) {
  if (s->family != nullptr) s->family->OnRejected(reason);
}

SeriesExtra* EnsureExtra(Series* s, size_t n_exemplar_slots) {
  SeriesExtra* extra = s->extra.load(std::memory_order_acquire);
  if (extra == nullptr) {
    auto* fresh = new SeriesExtra();
    if (s->extra.compare_exchange_strong(extra, fresh, std::memory_order_acq_rel)) {
      extra = fresh;
    } else {
      delete fresh;
    }
  }
  if (n_exemplar_slots > 0) {
    std::lock_guard<std::mutex> lock(extra->mu);
    if (extra->exemplars.size() < n_exemplar_slots) extra->exemplars.resize(n_exemplar_slots);
  }
  return extra;
}

bool ValidExemplarLabels(const std::vector<std::pair<std::string, std::string>>& labels) {
  size_t chars = 0;
  for (const auto& [k, v] : labels) {
    if (!ValidateLabelName(k).ok() || !IsValidUtf8(v)) return false;
    for (unsigned char c : k) chars += (c & 0xc0) != 0x80;
    for (unsigned char c : v) chars += (c & 0xc0) != 0x80;
  }
  return chars <= 128;
}

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace vigil::metrics::internal
