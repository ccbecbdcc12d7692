#include "alertmanager/notify_util.h"

#include <gtest/gtest.h>

#include "alertmanager/notify_test_util.h"

namespace vigil::alertmanager::internal {
namespace {

using testing::T;

std::string Json(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

TEST(NotifyUtilTest, JsonStringsAsGoEncodesThem) {
  struct Case {
    std::string_view in, want;
  };
  for (const Case& c : std::vector<Case>{
           {"", R"("")"},
           {"plain", R"("plain")"},
           {"q\"b\\", R"("q\"b\\")"},
           {"\n\r\t", R"("\n\r\t")"},
           {std::string_view("\x00\x01\x1f\b\f", 5), R"("\u0000\u0001\u001f\u0008\u000c")"},
           {"<>&", R"("\u003c\u003e\u0026")"},
           {"\x7f", "\"\x7f\""},
           {"\xE2\x80\xA8\xE2\x80\xA9", R"("\u2028\u2029")"},
           {"\xC3\xA9\xF0\x9F\x98\x80", "\"\xC3\xA9\xF0\x9F\x98\x80\""},
           {"\xff\xC3", R"("\ufffd\ufffd")"},
           {"\xED\xA0\x80", R"("\ufffd\ufffd\ufffd")"},  // a surrogate
           {"\xC0\xAF", R"("\ufffd\ufffd")"},            // overlong
       }) {
    EXPECT_EQ(Json(c.in), c.want) << c.in;
  }
}

TEST(NotifyUtilTest, Rfc3339Nano) {
  EXPECT_EQ(FormatRfc3339Nano(TimePoint{}), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano(T(1704164645, 123456789)), "2024-01-02T03:04:05.123456789Z");
  EXPECT_EQ(FormatRfc3339Nano(T(1704164645, 120000000)), "2024-01-02T03:04:05.12Z");
  EXPECT_EQ(FormatRfc3339Nano(T(1704164645)), "2024-01-02T03:04:05Z");
  EXPECT_EQ(FormatRfc3339Nano(T(951782400)), "2000-02-29T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano(T(-1, 999999999)), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatRfc1123Z(T(1704164700)), "Tue, 02 Jan 2024 03:05:00 +0000");
  EXPECT_EQ(FormatRfc1123Z(T(0, 1)), "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(NotifyUtilTest, Sha256) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(NotifyUtilTest, QuoteMetaAndTruncate) {
  EXPECT_EQ(QuoteMeta(R"(a.b+c*d?e(f)g|h[i]j{k}l^m$n\o-p)"),
            R"(a\.b\+c\*d\?e\(f\)g\|h\[i\]j\{k\}l\^m\$n\\o-p)");
  bool truncated = true;
  EXPECT_EQ(TruncateRunes("abc", 3, &truncated), "abc");
  EXPECT_FALSE(truncated);
  EXPECT_EQ(TruncateRunes("abcdef", 3, &truncated), "abc");
  EXPECT_TRUE(truncated);
  EXPECT_EQ(TruncateRunes("abcdef", 5), "abcd\xE2\x80\xA6");
  EXPECT_EQ(TruncateRunes("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 4),
            "\xC3\xA9\xC3\xA9\xC3\xA9\xE2\x80\xA6");
  EXPECT_EQ(TruncateRunes("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 4),
            "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9");
  EXPECT_EQ(TruncateRunes("ab", 0), "");
}

TEST(NotifyUtilTest, ParseHttpUrl) {
  Result<HttpUrl> u = ParseHttpUrl("https://u%40x:p%3Aw@hooks.example:8443/a/b?c=d#frag", "t");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->origin, "https://hooks.example:8443");
  EXPECT_EQ(u->path_and_query, "/a/b?c=d");
  EXPECT_EQ(u->username, "u@x");
  EXPECT_EQ(u->password, "p:w");
  u = ParseHttpUrl("HTTP://[::1]:9", "t");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->origin, "http://[::1]:9");
  EXPECT_EQ(u->path_and_query, "/");
  EXPECT_EQ(ParseHttpUrl("http://h?x=1", "t")->path_and_query, "/?x=1");
  for (std::string_view bad :
       {"", "example.com/x", "ftp://h/x", "http:///x", "http://h/a b", "http://u:%zz@h/"}) {
    Result<HttpUrl> r = ParseHttpUrl(bad, "webhook");
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().message().rfind("webhook: invalid URL", 0), 0u) << r.status().message();
  }
}

TEST(NotifyUtilTest, CheckHttpStatus) {
  EXPECT_TRUE(CheckHttpStatus("x", 200, "").ok());
  EXPECT_TRUE(CheckHttpStatus("x", 299, "").ok());
  EXPECT_EQ(CheckHttpStatus("x", 500, "").code(), StatusCode::kUnavailable);
  EXPECT_EQ(CheckHttpStatus("x", 429, "").code(), StatusCode::kUnavailable);
  EXPECT_EQ(CheckHttpStatus("x", 403, "", {403}).code(), StatusCode::kUnavailable);
  EXPECT_EQ(CheckHttpStatus("x", 403, "").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckHttpStatus("x", 422, "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckHttpStatus("x", 404, "gone").message(), "x: unexpected status code 404: gone");
  EXPECT_EQ(CheckHttpStatus("x", 404, "").message(), "x: unexpected status code 404");
  EXPECT_EQ(Snippet(std::string(300, 'a'), 10), "aaaaaaaaaa...");
  EXPECT_EQ(Snippet("a\nb\xff"), "a b\xEF\xBF\xBD");
}

}  // namespace
}  // namespace vigil::alertmanager::internal
