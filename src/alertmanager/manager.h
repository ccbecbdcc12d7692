// alertmanager::Manager: the embedded alert manager, assembled: it accepts
// alerts (Alertmanager's API v2 semantics), keeps them (merging updates of
// one fingerprint), feeds the inhibitor and the dispatcher, runs the
// notification pipeline, the silences, the notification log and the alert
// history over one SQLite database in `data_dir`, and applies new
// configurations without dropping state (silences, the log, history and
// the alerts themselves carry over; groups are rebuilt, as Alertmanager
// rebuilds its dispatcher on reload).
//
// Unlike Alertmanager, which holds alerts in memory only, the alerts are
// stored too, before PutAlerts returns: an alert acknowledged to a sender
// survives SIGKILL, and one that resolved just before a restart is still
// notified as resolved after it.
//
//   ManagerOptions o{.data_dir = "data/alertmanager",
//                    .build_receivers = BuildReceivers};
//   VIGIL_ASSIGN_OR_RETURN(auto am, Manager::Create(o, std::move(config)));
//   am->PutAlerts(alerts, Clock::now());   // from rules or POST /api/v2/alerts
//
// Thread safety: thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/db.h"
#include "alertmanager/dispatch.h"
#include "alertmanager/history.h"
#include "alertmanager/inhibit.h"
#include "alertmanager/nflog.h"
#include "alertmanager/pipeline.h"
#include "alertmanager/silences.h"
#include "alertmanager/types.h"
#include "vigil/metrics/registry.h"

namespace vigil::alertmanager {

// The integrations of every receiver of `config`, with its template files
// loaded on top of the defaults (the usual ManagerOptions::build_receivers).
Result<ReceiverMap> BuildReceivers(const Config& config, const NotifierOptions& options = {});

struct ManagerOptions {
  std::string data_dir;      // empty: nothing persisted
  std::string external_url;  // .ExternalURL in templates
  metrics::Registry* registry = nullptr;
  // Builds the integrations of every receiver of a configuration.
  std::function<Result<ReceiverMap>(const Config&)> build_receivers;
  std::function<void(std::string_view)> log;  // errors; stderr when empty
  RetryOptions retry;
  // Whether the dispatcher and maintenance run on their own threads (off:
  // tests drive RunDue and Maintain with a fake clock).
  bool run = true;
  // Flushes run on this many threads (run = true only).
  int flush_threads = 8;
  // The time at Create (tests: a fake clock); empty: Clock::now.
  std::function<TimePoint()> clock;
};

// An alert and what the alert manager made of it (API v2's gettableAlert).
struct AlertStatus {
  Alert alert;
  std::string state;  // "active", "suppressed" or "unprocessed"
  std::vector<std::string> silenced_by;
  std::vector<std::string> inhibited_by;
  std::vector<std::string> receivers;
};

class Manager {
 public:
  static Result<std::unique_ptr<Manager>> Create(ManagerOptions opts, Config config);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Validates and accepts alerts as POST /api/v2/alerts does: a missing
  // starts_at becomes now (or ends_at when that is set), a missing ends_at
  // now + resolve_timeout. Invalid alerts are refused with a message each
  // (the valid ones are still taken); kInvalidArgument lists them.
  Status PutAlerts(std::vector<Alert> alerts, TimePoint now);
  // Every alert still firing at `now`, with its status.
  std::vector<AlertStatus> Alerts(TimePoint now) const;
  // The status of one alert at `now` (silences, inhibition, receivers).
  AlertStatus StatusOf(Alert alert, TimePoint now) const;
  std::vector<GroupSnapshot> Groups() const;

  Silences& silences() { return *silences_; }
  History& history() { return *history_; }
  // The configuration in force.
  std::shared_ptr<const Config> config() const;
  TimePoint start_time() const { return start_time_; }
  // The route tree's receiver names of the routes `labels` goes to.
  std::vector<std::string> ReceiversFor(const model::Labels& labels) const;

  // Replaces the configuration (a reload): the new receivers are built
  // first, and nothing changes if that fails.
  Status ApplyConfig(Config config, TimePoint now = Clock::now());

  // Test hooks (run = false): flush due groups / run maintenance at `now`.
  TimePoint RunDue(TimePoint now);
  void Maintain(TimePoint now);

  void Stop();

 private:
  struct Generation;  // config + dispatcher + pipeline + inhibitor
  Manager(ManagerOptions opts, TimePoint start_time);
  Result<std::shared_ptr<Generation>> Build(Config config);
  // The alerts table: read at start, written before PutAlerts returns.
  Status LoadAlerts();
  Status PersistAlerts(const std::map<uint64_t, Alert>& alerts);
  void Start(const std::shared_ptr<Generation>& gen, TimePoint now);
  void Log(std::string_view msg) const;

  const ManagerOptions opts_;
  const TimePoint start_time_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<Silences> silences_;
  std::unique_ptr<NotificationLog> nflog_;
  std::unique_ptr<History> history_;
  std::shared_ptr<NotificationMetrics> metrics_;

  // Serializes the writers (PutAlerts, ApplyConfig, Maintain) so that the
  // store, the database and the generation change in one order; taken
  // before mu_, which readers take alone.
  std::mutex write_mu_;
  mutable std::mutex mu_;
  std::shared_ptr<Generation> gen_;      // guarded by mu_
  std::map<uint64_t, Alert> alerts_;     // guarded by mu_
  std::jthread maintenance_;
};

}  // namespace vigil::alertmanager
