// Family<T>: all series of one metric name, one per label-value set.
//
//   Family<Counter>* f = registry.MustAddCounter({.name = "detections_total",
//       .help = "Objects detected.", .label_names = {"model", "class"}});
//   Counter c = f->WithLabelValues({"owlv2", "person"});   // positional
//   Counter d = f->With({{"class", "car"}, {"model", "owlv2"}});  // by name
//
// Looking a series up takes no lock, allocates nothing when the series exists
// and writes no shared cache line: a per-thread big-reader lock guards the
// table, and the returned handle counts itself in a per-thread reference cell
// (see internal/series.h). Keeping the handle is cheaper still.
//
// Cardinality guard: a family holds at most MetricOptions::max_series label
// sets (default 10,000). Past that, lookups of new label sets return a handle
// whose updates are dropped and counted in vigil_dropped_series_total{family};
// the first drop is reported once through the registry's error reporter.
// Wrong label names or counts are reported the same way and counted in
// vigil_metrics_rejected_updates_total{family,reason="bad_labels"}; use Get()
// to receive the error instead.
//
// Thread safety: thread-safe.
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "vigil/metrics/internal/family_core.h"
#include "vigil/result.h"

namespace vigil::metrics {

template <typename T>
class Family : public internal::FamilyCore {
 public:
  using internal::FamilyCore::FamilyCore;

  // Values in the order of MetricOptions::label_names.
  T WithLabelValues(std::initializer_list<std::string_view> values) {
    return Make<T>(LookupValues(std::span(values.begin(), values.size())));
  }
  T WithLabelValues(std::span<const std::string_view> values) {
    return Make<T>(LookupValues(values));
  }
  // Label pairs in any order.
  T With(std::initializer_list<LabelPair> labels) {
    return Make<T>(LookupPairs(std::span(labels.begin(), labels.size())));
  }
  T With(std::span<const LabelPair> labels) { return Make<T>(LookupPairs(labels)); }
  // Like With(), but a wrong label set or a full family is an error.
  Result<T> Get(std::span<const LabelPair> labels) {
    Result<internal::Series*> s = CheckedLookup(labels);
    if (!s.ok()) return s.status();
    return Make<T>(*s);
  }
  // Removes the series with these values; true if it existed. Handles to it
  // keep working but are no longer exported.
  bool Remove(std::initializer_list<std::string_view> values) {
    return RemoveValues(std::span(values.begin(), values.size()));
  }
};

}  // namespace vigil::metrics
