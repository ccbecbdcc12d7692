#include "cli/nab.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;

class NabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil_nab_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data" / "cat");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ / "data" / rel) << text;
  }
  static std::string Read(const fs::path& p) {
    std::stringstream s;
    s << std::ifstream(p).rdbuf();
    return s.str();
  }
  Status Run(const std::string& detector = "ensemble") {
    return RunNab({.data_dir = (dir_ / "data").string(),
                   .out_dir = (dir_ / "out").string(),
                   .detector = detector},
                  stderr);
  }
  fs::path dir_;
};

TEST_F(NabTest, WritesOneScoredRowPerInputRow) {
  std::string csv = "timestamp,value\n";
  for (int i = 0; i < 300; ++i) {
    char line[64];
    std::snprintf(line, sizeof line, "2014-04-%02d %02d:%02d:00,%d\n", 1 + i / 288,
                  (i % 288) / 12, (i % 12) * 5, i == 250 ? 1000 : 10 + i % 2);
    csv += line;
  }
  Write("cat/a.csv", csv);
  ASSERT_TRUE(Run().ok());
  const std::string out = Read(dir_ / "out" / "cat" / "a.csv");
  std::istringstream lines(out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "timestamp,value,anomaly_score");
  int rows = 0;
  double spike_score = 0;
  while (std::getline(lines, line)) {
    if (rows == 0) {
      EXPECT_EQ(line.substr(0, 23), "2014-04-01 00:00:00,10,");
    }
    if (rows == 250) spike_score = std::stod(line.substr(line.rfind(',') + 1));
    ++rows;
  }
  EXPECT_EQ(rows, 300);
  EXPECT_EQ(spike_score, 1.0);
  for (const char* d : {"robust_z", "ewma", "cusum", "seasonal"}) EXPECT_TRUE(Run(d).ok()) << d;
  // CRLF input: the same rows, no carriage return copied into the output.
  Write("cat/a.csv", "timestamp,value\r\n2014-04-01 00:00:00,1.5\r\n");
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(Read(dir_ / "out" / "cat" / "a.csv"),
            "timestamp,value,anomaly_score\n2014-04-01 00:00:00,1.5,0.000000\n");
}

TEST_F(NabTest, BadInputNamesFileAndLine) {
  Write("cat/a.csv", "timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,x\n");
  Status s = Run();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("a.csv:3: bad value"), std::string_view::npos) << s.ToString();
  Write("cat/a.csv", "timestamp,value\n2014-04-01T00:00:00,1\n");
  EXPECT_NE(Run().message().find("a.csv:2: bad timestamp"), std::string_view::npos);
  Write("cat/a.csv", "time,value\n");
  EXPECT_NE(Run().message().find("a.csv:1: expected the header"), std::string_view::npos);
  Write("cat/a.csv", "timestamp,value\n2014-04-01 00:00:00,nan\n");
  EXPECT_NE(Run().message().find("a.csv:2: value is NaN"), std::string_view::npos);
  EXPECT_EQ(Run("magic").code(), StatusCode::kNotFound);
  fs::remove(dir_ / "data" / "cat" / "a.csv");
  EXPECT_EQ(Run().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace vigil::cli
