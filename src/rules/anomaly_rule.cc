#include "rules/anomaly_rule.h"

#include <cmath>
#include <set>

namespace vigil::rules {

bool SameDetector(const RuleNode& a, const RuleNode& b) {
  return a.anomaly && b.anomaly && a.expr_text == b.expr_text && a.detector == b.detector &&
         a.params == b.params && a.severity == b.severity;
}

Result<promql::Vector> AnomalyRule::Eval(int64_t t, const EvalContext& ctx, int limit) {
  if (scorer_ == nullptr) {
    return FailedPreconditionError("anomaly rules need vigil's anomaly detectors, which this "
                                   "command does not have");
  }
  Result<promql::Vector> in = ctx.query(*node_.expr, t);
  if (!in.ok()) return in.status();
  promql::Vector out;
  std::set<std::string> seen;
  for (const promql::Sample& s : in.value()) {
    if (!std::isfinite(s.v)) continue;
    const model::Labels series = s.metric.Without(model::kMetricName);
    Result<AnomalyScorer::Verdict> v = scorer_->Score(series, t, s.v);
    if (!v.ok()) return v.status().WithPrefix(series.ToString());
    model::LabelsBuilder b(series);
    for (model::LabelRef l : node_.labels) b.Set(l.name, l.value);
    b.Set("anomaly", node_.name);
    b.Set(model::kMetricName, kAnomalyScoreMetric);
    promql::Sample score{.metric = b.Build(), .t = t, .v = v.value().score};
    if (!seen.insert(std::string(score.metric.bytes())).second) {
      return FailedPreconditionError(
          "vector contains metrics with the same labelset after applying rule labels");
    }
    out.push_back(std::move(score));
    if (!v.value().severity.empty()) {
      b.Set(model::kMetricName, kAnomalyMetric);
      b.Set("severity", v.value().severity);
      out.push_back(promql::Sample{.metric = b.Build(), .t = t, .v = v.value().score});
    }
  }
  if (limit > 0 && static_cast<int64_t>(seen.size()) > limit) {
    return FailedPreconditionError("exceeded limit of " + std::to_string(limit) + " with " +
                                   std::to_string(seen.size()) + " series");
  }
  scorer_->ForgetIdle(t - 24 * 3600 * 1000LL);
  return out;
}

void AnomalyRule::CopyState(AnomalyRule& from) {
  if (SameDetector(node_, from.node_) && from.scorer_ != nullptr) {
    scorer_ = std::move(from.scorer_);
  }
}

}  // namespace vigil::rules
