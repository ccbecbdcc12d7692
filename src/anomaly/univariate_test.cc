#include "anomaly/univariate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace vigil::anomaly {
namespace {

constexpr int64_t kFiveMinutes = 300'000;
constexpr int64_t kT0 = 1'400'000'000'000;  // 2014-05-13T16:53:20Z

TEST(SlidingWindowTest, KeepsTheLastValuesSorted) {
  SlidingWindow w(5);
  for (double x : {5.0, 1.0, 4.0, 2.0, 3.0}) w.Add(x);
  EXPECT_EQ(w.Median(), 3.0);
  EXPECT_EQ(w.Quantile(0.0), 1.0);
  EXPECT_EQ(w.Quantile(0.99), 5.0);
  w.Add(10.0);  // 5 leaves
  EXPECT_EQ(w.size(), 5u);
  EXPECT_EQ(w.Median(), 3.0);
  EXPECT_EQ(w.Quantile(0.99), 10.0);
  w.Add(0.0);  // 1 leaves
  EXPECT_EQ(w.Quantile(0.0), 0.0);
  EXPECT_EQ(w.Median(), 3.0);  // {0,2,3,4,10}
  EXPECT_EQ(w.Scale(), 0.5 * (4.0 - 2.0));
}

TEST(RobustZScoreTest, ScoresASpikeHighAndNoiseLow) {
  RobustZScore d;
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(100, 1);
  double max_noise_score = 0;
  for (int i = 0; i < 500; ++i) max_noise_score = std::max(max_noise_score, *d.Update(noise(rng)));
  EXPECT_LT(max_noise_score, 0.5);
  EXPECT_GT(*d.Update(150), 0.95);
}

TEST(RobustZScoreTest, RefusesNaNAndInfWithoutPoisoning) {
  RobustZScore d;
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(d.Update(10 + i % 3).ok());
  const size_t n = d.window().size();
  EXPECT_EQ(d.Update(std::nan("")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(d.Update(std::numeric_limits<double>::infinity()).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(d.window().size(), n);
  EXPECT_LT(*d.Update(11), 0.5);
}

// A noisy series with a daily cycle, every five minutes.
double Daily(int i, std::mt19937* rng) {
  std::normal_distribution<double> noise(0, 1);
  return 50 + 20 * std::sin(2 * M_PI * (i % 288) / 288.0) + noise(*rng);
}

// Runs the ensemble over `n` points from `f` and returns the indices
// scored at or above the threshold.
template <typename F>
std::vector<int> Alerts(EnsembleDetector* d, int n, F f) {
  std::vector<int> out;
  for (int i = 0; i < n; ++i) {
    Result<double> s = d->Update(kT0 + i * kFiveMinutes, f(i));
    EXPECT_TRUE(s.ok());
    EXPECT_GE(*s, 0.0);
    EXPECT_LE(*s, 1.0);
    if (*s >= EnsembleDetector::kRecommendedThreshold) out.push_back(i);
  }
  return out;
}

TEST(EnsembleDetectorTest, QuietOnSeasonalNoise) {
  EnsembleDetector d;
  std::mt19937 rng(7);
  // After the first day (learning), a week of a steady daily cycle.
  std::vector<int> alerts = Alerts(&d, 288 * 8, [&](int i) { return Daily(i, &rng); });
  int late = 0;
  for (int i : alerts) late += i >= 288 ? 1 : 0;
  EXPECT_LE(late, 1) << "alerts on plain seasonal noise";
}

TEST(EnsembleDetectorTest, FindsASpikeALevelShiftAndASeasonalityBreak) {
  for (int kind = 0; kind < 3; ++kind) {
    EnsembleDetector d;
    std::mt19937 rng(11);
    const int at = 288 * 6;
    std::vector<int> alerts = Alerts(&d, 288 * 7, [&](int i) {
      double x = Daily(i, &rng);
      if (kind == 0 && i == at) x += 60;                       // spike
      if (kind == 1 && i >= at) x += 35;                       // level shift
      if (kind == 2 && i >= at) x = 50 + 1.0 * (rng() % 3);    // the cycle stops
      return x;
    });
    bool found = false;
    for (int i : alerts) found |= i >= at && i < at + 60;
    EXPECT_TRUE(found) << "kind " << kind << " not found within 60 points";
    for (int i : alerts) EXPECT_TRUE(i < 288 || i >= at) << "kind " << kind << ": false alert at " << i;
  }
}

// A slow steady climb sets a new record of the value every few points; it must not
// page. The out-of-range test follows the drift (the deviation from the window median
// must be unprecedented too), so after warm-up the ramp is quiet, and a spike on the
// same ramp is still flagged at once.
TEST(EnsembleDetectorTest, QuietOnADriftButFindsASpikeOnIt) {
  constexpr int kPoints = 20'000;
  constexpr int kWarmUp = 1'000;
  constexpr int kSpikeAt = 15'000;
  for (bool spike : {false, true}) {
    EnsembleDetector d;
    std::mt19937 rng(3);
    std::normal_distribution<double> noise(0, 0.2);
    // From 100 to 300 over 20,000 points, 0.01 a point: 50 times the noise over 1,000.
    std::vector<int> alerts = Alerts(&d, kPoints, [&](int i) {
      return 100 + 0.01 * i + noise(rng) + (spike && i == kSpikeAt ? 10.0 : 0.0);
    });
    int late = 0;
    bool found = false;
    for (int i : alerts) {
      if (spike && i >= kSpikeAt && i < kSpikeAt + 5) {
        found = true;
      } else if (i >= kWarmUp) {
        ++late;
      }
    }
    EXPECT_LE(late, 2) << "alerts on a steady ramp (spike " << spike << ")";
    if (spike) {
      EXPECT_TRUE(found) << "spike on the ramp not found";
    }
  }
}

TEST(EnsembleDetectorTest, RefusesBadInputWithoutPoisoning) {
  EnsembleDetector a, b;
  std::mt19937 r1(5), r2(5);
  for (int i = 0; i < 600; ++i) {
    const double x = Daily(i, &r1);
    ASSERT_TRUE(a.Update(kT0 + i * kFiveMinutes, x).ok());
    if (i == 300) {
      EXPECT_EQ(b.Update(kT0, std::nan("")).status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(b.Update(kT0, -std::numeric_limits<double>::infinity()).status().code(),
                StatusCode::kInvalidArgument);
    }
    ASSERT_TRUE(b.Update(kT0 + i * kFiveMinutes, Daily(i, &r2)).ok());
  }
  // Same inputs apart from the refused ones: same scores.
  for (int i = 600; i < 700; ++i) {
    const double x = Daily(i, &r1);
    EXPECT_EQ(*a.Update(kT0 + i * kFiveMinutes, x), *b.Update(kT0 + i * kFiveMinutes, x));
  }
  // Finite values whose difference overflows are refused too.
  EnsembleDetector c;
  ASSERT_TRUE(c.Update(kT0, -1.7e308).ok());
  EXPECT_EQ(c.Update(kT0, 1.7e308).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::anomaly
