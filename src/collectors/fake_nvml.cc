// A fake NVML for tests, built as a shared library (libfake_nvml.so) that
// GpuCollector dlopens in place of libnvidia-ml.so.1. It declares its own C
// types from NVML's documented ABI rather than sharing collectors/nvml.h, so
// a layout mistake there shows up as wrong values in the tests.
//
// Devices (fixed):
//   0  "NVIDIA A100-SXM4-80GB"  GPU-00000000-0000-0000-0000-000000000000
//      utilization 87% / 41%, memory 80 GiB total, 30 GiB used (v2; v1
//      also counts the driver's 512 MiB reservation as used),
//      64 C, 312500 mW; processes pid 1001 (8 GiB) and 1002 (4 GiB)
//   1  "NVIDIA L4"  GPU-11111111-1111-1111-1111-111111111111
//      utilization 3% / 1%, memory 24 GiB total, 1 GiB used (+512 MiB), 38 C;
//      power fails with NVML_ERROR_NOT_SUPPORTED; processes: pid 3003 twice
//      (two MIG instances, 1 GiB + 2 GiB) and pid 3004 (memory not available)
//
// Built twice: libfake_nvml.so exports nvmlDeviceGetComputeRunningProcesses_v3
// (24-byte records) and nvmlDeviceGetMemoryInfo_v2; with
// VIGIL_FAKE_NVML_LEGACY, libfake_nvml_legacy.so exports only the unversioned
// process call (16-byte records of old drivers) and memory v1.
//
// Test hooks (C symbols, found with dlsym):
//   int  vigil_fake_nvml_active()          nvmlInit_v2 calls minus nvmlShutdown calls
//   void vigil_fake_nvml_set_processes(n)  device 0 reports n processes (default 2)
// and the environment variable VIGIL_FAKE_NVML_INIT_ERROR makes nvmlInit_v2
// fail with NVML_ERROR_DRIVER_NOT_LOADED (9).
//
// Thread safety: thread-safe (constant data and atomics), as NVML is.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

struct FakeDevice {
  const char* name;
  const char* uuid;
  unsigned int util_gpu, util_memory;
  unsigned long long memory_total, memory_used;
  unsigned int temperature;
  int power_milliwatts;  // < 0: not supported
};

constexpr unsigned long long kGiB = 1ULL << 30;
constexpr unsigned long long kReserved = 512ULL << 20;
const FakeDevice kDevices[2] = {
    {"NVIDIA A100-SXM4-80GB", "GPU-00000000-0000-0000-0000-000000000000", 87, 41, 80 * kGiB,
     30 * kGiB, 64, 312500},
    {"NVIDIA L4", "GPU-11111111-1111-1111-1111-111111111111", 3, 1, 24 * kGiB, 1 * kGiB, 38, -1},
};

// NVML return codes used here.
constexpr int kOk = 0;
constexpr int kInvalidArgument = 2;
constexpr int kNotSupported = 3;
constexpr int kInsufficientSize = 7;
constexpr int kDriverNotLoaded = 9;
constexpr int kArgumentVersionMismatch = 25;

struct Process {  // nvmlProcessInfo_v1_t / the first two fields of v2
  unsigned int pid;
  unsigned long long used;
};
constexpr unsigned long long kNotAvailable = ~0ULL;

std::atomic<int> g_active{0};
std::atomic<int> g_device0_processes{2};

int DeviceIndex(const void* device) {
  for (int i = 0; i < 2; ++i) {
    if (device == &kDevices[i]) return i;
  }
  return -1;
}

// The n-th process of a device.
Process ProcessAt(int device, unsigned int n) {
  if (device == 0) {
    if (n == 0) return {1001, 8 * kGiB};
    if (n == 1) return {1002, 4 * kGiB};
    return {2000 + n, n * (1ULL << 20)};
  }
  if (n == 0) return {3003, 1 * kGiB};
  if (n == 1) return {3003, 2 * kGiB};
  return {3004, kNotAvailable};
}

unsigned int ProcessCount(int device) {
  return device == 0 ? static_cast<unsigned int>(g_device0_processes.load()) : 3;
}

int CopyString(const char* s, char* buf, unsigned int len) {
  if (buf == nullptr) return kInvalidArgument;
  if (std::strlen(s) + 1 > len) return kInsufficientSize;
  std::memcpy(buf, s, std::strlen(s) + 1);
  return kOk;
}

}  // namespace

extern "C" {

// --- NVML's ABI, as documented in nvml.h --------------------------------------
struct nvmlUtilization_t {
  unsigned int gpu;
  unsigned int memory;
};
struct nvmlMemory_t {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
struct nvmlMemory_v2_t {
  unsigned int version;
  unsigned long long total;
  unsigned long long reserved;
  unsigned long long free;
  unsigned long long used;
};
static_assert(sizeof(nvmlMemory_v2_t) == 40);
struct nvmlProcessInfo_v1_t {
  unsigned int pid;
  unsigned long long usedGpuMemory;
};
struct nvmlProcessInfo_t {
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
};
static_assert(sizeof(nvmlProcessInfo_t) == 24);
static_assert(sizeof(nvmlProcessInfo_v1_t) == 16);
using nvmlDevice_t = const void*;

int nvmlInit_v2() {
  if (std::getenv("VIGIL_FAKE_NVML_INIT_ERROR") != nullptr) return kDriverNotLoaded;
  g_active.fetch_add(1);
  return kOk;
}

int nvmlShutdown() {
  g_active.fetch_sub(1);
  return kOk;
}

const char* nvmlErrorString(int result) {
  switch (result) {
    case kOk: return "Success";
    case kInvalidArgument: return "Invalid Argument";
    case kNotSupported: return "Not Supported";
    case kInsufficientSize: return "Insufficient Size";
    case kDriverNotLoaded: return "Driver Not Loaded";
    default: return "Unknown Error";
  }
}

int nvmlDeviceGetCount_v2(unsigned int* count) {
  if (count == nullptr) return kInvalidArgument;
  *count = 2;
  return kOk;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device) {
  if (index >= 2 || device == nullptr) return kInvalidArgument;
  *device = &kDevices[index];
  return kOk;
}

int nvmlDeviceGetName(nvmlDevice_t device, char* name, unsigned int length) {
  const int i = DeviceIndex(device);
  return i < 0 ? kInvalidArgument : CopyString(kDevices[i].name, name, length);
}

int nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid, unsigned int length) {
  const int i = DeviceIndex(device);
  return i < 0 ? kInvalidArgument : CopyString(kDevices[i].uuid, uuid, length);
}

int nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t* utilization) {
  const int i = DeviceIndex(device);
  if (i < 0 || utilization == nullptr) return kInvalidArgument;
  *utilization = {kDevices[i].util_gpu, kDevices[i].util_memory};
  return kOk;
}

int nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t* memory) {
  const int i = DeviceIndex(device);
  if (i < 0 || memory == nullptr) return kInvalidArgument;
  const FakeDevice& d = kDevices[i];
  *memory = {d.memory_total, d.memory_total - d.memory_used - kReserved,
             d.memory_used + kReserved};
  return kOk;
}

#if !defined(VIGIL_FAKE_NVML_LEGACY)
int nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t* memory) {
  const int i = DeviceIndex(device);
  if (i < 0 || memory == nullptr) return kInvalidArgument;
  // nvmlMemory_v2: NVML_STRUCT_VERSION(Memory, 2).
  if (memory->version != (sizeof(nvmlMemory_v2_t) | (2u << 24))) return kArgumentVersionMismatch;
  const FakeDevice& d = kDevices[i];
  memory->total = d.memory_total;
  memory->reserved = kReserved;
  memory->used = d.memory_used;
  memory->free = d.memory_total - d.memory_used - kReserved;
  return kOk;
}
#endif

int nvmlDeviceGetTemperature(nvmlDevice_t device, int sensor, unsigned int* temp) {
  const int i = DeviceIndex(device);
  if (i < 0 || sensor != 0 || temp == nullptr) return kInvalidArgument;
  *temp = kDevices[i].temperature;
  return kOk;
}

int nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int* milliwatts) {
  const int i = DeviceIndex(device);
  if (i < 0 || milliwatts == nullptr) return kInvalidArgument;
  if (kDevices[i].power_milliwatts < 0) return kNotSupported;
  *milliwatts = static_cast<unsigned int>(kDevices[i].power_milliwatts);
  return kOk;
}

// NVML's size protocol: with too small a buffer, set *count to the number
// needed and return NVML_ERROR_INSUFFICIENT_SIZE.
#if defined(VIGIL_FAKE_NVML_LEGACY)
int nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t device, unsigned int* count,
                                         nvmlProcessInfo_v1_t* infos) {
  const int i = DeviceIndex(device);
  if (i < 0 || count == nullptr) return kInvalidArgument;
  const unsigned int n = ProcessCount(i);
  if (*count < n) {
    *count = n;
    return kInsufficientSize;
  }
  for (unsigned int k = 0; k < n; ++k) {
    const Process p = ProcessAt(i, k);
    infos[k] = {p.pid, p.used};
  }
  *count = n;
  return kOk;
}
#else
int nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int* count,
                                            nvmlProcessInfo_t* infos) {
  const int i = DeviceIndex(device);
  if (i < 0 || count == nullptr) return kInvalidArgument;
  const unsigned int n = ProcessCount(i);
  if (*count < n) {
    *count = n;
    return kInsufficientSize;
  }
  for (unsigned int k = 0; k < n; ++k) {
    const Process p = ProcessAt(i, k);
    infos[k] = {p.pid, p.used, i == 1 ? k : 0xFFFFFFFFu, i == 1 ? 0u : 0xFFFFFFFFu};
  }
  *count = n;
  return kOk;
}
#endif

// --- test hooks -----------------------------------------------------------------
int vigil_fake_nvml_active() { return g_active.load(); }
void vigil_fake_nvml_set_processes(int n) { g_device0_processes.store(n); }

}  // extern "C"
