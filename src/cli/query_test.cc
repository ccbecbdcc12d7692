#include "cli/query.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::cli {
namespace {

TEST(QueryFormatTest, VectorMatrixScalar) {
  std::string text, error;
  ASSERT_TRUE(FormatQueryResult(
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1700000000.5,"1"]}]}})",
      &text, &error)) << error;
  EXPECT_EQ(text, "up{job=\"a\"} => 1 @[1700000000.5]\n");
  ASSERT_TRUE(FormatQueryResult(
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a"},"values":[[1,"1"],[2,"NaN"]]}]}})",
      &text, &error)) << error;
  EXPECT_EQ(text, "{job=\"a\"} =>\n  1 @[1]\n  NaN @[2]\n");
  ASSERT_TRUE(FormatQueryResult(
      R"({"status":"success","data":{"resultType":"scalar","result":[3,"42"]}})", &text, &error));
  EXPECT_EQ(text, "42 @[3]\n");
}

TEST(QueryFormatTest, ErrorsCarryTheServersMessage) {
  std::string text, error;
  EXPECT_FALSE(FormatQueryResult(
      R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unclosed left parenthesis"})",
      &text, &error));
  EXPECT_EQ(error, "bad_data: 1:5: parse error: unclosed left parenthesis");
  EXPECT_FALSE(FormatQueryResult("<html>", &text, &error));
  EXPECT_NE(error.find("not JSON"), std::string::npos);
  EXPECT_FALSE(FormatQueryResult(R"({"status":"success","data":{"resultType":"vector"}})", &text,
                                 &error));
  EXPECT_NE(error.find("malformed"), std::string::npos);
}

TEST(QueryCommandTest, UsageErrors) {
  std::FILE* null = std::fopen("/dev/null", "w");
  ASSERT_NE(null, nullptr);
  EXPECT_EQ(RunQueryCommand({}, null, null), 2);
  EXPECT_EQ(RunQueryCommand({"--bogus", "up"}, null, null), 2);
  EXPECT_EQ(RunQueryCommand({"up", "down"}, null, null), 2);
  EXPECT_EQ(RunQueryCommand({"--start", "1", "up"}, null, null), 2);
  EXPECT_EQ(RunQueryCommand({"--format", "xml", "up"}, null, null), 2);
  // Nothing listens on port 1: a connection error, exit 1.
  EXPECT_EQ(RunQueryCommand({"--url", "http://127.0.0.1:1", "--timeout", "2s", "up"}, null, null), 1);
  std::fclose(null);
}

}  // namespace
}  // namespace vigil::cli
