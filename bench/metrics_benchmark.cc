// Micro benchmarks of the instrumentation library, each next to the same
// operation in prometheus-cpp 1.0.1 (the "anchor").
//
// Every benchmark is named BM_<Group>_<Figure>_<vigil|anchor>; scripts/bench
// runs them and tools/bench_report.py pairs the two sides of each figure.
// Conventions, shared by both sides so the figures compare like with like:
//  - Time figures run with UseRealTime() and call SetItemsProcessed() with
//    the operations (or, for exposition, the series) each thread did; the
//    report turns items_per_second into ns per item = 1e9 / items_per_second.
//    For ->Threads(2) the items of both threads are summed and divided by the
//    wall time, so a 2T figure is the aggregate wall time per operation.
//  - Fixtures are built once per process and kept (exposition of 100k series
//    would otherwise rebuild the registry for every repetition), outside the
//    timed loop.
//  - Memory figures create the series in a fresh child process (this binary
//    re-executed with --memory_probe=NAME), because vigil's cell arena keeps
//    its chunks for the life of the process and would hand a later probe
//    memory paid for by an earlier benchmark. The child reports the growth of
//    glibc's heap (mallinfo2 uordblks + hblkhd) divided by the series count.
//
// See docs/benchmarks.md for the figures and how to read them.
#include <malloc.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>
#include <prometheus/text_serializer.h>

#include "exposition/encoder.h"
#include "vigil/metrics/registry.h"

extern char** environ;

namespace vigil {
namespace {

namespace vm = ::vigil::metrics;

// Prometheus' default buckets, spelled out for prometheus-cpp (vigil uses
// DefaultBuckets(), the same list).
const prometheus::Histogram::BucketBoundaries kAnchorDefaultBuckets = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// Observed values: 64 log-spaced values from 1ms to 20s (every default bucket,
// +Inf included), in a fixed shuffled order so the bucket search is not a
// perfectly predictable pattern.
constexpr size_t kNumValues = 64;
const std::array<double, kNumValues>& Values() {
  static const std::array<double, kNumValues> values = [] {
    std::array<double, kNumValues> v{};
    for (size_t i = 0; i < kNumValues; ++i) {
      v[i] = 0.001 * std::pow(20000.0, static_cast<double>(i) / (kNumValues - 1));
    }
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = kNumValues - 1; i > 0; --i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      std::swap(v[i], v[(x >> 33) % (i + 1)]);
    }
    return v;
  }();
  return values;
}

// ---------------------------------------------------------------------------
// Hot path: one series each of counter, histogram and summary, shared by the
// 1-thread and 2-thread figures (2 threads update the SAME series).

struct VigilHot {
  vm::Registry registry;
  vm::Counter counter;
  vm::Histogram histogram;
  vm::Summary summary;

  VigilHot() {
    counter = registry
                  .MustAddCounter({.name = "bench_requests_total",
                                   .help = "Requests.",
                                   .label_names = {"model"}})
                  ->WithLabelValues({"a"});
    histogram = registry
                    .MustAddHistogram({.name = "bench_latency_seconds",
                                       .help = "Latency.",
                                       .label_names = {"model"}})
                    ->WithLabelValues({"a"});
    summary = registry
                  .MustAddSummary({.name = "bench_lifetime_seconds",
                                   .help = "Lifetime.",
                                   .label_names = {"model"}},
                                  {.quantiles = {0.5, 0.9, 0.99},
                                   .max_age = std::chrono::seconds(60),
                                   .age_buckets = 5})
                  ->WithLabelValues({"a"});
  }
};

VigilHot& GetVigilHot() {
  static VigilHot* hot = new VigilHot();
  return *hot;
}

struct AnchorHot {
  prometheus::Registry registry;
  prometheus::Counter* counter;
  prometheus::Histogram* histogram;
  prometheus::Summary* summary;

  AnchorHot() {
    counter = &prometheus::BuildCounter()
                   .Name("bench_requests_total")
                   .Help("Requests.")
                   .Register(registry)
                   .Add({{"model", "a"}});
    histogram = &prometheus::BuildHistogram()
                     .Name("bench_latency_seconds")
                     .Help("Latency.")
                     .Register(registry)
                     .Add({{"model", "a"}}, kAnchorDefaultBuckets);
    summary = &prometheus::BuildSummary()
                   .Name("bench_lifetime_seconds")
                   .Help("Lifetime.")
                   .Register(registry)
                   .Add({{"model", "a"}},
                        prometheus::Summary::Quantiles{
                            {0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}},
                        std::chrono::seconds(60), 5);
  }
};

AnchorHot& GetAnchorHot() {
  static AnchorHot* hot = new AnchorHot();
  return *hot;
}

void CounterIncVigil(benchmark::State& state) {
  vm::Counter c = GetVigilHot().counter;
  for (auto _ : state) c.Inc();
  state.SetItemsProcessed(state.iterations());
}

void CounterIncAnchor(benchmark::State& state) {
  prometheus::Counter& c = *GetAnchorHot().counter;
  for (auto _ : state) c.Increment();
  state.SetItemsProcessed(state.iterations());
}

void HistogramObserveVigil(benchmark::State& state) {
  vm::Histogram h = GetVigilHot().histogram;
  const double* values = Values().data();
  size_t i = 0;
  for (auto _ : state) {
    h.Observe(values[i]);
    i = (i + 1) & (kNumValues - 1);
  }
  state.SetItemsProcessed(state.iterations());
}

void HistogramObserveAnchor(benchmark::State& state) {
  prometheus::Histogram& h = *GetAnchorHot().histogram;
  const double* values = Values().data();
  size_t i = 0;
  for (auto _ : state) {
    h.Observe(values[i]);
    i = (i + 1) & (kNumValues - 1);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Metrics_CounterInc_vigil(benchmark::State& state) { CounterIncVigil(state); }
void BM_Metrics_CounterInc_anchor(benchmark::State& state) { CounterIncAnchor(state); }
void BM_Metrics_CounterInc2T_vigil(benchmark::State& state) { CounterIncVigil(state); }
void BM_Metrics_CounterInc2T_anchor(benchmark::State& state) { CounterIncAnchor(state); }
void BM_Metrics_HistogramObserve_vigil(benchmark::State& state) {
  HistogramObserveVigil(state);
}
void BM_Metrics_HistogramObserve_anchor(benchmark::State& state) {
  HistogramObserveAnchor(state);
}
void BM_Metrics_HistogramObserve2T_vigil(benchmark::State& state) {
  HistogramObserveVigil(state);
}
void BM_Metrics_HistogramObserve2T_anchor(benchmark::State& state) {
  HistogramObserveAnchor(state);
}

void BM_Metrics_SummaryObserve_vigil(benchmark::State& state) {
  vm::Summary s = GetVigilHot().summary;
  const double* values = Values().data();
  size_t i = 0;
  for (auto _ : state) {
    s.Observe(values[i]);
    i = (i + 1) & (kNumValues - 1);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Metrics_SummaryObserve_anchor(benchmark::State& state) {
  prometheus::Summary& s = *GetAnchorHot().summary;
  const double* values = Values().data();
  size_t i = 0;
  for (auto _ : state) {
    s.Observe(values[i]);
    i = (i + 1) & (kNumValues - 1);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Metrics_CounterInc_vigil)->UseRealTime();
BENCHMARK(BM_Metrics_CounterInc_anchor)->UseRealTime();
BENCHMARK(BM_Metrics_CounterInc2T_vigil)->Threads(2)->UseRealTime();
BENCHMARK(BM_Metrics_CounterInc2T_anchor)->Threads(2)->UseRealTime();
BENCHMARK(BM_Metrics_HistogramObserve_vigil)->UseRealTime();
BENCHMARK(BM_Metrics_HistogramObserve_anchor)->UseRealTime();
BENCHMARK(BM_Metrics_HistogramObserve2T_vigil)->Threads(2)->UseRealTime();
BENCHMARK(BM_Metrics_HistogramObserve2T_anchor)->Threads(2)->UseRealTime();
BENCHMARK(BM_Metrics_SummaryObserve_vigil)->UseRealTime();
BENCHMARK(BM_Metrics_SummaryObserve_anchor)->UseRealTime();

// ---------------------------------------------------------------------------
// Label lookup: find an EXISTING series of a 100-series family by label
// name/value pairs, building the label argument at the call site as users do
// (vigil: an initializer list of string_view pairs; prometheus-cpp: a
// std::map<std::string, std::string>).

constexpr int kLookupFamilySeries = 100;
constexpr std::array<const char*, 5> kLookupNames = {"a", "b", "c", "d", "e"};
constexpr std::array<const char*, 5> kLookupValues = {"x", "y", "z", "w", "v"};

struct VigilLookup {
  vm::Registry registry;
  vm::Family<vm::Counter>* family2;
  vm::Family<vm::Counter>* family5;

  VigilLookup() {
    family2 = registry.MustAddCounter(
        {.name = "bench_lookup2_total", .help = "Lookup.", .label_names = {"a", "b"}});
    family5 = registry.MustAddCounter({.name = "bench_lookup5_total",
                                       .help = "Lookup.",
                                       .label_names = {"a", "b", "c", "d", "e"}});
    Fill(family2, 2);
    Fill(family5, 5);
  }

  static void Fill(vm::Family<vm::Counter>* family, size_t n_labels) {
    // kLookupFamilySeries - 1 other series, then the one the benchmark finds.
    for (int i = 0; i <= kLookupFamilySeries - 1; ++i) {
      std::vector<std::string> owned;
      for (size_t l = 0; l < n_labels; ++l) {
        owned.push_back(i == kLookupFamilySeries - 1
                            ? std::string(kLookupValues[l])
                            : std::string(kLookupValues[l]) + std::to_string(i));
      }
      std::vector<std::string_view> values(owned.begin(), owned.end());
      family->WithLabelValues(std::span<const std::string_view>(values)).Inc();
    }
  }
};

VigilLookup& GetVigilLookup() {
  static VigilLookup* lookup = new VigilLookup();
  return *lookup;
}

struct AnchorLookup {
  prometheus::Registry registry;
  prometheus::Family<prometheus::Counter>* family2;
  prometheus::Family<prometheus::Counter>* family5;

  AnchorLookup() {
    family2 = &prometheus::BuildCounter().Name("bench_lookup2_total").Help("Lookup.").Register(registry);
    family5 = &prometheus::BuildCounter().Name("bench_lookup5_total").Help("Lookup.").Register(registry);
    Fill(family2, 2);
    Fill(family5, 5);
  }

  static void Fill(prometheus::Family<prometheus::Counter>* family, size_t n_labels) {
    for (int i = 0; i <= kLookupFamilySeries - 1; ++i) {
      prometheus::Labels labels;
      for (size_t l = 0; l < n_labels; ++l) {
        labels[kLookupNames[l]] = i == kLookupFamilySeries - 1
                                      ? std::string(kLookupValues[l])
                                      : std::string(kLookupValues[l]) + std::to_string(i);
      }
      family->Add(labels).Increment();
    }
  }
};

AnchorLookup& GetAnchorLookup() {
  static AnchorLookup* lookup = new AnchorLookup();
  return *lookup;
}

void BM_Metrics_LabelLookup2_vigil(benchmark::State& state) {
  vm::Family<vm::Counter>* family = GetVigilLookup().family2;
  for (auto _ : state) {
    vm::Counter c = family->With({{"a", "x"}, {"b", "y"}});
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Metrics_LabelLookup2_anchor(benchmark::State& state) {
  prometheus::Family<prometheus::Counter>& family = *GetAnchorLookup().family2;
  for (auto _ : state) {
    prometheus::Counter& c = family.Add({{"a", "x"}, {"b", "y"}});
    benchmark::DoNotOptimize(&c);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Metrics_LabelLookup5_vigil(benchmark::State& state) {
  vm::Family<vm::Counter>* family = GetVigilLookup().family5;
  for (auto _ : state) {
    vm::Counter c =
        family->With({{"a", "x"}, {"b", "y"}, {"c", "z"}, {"d", "w"}, {"e", "v"}});
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Metrics_LabelLookup5_anchor(benchmark::State& state) {
  prometheus::Family<prometheus::Counter>& family = *GetAnchorLookup().family5;
  for (auto _ : state) {
    prometheus::Counter& c =
        family.Add({{"a", "x"}, {"b", "y"}, {"c", "z"}, {"d", "w"}, {"e", "v"}});
    benchmark::DoNotOptimize(&c);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Metrics_LabelLookup2_vigil)->UseRealTime();
BENCHMARK(BM_Metrics_LabelLookup2_anchor)->UseRealTime();
BENCHMARK(BM_Metrics_LabelLookup5_vigil)->UseRealTime();
BENCHMARK(BM_Metrics_LabelLookup5_anchor)->UseRealTime();

// ---------------------------------------------------------------------------
// Exposition: serialize a registry of n series to the Prometheus text format.
// The series are spread over kExposeFamilies families with one label
// ("id"); every series was updated once.

constexpr size_t kExposeFamilies = 10;

enum class Kind { kCounter, kHistogram };

std::string FamilyName(Kind kind, size_t f) {
  return "bench_expose_" + std::to_string(f) +
         (kind == Kind::kCounter ? "_total" : "_seconds");
}

struct VigilExpose {
  vm::Registry registry;

  VigilExpose(Kind kind, size_t n) {
    const size_t per_family = n / kExposeFamilies;
    const auto& values = Values();
    for (size_t f = 0; f < kExposeFamilies; ++f) {
      vm::MetricOptions options{.name = FamilyName(kind, f),
                                .help = "Benchmark series.",
                                .label_names = {"id"},
                                .max_series = per_family};
      if (kind == Kind::kCounter) {
        vm::Family<vm::Counter>* family = registry.MustAddCounter(options);
        for (size_t i = 0; i < per_family; ++i) {
          const std::string id = std::to_string(i);
          family->WithLabelValues({std::string_view(id)}).Inc();
        }
      } else {
        vm::Family<vm::Histogram>* family = registry.MustAddHistogram(options);
        for (size_t i = 0; i < per_family; ++i) {
          const std::string id = std::to_string(i);
          family->WithLabelValues({std::string_view(id)})
              .Observe(values[i % kNumValues]);
        }
      }
    }
  }
};

struct AnchorExpose {
  prometheus::Registry registry;

  AnchorExpose(Kind kind, size_t n) {
    const size_t per_family = n / kExposeFamilies;
    const auto& values = Values();
    for (size_t f = 0; f < kExposeFamilies; ++f) {
      if (kind == Kind::kCounter) {
        auto& family = prometheus::BuildCounter()
                           .Name(FamilyName(kind, f))
                           .Help("Benchmark series.")
                           .Register(registry);
        for (size_t i = 0; i < per_family; ++i) {
          family.Add({{"id", std::to_string(i)}}).Increment();
        }
      } else {
        auto& family = prometheus::BuildHistogram()
                           .Name(FamilyName(kind, f))
                           .Help("Benchmark series.")
                           .Register(registry);
        for (size_t i = 0; i < per_family; ++i) {
          family.Add({{"id", std::to_string(i)}}, kAnchorDefaultBuckets)
              .Observe(values[i % kNumValues]);
        }
      }
    }
  }
};

// Built on first use and kept for the life of the process.
template <typename Fixture>
Fixture& GetExpose(Kind kind, size_t n) {
  static auto* cache = new std::map<std::pair<Kind, size_t>, std::unique_ptr<Fixture>>();
  auto& slot = (*cache)[{kind, n}];
  if (slot == nullptr) slot = std::make_unique<Fixture>(kind, n);
  return *slot;
}

void ExposeVigil(benchmark::State& state, Kind kind, size_t n) {
  const vm::Registry& registry = GetExpose<VigilExpose>(kind, n).registry;
  std::string out;
  for (auto _ : state) {
    out.clear();
    exposition::Encode(registry, exposition::Format::kPrometheusText, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.counters["series"] = static_cast<double>(n);
  state.counters["out_bytes"] = static_cast<double>(out.size());
}

void ExposeAnchor(benchmark::State& state, Kind kind, size_t n) {
  const prometheus::Registry& registry = GetExpose<AnchorExpose>(kind, n).registry;
  const prometheus::TextSerializer serializer;
  size_t out_size = 0;
  for (auto _ : state) {
    const std::vector<prometheus::MetricFamily> families = registry.Collect();
    const std::string out = serializer.Serialize(families);
    out_size = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.counters["series"] = static_cast<double>(n);
  state.counters["out_bytes"] = static_cast<double>(out_size);
}

void BM_Exposition_Expose10kCounters_vigil(benchmark::State& state) {
  ExposeVigil(state, Kind::kCounter, 10'000);
}
void BM_Exposition_Expose10kCounters_anchor(benchmark::State& state) {
  ExposeAnchor(state, Kind::kCounter, 10'000);
}
void BM_Exposition_Expose100kCounters_vigil(benchmark::State& state) {
  ExposeVigil(state, Kind::kCounter, 100'000);
}
void BM_Exposition_Expose100kCounters_anchor(benchmark::State& state) {
  ExposeAnchor(state, Kind::kCounter, 100'000);
}
void BM_Exposition_Expose10kHistograms_vigil(benchmark::State& state) {
  ExposeVigil(state, Kind::kHistogram, 10'000);
}
void BM_Exposition_Expose10kHistograms_anchor(benchmark::State& state) {
  ExposeAnchor(state, Kind::kHistogram, 10'000);
}

BENCHMARK(BM_Exposition_Expose10kCounters_vigil)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Exposition_Expose10kCounters_anchor)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Exposition_Expose100kCounters_vigil)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Exposition_Expose100kCounters_anchor)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Exposition_Expose10kHistograms_vigil)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Exposition_Expose10kHistograms_anchor)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------
// Memory per series, measured in a child process (see the file comment).

constexpr size_t kMemorySeries = 100'000;

size_t HeapInUse() {
  const struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// Each probe builds a fresh registry with kMemorySeries series labelled
// {"id", "<n>"}, writes every series once (vigil's per-thread cell chunks are
// allocated on first write) and keeps no handles. Returns heap bytes per
// series; the registry is left to process exit.
double ProbeVigil(Kind kind) {
  const size_t before = HeapInUse();
  auto* registry = new vm::Registry();
  const vm::MetricOptions options{.name = kind == Kind::kCounter ? "bench_mem_total"
                                                                 : "bench_mem_seconds",
                                  .help = "Benchmark series.",
                                  .label_names = {"id"},
                                  .max_series = kMemorySeries};
  if (kind == Kind::kCounter) {
    vm::Family<vm::Counter>* family = registry->MustAddCounter(options);
    for (size_t i = 0; i < kMemorySeries; ++i) {
      const std::string id = std::to_string(i);
      family->WithLabelValues({std::string_view(id)}).Inc();
    }
  } else {
    vm::Family<vm::Histogram>* family = registry->MustAddHistogram(options);
    for (size_t i = 0; i < kMemorySeries; ++i) {
      const std::string id = std::to_string(i);
      family->WithLabelValues({std::string_view(id)}).Observe(0.1);
    }
  }
  const size_t after = HeapInUse();
  benchmark::DoNotOptimize(registry);
  return static_cast<double>(after - before) / kMemorySeries;
}

double ProbeAnchor(Kind kind) {
  const size_t before = HeapInUse();
  auto* registry = new prometheus::Registry();
  if (kind == Kind::kCounter) {
    auto& family = prometheus::BuildCounter()
                       .Name("bench_mem_total")
                       .Help("Benchmark series.")
                       .Register(*registry);
    for (size_t i = 0; i < kMemorySeries; ++i) {
      family.Add({{"id", std::to_string(i)}}).Increment();
    }
  } else {
    auto& family = prometheus::BuildHistogram()
                       .Name("bench_mem_seconds")
                       .Help("Benchmark series.")
                       .Register(*registry);
    for (size_t i = 0; i < kMemorySeries; ++i) {
      family.Add({{"id", std::to_string(i)}}, kAnchorDefaultBuckets).Observe(0.1);
    }
  }
  const size_t after = HeapInUse();
  benchmark::DoNotOptimize(registry);
  return static_cast<double>(after - before) / kMemorySeries;
}

constexpr std::string_view kProbeFlag = "--memory_probe=";

// Child side: runs one probe and prints bytes per series. Returns the exit code.
int RunProbe(std::string_view name) {
  double bytes;
  if (name == "counter_vigil") {
    bytes = ProbeVigil(Kind::kCounter);
  } else if (name == "counter_anchor") {
    bytes = ProbeAnchor(Kind::kCounter);
  } else if (name == "histogram_vigil") {
    bytes = ProbeVigil(Kind::kHistogram);
  } else if (name == "histogram_anchor") {
    bytes = ProbeAnchor(Kind::kHistogram);
  } else {
    std::fprintf(stderr, "metrics_benchmark: unknown memory probe \"%.*s\"\n",
                 static_cast<int>(name.size()), name.data());
    return 2;
  }
  std::printf("%.3f\n", bytes);
  return 0;
}

// Parent side: re-executes this binary with --memory_probe=`name`; returns
// bytes per series, or a negative value on failure.
double SpawnProbe(const std::string& name) {
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (len <= 0) return -1;
  self[len] = '\0';
  int fds[2];
  if (pipe(fds) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::string flag = std::string(kProbeFlag) + name;
  char* argv[] = {self, flag.data(), nullptr};
  pid_t pid;
  const int rc = posix_spawn(&pid, self, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return -1;
  }
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return -1;
  }
  char* end = nullptr;
  const double bytes = std::strtod(out.c_str(), &end);
  if (end == out.c_str()) return -1;
  return bytes;
}

void MemoryProbe(benchmark::State& state, const std::string& name) {
  double bytes = -1;
  for (auto _ : state) bytes = SpawnProbe(name);
  if (bytes < 0) {
    state.SkipWithError(("memory probe " + name + " failed").c_str());
    return;
  }
  state.counters["bytes_per_series"] = bytes;
  state.counters["series"] = static_cast<double>(kMemorySeries);
}

void BM_Memory_MemoryPerCounter_vigil(benchmark::State& state) {
  MemoryProbe(state, "counter_vigil");
}
void BM_Memory_MemoryPerCounter_anchor(benchmark::State& state) {
  MemoryProbe(state, "counter_anchor");
}
void BM_Memory_MemoryPerHistogram_vigil(benchmark::State& state) {
  MemoryProbe(state, "histogram_vigil");
}
void BM_Memory_MemoryPerHistogram_anchor(benchmark::State& state) {
  MemoryProbe(state, "histogram_anchor");
}

BENCHMARK(BM_Memory_MemoryPerCounter_vigil)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Memory_MemoryPerCounter_anchor)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Memory_MemoryPerHistogram_vigil)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Memory_MemoryPerHistogram_anchor)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vigil

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with(vigil::kProbeFlag)) {
      return vigil::RunProbe(arg.substr(vigil::kProbeFlag.size()));
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
