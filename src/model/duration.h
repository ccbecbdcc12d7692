// Prometheus' duration and byte-size syntax (common/model.Duration,
// alecthomas/units.Base2Bytes), as configuration files and target labels
// such as __scrape_interval__ write them.
//
//   ParseDuration("1h30m");       // 5400000 ms
//   FormatDuration(90s);          // "1m30s"
//   ParseByteSize("512MB");       // 536870912 (units are powers of 2)
//
// Durations: units y (365d), w, d, h, m, s, ms, each at most once and in
// that order, integer counts; "0" alone is allowed. Formatting writes years
// and weeks only when they divide the value ("90d", not "12w6d").
//
// Thread safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "vigil/result.h"

namespace vigil::model {

// kInvalidArgument "not a valid duration string: \"x\"" (or "empty duration
// string", "duration out of range").
Result<std::chrono::milliseconds> ParseDuration(std::string_view s);
std::string FormatDuration(std::chrono::milliseconds d);

// A non-negative integer count of bytes with an optional unit: B, KB/KiB,
// MB/MiB, GB/GiB, TB/TiB, PB/PiB, EB/EiB (all base 2, as Prometheus reads
// body_size_limit and --storage.tsdb.retention.size).
Result<uint64_t> ParseByteSize(std::string_view s);

}  // namespace vigil::model
