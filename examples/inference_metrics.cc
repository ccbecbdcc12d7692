// A simulated detector loop instrumented with vigil::ml::InferenceMetrics:
// frames processed and dropped, detections and confidences by class, stage
// latency, inference time and batch size, tracks, queue depth, memory and
// errors, served on http://127.0.0.1:<port>/metrics. Prints the in-process
// summary (the seed's get_summary()) as JSON at the end.
//
//   build/bin/example_inference_metrics [--port 9464] [--seconds 10]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>

#include "vigil/exporter/exporter.h"
#include "vigil/metrics/registry.h"
#include "vigil/ml/inference_metrics.h"
#include "vigil/ml/sampler.h"

namespace {

// Resident and virtual size from /proc/self/statm (0 where unavailable).
void ReadMemory(double* rss, double* vms) {
  *rss = *vms = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    unsigned long pages_vms = 0, pages_rss = 0;
    if (std::fscanf(f, "%lu %lu", &pages_vms, &pages_rss) == 2) {
      *vms = pages_vms * 4096.0;
      *rss = pages_rss * 4096.0;
    }
    std::fclose(f);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = 9464;
  double seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--port") == 0) {
      port = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--seconds") == 0) {
      seconds = std::atof(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--port N] [--seconds N]\n", argv[0]);
      return 2;
    }
  }

  vigil::metrics::Registry registry({.prefix = "vision"});
  // Confidence observations for 1 frame in 4; counts stay exact.
  auto sampler = vigil::ml::Sampler::Create(
      {.rates = {{std::string(vigil::ml::kSampleDetectionConfidence), 0.25}}});
  auto created = vigil::ml::InferenceMetrics::Create(
      registry, {.model = "owlv2", .sampler = sampler.ok() ? sampler->get() : nullptr});
  if (!created.ok()) {
    std::fprintf(stderr, "%s\n", created.status().ToString().c_str());
    return 1;
  }
  vigil::ml::InferenceMetrics& metrics = **created;

  auto exporter = vigil::exporter::Exporter::Create(
      {.listen_address = "127.0.0.1:" + std::to_string(port), .registry = &registry});
  if (!exporter.ok()) {
    std::fprintf(stderr, "%s\n", exporter.status().ToString().c_str());
    return 1;
  }
  if (vigil::Status s = (*exporter)->Start(); !s.ok()) {
    std::fprintf(stderr, "cannot serve metrics on port %d: %s\n", port, s.ToString().c_str());
    return 1;
  }
  std::printf("serving http://127.0.0.1:%d/metrics for %.0f s\n", (*exporter)->port(), seconds);
  std::fflush(stdout);

  // Resolve the label values known up front once.
  const char* kClasses[] = {"person", "car", "bicycle"};
  vigil::ml::InferenceMetrics::ClassHandle classes[3];
  for (int i = 0; i < 3; ++i) classes[i] = metrics.ForClass(kClasses[i]);
  auto preprocess = metrics.ForStage("preprocess");
  auto postprocess = metrics.ForStage("postprocess");

  std::mt19937 rng(1);
  std::uniform_real_distribution<double> confidence(0.3, 1.0);
  int active_tracks = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    const int queued = static_cast<int>(rng() % 8);
    metrics.SetQueueSize("frames", queued);
    metrics.RecordQueueWait("frames", 0.001 * queued);
    if (queued == 7) {  // backpressure
      metrics.RecordDropped("queue_full");
      continue;
    }
    {
      vigil::ml::StageTimer t = preprocess.Time();
      std::this_thread::sleep_for(std::chrono::milliseconds(1 + rng() % 2));
    }
    const auto start = std::chrono::steady_clock::now();
    {
      vigil::ml::StageTimer t(metrics, "inference");
      std::this_thread::sleep_for(std::chrono::milliseconds(4 + rng() % 6));
    }
    metrics.RecordInference(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
        "cuda:0", 1);
    {
      vigil::ml::StageTimer t = postprocess.Time();
      const int n = static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i) classes[rng() % 3].RecordDetection(confidence(rng));
    }
    if (rng() % 10 == 0) {
      metrics.RecordTrackCreated();
      ++active_tracks;
    }
    if (active_tracks > 0 && rng() % 12 == 0) {
      metrics.RecordTrackLost("timeout");
      metrics.RecordTrackLifetime("person", 0.5 + (rng() % 100) / 10.0);
      --active_tracks;
    }
    metrics.SetActiveTracks(active_tracks);
    const bool ok = rng() % 50 != 0;
    metrics.RecordProcessed(ok);
    if (!ok) metrics.RecordError("model", "inference_failed");
    double rss = 0, vms = 0;
    ReadMemory(&rss, &vms);
    metrics.SetMemoryUsage(rss, vms);
  }
  metrics.SetGpuMemoryUsage("cuda:0", 0);  // no GPU in this simulation

  std::printf("%s\n", metrics.GetSummary().ToJson().c_str());
  return 0;
}
