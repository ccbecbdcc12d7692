// Conversions between std::chrono and the int64 milliseconds-since-epoch
// timestamps that storage and PromQL use (Prometheus' model/timestamp).
// The only place such conversions live (STYLE 1.4).
// Thread safety: pure functions.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>

namespace vigil::model {

inline int64_t FromTimePoint(std::chrono::system_clock::time_point tp) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             tp.time_since_epoch())
      .count();
}

inline std::chrono::system_clock::time_point ToTimePoint(int64_t t) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::milliseconds(t)));
}

// Nanoseconds since the epoch (the alert manager's persisted times, which
// keep Alertmanager's nanosecond precision).
inline int64_t FromTimePointNanos(std::chrono::system_clock::time_point tp) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
}

inline std::chrono::system_clock::time_point ToTimePointNanos(int64_t ns) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(ns)));
}

inline int64_t NowMillis() {
  return FromTimePoint(std::chrono::system_clock::now());
}

// Seconds as a float (the API and exposition unit) to milliseconds.
inline int64_t FromSeconds(double s) {
  return static_cast<int64_t>(std::llround(s * 1000.0));
}

inline int64_t DurationMillis(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace vigil::model
