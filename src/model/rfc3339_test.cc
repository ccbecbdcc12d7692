#include "model/rfc3339.h"

#include <gtest/gtest.h>

namespace vigil::model {
namespace {

TEST(Rfc3339Test, ParsesGoLayouts) {
  int64_t ns = 0;
  ASSERT_TRUE(ParseRfc3339("2023-11-14T22:13:20Z", &ns));
  EXPECT_EQ(ns, 1700000000'000000000);
  ASSERT_TRUE(ParseRfc3339("2023-11-14T22:13:20.12Z", &ns));
  EXPECT_EQ(ns, 1700000000'120000000);
  ASSERT_TRUE(ParseRfc3339("2023-11-14T23:13:20.123456789123+01:00", &ns));
  EXPECT_EQ(ns, 1700000000'123456789);
  ASSERT_TRUE(ParseRfc3339("1969-12-31T23:59:59.999999999Z", &ns));
  EXPECT_EQ(ns, -1);
  int64_t s = 0;
  int32_t nanos = -1;
  ASSERT_TRUE(ParseRfc3339("0001-01-01T00:00:00Z", &s, &nanos));
  EXPECT_EQ(s, kGoZeroTimeUnixS);
  EXPECT_EQ(nanos, 0);
  EXPECT_FALSE(ParseRfc3339("0001-01-01T00:00:00Z", &ns));  // beyond int64 ns
}

TEST(Rfc3339Test, RejectsWhatGoRejects) {
  int64_t ns = 0;
  for (const char* bad : {"", "2023-11-14", "2023-11-14T22:13:20", "2023-11-14 22:13:20Z",
                          "2023-11-14T22:13:20.Z", "2023-02-30T00:00:00Z", "2023-11-14T24:00:00Z",
                          "2023-11-14T22:13:20+0100", "2023-11-14T22:13:20Zx",
                          "2023-11-14t22:13:20z", "2023-11-14T22:13:20+24:00"}) {
    EXPECT_FALSE(ParseRfc3339(bad, &ns)) << bad;
  }
}

TEST(Rfc3339Test, Formats) {
  EXPECT_EQ(FormatRfc3339(1700000000'000000000, Rfc3339Fraction::kNano), "2023-11-14T22:13:20Z");
  EXPECT_EQ(FormatRfc3339(1700000000'120000000, Rfc3339Fraction::kNano),
            "2023-11-14T22:13:20.12Z");
  EXPECT_EQ(FormatRfc3339(-1, Rfc3339Fraction::kNano), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatRfc3339(1700000000'120999999, Rfc3339Fraction::kMillis),
            "2023-11-14T22:13:20.120Z");
  EXPECT_EQ(FormatRfc3339(1700000000'000000000, Rfc3339Fraction::kMillis),
            "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(FormatRfc3339(kGoZeroTimeUnixS, 0, Rfc3339Fraction::kMillis),
            "0001-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(951782400, 0, Rfc3339Fraction::kNano), "2000-02-29T00:00:00Z");
}

}  // namespace
}  // namespace vigil::model
