// vigil::http::Server: a small HTTP/1.1 server for vigil's endpoints, built
// on cpp-httplib (no third-party type leaks from this header). It knows
// nothing about metrics: exporter and daemon register handlers.
//
//   auto server = vigil::http::Server::Create({.listen_address = "127.0.0.1:0"});
//   (*server)->Handle("GET", "/ready", [](const Request&, Response* r) { r->body = "ok"; });
//   VIGIL_RETURN_IF_ERROR((*server)->Start());
//   int port = (*server)->port();
//
// Security (daemon/web_config.h reads Prometheus' web-config file into
// these options): optional TLS, Basic and Bearer authentication (401 with
// WWW-Authenticate when missing or wrong, before any handler runs) and a
// per-client rate limit (429).
//
// Requests larger than max_body_bytes get 413, malformed ones 400 (from the
// library's parser), unknown paths 404, known paths with another method 405
// with an Allow header. A handler that throws gets a 500; the server keeps
// serving.
//
// Thread safety: thread-safe. Handle() must be called before Start();
// handlers run concurrently on the server's worker threads.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::http {

struct Request {
  std::string method;
  std::string path;
  std::string body;
  std::string remote_addr;
  std::multimap<std::string, std::string> params;  // query and form parameters
  // Values of a pattern route's "{name}" segments, by name.
  std::map<std::string, std::string> path_params;
  // Header lookup is case-insensitive; empty when absent.
  std::function<std::string(const std::string&)> header;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using Handler = std::function<void(const Request&, Response*)>;

// TLS for the server (Prometheus web-config's tls_server_config).
struct ServerTlsOptions {
  // PEM certificate chain and private key. Read again when either file
  // changes (checked at each handshake; http/certificate_store.h), so a
  // rotated certificate applies without a restart.
  std::string cert_file;
  std::string key_file;
  // Client certificates: "NoClientCert" (default), "RequestClientCert",
  // "RequireAnyClientCert", "VerifyClientCertIfGiven" or
  // "RequireAndVerifyClientCert" (Go's tls.ClientAuthType names).
  std::string client_auth_type = "NoClientCert";
  std::string client_ca_file;  // PEM CAs that verify client certificates
  std::string min_version = "TLS12";  // TLS10..TLS13
  std::string max_version;            // empty: the library's newest
  friend bool operator==(const ServerTlsOptions&, const ServerTlsOptions&) = default;
};

// Who may call the server. With neither users nor tokens everyone may.
// With both, either a valid Basic or a valid Bearer credential passes.
struct AuthOptions {
  // user -> bcrypt hash ($2a$, $2b$ or $2y$), as web-config's
  // basic_auth_users. A verified (user, password) pair is remembered, so
  // only a client's first request pays for bcrypt.
  std::map<std::string, std::string> basic_auth_users;
  // Accepted "Authorization: Bearer <token>" tokens, compared in constant
  // time.
  std::vector<std::string> bearer_tokens;
  bool enabled() const { return !basic_auth_users.empty() || !bearer_tokens.empty(); }
};

// A token bucket per client address: `burst` requests at once, refilled at
// `requests_per_second`. Over the limit: 429 with Retry-After. 0: no limit.
struct RateLimitOptions {
  double requests_per_second = 0;
  double burst = 0;  // 0: max(1, requests_per_second)
};

struct ServerOptions {
  std::string listen_address = "127.0.0.1:9464";  // host:port; port 0 picks a free one
  size_t max_body_bytes = 1 << 20;
  int worker_threads = 4;
  int read_timeout_s = 5;
  int write_timeout_s = 5;
  std::optional<ServerTlsOptions> tls;  // absent: plain HTTP
  AuthOptions auth;
  RateLimitOptions rate_limit;
  // Added to every response (web-config's http_server_config.headers).
  std::vector<std::pair<std::string, std::string>> response_headers;
  // Problems found while serving, e.g. a rotated TLS certificate that
  // failed to load (the previous one is kept). Empty: stderr.
  std::function<void(std::string_view)> log;
};

// Splits "host:port" (or "[v6]:port"); an error names what is wrong.
Status ParseListenAddress(const std::string& address, std::string* host, int* port);

class Server {
 public:
  static Result<std::unique_ptr<Server>> Create(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Routes `method` requests for `path`. A segment written "{name}" matches
  // any one non-empty path segment and is passed in Request::path_params
  // ("/api/v1/label/{name}/values"); other characters match exactly.
  void Handle(const std::string& method, const std::string& path, Handler handler);
  // Replaces who may call (options.auth) and the headers every answer
  // carries (options.response_headers), for requests from now on, as
  // Prometheus re-reads its web-config file. Verified Basic credentials are
  // forgotten (checked with bcrypt again). Thread-safe.
  void SetAccess(AuthOptions auth,
                 std::vector<std::pair<std::string, std::string>> response_headers);
  // Binds and starts serving on a background thread. Idempotent.
  Status Start();
  // Stops accepting and waits for the serving thread. Idempotent.
  void Stop();
  // The bound port, or 0 before Start().
  int port() const;
  const std::string& host() const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::http
