// daemon::LogPatternAlerts: the `log_patterns` of vigil's configuration at
// run time. Tails the rules' files (logging::Tailer, offsets kept in
// `state_dir`), scans them and vigil's own log lines (ScanSelf, from a log
// sink) with one logging::PatternEngine, and every second turns the rules'
// state into alerts: a firing rule is sent (labels alertname=<rule name>,
// severity, the rule's labels; annotations summary, last_line, the rule's
// annotations) with ends_at = now + 4 x resend delay and resent every resend
// delay, as Prometheus' rules do; when it stops firing it is sent once with
// ends_at = now (resolved). It also exports, through a metrics collector:
//   vigil_log_pattern_matches_total{pattern,severity}  counter
//   vigil_log_pattern_window_matches{pattern}          gauge (capped at threshold)
//   vigil_log_pattern_firing{pattern}                  gauge
//   vigil_log_tail_lines_total, vigil_log_tail_truncated_lines_total,
//   vigil_log_tail_rotations_total                     counters
//
//   LogPatternAlerts lp({.state_dir = "data-logtail", .notify = send, .log = log});
//   VIGIL_RETURN_IF_ERROR(lp.Apply(config.log_patterns));   // also on reload
//   lp.Start(); ... lp.Stop();
//
// Thread safety: thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/thread_annotations.h"
#include "daemon/config.h"
#include "model/alert.h"
#include "vigil/metrics/registry.h"
#include "vigil/status.h"

namespace vigil::daemon {

struct LogPatternAlertsOptions {
  std::string state_dir;  // the tailer's offsets: <state_dir>/offsets
  std::function<void(std::vector<model::Alert>)> notify;
  std::function<void(std::string_view)> log;
  std::chrono::milliseconds resend_delay{std::chrono::minutes(1)};
  std::chrono::milliseconds tick{std::chrono::seconds(1)};
};

class LogPatternAlerts {
 public:
  explicit LogPatternAlerts(LogPatternAlertsOptions options);
  ~LogPatternAlerts();
  LogPatternAlerts(const LogPatternAlerts&) = delete;
  LogPatternAlerts& operator=(const LogPatternAlerts&) = delete;

  // Replaces the rules when they differ from the running ones (counts start
  // again; firing alerts of removed rules are resolved). Errors leave the
  // running rules in place.
  Status Apply(const std::vector<LogPatternConfig>& rules);
  // One line of vigil's own log.
  void ScanSelf(std::string_view line);
  // Evaluates once at `now` (the background thread calls it every tick).
  void Evaluate(std::chrono::system_clock::time_point now);
  void Start();
  void Stop();
  // For the registry (vigil's /metrics).
  std::shared_ptr<metrics::Collector> Collector();

  // Each running rule as configured, with its state at `now` (the
  // /api/v1/log_patterns endpoint).
  struct RuleState {
    LogPatternConfig config;
    logging::RuleStatus status;
  };
  std::vector<RuleState> Rules(std::chrono::system_clock::time_point now) const;

 private:
  struct Running;
  class MetricsCollector;

  LogPatternAlertsOptions options_;
  mutable Mutex mu_;
  std::shared_ptr<Running> running_ VIGIL_GUARDED_BY(mu_);
  std::vector<model::Alert> to_resolve_ VIGIL_GUARDED_BY(mu_);
  Mutex thread_mu_;
  std::jthread thread_ VIGIL_GUARDED_BY(thread_mu_);
};

}  // namespace vigil::daemon
