// Anomaly detection figures for scripts/bench (group "anomaly"): the cost
// of one point through the univariate detectors. No C++ library offers the
// same detectors, so these figures have no anchor; the budget is
// 1 microsecond per point per series for the ensemble.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

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

}  // namespace
