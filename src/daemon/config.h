// daemon::Config: the `vigil run` configuration file, a Prometheus 2.42
// prometheus.yml plus vigil's storage settings, loaded with yaml-cpp.
//
//   Result<Config> c = LoadConfigFile("/etc/vigil/vigil.yml");
//   if (!c.ok()) { std::cerr << c.status().message() << "\n"; return 1; }
//   manager.ApplyConfig(c->scrape_configs);
//
// The file (docs/design/config.md has the full reference):
//
//   global:
//     scrape_interval: 15s      # default 1m
//     scrape_timeout: 10s       # default 10s (at most scrape_interval)
//     evaluation_interval: 15s  # default 1m
//     external_labels: {region: eu}
//   storage:                    # vigil's; Prometheus has these as flags
//     tsdb:
//       path: data              # default "data", relative to this file
//       retention:
//         time: 15d             # default 15d unless size is set
//         size: 10GB            # default 0: no size limit
//       wal_fsync_interval: 1s  # 0: fsync on every commit
//   rule_files: [rules/*.yml]   # recording and alerting rules
//   alerting:
//     alertmanagers:
//       - static_configs: [{targets: ["127.0.0.1:9093"]}]
//   alertmanager:               # vigil's embedded alert manager; absent: none
//     config_file: alertmanager.yml  # Alertmanager 0.25 format (required)
//     storage_path: data-am     # default: the tsdb path + "-alertmanager"
//   scrape_configs:
//     - job_name: node
//       static_configs: [{targets: ["127.0.0.1:9100"]}]
//
// Jobs inherit scrape_interval and scrape_timeout from global (a timeout
// defaulted from global is capped at the job's interval), as Prometheus.
// Relative file names (password_file, credentials_file, bearer_token_file,
// TLS files, the storage path) are resolved against the file's directory.
//
// Every error is kInvalidArgument "FILE:LINE:COLUMN: message" (1-based):
// unknown fields ('unknown field "x" in scrape_config'), wrong types, bad
// durations, sizes, label names or target addresses, scrape_timeout greater
// than scrape_interval, duplicate job names, duplicate keys, YAML syntax.
// `alerting: alertmanagers:` takes scheme, path_prefix, timeout,
// api_version (v2 only), static_configs, basic_auth, authorization,
// bearer_token and tls_config (httpconfig/reader.h; secret files are read
// for every request, as for scrapes and remote write).
// Prometheus sections vigil does not implement yet (alert_relabel_configs,
// remote_read, relabel_configs, *_sd_configs, ...) are
// errors saying so rather than being ignored.
//
// Thread safety: pure functions; Config is a plain value.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "logging/log_system.h"
#include "logging/patterns.h"
#include "model/labels.h"
#include "notifier/notifier.h"
#include "remote/config.h"
#include "scrape/config.h"
#include "vigil/result.h"

namespace vigil::daemon {

struct GlobalConfig {
  std::chrono::milliseconds scrape_interval{std::chrono::minutes(1)};
  std::chrono::milliseconds scrape_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds evaluation_interval{std::chrono::minutes(1)};
  model::Labels external_labels;
};

// `storage.tsdb`, named after Prometheus' --storage.tsdb.* flags.
struct StorageConfig {
  std::string path = "data";
  // 0: no time limit (only when a size is set).
  std::chrono::milliseconds retention_time{std::chrono::hours(24 * 15)};
  uint64_t retention_size_bytes = 0;  // 0: no size limit
  // How often the WAL is fsynced: a machine crash loses at most this much
  // (a killed process loses nothing acknowledged). 0: on every commit.
  std::chrono::milliseconds wal_fsync_interval{std::chrono::seconds(1)};
};

// `alertmanager`: the embedded alert manager (docs/design/alertmanager.md).
// Rule alerts go to it in-process, besides any alerting.alertmanagers, and
// it serves Alertmanager's API v2 on vigil's port.
struct EmbeddedAlertmanagerConfig {
  bool enabled = false;     // the section is present
  std::string config_file;  // resolved against the file's directory
  std::string storage_path;  // empty: <storage path>-alertmanager
};

// `logging`: vigil's own log (docs/logging.md). Lines are ECS JSON.
//
//   logging:
//     level: info                       # default for every logger
//     levels: {vigil.rules: debug}      # per logger (and its dotted children)
//     console: stderr                   # stderr, stdout or none
//     file: {path: logs/vigil.log, max_size: 100MB, max_files: 5}
//     async: true                       # a back-end thread writes the lines
//     queue_size: 256KB                 # per logging thread
//     overflow: block                   # block or drop (counted) when full
//     service_name: vigil
struct LoggingConfig {
  logging::Level level = logging::Level::kInfo;
  std::vector<std::pair<std::string, logging::Level>> levels;
  std::string console = "stderr";
  std::string file;  // empty: no file; resolved against the file's directory
  uint64_t file_max_bytes = 100ull << 20;
  uint32_t file_max_files = 5;
  bool async = true;
  uint64_t queue_bytes = 256 << 10;
  logging::Overflow overflow = logging::Overflow::kBlock;
  std::string service_name = "vigil";
};

// One `log_patterns` entry: count lines matching an RE2 pattern in tailed
// files and/or vigil's own log, and alert when `threshold` fall inside
// `window`.
//
//   log_patterns:
//     - name: error_pattern
//       pattern: 'ERROR|FATAL|CRITICAL'
//       severity: warning             # the alert's severity label
//       threshold: 5                  # default 1
//       window: 5m                    # default 5m
//       files: [/var/log/app/app.log] # tailed (rotation, truncation, offsets kept)
//       self: true                    # vigil's own log lines
//       labels: {team: ml}            # more alert labels
//       annotations: {runbook: https://...}
struct LogPatternConfig {
  logging::PatternRule rule;  // sources: the files, and "vigil" for self
  model::Labels labels;
  model::Labels annotations;
};

// `web`: vigil's HTTP server (Prometheus has these as --web.* flags).
//
//   web:
//     listen_address: 127.0.0.1:9090   # the --listen flag wins when given
//     config_file: web.yml             # TLS and auth (daemon/web_config.h)
//     external_url: https://vigil.example.com/
//     max_request_bytes: 16MB          # larger bodies get 413
//     rate_limit: {requests_per_second: 100, burst: 200}  # per client; off by default
struct WebSection {
  std::string listen_address;  // empty: the flag or 127.0.0.1:9090
  std::string config_file;     // resolved against the file's directory
  std::string external_url;
  uint64_t max_request_bytes = 16 << 20;
  double rate_limit_rps = 0;  // 0: no limit
  double rate_limit_burst = 0;
};

// `collectors`: what vigil's own registry collects about its host (scraped
// into the storage with job "vigil", served on /metrics).
//
//   collectors:
//     node: true                  # node_exporter's cpu, memory, disk, net, fs
//     gpu: true                   # NVML through dlopen; nothing without a GPU
//     nvml_library: libnvidia-ml.so.1
struct CollectorsSection {
  bool node = true;
  bool gpu = true;
  std::string nvml_library = "libnvidia-ml.so.1";
};

struct Config {
  std::string filename;  // as given to the loader
  GlobalConfig global;
  StorageConfig storage;
  std::vector<scrape::ScrapeConfig> scrape_configs;  // defaults applied
  // Rule files: paths or globs, relative ones resolved against the file's
  // directory (as Prometheus resolves them).
  std::vector<std::string> rule_files;
  // `alerting.alertmanagers`, one entry per static target (API v2).
  std::vector<notifier::AlertmanagerConfig> alertmanagers;
  EmbeddedAlertmanagerConfig alertmanager;
  LoggingConfig logging;
  std::vector<LogPatternConfig> log_patterns;
  // SLO files (docs/formats/slo.md), compiled to rule groups evaluated with
  // the rule files; paths or globs resolved like rule_files.
  std::vector<std::string> slo_files;
  WebSection web;
  CollectorsSection collectors;
  // `remote_write` (Prometheus' format; remote/config.h), sent from the WAL.
  std::vector<remote::RemoteWriteConfig> remote_write;
};

// The source name of vigil's own log lines in log-pattern rules.
inline constexpr std::string_view kSelfLogSource = "vigil";

// Parses `text`; `filename` prefixes messages and anchors relative paths.
Result<Config> LoadConfig(std::string_view text, std::string_view filename);
// Reads and parses a file; kNotFound or kUnavailable when it cannot be read.
Result<Config> LoadConfigFile(const std::string& path);

}  // namespace vigil::daemon
