// The daemon's side of anomaly rules: rules::AnomalyScorer over
// anomaly::Monitor, with baselines kept on disk so that a restart or a
// reload does not relearn from nothing.
//
// Each anomaly rule gets a Monitor with its one detector (`detector`,
// `params`) and thresholds (`severity`), and a file
// <dir>/<rule name>-<hash of expr and detector configuration>.baselines
// (docs/formats/anomaly-baselines.md), loaded at its first evaluation and
// written every 5 minutes of evaluation time and when the rule goes away
// (shutdown, or a reload that changes it). A SIGKILL loses at most those
// 5 minutes of learning; baselines are derived state, not acknowledged
// data. A file that cannot be read is logged and the rule starts afresh.
//
// Thread safety: the factory is thread-safe; each scorer is used by its
// rule's group thread.
#pragma once

#include <functional>
#include <string>

#include "anomaly/registry.h"
#include "rules/anomaly_rule.h"
#include "vigil/metrics/registry.h"

namespace vigil::daemon {

class AnomalyScorers {
 public:
  // `dir` is created on first save (empty: baselines in memory only); `metrics` gets the detectors'
  // self-metrics (vigil_anomalies_detected_total...); `log` reports
  // baselines that could not be loaded or saved.
  AnomalyScorers(std::string dir, metrics::Registry* metrics,
                 std::function<void(const std::string&)> log);

  rules::AnomalyScorerFactory Factory();
  anomaly::Registry& registry() { return registry_; }

 private:
  std::string dir_;
  metrics::Registry* metrics_;
  std::function<void(const std::string&)> log_;
  anomaly::Registry registry_;
};

}  // namespace vigil::daemon
