#include "scrape/scrape_cache.h"

#include <algorithm>
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

ScrapeCache::MetaEntry& ScrapeCache::Meta(std::string_view family,
                                          uint8_t seen_bit) {
  auto it = metadata_.find(family);
  if (it == metadata_.end()) {
    it = metadata_.emplace(std::string(family), MetaEntry{}).first;
    it->second.last_iter = iter_;
    metadata_dirty_ = true;
  } else if (it->second.last_iter != iter_) {
    it->second.last_iter = iter_;
    it->second.seen = 0;
  }
  it->second.seen |= seen_bit;
  return it->second;
}

void ScrapeCache::SetType(std::string_view family, std::string_view type) {
  MetaEntry& m = Meta(family, kSeenType);
  if (m.type != type) {
    m.type = type;
    metadata_dirty_ = true;
  }
}

void ScrapeCache::SetHelp(std::string_view family, std::string_view help) {
  MetaEntry& m = Meta(family, kSeenHelp);
  if (m.help != help) {
    m.help = help;
    metadata_dirty_ = true;
  }
}

void ScrapeCache::SetUnit(std::string_view family, std::string_view unit) {
  MetaEntry& m = Meta(family, kSeenUnit);
  if (m.unit != unit) {
    m.unit = unit;
    metadata_dirty_ = true;
  }
}

void ScrapeCache::ForgetSeries() {
  series_.clear();
  successful_size_ = 0;
}

void ScrapeCache::FlushMetadata() {
  for (auto it = metadata_.begin(); it != metadata_.end();) {
    MetaEntry& m = it->second;
    if (m.last_iter != iter_) {
      it = metadata_.erase(it);
      metadata_dirty_ = true;
      continue;
    }
    // Seen in this iteration: what it did not say any more is gone.
    if ((m.seen & kSeenType) == 0 && m.type != kUnknownType) {
      m.type = kUnknownType;
      metadata_dirty_ = true;
    }
    if ((m.seen & kSeenHelp) == 0 && !m.help.empty()) {
      m.help.clear();
      metadata_dirty_ = true;
    }
    if ((m.seen & kSeenUnit) == 0 && !m.unit.empty()) {
      m.unit.clear();
      metadata_dirty_ = true;
    }
    ++it;
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
    FlushMetadata();
  }
  if (metadata_dirty_) {
    auto snapshot = std::make_shared<std::vector<MetricMetadata>>();
    snapshot->reserve(metadata_.size());
    for (const auto& [family, m] : metadata_) {
      snapshot->push_back({family, m.type, m.help, m.unit});
    }
    std::sort(snapshot->begin(), snapshot->end(),
              [](const MetricMetadata& a, const MetricMetadata& b) {
                return a.metric_family < b.metric_family;
              });
    // A change undone within the iteration keeps the old snapshot.
    if (*snapshot != *metadata_snapshot_) {
      metadata_snapshot_ = std::move(snapshot);
    }
    metadata_dirty_ = false;
  }
  ++iter_;
}

}  // namespace vigil::scrape::internal
