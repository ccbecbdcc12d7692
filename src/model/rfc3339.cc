#include "model/rfc3339.h"

#include <chrono>
#include <cstdio>

namespace vigil::model {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

constexpr int64_t kNanosPerSecond = 1'000'000'000;

}  // namespace

bool ParseRfc3339(std::string_view s, int64_t* unix_s, int32_t* nanos) {
  int year, month, day, hour, minute, second;
  if (s.size() < 20 || !Digits(s, 0, 4, &year) || s[4] != '-' || !Digits(s, 5, 2, &month) ||
      s[7] != '-' || !Digits(s, 8, 2, &day) || s[10] != 'T' || !Digits(s, 11, 2, &hour) ||
      s[13] != ':' || !Digits(s, 14, 2, &minute) || s[16] != ':' || !Digits(s, 17, 2, &second)) {
    return false;
  }
  size_t pos = 19;
  int32_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) frac = frac * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return false;
    for (int i = digits; i < 9; ++i) frac *= 10;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return false;
    }
    offset_s = (s[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size()) return false;
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                           std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return false;
  const int64_t days = sys_days(ymd).time_since_epoch().count();
  *unix_s = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  *nanos = frac;
  return true;
}

bool ParseRfc3339(std::string_view s, int64_t* unix_ns) {
  int64_t secs;
  int32_t nanos;
  if (!ParseRfc3339(s, &secs, &nanos)) return false;
  // int64 nanoseconds end in 1677 and 2262.
  constexpr int64_t kMaxS = INT64_MAX / kNanosPerSecond - 1;
  if (secs > kMaxS || secs < -kMaxS) return false;
  *unix_ns = secs * kNanosPerSecond + nanos;
  return true;
}

std::string FormatRfc3339(int64_t unix_s, int32_t nanos, Rfc3339Fraction fraction) {
  using namespace std::chrono;
  const int64_t day_count = unix_s / 86400 - (unix_s % 86400 < 0 ? 1 : 0);
  const year_month_day ymd{sys_days(days(day_count))};
  const int64_t sod = unix_s - day_count * 86400;
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d",
                        static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                        static_cast<unsigned>(ymd.day()), static_cast<int>(sod / 3600),
                        static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (fraction == Rfc3339Fraction::kMillis) {
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(nanos / 1'000'000));
    out += buf;
  } else if (nanos != 0) {
    std::snprintf(buf, sizeof buf, ".%09d", static_cast<int>(nanos));
    std::string f(buf);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

std::string FormatRfc3339(int64_t unix_ns, Rfc3339Fraction fraction) {
  int64_t secs = unix_ns / kNanosPerSecond;
  int64_t nanos = unix_ns % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    --secs;
  }
  return FormatRfc3339(secs, static_cast<int32_t>(nanos), fraction);
}

}  // namespace vigil::model
