#include "templating/go_time.h"

#include <array>

namespace vigil::templating::internal {
namespace {

constexpr int64_t kNanosPerSecond = 1000000000;
constexpr int64_t kSecondsPerDay = 86400;

constexpr std::array<std::string_view, 12> kMonths = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> kDays = {
    "Sunday",   "Monday", "Tuesday", "Wednesday",
    "Thursday", "Friday", "Saturday"};

struct Civil {
  int64_t year;
  int month;    // 1..12
  int day;      // 1..31
  int yday;     // 1..366
  int weekday;  // 0 = Sunday
  int hour, minute, second;
  int64_t nanos;
};

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool IsLeap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

// Days since 1970-01-01 to a proleptic Gregorian date (Hinnant's
// civil_from_days).
Civil ToCivil(int64_t unix_nanos) {
  Civil c{};
  const int64_t secs = FloorDiv(unix_nanos, kNanosPerSecond);
  c.nanos = unix_nanos - secs * kNanosPerSecond;
  const int64_t days = FloorDiv(secs, kSecondsPerDay);
  int64_t rem = secs - days * kSecondsPerDay;
  c.hour = static_cast<int>(rem / 3600);
  rem %= 3600;
  c.minute = static_cast<int>(rem / 60);
  c.second = static_cast<int>(rem % 60);
  c.weekday = static_cast<int>(FloorDiv(days + 4, 7) * -7 + days + 4);
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2 ? 1 : 0);
  static constexpr std::array<int, 12> kCum = {0,   31,  59,  90,  120, 151,
                                               181, 212, 243, 273, 304, 334};
  c.yday = kCum[static_cast<size_t>(c.month - 1)] + c.day +
           ((c.month > 2 && IsLeap(c.year)) ? 1 : 0);
  return c;
}

void AppendInt(int64_t v, int width, std::string* out) {
  if (v < 0) {
    out->push_back('-');
    v = -v;
  }
  std::string digits = std::to_string(v);
  for (int i = static_cast<int>(digits.size()); i < width; ++i) {
    out->push_back('0');
  }
  out->append(digits);
}

bool StartsWithLower(std::string_view s) {
  return !s.empty() && s[0] >= 'a' && s[0] <= 'z';
}

bool HasPrefix(std::string_view s, size_t i, std::string_view p) {
  return s.substr(i, p.size()) == p;
}

enum class Std {
  kNone,
  kLongMonth,
  kMonth,
  kNumMonth,
  kZeroMonth,
  kLongWeekDay,
  kWeekDay,
  kDay,
  kUnderDay,
  kZeroDay,
  kUnderYearDay,
  kZeroYearDay,
  kHour,
  kHour12,
  kZeroHour12,
  kMinute,
  kZeroMinute,
  kSecond,
  kZeroSecond,
  kLongYear,
  kYear,
  kPM,
  kpm,
  kTZ,
  kISOTZ,              // Z0700 Z07:00 Z07 Z070000 Z07:00:00 (all "Z" in UTC)
  kNumTZ,              // -0700
  kNumSecondsTZ,       // -070000
  kNumShortTZ,         // -07
  kNumColonTZ,         // -07:00
  kNumColonSecondsTZ,  // -07:00:00
  kFrac0,
  kFrac9,
};

struct Chunk {
  size_t prefix_end;  // layout[start:prefix_end] is literal text
  Std std;
  size_t next;  // where the rest of the layout starts
  int frac_digits = 0;
  char frac_sep = '.';
};

// Go's nextStdChunk: the literal prefix, the next layout element, the rest.
Chunk NextChunk(std::string_view l, size_t start) {
  for (size_t i = start; i < l.size(); ++i) {
    switch (l[i]) {
      case 'J':
        if (HasPrefix(l, i, "Jan")) {
          if (HasPrefix(l, i, "January")) return {i, Std::kLongMonth, i + 7};
          if (!StartsWithLower(l.substr(i + 3))) {
            return {i, Std::kMonth, i + 3};
          }
        }
        break;
      case 'M':
        if (HasPrefix(l, i, "Mon")) {
          if (HasPrefix(l, i, "Monday")) {
            return {i, Std::kLongWeekDay, i + 6};
          }
          if (!StartsWithLower(l.substr(i + 3))) {
            return {i, Std::kWeekDay, i + 3};
          }
        }
        if (HasPrefix(l, i, "MST")) return {i, Std::kTZ, i + 3};
        break;
      case '0':
        if (i + 1 < l.size() && l[i + 1] >= '1' && l[i + 1] <= '6') {
          static constexpr std::array<Std, 6> k0x = {
              Std::kZeroMonth,  Std::kZeroDay,    Std::kZeroHour12,
              Std::kZeroMinute, Std::kZeroSecond, Std::kYear};
          return {i, k0x[static_cast<size_t>(l[i + 1] - '1')], i + 2};
        }
        if (HasPrefix(l, i, "002")) return {i, Std::kZeroYearDay, i + 3};
        break;
      case '1':
        if (HasPrefix(l, i, "15")) return {i, Std::kHour, i + 2};
        return {i, Std::kNumMonth, i + 1};
      case '2':
        if (HasPrefix(l, i, "2006")) return {i, Std::kLongYear, i + 4};
        return {i, Std::kDay, i + 1};
      case '_':
        if (HasPrefix(l, i, "_2")) {
          if (HasPrefix(l, i + 1, "2006")) {
            return {i + 1, Std::kLongYear, i + 5};
          }
          return {i, Std::kUnderDay, i + 2};
        }
        if (HasPrefix(l, i, "__2")) return {i, Std::kUnderYearDay, i + 3};
        break;
      case '3':
        return {i, Std::kHour12, i + 1};
      case '4':
        return {i, Std::kMinute, i + 1};
      case '5':
        return {i, Std::kSecond, i + 1};
      case 'P':
        if (HasPrefix(l, i, "PM")) return {i, Std::kPM, i + 2};
        break;
      case 'p':
        if (HasPrefix(l, i, "pm")) return {i, Std::kpm, i + 2};
        break;
      case '-':
        if (HasPrefix(l, i, "-070000")) return {i, Std::kNumSecondsTZ, i + 7};
        if (HasPrefix(l, i, "-07:00:00")) {
          return {i, Std::kNumColonSecondsTZ, i + 9};
        }
        if (HasPrefix(l, i, "-0700")) return {i, Std::kNumTZ, i + 5};
        if (HasPrefix(l, i, "-07:00")) return {i, Std::kNumColonTZ, i + 6};
        if (HasPrefix(l, i, "-07")) return {i, Std::kNumShortTZ, i + 3};
        break;
      case 'Z':
        for (std::string_view z :
             {"Z070000", "Z07:00:00", "Z0700", "Z07:00", "Z07"}) {
          if (HasPrefix(l, i, z)) return {i, Std::kISOTZ, i + z.size()};
        }
        break;
      case '.':
      case ',':
        if (i + 1 < l.size() && (l[i + 1] == '0' || l[i + 1] == '9')) {
          const char ch = l[i + 1];
          size_t j = i + 1;
          while (j < l.size() && l[j] == ch) ++j;
          if (!(j < l.size() && l[j] >= '0' && l[j] <= '9')) {
            Chunk c{i, ch == '0' ? Std::kFrac0 : Std::kFrac9, j};
            c.frac_digits = static_cast<int>(j - (i + 1));
            c.frac_sep = l[i];
            return c;
          }
        }
        break;
      default:
        break;
    }
  }
  return {l.size(), Std::kNone, l.size()};
}

}  // namespace

std::string FormatTime(int64_t unix_nanos, std::string_view layout) {
  const Civil c = ToCivil(unix_nanos);
  std::string out;
  size_t pos = 0;
  while (pos < layout.size()) {
    const Chunk ch = NextChunk(layout, pos);
    out.append(layout.substr(pos, ch.prefix_end - pos));
    pos = ch.next;
    switch (ch.std) {
      case Std::kNone:
        break;
      case Std::kYear:
        AppendInt(((c.year % 100) + 100) % 100, 2, &out);
        break;
      case Std::kLongYear:
        AppendInt(c.year, 4, &out);
        break;
      case Std::kMonth:
        out.append(kMonths[static_cast<size_t>(c.month - 1)].substr(0, 3));
        break;
      case Std::kLongMonth:
        out.append(kMonths[static_cast<size_t>(c.month - 1)]);
        break;
      case Std::kNumMonth:
        AppendInt(c.month, 0, &out);
        break;
      case Std::kZeroMonth:
        AppendInt(c.month, 2, &out);
        break;
      case Std::kWeekDay:
        out.append(kDays[static_cast<size_t>(c.weekday)].substr(0, 3));
        break;
      case Std::kLongWeekDay:
        out.append(kDays[static_cast<size_t>(c.weekday)]);
        break;
      case Std::kDay:
        AppendInt(c.day, 0, &out);
        break;
      case Std::kUnderDay:
        if (c.day < 10) out.push_back(' ');
        AppendInt(c.day, 0, &out);
        break;
      case Std::kZeroDay:
        AppendInt(c.day, 2, &out);
        break;
      case Std::kUnderYearDay:
        if (c.yday < 100) {
          out.push_back(' ');
          if (c.yday < 10) out.push_back(' ');
        }
        AppendInt(c.yday, 0, &out);
        break;
      case Std::kZeroYearDay:
        AppendInt(c.yday, 3, &out);
        break;
      case Std::kHour:
        AppendInt(c.hour, 2, &out);
        break;
      case Std::kHour12:
      case Std::kZeroHour12: {
        int hr = c.hour % 12;
        if (hr == 0) hr = 12;
        AppendInt(hr, ch.std == Std::kZeroHour12 ? 2 : 0, &out);
        break;
      }
      case Std::kMinute:
        AppendInt(c.minute, 0, &out);
        break;
      case Std::kZeroMinute:
        AppendInt(c.minute, 2, &out);
        break;
      case Std::kSecond:
        AppendInt(c.second, 0, &out);
        break;
      case Std::kZeroSecond:
        AppendInt(c.second, 2, &out);
        break;
      case Std::kPM:
        out.append(c.hour >= 12 ? "PM" : "AM");
        break;
      case Std::kpm:
        out.append(c.hour >= 12 ? "pm" : "am");
        break;
      case Std::kTZ:
        out.append("UTC");
        break;
      case Std::kISOTZ:
        out.push_back('Z');
        break;
      case Std::kNumTZ:
        out.append("+0000");
        break;
      case Std::kNumSecondsTZ:
        out.append("+000000");
        break;
      case Std::kNumShortTZ:
        out.append("+00");
        break;
      case Std::kNumColonTZ:
        out.append("+00:00");
        break;
      case Std::kNumColonSecondsTZ:
        out.append("+00:00:00");
        break;
      case Std::kFrac0:
      case Std::kFrac9: {
        std::string digits = std::to_string(c.nanos);
        digits.insert(0, 9 - digits.size(), '0');
        size_t n = static_cast<size_t>(std::min(ch.frac_digits, 9));
        if (ch.std == Std::kFrac9) {
          while (n > 0 && digits[n - 1] == '0') --n;
          if (n == 0) break;
        }
        out.push_back(ch.frac_sep);
        out.append(digits, 0, n);
        break;
      }
    }
  }
  return out;
}

std::string TimeString(int64_t unix_nanos) {
  return FormatTime(unix_nanos, "2006-01-02 15:04:05.999999999 -0700 MST");
}

namespace {

const TypeInfo& Int64Type() {
  static const TypeInfo* const t = new TypeInfo{"int64", {}};
  return *t;
}

const TypeInfo& MonthType() {
  static const TypeInfo* const t = new TypeInfo{
      "time.Month",
      {{"String",
        Method{{},
               false,
               [](const Value& self, std::span<const Value>) -> Result<Value> {
                 const int64_t m = self.int_value();
                 if (m < 1 || m > 12) {
                   return Value::String("%!Month(" + std::to_string(m) + ")");
                 }
                 return Value::String(
                     std::string(kMonths[static_cast<size_t>(m - 1)]));
               }}}}};
  return *t;
}

const TypeInfo& WeekdayType() {
  static const TypeInfo* const t = new TypeInfo{
      "time.Weekday",
      {{"String",
        Method{{},
               false,
               [](const Value& self, std::span<const Value>) -> Result<Value> {
                 const int64_t d = self.int_value();
                 if (d < 0 || d > 6) {
                   return Value::String("%!Weekday(" + std::to_string(d) + ")");
                 }
                 return Value::String(
                     std::string(kDays[static_cast<size_t>(d)]));
               }}}}};
  return *t;
}

Method NoArgs(std::function<Value(int64_t nanos)> f) {
  return Method{{},
                false,
                [f = std::move(f)](const Value& self, std::span<const Value>)
                    -> Result<Value> { return f(self.time_nanos()); }};
}

TypeInfo* MakeTimeType() {
  auto* t = new TypeInfo{"*time.Time", {}};
  t->methods["Format"] = Method{
      {"string"},
      false,
      [](const Value& self, std::span<const Value> args) -> Result<Value> {
        return Value::String(
            FormatTime(self.time_nanos(), args[0].string_value()));
      }};
  t->methods["String"] =
      NoArgs([](int64_t n) { return Value::String(TimeString(n)); });
  t->methods["Unix"] = NoArgs([](int64_t n) {
    return Value::Int(FloorDiv(n, kNanosPerSecond)).WithType(&Int64Type());
  });
  t->methods["UnixMilli"] = NoArgs([](int64_t n) {
    return Value::Int(FloorDiv(n, 1000000)).WithType(&Int64Type());
  });
  t->methods["UnixNano"] =
      NoArgs([](int64_t n) { return Value::Int(n).WithType(&Int64Type()); });
  t->methods["UTC"] = NoArgs([](int64_t n) { return Value::Time(n); });
  t->methods["Year"] =
      NoArgs([](int64_t n) { return Value::Int(ToCivil(n).year); });
  t->methods["Month"] = NoArgs([](int64_t n) {
    return Value::Int(ToCivil(n).month).WithType(&MonthType());
  });
  t->methods["Day"] =
      NoArgs([](int64_t n) { return Value::Int(ToCivil(n).day); });
  t->methods["YearDay"] =
      NoArgs([](int64_t n) { return Value::Int(ToCivil(n).yday); });
  t->methods["Weekday"] = NoArgs([](int64_t n) {
    return Value::Int(ToCivil(n).weekday).WithType(&WeekdayType());
  });
  t->methods["Hour"] =
      NoArgs([](int64_t n) { return Value::Int(ToCivil(n).hour); });
  t->methods["Minute"] =
      NoArgs([](int64_t n) { return Value::Int(ToCivil(n).minute); });
  t->methods["Second"] =
      NoArgs([](int64_t n) { return Value::Int(ToCivil(n).second); });
  t->methods["Nanosecond"] =
      NoArgs([](int64_t n) { return Value::Int(ToCivil(n).nanos); });
  return t;
}

}  // namespace

const TypeInfo& TimeType() {
  static const TypeInfo* const t = MakeTimeType();
  return *t;
}

}  // namespace vigil::templating::internal
