// A simulated dual-encoder pipeline profiled with vigil::ml::PipelineProfiler:
// two encoders ("visual", "spatial"), a connector between them and a fusion
// head, run in batches. Prints the bottleneck report and the efficiency
// score. With --port, also serves the metrics while it runs.
//
//   build/bin/example_pipeline_profiler [--batches 20] [--port 9465]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "vigil/exporter/exporter.h"
#include "vigil/metrics/registry.h"
#include "vigil/ml/pipeline_profiler.h"

namespace {

void Work(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

}  // namespace

int main(int argc, char** argv) {
  int batches = 20;
  int port = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--batches") == 0) {
      batches = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--port") == 0) {
      port = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--batches N] [--port N]\n", argv[0]);
      return 2;
    }
  }

  vigil::metrics::Registry registry({.prefix = "pizza"});
  auto created = vigil::ml::PipelineProfiler::Create(
      registry, {.pipeline = "dual_encoder",
                 .stages = {"visual", "spatial", "fusion"},
                 .sampling_rate = 0.5,  // the seed used 0.1; calls stay exact
                 .gpu_utilization = [](std::string_view stage) {
                   return stage == "visual" ? 85.0 : 40.0;  // an NVML read in real code
                 }});
  if (!created.ok()) {
    std::fprintf(stderr, "%s\n", created.status().ToString().c_str());
    return 1;
  }
  vigil::ml::PipelineProfiler& profiler = **created;

  std::unique_ptr<vigil::exporter::Exporter> exporter;
  if (port >= 0) {
    auto e = vigil::exporter::Exporter::Create(
        {.listen_address = "127.0.0.1:" + std::to_string(port), .registry = &registry});
    if (!e.ok() || !(*e)->Start().ok()) {
      std::fprintf(stderr, "cannot serve metrics on port %d\n", port);
      return 1;
    }
    exporter = std::move(e).value();
    std::printf("serving http://127.0.0.1:%d/metrics\n", exporter->port());
  }

  // Handles resolved once for the loop.
  const auto visual = profiler.GetStage("visual");
  const auto spatial = profiler.GetStage("spatial");
  const auto visual_to_fusion = profiler.GetConnector("visual", "fusion");
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  for (int b = 0; b < batches; ++b) {
    const int batch_size = 4 + static_cast<int>(rng() % 5);
    vigil::ml::BatchScope batch(profiler, batch_size);
    for (int i = 0; i < batch_size; ++i) {
      {
        vigil::ml::StageScope s(profiler, visual);
        Work(0.004 * jitter(rng));  // the slow encoder
      }
      {
        vigil::ml::StageScope s(profiler, spatial);
        Work(0.001 * jitter(rng));
      }
      profiler.LogConnector(visual_to_fusion, 0.0003 * jitter(rng));
      const double fusion = 0.0005 * jitter(rng);
      Work(fusion);
      profiler.LogStage("fusion", fusion, 30.0);
    }
    profiler.LogCustomTiming("preprocessing", 0.0002);
  }

  const vigil::ml::BottleneckReport r = profiler.DetectBottlenecks();
  std::printf("bottleneck: %s (stage %s, %.0f%% of stage time, %.1fx the next)\n",
              r.detected ? "yes" : "no", r.stage.empty() ? "-" : r.stage.c_str(),
              100 * r.share, r.ratio_to_next);
  for (const vigil::ml::StageStats& s : r.stages) {
    std::printf("  %-8s mean %.4f s over %llu samples, share %.2f, calls %.0f\n",
                s.stage.c_str(), s.mean_seconds,
                static_cast<unsigned long long>(s.window_count), s.share, s.calls);
  }
  const double score = profiler.EfficiencyScore();
  std::printf("efficiency score: %.3f\n", score);
  return std::isnan(score) ? 1 : 0;
}
