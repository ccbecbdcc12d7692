#include "alertmanager/notify_util.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>

#include "http/client.h"

namespace vigil::alertmanager::internal {
namespace {

using std::chrono::duration_cast;
using std::chrono::nanoseconds;

// utf8.DecodeRuneInString: the rune and its width; invalid or truncated
// sequences give (0xFFFD, 1).
struct Rune {
  char32_t r;
  size_t width;
};
Rune DecodeRune(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return {b0, 1};
  size_t n;
  char32_t r;
  char32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, r = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, r = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, r = b0 & 0x07, min = 0x10000;
  } else {
    return {0xFFFD, 1};
  }
  if (s.size() < n) return {0xFFFD, 1};
  for (size_t i = 1; i < n; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return {0xFFFD, 1};
    r = (r << 6) | (b & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return {0xFFFD, 1};
  return {r, n};
}

// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
// civil_from_days).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2 ? 1 : 0);
}

struct Civil {
  int64_t year;
  unsigned month, day, hour, minute, second;
  int64_t nanos;
  int64_t days;  // since the epoch
};
Civil ToCivil(TimePoint t) {
  const int64_t ns = duration_cast<nanoseconds>(t.time_since_epoch()).count();
  int64_t secs = ns / 1000000000;
  int64_t frac = ns % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  Civil c{};
  CivilFromDays(days, &c.year, &c.month, &c.day);
  c.hour = static_cast<unsigned>(sod / 3600);
  c.minute = static_cast<unsigned>(sod / 60 % 60);
  c.second = static_cast<unsigned>(sod % 60);
  c.nanos = frac;
  c.days = days;
  return c;
}

// ---------------------------------------------------------------- SHA-256

constexpr std::array<uint32_t, 64> kSha256K = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

inline uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

void Sha256Block(const unsigned char* p, std::array<uint32_t, 8>* state) {
  uint32_t w[64];
  for (int i = 0; i < 16; ++i) {
    w[i] = (uint32_t{p[4 * i]} << 24) | (uint32_t{p[4 * i + 1]} << 16) |
           (uint32_t{p[4 * i + 2]} << 8) | uint32_t{p[4 * i + 3]};
  }
  for (int i = 16; i < 64; ++i) {
    const uint32_t s0 = Rotr(w[i - 15], 7) ^ Rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const uint32_t s1 = Rotr(w[i - 2], 17) ^ Rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = (*state)[0], b = (*state)[1], c = (*state)[2], d = (*state)[3];
  uint32_t e = (*state)[4], f = (*state)[5], g = (*state)[6], h = (*state)[7];
  for (int i = 0; i < 64; ++i) {
    const uint32_t s1 = Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25);
    const uint32_t ch = (e & f) ^ (~e & g);
    const uint32_t t1 = h + s1 + ch + kSha256K[i] + w[i];
    const uint32_t s0 = Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22);
    const uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    const uint32_t t2 = s0 + maj;
    h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  (*state)[0] += a, (*state)[1] += b, (*state)[2] += c, (*state)[3] += d;
  (*state)[4] += e, (*state)[5] += f, (*state)[6] += g, (*state)[7] += h;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool PercentDecode(std::string_view s, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out->push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return false;
    const int hi = HexValue(s[i + 1]);
    const int lo = HexValue(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      switch (b) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        default:
          if (b < 0x20 || b == '<' || b == '>' || b == '&') {
            out->append("\\u00");
            out->push_back(kHex[b >> 4]);
            out->push_back(kHex[b & 0xF]);
          } else {
            out->push_back(static_cast<char>(b));
          }
      }
      ++i;
      continue;
    }
    const Rune r = DecodeRune(s.substr(i));
    if (r.r == 0xFFFD && r.width == 1) {
      out->append("\\ufffd");
    } else if (r.r == 0x2028 || r.r == 0x2029) {
      out->append(r.r == 0x2028 ? "\\u2028" : "\\u2029");
    } else {
      out->append(s.substr(i, r.width));
    }
    i += r.width;
  }
  out->push_back('"');
}

void AppendJsonField(std::string_view name, std::string_view value, bool omit_empty, bool* first,
                     std::string* out) {
  if (omit_empty && value.empty()) return;
  if (!*first) out->push_back(',');
  *first = false;
  AppendJsonString(name, out);
  out->push_back(':');
  AppendJsonString(value, out);
}

std::string Expander::operator()(const std::string& text, std::string_view what) {
  if (!status_.ok()) return "";
  Result<std::string> r = t_.ExecuteText(text, dot_);
  if (!r.ok()) {
    std::string msg = integration_ + ": ";
    if (!what.empty()) msg += std::string(what) + ": ";
    status_ = InvalidArgumentError(msg + std::string(r.status().message()));
    return "";
  }
  return std::move(*r);
}

void AppendJsonLabels(const model::Labels& labels, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const auto& l : labels) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(l.name, out);
    out->push_back(':');
    AppendJsonString(l.value, out);
  }
  out->push_back('}');
}

std::string FormatRfc3339Nano(TimePoint t) {
  if (t == TimePoint{}) return "0001-01-01T00:00:00Z";
  const Civil c = ToCivil(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u", static_cast<long long>(c.year),
                c.month, c.day, c.hour, c.minute, c.second);
  std::string out = buf;
  if (c.nanos != 0) {
    std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(c.nanos));
    std::string frac = buf;
    while (frac.back() == '0') frac.pop_back();
    out += frac;
  }
  out += 'Z';
  return out;
}

std::string FormatRfc1123Z(TimePoint t) {
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const Civil c = ToCivil(t);
  const int64_t wd = ((c.days % 7) + 7) % 7;  // 1970-01-01 was a Thursday
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02u:%02u:%02u +0000", kDays[wd], c.day,
                kMonths[c.month - 1], static_cast<long long>(c.year), c.hour, c.minute, c.second);
  return buf;
}

std::string Sha256Hex(std::string_view data) {
  std::array<uint32_t, 8> state = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  while (n >= 64) {
    Sha256Block(p, &state);
    p += 64;
    n -= 64;
  }
  unsigned char tail[128] = {};
  std::memcpy(tail, p, n);
  tail[n] = 0x80;
  const size_t blocks = n + 9 <= 64 ? 1 : 2;
  const uint64_t bits = static_cast<uint64_t>(data.size()) * 8;
  for (int i = 0; i < 8; ++i) {
    tail[blocks * 64 - 1 - i] = static_cast<unsigned char>(bits >> (8 * i));
  }
  for (size_t b = 0; b < blocks; ++b) Sha256Block(tail + 64 * b, &state);
  std::string out;
  char buf[9];
  for (uint32_t v : state) {
    std::snprintf(buf, sizeof buf, "%08x", v);
    out += buf;
  }
  return out;
}

std::string QuoteMeta(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (std::strchr("\\.+*?()|[]{}^$", c) != nullptr && c != '\0') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string TruncateRunes(std::string_view s, size_t max_runes, bool* truncated) {
  // End offsets of the first runes, up to max_runes + 1 of them.
  std::vector<size_t> ends;
  size_t i = 0;
  while (i < s.size() && ends.size() <= max_runes) {
    i += DecodeRune(s.substr(i)).width;
    ends.push_back(i);
  }
  if (ends.size() <= max_runes) {
    if (truncated != nullptr) *truncated = false;
    return std::string(s);
  }
  if (truncated != nullptr) *truncated = true;
  if (max_runes <= 3) return std::string(s.substr(0, max_runes == 0 ? 0 : ends[max_runes - 1]));
  return std::string(s.substr(0, ends[max_runes - 2])) + "\xE2\x80\xA6";  // "…"
}

std::string Snippet(std::string_view s, size_t max_bytes) {
  std::string out;
  size_t i = 0;
  while (i < s.size() && out.size() < max_bytes) {
    const Rune r = DecodeRune(s.substr(i));
    if (r.r == 0xFFFD && r.width == 1) {
      out += "\xEF\xBF\xBD";
    } else if (r.r < 0x20 && r.r != '\t') {
      out.push_back(' ');
    } else {
      out.append(s.substr(i, r.width));
    }
    i += r.width;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (i < s.size()) out += "...";
  return out;
}

Result<HttpUrl> ParseHttpUrl(std::string_view url, std::string_view what) {
  const auto bad = [&](std::string_view why) {
    return InvalidArgumentError(std::string(what) + ": invalid URL (" + std::string(why) + ")");
  };
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return bad("missing scheme");
  std::string scheme(url.substr(0, sep));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") return bad("scheme must be http or https");
  std::string_view rest = url.substr(sep + 3);
  if (const size_t hash = rest.find('#'); hash != std::string_view::npos) {
    rest = rest.substr(0, hash);
  }
  const size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path =
      path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  HttpUrl out;
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const size_t colon = userinfo.find(':');
    if (!PercentDecode(userinfo.substr(0, colon), &out.username)) return bad("bad user info");
    if (colon != std::string_view::npos &&
        !PercentDecode(userinfo.substr(colon + 1), &out.password)) {
      return bad("bad user info");
    }
  }
  if (authority.empty()) return bad("missing host");
  for (char c : authority) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '\\') return bad("bad host");
  }
  for (char c : path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return bad("bad path");
  }
  out.origin = scheme + "://" + std::string(authority);
  out.path_and_query = path.empty() ? "/" : std::string(path);
  if (out.path_and_query[0] == '?') out.path_and_query.insert(0, "/");
  return out;
}

bool IsDefaultHttpConfig(const HttpConfig& c) {
  const HttpConfig d;
  return c.basic_auth_username == d.basic_auth_username &&
         c.basic_auth_password == d.basic_auth_password &&
         c.authorization_type == d.authorization_type &&
         c.authorization_credentials == d.authorization_credentials &&
         c.tls_ca_file == d.tls_ca_file && c.tls_cert_file == d.tls_cert_file &&
         c.tls_key_file == d.tls_key_file &&
         c.tls_insecure_skip_verify == d.tls_insecure_skip_verify &&
         c.follow_redirects == d.follow_redirects;
}

Result<PostResult> PostJson(std::string_view url, std::string_view body, const PostOptions& opts) {
  Result<HttpUrl> u = ParseHttpUrl(url, opts.what);
  if (!u.ok()) return u.status();
  http::ClientOptions co;
  co.timeout =
      opts.timeout > std::chrono::milliseconds(0) ? opts.timeout : std::chrono::milliseconds(1);
  co.body_size_limit_bytes = size_t{4} << 20;
  if (opts.http_config != nullptr) {
    const HttpConfig& h = *opts.http_config;
    co.follow_redirects = h.follow_redirects;
    co.basic_auth_username = h.basic_auth_username;
    co.basic_auth_password = h.basic_auth_password.value;
    co.authorization_type = h.authorization_type.empty() ? "Bearer" : h.authorization_type;
    co.authorization_credentials = h.authorization_credentials.value;
    co.tls.ca_file = h.tls_ca_file;
    co.tls.cert_file = h.tls_cert_file;
    co.tls.key_file = h.tls_key_file;
    co.tls.insecure_skip_verify = h.tls_insecure_skip_verify;
  }
  // Credentials in the URL apply when http_config sets no basic auth (Go's
  // http.Client sends them, too).
  if (co.basic_auth_username.empty() && co.basic_auth_password.empty() &&
      (!u->username.empty() || !u->password.empty())) {
    co.basic_auth_username = u->username;
    co.basic_auth_password = u->password;
  }
  const std::string prefix = std::string(opts.what) + ": POST " + u->origin;
  Result<std::unique_ptr<http::Client>> client = http::Client::Create(u->origin, co);
  if (!client.ok()) {
    // Create's messages name the origin only (no path, no credentials).
    return Status(client.status().code(),
                  std::string(opts.what) + ": " + std::string(client.status().message()));
  }
  Result<http::ClientResponse> r = (*client)->Post(u->path_and_query, body, opts.content_type);
  if (!r.ok()) {
    // http::Client says "POST <origin><path>: <reason>"; keep the reason
    // only, since the path may be the secret (Slack, webhooks).
    std::string_view msg = r.status().message();
    const std::string full = "POST " + u->origin + u->path_and_query;
    if (msg.substr(0, full.size()) == full) {
      msg.remove_prefix(full.size());
    } else if (const size_t colon = msg.find(": "); colon != std::string_view::npos) {
      msg.remove_prefix(colon);
    } else {
      msg = {};
    }
    if (msg.substr(0, 2) == ": ") msg.remove_prefix(2);
    return Status(r.status().code(), prefix + ": " + std::string(msg));
  }
  PostResult out;
  // http::Client (cpp-httplib) does not report the status of a 204 answer,
  // the only success that leaves it at 0.
  out.status = r->status == 0 ? 204 : r->status;
  out.content_type = std::move(r->content_type);
  out.body = std::move(r->body);
  return out;
}

Status CheckHttpStatus(std::string_view what, int status, std::string_view details,
                       const std::vector<int>& retry_codes) {
  if (status / 100 == 2) return Status::OK();
  std::string msg = std::string(what) + ": unexpected status code " + std::to_string(status);
  if (!details.empty()) msg += ": " + std::string(details);
  bool retry = status / 100 == 5 || status == 429;
  for (int c : retry_codes) retry = retry || c == status;
  if (retry) return UnavailableError(msg);
  if (status == 400 || status == 413 || status == 422) return InvalidArgumentError(msg);
  return FailedPreconditionError(msg);
}

}  // namespace vigil::alertmanager::internal
