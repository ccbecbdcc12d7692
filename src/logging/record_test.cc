#include "logging/record.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <limits>
#include <random>
#include <string>

#include "logging/log_system.h"

namespace vigil::logging::internal {
namespace {

std::string Json(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

TEST(JsonStringTest, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(Json("plain"), "\"plain\"");
  EXPECT_EQ(Json("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Json("l1\nl2\r\t\b\f"), "\"l1\\nl2\\r\\t\\b\\f\"");
  EXPECT_EQ(Json(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\x7f\"");
  EXPECT_EQ(Json(std::string("nul\0x", 5)), "\"nul\\u0000x\"");
}

TEST(JsonStringTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(Json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  // A lone continuation byte, a truncated sequence, an overlong '/', a UTF-16
  // surrogate and a code point above U+10FFFF each become U+FFFD per byte.
  EXPECT_EQ(Json("a\x80z"), "\"a\xef\xbf\xbdz\"");
  EXPECT_EQ(Json("a\xe2\x82"), "\"a\xef\xbf\xbd\xef\xbf\xbd\"");
  EXPECT_EQ(Json("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
  EXPECT_EQ(Json("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
  EXPECT_EQ(Json("\xf4\x90\x80\x80"),
            "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

TEST(JsonStringTest, AnyBytesGiveValidJsonThatRoundTripsValidText) {
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 256);
    const std::string j = Json(s);
    nlohmann::json parsed;
    ASSERT_NO_THROW(parsed = nlohmann::json::parse(j)) << j;
    ASSERT_TRUE(parsed.is_string());
    // Valid UTF-8 input reads back unchanged.
    bool valid = true;
    try {
      (void)nlohmann::json(s).dump();
    } catch (const nlohmann::json::exception&) {
      valid = false;
    }
    if (valid) {
      EXPECT_EQ(parsed.get<std::string>(), s);
    }
  }
}

TEST(TimestampTest, Rfc3339WithMicroseconds) {
  std::string out;
  AppendTimestamp(0, &out);
  EXPECT_EQ(out, "1970-01-01T00:00:00.000000Z");
  out.clear();
  // 2024-02-29T23:59:59.123456789Z
  AppendTimestamp(1709251199123456789LL, &out);
  EXPECT_EQ(out, "2024-02-29T23:59:59.123456Z");
  out.clear();
  AppendTimestamp(-1000, &out);  // before the epoch
  EXPECT_EQ(out, "1969-12-31T23:59:59.999999Z");
}

TEST(RecordTest, FormatsEcsLineWithTypedFields) {
  LogSystem system(LogSystem::Options{.async = false});
  Logger& logger = system.GetLogger("inference.api");
  const Fields fields = {{"model", "yolo"},   {"latency_ms", 3.25}, {"batch", 8},
                         {"bytes", 12u},      {"ok", true},         {"note", nullptr},
                         {"nan", std::numeric_limits<double>::quiet_NaN()}, {"neg", -5}};
  const std::string context_key = "trace.id";
  std::string context;
  context.resize(EncodedFieldSize(Field(context_key, "abc")));
  EncodeField(Field(context_key, "abc"), context.data());
  const size_t size = RecordSize("served", context.size(), fields);
  std::string rec(size, '\0');
  EncodeRecord(rec.data(), size, 1700000000000000000LL, &logger, Level::kWarn, "served", context,
               1, fields);
  std::string line;
  FormatRecord(rec.data(), "detector", &line);
  EXPECT_EQ(line,
            "{\"@timestamp\":\"2023-11-14T22:13:20.000000Z\",\"log.level\":\"warn\","
            "\"message\":\"served\",\"ecs.version\":\"8.11.0\",\"service.name\":\"detector\","
            "\"log.logger\":\"inference.api\",\"trace.id\":\"abc\",\"model\":\"yolo\","
            "\"latency_ms\":3.25,\"batch\":8,\"bytes\":12,\"ok\":true,\"note\":null,"
            "\"nan\":\"NaN\",\"neg\":-5}");
  EXPECT_TRUE(nlohmann::json::accept(line)) << line;
}

TEST(RecordTest, LaterFieldWinsAndBuiltinKeysAreRenamed) {
  LogSystem system(LogSystem::Options{.async = false});
  Logger& logger = system.GetLogger("x");
  const Fields fields = {{"k", 1}, {"message", "mine"}, {"k", 2}};
  const size_t size = RecordSize("m", 0, fields);
  std::string rec(size, '\0');
  EncodeRecord(rec.data(), size, 0, &logger, Level::kInfo, "m", {}, 0, fields);
  std::string line;
  FormatRecord(rec.data(), "s", &line);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["message"], "m");
  EXPECT_EQ(j["fields.message"], "mine");
  EXPECT_EQ(j["k"], 2);
  EXPECT_EQ(line.find("\"k\":1"), std::string::npos);
}

}  // namespace
}  // namespace vigil::logging::internal
