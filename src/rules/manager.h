// rules::Manager: loads rule files and runs their groups, one thread per
// group (Prometheus' rules.Manager).
//
//   Manager m({.appendable = &db, .queryable = &db, .engine = &engine,
//              .notify = [&](std::vector<model::Alert> a) { sink.Send(a); }});
//   VIGIL_RETURN_IF_ERROR(m.Update(std::chrono::minutes(1), {"rules/*.yml"}));
//   ...                                  // on SIGHUP / POST /-/reload:
//   Status s = m.Update(interval, files);  // a bad file keeps the old set
//   m.Stop();
//
// Update loads every file first and changes nothing unless all load. Then
// a group that is exactly as before keeps running untouched; a changed
// group replaces the old one and takes over its alerts and series (so
// alert state survives reloads); a removed group stops after writing
// staleness markers for its series. The first Update after construction
// restores `for` state from ALERTS_FOR_STATE (see Group); later ones
// start their rules restored.
//
// Thread safety: thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "model/alert.h"
#include "model/labels.h"
#include "promql/engine.h"
#include "rules/group.h"
#include "storage/interface.h"
#include "vigil/status.h"

namespace vigil::rules {

struct ManagerOptions {
  storage::Appendable* appendable = nullptr;
  storage::Queryable* queryable = nullptr;
  promql::Engine* engine = nullptr;
  std::function<void(std::vector<model::Alert>)> notify;
  model::Labels external_labels;
  std::string external_url;
  // Prometheus' --rules.alert.resend-delay, --rules.alert.for-outage-tolerance
  // and --rules.alert.for-grace-period.
  std::chrono::milliseconds resend_delay{std::chrono::minutes(1)};
  std::chrono::milliseconds outage_tolerance{std::chrono::hours(1)};
  std::chrono::milliseconds for_grace_period{std::chrono::minutes(10)};
  // Whether groups run on their own threads (off: callers drive
  // Group::Eval, as `vigil test rules` does).
  bool run = true;
  // Builds anomaly rules' detectors; without it a file with anomaly rules
  // is refused.
  AnomalyScorerFactory anomaly_scorers;
};

// Prometheus' EngineQueryFunc: instant queries through `engine`, a
// scalar result turned into one sample, other types an error.
EvalContext MakeEvalContext(promql::Engine* engine, storage::Queryable* queryable,
                            model::Labels external_labels, std::string external_url);

// Checks every anomaly rule of `groups` builds with `factory`; an error
// gives FILE:LINE:COLUMN of the rule's detector configuration.
Status CheckAnomalyRules(const std::vector<GroupNode>& groups,
                         const AnomalyScorerFactory& factory);

class Manager {
 public:
  explicit Manager(ManagerOptions opts);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Loads `files` (paths or globs, relative ones against `dir`) with
  // `interval` as the default group interval, and applies them.
  Status Update(std::chrono::milliseconds interval, const std::vector<std::string>& files,
                std::string_view dir = {});
  // Applies already loaded groups.
  void Apply(std::chrono::milliseconds interval, std::vector<GroupNode> groups);
  // Changes the external labels and URL that templates see (a reload with
  // a new global.external_labels or --web.external-url). The next Apply or
  // Update replaces every group, each taking over its predecessor's state.
  void SetExternal(model::Labels external_labels, std::string external_url);
  // Stops every group (no staleness markers: the series simply age out,
  // and a restart restores from them).
  void Stop();

  // The running groups, in file and then file order.
  std::vector<std::shared_ptr<Group>> Groups() const;

 private:
  struct Running {
    std::shared_ptr<Group> group;
    std::jthread thread;
  };

  const ManagerOptions opts_;
  mutable std::mutex mu_;
  EvalContext ctx_;               // guarded by mu_
  bool ctx_changed_ = false;      // guarded by mu_: SetExternal since Apply
  std::vector<Running> running_;  // guarded by mu_
  bool restored_ = false;         // guarded by mu_: first Update done
};

}  // namespace vigil::rules
