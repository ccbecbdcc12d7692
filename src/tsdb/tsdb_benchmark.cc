// Storage benchmarks (scripts/bench tsdb; figures in docs/benchmarks.md):
// append throughput into the head and through the WAL, select+decode
// throughput, bytes per sample on realistic series, memory per active
// series, and recovery time. Anchors that need Prometheus itself (bytes per
// sample of promtool's blocks, resident memory of a scraping Prometheus)
// are measured by scripts/bench around this binary.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "model/matcher.h"
#include "tsdb/chunkenc/xor_chunk.h"
#include "tsdb/chunkenc/xor_iterator.h"
#include "tsdb/db.h"
#include "tsdb/head.h"

namespace vigil::tsdb {
namespace {

std::vector<model::Labels> MakeSeries(int n) {
  std::vector<model::Labels> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    out.push_back(model::Labels::FromPairs(
        {{"__name__", "http_requests_total"},
         {"instance", "10.0.0." + std::to_string(i % 250) + ":9100"},
         {"job", "inference"},
         {"path", "/v1/models/m" + std::to_string(i / 250) + ":predict"}}));
  }
  return out;
}

// One scrape of every series per batch, 15 s apart.
void AppendScrapes(storage::Appendable& db, std::vector<model::Labels>& series,
                   std::vector<storage::SeriesRef>& refs, int64_t* t,
                   int scrapes) {
  for (int s = 0; s < scrapes; ++s) {
    auto app = db.NewAppender();
    *t += 15000;
    for (size_t i = 0; i < series.size(); ++i) {
      auto r = app->Append(refs[i], series[i], *t, static_cast<double>(*t + i));
      refs[i] = r.value();
    }
    (void)app->Commit();
  }
}

void BM_Tsdb_AppendHead_vigil(benchmark::State& state) {
  const int n = 10000;
  auto series = MakeSeries(n);
  std::vector<storage::SeriesRef> refs(n, 0);
  Head head;
  int64_t t = 0;
  AppendScrapes(head, series, refs, &t, 1);  // series creation not timed
  for (auto _ : state) AppendScrapes(head, series, refs, &t, 1);
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Tsdb_AppendHead_vigil)->UseRealTime();

void BM_Tsdb_AppendWal_vigil(benchmark::State& state) {
  const int n = 10000;
  char tmpl[] = "/tmp/vigil_bench_XXXXXX";
  std::string dir = mkdtemp(tmpl);
  {
    DbOptions o;
    o.checkpoint_interval = o.retention_interval = std::chrono::milliseconds(0);
    auto db = Db::Open(o, dir).value();
    auto series = MakeSeries(n);
    std::vector<storage::SeriesRef> refs(n, 0);
    int64_t t = 0;
    AppendScrapes(*db, series, refs, &t, 1);
    for (auto _ : state) AppendScrapes(*db, series, refs, &t, 1);
    state.SetItemsProcessed(state.iterations() * n);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Tsdb_AppendWal_vigil)->UseRealTime();

void BM_Tsdb_SelectDecode_vigil(benchmark::State& state) {
  const int n = 1000, samples = 2400;  // 10 h at 15 s
  auto series = MakeSeries(n);
  std::vector<storage::SeriesRef> refs(n, 0);
  Head head;
  int64_t t = 0;
  AppendScrapes(head, series, refs, &t, samples);
  auto m = model::Matcher::Make(model::MatchType::kEqual, "job", "inference")
               .value();
  int64_t decoded = 0;
  for (auto _ : state) {
    auto q = head.NewQuerier(INT64_MIN, INT64_MAX).value();
    auto set = q->Select(std::span(&m, 1));
    double sum = 0;
    std::unique_ptr<storage::SeriesIterator> it;
    while (set->Next()) {
      it = set->At().NewIterator(std::move(it));
      while (it->Next()) {
        sum += it->At().second;
        ++decoded;
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(decoded);
}
BENCHMARK(BM_Tsdb_SelectDecode_vigil)->UseRealTime()->Unit(benchmark::kMillisecond);

// Decoding 120-sample counter chunks (integer increments, aligned 15 s
// timestamps): a full pass, and the instant-query pattern of seeking to the
// last 20 samples (a 5 m window at the end of a chunk) and reading them.
// items = samples decoded (seek passes over the first 100 too).
std::vector<chunkenc::XorChunk> CounterChunks(int n) {
  std::mt19937_64 rnd(1);
  std::vector<chunkenc::XorChunk> out(n);
  for (int i = 0; i < n; ++i) {
    const double rate = 0.1 + static_cast<double>(rnd() % 1000) / 10;
    double v = 0;
    int64_t t = 1700000000000;
    for (int k = 0; k < 120; ++k, t += 15000) {
      v += std::floor(rate * 15 * (0.5 + static_cast<double>(rnd() % 1000) / 1000));
      (void)out[i].Append(t, v);
    }
  }
  return out;
}

void BM_Tsdb_ChunkDecode_vigil(benchmark::State& state) {
  const bool seek = state.range(0) == 1;
  auto chunks = CounterChunks(1000);
  const int64_t target = 1700000000000 + 100 * 15000;
  double sum = 0;
  for (auto _ : state) {
    for (const auto& c : chunks) {
      chunkenc::XorIterator it(c.bytes());
      if (seek ? it.Seek(target) : it.Next()) {
        do sum += it.At().second;
        while (it.Next());
      }
    }
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * 120 * 1000);
}
BENCHMARK(BM_Tsdb_ChunkDecode_vigil)->Arg(0)->Arg(1)->ArgName("seek");

// Realistic series, one kind per benchmark, 720 samples (3 h) every 15 s
// with aligned timestamps (vigil's scraper stamps the scheduled tick, as
// Prometheus does within its 2 ms tolerance). Reports encoded chunk bytes
// per sample. Kinds: 0 counters of varying rate, 1 histogram buckets
// (cumulative counts; high buckets rarely change), 2 gauges with noise
// (memory bytes, a random walk), 3 gauges with 2 decimals (temperatures),
// 4 the mix of all four.
void BM_Tsdb_BytesPerSample(benchmark::State& state) {
  const int kind = static_cast<int>(state.range(0));
  const int per_kind = 200, samples = 720;
  double bytes = 0, count = 0;
  for (auto _ : state) {
    std::mt19937_64 rnd(1);
    std::normal_distribution<double> noise(0, 1);
    Head head;
    auto app = head.NewAppender();
    auto add = [&](const std::string& name, int i, auto&& next) {
      auto l = model::Labels::FromPairs({{"__name__", name}, {"i", std::to_string(i)}});
      storage::SeriesRef ref = 0;
      int64_t t = 1700000000000;
      for (int k = 0; k < samples; ++k) {
        t += 15000;
        ref = app->Append(ref, l, t, next()).value();
      }
    };
    for (int i = 0; i < per_kind; ++i) {
      if (kind == 0 || kind == 4) {
        double rate = 0.01 * (i % 50 + 1), v = 0;
        std::poisson_distribution<int> p(rate * 15);
        add("requests_total", i, [&] { return v += p(rnd); });
      }
      if (kind == 1 || kind == 4) {
        // le buckets of one histogram: bucket b sees a share of requests.
        const int b = i % 10;
        std::poisson_distribution<int> p(2.0 * (b + 1) / 10.0);
        double v = 0;
        add("latency_seconds_bucket", i, [&] { return v += (b < 6 ? p(rnd) : p(rnd) / 5); });
      }
      if (kind == 2 || kind == 4) {
        double mem = 1e8 + i * 1e7;
        add("memory_bytes", i, [&] { return mem = std::round(mem + noise(rnd) * 4096); });
      }
      if (kind == 3 || kind == 4) {
        double temp = 40 + i % 30;
        add("temperature_celsius", i, [&] { return temp = std::round((temp + noise(rnd) * 0.3) * 100) / 100; });
      }
    }
    (void)app->Commit();
    bytes = static_cast<double>(head.chunk_bytes());
    count = static_cast<double>(head.stats().samples_appended);
  }
  state.counters["bytes_per_sample"] = bytes / count;
}
BENCHMARK(BM_Tsdb_BytesPerSample)->DenseRange(0, 4)->Iterations(1)->Unit(benchmark::kMillisecond);

// Heap bytes per active series (labels, index, one open chunk with a few
// samples), measured with mallinfo2 around creating 100k series.
void BM_Tsdb_MemoryPerSeries_vigil(benchmark::State& state) {
  const int n = 100000;
  auto series = MakeSeries(n);
  double per_series = 0;
  for (auto _ : state) {
    size_t before = mallinfo2().uordblks;
    {
      Head head;
      std::vector<storage::SeriesRef> refs(n, 0);
      int64_t t = 0;
      AppendScrapes(head, series, refs, &t, 4);
      per_series = static_cast<double>(mallinfo2().uordblks - before) / n;
    }
  }
  state.counters["bytes_per_series"] = per_series;
}
BENCHMARK(BM_Tsdb_MemoryPerSeries_vigil)->Iterations(1)->Unit(benchmark::kMillisecond);

// Restart time for 10M samples (10k series x 1000 scrapes), all in the WAL,
// and after a checkpoint (chunk files plus a short WAL).
void Recovery(benchmark::State& state, bool checkpoint) {
  char tmpl[] = "/tmp/vigil_bench_XXXXXX";
  std::string dir = mkdtemp(tmpl);
  DbOptions o;
  o.checkpoint_interval = o.retention_interval = std::chrono::milliseconds(0);
  o.retention = std::chrono::milliseconds(0);
  {
    auto db = Db::Open(o, dir).value();
    auto series = MakeSeries(10000);
    std::vector<storage::SeriesRef> refs(series.size(), 0);
    int64_t t = 0;
    AppendScrapes(*db, series, refs, &t, 1000);
    if (checkpoint) (void)db->Checkpoint();
  }
  uint64_t samples = 0;
  for (auto _ : state) {
    auto db = Db::Open(o, dir).value();
    samples = db->head().stats().samples_appended + db->recovery().chunks * 120;
    state.counters["recovered_series"] = static_cast<double>(db->head().num_series());
  }
  state.counters["samples"] = static_cast<double>(samples);
  std::filesystem::remove_all(dir);
}
void BM_Tsdb_RecoverWal10M_vigil(benchmark::State& s) { Recovery(s, false); }
void BM_Tsdb_RecoverCheckpoint10M_vigil(benchmark::State& s) { Recovery(s, true); }
BENCHMARK(BM_Tsdb_RecoverWal10M_vigil)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Tsdb_RecoverCheckpoint10M_vigil)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace vigil::tsdb

BENCHMARK_MAIN();
