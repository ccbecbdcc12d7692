// vigil::http::Client: an HTTP/1.1 (and HTTPS) client for one origin,
// built on cpp-httplib (no third-party type leaks from this header). Used by
// scraping (GET), alert delivery (POST) and Pushgateway pushes (PUT,
// POST, DELETE); webhooks and remote write will use it too. It knows
// nothing about metrics.
//
//   auto client = Client::Create("http://127.0.0.1:9100",
//                                {.timeout = std::chrono::seconds(10)});
//   if (!client.ok()) return client.status();
//   Result<ClientResponse> r = (*client)->Get(
//       "/metrics", {{"Accept", "text/plain"}});
//   if (r.ok() && r->status == 200) Parse(r->body);
//   Result<ClientResponse> p = (*client)->Post(
//       "/api/v2/alerts", body, "application/json");
//
// Errors (GET or POST alike, the message starting with the method):
// kUnavailable "GET <url>: <reason>" when the server cannot be
// reached or the connection breaks; kDeadlineExceeded when the request does
// not finish within the timeout; kResourceExhausted when the (decompressed)
// body is larger than body_size_limit_bytes; kInvalidArgument for a bad URL
// or TLS files that cannot be loaded. A non-2xx answer is not an error:
// the caller reads ClientResponse::status. Gzip and deflate bodies are
// decompressed.
//
// Thread safety: Get() and Post() are thread-compatible (one request at a
// time per Client); Stop() may be called from any thread: it aborts a
// request in flight and every later request fails with kCancelled.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::http {

// "vigil/<version>": the default User-Agent.
std::string_view DefaultUserAgent();

struct TlsOptions {
  std::string ca_file;    // PEM CA bundle; empty: the system's defaults
  std::string cert_file;  // client certificate (PEM), with key_file
  std::string key_file;
  bool insecure_skip_verify = false;  // do not verify the server's cert
  friend bool operator==(const TlsOptions&, const TlsOptions&) = default;
};

struct ClientOptions {
  // Whole-request budget: connecting, sending and reading the answer. Each
  // socket wait is bounded by it, and the deadline is checked between
  // reads.
  std::chrono::milliseconds timeout{10000};
  // Sent unless the request sets its own User-Agent; empty: the default.
  std::string user_agent;
  bool follow_redirects = true;
  // 0: no limit. Applies to the decompressed body, as Prometheus'
  // body_size_limit does.
  size_t body_size_limit_bytes = 0;
  // Basic auth, sent when username or password is set. Authorization
  // options apply unless the request carries its own Authorization header.
  std::string basic_auth_username;
  std::string basic_auth_password;
  // Sent as "Authorization: <type> <credentials>" when credentials is set.
  std::string authorization_type = "Bearer";
  std::string authorization_credentials;
  TlsOptions tls;  // https only
};

struct ClientResponse {
  int status = 0;
  std::string content_type;  // the Content-Type header, as sent
  std::string body;          // decompressed
  // Other response headers, names as the server wrote them.
  std::vector<std::pair<std::string, std::string>> headers;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class Client {
 public:
  // `origin` is "http://host:port" or "https://host:port" ([v6] hosts
  // allowed); without a port, 80 or 443.
  static Result<std::unique_ptr<Client>> Create(std::string origin,
                                                ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // GET origin + `path_and_query` ("/metrics?x=1", already escaped).
  Result<ClientResponse> Get(std::string_view path_and_query,
                             const Headers& headers = {});
  // POST `body` to origin + `path_and_query` with Content-Type
  // `content_type` (unless `headers` carry their own). Same timeout,
  // authorization, redirect handling, body limit and errors as Get(). Not
  // retried here: whether a POST may be repeated is the caller's call.
  Result<ClientResponse> Post(std::string_view path_and_query,
                              std::string_view body,
                              std::string_view content_type,
                              const Headers& headers = {});
  // PUT, with the same behaviour as Post() (Pushgateway's replace-group).
  Result<ClientResponse> Put(std::string_view path_and_query,
                             std::string_view body,
                             std::string_view content_type,
                             const Headers& headers = {});
  // DELETE origin + `path_and_query`, no body; otherwise as Get().
  Result<ClientResponse> Delete(std::string_view path_and_query,
                                const Headers& headers = {});
  // Aborts a request in flight on another thread and refuses later ones.
  // Idempotent.
  void Stop();

  const std::string& origin() const { return origin_; }

 private:
  struct Impl;
  Client(std::string origin, ClientOptions options, std::unique_ptr<Impl> impl);
  // One request; `body` is null for GET.
  Result<ClientResponse> Do(std::string_view method,
                            std::string_view path_and_query,
                            const std::string* body,
                            std::string_view content_type,
                            const Headers& headers);

  // Constant after construction.
  const std::string origin_;
  const ClientOptions options_;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> stopped_{false};
};

// "Basic <base64(username:password)>": the Authorization value of RFC 7617
// basic auth.
std::string BasicAuthHeaderValue(std::string_view username,
                                 std::string_view password);

// RFC 4648 base64 with padding: the standard alphabet, or the URL- and
// file-name-safe one ("-" and "_") when `url_safe`.
std::string Base64Encode(std::string_view in, bool url_safe);

// Percent-escapes a query component: RFC 3986 unreserved characters kept,
// everything else %XX, spaces included ("%20", which every server decodes;
// Go's "+" is not understood by all).
std::string QueryEscape(std::string_view s);

}  // namespace vigil::http
