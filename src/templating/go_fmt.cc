#include "templating/go_fmt.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

namespace vigil::templating::internal {
namespace {

constexpr std::string_view kLowerHex = "0123456789abcdefx";
constexpr std::string_view kUpperHex = "0123456789ABCDEFX";

bool InRange(char32_t r, char32_t lo, char32_t hi) {
  return r >= lo && r <= hi;
}

}  // namespace

// ---------------------------------------------------------------- utf8

size_t RuneCount(std::string_view s) {
  size_t n = 0;
  while (!s.empty()) {
    s.remove_prefix(static_cast<size_t>(DecodeRune(s).width));
    ++n;
  }
  return n;
}

bool IsPrint(char32_t r) {
  if (r < 0x20) return false;
  if (r < 0x7F) return true;
  if (r <= 0xA0 || r == 0xAD) return false;
  if (r > kMaxRune || InRange(r, 0xD800, 0xDFFF)) return false;
  if (InRange(r, 0x2000, 0x200F) || InRange(r, 0x2028, 0x202F) ||
      InRange(r, 0x205F, 0x206F) || r == 0x3000 || r == 0xFEFF ||
      InRange(r, 0xFFF0, 0xFFFB)) {
    return false;
  }
  if (InRange(r, 0xE000, 0xF8FF) || r >= 0xF0000) return false;  // private
  if ((r & 0xFFFE) == 0xFFFE) return false;  // noncharacters
  return true;
}

bool IsSpace(char32_t r) {
  if (r < 0x80) return r == ' ' || (r >= '\t' && r <= '\r');
  return r == 0x85 || r == 0xA0 || r == 0x1680 || InRange(r, 0x2000, 0x200A) ||
         r == 0x2028 || r == 0x2029 || r == 0x202F || r == 0x205F ||
         r == 0x3000;
}

bool IsLetter(char32_t r) {
  if (r < 0x80) return (r | 0x20) >= 'a' && (r | 0x20) <= 'z';
  if (r == 0xAA || r == 0xB5 || r == 0xBA) return true;
  if (r < 0xC0 || r == 0xD7 || r == 0xF7) return false;
  if (!IsPrint(r) || IsSpace(r)) return false;
  // Punctuation, symbols and emoji blocks.
  if (InRange(r, 0x2000, 0x2BFF) || InRange(r, 0x3000, 0x303F) ||
      InRange(r, 0xFE30, 0xFE4F) || InRange(r, 0xFF01, 0xFF20) ||
      InRange(r, 0x1F000, 0x1FAFF) || r == kRuneError) {
    return false;
  }
  return true;
}

bool IsDigit(char32_t r) { return r >= '0' && r <= '9'; }

// ---------------------------------------------------------------- strings

namespace {

char32_t ToUpperRune(char32_t r) {
  if (r < 0x80) return (r >= 'a' && r <= 'z') ? r - 32 : r;
  if (r == 0xB5) return 0x39C;
  if (InRange(r, 0xE0, 0xFE) && r != 0xF7) return r - 32;
  if (r == 0xFF) return 0x178;
  if (r == 0x131) return 'I';
  if (r == 0x17F) return 'S';
  if ((InRange(r, 0x100, 0x137) && r != 0x130) || InRange(r, 0x14A, 0x177)) {
    return r & ~char32_t{1};
  }
  if (InRange(r, 0x139, 0x148) || InRange(r, 0x179, 0x17E)) {
    return (r & 1) ? r : r - 1;
  }
  if (r == 0x3C2) return 0x3A3;
  if (InRange(r, 0x3B1, 0x3CB)) return r - 32;
  if (r == 0x3AC) return 0x386;
  if (InRange(r, 0x3AD, 0x3AF)) return r - 37;
  if (r == 0x3CC) return 0x38C;
  if (r == 0x3CD || r == 0x3CE) return r - 63;
  if (InRange(r, 0x430, 0x44F)) return r - 32;
  if (InRange(r, 0x450, 0x45F)) return r - 80;
  return r;
}

char32_t ToLowerRune(char32_t r) {
  if (r < 0x80) return (r >= 'A' && r <= 'Z') ? r + 32 : r;
  if (InRange(r, 0xC0, 0xDE) && r != 0xD7) return r + 32;
  if (r == 0x178) return 0xFF;
  if (r == 0x130) return 'i';
  if ((InRange(r, 0x100, 0x137) && r != 0x131) || InRange(r, 0x14A, 0x177)) {
    return r | 1;
  }
  if (InRange(r, 0x139, 0x148) || InRange(r, 0x179, 0x17E)) {
    return (r & 1) ? r + 1 : r;
  }
  if (InRange(r, 0x391, 0x3AB) && r != 0x3A2) return r + 32;
  if (r == 0x386) return 0x3AC;
  if (InRange(r, 0x388, 0x38A)) return r + 37;
  if (r == 0x38C) return 0x3CC;
  if (r == 0x38E || r == 0x38F) return r + 63;
  if (InRange(r, 0x410, 0x42F)) return r + 32;
  if (InRange(r, 0x400, 0x40F)) return r + 80;
  return r;
}

template <typename F>
std::string MapRunes(std::string_view s, F f) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    const DecodedRune d = DecodeRune(s);
    s.remove_prefix(static_cast<size_t>(d.width));
    AppendRune(f(d.r), &out);
  }
  return out;
}

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<uint8_t>(c) < 0x80; });
}

// strings.Title's word boundary test.
bool IsSeparator(char32_t r) {
  if (r <= 0x7F) {
    return !(IsDigit(r) || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
             r == '_');
  }
  return IsSpace(r);
}

}  // namespace

std::string ToUpper(std::string_view s) {
  if (IsAscii(s)) {
    std::string out(s);
    for (char& c : out) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    }
    return out;
  }
  return MapRunes(s, ToUpperRune);
}

std::string ToLower(std::string_view s) {
  if (IsAscii(s)) {
    std::string out(s);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    }
    return out;
  }
  return MapRunes(s, ToLowerRune);
}

std::string Title(std::string_view s) {
  char32_t prev = ' ';
  return MapRunes(s, [&prev](char32_t r) {
    const bool sep = IsSeparator(prev);
    prev = r;
    return sep ? ToUpperRune(r) : r;
  });
}

// ---------------------------------------------------------------- strconv

namespace {

// A decimal digit string d (no trailing zeros; empty for zero) with the
// decimal point dp digits from its start: value = 0.d * 10^dp.
struct Digits {
  std::string d;
  int dp = 0;
};

// Parses "d.ddde[+-]xx" (to_chars / printf %e output) into Digits.
Digits FromScientific(std::string_view sci) {
  Digits out;
  const size_t e = sci.find('e');
  for (char c : sci.substr(0, e)) {
    if (c != '.') out.d.push_back(c);
  }
  int exp = 0;
  std::string_view es = sci.substr(e + 1);
  if (!es.empty() && es[0] == '+') es.remove_prefix(1);
  std::from_chars(es.data(), es.data() + es.size(), exp);
  while (!out.d.empty() && out.d.back() == '0') out.d.pop_back();
  if (out.d.empty()) {
    out.dp = 0;
    return out;
  }
  out.dp = exp + 1;
  return out;
}

Digits ShortestDigits(double a) {
  char buf[64];
  const auto res =
      std::to_chars(buf, buf + sizeof(buf), a, std::chars_format::scientific);
  return FromScientific(std::string_view(buf, res.ptr - buf));
}

// `n` significant digits, correctly rounded (half to even on exact ties,
// as Go's strconv does).
Digits FixedDigits(double a, int n) {
  std::string buf(static_cast<size_t>(n) + 32, '\0');
  const int len = std::snprintf(buf.data(), buf.size(), "%.*e", n - 1, a);
  buf.resize(static_cast<size_t>(std::max(len, 0)));
  return FromScientific(buf);
}

void FmtE(bool neg, const Digits& d, int prec, char fmt, std::string* out) {
  if (neg) out->push_back('-');
  out->push_back(d.d.empty() ? '0' : d.d[0]);
  const int nd = static_cast<int>(d.d.size());
  if (prec > 0) {
    out->push_back('.');
    int i = 1;
    const int m = std::min(nd, prec + 1);
    if (i < m) {
      out->append(d.d, 1, static_cast<size_t>(m - 1));
      i = m;
    }
    for (; i <= prec; ++i) out->push_back('0');
  }
  out->push_back(fmt);
  int exp = d.dp - 1;
  if (d.d.empty()) exp = 0;
  if (exp < 0) {
    out->push_back('-');
    exp = -exp;
  } else {
    out->push_back('+');
  }
  if (exp < 10) {
    out->push_back('0');
    out->push_back(static_cast<char>('0' + exp));
  } else if (exp < 100) {
    out->push_back(static_cast<char>('0' + exp / 10));
    out->push_back(static_cast<char>('0' + exp % 10));
  } else {
    out->push_back(static_cast<char>('0' + exp / 100));
    out->push_back(static_cast<char>('0' + exp / 10 % 10));
    out->push_back(static_cast<char>('0' + exp % 10));
  }
}

void FmtF(bool neg, const Digits& d, int prec, std::string* out) {
  if (neg) out->push_back('-');
  const int nd = static_cast<int>(d.d.size());
  if (d.dp > 0) {
    const int m = std::min(nd, d.dp);
    out->append(d.d, 0, static_cast<size_t>(m));
    for (int i = m; i < d.dp; ++i) out->push_back('0');
  } else {
    out->push_back('0');
  }
  if (prec > 0) {
    out->push_back('.');
    for (int i = 1; i <= prec; ++i) {
      const int j = d.dp + i - 1;
      out->push_back(j >= 0 && j < nd ? d.d[static_cast<size_t>(j)] : '0');
    }
  }
}

}  // namespace

std::string FormatFloat(double v, char fmt, int prec) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  const bool neg = std::signbit(v);
  const double a = std::fabs(v);
  std::string out;
  const bool shortest = prec < 0;
  Digits d;
  if (shortest) {
    d = ShortestDigits(a);
    const int nd = static_cast<int>(d.d.size());
    switch (fmt) {
      case 'e':
      case 'E':
        prec = nd - 1;
        break;
      case 'f':
        prec = std::max(nd - d.dp, 0);
        break;
      default:
        prec = nd;
        break;
    }
  } else if (fmt == 'f') {
    std::string buf(static_cast<size_t>(prec) + 340, '\0');
    const int len = std::snprintf(buf.data(), buf.size(), "%.*f", prec, a);
    buf.resize(static_cast<size_t>(std::max(len, 0)));
    if (neg) out.push_back('-');
    out += buf;
    return out;
  } else if (fmt == 'e' || fmt == 'E') {
    d = FixedDigits(a, prec + 1);
  } else {
    if (prec == 0) prec = 1;
    d = FixedDigits(a, prec);
  }
  const int nd = static_cast<int>(d.d.size());
  switch (fmt) {
    case 'e':
    case 'E':
      FmtE(neg, d, prec, fmt, &out);
      return out;
    case 'f':
      FmtF(neg, d, prec, &out);
      return out;
    default: {
      int eprec = prec;
      if (eprec > nd && nd >= d.dp) eprec = nd;
      // Shortest %g switches to exponent form at 1e+06 / below 1e-04.
      if (shortest) eprec = 6;
      const int exp = d.dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (prec > nd) prec = nd;
        FmtE(neg, d, prec - 1, fmt == 'G' ? 'E' : 'e', &out);
        return out;
      }
      if (prec > d.dp) prec = nd;
      FmtF(neg, d, std::max(prec - d.dp, 0), &out);
      return out;
    }
  }
}

namespace {

// The single-letter escapes of Go string literals: \a means '\a'.
constexpr std::string_view kEscapeChars = "\a\b\f\n\r\t\v";
constexpr std::string_view kEscapeLetters = "abfnrtv";

void AppendEscapedRune(char32_t r, char quote, bool ascii_only,
                       std::string* out) {
  if (r == static_cast<char32_t>(quote) || r == '\\') {
    out->push_back('\\');
    out->push_back(static_cast<char>(r));
    return;
  }
  if (ascii_only) {
    if (r < 0x80 && IsPrint(r)) {
      out->push_back(static_cast<char>(r));
      return;
    }
  } else if (IsPrint(r)) {
    AppendRune(r, out);
    return;
  }
  if (r < 0x80) {
    const size_t i = kEscapeChars.find(static_cast<char>(r));
    if (i != std::string_view::npos && r != 0) {
      out->push_back('\\');
      out->push_back(kEscapeLetters[i]);
      return;
    }
  }
  char buf[16];
  if (r < ' ' || r == 0x7F) {
    std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(r));
  } else if (r < 0x10000) {
    std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(r));
  } else {
    std::snprintf(buf, sizeof(buf), "\\U%08x", static_cast<unsigned>(r));
  }
  out->append(buf);
}

}  // namespace

std::string Quote(std::string_view s, bool ascii_only) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  while (!s.empty()) {
    const DecodedRune d = DecodeRune(s);
    if (d.width == 1 && d.r == kRuneError) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x",
                    static_cast<unsigned>(static_cast<uint8_t>(s[0])));
      out.append(buf);
    } else {
      AppendEscapedRune(d.r, '"', ascii_only, &out);
    }
    s.remove_prefix(static_cast<size_t>(d.width));
  }
  out.push_back('"');
  return out;
}

std::string QuoteRune(char32_t r, bool ascii_only) {
  if (r > kMaxRune || InRange(r, 0xD800, 0xDFFF)) r = kRuneError;
  std::string out = "'";
  AppendEscapedRune(r, '\'', ascii_only, &out);
  out.push_back('\'');
  return out;
}

bool CanBackquote(std::string_view s) {
  while (!s.empty()) {
    const DecodedRune d = DecodeRune(s);
    s.remove_prefix(static_cast<size_t>(d.width));
    if (d.width > 1) {
      if (d.r == 0xFEFF) return false;
      continue;
    }
    if (d.r == kRuneError) return false;
    if ((d.r < ' ' && d.r != '\t') || d.r == '`' || d.r == 0x7F) return false;
  }
  return true;
}

std::optional<std::string> Unquote(std::string_view s) {
  if (s.size() < 2) return std::nullopt;
  const char quote = s.front();
  if (quote != s.back()) return std::nullopt;
  s = s.substr(1, s.size() - 2);
  if (quote == '`') {
    if (s.find('`') != std::string_view::npos) return std::nullopt;
    std::string out;
    for (char c : s) {
      if (c != '\r') out.push_back(c);
    }
    return out;
  }
  if (quote != '"' && quote != '\'') return std::nullopt;
  std::string out;
  while (!s.empty()) {
    if (s[0] == '\n') return std::nullopt;
    char32_t r;
    bool multibyte;
    if (!UnquoteChar(&s, quote, &r, &multibyte)) return std::nullopt;
    if (r < 0x80 || !multibyte) {
      out.push_back(static_cast<char>(r));
    } else {
      AppendRune(r, &out);
    }
    if (quote == '\'' && !s.empty()) return std::nullopt;  // one character
  }
  return out;
}

namespace {

// Go's underscoreOK: underscores only between digits (or after a base
// prefix).
bool UnderscoreOk(std::string_view s) {
  char saw = '^';
  size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0' &&
      ((s[1] | 0x20) == 'b' || (s[1] | 0x20) == 'o' || (s[1] | 0x20) == 'x')) {
    i = 2;
    saw = '0';
    hex = (s[1] | 0x20) == 'x';
  }
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if ((c >= '0' && c <= '9') ||
        (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')) {
      saw = '0';
      continue;
    }
    if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

std::string WithoutUnderscores(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out.push_back(c);
  }
  return out;
}

bool EqualFoldPrefix(std::string_view s, std::string_view word) {
  if (s.size() != word.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((s[i] | 0x20) != word[i]) return false;
  }
  return true;
}

}  // namespace

ParsedFloat ParseFloatSyntax(std::string_view s) {
  ParsedFloat out;
  if (s.empty()) return out;
  bool neg = false;
  std::string_view body = s;
  if (body[0] == '+' || body[0] == '-') {
    neg = body[0] == '-';
    body.remove_prefix(1);
    if (EqualFoldPrefix(body, "inf") || EqualFoldPrefix(body, "infinity")) {
      out.ok = true;
      out.value = neg ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
      return out;
    }
  } else if (EqualFoldPrefix(body, "inf") ||
             EqualFoldPrefix(body, "infinity")) {
    out.ok = true;
    out.value = std::numeric_limits<double>::infinity();
    return out;
  } else if (EqualFoldPrefix(body, "nan")) {
    out.ok = true;
    out.value = std::numeric_limits<double>::quiet_NaN();
    return out;
  }
  if (body.find('_') != std::string_view::npos && !UnderscoreOk(body)) {
    return out;
  }
  const std::string clean = WithoutUnderscores(body);
  std::string_view b = clean;
  const bool hex = b.size() > 2 && b[0] == '0' && (b[1] | 0x20) == 'x';
  if (hex) b.remove_prefix(2);
  // Mantissa: digits [. digits], at least one digit; then the exponent.
  size_t i = 0;
  size_t ndigits = 0;
  const auto is_digit = [hex](char c) {
    return (c >= '0' && c <= '9') ||
           (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f');
  };
  while (i < b.size() && is_digit(b[i])) ++i, ++ndigits;
  if (i < b.size() && b[i] == '.') {
    ++i;
    while (i < b.size() && is_digit(b[i])) ++i, ++ndigits;
  }
  if (ndigits == 0) return out;
  const char exp_char = hex ? 'p' : 'e';
  bool has_exp = false;
  if (i < b.size() && (b[i] | 0x20) == exp_char) {
    ++i;
    if (i < b.size() && (b[i] == '+' || b[i] == '-')) ++i;
    size_t ed = 0;
    while (i < b.size() && b[i] >= '0' && b[i] <= '9') ++i, ++ed;
    if (ed == 0) return out;
    has_exp = true;
  }
  if (i != b.size()) return out;
  if (hex && !has_exp) return out;  // hex mantissas need a p exponent
  double v = 0;
  const auto res = std::from_chars(
      b.data(), b.data() + b.size(), v,
      hex ? std::chars_format::hex : std::chars_format::general);
  if (res.ec == std::errc::result_out_of_range) {
    // Overflow reads as ±Inf (an error); underflow as ±0 (no error).
    const std::string_view mant =
        b.substr(0, b.find_first_of(hex ? "pP" : "eE"));
    const bool all_zero =
        mant.find_first_not_of("0.") == std::string_view::npos;
    int64_t exp = 0;
    const size_t ep = b.find_first_of(hex ? "pP" : "eE");
    if (ep != std::string_view::npos) {
      std::string_view es = b.substr(ep + 1);
      if (!es.empty() && es[0] == '+') es.remove_prefix(1);
      if (std::from_chars(es.data(), es.data() + es.size(), exp).ec ==
          std::errc::result_out_of_range) {
        exp = es[0] == '-' ? std::numeric_limits<int64_t>::min() / 2
                           : std::numeric_limits<int64_t>::max() / 2;
      }
    }
    const size_t point = mant.find('.');
    const size_t first = mant.find_first_not_of("0.");
    int64_t mag = exp;  // rough decimal (or binary) magnitude
    if (first != std::string_view::npos) {
      const int64_t int_digits = static_cast<int64_t>(
          point == std::string_view::npos ? mant.size() : point);
      mag += int_digits - static_cast<int64_t>(first);
    }
    out.ok = true;
    if (!all_zero && mag > 0) {
      out.out_of_range = true;
      v = std::numeric_limits<double>::infinity();
    } else {
      v = 0;
    }
  } else if (res.ec != std::errc() || res.ptr != b.data() + b.size()) {
    return out;
  } else {
    out.ok = true;
  }
  out.value = neg ? -v : v;
  return out;
}

Result<double> ParseFloat(std::string_view s) {
  const ParsedFloat p = ParseFloatSyntax(s);
  if (!p.ok) {
    return InvalidArgumentError("strconv.ParseFloat: parsing " + Quote(s) +
                                ": invalid syntax");
  }
  if (p.out_of_range) {
    return OutOfRangeError("strconv.ParseFloat: parsing " + Quote(s) +
                           ": value out of range");
  }
  return p.value;
}

std::optional<uint64_t> ParseUint0(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int base = 10;
  std::string_view body = s;
  if (body[0] == '0') {
    if (body.size() >= 3 && (body[1] | 0x20) == 'x') {
      base = 16;
      body.remove_prefix(2);
    } else if (body.size() >= 3 && (body[1] | 0x20) == 'o') {
      base = 8;
      body.remove_prefix(2);
    } else if (body.size() >= 3 && (body[1] | 0x20) == 'b') {
      base = 2;
      body.remove_prefix(2);
    } else if (body.size() > 1) {
      base = 8;
      body.remove_prefix(1);
    }
  }
  bool underscores = false;
  uint64_t v = 0;
  size_t digits = 0;
  for (char c : body) {
    if (c == '_') {
      underscores = true;
      continue;
    }
    const int d = HexDigit(c);
    if (d < 0 || d >= base) return std::nullopt;
    if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) /
                static_cast<uint64_t>(base)) {
      return std::nullopt;  // overflow
    }
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    ++digits;
  }
  if (digits == 0 && base != 8) return std::nullopt;
  if (underscores && !UnderscoreOk(s)) return std::nullopt;
  return v;
}

std::optional<int64_t> ParseInt0(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool neg = false;
  std::string_view body = s;
  if (body[0] == '+' || body[0] == '-') {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  const std::optional<uint64_t> u = ParseUint0(body);
  if (!u) return std::nullopt;
  constexpr uint64_t kCutoff = uint64_t{1} << 63;
  if (!neg && *u >= kCutoff) return std::nullopt;
  if (neg && *u > kCutoff) return std::nullopt;
  if (neg) return static_cast<int64_t>(~*u + 1);
  return static_cast<int64_t>(*u);
}

// ---------------------------------------------------------------- fmt

namespace {

constexpr int kTooLarge = 1000000;  // fmt's tooLarge bound on width/prec

struct Flags {
  bool plus = false;
  bool minus = false;
  bool sharp = false;
  bool space = false;
  bool zero = false;
  bool plus_v = false;
  bool sharp_v = false;
  bool wid_present = false;
  bool prec_present = false;
  int wid = 0;
  int prec = 0;
};

// Go's fmt.pp: formats values into an output string. Not thread-safe: one
// per call.
class Printer {
 public:
  Printer(size_t limit, std::string* out) : limit_(limit), buf_(*out) {}

  void DoPrint(std::span<const Value> args) {
    bool prev_string = false;
    for (size_t i = 0; i < args.size() && !Full(); ++i) {
      const bool is_string = args[i].kind() == Value::Kind::kString;
      if (i > 0 && !is_string && !prev_string) buf_.push_back(' ');
      PrintArg(args[i], 'v');
      prev_string = is_string;
    }
  }

  void DoPrintln(std::span<const Value> args) {
    for (size_t i = 0; i < args.size() && !Full(); ++i) {
      if (i > 0) buf_.push_back(' ');
      PrintArg(args[i], 'v');
    }
    buf_.push_back('\n');
  }

  void DoPrintf(std::string_view format, std::span<const Value> a);

  void PrintArg(const Value& v, char32_t verb) {
    if (v.is_null()) {
      if (verb == 'T' || verb == 'v') {
        PadString("<nil>");
      } else {
        BadVerb(verb, nullptr);
      }
      return;
    }
    if (verb == 'T') {
      PadString(v.type_name());
      return;
    }
    PrintValue(v, verb, 0);
  }

 private:
  bool Full() const { return buf_.size() > limit_; }

  void WritePadding(int n) {
    if (n <= 0) return;
    buf_.append(static_cast<size_t>(n), f_.zero ? '0' : ' ');
  }

  void Pad(std::string_view s) {
    if (!f_.wid_present || f_.wid == 0) {
      buf_.append(s);
      return;
    }
    const int width = f_.wid - static_cast<int>(RuneCount(s));
    if (!f_.minus) {
      WritePadding(width);
      buf_.append(s);
    } else {
      buf_.append(s);
      WritePadding(width);
    }
  }
  void PadString(std::string_view s) { Pad(s); }

  std::string_view Truncate(std::string_view s) const {
    if (!f_.prec_present) return s;
    size_t i = 0;
    for (int n = 0; i < s.size(); ++n) {
      if (n >= f_.prec) return s.substr(0, i);
      i += static_cast<size_t>(DecodeRune(s.substr(i)).width);
    }
    return s;
  }

  void BadVerb(char32_t verb, const Value* v) {
    erroring_ = true;
    buf_.append("%!");
    AppendRune(verb, &buf_);
    buf_.push_back('(');
    if (v != nullptr && !v->is_null()) {
      buf_.append(v->type_name());
      buf_.push_back('=');
      PrintValue(*v, 'v', 0);
    } else {
      buf_.append("<nil>");
    }
    buf_.push_back(')');
    erroring_ = false;
  }

  // Stringer: a type with a String() method prints through it for the
  // string verbs.
  bool HandleMethods(const Value& v, char32_t verb) {
    if (erroring_ || v.type() == nullptr) return false;
    if (!IsStringVerb(verb)) return false;
    auto it = v.type()->methods.find("String");
    if (it == v.type()->methods.end() || !it->second.params.empty()) {
      return false;
    }
    Result<Value> s = it->second.impl(v, {});
    if (!s.ok() || s->kind() != Value::Kind::kString) {
      buf_.append("%!");
      AppendRune(verb, &buf_);
      buf_.append("(PANIC=String method: ");
      buf_.append(s.ok() ? "not a string" : s.status().message());
      buf_.push_back(')');
      return true;
    }
    FmtString(s->string_value(), verb);
    return true;
  }

  void PrintValue(const Value& v, char32_t verb, int depth) {
    if (depth > 0 && v.is_null()) {
      buf_.append("<nil>");
      return;
    }
    if (HandleMethods(v, verb)) return;
    switch (v.kind()) {
      case Value::Kind::kNull:
        BadVerb(verb, nullptr);
        return;
      case Value::Kind::kBool:
        if (verb == 't' || verb == 'v') {
          PadString(v.bool_value() ? "true" : "false");
        } else {
          BadVerb(verb, &v);
        }
        return;
      case Value::Kind::kInt:
        FmtIntegerVerb(v, verb);
        return;
      case Value::Kind::kFloat:
        FmtFloatVerb(v, verb);
        return;
      case Value::Kind::kString:
        FmtStringVerb(v, verb);
        return;
      case Value::Kind::kList: {
        if (f_.sharp_v) {
          buf_.append(v.type_name());
          buf_.push_back('{');
        } else {
          buf_.push_back('[');
        }
        const auto items = v.items();
        for (size_t i = 0; i < items.size() && !Full(); ++i) {
          if (i > 0) buf_.append(f_.sharp_v ? ", " : " ");
          PrintValue(items[i], verb, depth + 1);
        }
        buf_.push_back(f_.sharp_v ? '}' : ']');
        return;
      }
      case Value::Kind::kMap: {
        if (f_.sharp_v) {
          buf_.append(v.type_name());
          buf_.push_back('{');
        } else {
          buf_.append("map[");
        }
        const auto entries = v.entries();
        for (size_t i = 0; i < entries.size() && !Full(); ++i) {
          if (i > 0) buf_.append(f_.sharp_v ? ", " : " ");
          PrintValue(Value::String(entries[i].first), verb, depth + 1);
          buf_.push_back(':');
          PrintValue(entries[i].second, verb, depth + 1);
        }
        buf_.push_back(f_.sharp_v ? '}' : ']');
        return;
      }
      case Value::Kind::kStruct: {
        const std::string_view name = v.type_name();
        if (f_.sharp_v) {
          buf_.append(name);
        } else if (depth == 0 && !name.empty() && name[0] == '*') {
          buf_.push_back('&');
        }
        buf_.push_back('{');
        const auto entries = v.entries();
        for (size_t i = 0; i < entries.size() && !Full(); ++i) {
          if (i > 0) buf_.append(f_.sharp_v ? ", " : " ");
          if (f_.plus_v || f_.sharp_v) {
            buf_.append(entries[i].first);
            buf_.push_back(':');
          }
          PrintValue(entries[i].second, verb, depth + 1);
        }
        buf_.push_back('}');
        return;
      }
      case Value::Kind::kTime:
        if (erroring_) {
          // Inside %!verb(...): print through String() all the same.
          if (v.type() != nullptr) {
            auto it = v.type()->methods.find("String");
            if (it != v.type()->methods.end()) {
              Result<Value> s = it->second.impl(v, {});
              if (s.ok() && s->kind() == Value::Kind::kString) {
                buf_.append(s->string_value());
              }
            }
          }
        } else {
          BadVerb(verb, &v);
        }
        return;
    }
  }

  static bool IsStringVerb(char32_t verb) {
    return verb == 'v' || verb == 's' || verb == 'x' || verb == 'X' ||
           verb == 'q';
  }

  // REQUIRES: IsStringVerb(verb).
  void FmtString(std::string_view s, char32_t verb) {
    if (verb == 'q' || (verb == 'v' && f_.sharp_v)) {
      FmtQ(s);
    } else if (verb == 'x' || verb == 'X') {
      FmtSx(s, verb == 'x' ? kLowerHex : kUpperHex);
    } else {
      PadString(Truncate(s));
    }
  }

  void FmtStringVerb(const Value& v, char32_t verb) {
    if (IsStringVerb(verb)) {
      FmtString(v.string_value(), verb);
    } else {
      BadVerb(verb, &v);
    }
  }

  void FmtQ(std::string_view s) {
    s = Truncate(s);
    if (f_.sharp && CanBackquote(s)) {
      std::string q = "`";
      q.append(s);
      q.push_back('`');
      PadString(q);
      return;
    }
    Pad(Quote(s, f_.plus));
  }

  void FmtSx(std::string_view s, std::string_view digits) {
    size_t length = s.size();
    if (f_.prec_present && static_cast<size_t>(f_.prec) < length) {
      length = static_cast<size_t>(f_.prec);
    }
    int width = 2 * static_cast<int>(length);
    if (width > 0) {
      if (f_.space) {
        if (f_.sharp) width *= 2;
        width += static_cast<int>(length) - 1;
      } else if (f_.sharp) {
        width += 2;
      }
    } else {
      if (f_.wid_present) WritePadding(f_.wid);
      return;
    }
    if (f_.wid_present && f_.wid > width && !f_.minus) {
      WritePadding(f_.wid - width);
    }
    if (f_.sharp) {
      buf_.push_back('0');
      buf_.push_back(digits[16]);
    }
    for (size_t i = 0; i < length; ++i) {
      if (f_.space && i > 0) {
        buf_.push_back(' ');
        if (f_.sharp) {
          buf_.push_back('0');
          buf_.push_back(digits[16]);
        }
      }
      const auto c = static_cast<uint8_t>(s[i]);
      buf_.push_back(digits[c >> 4]);
      buf_.push_back(digits[c & 0xF]);
    }
    if (f_.wid_present && f_.wid > width && f_.minus) {
      WritePadding(f_.wid - width);
    }
  }

  void FmtIntegerVerb(const Value& v, char32_t verb) {
    const auto u = static_cast<uint64_t>(v.int_value());
    const char32_t r = u > kMaxRune ? kRuneError : static_cast<char32_t>(u);
    int base = 0;
    if (verb == 'v' || verb == 'd') base = 10;
    if (verb == 'b') base = 2;
    if (verb == 'o' || verb == 'O') base = 8;
    if (verb == 'x' || verb == 'X') base = 16;
    if (base != 0) {
      FmtInteger(u, base, true, verb, verb == 'X' ? kUpperHex : kLowerHex);
    } else if (verb == 'c') {
      std::string s;
      AppendRune(r, &s);
      Pad(s);
    } else if (verb == 'q') {
      Pad(QuoteRune(r, f_.plus));
    } else if (verb == 'U') {
      FmtUnicode(u);
    } else {
      BadVerb(verb, &v);
    }
  }

  void FmtUnicode(uint64_t u) {
    char buf[32];
    int prec = 4;
    if (f_.prec_present && f_.prec > 4) prec = std::min(f_.prec, 24);
    std::snprintf(buf, sizeof(buf), "U+%0*llX", prec,
                  static_cast<unsigned long long>(u));
    std::string s = buf;
    if (f_.sharp && u <= kMaxRune && IsPrint(static_cast<char32_t>(u))) {
      s += " '";
      AppendRune(static_cast<char32_t>(u), &s);
      s += "'";
    }
    const bool old_zero = f_.zero;
    f_.zero = false;
    Pad(s);
    f_.zero = old_zero;
  }

  void FmtInteger(uint64_t u, int base, bool is_signed, char32_t verb,
                  std::string_view digits) {
    const bool negative = is_signed && static_cast<int64_t>(u) < 0;
    if (negative) u = ~u + 1;
    int prec = 0;
    if (f_.prec_present) {
      prec = f_.prec;
      if (prec == 0 && u == 0) {
        const bool old_zero = f_.zero;
        f_.zero = false;
        WritePadding(f_.wid);
        f_.zero = old_zero;
        return;
      }
    } else if (f_.zero && f_.wid_present) {
      prec = f_.wid;
      if (negative || f_.plus || f_.space) --prec;  // room for the sign
    }
    std::string rev;  // digits, least significant first
    const auto b = static_cast<uint64_t>(base);
    do {
      rev.push_back(digits[u % b]);
      u /= b;
    } while (u != 0);
    while (static_cast<int>(rev.size()) < prec) rev.push_back('0');
    if (f_.sharp) {
      if (base == 2) {
        rev.push_back('b');
        rev.push_back('0');
      } else if (base == 8) {
        if (rev.back() != '0') rev.push_back('0');
      } else if (base == 16) {
        rev.push_back(digits[16]);
        rev.push_back('0');
      }
    }
    if (verb == 'O') {
      rev.push_back('o');
      rev.push_back('0');
    }
    if (negative) {
      rev.push_back('-');
    } else if (f_.plus) {
      rev.push_back('+');
    } else if (f_.space) {
      rev.push_back(' ');
    }
    std::reverse(rev.begin(), rev.end());
    const bool old_zero = f_.zero;
    f_.zero = false;
    Pad(rev);
    f_.zero = old_zero;
  }

  // %v is %g; %e %f %F default to precision 6, %g to the shortest.
  // (%b and %x of floats are not supported.)
  void FmtFloatVerb(const Value& v, char32_t verb) {
    if (verb == 'v' || verb == 'g' || verb == 'G') {
      FmtFloat(v.float_value(), verb == 'G' ? 'G' : 'g',
               f_.prec_present ? f_.prec : -1);
    } else if (verb == 'f' || verb == 'F' || verb == 'e' || verb == 'E') {
      FmtFloat(v.float_value(), verb == 'F' ? 'f' : static_cast<char>(verb),
               f_.prec_present ? f_.prec : 6);
    } else {
      BadVerb(verb, &v);
    }
  }

  void FmtFloat(double v, char verb, int prec) {
    std::string num = FormatFloat(v, verb, prec);
    if (num[0] != '-' && num[0] != '+') num.insert(num.begin(), '+');
    if (f_.space && num[0] == '+' && !f_.plus) num[0] = ' ';
    if (num[1] == 'I' || num[1] == 'N') {
      const bool old_zero = f_.zero;
      f_.zero = false;
      if (num[1] == 'N' && !f_.space && !f_.plus) num.erase(0, 1);
      Pad(num);
      f_.zero = old_zero;
      return;
    }
    if (f_.plus || num[0] != '+') {
      if (f_.zero && f_.wid_present && f_.wid > static_cast<int>(num.size())) {
        buf_.push_back(num[0]);
        WritePadding(f_.wid - static_cast<int>(num.size()));
        buf_.append(num, 1, std::string::npos);
        return;
      }
      Pad(num);
      return;
    }
    Pad(std::string_view(num).substr(1));
  }

  // fmt's parsenum: a decimal number at s[i:end]; numbers past 1e6 are
  // rejected and consume the rest of the format.
  static void ParseNum(std::string_view s, size_t* i, int* num, bool* isnum) {
    *num = 0;
    *isnum = false;
    while (*i < s.size() && s[*i] >= '0' && s[*i] <= '9') {
      if (*num > kTooLarge || *num < -kTooLarge) {
        *num = 0;
        *isnum = false;
        *i = s.size();
        return;
      }
      *num = *num * 10 + (s[*i] - '0');
      *isnum = true;
      ++*i;
    }
  }

  // fmt's argNumber: an explicit "[n]" index.
  bool ArgNumber(std::string_view format, size_t* i, size_t num_args,
                 size_t* arg_num) {
    if (*i >= format.size() || format[*i] != '[') return false;
    reordered_ = true;
    std::string_view rest = format.substr(*i);
    if (rest.size() < 3) {
      *i += 1;
      good_arg_num_ = false;
      return false;
    }
    for (size_t j = 1; j < rest.size(); ++j) {
      if (rest[j] == ']') {
        size_t k = 1;
        int width = 0;
        bool ok = false;
        std::string_view inner = rest.substr(0, j);
        ParseNum(inner, &k, &width, &ok);
        if (!ok || k != j) {
          *i += j + 1;
          good_arg_num_ = false;
          return false;
        }
        const int index = width - 1;
        *i += j + 1;
        if (index >= 0 && static_cast<size_t>(index) < num_args) {
          *arg_num = static_cast<size_t>(index);
          return true;
        }
        good_arg_num_ = false;
        return true;
      }
    }
    *i += 1;
    good_arg_num_ = false;
    return false;
  }

  static bool IntFromArg(std::span<const Value> a, size_t* arg_num, int* num) {
    bool is_int = false;
    *num = 0;
    if (*arg_num < a.size()) {
      const Value& v = a[*arg_num];
      if (v.kind() == Value::Kind::kInt) {
        const int64_t n = v.int_value();
        if (n >= -kTooLarge && n <= kTooLarge) {
          *num = static_cast<int>(n);
          is_int = true;
        }
      }
      ++*arg_num;
    }
    return is_int;
  }

  size_t limit_;
  std::string& buf_;
  Flags f_;
  bool erroring_ = false;
  bool reordered_ = false;
  bool good_arg_num_ = true;
};

void Printer::DoPrintf(std::string_view format, std::span<const Value> a) {
  const size_t end = format.size();
  size_t arg_num = 0;
  bool after_index = false;
  reordered_ = false;
  for (size_t i = 0; i < end && !Full();) {
    good_arg_num_ = true;
    const size_t lasti = i;
    while (i < end && format[i] != '%') ++i;
    if (i > lasti) buf_.append(format.substr(lasti, i - lasti));
    if (i >= end) break;
    ++i;  // the '%'
    f_ = Flags();
    bool fast = false;
    for (; i < end; ++i) {
      const char c = format[i];
      if (c == '#') {
        f_.sharp = true;
      } else if (c == '0') {
        f_.zero = !f_.minus;
      } else if (c == '+') {
        f_.plus = true;
      } else if (c == '-') {
        f_.minus = true;
        f_.zero = false;
      } else if (c == ' ') {
        f_.space = true;
      } else {
        if (c >= 'a' && c <= 'z' && arg_num < a.size()) {
          if (c == 'v') {
            f_.sharp_v = f_.sharp;
            f_.sharp = false;
            f_.plus_v = f_.plus;
            f_.plus = false;
          }
          PrintArg(a[arg_num], static_cast<char32_t>(c));
          ++arg_num;
          ++i;
          fast = true;
        }
        break;
      }
    }
    if (fast) continue;

    after_index = ArgNumber(format, &i, a.size(), &arg_num);
    if (i < end && format[i] == '*') {
      ++i;
      f_.wid_present = IntFromArg(a, &arg_num, &f_.wid);
      if (!f_.wid_present) buf_.append("%!(BADWIDTH)");
      if (f_.wid < 0) {
        f_.wid = -f_.wid;
        f_.minus = true;
        f_.zero = false;
      }
      after_index = false;
    } else {
      ParseNum(format, &i, &f_.wid, &f_.wid_present);
      if (after_index && f_.wid_present) good_arg_num_ = false;
    }
    if (i + 1 < end && format[i] == '.') {
      ++i;
      if (after_index) good_arg_num_ = false;
      after_index = ArgNumber(format, &i, a.size(), &arg_num);
      if (i < end && format[i] == '*') {
        ++i;
        f_.prec_present = IntFromArg(a, &arg_num, &f_.prec);
        if (f_.prec < 0) {
          f_.prec = 0;
          f_.prec_present = false;
        }
        if (!f_.prec_present) buf_.append("%!(BADPREC)");
        after_index = false;
      } else {
        ParseNum(format, &i, &f_.prec, &f_.prec_present);
        if (!f_.prec_present) {
          f_.prec = 0;
          f_.prec_present = true;
        }
      }
    }
    if (!after_index) after_index = ArgNumber(format, &i, a.size(), &arg_num);
    if (i >= end) {
      buf_.append("%!(NOVERB)");
      break;
    }
    const DecodedRune d = DecodeRune(format.substr(i));
    const char32_t verb = d.r;
    i += static_cast<size_t>(d.width);
    if (verb == '%') {
      buf_.push_back('%');
    } else if (!good_arg_num_) {
      buf_.append("%!");
      AppendRune(verb, &buf_);
      buf_.append("(BADINDEX)");
    } else if (arg_num >= a.size()) {
      buf_.append("%!");
      AppendRune(verb, &buf_);
      buf_.append("(MISSING)");
    } else {
      if (verb == 'v') {
        f_.sharp_v = f_.sharp;
        f_.sharp = false;
        f_.plus_v = f_.plus;
        f_.plus = false;
      }
      PrintArg(a[arg_num], verb);
      ++arg_num;
    }
  }
  if (!reordered_ && arg_num < a.size() && !Full()) {
    f_ = Flags();
    buf_.append("%!(EXTRA ");
    for (size_t k = arg_num; k < a.size() && !Full(); ++k) {
      if (k > arg_num) buf_.append(", ");
      if (a[k].is_null()) {
        buf_.append("<nil>");
      } else {
        buf_.append(a[k].type_name());
        buf_.push_back('=');
        PrintArg(a[k], 'v');
      }
    }
    buf_.push_back(')');
  }
}

}  // namespace

void Sprint(std::span<const Value> args, size_t limit, std::string* out) {
  Printer(limit, out).DoPrint(args);
}

void Sprintln(std::span<const Value> args, size_t limit, std::string* out) {
  Printer(limit, out).DoPrintln(args);
}

void Sprintf(std::string_view format, std::span<const Value> args, size_t limit,
             std::string* out) {
  Printer(limit, out).DoPrintf(format, args);
}

std::string FormatValue(const Value& v, size_t limit) {
  std::string out;
  Printer(limit, &out).PrintArg(v, 'v');
  return out;
}

}  // namespace vigil::templating::internal
