// rules::Group: a rule group evaluated at its interval (Prometheus'
// rules.Group). One evaluation runs the rules in file order at one
// timestamp; each rule's samples are appended to storage in their own
// batch, series a rule produced last time but not now get a staleness
// marker, and alerting rules hand their due notifications to `notify`.
// Later rules see earlier rules' results of the same evaluation.
//
// Evaluation timestamps are aligned as Prometheus aligns them: multiples of
// the interval shifted by a hash of the group's file and name, so groups
// spread over the interval and restarts keep the same slots.
//
// Restart recovery (RestoreForState, Prometheus' for-state restoration):
// after a restart each alerting rule starts without ALERTS series; after
// the second evaluation the group reads the ALERTS_FOR_STATE samples
// written before the restart (within outage_tolerance) and moves each
// pending alert's active_at back: an alert that was firing fires again at
// once, one that was pending keeps its progress, shifted by the downtime,
// and at least for_grace_period remains before it fires. Rules whose `for`
// is shorter than the grace period are not restored (they wait their
// `for` again), as in Prometheus.
//
// Thread safety: Eval, RestoreForState, MarkStale and Run belong to one
// thread (Run's); the accessors may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "model/alert.h"
#include "rules/anomaly_rule.h"
#include "rules/rule.h"
#include "rules/rule_file.h"
#include "storage/interface.h"

namespace vigil::rules {

struct GroupOptions {
  storage::Appendable* appendable = nullptr;
  storage::Queryable* queryable = nullptr;  // for restoring `for` state
  EvalContext ctx;
  // Receives alerts to deliver (may be empty: alerts are only recorded).
  std::function<void(std::vector<model::Alert>)> notify;
  std::chrono::milliseconds resend_delay{std::chrono::minutes(1)};
  std::chrono::milliseconds outage_tolerance{std::chrono::hours(1)};
  std::chrono::milliseconds for_grace_period{std::chrono::minutes(10)};
  // Builds anomaly rules' detectors (none: they fail to evaluate).
  AnomalyScorerFactory anomaly_scorers;
};

struct GroupStatus {
  int64_t last_evaluation = 0;  // ms; 0: never
  std::chrono::nanoseconds evaluation_time{0};
  uint64_t evaluations = 0;
  uint64_t failures = 0;           // rule evaluations that failed
  uint64_t iterations_missed = 0;  // slots skipped because one ran late
  uint64_t append_errors = 0;      // samples storage refused
};

class Group {
 public:
  // `interval`: the group's own, or the default when the file gives none.
  // `restored`: false when a restart must restore `for` state first.
  Group(GroupNode node, std::chrono::milliseconds interval, GroupOptions opts,
        bool restored);

  const std::string& name() const { return node_.name; }
  const std::string& file() const { return node_.file; }
  std::chrono::milliseconds interval() const { return interval_; }
  int limit() const { return node_.limit; }
  const std::vector<std::shared_ptr<Rule>>& rules() const { return rules_; }
  GroupStatus status() const;

  // Whether `node` (with `interval`) describes this group exactly, so a
  // reload can keep it running untouched.
  bool SameAs(const GroupNode& node, std::chrono::milliseconds interval) const;
  // A reload's new version of a group takes over the old one's alerts and
  // its series of the last evaluation, rule by rule (same kind, name and
  // labels), as Prometheus' CopyState.
  void CopyState(const Group& from);

  // The evaluation slot at or before now_ms.
  int64_t EvalTimestamp(int64_t now_ms) const;
  void Eval(int64_t t);
  void RestoreForState(int64_t t);
  // Staleness markers for everything the last evaluation wrote (the group
  // was removed).
  void MarkStale(int64_t t);

  // Evaluates at every slot until `stop`; restores `for` state after the
  // second evaluation when constructed with restored = false. With
  // mark_stale_on_stop set before stopping, ends with MarkStale.
  void Run(std::stop_token stop);
  void set_mark_stale_on_stop() { mark_stale_on_stop_ = true; }

 private:
  void Append(const std::vector<promql::Sample>& samples, std::set<model::Labels>* prev,
              int64_t t);

  const GroupNode node_;
  const std::chrono::milliseconds interval_;
  const GroupOptions opts_;
  std::vector<std::shared_ptr<Rule>> rules_;
  // Per rule: the series it wrote at the last evaluation.
  std::vector<std::set<model::Labels>> prev_series_;  // Run's thread only
  bool should_restore_;
  std::atomic<bool> mark_stale_on_stop_{false};

  mutable std::mutex mu_;
  GroupStatus status_;  // guarded by mu_
};

// Prometheus' strutil.TableLinkForExpression under `external_url`.
std::string GeneratorURL(std::string_view external_url, std::string_view expr);

}  // namespace vigil::rules
