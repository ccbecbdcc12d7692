// Anomaly detection figures for scripts/bench (group "anomaly"): the cost
// of one point through the univariate detectors. No C++ library offers the
// same detectors, so these figures have no anchor; the budget is
// 1 microsecond per point per series for the ensemble.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <random>
#include <vector>

#include "anomaly/monitor.h"
#include "anomaly/registry.h"
#include "anomaly/univariate.h"

namespace {

// A noisy daily cycle sampled every five minutes, with a spike now and then.
std::vector<double> Series() {
  std::mt19937 rng(42);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> out(1 << 16);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = 50 + 20 * std::sin(2 * M_PI * static_cast<double>(i % 288) / 288.0) + noise(rng) +
             (i % 5000 == 4999 ? 40 : 0);
  }
  return out;
}

void BM_Anomaly_EnsembleUpdate_vigil(benchmark::State& state) {
  const std::vector<double> xs = Series();
  vigil::anomaly::EnsembleDetector d;
  size_t i = 0;
  int64_t t = 1'400'000'000'000;
  for (auto _ : state) {
    auto s = d.Update(t, xs[i]);
    benchmark::DoNotOptimize(s);
    t += 300'000;
    i = (i + 1) & (xs.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Anomaly_EnsembleUpdate_vigil);

void BM_Anomaly_RobustZscoreUpdate_vigil(benchmark::State& state) {
  const std::vector<double> xs = Series();
  vigil::anomaly::RobustZScore d;
  size_t i = 0;
  for (auto _ : state) {
    auto s = d.Update(xs[i]);
    benchmark::DoNotOptimize(s);
    i = (i + 1) & (xs.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Anomaly_RobustZscoreUpdate_vigil);

// One point through a detector of the registry, default parameters.
void RunRegistered(benchmark::State& state, const char* name) {
  const std::vector<double> xs = Series();
  vigil::anomaly::Registry registry;
  auto d = std::move(registry.Make(name, {})).value();
  size_t i = 0;
  int64_t t = 1'400'000'000'000;
  for (auto _ : state) {
    auto s = d->Update(t, xs[i]);
    benchmark::DoNotOptimize(s);
    t += 300'000;
    i = (i + 1) & (xs.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_Anomaly_RobustMadUpdate_vigil(benchmark::State& s) { RunRegistered(s, "robust_z"); }
BENCHMARK(BM_Anomaly_RobustMadUpdate_vigil);
void BM_Anomaly_EwmaUpdate_vigil(benchmark::State& s) { RunRegistered(s, "ewma"); }
BENCHMARK(BM_Anomaly_EwmaUpdate_vigil);
void BM_Anomaly_CusumUpdate_vigil(benchmark::State& s) { RunRegistered(s, "cusum"); }
BENCHMARK(BM_Anomaly_CusumUpdate_vigil);
void BM_Anomaly_SeasonalUpdate_vigil(benchmark::State& s) { RunRegistered(s, "seasonal"); }
BENCHMARK(BM_Anomaly_SeasonalUpdate_vigil);

// Monitor::Observe: the key's baseline found among 1,000 keys (model x
// class), the ensemble run, the finding built and counted.
void BM_Anomaly_MonitorObserve_vigil(benchmark::State& state) {
  const std::vector<double> xs = Series();
  vigil::anomaly::Registry registry;
  vigil::metrics::Registry metrics;
  auto m = std::move(vigil::anomaly::Monitor::Make(registry, {.metrics = &metrics})).value();
  std::vector<vigil::model::Labels> keys;
  for (int k = 0; k < 1000; ++k) {
    keys.push_back(vigil::model::Labels::FromPairs(
        {{"model", "m" + std::to_string(k / 50)}, {"class", "c" + std::to_string(k % 50)}}));
  }
  size_t i = 0;
  int64_t t = 1'400'000'000'000;
  for (auto _ : state) {
    auto f = m->Observe(keys[i % keys.size()], t, xs[i & (xs.size() - 1)]);
    benchmark::DoNotOptimize(f);
    t += 300;
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Anomaly_MonitorObserve_vigil);

// One feature vector (dimension `dim`) through a vector detector.
void RunVector(benchmark::State& state, const char* name, size_t dim) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 1);
  std::vector<std::vector<double>> xs(4096, std::vector<double>(dim));
  for (auto& x : xs) {
    for (double& v : x) v = noise(rng);
  }
  vigil::anomaly::Registry registry;
  vigil::anomaly::Options o;
  if (std::string_view(name) == "spatial") {
    for (auto& x : xs) {
      for (double& v : x) v = 0.5 + 0.1 * v;
    }
  }
  auto d = std::move(registry.MakeVector(name, o)).value();
  size_t i = 0;
  for (auto _ : state) {
    auto s = d->Update(static_cast<int64_t>(i), xs[i & 4095]);
    benchmark::DoNotOptimize(s);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_Anomaly_MahalanobisD8Update_vigil(benchmark::State& s) { RunVector(s, "mahalanobis", 8); }
BENCHMARK(BM_Anomaly_MahalanobisD8Update_vigil);
void BM_Anomaly_IsolationForestD8Update_vigil(benchmark::State& s) {
  RunVector(s, "isolation_forest", 8);
}
BENCHMARK(BM_Anomaly_IsolationForestD8Update_vigil);
void BM_Anomaly_SpatialUpdate_vigil(benchmark::State& s) { RunVector(s, "spatial", 2); }
BENCHMARK(BM_Anomaly_SpatialUpdate_vigil);

}  // namespace
