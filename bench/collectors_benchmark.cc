// Host and GPU collector cost, as wall time per Collect() on the real
// machine.
//
// BM_Collectors_NodeCollect_vigil: one NodeCollector::Collect() (/proc and
// statvfs of its mounts). Its anchor is node_exporter 1.5 itself, not code in
// this binary: `scripts/bench collectors` starts it with only the same
// collectors (cpu, loadavg, meminfo, filesystem, diskstats, netdev) and
// filters, scrapes it ~50 times and averages the sum of its
// node_scrape_collector_duration_seconds over those collectors, then reports
// it next to this figure. See docs/benchmarks.md.
//
// BM_Collectors_GpuCollect_vigil: one GpuCollector::Collect() through the
// real NVML; registered only where libnvidia-ml.so.1 can be loaded, and
// without an anchor.
#include <dlfcn.h>

#include <vector>

#include <benchmark/benchmark.h>

#include "vigil/collectors/gpu_collector.h"
#include "vigil/collectors/node_collector.h"

namespace vigil {
namespace {

void CountSeries(benchmark::State& state, const std::vector<metrics::FamilySnapshot>& out) {
  size_t series = 0;
  for (const auto& f : out) series += f.metrics.size();
  state.SetItemsProcessed(state.iterations());
  state.counters["series"] = static_cast<double>(series);
  state.counters["families"] = static_cast<double>(out.size());
}

void BM_Collectors_NodeCollect_vigil(benchmark::State& state) {
  auto collector = collectors::NodeCollector::Create();
  if (!collector.ok()) {
    state.SkipWithError(collector.status().ToString().c_str());
    return;
  }
  std::vector<metrics::FamilySnapshot> out;
  for (auto _ : state) {
    out.clear();
    (*collector)->Collect(&out);
    benchmark::DoNotOptimize(out.data());
  }
  CountSeries(state, out);
}
BENCHMARK(BM_Collectors_NodeCollect_vigil)->UseRealTime();

void BM_Collectors_GpuCollect_vigil(benchmark::State& state) {
  collectors::GpuCollector collector;
  if (!collector.Health().available) {
    state.SkipWithError(collector.Health().message.c_str());
    return;
  }
  std::vector<metrics::FamilySnapshot> out;
  for (auto _ : state) {
    out.clear();
    collector.Collect(&out);
    benchmark::DoNotOptimize(out.data());
  }
  CountSeries(state, out);
  state.counters["devices"] = collector.device_count();
}

const bool kGpuRegistered = [] {
  void* nvml = dlopen("libnvidia-ml.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (nvml == nullptr) return false;
  dlclose(nvml);
  benchmark::RegisterBenchmark("BM_Collectors_GpuCollect_vigil", BM_Collectors_GpuCollect_vigil)
      ->UseRealTime();
  return true;
}();

}  // namespace
}  // namespace vigil
