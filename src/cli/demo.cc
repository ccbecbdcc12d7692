#include "cli/demo.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "vigil/exporter/exporter.h"
#include "vigil/metrics/process_collector.h"
#include "vigil/metrics/registry.h"
#include "vigil/metrics/scoped_timer.h"

namespace vigil::cli {

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

// The pipeline's metric set (seed 001's vision metrics, trimmed).
struct PipelineMetrics {
  explicit PipelineMetrics(metrics::Registry& r)
      : requests(r.MustAddCounter({.name = "requests_total",
                                   .help = "Inference requests handled, by model and status.",
                                   .label_names = {"model", "status"}})),
        errors(r.MustAddCounter({.name = "errors_total",
                                 .help = "Errors by pipeline component.",
                                 .label_names = {"component"}})),
        detections(r.MustAddCounter({.name = "detections_total",
                                     .help = "Objects detected, by model and class.",
                                     .label_names = {"model", "class"}})),
        stage_latency(r.MustAddHistogram(
            {.name = "stage_duration_seconds",
             .help = "Time spent in each pipeline stage.",
             .label_names = {"model", "stage"}},
            *metrics::ExponentialBuckets(0.001, 2, 12))),
        confidence(r.MustAddHistogram({.name = "detection_confidence",
                                       .help = "Detection confidence scores.",
                                       .label_names = {"model", "class"}},
                                      *metrics::LinearBuckets(0.1, 0.1, 9))),
        batch_size(r.MustAddHistogram({.name = "batch_size",
                                       .help = "Requests per inference batch.",
                                       .label_names = {"model"}},
                                      {1, 2, 4, 8, 16, 32})),
        request_latency(r.MustAddSummary({.name = "request_duration_seconds",
                                          .help = "End-to-end request latency.",
                                          .label_names = {"model"}},
                                         {.quantiles = {0.5, 0.9, 0.99},
                                          .max_age = std::chrono::seconds(60),
                                          .age_buckets = 5})),
        queue_size(r.MustAddGauge({.name = "queue_size",
                                   .help = "Requests waiting for a worker.",
                                   .label_names = {"model"}})),
        gpu_memory(r.MustAddGauge({.name = "gpu_memory_used_bytes",
                                   .help = "Simulated GPU memory in use.",
                                   .label_names = {"device"}})) {}

  metrics::Family<metrics::Counter>* requests;
  metrics::Family<metrics::Counter>* errors;
  metrics::Family<metrics::Counter>* detections;
  metrics::Family<metrics::Histogram>* stage_latency;
  metrics::Family<metrics::Histogram>* confidence;
  metrics::Family<metrics::Histogram>* batch_size;
  metrics::Family<metrics::Summary>* request_latency;
  metrics::Family<metrics::Gauge>* queue_size;
  metrics::Family<metrics::Gauge>* gpu_memory;
};

void Worker(PipelineMetrics& m, int id, std::chrono::steady_clock::time_point deadline,
            bool bounded) {
  std::mt19937_64 rng(static_cast<uint64_t>(id) * 7919 + 1);
  std::lognormal_distribution<double> latency(-4.0, 0.5);  // ~18 ms median
  std::uniform_real_distribution<double> unit(0, 1);
  const char* models[] = {"owlv2", "yolov8"};
  const char* classes[] = {"person", "car", "bicycle"};
  const char* stages[] = {"preprocess", "inference", "postprocess"};
  // Handles resolved once: the hot path below never looks labels up.
  metrics::Counter ok[2], failed[2];
  metrics::Histogram stage[2][3], batch[2];
  metrics::Summary e2e[2];
  metrics::Gauge queue[2];
  for (int i = 0; i < 2; ++i) {
    ok[i] = m.requests->WithLabelValues({models[i], "success"});
    failed[i] = m.requests->WithLabelValues({models[i], "error"});
    for (int s = 0; s < 3; ++s) stage[i][s] = m.stage_latency->WithLabelValues({models[i], stages[s]});
    batch[i] = m.batch_size->WithLabelValues({models[i]});
    e2e[i] = m.request_latency->WithLabelValues({models[i]});
    queue[i] = m.queue_size->WithLabelValues({models[i]});
  }
  uint64_t n = 0;
  while (!g_stop.load(std::memory_order_relaxed) &&
         (!bounded || std::chrono::steady_clock::now() < deadline)) {
    const int mi = static_cast<int>(n++ % 2);
    // Every ~30 s a latency spike and an error burst, as a real service shows.
    const auto phase = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count() % 30;
    const bool incident = phase < 5;
    double total = 0;
    for (int s = 0; s < 3; ++s) {
      double d = latency(rng) * (s == 1 ? 3 : 1) * (incident && s == 1 ? 4 : 1);
      total += d;
      char trace[17];
      std::snprintf(trace, sizeof(trace), "%016llx", static_cast<unsigned long long>(rng()));
      stage[mi][s].ObserveWithExemplar(d, {{"trace_id", trace}});
    }
    e2e[mi].Observe(total);
    batch[mi].Observe(static_cast<double>(1 + rng() % 16));
    queue[mi].Set(static_cast<double>(rng() % (incident ? 40 : 5)));
    if (unit(rng) < (incident ? 0.2 : 0.01)) {
      failed[mi].Inc();
      m.errors->WithLabelValues({unit(rng) < 0.5 ? "inference" : "preprocess"}).Inc();
    } else {
      ok[mi].Inc();
      const int dets = static_cast<int>(rng() % 4);
      for (int d = 0; d < dets; ++d) {
        const char* cls = classes[rng() % 3];
        m.detections->WithLabelValues({models[mi], cls}).Inc();
        m.confidence->WithLabelValues({models[mi], cls}).Observe(0.3 + 0.7 * unit(rng));
      }
    }
    // Serve ~100 requests a second per worker.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

Status RunDemo(const DemoOptions& options) {
  metrics::Registry registry({.prefix = "inference", .const_labels = {{"service", "demo"}}});
  PipelineMetrics m(registry);
  Status st = registry.Register(std::make_shared<metrics::ProcessCollector>());
  if (!st.ok()) return st;
  for (int d = 0; d < 2; ++d) {
    const std::string dev = "cuda:" + std::to_string(d);
    m.gpu_memory->WithLabelValues({dev}).Set(4.0e9 + d * 1.5e9);
  }

  exporter::ExporterOptions eo;
  eo.listen_address = options.listen_address;
  eo.registry = &registry;
  Result<std::unique_ptr<exporter::Exporter>> ex = exporter::Exporter::Create(eo);
  if (!ex.ok()) return ex.status();
  std::atomic<uint64_t> heartbeat{0};
  (*ex)->AddHealthCheck("pipeline", [&heartbeat] {
    return exporter::HealthResult{true, "workers running, " +
                                            std::to_string(heartbeat.load()) + " ticks"};
  });
  st = (*ex)->Start();
  if (!st.ok()) return st;
  std::printf("vigil demo: simulated inference service\n");
  std::printf("  metrics  http://%s/metrics\n", options.listen_address.c_str());
  std::printf("  json     http://%s/metrics.json\n", options.listen_address.c_str());
  std::printf("  health   http://%s/health\n", options.listen_address.c_str());
  std::fflush(stdout);

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  const bool bounded = options.duration_s > 0;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(options.duration_s * 1000));
  std::vector<std::thread> workers;
  for (int i = 0; i < options.workers; ++i) {
    workers.emplace_back(Worker, std::ref(m), i, deadline, bounded);
  }
  while (!g_stop.load() && (!bounded || std::chrono::steady_clock::now() < deadline)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    heartbeat.fetch_add(1);
  }
  g_stop.store(true);
  for (auto& w : workers) w.join();
  (*ex)->Stop();
  return Status::OK();
}

}  // namespace vigil::cli
