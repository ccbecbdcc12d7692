// Go's UTF-8 decoding (unicode/utf8) and string-literal escapes
// (strconv.UnquoteChar), shared by PromQL's lexer (Prometheus' strutil) and
// the template engine (Go's text/template), so that both read text exactly
// as the Go programs they follow do.
//
//   DecodedRune d = DecodeRune("é!");   // {0xE9, 2}
//   std::string out;
//   AppendRune(0x1F600, &out);           // "😀"
//   std::string_view s = R"(\u00e9x)";
//   char32_t r; bool multibyte;
//   UnquoteChar(&s, '"', &r, &multibyte);  // r = 0xE9, s = "x"
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil {

inline constexpr char32_t kRuneError = 0xFFFD;
inline constexpr char32_t kMaxRune = 0x10FFFF;

inline bool IsValidRune(char32_t r) { return r <= kMaxRune && !(r >= 0xD800 && r <= 0xDFFF); }

// The value of a hexadecimal digit (either case), -1 for anything else.
inline int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct DecodedRune {
  char32_t r;
  int width;
};

// utf8.DecodeRuneInString: an invalid or truncated sequence (overlong,
// surrogate, beyond U+10FFFF) decodes as (kRuneError, 1); "" as
// (kRuneError, 0).
inline DecodedRune DecodeRune(std::string_view s) {
  if (s.empty()) return {kRuneError, 0};
  const auto b0 = static_cast<uint8_t>(s[0]);
  if (b0 < 0x80) return {b0, 1};
  int n = 0;
  char32_t r = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2, r = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, r = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, r = b0 & 0x07, min = 0x10000;
  } else {
    return {kRuneError, 1};
  }
  if (s.size() < static_cast<size_t>(n)) return {kRuneError, 1};
  for (int i = 1; i < n; ++i) {
    const auto b = static_cast<uint8_t>(s[i]);
    if ((b & 0xC0) != 0x80) return {kRuneError, 1};
    r = (r << 6) | (b & 0x3F);
  }
  if (r < min || !IsValidRune(r)) return {kRuneError, 1};
  return {r, n};
}

// utf8.AppendRune: an invalid code point is written as U+FFFD.
void AppendRune(char32_t r, std::string* out);

// strconv.UnquoteChar: decodes the first character of *s -- a literal rune
// or one escape (\a \b \f \n \r \t \v \\ \' \" \xHH \uHHHH \UHHHHHHHH
// \ooo) -- into *r and advances *s. *multibyte: *r must be written as UTF-8
// (false for \x and octal escapes, which are single bytes). An unescaped
// `quote` (' or ") or an escaped quote other than `quote` is an error, as
// are bad escapes; false on any error.
bool UnquoteChar(std::string_view* s, char quote, char32_t* r, bool* multibyte);

}  // namespace vigil
