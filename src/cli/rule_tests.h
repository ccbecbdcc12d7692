// `vigil test rules FILE...`: rule unit tests in promtool's format
// (Prometheus 2.42's `promtool test rules`), with promtool's verdicts and
// report.
//
//   rule_files: [alerts.yml]          # relative to this file; globs
//   evaluation_interval: 1m           # default 1m
//   group_eval_order: [g1, g2]        # optional
//   tests:
//     - interval: 1m                  # input series step (promtool: no
//                                     # default; 0 puts every sample at 0)
//       input_series:
//         - series: 'up{job="api"}'
//           values: '1 1 0x10'        # the series notation of promql tests
//       external_labels: {cluster: eu1}
//       external_url: http://vigil.example/
//       alert_rule_test:
//         - eval_time: 10m
//           alertname: ApiDown
//           exp_alerts:               # the firing alerts, exactly
//             - exp_labels: {job: api, severity: page}
//               exp_annotations: {summary: "api is down"}
//       promql_expr_test:
//         - expr: up
//           eval_time: 2m
//           exp_samples:
//             - labels: 'up{job="api"}'
//               value: 0
//
// Each test group gets fresh storage and rules; the groups are evaluated
// at 0, evaluation_interval, ... up to the latest eval_time, with the
// input samples up to each evaluation loaded before it, and alert
// expectations are checked after the evaluation at or just before their
// eval_time. promql_expr_test queries run afterwards. A rule evaluation
// error ends the test group. Alerts and samples compare exactly (sorted);
// values with ==.
//
// Thread safety: thread-compatible; each call builds its own storage,
// engine and rules.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace vigil::cli {

struct RuleTestFileResult {
  // Problems promtool prints as WARNING (rule_files patterns matching
  // nothing).
  std::vector<std::string> warnings;
  // Failures, each in promtool's wording; empty: the file passed.
  std::vector<std::string> failures;
  bool ok() const { return failures.empty(); }
};

// Reads and runs one unit-test file. Unreadable or malformed files are
// failures naming FILE:LINE:COLUMN.
RuleTestFileResult RunRuleTestFile(const std::string& path);

// Runs every file, reporting as promtool does ("Unit Testing:  FILE", then
// "  SUCCESS" on `out` or "  FAILED:" and the failures on `err`). Returns
// the exit status: 0 if every file passed, else 1.
int RunRuleTests(const std::vector<std::string>& files, std::FILE* out, std::FILE* err);

// `vigil check rules FILE...` (promtool check rules): loads each rule file
// and reports "Checking FILE" then "  SUCCESS: N rules found" or
// "  FAILED:" with the error. Returns 0 if every file loads, else 1.
int CheckRuleFiles(const std::vector<std::string>& files, std::FILE* out, std::FILE* err);

}  // namespace vigil::cli
