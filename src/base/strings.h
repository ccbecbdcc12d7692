// Small string helpers shared across modules.
// Thread safety: pure functions.
#pragma once

#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace vigil {

// ASCII case-insensitive equality (HTTP header names, auth schemes).
// 64-bit FNV-1a of `s`, continuing from `h`: stable across runs and
// platforms (slot offsets, file names derived from configuration).
inline constexpr uint64_t kFnv1aOffset = 14695981039346656037ull;
inline uint64_t Fnv1a(std::string_view s, uint64_t h = kFnv1aOffset) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Seconds with up to millisecond precision and no trailing zeros ("10",
// "0.5", "1.25"), as Go's strconv.FormatFloat(s, 'f', -1, 64) writes them.
inline std::string FormatSeconds(std::chrono::milliseconds d) {
  const long long ms = d.count();
  std::string s = std::to_string(ms / 1000);
  if (ms % 1000 != 0) {
    char frac[8];
    std::snprintf(frac, sizeof(frac), ".%03d", static_cast<int>(ms % 1000));
    s += frac;
    while (s.back() == '0') s.pop_back();
  }
  return s;
}

// Go's strconv.AppendFloat(out, v, format, -1, 64), for format 'f' or 'e':
// the shortest digits that read back as v, then written in fixed
// notation padded with zeros ("1663176908000000000000", "0.0000001") or
// in exponent form ("1.663176908e+21", "1e-07"). NaN, +Inf, -Inf as Go
// spells them.
inline void AppendFloatShortest(double v, char format, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  if (format == 'e') {
    out->append(buf, res.ptr);
    return;
  }
  // "-d.ddde[+-]xx": the digits and the decimal exponent.
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  if (sci.front() == '-') {
    out->push_back('-');
    sci.remove_prefix(1);
  }
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exp = 0;
  std::from_chars(sci.data() + e + (sci[e + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exp);
  const int point = exp + 1;  // digits before the decimal point
  const int n = static_cast<int>(digits.size());
  if (point <= 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-point), '0');
    out->append(digits);
  } else if (point >= n) {
    out->append(digits);
    out->append(static_cast<size_t>(point - n), '0');
  } else {
    out->append(digits, 0, static_cast<size_t>(point));
    out->push_back('.');
    out->append(digits, static_cast<size_t>(point), std::string::npos);
  }
}

inline std::string FormatFloatShortest(double v, char format = 'f') {
  std::string out;
  AppendFloatShortest(v, format, &out);
  return out;
}

}  // namespace vigil
