#include "model/duration.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace vigil::model {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kDay = 24 * kHour;

TEST(DurationTest, ParsesPrometheusSyntax) {
  const struct {
    std::string in;
    int64_t ms;
  } cases[] = {
      {"0", 0},
      {"0s", 0},
      {"15s", 15 * kSec},
      {"100ms", 100},
      {"1h30m", 90 * kMin},
      {"5m", 5 * kMin},
      {"2d", 2 * kDay},
      {"1w", 7 * kDay},
      {"1y", 365 * kDay},
      {"1y2w3d4h5m6s7ms",
       365 * kDay + 14 * kDay + 3 * kDay + 4 * kHour + 5 * kMin + 6 * kSec + 7},
      {"90m", 90 * kMin},
      {"1m1ms", kMin + 1},
  };
  for (const auto& c : cases) {
    Result<milliseconds> d = ParseDuration(c.in);
    ASSERT_TRUE(d.ok()) << c.in << ": " << d.status().ToString();
    EXPECT_EQ(d->count(), c.ms) << c.in;
  }
}

TEST(DurationTest, RefusesOtherSyntax) {
  for (const char* in : {"", "1", "s", "1.5s", "1m1h", "1s1s", "-1s", "1 s",
                         "1S", "1h 30m", "1msx", "10000000000y"}) {
    Result<milliseconds> d = ParseDuration(in);
    EXPECT_FALSE(d.ok()) << in;
  }
  EXPECT_EQ(ParseDuration("1m1h").status().message(),
            "not a valid duration string: \"1m1h\"");
  EXPECT_EQ(ParseDuration("").status().message(), "empty duration string");
}

TEST(DurationTest, FormatsLikePrometheus) {
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(15 * kSec)), "15s");
  EXPECT_EQ(FormatDuration(milliseconds(90 * kMin)), "1h30m");
  EXPECT_EQ(FormatDuration(milliseconds(90 * kDay)), "90d");
  EXPECT_EQ(FormatDuration(milliseconds(14 * kDay)), "2w");
  EXPECT_EQ(FormatDuration(milliseconds(365 * kDay)), "1y");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1s500ms");
  for (const char* s : {"1h30m", "15s", "2w", "1y", "100ms", "3d4h"}) {
    EXPECT_EQ(FormatDuration(*ParseDuration(s)), s);
  }
}

TEST(DurationTest, ParsesByteSizes) {
  EXPECT_EQ(*ParseByteSize("0"), 0u);
  EXPECT_EQ(*ParseByteSize("512"), 512u);
  EXPECT_EQ(*ParseByteSize("10B"), 10u);
  EXPECT_EQ(*ParseByteSize("1KB"), 1024u);
  EXPECT_EQ(*ParseByteSize("1KiB"), 1024u);
  EXPECT_EQ(*ParseByteSize("512MB"), 512u << 20);
  EXPECT_EQ(*ParseByteSize("2GB"), 2ull << 30);
  EXPECT_EQ(*ParseByteSize("1TB"), 1ull << 40);
  for (const char* in :
       {"", "MB", "1.5GB", "1 GB", "1mb", "1XB", "-1B", "99999999999EB"}) {
    EXPECT_FALSE(ParseByteSize(in).ok()) << in;
  }
}

}  // namespace
}  // namespace vigil::model
