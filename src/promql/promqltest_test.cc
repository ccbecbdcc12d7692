#include "promql/promqltest.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "promql/parser.h"
#include "storage/memory_storage.h"
#include "storage/series_iterator.h"

namespace vigil::promql::promqltest {
namespace {

using model::Labels;

constexpr double kInf = std::numeric_limits<double>::infinity();

Labels L(
    std::initializer_list<std::pair<std::string_view, std::string_view>> p) {
  return Labels::FromPairs(p);
}

std::vector<double> Values(const SeriesDesc& d) {
  std::vector<double> out;
  for (const auto& v : d.values) out.push_back(v.omitted ? -999 : v.value);
  return out;
}

SeriesDesc MustDesc(std::string_view line) {
  auto d = ParseSeriesDesc(line);
  EXPECT_TRUE(d.ok()) << line << ": " << d.status().ToString();
  return d.ok() ? std::move(d).value() : SeriesDesc();
}

std::string DescError(std::string_view line) {
  auto d = ParseSeriesDesc(line);
  EXPECT_FALSE(d.ok()) << line;
  return std::string(d.status().message());
}

TestFile MustParse(std::string_view text) {
  auto f = ParseTestFile("t.test", text);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? std::move(f).value() : TestFile();
}

std::string FileError(std::string_view text) {
  auto f = ParseTestFile("t.test", text);
  EXPECT_FALSE(f.ok()) << text;
  return std::string(f.status().message());
}

// --- Series descriptions ---------------------------------------------------

TEST(SeriesDescTest, NameAndLabels) {
  auto d = MustDesc(R"(http_requests{job="api", instance="0"} 1 2)");
  EXPECT_EQ(
      d.labels,
      L({{"__name__", "http_requests"}, {"job", "api"}, {"instance", "0"}}));
  EXPECT_EQ(Values(d), (std::vector<double>{1, 2}));

  EXPECT_EQ(MustDesc("up 1").labels, L({{"__name__", "up"}}));
  EXPECT_EQ(MustDesc("a:b:c_d 1").labels, L({{"__name__", "a:b:c_d"}}));
  EXPECT_EQ(MustDesc(R"({a="b"} 7)").labels, L({{"a", "b"}}));
  EXPECT_TRUE(MustDesc("{} 7").labels.empty());
  EXPECT_EQ(MustDesc("{ } 7").values.size(), 1u);
  // Keywords are plain names here.
  EXPECT_EQ(MustDesc(R"(sum{group="x", by="y"} 1)").labels,
            L({{"__name__", "sum"}, {"group", "x"}, {"by", "y"}}));
  // Trailing comma, spaces around "=".
  EXPECT_EQ(MustDesc(R"(m{ a = "1" , b="2", } 1)").labels,
            L({{"__name__", "m"}, {"a", "1"}, {"b", "2"}}));
  // The written name wins over __name__ in the braces.
  EXPECT_EQ(MustDesc(R"(m{__name__="other", a="1"} 1)").labels,
            L({{"__name__", "m"}, {"a", "1"}}));
  EXPECT_EQ(MustDesc(R"({__name__="n", a="1"} 1)").labels,
            L({{"__name__", "n"}, {"a", "1"}}));
  // No values at all is a series without samples.
  EXPECT_TRUE(MustDesc("m").values.empty());
  EXPECT_TRUE(MustDesc(R"(m{a="b"})").values.empty());
}

TEST(SeriesDescTest, QuotingAndEscapes) {
  EXPECT_EQ(MustDesc(R"(m{a="x\"y\\z\n\t"} 1)").labels.Get("a"), "x\"y\\z\n\t");
  EXPECT_EQ(MustDesc(R"(m{a='it\'s "q"'} 1)").labels.Get("a"), "it's \"q\"");
  EXPECT_EQ(MustDesc(R"(m{a=`raw\n`} 1)").labels.Get("a"), "raw\\n");
  EXPECT_EQ(MustDesc(R"(m{a="\u00e9\x41\101"} 1)").labels.Get("a"),
            "\xc3\xa9"
            "AA");
  EXPECT_EQ(MustDesc(R"(m{a="a@b.com"} 1)").labels.Get("a"), "a@b.com");
  EXPECT_EQ(MustDesc(R"(m{a="{}, x=1"} 1)").labels.Get("a"), "{}, x=1");
}

TEST(SeriesDescTest, ValueNotation) {
  EXPECT_EQ(Values(MustDesc("m 0+10x3")), (std::vector<double>{0, 10, 20, 30}));
  EXPECT_EQ(Values(MustDesc("m 10-2x2")), (std::vector<double>{10, 8, 6}));
  EXPECT_EQ(Values(MustDesc("m -1+1x2")), (std::vector<double>{-1, 0, 1}));
  EXPECT_EQ(Values(MustDesc("m -1-1x2")), (std::vector<double>{-1, -2, -3}));
  EXPECT_EQ(Values(MustDesc("m 1x3")), (std::vector<double>{1, 1, 1, 1}));
  EXPECT_EQ(Values(MustDesc("m 5x0")), (std::vector<double>{5}));
  EXPECT_EQ(Values(MustDesc("m 1+1x0")), (std::vector<double>{1}));
  // No hexadecimal in series values: 0x10 is 0 repeated.
  EXPECT_EQ(MustDesc("m 0x10").values.size(), 11u);
  // Blanks: _ is one skipped step, _xN is N.
  EXPECT_EQ(Values(MustDesc("m 1 _ 2 _x3 3")),
            (std::vector<double>{1, -999, 2, -999, -999, -999, 3}));
  EXPECT_TRUE(MustDesc("m _x0").values.empty());
  // Several items continue where the previous stopped.
  EXPECT_EQ(Values(MustDesc("m 0+10x2 100+30x1")),
            (std::vector<double>{0, 10, 20, 100, 130}));
  // A signed item is a value, not an increment.
  EXPECT_EQ(Values(MustDesc("m 1 +2x1 -3")),
            (std::vector<double>{1, 2, 2, -3}));
  // Tabs separate too.
  EXPECT_EQ(Values(MustDesc("m\t1\t\t2")), (std::vector<double>{1, 2}));
}

TEST(SeriesDescTest, NumberForms) {
  EXPECT_EQ(Values(MustDesc("m 1e3 -2.5 .5 5. 1E-2 2e+2 007")),
            (std::vector<double>{1000, -2.5, 0.5, 5, 0.01, 200, 7}));
  auto d = MustDesc("m Inf -Inf +Inf inf NaN nan -nan");
  ASSERT_EQ(d.values.size(), 7u);
  EXPECT_EQ(d.values[0].value, kInf);
  EXPECT_EQ(d.values[1].value, -kInf);
  EXPECT_EQ(d.values[2].value, kInf);
  EXPECT_EQ(d.values[3].value, kInf);
  for (int i = 4; i < 7; ++i) EXPECT_TRUE(std::isnan(d.values[i].value));
  EXPECT_NE(std::bit_cast<uint64_t>(d.values[4].value), storage::kStaleNaNBits);
  EXPECT_EQ(Values(MustDesc("m Inf+0x2")).size(), 3u);
  EXPECT_EQ(Values(MustDesc("m 1e1+1e1x2")), (std::vector<double>{10, 20, 30}));
}

TEST(SeriesDescTest, StaleMarker) {
  auto d = MustDesc("m 1 stale 2");
  ASSERT_EQ(d.values.size(), 3u);
  EXPECT_EQ(std::bit_cast<uint64_t>(d.values[1].value), storage::kStaleNaNBits);
  EXPECT_FALSE(d.values[1].omitted);
}

TEST(SeriesDescTest, IncrementsAccumulateLikePrometheus) {
  // Prometheus adds the increment step by step, so the float results are
  // those of repeated addition, not a + j*b.
  auto v = Values(MustDesc("m 0+0.1x3"));
  ASSERT_EQ(v.size(), 4u);
  double acc = 0;
  for (int j = 0; j < 4; ++j) {
    EXPECT_EQ(std::bit_cast<uint64_t>(v[j]), std::bit_cast<uint64_t>(acc));
    acc += 0.1;
  }
  EXPECT_NE(v[3], 0.3);  // 0.30000000000000004
}

TEST(SeriesDescTest, Errors) {
  EXPECT_EQ(DescError(R"(m{a!="b"} 1)"),
            "column 4: only \"=\" is allowed in a series label set");
  EXPECT_EQ(DescError(R"(m{a=~"b"} 1)"),
            "column 4: only \"=\" is allowed in a series label set");
  EXPECT_EQ(DescError("m 1+2"),
            "column 6: expected xN after \"1+2\" (a+bxN or a-bxN)");
  EXPECT_EQ(DescError("m 1x"),
            "column 4: invalid repetition \"x\" (expected x followed by a "
            "whole number)");
  EXPECT_EQ(DescError("m 1x2.5").substr(0, 9), "column 4:");
  EXPECT_EQ(DescError("m 1x-2").substr(0, 9), "column 4:");
  EXPECT_EQ(DescError("m foo"),
            "column 3: invalid value \"foo\" (expected a number, Inf, NaN, _ "
            "or stale)");
  EXPECT_EQ(DescError("m stalex2"),
            "column 3: invalid value \"stalex2\" (stale cannot be repeated "
            "or combined)");
  EXPECT_EQ(DescError("m infinity").substr(0, 9), "column 3:");
  EXPECT_EQ(DescError("m 1a").substr(0, 9), "column 4:");
  EXPECT_EQ(DescError("m 1 2 3x4x5").substr(0, 9), "column 8:");
  EXPECT_EQ(DescError("m _y"),
            "column 3: invalid value \"_y\" (expected a "
            "number, Inf, NaN, _ or stale)");
  EXPECT_EQ(DescError(R"(m{a="b" 1)"),
            "column 9: expected \",\" or \"}\" in label set, found \"1\"");
  EXPECT_EQ(DescError(R"(m{a="b")"), "column 2: unclosed label set");
  EXPECT_EQ(DescError(R"(m{a=b} 1)"),
            "column 5: expected a quoted label value");
  EXPECT_EQ(DescError(R"(m{a="b} 1)"), "column 5: unterminated label value");
  EXPECT_EQ(DescError(R"(m{a="\q"} 1)"),
            "column 6: unknown escape sequence \\q in label value");
  EXPECT_EQ(DescError(R"(m{1a="b"} 1)"),
            "column 3: expected a label name, found \"1\"");
  EXPECT_EQ(DescError(R"(m{a="b"}1)"),
            "column 9: expected white space before \"1\"");
  EXPECT_EQ(DescError("1 2"),
            "column 1: expected a metric name or a label set, found \"1\"");
  EXPECT_EQ(DescError(""), "column 1: expected a metric name or a label set");
  EXPECT_EQ(DescError("m 1x100000000").substr(0, 9), "column 5:");
}

TEST(ParseNumberTest, GoForms) {
  EXPECT_EQ(ParseNumber("2"), 2);
  EXPECT_EQ(ParseNumber("-2"), -2);
  EXPECT_EQ(ParseNumber("+3"), 3);
  EXPECT_EQ(ParseNumber("0x1f"), 31);
  EXPECT_EQ(ParseNumber("010"), 8);  // Go's base 0: octal
  EXPECT_EQ(ParseNumber("08"), 8);   // not octal: falls back to float
  EXPECT_EQ(ParseNumber("1.5e3"), 1500);
  EXPECT_EQ(ParseNumber(".5"), 0.5);
  EXPECT_EQ(ParseNumber("+Inf"), kInf);
  EXPECT_EQ(ParseNumber("-inf"), -kInf);
  EXPECT_EQ(ParseNumber("Infinity"), kInf);
  EXPECT_TRUE(std::isnan(*ParseNumber("NaN")));
  EXPECT_EQ(ParseNumber("1e400"), kInf);
  EXPECT_FALSE(ParseNumber("abc").has_value());
  EXPECT_FALSE(ParseNumber("{} 1").has_value());
  EXPECT_FALSE(ParseNumber("1 2").has_value());
  EXPECT_FALSE(ParseNumber("").has_value());
  EXPECT_FALSE(ParseNumber("0x").has_value());
  EXPECT_FALSE(ParseNumber("1x2").has_value());
}

// --- Test files --------------------------------------------------------------

constexpr std::string_view kFile = R"(# A comment.
load 5m
    http_requests{job="api", instance="0"} 0+10x2
    other 1 _ 3

  # Indented comment.
eval instant at 50m sum(http_requests)
    {} 20

eval_ordered instant at 1h30s sort_desc(http_requests)
    http_requests{job="api", instance="0"} 20
    {job="x"} -Inf

eval instant at 0s 1 + 1
    2

eval instant at 1m nothing

eval_fail instant at 0m a + on() b

clear
load 1m
    x 1

eval instant at 0m x
    x 1
)";

TEST(TestFileTest, ParsesCommands) {
  TestFile f = MustParse(kFile);
  EXPECT_EQ(f.name, "t.test");
  ASSERT_EQ(f.commands.size(), 9u);
  EXPECT_EQ(f.num_evals(), 6u);

  const auto& load = std::get<LoadCommand>(f.commands[0]);
  EXPECT_EQ(load.line, 2);
  EXPECT_EQ(load.step_ms, 300000);
  ASSERT_EQ(load.series.size(), 2u);
  EXPECT_EQ(load.series[0].line, 3);
  EXPECT_EQ(
      load.series[0].labels,
      L({{"__name__", "http_requests"}, {"job", "api"}, {"instance", "0"}}));
  EXPECT_EQ(load.series[0].samples, (std::vector<std::pair<int64_t, double>>{
                                        {0, 0}, {300000, 10}, {600000, 20}}));
  // `_` skips a step; time still advances.
  EXPECT_EQ(load.series[1].samples,
            (std::vector<std::pair<int64_t, double>>{{0, 1}, {600000, 3}}));

  const auto& e1 = std::get<EvalCommand>(f.commands[1]);
  EXPECT_EQ(e1.line, 7);
  EXPECT_EQ(e1.mode, EvalMode::kUnordered);
  EXPECT_EQ(e1.t_ms, 3000000);
  EXPECT_EQ(e1.expr, "sum(http_requests)");
  EXPECT_FALSE(e1.scalar.has_value());
  ASSERT_EQ(e1.samples.size(), 1u);
  EXPECT_TRUE(e1.samples[0].labels.empty());
  EXPECT_EQ(e1.samples[0].value, 20);
  EXPECT_EQ(e1.samples[0].line, 8);

  const auto& e2 = std::get<EvalCommand>(f.commands[2]);
  EXPECT_EQ(e2.mode, EvalMode::kOrdered);
  EXPECT_EQ(e2.t_ms, 3630000);
  ASSERT_EQ(e2.samples.size(), 2u);
  EXPECT_EQ(e2.samples[0].labels.metric_name(), "http_requests");
  EXPECT_EQ(e2.samples[1].labels, L({{"job", "x"}}));
  EXPECT_EQ(e2.samples[1].value, -kInf);

  const auto& e3 = std::get<EvalCommand>(f.commands[3]);
  EXPECT_EQ(e3.expr, "1 + 1");
  EXPECT_EQ(e3.scalar, 2);
  EXPECT_TRUE(e3.samples.empty());

  const auto& e4 = std::get<EvalCommand>(f.commands[4]);
  EXPECT_EQ(e4.expr, "nothing");
  EXPECT_FALSE(e4.scalar.has_value());
  EXPECT_TRUE(e4.samples.empty());

  const auto& e5 = std::get<EvalCommand>(f.commands[5]);
  EXPECT_EQ(e5.mode, EvalMode::kFail);
  EXPECT_EQ(e5.expr, "a + on() b");
  EXPECT_EQ(e5.t_ms, 0);

  EXPECT_EQ(std::get<ClearCommand>(f.commands[6]).line, 21);
  EXPECT_EQ(std::get<LoadCommand>(f.commands[7]).step_ms, 60000);
}

TEST(TestFileTest, BlankLineEndsBlocks) {
  // Without a blank line, "eval ..." is read as a series of the load.
  EXPECT_EQ(FileError("load 1m\n  x 1\neval instant at 0m x\n"),
            "t.test:3:6: invalid value \"instant\" (expected a number, Inf, "
            "NaN, _ or stale)");
  // A comment counts as a blank line.
  TestFile f = MustParse("load 1m\n  x 1\n# c\neval instant at 0m x\n  x 1\n");
  EXPECT_EQ(f.commands.size(), 2u);
  EXPECT_EQ(FileError("load 1m\n  x 1\n# c\n  y 2\n"),
            "t.test:4: unknown command \"y\" (expected load, clear, eval, "
            "eval_ordered or eval_fail)");
}

TEST(TestFileTest, CrlfAndTrailingSpace) {
  TestFile f = MustParse(
      "load 1m  \r\n\tx 1 2\r\n\r\neval instant at 1m x\r\n"
      "  x 2  \r\n");
  ASSERT_EQ(f.commands.size(), 2u);
  EXPECT_EQ(std::get<LoadCommand>(f.commands[0]).series[0].samples.size(), 2u);
  EXPECT_EQ(std::get<EvalCommand>(f.commands[1]).samples[0].value, 2);
}

TEST(TestFileTest, RepeatedSeriesInOneLoadKeepsTheLast) {
  TestFile f = MustParse("load 1m\n  x{a=\"1\"} 1 2\n  y 5\n  x{a=\"1\"} 7\n");
  const auto& load = std::get<LoadCommand>(f.commands[0]);
  ASSERT_EQ(load.series.size(), 2u);
  EXPECT_EQ(load.series[0].line, 4);
  EXPECT_EQ(load.series[0].samples,
            (std::vector<std::pair<int64_t, double>>{{0, 7}}));
}

TEST(TestFileTest, StaleInLoad) {
  TestFile f = MustParse("load 10s\n  x 1 stale _ 2\n");
  const auto& s = std::get<LoadCommand>(f.commands[0]).series[0].samples;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[1].first, 10000);
  EXPECT_EQ(std::bit_cast<uint64_t>(s[1].second), storage::kStaleNaNBits);
  EXPECT_EQ(s[2].first, 30000);
}

TEST(TestFileTest, ScalarExpectations) {
  for (auto [line, want] :
       std::vector<std::pair<std::string, double>>{{"2", 2},
                                                   {"-0.5", -0.5},
                                                   {"+Inf", kInf},
                                                   {"-Inf", -kInf},
                                                   {"1e3", 1000},
                                                   {"0x10", 16}}) {
    TestFile f = MustParse("eval instant at 0s x\n  " + line + "\n");
    EXPECT_EQ(std::get<EvalCommand>(f.commands[0]).scalar, want) << line;
  }
  TestFile f = MustParse("eval instant at 0s x\n  NaN\n");
  EXPECT_TRUE(std::isnan(*std::get<EvalCommand>(f.commands[0]).scalar));
}

TEST(TestFileTest, Errors) {
  EXPECT_EQ(FileError("\n\nfoo bar\n"),
            "t.test:3: unknown command \"foo\" (expected load, clear, eval, "
            "eval_ordered or eval_fail)");
  EXPECT_EQ(FileError("load\n"),
            "t.test:1: load needs a step: load <duration>");
  EXPECT_TRUE(
      FileError("load 5x\n")
          .starts_with(
              "t.test:1: invalid load step \"5x\": not a valid duration"));
  EXPECT_EQ(FileError("load 0s\n"), "t.test:1: the load step must be positive");
  EXPECT_EQ(FileError("clear now\n"), "t.test:1: clear takes no arguments");
  EXPECT_EQ(FileError("load 1m\n  x 1\n  {} 2\n"),
            "t.test:3: a loaded series needs a metric name or labels");
  EXPECT_EQ(FileError("load 1m\n    x{a!=\"b\"} 1\n"),
            "t.test:2:8: only \"=\" is allowed in a series label set");
  EXPECT_EQ(FileError("eval at 5m x\n"),
            "t.test:1:6: expected \"instant\" after eval (eval[_ordered|_fail] "
            "instant at <time> <expr>)");
  EXPECT_EQ(FileError("eval range from 0 to 5m step 1m x\n"),
            "t.test:1:6: expected \"instant\" after eval; range evaluation is "
            "not part of this format (eval[_ordered|_fail] instant at <time> "
            "<expr>)");
  EXPECT_EQ(FileError("eval instant 5m x\n"),
            "t.test:1:14: expected \"at <time>\" (eval[_ordered|_fail] instant "
            "at <time> <expr>)");
  EXPECT_TRUE(
      FileError("eval instant at 5q x\n")
          .starts_with(
              "t.test:1:17: invalid time \"5q\": not a valid duration"));
  EXPECT_EQ(FileError("  eval instant at 5m   \n"),
            "t.test:1:21: missing expression (eval[_ordered|_fail] instant at "
            "<time> <expr>)");
  EXPECT_EQ(FileError("eval_fail instant at 5m x\n  {} 1\n"),
            "t.test:2: eval_fail takes no expected results");
  EXPECT_EQ(FileError("eval instant at 5m x\n  1\n  {} 1\n"),
            "t.test:3: a scalar result must be the only expected line");
  EXPECT_EQ(FileError("eval instant at 5m x\n  {} 1\n  1\n"),
            "t.test:3: cannot expect both a scalar and series");
  EXPECT_EQ(FileError("eval instant at 5m x\n  {} 1 2\n"),
            "t.test:2: an expected series needs exactly one value, got 2 "
            "(only instant evaluation exists)");
  EXPECT_EQ(FileError("eval instant at 5m x\n  {}\n"),
            "t.test:2: an expected series needs exactly one value, got 0 "
            "(only instant evaluation exists)");
  EXPECT_EQ(FileError("eval instant at 5m x\n  x{a=\"1\"} 1\n  x{a=\"1\"} 2\n"),
            "t.test:3: series x{a=\"1\"} is already expected on line 2");
  EXPECT_EQ(FileError("eval instant at 5m x\n  x{a=1} 1\n"),
            "t.test:2:7: expected a quoted label value");
}

TEST(TestFileTest, ReadTestFileMissing) {
  auto f = ReadTestFile("/nonexistent/dir/x.test");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("/nonexistent/dir/x.test"),
            std::string_view::npos);
}

// --- Comparison --------------------------------------------------------------

TEST(AlmostEqualTest, PrometheusRule) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(AlmostEqual(nan, nan));
  EXPECT_TRUE(AlmostEqual(std::bit_cast<double>(storage::kStaleNaNBits), nan));
  EXPECT_FALSE(AlmostEqual(nan, 1));
  EXPECT_FALSE(AlmostEqual(1, nan));
  EXPECT_TRUE(AlmostEqual(1, 1));
  EXPECT_TRUE(AlmostEqual(0.0, -0.0));
  EXPECT_TRUE(AlmostEqual(kInf, kInf));
  EXPECT_FALSE(AlmostEqual(kInf, -kInf));
  EXPECT_FALSE(AlmostEqual(kInf, 1e308));
  EXPECT_TRUE(AlmostEqual(1, 1 + 1e-7));
  EXPECT_TRUE(AlmostEqual(1e10, 1e10 + 1));
  EXPECT_FALSE(AlmostEqual(1, 1.00001));
  EXPECT_TRUE(AlmostEqual(0.1 + 0.2, 0.3));
  // Against zero the difference must be essentially nothing.
  EXPECT_FALSE(AlmostEqual(0, 1e-300));
  EXPECT_FALSE(AlmostEqual(1e-300, 0));
  EXPECT_TRUE(AlmostEqual(0, 1e-320));  // subnormal
}

EvalCommand Expect(EvalMode mode, std::vector<ExpectedSample> samples) {
  EvalCommand c;
  c.mode = mode;
  c.samples = std::move(samples);
  return c;
}

Value Vec(std::vector<std::pair<Labels, double>> s) {
  Vector v;
  for (auto& [l, x] : s) v.push_back(Sample{l, 0, x});
  return v;
}

TEST(CompareResultTest, Vectors) {
  Labels a = L({{"job", "a"}});
  Labels b = L({{"job", "b"}});
  Labels na = L({{"__name__", "m"}, {"job", "a"}});
  EvalCommand cmd = Expect(EvalMode::kUnordered, {{1, a, 1}, {2, b, 2}});
  EXPECT_EQ(CompareResult(cmd, Vec({{a, 1}, {b, 2}})), std::nullopt);
  EXPECT_EQ(CompareResult(cmd, Vec({{b, 2}, {a, 1 + 1e-9}})), std::nullopt);
  EXPECT_EQ(CompareResult(cmd, Vec({{a, 1}})),
            "expected series {job=\"b\"} 2 is not in the result");
  EXPECT_EQ(CompareResult(cmd, Vec({{a, 1}, {b, 2}, {na, 1}})),
            "unexpected series m{job=\"a\"} 1 in the result");
  EXPECT_EQ(CompareResult(cmd, Vec({{a, 1}, {b, 3}})),
            "expected 2 for {job=\"b\"} but got 3");
  EXPECT_EQ(CompareResult(cmd, Vec({{a, 1}, {a, 1}, {b, 2}})),
            "series {job=\"a\"} appears more than once in the result");
  EXPECT_EQ(CompareResult(cmd, Value(Scalar{0, 1})),
            "expected a vector but got the scalar 1");
  EXPECT_EQ(CompareResult(cmd, Value(Matrix{})),
            "received a range vector (matrix) from an instant evaluation");
  EXPECT_EQ(CompareResult(cmd, Value(String{0, "x"})),
            "received a string, which this format cannot expect");
  // NaN matches NaN.
  EvalCommand nan_cmd = Expect(
      EvalMode::kUnordered, {{1, a, std::numeric_limits<double>::quiet_NaN()}});
  EXPECT_EQ(CompareResult(nan_cmd,
                          Vec({{a, std::numeric_limits<double>::quiet_NaN()}})),
            std::nullopt);
  EXPECT_EQ(CompareResult(nan_cmd, Vec({{a, 1}})),
            "expected NaN for {job=\"a\"} but got 1");
}

TEST(CompareResultTest, EmptyVector) {
  EvalCommand cmd = Expect(EvalMode::kUnordered, {});
  EXPECT_EQ(CompareResult(cmd, Value(Vector{})), std::nullopt);
  EXPECT_EQ(CompareResult(cmd, Vec({{L({{"a", "b"}}), 1}})),
            "unexpected series {a=\"b\"} 1 in the result");
  EXPECT_EQ(CompareResult(cmd, Value(Scalar{0, 1})),
            "expected a vector but got the scalar 1");
}

TEST(CompareResultTest, Ordered) {
  Labels a = L({{"job", "a"}});
  Labels b = L({{"job", "b"}});
  EvalCommand cmd = Expect(EvalMode::kOrdered, {{1, a, 1}, {2, b, 2}});
  EXPECT_EQ(CompareResult(cmd, Vec({{a, 1}, {b, 2}})), std::nullopt);
  EXPECT_EQ(CompareResult(cmd, Vec({{b, 2}, {a, 1}})),
            "expected series {job=\"b\"} at position 2 but it is at position "
            "1");
  cmd.mode = EvalMode::kUnordered;
  EXPECT_EQ(CompareResult(cmd, Vec({{b, 2}, {a, 1}})), std::nullopt);
}

TEST(CompareResultTest, Scalars) {
  EvalCommand cmd;
  cmd.scalar = 2;
  EXPECT_EQ(CompareResult(cmd, Value(Scalar{0, 2})), std::nullopt);
  EXPECT_EQ(CompareResult(cmd, Value(Scalar{0, 3})),
            "expected scalar 2 but got 3");
  EXPECT_EQ(CompareResult(cmd, Vec({{Labels(), 2}})),
            "expected the scalar 2 but got a vector of 1 series");
  cmd.scalar = kInf;
  EXPECT_EQ(CompareResult(cmd, Value(Scalar{0, kInf})), std::nullopt);
  EXPECT_EQ(CompareResult(cmd, Value(Scalar{0, -kInf})),
            "expected scalar +Inf but got -Inf");
}

TEST(ValueAtStepTest, PicksTheMiddleStep) {
  Labels a = L({{"job", "a"}});
  Labels b = L({{"job", "b"}});
  Matrix m = {Series{a, {{0, 1}, {60000, 2}, {120000, 3}}},
              Series{b, {{0, 5}, {120000, 6}}}};
  auto v = ValueAtStep(Value(m), 60000, false);
  ASSERT_TRUE(v.ok());
  const auto& vec = std::get<Vector>(v.value());
  ASSERT_EQ(vec.size(), 1u);
  EXPECT_EQ(vec[0].metric, a);
  EXPECT_EQ(vec[0].v, 2);
  auto s = ValueAtStep(Value(m), 120000, true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(std::get<Scalar>(s.value()).v, 3);
  auto none = ValueAtStep(Value(Matrix{}), 60000, true);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(
      std::get<Vector>(ValueAtStep(Value(Matrix{}), 0, false).value()).empty());
  // A scalar range result is taken as is.
  EXPECT_EQ(
      std::get<Scalar>(ValueAtStep(Value(Scalar{0, 4}), 0, true).value()).v, 4);
  EXPECT_FALSE(ValueAtStep(Value(String{0, "x"}), 0, false).ok());
  EXPECT_FALSE(ValueAtStep(Value(Vector{}), 0, false).ok());
}

TEST(FormatTest, Floats) {
  EXPECT_EQ(FormatFloat(300), "300");
  EXPECT_EQ(FormatFloat(0.1), "0.1");
  EXPECT_EQ(FormatFloat(-2.5), "-2.5");
  EXPECT_EQ(FormatFloat(1e-5), "1e-05");
  EXPECT_EQ(FormatFloat(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatFloat(kInf), "+Inf");
  EXPECT_EQ(FormatFloat(-kInf), "-Inf");
  EXPECT_EQ(FormatFloat(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(FormatTest, TimesValuesExpectations) {
  EXPECT_EQ(FormatTime(0), "0s");
  EXPECT_EQ(FormatTime(3000000), "50m");
  EXPECT_EQ(FormatTime(-1000), "-1s");
  EXPECT_EQ(FormatTime(90500), "1m30s500ms");
  EXPECT_EQ(FormatValue(Value(Scalar{0, 2})), "2");
  EXPECT_EQ(FormatValue(Value(Vector{})), "(empty vector)");
  EXPECT_EQ(FormatValue(Vec({{L({{"a", "b"}}), 1}, {Labels(), 2}})),
            "{a=\"b\"} 1\n{} 2");
  EXPECT_EQ(FormatValue(Value(
                Matrix{Series{L({{"__name__", "m"}}), {{0, 1}, {60000, 2}}}})),
            "m 1@0s 2@1m");
  EXPECT_EQ(FormatValue(Value(String{0, "x"})), "string \"x\"");
  EvalCommand cmd =
      Expect(EvalMode::kUnordered,
             {{1, L({{"__name__", "m"}, {"a", "b"}}), 1}, {2, Labels(), 2}});
  EXPECT_EQ(FormatExpected(cmd), "m{a=\"b\"} 1\n{} 2");
  cmd.samples.clear();
  EXPECT_EQ(FormatExpected(cmd), "(empty vector)");
  cmd.scalar = 3;
  EXPECT_EQ(FormatExpected(cmd), "3");
  cmd.mode = EvalMode::kFail;
  EXPECT_EQ(FormatExpected(cmd), "(an evaluation error)");
}

TEST(AtModifierTest, EvalTimes) {
  EXPECT_EQ(AtModifierEvalTimes(0), (std::vector<int64_t>{-1000, 0, 1000}));
  EXPECT_EQ(AtModifierEvalTimes(3000000),
            (std::vector<int64_t>{-30000000, 0, 600000, 3000000, 30000000}));
}

TEST(RunnerTest, EngineOptions) {
  EngineOptions o = TestEngineOptions();
  EXPECT_EQ(o.lookback_delta_ms, 300000);
  EXPECT_EQ(o.default_subquery_step_ms, 60000);
  EXPECT_EQ(o.max_samples, 10000);
}

TEST(RunResultTest, ReportAndTotals) {
  RunResult r;
  r.files = {"a.test"};
  StatementResult ok;
  ok.file = "a.test";
  ok.line = 3;
  ok.expr = "x";
  ok.passed = true;
  StatementResult bad;
  bad.file = "a.test";
  bad.line = 7;
  bad.t_ms = 3000000;
  bad.expr = "sum(x)";
  bad.check = Check::kRange;
  bad.check_time_ms = 3000000;
  bad.check_expr = "sum(x)";
  bad.message = "expected 2 for {} but got 3";
  bad.expected = "{} 2";
  bad.got = "{} 3";
  r.statements = {ok, bad};
  r.errors = {{"a.test", "a.test:1: loading x: boom"}};
  EXPECT_EQ(r.passed(), 1u);
  EXPECT_EQ(r.failed(), 1u);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.Report(),
            "FAIL a.test:7: eval instant at 50m sum(x)\n"
            "  check:    range query 49m..51m step 1m, step at 50m\n"
            "  problem:  expected 2 for {} but got 3\n"
            "  expected:\n"
            "    {} 2\n"
            "  got:\n"
            "    {} 3\n"
            "ERROR a.test:1: loading x: boom\n"
            "1 passed, 1 failed\n"
            "1 errors\n");
  RunResult other;
  other.files = {"b.test"};
  other.statements = {ok};
  other.statements[0].file = "b.test";
  r.Merge(std::move(other));
  EXPECT_EQ(r.passed(), 2u);
  std::string report = r.Report();
  EXPECT_NE(report.find("FAIL a.test: 1 passed, 1 failed, 1 errors\n"),
            std::string::npos);
  EXPECT_NE(report.find("ok   b.test: 1 passed, 0 failed\n"),
            std::string::npos);
  EXPECT_NE(report.find("2 passed, 1 failed\n"), std::string::npos);
}

// --- @ pinning (needs the parser) --------------------------------------------

ExprPtr MustParseExpr(std::string_view s) {
  auto e = ParseExpr(s);
  EXPECT_TRUE(e.ok()) << s << ": " << e.status().ToString();
  return e.ok() ? std::move(e).value() : nullptr;
}

const TimeModifiers* SelectorTime(const Expr* e) {
  if (e->kind == ExprKind::kVectorSelector) {
    return &static_cast<const VectorSelector*>(e)->time;
  }
  if (e->kind == ExprKind::kMatrixSelector) {
    return &static_cast<const VectorSelector*>(
                static_cast<const MatrixSelector*>(e)->vector_selector.get())
                ->time;
  }
  if (e->kind == ExprKind::kSubquery) {
    return &static_cast<const SubqueryExpr*>(e)->time;
  }
  return nullptr;
}

TEST(PinAtModifiersTest, PinsSelectorsAndSubqueries) {
  ExprPtr e = MustParseExpr("rate(x[5m]) + y");
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(PinAtModifiers(e.get(), 3000000));
  const auto* bin = static_cast<const BinaryExpr*>(e.get());
  const auto* call = static_cast<const Call*>(bin->lhs.get());
  EXPECT_EQ(SelectorTime(call->args[0].get())->at_ms, 3000000);
  EXPECT_EQ(SelectorTime(bin->rhs.get())->at_ms, 3000000);
}

TEST(PinAtModifiersTest, KeepsExistingAtAndReplacesStartEnd) {
  ExprPtr e = MustParseExpr("x @ 100 + y @ start()");
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(PinAtModifiers(e.get(), 60000));
  const auto* bin = static_cast<const BinaryExpr*>(e.get());
  EXPECT_EQ(SelectorTime(bin->lhs.get())->at_ms, 100000);
  const TimeModifiers* y = SelectorTime(bin->rhs.get());
  EXPECT_EQ(y->at_ms, 60000);
  EXPECT_EQ(y->at_modifier, AtModifier::kNone);
}

TEST(PinAtModifiersTest, LeavesTheInsideOfSubqueries) {
  ExprPtr e = MustParseExpr("max_over_time(rate(x[1m])[5m:1m])");
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(PinAtModifiers(e.get(), 60000));
  const auto* call = static_cast<const Call*>(e.get());
  const auto* sq = static_cast<const SubqueryExpr*>(call->args[0].get());
  EXPECT_EQ(sq->time.at_ms, 60000);
  const auto* inner = static_cast<const Call*>(sq->expr.get());
  EXPECT_FALSE(SelectorTime(inner->args[0].get())->at_ms.has_value());
}

TEST(PinAtModifiersTest, TimeDependentFunctionsAreExempt) {
  for (const char* q : {"time()", "timestamp(x)", "predict_linear(x[5m], 60)",
                        "x + hour()", "minute(x)", "day_of_week()",
                        "day_of_month()", "day_of_year()", "days_in_month()",
                        "month()", "year(x)", "sum(timestamp(x)) by (job)"}) {
    ExprPtr e = MustParseExpr(q);
    ASSERT_NE(e, nullptr);
    EXPECT_FALSE(PinAtModifiers(e.get(), 60000)) << q;
  }
  for (const char* q : {"abs(x)", "sum(rate(x[5m]))", "1 + 2",
                        "max_over_time(vector(time())[5m:1m])"}) {
    ExprPtr e = MustParseExpr(q);
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(PinAtModifiers(e.get(), 60000)) << q;
  }
}

// --- The runner with a fake evaluator (needs the parser)
// ----------------------

// Answers every instant query with `metric 1` (or what `instant_value`
// says for a time) and every range query with that value at each step.
struct Fake {
  std::vector<std::pair<std::string, int64_t>> instant_calls;
  std::vector<std::pair<std::string, int64_t>> range_calls;
  std::function<Result<Value>(int64_t t)> instant_value = [](int64_t) {
    return Result<Value>(Vec({{L({{"job", "a"}}), 1}}));
  };
  std::function<double(int64_t t)> range_value = [](int64_t) { return 1.0; };

  Evaluator Get() {
    Evaluator e;
    e.instant = [this](storage::Queryable*, const Expr& expr, int64_t t) {
      instant_calls.emplace_back(ToString(expr), t);
      return instant_value(t);
    };
    e.range = [this](storage::Queryable*, const Expr& expr, int64_t start,
                     int64_t end, int64_t step) -> Result<Value> {
      range_calls.emplace_back(ToString(expr), start);
      Series s{L({{"job", "a"}}), {}};
      for (int64_t t = start; t <= end; t += step) {
        s.points.push_back({t, range_value(t)});
      }
      return Value(Matrix{s});
    };
    return e;
  }
};

RunResult RunFake(Fake* fake, std::string_view text) {
  TestFile f = MustParse(text);
  return RunTestFile(f, fake->Get(), MemoryStorageFactory());
}

TEST(RunnerFakeTest, ChecksInstantRangeAndPinnedTimes) {
  Fake fake;
  RunResult r = RunFake(&fake, "eval instant at 50m x\n  {job=\"a\"} 1\n");
  ASSERT_EQ(r.statements.size(), 1u);
  EXPECT_TRUE(r.statements[0].passed) << r.Report();
  EXPECT_TRUE(r.ok());
  // The original, then the pinned expression at five times.
  ASSERT_EQ(fake.instant_calls.size(), 6u);
  EXPECT_EQ(fake.instant_calls[0].second, 3000000);
  std::vector<int64_t> times;
  for (size_t i = 1; i < 6; ++i) {
    times.push_back(fake.instant_calls[i].second);
    EXPECT_NE(fake.instant_calls[i].first, fake.instant_calls[0].first);
  }
  EXPECT_EQ(times, AtModifierEvalTimes(3000000));
  ASSERT_EQ(fake.range_calls.size(), 6u);
  EXPECT_EQ(fake.range_calls[0].second, 3000000 - 60000);
  EXPECT_EQ(r.Report(), "1 passed, 0 failed\n");
}

TEST(RunnerFakeTest, RangeMismatchIsReported) {
  Fake fake;
  fake.range_value = [](int64_t t) { return t == 3000000 ? 2.0 : 1.0; };
  RunResult r = RunFake(&fake, "\n\neval instant at 50m x\n  {job=\"a\"} 1\n");
  ASSERT_EQ(r.statements.size(), 1u);
  const auto& s = r.statements[0];
  EXPECT_FALSE(s.passed);
  EXPECT_EQ(s.line, 3);
  EXPECT_EQ(s.check, Check::kRange);
  EXPECT_EQ(s.check_time_ms, 3000000);
  EXPECT_EQ(s.message, "expected 1 for {job=\"a\"} but got 2");
  EXPECT_EQ(s.got, "{job=\"a\"} 2");
  EXPECT_NE(r.Report().find("FAIL t.test:3: eval instant at 50m x\n"),
            std::string::npos);
  EXPECT_NE(r.Report().find("0 passed, 1 failed\n"), std::string::npos);
  EXPECT_FALSE(r.ok());
}

TEST(RunnerFakeTest, OrderedSkipsRangeComparison) {
  Fake fake;
  fake.range_value = [](int64_t) { return 5.0; };
  RunResult r =
      RunFake(&fake, "eval_ordered instant at 50m x\n  {job=\"a\"} 1\n");
  EXPECT_TRUE(r.statements[0].passed) << r.Report();
  EXPECT_EQ(fake.range_calls.size(), 6u);  // still run
}

TEST(RunnerFakeTest, PinnedMismatchNamesTheTime) {
  Fake fake;
  fake.instant_value = [](int64_t t) {
    return Result<Value>(Vec({{L({{"job", "a"}}), t == 0 ? 9.0 : 1.0}}));
  };
  RunResult r = RunFake(&fake, "eval instant at 1m x\n  {job=\"a\"} 1\n");
  const auto& s = r.statements[0];
  EXPECT_FALSE(s.passed);
  EXPECT_EQ(s.check, Check::kAtInstant);
  EXPECT_EQ(s.check_time_ms, 0);
  EXPECT_NE(s.check_expr, "x");  // the pinned text
  EXPECT_NE(r.Report().find("@ pinning at 1m, instant query at 0s"),
            std::string::npos)
      << r.Report();
}

TEST(RunnerFakeTest, ExemptExpressionsAreNotPinned) {
  Fake fake;
  RunResult r = RunFake(&fake,
                        "eval instant at 1m timestamp(x)\n"
                        "  {job=\"a\"} 1\n");
  EXPECT_TRUE(r.statements[0].passed);
  EXPECT_EQ(fake.instant_calls.size(), 1u);
}

TEST(RunnerFakeTest, EvalFail) {
  Fake fake;
  fake.instant_value = [](int64_t) -> Result<Value> {
    return FailedPreconditionError("many-to-many matching not allowed");
  };
  RunResult r = RunFake(&fake, "eval_fail instant at 1m x\n");
  EXPECT_TRUE(r.statements[0].passed) << r.Report();
  EXPECT_EQ(fake.instant_calls.size(), 6u);  // t=1m and five pinned times
  EXPECT_TRUE(fake.range_calls.empty());

  Fake ok_fake;
  r = RunFake(&ok_fake, "eval_fail instant at 1m x\n");
  EXPECT_FALSE(r.statements[0].passed);
  EXPECT_EQ(r.statements[0].check, Check::kInstant);
  EXPECT_EQ(r.statements[0].message,
            "expected the evaluation to fail, but it succeeded");
}

TEST(RunnerFakeTest, EvaluationErrorAndParseError) {
  Fake fake;
  fake.instant_value = [](int64_t) -> Result<Value> {
    return InternalError("boom");
  };
  RunResult r = RunFake(&fake,
                        "eval instant at 1m x\n\n"
                        "eval instant at 1m sum(\n");
  ASSERT_EQ(r.statements.size(), 2u);
  EXPECT_EQ(r.statements[0].check, Check::kInstant);
  EXPECT_EQ(r.statements[0].got, "error: Internal: boom");
  EXPECT_EQ(r.statements[1].check, Check::kParse);
  EXPECT_NE(r.statements[1].message.find("does not parse"), std::string::npos);
  EXPECT_EQ(r.failed(), 2u);
}

TEST(RunnerFakeTest, LoadErrorsAndFreshStoragePerClear) {
  int made = 0;
  StorageFactory factory = [&made]() {
    ++made;
    return MemoryStorageFactory()();
  };
  Fake fake;
  TestFile f = MustParse(
      "load 1m\n  x 1 2 3\n\nload 1m\n  x 5\n\nclear\nload 1m\n  x 5\n");
  RunResult r = RunTestFile(f, fake.Get(), factory);
  EXPECT_EQ(made, 2);
  ASSERT_EQ(r.errors.size(), 1u) << r.Report();
  EXPECT_EQ(r.errors[0].file, "t.test");
  EXPECT_EQ(r.errors[0].text.substr(0, 29), "t.test:5: loading x at 0s: Ou");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.statements.size(), 0u);
}

TEST(RunnerFakeTest, StorageFactoryFailure) {
  Fake fake;
  TestFile f = MustParse("eval instant at 0s x\n");
  RunResult r = RunTestFile(f, fake.Get(), []() -> Result<TestStorage> {
    return UnavailableError("no disk");
  });
  EXPECT_EQ(r.errors.size(), 1u);
  ASSERT_EQ(r.statements.size(), 1u);
  EXPECT_FALSE(r.statements[0].passed);
  EXPECT_TRUE(fake.instant_calls.empty());
}

TEST(RunnerFakeTest, RunTestFilesReportsUnparsableFiles) {
  Fake fake;
  RunResult r =
      RunTestFiles({"/nonexistent/a.test"}, fake.Get(), MemoryStorageFactory());
  EXPECT_EQ(r.files.size(), 1u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, "/nonexistent/a.test");
  EXPECT_TRUE(r.errors[0].text.starts_with("/nonexistent/a.test: "))
      << r.errors[0].text;
  EXPECT_FALSE(r.ok());
}

// --- End to end with the engine ----------------------------------------------

constexpr std::string_view kEndToEnd = R"(
load 1m
  http_requests{job="api", instance="0"} 0+10x10
  http_requests{job="api", instance="1"} 0+20x10
  gauge 1 2 stale

eval instant at 10m http_requests
  http_requests{job="api", instance="0"} 100
  http_requests{job="api", instance="1"} 200

eval instant at 10m sum by (job) (http_requests)
  {job="api"} 300

eval_ordered instant at 10m sort_desc(http_requests)
  http_requests{job="api", instance="1"} 200
  http_requests{job="api", instance="0"} 100

eval instant at 10m 1 + 1
  2

eval instant at 1m gauge
  gauge 2

eval instant at 2m gauge

eval instant at 10m rate(http_requests{instance="0"}[5m])
  {job="api", instance="0"} 0.16666666666666666

clear
load 1m
  a{x="1"} 1
  a{x="2"} 1

eval_fail instant at 0m a + ignoring(x) a
)";

TEST(EngineRunnerTest, SmallScriptPasses) {
  Engine engine(TestEngineOptions());
  TestFile f = MustParse(kEndToEnd);
  RunResult r = RunTestFile(f, &engine, MemoryStorageFactory());
  EXPECT_TRUE(r.ok()) << r.Report();
  EXPECT_EQ(r.passed(), 8u) << r.Report();
}

TEST(EngineRunnerTest, WrongExpectationFails) {
  Engine engine(TestEngineOptions());
  TestFile f = MustParse("load 1m\n  x 1 2 3\n\neval instant at 2m x\n  x 2\n");
  RunResult r = RunTestFile(f, &engine, MemoryStorageFactory());
  ASSERT_EQ(r.statements.size(), 1u);
  EXPECT_FALSE(r.statements[0].passed);
  EXPECT_EQ(r.statements[0].check, Check::kInstant);
  EXPECT_EQ(r.statements[0].message, "expected 2 for x but got 3");
}

}  // namespace
}  // namespace vigil::promql::promqltest
