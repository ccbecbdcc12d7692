// Instrumenting an inference loop with vigil: per-stage latency, requests by
// status, batch sizes and queue depth, served on http://127.0.0.1:9464/metrics.
//
//   build/bin/example_inference_loop [seconds]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include "vigil/exporter/exporter.h"
#include "vigil/metrics/process_collector.h"
#include "vigil/metrics/registry.h"
#include "vigil/metrics/scoped_timer.h"

using namespace vigil::metrics;

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 10;
  Registry registry({.prefix = "detector"});
  auto* requests = registry.MustAddCounter({.name = "requests_total",
      .help = "Requests handled.", .label_names = {"model", "status"}});
  auto* latency = registry.MustAddHistogram({.name = "stage_duration_seconds",
      .help = "Time per pipeline stage.", .label_names = {"model", "stage"}},
      *ExponentialBuckets(0.001, 2, 10));
  auto* queue = registry.MustAddGauge({.name = "queue_size", .help = "Waiting requests."});
  (void)registry.Register(std::make_shared<ProcessCollector>());

  auto exporter = vigil::exporter::Exporter::Create({.registry = &registry});
  if (!exporter.ok() || !(*exporter)->Start().ok()) {
    std::fprintf(stderr, "cannot serve metrics on 127.0.0.1:9464\n");
    return 1;
  }
  // Resolve label handles once; the loop only touches lock-free handles.
  Counter ok = requests->WithLabelValues({"owlv2", "success"});
  Counter failed = requests->WithLabelValues({"owlv2", "error"});
  Histogram preprocess = latency->WithLabelValues({"owlv2", "preprocess"});
  Histogram inference = latency->WithLabelValues({"owlv2", "inference"});
  Gauge depth = queue->WithLabelValues({});

  std::mt19937 rng(1);
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    depth.Set(static_cast<double>(rng() % 8));
    {
      ScopedTimer t(preprocess);
      std::this_thread::sleep_for(std::chrono::milliseconds(1 + rng() % 3));
    }
    {
      ScopedTimer t(inference);
      std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % 10));
    }
    (rng() % 50 == 0 ? failed : ok).Inc();
  }
  std::printf("served %.0f requests, p95 inference %.4f s\n", ok.Value() + failed.Value(),
              inference.Quantile(0.95));
  return 0;
}
