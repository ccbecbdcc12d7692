#include "rules/rule_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace vigil::rules {
namespace {

Result<std::vector<GroupNode>> Parse(std::string_view text) {
  return ParseRuleFile(text, "r.yml");
}

// The error message of parsing `text`, which must fail.
std::string ErrorOf(std::string_view text) {
  auto r = Parse(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : std::string(r.status().message());
}

TEST(RuleFileTest, ParsesGroupsAndRules) {
  auto r = Parse(R"(groups:
  - name: inference
    interval: 30s
    limit: 10
    rules:
      - record: job:errors:rate5m
        expr: sum by (job) (rate(errors_total[5m]))
        labels: {team: ml}
      - alert: HighErrorRate
        expr: job:errors:rate5m > 0.05
        for: 5m
        keep_firing_for: 10m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.job }} errors at {{ $value | humanizePercentage }}"
  - name: other
    rules: []
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  const GroupNode& g = (*r)[0];
  EXPECT_EQ(g.file, "r.yml");
  EXPECT_EQ(g.name, "inference");
  EXPECT_EQ(g.interval, std::chrono::seconds(30));
  EXPECT_EQ(g.limit, 10);
  ASSERT_EQ(g.rules.size(), 2u);
  EXPECT_FALSE(g.rules[0].alerting);
  EXPECT_EQ(g.rules[0].name, "job:errors:rate5m");
  EXPECT_EQ(g.rules[0].labels.Get("team"), "ml");
  EXPECT_NE(g.rules[0].expr, nullptr);
  EXPECT_EQ(g.rules[0].line, 6);
  const RuleNode& a = g.rules[1];
  EXPECT_TRUE(a.alerting);
  EXPECT_EQ(a.for_duration, std::chrono::minutes(5));
  EXPECT_EQ(a.keep_firing_for, std::chrono::minutes(10));
  EXPECT_EQ(a.labels.Get("severity"), "page");
  EXPECT_NE(a.annotations.Get("summary").find("humanizePercentage"), std::string_view::npos);
  EXPECT_EQ((*r)[1].interval.count(), 0);  // default
  EXPECT_TRUE(Parse("").ok());
  EXPECT_TRUE(Parse("groups: []").ok());
}

TEST(RuleFileTest, ErrorsNameFileLineColumnAndWhat) {
  struct Case {
    const char* text;
    const char* want;  // a substring of the message
  };
  const Case cases[] = {
      {"groups:\n  - name: g\n    rules:\n      - record: x\n        expr: sum(\n",
       "r.yml:5:15: group \"g\", rule 1, \"x\": could not parse expression: 1:5: parse error"},
      {"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        bogus: 1\n",
       "r.yml:6:9: unknown field \"bogus\" in rule"},
      {"groups:\n  - name: g\n    rules:\n      - expr: up\n",
       "r.yml:4:9: group \"g\", rule 1: one of 'record' or 'alert' must be set"},
      {"groups:\n  - name: g\n    rules:\n      - record: x\n        alert: y\n        expr: up\n",
       "only one of 'record' and 'alert' must be set"},
      {"groups:\n  - name: g\n    rules:\n      - record: x\n", "field 'expr' must be set in rule"},
      {"groups:\n  - name: g\n    rules:\n      - record: 'bad name'\n        expr: up\n",
       "r.yml:4:17: group \"g\", rule 1, \"bad name\": invalid recording rule name: bad name"},
      {"groups:\n  - name: g\n    rules:\n      - record: x\n        expr: up\n        for: 5m\n",
       "r.yml:6:9: group \"g\", rule 1, \"x\": invalid field 'for' in recording rule"},
      {"groups:\n  - name: g\n    rules:\n      - record: x\n        expr: up\n"
       "        annotations: {a: b}\n",
       "invalid field 'annotations' in recording rule"},
      {"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n"
       "        labels: {'0bad': x}\n",
       "r.yml:6:18: invalid label name: 0bad"},
      {"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n"
       "        labels: {__name__: x}\n",
       "invalid label name: __name__"},
      {"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n"
       "        annotations: {'a-b': x}\n",
       "invalid annotation name: a-b"},
      {"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n"
       "        annotations: {s: '{{ $labels.x '}\n",
       "r.yml:6:26: annotation \"s\": template:"},
      {"groups:\n  - name: g\n    rules: []\n  - name: g\n    rules: []\n",
       "r.yml:4:11: group name: \"g\" is repeated in the same file"},
      {"groups:\n  - rules: []\n", "r.yml:2:5: group name must not be empty"},
      {"groups:\n  - name: g\n    interval: 5x\n", "r.yml:3:15: interval: not a valid duration"},
      {"groups:\n  - name: g\n    limit: -1\n", "limit: expected a non-negative integer"},
      {"groups:\n  - name: g\n    name: h\n", "r.yml:3:5: duplicate field \"name\" in rule group"},
      {"group:\n  - name: g\n", "r.yml:1:1: unknown field \"group\" in rule file"},
      {"groups: {a: b}\n", "groups: expected a sequence, got a mapping"},
      {"groups:\n  - name: [g\n", "r.yml:"},  // YAML syntax
      {"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        for: x\n",
       "r.yml:6:14: for: not a valid duration"},
  };
  for (const auto& c : cases) {
    const std::string msg = ErrorOf(c.text);
    EXPECT_NE(msg.find(c.want), std::string::npos) << "got: " << msg << "\nwant: " << c.want;
  }
}

TEST(RuleFileTest, LoadsGlobsInOrderAndFailsAsAWhole) {
  const auto dir = std::filesystem::temp_directory_path() / "vigil_rule_file_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto write = [&](const char* name, const char* text) {
    std::ofstream(dir / name) << text;
  };
  write("b.yml", "groups: [{name: b, rules: [{record: b, expr: '1'}]}]\n");
  write("a.yml", "groups: [{name: a, rules: [{record: a, expr: '1'}]}]\n");
  auto r = LoadRuleFiles({"*.yml", "missing/*.yml"}, dir.string());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].name, "a");
  EXPECT_EQ((*r)[1].name, "b");
  write("c.yml", "groups: [{name: c, rules: [{record: c, expr: 'sum('}]}]\n");
  auto bad = LoadRuleFiles({"*.yml"}, dir.string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("c.yml:1:"), std::string::npos) << bad.status().ToString();
  std::filesystem::remove_all(dir);
}


TEST(RuleFileTest, AnomalyRules) {
  auto r = Parse(R"(groups:
  - name: a
    rules:
      - anomaly: p99_latency
        expr: histogram_quantile(0.99, rate(x_bucket[5m]))
        detector: ewma
        params: {alpha: 0.1, warmup: 50}
        severity: {low: 0.4, critical: 0.9}
        labels: {team: ml}
      - anomaly: plain
        expr: up
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const RuleNode& n = (*r)[0].rules[0];
  EXPECT_TRUE(n.anomaly);
  EXPECT_FALSE(n.alerting);
  EXPECT_EQ(n.name, "p99_latency");
  EXPECT_EQ(n.detector, "ewma");
  EXPECT_EQ(n.params.at("alpha"), 0.1);
  EXPECT_EQ(n.params.at("warmup"), 50);
  EXPECT_EQ(n.severity.at("critical"), 0.9);
  EXPECT_EQ(n.detector_line, 6);
  EXPECT_EQ(n.detector_column, 19);
  EXPECT_EQ((*r)[0].rules[1].detector, "ensemble");

  const std::string head = "groups:\n  - name: a\n    rules:\n";
  EXPECT_EQ(ErrorOf(head + "      - anomaly: x\n        alert: y\n        expr: up\n"),
            "r.yml:4:9: group \"a\", rule 1: only one of 'record', 'alert' and 'anomaly' must "
            "be set");
  EXPECT_NE(ErrorOf(head + "      - anomaly: x\n        expr: up\n        for: 5m\n")
                .find("r.yml:6:9: group \"a\", rule 1, \"x\": invalid field 'for' in anomaly rule"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "      - record: x\n        expr: up\n        detector: ewma\n")
                .find("r.yml:6:19: group \"a\", rule 1, \"x\": fields 'detector', 'params' and "
                      "'severity' are only for anomaly rules"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "      - anomaly: x\n        expr: up\n        params: {alpha: fast}\n")
                .find("r.yml:6:25: params.alpha"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "      - anomaly: x\n        expr: up\n        severity: {urgent: 1}\n")
                .find("unknown severity \"urgent\""),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "      - anomaly: 'not a name'\n        expr: up\n")
                .find("invalid anomaly rule name"),
            std::string::npos);
}

}  // namespace
}  // namespace vigil::rules
