// What a collection produces: metric types, label pairs, exemplars, and the
// MetricSink that exposition encoders implement. Registry::Collect() streams
// every family into a sink without copying the series first; Collectors (see
// collector.h) hand over owned FamilySnapshots instead.
//
// Thread safety: plain value types are thread-compatible; a MetricSink is
// called from one thread at a time.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::metrics {

enum class MetricType : uint8_t { kCounter, kGauge, kHistogram, kSummary, kUntyped };

// "counter", "gauge", "histogram", "summary", "untyped".
std::string_view MetricTypeName(MetricType type);

struct LabelPair {
  std::string_view name;
  std::string_view value;
};

// An exemplar as OpenMetrics carries it: labels (a trace id, usually), the
// observed value, and when it was observed.
struct Exemplar {
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  double timestamp_s = 0;  // seconds since the epoch
};

inline constexpr int64_t kNoTimestamp = std::numeric_limits<int64_t>::min();

struct MetricFamilyDesc {
  std::string_view name;  // full name; counters keep a trailing "_total"
  std::string_view help;
  std::string_view unit;  // OpenMetrics unit, may be empty
  MetricType type = MetricType::kUntyped;
};

// One series of a family at collection time. Views point into storage that
// is valid only during the AddMetric() call.
struct MetricPoint {
  std::span<const LabelPair> labels;
  double value = 0;  // counter, gauge, untyped
  // Histogram: finite upper bounds (the +Inf bucket is implied last) and
  // cumulative counts, one more than bounds (the last is the +Inf count,
  // always equal to `count`).
  std::span<const double> bucket_bounds;
  std::span<const uint64_t> bucket_counts;
  // Summary: quantile ranks and their estimates.
  std::span<const double> quantiles;
  std::span<const double> quantile_values;
  uint64_t count = 0;  // histogram, summary
  double sum = 0;      // histogram, summary
  double created_s = std::numeric_limits<double>::quiet_NaN();
  int64_t timestamp_ms = kNoTimestamp;
  // Counter: at most one exemplar (exemplars[0]); histogram: one slot per
  // bucket, null where the bucket has none.
  std::span<const Exemplar* const> exemplars;
};

class MetricSink {
 public:
  virtual ~MetricSink() = default;
  virtual void BeginFamily(const MetricFamilyDesc& desc) = 0;
  virtual void AddMetric(const MetricPoint& point) = 0;
  virtual void EndFamily() = 0;
};

// Owned forms, produced by Collectors and by Registry::Snapshot().
struct MetricSnapshot {
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  std::vector<double> bucket_bounds;     // histogram, finite bounds
  std::vector<uint64_t> bucket_counts;   // cumulative, bounds.size()+1
  std::vector<double> quantiles;         // summary
  std::vector<double> quantile_values;   // summary
  uint64_t count = 0;
  double sum = 0;
  double created_s = std::numeric_limits<double>::quiet_NaN();
  int64_t timestamp_ms = kNoTimestamp;
  std::vector<Exemplar> exemplars;       // counter: 0 or 1; histogram: per bucket or empty
  std::vector<bool> has_exemplar;        // parallel to exemplars
};

struct FamilySnapshot {
  std::string name;
  std::string help;
  std::string unit;
  MetricType type = MetricType::kUntyped;
  std::vector<MetricSnapshot> metrics;
};

// Streams one owned family into a sink.
void EmitSnapshot(const FamilySnapshot& family, MetricSink& sink);

}  // namespace vigil::metrics
