#include "vigil/metrics/gauge.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>

#include "metrics/test_util.h"
#include "vigil/metrics/registry.h"

namespace vigil::metrics {
namespace {

TEST(GaugeTest, SetIncDec) {
  Registry r;
  Gauge g = r.MustAddGauge({.name = "queue_size", .help = "Q."})->WithLabelValues({});
  g.Set(10);
  g.Inc();
  g.Inc(4);
  g.Dec();
  g.Dec(2.5);
  EXPECT_DOUBLE_EQ(g.Value(), 11.5);
  EXPECT_DOUBLE_EQ(testing::SeriesValue(r, "queue_size", {}), 11.5);
  g.Set(-3);
  EXPECT_EQ(g.Value(), -3);
}

TEST(GaugeTest, SpecialValuesAreAllowed) {
  Registry r;
  Gauge g = r.MustAddGauge({.name = "g", .help = "G."})->WithLabelValues({});
  g.Set(std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isinf(g.Value()));
  g.Set(std::nan(""));
  EXPECT_TRUE(std::isnan(g.Value()));
}

TEST(GaugeTest, SetToCurrentTime) {
  Registry r;
  Gauge g = r.MustAddGauge({.name = "last_seen_seconds", .help = "T."})->WithLabelValues({});
  const double before = std::chrono::duration<double>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
  g.SetToCurrentTime();
  const double after = std::chrono::duration<double>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_GE(g.Value(), before);
  EXPECT_LE(g.Value(), after);
}

TEST(GaugeTest, CallbackIsEvaluatedAtCollectTime) {
  Registry r;
  std::atomic<int> calls{0};
  double value = 1;
  ASSERT_TRUE(r.AddGaugeCallback({.name = "temperature_celsius", .help = "T.",
                                  .const_labels = {{"device", "gpu0"}}},
                                 [&] {
                                   ++calls;
                                   return value;
                                 })
                  .ok());
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(testing::SeriesValue(r, "temperature_celsius", {{"device", "gpu0"}}), 1);
  value = 42;
  EXPECT_EQ(testing::SeriesValue(r, "temperature_celsius", {{"device", "gpu0"}}), 42);
  EXPECT_EQ(calls.load(), 2);
}

TEST(GaugeTest, CallbackRegistrationErrors) {
  Registry r;
  EXPECT_FALSE(r.AddGaugeCallback({.name = "g", .help = "G.", .label_names = {"a"}},
                                  [] { return 1.0; }).ok());
  EXPECT_FALSE(r.AddGaugeCallback({.name = "g", .help = "G."}, nullptr).ok());
  EXPECT_FALSE(r.AddGaugeCallback({.name = "1g", .help = "G."}, [] { return 1.0; }).ok());
  r.MustAddCounter({.name = "taken_total", .help = "T."});
  Status s = r.AddGaugeCallback({.name = "taken_total", .help = "T."}, [] { return 1.0; });
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace vigil::metrics
