#include "rules/rule.h"

#include <algorithm>
#include <set>
#include <utility>

#include "base/status_macros.h"
#include "model/timestamp.h"
#include "templating/template.h"

namespace vigil::rules {
namespace {

constexpr int64_t kResolvedRetentionMs = 15 * 60 * 1000;

// Prometheus' alert template expansion; errors become the text.
std::string Expand(const std::string& rule_name, std::string_view text,
                   const model::Labels& sample_labels, double value, int64_t t,
                   const EvalContext& ctx) {
  templating::ExecOptions opts;
  opts.timestamp_ms = t;
  opts.external_url = ctx.external_url;
  if (ctx.query_string) {
    opts.query = [&ctx, t](std::string_view q) -> Result<std::vector<templating::QuerySample>> {
      auto v = ctx.query_string(q, t);
      if (!v.ok()) return v.status();
      std::vector<templating::QuerySample> out;
      out.reserve(v->size());
      for (auto& s : *v) out.push_back({std::move(s.metric), s.v});
      return out;
    };
  }
  auto r = templating::ExpandAlertTemplate("__alert_" + rule_name, text, sample_labels, value,
                                           ctx.external_labels, ctx.external_url, opts);
  if (!r.ok()) return "<error expanding template: " + std::string(r.status().message()) + ">";
  return std::move(*r);
}

}  // namespace

std::string_view RuleHealthName(RuleHealth h) {
  switch (h) {
    case RuleHealth::kGood:
      return "ok";
    case RuleHealth::kBad:
      return "err";
    default:
      return "unknown";
  }
}

std::string_view AlertStateName(AlertState s) {
  switch (s) {
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
    default:
      return "inactive";
  }
}

RuleStatus Rule::status() const {
  std::lock_guard lock(status_mu_);
  return status_;
}

void Rule::SetStatus(RuleStatus s) {
  std::lock_guard lock(status_mu_);
  status_ = std::move(s);
}

Result<promql::Vector> RecordingRule::Eval(int64_t t, const EvalContext& ctx, int limit) {
  VIGIL_ASSIGN_OR_RETURN(promql::Vector v, ctx.query(*node_.expr, t));
  std::set<std::string> seen;
  for (auto& s : v) {
    model::LabelsBuilder b(s.metric);
    b.Set(model::kMetricName, node_.name);
    for (model::LabelRef l : node_.labels) b.Set(l.name, l.value);
    s.metric = b.Build();
    s.t = t;
    if (!seen.insert(std::string(s.metric.bytes())).second) {
      return FailedPreconditionError(
          "vector contains metrics with the same labelset after applying rule labels");
    }
  }
  if (limit > 0 && static_cast<int64_t>(v.size()) > limit) {
    return FailedPreconditionError("exceeded limit of " + std::to_string(limit) + " with " +
                                   std::to_string(v.size()) + " series");
  }
  return v;
}

AlertingRule::AlertingRule(RuleNode node, bool restored)
    : Rule(std::move(node)), restored_(restored) {}

Result<promql::Vector> AlertingRule::Eval(int64_t t, const EvalContext& ctx, int limit) {
  VIGIL_ASSIGN_OR_RETURN(promql::Vector res, ctx.query(*node_.expr, t));
  // The alerts of this result, by their final labels.
  std::map<model::Labels, ActiveAlert> now;
  for (const auto& s : res) {
    model::LabelsBuilder b(s.metric);
    b.Del(model::kMetricName);
    for (model::LabelRef l : node_.labels) {
      b.Set(l.name, Expand(node_.name, l.value, s.metric, s.v, t, ctx));
    }
    b.Set("alertname", node_.name);
    std::vector<std::pair<std::string, std::string>> annotations;
    for (model::LabelRef a : node_.annotations) {
      annotations.emplace_back(std::string(a.name),
                               Expand(node_.name, a.value, s.metric, s.v, t, ctx));
    }
    ActiveAlert a;
    a.labels = b.Build();
    a.annotations = model::Labels::FromPairs(std::move(annotations));
    a.value = s.v;
    a.state = AlertState::kPending;
    a.active_at = t;
    auto key = a.labels;
    if (!now.emplace(std::move(key), std::move(a)).second) {
      return FailedPreconditionError(
          "vector contains metrics with the same labelset after applying alert labels");
    }
  }

  std::lock_guard lock(mu_);
  for (auto& [labels, a] : now) {
    auto it = active_.find(labels);
    if (it != active_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = a.value;
      it->second.annotations = std::move(a.annotations);
      continue;
    }
    active_[labels] = std::move(a);
  }

  promql::Vector out;
  int64_t active_or_pending = 0;
  const auto hold = node_.for_duration.count();
  const auto keep = node_.keep_firing_for.count();
  for (auto it = active_.begin(); it != active_.end();) {
    ActiveAlert& a = it->second;
    if (!now.contains(it->first)) {
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && keep > 0) {
        if (a.keep_firing_since == 0) a.keep_firing_since = t;
        keep_firing = t - a.keep_firing_since < keep;
      }
      if (a.state == AlertState::kPending ||
          (a.resolved_at != 0 && t - a.resolved_at > kResolvedRetentionMs)) {
        it = active_.erase(it);
        continue;
      }
      if (a.state != AlertState::kInactive && !keep_firing) {
        a.state = AlertState::kInactive;
        a.resolved_at = t;
      }
      if (!keep_firing) {
        ++it;
        continue;
      }
    } else {
      a.keep_firing_since = 0;
    }
    ++active_or_pending;
    if (a.state == AlertState::kPending && t - a.active_at >= hold) {
      a.state = AlertState::kFiring;
      a.fired_at = t;
    }
    if (restored_) {
      model::LabelsBuilder b(node_.labels);
      for (model::LabelRef l : a.labels) b.Set(l.name, l.value);
      b.Set(model::kMetricName, "ALERTS");
      b.Set("alertname", node_.name);
      b.Set("alertstate", AlertStateName(a.state));
      out.push_back({b.Build(), t, 1});
      out.push_back({ForStateLabels(a.labels), t, static_cast<double>(a.active_at / 1000)});
    }
    ++it;
  }
  if (limit > 0 && active_or_pending > limit) {
    active_.clear();
    return FailedPreconditionError("exceeded limit of " + std::to_string(limit) + " with " +
                                   std::to_string(active_or_pending) + " alerts");
  }
  return out;
}

model::Labels AlertingRule::ForStateLabels(const model::Labels& alert_labels) const {
  model::LabelsBuilder b(node_.labels);
  for (model::LabelRef l : alert_labels) b.Set(l.name, l.value);
  b.Set(model::kMetricName, "ALERTS_FOR_STATE");
  b.Set("alertname", node_.name);
  return b.Build();
}

std::vector<model::Alert> AlertingRule::AlertsToSend(int64_t t,
                                                     std::chrono::milliseconds resend_delay,
                                                     std::chrono::milliseconds interval,
                                                     std::string_view generator_url) {
  std::vector<model::Alert> out;
  const int64_t delta = std::max(resend_delay, interval).count();
  std::lock_guard lock(mu_);
  for (auto& [labels, a] : active_) {
    if (a.state == AlertState::kPending) continue;
    bool send;
    if (a.resolved_at != 0) {
      send = a.resolved_at > a.last_sent_at;  // resolved: once
    } else {
      send = a.last_sent_at == 0 || a.last_sent_at + resend_delay.count() < t;
    }
    if (!send) continue;
    a.last_sent_at = t;
    a.valid_until = t + 4 * delta;
    model::Alert m;
    m.labels = a.labels;
    m.annotations = a.annotations;
    m.starts_at = model::ToTimePoint(a.fired_at);
    m.ends_at = model::ToTimePoint(a.resolved_at != 0 ? a.resolved_at : a.valid_until);
    m.generator_url = std::string(generator_url);
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<ActiveAlert> AlertingRule::Alerts() const {
  std::lock_guard lock(mu_);
  std::vector<ActiveAlert> out;
  out.reserve(active_.size());
  for (const auto& [labels, a] : active_) out.push_back(a);
  return out;
}

AlertState AlertingRule::State() const {
  std::lock_guard lock(mu_);
  AlertState s = AlertState::kInactive;
  for (const auto& [labels, a] : active_) s = std::max(s, a.state);
  return s;
}

void AlertingRule::RestoreActiveAt(const std::function<void(ActiveAlert&)>& fn) {
  std::lock_guard lock(mu_);
  for (auto& [labels, a] : active_) fn(a);
}

void AlertingRule::CopyState(const AlertingRule& from) {
  std::scoped_lock lock(mu_, from.mu_);
  active_ = from.active_;
}

}  // namespace vigil::rules
