// The notification pipeline (Alertmanager 0.25's notify stages), run for
// each aggregation-group flush:
//
//   inhibition -> active/mute time intervals -> silences ->
//   per integration of the route's receiver (concurrently):
//     dedup (notification log) -> send with retries -> log the notification
//
// Inhibited and silenced alerts are left out (and recorded in the history
// when they become so). Dedup sends only when the firing set grew or
// changed, when send_resolved and resolved alerts are new, when everything
// resolved after a firing notification, or when repeat_interval passed
// (Alertmanager's needsUpdate). Retries back off exponentially with
// jitter on retryable errors (kUnavailable, kDeadlineExceeded) until the
// flush's budget (the group interval, at least 10 s) runs out.
//
// Metrics: vigil_notifications_total{receiver,integration},
// vigil_notifications_failed_total{receiver,integration},
// vigil_notification_latency_seconds{receiver,integration}.
//
// Thread safety: thread-safe; Notify may run for many groups at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/dispatch.h"
#include "alertmanager/history.h"
#include "alertmanager/inhibit.h"
#include "alertmanager/nflog.h"
#include "alertmanager/notify.h"
#include "alertmanager/silences.h"
#include "vigil/metrics/registry.h"

namespace vigil::alertmanager {

struct RetryOptions {
  std::chrono::milliseconds initial{500};
  double multiplier = 1.5;
  std::chrono::milliseconds max{std::chrono::seconds(60)};
  double jitter = 0.5;  // each wait is drawn from [w(1-j), w(1+j)]
  std::chrono::milliseconds min_budget{std::chrono::seconds(10)};
};

// The pipeline's metric families, registered once per registry and shared
// by the pipelines of successive configurations.
struct NotificationMetrics {
  static std::shared_ptr<NotificationMetrics> Create(metrics::Registry* registry);
  metrics::Family<metrics::Counter>* total = nullptr;
  metrics::Family<metrics::Counter>* failed = nullptr;
  metrics::Family<metrics::Histogram>* latency = nullptr;
};

struct PipelineOptions {
  Inhibitor* inhibitor = nullptr;            // may be null
  Silences* silences = nullptr;              // may be null
  NotificationLog* nflog = nullptr;          // required
  History* history = nullptr;                // may be null
  std::map<std::string, std::vector<TimeInterval>> time_intervals;
  std::string external_url;
  RetryOptions retry;
  std::shared_ptr<NotificationMetrics> metrics;  // may be null
  // Error reports (failed notifications); stderr when empty.
  std::function<void(std::string_view)> log;
};

// The integrations of each receiver, by receiver name.
using ReceiverMap = std::map<std::string, std::vector<std::unique_ptr<Notifier>>>;

class Pipeline {
 public:
  Pipeline(PipelineOptions opts, ReceiverMap receivers);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // One flush; true when every integration delivered (or had nothing to
  // deliver).
  bool Notify(const FlushContext& ctx, const std::vector<Alert>& alerts);
  // Ends retry waits at once (shutdown); later Notify calls make one
  // attempt each.
  void Stop();

 private:
  bool RunIntegration(const FlushContext& ctx, Notifier* n, int index,
                      const std::vector<Alert>& alerts);
  Status SendWithRetries(const FlushContext& ctx, Notifier* n, const NotificationData& data);
  void RecordMuted(const std::vector<std::pair<const Alert*, std::string>>& muted,
                   const char* event, TimePoint now);

  const PipelineOptions opts_;
  const ReceiverMap receivers_;
  const std::shared_ptr<NotificationMetrics> metrics_;

  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopped_ = false;                       // guarded by mu_
  std::map<uint64_t, std::string> mute_state_;  // fp -> "silenced"/"inhibited"; mu_
};

}  // namespace vigil::alertmanager
