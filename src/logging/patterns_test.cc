#include "logging/patterns.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace vigil::logging {
namespace {

using std::chrono::milliseconds;

std::unique_ptr<PatternEngine> Make(std::vector<PatternRule> rules) {
  Result<std::unique_ptr<PatternEngine>> e = PatternEngine::Create(std::move(rules));
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? std::move(e).value() : nullptr;
}

const RuleStatus& Find(const std::vector<RuleStatus>& all, std::string_view name) {
  for (const RuleStatus& s : all) {
    if (s.name == name) return s;
  }
  ADD_FAILURE() << "no rule " << name;
  static const RuleStatus none;
  return none;
}

TEST(PatternEngineTest, OnePassCountsEveryMatchingRule) {
  auto e = Make({
      {.name = "error_pattern", .pattern = "ERROR|FATAL|CRITICAL", .severity = "warning"},
      {.name = "oom", .pattern = "OutOfMemoryError", .severity = "critical"},
      {.name = "cuda", .pattern = "CUDA error", .severity = "critical"},
      {.name = "anchored", .pattern = "^WARN", .severity = "info"},
  });
  ASSERT_NE(e, nullptr);
  e->Scan("app", "2024-05-14 INFO all good", 1000);
  e->Scan("app", "2024-05-14 FATAL java.lang.OutOfMemoryError: heap", 1001);
  e->Scan("app", "2024-05-14 ERROR CUDA error: illegal address", 1002);
  e->Scan("app", "WARN disk at 80%", 1003);
  e->Scan("app", "x WARN not at the start", 1004);
  const std::vector<RuleStatus> st = e->Evaluate(1005);
  ASSERT_EQ(st.size(), 4u);
  EXPECT_EQ(st[0].name, "error_pattern");  // the rules' order
  EXPECT_EQ(Find(st, "error_pattern").matches_total, 2u);
  EXPECT_EQ(Find(st, "oom").matches_total, 1u);
  EXPECT_EQ(Find(st, "cuda").matches_total, 1u);
  EXPECT_EQ(Find(st, "anchored").matches_total, 1u);  // ^ is the line's start
  EXPECT_EQ(Find(st, "error_pattern").last_line, "2024-05-14 ERROR CUDA error: illegal address");
  EXPECT_EQ(Find(st, "error_pattern").last_match_ms, 1002);
  EXPECT_EQ(Find(st, "error_pattern").last_source, "app");
  EXPECT_EQ(Find(st, "oom").severity, "critical");
  EXPECT_EQ(e->slow_path_lines(), 0u);
}

TEST(PatternEngineTest, ScanBufferSplitsLines) {
  auto e = Make({{.name = "err", .pattern = "ERROR"}, {.name = "end", .pattern = "done$"}});
  ASSERT_NE(e, nullptr);
  e->ScanBuffer("app", "ERROR one\nok\n\nERROR two done\nlast done", 5);
  const auto st = e->Evaluate(5);
  EXPECT_EQ(Find(st, "err").matches_total, 2u);
  EXPECT_EQ(Find(st, "end").matches_total, 2u);  // $ is each line's end
  EXPECT_EQ(Find(st, "end").last_line, "last done");
}

TEST(PatternEngineTest, RulesApplyToTheirSources) {
  auto e = Make({
      {.name = "everywhere", .pattern = "ERROR"},
      {.name = "app_only", .pattern = "ERROR", .sources = {"/var/log/app.log"}},
      {.name = "two", .pattern = "ERROR", .sources = {"/var/log/a.log", "/var/log/b.log"}},
  });
  ASSERT_NE(e, nullptr);
  e->Scan("/var/log/app.log", "ERROR x", 1);
  e->Scan("/var/log/a.log", "ERROR x", 2);
  e->Scan("/var/log/b.log", "ERROR x", 3);
  e->Scan("vigil", "ERROR x", 4);
  e->ScanBuffer("/var/log/b.log", "ERROR y\nERROR z\n", 5);
  const auto st = e->Evaluate(10);
  EXPECT_EQ(Find(st, "everywhere").matches_total, 6u);
  EXPECT_EQ(Find(st, "app_only").matches_total, 1u);
  EXPECT_EQ(Find(st, "two").matches_total, 4u);  // one count across its sources
  EXPECT_EQ(Find(st, "two").last_source, "/var/log/b.log");
}

TEST(PatternEngineTest, SourceWithOnlySpecificRulesAndNoWildcards) {
  auto e = Make({{.name = "app_only", .pattern = "ERROR", .sources = {"app"}}});
  ASSERT_NE(e, nullptr);
  e->Scan("other", "ERROR", 1);  // no rule applies
  e->ScanBuffer("other", "ERROR\nERROR\n", 1);
  e->Scan("app", "ERROR", 1);
  EXPECT_EQ(e->Evaluate(1)[0].matches_total, 1u);
}

// threshold 3, window 100 ms: the window ending at now is (now-100, now].
TEST(PatternEngineTest, WindowEdges) {
  auto e = Make({{.name = "r", .pattern = "ERROR", .threshold = 3, .window = milliseconds(100)}});
  ASSERT_NE(e, nullptr);
  e->Scan("s", "ERROR", 1000);
  e->Scan("s", "ERROR", 1050);
  RuleStatus s = e->Evaluate(1060)[0];
  EXPECT_FALSE(s.firing);
  EXPECT_EQ(s.matches_in_window, 2u);

  e->Scan("s", "ERROR", 1099);
  // Exactly three inside (1000 > 1099 - 100): fires, since the third match.
  s = e->Evaluate(1099)[0];
  EXPECT_TRUE(s.firing);
  EXPECT_EQ(s.matches_in_window, 3u);
  EXPECT_EQ(s.firing_since_ms, 1099);
  s = e->Evaluate(1099 + 0)[0];
  EXPECT_TRUE(s.firing);
  // At 1100 the match at 1000 is exactly one window old: outside.
  s = e->Evaluate(1100)[0];
  EXPECT_FALSE(s.firing);
  EXPECT_EQ(s.matches_in_window, 2u);
  EXPECT_EQ(s.firing_since_ms, 0);
  // Aged out entirely.
  s = e->Evaluate(1199)[0];
  EXPECT_EQ(s.matches_in_window, 0u);
  EXPECT_FALSE(s.firing);
  EXPECT_EQ(s.matches_total, 3u);
}

TEST(PatternEngineTest, OneMatchOutsideTheWindowDoesNotFire) {
  auto e = Make({{.name = "r", .pattern = "x", .threshold = 3, .window = milliseconds(100)}});
  ASSERT_NE(e, nullptr);
  e->Scan("s", "x", 1000);  // 100 before the last: outside at 1100
  e->Scan("s", "x", 1050);
  e->Scan("s", "x", 1100);
  const RuleStatus s = e->Evaluate(1100)[0];
  EXPECT_FALSE(s.firing);
  EXPECT_EQ(s.matches_in_window, 2u);
}

TEST(PatternEngineTest, FiringStreakContinuesAndRestarts) {
  auto e = Make({{.name = "r", .pattern = "x", .threshold = 2, .window = milliseconds(100)}});
  ASSERT_NE(e, nullptr);
  e->Scan("s", "x", 0);
  e->Scan("s", "x", 10);  // fires at 10, until 100 without more
  EXPECT_EQ(e->Evaluate(50)[0].firing_since_ms, 10);
  e->Scan("s", "x", 90);  // keeps it firing (10, 90), now until 110
  RuleStatus s = e->Evaluate(105)[0];
  EXPECT_TRUE(s.firing);
  EXPECT_EQ(s.firing_since_ms, 10);
  EXPECT_FALSE(e->Evaluate(110)[0].firing);
  // A new streak after the gap starts at its own time.
  e->Scan("s", "x", 300);
  EXPECT_FALSE(e->Evaluate(300)[0].firing);
  e->Scan("s", "x", 320);
  s = e->Evaluate(330)[0];
  EXPECT_TRUE(s.firing);
  EXPECT_EQ(s.firing_since_ms, 320);
  EXPECT_EQ(s.matches_total, 5u);
}

TEST(PatternEngineTest, MemoryBoundedByThreshold) {
  // Many matches: only the last `threshold` times are kept; the window
  // count saturates at the threshold.
  auto e = Make({{.name = "r", .pattern = "x", .threshold = 4, .window = milliseconds(1000)}});
  ASSERT_NE(e, nullptr);
  for (int i = 0; i < 100000; ++i) e->Scan("s", "x", 10000 + i / 100);
  const RuleStatus s = e->Evaluate(11000)[0];
  EXPECT_EQ(s.matches_total, 100000u);
  EXPECT_EQ(s.matches_in_window, 4u);
  EXPECT_TRUE(s.firing);
}

TEST(PatternEngineTest, OutOfOrderTimesKeepTheMostRecent) {
  auto e = Make({{.name = "r", .pattern = "x", .threshold = 2, .window = milliseconds(100)}});
  ASSERT_NE(e, nullptr);
  e->Scan("s", "x", 500);
  e->Scan("s", "x", 450);  // another thread, a little behind
  EXPECT_TRUE(e->Evaluate(520)[0].firing);
  e->Scan("s", "x", 100);  // older than both kept: counted, not kept
  RuleStatus s = e->Evaluate(520)[0];
  EXPECT_EQ(s.matches_total, 3u);
  EXPECT_EQ(s.matches_in_window, 2u);
  EXPECT_EQ(s.last_match_ms, 500);  // the latest, not the last scanned
}

TEST(PatternEngineTest, LastLineIsTruncated) {
  auto e = Make({{.name = "r", .pattern = "ERROR"}});
  ASSERT_NE(e, nullptr);
  const std::string line = "ERROR " + std::string(5000, 'a');
  e->Scan("s", line, 1);
  EXPECT_EQ(e->Evaluate(1)[0].last_line, line.substr(0, PatternEngine::kMaxLastLineBytes));
}

TEST(PatternEngineTest, InvalidRulesAreErrorsNamingTheRule) {
  struct Case {
    PatternRule rule;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{.name = "error_pattern", .pattern = "ERROR(|FATAL"},
       "log pattern \"error_pattern\": invalid regular expression: missing ): ERROR(|FATAL"},
      {{.name = "bad", .pattern = "a{1001}"},
       "log pattern \"bad\": invalid regular expression: invalid repetition size: {1001}"},
      {{.name = "zero", .pattern = "x", .threshold = 0},
       "log pattern \"zero\": threshold must be at least 1"},
      {{.name = "huge", .pattern = "x", .threshold = PatternEngine::kMaxThreshold + 1},
       "log pattern \"huge\": threshold 1048577 is above the maximum 1048576"},
      {{.name = "w", .pattern = "x", .window = milliseconds(0)},
       "log pattern \"w\": window must be positive"},
      {{.name = "w", .pattern = "x", .window = milliseconds(-5)},
       "log pattern \"w\": window must be positive"},
      {{.name = "", .pattern = "x"}, "log pattern with an empty name"},
      {{.name = "e", .pattern = ""}, "log pattern \"e\": empty pattern"},
      {{.name = "s", .pattern = "x", .sources = {""}}, "log pattern \"s\": empty source name"},
  };
  for (const Case& c : cases) {
    auto e = PatternEngine::Create({{.name = "fine", .pattern = "ok"}, c.rule});
    ASSERT_FALSE(e.ok()) << c.message;
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(e.status().message(), c.message);
  }
  auto dup = PatternEngine::Create({{.name = "a", .pattern = "x"}, {.name = "a", .pattern = "y"}});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().message(), "log pattern \"a\": duplicate name");
}

TEST(PatternEngineTest, NoRules) {
  auto e = Make({});
  ASSERT_NE(e, nullptr);
  e->Scan("s", "ERROR", 1);
  e->ScanBuffer("s", "ERROR\n", 1);
  EXPECT_TRUE(e->Evaluate(1).empty());
}

TEST(PatternEngineTest, ConcurrentScansAndEvaluate) {
  auto e = Make({
      {.name = "err", .pattern = "ERROR", .threshold = 10, .window = milliseconds(1000000)},
      {.name = "t", .pattern = "(?i)timeout", .sources = {"a", "b"}},
      {.name = "never", .pattern = "zzz"},
  });
  ASSERT_NE(e, nullptr);
  constexpr int kThreads = 4;
  constexpr int kLines = 20000;
  std::atomic<bool> done{false};
  std::thread evaluator([&] {
    uint64_t last = 0;
    while (!done.load()) {
      const auto st = e->Evaluate(1'000'000);
      EXPECT_GE(st[0].matches_total, last);  // monotonic
      last = st[0].matches_total;
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string source = t % 2 == 0 ? "a" : "c";
      for (int i = 0; i < kLines; ++i) {
        if (i % 2 == 0) {
          e->Scan(source, "ERROR request TIMEOUT", 1000 + i);
        } else {
          e->ScanBuffer(source, "INFO fine\nWARN Timeout\n", 1000 + i);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  done.store(true);
  evaluator.join();
  const auto st = e->Evaluate(1'000'000);
  EXPECT_EQ(Find(st, "err").matches_total, uint64_t{kThreads} * kLines / 2);
  EXPECT_TRUE(Find(st, "err").firing);
  EXPECT_EQ(Find(st, "err").matches_in_window, 10u);
  // Only the two threads scanning source "a" count for "t": two lines each.
  EXPECT_EQ(Find(st, "t").matches_total, uint64_t{2} * kLines);
  EXPECT_EQ(Find(st, "never").matches_total, 0u);
  EXPECT_EQ(Find(st, "never").last_match_ms, 0);
}

}  // namespace
}  // namespace vigil::logging
