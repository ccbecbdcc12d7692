// Helpers for metrics tests: find a family or series in a registry snapshot.
//
// Thread safety: not thread-safe (test code).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "vigil/metrics/registry.h"

namespace vigil::metrics::testing {

inline const FamilySnapshot* FindFamily(const std::vector<FamilySnapshot>& snap,
                                        const std::string& name) {
  for (const auto& f : snap) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// The series whose labels include every pair in `want`.
inline const MetricSnapshot* FindSeries(
    const std::vector<FamilySnapshot>& snap, const std::string& name,
    const std::vector<std::pair<std::string, std::string>>& want) {
  const FamilySnapshot* f = FindFamily(snap, name);
  if (f == nullptr) return nullptr;
  for (const auto& m : f->metrics) {
    bool all = true;
    for (const auto& w : want) {
      bool found = false;
      for (const auto& l : m.labels) found = found || l == w;
      all = all && found;
    }
    if (all) return &m;
  }
  return nullptr;
}

// Value of a counter/gauge series, or -1 when absent.
inline double SeriesValue(const Registry& r, const std::string& name,
                          const std::vector<std::pair<std::string, std::string>>& want) {
  const auto snap = r.Snapshot();
  const MetricSnapshot* m = FindSeries(snap, name, want);
  return m == nullptr ? -1 : m->value;
}

}  // namespace vigil::metrics::testing
