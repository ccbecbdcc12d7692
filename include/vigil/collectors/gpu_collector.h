// GpuCollector: NVIDIA GPU metrics read through NVML, which is loaded at run
// time (dlopen "libnvidia-ml.so.1"), so nothing CUDA is needed to build and a
// machine without a GPU or driver simply exports no GPU metrics.
//
//   auto gpu = std::make_shared<vigil::collectors::GpuCollector>();
//   registry.Register(gpu);
//   exporter->AddHealthCheck("gpu", [gpu] {
//     // A host without a GPU is healthy; the details say why there is no data.
//     return vigil::exporter::HealthResult{true, gpu->Health().message};
//   });
//
// Families, per device labelled {gpu="<index>", uuid, name} (see
// docs/collectors.md for the DCGM exporter equivalents):
//   nvidia_gpu_utilization_percent          kernel-busy time, 0-100
//   nvidia_gpu_memory_utilization_percent   memory read/write busy time, 0-100
//   nvidia_gpu_memory_used_bytes            without the driver's reservation
//                                           where the driver says (NVML v2)
//   nvidia_gpu_memory_total_bytes
//   nvidia_gpu_temperature_celsius          GPU die
//   nvidia_gpu_power_usage_watts            board power draw
// and per compute process {gpu, pid}: nvidia_gpu_process_memory_used_bytes.
// All are gauges.
//
// NVML is opened and initialised once, in the constructor (device names and
// UUIDs are read there too); Collect() then only queries values. When the
// library cannot be loaded or nvmlInit fails, Collect() exports nothing,
// Health() says why (dlerror()'s or NVML's text), and the reason is reported
// once through `reporter` (stderr when unset), never per scrape. There is no
// retry: a driver installed later needs a new collector. A query that fails
// for one device (not supported, GPU lost) leaves that value out.
//
// Thread safety: thread-safe. Everything is fixed at construction; NVML's
// calls are themselves thread-safe, so concurrent scrapes do not wait on
// each other.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/metrics/collector.h"

namespace vigil::collectors {

namespace nvml {
class Library;
}  // namespace nvml

struct GpuCollectorOptions {
  // Passed to dlopen(3): a file name searched on the library path, or a path.
  std::string library_path = "libnvidia-ml.so.1";
  // Receives the one message saying NVML is unavailable and why.
  std::function<void(std::string_view)> reporter;
};

struct GpuHealth {
  bool available = false;  // NVML loaded and initialised
  // "NVML 2 device(s) via libnvidia-ml.so.1" or "NVML unavailable: <why>".
  std::string message;
};

class GpuCollector : public metrics::Collector {
 public:
  explicit GpuCollector(GpuCollectorOptions options = {});
  ~GpuCollector() override;
  GpuCollector(const GpuCollector&) = delete;
  GpuCollector& operator=(const GpuCollector&) = delete;

  void Collect(std::vector<metrics::FamilySnapshot>* out) override;

  GpuHealth Health() const;
  // Devices found at construction (0 when NVML is unavailable).
  int device_count() const;

 private:
  struct Device;

  // Constant after construction.
  std::unique_ptr<const nvml::Library> nvml_;  // null when unavailable
  std::vector<Device> devices_;
  GpuHealth health_;
};

}  // namespace vigil::collectors
