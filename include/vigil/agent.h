// vigil::Agent: the whole of `vigil run` -- storage, scraping, PromQL,
// rules, anomaly detection, log patterns, SLOs, the alert manager, the
// Prometheus and Alertmanager HTTP APIs and the web UI -- started inside
// the caller's own process. The caller's registries are scraped directly,
// without HTTP, into the embedded storage.
//
//   vigil::AgentOptions o;
//   o.config_file = "vigil.yml";            // or o.config_yaml = "...";
//   o.registries.push_back({&vigil::metrics::Registry::Default(), "detector"});
//   auto agent = vigil::Agent::Start(o);
//   if (!agent.ok()) { std::cerr << agent.status().ToString() << "\n"; return 1; }
//   ...                                      // the UI is on (*agent)->url()
//   (*agent)->Stop();                        // drains; the destructor also does
//
// The configuration is `vigil run`'s (docs/configuration.md); every error
// names the file, line and column.
//
// Thread safety: thread-safe. Start and Stop are for one owner; Reload,
// Query and the accessors may be called from any thread while it runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vigil/metrics/registry.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil {

struct AgentOptions {
  // The configuration: a file, or its text (config_yaml wins when both are
  // set). Relative paths in config_yaml resolve against config_dir.
  std::string config_file;
  std::string config_yaml;
  std::string config_dir = ".";

  // Override the configuration when non-empty.
  std::string storage_path;
  std::string listen_address;  // "host:port"; port 0 picks a free one
  std::string external_url;
  bool serve_http = true;  // false: no HTTP server (query with Query())

  // Registries of the caller's process, collected every global
  // scrape_interval straight into the storage under these job and
  // instance labels (and each with its own `up`).
  struct ScrapedRegistry {
    const metrics::Registry* registry = nullptr;
    std::string job;
    std::string instance = "local";
  };
  std::vector<ScrapedRegistry> registries;

  // Prometheus' --query.* flags.
  std::chrono::milliseconds query_timeout{std::chrono::minutes(2)};
  int64_t query_max_samples = 50'000'000;
  int query_max_concurrency = 20;
  std::chrono::milliseconds query_lookback_delta{std::chrono::minutes(5)};
  // Prometheus' --rules.alert.resend-delay, .for-grace-period and
  // .for-outage-tolerance.
  std::chrono::milliseconds rules_resend_delay{std::chrono::minutes(1)};
  std::chrono::milliseconds rules_for_grace_period{std::chrono::minutes(10)};
  std::chrono::milliseconds rules_outage_tolerance{std::chrono::hours(1)};
};

class Agent {
 public:
  // Loads the configuration, opens (and recovers) the storage and starts
  // everything. Nothing keeps running when it fails.
  static Result<std::unique_ptr<Agent>> Start(AgentOptions options);
  ~Agent();  // Stop(), its error dropped
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Re-reads the configuration (the file; config_yaml is kept) and applies
  // scrape configs, rules, SLOs, log patterns, alerting and the alert
  // manager's configuration. On any error nothing changes.
  Status Reload();
  // Stops scraping and rule evaluation, delivers queued notifications and
  // remote writes (for a bounded time), and closes the storage with its WAL
  // synced. Idempotent; the first call's result is returned again.
  Status Stop();

  // The HTTP port (0 without a server) and base URL ("http://127.0.0.1:9090").
  int port() const;
  std::string url() const;
  // An instant query evaluated now, answered as Prometheus'
  // /api/v1/query JSON body ({"status":"success","data":...}).
  Result<std::string> Query(const std::string& expr);

 private:
  struct Impl;
  explicit Agent(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
