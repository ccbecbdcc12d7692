#include "daemon/log_patterns.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "base/test_util.h"

namespace vigil::daemon {
namespace {

class Captured {
 public:
  void Add(std::vector<model::Alert> alerts) {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& a : alerts) alerts_.push_back(std::move(a));
  }
  // Waits up to 10 s for an alert matching `pred`.
  bool WaitFor(const std::function<bool(const model::Alert&)>& pred, model::Alert* out) {
    for (int i = 0; i < 1000; ++i) {
      {
        std::lock_guard<std::mutex> l(mu_);
        for (const auto& a : alerts_) {
          if (pred(a)) {
            *out = a;
            return true;
          }
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  size_t size() {
    std::lock_guard<std::mutex> l(mu_);
    return alerts_.size();
  }

 private:
  std::mutex mu_;
  std::vector<model::Alert> alerts_;
};

using vigil::testing::TempDir;

LogPatternConfig Rule(std::string name, std::string pattern, uint64_t threshold,
                      std::chrono::milliseconds window, std::vector<std::string> sources) {
  LogPatternConfig c;
  c.rule = {.name = std::move(name), .pattern = std::move(pattern), .severity = "critical",
            .threshold = threshold, .window = window, .sources = std::move(sources)};
  c.labels = model::Labels::FromPairs({{"team", "ml"}});
  return c;
}

bool Firing(const model::Alert& a, std::string_view name) {
  return a.labels.Get("alertname") == name && a.ends_at > std::chrono::system_clock::now();
}

TEST(LogPatternAlertsTest, TailedErrorsRaiseAlertWithLabelsAndLastLine) {
  TempDir dir;
  const std::string file = dir.path() + "/app.log";
  { std::ofstream(file) << "starting\n"; }
  Captured captured;
  LogPatternAlerts lp({.state_dir = dir.path() + "/state",
                       .notify = [&](std::vector<model::Alert> a) { captured.Add(std::move(a)); },
                       .tick = std::chrono::milliseconds(20)});
  ASSERT_TRUE(lp.Apply({Rule("oom", "OutOfMemoryError|out of memory", 2,
                             std::chrono::minutes(1), {file})})
                  .ok());
  lp.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // the tailer opened the file
  {
    std::ofstream out(file, std::ios::app);
    out << "INFO fine\nERROR CUDA out of memory on device 0\n";
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(captured.size(), 0u);  // one match, threshold 2
  {
    std::ofstream out(file, std::ios::app);
    out << "java.lang.OutOfMemoryError: heap\n";
  }
  model::Alert alert;
  ASSERT_TRUE(captured.WaitFor([](const model::Alert& a) { return Firing(a, "oom"); }, &alert));
  EXPECT_EQ(alert.labels.Get("severity"), "critical");
  EXPECT_EQ(alert.labels.Get("team"), "ml");
  EXPECT_EQ(alert.annotations.Get("last_line"), "java.lang.OutOfMemoryError: heap");
  EXPECT_EQ(alert.annotations.Get("source"), file);
  EXPECT_NE(alert.annotations.Get("summary").find("2 log lines matched"), std::string_view::npos);
  lp.Stop();
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/state/offsets"));
}

TEST(LogPatternAlertsTest, SelfLinesFireAndResolveWhenTheyAgeOut) {
  Captured captured;
  LogPatternAlerts lp({.notify = [&](std::vector<model::Alert> a) { captured.Add(std::move(a)); },
                       .tick = std::chrono::milliseconds(20)});
  ASSERT_TRUE(lp.Apply({Rule("errors", "\"log.level\":\"error\"", 1, std::chrono::milliseconds(300),
                             {std::string(kSelfLogSource)})})
                  .ok());
  auto metrics = lp.Collector();
  lp.Start();
  lp.ScanSelf(R"({"log.level":"info","message":"ok"})");
  lp.ScanSelf(R"({"log.level":"error","message":"scrape failed"})");
  model::Alert alert;
  ASSERT_TRUE(captured.WaitFor([](const model::Alert& a) { return Firing(a, "errors"); }, &alert));
  ASSERT_TRUE(captured.WaitFor(
      [](const model::Alert& a) {
        return a.labels.Get("alertname") == "errors" &&
               a.ends_at <= std::chrono::system_clock::now();
      },
      &alert));
  std::vector<metrics::FamilySnapshot> families;
  metrics->Collect(&families);
  bool found = false;
  for (const auto& f : families) {
    if (f.name == "vigil_log_pattern_matches_total") {
      ASSERT_EQ(f.metrics.size(), 1u);
      EXPECT_EQ(f.metrics[0].value, 1.0);
      found = true;
    }
  }
  EXPECT_TRUE(found);
  lp.Stop();
}

TEST(LogPatternAlertsTest, ChangedRulesResolveFiringAlertsAndBadPatternsKeepTheOld) {
  Captured captured;
  LogPatternAlerts lp({.notify = [&](std::vector<model::Alert> a) { captured.Add(std::move(a)); }});
  const auto rules = std::vector<LogPatternConfig>{
      Rule("e", "ERROR", 1, std::chrono::minutes(5), {std::string(kSelfLogSource)})};
  ASSERT_TRUE(lp.Apply(rules).ok());
  lp.ScanSelf("ERROR x");
  const auto t0 = std::chrono::system_clock::now();
  lp.Evaluate(t0);
  ASSERT_EQ(captured.size(), 1u);
  // Unchanged rules keep their counts: nothing new before the resend delay.
  ASSERT_TRUE(lp.Apply(rules).ok());
  lp.Evaluate(t0 + std::chrono::seconds(1));
  EXPECT_EQ(captured.size(), 1u);
  lp.Evaluate(t0 + std::chrono::minutes(1));  // resent after the resend delay
  EXPECT_EQ(captured.size(), 2u);
  const Status bad = lp.Apply({Rule("e", "ERROR(", 1, std::chrono::minutes(5), {})});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("log pattern \"e\""), std::string_view::npos);
  ASSERT_TRUE(lp.Apply({Rule("other", "WARN", 1, std::chrono::minutes(5), {})}).ok());
  lp.Evaluate(t0 + std::chrono::minutes(1) + std::chrono::seconds(1));
  model::Alert resolved;
  ASSERT_TRUE(captured.WaitFor(
      [](const model::Alert& a) {
        return a.labels.Get("alertname") == "e" && a.ends_at < std::chrono::system_clock::now() +
                                                                   std::chrono::minutes(2);
      },
      &resolved));
  EXPECT_EQ(captured.size(), 3u);
}

}  // namespace
}  // namespace vigil::daemon
