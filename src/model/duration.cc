#include "model/duration.h"

#include <array>
#include <limits>
#include <utility>

namespace vigil::model {
namespace {

struct Unit {
  std::string_view name;
  int64_t ms;
};

constexpr int64_t kDay = 24 * 60 * 60 * 1000LL;
constexpr std::array<Unit, 7> kUnits = {{{"y", 365 * kDay},
                                         {"w", 7 * kDay},
                                         {"d", kDay},
                                         {"h", 60 * 60 * 1000LL},
                                         {"m", 60 * 1000LL},
                                         {"s", 1000LL},
                                         {"ms", 1}}};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view s) {
  if (s.empty()) return InvalidArgumentError("empty duration string");
  if (s == "0") return std::chrono::milliseconds(0);
  const auto invalid = [&] {
    return InvalidArgumentError("not a valid duration string: \"" +
                                std::string(s) + "\"");
  };
  int64_t total = 0;
  size_t next_unit = 0;  // units must appear in kUnits order
  size_t i = 0;
  bool overflow = false;
  while (i < s.size()) {
    if (!IsDigit(s[i])) return invalid();
    int64_t n = 0;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      if (n > (std::numeric_limits<int64_t>::max() - 9) / 10) {
        overflow = true;
      } else {
        n = n * 10 + (s[i] - '0');
      }
    }
    size_t u = next_unit;
    for (; u < kUnits.size(); ++u) {
      const std::string_view name = kUnits[u].name;
      if (s.substr(i, name.size()) != name) continue;
      // "m" must not take the "m" of "ms".
      if (name == "m" && s.substr(i, 2) == "ms") continue;
      break;
    }
    if (u == kUnits.size()) return invalid();
    i += kUnits[u].name.size();
    next_unit = u + 1;
    if (n > std::numeric_limits<int64_t>::max() / kUnits[u].ms ||
        total > std::numeric_limits<int64_t>::max() - n * kUnits[u].ms) {
      overflow = true;
    } else {
      total += n * kUnits[u].ms;
    }
  }
  // time.Duration is in nanoseconds: Prometheus refuses beyond ~292 years.
  if (overflow || total > std::numeric_limits<int64_t>::max() / 1000000) {
    return InvalidArgumentError("duration out of range: \"" + std::string(s) +
                                "\"");
  }
  return std::chrono::milliseconds(total);
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  for (size_t u = 0; u < kUnits.size(); ++u) {
    const bool exact_only = u < 2;  // years and weeks
    const int64_t mult = kUnits[u].ms;
    if (exact_only && ms % mult != 0) continue;
    if (const int64_t v = ms / mult; v > 0) {
      out += std::to_string(v);
      out += kUnits[u].name;
      ms -= v * mult;
    }
  }
  return out;
}

Result<uint64_t> ParseByteSize(std::string_view s) {
  const auto invalid = [&] {
    return InvalidArgumentError("not a valid byte size: \"" + std::string(s) +
                                "\" (e.g. 512MB, 1GiB)");
  };
  size_t i = 0;
  uint64_t n = 0;
  for (; i < s.size() && IsDigit(s[i]); ++i) {
    if (n > (std::numeric_limits<uint64_t>::max() - 9) / 10) return invalid();
    n = n * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  if (i == 0) return invalid();
  std::string_view unit = s.substr(i);
  static constexpr std::array<std::pair<std::string_view, int>, 7> kPrefix = {
      {{"", 0},
       {"K", 10},
       {"M", 20},
       {"G", 30},
       {"T", 40},
       {"P", 50},
       {"E", 60}}};
  if (unit.empty()) return n;
  for (const auto& [p, shift] : kPrefix) {
    const bool match =
        p.empty() ? unit == "B"
                  : (unit.size() >= p.size() + 1 && unit.substr(0, 1) == p &&
                     (unit.substr(1) == "B" || unit.substr(1) == "iB"));
    if (!match) continue;
    if (shift > 0 && n > (std::numeric_limits<uint64_t>::max() >> shift)) {
      return invalid();
    }
    return n << shift;
  }
  return invalid();
}

}  // namespace vigil::model
