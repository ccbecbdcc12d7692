#include "vigil/metrics/process_collector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "metrics/test_util.h"
#include "vigil/metrics/registry.h"

namespace vigil::metrics {
namespace {

namespace fs = std::filesystem;

class ProcessCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("vigil_proc_" + std::to_string(getpid()));
    fs::create_directories(root_ / "self" / "fd");
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }
  fs::path root_;
};

TEST_F(ProcessCollectorTest, ReadsKnownValuesFromAFakeProc) {
  const double tck = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // Fields: pid (comm) state ppid ... utime(14) stime(15) ... num_threads(20)
  // ... starttime(22) vsize(23) rss(24).
  std::string stat = "42 (my proc) S";
  for (int field = 4; field <= 52; ++field) {
    std::string v = "0";
    if (field == 14) v = std::to_string(static_cast<int>(3 * tck));
    if (field == 15) v = std::to_string(static_cast<int>(2 * tck));
    if (field == 20) v = "9";
    if (field == 22) v = std::to_string(static_cast<int>(100 * tck));
    if (field == 23) v = "123456789";
    if (field == 24) v = "1000";
    stat += " " + v;
  }
  Write(root_ / "self" / "stat", stat + "\n");
  Write(root_ / "stat", "cpu 1 2 3\nbtime 1700000000\n");
  Write(root_ / "self" / "limits",
        "Limit                     Soft Limit           Hard Limit           Units\n"
        "Max open files            1024                 4096                 files\n");
  for (int i = 0; i < 3; ++i) Write(root_ / "self" / "fd" / std::to_string(i), "");

  Registry r;
  ASSERT_TRUE(r.Register(std::make_shared<ProcessCollector>((root_ / "self").string())).ok());
  EXPECT_DOUBLE_EQ(testing::SeriesValue(r, "process_cpu_seconds_total", {}), 5);
  EXPECT_DOUBLE_EQ(testing::SeriesValue(r, "process_threads", {}), 9);
  EXPECT_DOUBLE_EQ(testing::SeriesValue(r, "process_virtual_memory_bytes", {}), 123456789);
  EXPECT_DOUBLE_EQ(testing::SeriesValue(r, "process_resident_memory_bytes", {}), 1000 * page);
  EXPECT_DOUBLE_EQ(testing::SeriesValue(r, "process_start_time_seconds", {}), 1700000100);
  EXPECT_DOUBLE_EQ(testing::SeriesValue(r, "process_open_fds", {}), 3);
  EXPECT_DOUBLE_EQ(testing::SeriesValue(r, "process_max_fds", {}), 1024);
  auto snap = r.Snapshot();
  EXPECT_EQ(testing::FindFamily(snap, "process_cpu_seconds_total")->type, MetricType::kCounter);
}

TEST_F(ProcessCollectorTest, MissingProcExportsNothing) {
  Registry r;
  ASSERT_TRUE(r.Register(std::make_shared<ProcessCollector>((root_ / "absent").string())).ok());
  EXPECT_TRUE(r.Snapshot().empty());
}

TEST(RealProcessCollectorTest, ReportsThisProcess) {
  Registry r;
  ASSERT_TRUE(r.Register(std::make_shared<ProcessCollector>()).ok());
  EXPECT_GT(testing::SeriesValue(r, "process_resident_memory_bytes", {}), 0);
  EXPECT_GE(testing::SeriesValue(r, "process_threads", {}), 1);
  EXPECT_GT(testing::SeriesValue(r, "process_start_time_seconds", {}), 1.6e9);
  EXPECT_GT(testing::SeriesValue(r, "process_open_fds", {}), 2);
  EXPECT_GT(testing::SeriesValue(r, "process_max_fds", {}), 0);
}

}  // namespace
}  // namespace vigil::metrics
