#include "base/go_text.h"

namespace vigil {
void AppendRune(char32_t r, std::string* out) {
  if (!IsValidRune(r)) r = kRuneError;
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

bool UnquoteChar(std::string_view* s, char quote, char32_t* r, bool* multibyte) {
  if (s->empty()) return false;
  const char c = (*s)[0];
  *multibyte = false;
  if (c == quote && (quote == '\'' || quote == '"')) return false;
  if (static_cast<uint8_t>(c) >= 0x80) {
    const DecodedRune d = DecodeRune(*s);
    s->remove_prefix(static_cast<size_t>(d.width));
    *r = d.r;
    *multibyte = true;
    return true;
  }
  if (c != '\\') {
    *r = static_cast<uint8_t>(c);
    s->remove_prefix(1);
    return true;
  }
  if (s->size() <= 1) return false;
  const char e = (*s)[1];
  s->remove_prefix(2);
  static constexpr std::string_view kLetters = "abfnrtv";
  static constexpr std::string_view kChars = "\a\b\f\n\r\t\v";
  if (const size_t i = kLetters.find(e); i != std::string_view::npos) {
    *r = static_cast<uint8_t>(kChars[i]);
    return true;
  }
  switch (e) {
    case 'x':
    case 'u':
    case 'U': {
      const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      if (s->size() < n) return false;
      char32_t v = 0;
      for (size_t i = 0; i < n; ++i) {
        const int h = HexDigit((*s)[i]);
        if (h < 0) return false;
        v = (v << 4) | static_cast<char32_t>(h);
      }
      s->remove_prefix(n);
      if (e == 'x') {  // a single byte
        *r = v;
        return true;
      }
      if (!IsValidRune(v)) return false;
      *r = v;
      *multibyte = true;
      return true;
    }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
      char32_t v = static_cast<char32_t>(e - '0');
      if (s->size() < 2) return false;
      for (size_t i = 0; i < 2; ++i) {
        const char d = (*s)[i];
        if (d < '0' || d > '7') return false;
        v = (v << 3) | static_cast<char32_t>(d - '0');
      }
      s->remove_prefix(2);
      if (v > 255) return false;
      *r = v;
      return true;
    }
    case '\\':
      *r = '\\';
      return true;
    case '\'':
    case '"':
      if (e != quote) return false;
      *r = static_cast<char32_t>(e);
      return true;
    default:
      return false;
  }
}

}  // namespace vigil
