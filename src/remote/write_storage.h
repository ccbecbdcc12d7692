// remote::WriteStorage: Prometheus remote write (protocol 1.0) from the
// tsdb's write-ahead log: one queue per `remote_write` entry, each a
// WalWatcher reading the WAL and a QueueManager sending what it reads
// (Prometheus' storage/remote.WriteStorage). Design, wire format and the
// progress file: docs/formats/remote-write.md.
//
//   WriteStorageOptions o;
//   o.log = [](std::string_view m) { Log(std::string(m)); };
//   VIGIL_ASSIGN_OR_RETURN(auto rw, remote::WriteStorage::Create(
//       o, db_dir + "/wal", db_dir + "/remote_write", &registry));
//   VIGIL_RETURN_IF_ERROR(rw->ApplyConfig(config.remote_write,
//                                         config.global.external_labels));
//   rw->Start();
//   ...                                   // on reload: ApplyConfig again
//   rw->Stop(std::chrono::seconds(30));   // SIGTERM: send what it can
//
// Create it after tsdb::Db::Open (which repairs the WAL) and stop it before
// closing the Db or together with it; the WAL directory must be the Db's
// (checkpoints are looked for in its parent directory).
//
// Delivery guarantee: at least once, per remote, for every sample that is
// in the WAL from the queue's start position on. A queue's progress (the
// WAL position up to which the remote acknowledged everything) lives in
// progress_dir/<queue name>.progress and is written only after the remote
// acknowledged (2xx) or refused for good (4xx) everything before it; a
// restart resumes there, re-sending at most what was in flight. A remote
// that is down or slow stops its watcher (backpressure), never drops
// samples; samples are lost only when tsdb checkpointing deletes WAL
// segments the queue has not read yet (counted in
// vigil_remote_storage_wal_segments_lost_total and logged: what Prometheus
// does too), or when the remote answers 4xx (samples_failed_total).
// Without a progress file a queue starts at the WAL's end (only new samples,
// as Prometheus) unless send_existing_wal is set.
//
// Not implemented: write_relabel_configs (refused by the config parser),
// metadata, exemplars and native histograms (the WAL has none), remote
// write 2.0, sigv4/oauth2/azuread, HTTP/2, proxies.
//
// Thread safety: thread-safe. ApplyConfig, Start and Stop are serialised.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/thread_annotations.h"
#include "model/labels.h"
#include "remote/config.h"
#include "remote/queue_manager.h"
#include "remote/wal_watcher.h"
#include "vigil/metrics/registry.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::remote {

struct WriteStorageOptions {
  // Where checkpoint.NNNNNNNN directories are; empty: the WAL directory's
  // parent (tsdb::Db's layout).
  std::string checkpoint_dir;
  // Without a progress file, send what the WAL already holds (from its
  // first segment) rather than only what is written from now on.
  bool send_existing_wal = false;
  // How often the watcher looks for new records at the end of the WAL.
  std::chrono::milliseconds wal_poll_interval{100};
  std::chrono::milliseconds progress_save_interval{1000};
  // How often each queue recomputes its number of shards (Prometheus: 10s).
  std::chrono::milliseconds shard_update_interval{10000};
  // One line per event (start, truncated segments, send errors at most
  // every 10 s per queue, resharding), called from the queues' threads:
  // must be thread-safe. Empty: stderr.
  std::function<void(std::string_view)> log;
};

struct RemoteQueueStatus {
  std::string name;  // QueueName()
  std::string url;
  WalPosition read_position;  // next record the watcher reads
  size_t series = 0;          // series the watcher knows
  QueueStats queue;
};

class WriteStorage {
 public:
  // Creates progress_dir if needed. `registry` receives the queues'
  // metrics (remote/queue_metrics.h); null: they are kept privately. It
  // must outlive the WriteStorage.
  static Result<std::unique_ptr<WriteStorage>> Create(
      WriteStorageOptions options, std::string wal_dir,
      std::string progress_dir, metrics::Registry* registry);
  ~WriteStorage();  // Stop(0)
  WriteStorage(const WriteStorage&) = delete;
  WriteStorage& operator=(const WriteStorage&) = delete;

  // Validates everything first (ValidateRemoteWriteConfigs; queue setup
  // such as TLS files); on error nothing changes. Then queues whose config
  // and external labels are unchanged keep running; changed ones are
  // stopped (after up to 1 s of sending what they hold; their progress is
  // saved) and started again from their progress; removed ones are stopped
  // the same way and their metrics deleted; new ones start (once Start()
  // was called). A queue is known by QueueName(), so renaming a queue
  // starts it afresh. FailedPrecondition after Stop().
  Status ApplyConfig(std::vector<RemoteWriteConfig> configs,
                     const model::Labels& external_labels = {});

  // Starts the queues applied so far (and later ones as they are applied).
  // Idempotent.
  void Start();

  // Every queue reads what the WAL holds now and sends it, for up to
  // drain_timeout in all; then whatever is still in flight is aborted and
  // each queue's progress saved. Idempotent; returns within about
  // drain_timeout even with a remote that never answers.
  void Stop(std::chrono::milliseconds drain_timeout);

  std::vector<RemoteQueueStatus> Queues() const;

 private:
  struct Queue {
    RemoteWriteConfig config;
    std::string name;
    model::Labels external_labels;
    std::unique_ptr<QueueManager> manager;
    std::unique_ptr<WalWatcher> watcher;  // consumer: manager
    bool running = false;
  };

  WriteStorage(WriteStorageOptions options, std::string wal_dir,
               std::string progress_dir, metrics::Registry* registry,
               std::unique_ptr<metrics::Registry> own_registry);
  Result<std::unique_ptr<Queue>> NewQueue(const RemoteWriteConfig& config,
                                          const model::Labels& external) const;
  void StartQueue(Queue* q);
  // Drains (until deadline), aborts and joins every queue in `queues`.
  void StopQueues(const std::vector<Queue*>& queues,
                  std::chrono::steady_clock::time_point deadline);
  void Log(const std::string& msg) const;

  // Constant after construction.
  const WriteStorageOptions options_;
  const std::string wal_dir_;
  const std::string progress_dir_;
  const std::unique_ptr<metrics::Registry> own_registry_;
  metrics::Registry* const registry_;
  // Newest sample timestamp (ms) read by any queue.
  mutable std::atomic<int64_t> highest_timestamp_in_{INT64_MIN};

  Mutex apply_mu_;  // serialises ApplyConfig, Start, Stop
  mutable Mutex mu_;  // guards the map (read by Queues())
  std::map<std::string, std::unique_ptr<Queue>> queues_ VIGIL_GUARDED_BY(mu_);
  bool started_ VIGIL_GUARDED_BY(mu_) = false;
  bool stopped_ VIGIL_GUARDED_BY(mu_) = false;
};

}  // namespace vigil::remote
