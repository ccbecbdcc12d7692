// Internal helpers shared by the receiver integrations (notify_*.cc): Go's
// wire formats (encoding/json strings, RFC 3339 times, regexp.QuoteMeta,
// notify.Truncate), the group-key hash PagerDuty gets, URL splitting for
// http::Client, and the HTTP answer -> Status mapping every HTTP integration
// shares (Alertmanager's notify.Retrier, with 429 retried too).
//
// Secrets: nothing here puts a URL's path, query or user info into an error
// message; PostJson reports only the scheme and host of the URL it posted to.
//
// Thread safety: pure functions (PostJson performs blocking I/O and is safe to
// call from many threads at once).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/notify.h"
#include "alertmanager/types.h"
#include "model/labels.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::alertmanager::internal {

// Appends `s` as Go's encoding/json writes a string (HTML-safe, as
// json.Encoder does by default): quotes, `\"` `\\` `\n` `\r` `\t`, other
// control bytes and < > & as \u00XX, U+2028/U+2029 escaped, invalid UTF-8
// as \ufffd.
void AppendJsonString(std::string_view s, std::string* out);
// A label set as a JSON object with sorted keys (Go's map[string]string).
void AppendJsonLabels(const model::Labels& labels, std::string* out);
// `,"name":"value"` (no comma before the first field; nothing when
// omit_empty and the value is empty), as encoding/json writes a string
// field with or without omitempty.
void AppendJsonField(std::string_view name, std::string_view value, bool omit_empty, bool* first,
                     std::string* out);

// Expands an integration's templates in order over one notification's
// data, keeping the first error ("<integration>: [what: ]<error>") and
// returning "" after it. Not thread-safe (one per message).
class Expander {
 public:
  Expander(const Templates& t, const NotificationData& data, std::string integration)
      : t_(t), dot_(TemplateValue(data)), integration_(std::move(integration)) {}
  std::string operator()(const std::string& text, std::string_view what = {});
  const Status& status() const { return status_; }

 private:
  const Templates& t_;
  const templating::Value dot_;
  const std::string integration_;
  Status status_;
};

// time.Time.MarshalJSON's text without the quotes (RFC3339Nano in UTC):
// "2024-01-02T03:04:05.123456789Z", fraction trimmed of trailing zeros and
// left out when zero. TimePoint{} stands for Go's zero time and gives
// "0001-01-01T00:00:00Z".
std::string FormatRfc3339Nano(TimePoint t);
// time.RFC1123Z in UTC: "Tue, 02 Jan 2024 03:04:05 +0000".
std::string FormatRfc1123Z(TimePoint t);

// Lower-case hex SHA-256 of `data` (notify.Key.Hash: PagerDuty dedup keys).
std::string Sha256Hex(std::string_view data);

// regexp.QuoteMeta: backslash before each of \.+*?()|[]{}^$ (Alertmanager
// quotes receiver names so in template data).
std::string QuoteMeta(std::string_view s);

// notify.Truncate: at most `max_runes` runes; a truncated string ends with
// "…" (within the limit) unless max_runes <= 3.
std::string TruncateRunes(std::string_view s, size_t max_runes, bool* truncated = nullptr);

// Replaces invalid UTF-8 and cuts `s` to about `max_bytes` for error texts.
std::string Snippet(std::string_view s, size_t max_bytes = 256);

// An http(s) URL split for http::Client.
struct HttpUrl {
  std::string origin;          // scheme://host[:port]
  std::string path_and_query;  // "/..." (at least "/"), fragment dropped
  std::string username;        // from user:password@ (percent-decoded)
  std::string password;
};
// Errors never repeat the URL (it may be a secret): kInvalidArgument
// "<what>: invalid URL (...)".
Result<HttpUrl> ParseHttpUrl(std::string_view url, std::string_view what);

// Whether `c` is a default-constructed HttpConfig (then the global one
// applies).
bool IsDefaultHttpConfig(const HttpConfig& c);

struct PostOptions {
  std::string_view what;  // "webhook", "slack", ... prefixes errors
  const HttpConfig* http_config = nullptr;
  std::chrono::milliseconds timeout{10000};
  std::string content_type = "application/json";
};
struct PostResult {
  int status = 0;
  std::string content_type;
  std::string body;
};
// One POST of `body` to `url`. Transport errors keep http::Client's codes
// (kUnavailable, kDeadlineExceeded, kCancelled, kResourceExhausted) with
// the URL reduced to its origin.
Result<PostResult> PostJson(std::string_view url, std::string_view body, const PostOptions& opts);

// Maps an HTTP answer to a Status as Alertmanager's Retrier classifies it:
// 2xx OK; 5xx, 429 and `retry_codes` kUnavailable (retryable); 400, 413
// and 422 kInvalidArgument; anything else kFailedPrecondition. The message
// reads "<what>: unexpected status code 404: <details>"; details default to
// a snippet of the body.
Status CheckHttpStatus(std::string_view what, int status, std::string_view details,
                       const std::vector<int>& retry_codes = {});

}  // namespace vigil::alertmanager::internal
