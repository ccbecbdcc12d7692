#include "collectors/nvml.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

#include "vigil/status.h"

namespace vigil::collectors::nvml {

namespace {

using InitFn = Return (*)();
using ShutdownFn = Return (*)();
using ErrorStringFn = const char* (*)(Return);
using CountFn = Return (*)(unsigned int*);
using HandleFn = Return (*)(unsigned int, Device*);
using StringFn = Return (*)(Device, char*, unsigned int);
using UtilizationFn = Return (*)(Device, Utilization*);
using MemoryFn = Return (*)(Device, Memory*);
using MemoryV2Fn = Return (*)(Device, MemoryV2*);
using TemperatureFn = Return (*)(Device, int, unsigned int*);
using PowerFn = Return (*)(Device, unsigned int*);
using ProcessesFn = Return (*)(Device, unsigned int*, ProcessInfo*);
using ProcessesV1Fn = Return (*)(Device, unsigned int*, ProcessInfoV1*);

template <typename F>
F Lookup(void* handle, const char* name) {
  return reinterpret_cast<F>(dlsym(handle, name));
}

// Room for this many processes before asking NVML how many there are.
constexpr unsigned int kInitialProcesses = 32;
// Processes can start between two calls; give up after this many regrowths.
constexpr int kMaxProcessAttempts = 4;
// More compute processes than any GPU runs: a larger count is treated as an
// error rather than allocated.
constexpr unsigned int kMaxProcesses = 65536;

}  // namespace

struct Library::Symbols {
  InitFn init = nullptr;
  ShutdownFn shutdown = nullptr;
  ErrorStringFn error_string = nullptr;
  CountFn count = nullptr;
  HandleFn handle = nullptr;
  StringFn name = nullptr;
  StringFn uuid = nullptr;
  UtilizationFn utilization = nullptr;
  MemoryFn memory = nullptr;
  MemoryV2Fn memory_v2 = nullptr;
  TemperatureFn temperature = nullptr;
  PowerFn power = nullptr;
  ProcessesFn processes = nullptr;  // _v3 or _v2
  ProcessesV1Fn processes_v1 = nullptr;
  const char* processes_version = "";
};

Result<std::unique_ptr<Library>> Library::Open(const std::string& path) {
  dlerror();  // clear a stale message
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return UnavailableError(why != nullptr ? std::string(why) : "dlopen " + path + " failed");
  }
  auto sym = std::make_unique<Symbols>();
  sym->init = Lookup<InitFn>(handle, "nvmlInit_v2");
  sym->shutdown = Lookup<ShutdownFn>(handle, "nvmlShutdown");
  sym->error_string = Lookup<ErrorStringFn>(handle, "nvmlErrorString");
  sym->count = Lookup<CountFn>(handle, "nvmlDeviceGetCount_v2");
  sym->handle = Lookup<HandleFn>(handle, "nvmlDeviceGetHandleByIndex_v2");
  const std::pair<const char*, bool> required[] = {
      {"nvmlInit_v2", sym->init != nullptr},
      {"nvmlShutdown", sym->shutdown != nullptr},
      {"nvmlErrorString", sym->error_string != nullptr},
      {"nvmlDeviceGetCount_v2", sym->count != nullptr},
      {"nvmlDeviceGetHandleByIndex_v2", sym->handle != nullptr},
  };
  for (const auto& [name, found] : required) {
    if (!found) {
      dlclose(handle);
      return UnavailableError(path + ": symbol " + name +
                              " not found (not NVML, or a driver too old)");
    }
  }
  sym->name = Lookup<StringFn>(handle, "nvmlDeviceGetName");
  sym->uuid = Lookup<StringFn>(handle, "nvmlDeviceGetUUID");
  sym->utilization = Lookup<UtilizationFn>(handle, "nvmlDeviceGetUtilizationRates");
  sym->memory = Lookup<MemoryFn>(handle, "nvmlDeviceGetMemoryInfo");
  sym->memory_v2 = Lookup<MemoryV2Fn>(handle, "nvmlDeviceGetMemoryInfo_v2");
  sym->temperature = Lookup<TemperatureFn>(handle, "nvmlDeviceGetTemperature");
  sym->power = Lookup<PowerFn>(handle, "nvmlDeviceGetPowerUsage");
  // _v2 first: its records are always 24 bytes, while the R535 drivers'
  // _v3 wrote 32-byte records (an extra protected-memory field), which this
  // layout would misread and overrun.
  if ((sym->processes = Lookup<ProcessesFn>(handle, "nvmlDeviceGetComputeRunningProcesses_v2"))) {
    sym->processes_version = "v2";
  } else if ((sym->processes =
                  Lookup<ProcessesFn>(handle, "nvmlDeviceGetComputeRunningProcesses_v3"))) {
    sym->processes_version = "v3";
  } else if ((sym->processes_v1 =
                  Lookup<ProcessesV1Fn>(handle, "nvmlDeviceGetComputeRunningProcesses"))) {
    sym->processes_version = "v1";
  }

  const Return r = sym->init();
  if (r != kSuccess) {
    const char* text = sym->error_string(r);
    std::string message = "nvmlInit_v2 failed: " + std::string(text ? text : "unknown error") +
                          " (NVML error " + std::to_string(r) + ")";
    dlclose(handle);
    return UnavailableError(message);
  }
  return std::unique_ptr<Library>(new Library(handle, std::move(sym)));
}

Library::Library(void* handle, std::unique_ptr<Symbols> symbols)
    : handle_(handle), sym_(std::move(symbols)) {}

Library::~Library() {
  sym_->shutdown();
  dlclose(handle_);
}

std::string Library::ErrorString(Return r) const {
  const char* text = sym_->error_string(r);
  return std::string(text ? text : "unknown error") + " (NVML error " + std::to_string(r) + ")";
}

Return Library::DeviceCount(unsigned int* count) const { return sym_->count(count); }

Return Library::DeviceHandle(unsigned int index, Device* device) const {
  return sym_->handle(index, device);
}

namespace {
Return ReadString(StringFn fn, Device device, std::string* out) {
  if (fn == nullptr) return kErrorFunctionNotFound;
  char buf[kStringBufferSize];
  std::memset(buf, 0, sizeof(buf));
  const Return r = fn(device, buf, sizeof(buf));
  if (r != kSuccess) return r;
  out->assign(buf, strnlen(buf, sizeof(buf)));
  return kSuccess;
}
}  // namespace

Return Library::Name(Device device, std::string* name) const {
  return ReadString(sym_->name, device, name);
}

Return Library::Uuid(Device device, std::string* uuid) const {
  return ReadString(sym_->uuid, device, uuid);
}

Return Library::UtilizationRates(Device device, Utilization* utilization) const {
  return sym_->utilization ? sym_->utilization(device, utilization) : kErrorFunctionNotFound;
}

Return Library::MemoryInfo(Device device, Memory* memory) const {
  if (sym_->memory_v2 != nullptr) {
    MemoryV2 m{};
    m.version = kMemoryV2Version;
    if (sym_->memory_v2(device, &m) == kSuccess) {
      *memory = {m.total, m.free, m.used};
      return kSuccess;
    }
    // An older driver that knows the symbol but not this version: use v1.
  }
  return sym_->memory ? sym_->memory(device, memory) : kErrorFunctionNotFound;
}

Return Library::Temperature(Device device, unsigned int* celsius) const {
  return sym_->temperature ? sym_->temperature(device, kTemperatureGpu, celsius)
                           : kErrorFunctionNotFound;
}

Return Library::PowerUsage(Device device, unsigned int* milliwatts) const {
  return sym_->power ? sym_->power(device, milliwatts) : kErrorFunctionNotFound;
}

Return Library::ComputeProcesses(Device device, std::vector<ProcessInfo>* processes) const {
  if (sym_->processes == nullptr && sym_->processes_v1 == nullptr) {
    return kErrorFunctionNotFound;
  }
  unsigned int capacity = std::max<unsigned int>(
      kInitialProcesses, static_cast<unsigned int>(processes->capacity()));
  std::vector<ProcessInfoV1> v1;
  for (int attempt = 0; attempt < kMaxProcessAttempts; ++attempt) {
    unsigned int count = capacity;
    Return r;
    if (sym_->processes != nullptr) {
      processes->resize(capacity);
      r = sym_->processes(device, &count, processes->data());
      if (r == kSuccess) {
        processes->resize(std::min(count, capacity));
        return kSuccess;
      }
    } else {
      v1.resize(capacity);
      r = sym_->processes_v1(device, &count, v1.data());
      if (r == kSuccess) {
        processes->clear();
        for (unsigned int i = 0; i < std::min(count, capacity); ++i) {
          processes->push_back({v1[i].pid, v1[i].used_gpu_memory, 0xFFFFFFFFu, 0xFFFFFFFFu});
        }
        return kSuccess;
      }
    }
    processes->clear();
    if (r != kErrorInsufficientSize) return r;
    // `count` is now the number NVML needs; leave room for a few newcomers,
    // within a bound (a corrupt count must not allocate gigabytes).
    if (count > kMaxProcesses) return kErrorInsufficientSize;
    capacity = std::max(count, capacity) + 8;
  }
  return kErrorInsufficientSize;
}

const char* Library::process_query_version() const { return sym_->processes_version; }

}  // namespace vigil::collectors::nvml
