// Registry: owns metric families and collectors and streams them to an
// exposition encoder.
//
//   vigil::metrics::Registry registry({.prefix = "vision",
//                                      .const_labels = {{"service", "detector"}}});
//   auto* frames = registry.MustAddCounter({.name = "frames_processed_total",
//       .help = "Frames processed.", .label_names = {"model", "status"}});
//
// Names follow Prometheus' rules (metric [a-zA-Z_:][a-zA-Z0-9_:]*, label
// [a-zA-Z_][a-zA-Z0-9_]*, no "__" prefix, "le"/"quantile" reserved for
// histograms/summaries). Adding a name again with the same type, labels and
// buckets returns the existing family; with anything else it is an error that
// names both registrations. Family pointers live as long as the registry.
//
// Self-metrics, created on first need: vigil_dropped_series_total{family}
// and vigil_metrics_rejected_updates_total{family,reason}.
//
// Thread safety: thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigil/metrics/collector.h"
#include "vigil/metrics/counter.h"
#include "vigil/metrics/family.h"
#include "vigil/metrics/gauge.h"
#include "vigil/metrics/histogram.h"
#include "vigil/metrics/metric_type.h"
#include "vigil/metrics/summary.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::metrics {

struct RegistryOptions {
  // Namespace prepended to every family name ("prefix_name").
  std::string prefix;
  // Labels added to every series this registry exposes.
  std::vector<std::pair<std::string, std::string>> const_labels;
  // Where one-time reports go (first cardinality drop, bad labels); stderr
  // when empty.
  std::function<void(std::string_view)> error_reporter;
};

class Registry {
 public:
  Registry();
  explicit Registry(RegistryOptions options);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // A process-wide registry for code that has no other.
  static Registry& Default();

  Result<Family<Counter>*> AddCounter(const MetricOptions& options);
  Result<Family<Gauge>*> AddGauge(const MetricOptions& options);
  Result<Family<Histogram>*> AddHistogram(const MetricOptions& options,
                                          std::vector<double> buckets = DefaultBuckets());
  Result<Family<Summary>*> AddSummary(const MetricOptions& options,
                                      SummaryOptions summary = {});

  // The same, aborting with the error message: for static registration in
  // main(), like the client libraries' MustRegister.
  Family<Counter>* MustAddCounter(const MetricOptions& options);
  Family<Gauge>* MustAddGauge(const MetricOptions& options);
  Family<Histogram>* MustAddHistogram(const MetricOptions& options,
                                      std::vector<double> buckets = DefaultBuckets());
  Family<Summary>* MustAddSummary(const MetricOptions& options, SummaryOptions summary = {});

  // A gauge whose value is computed by `fn` at collection time (outside any
  // lock). options.label_names must be empty; use const_labels.
  Status AddGaugeCallback(const MetricOptions& options, std::function<double()> fn);

  Status Register(std::shared_ptr<Collector> collector);
  // True if it was registered.
  bool Unregister(const Collector* collector);
  // Removes a family (and its series) by full name; true if it existed.
  // Pointers to it become invalid: only for owners that can guarantee that.
  bool RemoveFamily(std::string_view full_name);

  // Streams every family, sorted by name, into `sink`.
  void Collect(MetricSink& sink) const;
  // The same, as owned values (for in-process readers and tests).
  std::vector<FamilySnapshot> Snapshot() const;

  const RegistryOptions& options() const { return options_; }
  void Report(std::string_view message) const;

  // Internal: self-metric bookkeeping used by families.
  Counter DroppedCounter(const std::string& family);
  void CountRejected(const std::string& family, const char* reason);

 private:
  template <typename F>
  Result<F*> AddFamily(MetricType type, const MetricOptions& options,
                       std::vector<double> bounds, SummaryOptions summary);
  Family<Counter>* SelfCounter(bool dropped);
  // prefix_subsystem_name.
  std::string FullName(const MetricOptions& options) const;

  const RegistryOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<internal::FamilyCore>, std::less<>> families_;
  std::vector<std::shared_ptr<Collector>> collectors_;
  Family<Counter>* dropped_ = nullptr;   // vigil_dropped_series_total
  Family<Counter>* rejected_ = nullptr;  // vigil_metrics_rejected_updates_total
};

// Validation used by the registry, exposed for collectors and parsers.
Status ValidateMetricName(std::string_view name);
Status ValidateLabelName(std::string_view name);
bool IsValidUtf8(std::string_view s);

}  // namespace vigil::metrics
