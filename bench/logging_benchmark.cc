// The caller's cost of one log line with a message and 5 fields: vigil's
// asynchronous LogSystem next to spdlog 1.10's async logger (the anchor),
// both writing to /dev/null from their back-end threads.
//
// Each call is timed on its own (TSC, serialised with lfence; the timer's
// own cost, measured in the same run, is subtracted) and the p50 and p99 are
// reported as counters; items_per_second is the mean (timer included). Calls come in
// bursts of 64, after which both loggers are drained outside the timed
// region, so the figures are the hot path's cost with room in the queue (a
// service logging per request), not the back end's throughput. spdlog has no
// structured fields: its line carries the same five values through fmt.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include "logging/log_system.h"

namespace {

constexpr int kBurst = 64;

inline uint64_t Ticks() {
  _mm_lfence();
  const uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}

double NsPerTick() {
  static const double v = [] {
    const auto c0 = std::chrono::steady_clock::now();
    const uint64_t t0 = Ticks();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const uint64_t t1 = Ticks();
    const auto c1 = std::chrono::steady_clock::now();
    return std::chrono::duration<double, std::nano>(c1 - c0).count() /
           static_cast<double>(t1 - t0);
  }();
  return v;
}

// The timer's own cost: the median of an empty timed region, subtracted from
// every figure of both sides (it is about a third of vigil's p50).
uint64_t TimerOverheadTicks() {
  static const uint64_t v = [] {
    std::vector<uint64_t> t(100000);
    for (auto& x : t) {
      const uint64_t t0 = Ticks();
      const uint64_t t1 = Ticks();
      x = t1 - t0;
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
  }();
  return v;
}

void Report(benchmark::State& state, std::vector<uint64_t>& ticks) {
  if (ticks.empty()) return;
  const uint64_t overhead = TimerOverheadTicks();
  for (auto& t : ticks) t = t > overhead ? t - overhead : 0;
  std::sort(ticks.begin(), ticks.end());
  const double k = NsPerTick();
  state.counters["timer_overhead_ns"] = static_cast<double>(overhead) * k;
  state.counters["p50_ns"] = static_cast<double>(ticks[ticks.size() / 2]) * k;
  state.counters["p99_ns"] = static_cast<double>(ticks[ticks.size() * 99 / 100]) * k;
  state.counters["p999_ns"] = static_cast<double>(ticks[ticks.size() * 999 / 1000]) * k;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_Logging_Call_vigil(benchmark::State& state) {
  NsPerTick();
  const int fd = ::open("/dev/null", O_WRONLY);
  vigil::logging::LogSystem system(vigil::logging::LogSystem::Options{.service_name = "bench"});
  system.SetSinks({std::make_shared<vigil::logging::ConsoleSink>(fd)});
  vigil::logging::Logger& log = system.GetLogger("inference");
  const std::string request_id = "9f1c2e7a-4b0d-4c55-8f7e-2d9c1a3b5e60";
  std::vector<uint64_t> ticks;
  ticks.reserve(1 << 22);
  int64_t i = 0;
  for (auto _ : state) {
    const uint64_t t0 = Ticks();
    log.Info("prediction served", {{"request.id", request_id},
                                   {"model", "yolov8"},
                                   {"latency_ms", 12.5},
                                   {"batch", i},
                                   {"ok", true}});
    const uint64_t t1 = Ticks();
    if (ticks.size() < ticks.capacity()) ticks.push_back(t1 - t0);
    if (++i % kBurst == 0) {
      state.PauseTiming();
      system.Flush();
      state.ResumeTiming();
    }
  }
  system.Shutdown();
  ::close(fd);
  Report(state, ticks);
}
BENCHMARK(BM_Logging_Call_vigil)->UseRealTime();

void BM_Logging_Call_anchor(benchmark::State& state) {
  NsPerTick();
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>("/dev/null");
  auto pool = std::make_shared<spdlog::details::thread_pool>(8192, 1);
  auto log = std::make_shared<spdlog::async_logger>("inference", sink, pool,
                                                     spdlog::async_overflow_policy::block);
  const std::string request_id = "9f1c2e7a-4b0d-4c55-8f7e-2d9c1a3b5e60";
  std::vector<uint64_t> ticks;
  ticks.reserve(1 << 22);
  int64_t i = 0;
  for (auto _ : state) {
    const uint64_t t0 = Ticks();
    log->info("prediction served request.id={} model={} latency_ms={} batch={} ok={}",
              request_id, "yolov8", 12.5, i, true);
    const uint64_t t1 = Ticks();
    if (ticks.size() < ticks.capacity()) ticks.push_back(t1 - t0);
    if (++i % kBurst == 0) {
      state.PauseTiming();
      while (pool->queue_size() > 0) std::this_thread::yield();
      state.ResumeTiming();
    }
  }
  log->flush();
  Report(state, ticks);
}
BENCHMARK(BM_Logging_Call_anchor)->UseRealTime();

}  // namespace
