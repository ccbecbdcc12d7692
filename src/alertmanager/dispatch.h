// The dispatcher (Alertmanager 0.25's dispatch package): routes each alert
// through the routing tree and keeps one aggregation group per matching
// route and group-label set. A group first flushes group_wait after it was
// created (at once when its alert already started that long ago), then
// every group_interval; each flush hands the group's alerts (firing ones
// with their end time cleared, sorted as Alertmanager sorts them) to the
// notify function. After a successful flush, resolved alerts not updated
// meanwhile leave the group; empty groups are removed by the maintenance
// pass every 30 s.
//
// Time is explicit: Process and RunDue take `now`, so tests drive a fake
// clock; Run() drives the real one. Flushes run on `executor` (default:
// inline); a group is never flushed twice at once.
//
//   Dispatcher d(&config.route, [&](const FlushContext& ctx,
//                                   const std::vector<Alert>& alerts) {
//     return pipeline.Notify(ctx, alerts);   // true: delivered
//   });
//   d.Process(alert, now);
//   TimePoint next = d.RunDue(now);
//
// Thread safety: thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/types.h"

namespace vigil::alertmanager {

// The routes an alert with `labels` goes to (Route.Match: depth first;
// a matching child ends the search among its siblings unless it has
// `continue`; a route none of whose children match is itself the match).
std::vector<const Route*> MatchRoutes(const Route& root, const model::Labels& labels);

// Alertmanager's AlertSlice order: by job, then instance (alerts having
// the label first), then LabelSet.Before.
bool AlertBefore(const Alert& a, const Alert& b);

struct FlushContext {
  TimePoint now{};
  const Route* route = nullptr;
  std::string receiver;
  std::string group_key;  // route key + ":" + group labels
  model::Labels group_labels;
};

// Delivers one flush; true when every integration succeeded (only then
// do resolved alerts leave the group).
using NotifyFunc = std::function<bool(const FlushContext&, const std::vector<Alert>&)>;
using Executor = std::function<void(std::function<void()>)>;

// A group as the API shows it.
struct GroupSnapshot {
  std::string receiver;
  std::string group_key;
  model::Labels group_labels;
  const Route* route = nullptr;
  std::vector<Alert> alerts;
};

class Dispatcher {
 public:
  // `root` must outlive the dispatcher.
  Dispatcher(const Route* root, NotifyFunc notify, Executor executor = {});
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Routes a new or updated alert received at `now`.
  void Process(const Alert& alert, TimePoint now);
  // Flushes every group due at `now` and runs maintenance when due;
  // returns when the next group falls due (TimePoint::max() if none).
  TimePoint RunDue(TimePoint now);
  // Runs RunDue on the system clock until `stop`.
  void Run(std::stop_token stop);

  std::vector<GroupSnapshot> Groups() const;
  size_t num_groups() const;
  // The route key of a route of this tree: "{}", "{}/{severity=\"page\"}".
  std::string RouteKey(const Route* r) const;

 private:
  struct Group;
  void Flush(const std::shared_ptr<Group>& g, TimePoint now);

  const Route* const root_;
  const NotifyFunc notify_;
  const Executor executor_;
  std::map<const Route*, std::string> route_keys_;  // const after construction

  mutable std::mutex mu_;
  std::condition_variable wake_;
  // (route, group-label fingerprint) -> group.
  std::map<std::pair<const Route*, uint64_t>, std::shared_ptr<Group>> groups_;  // mu_
  TimePoint next_maintenance_{};                                                // mu_
};

}  // namespace vigil::alertmanager
