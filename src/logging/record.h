// Internal: the binary form of a log record in a queue, and its JSON line.
//
// A record (little-endian, 8-byte multiple):
//   u32 size | u8 level | u8 flags | u16 field count | i64 time (ns since
//   the Unix epoch, or TSC ticks with kTimeIsTicks) | Logger* | u32 message
//   length | message | fields
// A field: u8 kind | u16 key length | key | value, where the value is 8 bytes
// (int, uint, double), 1 byte (bool), nothing (null) or u32 length + bytes
// (string). The calling thread's context fields come before the call's own.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "logging/logger.h"

namespace vigil::logging::internal {

inline constexpr size_t kRecordHeader = 28;
inline constexpr size_t kMaxKeyBytes = 0xffff;
// Flag: the time field holds CPU time-stamp-counter ticks, which the back
// end converts to wall-clock time (reading the TSC is cheaper than the clock).
inline constexpr uint8_t kTimeIsTicks = 1;

// Bytes `f` takes in a record.
inline size_t EncodedFieldSize(const Field& f) {
  size_t key = f.key().size() < kMaxKeyBytes ? f.key().size() : kMaxKeyBytes;
  size_t n = 3 + key;
  switch (f.kind()) {
    case Field::Kind::kString: return n + 4 + f.string_value().size();
    case Field::Kind::kBool: return n + 1;
    case Field::Kind::kNull: return n;
    default: return n + 8;
  }
}

// (inline, the caller's hot path)
//   EncodeField(f, p): writes `f` at `p`; returns the end.
//   RecordSize(message, context_bytes, fields): total bytes, a multiple of 8.
//   EncodeRecord(p, size, time, logger, level, message, context, count,
//                fields, flags): writes a record of `size` bytes at `p`.
namespace detail {
template <typename T>
inline void Put(char*& p, T v) {
  std::memcpy(p, &v, sizeof(T));
  p += sizeof(T);
}
// Copies of a few bytes (keys, short values) without a call to memcpy.
inline void CopySmall(char* dst, const char* src, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n < 4) {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  } else {
    std::memcpy(dst, src, n);
  }
}

}  // namespace detail
inline char* EncodeField(const Field& f, char* p) {
  const std::string_view key = f.key().substr(0, kMaxKeyBytes);
  detail::Put<uint8_t>(p, static_cast<uint8_t>(f.kind()));
  detail::Put<uint16_t>(p, static_cast<uint16_t>(key.size()));
  detail::CopySmall(p, key.data(), key.size());
  p += key.size();
  switch (f.kind()) {
    case Field::Kind::kString: {
      const std::string_view v = f.string_value();
      detail::Put<uint32_t>(p, static_cast<uint32_t>(v.size()));
      detail::CopySmall(p, v.data(), v.size());
      p += v.size();
      break;
    }
    case Field::Kind::kInt: detail::Put<int64_t>(p, f.int_value()); break;
    case Field::Kind::kUint: detail::Put<uint64_t>(p, f.uint_value()); break;
    case Field::Kind::kDouble: detail::Put<double>(p, f.double_value()); break;
    case Field::Kind::kBool: detail::Put<uint8_t>(p, f.bool_value() ? 1 : 0); break;
    case Field::Kind::kNull: break;
  }
  return p;
}

inline size_t RecordSize(std::string_view message, size_t context_bytes, Fields fields) {
  size_t n = kRecordHeader + message.size() + context_bytes;
  for (const Field& f : fields) n += EncodedFieldSize(f);
  return (n + 7) & ~size_t{7};
}

inline void EncodeRecord(char* p, size_t size, int64_t time_ns, const Logger* logger, Level level,
                  std::string_view message, std::string_view context, uint16_t context_count,
                  Fields fields, uint8_t flags = 0) {
  detail::Put<uint32_t>(p, static_cast<uint32_t>(size));
  detail::Put<uint8_t>(p, static_cast<uint8_t>(level));
  detail::Put<uint8_t>(p, flags);
  const size_t count = context_count + fields.size();
  detail::Put<uint16_t>(p, static_cast<uint16_t>(count < 0xffff ? count : 0xffff));
  detail::Put<int64_t>(p, time_ns);
  detail::Put<const Logger*>(p, logger);
  detail::Put<uint32_t>(p, static_cast<uint32_t>(message.size()));
  detail::CopySmall(p, message.data(), message.size());
  p += message.size();
  if (!context.empty()) std::memcpy(p, context.data(), context.size());
  p += context.size();
  for (const Field& f : fields) p = EncodeField(f, p);
}


inline uint32_t RecordBytes(const char* p) {
  uint32_t n;
  __builtin_memcpy(&n, p, 4);
  return n;
}
inline int64_t RecordTime(const char* p) {
  int64_t t;
  __builtin_memcpy(&t, p + 8, 8);
  return t;
}
inline Level RecordLevel(const char* p) { return static_cast<Level>(p[4]); }
inline uint8_t RecordFlags(const char* p) { return static_cast<uint8_t>(p[5]); }
// Replaces the time with `time_ns` and clears kTimeIsTicks.
inline void SetRecordTime(char* p, int64_t time_ns) {
  __builtin_memcpy(p + 8, &time_ns, 8);
  p[5] = static_cast<char>(p[5] & ~kTimeIsTicks);
}

// Appends `s` as a JSON string (with quotes): control characters escaped,
// invalid UTF-8 replaced by U+FFFD, so any input gives valid JSON.
void AppendJsonString(std::string_view s, std::string* out);

// Appends the record's JSON line (no newline) to `out`. `service` is the
// service name; fields whose key is a built-in ECS key are written as
// "fields.<key>"; of several fields with one key the last is written.
void FormatRecord(const char* record, std::string_view service, std::string* out);

// "2026-11-22T10:00:00.123456Z".
void AppendTimestamp(int64_t time_ns, std::string* out);

}  // namespace vigil::logging::internal
