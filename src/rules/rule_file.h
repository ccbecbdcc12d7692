// Prometheus rule files (rulefmt): groups of recording and alerting rules
// in YAML, loaded and checked as Prometheus 2.42 loads them.
//
//   groups:
//     - name: inference
//       interval: 30s          # default: the global evaluation_interval
//       limit: 0               # max series/alerts per rule, 0 = none
//       rules:
//         - record: job:errors:rate5m
//           expr: sum by (job) (rate(errors_total[5m]))
//           labels: {team: ml}
//         - alert: HighErrorRate
//           expr: job:errors:rate5m > 0.05
//           for: 5m
//           keep_firing_for: 10m
//           labels: {severity: page}
//           annotations: {summary: "{{ $labels.job }} at {{ $value }}"}
//         - anomaly: p99_latency     # vigil's extension (docs/anomaly.md)
//           expr: histogram_quantile(0.99, sum by (le, model) (rate(x_bucket[5m])))
//           detector: ensemble       # default; any anomaly detector by name
//           params: {window: 200}    # the detector's numeric parameters
//           severity: {low: 0.5, medium: 0.6, high: 0.8, critical: 0.95}
//           labels: {team: ml}
//
// Every error is kInvalidArgument "FILE:LINE:COLUMN: message" (1-based)
// naming what is wrong: YAML syntax, unknown or duplicate fields, wrong
// types, a missing group name or expr, both or neither of record/alert,
// PromQL that does not parse (with the parser's own position), invalid
// metric, alert, label or annotation names, fields a recording rule may not
// have, templates that do not parse, and group names repeated in a file.
// Loading several files fails as a whole: a caller replaces its rule set
// only with a fully loaded one.
//
// Thread safety: pure functions; the results are plain values.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "promql/ast.h"
#include "vigil/result.h"

namespace vigil::rules {

struct RuleNode {
  bool alerting = false;
  // An anomaly rule: the detector scores every series of `expr`
  // (rules/anomaly_rule.h). Prometheus does not know `anomaly:`; keep such
  // rules in files of their own.
  bool anomaly = false;
  std::string name;  // `record`, `alert` or `anomaly`
  std::string expr_text;
  std::shared_ptr<const promql::Expr> expr;  // parsed
  std::chrono::milliseconds for_duration{0};
  std::chrono::milliseconds keep_firing_for{0};
  model::Labels labels;
  model::Labels annotations;  // name -> template text
  int line = 0;               // of the rule's first key, 1-based
  int column = 0;
  // Anomaly rules only.
  std::string detector = "ensemble";
  std::map<std::string, double> params;
  std::map<std::string, double> severity;  // low, medium, high, critical
  int detector_line = 0;                   // of `detector` (or the rule)
  int detector_column = 0;
};

struct GroupNode {
  std::string file;
  std::string name;
  std::chrono::milliseconds interval{0};  // 0: the global default
  int limit = 0;
  std::vector<RuleNode> rules;
};

// Parses one file's text; `filename` prefixes messages.
Result<std::vector<GroupNode>> ParseRuleFile(std::string_view text,
                                             std::string_view filename);

// Loads files given as paths or glob patterns (as rule_files: in the
// configuration; relative ones against `dir` when not empty), in order. A
// pattern matching nothing is not an error, as in Prometheus.
Result<std::vector<GroupNode>> LoadRuleFiles(
    const std::vector<std::string>& patterns, std::string_view dir = {});

}  // namespace vigil::rules
