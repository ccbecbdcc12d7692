// Many threads on the same handles: totals are exact, histogram snapshots are
// consistent, and values survive the exit of the threads that wrote them.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "metrics/test_util.h"
#include "vigil/metrics/registry.h"

namespace vigil::metrics {
namespace {

constexpr int kThreads = 8;
constexpr int kPerThread = 50000;

TEST(ConcurrencyTest, CounterTotalsAreExact) {
  Registry r;
  auto* f = r.MustAddCounter({.name = "c_total", .help = "C.", .label_names = {"k"}});
  Counter shared = f->WithLabelValues({"shared"});
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Counter own = f->WithLabelValues({"t" + std::to_string(t)});
      for (int i = 0; i < kPerThread; ++i) {
        shared.Inc();
        own.Inc(2);
      }
    });
  }
  for (auto& th : threads) th.join();
  // Every writer thread has exited: their slabs were handed back, values kept.
  EXPECT_EQ(shared.Value(), static_cast<double>(kThreads) * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(f->WithLabelValues({"t" + std::to_string(t)}).Value(), 2.0 * kPerThread);
  }
}

TEST(ConcurrencyTest, ExitedThreadSlabsAreReused) {
  Registry r;
  Counter c = r.MustAddCounter({.name = "c_total", .help = "C."})->WithLabelValues({});
  for (int round = 0; round < 20; ++round) {
    std::thread([&] { c.Inc(); }).join();
  }
  EXPECT_EQ(c.Value(), 20);
  // Twenty sequential threads do not need twenty slabs.
  EXPECT_LT(internal::SlabCount(), 20u);
}

TEST(ConcurrencyTest, HistogramSnapshotsAreConsistent) {
  Registry r;
  Histogram h = r.MustAddHistogram({.name = "h", .help = "H."}, {0.5, 1, 2})->WithLabelValues({});
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      // Every observation is exactly 1.0: sum must always equal count.
      while (!stop.load(std::memory_order_relaxed)) h.Observe(1.0);
    });
  }
  int checks = 0;
  uint64_t last = 0;
  while (checks < 2000) {
    auto snap = r.Snapshot();
    const MetricSnapshot* m = testing::FindSeries(snap, "h", {});
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(m->count, m->bucket_counts.back());
    ASSERT_EQ(m->sum, static_cast<double>(m->count));
    ASSERT_EQ(m->bucket_counts[0], 0u);
    ASSERT_EQ(m->bucket_counts[1], m->count);
    ASSERT_GE(m->count, last);
    last = m->count;
    ++checks;
  }
  stop = true;
  for (auto& w : writers) w.join();
  EXPECT_EQ(h.Count(), static_cast<uint64_t>(h.Sum()));
}

TEST(ConcurrencyTest, LookupsCreationAndRemovalRace) {
  Registry r;
  auto* f = r.MustAddCounter({.name = "c_total", .help = "C.", .label_names = {"k"}});
  std::atomic<bool> stop{false};
  std::atomic<int64_t> stable_incs{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      int i = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        f->WithLabelValues({"stable"}).Inc();
        stable_incs.fetch_add(1, std::memory_order_relaxed);
        f->WithLabelValues({"churn" + std::to_string(t) + "_" + std::to_string(i % 50)}).Inc();
        if (i % 7 == 0) f->Remove({"churn" + std::to_string(t) + "_" + std::to_string((i + 25) % 50)});
        ++i;
      }
    });
  }
  for (int i = 0; i < 200; ++i) (void)r.Snapshot();
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(f->WithLabelValues({"stable"}).Value(), static_cast<double>(stable_incs.load()));
}

TEST(ConcurrencyTest, SummaryCountsAreExact) {
  Registry r;
  Summary s = r.MustAddSummary({.name = "s", .help = "S."})->WithLabelValues({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) s.Observe(1);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(s.Count(), 80000u);
  EXPECT_EQ(s.Sum(), 80000);
  EXPECT_EQ(s.WindowCount(), 80000u);
}

}  // namespace
}  // namespace vigil::metrics
