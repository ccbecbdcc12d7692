#include "vigil/ml/sampler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

namespace vigil::ml {
namespace {

std::unique_ptr<Sampler> MustCreate(SamplerOptions options) {
  auto s = Sampler::Create(std::move(options));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(s).value();
}

// Sampled calls out of n.
int CountSampled(const OperationSampler& op, int n) {
  int k = 0;
  for (int i = 0; i < n; ++i) k += op.ShouldSample() ? 1 : 0;
  return k;
}

// |k - n p| within 6 standard deviations of a binomial(n, p).
void ExpectBinomial(int k, int n, double p) {
  const double mean = n * p;
  const double sd = std::sqrt(n * p * (1 - p));
  EXPECT_NEAR(k, mean, 6 * sd) << "n=" << n << " p=" << p;
}

TEST(SamplerTest, RejectsRatesOutsideUnitIntervalNamingTheOperation) {
  auto high = Sampler::Create({.rates = {{"ok_op", 0.5}, {"high_volume_endpoint", 1.5}}});
  ASSERT_FALSE(high.ok());
  EXPECT_EQ(high.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(high.status().message().find("\"high_volume_endpoint\""), std::string_view::npos)
      << high.status().message();
  EXPECT_NE(high.status().message().find("1.5"), std::string_view::npos);

  auto negative = Sampler::Create({.rates = {{"debug_operation", -0.1}}});
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("debug_operation"), std::string_view::npos);

  auto nan = Sampler::Create({.rates = {{"x", std::numeric_limits<double>::quiet_NaN()}}});
  EXPECT_FALSE(nan.ok());

  auto bad_default = Sampler::Create({.default_rate = 2});
  ASSERT_FALSE(bad_default.ok());
  EXPECT_NE(bad_default.status().message().find("default_rate"), std::string_view::npos);

  auto empty_name = Sampler::Create({.rates = {{"", 0.5}}});
  EXPECT_FALSE(empty_name.ok());

  EXPECT_TRUE(Sampler::Create({.rates = {{"a", 0}, {"b", 1}}, .default_rate = 0}).ok());
}

TEST(SamplerTest, ResolvesKnownOperationsAndDefaultsTheRest) {
  auto s = MustCreate({.rates = {{"high_volume_endpoint", 0.01}, {"critical_operation", 1.0}},
                       .default_rate = 0.1});
  EXPECT_EQ(s->RateFor("high_volume_endpoint"), 0.01);
  EXPECT_EQ(s->RateFor("critical_operation"), 1.0);
  EXPECT_EQ(s->RateFor("anything_else"), 0.1);
  EXPECT_EQ(s->ForOperation("high_volume_endpoint").rate(), 0.01);
  EXPECT_EQ(s->ForOperation("unknown").rate(), 0.1);
  EXPECT_EQ(s->default_rate(), 0.1);
}

TEST(SamplerTest, RateOneAlwaysAndRateZeroNeverSamples) {
  auto s = MustCreate({.rates = {{"critical_operation", 1.0}, {"off", 0.0}}, .seed = 1});
  EXPECT_EQ(CountSampled(s->ForOperation("critical_operation"), 10000), 10000);
  EXPECT_EQ(CountSampled(s->ForOperation("off"), 10000), 0);
  // Tiny but positive rates still sample now and then, never always.
  auto tiny = MustCreate({.default_rate = 1e-3, .seed = 1});
  const int k = CountSampled(tiny->ForOperation("x"), 100000);
  ExpectBinomial(k, 100000, 1e-3);
}

TEST(SamplerTest, DefaultConstructedHandleSamplesEverything) {
  OperationSampler op;
  EXPECT_EQ(op.rate(), 1.0);
  EXPECT_EQ(CountSampled(op, 1000), 1000);
}

TEST(SamplerTest, SampledShareFollowsTheRate) {
  auto s = MustCreate({.rates = {{"high_volume_endpoint", 0.01}, {"debug_operation", 0.1}},
                       .default_rate = 0.5,
                       .seed = 42});
  const int n = 100000;
  ExpectBinomial(CountSampled(s->ForOperation("high_volume_endpoint"), n), n, 0.01);
  ExpectBinomial(CountSampled(s->ForOperation("debug_operation"), n), n, 0.1);
  ExpectBinomial(CountSampled(s->ForOperation("other"), n), n, 0.5);
  // The by-name convenience draws from the same generator.
  int k = 0;
  for (int i = 0; i < n; ++i) k += s->ShouldSample("debug_operation") ? 1 : 0;
  ExpectBinomial(k, n, 0.1);
}

TEST(SamplerTest, FixedSeedGivesTheSameDecisionsOnOneThread) {
  auto a = MustCreate({.default_rate = 0.3, .seed = 7});
  auto b = MustCreate({.default_rate = 0.3, .seed = 7});
  auto c = MustCreate({.default_rate = 0.3, .seed = 8});
  const OperationSampler oa = a->ForOperation("op");
  const OperationSampler ob = b->ForOperation("op");
  const OperationSampler oc = c->ForOperation("op");
  int same_ab = 0;
  int same_ac = 0;
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    const bool x = oa.ShouldSample();
    same_ab += x == ob.ShouldSample() ? 1 : 0;
    same_ac += x == oc.ShouldSample() ? 1 : 0;
  }
  EXPECT_EQ(same_ab, n);
  EXPECT_LT(same_ac, n);  // another seed, another sequence
}

TEST(SamplerTest, ConcurrentCallersKeepTheRate) {
  auto s = MustCreate({.default_rate = 0.25, .seed = 3});
  const OperationSampler op = s->ForOperation("x");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50000;
  std::atomic<int> sampled{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] { sampled.fetch_add(CountSampled(op, kPerThread)); });
  }
  for (auto& t : threads) t.join();
  ExpectBinomial(sampled.load(), kThreads * kPerThread, 0.25);
}

}  // namespace
}  // namespace vigil::ml
