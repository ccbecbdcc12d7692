// Tests of the PromQL lexer, parser and printer. Cases follow Prometheus
// 2.42's promql/parser/lex_test.go, parse_test.go and printer_test.go.
#include "promql/parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "promql/ast.h"
#include "promql/functions.h"
#include "promql/lexer.h"

namespace vigil::promql {
namespace {

// ---------------------------------------------------------------------------
// Helpers.

// The parse error message, or "OK".
std::string ParseError(std::string_view input) {
  Result<ExprPtr> e = ParseExpr(input);
  if (e.ok()) return "OK";
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument) << input;
  return std::string(e.status().message());
}

// The canonical text, or "ERROR: <message>".
std::string Print(std::string_view input) {
  Result<ExprPtr> e = ParseExpr(input);
  if (!e.ok()) return "ERROR: " + std::string(e.status().message());
  return ToString(**e);
}

ExprPtr MustParse(std::string_view input) {
  Result<ExprPtr> e = ParseExpr(input);
  EXPECT_TRUE(e.ok()) << input << ": " << e.status().ToString();
  if (!e.ok()) return nullptr;
  return std::move(e).value();
}

std::string Dump(const Expr& e);

std::string DumpTime(const TimeModifiers& t) {
  std::string out;
  if (t.offset_ms != 0) out += " offset=" + std::to_string(t.offset_ms);
  if (t.at_ms.has_value()) out += " at=" + std::to_string(*t.at_ms);
  if (t.at_modifier == AtModifier::kStart) out += " at=start";
  if (t.at_modifier == AtModifier::kEnd) out += " at=end";
  return out;
}

// A fully parenthesised rendering of the tree, to check its shape.
std::string Dump(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kNumber: {
      std::string s = ToString(e);
      return s;
    }
    case ExprKind::kString: return ToString(e);
    case ExprKind::kVectorSelector: {
      const auto& vs = static_cast<const VectorSelector&>(e);
      std::string out = "sel(" + vs.name;
      for (const auto& m : vs.matchers) out += " " + m.ToString();
      return out + DumpTime(vs.time) + ")";
    }
    case ExprKind::kMatrixSelector: {
      const auto& ms = static_cast<const MatrixSelector&>(e);
      return "matrix(" + Dump(*ms.vector_selector) + " " +
             std::to_string(ms.range_ms) + ")";
    }
    case ExprKind::kSubquery: {
      const auto& sq = static_cast<const SubqueryExpr&>(e);
      return "subquery(" + Dump(*sq.expr) + " " + std::to_string(sq.range_ms) +
             ":" + std::to_string(sq.step_ms) + DumpTime(sq.time) + ")";
    }
    case ExprKind::kParen:
      return "paren(" + Dump(*static_cast<const ParenExpr&>(e).expr) + ")";
    case ExprKind::kUnary: {
      const auto& u = static_cast<const UnaryExpr&>(e);
      return "(" + std::string(OpString(u.op)) + Dump(*u.expr) + ")";
    }
    case ExprKind::kBinary: {
      const auto& b = static_cast<const BinaryExpr&>(e);
      return "(" + Dump(*b.lhs) + " " + std::string(OpString(b.op)) + " " +
             Dump(*b.rhs) + ")";
    }
    case ExprKind::kCall: {
      const auto& c = static_cast<const Call&>(e);
      std::string out = std::string(c.func->name) + "(";
      for (size_t i = 0; i < c.args.size(); ++i) {
        if (i > 0) out += ", ";
        out += Dump(*c.args[i]);
      }
      return out + ")";
    }
    case ExprKind::kAggregate: {
      const auto& a = static_cast<const AggregateExpr&>(e);
      std::string out = std::string(OpString(a.op));
      if (a.without) out += "-without";
      out += "[";
      for (size_t i = 0; i < a.grouping.size(); ++i) {
        if (i > 0) out += ",";
        out += a.grouping[i];
      }
      out += "](";
      if (a.param) out += Dump(*a.param) + ", ";
      return out + Dump(*a.expr) + ")";
    }
  }
  return "?";
}

std::string Tree(std::string_view input) {
  Result<ExprPtr> e = ParseExpr(input);
  if (!e.ok()) return "ERROR: " + std::string(e.status().message());
  return Dump(**e);
}

// ---------------------------------------------------------------------------
// Lexer.

TEST(ParserTest, NumberLiterals) {
  const struct {
    std::string in;
    double want;
  } cases[] = {
      {"1", 1},
      {"+Inf", INFINITY},
      {"-Inf", -INFINITY},
      {".5", 0.5},
      {"5.", 5},
      {"123.4567", 123.4567},
      {"5e-3", 0.005},
      {"5e3", 5000},
      {"0xc", 12},
      {"0755", 493},
      {"+5.5e-3", 0.0055},
      {"-0755", -493},
      {"08", 8},
      {"0x7FFFFFFFFFFFFFFF", 9223372036854775807.0},
      {"1e-400", 0},
      {"4e-324", 4.9406564584124654e-324},
      {"2e-324", 0},
      {"99999999999999999999", 1e20},
      {"inf", INFINITY},
      {"-iNf", -INFINITY},
  };
  for (const auto& c : cases) {
    ExprPtr e = MustParse(c.in);
    ASSERT_NE(e, nullptr);
    ASSERT_EQ(e->kind, ExprKind::kNumber) << c.in;
    EXPECT_EQ(static_cast<const NumberLiteral&>(*e).value, c.want) << c.in;
    EXPECT_EQ(e->pos.start, 0) << c.in;
    EXPECT_EQ(e->pos.end, static_cast<int>(c.in.size())) << c.in;
  }
  ExprPtr nan = MustParse("NaN");
  ASSERT_NE(nan, nullptr);
  EXPECT_TRUE(std::isnan(static_cast<const NumberLiteral&>(*nan).value));
}

TEST(ParserTest, NumberErrors) {
  EXPECT_EQ(ParseError(std::string(309, '9')),
            "1:1: parse error: error parsing number: strconv.ParseFloat: "
            "parsing \"" +
                std::string(309, '9') + "\": value out of range");
  EXPECT_EQ(ParseError("1.7e400"),
            "1:1: parse error: error parsing number: strconv.ParseFloat: "
            "parsing \"1.7e400\": value out of range");
  EXPECT_EQ(ParseError("1e"),
            "1:1: parse error: error parsing number: strconv.ParseFloat: "
            "parsing \"1e\": invalid syntax");
  EXPECT_EQ(ParseError("0x"),
            "1:1: parse error: error parsing number: strconv.ParseFloat: "
            "parsing \"0x\": invalid syntax");
  EXPECT_EQ(ParseError("0x8000000000000000"),
            "1:1: parse error: error parsing number: strconv.ParseFloat: "
            "parsing \"0x8000000000000000\": invalid syntax");
  EXPECT_EQ(ParseError("."), "1:1: parse error: unexpected character: '.'");
  EXPECT_EQ(ParseError("2.5."), "1:4: parse error: unexpected character: '.'");
  EXPECT_EQ(ParseError("100..4"), "1:5: parse error: unexpected number \".4\"");
  EXPECT_EQ(ParseError("0deadbeef"),
            "1:1: parse error: bad number or duration syntax: \"0de\"");
}

TEST(ParserTest, StringLiterals) {
  const struct {
    std::string in;
    std::string want;
  } cases[] = {
      {"\"double-quoted string \\\" with escaped quote\"",
       "double-quoted string \" with escaped quote"},
      {"'single-quoted string \\' with escaped quote'",
       "single-quoted string ' with escaped quote"},
      {"`backtick-quoted string`", "backtick-quoted string"},
      {"\"\\a\\b\\f\\n\\r\\t\\v\\\\\\\" - \\xFF\\377\\u1234\\U00010111"
       "\\U0001011111☺\"",
       "\a\b\f\n\r\t\v\\\" - \xFF\xFF\u1234\U00010111\U00010111"
       "11☺"},
      {"'\\a\\b\\f\\n\\r\\t\\v\\\\\\' - \\xFF\\377\\u1234\\U00010111"
       "\\U0001011111☺'",
       "\a\b\f\n\r\t\v\\' - \xFF\xFF\u1234\U00010111\U00010111"
       "11☺"},
      {"`\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\' - \\xFF\\377\\u1234\\U00010111"
       "\\U0001011111☺`",
       "\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\' - \\xFF\\377\\u1234\\U00010111"
       "\\U0001011111☺"},
  };
  for (const auto& c : cases) {
    ExprPtr e = MustParse(c.in);
    ASSERT_NE(e, nullptr);
    ASSERT_EQ(e->kind, ExprKind::kString) << c.in;
    EXPECT_EQ(static_cast<const StringLiteral&>(*e).value, c.want) << c.in;
    EXPECT_EQ(e->pos.end, static_cast<int>(c.in.size()));
    EXPECT_EQ(e->type(), ValueType::kString);
  }
  EXPECT_EQ(ParseError("`\\``"), "1:4: parse error: unterminated raw string");
  EXPECT_EQ(ParseError("\"\\"),
            "1:1: parse error: escape sequence not "
            "terminated");
  EXPECT_EQ(ParseError("\"\\c\""),
            "1:1: parse error: unknown escape sequence U+0063 'c'");
  EXPECT_EQ(ParseError("\"\\x.\""),
            "1:1: parse error: illegal character U+002E '.' in escape "
            "sequence");
  EXPECT_EQ(ParseError("label_replace(a, `b`, `c\xff`, `d`, `.*`)"),
            "1:23: parse error: invalid UTF-8 rune");
  EXPECT_EQ(ParseError("some_metric{a=\"\xff\"}"),
            "1:15: parse error: invalid UTF-8 rune");
}

// ---------------------------------------------------------------------------
// Parser: operators.

TEST(ParserTest, ScalarBinaryOperators) {
  EXPECT_EQ(Tree("1 + 1"), "(1 + 1)");
  EXPECT_EQ(Tree("1 - 1"), "(1 - 1)");
  EXPECT_EQ(Tree("1 * 1"), "(1 * 1)");
  EXPECT_EQ(Tree("1 % 1"), "(1 % 1)");
  EXPECT_EQ(Tree("1 / 1"), "(1 / 1)");
  EXPECT_EQ(Tree("1 ^ 1"), "(1 ^ 1)");
  EXPECT_EQ(Tree("1 atan2 1"), "(1 atan2 1)");
  EXPECT_EQ(Tree("1 == bool 1"), "(1 == 1)");
  EXPECT_EQ(Tree("1 != bool 1"), "(1 != 1)");
  EXPECT_EQ(Tree("1 > bool 1"), "(1 > 1)");
  EXPECT_EQ(Tree("1 >= bool 1"), "(1 >= 1)");
  EXPECT_EQ(Tree("1 < bool 1"), "(1 < 1)");
  EXPECT_EQ(Tree("1 <= bool 1"), "(1 <= 1)");
  ExprPtr e = MustParse("1 == bool 1");
  ASSERT_NE(e, nullptr);
  const auto& b = static_cast<const BinaryExpr&>(*e);
  EXPECT_TRUE(b.return_bool);
  EXPECT_FALSE(b.matching.has_value());
  EXPECT_EQ(e->type(), ValueType::kScalar);
  EXPECT_EQ(b.rhs->pos.start, 10);
}

TEST(ParserTest, UnaryOperators) {
  // A sign on a number literal is folded into it.
  EXPECT_EQ(Tree("-1^2"), "(-(1 ^ 2))");
  EXPECT_EQ(Tree("-1*2"), "(-1 * 2)");
  EXPECT_EQ(Tree("-1+2"), "(-1 + 2)");
  EXPECT_EQ(Tree("-1^-2"), "(-(1 ^ -2))");
  EXPECT_EQ(Tree("+1 + -2 * 1"), "(1 + (-2 * 1))");
  EXPECT_EQ(Tree("-2^2"), "(-(2 ^ 2))");
  EXPECT_EQ(Tree("-(1)"), "(-paren(1))");
  EXPECT_EQ(Tree("--1"), "1");
  EXPECT_EQ(Tree("-some_metric"),
            "(-sel(some_metric __name__=\"some_metric\"))");
  EXPECT_EQ(Tree("+some_metric"),
            "(+sel(some_metric __name__=\"some_metric\"))");
  EXPECT_EQ(Tree("-a * b"),
            "((-sel(a __name__=\"a\")) * sel(b __name__=\"b\"))");
  EXPECT_EQ(Tree("-a ^ b"),
            "(-(sel(a __name__=\"a\") ^ sel(b __name__=\"b\")))");
  EXPECT_EQ(Tree("a * -b ^ c"),
            "(sel(a __name__=\"a\") * (-(sel(b __name__=\"b\") ^ "
            "sel(c __name__=\"c\"))))");
  EXPECT_EQ(Tree("2 ^ -1 ^ 2"), "(2 ^ (-(1 ^ 2)))");
  // Postfix modifiers bind tighter than the sign.
  EXPECT_EQ(Tree("-a offset 5m"), "(-sel(a __name__=\"a\" offset=300000))");

  ExprPtr e = MustParse(" +some_metric");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->pos.start, 1);
  EXPECT_EQ(e->pos.end, 13);
  e = MustParse("-1");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->pos.start, 0);
  EXPECT_EQ(e->pos.end, 2);
}

TEST(ParserTest, Precedence) {
  EXPECT_EQ(Tree("1 + 2/(3*1)"), "(1 + (2 / paren((3 * 1))))");
  EXPECT_EQ(Tree("1 < bool 2 - 1 * 2"), "(1 < (2 - (1 * 2)))");
  EXPECT_EQ(Tree("a + b * c"),
            "(sel(a __name__=\"a\") + (sel(b __name__=\"b\") * "
            "sel(c __name__=\"c\")))");
  EXPECT_EQ(Tree("1 + 2 - 3 + 4"), "(((1 + 2) - 3) + 4)");
  EXPECT_EQ(Tree("1 * 2 / 3 % 4 atan2 5"), "((((1 * 2) / 3) % 4) atan2 5)");
  EXPECT_EQ(Tree("2 ^ 3 ^ 2"), "(2 ^ (3 ^ 2))");
  EXPECT_EQ(Tree("1 * 2 ^ 3"), "(1 * (2 ^ 3))");
  EXPECT_EQ(Tree("1 atan2 2 + 3"), "((1 atan2 2) + 3)");
  EXPECT_EQ(Tree("1 + 2 > bool 3"), "((1 + 2) > 3)");
  EXPECT_EQ(Tree("a > b == bool c"),
            "((sel(a __name__=\"a\") > sel(b __name__=\"b\")) == "
            "sel(c __name__=\"c\"))");
  EXPECT_EQ(Tree("foo + bar or bla and blub"),
            "((sel(foo __name__=\"foo\") + sel(bar __name__=\"bar\")) or "
            "(sel(bla __name__=\"bla\") and sel(blub __name__=\"blub\")))");
  EXPECT_EQ(Tree("foo and bar unless baz or qux"),
            "(((sel(foo __name__=\"foo\") and sel(bar __name__=\"bar\")) "
            "unless sel(baz __name__=\"baz\")) or sel(qux __name__=\"qux\"))");
  EXPECT_EQ(Tree("a or b or c"),
            "((sel(a __name__=\"a\") or sel(b __name__=\"b\")) or "
            "sel(c __name__=\"c\"))");
  EXPECT_EQ(Tree("a == b > c"),
            "((sel(a __name__=\"a\") == sel(b __name__=\"b\")) > "
            "sel(c __name__=\"c\"))");
  EXPECT_EQ(Tree("a > b and c"),
            "((sel(a __name__=\"a\") > sel(b __name__=\"b\")) and "
            "sel(c __name__=\"c\"))");
}

TEST(ParserTest, VectorMatching) {
  const auto matching = [](std::string_view in) -> std::string {
    ExprPtr e = MustParse(in);
    if (e == nullptr || e->kind != ExprKind::kBinary) return "?";
    const auto& b = static_cast<const BinaryExpr&>(*e);
    if (!b.matching.has_value()) return "none";
    const VectorMatching& vm = *b.matching;
    std::string out;
    switch (vm.card) {
      case Cardinality::kOneToOne: out = "1:1"; break;
      case Cardinality::kManyToOne: out = "n:1"; break;
      case Cardinality::kOneToMany: out = "1:n"; break;
      case Cardinality::kManyToMany: out = "n:n"; break;
    }
    out += vm.on ? " on(" : " ignoring(";
    for (size_t i = 0; i < vm.matching_labels.size(); ++i) {
      out += (i ? "," : "") + vm.matching_labels[i];
    }
    out += ") include(";
    for (size_t i = 0; i < vm.include.size(); ++i) {
      out += (i ? "," : "") + vm.include[i];
    }
    return out + ")";
  };
  EXPECT_EQ(matching("foo * bar"), "1:1 ignoring() include()");
  EXPECT_EQ(matching("foo == 1"), "none");
  EXPECT_EQ(matching("foo and bar"), "n:n ignoring() include()");
  EXPECT_EQ(matching("foo or bar"), "n:n ignoring() include()");
  EXPECT_EQ(matching("foo unless bar"), "n:n ignoring() include()");
  EXPECT_EQ(matching("foo * on(test,blub) bar"), "1:1 on(test,blub) include()");
  EXPECT_EQ(matching("foo * on(test,blub) group_left bar"),
            "n:1 on(test,blub) include()");
  EXPECT_EQ(matching("foo and on(test,blub) bar"),
            "n:n on(test,blub) include()");
  EXPECT_EQ(matching("foo and on() bar"), "n:n on() include()");
  EXPECT_EQ(matching("foo and ignoring(test,blub) bar"),
            "n:n ignoring(test,blub) include()");
  EXPECT_EQ(matching("foo and ignoring() bar"), "n:n ignoring() include()");
  EXPECT_EQ(matching("foo unless on(bar) baz"), "n:n on(bar) include()");
  EXPECT_EQ(matching("foo / on(test,blub) group_left(bar) bar"),
            "n:1 on(test,blub) include(bar)");
  EXPECT_EQ(matching("foo / ignoring(test,blub) group_left(blub) bar"),
            "n:1 ignoring(test,blub) include(blub)");
  EXPECT_EQ(matching("foo - on(test,blub) group_right(bar,foo) bar"),
            "1:n on(test,blub) include(bar,foo)");
  EXPECT_EQ(matching("foo - ignoring(test,blub) group_right(bar,foo,) bar"),
            "1:n ignoring(test,blub) include(bar,foo)");
  EXPECT_EQ(matching("foo > bool on(a) bar"), "1:1 on(a) include()");
  EXPECT_EQ(matching("1 + on() foo"), "none");
  EXPECT_EQ(matching("foo unless on(start) bar"), "n:n on(start) include()");
  EXPECT_EQ(matching("foo unless on(end) bar"), "n:n on(end) include()");
  // Keywords may name labels in grouping lists.
  EXPECT_EQ(matching("a + on(sum, by, offset, bool, on, atan2) b"),
            "1:1 on(sum,by,offset,bool,on,atan2) include()");

  EXPECT_EQ(Tree("bar + on(foo) bla / on(baz, buz) group_right(test) blub"),
            "(sel(bar __name__=\"bar\") + (sel(bla __name__=\"bla\") / "
            "sel(blub __name__=\"blub\")))");
  ExprPtr e = MustParse("foo * on(test,blub) bar");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(static_cast<const BinaryExpr&>(*e).rhs->pos.start, 20);
  EXPECT_EQ(e->type(), ValueType::kVector);
}

TEST(ParserTest, BinaryErrors) {
  EXPECT_EQ(ParseError("1 and 1"),
            "1:1: parse error: set operator \"and\" not allowed in binary "
            "scalar expression");
  EXPECT_EQ(ParseError("1 == 1"),
            "1:3: parse error: comparisons between scalars must use BOOL "
            "modifier");
  EXPECT_EQ(ParseError("1 or 1"),
            "1:1: parse error: set operator \"or\" not allowed in binary "
            "scalar expression");
  EXPECT_EQ(ParseError("1 unless 1"),
            "1:1: parse error: set operator \"unless\" not allowed in binary "
            "scalar expression");
  EXPECT_EQ(ParseError("1 !~ 1"),
            "1:3: parse error: unexpected character after '!': '~'");
  EXPECT_EQ(ParseError("1 =~ 1"),
            "1:3: parse error: unexpected character after '=': '~'");
  EXPECT_EQ(ParseError("-\"string\""),
            "1:1: parse error: unary expression only allowed on expressions "
            "of type scalar or instant vector, got \"string\"");
  EXPECT_EQ(ParseError("-test[5m]"),
            "1:1: parse error: unary expression only allowed on expressions "
            "of type scalar or instant vector, got \"range vector\"");
  EXPECT_EQ(ParseError("*test"), "1:1: parse error: unexpected <op:*>");
  EXPECT_EQ(ParseError("*1"), "1:1: parse error: unexpected <op:*>");
  EXPECT_EQ(ParseError("a - on(b) ignoring(c) d"),
            "1:11: parse error: unexpected <ignoring>");
  EXPECT_EQ(ParseError("foo and 1"),
            "1:1: parse error: set operator \"and\" not allowed in binary "
            "scalar expression");
  EXPECT_EQ(ParseError("1 and foo"),
            "1:1: parse error: set operator \"and\" not allowed in binary "
            "scalar expression");
  EXPECT_EQ(ParseError("foo or 1"),
            "1:1: parse error: set operator \"or\" not allowed in binary "
            "scalar expression");
  EXPECT_EQ(ParseError("foo unless 1"),
            "1:1: parse error: set operator \"unless\" not allowed in binary "
            "scalar expression");
  EXPECT_EQ(ParseError("1 or on(bar) foo"),
            "1:1: parse error: vector matching only allowed between instant "
            "vectors");
  EXPECT_EQ(ParseError("foo == on(bar) 10"),
            "1:1: parse error: vector matching only allowed between instant "
            "vectors");
  EXPECT_EQ(ParseError("foo + group_left(baz) bar"),
            "1:7: parse error: unexpected <group_left>");
  EXPECT_EQ(ParseError("foo and on(bar) group_left(baz) bar"),
            "1:1: parse error: no grouping allowed for \"and\" operation");
  EXPECT_EQ(ParseError("foo and on(bar) group_right(baz) bar"),
            "1:1: parse error: no grouping allowed for \"and\" operation");
  EXPECT_EQ(ParseError("foo or on(bar) group_left(baz) bar"),
            "1:1: parse error: no grouping allowed for \"or\" operation");
  EXPECT_EQ(ParseError("foo unless on(bar) group_right(baz) bar"),
            "1:1: parse error: no grouping allowed for \"unless\" operation");
  EXPECT_EQ(ParseError("http_requests{group=\"production\"} + on(instance) "
                       "group_left(job,instance) cpu_count{type=\"smp\"}"),
            "1:35: parse error: label \"instance\" must not occur in ON and "
            "GROUP clause at once");
  EXPECT_EQ(ParseError("foo + bool bar"),
            "1:5: parse error: bool modifier can only be used on comparison "
            "operators");
  EXPECT_EQ(ParseError("foo + bool 10"),
            "1:5: parse error: bool modifier can only be used on comparison "
            "operators");
  EXPECT_EQ(ParseError("foo and bool 10"),
            "1:5: parse error: bool modifier can only be used on comparison "
            "operators");
  EXPECT_EQ(ParseError("foo[5m] + 1"),
            "1:1: parse error: binary expression must contain only scalar "
            "and instant vector types");
  EXPECT_EQ(ParseError("1 + foo[5m]"),
            "1:5: parse error: binary expression must contain only scalar "
            "and instant vector types");
  EXPECT_EQ(ParseError("\"a\" + 1"),
            "1:1: parse error: binary expression must contain only scalar "
            "and instant vector types");
  EXPECT_EQ(ParseError("foo == bool on(a) bool bar"),
            "1:19: parse error: unexpected <bool>");
  EXPECT_EQ(ParseError("foo + on bar"),
            "1:10: parse error: unexpected identifier \"bar\" in grouping "
            "opts, expected \"(\"");
  EXPECT_EQ(ParseError("foo + on(a b) bar"),
            "1:12: parse error: unexpected identifier \"b\" in grouping "
            "opts, expected \",\" or \")\"");
  EXPECT_EQ(ParseError("1+"), "1:3: parse error: unexpected end of input");
  EXPECT_EQ(ParseError("1 /"), "1:4: parse error: unexpected end of input");
  EXPECT_EQ(ParseError("foo + bool"),
            "1:11: parse error: unexpected end of input");
}

TEST(ParserTest, FuzzingRegressions) {
  EXPECT_EQ(ParseError("-="), "1:2: parse error: unexpected \"=\"");
  EXPECT_EQ(ParseError("++-++-+-+-<"), "1:11: parse error: unexpected <op:<>");
  EXPECT_EQ(ParseError("e-+=/(0)"), "1:4: parse error: unexpected \"=\"");
  EXPECT_EQ(ParseError("a>b()"),
            "1:3: parse error: unknown function with name \"b\"");
  EXPECT_EQ(ParseError("rate(avg)"),
            "1:6: parse error: expected type range vector in call to function "
            "\"rate\", got instant vector");
  // Nests deeply and fails late, without taking long.
  std::string in = "(";
  for (int i = 0; i < 1000; ++i) in += "-{}-1";
  in += ")";
  for (int i = 0; i < 100; ++i) in += "[1m:]";
  EXPECT_EQ(ParseError(in),
            "1:3: parse error: vector selector must contain at least one "
            "non-empty matcher");
}

// ---------------------------------------------------------------------------
// Parser: selectors.

TEST(ParserTest, VectorSelectors) {
  EXPECT_EQ(Tree("foo"), "sel(foo __name__=\"foo\")");
  EXPECT_EQ(Tree("min"), "sel(min __name__=\"min\")");
  EXPECT_EQ(Tree("foo * sum"),
            "(sel(foo __name__=\"foo\") * sel(sum __name__=\"sum\"))");
  EXPECT_EQ(Tree("sum(sum)"), "sum[](sel(sum __name__=\"sum\"))");
  EXPECT_EQ(Tree("a + sum"),
            "(sel(a __name__=\"a\") + sel(sum __name__=\"sum\"))");
  EXPECT_EQ(Tree("foo:bar{a=\"bc\"}"),
            "sel(foo:bar a=\"bc\" __name__=\"foo:bar\")");
  EXPECT_EQ(Tree("foo{NaN='bc'}"), "sel(foo NaN=\"bc\" __name__=\"foo\")");
  EXPECT_EQ(Tree("foo{bar='}'}"), "sel(foo bar=\"}\" __name__=\"foo\")");
  EXPECT_EQ(Tree("foo{a=\"b\", foo!=\"bar\", test=~\"test\", bar!~\"baz\"}"),
            "sel(foo a=\"b\" foo!=\"bar\" test=~\"test\" bar!~\"baz\" "
            "__name__=\"foo\")");
  EXPECT_EQ(Tree("foo{a=\"b\", foo!=\"bar\", test=~\"test\", bar!~\"baz\",}"),
            "sel(foo a=\"b\" foo!=\"bar\" test=~\"test\" bar!~\"baz\" "
            "__name__=\"foo\")");
  EXPECT_EQ(Tree("{__name__=\"foo\"}"), "sel( __name__=\"foo\")");
  EXPECT_EQ(Tree("foo{}"), "sel(foo __name__=\"foo\")");
  EXPECT_EQ(Tree("start"), "sel(start __name__=\"start\")");
  EXPECT_EQ(Tree("end"), "sel(end __name__=\"end\")");
  EXPECT_EQ(Tree("start{end=\"foo\"}"),
            "sel(start end=\"foo\" __name__=\"start\")");
  EXPECT_EQ(Tree("end{start=\"foo\"}"),
            "sel(end start=\"foo\" __name__=\"end\")");
  EXPECT_EQ(Tree("by"), "sel(by __name__=\"by\")");
  EXPECT_EQ(Tree("offset"), "sel(offset __name__=\"offset\")");
  EXPECT_EQ(Tree("{on=\"x\", and=\"y\"}"), "sel( on=\"x\" and=\"y\")");
  EXPECT_EQ(Tree("foo # comment\n"), "sel(foo __name__=\"foo\")");

  ExprPtr e = MustParse(
      "foo{a=\"b\", foo!=\"bar\", test=~\"test\", "
      "bar!~\"baz\"}");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->pos.start, 0);
  EXPECT_EQ(e->pos.end, 48);
  EXPECT_EQ(e->type(), ValueType::kVector);
  // Regexes are anchored.
  const auto& vs = static_cast<const VectorSelector&>(*e);
  EXPECT_TRUE(vs.matchers[2].Matches("test"));
  EXPECT_FALSE(vs.matchers[2].Matches("testing"));
}

TEST(ParserTest, VectorSelectorErrors) {
  EXPECT_EQ(ParseError("{"),
            "1:2: parse error: unexpected end of input inside braces");
  EXPECT_EQ(ParseError("}"), "1:1: parse error: unexpected character: '}'");
  EXPECT_EQ(ParseError("some{"),
            "1:6: parse error: unexpected end of input inside braces");
  EXPECT_EQ(ParseError("some}"), "1:5: parse error: unexpected character: '}'");
  EXPECT_EQ(ParseError("some_metric{a=b}"),
            "1:15: parse error: unexpected identifier \"b\" in label "
            "matching, expected string");
  EXPECT_EQ(ParseError("some_metric{a:b=\"b\"}"),
            "1:14: parse error: unexpected character inside braces: ':'");
  EXPECT_EQ(ParseError("foo{a*\"b\"}"),
            "1:6: parse error: unexpected character inside braces: '*'");
  EXPECT_EQ(ParseError("foo{a>=\"b\"}"),
            "1:6: parse error: unexpected character inside braces: '>'");
  EXPECT_EQ(ParseError("foo{gibberish}"),
            "1:14: parse error: unexpected \"}\" in label matching, expected "
            "label matching operator");
  EXPECT_EQ(ParseError("foo{1}"),
            "1:5: parse error: unexpected character inside braces: '1'");
  EXPECT_EQ(ParseError("{}"),
            "1:1: parse error: vector selector must contain at least one "
            "non-empty matcher");
  EXPECT_EQ(ParseError("{x=\"\"}"),
            "1:1: parse error: vector selector must contain at least one "
            "non-empty matcher");
  EXPECT_EQ(ParseError("{x=~\".*\"}"),
            "1:1: parse error: vector selector must contain at least one "
            "non-empty matcher");
  EXPECT_EQ(ParseError("{x!~\".+\"}"),
            "1:1: parse error: vector selector must contain at least one "
            "non-empty matcher");
  EXPECT_EQ(ParseError("{x!=\"a\"}"),
            "1:1: parse error: vector selector must contain at least one "
            "non-empty matcher");
  EXPECT_EQ(ParseError("foo{__name__=\"bar\"}"),
            "1:1: parse error: metric name must not be set twice: \"foo\" or "
            "\"bar\"");
  EXPECT_EQ(ParseError("foo{__name__=~\"bar\"}"),
            "1:1: parse error: metric name must not be set twice: \"foo\" or "
            "\"bar\"");
  EXPECT_EQ(ParseError("foo{__name__= =}"),
            "1:15: parse error: unexpected \"=\" in label matching, expected "
            "string");
  EXPECT_EQ(ParseError("foo{,}"),
            "1:5: parse error: unexpected \",\" in label matching, expected "
            "identifier or \"}\"");
  EXPECT_EQ(ParseError("foo{a=\"b\",,}"),
            "1:11: parse error: unexpected \",\" in label matching, expected "
            "identifier or \"}\"");
  EXPECT_EQ(ParseError("foo{__name__ == \"bar\"}"),
            "1:15: parse error: unexpected \"=\" in label matching, expected "
            "string");
  EXPECT_EQ(ParseError("foo{__name__=\"bar\" lol}"),
            "1:20: parse error: unexpected identifier \"lol\" in label "
            "matching, expected \",\" or \"}\"");
  EXPECT_EQ(ParseError("foo{a=\"b\" \"c\"}"),
            "1:11: parse error: unexpected string \"\\\"c\\\"\" in label "
            "matching, expected \",\" or \"}\"");
  // A regex that does not compile is a parse error at the label.
  const std::string bad_regex = ParseError("foo{a=~\"(\"}");
  EXPECT_EQ(bad_regex.rfind("1:5: parse error: ", 0), 0u) << bad_regex;
  EXPECT_NE(bad_regex.find("("), std::string::npos);
  EXPECT_EQ(ParseError("台北"), "1:1: parse error: unexpected character: '台'");
  EXPECT_EQ(ParseError("foo bar"),
            "1:5: parse error: unexpected identifier \"bar\"");
  EXPECT_EQ(ParseError("on"), "1:1: parse error: unexpected <on>");
  EXPECT_EQ(ParseError("bool"), "1:1: parse error: unexpected <bool>");
  EXPECT_EQ(ParseError("atan2"), "1:1: parse error: unexpected <op:atan2>");
  EXPECT_EQ(ParseError("foo:bar(x)"), "1:8: parse error: unexpected \"(\"");
}

TEST(ParserTest, MatrixSelectors) {
  EXPECT_EQ(Tree("test[5s]"), "matrix(sel(test __name__=\"test\") 5000)");
  EXPECT_EQ(Tree("test[5m]"), "matrix(sel(test __name__=\"test\") 300000)");
  EXPECT_EQ(Tree("foo[5m30s]"), "matrix(sel(foo __name__=\"foo\") 330000)");
  EXPECT_EQ(Tree("test[5h] OFFSET 5m"),
            "matrix(sel(test __name__=\"test\" offset=300000) 18000000)");
  EXPECT_EQ(Tree("test[5d] OFFSET 10s"),
            "matrix(sel(test __name__=\"test\" offset=10000) 432000000)");
  EXPECT_EQ(Tree("test[5w] offset 2w"),
            "matrix(sel(test __name__=\"test\" offset=1209600000) "
            "3024000000)");
  EXPECT_EQ(Tree("test{a=\"b\"}[5y] OFFSET 3d"),
            "matrix(sel(test a=\"b\" __name__=\"test\" offset=259200000) "
            "157680000000)");
  EXPECT_EQ(Tree("test{a=\"b\"}[5y] @ 1603774699"),
            "matrix(sel(test a=\"b\" __name__=\"test\" at=1603774699000) "
            "157680000000)");
  EXPECT_EQ(Tree("test[5y] @ start()"),
            "matrix(sel(test __name__=\"test\" at=start) 157680000000)");
  EXPECT_EQ(Tree("test[5y] @ end()"),
            "matrix(sel(test __name__=\"test\" at=end) 157680000000)");
  EXPECT_EQ(Tree("foo[ 5m ]"), "matrix(sel(foo __name__=\"foo\") 300000)");
  EXPECT_EQ(Tree("sum[5m]"), "matrix(sel(sum __name__=\"sum\") 300000)");

  ExprPtr e = MustParse("test[5h] OFFSET 5m");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->pos.start, 0);
  EXPECT_EQ(e->pos.end, 18);
  EXPECT_EQ(e->type(), ValueType::kMatrix);
  const auto& ms = static_cast<const MatrixSelector&>(*e);
  EXPECT_EQ(ms.vector_selector->pos.end, 4);
}

TEST(ParserTest, MatrixSelectorErrors) {
  EXPECT_EQ(ParseError("foo[5mm]"),
            "1:5: parse error: bad duration syntax: \"5mm\"");
  EXPECT_EQ(ParseError("foo[5m1]"),
            "1:5: parse error: bad duration syntax: \"5m1\"");
  EXPECT_EQ(ParseError("foo[5m:1m1]"),
            "1:8: parse error: bad number or duration syntax: \"1m1\"");
  EXPECT_EQ(ParseError("foo[5y1hs]"),
            "1:5: parse error: not a valid duration string: \"5y1hs\"");
  EXPECT_EQ(ParseError("foo[5m1h]"),
            "1:5: parse error: not a valid duration string: \"5m1h\"");
  EXPECT_EQ(ParseError("foo[5m1m]"),
            "1:5: parse error: not a valid duration string: \"5m1m\"");
  EXPECT_EQ(ParseError("foo[0m]"),
            "1:5: parse error: duration must be greater than 0");
  EXPECT_EQ(ParseError("foo[\"5m\"]"),
            "1:5: parse error: missing unit character in duration");
  EXPECT_EQ(ParseError("foo[]"),
            "1:5: parse error: missing unit character in duration");
  EXPECT_EQ(ParseError("foo[1]"),
            "1:5: parse error: missing unit character in duration");
  EXPECT_EQ(ParseError("foo[5m"), "1:7: parse error: unclosed left bracket");
  EXPECT_EQ(ParseError("foo[5m 1m]"),
            "1:8: parse error: unexpected duration \"1m\" in subquery or "
            "range, expected \":\" or \"]\"");
  EXPECT_EQ(ParseError("some_metric[5m] OFFSET 1"),
            "1:24: parse error: unexpected number \"1\" in offset, expected "
            "duration");
  EXPECT_EQ(ParseError("some_metric[5m] OFFSET 1mm"),
            "1:24: parse error: bad number or duration syntax: \"1mm\"");
  EXPECT_EQ(ParseError("some_metric[5m] OFFSET"),
            "1:23: parse error: unexpected end of input in offset, expected "
            "duration");
  EXPECT_EQ(ParseError("some_metric OFFSET 1m[5m]"),
            "1:22: parse error: no offset modifiers allowed before range");
  EXPECT_EQ(ParseError("some_metric[5m] @ 1m"),
            "1:19: parse error: unexpected duration \"1m\" in @, expected "
            "timestamp");
  EXPECT_EQ(ParseError("some_metric[5m] @"),
            "1:18: parse error: unexpected end of input in @, expected "
            "timestamp");
  EXPECT_EQ(ParseError("some_metric @ 1234 [5m]"),
            "1:20: parse error: no @ modifiers allowed before range");
  EXPECT_EQ(ParseError("(foo + bar)[5m]"),
            "1:12: parse error: ranges only allowed for vector selectors");
  EXPECT_EQ(ParseError("rate(food[1m])[1h] offset 1h"),
            "1:15: parse error: ranges only allowed for vector selectors");
  EXPECT_EQ(ParseError("rate(food[1m])[1h] @ 100"),
            "1:15: parse error: ranges only allowed for vector selectors");
  EXPECT_EQ(ParseError("foo[5m][5m]"),
            "1:8: parse error: ranges only allowed for vector selectors");
  EXPECT_EQ(ParseError("foo[5m] offset 1m[5m]"),
            "1:18: parse error: ranges only allowed for vector selectors");
  EXPECT_EQ(ParseError("foo[5m:1m1m]"),
            "1:8: parse error: not a valid duration string: \"1m1m\"");
  EXPECT_EQ(ParseError("foo[5m:0s]"),
            "1:8: parse error: duration must be greater than 0");
}

TEST(ParserTest, OffsetAndAt) {
  EXPECT_EQ(Tree("foo offset 5m"), "sel(foo __name__=\"foo\" offset=300000)");
  EXPECT_EQ(Tree("foo offset -7m"), "sel(foo __name__=\"foo\" offset=-420000)");
  EXPECT_EQ(Tree("foo OFFSET 1h30m"),
            "sel(foo __name__=\"foo\" offset=5400000)");
  EXPECT_EQ(Tree("foo OFFSET 1m30ms"),
            "sel(foo __name__=\"foo\" offset=60030)");
  EXPECT_EQ(Tree("foo @ 1603774568"),
            "sel(foo __name__=\"foo\" at=1603774568000)");
  EXPECT_EQ(Tree("foo @ -100"), "sel(foo __name__=\"foo\" at=-100000)");
  EXPECT_EQ(Tree("foo @ +100"), "sel(foo __name__=\"foo\" at=100000)");
  EXPECT_EQ(Tree("foo @ .3"), "sel(foo __name__=\"foo\" at=300)");
  EXPECT_EQ(Tree("foo @ 3."), "sel(foo __name__=\"foo\" at=3000)");
  EXPECT_EQ(Tree("foo @ 3.33"), "sel(foo __name__=\"foo\" at=3330)");
  EXPECT_EQ(Tree("foo @ 3.3333"), "sel(foo __name__=\"foo\" at=3333)");
  EXPECT_EQ(Tree("foo @ 3.3335"), "sel(foo __name__=\"foo\" at=3334)");
  EXPECT_EQ(Tree("foo @ 3e2"), "sel(foo __name__=\"foo\" at=300000)");
  EXPECT_EQ(Tree("foo @ 3e-1"), "sel(foo __name__=\"foo\" at=300)");
  EXPECT_EQ(Tree("foo @ 0xA"), "sel(foo __name__=\"foo\" at=10000)");
  EXPECT_EQ(Tree("foo @ -3.3e1"), "sel(foo __name__=\"foo\" at=-33000)");
  EXPECT_EQ(Tree("foo @ start()"), "sel(foo __name__=\"foo\" at=start)");
  EXPECT_EQ(Tree("foo @ end()"), "sel(foo __name__=\"foo\" at=end)");
  EXPECT_EQ(Tree("foo @ START ( )"), "sel(foo __name__=\"foo\" at=start)");
  // Either order.
  EXPECT_EQ(Tree("foo offset 1m @ 100"),
            "sel(foo __name__=\"foo\" offset=60000 at=100000)");
  EXPECT_EQ(Tree("foo @ 100 offset 1m"),
            "sel(foo __name__=\"foo\" offset=60000 at=100000)");
  // They bind to the nearest operand.
  EXPECT_EQ(Tree("a + b offset 5m"),
            "(sel(a __name__=\"a\") + sel(b __name__=\"b\" offset=300000))");
  EXPECT_EQ(Tree("a ^ b @ 5"),
            "(sel(a __name__=\"a\") ^ sel(b __name__=\"b\" at=5000))");

  ExprPtr e = MustParse("foo offset 5m");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->pos.end, 13);
  e = MustParse("foo @ start()");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->pos.end, 13);
}

TEST(ParserTest, OffsetAndAtErrors) {
  EXPECT_EQ(ParseError("1 offset 1d"),
            "1:1: parse error: offset modifier must be preceded by an instant "
            "vector selector or range vector selector or a subquery");
  EXPECT_EQ(ParseError("foo offset 1s offset 2s"),
            "1:1: parse error: offset may not be set multiple times");
  EXPECT_EQ(ParseError("foo offset 0s"),
            "1:12: parse error: duration must be greater than 0");
  EXPECT_EQ(ParseError("foo offset +5m"),
            "1:12: parse error: unexpected <op:+> in offset, expected "
            "duration");
  EXPECT_EQ(ParseError("foo offset - 5"),
            "1:14: parse error: unexpected number \"5\" in offset, expected "
            "duration");
  EXPECT_EQ(ParseError("sum(foo) offset 5m"),
            "1:1: parse error: offset modifier must be preceded by an instant "
            "vector selector or range vector selector or a subquery");
  EXPECT_EQ(ParseError("foo @ +Inf"),
            "1:1: parse error: timestamp out of bounds for @ modifier: +Inf");
  EXPECT_EQ(ParseError("foo @ -Inf"),
            "1:1: parse error: timestamp out of bounds for @ modifier: -Inf");
  EXPECT_EQ(ParseError("foo @ NaN"),
            "1:1: parse error: timestamp out of bounds for @ modifier: NaN");
  EXPECT_EQ(ParseError("foo @ 9223372036854775808.000000"),
            "1:1: parse error: timestamp out of bounds for @ modifier: "
            "9223372036854775808.000000");
  EXPECT_EQ(ParseError("foo @ -9223372036854775808.000000"),
            "1:1: parse error: timestamp out of bounds for @ modifier: "
            "-9223372036854775808.000000");
  EXPECT_EQ(ParseError("rate(some_metric[5m]) @ 1234"),
            "1:1: parse error: @ modifier must be preceded by an instant "
            "vector selector or range vector selector or a subquery");
  EXPECT_EQ(ParseError("foo @ 1 @ 2"),
            "1:1: parse error: @ <timestamp> may not be set multiple times");
  EXPECT_EQ(ParseError("foo @ start() @ 2"),
            "1:1: parse error: @ <timestamp> may not be set multiple times");
  EXPECT_EQ(ParseError("foo @ start"),
            "1:12: parse error: unexpected end of input in @, expected "
            "timestamp");
  EXPECT_EQ(ParseError("foo @ start(x)"),
            "1:13: parse error: unexpected identifier \"x\" in @, expected "
            "timestamp");
  EXPECT_EQ(ParseError("foo @ - x"),
            "1:9: parse error: unexpected identifier \"x\" in @, expected "
            "timestamp");
  EXPECT_EQ(ParseError("start()"), "1:6: parse error: unexpected \"(\"");
  EXPECT_EQ(ParseError("end()"), "1:4: parse error: unexpected \"(\"");
}

TEST(ParserTest, Subqueries) {
  EXPECT_EQ(Tree("foo{bar=\"baz\"}[10m:6s]"),
            "subquery(sel(foo bar=\"baz\" __name__=\"foo\") 600000:6000)");
  EXPECT_EQ(Tree("foo{bar=\"baz\"}[10m5s:1h6ms]"),
            "subquery(sel(foo bar=\"baz\" __name__=\"foo\") 605000:3600006)");
  EXPECT_EQ(Tree("foo[10m:]"), "subquery(sel(foo __name__=\"foo\") 600000:0)");
  EXPECT_EQ(Tree("min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:5s])"),
            "min_over_time(subquery(rate(matrix(sel(foo bar=\"baz\" "
            "__name__=\"foo\") 2000)) 300000:5000))");
  EXPECT_EQ(Tree("min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:])[4m:3s]"),
            "subquery(min_over_time(subquery(rate(matrix(sel(foo bar=\"baz\" "
            "__name__=\"foo\") 2000)) 300000:0)) 240000:3000)");
  EXPECT_EQ(
      Tree("min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] offset 4m)[4m:3s]"),
      "subquery(min_over_time(subquery(rate(matrix(sel(foo bar=\"baz\" "
      "__name__=\"foo\") 2000)) 300000:0 offset=240000)) 240000:3000)");
  EXPECT_EQ(Tree("min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] @ "
                 "1603775091)[4m:3s]"),
            "subquery(min_over_time(subquery(rate(matrix(sel(foo bar=\"baz\" "
            "__name__=\"foo\") 2000)) 300000:0 at=1603775091000)) "
            "240000:3000)");
  EXPECT_EQ(Tree("sum without(and, by, avg, count, alert, annotations)"
                 "(some_metric) [30m:10s]"),
            "subquery(sum-without[and,by,avg,count,alert,annotations](sel("
            "some_metric __name__=\"some_metric\")) 1800000:10000)");
  EXPECT_EQ(Tree("some_metric OFFSET 1m [10m:5s]"),
            "subquery(sel(some_metric __name__=\"some_metric\" offset=60000) "
            "600000:5000)");
  EXPECT_EQ(Tree("some_metric @ 123 [10m:5s]"),
            "subquery(sel(some_metric __name__=\"some_metric\" at=123000) "
            "600000:5000)");
  EXPECT_EQ(Tree("some_metric @ 123 offset 1m [10m:5s]"),
            "subquery(sel(some_metric __name__=\"some_metric\" offset=60000 "
            "at=123000) 600000:5000)");
  EXPECT_EQ(Tree("some_metric[10m:5s] offset 1m @ 123"),
            "subquery(sel(some_metric __name__=\"some_metric\") 600000:5000 "
            "offset=60000 at=123000)");
  EXPECT_EQ(Tree("(foo + bar{nm=\"val\"})[5m:]"),
            "subquery(paren((sel(foo __name__=\"foo\") + sel(bar nm=\"val\" "
            "__name__=\"bar\"))) 300000:0)");
  EXPECT_EQ(Tree("(foo + bar{nm=\"val\"} @ 1234)[5m:] @ 1603775019"),
            "subquery(paren((sel(foo __name__=\"foo\") + sel(bar nm=\"val\" "
            "__name__=\"bar\" at=1234000))) 300000:0 at=1603775019000)");
  EXPECT_EQ(Tree("foo[10m:6s] @ start()"),
            "subquery(sel(foo __name__=\"foo\") 600000:6000 at=start)");
  EXPECT_EQ(Tree("foo[10m:6s] @ end()"),
            "subquery(sel(foo __name__=\"foo\") 600000:6000 at=end)");
  EXPECT_EQ(Tree("foo[5m x]"), "subquery(sel(foo __name__=\"foo\") 300000:0)");

  ExprPtr e = MustParse("some_metric[10m:5s] offset 1m @ 123");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->pos.end, 35);
  EXPECT_EQ(e->type(), ValueType::kMatrix);
  e = MustParse("foo[10m:]");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->pos.end, 9);
}

TEST(ParserTest, SubqueryErrors) {
  EXPECT_EQ(ParseError("test[5d] OFFSET 10s [10m:5s]"),
            "1:1: parse error: subquery is only allowed on instant vector, got "
            "matrix instead");
  EXPECT_EQ(ParseError("(foo + bar{nm=\"val\"})[5m:][10m:5s]"),
            "1:1: parse error: subquery is only allowed on instant vector, got "
            "matrix instead");
  EXPECT_EQ(ParseError("1[5m:]"),
            "1:1: parse error: subquery is only allowed on instant vector, got "
            "scalar instead");
  EXPECT_EQ(ParseError("foo[5m:1]"),
            "1:8: parse error: unexpected number \"1\" in subquery selector, "
            "expected duration or \"]\"");
  EXPECT_EQ(ParseError("foo[5m:1m 5]"),
            "1:11: parse error: unexpected number \"5\" in subquery selector, "
            "expected \"]\"");
  EXPECT_EQ(ParseError("foo[5m:1m:]"),
            "1:10: parse error: unexpected colon ':'");
  EXPECT_EQ(ParseError("foo[5m:1m"),
            "1:10: parse error: unclosed left "
            "bracket");
}

// ---------------------------------------------------------------------------
// Parser: aggregations.

TEST(ParserTest, Aggregations) {
  EXPECT_EQ(Tree("sum by (foo)(some_metric)"),
            "sum[foo](sel(some_metric __name__=\"some_metric\"))");
  EXPECT_EQ(Tree("avg by (foo)(some_metric)"),
            "avg[foo](sel(some_metric __name__=\"some_metric\"))");
  EXPECT_EQ(Tree("max by (foo)(some_metric)"),
            "max[foo](sel(some_metric __name__=\"some_metric\"))");
  EXPECT_EQ(Tree("sum without (foo) (some_metric)"),
            "sum-without[foo](sel(some_metric __name__=\"some_metric\"))");
  EXPECT_EQ(Tree("sum (some_metric) without (foo)"),
            "sum-without[foo](sel(some_metric __name__=\"some_metric\"))");
  EXPECT_EQ(Tree("stddev(some_metric)"),
            "stddev[](sel(some_metric __name__=\"some_metric\"))");
  EXPECT_EQ(Tree("stdvar by (foo)(some_metric)"),
            "stdvar[foo](sel(some_metric __name__=\"some_metric\"))");
  EXPECT_EQ(Tree("sum by ()(some_metric)"),
            "sum[](sel(some_metric __name__=\"some_metric\"))");
  EXPECT_EQ(Tree("sum by (foo,bar,)(some_metric)"),
            "sum[foo,bar](sel(some_metric __name__=\"some_metric\"))");
  EXPECT_EQ(Tree("sum by (foo,)(some_metric)"),
            "sum[foo](sel(some_metric __name__=\"some_metric\"))");
  EXPECT_EQ(Tree("topk(5, some_metric)"),
            "topk[](5, sel(some_metric __name__=\"some_metric\"))");
  EXPECT_EQ(Tree("count_values(\"value\", some_metric)"),
            "count_values[](\"value\", sel(some_metric "
            "__name__=\"some_metric\"))");
  EXPECT_EQ(Tree("sum without(and, by, avg, count, alert, annotations)"
                 "(some_metric)"),
            "sum-without[and,by,avg,count,alert,annotations](sel(some_metric "
            "__name__=\"some_metric\"))");
  EXPECT_EQ(Tree("SUM BY (job) (x)"), "sum[job](sel(x __name__=\"x\"))");
  EXPECT_EQ(Tree("quantile(0.9, x) by (a)"),
            "quantile[a](0.9, sel(x __name__=\"x\"))");
  EXPECT_EQ(Tree("bottomk by (a) (3, x)"),
            "bottomk[a](3, sel(x __name__=\"x\"))");
  EXPECT_EQ(Tree("group without () (x)"),
            "group-without[](sel(x __name__=\"x\"))");

  ExprPtr e = MustParse("sum by (foo)(some_metric)");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->pos.start, 0);
  EXPECT_EQ(e->pos.end, 25);
  EXPECT_EQ(e->type(), ValueType::kVector);
  e = MustParse("sum (some_metric) without (foo)");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->pos.end, 31);
  e = MustParse("topk(5, some_metric)");
  ASSERT_NE(e, nullptr);
  const auto& agg = static_cast<const AggregateExpr&>(*e);
  EXPECT_EQ(agg.param->pos.start, 5);
  EXPECT_EQ(agg.expr->pos.start, 8);
}

TEST(ParserTest, AggregationErrors) {
  EXPECT_EQ(ParseError("sum without(==)(some_metric)"),
            "1:13: parse error: unexpected <op:==> in grouping opts, "
            "expected label");
  EXPECT_EQ(ParseError("sum without(,)(some_metric)"),
            "1:13: parse error: unexpected \",\" in grouping opts, expected "
            "label");
  EXPECT_EQ(ParseError("sum without(foo,,)(some_metric)"),
            "1:17: parse error: unexpected \",\" in grouping opts, expected "
            "label");
  EXPECT_EQ(ParseError("sum by (foo:bar)(x)"),
            "1:9: parse error: unexpected metric identifier \"foo:bar\" in "
            "grouping opts, expected label");
  EXPECT_EQ(ParseError("sum by (without)(x)"),
            "1:9: parse error: unexpected <without> in grouping opts, "
            "expected label");
  EXPECT_EQ(ParseError("sum some_metric by (test)"),
            "1:5: parse error: unexpected identifier \"some_metric\"");
  EXPECT_EQ(ParseError("sum (some_metric) by test"),
            "1:22: parse error: unexpected identifier \"test\" in grouping "
            "opts, expected \"(\"");
  EXPECT_EQ(ParseError("sum () by (test)"),
            "1:1: parse error: no arguments for aggregate expression "
            "provided");
  EXPECT_EQ(ParseError("MIN keep_common (some_metric)"),
            "1:5: parse error: unexpected identifier \"keep_common\"");
  EXPECT_EQ(ParseError("MIN (some_metric) keep_common"),
            "1:19: parse error: unexpected identifier \"keep_common\"");
  EXPECT_EQ(ParseError("sum (some_metric) without (test) by (test)"),
            "1:34: parse error: unexpected <by>");
  EXPECT_EQ(ParseError("sum without (test) (some_metric) by (test)"),
            "1:34: parse error: unexpected <by>");
  EXPECT_EQ(ParseError("topk(some_metric)"),
            "1:1: parse error: wrong number of arguments for aggregate "
            "expression provided, expected 2, got 1");
  EXPECT_EQ(ParseError("sum(a, b)"),
            "1:1: parse error: wrong number of arguments for aggregate "
            "expression provided, expected 1, got 2");
  EXPECT_EQ(ParseError("topk(some_metric,)"),
            "1:17: parse error: trailing commas not allowed in function call "
            "args");
  EXPECT_EQ(ParseError("topk(some_metric, other_metric)"),
            "1:6: parse error: expected type scalar in aggregation parameter, "
            "got instant vector");
  EXPECT_EQ(ParseError("count_values(5, other_metric)"),
            "1:14: parse error: expected type string in aggregation "
            "parameter, got scalar");
  EXPECT_EQ(ParseError("sum(x[5m])"),
            "1:5: parse error: expected type instant vector in aggregation "
            "expression, got range vector");
  // Syntax errors inside the operands are reported "in aggregation".
  EXPECT_EQ(ParseError("sum(1+)"),
            "1:7: parse error: unexpected \")\" in aggregation");
  EXPECT_EQ(ParseError("sum(foo bar)"),
            "1:9: parse error: unexpected identifier \"bar\" in aggregation");
  EXPECT_EQ(ParseError("sum by (a) foo"),
            "1:12: parse error: unexpected identifier \"foo\" in "
            "aggregation");
  EXPECT_EQ(ParseError("sum by (a) by (b) (x)"),
            "1:12: parse error: unexpected <by> in aggregation");
  EXPECT_EQ(ParseError("count(rate(x[5m]) y)"),
            "1:19: parse error: unexpected identifier \"y\" in aggregation");
  EXPECT_EQ(ParseError("sum(x) + )"),
            "1:11: parse error: unexpected right parenthesis ')'");
  // The lexer's error after the operands comes before the arity check.
  EXPECT_EQ(ParseError("sum() $"),
            "1:7: parse error: unexpected character: '$'");
  EXPECT_EQ(ParseError("sum by (a"),
            "1:10: parse error: unclosed left parenthesis");
}

// ---------------------------------------------------------------------------
// Parser: function calls.

TEST(ParserTest, FunctionCalls) {
  EXPECT_EQ(Tree("time()"), "time()");
  EXPECT_EQ(Tree("floor(some_metric{foo!=\"bar\"})"),
            "floor(sel(some_metric foo!=\"bar\" __name__=\"some_metric\"))");
  EXPECT_EQ(Tree("rate(some_metric[5m])"),
            "rate(matrix(sel(some_metric __name__=\"some_metric\") 300000))");
  EXPECT_EQ(Tree("round(some_metric)"),
            "round(sel(some_metric __name__=\"some_metric\"))");
  EXPECT_EQ(Tree("round(some_metric, 5)"),
            "round(sel(some_metric __name__=\"some_metric\"), 5)");
  EXPECT_EQ(Tree("hour()"), "hour()");
  EXPECT_EQ(Tree("label_join(x, \"a\", \",\", \"b\", \"c\", \"d\")"),
            "label_join(sel(x __name__=\"x\"), \"a\", \",\", \"b\", \"c\", "
            "\"d\")");
  EXPECT_EQ(Tree("histogram_quantile(0.9, rate(x[5m]))"),
            "histogram_quantile(0.9, rate(matrix(sel(x __name__=\"x\") "
            "300000)))");

  ExprPtr e = MustParse("rate(some_metric[5m])");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->pos.end, 21);
  EXPECT_EQ(e->type(), ValueType::kVector);
  e = MustParse("time()");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->type(), ValueType::kScalar);
  EXPECT_EQ(static_cast<const Call&>(*e).func, LookupFunction("time"));
}

TEST(ParserTest, FunctionCallErrors) {
  EXPECT_EQ(ParseError("floor()"),
            "1:1: parse error: expected 1 argument(s) in call to \"floor\", "
            "got 0");
  EXPECT_EQ(ParseError("floor(some_metric, other_metric)"),
            "1:1: parse error: expected 1 argument(s) in call to \"floor\", "
            "got 2");
  EXPECT_EQ(ParseError("floor(some_metric, 1)"),
            "1:1: parse error: expected 1 argument(s) in call to \"floor\", "
            "got 2");
  EXPECT_EQ(ParseError("floor(1)"),
            "1:7: parse error: expected type instant vector in call to "
            "function \"floor\", got scalar");
  EXPECT_EQ(ParseError("hour(some_metric, some_metric, some_metric)"),
            "1:1: parse error: expected at most 1 argument(s) in call to "
            "\"hour\", got 3");
  EXPECT_EQ(ParseError("time(some_metric)"),
            "1:1: parse error: expected 0 argument(s) in call to \"time\", "
            "got 1");
  EXPECT_EQ(ParseError("rate(x, y)"),
            "1:1: parse error: expected 1 argument(s) in call to \"rate\", "
            "got 2");
  EXPECT_EQ(ParseError("label_join(x)"),
            "1:1: parse error: expected at least 3 argument(s) in call to "
            "\"label_join\", got 1");
  EXPECT_EQ(ParseError("label_join(x, \"a\", \",\", 1)"),
            "1:25: parse error: expected type string in call to function "
            "\"label_join\", got scalar");
  EXPECT_EQ(ParseError("non_existent_function_far_bar()"),
            "1:1: parse error: unknown function with name "
            "\"non_existent_function_far_bar\"");
  EXPECT_EQ(ParseError("foo(1 +)"), "1:8: parse error: unexpected \")\"");
  EXPECT_EQ(ParseError("rate(some_metric)"),
            "1:6: parse error: expected type range vector in call to function "
            "\"rate\", got instant vector");
  EXPECT_EQ(ParseError("rate(x,)"),
            "1:7: parse error: trailing commas not allowed in function call "
            "args");
  EXPECT_EQ(ParseError("rate(x,,)"),
            "1:7: parse error: trailing commas not allowed in function call "
            "args");
  EXPECT_EQ(ParseError("rate(,)"), "1:6: parse error: unexpected \",\"");
  EXPECT_EQ(ParseError("rate(x"),
            "1:7: parse error: unclosed left "
            "parenthesis");
  EXPECT_EQ(ParseError("abs(-\"a\")"),
            "1:5: parse error: unary expression only allowed on expressions "
            "of type scalar or instant vector, got \"string\"");
}

// ---------------------------------------------------------------------------
// Parser: structure, comments and positions.

TEST(ParserTest, ParensAndComments) {
  EXPECT_EQ(Tree("((1))"), "paren(paren(1))");
  EXPECT_EQ(Tree("# leading\nfoo # trailing"), "sel(foo __name__=\"foo\")");
  EXPECT_EQ(Tree("sum by (job) # a comment\n (x)"),
            "sum[job](sel(x __name__=\"x\"))");
  EXPECT_EQ(ParseError(""), "1:1: parse error: no expression found in input");
  EXPECT_EQ(ParseError("   "),
            "1:1: parse error: no expression found in input");
  EXPECT_EQ(ParseError("# just a comment\n\n"),
            "1:1: parse error: no expression found in input");
  EXPECT_EQ(ParseError("(1))"),
            "1:5: parse error: unexpected right parenthesis ')'");
  EXPECT_EQ(ParseError("((1)"), "1:5: parse error: unclosed left parenthesis");
  EXPECT_EQ(ParseError("("), "1:2: parse error: unclosed left parenthesis");
  EXPECT_EQ(ParseError("()"), "1:2: parse error: unexpected \")\"");
  EXPECT_EQ(ParseError("(1 2)"), "1:4: parse error: unexpected number \"2\"");
  EXPECT_EQ(ParseError("1 1"), "1:3: parse error: unexpected number \"1\"");
  EXPECT_EQ(ParseError("5m"), "1:1: parse error: unexpected duration \"5m\"");
  EXPECT_EQ(ParseError("foo = 1"), "1:5: parse error: unexpected \"=\"");
  EXPECT_EQ(ParseError("foo $"),
            "1:5: parse error: unexpected character: "
            "'$'");
}

TEST(ParserTest, ErrorPositionsCountLinesAndBytes) {
  EXPECT_EQ(ParseError("foo +\n  bar +\n    *"),
            "3:5: parse error: unexpected <op:*>");
  EXPECT_EQ(ParseError("sum(\n  rate(x[5m])\n) by (a\n"),
            "4:1: parse error: unclosed left parenthesis");
  // Columns count bytes, not characters.
  EXPECT_EQ(ParseError("{a=\"台北\"} $"),
            "1:14: parse error: unexpected character: '$'");
  EXPECT_EQ(ParseError("x\n$"), "2:1: parse error: unexpected character: '$'");
  // A name and braces may be apart.
  EXPECT_EQ(Print("x\n{a=\"b\"}"), "x{a=\"b\"}");
  EXPECT_EQ(ParseError("1 +\n{}"),
            "2:1: parse error: vector selector must contain at least one "
            "non-empty matcher");
}

TEST(ParserTest, DeepNestingIsRefused) {
  // Prometheus has no limit; we refuse what could overflow the stack.
  std::string deep(20000, '(');
  deep += "1";
  deep += std::string(20000, ')');
  EXPECT_EQ(ParseError(deep),
            "1:1001: parse error: expression nested too deeply");
  EXPECT_EQ(ParseError(std::string(20000, '-') + "1"),
            "1:1001: parse error: expression nested too deeply");
  std::string chain = "1";
  for (int i = 0; i < 20000; ++i) chain += " + 1";
  EXPECT_EQ(ParseError(chain),
            "1:1: parse error: expression nested too deeply");
  // Long flat chains and moderate nesting are fine.
  chain = "1";
  for (int i = 0; i < 4000; ++i) chain += " + 1";
  EXPECT_EQ(ParseError(chain), "OK");
  std::string nested = std::string(900, '(') + "x" + std::string(900, ')');
  EXPECT_EQ(Print(nested), nested);
}

// ---------------------------------------------------------------------------
// ParseMetricSelector and ParseDurationMs.

TEST(ParserTest, MetricSelector) {
  const auto sel = [](std::string_view in) -> std::string {
    Result<std::vector<model::Matcher>> m = ParseMetricSelector(in);
    if (!m.ok()) return "ERROR: " + std::string(m.status().message());
    std::string out;
    for (const auto& x : *m) out += (out.empty() ? "" : " ") + x.ToString();
    return out;
  };
  EXPECT_EQ(sel("foo"), "__name__=\"foo\"");
  EXPECT_EQ(sel("foo{bar=\"baz\"}"), "bar=\"baz\" __name__=\"foo\"");
  EXPECT_EQ(sel("{__name__=~\"a.*\", job!=\"x\"}"),
            "__name__=~\"a.*\" job!=\"x\"");
  EXPECT_EQ(sel("sum"), "__name__=\"sum\"");
  // No type checks here: the API checks emptiness itself.
  EXPECT_EQ(sel("{}"), "");
  EXPECT_EQ(sel("foo offset 5m"),
            "ERROR: 1:5: parse error: unexpected <offset>");
  EXPECT_EQ(sel("foo[5m]"), "ERROR: 1:4: parse error: unexpected \"[\"");
  EXPECT_EQ(sel("sum(x)"), "ERROR: 1:4: parse error: unexpected \"(\"");
  EXPECT_EQ(sel("1"), "ERROR: 1:1: parse error: unexpected number \"1\"");
  EXPECT_EQ(sel(""), "ERROR: 1:1: parse error: unexpected end of input");
  EXPECT_EQ(sel("foo{a=~\"(\"}").rfind("ERROR: 1:5: parse error: ", 0), 0u);
}

TEST(ParserTest, ParseDurationMs) {
  EXPECT_EQ(ParseDurationMs("5m").value_or(-1), 300000);
  EXPECT_EQ(ParseDurationMs("1h30m").value_or(-1), 5400000);
  EXPECT_EQ(ParseDurationMs("1m30ms").value_or(-1), 60030);
  EXPECT_EQ(ParseDurationMs("0").value_or(-1), 0);
  EXPECT_FALSE(ParseDurationMs("1.5").ok());
  EXPECT_FALSE(ParseDurationMs("5m1h").ok());
  EXPECT_FALSE(ParseDurationMs("").ok());
}

// ---------------------------------------------------------------------------
// Printer.

TEST(PrinterTest, PrometheusCases) {
  const struct {
    std::string in;
    std::string out;  // empty: same as in
  } cases[] = {
      {"sum by() (task:errors:rate10s{job=\"s\"})",
       "sum(task:errors:rate10s{job=\"s\"})"},
      {"sum by(code) (task:errors:rate10s{job=\"s\"})",
       "sum by (code) (task:errors:rate10s{job=\"s\"})"},
      {"sum without() (task:errors:rate10s{job=\"s\"})",
       "sum without () (task:errors:rate10s{job=\"s\"})"},
      {"sum without(instance) (task:errors:rate10s{job=\"s\"})",
       "sum without (instance) (task:errors:rate10s{job=\"s\"})"},
      {"topk(5, task:errors:rate10s{job=\"s\"})", ""},
      {"count_values(\"value\", task:errors:rate10s{job=\"s\"})", ""},
      {"a - on() c", "a - on () c"},
      {"a - on(b) c", "a - on (b) c"},
      {"a - on(b) group_left(x) c", "a - on (b) group_left (x) c"},
      {"a - on(b) group_left(x, y) c", "a - on (b) group_left (x, y) c"},
      {"a - on(b) group_left c", "a - on (b) group_left () c"},
      {"a - on(b) group_left() (c)", "a - on (b) group_left () (c)"},
      {"a - ignoring(b) c", "a - ignoring (b) c"},
      {"a - ignoring() c", "a - c"},
      {"up > bool 0", ""},
      {"a offset 1m", ""},
      {"a offset -7m", ""},
      {"a{c=\"d\"}[5m] offset 1m", ""},
      {"a[5m] offset 1m", ""},
      {"a[12m] offset -3m", ""},
      {"a[1h:5m] offset 1m", ""},
      {"{__name__=\"a\"}", ""},
      {"a{b!=\"c\"}[1m]", ""},
      {"a{b=~\"c\"}[1m]", ""},
      {"a{b!~\"c\"}[1m]", ""},
      {"a @ 10", "a @ 10.000"},
      {"a[1m] @ 10", "a[1m] @ 10.000"},
      {"a @ start()", ""},
      {"a @ end()", ""},
      {"a[1m] @ start()", ""},
      {"a[1m] @ end()", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Print(c.in), c.out.empty() ? c.in : c.out) << c.in;
  }
}

TEST(PrinterTest, Forms) {
  EXPECT_EQ(Print("sum by (job) (rate(x{a=\"b\"}[5m] offset 1m))"),
            "sum by (job) (rate(x{a=\"b\"}[5m] offset 1m))");
  EXPECT_EQ(Print("a + on(x) group_left(y) b"), "a + on (x) group_left (y) b");
  EXPECT_EQ(Print("a * ignoring(x) group_right b"),
            "a * ignoring (x) group_right () b");
  // An empty ignoring() before a grouping modifier is kept (it is needed).
  EXPECT_EQ(Print("a - ignoring() group_left(__name__) c"),
            "a - ignoring () group_left (__name__) c");
  EXPECT_EQ(Print("x > bool 1"), "x > bool 1");
  EXPECT_EQ(Print("x[5m:1m] @ 100 offset 1m"), "x[5m:1m] @ 100.000 offset 1m");
  EXPECT_EQ(Print("x offset 1m @ 100.5"), "x @ 100.500 offset 1m");
  EXPECT_EQ(Print("x[5m:] @ end() offset -1h30m"),
            "x[5m:] @ end() offset -1h30m");
  EXPECT_EQ(Print("x @ -0.001"), "x @ -0.001");
  EXPECT_EQ(Print("x[90m]"), "x[1h30m]");
  EXPECT_EQ(Print("x[7d]"), "x[1w]");
  EXPECT_EQ(Print("x[8d]"), "x[8d]");
  EXPECT_EQ(Print("x[365d]"), "x[1y]");
  EXPECT_EQ(Print("x[1500ms]"), "x[1s500ms]");
  // Matchers are sorted; the name is written outside the braces.
  EXPECT_EQ(Print("foo{z=\"1\", a=~\"2\", m!=\"3\"}"),
            "foo{a=~\"2\",m!=\"3\",z=\"1\"}");
  EXPECT_EQ(Print("{__name__=~\"foo|bar\", job=\"x\"}"),
            "{__name__=~\"foo|bar\",job=\"x\"}");
  EXPECT_EQ(Print("foo{__name__=\"\", a=\"b\"}"),
            "ERROR: 1:1: parse error: metric name must not be set twice: "
            "\"foo\" or \"\"");
  EXPECT_EQ(Print("{__name__=\"\", a=\"b\"}"), "{__name__=\"\",a=\"b\"}");
  EXPECT_EQ(Print("foo{a='x\\ty\"z'}"), "foo{a=\"x\\ty\\\"z\"}");
  EXPECT_EQ(Print("foo{a=`\\d+`}"), "foo{a=\"\\\\d+\"}");
  EXPECT_EQ(Print("label_replace(x, 'dst', '$1', \"src\", `(.*)`)"),
            "label_replace(x, \"dst\", \"$1\", \"src\", \"(.*)\")");
  EXPECT_EQ(Print("SUM(x) BY (job)"), "sum by (job) (x)");
  EXPECT_EQ(Print("count_values without (a) (\"v\", x)"),
            "count_values without (a) (\"v\", x)");
  EXPECT_EQ(Print("-x"), "-x");
  EXPECT_EQ(Print("-(x + 1)"), "-(x + 1)");
  EXPECT_EQ(Print("- - x"), "--x");
  EXPECT_EQ(Print("a atan2 b"), "a atan2 b");
  EXPECT_EQ(Print("a AND b OR c UNLESS d"), "a and b or c unless d");
  EXPECT_EQ(Print("time()"), "time()");
  EXPECT_EQ(Print("round(x, 0.5)"), "round(x, 0.5)");
  EXPECT_EQ(Print("\"a\\nb\""), "\"a\\nb\"");
  EXPECT_EQ(Print("'☺'"), "\"☺\"");
  EXPECT_EQ(Print("\"\\xff\""), "\"\\xff\"");
}

TEST(PrinterTest, Numbers) {
  EXPECT_EQ(Print("1"), "1");
  EXPECT_EQ(Print("1.5"), "1.5");
  EXPECT_EQ(Print(".5"), "0.5");
  EXPECT_EQ(Print("5."), "5");
  EXPECT_EQ(Print("-0.25"), "-0.25");
  EXPECT_EQ(Print("1e3"), "1000");
  EXPECT_EQ(Print("1e21"), "1000000000000000000000");
  EXPECT_EQ(Print("1e-7"), "0.0000001");
  EXPECT_EQ(Print("0.1"), "0.1");
  EXPECT_EQ(Print("0x10"), "16");
  EXPECT_EQ(Print("010"), "8");
  EXPECT_EQ(Print("Inf"), "+Inf");
  EXPECT_EQ(Print("-inf"), "-Inf");
  EXPECT_EQ(Print("NaN"), "NaN");
  EXPECT_EQ(Print("123456789.123"), "123456789.123");
  EXPECT_EQ(Print("0.30000000000000004"), "0.30000000000000004");
  EXPECT_EQ(Print("-0"), "-0");
}

TEST(PrinterTest, RoundTripIsStable) {
  const char* const queries[] = {
      "1",
      "-1 + 2 * 3 ^ -4",
      "(1 + 2) * 3",
      "-a ^ b",
      "(-a) ^ b",
      "a + b * c - d / e % f atan2 g",
      "a or b and c unless d",
      "a == bool b != c",
      "sum by (job, instance) (rate(http_requests_total{code=~\"5..\"}[5m]))",
      ("sum(rate(x[5m])) without (a) / ignoring (b) group_left (c) "
       "sum(rate(y[5m])) by (a)"),
      "topk(3, sum by (app) (x))",
      "quantile(0.99, x)",
      "count_values(\"v\", x)",
      "histogram_quantile(0.9, sum by (le) (rate(b_bucket[10m])))",
      "max_over_time(deriv(rate(x[1m])[5m:1m])[1h:])",
      "x @ start() offset 5m",
      "x[5m] @ 1609746000 offset -1d",
      "(x + y)[10m:30s] @ end()",
      "label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\")",
      "{__name__=~\"x.*\", a!~\"\"}",
      "foo{a=\"\\\\\", b=\"\\\"\", c=\"\\n\"}",
      "vector(1) > bool 0",
      "absent(nonexistent{job=\"myjob\"})",
      "time() - timestamp(up)",
      "sort_desc(sum(x) by (a) or vector(0))",
      "a - on () c",
      "1e300 * 1e-300",
      "sum without () (x)",
      "x offset 1y2w3d4h5m6s7ms",
      "days_in_month()",
      "-(-x)",
      "+x",
  };
  for (const char* q : queries) {
    const std::string first = Print(q);
    ASSERT_EQ(first.rfind("ERROR", 0), std::string::npos) << q << ": " << first;
    const std::string second = Print(first);
    EXPECT_EQ(first, second) << q;
    // The reprinted text parses to the same tree.
    EXPECT_EQ(Tree(q), Tree(first)) << q;
  }
}

TEST(PrinterTest, OperatorNamesAndTypes) {
  EXPECT_EQ(OpString(Op::kCountValues), "count_values");
  EXPECT_EQ(OpString(Op::kAtan2), "atan2");
  EXPECT_EQ(OpString(Op::kGte), ">=");
  EXPECT_TRUE(IsComparison(Op::kLte));
  EXPECT_FALSE(IsComparison(Op::kAnd));
  EXPECT_TRUE(IsSetOperator(Op::kUnless));
  EXPECT_FALSE(IsSetOperator(Op::kAdd));
  EXPECT_TRUE(AggregationTakesParam(Op::kQuantile));
  EXPECT_FALSE(AggregationTakesParam(Op::kSum));
  EXPECT_EQ(ValueTypeName(ValueType::kVector), "instant vector");
  EXPECT_EQ(ValueTypeName(ValueType::kMatrix), "range vector");
  EXPECT_EQ(ValueTypeName(ValueType::kNone), "none");
}

}  // namespace
}  // namespace vigil::promql
