#include "promql/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace vigil::promql {
namespace {

// "Type:text" for every token (comments included) up to EOF or an error;
// an error is "Error@pos:message".
std::string Lex(std::string_view input) {
  std::string out;
  for (const Token& t : LexAll(input)) {
    if (t.type == TokenType::kEof) break;
    if (!out.empty()) out += ' ';
    if (t.type == TokenType::kError) {
      out += "Error@" + std::to_string(t.pos) + ":" + t.error;
      break;
    }
    out += std::string(TokenTypeName(t.type)) + ":" + std::string(t.text);
  }
  return out;
}

TEST(LexerTest, CommonTokens) {
  EXPECT_EQ(Lex(","), "Comma:,");
  EXPECT_EQ(Lex("()"), "LeftParen:( RightParen:)");
  EXPECT_EQ(Lex("{}"), "LeftBrace:{ RightBrace:}");
  EXPECT_EQ(Lex("[5m]"), "LeftBracket:[ Duration:5m RightBracket:]");
  EXPECT_EQ(Lex("[ 5m]"), "LeftBracket:[ Duration:5m RightBracket:]");
  EXPECT_EQ(Lex("[  5m]"), "LeftBracket:[ Duration:5m RightBracket:]");
  EXPECT_EQ(Lex("[ 5m ]"), "LeftBracket:[ Duration:5m RightBracket:]");
  EXPECT_EQ(Lex("\r\n\r"), "");
  EXPECT_EQ(Lex("@"), "At:@");
}

TEST(LexerTest, Numbers) {
  EXPECT_EQ(Lex("1"), "Number:1");
  EXPECT_EQ(Lex("4.23"), "Number:4.23");
  EXPECT_EQ(Lex(".3"), "Number:.3");
  EXPECT_EQ(Lex("5."), "Number:5.");
  EXPECT_EQ(Lex("NaN"), "Number:NaN");
  EXPECT_EQ(Lex("nAN"), "Number:nAN");
  EXPECT_EQ(Lex("NaN 123"), "Number:NaN Number:123");
  EXPECT_EQ(Lex("NaN123"), "Identifier:NaN123");
  EXPECT_EQ(Lex("iNf"), "Number:iNf");
  EXPECT_EQ(Lex("Inf"), "Number:Inf");
  EXPECT_EQ(Lex("+Inf"), "Add:+ Number:Inf");
  EXPECT_EQ(Lex("+Inf 123"), "Add:+ Number:Inf Number:123");
  EXPECT_EQ(Lex("-Inf"), "Sub:- Number:Inf");
  EXPECT_EQ(Lex("Infoo"), "Identifier:Infoo");
  EXPECT_EQ(Lex("-Infoo"), "Sub:- Identifier:Infoo");
  EXPECT_EQ(Lex("-Inf 123"), "Sub:- Number:Inf Number:123");
  EXPECT_EQ(Lex("0x123"), "Number:0x123");
  EXPECT_EQ(Lex("0XaBc"), "Number:0XaBc");
  EXPECT_EQ(Lex("1e5"), "Number:1e5");
  EXPECT_EQ(Lex("1E-5"), "Number:1E-5");
  EXPECT_EQ(Lex("2.5e+3"), "Number:2.5e+3");
  EXPECT_EQ(Lex("0755"), "Number:0755");
  // The lexer takes "2.5" and then trips over the dot.
  EXPECT_EQ(Lex("2.5."), "Number:2.5 Error@3:unexpected character: '.'");
  EXPECT_EQ(Lex("100..4"), "Number:100. Number:.4");
  EXPECT_EQ(Lex("0deadbeef"), "Error@0:bad number or duration syntax: \"0de\"");
  EXPECT_EQ(Lex("1a"), "Error@0:bad number or duration syntax: \"1\"");
  EXPECT_EQ(Lex("0a:bc"), "Error@0:bad number or duration syntax: \"0\"");
}

TEST(LexerTest, Strings) {
  EXPECT_EQ(Lex("\"test\\tsequence\""), "String:\"test\\tsequence\"");
  EXPECT_EQ(Lex("\"test\\\\.expression\""), "String:\"test\\\\.expression\"");
  EXPECT_EQ(Lex("\"test\\.expression\""),
            "Error@0:unknown escape sequence U+002E '.'");
  EXPECT_EQ(Lex("`test\\.expression`"), "String:`test\\.expression`");
  EXPECT_EQ(Lex("'single \\' quote'"), "String:'single \\' quote'");
  EXPECT_EQ(Lex("\"double \\\" quote\""), "String:\"double \\\" quote\"");
  // Only the string's own quote may be escaped, as in Go.
  EXPECT_EQ(Lex("\"a\\'b\""), "Error@0:unknown escape sequence U+0027 '''");
  EXPECT_EQ(Lex("'a\\\"b'"), "Error@0:unknown escape sequence U+0022 '\"'");
  EXPECT_EQ(Lex("\"\\x41\\101\\u00e9\\U0001F600\""),
            "String:\"\\x41\\101\\u00e9\\U0001F600\"");
  EXPECT_EQ(Lex(".٩"), "Error@0:unexpected character: '.'");
  EXPECT_EQ(Lex("\"unterminated"), "Error@0:unterminated quoted string");
  EXPECT_EQ(Lex("\"new\nline\""), "Error@0:unterminated quoted string");
  EXPECT_EQ(Lex("`raw\nnew line`"), "String:`raw\nnew line`");
  EXPECT_EQ(Lex("`unterminated"), "Error@0:unterminated raw string");
  EXPECT_EQ(Lex("\"\\"), "Error@0:escape sequence not terminated");
  EXPECT_EQ(Lex("\"\\x4"), "Error@0:escape sequence not terminated");
  EXPECT_EQ(Lex("\"\\c\""), "Error@0:unknown escape sequence U+0063 'c'");
  EXPECT_EQ(Lex("\"\\x.\""),
            "Error@0:illegal character U+002E '.' in escape sequence");
  EXPECT_EQ(Lex("\"\\400\""),
            "Error@0:escape sequence is an invalid Unicode code point");
  EXPECT_EQ(Lex("\"\\uD800\""),
            "Error@0:escape sequence is an invalid Unicode code point");
  EXPECT_EQ(Lex("\"\\U00110000\""),
            "Error@0:escape sequence is an invalid Unicode code point");
  EXPECT_EQ(Lex("x \"\xff\""), "Identifier:x Error@2:invalid UTF-8 rune");
  EXPECT_EQ(Lex("`\xff`"), "Error@0:invalid UTF-8 rune");
}

TEST(LexerTest, Durations) {
  EXPECT_EQ(Lex("5s"), "Duration:5s");
  EXPECT_EQ(Lex("123m"), "Duration:123m");
  EXPECT_EQ(Lex("1h"), "Duration:1h");
  EXPECT_EQ(Lex("3w"), "Duration:3w");
  EXPECT_EQ(Lex("1y"), "Duration:1y");
  EXPECT_EQ(Lex("1h30m"), "Duration:1h30m");
  EXPECT_EQ(Lex("1m30ms"), "Duration:1m30ms");
  // Bad units reach the parser, which refuses them.
  EXPECT_EQ(Lex("5y1hs"), "Duration:5y1hs");
  EXPECT_EQ(Lex("x[5mm]"),
            "Identifier:x LeftBracket:[ Error@2:bad duration syntax: \"5mm\"");
  EXPECT_EQ(Lex("x[5m1]"),
            "Identifier:x LeftBracket:[ Error@2:bad duration syntax: \"5m1\"");
  EXPECT_EQ(Lex("x[5]"),
            "Identifier:x LeftBracket:[ Error@2:missing unit character in "
            "duration");
  EXPECT_EQ(Lex("x[]"),
            "Identifier:x LeftBracket:[ Error@2:missing unit character in "
            "duration");
}

TEST(LexerTest, Identifiers) {
  EXPECT_EQ(Lex("abc"), "Identifier:abc");
  EXPECT_EQ(Lex("a:bc"), "MetricIdentifier:a:bc");
  EXPECT_EQ(Lex("abc d"), "Identifier:abc Identifier:d");
  EXPECT_EQ(Lex(":bc"), "MetricIdentifier::bc");
  EXPECT_EQ(Lex("_a1"), "Identifier:_a1");
  EXPECT_EQ(Lex("台北"), "Error@0:unexpected character: '台'");
}

TEST(LexerTest, Comments) {
  EXPECT_EQ(Lex("# some comment"), "Comment:# some comment");
  EXPECT_EQ(Lex("5 # 1+1\n5"), "Number:5 Comment:# 1+1 Number:5");
  EXPECT_EQ(Lex("{a=\"b\" # c\n}"),
            "LeftBrace:{ Identifier:a Assign:= String:\"b\" Comment:# c "
            "RightBrace:}");
}

TEST(LexerTest, Operators) {
  EXPECT_EQ(Lex("="), "Assign:=");
  EXPECT_EQ(Lex("{=}"), "LeftBrace:{ Assign:= RightBrace:}");
  EXPECT_EQ(Lex("=="), "Eqlc:==");
  EXPECT_EQ(Lex("!="), "Neq:!=");
  EXPECT_EQ(Lex("<"), "Lss:<");
  EXPECT_EQ(Lex(">"), "Gtr:>");
  EXPECT_EQ(Lex(">="), "Gte:>=");
  EXPECT_EQ(Lex("<="), "Lte:<=");
  EXPECT_EQ(Lex("+ - * / ^ %"), "Add:+ Sub:- Mul:* Div:/ Pow:^ Mod:%");
  EXPECT_EQ(Lex("AND or Unless atan2"),
            "Land:AND Lor:or Lunless:Unless Atan2:atan2");
  EXPECT_EQ(Lex("=~"), "Error@0:unexpected character after '=': '~'");
  EXPECT_EQ(Lex("!~"), "Error@0:unexpected character after '!': '~'");
  EXPECT_EQ(Lex("!("), "Error@0:unexpected character after '!': '('");
  EXPECT_EQ(Lex("1 !"),
            "Number:1 Error@2:unexpected character after '!': "
            "'\xEF\xBF\xBD'");
}

TEST(LexerTest, KeywordsAnyCase) {
  EXPECT_EQ(Lex("sum AVG MAX min count stdvar stddev group topk bottomk "
                "count_values QUANTILE"),
            "Sum:sum Avg:AVG Max:MAX Min:min Count:count Stdvar:stdvar "
            "Stddev:stddev Group:group Topk:topk Bottomk:bottomk "
            "CountValues:count_values Quantile:QUANTILE");
  EXPECT_EQ(Lex("offset by without on ignoring group_left group_right bool"),
            "Offset:offset By:by Without:without On:on Ignoring:ignoring "
            "GroupLeft:group_left GroupRight:group_right Bool:bool");
  EXPECT_EQ(Lex("OFFSET By BOOL"), "Offset:OFFSET By:By Bool:BOOL");
  EXPECT_EQ(Lex("start END"), "Start:start End:END");
}

TEST(LexerTest, InsideBraces) {
  EXPECT_EQ(Lex("{foo='bar'}"),
            "LeftBrace:{ Identifier:foo Assign:= String:'bar' RightBrace:}");
  EXPECT_EQ(Lex("{foo=\"bar\"}"),
            "LeftBrace:{ Identifier:foo Assign:= String:\"bar\" RightBrace:}");
  EXPECT_EQ(Lex("{NaN\t!= \"bar\" }"),
            "LeftBrace:{ Identifier:NaN Neq:!= String:\"bar\" RightBrace:}");
  EXPECT_EQ(Lex("{alert=~\"bar\" }"),
            "LeftBrace:{ Identifier:alert EqlRegex:=~ String:\"bar\" "
            "RightBrace:}");
  // Keywords are plain identifiers inside braces.
  EXPECT_EQ(Lex("{on!~\"bar\"}"),
            "LeftBrace:{ Identifier:on NeqRegex:!~ String:\"bar\" "
            "RightBrace:}");
  EXPECT_EQ(Lex("{台北='a'}"),
            "LeftBrace:{ Error@1:unexpected character inside braces: '台'");
  EXPECT_EQ(Lex("{0a='a'}"),
            "LeftBrace:{ Error@1:unexpected character inside braces: '0'");
  EXPECT_EQ(Lex("{a:b=\"b\"}"),
            "LeftBrace:{ Identifier:a Error@2:unexpected character inside "
            "braces: ':'");
  EXPECT_EQ(Lex("{a!b}"),
            "LeftBrace:{ Identifier:a Error@2:unexpected character after "
            "'!' inside braces: 'b'");
  EXPECT_EQ(Lex("{{"), "LeftBrace:{ Error@1:unexpected left brace '{'");
  EXPECT_EQ(Lex("{"),
            "LeftBrace:{ Error@1:unexpected end of input inside "
            "braces");
}

TEST(LexerTest, Brackets) {
  EXPECT_EQ(Lex("("), "LeftParen:( Error@1:unclosed left parenthesis");
  EXPECT_EQ(Lex(")"), "Error@1:unexpected right parenthesis ')'");
  EXPECT_EQ(Lex("())"),
            "LeftParen:( RightParen:) Error@3:unexpected right parenthesis "
            "')'");
  EXPECT_EQ(Lex("(()"),
            "LeftParen:( LeftParen:( RightParen:) Error@3:unclosed left "
            "parenthesis");
  EXPECT_EQ(Lex("}"), "Error@0:unexpected character: '}'");
  EXPECT_EQ(Lex("[5m"),
            "LeftBracket:[ Duration:5m Error@3:unclosed left bracket");
  EXPECT_EQ(Lex("[5m[5m]]"),
            "LeftBracket:[ Duration:5m Error@3:unexpected left bracket '['");
  EXPECT_EQ(Lex("]"), "Error@0:unexpected right bracket ']'");
}

TEST(LexerTest, Subqueries) {
  EXPECT_EQ(Lex("test_name{on!~\"bar\"}[4m:4s]"),
            "Identifier:test_name LeftBrace:{ Identifier:on NeqRegex:!~ "
            "String:\"bar\" RightBrace:} LeftBracket:[ Duration:4m Colon:: "
            "Duration:4s RightBracket:]");
  EXPECT_EQ(Lex("test:name{on!~\"b:ar\"}[4m:]"),
            "MetricIdentifier:test:name LeftBrace:{ Identifier:on "
            "NeqRegex:!~ String:\"b:ar\" RightBrace:} LeftBracket:[ "
            "Duration:4m Colon:: RightBracket:]");
  EXPECT_EQ(Lex("x[ 5m : 4s ]"),
            "Identifier:x LeftBracket:[ Duration:5m Colon:: Duration:4s "
            "RightBracket:]");
  EXPECT_EQ(Lex("x[4m:4s:4h]"),
            "Identifier:x LeftBracket:[ Duration:4m Colon:: Duration:4s "
            "Error@7:unexpected colon ':'");
  EXPECT_EQ(Lex("x[4m::]"),
            "Identifier:x LeftBracket:[ Duration:4m Colon:: Error@5:unexpected "
            "colon ':'");
  EXPECT_EQ(Lex("x[:4s]"),
            "Identifier:x LeftBracket:[ Error@2:missing unit character in "
            "duration");
  EXPECT_EQ(Lex("x[5m:1m1]"),
            "Identifier:x LeftBracket:[ Duration:5m Colon:: "
            "Error@5:bad number or duration syntax: \"1m1\"");
}

TEST(LexerTest, TokenDescriptions) {
  const auto desc = [](std::string_view in) {
    Lexer lex(in);
    return TokenDescription(lex.Next());
  };
  EXPECT_EQ(desc(""), "end of input");
  EXPECT_EQ(desc("("), "\"(\"");
  EXPECT_EQ(desc("*"), "<op:*>");
  EXPECT_EQ(desc("and"), "<op:and>");
  EXPECT_EQ(desc("@"), "<op:@>");
  EXPECT_EQ(desc("SUM"), "<aggr:SUM>");
  EXPECT_EQ(desc("by"), "<by>");
  EXPECT_EQ(desc("start"), "\"start\"");
  EXPECT_EQ(desc("foo"), "identifier \"foo\"");
  EXPECT_EQ(desc("foo:bar"), "metric identifier \"foo:bar\"");
  EXPECT_EQ(desc("12"), "number \"12\"");
  EXPECT_EQ(desc("5m"), "duration \"5m\"");
  EXPECT_EQ(desc("\"abc\""), "string \"\\\"abc\\\"\"");
  EXPECT_EQ(desc("\"abcdefghijkl\""), "string \"\\\"abcdefghi\"...");
  EXPECT_EQ(desc("12345678901"), "number \"1234567890\"...");
}

TEST(LexerTest, UnquoteString) {
  const auto unquote = [](std::string_view s) {
    Result<std::string> r = UnquoteString(s);
    return r.ok() ? *r : "ERROR: " + std::string(r.status().message());
  };
  EXPECT_EQ(unquote("\"a\\tb\""), "a\tb");
  EXPECT_EQ(unquote("'it\\'s'"), "it's");
  EXPECT_EQ(unquote("\"say \\\"hi\\\"\""), "say \"hi\"");
  EXPECT_EQ(unquote("`a\\tb`"), "a\\tb");
  EXPECT_EQ(unquote("\"\\a\\b\\f\\n\\r\\t\\v\\\\\""), "\a\b\f\n\r\t\v\\");
  EXPECT_EQ(unquote("\"\\xFF\\377\""), "\xFF\xFF");
  EXPECT_EQ(unquote("\"\\u70ac\\U0001F600\""), "炬\xF0\x9F\x98\x80");
  EXPECT_EQ(unquote("\"☺\""), "☺");
  EXPECT_EQ(unquote("\"a\\'b\""), "ERROR: invalid syntax");
  EXPECT_EQ(unquote("\"a\"b\""), "ERROR: invalid syntax");
  EXPECT_EQ(unquote("\"a"), "ERROR: invalid syntax");
}

TEST(LexerTest, GoQuoting) {
  EXPECT_EQ(GoQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(GoQuote("\a\b\f\n\r\t\v"), "\"\\a\\b\\f\\n\\r\\t\\v\"");
  EXPECT_EQ(GoQuote(std::string("\x01\x7f", 2)), "\"\\x01\\x7f\"");
  EXPECT_EQ(GoQuote("\xff"), "\"\\xff\"");
  EXPECT_EQ(GoQuote("炬☺"), "\"炬☺\"");
  EXPECT_EQ(GoQuote("\xC2\x80"), "\"\\u0080\"");  // C1 control
  EXPECT_EQ(GoQuote("'"), "\"'\"");
  EXPECT_EQ(GoQuoteRune('\''), "'\\''");
  EXPECT_EQ(GoQuoteRune('"'), "'\"'");
  EXPECT_EQ(GoQuoteRune('\n'), "'\\n'");
  EXPECT_EQ(GoQuoteRune(-1), "'\xEF\xBF\xBD'");
  EXPECT_EQ(GoUnicodeDescription('c'), "U+0063 'c'");
  EXPECT_EQ(GoUnicodeDescription('\n'), "U+000A");
  EXPECT_EQ(GoUnicodeDescription(0x1F600), "U+1F600 '\xF0\x9F\x98\x80'");
}

// ---------------------------------------------------------------------------
// Parser: literals.

}  // namespace
}  // namespace vigil::promql
