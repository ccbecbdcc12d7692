// Collector: produces whole metric families at collection time (process
// statistics, values read from another system, anything not updated inline).
//
//   class QueueCollector : public vigil::metrics::Collector {
//     void Collect(std::vector<FamilySnapshot>* out) override { ... }
//   };
//   registry.Register(std::make_shared<QueueCollector>());
//
// Collect() is called on the scraping thread without any registry lock held.
// Families whose names are invalid are skipped at collection and counted in
// vigil_metrics_rejected_updates_total{reason="bad_collector_output"}.
//
// Thread safety: implementations must be thread-safe (two scrapes may run at
// once).
#pragma once

#include <vector>

#include "vigil/metrics/metric_type.h"

namespace vigil::metrics {

class Collector {
 public:
  virtual ~Collector() = default;
  virtual void Collect(std::vector<FamilySnapshot>* out) = 0;
};

}  // namespace vigil::metrics
