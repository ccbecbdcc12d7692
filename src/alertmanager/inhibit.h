// The inhibitor (Alertmanager 0.25's inhibit package): an alert matching a
// rule's target matchers is muted while a firing alert matching its source
// matchers has the same values for the rule's `equal` labels. An alert
// matching both sides never inhibits itself, nor another that also matches
// both sides.
//
// Thread safety: thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/types.h"

namespace vigil::alertmanager {

class Inhibitor {
 public:
  explicit Inhibitor(std::vector<InhibitRule> rules);

  // Every alert the alert manager accepts (new or updated).
  void Observe(const Alert& alert);
  // The fingerprint of an alert inhibiting `labels` at `now`, if any.
  std::optional<uint64_t> Mutes(const model::Labels& labels, TimePoint now) const;
  // Drops source alerts resolved before `now`.
  void GC(TimePoint now);

 private:
  struct Rule {
    InhibitRule config;
    std::map<uint64_t, Alert> sources;  // guarded by mu_
  };
  mutable std::mutex mu_;
  std::vector<Rule> rules_;
};

}  // namespace vigil::alertmanager
