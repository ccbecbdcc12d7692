// scrape::internal::ScrapeCache: what a scrape loop remembers between
// scrapes (Prometheus' scrapeCache), so that a steady-state scrape neither
// parses label sets nor looks series up by labels again:
//
//  - series text as exposed ("up{a=\"b\"}") -> storage ref;
//  - which series were exposed in the current and the previous scrape, to
//    write staleness markers for those that disappeared;
//  - the metric metadata: per family the last TYPE, HELP and UNIT exposed,
//    published as an immutable snapshot (metadata()) that the scrape loop
//    hands to its Target when it changes.
//
// It keeps no label sets: storage already holds them under the ref, and a
// ref that storage no longer knows is re-resolved from the series text.
// Per series it costs the text and a few words; per family its name and
// metadata strings.
//
// Invariants: an entry not seen for a successful scrape is dropped at the
// end of the next successful one; a failed scrape (empty exposition) keeps
// the entries unless the cache has grown past twice its last successful
// size plus 1000 (then it is flushed anyway). Series with an explicit
// timestamp are not tracked for staleness. Metadata follows the same rule
// per family, and at such a flush a family that was seen keeps only what
// this iteration said about it (a dropped HELP line clears the help, a
// dropped TYPE line makes it "unknown"); metadata seen in a failed scrape
// before it failed is kept (as Prometheus does: metadata is not part of
// the appender's transaction). The snapshot is rebuilt only by an
// IterDone() that follows a change, so a steady scrape allocates nothing
// for metadata here.
//
// Thread safety: not thread-safe; owned by one scrape loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "scrape/target.h"
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

  // Records this iteration's TYPE, HELP or UNIT line for `family` (the
  // name as in the line). `type` is the API spelling
  // (exposition::ParsedTypeName). They allocate only for a new family or a
  // value that differs from the cached one; a family's last line of a kind
  // wins.
  void SetType(std::string_view family, std::string_view type);
  void SetHelp(std::string_view family, std::string_view help);
  void SetUnit(std::string_view family, std::string_view unit);
  // The metadata as of the last IterDone(), sorted by family. Never null.
  // The pointer changes only when the content did, so a caller publishes
  // it when it differs from the one it holds.
  const MetadataSnapshot& metadata() const { return metadata_snapshot_; }

  // Forgets every series but keeps the metadata: for a successor loop
  // whose series texts stand for other series (honor_labels changed).
  void ForgetSeries();

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

  // Bits of MetaEntry::seen.
  static constexpr uint8_t kSeenType = 1;
  static constexpr uint8_t kSeenHelp = 2;
  static constexpr uint8_t kSeenUnit = 4;
  static constexpr std::string_view kUnknownType = "unknown";

  struct MetaEntry {
    std::string type{kUnknownType};
    std::string help;
    std::string unit;
    uint64_t last_iter = 0;  // iteration that last saw a line of it
    uint8_t seen = 0;        // kSeen* bits of the lines seen in last_iter
  };

  // The entry for `family`, created if new, marked as seen with a line of
  // kind `seen_bit` in this iteration.
  MetaEntry& Meta(std::string_view family, uint8_t seen_bit);
  // Applies the flush rule to the metadata (see the file comment).
  void FlushMetadata();

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>()(s);
    }
  };
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> series_;
  std::unordered_map<std::string, MetaEntry, StringHash, std::equal_to<>>
      metadata_;
  // The metadata changed since the snapshot was built.
  bool metadata_dirty_ = false;
  MetadataSnapshot metadata_snapshot_ =
      std::make_shared<const std::vector<MetricMetadata>>();
  uint64_t iter_ = 0;
  size_t successful_size_ = 0;
  uint64_t forced_flushes_ = 0;
};

}  // namespace vigil::scrape::internal
