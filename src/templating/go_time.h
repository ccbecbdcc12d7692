// Internal: Go's time.Time as templates see it (Prometheus' toTime returns
// one): UTC instants in Unix nanoseconds, formatted with Go's reference
// layouts ("2006-01-02 15:04:05.999999999 -0700 MST").
//
// Thread safety: pure functions; TimeType() is an immutable static.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "templating/value.h"

namespace vigil::templating::internal {

// time.Time.Format(layout) in UTC.
std::string FormatTime(int64_t unix_nanos, std::string_view layout);
// time.Time.String().
std::string TimeString(int64_t unix_nanos);

// "*time.Time" with the methods Format, String, Unix, UnixMilli, UnixNano,
// UTC, Year, Month, Day, YearDay, Weekday, Hour, Minute, Second and
// Nanosecond.
const TypeInfo& TimeType();

}  // namespace vigil::templating::internal
