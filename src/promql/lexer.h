// The PromQL lexer: turns a query into tokens the way Prometheus 2.42's
// promql/parser/lex.go does, including its context rules and error texts.
// The parser (parser.cc) is its only production user; it is a header of its
// own so that tests can look at token streams directly.
//
//   Lexer lex("rate(x[5m])");
//   for (Token t = lex.Next(); t.type != TokenType::kEof; t = lex.Next()) {
//     if (t.type == TokenType::kError) { /* t.error, at byte t.pos */ break; }
//   }
//
// Context rules (as in lex.go):
//   - Inside `{...}` only label names, `,`, strings and the matching
//     operators = != =~ !~ are tokens; keywords lex as identifiers there.
//   - Right after `[` a duration must follow ("missing unit character in
//     duration" for a bare number); inside brackets `:` (or, as in
//     Prometheus, any letter) is the subquery colon.
//   - Keywords (aggregators, and/or/unless, atan2, bool, by, without, on,
//     ignoring, group_left, group_right, offset, start, end) and the
//     numbers Inf/NaN are recognised in any letter case.
//   - `#` starts a comment up to the end of the line (kComment tokens).
//   - Parentheses and brackets are balanced by the lexer: an unbalanced `)`
//     or `]`, or end of input with `(` or `[` open, is a lexer error.
// After an error token the lexer only returns kEof.
//
// Thread safety: a Lexer is not thread-safe (it is a cursor); the free
// functions are pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/result.h"

namespace vigil::promql {

enum class TokenType : uint8_t {
  kError,
  kEof,
  kComment,
  kIdentifier,        // a name without ':'
  kMetricIdentifier,  // a name with ':'
  kNumber,            // also Inf and NaN
  kString,            // text keeps the quotes; see UnquoteString()
  kDuration,          // 5m, 1h30m, ...

  kLeftParen,
  kRightParen,
  kLeftBrace,
  kRightBrace,
  kLeftBracket,
  kRightBracket,
  kComma,
  kAssign,  // `=` (label matching)
  kColon,

  // Operators (Prometheus prints them as <op:...> in errors).
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEqlc,  // ==
  kNeq,   // !=
  kLss,
  kLte,
  kGtr,
  kGte,
  kEqlRegex,  // =~
  kNeqRegex,  // !~
  kAt,        // @
  kAtan2,
  kLand,
  kLor,
  kLunless,

  // Aggregators (<aggr:...>).
  kAvg,
  kBottomk,
  kCount,
  kCountValues,
  kGroup,
  kMax,
  kMin,
  kQuantile,
  kStddev,
  kStdvar,
  kSum,
  kTopk,

  // Keywords (<...>).
  kBool,
  kBy,
  kGroupLeft,
  kGroupRight,
  kIgnoring,
  kOffset,
  kOn,
  kWithout,

  // `@` preprocessors.
  kStart,
  kEnd,
};

// The enumerator's name without the k ("Identifier", "LeftParen"), for
// test output.
std::string_view TokenTypeName(TokenType t);

bool IsOperatorToken(TokenType t);
bool IsAggregatorToken(TokenType t);
bool IsKeywordToken(TokenType t);

struct Token {
  TokenType type = TokenType::kEof;
  int pos = 0;            // byte offset of the token (or of the error)
  std::string_view text;  // the token as written; empty for kError/kEof
  std::string error;      // kError only: the message, e.g. "unclosed left
                          // parenthesis"

  int end() const { return pos + static_cast<int>(text.size()); }
};

// A cursor over one input. Not thread-safe.
class Lexer {
 public:
  // `input` must outlive the lexer and the tokens it returns.
  explicit Lexer(std::string_view input) : input_(input) {}

  // The next token; kEof forever once the input (or an error) is reached.
  Token Next();

 private:
  enum class State : uint8_t {
    kStatements,
    kInsideBraces,
    kDuration,   // right after `[`
    kString,     // inside "..." or '...'
    kRawString,  // inside `...`
    kDone,
  };

  // One rune of input (Go's utf8 decoding: invalid bytes are U+FFFD of
  // width 1); -1 at the end.
  int32_t NextRune();
  void Backup() { pos_ -= width_; }
  // Enters the string state for an opening quote: ", ' or ` (raw).
  void StartString(int32_t quote) {
    string_open_ = quote;
    state_ = quote == '`' ? State::kRawString : State::kString;
  }
  int32_t Peek();
  bool Accept(std::string_view valid);
  void AcceptRun(std::string_view valid);
  void SkipSpaces();

  Token Emit(TokenType t);
  Token Fail(std::string message);  // an error token at start_

  // Each returns true and sets *out when it produced a token.
  bool LexStatements(Token* out);
  bool LexInsideBraces(Token* out);
  Token LexComment();
  Token LexNumberOrDuration();
  Token LexDuration();
  Token LexKeywordOrIdentifier();
  Token LexIdentifier();
  // Continues a quoted string; returns true with *out on the closing quote
  // or an error.
  bool LexString(Token* out);
  bool LexRawString(Token* out);
  // After a backslash; false when the escape is fine, else *out holds the
  // error.
  bool LexEscape(Token* out);

  bool ScanNumber();
  bool AcceptRemainingDuration();

  const std::string_view input_;
  State state_ = State::kStatements;
  size_t pos_ = 0;
  size_t start_ = 0;
  size_t width_ = 0;
  int paren_depth_ = 0;
  bool brace_open_ = false;
  bool bracket_open_ = false;
  bool got_colon_ = false;
  int32_t string_open_ = 0;
};

// Every token up to and including the first kEof or kError (comments
// included).
std::vector<Token> LexAll(std::string_view input);

// How Prometheus names a token in "unexpected ..." errors (Item.desc()):
// `end of input`, `"("`, `<op:*>`, `<aggr:sum>`, `<by>`,
// `identifier "foo"`, `number "1"`, `string "\"abcdefghi"...`, ...
std::string TokenDescription(const Token& t);

// The value of a kString token's text ("...", '...' or `...`), as
// Prometheus' strutil.Unquote reads it: Go escapes in the quoted forms,
// none in the raw form. kInvalidArgument "invalid syntax" otherwise.
Result<std::string> UnquoteString(std::string_view quoted);

// Go's strconv.Quote: "..." with Go escapes (printable Unicode kept).
std::string GoQuote(std::string_view s);
// Go's strconv.QuoteRune ('x'); invalid runes (and -1) print as U+FFFD.
std::string GoQuoteRune(int32_t r);
// Go's fmt %#U: U+0063 'c' (the rune part only when printable).
std::string GoUnicodeDescription(int32_t r);

}  // namespace vigil::promql
