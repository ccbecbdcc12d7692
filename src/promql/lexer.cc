#include "promql/lexer.h"

#include <cstdio>
#include <utility>

#include "base/go_text.h"

namespace vigil::promql {
namespace {

constexpr int32_t kEofRune = -1;
// Go's utf8 and strconv pieces (base/go_text.h) on the lexer's int32_t
// runes, where -1 is the end of input.
constexpr int32_t kRuneError = static_cast<int32_t>(vigil::kRuneError);
constexpr int32_t kMaxRune = static_cast<int32_t>(vigil::kMaxRune);
bool IsValidRune(int32_t r) { return r >= 0 && vigil::IsValidRune(static_cast<char32_t>(r)); }
void AppendRune(int32_t r, std::string* out) {
  vigil::AppendRune(r < 0 ? vigil::kRuneError : static_cast<char32_t>(r), out);
}
// utf8.DecodeRuneInString; *width is 1 for an invalid sequence.
int32_t DecodeRune(std::string_view s, size_t* width) {
  const DecodedRune d = vigil::DecodeRune(s);
  *width = static_cast<size_t>(d.width);
  return static_cast<int32_t>(d.r);
}

bool IsSpace(int32_t r) {
  return r == ' ' || r == '\t' || r == '\n' || r == '\r';
}
bool IsEndOfLine(int32_t r) { return r == '\r' || r == '\n'; }
bool IsAlpha(int32_t r) {
  return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
}
bool IsDigit(int32_t r) { return r >= '0' && r <= '9'; }
bool IsAlphaNumeric(int32_t r) { return IsAlpha(r) || IsDigit(r); }

// The value of a hex/octal/decimal digit, 16 for anything else.
int DigitVal(int32_t r) {
  if (r >= '0' && r <= '9') return r - '0';
  if (r >= 'a' && r <= 'f') return r - 'a' + 10;
  if (r >= 'A' && r <= 'F') return r - 'A' + 10;
  return 16;
}

// An approximation of Go's unicode.IsPrint: ASCII graphic characters and
// space, and every valid non-ASCII code point except controls, format
// characters, non-ASCII spaces, surrogates, private use and
// noncharacters. (Go also refuses unassigned code points; we keep them.)
bool IsPrint(int32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  if (!IsValidRune(r)) return false;
  if (r <= 0xA0 || r == 0xAD) return false;  // C1 controls, NBSP, SHY
  if (r == 0x061C || r == 0x180E || r == 0x1680) return false;
  if (r >= 0x2000 && r <= 0x200F) return false;
  if (r >= 0x2028 && r <= 0x202F) return false;
  if (r >= 0x205F && r <= 0x206F) return false;
  if (r == 0x3000 || r == 0xFEFF) return false;
  if (r >= 0xE000 && r <= 0xF8FF) return false;
  if (r >= 0xFFF0 && r <= 0xFFFB) return false;
  if ((r & 0xFFFE) == 0xFFFE) return false;  // noncharacters
  if (r >= 0xFDD0 && r <= 0xFDEF) return false;
  if (r >= 0xE0000 && r <= 0xE007F) return false;  // tags
  if (r >= 0xF0000) return false;                  // private use planes
  return true;
}

constexpr char kLowerHex[] = "0123456789abcdef";

void AppendHex(uint32_t v, int digits, std::string* out) {
  for (int i = digits - 1; i >= 0; --i) {
    *out += kLowerHex[(v >> (4 * i)) & 0xF];
  }
}

// Go's appendEscapedRune (not ASCII-only, not graphic-only).
void AppendEscapedRune(int32_t r, char quote, std::string* out) {
  if (r == quote || r == '\\') {
    *out += '\\';
    *out += static_cast<char>(r);
    return;
  }
  if (IsPrint(r)) {
    AppendRune(r, out);
    return;
  }
  switch (r) {
    case '\a': *out += "\\a"; return;
    case '\b': *out += "\\b"; return;
    case '\f': *out += "\\f"; return;
    case '\n': *out += "\\n"; return;
    case '\r': *out += "\\r"; return;
    case '\t': *out += "\\t"; return;
    case '\v': *out += "\\v"; return;
    default: break;
  }
  if (r < ' ' || r == 0x7F) {
    *out += "\\x";
    AppendHex(static_cast<uint32_t>(r), 2, out);
  } else {
    if (!IsValidRune(r)) r = kRuneError;
    if (r < 0x10000) {
      *out += "\\u";
      AppendHex(static_cast<uint32_t>(r), 4, out);
    } else {
      *out += "\\U";
      AppendHex(static_cast<uint32_t>(r), 8, out);
    }
  }
}

struct Keyword {
  std::string_view word;
  TokenType type;
};

constexpr Keyword kKeywords[] = {
    {"and", TokenType::kLand},
    {"or", TokenType::kLor},
    {"unless", TokenType::kLunless},
    {"atan2", TokenType::kAtan2},
    {"sum", TokenType::kSum},
    {"avg", TokenType::kAvg},
    {"count", TokenType::kCount},
    {"min", TokenType::kMin},
    {"max", TokenType::kMax},
    {"group", TokenType::kGroup},
    {"stddev", TokenType::kStddev},
    {"stdvar", TokenType::kStdvar},
    {"topk", TokenType::kTopk},
    {"bottomk", TokenType::kBottomk},
    {"count_values", TokenType::kCountValues},
    {"quantile", TokenType::kQuantile},
    {"offset", TokenType::kOffset},
    {"by", TokenType::kBy},
    {"without", TokenType::kWithout},
    {"on", TokenType::kOn},
    {"ignoring", TokenType::kIgnoring},
    {"group_left", TokenType::kGroupLeft},
    {"group_right", TokenType::kGroupRight},
    {"bool", TokenType::kBool},
    {"start", TokenType::kStart},
    {"end", TokenType::kEnd},
    {"inf", TokenType::kNumber},
    {"nan", TokenType::kNumber},
};

// The keyword type of `word` in any letter case, or kEof.
TokenType LookupKeyword(std::string_view word) {
  std::string lower(word);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  for (const Keyword& k : kKeywords) {
    if (k.word == lower) return k.type;
  }
  return TokenType::kEof;
}

// Types Prometheus has a fixed string for (ItemTypeStr): their desc() is
// the token itself rather than "<kind> <token>".
bool HasFixedString(TokenType t) {
  switch (t) {
    case TokenType::kLeftParen:
    case TokenType::kRightParen:
    case TokenType::kLeftBrace:
    case TokenType::kRightBrace:
    case TokenType::kLeftBracket:
    case TokenType::kRightBracket:
    case TokenType::kComma:
    case TokenType::kAssign:
    case TokenType::kColon:
    case TokenType::kStart:
    case TokenType::kEnd: return true;
    default:
      return IsOperatorToken(t) || IsAggregatorToken(t) || IsKeywordToken(t);
  }
}

// Item.String().
std::string TokenString(const Token& t) {
  switch (t.type) {
    case TokenType::kEof: return "EOF";
    case TokenType::kError: return t.error;
    case TokenType::kIdentifier:
    case TokenType::kMetricIdentifier: return GoQuote(t.text);
    default: break;
  }
  if (IsKeywordToken(t.type)) return "<" + std::string(t.text) + ">";
  if (IsOperatorToken(t.type)) return "<op:" + std::string(t.text) + ">";
  if (IsAggregatorToken(t.type)) return "<aggr:" + std::string(t.text) + ">";
  if (t.text.size() > 10) {
    // Go's %.10q: at most 10 runes of the text, quoted.
    size_t n = 0;
    for (int runes = 0; runes < 10 && n < t.text.size(); ++runes) {
      size_t w = 1;
      DecodeRune(t.text.substr(n), &w);
      n += w;
    }
    return GoQuote(t.text.substr(0, n)) + "...";
  }
  return GoQuote(t.text);
}

}  // namespace

std::string_view TokenTypeName(TokenType t) {
  switch (t) {
    case TokenType::kError: return "Error";
    case TokenType::kEof: return "Eof";
    case TokenType::kComment: return "Comment";
    case TokenType::kIdentifier: return "Identifier";
    case TokenType::kMetricIdentifier: return "MetricIdentifier";
    case TokenType::kNumber: return "Number";
    case TokenType::kString: return "String";
    case TokenType::kDuration: return "Duration";
    case TokenType::kLeftParen: return "LeftParen";
    case TokenType::kRightParen: return "RightParen";
    case TokenType::kLeftBrace: return "LeftBrace";
    case TokenType::kRightBrace: return "RightBrace";
    case TokenType::kLeftBracket: return "LeftBracket";
    case TokenType::kRightBracket: return "RightBracket";
    case TokenType::kComma: return "Comma";
    case TokenType::kAssign: return "Assign";
    case TokenType::kColon: return "Colon";
    case TokenType::kAdd: return "Add";
    case TokenType::kSub: return "Sub";
    case TokenType::kMul: return "Mul";
    case TokenType::kDiv: return "Div";
    case TokenType::kMod: return "Mod";
    case TokenType::kPow: return "Pow";
    case TokenType::kEqlc: return "Eqlc";
    case TokenType::kNeq: return "Neq";
    case TokenType::kLss: return "Lss";
    case TokenType::kLte: return "Lte";
    case TokenType::kGtr: return "Gtr";
    case TokenType::kGte: return "Gte";
    case TokenType::kEqlRegex: return "EqlRegex";
    case TokenType::kNeqRegex: return "NeqRegex";
    case TokenType::kAt: return "At";
    case TokenType::kAtan2: return "Atan2";
    case TokenType::kLand: return "Land";
    case TokenType::kLor: return "Lor";
    case TokenType::kLunless: return "Lunless";
    case TokenType::kAvg: return "Avg";
    case TokenType::kBottomk: return "Bottomk";
    case TokenType::kCount: return "Count";
    case TokenType::kCountValues: return "CountValues";
    case TokenType::kGroup: return "Group";
    case TokenType::kMax: return "Max";
    case TokenType::kMin: return "Min";
    case TokenType::kQuantile: return "Quantile";
    case TokenType::kStddev: return "Stddev";
    case TokenType::kStdvar: return "Stdvar";
    case TokenType::kSum: return "Sum";
    case TokenType::kTopk: return "Topk";
    case TokenType::kBool: return "Bool";
    case TokenType::kBy: return "By";
    case TokenType::kGroupLeft: return "GroupLeft";
    case TokenType::kGroupRight: return "GroupRight";
    case TokenType::kIgnoring: return "Ignoring";
    case TokenType::kOffset: return "Offset";
    case TokenType::kOn: return "On";
    case TokenType::kWithout: return "Without";
    case TokenType::kStart: return "Start";
    case TokenType::kEnd: return "End";
  }
  return "?";
}

bool IsOperatorToken(TokenType t) {
  return t >= TokenType::kAdd && t <= TokenType::kLunless;
}
bool IsAggregatorToken(TokenType t) {
  return t >= TokenType::kAvg && t <= TokenType::kTopk;
}
bool IsKeywordToken(TokenType t) {
  return t >= TokenType::kBool && t <= TokenType::kWithout;
}

// ---------------------------------------------------------------------------
// Lexer primitives.

int32_t Lexer::NextRune() {
  if (pos_ >= input_.size()) {
    width_ = 0;
    return kEofRune;
  }
  const int32_t r = DecodeRune(input_.substr(pos_), &width_);
  pos_ += width_;
  return r;
}

int32_t Lexer::Peek() {
  const int32_t r = NextRune();
  Backup();
  return r;
}

bool Lexer::Accept(std::string_view valid) {
  const int32_t r = NextRune();
  if (r >= 0 && r < 0x80 &&
      valid.find(static_cast<char>(r)) != std::string_view::npos) {
    return true;
  }
  Backup();
  return false;
}

void Lexer::AcceptRun(std::string_view valid) {
  while (Accept(valid)) {
  }
}

void Lexer::SkipSpaces() {
  while (IsSpace(Peek())) NextRune();
  start_ = pos_;
}

Token Lexer::Emit(TokenType t) {
  Token tok;
  tok.type = t;
  tok.pos = static_cast<int>(start_);
  tok.text = input_.substr(start_, pos_ - start_);
  start_ = pos_;
  return tok;
}

Token Lexer::Fail(std::string message) {
  Token tok;
  tok.type = TokenType::kError;
  tok.pos = static_cast<int>(start_);
  tok.error = std::move(message);
  state_ = State::kDone;
  return tok;
}

Token Lexer::Next() {
  Token tok;
  while (true) {
    switch (state_) {
      case State::kDone:
        tok.type = TokenType::kEof;
        tok.pos = static_cast<int>(start_);
        return tok;
      case State::kStatements:
        if (LexStatements(&tok)) return tok;
        break;
      case State::kInsideBraces:
        if (LexInsideBraces(&tok)) return tok;
        break;
      case State::kDuration: return LexDuration();
      case State::kString:
        if (LexString(&tok)) return tok;
        break;
      case State::kRawString:
        if (LexRawString(&tok)) return tok;
        break;
    }
  }
}

// ---------------------------------------------------------------------------
// States.

bool Lexer::LexStatements(Token* out) {
  if (brace_open_) {
    state_ = State::kInsideBraces;
    return false;
  }
  if (input_.substr(pos_).starts_with('#')) {
    *out = LexComment();
    return true;
  }
  const int32_t r = NextRune();
  switch (r) {
    case kEofRune:
      if (paren_depth_ != 0) {
        *out = Fail("unclosed left parenthesis");
      } else if (bracket_open_) {
        *out = Fail("unclosed left bracket");
      } else {
        *out = Emit(TokenType::kEof);
        state_ = State::kDone;
      }
      return true;
    case ',': *out = Emit(TokenType::kComma); return true;
    case '*': *out = Emit(TokenType::kMul); return true;
    case '/': *out = Emit(TokenType::kDiv); return true;
    case '%': *out = Emit(TokenType::kMod); return true;
    case '+': *out = Emit(TokenType::kAdd); return true;
    case '-': *out = Emit(TokenType::kSub); return true;
    case '^': *out = Emit(TokenType::kPow); return true;
    case '@': *out = Emit(TokenType::kAt); return true;
    case '=': {
      const int32_t t = Peek();
      if (t == '=') {
        NextRune();
        *out = Emit(TokenType::kEqlc);
      } else if (t == '~') {
        *out = Fail("unexpected character after '=': " + GoQuoteRune(t));
      } else {
        *out = Emit(TokenType::kAssign);
      }
      return true;
    }
    case '!': {
      const int32_t t = NextRune();
      if (t == '=') {
        *out = Emit(TokenType::kNeq);
      } else {
        *out = Fail("unexpected character after '!': " + GoQuoteRune(t));
      }
      return true;
    }
    case '<':
      if (Peek() == '=') {
        NextRune();
        *out = Emit(TokenType::kLte);
      } else {
        *out = Emit(TokenType::kLss);
      }
      return true;
    case '>':
      if (Peek() == '=') {
        NextRune();
        *out = Emit(TokenType::kGte);
      } else {
        *out = Emit(TokenType::kGtr);
      }
      return true;
    case '"':
    case '\'':
    case '`':
      StartString(r);
      return false;
    case '(':
      *out = Emit(TokenType::kLeftParen);
      ++paren_depth_;
      return true;
    case ')':
      *out = Emit(TokenType::kRightParen);
      if (--paren_depth_ < 0) {
        // As in lex.go the error replaces the token and sits after it.
        *out = Fail("unexpected right parenthesis " + GoQuoteRune(r));
      }
      return true;
    case '{':
      *out = Emit(TokenType::kLeftBrace);
      brace_open_ = true;
      return true;
    case '[':
      if (bracket_open_) {
        *out = Fail("unexpected left bracket " + GoQuoteRune(r));
        return true;
      }
      got_colon_ = false;
      *out = Emit(TokenType::kLeftBracket);
      SkipSpaces();
      bracket_open_ = true;
      state_ = State::kDuration;
      return true;
    case ']':
      if (!bracket_open_) {
        *out = Fail("unexpected right bracket " + GoQuoteRune(r));
        return true;
      }
      *out = Emit(TokenType::kRightBracket);
      bracket_open_ = false;
      return true;
    default: break;
  }
  if (IsSpace(r)) {
    SkipSpaces();
    return false;
  }
  if (IsDigit(r) || (r == '.' && IsDigit(Peek()))) {
    Backup();
    *out = LexNumberOrDuration();
    return true;
  }
  if (IsAlpha(r) || r == ':') {
    if (!bracket_open_) {
      Backup();
      *out = LexKeywordOrIdentifier();
      return true;
    }
    // Inside brackets any of these is the subquery colon (lex.go does the
    // same for letters).
    if (got_colon_) {
      *out = Fail("unexpected colon " + GoQuoteRune(r));
      return true;
    }
    *out = Emit(TokenType::kColon);
    got_colon_ = true;
    return true;
  }
  *out = Fail("unexpected character: " + GoQuoteRune(r));
  return true;
}

bool Lexer::LexInsideBraces(Token* out) {
  if (input_.substr(pos_).starts_with('#')) {
    *out = LexComment();
    return true;
  }
  const int32_t r = NextRune();
  if (r == kEofRune) {
    *out = Fail("unexpected end of input inside braces");
    return true;
  }
  if (IsSpace(r)) {
    SkipSpaces();
    return false;
  }
  if (IsAlpha(r)) {
    Backup();
    *out = LexIdentifier();
    return true;
  }
  switch (r) {
    case ',': *out = Emit(TokenType::kComma); return true;
    case '"':
    case '\'':
    case '`':
      StartString(r);
      return false;
    case '=':
      if (NextRune() == '~') {
        *out = Emit(TokenType::kEqlRegex);
      } else {
        Backup();
        *out = Emit(TokenType::kAssign);
      }
      return true;
    case '!': {
      const int32_t nr = NextRune();
      if (nr == '~') {
        *out = Emit(TokenType::kNeqRegex);
      } else if (nr == '=') {
        *out = Emit(TokenType::kNeq);
      } else {
        *out = Fail("unexpected character after '!' inside braces: " +
                    GoQuoteRune(nr));
      }
      return true;
    }
    case '{':
      *out = Fail("unexpected left brace " + GoQuoteRune(r));
      return true;
    case '}':
      *out = Emit(TokenType::kRightBrace);
      brace_open_ = false;
      state_ = State::kStatements;
      return true;
    default:
      *out = Fail("unexpected character inside braces: " + GoQuoteRune(r));
      return true;
  }
}

Token Lexer::LexComment() {
  pos_ += 1;  // '#'
  int32_t r = NextRune();
  while (!IsEndOfLine(r) && r != kEofRune) r = NextRune();
  Backup();
  return Emit(TokenType::kComment);
}

Token Lexer::LexIdentifier() {
  while (IsAlphaNumeric(NextRune())) {
  }
  Backup();
  return Emit(TokenType::kIdentifier);
}

Token Lexer::LexKeywordOrIdentifier() {
  int32_t r = NextRune();
  while (IsAlphaNumeric(r) || r == ':') r = NextRune();
  Backup();
  const std::string_view word = input_.substr(start_, pos_ - start_);
  if (const TokenType kw = LookupKeyword(word); kw != TokenType::kEof) {
    return Emit(kw);
  }
  if (word.find(':') == std::string_view::npos) {
    return Emit(TokenType::kIdentifier);
  }
  return Emit(TokenType::kMetricIdentifier);
}

bool Lexer::ScanNumber() {
  std::string_view digits = "0123456789";
  if (Accept("0") && Accept("xX")) digits = "0123456789abcdefABCDEF";
  AcceptRun(digits);
  if (Accept(".")) AcceptRun(digits);
  if (Accept("eE")) {
    Accept("+-");
    AcceptRun("0123456789");
  }
  return !IsAlphaNumeric(Peek());
}

bool Lexer::AcceptRemainingDuration() {
  if (!Accept("smhdwy")) return false;
  Accept("s");  // ms; bad units such as "hs" fail in ParseDuration
  while (Accept("0123456789")) {
    AcceptRun("0123456789");
    if (!Accept("smhdw")) return false;
    Accept("s");
  }
  return !IsAlphaNumeric(NextRune());
}

Token Lexer::LexNumberOrDuration() {
  if (ScanNumber()) return Emit(TokenType::kNumber);
  if (AcceptRemainingDuration()) {
    Backup();
    return Emit(TokenType::kDuration);
  }
  return Fail("bad number or duration syntax: " +
              GoQuote(input_.substr(start_, pos_ - start_)));
}

Token Lexer::LexDuration() {
  state_ = State::kStatements;
  if (ScanNumber()) return Fail("missing unit character in duration");
  if (!AcceptRemainingDuration()) {
    return Fail("bad duration syntax: " +
                GoQuote(input_.substr(start_, pos_ - start_)));
  }
  Backup();
  return Emit(TokenType::kDuration);
}

bool Lexer::LexString(Token* out) {
  while (true) {
    const int32_t r = NextRune();
    if (r == '\\') {
      if (LexEscape(out)) return true;
      continue;
    }
    if (r == kRuneError) {
      *out = Fail("invalid UTF-8 rune");
      return true;
    }
    if (r == kEofRune || r == '\n') {
      *out = Fail("unterminated quoted string");
      return true;
    }
    if (r == string_open_) break;
  }
  *out = Emit(TokenType::kString);
  state_ = State::kStatements;
  return true;
}

bool Lexer::LexRawString(Token* out) {
  while (true) {
    const int32_t r = NextRune();
    if (r == kRuneError) {
      *out = Fail("invalid UTF-8 rune");
      return true;
    }
    if (r == kEofRune) {
      *out = Fail("unterminated raw string");
      return true;
    }
    if (r == string_open_) break;
  }
  *out = Emit(TokenType::kString);
  state_ = State::kStatements;
  return true;
}

bool Lexer::LexEscape(Token* out) {
  int32_t ch = NextRune();
  int n = 0;
  uint32_t base = 0;
  uint32_t max = 0;
  switch (ch) {
    case 'a':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
    case 'v':
    case '\\': return false;
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': n = 3, base = 8, max = 255; break;
    case 'x':
      ch = NextRune();
      n = 2, base = 16, max = 255;
      break;
    case 'u':
      ch = NextRune();
      n = 4, base = 16, max = kMaxRune;
      break;
    case 'U':
      ch = NextRune();
      n = 8, base = 16, max = kMaxRune;
      break;
    case kEofRune: *out = Fail("escape sequence not terminated"); return true;
    default:
      if (ch == string_open_) return false;
      *out = Fail("unknown escape sequence " + GoUnicodeDescription(ch));
      return true;
  }
  uint32_t x = 0;
  while (n > 0) {
    const uint32_t d = static_cast<uint32_t>(DigitVal(ch));
    if (d >= base) {
      if (ch == kEofRune) {
        *out = Fail("escape sequence not terminated");
      } else {
        *out = Fail("illegal character " + GoUnicodeDescription(ch) +
                    " in escape sequence");
      }
      return true;
    }
    x = x * base + d;
    --n;
    if (n > 0) ch = NextRune();
  }
  if (x > max || (x >= 0xD800 && x < 0xE000)) {
    *out = Fail("escape sequence is an invalid Unicode code point");
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Free functions.

std::vector<Token> LexAll(std::string_view input) {
  std::vector<Token> out;
  Lexer lex(input);
  while (true) {
    out.push_back(lex.Next());
    const TokenType t = out.back().type;
    if (t == TokenType::kEof || t == TokenType::kError) break;
  }
  return out;
}

std::string TokenDescription(const Token& t) {
  if (t.type == TokenType::kEof) return "end of input";
  if (HasFixedString(t.type)) return TokenString(t);
  std::string_view kind;
  switch (t.type) {
    case TokenType::kError: kind = "error"; break;
    case TokenType::kComment: kind = "comment"; break;
    case TokenType::kIdentifier: kind = "identifier"; break;
    case TokenType::kMetricIdentifier: kind = "metric identifier"; break;
    case TokenType::kString: kind = "string"; break;
    case TokenType::kNumber: kind = "number"; break;
    case TokenType::kDuration: kind = "duration"; break;
    default: kind = "token"; break;
  }
  return std::string(kind) + " " + TokenString(t);
}

Result<std::string> UnquoteString(std::string_view s) {
  const auto syntax = [] { return InvalidArgumentError("invalid syntax"); };
  if (s.size() < 2) return syntax();
  const char quote = s.front();
  if (quote != s.back()) return syntax();
  s = s.substr(1, s.size() - 2);
  if (quote == '`') {
    if (s.find('`') != std::string_view::npos) return syntax();
    return std::string(s);
  }
  if (quote != '"' && quote != '\'') return syntax();
  if (s.find('\n') != std::string_view::npos) return syntax();
  // Unlike Go's strconv.Unquote, a single-quoted string may hold any
  // number of characters (Prometheus' strutil.Unquote).
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    char32_t r;
    bool multibyte;
    if (!UnquoteChar(&s, quote, &r, &multibyte)) return syntax();
    if (r < 0x80 || !multibyte) {
      out += static_cast<char>(r);
    } else {
      vigil::AppendRune(r, &out);
    }
  }
  return out;
}

std::string GoQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    size_t w = 1;
    const int32_t r = DecodeRune(s.substr(i), &w);
    if (w == 1 && r == kRuneError) {
      out += "\\x";
      AppendHex(static_cast<unsigned char>(s[i]), 2, &out);
    } else {
      AppendEscapedRune(r, '"', &out);
    }
    i += w;
  }
  out += '"';
  return out;
}

std::string GoQuoteRune(int32_t r) {
  if (!IsValidRune(r)) r = kRuneError;
  std::string out = "'";
  AppendEscapedRune(r, '\'', &out);
  out += '\'';
  return out;
}

std::string GoUnicodeDescription(int32_t r) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "U+%04X", static_cast<unsigned>(r));
  std::string out = buf;
  if (IsPrint(r)) {
    out += " '";
    AppendRune(r, &out);
    out += '\'';
  }
  return out;
}

}  // namespace vigil::promql
