#include "daemon/anomaly_scorers.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "rules/rule_file.h"

namespace vigil::daemon {
namespace {

class AnomalyScorersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-scorers-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = std::string(tmpl) + "/anomaly";
  }
  void TearDown() override {
    std::filesystem::remove_all(std::filesystem::path(dir_).parent_path());
  }
  static rules::RuleNode Rule(std::string detector, std::map<std::string, double> params = {}) {
    rules::RuleNode n;
    n.anomaly = true;
    n.name = "lat";
    n.expr_text = "latency";
    n.detector = std::move(detector);
    n.params = std::move(params);
    return n;
  }
  std::string dir_;
  std::vector<std::string> logged_;
};

TEST_F(AnomalyScorersTest, BaselinesOutliveTheScorer) {
  const model::Labels series = model::Labels::FromPairs({{"job", "api"}});
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(100, 2);
  {
    AnomalyScorers scorers(dir_, nullptr, [&](const std::string& m) { logged_.push_back(m); });
    auto s = scorers.Factory()(Rule("ewma")).value();
    for (int i = 0; i < 300; ++i) ASSERT_TRUE(s->Score(series, i * 15000, noise(rng)).ok());
  }  // the rule goes away: its baselines are written
  ASSERT_EQ(std::distance(std::filesystem::directory_iterator(dir_), {}), 1);

  AnomalyScorers scorers(dir_, nullptr, [&](const std::string& m) { logged_.push_back(m); });
  auto s = scorers.Factory()(Rule("ewma")).value();
  // A fresh detector would have nothing to compare with; this one remembers.
  Result<rules::AnomalyScorer::Verdict> v = s->Score(series, 300 * 15000, 160);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.value().severity, "critical");
  EXPECT_TRUE(logged_.empty());
  // Other parameters are another baseline: it starts afresh.
  auto other = scorers.Factory()(Rule("ewma", {{"alpha", 0.2}})).value();
  EXPECT_EQ(other->Score(series, 300 * 15000, 160).value().severity, "");
}

TEST_F(AnomalyScorersTest, ACorruptFileIsLoggedAndRelearned) {
  std::filesystem::create_directories(dir_);
  {
    AnomalyScorers scorers(dir_, nullptr, [](const std::string&) {});
    auto s = scorers.Factory()(Rule("robust_z")).value();
    ASSERT_TRUE(s->Score(model::Labels(), 0, 1).ok());
  }
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    std::ofstream(e.path(), std::ios::trunc) << "garbage";
  }
  AnomalyScorers scorers(dir_, nullptr, [&](const std::string& m) { logged_.push_back(m); });
  auto s = scorers.Factory()(Rule("robust_z")).value();
  EXPECT_TRUE(s->Score(model::Labels(), 0, 1).ok());
  ASSERT_EQ(logged_.size(), 1u);
  EXPECT_NE(logged_[0].find("not restored, relearning"), std::string::npos) << logged_[0];
}

TEST_F(AnomalyScorersTest, BadDetectorsAreRefused) {
  AnomalyScorers scorers(dir_, nullptr, [](const std::string&) {});
  auto f = scorers.Factory();
  EXPECT_NE(f(Rule("nope")).status().message().find("unknown detector \"nope\""),
            std::string::npos);
  EXPECT_NE(f(Rule("mahalanobis")).status().message().find("takes vectors"), std::string::npos);
  EXPECT_NE(f(Rule("ewma", {{"alpha", 7}})).status().message().find("alpha must be in"),
            std::string::npos);
  rules::RuleNode bad = Rule("ewma");
  bad.severity = {{"low", 0.9}, {"medium", 0.5}};
  EXPECT_FALSE(f(bad).ok());
}

}  // namespace
}  // namespace vigil::daemon
