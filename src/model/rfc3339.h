// RFC 3339 timestamps as Go's time package reads and writes them: the one
// parser and formatter behind the query API (daemon), the Alertmanager
// API v2 (alertmanager, notifier) and the webhook payloads.
//
//   int64_t ns;
//   if (!model::ParseRfc3339("2024-01-02T03:04:05.5+01:00", &ns)) ...
//   model::FormatRfc3339(ns, model::Rfc3339Fraction::kMillis);
//     // "2024-01-02T02:04:05.500Z"
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::model {

// "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" (upper-case T and Z,
// as Go's time.RFC3339 layout): seconds since the epoch and nanoseconds
// within the second (0..999999999). Digits past the ninth of the fraction
// are dropped. False for anything else and for impossible dates and times
// (years 0000-9999 only, as Go's layout).
bool ParseRfc3339(std::string_view s, int64_t* unix_s, int32_t* nanos);
// The same, in nanoseconds since the epoch; false also outside the years
// 1678-2262 that an int64 of nanoseconds spans.
bool ParseRfc3339(std::string_view s, int64_t* unix_ns);

enum class Rfc3339Fraction {
  kNano,    // time.RFC3339Nano: up to 9 digits, trailing zeros trimmed, none when 0
  kMillis,  // strfmt.DateTime (go-openapi): always 3 digits, truncated
};

// UTC with "Z". REQUIRES: 0 <= nanos < 1e9.
std::string FormatRfc3339(int64_t unix_s, int32_t nanos, Rfc3339Fraction fraction);
std::string FormatRfc3339(int64_t unix_ns, Rfc3339Fraction fraction);

// Go's zero time.Time, 0001-01-01T00:00:00Z, in seconds since the epoch:
// what Go writes for an unset time.
inline constexpr int64_t kGoZeroTimeUnixS = -62135596800LL;

}  // namespace vigil::model
