// remote::WalWatcher: follows the tsdb write-ahead log and hands its samples
// to a consumer (a remote-write queue), as Prometheus' tsdb/wlog Watcher
// does. One watcher per remote, each reading the WAL on its own.
//
//   WalWatcher w({.name = "vm", .wal_dir = "data/wal"}, &queue);
//   w.Start({.progress = saved});   // or {} to begin at the WAL's end
//   ...
//   w.RequestDrain();               // shutdown: read to the end, then stop
//   w.WaitDone(deadline);
//   w.Stop();
//
// Reading. Closed segments are read to their end; the segment the Wal is
// appending to is tailed, polled every poll_interval. A record there that
// is not all written yet (SegmentReader kPartial, or a checksum mismatch) is
// "not yet": the same offset is retried on the next poll. A segment counts
// as closed once the next segment exists; that is checked before each read,
// so everything written to a closed segment is seen. Damage in a closed
// segment (which Wal::Open repairs at start, so only hardware corruption)
// is logged and the rest of that segment skipped.
//
// Series. Samples records name series by reference; the watcher keeps ref
// -> labels from series records, with the external labels added (a series'
// own label wins, as in Prometheus) and sorted by name. Series created
// before the position the watcher starts at are found in the newest
// checkpoint at or before that segment (<tsdb>/checkpoint.NNNNNNNN, written
// by tsdb::Db::Checkpoint) and the segments from it to the start position,
// read for series only. When the watcher enters a segment covered by a
// newer checkpoint it re-reads that checkpoint's series and forgets refs
// not in it (series the head has dropped), so memory stays bounded.
// Samples of a ref with no known series are dropped and counted in
// samples_dropped.
//
// Start position. With a saved Progress the watcher resumes there, unless
// (each logged): the segment was truncated away (checkpointing deleted it
// before it was read: its samples are lost, counted in segments_lost, and
// the watcher continues at the first segment left); the WAL has no such
// segment or the segment's fingerprint differs (the WAL was replaced: start
// at its first segment, re-sending rather than losing); the segment is
// shorter than the offset (its tail was repaired away: continue at its
// end). Without Progress the watcher starts at the end of the WAL as it is
// when Start() is called (only new samples are sent, as Prometheus does;
// a record being written at that moment counts as new), or at its first
// segment with from_beginning. The same truncation rule applies at run time when the
// next segment is gone.
//
// Consumer. Every record, in order, goes to WalConsumer::Consume with the
// position just after it; records without samples pass an empty span so
// the position still moves. Consume may block (backpressure): the watcher
// then simply stops reading, and nothing is dropped.
//
// Thread safety: thread-safe. The watcher runs on its own thread; the
// consumer is called from it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/thread_annotations.h"
#include "remote/codec.h"
#include "remote/progress.h"
#include "remote/queue_metrics.h"
#include "remote/segment_reader.h"

namespace vigil::remote {

// One sample as the watcher hands it on. `series` holds the labels to send
// (external labels merged, sorted); it is shared by every sample of the
// series and immutable.
struct WatchedSample {
  std::shared_ptr<const LabelPairs> series;
  uint64_t ref = 0;
  int64_t t = 0;
  double v = 0;
};

class WalConsumer {
 public:
  virtual ~WalConsumer() = default;
  // The samples of one WAL record (possibly none; the consumer may move
  // from them), then `end`: the position just after the record and its
  // segment's fingerprint. May block until there is room. Returns false
  // when it gave up because `stop` was requested or the consumer is
  // shutting down; the watcher then stops without reading further.
  virtual bool Consume(std::span<WatchedSample> samples,
                       const Progress& end, std::stop_token stop) = 0;
};

struct WalWatcherOptions {
  std::string name;     // for log lines
  std::string wal_dir;  // the tsdb's wal/ directory
  // Where checkpoint.NNNNNNNN directories are; empty: wal_dir's parent (the
  // tsdb directory, tsdb::Db's layout).
  std::string checkpoint_dir;
  LabelPairs external_labels;  // any order; sorted by the watcher
  std::chrono::milliseconds poll_interval{100};
  std::function<void(std::string_view)> log;  // may be empty
  QueueMetrics metrics;                       // default: detached handles
};

struct WatchStart {
  std::optional<Progress> progress;  // resume here when set
  // Without progress: begin at the first segment instead of the end (the
  // end as it is when Start() is called, so nothing appended after Start()
  // returns is missed).
  bool from_beginning = false;
};

class WalWatcher {
 public:
  WalWatcher(WalWatcherOptions options, WalConsumer* consumer);
  ~WalWatcher();  // Stop()
  WalWatcher(const WalWatcher&) = delete;
  WalWatcher& operator=(const WalWatcher&) = delete;

  // Starts the reading thread. At most once.
  void Start(WatchStart start);
  // Read what the WAL holds now, then finish (the thread ends when it
  // reaches the end of the live segment or a record not yet complete).
  void RequestDrain();
  // Waits for the thread to finish (drained or stopped) until `deadline`;
  // true if it has.
  bool WaitDone(std::chrono::steady_clock::time_point deadline);
  // Stops reading now (a Consume in progress is asked to give up through
  // its stop token) and joins. Idempotent.
  void Stop();

  // Where the next record will be read from.
  WalPosition read_position() const;
  // Series currently known (for tests and status).
  size_t num_series() const;
  // WAL bytes after read_position() (the rest of its segment and every
  // later one): how far behind the watcher is. Stats the files.
  uint64_t BacklogBytes() const;

 private:
  struct SeriesSlot {
    std::shared_ptr<const LabelPairs> labels;
    int last_seen = 0;  // segment (or checkpoint index) it was seen in
  };

  void Run(std::stop_token stop);
  Status Init(std::stop_token stop);
  // Reads series records from the checkpoint chosen for `segment` and the
  // segments from it up to `*pos` (clamping *pos as the file comment says;
  // `quiet`: *pos is the WAL's size at Start(), possibly inside a record,
  // and is moved to a record boundary without a message).
  Status LoadSeries(std::stop_token stop, WalPosition* pos, bool quiet);
  // Reads the series of checkpoint `index`; retried by the caller when the
  // checkpoint disappears under it.
  Status ReadCheckpointSeries(int index);
  // Indexes of checkpoint directories, ascending.
  std::vector<int> ListCheckpoints() const;
  void Tail(std::stop_token stop);
  // Moves to the next segment, handling truncated segments; false on stop.
  void Advance();
  // Re-reads the newest checkpoint at or before the current segment when it
  // is newer than the last one applied, and forgets series not in it.
  void MaybeCollectSeries();
  void StoreSeries(std::string_view rec, int seen);
  // False when the consumer gave up.
  bool Process(std::string_view rec, std::stop_token stop);
  // Waits poll_interval or until stop or a drain request.
  void Sleep(std::stop_token stop, std::chrono::milliseconds d);
  std::string SegmentPath(int index) const;
  void Log(const std::string& msg) const;
  void SetReadPosition(WalPosition p);

  // Constant after construction.
  const WalWatcherOptions options_;
  const std::string checkpoint_dir_;
  LabelPairs external_labels_;  // sorted; set in the constructor only
  WalConsumer* const consumer_;
  QueueMetrics metrics_;  // handles are thread-safe

  // Reading thread only.
  std::unordered_map<uint64_t, SeriesSlot> series_;
  WatchStart start_;
  // The end of the WAL when Start() was called (without progress).
  std::optional<WalPosition> start_end_;
  int segment_ = 0;
  uint64_t fingerprint_ = 0;
  std::unique_ptr<SegmentReader> reader_;
  int gc_checkpoint_ = -1;
  std::vector<WatchedSample> buf_;
  uint64_t unknown_logged_segment_ = UINT64_MAX;

  std::atomic<bool> drain_{false};
  std::atomic<size_t> num_series_{0};

  mutable Mutex mu_;
  std::condition_variable_any cv_;
  WalPosition read_position_ VIGIL_GUARDED_BY(mu_);
  bool done_ VIGIL_GUARDED_BY(mu_) = false;
  bool started_ VIGIL_GUARDED_BY(mu_) = false;

  Mutex stop_mu_;  // serialises Stop
  std::jthread thread_;
};

}  // namespace vigil::remote
