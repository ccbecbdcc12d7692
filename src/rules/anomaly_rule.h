// Anomaly rules (vigil's extension of the rule file, issue 7): each series
// of the expression goes, at every evaluation, to its own detector, and the
// rule writes
//
//   vigil_anomaly_score{anomaly="<name>", <series labels>, <rule labels>}
//       the score in [0, 1] (0.5 = a tail probability of 1e-5), every time;
//   vigil_anomaly{anomaly="<name>", severity="low|medium|high|critical", ...}
//       the score again, only while it is at or above the `low` threshold,
//
// so ordinary alerting rules fire on anomalies:
//
//   - alert: LatencyAnomaly
//     expr: vigil_anomaly{anomaly="p99_latency", severity=~"high|critical"}
//
// The series labels are the result's labels without __name__. A value that
// is NaN or infinite (0/0 in PromQL) is not learned from and gets no score
// that time. Series unseen for a day are forgotten.
//
// rules does not depend on the detectors (they are in vigil::anomaly, a
// module of the same layer): the daemon hands the rule manager a factory of
// AnomalyScorers (daemon/anomaly_scorer.h).
//
// Thread safety: as Rule (Eval on the group's thread).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "rules/rule.h"

namespace vigil::rules {

inline constexpr std::string_view kAnomalyScoreMetric = "vigil_anomaly_score";
inline constexpr std::string_view kAnomalyMetric = "vigil_anomaly";

// One rule's detectors: one per series, created on first sight.
class AnomalyScorer {
 public:
  struct Verdict {
    double score = 0;
    double confidence = 0;
    std::string severity;  // empty below the low threshold
  };
  virtual ~AnomalyScorer() = default;
  // kInvalidArgument for NaN/Inf; other errors fail the evaluation.
  virtual Result<Verdict> Score(const model::Labels& series, int64_t t_ms, double value) = 0;
  virtual void ForgetIdle(int64_t before_ms) = 0;
};

// Builds the scorer of an anomaly rule; an error names what is wrong with
// its detector, params or severity (the caller adds the position).
using AnomalyScorerFactory =
    std::function<Result<std::unique_ptr<AnomalyScorer>>(const RuleNode& rule)>;

class AnomalyRule final : public Rule {
 public:
  AnomalyRule(RuleNode node, std::unique_ptr<AnomalyScorer> scorer)
      : Rule(std::move(node)), scorer_(std::move(scorer)) {}

  Result<promql::Vector> Eval(int64_t t, const EvalContext& ctx, int limit) override;

  // Takes over the detectors of the same rule from before a reload when the
  // expression and detector configuration are unchanged.
  void CopyState(AnomalyRule& from);

 private:
  std::unique_ptr<AnomalyScorer> scorer_;  // null: no factory was given
};

// Whether two anomaly rules use the same expression and detector.
bool SameDetector(const RuleNode& a, const RuleNode& b);

}  // namespace vigil::rules
