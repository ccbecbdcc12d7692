// anomaly::Monitor: detectors per key with their baselines, findings with
// severities, self-metrics, and baselines saved and loaded (issue 7).
//
//   anomaly::Registry registry;
//   auto monitor = anomaly::Monitor::Make(registry, {
//       .detectors = {{"ensemble"}, {"cusum"}},            // for single values
//       .vector_detectors = {{"mahalanobis"}},             // for feature vectors
//       .location_detectors = {{"spatial", anomaly::Options({{"cells", 32}})}},
//       .metrics = &metrics_registry}).value();
//   // per model and class: each key has baselines of its own
//   model::Labels key = model::Labels::FromPairs({{"model", "owlv2"}, {"class", "person"}});
//   auto findings = monitor->Observe(key, now_ms, confidence_of_detection);
//   for (const anomaly::Finding& f : findings.value()) if (f.severity != kNone) ...
//
// Observe / ObserveVector / ObserveLocation feed every configured detector
// of that kind for the key (created on first use) and return one Finding
// per detector, severity kNone when below the `low` threshold. Findings at
// or above it count in <prefix>anomalies_detected_total{type,severity} and
// <prefix>anomaly_confidence; every call's time goes into
// <prefix>anomaly_detection_duration_seconds (prefix "vigil_" by default).
//
// Baselines adapt to drift (every detector learns continuously from
// bounded recent history). Save() writes them all to a file atomically
// (docs/formats/anomaly-baselines.md); Load() restores those whose detector
// and parameters match the current configuration, so a restart does not
// relearn from nothing. At most `max_keys` keys: a new key beyond that is
// kResourceExhausted, never silently dropped; Forget and ForgetIdle free
// keys.
//
// Thread safety: thread-safe (one mutex; detection of a point takes well
// under a microsecond for the statistical detectors).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "anomaly/registry.h"
#include "anomaly/spatial.h"
#include "vigil/metrics/registry.h"

namespace vigil::anomaly {

struct DetectorSpec {
  std::string name;
  Options options;
};

struct MonitorOptions {
  std::vector<DetectorSpec> detectors = {{"ensemble", {}}};
  std::vector<DetectorSpec> vector_detectors;
  std::vector<DetectorSpec> location_detectors;
  SeverityThresholds thresholds;
  size_t max_keys = 10000;
  metrics::Registry* metrics = nullptr;  // none: no self-metrics
  std::string metric_prefix = "vigil_";
};

struct LoadReport {
  size_t restored = 0;  // detector baselines restored
  size_t skipped = 0;   // saved for a detector or parameters no longer configured
};

class Monitor {
 public:
  // Checks every spec by building it once; errors name the detector.
  static Result<std::unique_ptr<Monitor>> Make(const Registry& registry, MonitorOptions options);

  Result<std::vector<Finding>> Observe(const model::Labels& key, int64_t t_ms, double x);
  Result<std::vector<Finding>> ObserveVector(const model::Labels& key, int64_t t_ms,
                                             std::span<const double> x);
  Result<std::vector<Finding>> ObserveLocation(const model::Labels& key, int64_t t_ms,
                                               const Location& where);

  void Forget(const model::Labels& key);
  // Forgets keys last observed before `before_ms`; returns how many.
  size_t ForgetIdle(int64_t before_ms);
  size_t size() const;

  // The heat map of the key's first spatial detector, if it has one.
  std::optional<HeatMap> HeatMapOf(const model::Labels& key) const;

  Status Save(const std::string& path) const;
  // kNotFound if the file does not exist; kDataLoss (naming the byte
  // offset or entry) if it is corrupt, and then nothing is restored.
  Result<LoadReport> Load(const std::string& path);

  const MonitorOptions& options() const { return options_; }

 private:
  struct Baseline {
    std::vector<std::unique_ptr<Detector>> scalar;
    std::vector<std::unique_ptr<VectorDetector>> vector;
    std::vector<std::unique_ptr<VectorDetector>> location;
    int64_t last_seen_ms = 0;
  };
  enum class Kind { kScalar, kVector, kLocation };

  Monitor(const Registry& registry, MonitorOptions options);
  Result<Baseline*> BaselineFor(const model::Labels& key);  // mu_ held
  Result<Baseline> NewBaseline() const;
  template <typename D, typename X>
  Result<std::vector<Finding>> Run(const model::Labels& key, int64_t t_ms, Kind kind, X x,
                                   const Location* where);
  void Count(const std::vector<Finding>& findings, double seconds);
  // The identity of spec i of kind: name and parameters.
  std::string SpecId(Kind kind, size_t i) const;

  const Registry& registry_;
  const MonitorOptions options_;
  metrics::Family<metrics::Counter>* detected_ = nullptr;
  metrics::Histogram confidence_;
  metrics::Histogram duration_;
  bool have_metrics_ = false;

  mutable std::mutex mu_;
  std::map<model::Labels, Baseline> baselines_;  // guarded by mu_
};

}  // namespace vigil::anomaly
