#include "logging/record.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>

namespace vigil::logging::internal {
namespace {

template <typename T>
void Put(char*& p, T v) {
  std::memcpy(p, &v, sizeof(T));
  p += sizeof(T);
}
template <typename T>
T Get(const char*& p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  p += sizeof(T);
  return v;
}

// The keys vigil writes itself; a caller's field with one of them is renamed.
bool IsBuiltinKey(std::string_view k) {
  return k == "@timestamp" || k == "log.level" || k == "message" || k == "ecs.version" ||
         k == "service.name" || k == "log.logger";
}

struct FieldView {
  Field::Kind kind;
  std::string_view key;
  const char* value;  // encoded value
};

// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int>(yy + (*m <= 2));
}

void Append2(unsigned v, char* p) {
  p[0] = static_cast<char>('0' + v / 10 % 10);
  p[1] = static_cast<char>('0' + v % 10);
}

void AppendDouble(double v, std::string* out) {
  if (!std::isfinite(v)) {  // JSON has no NaN or Inf: strings, as Go's json does not
    out->append(std::isnan(v) ? "\"NaN\"" : (v > 0 ? "\"+Inf\"" : "\"-Inf\""));
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

template <typename T>
void AppendInt(T v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

// Length of the valid UTF-8 sequence at s[i] (2..4), or 0 when invalid.
size_t Utf8SequenceLength(const unsigned char* s, size_t n) {
  const unsigned char c = s[0];
  size_t len;
  uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((s[k] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[k] & 0x3f);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
      (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;  // overlong, out of range, or a surrogate
  }
  return len;
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    size_t run = i;
    while (run < n && u[run] >= 0x20 && u[run] < 0x80 && u[run] != '"' && u[run] != '\\') ++run;
    if (run > i) {
      out->append(s.data() + i, run - i);
      i = run;
      if (i == n) break;
    }
    const unsigned char c = u[i];
    if (c < 0x80) {
      out->push_back('\\');
      switch (c) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '\n': out->push_back('n'); break;
        case '\r': out->push_back('r'); break;
        case '\t': out->push_back('t'); break;
        case '\b': out->push_back('b'); break;
        case '\f': out->push_back('f'); break;
        default:
          out->append("u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
      }
      ++i;
      continue;
    }
    const size_t len = Utf8SequenceLength(u + i, n - i);
    if (len == 0) {
      out->append("\xef\xbf\xbd");  // U+FFFD for each invalid byte
      ++i;
    } else {
      out->append(s.data() + i, len);
      i += len;
    }
  }
  out->push_back('"');
}

void AppendTimestamp(int64_t time_ns, std::string* out) {
  int64_t secs = time_ns / 1000000000;
  int64_t nanos = time_ns % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  int y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  // YYYY-MM-DDTHH:MM:SS.uuuuuuZ
  const unsigned yy = static_cast<unsigned>(y < 0 ? 0 : (y > 9999 ? 9999 : y));
  buf[0] = static_cast<char>('0' + yy / 1000);
  buf[1] = static_cast<char>('0' + yy / 100 % 10);
  Append2(yy % 100, buf + 2);
  buf[4] = '-';
  Append2(m, buf + 5);
  buf[7] = '-';
  Append2(d, buf + 8);
  buf[10] = 'T';
  Append2(static_cast<unsigned>(sod / 3600), buf + 11);
  buf[13] = ':';
  Append2(static_cast<unsigned>(sod / 60 % 60), buf + 14);
  buf[16] = ':';
  Append2(static_cast<unsigned>(sod % 60), buf + 17);
  buf[19] = '.';
  unsigned micros = static_cast<unsigned>(nanos / 1000);
  for (int k = 25; k >= 20; --k) {
    buf[k] = static_cast<char>('0' + micros % 10);
    micros /= 10;
  }
  buf[26] = 'Z';
  out->append(buf, 27);
}

void FormatRecord(const char* record, std::string_view service, std::string* out) {
  const char* p = record;
  Get<uint32_t>(p);
  const auto level = static_cast<Level>(Get<uint8_t>(p));
  Get<uint8_t>(p);
  const uint16_t count = Get<uint16_t>(p);
  const int64_t time_ns = Get<int64_t>(p);
  const auto* logger = Get<const Logger*>(p);
  const uint32_t msg_len = Get<uint32_t>(p);
  const std::string_view message(p, msg_len);
  p += msg_len;

  out->append("{\"@timestamp\":\"");
  AppendTimestamp(time_ns, out);
  out->append("\",\"log.level\":\"");
  out->append(LevelName(level));
  out->append("\",\"message\":");
  AppendJsonString(message, out);
  out->append(",\"ecs.version\":\"8.11.0\",\"service.name\":");
  AppendJsonString(service, out);
  out->append(",\"log.logger\":");
  AppendJsonString(logger->name(), out);

  // Decode the fields, then write each unless a later one has its key.
  FieldView views[64];
  std::unique_ptr<FieldView[]> heap;
  FieldView* fv = views;
  if (count > 64) {
    heap = std::make_unique<FieldView[]>(count);
    fv = heap.get();
  }
  for (uint16_t i = 0; i < count; ++i) {
    fv[i].kind = static_cast<Field::Kind>(Get<uint8_t>(p));
    const uint16_t klen = Get<uint16_t>(p);
    fv[i].key = std::string_view(p, klen);
    p += klen;
    fv[i].value = p;
    switch (fv[i].kind) {
      case Field::Kind::kString: {
        uint32_t len;
        std::memcpy(&len, p, 4);
        p += 4 + len;
        break;
      }
      case Field::Kind::kBool: p += 1; break;
      case Field::Kind::kNull: break;
      default: p += 8;
    }
  }
  for (uint16_t i = 0; i < count; ++i) {
    bool shadowed = false;
    for (uint16_t j = i + 1; j < count && !shadowed; ++j) shadowed = fv[j].key == fv[i].key;
    if (shadowed) continue;
    out->push_back(',');
    if (IsBuiltinKey(fv[i].key)) {
      std::string renamed = "fields.";
      renamed.append(fv[i].key);
      AppendJsonString(renamed, out);
    } else {
      AppendJsonString(fv[i].key, out);
    }
    out->push_back(':');
    const char* v = fv[i].value;
    switch (fv[i].kind) {
      case Field::Kind::kString: {
        const uint32_t len = Get<uint32_t>(v);
        AppendJsonString(std::string_view(v, len), out);
        break;
      }
      case Field::Kind::kInt: AppendInt(Get<int64_t>(v), out); break;
      case Field::Kind::kUint: AppendInt(Get<uint64_t>(v), out); break;
      case Field::Kind::kDouble: AppendDouble(Get<double>(v), out); break;
      case Field::Kind::kBool: out->append(*v ? "true" : "false"); break;
      case Field::Kind::kNull: out->append("null"); break;
    }
  }
  out->push_back('}');
}

}  // namespace vigil::logging::internal
