#include "alertmanager/manager.h"

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <set>

#include "base/status_macros.h"
#include "model/timestamp.h"

namespace vigil::alertmanager {
namespace {

// A fixed set of threads running flushes.
class ThreadPool {
 public:
  explicit ThreadPool(int n) {
    for (int i = 0; i < n; ++i) {
      workers_.emplace_back([this] { Work(); });
    }
  }
  ~ThreadPool() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    workers_.clear();  // joins after the queue drains
  }
  void Submit(std::function<void()> f) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(f));
    }
    cv_.notify_one();
  }

 private:
  void Work() {
    while (true) {
      std::function<void()> f;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return done_ || !queue_.empty(); });
        if (queue_.empty()) return;
        f = std::move(queue_.front());
        queue_.pop_front();
      }
      f();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool done_ = false;
  std::vector<std::jthread> workers_;
};

Status ValidateAlert(const Alert& a) {
  if (a.labels.empty()) return InvalidArgumentError("at least one label pair required");
  for (const auto& l : a.labels) {
    if (!model::IsValidLabelName(l.name)) {
      return InvalidArgumentError("invalid label name \"" + std::string(l.name) + "\"");
    }
  }
  for (const auto& l : a.annotations) {
    if (!model::IsValidLabelName(l.name)) {
      return InvalidArgumentError("invalid annotation name \"" + std::string(l.name) + "\"");
    }
  }
  if (a.starts_at == TimePoint{}) return InvalidArgumentError("start time missing");
  if (a.ends_at != TimePoint{} && a.ends_at < a.starts_at) {
    return InvalidArgumentError("start time must be before end time");
  }
  return Status::OK();
}

}  // namespace

Result<ReceiverMap> BuildReceivers(const Config& config, const NotifierOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(Templates t, Templates::FromGlobs(config.templates));
  auto templates = std::make_shared<const Templates>(std::move(t));
  ReceiverMap out;
  for (const Receiver& r : config.receivers) {
    auto notifiers = BuildNotifiers(r, config.global, templates, options);
    if (!notifiers.ok()) {
      return InvalidArgumentError("receiver \"" + r.name + "\": " +
                                  std::string(notifiers.status().message()));
    }
    out[r.name] = std::move(*notifiers);
  }
  return out;
}

struct Manager::Generation {
  std::shared_ptr<const Config> config;
  std::unique_ptr<Inhibitor> inhibitor;
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<Dispatcher> dispatcher;
  std::jthread thread;

  void Stop() {
    if (thread.joinable()) {
      thread.request_stop();
      thread.join();
    }
    if (pipeline != nullptr) pipeline->Stop();
    pool.reset();  // waits for flushes in progress
  }
  ~Generation() { Stop(); }
};

Manager::Manager(ManagerOptions opts, TimePoint start_time)
    : opts_(std::move(opts)), start_time_(start_time) {}

Manager::~Manager() { Stop(); }

void Manager::Log(std::string_view msg) const {
  if (opts_.log) {
    opts_.log(msg);
  } else {
    std::fprintf(stderr, "alertmanager: %.*s\n", static_cast<int>(msg.size()), msg.data());
  }
}

Result<std::unique_ptr<Manager>> Manager::Create(ManagerOptions opts, Config config) {
  const TimePoint now = opts.clock ? opts.clock() : Clock::now();
  std::unique_ptr<Manager> m(new Manager(std::move(opts), now));
  std::string path = ":memory:";
  if (!m->opts_.data_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(m->opts_.data_dir, ec);
    if (ec) return UnavailableError("create " + m->opts_.data_dir + ": " + ec.message());
    path = m->opts_.data_dir + "/alertmanager.db";
  }
  VIGIL_ASSIGN_OR_RETURN(m->db_, Db::Open(path));
  VIGIL_ASSIGN_OR_RETURN(m->silences_, Silences::Open(m->db_.get()));
  VIGIL_ASSIGN_OR_RETURN(m->nflog_, NotificationLog::Open(m->db_.get()));
  VIGIL_ASSIGN_OR_RETURN(m->history_, History::Open(m->db_.get()));
  VIGIL_RETURN_IF_ERROR(m->LoadAlerts());
  m->metrics_ = NotificationMetrics::Create(m->opts_.registry);
  VIGIL_ASSIGN_OR_RETURN(auto gen, m->Build(std::move(config)));
  m->gen_ = gen;
  m->Start(gen, now);
  if (m->opts_.run) {
    m->maintenance_ = std::jthread([mp = m.get()](std::stop_token st) {
      std::mutex mu;
      std::condition_variable_any cv;
      while (!st.stop_requested()) {
        std::unique_lock lock(mu);
        cv.wait_for(lock, st, std::chrono::seconds(30), [] { return false; });
        if (st.stop_requested()) break;
        mp->Maintain(Clock::now());
      }
    });
  }
  return m;
}

Status Manager::LoadAlerts() {
  VIGIL_RETURN_IF_ERROR(db_->Exec(
      "CREATE TABLE IF NOT EXISTS alerts (fingerprint TEXT PRIMARY KEY, labels TEXT NOT NULL, "
      "annotations TEXT NOT NULL, starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL, "
      "generator_url TEXT NOT NULL, updated_at INTEGER NOT NULL, timeout INTEGER NOT NULL)"));
  VIGIL_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT labels, annotations, starts_at, ends_at, "
                                               "generator_url, updated_at, timeout FROM alerts",
                                               {}));
  for (const auto& row : rows) {
    Alert a;
    a.labels = DecodeLabelsJson(AsText(row[0]));
    if (a.labels.empty()) continue;
    a.annotations = DecodeLabelsJson(AsText(row[1]));
    a.starts_at = model::ToTimePointNanos(AsInt(row[2]));
    a.ends_at = model::ToTimePointNanos(AsInt(row[3]));
    a.generator_url = AsText(row[4]);
    a.updated_at = model::ToTimePointNanos(AsInt(row[5]));
    a.timeout = AsInt(row[6]) != 0;
    alerts_[a.fingerprint()] = std::move(a);
  }
  return Status::OK();
}

Result<std::shared_ptr<Manager::Generation>> Manager::Build(Config config) {
  auto gen = std::make_shared<Generation>();
  ReceiverMap receivers;
  if (opts_.build_receivers) {
    VIGIL_ASSIGN_OR_RETURN(receivers, opts_.build_receivers(config));
  }
  gen->config = std::make_shared<const Config>(std::move(config));
  gen->inhibitor = std::make_unique<Inhibitor>(gen->config->inhibit_rules);
  PipelineOptions po;
  po.inhibitor = gen->inhibitor.get();
  po.silences = silences_.get();
  po.nflog = nflog_.get();
  po.history = history_.get();
  for (const auto& ti : gen->config->time_intervals) po.time_intervals[ti.name] = ti.time_intervals;
  po.external_url = opts_.external_url;
  po.retry = opts_.retry;
  po.metrics = metrics_;
  po.log = opts_.log;
  gen->pipeline = std::make_unique<Pipeline>(std::move(po), std::move(receivers));
  Executor exec;
  if (opts_.run) {
    gen->pool = std::make_unique<ThreadPool>(std::max(1, opts_.flush_threads));
    exec = [pool = gen->pool.get()](std::function<void()> f) { pool->Submit(std::move(f)); };
  }
  Pipeline* p = gen->pipeline.get();
  gen->dispatcher = std::make_unique<Dispatcher>(
      &gen->config->route,
      [p](const FlushContext& ctx, const std::vector<Alert>& alerts) {
        return p->Notify(ctx, alerts);
      },
      std::move(exec));
  return gen;
}

void Manager::Start(const std::shared_ptr<Generation>& gen, TimePoint now) {
  // The alerts already held go through the new routes.
  std::vector<Alert> current;
  {
    std::lock_guard lock(mu_);
    for (const auto& [fp, a] : alerts_) current.push_back(a);
  }
  for (const Alert& a : current) {
    gen->inhibitor->Observe(a);
    gen->dispatcher->Process(a, now);
  }
  if (opts_.run) {
    Dispatcher* d = gen->dispatcher.get();
    gen->thread = std::jthread([d](std::stop_token st) { d->Run(st); });
  }
}

Status Manager::ApplyConfig(Config config, TimePoint now) {
  VIGIL_ASSIGN_OR_RETURN(auto gen, Build(std::move(config)));
  // No alert comes in between the old generation's last one and the new
  // one's snapshot.
  std::lock_guard write(write_mu_);
  std::shared_ptr<Generation> old;
  {
    std::lock_guard lock(mu_);
    old = gen_;
  }
  if (old != nullptr) old->Stop();
  {
    std::lock_guard lock(mu_);
    gen_ = gen;
  }
  Start(gen, now);
  return Status::OK();
}

Status Manager::PutAlerts(std::vector<Alert> alerts, TimePoint now) {
  std::lock_guard write(write_mu_);
  std::shared_ptr<Generation> gen;
  {
    std::lock_guard lock(mu_);
    gen = gen_;
  }
  const auto resolve_timeout = gen->config->global.resolve_timeout;
  std::vector<std::string> errors;
  std::vector<Alert> accepted;
  std::vector<HistoryEvent> events;
  // The batch's alerts by fingerprint, each merged with the one before.
  std::map<uint64_t, Alert> staged;
  {
    std::lock_guard lock(mu_);
    for (Alert& a : alerts) {
      a.updated_at = now;
      if (a.starts_at == TimePoint{}) a.starts_at = a.ends_at == TimePoint{} ? now : a.ends_at;
      if (a.ends_at == TimePoint{}) {
        a.timeout = true;
        a.ends_at = now + resolve_timeout;
      }
      if (Status s = ValidateAlert(a); !s.ok()) {
        errors.push_back(LabelSetString(a.labels) + ": " + std::string(s.message()));
        continue;
      }
      const uint64_t fp = a.fingerprint();
      const Alert* old = nullptr;
      if (auto st = staged.find(fp); st != staged.end()) {
        old = &st->second;
      } else if (auto it = alerts_.find(fp); it != alerts_.end()) {
        old = &it->second;
      }
      const bool was_firing = old != nullptr && !old->ResolvedAt(now);
      // Merge when the activity ranges overlap.
      if (old != nullptr && ((a.ends_at > old->starts_at && a.ends_at < old->ends_at) ||
                             (a.starts_at > old->starts_at && a.starts_at < old->ends_at))) {
        a = Merge(*old, a, now);
      }
      const bool firing = !a.ResolvedAt(now);
      if (firing && !was_firing) events.push_back({now, "fired", fp, a.labels, "", ""});
      if (!firing && was_firing) events.push_back({now, "resolved", fp, a.labels, "", ""});
      staged[fp] = a;
    }
  }
  // Stored before they are acknowledged: a SIGKILL loses none of them.
  // (write_mu_, not mu_, keeps other writers out meanwhile: readers go on.)
  if (Status s = PersistAlerts(staged); !s.ok()) {
    return UnavailableError("alerts not stored: " + std::string(s.message()));
  }
  {
    std::lock_guard lock(mu_);
    for (auto& [fp, a] : staged) {
      alerts_[fp] = a;
      accepted.push_back(std::move(a));
    }
  }
  for (const Alert& a : accepted) {
    gen->inhibitor->Observe(a);
    gen->dispatcher->Process(a, now);
  }
  if (!events.empty()) (void)history_->Record(events);
  if (!errors.empty()) {
    std::string msg;
    for (const auto& e : errors) msg += (msg.empty() ? "" : "; ") + e;
    return InvalidArgumentError(msg);
  }
  return Status::OK();
}

Status Manager::PersistAlerts(const std::map<uint64_t, Alert>& alerts) {
  if (opts_.data_dir.empty() || alerts.empty()) return Status::OK();
  std::vector<std::pair<std::string, std::vector<Db::Value>>> statements;
  statements.reserve(alerts.size());
  for (const auto& [fp, a] : alerts) {
    statements.push_back(
        {"INSERT OR REPLACE INTO alerts (fingerprint, labels, annotations, starts_at, ends_at, "
         "generator_url, updated_at, timeout) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
         {FingerprintString(fp), EncodeLabelsJson(a.labels), EncodeLabelsJson(a.annotations),
          model::FromTimePointNanos(a.starts_at), model::FromTimePointNanos(a.ends_at),
          a.generator_url, model::FromTimePointNanos(a.updated_at), Db::Int(a.timeout ? 1 : 0)}});
  }
  return db_->RunAll(statements);
}

std::vector<AlertStatus> Manager::Alerts(TimePoint now) const {
  std::vector<Alert> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [fp, a] : alerts_) {
      if (!a.ResolvedAt(now)) all.push_back(a);
    }
  }
  std::vector<AlertStatus> out;
  out.reserve(all.size());
  for (Alert& a : all) out.push_back(StatusOf(std::move(a), now));
  return out;
}

AlertStatus Manager::StatusOf(Alert alert, TimePoint now) const {
  std::shared_ptr<Generation> gen;
  {
    std::lock_guard lock(mu_);
    gen = gen_;
  }
  AlertStatus st;
  st.silenced_by = silences_->Mutes(alert.labels, now);
  if (auto by = gen->inhibitor->Mutes(alert.labels, now)) st.inhibited_by = {FingerprintString(*by)};
  st.state = st.silenced_by.empty() && st.inhibited_by.empty() ? "active" : "suppressed";
  for (const Route* r : MatchRoutes(gen->config->route, alert.labels)) {
    st.receivers.push_back(r->receiver);
  }
  st.alert = std::move(alert);
  return st;
}

std::vector<GroupSnapshot> Manager::Groups() const {
  std::lock_guard lock(mu_);
  return gen_->dispatcher->Groups();
}

std::shared_ptr<const Config> Manager::config() const {
  std::lock_guard lock(mu_);
  return gen_->config;
}

std::vector<std::string> Manager::ReceiversFor(const model::Labels& labels) const {
  auto cfg = config();
  std::vector<std::string> out;
  for (const Route* r : MatchRoutes(cfg->route, labels)) out.push_back(r->receiver);
  return out;
}

TimePoint Manager::RunDue(TimePoint now) {
  std::shared_ptr<Generation> gen;
  {
    std::lock_guard lock(mu_);
    gen = gen_;
  }
  return gen->dispatcher->RunDue(now);
}

namespace {

std::chrono::milliseconds MaxGroupInterval(const Route& r) {
  std::chrono::milliseconds m = r.group_interval;
  for (const Route& c : r.routes) m = std::max(m, MaxGroupInterval(c));
  return m;
}

}  // namespace

void Manager::Maintain(TimePoint now) {
  std::lock_guard write(write_mu_);
  std::vector<HistoryEvent> events;
  // (fingerprint, updated_at) of the alerts leaving the store.
  std::vector<std::pair<std::string, int64_t>> gone;
  std::shared_ptr<Generation> gen;
  {
    std::lock_guard lock(mu_);
    gen = gen_;
    // Resolved alerts stay until their groups have certainly flushed the
    // resolution (Alertmanager keeps them until its 30-minute GC): a
    // restart or a reload in between rebuilds the groups from the store.
    const auto keep = std::chrono::minutes(30) + MaxGroupInterval(gen->config->route);
    for (auto it = alerts_.begin(); it != alerts_.end();) {
      const Alert& a = it->second;
      if (a.ResolvedAt(now - keep)) {
        if (a.timeout) {
          events.push_back({a.ends_at, "resolved", it->first, a.labels, "", "resolve_timeout"});
        }
        gone.emplace_back(FingerprintString(it->first), model::FromTimePointNanos(a.updated_at));
        it = alerts_.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (!gone.empty() && !opts_.data_dir.empty()) {
    std::vector<std::pair<std::string, std::vector<Db::Value>>> deletes;
    for (const auto& [fp, updated] : gone) {
      deletes.push_back(
          {"DELETE FROM alerts WHERE fingerprint = ? AND updated_at = ?", {fp, updated}});
    }
    if (Status s = db_->RunAll(deletes); !s.ok()) Log(s.ToString());
  }
  gen->inhibitor->GC(now);
  if (Status s = silences_->GC(now); !s.ok()) Log(s.ToString());
  if (Status s = nflog_->GC(now); !s.ok()) Log(s.ToString());
  if (Status s = history_->GC(now); !s.ok()) Log(s.ToString());
  if (!events.empty()) (void)history_->Record(events);
  if (Status s = db_->Checkpoint(); !s.ok()) Log(s.ToString());
}

void Manager::Stop() {
  if (maintenance_.joinable()) {
    maintenance_.request_stop();
    maintenance_.join();
  }
  std::shared_ptr<Generation> gen;
  {
    std::lock_guard lock(mu_);
    gen = gen_;
  }
  if (gen != nullptr) gen->Stop();
}

}  // namespace vigil::alertmanager
