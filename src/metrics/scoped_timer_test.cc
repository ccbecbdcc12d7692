#include "vigil/metrics/scoped_timer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "vigil/metrics/registry.h"

namespace vigil::metrics {
namespace {

TEST(ScopedTimerTest, ObservesElapsedSecondsAtScopeEnd) {
  Registry r;
  auto* f = r.MustAddHistogram({.name = "stage_seconds", .help = "S.", .label_names = {"stage"}},
                               {0.001, 0.01, 10});
  {
    ScopedTimer t(f->WithLabelValues({"detect"}));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(f->WithLabelValues({"detect"}).Count(), 0u);  // not yet
  }
  Histogram h = f->WithLabelValues({"detect"});
  EXPECT_EQ(h.Count(), 1u);
  EXPECT_GE(h.Sum(), 0.02);
  EXPECT_LT(h.Sum(), 10);
  EXPECT_EQ(h.CumulativeCounts()[1], 0u);  // > 10 ms
}

TEST(ScopedTimerTest, StopObservesOnceAndCancelObservesNothing) {
  Registry r;
  Summary s = r.MustAddSummary({.name = "s_seconds", .help = "S."})->WithLabelValues({});
  {
    ScopedSummaryTimer t(s);
    const double took = t.Stop();
    EXPECT_GE(took, 0);
    t.Stop();
  }
  EXPECT_EQ(s.Count(), 1u);
  {
    ScopedSummaryTimer t(s);
    t.Cancel();
  }
  EXPECT_EQ(s.Count(), 1u);
}

}  // namespace
}  // namespace vigil::metrics
