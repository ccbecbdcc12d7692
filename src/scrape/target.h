// scrape::Target: one endpoint of a scrape job, its identity (labels, URL)
// and the outcome of its last scrape (Prometheus' scrape/target.go).
//
//   Result<std::vector<std::shared_ptr<Target>>> ts = TargetsFromConfig(job);
//   for (auto& t : *ts) std::cout << t->url() << " " << t->labels().ToString();
//   TargetStatus s = t->status();  // for /api/v1/targets
//   for (const MetricMetadata& m : *s.metadata) ...  // /api/v1/metadata
//
// Labels are built as Prometheus' populateLabels does without relabelling:
// static labels, then __address__ (the target, with port 80/443 added when
// missing), job, __scheme__, __metrics_path__, __scrape_interval__,
// __scrape_timeout__ and __param_<name> defaults for those not already set.
// The scrape URL comes from those; instance defaults to __address__; the
// target's public labels are the ones not starting with "__".
//
// The target also holds the metric metadata (TYPE, HELP, UNIT per family)
// of its scrapes, as an immutable snapshot that its scrape loop replaces
// when a scrape changes it (Prometheus' Target.MetadataStore()).
//
// Thread safety: thread-safe. Identity is immutable; Report(),
// SetMetadata(), status() and metadata() may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/thread_annotations.h"
#include "model/labels.h"
#include "scrape/config.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::scrape {

enum class TargetHealth : uint8_t { kUnknown, kUp, kDown };
// "unknown", "up", "down", as /api/v1/targets spells them.
std::string_view TargetHealthName(TargetHealth health);

// The metadata a target exposes for one metric family (Prometheus'
// scrape.MetricMetadata), as /api/v1/metadata and /api/v1/targets/metadata
// report it.
struct MetricMetadata {
  // The family name as in the TYPE/HELP/UNIT line (OpenMetrics "foo" for
  // the samples foo_total and foo_created).
  std::string metric_family;
  // As Prometheus' API spells it: "counter", "gauge", "histogram",
  // "gaugehistogram", "summary", "info", "stateset" or "unknown" (also for
  // the text format's "untyped", and for a family with HELP or UNIT but no
  // TYPE).
  std::string type;
  std::string help;  // unescaped; empty when none
  std::string unit;  // OpenMetrics UNIT; empty when none
  bool operator==(const MetricMetadata&) const = default;
};

// Immutable and shared: one per change, not per reader. Sorted by
// metric_family, each family once.
using MetadataSnapshot = std::shared_ptr<const std::vector<MetricMetadata>>;

// A snapshot of one target for the API.
struct TargetStatus {
  std::string scrape_pool;          // the job name
  model::Labels labels;             // public target labels
  model::Labels discovered_labels;  // before "__" labels were dropped
  std::string scrape_url;
  TargetHealth health = TargetHealth::kUnknown;
  std::string last_error;  // empty when the last scrape succeeded
  std::chrono::system_clock::time_point last_scrape{};  // epoch: never
  std::chrono::nanoseconds last_scrape_duration{0};
  std::chrono::milliseconds scrape_interval{0};
  std::chrono::milliseconds scrape_timeout{0};
  // The metadata of the target's scrapes (see Target::metadata()). Never
  // null. To serve /api/v1/metadata, aggregate by metric_family over all
  // targets and drop duplicates, as Prometheus' API does.
  MetadataSnapshot metadata;
};

class Target {
 public:
  Target(std::string scrape_pool, model::Labels labels,
         model::Labels discovered_labels, std::string scheme,
         std::string address, std::string path_and_query,
         std::chrono::milliseconds interval, std::chrono::milliseconds timeout);
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;

  const std::string& scrape_pool() const { return scrape_pool_; }
  const model::Labels& labels() const { return labels_; }
  const model::Labels& discovered_labels() const { return discovered_labels_; }
  // scheme://address
  const std::string& origin() const { return origin_; }
  // "/metrics?x=1"
  const std::string& path_and_query() const { return path_and_query_; }
  std::string url() const { return origin_ + path_and_query_; }
  std::chrono::milliseconds interval() const { return interval_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  // Identity: hash of the labels and the URL (Prometheus' Target.hash).
  uint64_t hash() const { return hash_; }

  // How long after `now` the first scrape should start so that targets of
  // one interval spread over it deterministically: the target's slot is
  // (hash ^ jitter_seed) mod interval past each multiple of the interval
  // since the epoch (Prometheus' Target.offset).
  std::chrono::nanoseconds Offset(
      std::chrono::nanoseconds interval, uint64_t jitter_seed,
      std::chrono::system_clock::time_point now) const;

  // Records a scrape's outcome (Prometheus' Target.Report).
  void Report(std::chrono::system_clock::time_point start,
              std::chrono::nanoseconds duration, const Status& error);
  // Takes health, last error and times from `other` (a target replaced on
  // reload keeps its history).
  void CopyHealthFrom(const Target& other);
  TargetStatus status() const;

  // Replaces the metadata snapshot (null: empty); the scrape loop calls it
  // only when a scrape changed the metadata.
  void SetMetadata(MetadataSnapshot metadata);
  // The metric families seen in the target's recent scrapes with their
  // last TYPE, HELP and UNIT (see internal::ScrapeCache for how long they
  // are kept). Never null; empty before the first scrape.
  MetadataSnapshot metadata() const;

 private:
  // Constant after construction.
  const std::string scrape_pool_;
  const model::Labels labels_;
  const model::Labels discovered_labels_;
  const std::string origin_;
  const std::string path_and_query_;
  const std::chrono::milliseconds interval_;
  const std::chrono::milliseconds timeout_;
  const uint64_t hash_;

  mutable Mutex mu_;
  TargetHealth health_ VIGIL_GUARDED_BY(mu_) = TargetHealth::kUnknown;
  std::string last_error_ VIGIL_GUARDED_BY(mu_);
  std::chrono::system_clock::time_point last_scrape_ VIGIL_GUARDED_BY(mu_){};
  std::chrono::nanoseconds last_duration_ VIGIL_GUARDED_BY(mu_){0};
  MetadataSnapshot metadata_ VIGIL_GUARDED_BY(mu_);  // never null
};

// The targets of one job, in static_configs order, duplicates (same labels
// and URL) removed. REQUIRES: ValidateScrapeConfig(config) is OK; a target
// whose labels make an invalid URL or interval is kInvalidArgument.
Result<std::vector<std::shared_ptr<Target>>> TargetsFromConfig(
    const ScrapeConfig& config);

}  // namespace vigil::scrape
