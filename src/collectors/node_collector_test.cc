#include "vigil/collectors/node_collector.h"

#include <gtest/gtest.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "metrics/test_util.h"
#include "vigil/metrics/registry.h"

namespace vigil::collectors {
namespace {

namespace fs = std::filesystem;
using metrics::FamilySnapshot;
using metrics::MetricSnapshot;
using metrics::MetricType;
using Labels = std::vector<std::pair<std::string, std::string>>;

std::vector<FamilySnapshot> CollectOnce(metrics::Collector& c) {
  std::vector<FamilySnapshot> out;
  c.Collect(&out);
  return out;
}

// The series of `name` whose label set is exactly `labels`.
const MetricSnapshot* Find(const std::vector<FamilySnapshot>& snap, const std::string& name,
                           Labels labels) {
  const FamilySnapshot* f = metrics::testing::FindFamily(snap, name);
  if (f == nullptr) return nullptr;
  std::sort(labels.begin(), labels.end());
  for (const MetricSnapshot& m : f->metrics) {
    Labels got = m.labels;
    std::sort(got.begin(), got.end());
    if (got == labels) return &m;
  }
  return nullptr;
}

double Value(const std::vector<FamilySnapshot>& snap, const std::string& name,
             const Labels& labels) {
  const MetricSnapshot* m = Find(snap, name, labels);
  return m == nullptr ? -1 : m->value;
}

// Every value of one label across a family.
std::set<std::string> LabelValues(const std::vector<FamilySnapshot>& snap,
                                  const std::string& family, const std::string& label) {
  std::set<std::string> out;
  if (const FamilySnapshot* f = metrics::testing::FindFamily(snap, family)) {
    for (const MetricSnapshot& m : f->metrics) {
      for (const auto& [k, v] : m.labels) {
        if (k == label) out.insert(v);
      }
    }
  }
  return out;
}

std::unique_ptr<NodeCollector> MustCreate(NodeCollectorOptions options) {
  auto c = NodeCollector::Create(std::move(options));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : nullptr;
}

constexpr double kKiB = 1024;

class NodeCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    root_ = fs::temp_directory_path() /
            ("vigil_node_" + std::to_string(getpid()) + "_" + std::to_string(n++));
    fs::create_directories(root_ / "net");
    hz_ = static_cast<double>(sysconf(_SC_CLK_TCK));
    WriteStat(1234, 100000);
    Write("loadavg", "0.52 1.25 2.75 3/456 7890\n");
    Write("meminfo",
          "MemTotal:       16000000 kB\n"
          "MemFree:         2000000 kB\n"
          "MemAvailable:    8000000 kB\n"
          "Buffers:          300000 kB\n"
          "Cached:          4000000 kB\n"
          "SwapCached:        11111 kB\n"
          "Active(anon):        123 kB\n"
          "this line is garbage\n"
          "HugePages_Total:       0\n");
    Write("mounts",
          "/dev/sda1 / ext4 rw,relatime 0 0\n"
          "proc /proc proc rw,nosuid 0 0\n"
          "sysfs /sys sysfs rw 0 0\n"
          "tmpfs /run tmpfs rw,nosuid 0 0\n"
          "tmpfs /run/credentials/systemd-sysusers.service tmpfs ro 0 0\n"
          "/dev/sdb1 /data\\040disk xfs rw 0 0\n"
          "overlay /var/lib/docker/overlay2/abc/merged overlay rw 0 0\n"
          "/dev/sdc1 /var/lib/docker xfs rw 0 0\n"
          "tmpfs /var/lib/docker/containers/x/mounts/shm tmpfs rw 0 0\n"
          "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n"
          "devtmpfs /devices devtmpfs rw 0 0\n"
          "server:/export /mnt/nfs nfs4 rw 0 0\n"
          "/dev/sda1 / ext4 rw,relatime 0 0\n"
          "malformed\n"
          "/dev/nvme0n1p1 /boot/efi vfat rw 0 0\n");
    Write("diskstats",
          "   8       0 sda 1000 10 20000 300 2000 20 40000 600 0 1500 900\n"
          "   8       1 sda1 900 0 18000 250 1900 0 38000 550 0 1400 800\n"
          "   7       0 loop0 5 0 10 0 0 0 0 0 0 1 0\n"
          "   1       0 ram0 0 0 0 0 0 0 0 0 0 0 0\n"
          " 259       0 nvme0n1 50 0 800 10 60 0 1600 20 0 30 30 0 0 0 0 0 0\n"
          " 259       1 nvme0n1p1 40 0 600 5 50 0 1200 15 0 20 20\n"
          " 253       0 dm-0 7 0 56 1 8 0 64 2 0 3 3\n"
          "   8      16 sdb 1 2 3\n"
          "   8      32 sdc 1 2 x 4 5 6 7 8 9 10 11\n");
    Write("net/dev",
          "Inter-|   Receive                                                |  Transmit\n"
          " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
          "errs drop fifo colls carrier compressed\n"
          "    lo: 14586 38 0 0 0 0 0 0 14586 38 0 0 0 0 0 0\n"
          "  eth0: 61029987    2956    3    0    0     0          0         0   191320    2493"
          "    4    0    0     0       0          0\n"
          " wlan0:123 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n"
          "  bad0: 1 2 x 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(root_ / name) << text;
  }
  // cpu0 with the given user and idle ticks; cpu1 fixed; malformed cpu2/cpu3.
  void WriteStat(long user0, long idle0) {
    Write("stat", "cpu  100 200 300 400 500 600 700 800 900 1000\n"
                  "cpu0 " + std::to_string(user0) + " 56 789 " + std::to_string(idle0) +
                      " 12 0 34 5 0 0\n"
                      "cpu1 2000 0 1000 200000 0 0 0 0 0 0\n"
                      "cpu2 garbage 1 2 3 4 5 6 7\n"
                      "cpu3 1 2 3\n"
                      "intr 12345 0 0\nctxt 9999\nbtime 1700000000\n");
  }

  // Options reading the fake tree, with a statvfs stand-in that answers for
  // absolute paths except /mnt/nfs and records what it was asked.
  NodeCollectorOptions FakeOptions() {
    NodeCollectorOptions o;
    o.proc_dir = root_.string();
    o.statfs = [this](const std::string& path, FilesystemUsage* u) {
      std::lock_guard<std::mutex> lock(statfs_mu_);
      statfs_calls_.push_back(path);
      if (!path.starts_with("/") || path == "/mnt/nfs") return false;
      const double base = path == "/" ? 1000 : path == "/data disk" ? 2000 : 3000;
      *u = {base * 1e6, base * 1e5, base * 1e4};
      return true;
    };
    return o;
  }

  fs::path root_;
  double hz_ = 100;
  std::mutex statfs_mu_;
  std::vector<std::string> statfs_calls_;
};

TEST_F(NodeCollectorTest, ReadsKnownValuesFromAFakeProc) {
  auto c = MustCreate(FakeOptions());
  ASSERT_NE(c, nullptr);
  const auto snap = CollectOnce(*c);

  // CPU: seconds = ticks / USER_HZ, one series per CPU and mode.
  const std::string cpu = "node_cpu_seconds_total";
  EXPECT_DOUBLE_EQ(Value(snap, cpu, {{"cpu", "0"}, {"mode", "user"}}), 1234 / hz_);
  EXPECT_DOUBLE_EQ(Value(snap, cpu, {{"cpu", "0"}, {"mode", "nice"}}), 56 / hz_);
  EXPECT_DOUBLE_EQ(Value(snap, cpu, {{"cpu", "0"}, {"mode", "system"}}), 789 / hz_);
  EXPECT_DOUBLE_EQ(Value(snap, cpu, {{"cpu", "0"}, {"mode", "idle"}}), 100000 / hz_);
  EXPECT_DOUBLE_EQ(Value(snap, cpu, {{"cpu", "0"}, {"mode", "iowait"}}), 12 / hz_);
  EXPECT_DOUBLE_EQ(Value(snap, cpu, {{"cpu", "0"}, {"mode", "irq"}}), 0);
  EXPECT_DOUBLE_EQ(Value(snap, cpu, {{"cpu", "0"}, {"mode", "softirq"}}), 34 / hz_);
  EXPECT_DOUBLE_EQ(Value(snap, cpu, {{"cpu", "0"}, {"mode", "steal"}}), 5 / hz_);
  EXPECT_DOUBLE_EQ(Value(snap, cpu, {{"cpu", "1"}, {"mode", "idle"}}), 200000 / hz_);
  EXPECT_EQ(LabelValues(snap, cpu, "cpu"), (std::set<std::string>{"0", "1"}));
  const FamilySnapshot* cpu_family = metrics::testing::FindFamily(snap, cpu);
  ASSERT_NE(cpu_family, nullptr);
  EXPECT_EQ(cpu_family->metrics.size(), 16u);
  EXPECT_EQ(cpu_family->type, MetricType::kCounter);
  EXPECT_EQ(cpu_family->help, "Seconds the CPUs spent in each mode.");

  // Load averages.
  EXPECT_DOUBLE_EQ(Value(snap, "node_load1", {}), 0.52);
  EXPECT_DOUBLE_EQ(Value(snap, "node_load5", {}), 1.25);
  EXPECT_DOUBLE_EQ(Value(snap, "node_load15", {}), 2.75);
  EXPECT_EQ(metrics::testing::FindFamily(snap, "node_load1")->help, "1m load average.");
  EXPECT_EQ(metrics::testing::FindFamily(snap, "node_load1")->type, MetricType::kGauge);

  // Memory: kB * 1024; Cached is not SwapCached.
  EXPECT_DOUBLE_EQ(Value(snap, "node_memory_MemTotal_bytes", {}), 16000000 * kKiB);
  EXPECT_DOUBLE_EQ(Value(snap, "node_memory_MemFree_bytes", {}), 2000000 * kKiB);
  EXPECT_DOUBLE_EQ(Value(snap, "node_memory_MemAvailable_bytes", {}), 8000000 * kKiB);
  EXPECT_DOUBLE_EQ(Value(snap, "node_memory_Buffers_bytes", {}), 300000 * kKiB);
  EXPECT_DOUBLE_EQ(Value(snap, "node_memory_Cached_bytes", {}), 4000000 * kKiB);
  const FamilySnapshot* mem = metrics::testing::FindFamily(snap, "node_memory_MemTotal_bytes");
  EXPECT_EQ(mem->help, "Memory information field MemTotal_bytes.");
  EXPECT_EQ(mem->type, MetricType::kGauge);

  // File systems: \040 decoded, values from the statvfs stand-in.
  const Labels root = {{"device", "/dev/sda1"}, {"fstype", "ext4"}, {"mountpoint", "/"}};
  EXPECT_DOUBLE_EQ(Value(snap, "node_filesystem_size_bytes", root), 1000e6);
  EXPECT_DOUBLE_EQ(Value(snap, "node_filesystem_free_bytes", root), 1000e5);
  EXPECT_DOUBLE_EQ(Value(snap, "node_filesystem_avail_bytes", root), 1000e4);
  const Labels data = {{"device", "/dev/sdb1"}, {"fstype", "xfs"}, {"mountpoint", "/data disk"}};
  EXPECT_DOUBLE_EQ(Value(snap, "node_filesystem_size_bytes", data), 2000e6);
  EXPECT_DOUBLE_EQ(Value(snap, "node_filesystem_avail_bytes", data), 2000e4);
  EXPECT_EQ(metrics::testing::FindFamily(snap, "node_filesystem_avail_bytes")->help,
            "Filesystem space available to non-root users in bytes.");

  // Disks: sectors * 512, io time in seconds.
  EXPECT_DOUBLE_EQ(Value(snap, "node_disk_reads_completed_total", {{"device", "sda"}}), 1000);
  EXPECT_DOUBLE_EQ(Value(snap, "node_disk_read_bytes_total", {{"device", "sda"}}), 20000 * 512.0);
  EXPECT_DOUBLE_EQ(Value(snap, "node_disk_writes_completed_total", {{"device", "sda"}}), 2000);
  EXPECT_DOUBLE_EQ(Value(snap, "node_disk_written_bytes_total", {{"device", "sda"}}),
                   40000 * 512.0);
  EXPECT_DOUBLE_EQ(Value(snap, "node_disk_io_time_seconds_total", {{"device", "sda"}}), 1.5);
  EXPECT_DOUBLE_EQ(Value(snap, "node_disk_read_bytes_total", {{"device", "nvme0n1"}}),
                   800 * 512.0);
  EXPECT_DOUBLE_EQ(Value(snap, "node_disk_io_time_seconds_total", {{"device", "dm-0"}}), 0.003);
  EXPECT_EQ(metrics::testing::FindFamily(snap, "node_disk_io_time_seconds_total")->type,
            MetricType::kCounter);

  // Network, including a line with no space after the colon.
  const Labels eth0 = {{"device", "eth0"}};
  EXPECT_DOUBLE_EQ(Value(snap, "node_network_receive_bytes_total", eth0), 61029987);
  EXPECT_DOUBLE_EQ(Value(snap, "node_network_receive_packets_total", eth0), 2956);
  EXPECT_DOUBLE_EQ(Value(snap, "node_network_receive_errs_total", eth0), 3);
  EXPECT_DOUBLE_EQ(Value(snap, "node_network_transmit_bytes_total", eth0), 191320);
  EXPECT_DOUBLE_EQ(Value(snap, "node_network_transmit_packets_total", eth0), 2493);
  EXPECT_DOUBLE_EQ(Value(snap, "node_network_transmit_errs_total", eth0), 4);
  EXPECT_DOUBLE_EQ(Value(snap, "node_network_receive_bytes_total", {{"device", "wlan0"}}), 123);
  EXPECT_DOUBLE_EQ(Value(snap, "node_network_transmit_errs_total", {{"device", "wlan0"}}), 13);
  EXPECT_EQ(metrics::testing::FindFamily(snap, "node_network_receive_errs_total")->help,
            "Network device statistic receive_errs.");

  // Exactly the node_exporter subset, nothing else.
  std::set<std::string> names;
  for (const auto& f : snap) names.insert(f.name);
  EXPECT_EQ(names, (std::set<std::string>{
                       "node_cpu_seconds_total",
                       "node_load1",
                       "node_load5",
                       "node_load15",
                       "node_memory_MemTotal_bytes",
                       "node_memory_MemFree_bytes",
                       "node_memory_MemAvailable_bytes",
                       "node_memory_Buffers_bytes",
                       "node_memory_Cached_bytes",
                       "node_filesystem_size_bytes",
                       "node_filesystem_free_bytes",
                       "node_filesystem_avail_bytes",
                       "node_disk_reads_completed_total",
                       "node_disk_read_bytes_total",
                       "node_disk_writes_completed_total",
                       "node_disk_written_bytes_total",
                       "node_disk_io_time_seconds_total",
                       "node_network_receive_bytes_total",
                       "node_network_receive_packets_total",
                       "node_network_receive_errs_total",
                       "node_network_transmit_bytes_total",
                       "node_network_transmit_packets_total",
                       "node_network_transmit_errs_total",
                   }));
}

TEST_F(NodeCollectorTest, ExcludesLikeNodeExporterAndSkipsMalformedLines) {
  auto c = MustCreate(FakeOptions());
  ASSERT_NE(c, nullptr);
  const auto snap = CollectOnce(*c);

  // Pseudo file systems and excluded mount points are not even statvfs'd;
  // /var/lib/docker itself is kept (only what is below it is excluded); a
  // mount whose statvfs fails is left out; the repeated / appears once.
  EXPECT_EQ(LabelValues(snap, "node_filesystem_size_bytes", "mountpoint"),
            (std::set<std::string>{"/", "/run", "/data disk", "/var/lib/docker", "/boot/efi"}));
  EXPECT_EQ(metrics::testing::FindFamily(snap, "node_filesystem_size_bytes")->metrics.size(), 5u);
  for (const std::string& p : statfs_calls_) {
    EXPECT_TRUE(p != "/proc" && p != "/sys" && p != "/sys/fs/cgroup" && p != "/devices" &&
                !p.starts_with("/run/credentials/") && !p.starts_with("/var/lib/docker/"))
        << p;
  }
  EXPECT_EQ(std::count(statfs_calls_.begin(), statfs_calls_.end(), "/mnt/nfs"), 1);

  // Partitions, loop and RAM disks are excluded; sdb (too few fields) and
  // sdc (a bad number) are skipped.
  EXPECT_EQ(LabelValues(snap, "node_disk_reads_completed_total", "device"),
            (std::set<std::string>{"sda", "nvme0n1", "dm-0"}));
  // node_exporter keeps lo by default; bad0 has a bad number.
  EXPECT_EQ(LabelValues(snap, "node_network_receive_bytes_total", "device"),
            (std::set<std::string>{"lo", "eth0", "wlan0"}));
}

// A network mount whose statvfs hangs (a dead NFS server) costs one
// timeout: it is left out, the mounts after it are still measured, it is not
// asked again while its call hangs, and it is back once the call returns.
TEST_F(NodeCollectorTest, HungMountIsLeftOutUntilItAnswers) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  int nfs_calls = 0;
  NodeCollectorOptions o = FakeOptions();
  o.mount_timeout = std::chrono::milliseconds(1000);  // generous: CI machines are busy
  o.statfs = [&, answer = o.statfs](const std::string& path, FilesystemUsage* u) {
    if (path != "/mnt/nfs") return answer(path, u);
    std::unique_lock<std::mutex> l(mu);
    if (++nfs_calls == 1) cv.wait(l, [&] { return release; });
    *u = {1e9, 1e8, 1e7};  // the server came back
    return true;
  };
  auto c = MustCreate(o);
  ASSERT_NE(c, nullptr);
  const std::set<std::string> without = {"/", "/run", "/data disk", "/var/lib/docker",
                                         "/boot/efi"};
  EXPECT_EQ(LabelValues(CollectOnce(*c), "node_filesystem_size_bytes", "mountpoint"), without);
  EXPECT_EQ(LabelValues(CollectOnce(*c), "node_filesystem_size_bytes", "mountpoint"), without);
  {
    std::lock_guard<std::mutex> l(mu);
    EXPECT_EQ(nfs_calls, 1);  // stuck: not asked again
    release = true;
  }
  cv.notify_all();
  // The abandoned call returns on its own thread; a later collection asks
  // the mount again.
  std::set<std::string> with = without;
  with.insert("/mnt/nfs");
  std::set<std::string> got;
  for (int i = 0; i < 500 && got != with; ++i) {
    got = LabelValues(CollectOnce(*c), "node_filesystem_size_bytes", "mountpoint");
    if (got != with) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(got, with);
}

TEST(NodeCollectorCreateTest, RefusesANonPositiveMountTimeout) {
  NodeCollectorOptions o;
  o.mount_timeout = std::chrono::milliseconds(0);
  Result<std::unique_ptr<NodeCollector>> c = NodeCollector::Create(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("mount_timeout"), std::string::npos);
}

TEST_F(NodeCollectorTest, CpuCountersNeverGoBackwards) {
  auto c = MustCreate(FakeOptions());
  ASSERT_NE(c, nullptr);
  const Labels user = {{"cpu", "0"}, {"mode", "user"}};
  const Labels idle = {{"cpu", "0"}, {"mode", "idle"}};
  (void)CollectOnce(*c);

  // user drops by a tick and idle by less than 3 s: both are held.
  const long small_drop = static_cast<long>(hz_) * 2;
  WriteStat(1233, 100000 - small_drop);
  auto snap = CollectOnce(*c);
  EXPECT_DOUBLE_EQ(Value(snap, "node_cpu_seconds_total", user), 1234 / hz_);
  EXPECT_DOUBLE_EQ(Value(snap, "node_cpu_seconds_total", idle), 100000 / hz_);

  // Growth is reported as it is.
  WriteStat(1300, 100500);
  snap = CollectOnce(*c);
  EXPECT_DOUBLE_EQ(Value(snap, "node_cpu_seconds_total", user), 1300 / hz_);
  EXPECT_DOUBLE_EQ(Value(snap, "node_cpu_seconds_total", idle), 100500 / hz_);

  // Idle drops by 3 s or more: a hot-plugged CPU, which starts over.
  WriteStat(10, 100500 - static_cast<long>(hz_) * 3);
  snap = CollectOnce(*c);
  EXPECT_DOUBLE_EQ(Value(snap, "node_cpu_seconds_total", user), 10 / hz_);
  EXPECT_DOUBLE_EQ(Value(snap, "node_cpu_seconds_total", idle), 100500 / hz_ - 3);
}

TEST_F(NodeCollectorTest, MissingProcExportsNothing) {
  NodeCollectorOptions o = FakeOptions();
  o.proc_dir = (root_ / "absent").string();
  auto c = MustCreate(o);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(CollectOnce(*c).empty());
}

TEST_F(NodeCollectorTest, GarbageFilesExportNothing) {
  for (const char* name : {"stat", "loadavg", "meminfo", "mounts", "diskstats", "net/dev"}) {
    Write(name, "\x01\xff garbage: x y z\n\n:\n   \ncpu\ncpu0\ncpux 1 2 3 4 5 6 7 8\n");
  }
  Write("loadavg", "0.5 nope 1\n");
  auto c = MustCreate(FakeOptions());
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(CollectOnce(*c).empty());
  Write("loadavg", "");
  EXPECT_TRUE(CollectOnce(*c).empty());
}

TEST_F(NodeCollectorTest, PartsThatCannotBeReadAreLeftOut) {
  fs::remove(root_ / "meminfo");
  fs::remove(root_ / "net" / "dev");
  auto c = MustCreate(FakeOptions());
  ASSERT_NE(c, nullptr);
  const auto snap = CollectOnce(*c);
  EXPECT_EQ(metrics::testing::FindFamily(snap, "node_memory_MemTotal_bytes"), nullptr);
  EXPECT_EQ(metrics::testing::FindFamily(snap, "node_network_receive_bytes_total"), nullptr);
  EXPECT_NE(metrics::testing::FindFamily(snap, "node_cpu_seconds_total"), nullptr);
  EXPECT_NE(metrics::testing::FindFamily(snap, "node_disk_read_bytes_total"), nullptr);
}

TEST_F(NodeCollectorTest, FiltersAreConfigurable) {
  NodeCollectorOptions o = FakeOptions();
  o.netdev_devices_exclude = "^lo$";  // Debian's package default
  o.disk_devices_exclude = "";
  o.fs_types_exclude = "^xfs$";
  o.mount_points_exclude = "^/boot";
  auto c = MustCreate(o);
  ASSERT_NE(c, nullptr);
  const auto snap = CollectOnce(*c);
  EXPECT_EQ(LabelValues(snap, "node_network_receive_bytes_total", "device"),
            (std::set<std::string>{"eth0", "wlan0"}));
  EXPECT_EQ(LabelValues(snap, "node_disk_reads_completed_total", "device"),
            (std::set<std::string>{"sda", "sda1", "loop0", "ram0", "nvme0n1", "nvme0n1p1",
                                   "dm-0"}));
  EXPECT_EQ(LabelValues(snap, "node_filesystem_size_bytes", "mountpoint"),
            (std::set<std::string>{"/", "/proc", "/sys", "/run",
                                   "/run/credentials/systemd-sysusers.service",
                                   "/var/lib/docker/overlay2/abc/merged",
                                   "/var/lib/docker/containers/x/mounts/shm", "/sys/fs/cgroup",
                                   "/devices"}));

  o.disk_devices_exclude = "(unclosed";
  auto bad = NodeCollector::Create(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("disk_devices_exclude"), std::string_view::npos);
}

TEST_F(NodeCollectorTest, ConcurrentCollectsAgree) {
  auto c = MustCreate(FakeOptions());
  ASSERT_NE(c, nullptr);
  const auto want = CollectOnce(*c);
  std::atomic<int> mismatches{0};
  auto run = [&] {
    for (int i = 0; i < 200; ++i) {
      const auto got = CollectOnce(*c);
      if (got.size() != want.size()) {
        ++mismatches;
        continue;
      }
      for (size_t f = 0; f < got.size(); ++f) {
        if (got[f].name != want[f].name || got[f].metrics.size() != want[f].metrics.size()) {
          ++mismatches;
          continue;
        }
        for (size_t m = 0; m < got[f].metrics.size(); ++m) {
          if (got[f].metrics[m].labels != want[f].metrics[m].labels ||
              got[f].metrics[m].value != want[f].metrics[m].value) {
            ++mismatches;
          }
        }
      }
    }
  };
  std::thread a(run), b(run);
  a.join();
  b.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_F(NodeCollectorTest, OutputPassesRegistryValidation) {
  metrics::Registry r;
  auto c = MustCreate(FakeOptions());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(r.Register(std::move(c)).ok());
  const auto snap = r.Snapshot();
  EXPECT_NE(metrics::testing::FindFamily(snap, "node_cpu_seconds_total"), nullptr);
  EXPECT_EQ(metrics::testing::FindFamily(snap, "vigil_metrics_rejected_updates_total"), nullptr);
  EXPECT_DOUBLE_EQ(
      metrics::testing::SeriesValue(r, "node_network_receive_bytes_total", {{"device", "lo"}}),
      14586);
}

// --- against the real /proc ----------------------------------------------------

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// cpu -> mode index -> seconds, parsed independently of the collector.
std::map<std::string, std::vector<double>> ParseStat() {
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::map<std::string, std::vector<double>> out;
  std::istringstream in(Slurp("/proc/stat"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string name;
    ls >> name;
    if (name.size() <= 3 || name.rfind("cpu", 0) != 0) continue;
    std::vector<double> v;
    double x;
    while (v.size() < 8 && ls >> x) v.push_back(x / hz);
    out[name.substr(3)] = v;
  }
  return out;
}

std::map<std::string, double> ParseMeminfo() {
  std::map<std::string, double> out;
  std::istringstream in(Slurp("/proc/meminfo"));
  std::string key, unit;
  double v;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    if (ls >> key >> v) out[key.substr(0, key.size() - 1)] = v * 1024;
  }
  return out;
}

// device -> column -> value, for /proc/diskstats (columns after the name)
// and /proc/net/dev (columns after the colon).
std::map<std::string, std::vector<double>> ParseDiskstats() {
  std::map<std::string, std::vector<double>> out;
  std::istringstream in(Slurp("/proc/diskstats"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string major, minor, name;
    ls >> major >> minor >> name;
    std::vector<double> v;
    double x;
    while (ls >> x) v.push_back(x);
    out[name] = v;
  }
  return out;
}

std::map<std::string, std::vector<double>> ParseNetDev() {
  std::map<std::string, std::vector<double>> out;
  std::istringstream in(Slurp("/proc/net/dev"));
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    std::istringstream ls(line.substr(colon + 1));
    std::vector<double> v;
    double x;
    while (ls >> x) v.push_back(x);
    out[name] = v;
  }
  return out;
}

TEST(RealNodeCollectorTest, AgreesWithProc) {
  auto c = MustCreate({});
  ASSERT_NE(c, nullptr);
  const auto stat_before = ParseStat();
  const auto disks_before = ParseDiskstats();
  const auto net_before = ParseNetDev();
  const auto mem = ParseMeminfo();
  double load[3] = {0, 0, 0};
  std::istringstream(Slurp("/proc/loadavg")) >> load[0] >> load[1] >> load[2];
  const auto snap = CollectOnce(*c);
  const auto stat_after = ParseStat();
  const auto disks_after = ParseDiskstats();
  const auto net_after = ParseNetDev();

  // Memory: the total is fixed; the rest moves a little between reads.
  ASSERT_TRUE(mem.count("MemTotal"));
  EXPECT_EQ(Value(snap, "node_memory_MemTotal_bytes", {}), mem.at("MemTotal"));
  const double slack = 0.05 * mem.at("MemTotal");
  for (const char* field : {"MemFree", "MemAvailable", "Buffers", "Cached"}) {
    ASSERT_TRUE(mem.count(field)) << field;
    EXPECT_NEAR(Value(snap, std::string("node_memory_") + field + "_bytes", {}), mem.at(field),
                slack)
        << field;
  }

  EXPECT_NEAR(Value(snap, "node_load1", {}), load[0], 0.5);
  EXPECT_NEAR(Value(snap, "node_load5", {}), load[1], 0.5);
  EXPECT_NEAR(Value(snap, "node_load15", {}), load[2], 0.5);

  // CPU: each counter lies between what /proc/stat said just before and
  // just after (with a second of slack: the kernel's idle and iowait may
  // step back a little, which is what the collector's clamp is for).
  const char* modes[] = {"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};
  std::set<std::string> cpus;
  for (const auto& [cpu, before] : stat_before) {
    if (before.size() == 8) cpus.insert(cpu);
  }
  EXPECT_EQ(LabelValues(snap, "node_cpu_seconds_total", "cpu"), cpus);
  for (const std::string& cpu : cpus) {
    for (int m = 0; m < 8; ++m) {
      const double v = Value(snap, "node_cpu_seconds_total", {{"cpu", cpu}, {"mode", modes[m]}});
      EXPECT_GE(v, stat_before.at(cpu)[m] - 1.0) << cpu << " " << modes[m];
      EXPECT_LE(v, stat_after.at(cpu)[m] + 1.0) << cpu << " " << modes[m];
    }
  }
  // And never backwards from one collection to the next.
  const auto snap2 = CollectOnce(*c);
  for (const std::string& cpu : cpus) {
    for (const char* mode : modes) {
      EXPECT_GE(Value(snap2, "node_cpu_seconds_total", {{"cpu", cpu}, {"mode", mode}}),
                Value(snap, "node_cpu_seconds_total", {{"cpu", cpu}, {"mode", mode}}));
    }
  }

  // Disks: the devices the default filter keeps, counters between the reads.
  const std::regex disk_exclude(NodeCollectorOptions{}.disk_devices_exclude);
  std::set<std::string> disks;
  for (const auto& [name, v] : disks_before) {
    if (v.size() >= 10 && !std::regex_search(name, disk_exclude)) disks.insert(name);
  }
  EXPECT_EQ(LabelValues(snap, "node_disk_reads_completed_total", "device"), disks);
  for (const std::string& d : disks) {
    const double reads = Value(snap, "node_disk_reads_completed_total", {{"device", d}});
    EXPECT_GE(reads, disks_before.at(d)[0]) << d;
    EXPECT_LE(reads, disks_after.at(d)[0]) << d;
    const double written = Value(snap, "node_disk_written_bytes_total", {{"device", d}});
    EXPECT_GE(written, disks_before.at(d)[6] * 512) << d;
    EXPECT_LE(written, disks_after.at(d)[6] * 512) << d;
  }

  // Network devices: all of them (no default exclusion).
  std::set<std::string> devices;
  for (const auto& [name, v] : net_before) devices.insert(name);
  EXPECT_EQ(LabelValues(snap, "node_network_receive_bytes_total", "device"), devices);
  for (const std::string& d : devices) {
    const double rx = Value(snap, "node_network_receive_bytes_total", {{"device", d}});
    EXPECT_GE(rx, net_before.at(d)[0]) << d;
    EXPECT_LE(rx, net_after.at(d)[0]) << d;
  }

  // File systems: every series is a mount in /proc/mounts of a type the
  // defaults keep, and its size is what statvfs says now.
  const std::regex fs_exclude(NodeCollectorOptions{}.fs_types_exclude);
  const std::string mounts = Slurp("/proc/mounts");
  if (const FamilySnapshot* f = metrics::testing::FindFamily(snap, "node_filesystem_size_bytes")) {
    for (const MetricSnapshot& m : f->metrics) {
      std::map<std::string, std::string> l(m.labels.begin(), m.labels.end());
      EXPECT_FALSE(std::regex_search(l["fstype"], fs_exclude)) << l["fstype"];
      EXPECT_NE(mounts.find(" " + l["fstype"] + " "), std::string::npos) << l["mountpoint"];
      struct statvfs st;
      ASSERT_EQ(statvfs(l["mountpoint"].c_str(), &st), 0) << l["mountpoint"];
      EXPECT_EQ(m.value, static_cast<double>(st.f_blocks) * static_cast<double>(st.f_frsize))
          << l["mountpoint"];
    }
  }
}

}  // namespace
}  // namespace vigil::collectors
