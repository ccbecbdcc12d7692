#include "base/strings.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace vigil {
namespace {

// Go's strconv.FormatFloat(v, fmt, -1, 64) writes the shortest digits that
// round-trip (the digits Python's repr() shows), padded with zeros in 'f'.
TEST(FormatFloatShortestTest, FixedLikeGo) {
  EXPECT_EQ(FormatFloatShortest(0), "0");
  EXPECT_EQ(FormatFloatShortest(-0.0), "-0");
  EXPECT_EQ(FormatFloatShortest(1), "1");
  EXPECT_EQ(FormatFloatShortest(0.1), "0.1");
  EXPECT_EQ(FormatFloatShortest(-2.5), "-2.5");
  EXPECT_EQ(FormatFloatShortest(123456.789), "123456.789");
  EXPECT_EQ(FormatFloatShortest(1e-7), "0.0000001");
  EXPECT_EQ(FormatFloatShortest(1.5e-10), "0.00000000015");
  // Shortest digits, then zeros -- not the exact binary value.
  EXPECT_EQ(FormatFloatShortest(1.663176908e21), "1663176908000000000000");
  EXPECT_EQ(FormatFloatShortest(1e23), "100000000000000000000000");
  EXPECT_EQ(FormatFloatShortest(1.2345678901234567e17), "123456789012345660");
  EXPECT_EQ(FormatFloatShortest(std::nan("")), "NaN");
  EXPECT_EQ(FormatFloatShortest(INFINITY), "+Inf");
  EXPECT_EQ(FormatFloatShortest(-INFINITY), "-Inf");
  EXPECT_EQ(FormatFloatShortest(std::numeric_limits<double>::denorm_min()).size(), 326u);
}

TEST(FormatFloatShortestTest, ExponentLikeGo) {
  EXPECT_EQ(FormatFloatShortest(1.703677239e24, 'e'), "1.703677239e+24");
  EXPECT_EQ(FormatFloatShortest(1e-7, 'e'), "1e-07");
  EXPECT_EQ(FormatFloatShortest(-1e21, 'e'), "-1e+21");
  EXPECT_EQ(FormatFloatShortest(1.5e300, 'e'), "1.5e+300");
}

}  // namespace
}  // namespace vigil
