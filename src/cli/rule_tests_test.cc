#include "cli/rule_tests.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace vigil::cli {
namespace {

// A scratch directory with a rule file, removed at the end of the test.
class RuleTestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-rule-tests-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Write("rules.yml", R"(groups:
  - name: g
    rules:
      - record: job:x:sum
        expr: sum by (job) (x)
      - alert: XHigh
        expr: x > 5
        for: 2m
        labels: {severity: page}
        annotations:
          summary: "{{ $labels.instance }} at {{ $value }} in {{ $externalLabels.cluster }}"
)");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  // Runs a unit-test file whose tests: section is `tests`.
  RuleTestFileResult Run(const std::string& tests, const std::string& head = "") {
    return RunRuleTestFile(Write("t.yml", "rule_files: [rules.yml]\n" + head + "tests:\n" + tests));
  }

  std::string dir_;
};

constexpr const char* kInput = R"(  - interval: 1m
    external_labels: {cluster: eu1}
    input_series:
      - series: 'x{job="a",instance="i1"}'
        values: '1 2 10 10 10 10 10'
)";

TEST_F(RuleTestsTest, PassingAlertAndExpressionTests) {
  auto r = Run(std::string(kInput) + R"(    alert_rule_test:
      - eval_time: 3m
        alertname: XHigh
        exp_alerts: []
      - eval_time: 4m
        alertname: XHigh
        exp_alerts:
          - exp_labels: {severity: page, job: a, instance: i1}
            exp_annotations: {summary: "i1 at 10 in eu1"}
    promql_expr_test:
      - expr: job:x:sum
        eval_time: 3m
        exp_samples:
          - labels: 'job:x:sum{job="a"}'
            value: 10
      - expr: scalar(x)
        eval_time: 1m
        exp_samples:
          - labels: ''
            value: 2
)");
  EXPECT_TRUE(r.ok()) << (r.failures.empty() ? "" : r.failures[0]);
}

TEST_F(RuleTestsTest, ReportsMismatchesInPromtoolsWords) {
  auto r = Run(std::string(kInput) + R"(    name: wrong
    alert_rule_test:
      - eval_time: 3m
        alertname: XHigh
        exp_alerts:
          - exp_labels: {severity: page, job: a, instance: i1}
    promql_expr_test:
      - expr: x
        eval_time: 1m
        exp_samples:
          - labels: 'x{job="a",instance="i1"}'
            value: 3
)");
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_EQ(r.failures[0],
            "    name: wrong,\n"
            "    alertname: XHigh, time: 3m, \n"
            "        exp:[\n"
            "            0:\n"
            "              Labels:{alertname=\"XHigh\", instance=\"i1\", job=\"a\", "
            "severity=\"page\"}\n"
            "              Annotations:{}\n"
            "            ], \n"
            "        got:[]");
  EXPECT_EQ(r.failures[1],
            "    expr: \"x\", time: 1m,\n"
            "        exp: {__name__=\"x\", instance=\"i1\", job=\"a\"} 3E+00\n"
            "        got: {__name__=\"x\", instance=\"i1\", job=\"a\"} 2E+00");
}

TEST_F(RuleTestsTest, EmptyExpectedLabelValueDoesNotMatchAMissingLabel) {
  auto r = Run(std::string(kInput) + R"(    alert_rule_test:
      - eval_time: 4m
        alertname: XHigh
        exp_alerts:
          - exp_labels: {severity: page, job: a, instance: i1, team: ""}
            exp_annotations: {summary: "i1 at 10 in eu1"}
)");
  EXPECT_EQ(r.failures.size(), 1u);
}

TEST_F(RuleTestsTest, ZeroIntervalPutsEverySampleAtZeroKeepingTheFirst) {
  // promtool gives `interval` no default: `load 0s` stacks all values at
  // t=0 and storage keeps the first.
  auto r = Run(R"(  - input_series:
      - series: 'x{job="a",instance="i1"}'
        values: '_ 7 8 9'
    promql_expr_test:
      - expr: x
        eval_time: 4m
        exp_samples:
          - labels: 'x{job="a",instance="i1"}'
            value: 7
      - expr: x
        eval_time: 6m
)");
  EXPECT_TRUE(r.ok()) << (r.failures.empty() ? "" : r.failures[0]);
}

TEST_F(RuleTestsTest, GroupEvalOrderDecidesWhatLaterGroupsSee) {
  Write("chain.yml", R"(groups:
  - name: derived
    rules:
      - record: doubled
        expr: base_sum * 2
  - name: base
    rules:
      - record: base_sum
        expr: sum(x)
)");
  const std::string tests = R"(tests:
  - interval: 1m
    input_series:
      - series: 'x'
        values: '1 2 3 4'
    promql_expr_test:
      - expr: doubled
        eval_time: 3m
        exp_samples:
          - labels: 'doubled'
            value: VALUE
)";
  auto with = [&](const std::string& order, const std::string& value) {
    std::string t = tests;
    t.replace(t.find("VALUE"), 5, value);
    return RunRuleTestFile(Write("o.yml", "rule_files: [chain.yml]\n" + order + t));
  };
  EXPECT_TRUE(with("group_eval_order: [base, derived]\n", "8").ok());
  EXPECT_TRUE(with("", "6").ok());  // file order: derived sees the last round
  auto dup = with("group_eval_order: [base, base]\n", "8");
  ASSERT_EQ(dup.failures.size(), 1u);
  EXPECT_EQ(dup.failures[0], "group name repeated in evaluation order: base");
}

TEST_F(RuleTestsTest, EvaluationErrorEndsTheGroup) {
  Write("bad.yml", R"(groups:
  - name: g
    rules:
      - record: y
        expr: x + on (job) group_left x
)");
  auto r = RunRuleTestFile(Write("e.yml", R"(rule_files: [bad.yml]
tests:
  - interval: 30s
    input_series:
      - series: 'x{job="a",i="1"}'
        values: '1 1 1 1'
      - series: 'x{job="a",i="2"}'
        values: '1 1 1 1'
    promql_expr_test:
      - expr: nonexistent
        eval_time: 2m
        exp_samples:
          - labels: 'nonexistent'
            value: 1
)"));
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(r.failures[0].rfind("    rule: y, time: 0s, err: found duplicate series", 0), 0u)
      << r.failures[0];
}

TEST_F(RuleTestsTest, EvaluationErrorTimesUseGoDurations) {
  Write("late.yml", R"(groups:
  - name: g
    rules:
      - record: y
        expr: x + on (job) group_left x
)");
  auto r = RunRuleTestFile(Write("e.yml", R"(rule_files: [late.yml]
evaluation_interval: 90s
tests:
  - interval: 90s
    input_series:
      - series: 'x{job="a",i="1"}'
        values: '_ 1 1'
      - series: 'x{job="a",i="2"}'
        values: '_ 1 1'
    promql_expr_test:
      - expr: x
        eval_time: 3m
)"));
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(r.failures[0].rfind("    rule: y, time: 1m30s, err: ", 0), 0u) << r.failures[0];
}

TEST_F(RuleTestsTest, MalformedFilesNameTheirPosition) {
  auto unknown = Run("  - intervall: 1m\n");
  ASSERT_EQ(unknown.failures.size(), 1u);
  EXPECT_EQ(unknown.failures[0], dir_ + "/t.yml:3:5: unknown field \"intervall\" in test group");

  auto series = Run(R"(  - interval: 1m
    input_series:
      - series: 'x'
        values: '1 two'
)");
  ASSERT_EQ(series.failures.size(), 1u);
  EXPECT_NE(series.failures[0].find("t.yml:5:9: input_series \"x 1 two\""), std::string::npos)
      << series.failures[0];

  auto missing = Run(R"(  - name: n
    alert_rule_test:
      - eval_time: 1m
)");
  ASSERT_EQ(missing.failures.size(), 1u);
  EXPECT_EQ(missing.failures[0],
            "an item under alert_rule_test misses required attribute alertname at eval_time "
            "1m (in TestGroup n)");

  auto no_file = RunRuleTestFile(dir_ + "/absent.yml");
  EXPECT_EQ(no_file.failures.size(), 1u);
}

TEST_F(RuleTestsTest, UnmatchedRuleFilePatternWarns) {
  auto r = RunRuleTestFile(Write("w.yml", "rule_files: [nothing-*.yml]\ntests: []\n"));
  EXPECT_TRUE(r.ok());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0], "no file match pattern " + dir_ + "/nothing-*.yml");
}

TEST_F(RuleTestsTest, ExitStatusAndReport) {
  const std::string good = Write("good.yml", "rule_files: [rules.yml]\ntests: []\n");
  const std::string bad = Write("bad.yml", "rule_files: [rules.yml]\nbogus: 1\n");
  char* out_buf = nullptr;
  char* err_buf = nullptr;
  size_t out_len = 0, err_len = 0;
  FILE* out = open_memstream(&out_buf, &out_len);
  FILE* err = open_memstream(&err_buf, &err_len);
  EXPECT_EQ(RunRuleTests({good}, out, err), 0);
  EXPECT_EQ(RunRuleTests({good, bad}, out, err), 1);
  std::fclose(out);
  std::fclose(err);
  EXPECT_EQ(std::string(out_buf), "Unit Testing:  " + good + "\n  SUCCESS\n\n" +
                                      "Unit Testing:  " + good + "\n  SUCCESS\n\n" +
                                      "Unit Testing:  " + bad + "\n\n\n");
  EXPECT_EQ(std::string(err_buf),
            "  FAILED:\n" + bad + ":2:1: unknown field \"bogus\" in unit-test file\n");
  free(out_buf);
  free(err_buf);
}

TEST_F(RuleTestsTest, CheckRules) {
  const std::string bad = Write("bad.yml", "groups:\n  - name: g\n    rules:\n      - record: y\n"
                                           "        expr: sum(\n");
  FILE* devnull = std::fopen("/dev/null", "w");
  EXPECT_EQ(CheckRuleFiles({dir_ + "/rules.yml"}, devnull, devnull), 0);
  EXPECT_EQ(CheckRuleFiles({dir_ + "/rules.yml", bad}, devnull, devnull), 1);
  EXPECT_EQ(CheckRuleFiles({dir_ + "/absent.yml"}, devnull, devnull), 1);
  std::fclose(devnull);
}

}  // namespace
}  // namespace vigil::cli
