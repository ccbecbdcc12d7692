#include "vigil/metrics/summary.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "metrics/summary_window.h"
#include "metrics/test_util.h"
#include "vigil/metrics/registry.h"

namespace vigil::metrics {
namespace {

using internal::SummaryWindow;

// The stated bound: within 1/256 of the observation at rank ceil(q*n).
void ExpectWithinBound(const std::vector<double>& data, const SummaryWindow& w) {
  std::vector<double> sorted = data;
  std::sort(sorted.begin(), sorted.end());
  for (double q : {0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0}) {
    const size_t rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(q * sorted.size())));
    const double exact = sorted[rank - 1];
    const double est = w.Quantile(q);
    EXPECT_LE(std::fabs(est - exact), std::fabs(exact) / 256.0 + 1e-300)
        << "q=" << q << " exact=" << exact << " est=" << est;
  }
}

TEST(SummaryWindowTest, RelativeErrorBoundOnSkewedData) {
  SummaryWindow w(600'000'000'000, 5);
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(-3, 1.5);
  std::vector<double> data;
  for (int i = 0; i < 100000; ++i) {
    data.push_back(dist(rng));
    w.Observe(data.back());
  }
  ExpectWithinBound(data, w);
}

TEST(SummaryWindowTest, RelativeErrorBoundWithNegativesAndZeros) {
  SummaryWindow w(600'000'000'000, 5);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> dist(0, 1000);
  std::vector<double> data;
  for (int i = 0; i < 20000; ++i) {
    double v = i % 10 == 0 ? 0.0 : dist(rng);
    data.push_back(v);
    w.Observe(v);
  }
  ExpectWithinBound(data, w);
}

TEST(SummaryWindowTest, InfinitiesAndNan) {
  SummaryWindow w(600'000'000'000, 5);
  w.Observe(-HUGE_VAL);
  w.Observe(1);
  w.Observe(HUGE_VAL);
  w.Observe(std::nan(""));  // not part of the quantile stream
  EXPECT_EQ(w.WindowCount(), 3u);
  EXPECT_EQ(w.Quantile(0), -HUGE_VAL);
  EXPECT_NEAR(w.Quantile(0.5), 1, 1.0 / 256);
  EXPECT_EQ(w.Quantile(1), HUGE_VAL);
}

int64_t g_fake_now = 0;
int64_t FakeNow() { return g_fake_now; }

TEST(SummaryWindowTest, OldObservationsAgeOut) {
  g_fake_now = 0;
  // max_age 10 s in 5 age buckets: periods of 2 s.
  SummaryWindow w(10'000'000'000, 5, &FakeNow);
  for (int i = 0; i < 100; ++i) w.Observe(100);
  g_fake_now = 4'000'000'000;  // 4 s later: still in the window
  for (int i = 0; i < 100; ++i) w.Observe(1);
  EXPECT_EQ(w.WindowCount(), 200u);
  EXPECT_NEAR(w.Quantile(0.99), 100, 100.0 / 256);
  g_fake_now = 10'500'000'000;  // the bucket holding the 100s is out of the window
  EXPECT_EQ(w.WindowCount(), 100u);
  EXPECT_NEAR(w.Quantile(0.99), 1, 1.0 / 256);
  g_fake_now = 30'000'000'000;  // everything aged out
  EXPECT_EQ(w.WindowCount(), 0u);
  EXPECT_TRUE(std::isnan(w.Quantile(0.5)));
  // A reused age bucket starts empty.
  w.Observe(5);
  EXPECT_EQ(w.WindowCount(), 1u);
}

TEST(SummaryTest, CountAndSumAreCumulative) {
  Registry r;
  Summary s = r.MustAddSummary({.name = "lifetime_seconds", .help = "L."},
                               {.quantiles = {0.5, 0.9}})
                  ->WithLabelValues({});
  for (int i = 1; i <= 100; ++i) s.Observe(i);
  EXPECT_EQ(s.Count(), 100u);
  EXPECT_DOUBLE_EQ(s.Sum(), 5050);
  EXPECT_NEAR(s.Quantile(0.5), 50, 50.0 / 256);
  EXPECT_NEAR(s.Quantile(0.9), 90, 90.0 / 256);
  auto snap = r.Snapshot();
  const MetricSnapshot* m = testing::FindSeries(snap, "lifetime_seconds", {});
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->quantiles, (std::vector<double>{0.5, 0.9}));
  EXPECT_NEAR(m->quantile_values[1], 90, 90.0 / 256);
  EXPECT_EQ(m->count, 100u);
}

TEST(SummaryTest, BadOptionsAreRejected) {
  Registry r;
  EXPECT_FALSE(r.AddSummary({.name = "s", .help = "S."}, {.quantiles = {1.5}}).ok());
  EXPECT_FALSE(r.AddSummary({.name = "s", .help = "S."}, {.age_buckets = 0}).ok());
  EXPECT_FALSE(r.AddSummary({.name = "s", .help = "S.", .label_names = {"quantile"}}).ok());
}

}  // namespace
}  // namespace vigil::metrics
