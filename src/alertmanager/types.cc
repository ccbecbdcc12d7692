#include "alertmanager/types.h"

#include <cinttypes>
#include <cstdio>

#include "templating/template.h"

namespace vigil::alertmanager {
namespace {

constexpr uint64_t kOffset64 = 14695981039346656037ull;
constexpr uint64_t kPrime64 = 1099511628211ull;
constexpr uint8_t kSeparator = 0xff;

uint64_t Add(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= kPrime64;
  }
  return h;
}

uint64_t AddByte(uint64_t h, uint8_t b) {
  h ^= b;
  return h * kPrime64;
}

}  // namespace

uint64_t Fingerprint(const model::Labels& labels) {
  uint64_t h = kOffset64;
  for (const auto& l : labels) {  // Labels iterate in name order
    h = AddByte(Add(h, l.name), kSeparator);
    h = AddByte(Add(h, l.value), kSeparator);
  }
  return h;
}

std::string FingerprintString(uint64_t fp) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, fp);
  return buf;
}

std::string LabelSetString(const model::Labels& labels) {
  std::string out = "{";
  bool first = true;
  for (const auto& l : labels) {
    if (!first) out += ", ";
    first = false;
    out.append(l.name);
    out += '=';
    out += templating::GoQuote(l.value);
  }
  return out + "}";
}

std::string MatchersString(const std::vector<model::Matcher>& matchers) {
  std::string out = "{";
  for (size_t i = 0; i < matchers.size(); ++i) {
    if (i > 0) out += ',';
    out += matchers[i].name();
    out += model::MatchTypeString(matchers[i].type());
    out += templating::GoQuote(matchers[i].value());
  }
  return out + "}";
}

bool MatchesAll(const std::vector<model::Matcher>& matchers, const model::Labels& labels) {
  for (const auto& m : matchers) {
    if (!m.Matches(labels.Get(m.name()))) return false;
  }
  return true;
}

Alert Merge(const Alert& a, const Alert& b, TimePoint now) {
  // Let `o` be the younger one.
  const Alert& older = b.updated_at < a.updated_at ? b : a;
  const Alert& o = b.updated_at < a.updated_at ? a : b;
  Alert res = o;
  if (older.starts_at < o.starts_at) res.starts_at = older.starts_at;
  if (o.ResolvedAt(now)) {
    // The latest explicit end wins if both are resolved.
    if (older.ResolvedAt(now) && older.ends_at > o.ends_at) res.ends_at = older.ends_at;
  } else if (older.ends_at > o.ends_at && !older.timeout) {
    // A later end that was not our own timeout rules.
    res.ends_at = older.ends_at;
  }
  return res;
}

}  // namespace vigil::alertmanager
