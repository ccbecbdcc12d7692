// scrape::internal::ScrapeCache: what a scrape loop remembers between
// scrapes (Prometheus' scrapeCache), so that a steady-state scrape neither
// parses label sets nor looks series up by labels again:
//
//  - series text as exposed ("up{a=\"b\"}") -> storage ref;
//  - which series were exposed in the current and the previous scrape, to
//    write staleness markers for those that disappeared.
//
// It keeps no label sets: storage already holds them under the ref, and a
// ref that storage no longer knows is re-resolved from the series text.
// Per series it costs the text and a few words.
//
// Invariants: an entry not seen for a successful scrape is dropped at the
// end of the next successful one; a failed scrape (empty exposition) keeps
// the entries unless the cache has grown past twice its last successful
// size plus 1000 (then it is flushed anyway). Series with an explicit
// timestamp are not tracked for staleness.
//
// Thread safety: not thread-safe; owned by one scrape loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "storage/interface.h"

namespace vigil::scrape::internal {

class ScrapeCache {
 public:
  struct Entry {
    storage::SeriesRef ref = 0;  // 0: not known to storage yet
    uint64_t last_iter = 0;      // iteration that last saw it
    // Iterations in which it was exposed without a timestamp: the latest
    // and the one before (kNever when none).
    uint64_t tracked = kNever;
    uint64_t tracked_before = kNever;
  };

  // The entry for `series` text, marking it seen in this iteration.
  Entry* Get(std::string_view series);
  // REQUIRES: Get(series) returned null in this iteration.
  Entry* Add(std::string_view series, storage::SeriesRef ref);
  // Notes that `e`'s series was exposed (without a timestamp) this scrape.
  void TrackStaleness(Entry& e);
  // Calls fn(series text, ref) for each series exposed in the previous
  // scrape but not in this one; stops early when fn returns false.
  void ForEachStale(
      const std::function<bool(std::string_view, storage::SeriesRef)>& fn)
      const;
  // Ends an iteration. `successful`: the scrape exposed something (prunes
  // entries not seen in it).
  void IterDone(bool successful);
  // Forgets what this iteration tracked for staleness (a failed append is
  // rolled back, so none of its series count as exposed); call before the
  // empty append that writes the failed scrape's staleness markers.
  void AbortIter();

  size_t size() const { return series_.size(); }
  // Forced flushes since construction (exported as a metric).
  uint64_t forced_flushes() const { return forced_flushes_; }

 private:
  static constexpr uint64_t kNever = UINT64_MAX;

  // Whether `e` was tracked in the iteration before the current one.
  bool TrackedInPrevious(const Entry& e) const {
    return iter_ > 0 && (e.tracked == iter_ - 1 ||
                         (e.tracked == iter_ && e.tracked_before == iter_ - 1));
  }

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>()(s);
    }
  };
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> series_;
  uint64_t iter_ = 0;
  size_t successful_size_ = 0;
  uint64_t forced_flushes_ = 0;
};

}  // namespace vigil::scrape::internal
