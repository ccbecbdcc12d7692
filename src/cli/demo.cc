#include "cli/demo.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "vigil/agent.h"
#include "vigil/metrics/registry.h"
#include "vigil/ml/feature_logger.h"
#include "vigil/ml/inference_metrics.h"
#include "vigil/ml/pipeline_profiler.h"

namespace vigil::cli {
namespace {

std::atomic<bool> g_stop{false};

// The configuration the demo's agent runs with. Rules follow the seeds'
// (002's HighInferenceLatency and HighErrorRate, 000's bottleneck, slow
// extraction and feature anomaly alerts) on the ML metric sets' names, with
// windows short enough for a demo.
constexpr const char* kVigilYml = R"(# vigil demo configuration (written by `vigil demo`).
global:
  scrape_interval: 5s
  evaluation_interval: 5s
  external_labels: {env: demo}
storage:
  tsdb:
    path: data
    retention: {time: 1d}
rule_files: [rules/*.yml]
slo_files: [slo.yml]
alertmanager:
  config_file: alertmanager.yml
log_patterns:
  - name: ServiceErrorLogs
    pattern: 'ERROR|FATAL|CRITICAL'
    severity: warning
    threshold: 5
    window: 1m
    files: [service.log]
    annotations: {summary: 'The inference service is logging errors'}
logging:
  console: stderr
  file: {path: vigil.log, max_size: 10MB, max_files: 2}
collectors: {node: true, gpu: true}
)";

constexpr const char* kAlertRules = R"(# The seeds' alert rules on the demo service's metrics.
groups:
  - name: inference
    rules:
      - alert: HighInferenceLatency
        expr: |
          sum by (model) (rate(model_inference_duration_seconds_sum[1m]))
            / sum by (model) (rate(model_inference_duration_seconds_count[1m])) > 0.1
        for: 30s
        labels: {severity: warning}
        annotations:
          summary: High inference latency
          description: 'Model {{ $labels.model }} mean inference time is {{ $value | humanizeDuration }}'
      - alert: HighErrorRate
        expr: |
          sum by (model) (rate(frames_processed_total{status="failure"}[1m]))
            / sum by (model) (rate(frames_processed_total[1m])) > 0.05
        for: 30s
        labels: {severity: critical}
        annotations:
          summary: High error rate
          description: 'Error rate {{ $value | humanizePercentage }} for {{ $labels.model }}'
      - alert: DualEncoderBottleneck
        expr: max by (pipeline, stage) (pipeline_bottleneck_detected) == 1
        for: 30s
        labels: {severity: warning}
        annotations:
          summary: 'Pipeline {{ $labels.pipeline }} is bottlenecked on {{ $labels.stage }}'
      - alert: SlowFeatureExtraction
        expr: |
          histogram_quantile(0.95,
            sum by (le, input_type) (rate(feature_extraction_duration_seconds_bucket[1m]))) > 0.2
        for: 30s
        labels: {severity: warning}
        annotations:
          summary: 'Slow feature extraction for {{ $labels.input_type }}'
  - name: anomalies
    rules:
      - anomaly: inference_latency
        expr: |
          sum by (model) (rate(model_inference_duration_seconds_sum[30s]))
            / sum by (model) (rate(model_inference_duration_seconds_count[30s]))
        detector: robust_z
        params: {min_points: 6}
        severity: {high: 0.8, critical: 0.95}
      - anomaly: embedding_norm
        expr: feature_embedding_norm
        detector: robust_z
        params: {min_points: 6}
        severity: {high: 0.8, critical: 0.95}
      - alert: CriticalFeatureAnomaly
        expr: vigil_anomaly{anomaly="embedding_norm", severity=~"high|critical"}
        labels: {severity: critical}
        annotations:
          summary: 'Anomalous {{ $labels.input_type }} features (score {{ $value }})'
      - alert: LatencyAnomaly
        expr: vigil_anomaly{anomaly="inference_latency", severity=~"high|critical"}
        labels: {severity: warning}
        annotations:
          summary: '{{ $labels.model }} latency is anomalous'
)";

constexpr const char* kSlo = R"(# The demo service's availability SLO (docs/formats/slo.md).
service: demo-detector
slos:
  - name: frames-availability
    description: Frames processed without a failure.
    objective: 99
    window: 1d
    sli:
      error_ratio:
        errors: sum(rate(frames_processed_total{status="failure"}[{{.window}}]))
        total: sum(rate(frames_processed_total[{{.window}}]))
    alerting:
      name: FramesAvailabilityBudgetBurn
)";

constexpr const char* kAlertmanagerYml = R"(# Alerts of the demo go to vigil's log.
route:
  receiver: log
  group_by: [alertname]
  group_wait: 5s
  group_interval: 30s
  repeat_interval: 1h
receivers:
  - name: log
    log_configs:
      - level: warn
)";

Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return UnavailableError("cannot write " + path.string());
  return Status::OK();
}

// Where the incident timeline stands (seconds into the current cycle).
struct Phase {
  bool latency_spike;   // [20, 100): the visual encoder slows down 8x
  bool error_burst;     // [30, 110): 15 % of frames fail, errors logged
  bool bad_features;    // [40, 95): embedding norms jump 8x, extraction slows 12x
};

Phase PhaseAt(double t, double cycle) {
  const double s = std::fmod(t, cycle);
  return {s >= 20 && s < 100, s >= 30 && s < 110, s >= 40 && s < 95};
}

struct Service {
  std::unique_ptr<ml::InferenceMetrics> inference;
  std::unique_ptr<ml::PipelineProfiler> profiler;
  std::unique_ptr<ml::FeatureLogger> features;
  std::mutex log_mu;
  std::ofstream log;  // guarded by log_mu
  std::chrono::steady_clock::time_point start;
  double cycle_s = 240;

  void LogLine(const char* level, const std::string& msg) {
    std::time_t now = std::time(nullptr);
    char ts[32];
    std::strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    std::lock_guard lock(log_mu);
    log << ts << " " << level << " " << msg << "\n";
    log.flush();
  }
};

void Worker(Service& svc, int id) {
  std::mt19937_64 rng(static_cast<uint64_t>(id) * 7919 + 17);
  std::lognormal_distribution<double> jitter(0, 0.25);
  std::normal_distribution<double> norm(1.0, 0.05);
  std::uniform_real_distribution<double> unit(0, 1);
  const char* classes[] = {"person", "car", "bicycle"};
  const char* inputs[] = {"margherita", "pepperoni"};
  std::vector<ml::InferenceMetrics::ClassHandle> cls;
  for (const char* c : classes) cls.push_back(svc.inference->ForClass(c));
  const ml::PipelineProfiler::Stage visual = svc.profiler->GetStage("visual_encoder");
  const ml::PipelineProfiler::Stage text = svc.profiler->GetStage("spatial_encoder");
  const ml::PipelineProfiler::Connector fuse =
      svc.profiler->GetConnector("visual_encoder", "spatial_encoder");
  uint64_t n = 0;
  while (!g_stop.load(std::memory_order_relaxed)) {
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - svc.start)
                         .count();
    const Phase ph = PhaseAt(t, svc.cycle_s);
    // One frame through the pipeline; durations are simulated, not slept.
    const double pre = 0.004 * jitter(rng);
    const double vis = 0.020 * jitter(rng) * (ph.latency_spike ? 8 : 1);
    const double spa = 0.016 * jitter(rng);
    const double post = 0.003 * jitter(rng);
    svc.inference->RecordStageLatency("preprocess", pre);
    svc.inference->RecordStageLatency("inference", vis + spa);
    svc.inference->RecordStageLatency("postprocess", post);
    svc.inference->RecordInference(vis + spa, "cuda:0", 1 + static_cast<int64_t>(rng() % 8));
    svc.profiler->LogStage(visual, vis, 55 + 30 * unit(rng));
    svc.profiler->LogStage(text, spa, 40 + 20 * unit(rng));
    svc.profiler->LogConnector(fuse, 0.002 * jitter(rng));
    const char* input = inputs[n % 2];
    const double extraction = 0.03 * jitter(rng) * (ph.bad_features ? 12 : 1);
    svc.features->LogExtraction(input, 512, extraction, /*success=*/true);
    svc.features->LogQuality(input, std::clamp(ph.bad_features ? 0.35 + 0.2 * unit(rng)
                                                               : 0.85 + 0.1 * unit(rng),
                                               0.0, 1.0));
    if (n % 25 == 0) {
      const double embedding = norm(rng) * (ph.bad_features ? 8.0 : 1.0);
      Status s = svc.features->LogCustomMetric("feature_embedding_norm", embedding,
                                               {{"input_type", input}});
      (void)s;  // the label names never change, so this cannot fail
    }
    const bool failed = unit(rng) < (ph.error_burst ? 0.15 : 0.002);
    svc.inference->RecordProcessed(!failed);
    if (failed) {
      svc.inference->RecordError("inference", "cuda_oom");
      svc.features->LogError(input, "decode_error");
      svc.LogLine("ERROR", "inference failed: CUDA out of memory (frame " + std::to_string(n) +
                               ", worker " + std::to_string(id) + ")");
    } else {
      const int dets = static_cast<int>(rng() % 4);
      for (int d = 0; d < dets; ++d) {
        cls[rng() % cls.size()].RecordDetection(
            std::clamp(ph.bad_features ? 0.2 + 0.4 * unit(rng) : 0.6 + 0.4 * unit(rng), 0.0,
                       1.0));
      }
    }
    svc.inference->SetQueueSize("frames", static_cast<double>(rng() % (ph.latency_spike ? 40 : 5)));
    ++n;
    // About 25 frames a second per worker.
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
}

}  // namespace

Status RunDemo(const DemoOptions& options) {
  namespace fs = std::filesystem;
  std::string dir = options.dir;
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                       "/vigil-demo-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      return UnavailableError("cannot create a directory like " + tmpl);
    }
    dir = tmpl;
  }
  const fs::path root(dir);
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"vigil.yml", kVigilYml},
           {"rules/demo.rules.yml", kAlertRules},
           {"slo.yml", kSlo},
           {"alertmanager.yml", kAlertmanagerYml}}) {
    Status st = WriteFile(root / name, text);
    if (!st.ok()) return st;
  }

  metrics::Registry registry;
  Service svc;
  svc.cycle_s = options.cycle_s > 0 ? options.cycle_s : 240;
  auto inference = ml::InferenceMetrics::Create(registry, {.model = "detector"});
  if (!inference.ok()) return inference.status();
  svc.inference = std::move(inference).value();
  auto profiler = ml::PipelineProfiler::Create(
      registry, {.pipeline = "dual_encoder", .stages = {"visual_encoder", "spatial_encoder"}});
  if (!profiler.ok()) return profiler.status();
  svc.profiler = std::move(profiler).value();
  auto features = ml::FeatureLogger::Create(registry, {});
  if (!features.ok()) return features.status();
  svc.features = std::move(features).value();
  svc.log.open(root / "service.log", std::ios::app);
  if (!svc.log) return UnavailableError("cannot open " + (root / "service.log").string());
  svc.inference->SetGpuMemoryUsage("cuda:0", 6.2e9);

  // Signals go to this thread's sigwait; block them before the agent's
  // threads start so that they inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  AgentOptions ao;
  ao.config_file = (root / "vigil.yml").string();
  ao.listen_address = options.listen_address;
  ao.registries.push_back({.registry = &registry, .job = "inference", .instance = "demo"});
  Result<std::unique_ptr<Agent>> agent = Agent::Start(ao);
  if (!agent.ok()) return agent.status();
  const std::string url = (*agent)->url();
  std::printf("vigil demo: a simulated inference service monitored by vigil\n");
  std::printf("  UI          %s/\n", url.c_str());
  std::printf("  alerts      %s/alerts   (firing within about two minutes)\n", url.c_str());
  std::printf("  anomalies   %s/anomalies\n", url.c_str());
  std::printf("  API         %s/api/v1/query?query=up\n", url.c_str());
  std::printf("  files       %s (vigil.yml, rules/, service.log, vigil.log, data/)\n",
              dir.c_str());
  std::printf("  alerts are delivered to the log receiver: watch stderr or vigil.log\n");
  std::fflush(stdout);

  svc.start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int i = 0; i < std::max(1, options.workers); ++i) {
    workers.emplace_back(Worker, std::ref(svc), i);
  }
  const bool bounded = options.duration_s > 0;
  const auto deadline = svc.start + std::chrono::milliseconds(
                                        static_cast<int64_t>(options.duration_s * 1000));
  while (!g_stop.load() && (!bounded || std::chrono::steady_clock::now() < deadline)) {
    timespec wait{1, 0};
    const int sig = sigtimedwait(&signals, nullptr, &wait);
    if (sig == SIGINT || sig == SIGTERM) break;
    svc.profiler->DetectBottlenecks();
    svc.profiler->EfficiencyScore();
  }
  g_stop.store(true);
  for (auto& w : workers) w.join();
  std::printf("vigil demo: stopping; files kept in %s\n", dir.c_str());
  return (*agent)->Stop();
}

}  // namespace vigil::cli
