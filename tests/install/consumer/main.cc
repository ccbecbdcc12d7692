// Uses only the installed headers: registers metrics, serves them, stops.
#include <cstdio>

#include "vigil/collectors/gpu_collector.h"
#include "vigil/collectors/node_collector.h"
#include "vigil/exporter/exporter.h"
#include "vigil/exporter/push.h"
#include "vigil/metrics/registry.h"
#include "vigil/metrics/scoped_timer.h"
#include "vigil/ml/feature_logger.h"
#include "vigil/ml/inference_metrics.h"
#include "vigil/ml/job_tracker.h"
#include "vigil/ml/pipeline_profiler.h"

int main() {
  vigil::metrics::Registry registry({.prefix = "consumer"});
  auto* requests = registry.MustAddCounter(
      {.name = "requests_total", .help = "Requests.", .label_names = {"model"}});
  requests->WithLabelValues({"owlv2"}).Inc();
  auto* latency = registry.MustAddHistogram({.name = "latency_seconds", .help = "Latency."});
  { vigil::metrics::ScopedTimer t(latency->WithLabelValues({})); }
  auto exporter = vigil::exporter::Exporter::Create(
      {.listen_address = "127.0.0.1:0", .registry = &registry});
  if (!exporter.ok() || !(*exporter)->Start().ok() || (*exporter)->port() <= 0) {
    std::fprintf(stderr, "consumer: exporter failed\n");
    return 1;
  }
  (*exporter)->Stop();

  // The ML metric sets, the collectors and the Pushgateway client link too.
  vigil::metrics::Registry sets;
  auto inference = vigil::ml::InferenceMetrics::Create(sets, {.model = "owlv2"});
  auto profiler = vigil::ml::PipelineProfiler::Create(sets, {.pipeline = "dual"});
  auto features = vigil::ml::FeatureLogger::Create(sets, {.background_flush = false});
  auto jobs = vigil::ml::JobTracker::Create(sets);
  auto node = vigil::collectors::NodeCollector::Create();
  auto push = vigil::exporter::Pushgateway::Create({.job = "consumer", .registry = &sets});
  if (!inference.ok() || !profiler.ok() || !features.ok() || !jobs.ok() || !node.ok() ||
      !push.ok()) {
    std::fprintf(stderr, "consumer: a metric set failed to build\n");
    return 1;
  }
  (*inference)->RecordDetection("person", 0.9);
  (void)(*jobs)->Start().Finish(vigil::ml::JobStatus::kCompleted);
  vigil::collectors::GpuCollector gpu({.reporter = [](std::string_view) {}});
  std::printf("consumer ok: %zu families, %zu ml families, %d GPUs\n", registry.Snapshot().size(),
              sets.Snapshot().size(), gpu.device_count());
  return registry.Snapshot().size() == 2 ? 0 : 1;
}
