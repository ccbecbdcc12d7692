#include "scrape/scrape_cache.h"

#include <utility>

namespace vigil::scrape::internal {

ScrapeCache::Entry* ScrapeCache::Get(std::string_view series) {
  auto it = series_.find(series);
  if (it == series_.end()) return nullptr;
  it->second.last_iter = iter_;
  return &it->second;
}

ScrapeCache::Entry* ScrapeCache::Add(std::string_view series,
                                     storage::SeriesRef ref) {
  Entry& e = series_[std::string(series)];
  e.ref = ref;
  e.last_iter = iter_;
  return &e;
}

void ScrapeCache::TrackStaleness(Entry& e) {
  if (e.tracked == iter_) return;
  e.tracked_before = e.tracked;
  e.tracked = iter_;
}

void ScrapeCache::ForEachStale(
    const std::function<bool(std::string_view, storage::SeriesRef)>& fn)
    const {
  for (const auto& [series, e] : series_) {
    if (!TrackedInPrevious(e) || e.tracked == iter_) continue;
    if (!fn(series, e.ref)) return;
  }
}

void ScrapeCache::AbortIter() {
  for (auto& [series, e] : series_) {
    if (e.tracked == iter_) {
      e.tracked = e.tracked_before;
      e.tracked_before = kNever;
    }
  }
}

void ScrapeCache::IterDone(bool successful) {
  bool flush = successful;
  if (successful) {
    successful_size_ = series_.size();
  } else if (series_.size() > successful_size_ * 2 + 1000) {
    // Failed scrapes with changing series would grow the cache forever.
    flush = true;
    ++forced_flushes_;
  }
  if (flush) {
    for (auto it = series_.begin(); it != series_.end();) {
      if (it->second.last_iter != iter_) {
        it = series_.erase(it);
      } else {
        ++it;
      }
    }
  }
  ++iter_;
}

}  // namespace vigil::scrape::internal
