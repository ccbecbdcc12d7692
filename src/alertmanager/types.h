// The alert manager's core values (Alertmanager 0.25's types and
// prometheus/common's model): alerts with their fingerprint, and the
// string forms Alertmanager puts on the wire (group keys, label sets), so
// that notifications match a real Alertmanager's byte for byte.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "model/labels.h"
#include "model/matcher.h"

namespace vigil::alertmanager {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// prometheus/common's LabelSet.Fingerprint: FNV-1a 64 over the sorted
// names and values, each followed by the byte 0xff.
uint64_t Fingerprint(const model::Labels& labels);
// "%016x", as the webhook's "fingerprint" field.
std::string FingerprintString(uint64_t fp);

// model.LabelSet.String: {a="b", c="d"} (Go %q quoting), sorted.
std::string LabelSetString(const model::Labels& labels);
// labels.Matchers.String: {a="b",c=~"d"} in the given order.
std::string MatchersString(const std::vector<model::Matcher>& matchers);

// Whether every matcher matches its label's value in `labels` (a missing
// label reads as ""), as Alertmanager's labels.Matchers.Matches.
bool MatchesAll(const std::vector<model::Matcher>& matchers, const model::Labels& labels);

// An alert as the alert manager holds it (Alertmanager's types.Alert).
struct Alert {
  model::Labels labels;
  model::Labels annotations;
  TimePoint starts_at{};
  TimePoint ends_at{};
  std::string generator_url;
  TimePoint updated_at{};
  // ends_at was set by us (now + resolve_timeout), not by the sender.
  bool timeout = false;

  uint64_t fingerprint() const { return Fingerprint(labels); }
  bool Resolved() const { return ResolvedAt(Clock::now()); }
  bool ResolvedAt(TimePoint t) const { return ends_at != TimePoint{} && ends_at <= t; }
  // "firing" or "resolved" at t.
  const char* StatusAt(TimePoint t) const { return ResolvedAt(t) ? "resolved" : "firing"; }
};

// Alertmanager's Alert.Merge: two versions of one fingerprint combined
// (the one updated last wins): the earliest start; if it is resolved at
// `now`, the latest end of the two when both are; if it fires, a later
// end of the other unless that end was our own timeout.
Alert Merge(const Alert& a, const Alert& b, TimePoint now);

}  // namespace vigil::alertmanager
