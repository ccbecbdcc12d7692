// nvml::Library: NVIDIA's management library (NVML) opened at run time with
// dlopen(3), so vigil builds without the CUDA toolkit and runs on machines
// without a driver.
//
//   auto lib = nvml::Library::Open("libnvidia-ml.so.1");  // dlopen + nvmlInit_v2
//   if (!lib.ok()) { /* lib.status().message(): dlerror() or NVML's error */ }
//   unsigned n = 0;
//   if ((*lib)->DeviceCount(&n) == nvml::kSuccess) { ... }
//
// The types and constants below are vigil's own declarations, written to be
// ABI-compatible with nvml.h (no NVML header is needed to build): NVML passes
// plain C structs and an int-sized enum for every call used here.
//
// Symbols: nvmlInit_v2, nvmlShutdown, nvmlDeviceGetCount_v2,
// nvmlDeviceGetHandleByIndex_v2 and nvmlErrorString are required (Open fails
// without them). The per-device queries are optional: a missing symbol makes
// that call return kErrorFunctionNotFound, so its value is simply absent.
// Memory comes from nvmlDeviceGetMemoryInfo_v2 when the driver has it (used
// memory without the driver's reservation, as nvidia-smi shows it), else from
// nvmlDeviceGetMemoryInfo. Running processes come from
// nvmlDeviceGetComputeRunningProcesses_v2, else _v3 (both with the 24-byte
// ProcessInfo; _v2 first because the R535 drivers' _v3 wrote 32-byte
// records), else the unversioned call (the 16-byte ProcessInfoV1 of drivers
// before R450).
//
// Thread safety: thread-safe (NVML's calls are; the library holds no state of
// its own after Open).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vigil/result.h"

namespace vigil::collectors::nvml {

// nvmlReturn_t: an enum in nvml.h, int-sized on every supported ABI.
using Return = int;
inline constexpr Return kSuccess = 0;
inline constexpr Return kErrorInvalidArgument = 2;
inline constexpr Return kErrorNotSupported = 3;
inline constexpr Return kErrorInsufficientSize = 7;
inline constexpr Return kErrorFunctionNotFound = 13;

// nvmlDevice_t: an opaque pointer.
struct DeviceSt;
using Device = DeviceSt*;

// nvmlUtilization_t: percent of the last sample period (1/6 s to 1 s,
// product-dependent) during which a kernel ran / device memory was read or
// written.
struct Utilization {
  unsigned int gpu;
  unsigned int memory;
};

// nvmlMemory_t (v1): bytes. `used` includes memory the driver reserves.
struct Memory {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
// nvmlMemory_v2_t (R510 and later): `used` excludes the driver's reservation,
// as nvidia-smi shows it. `version` must be kMemoryV2Version.
struct MemoryV2 {
  unsigned int version;
  unsigned long long total;
  unsigned long long reserved;
  unsigned long long free;
  unsigned long long used;
};
static_assert(sizeof(MemoryV2) == 40, "nvmlMemory_v2_t is 40 bytes");
// NVML_STRUCT_VERSION(Memory, 2): the struct's size, version in the top byte.
inline constexpr unsigned int kMemoryV2Version = sizeof(MemoryV2) | (2u << 24);

// nvmlProcessInfo_t as the _v2 and _v3 process queries fill it.
struct ProcessInfo {
  unsigned int pid;
  unsigned long long used_gpu_memory;  // bytes, or kValueNotAvailable
  unsigned int gpu_instance_id;        // MIG; 0xFFFFFFFF when not in MIG mode
  unsigned int compute_instance_id;
};
// nvmlProcessInfo_v1_t, filled by the unversioned query.
struct ProcessInfoV1 {
  unsigned int pid;
  unsigned long long used_gpu_memory;
};
static_assert(sizeof(ProcessInfo) == 24, "nvmlProcessInfo_t is 24 bytes");
static_assert(sizeof(ProcessInfoV1) == 16, "nvmlProcessInfo_v1_t is 16 bytes");

inline constexpr int kTemperatureGpu = 0;  // NVML_TEMPERATURE_GPU
inline constexpr unsigned long long kValueNotAvailable = ~0ULL;
// NVML_DEVICE_NAME_V2_BUFFER_SIZE; also larger than the UUID buffer (80).
inline constexpr unsigned int kStringBufferSize = 96;

class Library {
 public:
  // dlopen(path), resolves the symbols and calls nvmlInit_v2. kUnavailable
  // with dlerror()'s text, the missing symbol, or NVML's error string.
  static Result<std::unique_ptr<Library>> Open(const std::string& path);
  // nvmlShutdown, then dlclose.
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  // "<nvmlErrorString(r)> (NVML error <r>)".
  std::string ErrorString(Return r) const;

  Return DeviceCount(unsigned int* count) const;
  Return DeviceHandle(unsigned int index, Device* device) const;
  Return Name(Device device, std::string* name) const;
  Return Uuid(Device device, std::string* uuid) const;
  Return UtilizationRates(Device device, Utilization* utilization) const;
  // Through the v2 query when present (see above), else v1.
  Return MemoryInfo(Device device, Memory* memory) const;
  Return Temperature(Device device, unsigned int* celsius) const;
  Return PowerUsage(Device device, unsigned int* milliwatts) const;
  // Replaces *processes with the compute processes on `device`, growing the
  // buffer while NVML says it is too small (processes come and go between
  // calls). `processes` keeps its capacity between calls.
  Return ComputeProcesses(Device device, std::vector<ProcessInfo>* processes) const;

  // Which process query was found: "v3", "v2", "v1" or "" (none).
  const char* process_query_version() const;

 private:
  struct Symbols;
  Library(void* handle, std::unique_ptr<Symbols> symbols);

  void* const handle_;
  const std::unique_ptr<const Symbols> sym_;
};

}  // namespace vigil::collectors::nvml
