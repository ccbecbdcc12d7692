// Head: the in-memory part of the store (Prometheus' tsdb/head.go). It holds
// every series (sorted label set, found by hash plus exact compare so hash
// collisions are harmless), its compressed chunks, and the inverted index,
// and serves appends and queries concurrently.
//
//   Head head(HeadOptions{});
//   auto app = head.NewAppender();
//   app->Append(0, labels, t, v);
//   app->Commit();
//   auto q = head.NewQuerier(mint, maxt);
//
// Durability is not the head's job: a CommitLog (the WAL, in db.h) is told
// about new series and samples before they become visible.
//
// Sample rules: timestamps per series strictly increase. An older sample is
// rejected with kOutOfRange, a second value for the newest timestamp with
// kAlreadyExists; the same value again is accepted and ignored (idempotent
// re-delivery). Rejections are counted in stats(). The staleness NaN is
// stored bit for bit like any other value.
//
// Thread safety: thread-safe. Appenders and queriers may be used from
// different threads concurrently (each object by one thread at a time).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "model/labels.h"
#include "storage/interface.h"
#include "tsdb/chunkenc/xor_chunk.h"
#include "tsdb/index/postings.h"
#include "tsdb/record.h"

namespace vigil::tsdb {

using storage::SeriesRef;

// One series in memory. Chunks are immutable once full; the open chunk is
// appended under mu.
struct MemSeries {
  MemSeries(SeriesRef r, model::Labels l) : ref(r), labels(std::move(l)) {}

  const SeriesRef ref;
  const model::Labels labels;
  // Set once the WAL holds this series' record.
  std::atomic<bool> logged{false};

  mutable std::mutex mu;
  std::vector<std::shared_ptr<const chunkenc::XorChunk>> full;  // by time
  chunkenc::XorChunk open;
  // Newest sample (valid when has_samples()); min over all kept chunks.
  std::atomic<int64_t> min_t{INT64_MAX};
  std::atomic<int64_t> max_t{INT64_MIN};
  uint64_t last_value_bits = 0;
  // Full chunks ending at or before this are in a chunk file (db.cc).
  int64_t persisted_max_t = INT64_MIN;
  // Appenders holding uncommitted samples; Truncate never collects a
  // series with pending samples, and marks collected ones removed.
  int pending = 0;
  bool removed = false;

  bool has_samples() const {
    return max_t.load(std::memory_order_relaxed) != INT64_MIN;
  }
};

struct HeadOptions {
  // Samples per chunk before it is cut (Prometheus: 120).
  uint16_t samples_per_chunk = 120;
};

// Counters over the head's life (monotonic).
struct HeadStats {
  uint64_t series_created = 0;
  uint64_t series_removed = 0;
  uint64_t samples_appended = 0;
  uint64_t out_of_order = 0;
  uint64_t duplicates = 0;
  uint64_t chunks_cut = 0;
  uint64_t chunks_removed = 0;
};

// What a commit must make durable before it is applied.
class CommitLog {
 public:
  using Sample = record::RefSample;
  virtual ~CommitLog() = default;
  virtual Status Log(std::span<const MemSeries* const> new_series,
                     std::span<const Sample> samples) = 0;
};

class Head final : public storage::Appendable, public storage::Queryable {
 public:
  explicit Head(HeadOptions options = {}, CommitLog* log = nullptr);
  ~Head() override;

  std::unique_ptr<storage::Appender> NewAppender() override;
  Result<std::unique_ptr<storage::Querier>> NewQuerier(int64_t mint,
                                                       int64_t maxt) override;

  // --- Recovery (single-threaded, before serving) ---
  // Creates a series with a given ref, or returns the existing one when the
  // same ref and labels are already present (replay may repeat records).
  // kDataLoss if the ref is taken by other labels.
  Result<MemSeries*> RestoreSeries(SeriesRef ref, const model::Labels& labels);
  // Appends without logging; rejections are returned, not counted.
  Status RestoreSample(MemSeries* s, int64_t t, double v);
  // Adopts a full chunk (from a checkpoint); it must precede open samples.
  Status RestoreChunk(MemSeries* s, chunkenc::XorChunk chunk, bool persisted);
  // Indexes the restored series; call once after the last Restore*.
  void FinishRestore();

  // The series with this ref, or null.
  std::shared_ptr<MemSeries> Lookup(SeriesRef ref) const;

  // --- Retention ---
  // Drops every chunk whose newest sample is older than mint, and series
  // left with no samples. Returns the number of series removed.
  size_t Truncate(int64_t mint);

  // Blocks commits while held; used by checkpoints to cut the log at a
  // point where every earlier logged sample is also applied.
  std::unique_lock<std::shared_mutex> BlockCommits();

  // Visits every series in ref order (under no series lock; fn locks as it
  // needs).
  void ForEachSeries(
      const std::function<void(const std::shared_ptr<MemSeries>&)>& fn) const;

  size_t num_series() const;
  int64_t min_time() const;  // INT64_MAX when empty
  int64_t max_time() const;  // INT64_MIN when empty
  HeadStats stats() const;
  // Approximate bytes held in chunks (encoded, not capacity).
  uint64_t chunk_bytes() const {
    return chunk_bytes_.load(std::memory_order_relaxed);
  }
  const index::MemPostings& postings() const { return postings_; }

 private:
  friend class HeadAppender;
  struct Stripe;
  static constexpr size_t kStripes = 256;

  // Returns the series for labels, creating it (and indexing it) if new.
  std::shared_ptr<MemSeries> GetOrCreate(const model::Labels& labels,
                                         uint64_t hash, bool* created);
  // Appends to s; REQUIRES s->mu held.
  Status AppendLocked(MemSeries& s, int64_t t, double v);

  const HeadOptions options_;
  CommitLog* const log_;
  std::unique_ptr<Stripe[]> stripes_;
  index::MemPostings postings_;
  std::atomic<SeriesRef> next_ref_{1};
  std::atomic<size_t> num_series_{0};
  std::atomic<int64_t> max_time_{INT64_MIN};
  std::atomic<uint64_t> chunk_bytes_{0};
  mutable std::shared_mutex commit_mu_;
  // Serialises ref allocation with postings insertion (postings must see
  // refs in increasing order). Ordered after a stripe's mutex.
  std::mutex index_mu_;
  std::vector<std::shared_ptr<MemSeries>> restored_;

  struct AtomicStats {
    std::atomic<uint64_t> series_created{0}, series_removed{0},
        samples_appended{0}, out_of_order{0}, duplicates{0}, chunks_cut{0},
        chunks_removed{0};
  } stats_;
};

}  // namespace vigil::tsdb
