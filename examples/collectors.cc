// Serving process, host and GPU metrics from one registry, with the GPU's
// state in /health: http://127.0.0.1:9464/metrics and /health.
//
//   build/bin/example_collectors [--seconds N]     # until Ctrl-C without N
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

#include "vigil/collectors/gpu_collector.h"
#include "vigil/collectors/node_collector.h"
#include "vigil/exporter/exporter.h"
#include "vigil/metrics/process_collector.h"
#include "vigil/metrics/registry.h"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  double seconds = 0;  // 0: until SIGINT/SIGTERM
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[++i]);
  }

  vigil::metrics::Registry registry;
  (void)registry.Register(std::make_shared<vigil::metrics::ProcessCollector>());
  auto node = vigil::collectors::NodeCollector::Create();  // node_exporter's names
  if (!node.ok()) {
    std::fprintf(stderr, "%s\n", node.status().ToString().c_str());
    return 1;
  }
  (void)registry.Register(std::move(*node));
  // Without a GPU or driver this exports nothing and says why, once.
  auto gpu = std::make_shared<vigil::collectors::GpuCollector>();
  (void)registry.Register(gpu);

  auto exporter = vigil::exporter::Exporter::Create({.registry = &registry});
  if (!exporter.ok()) {
    std::fprintf(stderr, "%s\n", exporter.status().ToString().c_str());
    return 1;
  }
  // No GPU is not a failure: healthy, with the reason in the details.
  (*exporter)->AddHealthCheck("gpu", [gpu] {
    return vigil::exporter::HealthResult{true, gpu->Health().message};
  });
  if (vigil::Status s = (*exporter)->Start(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("serving on http://127.0.0.1:%d/metrics (%s)\n", (*exporter)->port(),
              gpu->Health().message.c_str());
  std::fflush(stdout);

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!g_stop && (seconds <= 0 || std::chrono::steady_clock::now() < end)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}
