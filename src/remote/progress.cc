#include "remote/progress.h"

#include <charconv>
#include <cstdio>
#include <string_view>
#include <vector>

#include "base/file.h"
#include "base/strings.h"
#include "tsdb/wal/wal.h"

namespace vigil::remote {
namespace {

constexpr std::string_view kMagic = "vigil-remote-write-progress 1";

std::string Hex16(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

template <typename T>
bool ParseNumber(std::string_view s, int base, T* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string PositionString(const WalPosition& p) {
  return "segment " + tsdb::wal::SegmentName(p.segment) + " offset " +
         std::to_string(p.offset);
}

Status WriteProgress(const std::string& path, const Progress& p) {
  std::string body(kMagic);
  body += "\nsegment " + std::to_string(p.position.segment);
  body += "\noffset " + std::to_string(p.position.offset);
  body += "\nfingerprint " + Hex16(p.segment_fingerprint);
  body += "\n";
  body += "checksum " + Hex16(Fnv1a(body)) + "\n";
  return WriteFileAtomic(path, body);
}

Result<std::optional<Progress>> ReadProgress(const std::string& path) {
  Result<std::string> data = ReadFile(path);
  if (!data.ok()) {
    if (data.status().code() == StatusCode::kNotFound) {
      return std::optional<Progress>();
    }
    return data.status();
  }
  auto corrupt = [&](std::string_view why) {
    return DataLossError("remote write progress file " + path +
                         " is corrupt: " + std::string(why));
  };
  const std::string& text = *data;
  const size_t sum_at = text.rfind("checksum ");
  if (sum_at == std::string::npos) return corrupt("no checksum line");
  uint64_t stored = 0;
  std::string_view sum_line =
      std::string_view(text).substr(sum_at + 9);
  if (!sum_line.empty() && sum_line.back() == '\n') sum_line.remove_suffix(1);
  if (!ParseNumber(sum_line, 16, &stored) ||
      stored != Fnv1a(std::string_view(text).substr(0, sum_at))) {
    return corrupt("checksum mismatch");
  }
  std::vector<std::string_view> lines;
  std::string_view rest = std::string_view(text).substr(0, sum_at);
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) return corrupt("unterminated line");
    lines.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  if (lines.size() != 4 || lines[0] != kMagic) {
    return corrupt("unknown format (want \"" + std::string(kMagic) + "\")");
  }
  Progress p;
  auto field = [&](std::string_view line, std::string_view name, int base,
                   auto* out) {
    return line.substr(0, name.size() + 1) == std::string(name) + " " &&
           ParseNumber(line.substr(name.size() + 1), base, out);
  };
  if (!field(lines[1], "segment", 10, &p.position.segment) ||
      p.position.segment < 0 ||
      !field(lines[2], "offset", 10, &p.position.offset) ||
      !field(lines[3], "fingerprint", 16, &p.segment_fingerprint)) {
    return corrupt("bad segment, offset or fingerprint line");
  }
  return std::optional<Progress>(p);
}

}  // namespace vigil::remote
