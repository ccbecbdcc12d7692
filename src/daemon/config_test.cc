#include "daemon/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace vigil::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ConfigTest, EmptyFileHasDefaults) {
  Result<Config> c = LoadConfig("", "vigil.yml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->global.scrape_interval, minutes(1));
  EXPECT_EQ(c->global.scrape_timeout, seconds(10));
  EXPECT_EQ(c->global.evaluation_interval, minutes(1));
  EXPECT_TRUE(c->global.external_labels.empty());
  EXPECT_EQ(c->storage.path, "data");
  EXPECT_EQ(c->storage.retention_time, std::chrono::hours(24 * 15));
  EXPECT_EQ(c->storage.retention_size_bytes, 0u);
  EXPECT_EQ(c->storage.wal_fsync_interval, seconds(1));
  EXPECT_TRUE(c->scrape_configs.empty());
}

TEST(ConfigTest, ValidFileAppliesPrometheusDefaults) {
  const char* text = R"(# A full example.
global:
  scrape_interval: 15s
  evaluation_interval: 30s
  external_labels:
    region: eu
storage:
  tsdb:
    path: /var/lib/vigil
    retention:
      size: 10GB
    wal_fsync_interval: 1m
scrape_configs:
  - job_name: vigil
    static_configs:
      - targets: ["127.0.0.1:9090"]
  - job_name: node
    scrape_interval: 5s
    metrics_path: /probe
    scheme: https
    honor_labels: true
    honor_timestamps: false
    params:
      module: [if_mib]
    basic_auth:
      username: u
      password_file: secrets/pw
    tls_config:
      ca_file: /etc/ca.pem
      insecure_skip_verify: true
    sample_limit: 1000
    label_limit: 30
    label_name_length_limit: 100
    label_value_length_limit: 200
    body_size_limit: 10MB
    static_configs:
      - targets: [a:9100, "b:9100"]
        labels: {env: prod}
      - targets: [c]
  - job_name: token
    scrape_interval: 1m
    scrape_timeout: 20s
    authorization:
      credentials: secret
)";
  Result<Config> c = LoadConfig(text, "/etc/vigil/vigil.yml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->filename, "/etc/vigil/vigil.yml");
  EXPECT_EQ(c->global.scrape_interval, seconds(15));
  EXPECT_EQ(c->global.scrape_timeout, seconds(10));
  EXPECT_EQ(c->global.evaluation_interval, seconds(30));
  EXPECT_EQ(c->global.external_labels,
            model::Labels::FromPairs({{"region", "eu"}}));
  EXPECT_EQ(c->storage.path, "/var/lib/vigil");
  EXPECT_EQ(c->storage.retention_size_bytes, 10ull << 30);
  // Size alone: no time limit, as Prometheus.
  EXPECT_EQ(c->storage.retention_time, milliseconds(0));
  EXPECT_EQ(c->storage.wal_fsync_interval, minutes(1));
  ASSERT_EQ(c->scrape_configs.size(), 3u);

  const scrape::ScrapeConfig& v = c->scrape_configs[0];
  EXPECT_EQ(v.job_name, "vigil");
  EXPECT_EQ(v.scrape_interval, seconds(15));  // from global
  EXPECT_EQ(v.scrape_timeout, seconds(10));
  EXPECT_EQ(v.metrics_path, "/metrics");
  EXPECT_EQ(v.scheme, "http");
  EXPECT_FALSE(v.honor_labels);
  EXPECT_TRUE(v.honor_timestamps);
  EXPECT_FALSE(v.http_client_config.basic_auth.has_value());
  ASSERT_EQ(v.static_configs.size(), 1u);
  EXPECT_EQ(v.static_configs[0].targets,
            std::vector<std::string>{"127.0.0.1:9090"});

  const scrape::ScrapeConfig& n = c->scrape_configs[1];
  EXPECT_EQ(n.scrape_interval, seconds(5));
  // The global timeout (10s) is capped at the job's interval.
  EXPECT_EQ(n.scrape_timeout, seconds(5));
  EXPECT_EQ(n.metrics_path, "/probe");
  EXPECT_EQ(n.scheme, "https");
  EXPECT_TRUE(n.honor_labels);
  EXPECT_FALSE(n.honor_timestamps);
  EXPECT_EQ(n.params.at("module"), std::vector<std::string>{"if_mib"});
  ASSERT_TRUE(n.http_client_config.basic_auth.has_value());
  EXPECT_EQ(n.http_client_config.basic_auth->username, "u");
  // Relative to the config file's directory.
  EXPECT_EQ(n.http_client_config.basic_auth->password_file, "/etc/vigil/secrets/pw");
  EXPECT_EQ(n.http_client_config.tls_config.ca_file, "/etc/ca.pem");
  EXPECT_TRUE(n.http_client_config.tls_config.insecure_skip_verify);
  EXPECT_EQ(n.sample_limit, 1000u);
  EXPECT_EQ(n.label_limit, 30u);
  EXPECT_EQ(n.label_name_length_limit, 100u);
  EXPECT_EQ(n.label_value_length_limit, 200u);
  EXPECT_EQ(n.body_size_limit_bytes, 10u << 20);
  ASSERT_EQ(n.static_configs.size(), 2u);
  EXPECT_EQ(n.static_configs[0].targets,
            (std::vector<std::string>{"a:9100", "b:9100"}));
  EXPECT_EQ(n.static_configs[0].labels,
            model::Labels::FromPairs({{"env", "prod"}}));
  EXPECT_EQ(n.static_configs[1].targets, std::vector<std::string>{"c"});

  const scrape::ScrapeConfig& t = c->scrape_configs[2];
  EXPECT_EQ(t.scrape_interval, minutes(1));
  EXPECT_EQ(t.scrape_timeout, seconds(20));
  ASSERT_TRUE(t.http_client_config.authorization.has_value());
  EXPECT_EQ(t.http_client_config.authorization->type, "Bearer");
  EXPECT_EQ(t.http_client_config.authorization->credentials, "secret");
}

TEST(ConfigTest, RuleFilesAndAlertmanagers) {
  Result<Config> c = LoadConfig(R"(rule_files: [rules/*.yml, /etc/abs.yml]
alerting:
  alertmanagers:
    - path_prefix: /am
      timeout: 5s
      api_version: v2
      authorization: {credentials: tok}
      static_configs:
        - targets: ["127.0.0.1:9093", "127.0.0.1:9094"]
    - scheme: https
      basic_auth: {username: u, password: p}
      tls_config: {insecure_skip_verify: true}
      static_configs: [{targets: ["am.example:443"]}]
)",
                                "/conf/vigil.yml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rule_files, (std::vector<std::string>{"/conf/rules/*.yml", "/etc/abs.yml"}));
  ASSERT_EQ(c->alertmanagers.size(), 3u);
  EXPECT_EQ(c->alertmanagers[0].url, "http://127.0.0.1:9093");
  EXPECT_EQ(c->alertmanagers[1].url, "http://127.0.0.1:9094");
  EXPECT_EQ(c->alertmanagers[0].path_prefix, "/am");
  EXPECT_EQ(c->alertmanagers[0].timeout, seconds(5));
  ASSERT_TRUE(c->alertmanagers[0].http_client_config.authorization.has_value());
  EXPECT_EQ(c->alertmanagers[0].http_client_config.authorization->type, "Bearer");
  EXPECT_EQ(c->alertmanagers[0].http_client_config.authorization->credentials, "tok");
  EXPECT_EQ(c->alertmanagers[2].url, "https://am.example:443");
  EXPECT_EQ(c->alertmanagers[2].timeout, seconds(10));
  const http::HttpClientConfig& am2 = c->alertmanagers[2].http_client_config;
  ASSERT_TRUE(am2.basic_auth.has_value());
  EXPECT_EQ(am2.basic_auth->username, "u");
  EXPECT_EQ(am2.basic_auth->password, "p");
  EXPECT_TRUE(am2.tls_config.insecure_skip_verify);
}

TEST(ConfigTest, EmbeddedAlertmanager) {
  Result<Config> c = LoadConfig("scrape_configs: []\n", "/conf/vigil.yml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->alertmanager.enabled);
  c = LoadConfig("alertmanager:\n  config_file: am.yml\n  storage_path: /var/am\n",
                 "/conf/vigil.yml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->alertmanager.enabled);
  EXPECT_EQ(c->alertmanager.config_file, "/conf/am.yml");
  EXPECT_EQ(c->alertmanager.storage_path, "/var/am");
  c = LoadConfig("alertmanager:\n  config_file: am.yml\n", "/conf/vigil.yml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->alertmanager.storage_path, "");  // derived by `vigil run`
  c = LoadConfig("alertmanager:\n  storage_path: x\n", "f.yml");
  EXPECT_EQ(c.status().message(), "f.yml:1:1: alertmanager: config_file is required");
  c = LoadConfig("alertmanager:\n  config_file: a.yml\n  route: {}\n", "f.yml");
  EXPECT_EQ(c.status().message(), "f.yml:3:3: unknown field \"route\" in alertmanager");
}

TEST(ConfigTest, GlobalTimeoutIsCappedAtGlobalInterval) {
  Result<Config> c = LoadConfig("global:\n  scrape_interval: 5s\n", "f.yml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->global.scrape_timeout, seconds(5));
}

TEST(ConfigTest, InvalidFilesNameFileLineAndColumn) {
  const struct {
    const char* text;
    const char* error;
  } cases[] = {
      {"scrape_configs:\n  - job_name: a\n    scrape_intervall: 5s\n",
       "f.yml:3:5: unknown field \"scrape_intervall\" in scrape_config"},
      {"globals:\n  scrape_interval: 5s\n",
       "f.yml:1:1: unknown field \"globals\" in config"},
      {"global:\n  scrape_interval: 5 s\n",
       "f.yml:2:20: scrape_interval: not a valid duration string: \"5 s\""},
      {"global:\n  scrape_interval: 15\n",
       "f.yml:2:20: scrape_interval: not a valid duration string: \"15\""},
      {"global:\n  scrape_interval: [1s]\n",
       "f.yml:2:20: scrape_interval: expected a duration such as 15s, got a "
       "sequence"},
      {"global:\n  scrape_interval: 5s\n  scrape_timeout: 10s\n",
       "f.yml:3:3: global scrape timeout greater than scrape interval"},
      {"scrape_configs:\n"
       "  - job_name: a\n"
       "    scrape_interval: 5s\n"
       "    scrape_timeout: 6s\n",
       "f.yml:4:5: scrape timeout greater than scrape interval for scrape "
       "config with job name \"a\""},
      {"scrape_configs:\n"
       "  - job_name: a\n"
       "  - job_name: b\n"
       "  - job_name: a\n",
       "f.yml:4:15: found multiple scrape configs with job name \"a\""},
      {"scrape_configs:\n"
       "  - job_name: a\n"
       "    static_configs:\n"
       "      - targets: [\"ok:1\", \"http://x:9100\"]\n",
       "f.yml:4:27: target \"http://x:9100\" must be host:port without a "
       "scheme (set scheme: instead)"},
      {"scrape_configs:\n"
       "  - job_name: a\n"
       "    static_configs:\n"
       "      - targets:\n"
       "          - x:notaport\n",
       "f.yml:5:13: target \"x:notaport\": port \"notaport\" is not a number "
       "in [1, 65535]"},
      {"scrape_configs:\n"
       "  - job_name: a\n"
       "    honor_labels: maybe\n",
       "f.yml:3:19: honor_labels: expected a boolean (true or false), got "
       "\"maybe\""},
      {"scrape_configs:\n"
       "  - job_name: a\n"
       "    sample_limit: -1\n",
       "f.yml:3:19: sample_limit: expected a non-negative integer, got \"-1\""},
      {"scrape_configs:\n"
       "  - scrape_interval: 5s\n",
       "f.yml:2:5: scrape_config: job_name is empty"},
      {"rule_files: rules.yml\n", "f.yml:1:13: rule_files: expected a list, got a scalar"},
      {"alerting:\n  alert_relabel_configs: []\n",
       "f.yml:2:3: \"alert_relabel_configs\" is not supported yet (in alerting)"},
      {"alerting:\n  alertmanagers:\n    - api_version: v1\n",
       "f.yml:3:20: api_version \"v1\" is not supported: only v2 (Alertmanager >= 0.16)"},
      {"alerting:\n  alertmanagers:\n    - scheme: ftp\n",
       "f.yml:3:15: unsupported scheme \"ftp\" for alertmanager (http or https)"},
      {"alerting:\n  alertmanagers:\n    - static_configs: [{targets: [\"x:y\"]}]\n",
       "f.yml:3:35: target \"x:y\": port \"y\" is not a number in [1, 65535]"},
      {"remote_read:\n  - url: http://x\n",
       "f.yml:1:1: \"remote_read\" is not supported yet (in config)"},
      {"remote_write:\n  - url: ftp://x\n",
       "f.yml:2:10: url: \"ftp://x\": unsupported scheme \"ftp\" (http or https)"},
      {"remote_write: {url: http://x}\n", "f.yml:1:15: remote_write must be a list"},
      {"scrape_configs:\n"
       "  - job_name: a\n"
       "    relabel_configs: []\n",
       "f.yml:3:5: \"relabel_configs\" is not supported yet (in "
       "scrape_config)"},
      {"scrape_configs:\n"
       "  - job_name: a\n"
       "    file_sd_configs: []\n",
       "f.yml:3:5: \"file_sd_configs\" is not supported yet (in "
       "scrape_config)"},
      {"scrape_configs:\n"
       "  - job_name: a\n"
       "    static_configs:\n"
       "      - targets: [x:1]\n"
       "        lables: {a: b}\n",
       "f.yml:5:9: unknown field \"lables\" in static_config"},
      {"scrape_configs:\n"
       "  - job_name: a\n"
       "    basic_auth:\n"
       "      username: u\n"
       "      pasword: p\n",
       "f.yml:5:7: unknown field \"pasword\" in basic_auth"},
      {"scrape_configs:\n"
       "  - job_name: a\n"
       "    basic_auth: {username: u}\n"
       "    bearer_token: t\n",
       "f.yml:2:5: at most one of basic_auth, authorization, bearer_token & "
       "bearer_token_file must be configured"},
      {"scrape_configs:\n"
       "  - job_name: a\n"
       "    authorization:\n"
       "      type: Basic\n",
       "f.yml:4:13: authorization type cannot be set to \"basic\", use "
       "\"basic_auth\" instead"},
      {"global:\n  external_labels:\n    1bad: x\n",
       "f.yml:3:5: \"1bad\" is not a valid label name"},
      {"global:\n  scrape_interval: 1m\n  scrape_interval: 2m\n",
       "f.yml:3:3: duplicate field \"scrape_interval\" in global"},
      {"scrape_configs:\n  job_name: a\n",
       "f.yml:2:3: scrape_configs: expected a list, got a mapping"},
      {"scrape_configs:\n"
       "  - job_name: a\n"
       "    scheme: ftp\n",
       "f.yml:3:13: scheme: must be \"http\" or \"https\", not \"ftp\""},
      {"storage:\n  tsdb:\n    retention:\n      time: forever\n",
       "f.yml:4:13: time: not a valid duration string: \"forever\""},
      {"storage:\n  tsdb:\n    retention:\n      size: 10XB\n",
       "f.yml:4:13: size: not a valid byte size: \"10XB\" (e.g. 512MB, 1GiB)"},
      {"storage:\n  path: /x\n",
       "f.yml:2:3: unknown field \"path\" in storage"},
      {"global: [\n", nullptr},  // YAML syntax: checked below
  };
  for (const auto& c : cases) {
    Result<Config> r = LoadConfig(c.text, "f.yml");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    if (c.error != nullptr) {
      EXPECT_EQ(r.status().message(), c.error) << c.text;
    } else {
      EXPECT_EQ(r.status().message().rfind("f.yml:", 0), 0u)
          << r.status().message();
      EXPECT_NE(r.status().message().find("yaml: "), std::string::npos)
          << r.status().message();
    }
  }
}

TEST(ConfigTest, LoadConfigFile) {
  Result<Config> missing = LoadConfigFile("/nonexistent/vigil.yml");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  const auto dir = std::filesystem::temp_directory_path() /
                   ("vigil_config_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "vigil.yml";
  std::ofstream(file) << "scrape_configs:\n  - job_name: x\n"
                         "    bearer_token_file: token\n"
                         "storage:\n  tsdb:\n    path: data2\n";
  Result<Config> c = LoadConfigFile(file.string());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->scrape_configs[0].http_client_config.authorization.has_value());
  EXPECT_EQ(c->scrape_configs[0].http_client_config.authorization->credentials_file,
            (dir / "token").string());
  EXPECT_EQ(c->storage.path, (dir / "data2").string());
  std::ofstream(file) << "global:\n  bogus: 1\n";
  c = LoadConfigFile(file.string());
  EXPECT_EQ(c.status().message(),
            file.string() + ":2:3: unknown field \"bogus\" in global");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil::daemon

namespace vigil::daemon {
namespace {

TEST(ConfigTest, LoggingAndLogPatterns) {
  Result<Config> c = LoadConfig(R"(logging:
  level: warn
  levels: {vigil.rules: debug}
  console: none
  file: {path: logs/vigil.log, max_size: 10MB, max_files: 3}
  overflow: drop
  queue_size: 64KB
log_patterns:
  - name: errors
    pattern: 'ERROR|FATAL'
    severity: critical
    threshold: 5
    window: 5m
    files: [app.log]
    self: true
    labels: {team: ml}
slo_files: [slo/*.yml]
)",
                                "/etc/vigil/vigil.yml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->logging.level, logging::Level::kWarn);
  ASSERT_EQ(c->logging.levels.size(), 1u);
  EXPECT_EQ(c->logging.levels[0].second, logging::Level::kDebug);
  EXPECT_EQ(c->logging.console, "none");
  EXPECT_EQ(c->logging.file, "/etc/vigil/logs/vigil.log");
  EXPECT_EQ(c->logging.file_max_bytes, 10u << 20);
  EXPECT_EQ(c->logging.file_max_files, 3u);
  EXPECT_EQ(c->logging.overflow, logging::Overflow::kDrop);
  EXPECT_EQ(c->logging.queue_bytes, 64u << 10);
  ASSERT_EQ(c->log_patterns.size(), 1u);
  const auto& p = c->log_patterns[0];
  EXPECT_EQ(p.rule.threshold, 5u);
  EXPECT_EQ(p.rule.window, std::chrono::minutes(5));
  EXPECT_EQ(p.rule.sources,
            (std::vector<std::string>{"/etc/vigil/app.log", std::string(kSelfLogSource)}));
  EXPECT_EQ(p.labels.Get("team"), "ml");
  EXPECT_EQ(c->slo_files, std::vector<std::string>{"/etc/vigil/slo/*.yml"});
}

TEST(ConfigTest, LoggingAndLogPatternErrorsNameTheirPlace) {
  auto err = [](std::string_view text) {
    Result<Config> c = LoadConfig(text, "v.yml");
    return c.ok() ? std::string("ok") : std::string(c.status().message());
  };
  EXPECT_EQ(err("log_patterns:\n  - name: e\n    pattern: 'ERROR('\n    self: true\n"),
            "v.yml:3:14: log pattern \"e\": invalid regular expression: missing ): ERROR(");
  EXPECT_EQ(err("log_patterns:\n  - name: e\n    pattern: x\n"),
            "v.yml:2:5: log pattern \"e\": needs files to tail or self: true (vigil's own log)");
  EXPECT_EQ(err("log_patterns:\n  - {name: e, pattern: x, self: true, threshold: 0}\n"),
            "v.yml:2:50: log_pattern: threshold must be between 1 and 1048576");
  EXPECT_EQ(err("log_patterns:\n  - {name: e, pattern: x, self: true}\n  - {name: e, pattern: y, self: true}\n"),
            "v.yml:3:5: log pattern \"e\": duplicate name");
  EXPECT_EQ(err("log_patterns:\n  - {name: e, pattern: x, self: true, colour: red}\n"),
            "v.yml:2:39: unknown field \"colour\" in log_pattern");
  EXPECT_EQ(err("logging:\n  level: loud\n"),
            "v.yml:2:10: unknown log level \"loud\" (want trace, debug, info, warn, error, "
            "critical or off)");
  EXPECT_EQ(err("logging:\n  overflow: sometimes\n"),
            "v.yml:2:13: logging.overflow: want block or drop, got \"sometimes\"");
  EXPECT_EQ(err("logging:\n  file: {max_size: 0, path: x}\n"),
            "v.yml:2:20: logging.file.max_size: must be positive");
}

}  // namespace
}  // namespace vigil::daemon
