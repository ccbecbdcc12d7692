#include "alertmanager/dispatch.h"

#include <algorithm>
#include <chrono>

namespace vigil::alertmanager {
namespace {

constexpr auto kMaintenanceInterval = std::chrono::seconds(30);

void Match(const Route& r, const model::Labels& labels, std::vector<const Route*>* out) {
  if (!MatchesAll(r.matchers, labels)) return;
  const size_t before = out->size();
  for (const Route& child : r.routes) {
    const size_t n = out->size();
    Match(child, labels, out);
    if (out->size() > n && !child.continue_matching) break;
  }
  if (out->size() == before) out->push_back(&r);
}

void BuildKeys(const Route& r, const std::string& parent, std::map<const Route*, std::string>* out) {
  std::string key = parent.empty() ? "" : parent + "/";
  key += MatchersString(r.matchers);
  for (const Route& child : r.routes) BuildKeys(child, key, out);
  (*out)[&r] = std::move(key);
}

model::Labels GroupLabels(const Alert& a, const Route& r) {
  if (r.group_by_all) return a.labels;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& name : r.group_by) {
    std::string_view v = a.labels.Get(name);
    if (!v.empty()) pairs.emplace_back(name, std::string(v));
  }
  return model::Labels::FromPairs(std::move(pairs));
}

// prometheus/common's LabelSet.Before.
bool LabelSetBefore(const model::Labels& a, const model::Labels& b) {
  const size_t na = a.size(), nb = b.size();
  if (na != nb) return na < nb;
  // Walk the union of names in order (names are unique per set).
  auto ia = a.begin(), ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && (*ia).name < (*ib).name)) return false;  // b lacks it
    if (ia == a.end() || (*ib).name < (*ia).name) return true;                       // a lacks it
    if ((*ia).value != (*ib).value) return (*ia).value < (*ib).value;
    ++ia;
    ++ib;
  }
  return false;
}

}  // namespace

std::vector<const Route*> MatchRoutes(const Route& root, const model::Labels& labels) {
  std::vector<const Route*> out;
  Match(root, labels, &out);
  return out;
}

bool AlertBefore(const Alert& a, const Alert& b) {
  for (std::string_view key : {"job", "instance"}) {
    std::string_view av = a.labels.Get(key), bv = b.labels.Get(key);
    if (av.empty() && bv.empty()) continue;
    if (av.empty()) return false;
    if (bv.empty()) return true;
    if (av != bv) return av < bv;
  }
  return LabelSetBefore(a.labels, b.labels);
}

struct Dispatcher::Group {
  const Route* route = nullptr;
  std::string key;
  model::Labels labels;

  std::mutex mu;
  std::map<uint64_t, Alert> alerts;  // guarded by mu
  // The fields below are guarded by the dispatcher's mu_.
  TimePoint next{};
  bool has_flushed = false;
  bool flushing = false;
};

Dispatcher::Dispatcher(const Route* root, NotifyFunc notify, Executor executor)
    : root_(root),
      notify_(std::move(notify)),
      executor_(executor ? std::move(executor) : [](std::function<void()> f) { f(); }) {
  BuildKeys(*root_, "", &route_keys_);
}

Dispatcher::~Dispatcher() = default;

std::string Dispatcher::RouteKey(const Route* r) const {
  auto it = route_keys_.find(r);
  return it == route_keys_.end() ? "" : it->second;
}

void Dispatcher::Process(const Alert& alert, TimePoint now) {
  for (const Route* r : MatchRoutes(*root_, alert.labels)) {
    model::Labels gl = GroupLabels(alert, *r);
    const uint64_t fp = Fingerprint(gl);
    std::shared_ptr<Group> g;
    {
      std::lock_guard lock(mu_);
      auto& slot = groups_[{r, fp}];
      if (slot == nullptr) {
        slot = std::make_shared<Group>();
        slot->route = r;
        slot->key = RouteKey(r) + ":" + LabelSetString(gl);
        slot->labels = std::move(gl);
        slot->next = now + r->group_wait;
      }
      g = slot;
      // An alert that started group_wait ago or earlier need not wait.
      if (!g->has_flushed && alert.starts_at + r->group_wait < now) g->next = now;
    }
    std::lock_guard glock(g->mu);
    g->alerts[alert.fingerprint()] = alert;
  }
  wake_.notify_all();
}

void Dispatcher::Flush(const std::shared_ptr<Group>& g, TimePoint now) {
  std::vector<Alert> alerts;
  {
    std::lock_guard lock(g->mu);
    alerts.reserve(g->alerts.size());
    for (const auto& [fp, a] : g->alerts) {
      alerts.push_back(a);
      // Alerts do not resolve just because time moves on.
      if (!alerts.back().ResolvedAt(now)) alerts.back().ends_at = TimePoint{};
    }
  }
  if (!alerts.empty()) {
    std::stable_sort(alerts.begin(), alerts.end(), AlertBefore);
    FlushContext ctx{.now = now,
                     .route = g->route,
                     .receiver = g->route->receiver,
                     .group_key = g->key,
                     .group_labels = g->labels};
    if (notify_(ctx, alerts)) {
      std::lock_guard lock(g->mu);
      for (const Alert& a : alerts) {
        if (a.ends_at == TimePoint{}) continue;
        auto it = g->alerts.find(a.fingerprint());
        // Only if it was not updated since we notified about it.
        if (it != g->alerts.end() && it->second.updated_at == a.updated_at) g->alerts.erase(it);
      }
    }
  }
  {
    std::lock_guard lock(mu_);
    g->flushing = false;
  }
  wake_.notify_all();
}

TimePoint Dispatcher::RunDue(TimePoint now) {
  std::vector<std::shared_ptr<Group>> due;
  TimePoint next = TimePoint::max();
  {
    std::lock_guard lock(mu_);
    if (now >= next_maintenance_) {
      for (auto it = groups_.begin(); it != groups_.end();) {
        Group& g = *it->second;
        bool empty;
        {
          std::lock_guard glock(g.mu);
          empty = g.alerts.empty();
        }
        it = empty && !g.flushing ? groups_.erase(it) : std::next(it);
      }
      next_maintenance_ = now + kMaintenanceInterval;
    }
    for (auto& [key, g] : groups_) {
      if (g->flushing) continue;
      if (g->next <= now) {
        g->next = now + g->route->group_interval;
        g->has_flushed = true;
        g->flushing = true;
        due.push_back(g);
      }
      next = std::min(next, g->next);
    }
    if (!groups_.empty()) next = std::min(next, next_maintenance_);
  }
  for (auto& g : due) {
    executor_([this, g, now] { Flush(g, now); });
  }
  return next;
}

void Dispatcher::Run(std::stop_token stop) {
  // A stop request wakes the wait below at once (a reload waits for it).
  std::stop_callback wake_on_stop(stop, [this] {
    std::lock_guard lock(mu_);
    wake_.notify_all();
  });
  while (!stop.stop_requested()) {
    const TimePoint next = RunDue(Clock::now());
    std::unique_lock lock(mu_);
    if (stop.stop_requested()) break;
    wake_.wait_until(lock, std::min(next, Clock::now() + std::chrono::seconds(1)));
  }
}

std::vector<GroupSnapshot> Dispatcher::Groups() const {
  std::vector<std::shared_ptr<Group>> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, g] : groups_) all.push_back(g);
  }
  std::vector<GroupSnapshot> out;
  for (const auto& g : all) {
    GroupSnapshot s{.receiver = g->route->receiver,
                    .group_key = g->key,
                    .group_labels = g->labels,
                    .route = g->route,
                    .alerts = {}};
    {
      std::lock_guard lock(g->mu);
      for (const auto& [fp, a] : g->alerts) s.alerts.push_back(a);
    }
    if (s.alerts.empty()) continue;
    std::stable_sort(s.alerts.begin(), s.alerts.end(), AlertBefore);
    out.push_back(std::move(s));
  }
  return out;
}

size_t Dispatcher::num_groups() const {
  std::lock_guard lock(mu_);
  return groups_.size();
}

}  // namespace vigil::alertmanager
