#include "anomaly/statistical.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "anomaly/registry.h"

namespace vigil::anomaly {
namespace {

constexpr int64_t kStep = 60'000;  // one point a minute

std::unique_ptr<Detector> Make(std::string_view name, Options o = {}) {
  static const Registry registry;
  Result<std::unique_ptr<Detector>> d = registry.Make(name, std::move(o));
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return std::move(d).value();
}

std::string Saved(const Detector& d) {
  StateWriter w;
  d.Save(w);
  return w.Take();
}

// Feeds f(i) for i in [0, n) and returns the scores.
std::vector<Score> Feed(Detector& d, int n, const std::function<double(int)>& f,
                        int64_t start = 0) {
  std::vector<Score> out;
  for (int i = 0; i < n; ++i) {
    Result<Score> s = d.Update(start + i * kStep, f(i));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    out.push_back(s.value());
  }
  return out;
}

TEST(ScoreScale, TailProbabilityMapsToOneScale) {
  EXPECT_DOUBLE_EQ(ScoreFromTail(1e-5, 1, "x").score, 0.5);
  EXPECT_DOUBLE_EQ(ScoreFromTail(1, 1, "x").score, 0);
  EXPECT_DOUBLE_EQ(ScoreFromTail(0, 1, "x").score, 1);
  EXPECT_NEAR(ScoreFromTail(0.01, 1, "x").confidence, 0.99, 1e-12);
  EXPECT_NEAR(ScoreFromTail(0.01, 0.5, "x").confidence, 0.495, 1e-12);
  EXPECT_NEAR(NormalTail(1.959964), 0.05, 1e-6);
}

TEST(Severity, ThresholdsClassifyAndValidate) {
  SeverityThresholds t;
  EXPECT_EQ(t.Classify(0.49), Severity::kNone);
  EXPECT_EQ(t.Classify(0.5), Severity::kLow);
  EXPECT_EQ(t.Classify(0.7), Severity::kMedium);
  EXPECT_EQ(t.Classify(0.85), Severity::kHigh);
  EXPECT_EQ(t.Classify(1.0), Severity::kCritical);
  EXPECT_TRUE(t.Validate().ok());
  EXPECT_FALSE((SeverityThresholds{.low = 0.7, .medium = 0.6}).Validate().ok());
  EXPECT_FALSE((SeverityThresholds{.low = 0}).Validate().ok());
}

// On data that is normal for the model, confidence is calibrated: about 1%
// of points reach 0.99, and a score of 0.5 (p = 1e-5) is rare.
TEST(Statistical, ConfidenceIsCalibratedOnGaussianNoise) {
  for (const char* name : {"robust_z", "ewma"}) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> noise(100, 5);
    auto d = Make(name);
    const std::vector<Score> s = Feed(*d, 40000, [&](int) { return noise(rng); });
    int over99 = 0, alerts = 0;
    for (size_t i = 1000; i < s.size(); ++i) {
      over99 += s[i].confidence >= 0.99;
      alerts += s[i].score >= 0.5;
    }
    const double frac = over99 / static_cast<double>(s.size() - 1000);
    EXPECT_GT(frac, 0.005) << name;
    EXPECT_LT(frac, 0.02) << name;
    EXPECT_LE(alerts, 3) << name;
  }
}

TEST(Statistical, SpikeIsFoundAndDoesNotPoisonTheBaseline) {
  for (const char* name : {"robust_z", "ewma"}) {
    std::mt19937_64 rng(11);
    std::normal_distribution<double> noise(10, 1);
    auto d = Make(name);
    const std::vector<Score> s =
        Feed(*d, 3000, [&](int i) { return i == 2000 ? 25.0 : noise(rng); });
    EXPECT_GE(s[2000].score, 0.8) << name;
    EXPECT_EQ(s[2000].type, "outlier");
    int after = 0;
    for (int i = 2001; i < 2100; ++i) after += s[i].score >= 0.5;
    EXPECT_EQ(after, 0) << name << ": the spike moved the baseline";
  }
}

TEST(Statistical, EwmaFollowsSlowDrift) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 1);
  auto d = Make("ewma");
  const std::vector<Score> s = Feed(*d, 20000, [&](int i) { return 0.002 * i + noise(rng); });
  int alerts = 0;
  for (size_t i = 100; i < s.size(); ++i) alerts += s[i].score >= 0.5;
  EXPECT_LE(alerts, 1);
}

TEST(Cusum, FindsASmallSustainedShiftThatPointTestsMiss) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> xs;
  for (int i = 0; i < 6000; ++i) xs.push_back((i >= 3000 ? 1.5 : 0.0) + noise(rng));
  auto cusum = Make("cusum");
  auto z = Make("robust_z");
  const auto c = Feed(*cusum, 6000, [&](int i) { return xs[i]; });
  const auto p = Feed(*z, 6000, [&](int i) { return xs[i]; });
  int before = 0, detected_at = -1, repeats = 0;
  for (int i = 0; i < 3000; ++i) before += c[i].score >= 0.5;
  for (int i = 3000; i < 6000; ++i) {
    if (c[i].score < 0.5) continue;
    if (detected_at < 0) {
      detected_at = i;
    } else {
      ++repeats;
    }
  }
  EXPECT_EQ(before, 0);
  ASSERT_GE(detected_at, 3000);
  EXPECT_LT(detected_at, 3030) << "a 1.5 sd shift is found within 30 points";
  EXPECT_EQ(c[detected_at].type, "level_shift");
  EXPECT_LE(repeats, 1) << "after the shift the baseline re-centres";
  int point_hits = 0;
  for (int i = 3000; i < 3030; ++i) point_hits += p[i].score >= 0.5;
  EXPECT_EQ(point_hits, 0) << "robust z should not see a 1.5 sd shift";
}

TEST(Cusum, AverageRunLengthMatchesTheTables) {
  // k = 0.5, h = 5: the one-sided in-control ARL is about 930 (Montgomery).
  const double arl = CusumDetector::AverageRunLength(5, 0.5);
  EXPECT_GT(arl, 880);
  EXPECT_LT(arl, 980);
}

TEST(Seasonal, FindsAValueWrongForItsTimeOfDay) {
  // A daily sine sampled every 5 minutes for 10 days; on day 9 at the peak
  // hour the value is the daily trough: inside the overall range.
  auto seasonal = Make("seasonal");
  auto z = Make("robust_z");
  const int per_day = 288, n = 10 * per_day;
  const int bad = 9 * per_day + per_day / 4;  // 06:00, the peak of sin
  std::mt19937_64 rng(2);
  std::normal_distribution<double> noise(0, 0.5);
  std::vector<double> xs;
  for (int i = 0; i < n; ++i) {
    const double phase = 2 * M_PI * (i % per_day) / per_day;
    xs.push_back(i == bad ? 50 - 20 : 50 + 20 * std::sin(phase) + noise(rng));
  }
  Score at_bad_s, at_bad_z;
  int false_alarms = 0;
  for (int i = 0; i < n; ++i) {
    const int64_t t = static_cast<int64_t>(i) * 300'000;
    Score s = seasonal->Update(t, xs[i]).value();
    Score r = z->Update(t, xs[i]).value();
    if (i == bad) {
      at_bad_s = s;
      at_bad_z = r;
    } else if (i > 3 * per_day) {
      false_alarms += s.score >= 0.5;
    }
  }
  EXPECT_GE(at_bad_s.score, 0.5);
  EXPECT_EQ(at_bad_s.type, "seasonality");
  EXPECT_LT(at_bad_z.score, 0.5) << "the value is ordinary without its time of day";
  EXPECT_LE(false_alarms, 1);
}

TEST(Statistical, BadInputIsRefusedAndLeavesTheStateAlone) {
  for (const char* name : {"robust_z", "ewma", "cusum", "seasonal", "ensemble"}) {
    auto d = Make(name);
    Feed(*d, 200, [](int i) { return std::sin(i * 0.1); });
    const std::string before = Saved(*d);
    for (double bad : {std::nan(""), HUGE_VAL, -HUGE_VAL}) {
      Result<Score> s = d->Update(200 * kStep, bad);
      ASSERT_FALSE(s.ok()) << name;
      EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    }
    EXPECT_EQ(Saved(*d), before) << name;
  }
}

TEST(Statistical, ParametersAreChecked) {
  Registry r;
  Result<std::unique_ptr<Detector>> d = r.Make("ewma", Options({{"alhpa", 0.1}}));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("unknown parameter alhpa"), std::string::npos);
  d = r.Make("ewma", Options({{"alpha", 2}}));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("alpha must be in"), std::string::npos);
  d = r.Make("robust_z", Options({{"window", 10.5}}));
  EXPECT_FALSE(d.ok());
  d = r.Make("seasonal", Options({{"slots", 100}, {"period_seconds", 60}}));
  EXPECT_FALSE(d.ok());
  d = r.Make("nope", {});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kNotFound);
  d = r.Make("mahalanobis", {});
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
}

TEST(Statistical, SaveAndLoadContinueExactly) {
  for (const char* name : {"robust_z", "ewma", "cusum", "seasonal", "ensemble"}) {
    std::mt19937_64 rng(9);
    std::normal_distribution<double> noise(5, 2);
    std::vector<double> xs;
    for (int i = 0; i < 3000; ++i) {
      xs.push_back(noise(rng) + (i > 2500 ? 3 : 0) + (i == 2700 ? 40 : 0));
    }
    auto a = Make(name);
    Feed(*a, 2000, [&](int i) { return xs[i]; });
    const std::string blob = Saved(*a);
    auto b = Make(name);
    StateReader r(blob);
    ASSERT_TRUE(b->Load(r).ok()) << name;
    ASSERT_TRUE(r.Finish().ok());
    for (int i = 2000; i < 3000; ++i) {
      const Score sa = a->Update(i * kStep, xs[i]).value();
      const Score sb = b->Update(i * kStep, xs[i]).value();
      ASSERT_EQ(sa.score, sb.score) << name << " at " << i;
      ASSERT_EQ(sa.confidence, sb.confidence);
      ASSERT_EQ(sa.type, sb.type);
    }
    // Truncated state is data loss, not a crash.
    for (size_t cut : {size_t{0}, blob.size() / 2, blob.size() - 1}) {
      if (cut == 0 && blob.empty()) continue;
      auto c = Make(name);
      StateReader tr(std::string_view(blob).substr(0, cut));
      Status s = c->Load(tr);
      if (s.ok()) s = tr.Finish();
      EXPECT_EQ(s.code(), StatusCode::kDataLoss) << name << " cut at " << cut;
    }
  }
}


TEST(Ensemble, ReportsWhatKindOfAnomalyWon) {
  auto d = Make("ensemble");
  std::mt19937_64 rng(12);
  std::normal_distribution<double> noise(50, 1);
  const auto s = Feed(*d, 2000, [&](int i) { return i == 1500 ? 90.0 : noise(rng); });
  EXPECT_EQ(s[1500].score, 1.0);
  EXPECT_EQ(s[1500].type, "out_of_range");
  EXPECT_GT(s[1500].confidence, 0.999);
  int alerts = 0;
  for (int i = 1000; i < 2000; ++i) alerts += s[i].score >= 0.5;
  EXPECT_EQ(alerts, 1);
  EXPECT_FALSE(Registry().Make("ensemble", Options({{"window", 100}})).ok())
      << "the ensemble takes no parameters";
}

}  // namespace
}  // namespace vigil::anomaly
