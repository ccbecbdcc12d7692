// vigil::http::Server: a small HTTP/1.1 server for vigil's endpoints, built
// on cpp-httplib (no third-party type leaks from this header). It knows
// nothing about metrics: exporter and daemon register handlers.
//
//   auto server = vigil::http::Server::Create({.listen_address = "127.0.0.1:0"});
//   (*server)->Handle("GET", "/ready", [](const Request&, Response* r) { r->body = "ok"; });
//   VIGIL_RETURN_IF_ERROR((*server)->Start());
//   int port = (*server)->port();
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
#include <string>
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

struct ServerOptions {
  std::string listen_address = "127.0.0.1:9464";  // host:port; port 0 picks a free one
  size_t max_body_bytes = 1 << 20;
  int worker_threads = 4;
  int read_timeout_s = 5;
  int write_timeout_s = 5;
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
