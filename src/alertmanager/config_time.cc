// Time intervals (Alertmanager's timeinterval package): parsing the
// `time_intervals` / `mute_time_intervals` sections, evaluating them
// (InTimeIntervals) and the text forms RedactedYaml writes.

#include <time.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/config_internal.h"
#include "base/status_macros.h"

namespace vigil::alertmanager {
namespace internal {
namespace {

using Range = TimeInterval::Range;

constexpr std::array<std::string_view, 7> kWeekdays = {"sunday",   "monday", "tuesday", "wednesday",
                                                       "thursday", "friday", "saturday"};
constexpr std::array<std::string_view, 12> kMonths = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// strconv.Atoi: an optional sign, then decimal digits only.
bool Atoi(std::string_view s, int* out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.front() == '+') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// "a:b" or "a" (lower-cased) with each side read by `member`.
template <typename MemberFn>
Result<Range> SplitRange(std::string_view in, MemberFn member) {
  const std::string s = Lower(in);
  Range r;
  const size_t colon = s.find(':');
  if (colon == std::string::npos) {
    VIGIL_ASSIGN_OR_RETURN(r.begin, member(s));
    r.end = r.begin;
    return r;
  }
  if (s.find(':', colon + 1) != std::string::npos) {
    return InvalidArgumentError("couldn't parse range " + Quote(in) + ", invalid format");
  }
  VIGIL_ASSIGN_OR_RETURN(r.begin, member(std::string_view(s).substr(0, colon)));
  VIGIL_ASSIGN_OR_RETURN(r.end, member(std::string_view(s).substr(colon + 1)));
  return r;
}

Result<Range> ParseWeekdays(std::string_view in) {
  VIGIL_ASSIGN_OR_RETURN(Range r, SplitRange(in, [](std::string_view s) -> Result<int> {
                           for (size_t i = 0; i < kWeekdays.size(); ++i) {
                             if (s == kWeekdays[i]) return static_cast<int>(i);
                           }
                           return InvalidArgumentError(Quote(s) + " is not a valid weekday");
                         }));
  if (r.begin > r.end) {
    return InvalidArgumentError("end day " + std::string(kWeekdays[r.end]) +
                                " is before start day " + std::string(kWeekdays[r.begin]));
  }
  return r;
}

Result<Range> ParseDaysOfMonth(std::string_view in) {
  VIGIL_ASSIGN_OR_RETURN(
      Range r, SplitRange(in, [](std::string_view s) -> Result<int> {
        int n = 0;
        if (!Atoi(s, &n)) {
          return InvalidArgumentError(Quote(s) + " is not a valid day of the month");
        }
        return n;
      }));
  for (int d : {r.begin, r.end}) {
    if (d == 0 || d < -31 || d > 31) {
      return InvalidArgumentError(std::to_string(d) +
                                  " is not a valid day of the month: out of range");
    }
  }
  if (r.begin < 0 && r.end > 0) {
    return InvalidArgumentError("end day must be negative if start day is negative");
  }
  // Negative days count from a month's end; with the shortest month (28
  // days) some ranges are empty in every month.
  const int check_begin = r.begin < 0 ? 28 + r.begin : r.begin;
  const int check_end = r.end < 0 ? 28 + r.end : r.end;
  if (check_begin > check_end) {
    return InvalidArgumentError("end day " + std::to_string(r.end) +
                                " is always before start day " + std::to_string(r.begin));
  }
  return r;
}

Result<Range> ParseMonths(std::string_view in) {
  VIGIL_ASSIGN_OR_RETURN(
      Range r, SplitRange(in, [](std::string_view s) -> Result<int> {
        for (size_t i = 0; i < kMonths.size(); ++i) {
          if (s == kMonths[i]) return static_cast<int>(i + 1);
        }
        int n = 0;
        if (!Atoi(s, &n)) {
          return InvalidArgumentError(Quote(s) + " is not a valid month");
        }
        if (n < 1 || n > 12) {
          return InvalidArgumentError(std::to_string(n) + " is not a valid month: out of range");
        }
        return n;
      }));
  if (r.begin > r.end) {
    return InvalidArgumentError("end month " + std::string(kMonths[r.end - 1]) +
                                " is before start month " + std::string(kMonths[r.begin - 1]));
  }
  return r;
}

Result<Range> ParseYears(std::string_view in) {
  VIGIL_ASSIGN_OR_RETURN(Range r, SplitRange(in, [](std::string_view s) -> Result<int> {
                           int n = 0;
                           if (!Atoi(s, &n)) {
                             return InvalidArgumentError(Quote(s) + " is not a valid year");
                           }
                           return n;
                         }));
  if (r.begin > r.end) {
    return InvalidArgumentError("end year " + std::to_string(r.end) + " is before start year " +
                                std::to_string(r.begin));
  }
  return r;
}

// "HH:MM" with a two-digit hour, 00:00 to 23:59, or 24:00.
Result<int> ParseMinuteOfDay(std::string_view s) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (s.size() == 5 && digit(s[0]) && digit(s[1]) && s[2] == ':' && digit(s[3]) && digit(s[4])) {
    const int h = (s[0] - '0') * 10 + (s[1] - '0');
    const int m = (s[3] - '0') * 10 + (s[4] - '0');
    if ((h < 24 && m < 60) || (h == 24 && m == 0)) return h * 60 + m;
  }
  return InvalidArgumentError("couldn't parse timestamp " + Quote(s) +
                              ", invalid format (want HH:MM, 00:00 to 24:00)");
}

// Broken-down time in an interval's location.
struct Civil {
  int year = 0;
  int month = 0;    // 1..12
  int day = 0;      // 1..31
  int weekday = 0;  // 0 = Sunday
  int minute_of_day = 0;
  int days_in_month = 0;
};

int DaysInMonth(int year, int month) {
  using namespace std::chrono;
  return static_cast<int>(static_cast<unsigned>(
      year_month_day_last(std::chrono::year(year),
                          month_day_last(std::chrono::month(static_cast<unsigned>(month))))
          .day()));
}

Civil ToCivil(std::chrono::system_clock::time_point t, std::string_view location) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  Civil c;
  if (location == "Local") {
    // localtime_r is thread-safe: it reads the process' zone (TZ or
    // /etc/localtime), which vigil never changes.
    const time_t tt = static_cast<time_t>(secs.time_since_epoch().count());
    struct tm tm {};
    localtime_r(&tt, &tm);
    c.year = tm.tm_year + 1900;
    c.month = tm.tm_mon + 1;
    c.day = tm.tm_mday;
    c.weekday = tm.tm_wday;
    c.minute_of_day = tm.tm_hour * 60 + tm.tm_min;
  } else {
    const auto days = floor<std::chrono::days>(secs);
    const year_month_day ymd(days);
    c.year = static_cast<int>(ymd.year());
    c.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
    c.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
    c.weekday = static_cast<int>(weekday(days).c_encoding());
    c.minute_of_day = static_cast<int>(duration_cast<minutes>(secs - days).count());
  }
  c.days_in_month = DaysInMonth(c.year, c.month);
  return c;
}

bool InRanges(const std::vector<Range>& ranges, int v) {
  for (const Range& r : ranges) {
    if (v >= r.begin && v <= r.end) return true;
  }
  return false;
}

bool InDaysOfMonth(const std::vector<Range>& ranges, const Civil& c) {
  const int n = c.days_in_month;
  for (const Range& r : ranges) {
    int begin = r.begin < 0 ? n + r.begin + 1 : r.begin;
    int end = r.end < 0 ? n + r.end + 1 : r.end;
    if (begin > n) continue;  // starts after this month's end
    // Clamp to the month so that "-31" in February means its first day.
    begin = std::clamp(begin, -n, n);
    end = std::clamp(end, -n, n);
    if (c.day >= begin && c.day <= end) return true;
  }
  return false;
}

bool Contains(const TimeInterval& ti, std::chrono::system_clock::time_point t) {
  const Civil c = ToCivil(t, ti.location);
  if (!ti.times.empty()) {
    bool in = false;
    for (const Range& r : ti.times) {
      if (c.minute_of_day >= r.begin && c.minute_of_day < r.end) {
        in = true;
        break;
      }
    }
    if (!in) return false;
  }
  if (!ti.days_of_month.empty() && !InDaysOfMonth(ti.days_of_month, c)) return false;
  if (!ti.months.empty() && !InRanges(ti.months, c.month)) return false;
  if (!ti.weekdays.empty() && !InRanges(ti.weekdays, c.weekday)) return false;
  if (!ti.years.empty() && !InRanges(ti.years, c.year)) return false;
  return true;
}

}  // namespace

bool IsUtcLocation(std::string_view location) {
  return location.empty() || location == "UTC" || location == "Etc/UTC" || location == "GMT" ||
         location == "Etc/GMT";
}

bool IsSupportedLocation(std::string_view location) {
  return IsUtcLocation(location) || location == "Local";
}

std::string FormatMinuteOfDay(int minutes) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%02d:%02d", minutes / 60, minutes % 60);
  return buf;
}

std::string FormatWeekdayRange(const Range& r) {
  std::string out(kWeekdays[static_cast<size_t>(r.begin)]);
  if (r.end != r.begin) out += ":" + std::string(kWeekdays[static_cast<size_t>(r.end)]);
  return out;
}

std::string FormatMonthRange(const Range& r) {
  std::string out(kMonths[static_cast<size_t>(r.begin - 1)]);
  if (r.end != r.begin) out += ":" + std::string(kMonths[static_cast<size_t>(r.end - 1)]);
  return out;
}

std::string FormatIntRange(const Range& r) {
  std::string out = std::to_string(r.begin);
  if (r.end != r.begin) out += ":" + std::to_string(r.end);
  return out;
}

Status Parser::TimeIntervals(const YAML::Node& key, const YAML::Node& v, bool mute) {
  const std::string section = mute ? "mute_time_intervals" : "time_intervals";
  const std::string kind = mute ? "mute time interval" : "time interval";
  return List(section, key, v, [&](const YAML::Node& entry) -> Status {
    NamedTimeInterval named;
    YAML::Node name_node;
    VIGIL_RETURN_IF_ERROR(r_.Fields(
        entry, entry, section + " entry",
        [&](const std::string& field, const YAML::Node& k, const YAML::Node& val) -> Status {
          if (field == "name") {
            VIGIL_ASSIGN_OR_RETURN(named.name, r_.String("name", k, val));
            name_node = val;
            return Status::OK();
          }
          if (field != "time_intervals") return r_.Unknown(k, field, section + " entry");
          return List("time_intervals", k, val, [&](const YAML::Node& item) -> Status {
            TimeInterval ti;
            // A range field: a list of strings, each read by `parse`.
            auto ranges = [&](std::string_view what, const YAML::Node& rk, const YAML::Node& rv,
                              Result<Range> (*parse)(std::string_view),
                              std::vector<Range>* out) -> Status {
              return List(what, rk, rv, [&](const YAML::Node& s) -> Status {
                if (!s.IsScalar()) {
                  return Error(s.Mark(), std::string(what) + ": expected a string, got " +
                                             std::string(model::YamlKindName(s)));
                }
                Result<Range> r = parse(s.Scalar());
                if (!r.ok()) {
                  return Error(s.Mark(),
                               std::string(what) + ": " + std::string(r.status().message()));
                }
                out->push_back(*r);
                return Status::OK();
              });
            };
            VIGIL_RETURN_IF_ERROR(r_.Fields(
                item, item, "time interval",
                [&](const std::string& f, const YAML::Node& fk, const YAML::Node& fv) -> Status {
                  if (f == "times") {
                    return List("times", fk, fv, [&](const YAML::Node& t) -> Status {
                      std::string start, end;
                      VIGIL_RETURN_IF_ERROR(r_.Fields(
                          t, t, "times",
                          [&](const std::string& tf, const YAML::Node& tk,
                              const YAML::Node& tv) -> Status {
                            if (tf == "start_time") {
                              VIGIL_ASSIGN_OR_RETURN(start, r_.String("start_time", tk, tv));
                            } else if (tf == "end_time") {
                              VIGIL_ASSIGN_OR_RETURN(end, r_.String("end_time", tk, tv));
                            } else {
                              return r_.Unknown(tk, tf, "times");
                            }
                            return Status::OK();
                          }));
                      if (start.empty() || end.empty()) {
                        return Error(t.Mark(),
                                     "times: both start_time and end_time must be provided");
                      }
                      Result<int> b = ParseMinuteOfDay(start);
                      if (!b.ok())
                        return Error(t["start_time"].Mark(),
                                     "times: " + std::string(b.status().message()));
                      Result<int> e = ParseMinuteOfDay(end);
                      if (!e.ok())
                        return Error(t["end_time"].Mark(),
                                     "times: " + std::string(e.status().message()));
                      if (*b >= *e) {
                        return Error(t.Mark(), "times: start_time " + start +
                                                   " is not before end_time " + end);
                      }
                      ti.times.push_back(Range{*b, *e});
                      return Status::OK();
                    });
                  }
                  if (f == "weekdays") return ranges(f, fk, fv, &ParseWeekdays, &ti.weekdays);
                  if (f == "days_of_month") {
                    return ranges(f, fk, fv, &ParseDaysOfMonth, &ti.days_of_month);
                  }
                  if (f == "months") return ranges(f, fk, fv, &ParseMonths, &ti.months);
                  if (f == "years") return ranges(f, fk, fv, &ParseYears, &ti.years);
                  if (f == "location") {
                    VIGIL_ASSIGN_OR_RETURN(ti.location, r_.String("location", fk, fv));
                    if (!IsSupportedLocation(ti.location)) {
                      return Error(fk, fv,
                                   "location " + Quote(ti.location) +
                                       " is not supported by vigil: only UTC and Local are "
                                       "(libstdc++ 12 has no time zone database)");
                    }
                    return Status::OK();
                  }
                  return r_.Unknown(fk, f, "time interval");
                }));
            named.time_intervals.push_back(std::move(ti));
            return Status::OK();
          });
        }));
    if (named.name.empty()) return Error(entry.Mark(), "missing name in " + kind);
    if (!interval_names_.insert(named.name).second) {
      return Error(name_node.Mark(), kind + " " + Quote(named.name) + " is not unique");
    }
    c_.time_intervals.push_back(std::move(named));
    return Status::OK();
  });
}

}  // namespace internal

bool InTimeIntervals(const std::vector<TimeInterval>& intervals,
                     std::chrono::system_clock::time_point t) {
  for (const TimeInterval& ti : intervals) {
    if (internal::Contains(ti, t)) return true;
  }
  return false;
}

}  // namespace vigil::alertmanager
