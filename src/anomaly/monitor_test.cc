#include "anomaly/monitor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>

namespace vigil::anomaly {
namespace {

model::Labels Key(std::string_view model, std::string_view cls) {
  return model::Labels::FromPairs({{"model", model}, {"class", cls}});
}

class MonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-anomaly-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::unique_ptr<Monitor> Make(MonitorOptions o) {
    Result<std::unique_ptr<Monitor>> m = Monitor::Make(registry_, std::move(o));
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return std::move(m).value();
  }
  static MonitorOptions Stats() {
    return {.detectors = {{"robust_z", {}}, {"ewma", Options({{"alpha", 0.02}})}}};
  }

  Registry registry_;
  std::string dir_;
};

// Feeds key a Gaussian around `level` and returns the last findings.
std::vector<Finding> Train(Monitor& m, const model::Labels& key, double level, int n,
                           uint64_t seed, int64_t t0 = 0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(level, level * 0.01 + 0.1);
  std::vector<Finding> last;
  for (int i = 0; i < n; ++i) {
    Result<std::vector<Finding>> f = m.Observe(key, t0 + i * 1000, noise(rng));
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    last = f.value();
  }
  return last;
}

TEST_F(MonitorTest, EachKeyHasItsOwnBaseline) {
  auto m = Make(Stats());
  Train(*m, Key("owlv2", "person"), 10, 500, 1);
  Train(*m, Key("owlv2", "car"), 1000, 500, 2);
  EXPECT_EQ(m->size(), 2u);
  // 1000 is normal for cars and far off for people.
  auto person = m->Observe(Key("owlv2", "person"), 600'000, 1000).value();
  auto car = m->Observe(Key("owlv2", "car"), 600'000, 1000).value();
  ASSERT_EQ(person.size(), 2u);
  EXPECT_EQ(person[0].detector, "robust_z");
  EXPECT_EQ(person[1].detector, "ewma");
  for (const Finding& f : person) {
    EXPECT_EQ(f.severity, Severity::kCritical);
    EXPECT_EQ(f.type, "outlier");
    EXPECT_EQ(f.timestamp_ms, 600'000);
    EXPECT_EQ(f.labels, Key("owlv2", "person"));
    EXPECT_GT(f.confidence, 0.99);
  }
  for (const Finding& f : car) EXPECT_EQ(f.severity, Severity::kNone);
}

TEST_F(MonitorTest, SelfMetricsCountFindingsBySeverity) {
  metrics::Registry metrics;
  MonitorOptions o = Stats();
  o.metrics = &metrics;
  auto m = Make(std::move(o));
  Train(*m, Key("a", "b"), 10, 300, 3);
  ASSERT_TRUE(m->Observe(Key("a", "b"), 1'000'000, 500).ok());
  double critical = 0, observations = 0;
  for (const auto& fam : metrics.Snapshot()) {
    for (const auto& s : fam.metrics) {
      if (fam.name == "vigil_anomalies_detected_total") {
        for (const auto& [k, v] : s.labels) {
          if (k == "severity" && v == "critical") critical += s.value;
        }
      }
      if (fam.name == "vigil_anomaly_detection_duration_seconds") observations += s.count;
    }
  }
  EXPECT_EQ(critical, 2);
  EXPECT_EQ(observations, 301);
}

TEST_F(MonitorTest, CustomMethods) {
  ASSERT_TRUE(registry_
                  .AddFunction("over_budget",
                               [](int64_t, double x) -> Result<Score> {
                                 return Score{.score = x > 0.25 ? 1.0 : 0.0,
                                              .confidence = 1,
                                              .type = "latency_budget"};
                               })
                  .ok());
  ASSERT_TRUE(registry_
                  .AddFunction("broken",
                               [](int64_t, double) -> Result<Score> {
                                 return Score{.score = std::nan("")};
                               })
                  .ok());
  EXPECT_EQ(registry_.AddFunction("over_budget", nullptr).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(registry_.AddFunction("ewma", nullptr).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(registry_.AddFunction("Bad-Name", nullptr).code(), StatusCode::kInvalidArgument);

  auto m = Make({.detectors = {{"over_budget", {}}}});
  auto f = m->Observe(Key("m", "c"), 0, 0.3).value();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].detector, "over_budget");
  EXPECT_EQ(f[0].type, "latency_budget");
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  EXPECT_EQ(m->Observe(Key("m", "c"), 0, 0.1).value()[0].severity, Severity::kNone);

  auto broken = Make({.detectors = {{"broken", {}}}});
  Result<std::vector<Finding>> r = broken->Observe(Key("m", "c"), 0, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("outside [0, 1]"), std::string::npos);
  // A custom function takes no parameters.
  EXPECT_FALSE(Monitor::Make(registry_, {.detectors = {{"over_budget", Options({{"x", 1}})}}})
                   .ok());
}

TEST_F(MonitorTest, BadInputCreatesNothing) {
  auto m = Make({.detectors = {{"ewma", {}}},
                 .vector_detectors = {{"mahalanobis", {}}},
                 .location_detectors = {{"spatial", {}}}});
  EXPECT_EQ(m->Observe(Key("a", "b"), 0, std::nan("")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(m->ObserveVector(Key("a", "b"), 0, {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(m->ObserveLocation(Key("a", "b"), 0, Location{.dims = 4}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(m->ObserveLocation(Key("a", "b"), 0, Location{.xyz = {0.5, 0.5, 0}, .dims = 3})
                .status()
                .code(),
            StatusCode::kInvalidArgument)
      << "the spatial detector is 2-D";
  EXPECT_EQ(m->size(), 0u);
  ASSERT_TRUE(m->ObserveVector(Key("a", "b"), 0, std::vector<double>{1, 2, 3}).ok());
  Result<std::vector<Finding>> wrong =
      m->ObserveVector(Key("a", "b"), 1, std::vector<double>{1, 2});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("mahalanobis"), std::string::npos);
  ASSERT_TRUE(m->ObserveLocation(Key("a", "b"), 0, Location{.xyz = {0.5, 0.5, 0}}).ok());
  ASSERT_TRUE(m->HeatMapOf(Key("a", "b")).has_value());
  EXPECT_FALSE(m->HeatMapOf(Key("x", "y")).has_value());
}

TEST_F(MonitorTest, BadConfigurationIsRefused) {
  EXPECT_FALSE(Monitor::Make(registry_, {.detectors = {{"nope", {}}}}).ok());
  EXPECT_FALSE(Monitor::Make(registry_, {.detectors = {}}).ok());
  EXPECT_FALSE(
      Monitor::Make(registry_, {.detectors = {{"ewma", {}}}, .thresholds = {.low = 2}}).ok());
  Result<std::unique_ptr<Monitor>> m =
      Monitor::Make(registry_, {.detectors = {}, .location_detectors = {{"mahalanobis", {}}}});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("2-D or 3-D"), std::string::npos);
}

TEST_F(MonitorTest, KeyLimitIsAnErrorNotASilentDrop) {
  MonitorOptions o = Stats();
  o.max_keys = 2;
  auto m = Make(std::move(o));
  ASSERT_TRUE(m->Observe(Key("a", "1"), 1000, 1).ok());
  ASSERT_TRUE(m->Observe(Key("a", "2"), 5000, 1).ok());
  Result<std::vector<Finding>> third = m->Observe(Key("a", "3"), 6000, 1);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(m->ForgetIdle(2000), 1u);
  EXPECT_TRUE(m->Observe(Key("a", "3"), 6000, 1).ok());
  m->Forget(Key("a", "3"));
  EXPECT_EQ(m->size(), 1u);
}

TEST_F(MonitorTest, BaselinesSurviveARestart) {
  const std::string path = dir_ + "/baselines";
  MonitorOptions o = Stats();
  o.vector_detectors = {{"mahalanobis", {}}};
  auto a = Make(o);
  Train(*a, Key("m", "x"), 10, 400, 4);
  Train(*a, Key("m", "y"), 50, 400, 5);
  std::mt19937_64 rng(6);
  std::normal_distribution<double> n(0, 1);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(a->ObserveVector(Key("m", "x"), i, std::vector<double>{n(rng), n(rng)}).ok());
  }
  ASSERT_TRUE(a->Save(path).ok());

  auto b = Make(o);
  Result<LoadReport> r = b->Load(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.value().restored, 6u);  // 2 keys x 3 detectors
  EXPECT_EQ(r.value().skipped, 0u);
  EXPECT_EQ(b->size(), 2u);
  for (double v : {10.05, 13.0, 9.0, 10.0}) {
    auto fa = a->Observe(Key("m", "x"), 500'000, v).value();
    auto fb = b->Observe(Key("m", "x"), 500'000, v).value();
    ASSERT_EQ(fa.size(), fb.size());
    for (size_t i = 0; i < fa.size(); ++i) EXPECT_EQ(fa[i].score, fb[i].score);
  }
  // A relearning monitor would call this normal (it has seen nothing).
  EXPECT_NE(b->Observe(Key("m", "y"), 500'000, 80).value()[0].severity, Severity::kNone);

  // Changed parameters: that detector relearns, the others are restored.
  MonitorOptions changed = o;
  changed.detectors[1].options = Options({{"alpha", 0.1}});
  auto c = Make(changed);
  r = c->Load(path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().restored, 4u);
  EXPECT_EQ(r.value().skipped, 2u);
}

TEST_F(MonitorTest, ACorruptFileRestoresNothing) {
  const std::string path = dir_ + "/baselines";
  auto a = Make(Stats());
  Train(*a, Key("m", "x"), 10, 100, 7);
  ASSERT_TRUE(a->Save(path).ok());
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& b) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << b;
  };
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  for (const std::string& bad :
       {flipped, bytes.substr(0, bytes.size() - 3), bytes.substr(0, 5), std::string("junk")}) {
    write(bad);
    auto b = Make(Stats());
    Result<LoadReport> r = b->Load(path);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
    EXPECT_NE(r.status().message().find(path), std::string::npos);
    EXPECT_EQ(b->size(), 0u);
  }
  auto b = Make(Stats());
  EXPECT_EQ(b->Load(dir_ + "/missing").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace vigil::anomaly
