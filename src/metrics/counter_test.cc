#include "vigil/metrics/counter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "metrics/test_util.h"
#include "vigil/metrics/registry.h"

namespace vigil::metrics {
namespace {

using testing::SeriesValue;

TEST(CounterTest, StartsAtZeroAndIncrements) {
  Registry r;
  auto* f = r.MustAddCounter({.name = "jobs_total", .help = "Jobs."});
  Counter c = f->WithLabelValues({});
  EXPECT_EQ(c.Value(), 0);
  c.Inc();
  c.Inc(2.5);
  EXPECT_DOUBLE_EQ(c.Value(), 3.5);
  EXPECT_DOUBLE_EQ(SeriesValue(r, "jobs_total", {}), 3.5);
}

TEST(CounterTest, RefusesNegativeNanAndInfinite) {
  Registry r;
  auto* f = r.MustAddCounter({.name = "jobs_total", .help = "Jobs."});
  Counter c = f->WithLabelValues({});
  c.Inc(1);
  c.Inc(-1);
  c.Inc(std::numeric_limits<double>::quiet_NaN());
  c.Inc(std::numeric_limits<double>::infinity());
  EXPECT_EQ(c.Value(), 1);
  EXPECT_EQ(SeriesValue(r, "vigil_metrics_rejected_updates_total",
                        {{"family", "jobs_total"}, {"reason", "negative_increment"}}),
            1);
  EXPECT_EQ(SeriesValue(r, "vigil_metrics_rejected_updates_total",
                        {{"family", "jobs_total"}, {"reason", "nan_increment"}}),
            1);
  EXPECT_EQ(SeriesValue(r, "vigil_metrics_rejected_updates_total",
                        {{"family", "jobs_total"}, {"reason", "infinite_increment"}}),
            1);
}

TEST(CounterTest, TryIncReportsTheError) {
  Registry r;
  Counter c = r.MustAddCounter({.name = "x_total", .help = "X."})->WithLabelValues({});
  EXPECT_TRUE(c.TryInc(2).ok());
  Status s = c.TryInc(-3);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(">= 0"), std::string_view::npos);
  EXPECT_EQ(c.Value(), 2);
}

TEST(CounterTest, DefaultHandleIsDetached) {
  Counter c;
  c.Inc();
  c.Inc(5);
  Registry r;
  EXPECT_TRUE(r.Snapshot().empty());
}

TEST(CounterTest, HandleCopiesShareTheSeries) {
  Registry r;
  auto* f = r.MustAddCounter({.name = "x_total", .help = "X.", .label_names = {"k"}});
  Counter a = f->WithLabelValues({"v"});
  Counter b = a;
  Counter c = f->WithLabelValues({"v"});
  a.Inc();
  b.Inc();
  c.Inc();
  EXPECT_EQ(a.Value(), 3);
  EXPECT_EQ(f->size(), 1u);
}

TEST(CounterTest, ExemplarIsKeptAndValidated) {
  Registry r;
  Counter c = r.MustAddCounter({.name = "x_total", .help = "X."})->WithLabelValues({});
  c.IncWithExemplar(2, {{"trace_id", "abc123"}});
  auto snap = r.Snapshot();
  const MetricSnapshot* m = testing::FindSeries(snap, "x_total", {});
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->exemplars.size(), 1u);
  EXPECT_TRUE(m->has_exemplar[0]);
  EXPECT_EQ(m->exemplars[0].labels[0].second, "abc123");
  EXPECT_EQ(m->exemplars[0].value, 2);

  // Over 128 characters: the increment counts, the exemplar is refused.
  c.IncWithExemplar(1, {{"trace_id", std::string(130, 'a')}});
  EXPECT_EQ(c.Value(), 3);
  EXPECT_EQ(SeriesValue(r, "vigil_metrics_rejected_updates_total",
                        {{"family", "x_total"}, {"reason", "invalid_exemplar"}}),
            1);
}

}  // namespace
}  // namespace vigil::metrics
