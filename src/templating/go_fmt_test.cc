#include "templating/go_fmt.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "templating/go_time.h"

namespace vigil::templating::internal {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(GoFmtTest, FormatFloatMatchesStrconv) {
  const struct {
    double v;
    char fmt;
    int prec;
    std::string want;
  } cases[] = {
      {0, 'g', -1, "0"},
      {-0.0, 'g', -1, "-0"},
      {1, 'g', -1, "1"},
      {3, 'g', -1, "3"},
      {0.5, 'g', -1, "0.5"},
      {100, 'g', -1, "100"},
      {123456, 'g', -1, "123456"},
      {1e6, 'g', -1, "1e+06"},
      {1234567, 'g', -1, "1.234567e+06"},
      {0.0001, 'g', -1, "0.0001"},
      {0.00001, 'g', -1, "1e-05"},
      {-2.5, 'g', -1, "-2.5"},
      {1e21, 'g', -1, "1e+21"},
      {1.5e300, 'g', -1, "1.5e+300"},
      {0.1 + 0.2, 'g', -1, "0.30000000000000004"},
      {std::nan(""), 'g', -1, "NaN"},
      {kInf, 'g', -1, "+Inf"},
      {-kInf, 'g', 4, "-Inf"},
      {1234567, 'g', 4, "1.235e+06"},
      {0.12 * 1000, 'g', 4, "120"},
      {1.2345, 'g', 4, "1.234"},  // 1.23449999... in binary
      {12.345, 'g', 4, "12.35"},  // 12.34500000...06 in binary
      {0.0001, 'g', 4, "0.0001"},
      {0.00001234, 'g', 4, "1.234e-05"},
      {100000, 'g', 4, "1e+05"},
      {0, 'g', 4, "0"},
      {3.14159, 'f', 2, "3.14"},
      {2.5, 'f', 0, "2"},  // ties to even
      {-0.001, 'f', 2, "-0.00"},
      {1e20, 'f', 1, "100000000000000000000.0"},
      {1234.5678, 'e', 6, "1.234568e+03"},
      {0, 'e', 2, "0.00e+00"},
      {1e-300, 'e', 1, "1.0e-300"},
      {1234.5678, 'E', 2, "1.23E+03"},
      {0.5, 'e', -1, "5e-01"},
      {1234.5, 'f', -1, "1234.5"},
      {1e-7, 'f', -1, "0.0000001"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatFloat(c.v, c.fmt, c.prec), c.want)
        << c.v << " " << c.fmt << " " << c.prec;
  }
}

TEST(GoFmtTest, QuoteMatchesStrconv) {
  EXPECT_EQ(Quote("abc"), "\"abc\"");
  EXPECT_EQ(Quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quote("\n\t\x01\x7f"), "\"\\n\\t\\x01\\x7f\"");
  EXPECT_EQ(Quote("h\xC3\xA9llo"), "\"h\xC3\xA9llo\"");
  EXPECT_EQ(Quote("h\xC3\xA9llo", /*ascii_only=*/true), "\"h\\u00e9llo\"");
  EXPECT_EQ(Quote("\xff"), "\"\\xff\"");
  EXPECT_EQ(Quote("\xC2\xA0"), "\"\\u00a0\"");  // NBSP is not printable
  EXPECT_EQ(QuoteRune('A'), "'A'");
  EXPECT_EQ(QuoteRune('\''), "'\\''");
  EXPECT_TRUE(CanBackquote("a b\t"));
  EXPECT_FALSE(CanBackquote("a`b"));
  EXPECT_FALSE(CanBackquote("a\nb"));
}

TEST(GoFmtTest, UnquoteHandlesGoEscapes) {
  EXPECT_EQ(Unquote("\"a\\tb\\u00e9\\x41\\101\""),
            "a\tb\xC3\xA9"
            "AA");
  EXPECT_EQ(Unquote("`raw\\n`"), "raw\\n");
  EXPECT_EQ(Unquote("'x'"), "x");
  EXPECT_FALSE(Unquote("\"bad\\q\"").has_value());
  EXPECT_FALSE(Unquote("\"a\"b\"").has_value());
  EXPECT_FALSE(Unquote("\"\\'\"").has_value());
}

TEST(GoFmtTest, ParseFloatMatchesStrconv) {
  const struct {
    std::string in;
    double want;
  } good[] = {
      {"0", 0},         {"1.5", 1.5},         {"-2", -2},
      {"+3", 3},        {".5", 0.5},          {"5.", 5},
      {"1e3", 1000},    {"1E-2", 0.01},       {"1_000", 1000},
      {"0x1p-2", 0.25}, {"0x1.8p1", 3},       {"Inf", kInf},
      {"+inf", kInf},   {"-Infinity", -kInf}, {"1e-400", 0},
  };
  for (const auto& c : good) {
    Result<double> r = ParseFloat(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status().ToString();
    EXPECT_EQ(*r, c.want) << c.in;
  }
  EXPECT_TRUE(std::isnan(*ParseFloat("NaN")));
  for (const char* bad : {"", "one", "1e", "0x1", "1__0", "_1", "+nan", " 1",
                          "1 ", "--1", "0x", "1.5x", "e5"}) {
    Result<double> r = ParseFloat(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_EQ(ParseFloat("one").status().message(),
            "strconv.ParseFloat: parsing \"one\": invalid syntax");
  EXPECT_EQ(ParseFloat("1e400").status().message(),
            "strconv.ParseFloat: parsing \"1e400\": value out of range");
}

TEST(GoFmtTest, ParseIntBaseZero) {
  EXPECT_EQ(ParseInt0("42"), 42);
  EXPECT_EQ(ParseInt0("-42"), -42);
  EXPECT_EQ(ParseInt0("0x1F"), 31);
  EXPECT_EQ(ParseInt0("0o17"), 15);
  EXPECT_EQ(ParseInt0("017"), 15);
  EXPECT_EQ(ParseInt0("0b101"), 5);
  EXPECT_EQ(ParseInt0("1_000"), 1000);
  EXPECT_EQ(ParseInt0("-9223372036854775808"),
            std::numeric_limits<int64_t>::min());
  EXPECT_FALSE(ParseInt0("9223372036854775808").has_value());
  EXPECT_EQ(ParseUint0("18446744073709551615"),
            std::numeric_limits<uint64_t>::max());
  EXPECT_FALSE(ParseUint0("-1").has_value());
  EXPECT_FALSE(ParseInt0("08").has_value());
  EXPECT_FALSE(ParseInt0("1__0").has_value());
  EXPECT_FALSE(ParseInt0("1.5").has_value());
}

std::string Printf(std::string_view format, std::vector<Value> args) {
  std::string out;
  Sprintf(format, args, SIZE_MAX, &out);
  return out;
}

TEST(GoFmtTest, SprintfVerbsAndFlags) {
  const Value i42 = Value::Int(42);
  const struct {
    std::string format;
    std::vector<Value> args;
    std::string want;
  } cases[] = {
      {"%d", {i42}, "42"},
      {"%5d|%-5d|%05d", {i42, i42, i42}, "   42|42   |00042"},
      {"%+d % d", {i42, i42}, "+42  42"},
      {"%x %X %o %b %O",
       {Value::Int(255), Value::Int(255), Value::Int(8), Value::Int(5),
        Value::Int(8)},
       "ff FF 10 101 0o10"},
      {"%#x %#o", {Value::Int(255), Value::Int(8)}, "0xff 010"},
      {"%x", {Value::Int(-255)}, "-ff"},
      {"%.3d|%6.3d", {Value::Int(7), Value::Int(-7)}, "007|  -007"},
      {"%c%c", {Value::Int(72), Value::Int(0x00E9)}, "H\xC3\xA9"},
      {"%q", {Value::Int('A')}, "'A'"},
      {"%U %#U", {Value::Int(0x1F600), Value::Int('x')}, "U+1F600 U+0078 'x'"},
      {"%.2f", {Value::Float(3.14159)}, "3.14"},
      {"%5.1f|%-8.2f|",
       {Value::Float(3.14159), Value::Float(2.5)},
       "  3.1|2.50    |"},
      {"%08.3f", {Value::Float(-3.14159)}, "-003.142"},
      {"%+.1e", {Value::Float(12345.0)}, "+1.2e+04"},
      {"%e %E",
       {Value::Float(1234.5678), Value::Float(0.000123)},
       "1.234568e+03 1.230000E-04"},
      {"%g %g %G",
       {Value::Float(1234.5678), Value::Float(0.00001234), Value::Float(1e-10)},
       "1234.5678 1.234e-05 1E-10"},
      {"%.3g %.2v", {Value::Float(3.14159), Value::Float(3.14159)}, "3.14 3.1"},
      {"%v %v %v",
       {Value::Float(1e6), Value::Float(0.5), Value::Float(3)},
       "1e+06 0.5 3"},
      {"%f %v", {Value::Float(kInf), Value::Float(std::nan(""))}, "+Inf NaN"},
      {"%05.1f|%+v",
       {Value::Float(-kInf), Value::Float(std::nan(""))},
       " -Inf|NaN"},  // %+v is a flagless format
      {"%6.2f%%", {Value::Float(12.3456)}, " 12.35%"},
      {"%s|%v|%10s|%-10s|%.2s",
       {Value::String("a"), Value::String("b"), Value::String("abc"),
        Value::String("abc"), Value::String("abcdef")},
       "a|b|       abc|abc       |ab"},
      {"%q %+q %#q",
       {Value::String("a\"b"), Value::String("\xC3\xA9"), Value::String("x")},
       "\"a\\\"b\" \"\\u00e9\" `x`"},
      {"%x|% x|%#x|%X",
       {Value::String("hi"), Value::String("hi"), Value::String("hi"),
        Value::String("\xff")},
       "6869|68 69|0x6869|FF"},
      {"%t %v", {Value::Bool(true), Value::Bool(false)}, "true false"},
      {"%T %T %T %T %T",
       {Value::Int(1), Value::Float(1), Value::String(""), Value::Bool(true),
        Value()},
       "int float64 string bool <nil>"},
      {"100%%", {}, "100%"},
      {"%v",
       {Value::List({Value::Int(1), Value::String("a"), Value()})},
       "[1 a <nil>]"},
      {"%d", {Value::List({Value::Int(1), Value::Int(2)})}, "[1 2]"},
      {"%q",
       {Value::List({Value::String("a"), Value::String("b")})},
       "[\"a\" \"b\"]"},
      {"%v", {Value::StringMap({{"b", "2"}, {"a", "1"}})}, "map[a:1 b:2]"},
      {"%v",
       {Value::Map({{"x", Value::Float(0.5)}, {"a", Value()}})},
       "map[a:<nil> x:0.5]"},
      {"%[2]d %[1]d", {Value::Int(1), Value::Int(2)}, "2 1"},
      {"%*d|%-*d|", {Value::Int(5), i42, Value::Int(4), i42}, "   42|42  |"},
      {"%.*f", {Value::Int(2), Value::Float(3.14159)}, "3.14"},
      // Errors, as fmt writes them.
      {"%d", {Value::String("x")}, "%!d(string=x)"},
      {"%5d", {Value::String("x")}, "%!d(string=    x)"},
      {"%s", {Value::Int(5)}, "%!s(int=5)"},
      {"%d", {Value::Float(1.5)}, "%!d(float64=1.5)"},
      {"%s", {Value::Bool(true)}, "%!s(bool=true)"},
      {"%z", {Value::Int(1)}, "%!z(int=1)"},
      {"%s", {Value()}, "%!s(<nil>)"},
      {"%v", {Value()}, "<nil>"},
      {"%d", {}, "%!d(MISSING)"},
      {"%d %s", {Value::Int(1)}, "1 %!s(MISSING)"},
      {"%d", {Value::Int(1), Value::Int(2)}, "1%!(EXTRA int=2)"},
      {"x", {Value::String("a"), Value()}, "x%!(EXTRA string=a, <nil>)"},
      {"%", {}, "%!(NOVERB)"},
      {"%[3]d", {Value::Int(1)}, "%!d(BADINDEX)"},
      {"%*d", {Value::String("x"), Value::Int(1)}, "%!(BADWIDTH)1"},
      {"%.*d", {Value::String("x"), Value::Int(1)}, "%!(BADPREC)1"},
      {"%99999999d",
       {Value::Int(1)},  // width past 1e6
       "%!(NOVERB)%!(EXTRA int=1)"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Printf(c.format, c.args), c.want) << c.format;
  }
}

TEST(GoFmtTest, SprintAndSprintlnSpacing) {
  std::string out;
  const std::vector<Value> args = {Value::Int(1), Value::Int(2),
                                   Value::String("a"), Value::String("b"),
                                   Value::Int(3)};
  Sprint(args, SIZE_MAX, &out);
  EXPECT_EQ(out, "1 2ab3");
  out.clear();
  Sprintln(args, SIZE_MAX, &out);
  EXPECT_EQ(out, "1 2 a b 3\n");
}

TEST(GoFmtTest, SprintStopsAtTheLimit) {
  std::vector<Value> many(1000, Value::String(std::string(100, 'x')));
  const Value list = Value::List(many);
  std::vector<Value> nested(1000, list);
  std::string out;
  const Value arg = Value::List(nested);
  Sprint(std::span<const Value>(&arg, 1), 10000, &out);
  EXPECT_GT(out.size(), 10000u);
  EXPECT_LT(out.size(), 20000u);
}

TEST(GoFmtTest, CaseMapping) {
  EXPECT_EQ(ToUpper("aa bb CC"), "AA BB CC");
  EXPECT_EQ(ToLower("aA bB CC"), "aa bb cc");
  EXPECT_EQ(ToUpper("h\xC3\xA9llo \xCE\xB1\xD0\xB6"),
            "H\xC3\x89LLO \xCE\x91\xD0\x96");
  EXPECT_EQ(ToLower("\xC3\x89T\xC3\x89"), "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(Title("aa bb CC"), "Aa Bb CC");
  EXPECT_EQ(Title("hello_world foo-bar x.y"), "Hello_world Foo-Bar X.Y");
  EXPECT_EQ(Title("\xC3\xA9lan vital"), "\xC3\x89lan Vital");
  EXPECT_EQ(ToUpper("a\xffz"), "A\xEF\xBF\xBDZ");  // invalid UTF-8 -> U+FFFD
}

TEST(GoTimeTest, FormatsReferenceLayouts) {
  const int64_t t = 1435065584128000000;  // 2015-06-23 13:19:44.128 UTC
  EXPECT_EQ(TimeString(t), "2015-06-23 13:19:44.128 +0000 UTC");
  EXPECT_EQ(TimeString(0), "1970-01-01 00:00:00 +0000 UTC");
  EXPECT_EQ(TimeString(-1000000000), "1969-12-31 23:59:59 +0000 UTC");
  const struct {
    std::string layout;
    std::string want;
  } cases[] = {
      {"2006", "2015"},
      {"Mon Jan _2 15:04:05 MST 2006", "Tue Jun 23 13:19:44 UTC 2015"},
      {"Monday, 02-January-06 3:04PM", "Tuesday, 23-June-15 1:19PM"},
      {"2006-01-02T15:04:05Z07:00", "2015-06-23T13:19:44Z"},
      {"2006-01-02T15:04:05.000-07:00", "2015-06-23T13:19:44.128+00:00"},
      {"15:04:05.999999", "13:19:44.128"},
      {"15:04:05.000000", "13:19:44.128000"},
      {"05,00 pm", "44,12 pm"},
      {"002 __2 1/2", "174 174 6/23"},
      {"Jan January Janx", "Jun June Janx"},
      {"-0700 -07 -070000", "+0000 +00 +000000"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatTime(t, c.layout), c.want) << c.layout;
  }
  EXPECT_EQ(FormatTime(1000000000, ".999"), "");
}

}  // namespace
}  // namespace vigil::templating::internal
