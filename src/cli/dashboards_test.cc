// `vigil dashboards`: the generated dashboards pass the Grafana model
// checker, their ML queries return data from what the metric sets really
// export (evaluated by vigil's engine over their exposition), the SLO
// dashboards use the record names `vigil slo generate` writes, and the
// checker catches each kind of broken dashboard, naming panel and field.
#include "cli/dashboards.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "anomaly/monitor.h"
#include "base/file.h"
#include "base/test_util.h"
#include "exposition/encoder.h"
#include "exposition/text_parser.h"
#include "model/labels.h"
#include "promql/engine.h"
#include "rules/anomaly_rule.h"
#include "slo/slo.h"
#include "storage/memory_storage.h"
#include "vigil/metrics/registry.h"
#include "vigil/ml/feature_logger.h"
#include "vigil/ml/inference_metrics.h"
#include "vigil/ml/job_tracker.h"
#include "vigil/ml/pipeline_profiler.h"

namespace vigil::cli {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Json = nlohmann::json;

std::string SourceDir() {
  const char* d = std::getenv("VIGIL_SOURCE_DIR");
  return d != nullptr ? d : ".";
}

std::string SloExample() { return SourceDir() + "/tests/testdata/slo/inference.slo.yml"; }

std::vector<Dashboard> Generate(const DashboardOptions& options = {}) {
  Result<std::vector<Dashboard>> d = GenerateDashboards(options);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? *d : std::vector<Dashboard>{};
}

const Dashboard* ByUid(const std::vector<Dashboard>& ds, std::string_view uid) {
  for (const Dashboard& d : ds) {
    if (d.uid == uid) return &d;
  }
  return nullptr;
}

// Every non-row panel of a dashboard (rows here are never collapsed).
std::vector<Json> Panels(const Json& d) {
  std::vector<Json> out;
  for (const Json& p : d["panels"]) {
    if (p["type"] != "row") out.push_back(p);
  }
  return out;
}

const Json* PanelTitled(const std::vector<Json>& panels, std::string_view title) {
  for (const Json& p : panels) {
    if (p["title"] == title) return &p;
  }
  return nullptr;
}

std::vector<std::string> Exprs(const Json& d) {
  std::vector<std::string> out;
  for (const Json& p : Panels(d)) {
    for (const Json& t : p["targets"]) out.push_back(t["expr"]);
  }
  return out;
}

using vigil::testing::Capture;

// --- the generated dashboards ------------------------------------------------

TEST(DashboardsTest, GeneratesValidDashboards) {
  const std::vector<Dashboard> ds = Generate();
  std::vector<std::string> files;
  for (const Dashboard& d : ds) files.push_back(d.file_name);
  EXPECT_THAT(files,
              ElementsAre("vigil-inference.json", "vigil-ml-pipeline.json", "vigil-anomalies.json",
                          "vigil-batch-jobs.json", "vigil-slos.json"));
  for (const Dashboard& d : ds) {
    SCOPED_TRACE(d.file_name);
    EXPECT_THAT(CheckDashboard(d.json), IsEmpty());
    const Json j = Json::parse(d.json);
    EXPECT_EQ(j["uid"], d.uid);
    EXPECT_EQ(d.file_name, d.uid + ".json");
    EXPECT_EQ(j["title"], d.title);
    EXPECT_THAT(d.title, ::testing::StartsWith("vigil / "));
    EXPECT_EQ(j["schemaVersion"], 39);
    EXPECT_EQ(j["editable"], true);
    EXPECT_EQ(j["time"]["from"], "now-1h");
    EXPECT_EQ(j["time"]["to"], "now");
    EXPECT_EQ(j["refresh"], "10s");
    EXPECT_THAT(j["tags"], Contains("vigil"));
    const Json& ds_var = j["templating"]["list"][0];
    EXPECT_EQ(ds_var["name"], "datasource");
    EXPECT_EQ(ds_var["type"], "datasource");
    EXPECT_EQ(ds_var["query"], "prometheus");
    for (const Json& p : Panels(j)) {
      EXPECT_EQ(p["datasource"]["uid"], "${datasource}") << p["title"];
      EXPECT_EQ(p["datasource"]["type"], "prometheus");
      EXPECT_FALSE(p["targets"].empty()) << p["title"];
    }
  }
}

TEST(DashboardsTest, OutputIsStable) {
  const std::vector<Dashboard> a = Generate();
  const std::vector<Dashboard> b = Generate();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].json, b[i].json);
}

TEST(DashboardsTest, HasThePanelsTheSeedsName) {
  const std::vector<Dashboard> ds = Generate();
  const Json inference = Json::parse(ByUid(ds, "vigil-inference")->json);
  const Json pipeline = Json::parse(ByUid(ds, "vigil-ml-pipeline")->json);
  const Json anomalies = Json::parse(ByUid(ds, "vigil-anomalies")->json);
  struct Want {
    const Json* dashboard;
    std::string title;
    std::string type;
    std::string expr_part;  // in the first target's expression
  };
  const std::vector<Want> wants = {
      {&pipeline, "Extraction timing by input type (p50 / p95 / p99)", "timeseries",
       "histogram_quantile(0.5, sum by (le, input_type) "
       "(rate(feature_extraction_duration_seconds_bucket"},
      {&pipeline, "Quality heat map", "heatmap", "feature_quality_score_bucket"},
      {&pipeline, "Encoder comparison: stage latency", "timeseries",
       "pipeline_stage_duration_seconds_bucket"},
      {&pipeline, "Encoder comparison: mean stage time", "bargauge",
       "pipeline_stage_duration_seconds_sum"},
      {&pipeline, "Bottleneck detected", "stat", "pipeline_bottleneck_detected"},
      {&pipeline, "Efficiency score", "gauge", "pipeline_efficiency_score"},
      {&anomalies, "Anomaly rate by severity", "timeseries",
       "sum by (severity) (rate(vigil_anomalies_detected_total"},
      {&anomalies, "Confidence heat map", "heatmap", "vigil_anomaly_confidence_bucket"},
      {&anomalies, "Detection confidence heat map", "heatmap", "detection_confidence_bucket"},
      {&anomalies, "Recent anomalies", "table", "max_over_time(vigil_anomaly{"},
      {&anomalies, "Anomaly score timeline", "timeseries", "vigil_anomaly_score"},
      {&inference, "Throughput", "stat", "frames_processed_total"},
      {&inference, "Error rate", "stat", "status!=\"success\""},
      {&inference, "Inference latency (p50 / p95 / p99)", "timeseries",
       "model_inference_duration_seconds_bucket"},
      {&inference, "Batch size", "timeseries", "model_batch_size_bucket"},
      {&inference, "Queue size", "timeseries", "queue_size"},
      {&inference, "GPU utilisation", "stat", "nvidia_gpu_utilization_percent"},
      {&inference, "GPU utilisation by device", "timeseries", "nvidia_gpu_utilization_percent"},
      {&inference, "GPU memory", "timeseries", "nvidia_gpu_memory_used_bytes"},
      {&inference, "Detection confidence heat map", "heatmap", "detection_confidence_bucket"},
  };
  for (const Want& w : wants) {
    SCOPED_TRACE(w.title);
    const std::vector<Json> panels = Panels(*w.dashboard);
    const Json* p = PanelTitled(panels, w.title);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ((*p)["type"], w.type);
    EXPECT_THAT((*p)["targets"][0]["expr"].get<std::string>(), HasSubstr(w.expr_part));
  }
  // p50, p95 and p99 of extraction timing.
  const std::vector<Json> pipeline_panels = Panels(pipeline);
  const Json* timing =
      PanelTitled(pipeline_panels, "Extraction timing by input type (p50 / p95 / p99)");
  ASSERT_EQ((*timing)["targets"].size(), 3u);
  EXPECT_EQ((*timing)["fieldConfig"]["defaults"]["unit"], "s");
  EXPECT_THAT((*timing)["targets"][2]["expr"].get<std::string>(),
              HasSubstr("histogram_quantile(0.99"));
  // Heat maps ask Grafana for bucket frames.
  const Json* quality = PanelTitled(pipeline_panels, "Quality heat map");
  EXPECT_EQ((*quality)["targets"][0]["format"], "heatmap");
  EXPECT_EQ((*quality)["options"]["calculate"], false);
}

TEST(DashboardsTest, NamespacePrefixesOnlyTheMlMetricSets) {
  DashboardOptions o;
  o.metric_namespace = "vision";
  const std::vector<Dashboard> ds = Generate(o);
  const std::vector<std::string> inference = Exprs(Json::parse(ByUid(ds, "vigil-inference")->json));
  EXPECT_THAT(inference, Contains(HasSubstr("vision_frames_processed_total")));
  EXPECT_THAT(inference, Contains(HasSubstr("sum by (type) (vision_memory_usage_bytes)")));
  EXPECT_THAT(inference, Contains("nvidia_gpu_utilization_percent"));
  EXPECT_THAT(inference, Contains(HasSubstr("rate(node_cpu_seconds_total{")));
  const std::vector<std::string> anomalies = Exprs(Json::parse(ByUid(ds, "vigil-anomalies")->json));
  EXPECT_THAT(anomalies, Contains(HasSubstr("rate(vigil_anomalies_detected_total{")));
  EXPECT_THAT(anomalies, Contains(HasSubstr("rate(vision_detection_confidence_bucket[")));
  const Json jobs = Json::parse(ByUid(ds, "vigil-batch-jobs")->json);
  EXPECT_EQ(jobs["templating"]["list"][1]["definition"],
            "label_values(vision_jobs_total, job_type)");
}

TEST(DashboardsTest, FixedDatasourceUidReplacesTheVariable) {
  DashboardOptions o;
  o.datasource_uid = "vigil-local";
  o.title_prefix = "";
  for (const Dashboard& d : Generate(o)) {
    SCOPED_TRACE(d.file_name);
    const Json j = Json::parse(d.json);
    EXPECT_THAT(d.title, ::testing::Not(HasSubstr("/")));
    for (const Json& v : j["templating"]["list"]) EXPECT_NE(v["type"], "datasource");
    for (const Json& p : Panels(j)) {
      EXPECT_EQ(p["datasource"]["uid"], "vigil-local");
      for (const Json& t : p["targets"]) EXPECT_EQ(t["datasource"]["uid"], "vigil-local");
    }
  }
}

TEST(DashboardsTest, RejectsBadOptions) {
  DashboardOptions o;
  o.metric_namespace = "9vision";
  EXPECT_EQ(GenerateDashboards(o).status().code(), StatusCode::kInvalidArgument);
  o.metric_namespace = "";
  o.datasource_uid = "my data source";
  EXPECT_THAT(std::string(GenerateDashboards(o).status().message()),
              HasSubstr("is not a Grafana UID"));
  o.datasource_uid = "";
  o.slo_files = {"/nonexistent/x.slo.yml"};
  EXPECT_FALSE(GenerateDashboards(o).ok());
}

// --- SLO dashboards ----------------------------------------------------------

TEST(DashboardsTest, SloDashboardReadsTheRulesSloGenerateWrites) {
  Result<slo::SloFile> file = slo::LoadSloFile(SloExample());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  std::set<std::string> records;
  for (const slo::GeneratedGroup& g : slo::GenerateRules(*file)) {
    for (const slo::GeneratedRule& r : g.rules) {
      if (!r.alerting) records.insert(r.name);
    }
  }
  DashboardOptions o;
  o.slo_files = {SloExample()};
  const std::vector<Dashboard> ds = Generate(o);
  const Dashboard* d = ByUid(ds, "vigil-slo-inference-api");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->title, "vigil / SLOs: inference-api");
  const Json j = Json::parse(d->json);

  // Every slo:* series a panel reads is recorded by the generated rules.
  const std::regex name(R"(slo:[a-z_]+:[a-z0-9_]+)");
  std::set<std::string> used;
  for (const std::string& e : Exprs(j)) {
    for (auto it = std::sregex_iterator(e.begin(), e.end(), name); it != std::sregex_iterator();
         ++it) {
      used.insert(it->str());
    }
  }
  EXPECT_FALSE(used.empty());
  for (const std::string& u : used) EXPECT_EQ(records.count(u), 1u) << u;
  EXPECT_EQ(used.count("slo:sli_error:ratio_rate30d"), 1u);
  EXPECT_EQ(used.count("slo:period_error_budget_remaining:ratio"), 1u);
  EXPECT_EQ(used.count("slo:sla_violation:bool"), 1u);

  // One row per SLO, then one of SLAs.
  std::vector<std::string> rows;
  for (const Json& p : j["panels"]) {
    if (p["type"] == "row") rows.push_back(p["title"]);
  }
  EXPECT_THAT(rows, ElementsAre("SLO requests-availability: 99.9% over 30d",
                                "SLO requests-latency: 99% over 30d", "SLAs"));
  // The burn-rate panel shows every window an alert reads.
  const std::vector<Json> panels = Panels(j);
  const Json* burn = PanelTitled(panels, "Burn rate by alert window");
  ASSERT_NE(burn, nullptr);
  EXPECT_EQ((*burn)["targets"].size(), slo::SliWindows(file->slos[0].window).size());
  EXPECT_THAT((*burn)["targets"][0]["expr"].get<std::string>(),
              HasSubstr(R"(slo:sli_error:ratio_rate5m{slo_service="inference-api", )"
                        R"(slo="requests-availability"} / on (slo_service, slo) group_left )"));
  const Json* sli = PanelTitled(panels, "SLI over 30d");
  ASSERT_NE(sli, nullptr);
  EXPECT_EQ((*sli)["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"], 0.999);
  const Json* sla = PanelTitled(panels, "SLA batch_processing_sla: value and threshold");
  ASSERT_NE(sla, nullptr);
  EXPECT_EQ((*sla)["targets"][0]["expr"], "avg_job_duration");
}

TEST(DashboardsTest, ScaledSloWindowsAndLongServiceNames) {
  Result<slo::SloFile> file = slo::ParseSloFile(
      "service: a-very-long-service-name-for-an-inference-fleet.eu\n"
      "slos:\n"
      "  - name: availability\n"
      "    objective: 99.5\n"
      "    window: 7d\n"
      "    sli:\n"
      "      error_ratio:\n"
      "        errors: sum(rate(req_total{code=~\"5..\"}[{{.window}}]))\n"
      "        total: sum(rate(req_total[{{.window}}]))\n",
      "fleet.slo.yml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  Result<Dashboard> d = GenerateSloDashboard(*file, {});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_LE(d->uid.size(), 40u);
  EXPECT_THAT(d->uid, ::testing::StartsWith("vigil-slo-a-very-long"));
  EXPECT_THAT(CheckDashboard(d->json), IsEmpty());
  std::set<std::string> records;
  for (const slo::GeneratedGroup& g : slo::GenerateRules(*file)) {
    for (const slo::GeneratedRule& r : g.rules) records.insert(r.name);
  }
  const std::regex name(R"(slo:sli_error:ratio_rate[0-9a-z]+)");
  for (const std::string& e : Exprs(Json::parse(d->json))) {
    for (auto it = std::sregex_iterator(e.begin(), e.end(), name); it != std::sregex_iterator();
         ++it) {
      EXPECT_EQ(records.count(it->str()), 1u) << it->str();
    }
  }
}

TEST(DashboardsTest, SlaExpressionThatGrafanaWouldRewriteIsAnError) {
  Result<slo::SloFile> file = slo::ParseSloFile(
      "service: api\n"
      "slas:\n"
      "  - name: queue\n"
      "    metric: max(queue_size{queue=~\"in$put\"})\n"
      "    threshold: 100\n",
      "api.slo.yml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  Result<Dashboard> d = GenerateSloDashboard(*file, {});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()),
              AllOf(HasSubstr("api.slo.yml: the dashboard of service \"api\""),
                    HasSubstr("undefined template variable $put")));
}

TEST(DashboardsTest, TwoFilesOfOneServiceAreAnError) {
  DashboardOptions o;
  o.slo_files = {SloExample(), SloExample()};
  Result<std::vector<Dashboard>> d = GenerateDashboards(o);
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("same dashboard uid"));
}

// --- the ML queries against the real metric sets ----------------------------

// The metric sets of one service, driven through ten minutes of fake time
// and scraped every 15 s into memory storage; with them, what the daemon
// exports about anomalies: an anomaly::Monitor's self-metrics (in a
// registry without prefix, as the daemon's) and the series an anomaly rule
// writes (rules/anomaly_rule.h).
class MlFleet {
 public:
  static constexpr int64_t kStepMs = 15000;
  static constexpr int kScrapes = 41;  // 0 .. 10 min

  MlFleet() : registry_({.prefix = "vision"}) {}

  void Run() {
    auto monitor = anomaly::Monitor::Make(
        detectors_, {.detectors = {{"robust_z", {}}}, .metrics = &daemon_registry_});
    ASSERT_TRUE(monitor.ok()) << monitor.status().ToString();
    const model::Labels key = model::Labels::FromPairs({{"model", "owlv2"}});
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE((*monitor)->Observe(key, i * 1000, 1.0 + 0.01 * (i % 7)).ok());
    }
    auto inference = ml::InferenceMetrics::Create(registry_, {.model = "owlv2"});
    ASSERT_TRUE(inference.ok()) << inference.status().ToString();
    ml::PipelineProfilerOptions po;
    po.pipeline = "dual_encoder";
    po.stages = {"visual", "spatial"};
    po.now = [this] { return steady_; };
    auto profiler = ml::PipelineProfiler::Create(registry_, po);
    ASSERT_TRUE(profiler.ok()) << profiler.status().ToString();
    ml::FeatureLoggerOptions fo;
    fo.background_flush = false;
    fo.wall_seconds = [this] { return wall_s_; };
    auto features = ml::FeatureLogger::Create(registry_, fo);
    ASSERT_TRUE(features.ok()) << features.status().ToString();
    ml::JobTrackerOptions jo;
    jo.job_type = "reindex";
    jo.memory_bytes = [] { return int64_t{512} << 20; };
    jo.monotonic_seconds = [this] { return wall_s_; };
    jo.wall_seconds = [this] { return wall_s_; };
    auto jobs = ml::JobTracker::Create(registry_, jo);
    ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();

    for (int i = 0; i < kScrapes; ++i) {
      ml::InferenceMetrics& m = **inference;
      for (int k = 0; k < 3; ++k) m.RecordProcessed(true);
      m.RecordProcessed(false);
      m.RecordDropped("queue_full");
      m.RecordDetection("person", 0.9);
      m.RecordStageLatency("preprocess", 0.01);
      m.RecordStageLatency("inference", 0.05);
      m.RecordInference(0.04, "cuda:0", 8);
      m.SetActiveTracks(3);
      m.RecordTrackCreated();
      m.SetQueueSize("input", 4);
      m.RecordQueueWait("input", 0.002);
      m.SetMemoryUsage(1e9, 2e9);
      m.SetGpuMemoryUsage("cuda:0", 3e9);
      m.RecordError("decoder", "timeout");
      {
        ml::BatchScope batch(**profiler, 8);
        (*profiler)->LogStage("visual", 0.08, 70.0);
        (*profiler)->LogStage("spatial", 0.02, 40.0);
        (*profiler)->LogConnector("visual", "spatial", 0.005);
        (*profiler)->LogCustomTiming("preprocessing", 0.01);
        steady_ += std::chrono::milliseconds(200);
      }
      (*features)->LogExtraction("margherita", 100, 0.05, true);
      (*features)->LogExtraction("margherita", 100, 0.5, false, "decode_error");
      (*features)->LogQuality("margherita", 0.8);
      {
        ml::Job job = (*jobs)->Start();
        wall_s_ += 0.5;
        job.RecordChunk(500, 0.1);
        job.RecordChunk(5000, 0.3);
        job.RecordRetry("timeout");
        ASSERT_TRUE(
            job.Finish(i % 3 == 0 ? ml::JobStatus::kFailed : ml::JobStatus::kCompleted).ok());
      }
      // A spike every minute: findings of every severity over time.
      auto findings = (*monitor)->Observe(key, 200000 + i * kStepMs, i % 4 == 0 ? 50.0 : 1.02);
      ASSERT_TRUE(findings.ok()) << findings.status().ToString();
      Scrape(i * kStepMs);
      wall_s_ += 14.5;
    }
  }

  storage::MemoryStorage& db() { return db_; }
  int64_t end_ms() const { return (kScrapes - 1) * kStepMs; }

 private:
  void Scrape(int64_t t_ms) {
    std::string text;
    exposition::Encode(registry_, exposition::Format::kPrometheusText, &text);
    exposition::Encode(daemon_registry_, exposition::Format::kPrometheusText, &text);
    exposition::TextParser parser(text, exposition::ParseFormat::kPrometheusText);
    auto app = db_.NewAppender();
    const std::string score(rules::kAnomalyScoreMetric), anomaly(rules::kAnomalyMetric);
    ASSERT_TRUE(app->Append(0,
                            model::Labels::FromPairs(
                                {{"__name__", score}, {"anomaly", "latency"}, {"model", "owlv2"}}),
                            t_ms, 0.97)
                    .ok());
    ASSERT_TRUE(app->Append(0,
                            model::Labels::FromPairs({{"__name__", anomaly},
                                                      {"anomaly", "latency"},
                                                      {"model", "owlv2"},
                                                      {"severity", "critical"}}),
                            t_ms, 0.97)
                    .ok());
    for (;;) {
      Result<exposition::TextParser::Entry> e = parser.Next();
      ASSERT_TRUE(e.ok()) << e.status().ToString();
      if (*e == exposition::TextParser::Entry::kEof) break;
      if (*e != exposition::TextParser::Entry::kSample) continue;
      ASSERT_TRUE(app->Append(0, parser.labels(), t_ms, parser.value()).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
  }

  metrics::Registry registry_;
  metrics::Registry daemon_registry_;
  anomaly::Registry detectors_;
  storage::MemoryStorage db_;
  std::chrono::steady_clock::time_point steady_{};
  double wall_s_ = 1.7e9;
};

// Grafana's substitution for a query run over all values of every
// variable.
std::string ForAllValues(std::string expr) {
  static const std::map<std::string, std::string> builtin = {{"__rate_interval", "1m"},
                                                             {"__range", "5m"}};
  static const std::regex var(R"(\$\{?([A-Za-z_]\w*)\}?)");  // not $1: a regex group
  std::string out;
  auto last = expr.cbegin();
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), var); it != std::sregex_iterator();
       ++it) {
    out.append(last, (*it)[0].first);
    auto b = builtin.find((*it)[1].str());
    out += b != builtin.end() ? b->second : ".*";
    last = (*it)[0].second;
  }
  out.append(last, expr.cend());
  return out;
}

// Series the fleet does not export: the collectors' and the SLO rules'.
bool ReadsOtherSeries(const std::string& expr) {
  return expr.find("node_") != std::string::npos || expr.find("nvidia_gpu_") != std::string::npos ||
         expr.find("slo:") != std::string::npos;
}

// Evaluates `expr` over all values of every variable at `t_ms`: a vector
// with at least one series, or a scalar.
void ExpectData(promql::Engine& engine, storage::MemoryStorage& db, const std::string& expr,
                int64_t t_ms) {
  const std::string q = ForAllValues(expr);
  SCOPED_TRACE(q);
  Result<promql::Value> v = engine.InstantQuery(&db, q, t_ms);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  if (const auto* vec = std::get_if<promql::Vector>(&*v)) {
    EXPECT_FALSE(vec->empty()) << "no series: a metric or label name is wrong";
  } else {
    EXPECT_TRUE(std::holds_alternative<promql::Scalar>(*v));
  }
}

TEST(DashboardsTest, MlQueriesReturnDataFromTheRealMetricSets) {
  MlFleet fleet;
  ASSERT_NO_FATAL_FAILURE(fleet.Run());
  DashboardOptions o;
  o.metric_namespace = "vision";
  const std::vector<Dashboard> ds = Generate(o);
  promql::Engine engine;
  int evaluated = 0;
  for (std::string_view uid :
       {"vigil-inference", "vigil-ml-pipeline", "vigil-batch-jobs", "vigil-anomalies"}) {
    const Json j = Json::parse(ByUid(ds, uid)->json);
    for (const Json& p : Panels(j)) {
      for (const Json& t : p["targets"]) {
        const std::string expr = t["expr"];
        if (ReadsOtherSeries(expr)) continue;
        SCOPED_TRACE(std::string(uid) + ": " + p["title"].get<std::string>());
        ExpectData(engine, fleet.db(), expr, fleet.end_ms());
        ++evaluated;
      }
    }
    for (const Json& a : j["annotations"]["list"]) {
      if (a.contains("expr")) ExpectData(engine, fleet.db(), a["expr"], fleet.end_ms());
    }
    // Variables list label values that exist.
    for (const Json& v : j["templating"]["list"]) {
      if (v["type"] != "query") continue;
      const std::string def = v["definition"];
      const std::smatch m = [&] {
        std::smatch r;
        std::regex_match(def, r, std::regex(R"(label_values\((.*), (\w+)\))"));
        return r;
      }();
      ASSERT_EQ(m.size(), 3u) << def;
      if (ReadsOtherSeries(m[1].str())) continue;
      const std::string q = "count by (" + m[2].str() + ") (" + ForAllValues(m[1].str()) + ")";
      SCOPED_TRACE(q);
      Result<promql::Value> r = engine.InstantQuery(&fleet.db(), q, fleet.end_ms());
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      const auto* vec = std::get_if<promql::Vector>(&*r);
      ASSERT_NE(vec, nullptr);
      ASSERT_FALSE(vec->empty());
      EXPECT_FALSE((*vec)[0].metric.Get(m[2].str()).empty());
    }
  }
  EXPECT_GT(evaluated, 60);
}

// The SLO dashboards' queries over the series the generated recording
// rules write (their names and labels, from slo::GenerateRules): vector
// matching (group_left) and label_replace give one series per SLO and
// window.
TEST(DashboardsTest, SloQueriesReturnDataFromTheRecordedSeries) {
  Result<slo::SloFile> file = slo::LoadSloFile(SloExample());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  storage::MemoryStorage db;
  auto app = db.NewAppender();
  for (const slo::GeneratedGroup& g : slo::GenerateRules(*file)) {
    for (const slo::GeneratedRule& r : g.rules) {
      if (r.alerting) continue;
      model::LabelsBuilder b(r.labels);
      b.Set("__name__", r.name);
      const model::Labels labels = b.Build();
      for (int i = 0; i < 20; ++i) ASSERT_TRUE(app->Append(0, labels, i * 15000, 0.001).ok());
    }
  }
  ASSERT_TRUE(app->Commit().ok());
  DashboardOptions o;
  o.slo_files = {SloExample()};
  const std::vector<Dashboard> ds = Generate(o);
  promql::Engine engine;
  int evaluated = 0;
  for (std::string_view uid : {"vigil-slos", "vigil-slo-inference-api"}) {
    const Json j = Json::parse(ByUid(ds, uid)->json);
    for (const Json& p : Panels(j)) {
      for (const Json& t : p["targets"]) {
        const std::string expr = t["expr"];
        if (expr.find("slo:") == std::string::npos) continue;  // the SLA's own expression
        SCOPED_TRACE(std::string(uid) + ": " + p["title"].get<std::string>());
        ExpectData(engine, db, expr, 19 * 15000);
        ++evaluated;
      }
    }
  }
  EXPECT_GT(evaluated, 30);
  // Burn rate by window: one series per SLO and recorded window.
  const std::vector<Json> panels = Panels(Json::parse(ByUid(ds, "vigil-slos")->json));
  const Json* by_window = PanelTitled(panels, "Burn rate by window");
  ASSERT_NE(by_window, nullptr);
  Result<promql::Value> v =
      engine.InstantQuery(&db, ForAllValues((*by_window)["targets"][0]["expr"]), 19 * 15000);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(std::get<promql::Vector>(*v).size(), 2u * 8u);  // 7 alert windows and 30d
}

// --- the checker -------------------------------------------------------------

// A valid dashboard to break: the inference overview.
Json Valid() { return Json::parse(ByUid(Generate(), "vigil-inference")->json); }

// The index in "panels" of the panel titled `title`.
size_t IndexOf(const Json& d, std::string_view title) {
  for (size_t i = 0; i < d["panels"].size(); ++i) {
    if (d["panels"][i]["title"] == title) return i;
  }
  ADD_FAILURE() << "no panel " << title;
  return 0;
}

struct BreakCase {
  std::string name;
  std::function<void(Json&)> edit;
  std::string want;  // a substring of one problem
};

TEST(DashboardsTest, CheckerFindsEachKindOfBreakage) {
  const Json valid = Valid();
  ASSERT_THAT(CheckDashboard(valid.dump()), IsEmpty());
  const size_t thr = IndexOf(valid, "Throughput");  // panel id from its position
  const std::string thr_where =
      "panel " + std::to_string(valid["panels"][thr]["id"].get<int>()) + " \"Throughput\"";
  const size_t lat = IndexOf(valid, "Inference latency (p50 / p95 / p99)");
  const size_t heat = IndexOf(valid, "Inference latency distribution");
  const std::vector<BreakCase> cases = {
      {"unparsable expr",
       [&](Json& d) { d["panels"][thr]["targets"][0]["expr"] = "sum(rate(x[5m])"; },
       thr_where + ": targets[0].expr: 1:16: parse error"},
      {"undefined variable",
       [&](Json& d) { d["panels"][thr]["targets"][0]["expr"] = "sum(x{a=~\"$nosuch\"})"; },
       thr_where + ": targets[0].expr: undefined template variable $nosuch"},
      {"range vector", [&](Json& d) { d["panels"][thr]["targets"][0]["expr"] = "x[5m]"; },
       "gives a range vector, not an instant vector or scalar"},
      {"quantile without le",
       [&](Json& d) {
         d["panels"][lat]["targets"][1]["expr"] =
             "histogram_quantile(0.95, sum by (model) (rate(x_bucket[5m])))";
       },
       "targets[1].expr: histogram_quantile() over an aggregation that drops the le label"},
      {"quantile of no buckets",
       [&](Json& d) {
         d["panels"][lat]["targets"][0]["expr"] = "histogram_quantile(0.95, rate(x_sum[5m]))";
       },
       "histogram_quantile() reads no _bucket series"},
      {"heat map without heatmap format",
       [&](Json& d) { d["panels"][heat]["targets"][0]["format"] = "time_series"; },
       "\"Inference latency distribution\": targets[0]: format: a heat map"},
      {"duplicate refId", [&](Json& d) { d["panels"][lat]["targets"][1]["refId"] = "A"; },
       "targets[1]: refId: \"A\" is used twice"},
      {"duplicate id", [&](Json& d) { d["panels"][lat]["id"] = d["panels"][thr]["id"]; },
       "id: used by another panel"},
      {"missing id", [&](Json& d) { d["panels"][thr].erase("id"); },
       "panels[" + std::to_string(thr) + "]: id: missing"},
      {"overlap", [&](Json& d) { d["panels"][lat]["gridPos"] = d["panels"][thr]["gridPos"]; },
       "gridPos: overlaps " + thr_where},
      {"too wide", [&](Json& d) { d["panels"][thr]["gridPos"]["x"] = 22; },
       thr_where + ": gridPos: x + w = 26 is wider than 24 columns"},
      {"zero width", [&](Json& d) { d["panels"][thr]["gridPos"]["w"] = 0; },
       "gridPos: w: 0 is out of range [1, 24]"},
      {"gridPos type", [&](Json& d) { d["panels"][thr]["gridPos"]["h"] = "5"; },
       "gridPos: h: must be an integer, not a string"},
      {"unknown panel type", [&](Json& d) { d["panels"][thr]["type"] = "sparkline"; },
       thr_where + ": type: \"sparkline\" is not a known Grafana panel type"},
      {"angular panel", [&](Json& d) { d["panels"][thr]["type"] = "graph"; },
       "type: \"graph\" is a deprecated Angular panel"},
      {"unknown unit",
       [&](Json& d) { d["panels"][thr]["fieldConfig"]["defaults"]["unit"] = "seconds"; },
       thr_where + ": fieldConfig.defaults.unit: \"seconds\" is not a Grafana unit"},
      {"misspelt panel field", [&](Json& d) { d["panels"][thr]["fieldconfig"] = Json::object(); },
       "fieldconfig: unknown field"},
      {"missing fieldConfig", [&](Json& d) { d["panels"][thr].erase("fieldConfig"); },
       thr_where + ": fieldConfig: missing"},
      {"thresholds unsorted",
       [&](Json& d) {
         d["panels"][thr]["fieldConfig"]["defaults"]["thresholds"]["steps"] =
             Json::array({{{"color", "green"}, {"value", nullptr}},
                          {{"color", "red"}, {"value", 5}},
                          {{"color", "orange"}, {"value", 1}}});
       },
       "fieldConfig.defaults.thresholds.steps[2]: value: steps must be sorted"},
      {"first threshold not null",
       [&](Json& d) {
         d["panels"][thr]["fieldConfig"]["defaults"]["thresholds"]["steps"][0]["value"] = 0;
       },
       "steps[0]: value: the first step's must be null"},
      {"datasource of no variable",
       [&](Json& d) { d["panels"][thr]["datasource"]["uid"] = "${ds}"; },
       thr_where + ": datasource.uid: \"${ds}\" names no datasource variable"},
      {"datasource as a name", [&](Json& d) { d["panels"][thr]["datasource"] = "Prometheus"; },
       "pre-8.3 form"},
      {"no targets", [&](Json& d) { d["panels"][thr]["targets"] = Json::array(); },
       "targets: a panel with no queries shows nothing"},
      {"missing uid", [&](Json& d) { d.erase("uid"); }, "dashboard: uid: missing"},
      {"bad uid", [&](Json& d) { d["uid"] = "has space"; }, "is not a Grafana UID"},
      {"schemaVersion as string", [&](Json& d) { d["schemaVersion"] = "39"; },
       "dashboard: schemaVersion: must be an integer, not a string"},
      {"old schemaVersion", [&](Json& d) { d["schemaVersion"] = 16; },
       "schemaVersion: 16 is out of range"},
      {"title type", [&](Json& d) { d["title"] = 5; }, "dashboard: title: must be a string"},
      {"misspelt dashboard field", [&](Json& d) { d["pannels"] = d["panels"]; },
       "dashboard: pannels: unknown field"},
      {"time type", [&](Json& d) { d["time"]["from"] = 3600; },
       "dashboard: time: from: must be a string"},
      {"refresh", [&](Json& d) { d["refresh"] = "often"; }, "refresh: \"often\" is not a duration"},
      {"tags",
       [&](Json& d) {
         d["tags"] = Json::array({"ok", 1});
       },
       "tags[1]: must be a string"},
      {"variable selector",
       [&](Json& d) { d["templating"]["list"][1]["query"]["query"] = "label_values(up{, model)"; },
       "templating.list[1] \"model\": query: label_values() selector"},
      {"variable type", [&](Json& d) { d["templating"]["list"][1]["type"] = "dropdown"; },
       "type: \"dropdown\" is not a variable type"},
      {"duplicate variable", [&](Json& d) { d["templating"]["list"][2]["name"] = "model"; },
       "name: used by another variable"},
      {"expanded row with children",
       [&](Json& d) { d["panels"][0]["panels"] = Json::array({d["panels"][thr]}); },
       "panels: an expanded row keeps its panels at the top level"},
      {"override unit",
       [&](Json& d) {
         d["panels"][thr]["fieldConfig"]["overrides"] =
             Json::array({{{"matcher", {{"id", "byName"}, {"options", "x"}}},
                           {"properties", Json::array({{{"id", "unit"}, {"value", "sec"}}})}}});
       },
       "fieldConfig.overrides[0].properties[0].value: \"sec\" is not a Grafana unit"},
  };
  for (const BreakCase& c : cases) {
    SCOPED_TRACE(c.name);
    Json d = valid;
    c.edit(d);
    const std::vector<std::string> problems = CheckDashboard(d.dump());
    EXPECT_THAT(problems, Contains(HasSubstr(c.want)));
    EXPECT_FALSE(ValidateDashboard(d.dump()).ok());
  }
}

TEST(DashboardsTest, CheckerAcceptsGrafanaForms) {
  Json d = Valid();
  const size_t thr = IndexOf(d, "Throughput");
  // Variable spellings Grafana interpolates, regex groups, custom units,
  // refresh turned off, a collapsed row holding its panels.
  d["panels"][thr]["targets"][0]["expr"] =
      "label_replace(sum(rate(x{m=~\"${model:regex}\", s=~\"[[stage]]\"}[${__rate_interval}])), "
      "\"a\", \"$1\", \"b\", \"(.*)\")";
  d["panels"][thr]["fieldConfig"]["defaults"]["unit"] = "suffix:x";
  d["refresh"] = false;
  Json row = d["panels"][0];
  row["collapsed"] = true;
  row["id"] = 999;
  row["gridPos"]["y"] = 500;
  Json child = d["panels"][thr];
  child["id"] = 1000;
  row["panels"] = Json::array({child});
  d["panels"].push_back(row);
  EXPECT_THAT(CheckDashboard(d.dump()), IsEmpty());
}

TEST(DashboardsTest, CheckerRejectsWhatIsNotADashboard) {
  EXPECT_THAT(CheckDashboard("{\"title\": "), ElementsAre(HasSubstr("not valid JSON")));
  EXPECT_THAT(CheckDashboard("[]"), ElementsAre(HasSubstr("must be a JSON object")));
  const std::vector<std::string> empty = CheckDashboard("{}");
  EXPECT_THAT(empty, Contains("dashboard: title: missing"));
  EXPECT_THAT(empty, Contains("dashboard: uid: missing"));
  EXPECT_THAT(empty, Contains("dashboard: schemaVersion: missing"));
  EXPECT_THAT(empty, Contains("dashboard: panels: missing"));
}

// --- the command -------------------------------------------------------------

TEST(DashboardsTest, GenerateWritesEveryDashboardAndCheckAcceptsThem) {
  testing::TempDir dir;
  const std::string out_dir = dir.path() + "/grafana";
  Capture out, err;
  ASSERT_EQ(RunDashboardsCommand({"generate", "--out", out_dir, "--namespace=vision", "--slo",
                                  SloExample(), "--datasource", "vigil"},
                                 out.get(), err.get()),
            0)
      << err.Text();
  const std::string listing = out.Text();
  EXPECT_THAT(listing, HasSubstr(out_dir + "/vigil-inference.json: vigil / Inference overview "
                                           "(uid vigil-inference)"));
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(out_dir)) {
    files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 6u);
  Result<std::string> text = ReadFile(out_dir + "/vigil-slo-inference-api.json");
  ASSERT_TRUE(text.ok());
  EXPECT_THAT(*text, HasSubstr("\"uid\": \"vigil\""));

  std::vector<std::string> args = {"check"};
  args.insert(args.end(), files.begin(), files.end());
  Capture out2, err2;
  EXPECT_EQ(RunDashboardsCommand(args, out2.get(), err2.get()), 0) << out2.Text();
  EXPECT_THAT(out2.Text(), HasSubstr(files[0] + ": ok\n"));
}

TEST(DashboardsTest, CheckReportsABrokenFile) {
  testing::TempDir dir;
  Json d = Valid();
  d["panels"][1]["type"] = "graph";
  const std::string path = dir.path() + "/broken.json";
  ASSERT_TRUE(WriteFileAtomic(path, d.dump()).ok());
  Capture out, err;
  EXPECT_EQ(RunDashboardsCommand({"check", path}, out.get(), err.get()), 1);
  EXPECT_THAT(out.Text(), HasSubstr(path + ": panel 2 \"Throughput\": type: \"graph\""));
  Capture out2, err2;
  EXPECT_EQ(RunDashboardsCommand({"check", dir.path() + "/missing.json"}, out2.get(), err2.get()),
            1);
  EXPECT_THAT(err2.Text(), HasSubstr("missing.json"));
}

TEST(DashboardsTest, UsageErrors) {
  const std::vector<std::vector<std::string>> bad = {{},
                                                     {"render"},
                                                     {"generate", "--bogus"},
                                                     {"generate", "--out"},
                                                     {"generate", "extra"},
                                                     {"generate", "--slo="},
                                                     {"check"}};
  for (const auto& args : bad) {
    Capture out, err;
    EXPECT_EQ(RunDashboardsCommand(args, out.get(), err.get()), 2);
    EXPECT_THAT(err.Text(), HasSubstr("usage: vigil dashboards generate"));
  }
  Capture out, err;
  EXPECT_EQ(RunDashboardsCommand({"generate", "--namespace", "1x", "--out", "/tmp"}, out.get(),
                                 err.get()),
            1);
  EXPECT_THAT(err.Text(), HasSubstr("is not a metric name prefix"));
}

}  // namespace
}  // namespace vigil::cli
