// ProcessCollector: the standard process metrics of Prometheus' client
// libraries, read from /proc/self at collection time:
// process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds, process_threads.
//
//   registry.Register(std::make_shared<vigil::metrics::ProcessCollector>());
//
// A value that cannot be read (no /proc, say) is left out of the output.
//
// Thread safety: thread-safe.
#pragma once

#include <string>
#include <vector>

#include "vigil/metrics/collector.h"

namespace vigil::metrics {

class ProcessCollector : public Collector {
 public:
  // `proc_dir` is the process' /proc directory (tests pass a fake one).
  explicit ProcessCollector(std::string proc_dir = "/proc/self", std::string prefix = "");
  void Collect(std::vector<FamilySnapshot>* out) override;

 private:
  const std::string proc_dir_;
  const std::string prefix_;
};

}  // namespace vigil::metrics
