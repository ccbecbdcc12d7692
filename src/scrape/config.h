// scrape::ScrapeConfig: one scrape job as Prometheus 2.42's scrape_config
// describes it, restricted to what vigil implements (static targets, no
// relabelling yet). daemon/config.cc fills it from YAML and reports errors
// with file positions; ScrapeManager::ApplyConfig checks it again with
// ValidateScrapeConfig so that programmatic callers get the same rules.
//
//   ScrapeConfig job;
//   job.job_name = "node";
//   job.scrape_interval = std::chrono::seconds(15);
//   job.static_configs.push_back({.targets = {"127.0.0.1:9100"}});
//   VIGIL_RETURN_IF_ERROR(manager.ApplyConfig({job}));
//
// Thread safety: plain values (thread-compatible).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "http/client_config.h"
#include "model/labels.h"
#include "vigil/status.h"

namespace vigil::scrape {

struct StaticConfig {
  std::vector<std::string> targets;  // "host:port" or "host"
  model::Labels labels;              // added to every target
  friend bool operator==(const StaticConfig&, const StaticConfig&) = default;
};

struct ScrapeConfig {
  std::string job_name;
  std::chrono::milliseconds scrape_interval{std::chrono::minutes(1)};
  std::chrono::milliseconds scrape_timeout{std::chrono::seconds(10)};
  std::string metrics_path = "/metrics";
  std::string scheme = "http";  // "http" or "https"
  std::map<std::string, std::vector<std::string>> params;
  // Exposed labels win over target labels (which are then dropped) instead
  // of being renamed exported_<name>.
  bool honor_labels = false;
  // Use timestamps the exposition carries; otherwise the scrape time.
  bool honor_timestamps = true;

  // Authentication (secret files read at every scrape), TLS and redirects:
  // Prometheus' inline HTTPClientConfig.
  http::HttpClientConfig http_client_config;

  // Limits; 0 means none. Exceeding one fails the whole scrape.
  uint64_t body_size_limit_bytes = 0;
  size_t sample_limit = 0;
  size_t label_limit = 0;
  size_t label_name_length_limit = 0;
  size_t label_value_length_limit = 0;

  std::vector<StaticConfig> static_configs;

  friend bool operator==(const ScrapeConfig&, const ScrapeConfig&) = default;
};

// The semantic rules Prometheus applies (without file positions):
// non-empty job name, positive interval, 0 < timeout <= interval, scheme
// http/https, metrics_path starting with "/", ValidateHttpClientConfig,
// valid target addresses and label names. kInvalidArgument naming
// the job.
Status ValidateScrapeConfig(const ScrapeConfig& config);

// Checks a static target: "host:port", "host", "[v6]:port"; no scheme, path
// or spaces. kInvalidArgument otherwise.
Status ValidateTargetAddress(std::string_view address);

}  // namespace vigil::scrape
