// remote::QueueManager: sends the samples a WalWatcher reads to one remote
// over remote-write 1.0 (Prometheus' storage/remote QueueManager).
//
//   auto qm = QueueManager::Create({.name = "vm", .config = cfg,
//                                   .progress_path = "rw/vm.progress"});
//   (*qm)->Start(saved_progress);
//   WalWatcher w({...}, qm->get());       // the watcher feeds Consume()
//   ...
//   (*qm)->BeginDrain(); (*qm)->WaitDrained(deadline); (*qm)->Stop();
//
// Shards. Samples are spread over N shards by a hash of their series ref,
// so each series' samples stay in WAL order. A shard holds up to
// queue_config.capacity samples; Consume() waits while the shard it needs
// is full, so a slow or unreachable remote stops the watcher (backpressure)
// and nothing is dropped. A shard sends when it holds max_samples_per_send
// samples, or when its oldest sample has waited batch_send_deadline; one
// request at a time per shard, each shard with its own HTTP connection.
// N starts at min_shards and is recomputed every shard_update_interval with
// Prometheus 2.42's formula (samples in vs. out rate, time per sample,
// backlog; a change only beyond 30%, never while the last successful send
// is older than 2 x batch_send_deadline, never down while more than 10 s
// behind), within [min_shards, max_shards]. Resharding happens between
// records on the watcher's thread: the old shards send everything they hold
// first, so per-series order survives it.
//
// Sending. Each batch is one POST of a snappy-compressed WriteRequest to the
// URL with Content-Encoding: snappy, Content-Type: application/x-protobuf,
// X-Prometheus-Remote-Write-Version: 0.1.0, User-Agent vigil/<version>, the
// configured headers and authorization (a password_file or
// credentials_file is read before every request, so rotation needs no
// reload). 2xx: sent. Connection errors, timeouts, 5xx and 429 (unless
// retry_on_http_429 is false): retried without end, waiting min_backoff,
// doubling up to max_backoff (or Retry-After seconds when the answer has
// it). Any other status: the batch is dropped, counted in
// samples_failed_total, and logged (the remote refused the data; sending it
// again cannot help). Send errors are logged at most once per 10 s per
// queue, with the number suppressed.
//
// Progress. Each record the watcher hands over gets a ticket; a record is
// done when all of its samples were sent or dropped for good. The committed
// position is the end of the longest prefix of done records; it is written
// to progress_path every progress_save_interval (when it moved) and at
// Stop(), atomically. So the file never claims a sample the remote did not
// acknowledge, and a restart re-sends at most what was in flight.
//
// Shutdown. BeginDrain() makes shards send what they hold at once (no batch
// deadline) and exit when empty; WaitDrained() waits for that; Stop()
// aborts whatever is left (requests in flight, backoff waits), joins, and
// saves the committed position. Unsent samples stay in the WAL for the next
// run; nothing is counted as dropped.
//
// Thread safety: thread-safe. Consume() is called by one thread (the
// watcher's).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/thread_annotations.h"
#include "remote/config.h"
#include "remote/progress.h"
#include "remote/queue_metrics.h"
#include "remote/wal_watcher.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::remote {

namespace internal {

// Tracks which WAL records are fully acknowledged. Records get consecutive
// tickets in WAL order; committed() is the end of the longest prefix of
// records whose samples are all acknowledged.
//
// Invariant: entries_[i] is ticket base_ + i; every entry but possibly the
// first has outstanding > 0 or is waiting behind one that has.
//
// Thread safety: thread-safe.
class AckTracker {
 public:
  explicit AckTracker(Progress committed = {});
  // Forgets every record and sets the committed position.
  void Reset(const Progress& committed);
  // Registers the record ending at `end` with `samples` samples to
  // acknowledge; returns its ticket.
  uint64_t Add(const Progress& end, size_t samples);
  // Acknowledges counts of samples by ticket.
  void Ack(std::span<const std::pair<uint64_t, uint32_t>> tickets);
  Progress committed() const;
  // Records registered and not yet committed.
  size_t in_flight() const;

 private:
  struct Entry {
    Progress end;
    uint64_t outstanding;
  };
  void AdvanceLocked() VIGIL_REQUIRES(mu_);

  mutable Mutex mu_;
  uint64_t next_ticket_ VIGIL_GUARDED_BY(mu_) = 0;
  uint64_t base_ VIGIL_GUARDED_BY(mu_) = 0;
  std::deque<Entry> entries_ VIGIL_GUARDED_BY(mu_);
  Progress committed_ VIGIL_GUARDED_BY(mu_);
};

class Shard;

}  // namespace internal

struct QueueManagerOptions {
  std::string name;  // QueueName(config): metrics, logs
  RemoteWriteConfig config;
  // Where the committed position is saved; empty: not saved.
  std::string progress_path;
  std::chrono::milliseconds progress_save_interval{1000};
  // Prometheus' shardUpdateDuration.
  std::chrono::milliseconds shard_update_interval{10000};
  std::function<void(std::string_view)> log;  // may be empty: stderr
  QueueMetrics metrics;                       // default: detached handles
  // Newest sample timestamp (ms) read by any queue, shared by the queues
  // of one WriteStorage for highest_timestamp_in. May be null.
  std::atomic<int64_t>* highest_timestamp_in = nullptr;
};

// A snapshot for status pages and tests.
struct QueueStats {
  int shards = 0;
  int64_t pending_samples = 0;
  Progress committed;
  int64_t highest_sent_timestamp_ms = INT64_MIN;
  // The last send's error; OK once a send succeeds again.
  Status last_error;
};

class QueueManager final : public WalConsumer {
 public:
  // kInvalidArgument for an invalid config (ValidateRemoteWriteConfig) or
  // TLS files the HTTP client cannot load.
  static Result<std::unique_ptr<QueueManager>> Create(
      QueueManagerOptions options);
  ~QueueManager() override;  // Stop()
  QueueManager(const QueueManager&) = delete;
  QueueManager& operator=(const QueueManager&) = delete;

  // Starts min_shards shards and the housekeeping thread; `committed` is
  // the position already acknowledged (where the watcher starts).
  // `backlog_bytes` (may be empty) says how many WAL bytes the watcher has
  // not read yet (WalWatcher::BacklogBytes): the shard calculation's
  // measure of how far behind the queue is.
  void Start(const Progress& committed,
             std::function<uint64_t()> backlog_bytes = {});

  bool Consume(std::span<WatchedSample> samples, const Progress& end,
               std::stop_token stop) override;

  void BeginDrain();
  bool WaitDrained(std::chrono::steady_clock::time_point deadline);
  // Aborts, joins and saves (see the file comment). Idempotent.
  void Stop();

  Progress committed() const { return tracker_.committed(); }
  QueueStats stats() const;
  const std::string& name() const { return options_.name; }

 private:
  friend class internal::Shard;
  QueueManager(QueueManagerOptions options, std::string origin,
               std::string path);

  Result<std::unique_ptr<http::Client>> NewClient() const;
  // Replaces the shards with n new ones after the old ones sent everything;
  // false when the manager is stopping.
  bool Reshard(int n);
  void Housekeeping(std::stop_token stop);
  int CalculateDesiredShards();
  void SaveProgress();
  void LogRateLimited(const std::string& msg);
  void Log(const std::string& msg) const;

  // Called by shards.
  // The request headers for one attempt (auth files read here).
  Result<http::Headers> RequestHeaders() const;
  void OnSendResult(size_t samples, int64_t max_t, bool ok,
                    std::chrono::nanoseconds duration, const Status& error);
  void Ack(std::span<const std::pair<uint64_t, uint32_t>> tickets);

  // Constant after construction.
  const QueueManagerOptions options_;
  const std::string origin_;
  const std::string path_;  // path and query of the URL
  QueueMetrics metrics_;    // handles are thread-safe

  internal::AckTracker tracker_;

  // Rates for the shard calculation (Prometheus' ewmaRate inputs).
  std::atomic<int64_t> samples_in_{0};
  std::atomic<int64_t> samples_out_{0};
  std::atomic<int64_t> samples_failed_{0};
  std::atomic<int64_t> out_duration_ns_{0};
  std::atomic<int64_t> highest_recv_ms_{INT64_MIN};
  std::atomic<int64_t> highest_sent_ms_{INT64_MIN};
  std::atomic<int64_t> last_send_ok_ns_{0};  // steady clock
  std::atomic<int64_t> pending_{0};
  std::atomic<int> reshard_to_{0};  // 0: none requested
  std::atomic<bool> stopping_{false};

  std::atomic<int64_t> bytes_in_{0};  // WAL bytes consumed
  std::function<uint64_t()> backlog_bytes_;  // set by Start()

  // Watcher thread only.
  Progress last_end_;
  std::vector<uint32_t> pending_idx_, next_idx_;
  std::vector<std::vector<uint32_t>> per_shard_;

  mutable Mutex mu_;
  std::vector<std::shared_ptr<internal::Shard>> shards_ VIGIL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<http::Client>> spare_clients_
      VIGIL_GUARDED_BY(mu_);
  bool draining_ VIGIL_GUARDED_BY(mu_) = false;
  bool started_ VIGIL_GUARDED_BY(mu_) = false;
  Status last_error_ VIGIL_GUARDED_BY(mu_);
  double desired_shards_ VIGIL_GUARDED_BY(mu_) = 0;

  mutable Mutex log_mu_;
  std::chrono::steady_clock::time_point last_log_ VIGIL_GUARDED_BY(log_mu_);
  int suppressed_ VIGIL_GUARDED_BY(log_mu_) = 0;

  Mutex save_mu_;  // one progress write at a time
  Progress saved_ VIGIL_GUARDED_BY(save_mu_);
  bool saved_once_ VIGIL_GUARDED_BY(save_mu_) = false;

  Mutex stop_mu_;  // serialises Stop
  bool stopped_ VIGIL_GUARDED_BY(stop_mu_) = false;
  std::jthread housekeeping_;
};

}  // namespace vigil::remote
