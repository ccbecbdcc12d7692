#include "alertmanager/pipeline.h"

#include <algorithm>
#include <cstdio>
#include <future>
#include <random>
#include <set>

#include "vigil/metrics/counter.h"
#include "vigil/metrics/histogram.h"

namespace vigil::alertmanager {

namespace {

bool IsSubset(const std::vector<uint64_t>& sub, const std::set<uint64_t>& set) {
  for (uint64_t fp : sub) {
    if (set.count(fp) == 0) return false;
  }
  return true;
}

// Alertmanager's DedupStage.needsUpdate.
bool NeedsUpdate(const std::optional<NflogEntry>& entry, const std::set<uint64_t>& firing,
                 const std::set<uint64_t>& resolved, bool send_resolved,
                 std::chrono::milliseconds repeat, TimePoint now) {
  if (!entry.has_value()) return !firing.empty();
  // Firing alerts not in the last notification: notify.
  std::vector<uint64_t> firing_vec(firing.begin(), firing.end());
  const std::set<uint64_t> last_firing(entry->firing.begin(), entry->firing.end());
  if (!IsSubset(firing_vec, last_firing)) return true;
  // Everything resolved: tell the receiver (send_resolved or not, so the
  // log forgets the firing ones), unless it never heard of them.
  if (firing.empty()) return !entry->firing.empty();
  std::vector<uint64_t> resolved_vec(resolved.begin(), resolved.end());
  const std::set<uint64_t> last_resolved(entry->resolved.begin(), entry->resolved.end());
  if (send_resolved && !IsSubset(resolved_vec, last_resolved)) return true;
  return entry->timestamp < now - repeat;
}

bool Retryable(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
}

}  // namespace

std::shared_ptr<NotificationMetrics> NotificationMetrics::Create(metrics::Registry* registry) {
  auto m = std::make_shared<NotificationMetrics>();
  if (registry == nullptr) return m;
  auto counter = [&](const char* name, const char* help) -> metrics::Family<metrics::Counter>* {
    auto f = registry->AddCounter(
        {.name = name, .help = help, .label_names = {"receiver", "integration"}});
    return f.ok() ? *f : nullptr;
  };
  m->total = counter("vigil_notifications_total",
                     "Notification attempts by the embedded alert manager.");
  m->failed = counter("vigil_notifications_failed_total", "Notification attempts that failed.");
  auto h = registry->AddHistogram({.name = "vigil_notification_latency_seconds",
                                   .help = "Time one notification attempt took.",
                                   .label_names = {"receiver", "integration"}},
                                  {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30});
  if (h.ok()) m->latency = *h;
  return m;
}

Pipeline::Pipeline(PipelineOptions opts, ReceiverMap receivers)
    : opts_(std::move(opts)),
      receivers_(std::move(receivers)),
      metrics_(opts_.metrics != nullptr ? opts_.metrics : std::make_shared<NotificationMetrics>()) {}

Pipeline::~Pipeline() { Stop(); }

void Pipeline::Stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  stop_cv_.notify_all();
}

void Pipeline::RecordMuted(const std::vector<std::pair<const Alert*, std::string>>& muted,
                           const char* event, TimePoint now) {
  std::vector<HistoryEvent> events;
  {
    std::lock_guard lock(mu_);
    for (const auto& [a, detail] : muted) {
      auto& state = mute_state_[a->fingerprint()];
      if (state == event) continue;  // recorded when it became so
      state = event;
      events.push_back({now, event, a->fingerprint(), a->labels, "", detail});
    }
  }
  if (opts_.history != nullptr && !events.empty()) (void)opts_.history->Record(events);
}

bool Pipeline::Notify(const FlushContext& ctx, const std::vector<Alert>& all) {
  const Route& route = *ctx.route;
  // Time intervals: outside every active interval, or inside a mute
  // interval, the flush sends nothing (and succeeds).
  auto in_any = [&](const std::vector<std::string>& names) {
    for (const std::string& n : names) {
      auto it = opts_.time_intervals.find(n);
      if (it != opts_.time_intervals.end() && InTimeIntervals(it->second, ctx.now)) return true;
    }
    return false;
  };
  if (!route.active_time_intervals.empty() && !in_any(route.active_time_intervals)) return true;
  if (!route.mute_time_intervals.empty() && in_any(route.mute_time_intervals)) return true;

  std::vector<Alert> alerts;
  std::vector<std::pair<const Alert*, std::string>> inhibited, silenced;
  for (const Alert& a : all) {
    if (opts_.inhibitor != nullptr) {
      if (auto by = opts_.inhibitor->Mutes(a.labels, ctx.now)) {
        inhibited.emplace_back(&a, FingerprintString(*by));
        continue;
      }
    }
    if (opts_.silences != nullptr) {
      auto ids = opts_.silences->Mutes(a.labels, ctx.now);
      if (!ids.empty()) {
        std::string detail;
        for (const auto& id : ids) detail += (detail.empty() ? "" : ",") + id;
        silenced.emplace_back(&a, std::move(detail));
        continue;
      }
    }
    alerts.push_back(a);
  }
  RecordMuted(inhibited, "inhibited", ctx.now);
  RecordMuted(silenced, "silenced", ctx.now);
  {
    std::lock_guard lock(mu_);
    for (const Alert& a : alerts) mute_state_.erase(a.fingerprint());
  }

  auto it = receivers_.find(ctx.receiver);
  if (it == receivers_.end() || it->second.empty()) return true;  // a receiver without integrations
  const auto& integrations = it->second;
  if (integrations.size() == 1) return RunIntegration(ctx, integrations[0].get(), 0, alerts);
  std::vector<std::future<bool>> results;
  for (size_t i = 1; i < integrations.size(); ++i) {
    results.push_back(std::async(std::launch::async, [&, i] {
      return RunIntegration(ctx, integrations[i].get(), static_cast<int>(i), alerts);
    }));
  }
  bool ok = RunIntegration(ctx, integrations[0].get(), 0, alerts);
  for (auto& r : results) ok = r.get() && ok;
  return ok;
}

bool Pipeline::RunIntegration(const FlushContext& ctx, Notifier* n, int index,
                              const std::vector<Alert>& alerts) {
  const std::string receiver_key = ReceiverKey(ctx.receiver, n->integration(), index);
  std::set<uint64_t> firing, resolved;
  for (const Alert& a : alerts) {
    (a.ResolvedAt(ctx.now) ? resolved : firing).insert(a.fingerprint());
  }
  const auto entry = opts_.nflog->Query(ctx.group_key, receiver_key);
  if (!NeedsUpdate(entry, firing, resolved, n->send_resolved(), ctx.route->repeat_interval,
                   ctx.now)) {
    return true;
  }
  // Without send_resolved only the firing alerts go out; nothing firing,
  // nothing to send (the log still records that all resolved).
  std::vector<Alert> to_send;
  for (const Alert& a : alerts) {
    if (n->send_resolved() || !a.ResolvedAt(ctx.now)) to_send.push_back(a);
  }
  if (!to_send.empty()) {
    NotificationData data = MakeNotificationData(ctx.receiver, ctx.group_labels, to_send,
                                                 opts_.external_url, ctx.group_key, ctx.now);
    Status s = SendWithRetries(ctx, n, data);
    if (!s.ok()) {
      const std::string msg = "notify " + receiver_key + " for group " + ctx.group_key +
                              ": " + std::string(s.message());
      if (opts_.log) {
        opts_.log(msg);
      } else {
        std::fprintf(stderr, "%s\n", msg.c_str());
      }
      if (opts_.history != nullptr) {
        std::vector<HistoryEvent> ev;
        for (const Alert& a : to_send) {
          ev.push_back({ctx.now, "failed", a.fingerprint(), a.labels, receiver_key,
                        std::string(s.message())});
        }
        (void)opts_.history->Record(ev);
      }
      return false;
    }
    if (opts_.history != nullptr) {
      std::vector<HistoryEvent> ev;
      for (const Alert& a : to_send) {
        ev.push_back({ctx.now, "notified", a.fingerprint(), a.labels, receiver_key,
                      a.StatusAt(ctx.now)});
      }
      (void)opts_.history->Record(ev);
    }
  }
  Status logged = opts_.nflog->Log(ctx.group_key, receiver_key,
                                   std::vector<uint64_t>(firing.begin(), firing.end()),
                                   std::vector<uint64_t>(resolved.begin(), resolved.end()),
                                   ctx.now);
  return logged.ok();
}

Status Pipeline::SendWithRetries(const FlushContext& ctx, Notifier* n,
                                 const NotificationData& data) {
  using std::chrono::milliseconds;
  const milliseconds budget = std::max(ctx.route->group_interval, opts_.retry.min_budget);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + budget;
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  double wait_ms = static_cast<double>(opts_.retry.initial.count());
  metrics::Counter total, failed;
  metrics::Histogram latency;
  const bool have_metrics = metrics_->total != nullptr && metrics_->failed != nullptr;
  if (have_metrics) {
    total = metrics_->total->WithLabelValues({ctx.receiver, n->integration()});
    failed = metrics_->failed->WithLabelValues({ctx.receiver, n->integration()});
  }
  Status last;
  for (int attempt = 0;; ++attempt) {
    const auto now = std::chrono::steady_clock::now();
    const auto remaining = std::chrono::duration_cast<milliseconds>(deadline - now);
    NotifyContext nc{.now = ctx.now,
                     .group_key = ctx.group_key,
                     .timeout = std::max(remaining, milliseconds(100))};
    const auto t0 = std::chrono::steady_clock::now();
    last = n->Notify(nc, data);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (have_metrics) {
      total.Inc();
      if (metrics_->latency != nullptr) {
        metrics_->latency->WithLabelValues({ctx.receiver, n->integration()}).Observe(secs);
      }
      if (!last.ok()) failed.Inc();
    }
    if (last.ok() || !Retryable(last)) return last;
    // Back off with jitter, within the budget; Stop() ends the wait.
    std::uniform_real_distribution<double> jitter(1 - opts_.retry.jitter, 1 + opts_.retry.jitter);
    auto wait = milliseconds(static_cast<int64_t>(wait_ms * jitter(rng)));
    wait_ms = std::min(wait_ms * opts_.retry.multiplier,
                       static_cast<double>(opts_.retry.max.count()));
    if (std::chrono::steady_clock::now() + wait >= deadline) {
      return Status(last.code(), "giving up after " + std::to_string(attempt + 1) +
                                     " attempts: " + std::string(last.message()));
    }
    std::unique_lock lock(mu_);
    if (stop_cv_.wait_for(lock, wait, [&] { return stopped_; })) return last;
  }
}

}  // namespace vigil::alertmanager
