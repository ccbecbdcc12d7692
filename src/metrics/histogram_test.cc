#include "vigil/metrics/histogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "metrics/test_util.h"
#include "vigil/metrics/registry.h"

namespace vigil::metrics {
namespace {

TEST(BucketsTest, Linear) {
  auto b = LinearBuckets(0.1, 0.1, 9);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 9u);
  EXPECT_EQ((*b)[2], 0.3);  // rounded, not 0.30000000000000004
  EXPECT_EQ(b->back(), 0.9);
  EXPECT_FALSE(LinearBuckets(0, 0, 3).ok());
  EXPECT_FALSE(LinearBuckets(0, 1, 0).ok());
}

TEST(BucketsTest, Exponential) {
  auto b = ExponentialBuckets(0.001, 2, 4);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, (std::vector<double>{0.001, 0.002, 0.004, 0.008}));
  EXPECT_FALSE(ExponentialBuckets(0, 2, 3).ok());
  EXPECT_FALSE(ExponentialBuckets(1, 1, 3).ok());
  EXPECT_FALSE(ExponentialBuckets(1, 2, -1).ok());
}

TEST(HistogramTest, CountsIntoCumulativeBuckets) {
  Registry r;
  Histogram h = r.MustAddHistogram({.name = "latency_seconds", .help = "L."}, {0.1, 0.5, 1})
                    ->WithLabelValues({});
  for (double v : {0.05, 0.1, 0.3, 0.7, 2.0}) h.Observe(v);
  EXPECT_EQ(h.CumulativeCounts(), (std::vector<uint64_t>{2, 3, 4, 5}));
  EXPECT_EQ(h.Count(), 5u);
  EXPECT_DOUBLE_EQ(h.Sum(), 3.15);
  EXPECT_DOUBLE_EQ(h.Average(), 0.63);
  auto snap = r.Snapshot();
  const MetricSnapshot* m = testing::FindSeries(snap, "latency_seconds", {});
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->bucket_counts, (std::vector<uint64_t>{2, 3, 4, 5}));
  EXPECT_EQ(m->count, m->bucket_counts.back());
}

TEST(HistogramTest, NanGoesToInfAndPoisonsSum) {
  Registry r;
  Histogram h = r.MustAddHistogram({.name = "h", .help = "H."}, {1})->WithLabelValues({});
  h.Observe(std::nan(""));
  EXPECT_EQ(h.CumulativeCounts(), (std::vector<uint64_t>{0, 1}));
  EXPECT_TRUE(std::isnan(h.Sum()));
}

TEST(HistogramTest, ManyBucketsUseBinarySearch) {
  Registry r;
  std::vector<double> bounds;
  for (int i = 1; i <= 40; ++i) bounds.push_back(i);
  Histogram h = r.MustAddHistogram({.name = "h", .help = "H."}, bounds)->WithLabelValues({});
  for (int i = 0; i <= 41; ++i) h.Observe(i);  // 0..41
  const auto c = h.CumulativeCounts();
  ASSERT_EQ(c.size(), 41u);
  EXPECT_EQ(c[0], 2u);   // 0 and 1 are <= 1
  EXPECT_EQ(c[39], 41u); // <= 40
  EXPECT_EQ(c[40], 42u); // +Inf
}

TEST(HistogramTest, QuantileInterpolatesLikePromQL) {
  const std::vector<double> bounds = {1, 2, 4};
  // 10 observations: 4 in (0,1], 4 in (1,2], 2 in (2,4].
  const std::vector<uint64_t> cum = {4, 8, 10, 10};
  EXPECT_DOUBLE_EQ(BucketQuantile(0.5, bounds, cum), 1.25);  // rank 5: 1 + (5-4)/4
  EXPECT_DOUBLE_EQ(BucketQuantile(0.2, bounds, cum), 0.5);   // rank 2: 0 + 2/4
  EXPECT_DOUBLE_EQ(BucketQuantile(0.9, bounds, cum), 3.0);   // rank 9: 2 + 2*(1/2)
  EXPECT_DOUBLE_EQ(BucketQuantile(1.0, bounds, cum), 4.0);
  EXPECT_TRUE(std::isnan(BucketQuantile(std::nan(""), bounds, cum)));
  EXPECT_EQ(BucketQuantile(-1, bounds, cum), -HUGE_VAL);
  EXPECT_EQ(BucketQuantile(2, bounds, cum), HUGE_VAL);
  // Observations past the last bound: the highest finite bound.
  EXPECT_DOUBLE_EQ(BucketQuantile(0.99, bounds, std::vector<uint64_t>{0, 0, 1, 10}), 4.0);
  EXPECT_TRUE(std::isnan(BucketQuantile(0.5, bounds, std::vector<uint64_t>{0, 0, 0, 0})));
}

TEST(HistogramTest, InProcessQuantile) {
  Registry r;
  Histogram h = r.MustAddHistogram({.name = "h", .help = "H."}, {1, 2, 4})->WithLabelValues({});
  for (double v : {0.5, 0.5, 0.5, 0.5, 1.5, 1.5, 1.5, 1.5, 3.0, 3.0}) h.Observe(v);
  EXPECT_DOUBLE_EQ(h.Quantile(0.5), 1.25);
  Histogram empty = r.MustAddHistogram({.name = "e", .help = "E."}, {1})->WithLabelValues({});
  EXPECT_TRUE(std::isnan(empty.Quantile(0.5)));
  EXPECT_TRUE(std::isnan(empty.Average()));
}

TEST(HistogramTest, BadBucketsAreRejected) {
  Registry r;
  EXPECT_FALSE(r.AddHistogram({.name = "h", .help = "H."}, {1, 1}).ok());
  EXPECT_FALSE(r.AddHistogram({.name = "h", .help = "H."}, {2, 1}).ok());
  EXPECT_FALSE(r.AddHistogram({.name = "h", .help = "H."}, {1, std::nan("")}).ok());
  // A trailing +Inf is implied and accepted.
  auto ok = r.AddHistogram({.name = "h", .help = "H."}, {1, HUGE_VAL});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)->WithLabelValues({}).Bounds().size(), 1u);
}

TEST(HistogramTest, ExemplarPerBucket) {
  Registry r;
  Histogram h = r.MustAddHistogram({.name = "h", .help = "H."}, {1, 2})->WithLabelValues({});
  h.ObserveWithExemplar(1.5, {{"trace_id", "t1"}});
  auto snap = r.Snapshot();
  const MetricSnapshot* m = testing::FindSeries(snap, "h", {});
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->exemplars.size(), 3u);
  EXPECT_FALSE(m->has_exemplar[0]);
  EXPECT_TRUE(m->has_exemplar[1]);
  EXPECT_EQ(m->exemplars[1].value, 1.5);
  EXPECT_FALSE(m->has_exemplar[2]);
}

}  // namespace
}  // namespace vigil::metrics
