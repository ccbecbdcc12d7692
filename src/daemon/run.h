// `vigil run`: the daemon. Reads a Prometheus-style configuration (see
// daemon/config.h), opens the storage, scrapes the configured targets and
// vigil's own registry (without HTTP) into it, and serves /metrics,
// /health, /ready and Prometheus' query API (daemon/api.h), and evaluates
// the configuration's rule files (rules::Manager) into the same storage.
//
//   RunOptions opts{.config_file = "vigil.yml"};
//   return Run(opts).ok() ? 0 : 1;   // until SIGINT/SIGTERM; SIGHUP reloads
//
// Thread safety: call once per process (it owns the signal handling).
#pragma once

#include <chrono>
#include <string>

#include "promql/engine.h"
#include "vigil/status.h"

namespace vigil::daemon {

struct RunOptions {
  std::string config_file;
  std::string storage_path;  // overrides storage.path of the file when set
  // Empty: the configuration's web.listen_address, else 127.0.0.1:9090.
  std::string listen_address;
  // Stop after this many seconds (0: run until signalled); for tests.
  double duration_s = 0;
  // The query engine's limits (Prometheus' --query.* flags).
  promql::EngineOptions query;
  // Prometheus' --web.external-url (alert generator links, templates).
  std::string external_url;
  // Prometheus' --rules.alert.resend-delay, --rules.alert.for-grace-period
  // and --rules.alert.for-outage-tolerance.
  std::chrono::milliseconds rules_resend_delay{std::chrono::minutes(1)};
  std::chrono::milliseconds rules_for_grace_period{std::chrono::minutes(10)};
  std::chrono::milliseconds rules_outage_tolerance{std::chrono::hours(1)};
};

// Blocks until SIGINT or SIGTERM (clean shutdown: scrapes stopped, the WAL
// synced and closed). SIGHUP and POST /-/reload re-read the configuration
// and apply the scrape configs and rule files; a bad configuration or rule
// file keeps everything running as it was and says why.
Status Run(const RunOptions& options);

}  // namespace vigil::daemon
