// Recording and alerting rules (Prometheus 2.42's rules/recording.go and
// rules/alerting.go): one evaluation turns the expression's instant vector
// into the samples the group writes back to storage.
//
// A recording rule's samples are its result renamed to `record`, with its
// labels set. An alerting rule keeps one alert per label set of its result
// (the series' labels without __name__, plus the rule's templated labels
// and alertname):
//
//   new result        -> pending (active_at = now)
//   pending >= for    -> firing  (fired_at = now)
//   gone, pending     -> dropped
//   gone, firing      -> inactive (resolved_at = now), kept 15 minutes
//                        for the alert manager, unless keep_firing_for
//                        keeps it firing that much longer
//
// and writes ALERTS{alertname, alertstate, ...} 1 and ALERTS_FOR_STATE{...}
// = active_at in seconds for every pending or firing alert, once restored
// (restart recovery, see Group). Label and annotation templates are
// expanded with $labels, $value, $externalLabels and $externalURL; an
// expansion error becomes the text "<error expanding template: ...>".
//
// Thread safety: Eval and the state-changing calls are made by one group
// thread; the accessors (Snapshot, health) may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "model/alert.h"
#include "model/labels.h"
#include "promql/ast.h"
#include "promql/value.h"
#include "rules/rule_file.h"
#include "vigil/result.h"

namespace vigil::rules {

// Evaluates an expression at t (ms since the epoch) to an instant vector
// (a scalar becomes one sample without labels, as Prometheus'
// EngineQueryFunc does).
using QueryFunc =
    std::function<Result<promql::Vector>(const promql::Expr& expr, int64_t t)>;
// The same for a query string (the templates' `query` function).
using QueryStringFunc =
    std::function<Result<promql::Vector>(std::string_view query, int64_t t)>;

struct EvalContext {
  QueryFunc query;
  QueryStringFunc query_string;  // may be empty: `query` in templates fails
  model::Labels external_labels;
  std::string external_url;
};

enum class RuleHealth : uint8_t { kUnknown, kGood, kBad };
std::string_view RuleHealthName(RuleHealth h);  // "unknown", "ok", "err"

enum class AlertState : uint8_t { kInactive, kPending, kFiring };
std::string_view AlertStateName(AlertState s);  // "inactive", ...

// One alert of an alerting rule. Times are ms since the epoch; 0 = unset.
struct ActiveAlert {
  model::Labels labels;
  model::Labels annotations;
  double value = 0;
  AlertState state = AlertState::kPending;
  int64_t active_at = 0;
  int64_t fired_at = 0;
  int64_t resolved_at = 0;
  int64_t last_sent_at = 0;
  int64_t valid_until = 0;
  int64_t keep_firing_since = 0;
};

// What the API shows of a rule.
struct RuleStatus {
  RuleHealth health = RuleHealth::kUnknown;
  std::string last_error;
  int64_t last_evaluation = 0;  // ms; 0: never
  std::chrono::nanoseconds evaluation_time{0};
};

class Rule {
 public:
  explicit Rule(RuleNode node) : node_(std::move(node)) {}
  virtual ~Rule() = default;

  const RuleNode& node() const { return node_; }
  const std::string& name() const { return node_.name; }
  bool alerting() const { return node_.alerting; }

  // Evaluates at t; `limit` > 0 caps the series (alerts) it may produce.
  virtual Result<promql::Vector> Eval(int64_t t, const EvalContext& ctx, int limit) = 0;

  RuleStatus status() const;
  void SetStatus(RuleStatus s);

 protected:
  const RuleNode node_;
  mutable std::mutex status_mu_;
  RuleStatus status_;  // guarded by status_mu_
};

class RecordingRule final : public Rule {
 public:
  using Rule::Rule;
  Result<promql::Vector> Eval(int64_t t, const EvalContext& ctx, int limit) override;
};

class AlertingRule final : public Rule {
 public:
  // `restored`: whether ALERTS/ALERTS_FOR_STATE are written from the start
  // (false while a restart still has to restore `for` state).
  AlertingRule(RuleNode node, bool restored);

  Result<promql::Vector> Eval(int64_t t, const EvalContext& ctx, int limit) override;

  // The alerts needing a notification at t (Prometheus' needsSending):
  // firing ones first sent or not sent for resend_delay, and resolved ones
  // not yet sent since they resolved (once). Marks them sent; valid_until
  // becomes t + 4 x max(resend_delay, interval).
  std::vector<model::Alert> AlertsToSend(int64_t t, std::chrono::milliseconds resend_delay,
                                         std::chrono::milliseconds interval,
                                         std::string_view generator_url);

  // Copies of the alerts (including resolved ones still retained).
  std::vector<ActiveAlert> Alerts() const;
  // The highest state of its alerts.
  AlertState State() const;

  // Restart recovery (see Group::RestoreForState): rewrites active_at of
  // the current alerts through `fn`, then starts writing ALERTS series.
  void RestoreActiveAt(const std::function<void(ActiveAlert&)>& fn);
  void SetRestored() { restored_ = true; }
  bool restored() const { return restored_; }

  // The labels of the ALERTS_FOR_STATE series of an alert with `labels`.
  model::Labels ForStateLabels(const model::Labels& alert_labels) const;

  // Takes over the alerts of the same rule from before a reload.
  void CopyState(const AlertingRule& from);

 private:
  mutable std::mutex mu_;
  std::map<model::Labels, ActiveAlert> active_;  // guarded by mu_
  bool restored_;                                 // group thread only
};

}  // namespace vigil::rules
