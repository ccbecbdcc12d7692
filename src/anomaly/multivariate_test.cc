#include "anomaly/multivariate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "anomaly/registry.h"
#include "anomaly/spatial.h"

namespace vigil::anomaly {
namespace {

std::unique_ptr<VectorDetector> Make(std::string_view name, Options o = {}) {
  static const Registry registry;
  Result<std::unique_ptr<VectorDetector>> d = registry.MakeVector(name, std::move(o));
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return std::move(d).value();
}

std::string Saved(const VectorDetector& d) {
  StateWriter w;
  d.Save(w);
  return w.Take();
}

Score Update(VectorDetector& d, int64_t t, std::vector<double> x) {
  Result<Score> s = d.Update(t, x);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? s.value() : Score{};
}

// x and y are correlated (0.8): (2, -2) is 2 sd out on each axis, ordinary
// alone, but breaks the correlation; only a covariance-aware detector sees it.
TEST(Mahalanobis, FindsAPointThatBreaksTheCorrelation) {
  auto d = Make("mahalanobis");
  std::mt19937_64 rng(1);
  std::normal_distribution<double> n(0, 1);
  int over99 = 0, alerts = 0;
  const int total = 20000;
  for (int i = 0; i < total; ++i) {
    const double x = n(rng);
    const Score s = Update(*d, i, {x, 0.8 * x + 0.6 * n(rng)});
    if (i >= 1000) {
      over99 += s.confidence >= 0.99;
      alerts += s.score >= 0.5;
    }
  }
  const double frac = over99 / static_cast<double>(total - 1000);
  EXPECT_GT(frac, 0.005);
  EXPECT_LT(frac, 0.02);
  EXPECT_LE(alerts, 2);
  const Score odd = Update(*d, total, {2, -2});
  EXPECT_GE(odd.score, 0.7);
  EXPECT_EQ(odd.type, "multivariate");
}

TEST(Mahalanobis, ShrinkageKeepsFewVectorsInManyDimensionsInvertible) {
  const int dim = 40;
  auto d = Make("mahalanobis", Options({{"window", 45}, {"min_points", 45}}));
  std::mt19937_64 rng(2);
  std::normal_distribution<double> n(0, 1);
  for (int i = 0; i < 45; ++i) {
    std::vector<double> x(dim);
    for (double& v : x) v = n(rng);
    Update(*d, i, x);
  }
  auto* m = dynamic_cast<MahalanobisDetector*>(d.get());
  ASSERT_NE(m, nullptr);
  EXPECT_GT(m->shrinkage(), 0.1) << "45 vectors in 40 dimensions need shrinking";
  std::vector<double> typical(dim);
  for (double& v : typical) v = n(rng);
  const Score s = Update(*d, 45, typical);
  EXPECT_TRUE(std::isfinite(s.score));
  EXPECT_LT(s.score, 0.5);
  std::vector<double> far(dim, 0);
  far[0] = 30;
  EXPECT_GE(Update(*d, 46, far).score, 0.5);
  // A fixed intensity is honoured.
  auto fixed = Make("mahalanobis", Options({{"shrinkage", 0.3}, {"min_points", 10}}));
  for (int i = 0; i < 10; ++i) Update(*fixed, i, {n(rng), n(rng)});
  EXPECT_DOUBLE_EQ(dynamic_cast<MahalanobisDetector*>(fixed.get())->shrinkage(), 0.3);
}

TEST(IsolationForest, IsolatesAFarPointAndIsDeterministic) {
  auto a = Make("isolation_forest");
  auto b = Make("isolation_forest");
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n(0, 1);
  int alerts = 0;
  for (int i = 0; i < 3000; ++i) {
    std::vector<double> x = {n(rng), n(rng), n(rng), n(rng)};
    const Score sa = Update(*a, i, x);
    const Score sb = Update(*b, i, x);
    ASSERT_EQ(sa.score, sb.score);
    if (i > 100) alerts += sa.score >= 0.5;
  }
  EXPECT_LE(alerts, 3);
  const std::vector<double> far = {6, -6, 6, -6};
  auto* f = dynamic_cast<IsolationForestDetector*>(a.get());
  EXPECT_GT(f->RawScore(far), 0.7);
  const Score s = Update(*a, 3000, far);
  EXPECT_GE(s.score, 0.5);
  EXPECT_GT(s.confidence, 0.99) << "more isolated than the whole training window";
}

TEST(Spatial, FindsALocationFarFromWhereThingsAre) {
  auto d = Make("spatial");
  std::mt19937_64 rng(4);
  std::normal_distribution<double> n(0, 0.03);
  std::bernoulli_distribution which(0.5);
  int alerts = 0;
  const int total = 4000;
  for (int i = 0; i < total; ++i) {  // two blobs of detections
    const double cx = which(rng) ? 0.25 : 0.75;
    if (i > 200) alerts += Update(*d, i, {cx + n(rng), 0.5 + n(rng)}).score >= 0.5;
    if (i <= 200) Update(*d, i, {cx + n(rng), 0.5 + n(rng)});
  }
  EXPECT_LE(alerts, 4);
  const Score odd = Update(*d, total, {0.5, 0.05});
  EXPECT_GE(odd.score, 0.5);
  EXPECT_EQ(odd.type, "spatial");
  const HeatMap& h = dynamic_cast<SpatialDetector*>(d.get())->heat_map();
  uint64_t seen = 0;
  for (uint64_t c : h.seen) seen += c;
  EXPECT_EQ(seen, static_cast<uint64_t>(total + 1));
  const std::vector<double> odd_point = {0.5, 0.05};
  EXPECT_GE(h.anomalies[h.CellOf(odd_point)], 1u);
  EXPECT_EQ(h.seen.size(), 16u * 16u);
}

TEST(Spatial, ThreeDimensionsAndBounds) {
  auto d = Make("spatial", Options({{"dim", 3}, {"cells", 4}, {"min_z", -10}, {"max_z", 10}}));
  EXPECT_EQ(d->dim(), 3u);
  EXPECT_EQ(dynamic_cast<SpatialDetector*>(d.get())->heat_map().seen.size(), 64u);
  EXPECT_FALSE(d->Update(0, std::vector<double>{0.1, 0.2}).ok());
  EXPECT_TRUE(d->Update(0, std::vector<double>{0.1, 0.2, 3}).ok());
  Registry r;
  EXPECT_FALSE(r.MakeVector("spatial", Options({{"dim", 4}})).ok());
  EXPECT_FALSE(r.MakeVector("spatial", Options({{"min_x", 1}, {"max_x", 0}})).ok());
  EXPECT_FALSE(r.MakeVector("spatial", Options({{"dim", 3}, {"cells", 64}})).ok());
}

TEST(Vector, BadInputIsRefusedAndLeavesTheStateAlone) {
  for (const char* name : {"mahalanobis", "isolation_forest", "spatial"}) {
    auto d = Make(name);
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> u(0, 1);
    for (int i = 0; i < 300; ++i) Update(*d, i, {u(rng), u(rng)});
    const std::string before = Saved(*d);
    const std::vector<std::vector<double>> bad = {
        {}, {0.5}, {0.5, 0.5, 0.5}, {std::nan(""), 0.5}, {0.5, HUGE_VAL}};
    for (const auto& x : bad) {
      Result<Score> s = d->Update(300, x);
      ASSERT_FALSE(s.ok()) << name;
      EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    }
    EXPECT_EQ(Saved(*d), before) << name;
    Result<Score> s = d->Update(300, std::vector<double>{0.5, std::nan("")});
    EXPECT_NE(s.status().message().find("element 1 is NaN"), std::string::npos)
        << s.status().message();
  }
}

TEST(Vector, SaveAndLoadContinue) {
  for (const char* name : {"mahalanobis", "isolation_forest", "spatial"}) {
    auto a = Make(name);
    std::mt19937_64 rng(6);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<std::vector<double>> xs;
    for (int i = 0; i < 2000; ++i) xs.push_back({u(rng), u(rng)});
    for (int i = 0; i < 1500; ++i) Update(*a, i, xs[i]);
    const std::string blob = Saved(*a);
    auto b = Make(name);
    StateReader r(blob);
    ASSERT_TRUE(b->Load(r).ok()) << name;
    ASSERT_TRUE(r.Finish().ok());
    // The restored detector scores like the original: exactly for the
    // refitted statistics, closely for the retrained forest.
    double max_diff = 0;
    for (int i = 1500; i < 2000; ++i) {
      const Score sa = Update(*a, i, xs[i]);
      const Score sb = Update(*b, i, xs[i]);
      max_diff = std::max(max_diff, std::fabs(sa.score - sb.score));
    }
    EXPECT_LT(max_diff, std::string(name) == "isolation_forest" ? 0.2 : 1e-9) << name;
    auto c = Make(name);
    StateReader tr(std::string_view(blob).substr(0, blob.size() / 2));
    EXPECT_EQ(c->Load(tr).code(), StatusCode::kDataLoss) << name;
  }
}

}  // namespace
}  // namespace vigil::anomaly
