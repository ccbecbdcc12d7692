#include "alertmanager/inhibit.h"

namespace vigil::alertmanager {

Inhibitor::Inhibitor(std::vector<InhibitRule> rules) {
  for (auto& r : rules) rules_.push_back(Rule{std::move(r), {}});
}

void Inhibitor::Observe(const Alert& alert) {
  std::lock_guard lock(mu_);
  for (Rule& r : rules_) {
    if (MatchesAll(r.config.source_matchers, alert.labels)) {
      r.sources[alert.fingerprint()] = alert;
    }
  }
}

std::optional<uint64_t> Inhibitor::Mutes(const model::Labels& labels, TimePoint now) const {
  std::lock_guard lock(mu_);
  for (const Rule& r : rules_) {
    if (!MatchesAll(r.config.target_matchers, labels)) continue;
    // The target side matches; if the source side does too, sources that
    // also match both sides do not count.
    const bool two_sided = MatchesAll(r.config.source_matchers, labels);
    for (const auto& [fp, src] : r.sources) {
      if (src.ResolvedAt(now)) continue;
      bool equal = true;
      for (const std::string& name : r.config.equal) {
        if (src.labels.Get(name) != labels.Get(name)) {
          equal = false;
          break;
        }
      }
      if (!equal) continue;
      if (two_sided && MatchesAll(r.config.target_matchers, src.labels)) continue;
      return fp;
    }
  }
  return std::nullopt;
}

void Inhibitor::GC(TimePoint now) {
  std::lock_guard lock(mu_);
  for (Rule& r : rules_) {
    std::erase_if(r.sources, [&](const auto& kv) { return kv.second.ResolvedAt(now); });
  }
}

}  // namespace vigil::alertmanager
