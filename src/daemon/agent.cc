// vigil::Agent (include/vigil/agent.h): the daemon's parts, wired together
// and owned by one object, for `vigil run` and for embedding.
#include "vigil/agent.h"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "alertmanager/api.h"
#include "alertmanager/config.h"
#include "alertmanager/manager.h"
#include "base/status_macros.h"
#include "daemon/anomaly_scorers.h"
#include "daemon/am_proxy.h"
#include "daemon/api.h"
#include "daemon/check.h"
#include "daemon/config.h"
#include "daemon/log_patterns.h"
#include "daemon/ui.h"
#include "daemon/web_config.h"
#include "exporter/internal.h"
#include "logging/log_system.h"
#include "notifier/notifier.h"
#include "remote/write_storage.h"
#include "rules/manager.h"
#include "rules/rule_file.h"
#include "scrape/manager.h"
#include "scrape/self_scraper.h"
#include "tsdb/db.h"
#include "vigil/collectors/gpu_collector.h"
#include "vigil/collectors/node_collector.h"
#include "vigil/exporter/exporter.h"
#include "vigil/metrics/process_collector.h"

namespace vigil {
namespace {

using daemon::Config;

// The Alertmanager whose API v2 vigil serves when it has no embedded one.
std::optional<notifier::AlertmanagerConfig> FirstAlertmanager(const Config& c) {
  if (c.alertmanagers.empty()) return std::nullopt;
  return c.alertmanagers.front();
}

// The sinks of the `logging` section.
Result<std::vector<std::shared_ptr<logging::Sink>>> LogSinks(const daemon::LoggingConfig& c) {
  std::vector<std::shared_ptr<logging::Sink>> sinks;
  if (c.console == "stderr") sinks.push_back(logging::ConsoleSink::Stderr());
  if (c.console == "stdout") sinks.push_back(logging::ConsoleSink::Stdout());
  if (!c.file.empty()) {
    VIGIL_ASSIGN_OR_RETURN(auto file, logging::RotatingFileSink::Create(
                                          c.file, c.file_max_bytes, c.file_max_files));
    sinks.push_back(std::move(file));
  }
  return sinks;
}

// Storage figures for vigil's own /metrics.
class TsdbCollector final : public metrics::Collector {
 public:
  explicit TsdbCollector(tsdb::Db* db) : db_(db) {}
  void Collect(std::vector<metrics::FamilySnapshot>* out) override {
    const tsdb::HeadStats s = db_->head().stats();
    auto add = [&](const char* name, const char* help, metrics::MetricType type, double v) {
      metrics::FamilySnapshot f;
      f.name = name;
      f.help = help;
      f.type = type;
      f.metrics.push_back(metrics::MetricSnapshot{.value = v});
      out->push_back(std::move(f));
    };
    using metrics::MetricType;
    add("vigil_tsdb_head_series", "Series in the head.", MetricType::kGauge,
        static_cast<double>(db_->head().num_series()));
    add("vigil_tsdb_head_chunk_bytes", "Encoded bytes of the head's chunks.", MetricType::kGauge,
        static_cast<double>(db_->head().chunk_bytes()));
    add("vigil_tsdb_head_samples_appended_total", "Samples appended.", MetricType::kCounter,
        static_cast<double>(s.samples_appended));
    add("vigil_tsdb_out_of_order_samples_total",
        "Samples rejected as older than their series' newest.", MetricType::kCounter,
        static_cast<double>(s.out_of_order));
    add("vigil_tsdb_duplicate_samples_total",
        "Samples rejected as a second value for a series' newest timestamp.",
        MetricType::kCounter, static_cast<double>(s.duplicates));
    add("vigil_tsdb_head_series_created_total", "Series created.", MetricType::kCounter,
        static_cast<double>(s.series_created));
    add("vigil_tsdb_head_series_removed_total", "Series removed by retention.",
        MetricType::kCounter, static_cast<double>(s.series_removed));
    add("vigil_tsdb_head_chunks_removed_total", "Chunks dropped by retention.",
        MetricType::kCounter, static_cast<double>(s.chunks_removed));
  }

 private:
  tsdb::Db* const db_;
};

// Large blocks -- scrape bodies, WAL records, an appender's batch -- come
// and go with every scrape. glibc raises its mmap threshold after the first
// such free and then serves them from the arenas, where they fragment and
// stay resident. A fixed 1 MiB threshold maps and unmaps them each time
// instead (measured: about a fifth less resident memory at 100k series). An
// explicit MALLOC_MMAP_THRESHOLD_ in the environment wins.
void TuneAllocator() {
#ifdef __GLIBC__
  static std::once_flag once;
  std::call_once(once, [] {
    if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) mallopt(M_MMAP_THRESHOLD, 1 << 20);
  });
#endif
}

// The embedded alert manager's database directory.
std::string AlertmanagerStoragePath(const Config& config, const std::string& tsdb_path) {
  return config.alertmanager.storage_path.empty() ? tsdb_path + "-alertmanager"
                                                  : config.alertmanager.storage_path;
}

// Rule alerts as the embedded alert manager takes them, with the external
// labels they lack (as Prometheus' notifier adds them before sending).
std::vector<alertmanager::Alert> ToAlertmanager(const std::vector<model::Alert>& alerts,
                                                const model::Labels& external) {
  std::vector<alertmanager::Alert> out;
  out.reserve(alerts.size());
  for (const model::Alert& a : alerts) {
    alertmanager::Alert x;
    x.labels = model::WithDefaults(a.labels, external);
    x.annotations = a.annotations;
    x.starts_at = a.starts_at;
    x.ends_at = a.ends_at;
    x.generator_url = a.generator_url;
    out.push_back(std::move(x));
  }
  return out;
}

Result<Config> LoadAgentConfig(const AgentOptions& o) {
  if (!o.config_yaml.empty()) {
    const std::string name = (o.config_dir.empty() ? std::string(".") : o.config_dir) +
                             "/<agent config>";
    return daemon::LoadConfig(o.config_yaml, name);
  }
  if (o.config_file.empty()) {
    return InvalidArgumentError("agent: set config_file or config_yaml");
  }
  return daemon::LoadConfigFile(o.config_file);
}

}  // namespace

struct Agent::Impl {
  AgentOptions options;
  Config config;
  std::string storage_path;
  std::string listen_address;
  std::string external_url;
  bool tls_enabled = false;
  std::optional<http::ServerTlsOptions> started_tls;  // what the server was started with

  std::atomic<logging::Logger*> log{nullptr};
  std::unique_ptr<logging::LogSystem> logs;
  std::vector<std::shared_ptr<logging::Sink>> log_sinks;
  std::unique_ptr<tsdb::Db> db;
  metrics::Registry registry;
  std::shared_ptr<collectors::GpuCollector> gpu;
  std::unique_ptr<remote::WriteStorage> remote_write;
  std::unique_ptr<scrape::ScrapeManager> scrape;
  std::unique_ptr<promql::Engine> engine;
  std::unique_ptr<notifier::Manager> notifier;
  std::unique_ptr<alertmanager::Manager> am;
  std::string am_path;
  std::mutex am_labels_mu;
  model::Labels am_external_labels;  // guarded by am_labels_mu
  std::unique_ptr<daemon::LogPatternAlerts> log_patterns;
  bool log_hooked = false;
  std::unique_ptr<daemon::AnomalyScorers> anomaly_scorers;
  rules::ManagerOptions rule_options;
  std::unique_ptr<rules::Manager> rule_manager;
  std::mutex reload_mu;
  std::stop_source shutdown;
  std::unique_ptr<daemon::Api> api;
  std::unique_ptr<exporter::Exporter> web;
  std::unique_ptr<alertmanager::Api> am_api;
  // Without the embedded alert manager: /api/v2 of the first external one.
  std::unique_ptr<daemon::AlertmanagerProxy> am_proxy;
  std::vector<std::unique_ptr<scrape::SelfScraper>> self_scrapers;

  std::mutex stop_mu;
  std::optional<Status> stopped;  // guarded by stop_mu

  void Log(logging::Level level, const std::string& msg) {
    logging::Logger* l = log.load(std::memory_order_acquire);
    if (l == nullptr) {
      std::fprintf(stderr, "vigil: %s\n", msg.c_str());
      std::fflush(stderr);
      return;
    }
    l->Log(level, msg);
  }
  void Info(const std::string& msg) { Log(logging::Level::kInfo, msg); }
  void Warn(const std::string& msg) { Log(logging::Level::kWarn, msg); }

  Status Init();
  Status DoReload();
  Status DoStop();
};

Status Agent::Impl::Init() {
  VIGIL_ASSIGN_OR_RETURN(config, LoadAgentConfig(options));
  storage_path = options.storage_path.empty() ? config.storage.path : options.storage_path;
  listen_address = !options.listen_address.empty()      ? options.listen_address
                   : !config.web.listen_address.empty() ? config.web.listen_address
                                                        : "127.0.0.1:9090";
  external_url = !options.external_url.empty() ? options.external_url : config.web.external_url;
  std::optional<daemon::WebConfig> web_config;
  if (!config.web.config_file.empty()) {
    VIGIL_ASSIGN_OR_RETURN(web_config, daemon::LoadWebConfigFile(config.web.config_file));
  }

  logs = std::make_unique<logging::LogSystem>(
      logging::LogSystem::Options{.service_name = config.logging.service_name,
                                  .async = config.logging.async,
                                  .queue_bytes = config.logging.queue_bytes,
                                  .overflow = config.logging.overflow});
  VIGIL_ASSIGN_OR_RETURN(log_sinks, LogSinks(config.logging));
  logs->SetSinks(log_sinks);
  logs->SetLevels(config.logging.level, config.logging.levels);
  log.store(&logs->GetLogger("vigil"), std::memory_order_release);

  tsdb::DbOptions dbo;
  dbo.retention = config.storage.retention_time;
  dbo.retention_size_bytes = config.storage.retention_size_bytes;
  dbo.wal_fsync_interval = config.storage.wal_fsync_interval;
  dbo.warning_sink = [this](std::string_view m) { Warn(std::string(m)); };
  VIGIL_ASSIGN_OR_RETURN(db, tsdb::Db::Open(dbo, storage_path));
  const tsdb::RecoveryStats& rec = db->recovery();
  Info("storage " + storage_path + ": recovered " + std::to_string(rec.series) + " series, " +
       std::to_string(rec.chunks) + " chunks and " + std::to_string(rec.samples) +
       " samples in " + std::to_string(rec.seconds) + " s");

  VIGIL_RETURN_IF_ERROR(registry.Register(std::make_shared<TsdbCollector>(db.get())));
  VIGIL_RETURN_IF_ERROR(registry.Register(std::make_shared<metrics::ProcessCollector>()));
  if (config.collectors.node) {
    VIGIL_ASSIGN_OR_RETURN(std::shared_ptr<collectors::NodeCollector> node,
                           collectors::NodeCollector::Create({}));
    VIGIL_RETURN_IF_ERROR(registry.Register(std::move(node)));
  }
  if (config.collectors.gpu) {
    collectors::GpuCollectorOptions go;
    go.library_path = config.collectors.nvml_library;
    go.reporter = [this](std::string_view m) { Info(std::string(m)); };
    gpu = std::make_shared<collectors::GpuCollector>(std::move(go));
    VIGIL_RETURN_IF_ERROR(registry.Register(gpu));
  }

  // remote_write: queues read the WAL from where each remote left off.
  remote::WriteStorageOptions rwo;
  rwo.log = [this](std::string_view m) { Info("remote write: " + std::string(m)); };
  VIGIL_ASSIGN_OR_RETURN(remote_write,
                         remote::WriteStorage::Create(rwo, storage_path + "/wal",
                                                      storage_path + "/remote_write", &registry));
  VIGIL_RETURN_IF_ERROR(
      remote_write->ApplyConfig(config.remote_write, config.global.external_labels));
  remote_write->Start();

  scrape = std::make_unique<scrape::ScrapeManager>(
      scrape::ScrapeManagerOptions{.appendable = db.get(), .registry = &registry});
  VIGIL_RETURN_IF_ERROR(scrape->ApplyConfig(config.scrape_configs));

  promql::EngineOptions eo;
  eo.timeout = options.query_timeout;
  eo.max_samples = options.query_max_samples;
  eo.max_concurrent_queries = options.query_max_concurrency;
  eo.lookback_delta_ms = options.query_lookback_delta.count();
  eo.default_subquery_step_ms = config.global.evaluation_interval.count();
  engine = std::make_unique<promql::Engine>(eo);

  // Alerts to the configured Alertmanagers (API v2).
  notifier::ManagerOptions no;
  no.registry = &registry;
  no.error_reporter = [this](std::string_view m) { Warn(std::string(m)); };
  VIGIL_ASSIGN_OR_RETURN(notifier, notifier::Manager::Create(no));
  VIGIL_RETURN_IF_ERROR(notifier->ApplyConfig(
      {.alertmanagers = config.alertmanagers, .external_labels = config.global.external_labels}));
  notifier->Start();

  // The embedded alert manager, when configured.
  am_external_labels = config.global.external_labels;
  am_path = AlertmanagerStoragePath(config, storage_path);
  tls_enabled = web_config.has_value() && web_config->tls.has_value();
  if (tls_enabled) started_tls = web_config->tls;
  const std::string scheme = tls_enabled ? "https://" : "http://";
  if (config.alertmanager.enabled) {
    VIGIL_ASSIGN_OR_RETURN(alertmanager::Config amc,
                           alertmanager::LoadConfigFile(config.alertmanager.config_file));
    alertmanager::ManagerOptions mo;
    mo.data_dir = am_path;
    mo.external_url = external_url.empty() ? scheme + listen_address : external_url;
    mo.registry = &registry;
    mo.build_receivers = [](const alertmanager::Config& c) {
      return alertmanager::BuildReceivers(c);
    };
    mo.log = [this](std::string_view m) { Info("alertmanager: " + std::string(m)); };
    VIGIL_ASSIGN_OR_RETURN(am, alertmanager::Manager::Create(std::move(mo), std::move(amc)));
    Info("alert manager: " + config.alertmanager.config_file + ", state in " + am_path);
  }

  rules::ManagerOptions& ro = rule_options;
  ro.notify = [this](std::vector<model::Alert> alerts) {
    if (am != nullptr) {
      model::Labels external;
      {
        std::lock_guard lock(am_labels_mu);
        external = am_external_labels;
      }
      Status s = am->PutAlerts(ToAlertmanager(alerts, external), alertmanager::Clock::now());
      if (!s.ok()) Warn("alert manager refused rule alerts: " + s.ToString());
    }
    notifier->Send(std::move(alerts));
  };
  // Log-pattern rules over tailed files and this process's own log.
  log_patterns = std::make_unique<daemon::LogPatternAlerts>(daemon::LogPatternAlertsOptions{
      .state_dir = storage_path + "-logtail",
      .notify = ro.notify,
      .log = [this](std::string_view m) { Info(std::string(m)); },
      .resend_delay = options.rules_resend_delay});
  VIGIL_RETURN_IF_ERROR(log_patterns->Apply(config.log_patterns));
  VIGIL_RETURN_IF_ERROR(registry.Register(log_patterns->Collector()));
  logs->AddSink(std::make_shared<logging::CallbackSink>(
      [lp = log_patterns.get()](logging::Level, std::string_view line) { lp->ScanSelf(line); }));
  log_hooked = true;
  log_patterns->Start();

  ro.appendable = db.get();
  ro.queryable = db.get();
  ro.engine = engine.get();
  ro.external_labels = config.global.external_labels;
  ro.external_url = external_url;
  ro.resend_delay = options.rules_resend_delay;
  ro.for_grace_period = options.rules_for_grace_period;
  ro.outage_tolerance = options.rules_outage_tolerance;
  // Anomaly rules' detectors, their baselines next to the TSDB.
  anomaly_scorers = std::make_unique<daemon::AnomalyScorers>(
      storage_path + "-anomaly", &registry, [this](const std::string& m) { Info(m); });
  ro.anomaly_scorers = anomaly_scorers->Factory();
  rule_manager = std::make_unique<rules::Manager>(ro);
  {
    VIGIL_ASSIGN_OR_RETURN(std::vector<rules::GroupNode> groups, daemon::LoadAllRules(config));
    VIGIL_RETURN_IF_ERROR(rules::CheckAnomalyRules(groups, ro.anomaly_scorers));
    rule_manager->Apply(config.global.evaluation_interval, std::move(groups));
  }

  // In-process registries (created before the API lists them, started last).
  scrape::SelfScraperOptions self;
  self.instance = listen_address;
  self.interval = config.global.scrape_interval;
  self_scrapers.push_back(std::make_unique<scrape::SelfScraper>(&registry, db.get(), self));
  for (const AgentOptions::ScrapedRegistry& r : options.registries) {
    if (r.registry == nullptr || r.job.empty()) {
      return InvalidArgumentError("agent: a scraped registry needs a registry and a job name");
    }
    scrape::SelfScraperOptions so;
    so.job = r.job;
    so.instance = r.instance;
    so.interval = config.global.scrape_interval;
    self_scrapers.push_back(std::make_unique<scrape::SelfScraper>(r.registry, db.get(), so));
  }
  api = std::make_unique<daemon::Api>(daemon::ApiOptions{
      .storage = db.get(),
      .engine = engine.get(),
      .scrape = scrape.get(),
      .shutdown = shutdown.get_token(),
      .extra_targets =
          [this] {
            std::vector<scrape::TargetStatus> out;
            for (const auto& s : self_scrapers) out.push_back(s->target_status());
            return out;
          },
      .rules = rule_manager.get(),
      .reload = [this]() {
        Status st = DoReload();
        if (st.ok()) {
          Info("configuration reloaded");
        } else {
          Warn("reload failed, keeping the running configuration: " + st.ToString());
        }
        return st;
      },
      .log_patterns = log_patterns.get()});

  if (options.serve_http) {
    exporter::ExporterOptions xo;
    xo.listen_address = listen_address;
    xo.registry = &registry;
    // Range queries and match[] lists arrive as form bodies, alerts as JSON
    // arrays (Prometheus sends up to 64 at a time; other senders more).
    xo.max_request_bytes = config.web.max_request_bytes;
    // cpp-httplib gives each kept-alive connection a worker for its
    // lifetime: with fewer workers than concurrent clients (dashboards,
    // Grafana, wrk), connections wait in the queue for seconds. Idle
    // workers cost a parked thread each.
    xo.worker_threads = 64;
    http::ServerOptions so;
    so.rate_limit = {.requests_per_second = config.web.rate_limit_rps,
                     .burst = config.web.rate_limit_burst};
    if (web_config.has_value()) {
      so.tls = web_config->tls;
      so.auth = web_config->auth;
      so.response_headers = web_config->headers;
    }
    so.log = [this](std::string_view msg) { Warn(std::string(msg)); };
    VIGIL_ASSIGN_OR_RETURN(web, exporter::internal::ExporterAccess::Create(xo, so));
    http::Server& server = exporter::internal::ExporterAccess::server(*web);
    api->Register(&server);
    daemon::RegisterUi(&server);
    if (am != nullptr) {
      am_api = std::make_unique<alertmanager::Api>(
          alertmanager::ApiOptions{.manager = am.get(), .version = VIGIL_VERSION});
      am_api->Register(&server);
    } else {
      am_proxy = std::make_unique<daemon::AlertmanagerProxy>(daemon::AlertmanagerProxyOptions{
          .log = [this](std::string_view m) { Warn(std::string(m)); }});
      am_proxy->SetTarget(FirstAlertmanager(config), so.auth.enabled());
      am_proxy->Register(&server);
    }
    if (gpu != nullptr) {
      web->AddHealthCheck("gpu", [g = gpu.get()] {
        const collectors::GpuHealth h = g->Health();
        // No GPU is not an unhealthy vigil: the check says why, and passes.
        return exporter::HealthResult{.healthy = true, .details = h.message};
      });
    }
    VIGIL_RETURN_IF_ERROR(web->Start());
    Info("listening on " + scheme + listen_address + " (port " + std::to_string(web->port()) +
         ")");
  }

  for (auto& s : self_scrapers) s->Start();
  Info("scraping " + std::to_string(scrape->Targets().size()) + " targets and " +
       std::to_string(self_scrapers.size()) + " in-process registries");
  return Status::OK();
}

// Everything loads and checks before anything changes.
Status Agent::Impl::DoReload() {
  std::lock_guard lock(reload_mu);
  if (!options.config_yaml.empty()) {
    return FailedPreconditionError("agent: a configuration given as text cannot be re-read");
  }
  VIGIL_ASSIGN_OR_RETURN(Config fresh, daemon::LoadConfigFile(options.config_file));
  VIGIL_ASSIGN_OR_RETURN(std::vector<rules::GroupNode> groups, daemon::LoadAllRules(fresh));
  VIGIL_RETURN_IF_ERROR(rules::CheckAnomalyRules(groups, rule_options.anomaly_scorers));
  if (fresh.alertmanager.enabled != (am != nullptr) ||
      (am != nullptr && AlertmanagerStoragePath(fresh, storage_path) != am_path)) {
    return FailedPreconditionError(
        fresh.filename +
        ": starting, stopping or moving the embedded alert manager (the alertmanager "
        "section, its storage_path) takes a restart");
  }
  std::optional<alertmanager::Config> amc;
  if (am != nullptr) {
    VIGIL_ASSIGN_OR_RETURN(amc, alertmanager::LoadConfigFile(fresh.alertmanager.config_file));
    // Templates and integrations build before anything is applied.
    Result<alertmanager::ReceiverMap> receivers = alertmanager::BuildReceivers(*amc);
    if (!receivers.ok()) {
      return Status(receivers.status().code(), fresh.alertmanager.config_file + ": " +
                                                   std::string(receivers.status().message()));
    }
  }
  // The web-config file: users, tokens and headers apply from now on; TLS
  // is set up at start (its certificate files are re-read by themselves).
  std::optional<daemon::WebConfig> web_config;
  if (!fresh.web.config_file.empty()) {
    VIGIL_ASSIGN_OR_RETURN(web_config, daemon::LoadWebConfigFile(fresh.web.config_file));
  }
  const std::optional<http::ServerTlsOptions> tls =
      web_config.has_value() ? web_config->tls : std::nullopt;
  if (web != nullptr && tls.has_value() != tls_enabled) {
    return FailedPreconditionError(fresh.filename +
                                   ": turning TLS on or off (web.config_file's "
                                   "tls_server_config) takes a restart");
  }
  if (web != nullptr && tls != started_tls) {
    Warn("web config: tls_server_config changed; it applies at the next restart (new contents "
         "of the same certificate files apply at once)");
  }
  VIGIL_RETURN_IF_ERROR(log_patterns->Apply(fresh.log_patterns));
  logs->SetLevels(fresh.logging.level, fresh.logging.levels);
  VIGIL_RETURN_IF_ERROR(scrape->ApplyConfig(fresh.scrape_configs));
  VIGIL_RETURN_IF_ERROR(notifier->ApplyConfig(
      {.alertmanagers = fresh.alertmanagers, .external_labels = fresh.global.external_labels}));
  VIGIL_RETURN_IF_ERROR(
      remote_write->ApplyConfig(fresh.remote_write, fresh.global.external_labels));
  rule_manager->SetExternal(fresh.global.external_labels, external_url);
  if (am != nullptr) {
    VIGIL_RETURN_IF_ERROR(am->ApplyConfig(*std::move(amc)));
    std::lock_guard labels_lock(am_labels_mu);
    am_external_labels = fresh.global.external_labels;
  }
  rule_manager->Apply(fresh.global.evaluation_interval, std::move(groups));
  // Access last, after every step that can fail: a refused reload keeps
  // the running users and tokens.
  const http::AuthOptions auth = web_config.has_value() ? web_config->auth : http::AuthOptions{};
  if (web != nullptr) {
    exporter::internal::ExporterAccess::server(*web).SetAccess(
        auth, web_config.has_value() ? web_config->headers
                                     : std::vector<std::pair<std::string, std::string>>{});
  }
  if (am_proxy != nullptr) am_proxy->SetTarget(FirstAlertmanager(fresh), auth.enabled());
  return Status::OK();
}

Status Agent::Impl::DoStop() {
  shutdown.request_stop();  // running queries end with "canceled"
  if (rule_manager != nullptr) rule_manager->Stop();
  if (notifier != nullptr) notifier->Stop();  // delivers what is queued, for a few seconds at most
  for (auto& s : self_scrapers) s->Stop();
  if (scrape != nullptr) scrape->Stop();
  if (web != nullptr) web->Stop();
  if (am != nullptr) am->Stop();  // flushes in progress finish
  if (log_hooked) {
    // The log stops feeding the pattern rules before they go.
    logs->SetSinks(log_sinks);
    log_hooked = false;
  }
  if (log_patterns != nullptr) log_patterns->Stop();
  // Everything written is in the WAL now: remote write sends what it can
  // (its progress is saved, so a restart resumes from there).
  if (remote_write != nullptr) remote_write->Stop(std::chrono::seconds(10));
  Status st = db != nullptr ? db->Close() : Status::OK();
  if (st.ok()) {
    Info("stopped; storage closed");
  } else {
    Warn("stopped; closing the storage failed: " + st.ToString());
  }
  return st;
}

Agent::Agent(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Agent::~Agent() {
  Status ignored = Stop();
  (void)ignored;
  impl_->log.store(nullptr, std::memory_order_release);
}

Result<std::unique_ptr<Agent>> Agent::Start(AgentOptions options) {
  TuneAllocator();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  // Half-started parts stop in the destructor as after a full start.
  std::unique_ptr<Agent> agent(new Agent(std::move(impl)));
  Status st = agent->impl_->Init();
  if (!st.ok()) {
    Status ignored = agent->Stop();  // the start's error is the one to report
    (void)ignored;
    return st;
  }
  return agent;
}

Status Agent::Reload() {
  Status st = impl_->DoReload();
  if (st.ok()) {
    impl_->Info("configuration reloaded");
  } else {
    impl_->Warn("reload failed, keeping the running configuration: " + st.ToString());
  }
  return st;
}

Status Agent::Stop() {
  std::lock_guard lock(impl_->stop_mu);
  if (!impl_->stopped.has_value()) impl_->stopped = impl_->DoStop();
  return *impl_->stopped;
}

int Agent::port() const { return impl_->web != nullptr ? impl_->web->port() : 0; }

std::string Agent::url() const {
  if (impl_->web == nullptr) return "";
  std::string host = impl_->listen_address.substr(0, impl_->listen_address.rfind(':'));
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  return std::string(impl_->tls_enabled ? "https://" : "http://") + host + ":" + std::to_string(port());
}

Result<std::string> Agent::Query(const std::string& expr) {
  http::Request req;
  req.method = "GET";
  req.path = "/api/v1/query";
  req.params.emplace("query", expr);
  req.header = [](const std::string&) { return std::string(); };
  http::Response res;
  impl_->api->Query(req, &res);
  if (res.status != 200) {
    return InvalidArgumentError("query \"" + expr + "\": " + res.body);
  }
  return res.body;
}

}  // namespace vigil
