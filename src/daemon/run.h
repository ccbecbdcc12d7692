// `vigil run`: the daemon. Reads a Prometheus-style configuration (see
// daemon/config.h), opens the storage, scrapes the configured targets and
// vigil's own registry (without HTTP) into it, and serves /metrics,
// /health, /ready and Prometheus' query API (daemon/api.h). Later issues
// add rules, alerting and the UI to the same process.
//
//   RunOptions opts{.config_file = "vigil.yml"};
//   return Run(opts).ok() ? 0 : 1;   // until SIGINT/SIGTERM; SIGHUP reloads
//
// Thread safety: call once per process (it owns the signal handling).
#pragma once

#include <string>

#include "promql/engine.h"
#include "vigil/status.h"

namespace vigil::daemon {

struct RunOptions {
  std::string config_file;
  std::string storage_path;  // overrides storage.path of the file when set
  std::string listen_address = "127.0.0.1:9090";
  // Stop after this many seconds (0: run until signalled); for tests.
  double duration_s = 0;
  // The query engine's limits (Prometheus' --query.* flags).
  promql::EngineOptions query;
};

// Blocks until SIGINT or SIGTERM (clean shutdown: scrapes stopped, the WAL
// synced and closed). SIGHUP re-reads the configuration and applies the
// scrape configs; a bad file keeps the running configuration and logs why.
Status Run(const RunOptions& options);

}  // namespace vigil::daemon
