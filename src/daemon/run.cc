#include "daemon/run.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>

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
#include "base/file.h"
#include "base/status_macros.h"
#include "daemon/anomaly_scorers.h"
#include "daemon/api.h"
#include "daemon/log_patterns.h"
#include "logging/log_system.h"
#include "slo/slo.h"
#include "templating/template.h"
#include "notifier/notifier.h"
#include "rules/manager.h"
#include "rules/rule_file.h"
#include "daemon/config.h"
#include "exporter/internal.h"
#include "scrape/manager.h"
#include "scrape/self_scraper.h"
#include "tsdb/db.h"
#include "vigil/exporter/exporter.h"
#include "vigil/metrics/process_collector.h"
#include "vigil/metrics/registry.h"

namespace vigil::daemon {
namespace {

// vigil's own log (the `logging` section): set up by Run before anything
// logs; stderr before that.
std::atomic<logging::Logger*> g_log{nullptr};

void Log(const std::string& msg) {
  logging::Logger* log = g_log.load(std::memory_order_acquire);
  if (log == nullptr) {
    std::fprintf(stderr, "vigil: %s\n", msg.c_str());
    std::fflush(stderr);
    return;
  }
  // Failures are warnings; the rest is information.
  const bool bad = msg.find("fail") != std::string::npos ||
                   msg.find("error") != std::string::npos ||
                   msg.find("refused") != std::string::npos;
  log->Log(bad ? logging::Level::kWarn : logging::Level::kInfo, msg);
}

// The sinks of the `logging` section.
Result<std::vector<std::shared_ptr<logging::Sink>>> LogSinks(const LoggingConfig& c) {
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

// Rule groups of the rule files and the SLO files' generated rules.
Result<std::vector<rules::GroupNode>> LoadAllRules(const Config& config) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<rules::GroupNode> groups,
                         rules::LoadRuleFiles(config.rule_files));
  slo::ParseOptions po;
  po.check_template = [](std::string_view name, std::string_view text) -> Status {
    return templating::ParseAlertTemplate(std::string(name), text).status();
  };
  for (const std::string& pattern : config.slo_files) {
    Result<std::vector<std::string>> files_or = ExpandGlob(pattern);
    if (!files_or.ok()) return files_or.status().WithPrefix("slo_files");
    const std::vector<std::string>& files = files_or.value();
    for (const std::string& file : files) {
      VIGIL_ASSIGN_OR_RETURN(slo::SloFile slos, slo::LoadSloFile(file, po));
      VIGIL_ASSIGN_OR_RETURN(std::vector<rules::GroupNode> generated,
                             rules::ParseRuleFile(slo::GenerateRuleFile(slos),
                                                  file + " (generated rules)"));
      for (auto& g : generated) groups.push_back(std::move(g));
    }
  }
  return groups;
}

// Storage figures for vigil's own /metrics.
class TsdbCollector final : public metrics::Collector {
 public:
  explicit TsdbCollector(tsdb::Db* db) : db_(db) {}
  void Collect(std::vector<metrics::FamilySnapshot>* out) override {
    const tsdb::HeadStats s = db_->head().stats();
    auto add = [&](const char* name, const char* help, metrics::MetricType type,
                   double v) {
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
    add("vigil_tsdb_head_chunk_bytes", "Encoded bytes of the head's chunks.",
        MetricType::kGauge, static_cast<double>(db_->head().chunk_bytes()));
    add("vigil_tsdb_head_samples_appended_total", "Samples appended.",
        MetricType::kCounter, static_cast<double>(s.samples_appended));
    add("vigil_tsdb_out_of_order_samples_total",
        "Samples rejected as older than their series' newest.",
        MetricType::kCounter, static_cast<double>(s.out_of_order));
    add("vigil_tsdb_duplicate_samples_total",
        "Samples rejected as a second value for a series' newest timestamp.",
        MetricType::kCounter, static_cast<double>(s.duplicates));
    add("vigil_tsdb_head_series_created_total", "Series created.",
        MetricType::kCounter, static_cast<double>(s.series_created));
    add("vigil_tsdb_head_series_removed_total",
        "Series removed by retention.", MetricType::kCounter,
        static_cast<double>(s.series_removed));
    add("vigil_tsdb_head_chunks_removed_total",
        "Chunks dropped by retention.", MetricType::kCounter,
        static_cast<double>(s.chunks_removed));
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
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) {
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
  }
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

}  // namespace

Status Run(const RunOptions& options) {
  TuneAllocator();
  // Signals are taken synchronously by this thread; every other thread
  // inherits the mask and never sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  VIGIL_ASSIGN_OR_RETURN(Config config, LoadConfigFile(options.config_file));
  logging::LogSystem logs(logging::LogSystem::Options{
      .service_name = config.logging.service_name,
      .async = config.logging.async,
      .queue_bytes = config.logging.queue_bytes,
      .overflow = config.logging.overflow});
  VIGIL_ASSIGN_OR_RETURN(const std::vector<std::shared_ptr<logging::Sink>> log_sinks,
                         LogSinks(config.logging));
  logs.SetSinks(log_sinks);
  logs.SetLevels(config.logging.level, config.logging.levels);
  g_log.store(&logs.GetLogger("vigil"), std::memory_order_release);
  struct ResetLog {
    ~ResetLog() { g_log.store(nullptr, std::memory_order_release); }
  } reset_log;
  const std::string storage_path = options.storage_path.empty()
                                       ? config.storage.path
                                       : options.storage_path;
  tsdb::DbOptions dbo;
  dbo.retention = config.storage.retention_time;
  dbo.retention_size_bytes = config.storage.retention_size_bytes;
  dbo.wal_fsync_interval = config.storage.wal_fsync_interval;
  dbo.warning_sink = [](std::string_view m) { Log(std::string(m)); };
  VIGIL_ASSIGN_OR_RETURN(auto db, tsdb::Db::Open(dbo, storage_path));
  const tsdb::RecoveryStats& rec = db->recovery();
  Log("storage " + storage_path + ": recovered " + std::to_string(rec.series) +
      " series, " + std::to_string(rec.chunks) + " chunks and " +
      std::to_string(rec.samples) + " samples in " +
      std::to_string(rec.seconds) + " s");

  metrics::Registry registry;
  VIGIL_RETURN_IF_ERROR(
      registry.Register(std::make_shared<TsdbCollector>(db.get())));
  VIGIL_RETURN_IF_ERROR(
      registry.Register(std::make_shared<metrics::ProcessCollector>()));

  scrape::ScrapeManager manager({.appendable = db.get(), .registry = &registry});
  VIGIL_RETURN_IF_ERROR(manager.ApplyConfig(config.scrape_configs));

  promql::EngineOptions engine_options = options.query;
  engine_options.default_subquery_step_ms = config.global.evaluation_interval.count();
  promql::Engine engine(engine_options);

  // Alerts to the configured Alertmanagers (API v2).
  notifier::ManagerOptions no;
  no.registry = &registry;
  no.error_reporter = [](std::string_view m) { Log(std::string(m)); };
  VIGIL_ASSIGN_OR_RETURN(auto notifier, notifier::Manager::Create(no));
  VIGIL_RETURN_IF_ERROR(notifier->ApplyConfig(
      {.alertmanagers = config.alertmanagers, .external_labels = config.global.external_labels}));
  notifier->Start();

  // The embedded alert manager, when configured.
  std::unique_ptr<alertmanager::Manager> am;
  std::mutex am_labels_mu;
  model::Labels am_external_labels = config.global.external_labels;  // guarded by am_labels_mu
  const std::string am_path = AlertmanagerStoragePath(config, storage_path);
  if (config.alertmanager.enabled) {
    VIGIL_ASSIGN_OR_RETURN(alertmanager::Config amc,
                           alertmanager::LoadConfigFile(config.alertmanager.config_file));
    alertmanager::ManagerOptions mo;
    mo.data_dir = am_path;
    mo.external_url = options.external_url.empty() ? "http://" + options.listen_address
                                                   : options.external_url;
    mo.registry = &registry;
    mo.build_receivers = [](const alertmanager::Config& c) {
      return alertmanager::BuildReceivers(c);
    };
    mo.log = [](std::string_view m) { Log("alertmanager: " + std::string(m)); };
    VIGIL_ASSIGN_OR_RETURN(am, alertmanager::Manager::Create(std::move(mo), std::move(amc)));
    Log("alert manager: " + config.alertmanager.config_file + ", state in " + am_path);
  }

  rules::ManagerOptions ro;
  ro.notify = [n = notifier.get(), am = am.get(), &am_labels_mu,
               &am_external_labels](std::vector<model::Alert> alerts) {
    if (am != nullptr) {
      model::Labels external;
      {
        std::lock_guard lock(am_labels_mu);
        external = am_external_labels;
      }
      Status s = am->PutAlerts(ToAlertmanager(alerts, external), alertmanager::Clock::now());
      if (!s.ok()) Log("alert manager refused rule alerts: " + s.ToString());
    }
    n->Send(std::move(alerts));
  };
  // Log-pattern rules over tailed files and this process's own log.
  LogPatternAlerts log_patterns({.state_dir = storage_path + "-logtail",
                                 .notify = ro.notify,
                                 .log = [](std::string_view m) { Log(std::string(m)); },
                                 .resend_delay = options.rules_resend_delay});
  VIGIL_RETURN_IF_ERROR(log_patterns.Apply(config.log_patterns));
  VIGIL_RETURN_IF_ERROR(registry.Register(log_patterns.Collector()));
  logs.AddSink(std::make_shared<logging::CallbackSink>(
      [&log_patterns](logging::Level, std::string_view line) { log_patterns.ScanSelf(line); }));
  log_patterns.Start();
  // Before log_patterns goes: the log stops feeding it.
  struct Unhook {
    logging::LogSystem* logs;
    const std::vector<std::shared_ptr<logging::Sink>>* sinks;
    ~Unhook() { logs->SetSinks(*sinks); }
  } unhook{&logs, &log_sinks};
  ro.appendable = db.get();
  ro.queryable = db.get();
  ro.engine = &engine;
  ro.external_labels = config.global.external_labels;
  ro.external_url = options.external_url;
  ro.resend_delay = options.rules_resend_delay;
  ro.for_grace_period = options.rules_for_grace_period;
  ro.outage_tolerance = options.rules_outage_tolerance;
  // Anomaly rules' detectors, their baselines next to the TSDB.
  AnomalyScorers anomaly_scorers(storage_path + "-anomaly", &registry,
                                 [](const std::string& m) { Log(m); });
  ro.anomaly_scorers = anomaly_scorers.Factory();
  rules::Manager rule_manager(ro);
  {
    VIGIL_ASSIGN_OR_RETURN(std::vector<rules::GroupNode> groups, LoadAllRules(config));
    VIGIL_RETURN_IF_ERROR(rules::CheckAnomalyRules(groups, ro.anomaly_scorers));
    rule_manager.Apply(config.global.evaluation_interval, std::move(groups));
  }

  // SIGHUP and POST /-/reload: everything loads before anything changes.
  std::mutex reload_mu;
  auto reload = [&]() -> Status {
    std::lock_guard lock(reload_mu);
    VIGIL_ASSIGN_OR_RETURN(Config fresh, LoadConfigFile(options.config_file));
    VIGIL_ASSIGN_OR_RETURN(std::vector<rules::GroupNode> groups, LoadAllRules(fresh));
    VIGIL_RETURN_IF_ERROR(rules::CheckAnomalyRules(groups, ro.anomaly_scorers));
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
    VIGIL_RETURN_IF_ERROR(log_patterns.Apply(fresh.log_patterns));
    logs.SetLevels(fresh.logging.level, fresh.logging.levels);
    VIGIL_RETURN_IF_ERROR(manager.ApplyConfig(fresh.scrape_configs));
    VIGIL_RETURN_IF_ERROR(notifier->ApplyConfig(
        {.alertmanagers = fresh.alertmanagers, .external_labels = fresh.global.external_labels}));
    rule_manager.SetExternal(fresh.global.external_labels, options.external_url);
    if (am != nullptr) {
      VIGIL_RETURN_IF_ERROR(am->ApplyConfig(*std::move(amc)));
      std::lock_guard lock(am_labels_mu);
      am_external_labels = fresh.global.external_labels;
    }
    rule_manager.Apply(fresh.global.evaluation_interval, std::move(groups));
    return Status::OK();
  };

  std::stop_source shutdown;
  Api api({.storage = db.get(),
           .engine = &engine,
           .scrape = &manager,
           .shutdown = shutdown.get_token(),
           .rules = &rule_manager,
           .reload = [&]() {
             Status st = reload();
             Log(st.ok() ? "configuration reloaded"
                         : "reload failed, keeping the running configuration: " + st.ToString());
             return st;
           }});

  exporter::ExporterOptions eo;
  eo.listen_address = options.listen_address;
  eo.registry = &registry;
  // Range queries and match[] lists arrive as form bodies, alerts as JSON
  // arrays (Prometheus sends up to 64 at a time; other senders more).
  eo.max_request_bytes = 16 << 20;
  eo.worker_threads = 8;
  VIGIL_ASSIGN_OR_RETURN(auto web, exporter::Exporter::Create(eo));
  api.Register(&exporter::internal::ExporterAccess::server(*web));
  std::unique_ptr<alertmanager::Api> am_api;
  if (am != nullptr) {
    am_api = std::make_unique<alertmanager::Api>(
        alertmanager::ApiOptions{.manager = am.get(), .version = VIGIL_VERSION});
    am_api->Register(&exporter::internal::ExporterAccess::server(*web));
  }
  VIGIL_RETURN_IF_ERROR(web->Start());
  Log("listening on " + options.listen_address + " (port " +
      std::to_string(web->port()) + ")");
  scrape::SelfScraperOptions so;
  so.instance = options.listen_address;
  so.interval = config.global.scrape_interval;
  scrape::SelfScraper self(&registry, db.get(), so);
  self.Start();
  Log("scraping " + std::to_string(manager.Targets().size()) +
      " targets; reading " + options.config_file);

  const auto deadline =
      options.duration_s > 0
          ? std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(options.duration_s))
          : std::chrono::steady_clock::time_point::max();
  for (;;) {
    timespec wait{0, 200 * 1000 * 1000};
    int sig = sigtimedwait(&signals, nullptr, &wait);
    if (std::chrono::steady_clock::now() >= deadline) break;
    if (sig == SIGINT || sig == SIGTERM) {
      Log("received signal " + std::to_string(sig) + ", shutting down");
      break;
    }
    if (sig == SIGHUP) {
      Status st = reload();
      Log(st.ok() ? "configuration reloaded"
                  : "reload failed, keeping the running configuration: " + st.ToString());
    }
  }
  shutdown.request_stop();  // running queries end with "canceled"
  rule_manager.Stop();
  notifier->Stop();  // delivers what is queued, for a few seconds at most
  self.Stop();
  manager.Stop();
  web->Stop();
  if (am != nullptr) am->Stop();  // flushes in progress finish
  return db->Close();
}

}  // namespace vigil::daemon
