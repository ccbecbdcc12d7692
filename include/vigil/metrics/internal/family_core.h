// FamilyCore: the untyped part of Family<T> -- options, the series table, the
// cardinality guard, and collection. Users see it through Family<T>.
//
// Table protocol: lookups run under a big-reader lock (each thread raises a
// flag in its own ThreadSlab, then checks the family's writer flag); inserts,
// removals and rehashes take mu_, raise the writer flag and wait for the
// readers' flags to drop. Collection iterates order_ under mu_, so series
// creation waits for a scrape but updates and lookups never do.
//
// Thread safety: thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "vigil/metrics/counter.h"
#include "vigil/metrics/gauge.h"
#include "vigil/metrics/histogram.h"
#include "vigil/metrics/metric_type.h"
#include "vigil/metrics/summary.h"
#include "vigil/result.h"

namespace vigil::metrics {

class Registry;

// What every metric family is registered with.
struct MetricOptions {
  std::string name;       // without the registry namespace and subsystem
  std::string help;
  std::string subsystem;  // optional; full name = namespace_subsystem_name
  std::string unit;       // optional OpenMetrics unit; the name must end in it
  std::vector<std::string> label_names;
  std::vector<std::pair<std::string, std::string>> const_labels;
  size_t max_series = 10000;  // cardinality guard
};

namespace internal {

class FamilyCore {
 public:
  FamilyCore(Registry* registry, MetricType type, std::string full_name,
             MetricOptions options, std::vector<double> bounds,
             SummaryOptions summary);
  virtual ~FamilyCore();
  FamilyCore(const FamilyCore&) = delete;
  FamilyCore& operator=(const FamilyCore&) = delete;

  const std::string& name() const { return name_; }
  MetricType type() const { return type_; }
  const MetricOptions& options() const { return options_; }
  // Number of exported series.
  size_t size() const;
  // Removes every series.
  void Clear();

  // Streams this family into `sink`. `extra_labels` (registry const labels)
  // are appended to every series.
  void Collect(MetricSink& sink, std::span<const LabelPair> extra_labels) const;

  // Returns a detached series' cells and memory to this family's pool.
  void FreeSeries(Series* s);

  // Cardinality-guard and validation bookkeeping (see family.h).
  void OnDroppedUpdate();
  void OnRejected(const char* reason);

 protected:
  Series* LookupValues(std::span<const std::string_view> values);
  Series* LookupPairs(std::span<const LabelPair> labels);
  [[gnu::noinline]] Series* LookupPairsSlow(std::span<const LabelPair> labels);
  Result<Series*> CheckedLookup(std::span<const LabelPair> labels);
  bool RemoveValues(std::span<const std::string_view> values);

  template <typename T>
  T Make(Series* s) const;

 private:
  struct Table;
  Series* Find(std::span<const std::string_view> values, uint32_t hash);
  Result<Series*> FindOrCreate(std::span<const std::string_view> values, bool checked);
  Series* NewSeries(std::span<const std::string_view> values, uint32_t hash);
  Series* Sink();
  // Counts a wrong label set, reports the first one, and returns a
  // referenced detached series whose updates go nowhere.
  Series* RejectLabels(std::string_view why);
  // Marks `victims` detached, removes them from the table, waits out the
  // readers, folds their reference cells into refs and drops the table's
  // references. REQUIRES: mu_ held.
  void DetachLocked(const std::vector<Series*>& victims);
  void WriterEnter();
  void WriterExit();
  Status ResolvePairs(std::span<const LabelPair> labels,
                      std::span<std::string_view> ordered) const;

  // Constant after construction.
  Registry* const registry_;
  const MetricType type_;
  const std::string name_;
  const MetricOptions options_;
  const std::vector<double> bounds_;  // histogram
  const SummaryOptions summary_;
  const uint32_t cells_per_series_;

  // The table is read under the big-reader lock, written under mu_ plus the
  // writer flag.
  std::atomic<uint32_t> writer_{0};
  std::unique_ptr<Table> table_;
  mutable std::mutex mu_;
  // Guarded by mu_; creation order. A deque: no doubling slack per series.
  std::deque<Series*> order_;
  Series* sink_ = nullptr;      // guarded by mu_; the cardinality sink
  bool drop_reported_ = false;  // guarded by mu_
  // Series memory: blocks of kPoolBlock, handed out and taken back under
  // pool_mu_ (FreeSeries runs on whichever thread drops the last handle).
  static constexpr size_t kPoolBlock = 64;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Series[]>> pool_blocks_;  // guarded by pool_mu_
  std::vector<Series*> pool_free_;                      // guarded by pool_mu_
  std::atomic<bool> bad_labels_reported_{false};
  // vigil_dropped_series_total{family=name_}, resolved once on the first drop
  // so that dropped updates do not look it up again.
  std::once_flag dropped_once_;
  Counter dropped_counter_;  // written once under dropped_once_
};

}  // namespace internal
}  // namespace vigil::metrics

namespace vigil::metrics::internal {

SummaryWindow* SummaryWindowOf(Series* s);

template <typename T>
T FamilyCore::Make(Series* s) const {
  if constexpr (std::is_same_v<T, Counter>) {
    return Counter(s);
  } else if constexpr (std::is_same_v<T, Gauge>) {
    return Gauge(s);
  } else if constexpr (std::is_same_v<T, Histogram>) {
    return Histogram(s, bounds_.data(), static_cast<uint32_t>(bounds_.size()));
  } else {
    static_assert(std::is_same_v<T, Summary>);
    return Summary(s, SummaryWindowOf(s));
  }
}

}  // namespace vigil::metrics::internal
