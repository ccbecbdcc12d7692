#include "vigil/collectors/gpu_collector.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "collectors/nvml.h"
#include "vigil/metrics/registry.h"

namespace vigil::collectors {

using metrics::FamilySnapshot;
using metrics::MetricSnapshot;
using metrics::MetricType;

struct GpuCollector::Device {
  nvml::Device handle = nullptr;
  std::string index;  // the `gpu` label
  std::string uuid;
  std::string name;
};

namespace {

// Label values must be UTF-8; NVML's strings are ASCII in practice, so a
// stray byte is dropped rather than losing the whole family.
std::string CleanLabel(std::string s) {
  if (metrics::IsValidUtf8(s)) return s;
  std::erase_if(s, [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  return s;
}

FamilySnapshot Gauge(const char* name, const char* help) {
  FamilySnapshot f;
  f.name = name;
  f.help = help;
  f.type = MetricType::kGauge;
  return f;
}

}  // namespace

GpuCollector::GpuCollector(GpuCollectorOptions options) {
  auto report = [&](const std::string& message) {
    if (options.reporter) {
      options.reporter("gpu collector: " + message);
    } else {
      std::fprintf(stderr, "vigil: gpu collector: %s\n", message.c_str());
    }
  };
  auto lib = nvml::Library::Open(options.library_path);
  if (!lib.ok()) {
    health_ = {false, "NVML unavailable: " + std::string(lib.status().message())};
    report(health_.message);
    return;
  }
  std::unique_ptr<nvml::Library> nvml = std::move(lib).value();
  unsigned int count = 0;
  if (const nvml::Return r = nvml->DeviceCount(&count); r != nvml::kSuccess) {
    health_ = {false, "NVML unavailable: nvmlDeviceGetCount_v2 failed: " + nvml->ErrorString(r)};
    report(health_.message);
    return;
  }
  // NVML addresses at most 64 devices per host; a larger count is garbage.
  constexpr unsigned int kMaxDevices = 64;
  if (count > kMaxDevices) {
    health_ = {false, "NVML unavailable: nvmlDeviceGetCount_v2 reported " +
                          std::to_string(count) + " devices (more than " +
                          std::to_string(kMaxDevices) + ")"};
    report(health_.message);
    return;
  }
  std::string problems;
  for (unsigned int i = 0; i < count; ++i) {
    Device d;
    d.index = std::to_string(i);
    if (const nvml::Return r = nvml->DeviceHandle(i, &d.handle); r != nvml::kSuccess) {
      problems += "; device " + d.index + ": " + nvml->ErrorString(r);
      continue;
    }
    // Name and UUID stay empty when the query fails; the index still
    // identifies the device.
    (void)nvml->Name(d.handle, &d.name);
    (void)nvml->Uuid(d.handle, &d.uuid);
    d.name = CleanLabel(std::move(d.name));
    d.uuid = CleanLabel(std::move(d.uuid));
    devices_.push_back(std::move(d));
  }
  health_ = {true, "NVML: " + std::to_string(devices_.size()) + " device(s) via " +
                       options.library_path + problems};
  nvml_ = std::move(nvml);
}

GpuCollector::~GpuCollector() = default;

int GpuCollector::device_count() const { return static_cast<int>(devices_.size()); }

GpuHealth GpuCollector::Health() const { return health_; }

void GpuCollector::Collect(std::vector<FamilySnapshot>* out) {
  if (!nvml_) return;
  FamilySnapshot util = Gauge(
      "nvidia_gpu_utilization_percent",
      "Percent of the last sample period during which a kernel was executing on the GPU.");
  FamilySnapshot mem_util = Gauge(
      "nvidia_gpu_memory_utilization_percent",
      "Percent of the last sample period during which device memory was being read or written.");
  FamilySnapshot mem_used = Gauge("nvidia_gpu_memory_used_bytes",
                                  "Device memory in use, in bytes, as nvidia-smi reports it.");
  FamilySnapshot mem_total = Gauge("nvidia_gpu_memory_total_bytes",
                                   "Device memory installed, in bytes.");
  FamilySnapshot temp = Gauge("nvidia_gpu_temperature_celsius",
                              "GPU die temperature in degrees Celsius.");
  FamilySnapshot power = Gauge("nvidia_gpu_power_usage_watts",
                               "Power drawn by the board, in watts.");
  FamilySnapshot proc = Gauge("nvidia_gpu_process_memory_used_bytes",
                              "Device memory used by a compute process, in bytes.");

  auto add = [](FamilySnapshot& f, const Device& d, double value) {
    MetricSnapshot m;
    m.labels = {{"gpu", d.index}, {"uuid", d.uuid}, {"name", d.name}};
    m.value = value;
    f.metrics.push_back(std::move(m));
  };
  std::vector<nvml::ProcessInfo> processes;
  for (const Device& d : devices_) {
    nvml::Utilization u{};
    if (nvml_->UtilizationRates(d.handle, &u) == nvml::kSuccess) {
      add(util, d, u.gpu);
      add(mem_util, d, u.memory);
    }
    nvml::Memory m{};
    if (nvml_->MemoryInfo(d.handle, &m) == nvml::kSuccess) {
      add(mem_used, d, static_cast<double>(m.used));
      add(mem_total, d, static_cast<double>(m.total));
    }
    unsigned int celsius = 0;
    if (nvml_->Temperature(d.handle, &celsius) == nvml::kSuccess) add(temp, d, celsius);
    unsigned int milliwatts = 0;
    if (nvml_->PowerUsage(d.handle, &milliwatts) == nvml::kSuccess) {
      add(power, d, milliwatts / 1000.0);
    }
    if (nvml_->ComputeProcesses(d.handle, &processes) != nvml::kSuccess) continue;
    // Under MIG one process can appear once per GPU instance: sum them, so
    // {gpu, pid} names one series.
    std::sort(processes.begin(), processes.end(),
              [](const nvml::ProcessInfo& a, const nvml::ProcessInfo& b) { return a.pid < b.pid; });
    for (size_t i = 0; i < processes.size();) {
      const unsigned int pid = processes[i].pid;
      double bytes = 0;
      bool known = false;
      for (; i < processes.size() && processes[i].pid == pid; ++i) {
        if (processes[i].used_gpu_memory == nvml::kValueNotAvailable) continue;
        bytes += static_cast<double>(processes[i].used_gpu_memory);
        known = true;
      }
      if (!known) continue;  // no permission to see it, or WDDM
      MetricSnapshot p;
      p.labels = {{"gpu", d.index}, {"pid", std::to_string(pid)}};
      p.value = bytes;
      proc.metrics.push_back(std::move(p));
    }
  }
  for (FamilySnapshot* f : {&util, &mem_util, &mem_used, &mem_total, &temp, &power, &proc}) {
    if (!f->metrics.empty()) out->push_back(std::move(*f));
  }
}

}  // namespace vigil::collectors
