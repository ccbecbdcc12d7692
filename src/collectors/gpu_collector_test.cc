#include "vigil/collectors/gpu_collector.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "metrics/test_util.h"
#include "vigil/metrics/registry.h"

namespace vigil::collectors {
namespace {

using metrics::FamilySnapshot;
using metrics::MetricSnapshot;
using metrics::MetricType;
using Labels = std::vector<std::pair<std::string, std::string>>;

constexpr double kGiB = 1024.0 * 1024 * 1024;

const Labels kDevice0 = {
    {"gpu", "0"}, {"uuid", "GPU-00000000-0000-0000-0000-000000000000"},
    {"name", "NVIDIA A100-SXM4-80GB"}};
const Labels kDevice1 = {
    {"gpu", "1"}, {"uuid", "GPU-11111111-1111-1111-1111-111111111111"}, {"name", "NVIDIA L4"}};

std::vector<FamilySnapshot> CollectOnce(metrics::Collector& c) {
  std::vector<FamilySnapshot> out;
  c.Collect(&out);
  return out;
}

// Value of the series whose labels are exactly `labels` (in order), or -1.
double Value(const std::vector<FamilySnapshot>& snap, const std::string& name,
             const Labels& labels) {
  const FamilySnapshot* f = metrics::testing::FindFamily(snap, name);
  if (f == nullptr) return -1;
  for (const MetricSnapshot& m : f->metrics) {
    if (m.labels == labels) return m.value;
  }
  return -1;
}

size_t SeriesCount(const std::vector<FamilySnapshot>& snap, const std::string& name) {
  const FamilySnapshot* f = metrics::testing::FindFamily(snap, name);
  return f == nullptr ? 0 : f->metrics.size();
}

// Collects reporter messages.
struct Reports {
  std::mutex mu;
  std::vector<std::string> messages;
  std::function<void(std::string_view)> Reporter() {
    return [this](std::string_view m) {
      std::lock_guard<std::mutex> lock(mu);
      messages.emplace_back(m);
    };
  }
};

// A test hook of the fake library, found in the already-loaded copy.
template <typename F>
F FakeHook(const char* name) {
  void* handle = dlopen(VIGIL_FAKE_NVML_PATH, RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return nullptr;
  F f = reinterpret_cast<F>(dlsym(handle, name));
  dlclose(handle);
  return f;
}

void ExpectFakeProcesses(const std::vector<FamilySnapshot>& snap) {
  const std::string proc = "nvidia_gpu_process_memory_used_bytes";
  EXPECT_EQ(Value(snap, proc, {{"gpu", "0"}, {"pid", "1001"}}), 8 * kGiB);
  EXPECT_EQ(Value(snap, proc, {{"gpu", "0"}, {"pid", "1002"}}), 4 * kGiB);
  // Device 1: pid 3003 in two MIG instances is summed; 3004's memory is not
  // available, so it is left out.
  EXPECT_EQ(Value(snap, proc, {{"gpu", "1"}, {"pid", "3003"}}), 3 * kGiB);
  EXPECT_EQ(SeriesCount(snap, proc), 3u);
}

TEST(GpuCollectorTest, ReadsEveryValueFromTheFakeLibrary) {
  Reports reports;
  GpuCollector c({.library_path = VIGIL_FAKE_NVML_PATH, .reporter = reports.Reporter()});
  EXPECT_TRUE(c.Health().available) << c.Health().message;
  EXPECT_NE(c.Health().message.find("2 device(s)"), std::string::npos) << c.Health().message;
  EXPECT_EQ(c.device_count(), 2);
  EXPECT_TRUE(reports.messages.empty());

  const auto snap = CollectOnce(c);
  EXPECT_EQ(Value(snap, "nvidia_gpu_utilization_percent", kDevice0), 87);
  EXPECT_EQ(Value(snap, "nvidia_gpu_utilization_percent", kDevice1), 3);
  EXPECT_EQ(Value(snap, "nvidia_gpu_memory_utilization_percent", kDevice0), 41);
  EXPECT_EQ(Value(snap, "nvidia_gpu_memory_utilization_percent", kDevice1), 1);
  EXPECT_EQ(Value(snap, "nvidia_gpu_memory_used_bytes", kDevice0), 30 * kGiB);
  EXPECT_EQ(Value(snap, "nvidia_gpu_memory_used_bytes", kDevice1), 1 * kGiB);
  EXPECT_EQ(Value(snap, "nvidia_gpu_memory_total_bytes", kDevice0), 80 * kGiB);
  EXPECT_EQ(Value(snap, "nvidia_gpu_memory_total_bytes", kDevice1), 24 * kGiB);
  EXPECT_EQ(Value(snap, "nvidia_gpu_temperature_celsius", kDevice0), 64);
  EXPECT_EQ(Value(snap, "nvidia_gpu_temperature_celsius", kDevice1), 38);
  EXPECT_EQ(Value(snap, "nvidia_gpu_power_usage_watts", kDevice0), 312.5);
  // Device 1's power query fails (not supported): only that value is missing.
  EXPECT_EQ(SeriesCount(snap, "nvidia_gpu_power_usage_watts"), 1u);
  EXPECT_EQ(SeriesCount(snap, "nvidia_gpu_temperature_celsius"), 2u);
  ExpectFakeProcesses(snap);

  EXPECT_EQ(snap.size(), 7u);
  for (const FamilySnapshot& f : snap) {
    EXPECT_EQ(f.type, MetricType::kGauge) << f.name;
    EXPECT_FALSE(f.help.empty()) << f.name;
  }
}

TEST(GpuCollectorTest, ReadsTheOlderQueriesOfOlderDrivers) {
  // No _v3/_v2 process query (16-byte records) and no memory v2, whose
  // `used` also counts the driver's 512 MiB reservation.
  GpuCollector c(
      {.library_path = VIGIL_FAKE_NVML_LEGACY_PATH, .reporter = [](std::string_view) {}});
  ASSERT_TRUE(c.Health().available) << c.Health().message;
  const auto snap = CollectOnce(c);
  ExpectFakeProcesses(snap);
  EXPECT_EQ(Value(snap, "nvidia_gpu_memory_used_bytes", kDevice0), 30.5 * kGiB);
  EXPECT_EQ(Value(snap, "nvidia_gpu_memory_total_bytes", kDevice0), 80 * kGiB);
}

TEST(GpuCollectorTest, GrowsTheProcessBufferWhenNvmlAsks) {
  GpuCollector c({.library_path = VIGIL_FAKE_NVML_PATH, .reporter = [](std::string_view) {}});
  ASSERT_TRUE(c.Health().available);
  auto set_processes = FakeHook<void (*)(int)>("vigil_fake_nvml_set_processes");
  ASSERT_NE(set_processes, nullptr);
  set_processes(100);
  const auto snap = CollectOnce(c);
  set_processes(2);
  // 100 on device 0, one (summed) on device 1.
  EXPECT_EQ(SeriesCount(snap, "nvidia_gpu_process_memory_used_bytes"), 101u);
  EXPECT_EQ(Value(snap, "nvidia_gpu_process_memory_used_bytes", {{"gpu", "0"}, {"pid", "2099"}}),
            99.0 * 1024 * 1024);
  EXPECT_EQ(SeriesCount(CollectOnce(c), "nvidia_gpu_process_memory_used_bytes"), 3u);
}

TEST(GpuCollectorTest, MissingLibraryExportsNothingAndReportsOnce) {
  Reports reports;
  GpuCollector c({.library_path = "/nonexistent/libnvidia-ml.so.1",
                  .reporter = reports.Reporter()});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(CollectOnce(c).empty());
  const GpuHealth h = c.Health();
  EXPECT_FALSE(h.available);
  EXPECT_EQ(c.device_count(), 0);
  // dlerror()'s text: the path and why it could not be opened.
  EXPECT_NE(h.message.find("NVML unavailable"), std::string::npos) << h.message;
  EXPECT_NE(h.message.find("/nonexistent/libnvidia-ml.so.1"), std::string::npos) << h.message;
  EXPECT_NE(h.message.find("No such file"), std::string::npos) << h.message;
  ASSERT_EQ(reports.messages.size(), 1u);
  EXPECT_NE(reports.messages[0].find(h.message), std::string::npos) << reports.messages[0];
  (void)c.Health();
  EXPECT_EQ(reports.messages.size(), 1u);
}

TEST(GpuCollectorTest, LibraryWithoutNvmlSymbolsIsUnavailable) {
  Reports reports;
  GpuCollector c({.library_path = "libc.so.6", .reporter = reports.Reporter()});
  EXPECT_FALSE(c.Health().available);
  EXPECT_NE(c.Health().message.find("symbol nvmlInit_v2 not found"), std::string::npos)
      << c.Health().message;
  EXPECT_TRUE(CollectOnce(c).empty());
  EXPECT_EQ(reports.messages.size(), 1u);
}

TEST(GpuCollectorTest, InitFailureIsReportedWithNvmlsReason) {
  Reports reports;
  setenv("VIGIL_FAKE_NVML_INIT_ERROR", "1", 1);
  GpuCollector c({.library_path = VIGIL_FAKE_NVML_PATH, .reporter = reports.Reporter()});
  unsetenv("VIGIL_FAKE_NVML_INIT_ERROR");
  EXPECT_FALSE(c.Health().available);
  EXPECT_NE(c.Health().message.find("nvmlInit_v2 failed: Driver Not Loaded (NVML error 9)"),
            std::string::npos)
      << c.Health().message;
  EXPECT_TRUE(CollectOnce(c).empty());
  EXPECT_TRUE(CollectOnce(c).empty());
  EXPECT_EQ(reports.messages.size(), 1u);
}

TEST(GpuCollectorTest, ShutsNvmlDownWhenDestroyed) {
  auto keep = std::make_unique<GpuCollector>(
      GpuCollectorOptions{.library_path = VIGIL_FAKE_NVML_PATH});  // keeps the library loaded
  auto active = FakeHook<int (*)()>("vigil_fake_nvml_active");
  ASSERT_NE(active, nullptr);
  const int before = active();
  {
    GpuCollector c({.library_path = VIGIL_FAKE_NVML_PATH});
    EXPECT_EQ(active(), before + 1);
  }
  EXPECT_EQ(active(), before);
}

TEST(GpuCollectorTest, ConcurrentCollectsAgree) {
  auto c =
      std::make_shared<GpuCollector>(GpuCollectorOptions{.library_path = VIGIL_FAKE_NVML_PATH});
  const auto want = CollectOnce(*c);
  ASSERT_EQ(want.size(), 7u);
  std::atomic<int> mismatches{0};
  auto run = [&] {
    for (int i = 0; i < 500; ++i) {
      const auto got = CollectOnce(*c);
      bool same = got.size() == want.size();
      for (size_t f = 0; same && f < got.size(); ++f) {
        same = got[f].name == want[f].name && got[f].metrics.size() == want[f].metrics.size();
        for (size_t m = 0; same && m < got[f].metrics.size(); ++m) {
          same = got[f].metrics[m].labels == want[f].metrics[m].labels &&
                 got[f].metrics[m].value == want[f].metrics[m].value;
        }
      }
      if (!same) ++mismatches;
    }
  };
  std::thread a(run), b(run);
  a.join();
  b.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(GpuCollectorTest, OutputPassesRegistryValidation) {
  metrics::Registry r;
  ASSERT_TRUE(
      r.Register(std::make_shared<GpuCollector>(GpuCollectorOptions{.library_path =
                                                                        VIGIL_FAKE_NVML_PATH}))
          .ok());
  const auto snap = r.Snapshot();
  EXPECT_EQ(metrics::testing::FindFamily(snap, "vigil_metrics_rejected_updates_total"), nullptr);
  EXPECT_EQ(metrics::testing::SeriesValue(r, "nvidia_gpu_temperature_celsius", {{"gpu", "1"}}),
            38);
}

// On a machine with an NVIDIA driver this checks the real library's ABI;
// elsewhere there is nothing to check.
TEST(RealGpuCollectorTest, ReportsEveryDeviceWhenNvmlIsPresent) {
  Reports reports;
  GpuCollector c({.reporter = reports.Reporter()});
  if (!c.Health().available) {
    EXPECT_EQ(reports.messages.size(), 1u);
    GTEST_SKIP() << c.Health().message;
  }
  ASSERT_GT(c.device_count(), 0) << c.Health().message;
  const auto snap = CollectOnce(c);
  const FamilySnapshot* total = metrics::testing::FindFamily(snap, "nvidia_gpu_memory_total_bytes");
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->metrics.size(), static_cast<size_t>(c.device_count()));
  for (const MetricSnapshot& m : total->metrics) {
    std::map<std::string, std::string> l(m.labels.begin(), m.labels.end());
    EXPECT_GT(m.value, 1 * kGiB) << l["name"];
    EXPECT_TRUE(l["uuid"].starts_with("GPU-") || l["uuid"].starts_with("MIG-")) << l["uuid"];
    EXPECT_FALSE(l["name"].empty());
    const double used = Value(snap, "nvidia_gpu_memory_used_bytes", m.labels);
    EXPECT_GE(used, 0);
    EXPECT_LE(used, m.value);
    const double util = Value(snap, "nvidia_gpu_utilization_percent", m.labels);
    EXPECT_GE(util, 0);
    EXPECT_LE(util, 100);
    const double temp = Value(snap, "nvidia_gpu_temperature_celsius", m.labels);
    EXPECT_GT(temp, 0);
    EXPECT_LT(temp, 120);
    const double watts = Value(snap, "nvidia_gpu_power_usage_watts", m.labels);
    EXPECT_GT(watts, 1);
    EXPECT_LT(watts, 2000);
  }
  for (const FamilySnapshot& f : snap) {
    std::printf("%s:", f.name.c_str());
    for (const MetricSnapshot& m : f.metrics) {
      std::printf(" {");
      for (const auto& [k, v] : m.labels) std::printf("%s=%s,", k.c_str(), v.c_str());
      std::printf("} %g", m.value);
    }
    std::printf("\n");
  }
}

}  // namespace
}  // namespace vigil::collectors
