#include "rules/group.h"

#include <bit>
#include <cmath>
#include <utility>

#include "base/strings.h"
#include "model/matcher.h"
#include "model/timestamp.h"

namespace vigil::rules {
namespace {


bool IsStale(double v) {
  return std::bit_cast<uint64_t>(v) == storage::kStaleNaNBits;
}

// Go's url.QueryEscape: unreserved bytes kept, space as '+', the rest %XX.
std::string QueryEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool SameRule(const RuleNode& a, const RuleNode& b) {
  return a.alerting == b.alerting && a.anomaly == b.anomaly && a.name == b.name &&
         a.expr_text == b.expr_text && a.for_duration == b.for_duration &&
         a.keep_firing_for == b.keep_firing_for && a.labels == b.labels &&
         a.annotations == b.annotations && a.detector == b.detector && a.params == b.params &&
         a.severity == b.severity;
}

}  // namespace

std::string GeneratorURL(std::string_view external_url, std::string_view expr) {
  return std::string(external_url) + "/graph?g0.expr=" + QueryEscape(expr) + "&g0.tab=1";
}

Group::Group(GroupNode node, std::chrono::milliseconds interval, GroupOptions opts,
             bool restored)
    : node_(std::move(node)),
      interval_(interval),
      opts_(std::move(opts)),
      should_restore_(!restored) {
  for (const auto& r : node_.rules) {
    if (r.alerting) {
      rules_.push_back(std::make_shared<AlertingRule>(r, restored));
    } else if (r.anomaly) {
      // The manager checked the factory accepts the rule; a failure here
      // leaves the rule without detectors, failing each evaluation.
      std::unique_ptr<AnomalyScorer> scorer;
      if (opts_.anomaly_scorers) {
        Result<std::unique_ptr<AnomalyScorer>> made = opts_.anomaly_scorers(r);
        if (made.ok()) scorer = std::move(made).value();
      }
      rules_.push_back(std::make_shared<AnomalyRule>(r, std::move(scorer)));
    } else {
      rules_.push_back(std::make_shared<RecordingRule>(r));
    }
  }
  prev_series_.resize(rules_.size());
}

GroupStatus Group::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

bool Group::SameAs(const GroupNode& node, std::chrono::milliseconds interval) const {
  if (node.name != node_.name || node.file != node_.file || interval != interval_ ||
      node.limit != node_.limit || node.rules.size() != node_.rules.size()) {
    return false;
  }
  for (size_t i = 0; i < node.rules.size(); ++i) {
    if (!SameRule(node.rules[i], node_.rules[i])) return false;
  }
  return true;
}

void Group::CopyState(const Group& from) {
  // Rules are matched by kind, name and labels, in order of appearance
  // (Prometheus matches the n-th rule of a name to the old n-th).
  std::vector<bool> used(from.rules_.size(), false);
  for (size_t i = 0; i < rules_.size(); ++i) {
    const RuleNode& n = rules_[i]->node();
    for (size_t j = 0; j < from.rules_.size(); ++j) {
      const RuleNode& o = from.rules_[j]->node();
      if (used[j] || o.alerting != n.alerting || o.anomaly != n.anomaly || o.name != n.name ||
          o.labels != n.labels) {
        continue;
      }
      used[j] = true;
      prev_series_[i] = from.prev_series_[j];
      rules_[i]->SetStatus(from.rules_[j]->status());
      if (n.alerting) {
        static_cast<AlertingRule&>(*rules_[i])
            .CopyState(static_cast<const AlertingRule&>(*from.rules_[j]));
      } else if (n.anomaly) {
        static_cast<AnomalyRule&>(*rules_[i]).CopyState(static_cast<AnomalyRule&>(*from.rules_[j]));
      }
      break;
    }
  }
  std::lock_guard lock(mu_);
  std::lock_guard lock2(from.mu_);
  status_.last_evaluation = from.status_.last_evaluation;
  status_.evaluation_time = from.status_.evaluation_time;
}

int64_t Group::EvalTimestamp(int64_t now_ms) const {
  const int64_t interval = std::max<int64_t>(interval_.count(), 1);
  const auto offset =
      static_cast<int64_t>(Fnv1a(node_.name, Fnv1a(node_.file + ";")) % static_cast<uint64_t>(interval));
  const int64_t adjusted = now_ms - offset;
  int64_t base = adjusted - adjusted % interval;
  if (adjusted % interval < 0) base -= interval;
  return base + offset;
}

void Group::Append(const std::vector<promql::Sample>& samples, std::set<model::Labels>* prev,
                   int64_t t) {
  std::set<model::Labels> now;
  auto app = opts_.appendable->NewAppender();
  uint64_t errors = 0;
  for (const auto& s : samples) {
    if (!app->Append(0, s.metric, s.t, s.v).ok()) ++errors;
    now.insert(s.metric);
  }
  // Series this rule wrote before but not now: end them with a marker.
  const double stale = std::bit_cast<double>(storage::kStaleNaNBits);
  for (const auto& labels : *prev) {
    if (now.contains(labels)) continue;
    if (!app->Append(0, labels, t, stale).ok()) ++errors;
  }
  if (!app->Commit().ok()) errors += samples.size();
  *prev = std::move(now);
  if (errors > 0) {
    std::lock_guard lock(mu_);
    status_.append_errors += errors;
  }
}

void Group::Eval(int64_t t) {
  const auto group_start = std::chrono::steady_clock::now();
  uint64_t failures = 0;
  for (size_t i = 0; i < rules_.size(); ++i) {
    Rule& rule = *rules_[i];
    const auto start = std::chrono::steady_clock::now();
    auto res = rule.Eval(t, opts_.ctx, node_.limit);
    RuleStatus st;
    st.last_evaluation = t;
    if (!res.ok()) {
      ++failures;
      st.health = RuleHealth::kBad;
      st.last_error = std::string(res.status().message());
    } else {
      st.health = RuleHealth::kGood;
      if (rule.alerting() && opts_.notify) {
        auto& ar = static_cast<AlertingRule&>(rule);
        auto alerts = ar.AlertsToSend(t, opts_.resend_delay, interval_,
                                      GeneratorURL(opts_.ctx.external_url, rule.node().expr_text));
        if (!alerts.empty()) opts_.notify(std::move(alerts));
      }
      Append(*res, &prev_series_[i], t);
    }
    st.evaluation_time = std::chrono::steady_clock::now() - start;
    rule.SetStatus(std::move(st));
  }
  std::lock_guard lock(mu_);
  status_.last_evaluation = t;
  status_.evaluation_time = std::chrono::steady_clock::now() - group_start;
  ++status_.evaluations;
  status_.failures += failures;
}

void Group::RestoreForState(int64_t t) {
  should_restore_ = false;
  auto querier = opts_.queryable != nullptr
                     ? opts_.queryable->NewQuerier(t - opts_.outage_tolerance.count(), t)
                     : Result<std::unique_ptr<storage::Querier>>(
                           FailedPreconditionError("no storage to restore from"));
  const int64_t grace = opts_.for_grace_period.count();
  for (auto& r : rules_) {
    if (!r->alerting()) continue;
    auto& ar = static_cast<AlertingRule&>(*r);
    const int64_t hold = r->node().for_duration.count();
    if (!querier.ok() || hold < grace) {
      ar.SetRestored();
      continue;
    }
    ar.RestoreActiveAt([&](ActiveAlert& a) {
      const model::Labels want = ar.ForStateLabels(a.labels);
      std::vector<model::Matcher> matchers;
      for (model::LabelRef l : want) {
        auto m = model::Matcher::Make(model::MatchType::kEqual, l.name, l.value);
        if (m.ok()) matchers.push_back(std::move(*m));
      }
      auto set = (*querier)->Select(matchers);
      while (set->Next()) {
        if (set->At().labels() != want) continue;
        auto it = set->At().NewIterator();
        int64_t st = 0;
        double sv = 0;
        bool any = false;
        while (it->Next()) {
          std::tie(st, sv) = it->At();
          any = true;
        }
        if (!any || !it->status().ok() || IsStale(sv)) return;
        const int64_t down_at = st / 1000 * 1000;  // whole seconds, as Prometheus
        int64_t active_at = static_cast<int64_t>(sv) * 1000;
        const int64_t remaining = hold - (down_at - active_at);
        if (remaining <= 0) {
          // It was firing: it fires again at the next evaluation.
        } else if (remaining < grace) {
          active_at = t + grace - hold;
        } else {
          active_at += t - down_at;  // the downtime does not count
        }
        a.active_at = active_at;
        return;
      }
    });
    ar.SetRestored();
  }
}

void Group::MarkStale(int64_t t) {
  for (auto& prev : prev_series_) Append({}, &prev, t);
}

void Group::Run(std::stop_token stop) {
  std::mutex m;
  std::condition_variable_any cv;
  auto sleep_until = [&](int64_t wall_ms) {
    const int64_t wait = wall_ms - model::NowMillis();
    if (wait <= 0) return !stop.stop_requested();
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, std::chrono::milliseconds(wait), [] { return false; });
    return !stop.stop_requested();
  };
  // First slot after now, as Prometheus waits for one.
  int64_t next = EvalTimestamp(model::NowMillis()) + interval_.count();
  int evaluations = 0;
  while (sleep_until(next)) {
    Eval(next);
    ++evaluations;
    if (should_restore_ && evaluations >= 2) RestoreForState(model::NowMillis());
    // Slots that passed while this one ran are skipped, and counted.
    next += interval_.count();
    const int64_t now = model::NowMillis();
    if (now > next) {
      const int64_t missed = (now - next) / interval_.count() + 1;
      next += missed * interval_.count();
      std::lock_guard lock(mu_);
      status_.iterations_missed += static_cast<uint64_t>(missed);
    }
  }
  if (mark_stale_on_stop_) MarkStale(model::NowMillis());
}

}  // namespace vigil::rules
