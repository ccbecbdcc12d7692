// Log-pattern figures for scripts/bench (group "LogPattern"): bytes of
// typical inference-service log lines (100-200 bytes, about 1% matching
// anything) scanned against 20 alert patterns on one core.
//
//   BM_LogPattern_Scan20_vigil   logging::PatternEngine::ScanBuffer: all 20
//                                patterns in one RE2::Set pass per line
//   BM_LogPattern_Scan20_anchor  what the seed's add_log_pattern does: for
//                                every line, each pattern's own regexp in turn
//                                (RE2::PartialMatch, 20 passes per line)
//
// The target is >= 200 MB/s for the engine.
#include <benchmark/benchmark.h>
#include <re2/re2.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "logging/patterns.h"

namespace {

const std::vector<std::string>& Patterns() {
  static const std::vector<std::string> p = {
      R"(ERROR|FATAL|CRITICAL)",
      R"(OutOfMemoryError)",
      R"(CUDA error)",
      R"((?i)timeout|timed out)",
      R"([Cc]onnection refused)",
      R"(\bNaN\b)",
      R"(Traceback \(most recent call last\))",
      R"(Segmentation fault|SIGSEGV)",
      R"(CUDA out of memory)",
      R"(std::bad_alloc)",
      R"((?i)deadlock)",
      R"(HTTP/1\.[01]" 5\d\d )",
      R"(panic: )",
      R"(Killed process \d+)",
      R"(No space left on device|disk quota exceeded)",
      R"((?i)permission denied)",
      R"(certificate (verify failed|has expired))",
      R"(latency_ms=\d{5,})",
      R"(queue (is )?full)",
      R"(NCCL (WARN|error))",
  };
  return p;
}

// About `bytes` of mixed log lines, 100-200 bytes each; roughly one line in
// a hundred matches some pattern.
std::string LogBuffer(size_t bytes) {
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const char* models[] = {"resnet50", "bert-base", "owlv2", "whisper-small", "llama-7b"};
  const char* paths[] = {"/v1/models/bert:predict", "/v2/models/owlv2/infer", "/health",
                         "/metrics", "/v1/completions"};
  const char* rare[] = {
      "ERROR [worker-2] inference failed: CUDA error: an illegal memory access was encountered",
      "WARN  [batcher] upstream timed out after 30000 ms, retrying request",
      "ERROR [client] connect to 10.0.4.7:8001: Connection refused",
      "WARN  [trainer] loss is NaN at step 1200, skipping batch",
      "FATAL [main] java.lang.OutOfMemoryError: Java heap space",
      "WARN  [nccl] NCCL WARN Call to ibv_reg_mr failed",
  };
  std::string out;
  out.reserve(bytes + 256);
  char line[512];
  int64_t ms = 1'715'681'025'000;
  while (out.size() < bytes) {
    ms += pick(40);
    const long sec = static_cast<long>(ms / 1000 % 86400);
    char ts[40];
    std::snprintf(ts, sizeof(ts), "2024-05-14T%02ld:%02ld:%02ld.%03dZ", sec / 3600, sec / 60 % 60,
                  sec % 60, static_cast<int>(ms % 1000));
    int n;
    const int kind = pick(100);
    if (kind == 0) {
      n = std::snprintf(line, sizeof(line), "%s %s request_id=%08x\n", ts, rare[pick(6)],
                        static_cast<unsigned>(rng()));
    } else if (kind < 45) {
      n = std::snprintf(line, sizeof(line),
                        "%s INFO  [inference-worker-%d] request_id=%08x%08x model=%s version=%d "
                        "batch=%d latency_ms=%d.%d status=200\n",
                        ts, pick(8), static_cast<unsigned>(rng()), static_cast<unsigned>(rng()),
                        models[pick(5)], 1 + pick(20), 1 << pick(6), pick(400), pick(10));
    } else if (kind < 70) {
      n = std::snprintf(line, sizeof(line),
                        "10.%d.%d.%d - - [14/May/2024:%02ld:%02ld:%02ld +0000] \"POST %s "
                        "HTTP/1.1\" 200 %d \"-\" \"python-requests/2.31.0\"\n",
                        pick(256), pick(256), pick(256), sec / 3600, sec / 60 % 60, sec % 60,
                        paths[pick(5)], 100 + pick(9000));
    } else if (kind < 90) {
      n = std::snprintf(line, sizeof(line),
                        "%s DEBUG [scheduler] dispatched batch of %d requests to gpu:%d "
                        "queue_depth=%d wait_ms=%d.%d kv_cache_usage=%d%%\n",
                        ts, 1 + pick(32), pick(8), pick(64), pick(50), pick(10), pick(100));
    } else {
      n = std::snprintf(line, sizeof(line),
                        "%s INFO  [metrics] gpu_util=%d%% mem_used_mb=%d temperature_c=%d "
                        "power_w=%d throughput_rps=%d.%d\n",
                        ts, pick(100), 1000 + pick(79000), 30 + pick(55), 50 + pick(650),
                        pick(2000), pick(10));
    }
    out.append(line, static_cast<size_t>(n));
  }
  return out;
}

const std::string& Buffer() {
  static const std::string b = LogBuffer(4 << 20);
  return b;
}

void BM_LogPattern_Scan20_vigil(benchmark::State& state) {
  std::vector<vigil::logging::PatternRule> rules;
  for (size_t i = 0; i < Patterns().size(); ++i) {
    rules.push_back({.name = "p" + std::to_string(i), .pattern = Patterns()[i],
                     .severity = "warning", .threshold = 5});
  }
  auto engine = vigil::logging::PatternEngine::Create(std::move(rules));
  if (!engine.ok()) {
    state.SkipWithError(engine.status().ToString().c_str());
    return;
  }
  const std::string& buf = Buffer();
  int64_t t = 1'715'681'025'000;
  for (auto _ : state) {
    (*engine)->ScanBuffer("/var/log/app.log", buf, t++);
  }
  uint64_t matches = 0;
  for (const auto& s : (*engine)->Evaluate(t)) matches += s.matches_total;
  state.counters["matches_per_pass"] =
      static_cast<double>(matches) / static_cast<double>(state.iterations());
  state.counters["slow_path_lines"] = static_cast<double>((*engine)->slow_path_lines());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}
BENCHMARK(BM_LogPattern_Scan20_vigil)->Unit(benchmark::kMillisecond);

void BM_LogPattern_Scan20_anchor(benchmark::State& state) {
  std::vector<std::unique_ptr<re2::RE2>> res;
  for (const std::string& p : Patterns()) res.push_back(std::make_unique<re2::RE2>(p));
  std::vector<uint64_t> counts(res.size());
  const std::string& buf = Buffer();
  for (auto _ : state) {
    std::string_view data = buf;
    while (!data.empty()) {
      size_t n = data.find('\n');
      if (n == std::string_view::npos) n = data.size();
      const re2::StringPiece line(data.data(), n);
      for (size_t i = 0; i < res.size(); ++i) {
        if (re2::RE2::PartialMatch(line, *res[i])) ++counts[i];
      }
      data.remove_prefix(n < data.size() ? n + 1 : n);
    }
  }
  uint64_t matches = 0;
  for (uint64_t c : counts) matches += c;
  state.counters["matches_per_pass"] =
      static_cast<double>(matches) / static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}
BENCHMARK(BM_LogPattern_Scan20_anchor)->Unit(benchmark::kMillisecond);

}  // namespace

