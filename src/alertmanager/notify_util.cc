#include "alertmanager/notify_util.h"

#include <array>
#include <chrono>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <openssl/evp.h>

#include "base/go_text.h"
#include "http/client.h"
#include "model/rfc3339.h"
#include "model/timestamp.h"

namespace vigil::alertmanager::internal {
namespace {

using std::chrono::nanoseconds;

// Go's utf8.DecodeRuneInString (base/go_text.h) with a size_t width.
struct Rune {
  char32_t r;
  size_t width;
};
Rune DecodeRune(std::string_view s) {
  const DecodedRune d = vigil::DecodeRune(s);
  return {d.r, static_cast<size_t>(d.width)};
}

bool PercentDecode(std::string_view s, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out->push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return false;
    const int hi = HexDigit(s[i + 1]);
    const int lo = HexDigit(s[i + 2]);
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
  if (t == TimePoint{}) return model::FormatRfc3339(model::kGoZeroTimeUnixS, 0, model::Rfc3339Fraction::kNano);
  return model::FormatRfc3339(model::FromTimePointNanos(t), model::Rfc3339Fraction::kNano);
}

std::string FormatRfc1123Z(TimePoint t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const auto day = std::chrono::floor<std::chrono::days>(secs);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(secs - day);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d +0000",
                kDays[std::chrono::weekday(day).c_encoding()], static_cast<unsigned>(ymd.day()),
                kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) return "";
  std::string out;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
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
