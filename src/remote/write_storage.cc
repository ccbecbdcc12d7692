#include "remote/write_storage.h"

#include <iostream>
#include <set>

#include "base/file.h"
#include "base/status_macros.h"

namespace vigil::remote {
namespace {

using SteadyClock = std::chrono::steady_clock;

LabelPairs ToPairs(const model::Labels& labels) {
  LabelPairs out;
  for (model::LabelRef l : labels) {
    out.emplace_back(std::string(l.name), std::string(l.value));
  }
  return out;
}

}  // namespace

WriteStorage::WriteStorage(WriteStorageOptions options, std::string wal_dir,
                           std::string progress_dir,
                           metrics::Registry* registry,
                           std::unique_ptr<metrics::Registry> own_registry)
    : options_(std::move(options)),
      wal_dir_(std::move(wal_dir)),
      progress_dir_(std::move(progress_dir)),
      own_registry_(std::move(own_registry)),
      registry_(registry != nullptr ? registry : own_registry_.get()) {}

WriteStorage::~WriteStorage() { Stop(std::chrono::milliseconds(0)); }

Result<std::unique_ptr<WriteStorage>> WriteStorage::Create(
    WriteStorageOptions options, std::string wal_dir, std::string progress_dir,
    metrics::Registry* registry) {
  if (wal_dir.empty()) return InvalidArgumentError("remote write: no WAL directory");
  if (progress_dir.empty()) {
    return InvalidArgumentError("remote write: no progress directory");
  }
  if (options.wal_poll_interval.count() <= 0 ||
      options.progress_save_interval.count() <= 0 ||
      options.shard_update_interval.count() <= 0) {
    return InvalidArgumentError("remote write: intervals must be positive");
  }
  VIGIL_RETURN_IF_ERROR(MakeDirs(progress_dir));
  std::unique_ptr<metrics::Registry> own;
  if (registry == nullptr) own = std::make_unique<metrics::Registry>();
  return std::unique_ptr<WriteStorage>(
      new WriteStorage(std::move(options), std::move(wal_dir),
                       std::move(progress_dir), registry, std::move(own)));
}

void WriteStorage::Log(const std::string& msg) const {
  if (options_.log) {
    options_.log(msg);
  } else {
    std::cerr << msg << "\n";
  }
}

Result<std::unique_ptr<WriteStorage::Queue>> WriteStorage::NewQueue(
    const RemoteWriteConfig& config, const model::Labels& external) const {
  auto q = std::make_unique<Queue>();
  q->config = config;
  q->name = QueueName(config);
  q->external_labels = external;
  VIGIL_ASSIGN_OR_RETURN(QueueMetrics m,
                         QueueMetrics::Create(registry_, q->name, config.url));
  QueueManagerOptions qo;
  qo.name = q->name;
  qo.config = config;
  qo.progress_path = progress_dir_ + "/" + q->name + ".progress";
  qo.progress_save_interval = options_.progress_save_interval;
  qo.shard_update_interval = options_.shard_update_interval;
  qo.log = options_.log;
  qo.metrics = m;
  qo.highest_timestamp_in = &highest_timestamp_in_;
  VIGIL_ASSIGN_OR_RETURN(q->manager, QueueManager::Create(std::move(qo)));
  WalWatcherOptions wo;
  wo.name = q->name;
  wo.wal_dir = wal_dir_;
  wo.checkpoint_dir = options_.checkpoint_dir;
  wo.external_labels = ToPairs(external);
  wo.poll_interval = options_.wal_poll_interval;
  wo.log = options_.log;
  wo.metrics = m;
  q->watcher = std::make_unique<WalWatcher>(std::move(wo), q->manager.get());
  return q;
}

void WriteStorage::StartQueue(Queue* q) {
  const std::string path = progress_dir_ + "/" + q->name + ".progress";
  WatchStart start;
  start.from_beginning = options_.send_existing_wal;
  Result<std::optional<Progress>> p = ReadProgress(path);
  if (!p.ok()) {
    // Re-send rather than lose: begin at the WAL's first segment.
    Log("remote write " + q->name + ": " + p.status().ToString() +
        "; sending the WAL from its first segment");
    start.from_beginning = true;
  } else {
    start.progress = *p;
  }
  const Progress committed = start.progress.value_or(Progress{});
  WalWatcher* w = q->watcher.get();
  q->manager->Start(committed, [w] { return w->BacklogBytes(); });
  q->watcher->Start(start);
  q->running = true;
  Log("remote write " + q->name + ": started, sending to " + q->config.url);
}

void WriteStorage::StopQueues(const std::vector<Queue*>& queues,
                              SteadyClock::time_point deadline) {
  // Each phase for every queue before the next, so the queues drain in
  // parallel within one deadline.
  for (Queue* q : queues) {
    if (q->running) q->watcher->RequestDrain();
  }
  for (Queue* q : queues) {
    if (q->running) q->watcher->WaitDone(deadline);
  }
  for (Queue* q : queues) {
    if (q->running) q->manager->BeginDrain();
  }
  for (Queue* q : queues) {
    if (q->running) q->manager->WaitDrained(deadline);
  }
  for (Queue* q : queues) {
    // Manager first: its Stop ends a Consume the watcher may be blocked in.
    q->manager->Stop();
    q->watcher->Stop();
    if (q->running) {
      const QueueStats s = q->manager->stats();
      Log("remote write " + q->name + ": stopped; acknowledged up to " +
          PositionString(s.committed.position));
    }
    q->running = false;
  }
}

Status WriteStorage::ApplyConfig(std::vector<RemoteWriteConfig> configs,
                                 const model::Labels& external_labels) {
  MutexLock apply(&apply_mu_);
  VIGIL_RETURN_IF_ERROR(ValidateRemoteWriteConfigs(configs));
  bool started;
  std::map<std::string, Queue*> current;
  {
    MutexLock lock(&mu_);
    if (stopped_) {
      return FailedPreconditionError("remote write: ApplyConfig after Stop");
    }
    started = started_;
    for (auto& [name, q] : queues_) current[name] = q.get();
  }
  // Build every new or changed queue before touching the running ones.
  std::map<std::string, std::unique_ptr<Queue>> fresh;
  std::set<std::string> keep;
  for (const RemoteWriteConfig& c : configs) {
    const std::string name = QueueName(c);
    auto it = current.find(name);
    if (it != current.end() && it->second->config == c &&
        it->second->external_labels == external_labels) {
      keep.insert(name);
      continue;
    }
    VIGIL_ASSIGN_OR_RETURN(fresh[name], NewQueue(c, external_labels));
  }
  // Stop what is replaced or removed (their progress is saved for the
  // replacement to resume from).
  std::vector<Queue*> to_stop;
  std::vector<std::pair<std::string, std::string>> removed_metrics;
  for (auto& [name, q] : current) {
    if (keep.count(name) != 0) continue;
    to_stop.push_back(q);
    if (fresh.count(name) == 0 || fresh[name]->config.url != q->config.url) {
      removed_metrics.emplace_back(name, q->config.url);
    }
  }
  // A short drain: a replaced queue resumes from the saved progress
  // anyway; this only spares re-sending what was in flight.
  StopQueues(to_stop, SteadyClock::now() + std::chrono::seconds(1));
  std::vector<Queue*> to_start;
  {
    MutexLock lock(&mu_);
    for (Queue* q : to_stop) queues_.erase(q->name);
    for (auto& [name, q] : fresh) {
      to_start.push_back(q.get());
      queues_[name] = std::move(q);
    }
  }
  for (const auto& [name, url] : removed_metrics) {
    QueueMetrics::Remove(registry_, name, url);
  }
  if (started) {
    for (Queue* q : to_start) StartQueue(q);
  }
  return Status::OK();
}

void WriteStorage::Start() {
  MutexLock apply(&apply_mu_);
  std::vector<Queue*> to_start;
  {
    MutexLock lock(&mu_);
    if (started_ || stopped_) return;
    started_ = true;
    for (auto& [name, q] : queues_) to_start.push_back(q.get());
  }
  for (Queue* q : to_start) StartQueue(q);
}

void WriteStorage::Stop(std::chrono::milliseconds drain_timeout) {
  MutexLock apply(&apply_mu_);
  const auto deadline = SteadyClock::now() + drain_timeout;
  std::vector<Queue*> queues;
  {
    MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& [name, q] : queues_) queues.push_back(q.get());
  }
  StopQueues(queues, deadline);
}

std::vector<RemoteQueueStatus> WriteStorage::Queues() const {
  std::vector<RemoteQueueStatus> out;
  MutexLock lock(&mu_);
  for (const auto& [name, q] : queues_) {
    RemoteQueueStatus s;
    s.name = name;
    s.url = q->config.url;
    s.read_position = q->watcher->read_position();
    s.series = q->watcher->num_series();
    s.queue = q->manager->stats();
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace vigil::remote
