#include "http/server.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>

#include "base/status_macros.h"
#include "base/thread_annotations.h"
#include "http/certificate_store.h"
#include "http/security.h"

namespace vigil::http {

Status ParseListenAddress(const std::string& address, std::string* host, int* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return InvalidArgumentError("listen address \"" + address + "\" must be host:port");
  }
  std::string h = address.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string p = address.substr(colon + 1);
  char* end = nullptr;
  const long v = std::strtol(p.c_str(), &end, 10);
  if (p.empty() || *end != '\0' || v < 0 || v > 65535) {
    return InvalidArgumentError("listen address \"" + address + "\": port \"" + p +
                                "\" must be a number in [0, 65535]");
  }
  *host = h.empty() ? "0.0.0.0" : h;
  *port = static_cast<int>(v);
  return Status::OK();
}

namespace {
// cpp-httplib routes by regular expression; vigil routes by exact path
// with "{name}" segments, each becoming one capture group. Appends the
// names of those segments to `names`.
std::string PathPattern(const std::string& path, std::vector<std::string>* names) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '{' && (i == 0 || path[i - 1] == '/')) {
      const size_t close = path.find('}', i);
      if (close != std::string::npos &&
          (close + 1 == path.size() || path[close + 1] == '/')) {
        names->push_back(path.substr(i + 1, close - i - 1));
        out += "([^/]+)";
        i = close;
        continue;
      }
    }
    if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}
using internal::OpenSslError;

Result<int> TlsVersion(const std::string& name) {
  if (name == "TLS10") return TLS1_VERSION;
  if (name == "TLS11") return TLS1_1_VERSION;
  if (name == "TLS12") return TLS1_2_VERSION;
  if (name == "TLS13") return TLS1_3_VERSION;
  return InvalidArgumentError("unknown TLS version \"" + name +
                              "\" (want TLS10, TLS11, TLS12 or TLS13)");
}

// Any certificate will do ("RequireAnyClientCert", "RequestClientCert").
int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

// Fills a server context from ServerTlsOptions (all but the certificate and
// key, which internal::CertificateStore puts on each connection); an error
// says what failed.
Status SetUpTls(const ServerTlsOptions& tls, SSL_CTX* ctx) {
  ERR_clear_error();
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  VIGIL_ASSIGN_OR_RETURN(int min_version, TlsVersion(tls.min_version.empty() ? "TLS12"
                                                                             : tls.min_version));
  SSL_CTX_set_min_proto_version(ctx, min_version);
  if (!tls.max_version.empty()) {
    VIGIL_ASSIGN_OR_RETURN(int max_version, TlsVersion(tls.max_version));
    if (max_version < min_version) {
      return InvalidArgumentError("tls max_version " + tls.max_version +
                                  " is below min_version " + tls.min_version);
    }
    SSL_CTX_set_max_proto_version(ctx, max_version);
  }
  const std::string& type = tls.client_auth_type;
  const bool verify = type == "VerifyClientCertIfGiven" || type == "RequireAndVerifyClientCert";
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, tls.client_ca_file.c_str(), nullptr) != 1) {
      return InvalidArgumentError("tls client_ca_file " + tls.client_ca_file + ": " +
                                  OpenSslError());
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(ctx, names);
  } else if (verify) {
    return InvalidArgumentError("tls client_auth_type " + type + " needs a client_ca_file");
  }
  if (type.empty() || type == "NoClientCert") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  } else if (type == "RequestClientCert") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, AcceptAnyCertificate);
  } else if (type == "RequireAnyClientCert") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       AcceptAnyCertificate);
  } else if (type == "VerifyClientCertIfGiven") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else if (type == "RequireAndVerifyClientCert") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  } else {
    return InvalidArgumentError("unknown tls client_auth_type \"" + type + "\"");
  }
  return Status::OK();
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  std::string host;
  int requested_port = 0;
  struct Route {
    std::string method;
    std::string pattern;
    httplib::Server::Handler handler;
  };
  std::vector<Route> routes;                                      // set before Start
  std::map<std::string, std::set<std::string>> methods_by_path;  // set before Start
  // TLS only; declared before `server` so it outlives the handshakes.
  std::unique_ptr<internal::CertificateStore> certificates;
  // A fresh httplib server per Start(): a stopped one cannot listen again.
  std::unique_ptr<httplib::Server> server;
  // Who may call and what every answer carries; replaced whole by
  // SetAccess() while requests run.
  struct Access {
    explicit Access(AuthOptions a, std::vector<std::pair<std::string, std::string>> h)
        : basic(!a.basic_auth_users.empty()), auth(std::move(a)), headers(std::move(h)) {}
    const bool basic;  // the WWW-Authenticate scheme of a 401
    internal::Authenticator auth;
    const std::vector<std::pair<std::string, std::string>> headers;
  };
  Mutex access_mu;
  std::shared_ptr<Access> access VIGIL_GUARDED_BY(access_mu);
  std::shared_ptr<Access> CurrentAccess() {
    MutexLock l(&access_mu);
    return access;
  }
  std::unique_ptr<internal::RateLimiter> limiter;

  void Configure(httplib::Server& srv);
  std::thread thread;
  std::atomic<int> port{0};
  std::atomic<bool> listen_done{false};
  std::mutex mu;
  bool started = false;
};

void Server::Impl::Configure(httplib::Server& srv) {
  const int threads = options.worker_threads;
  srv.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  srv.set_payload_max_length(options.max_body_bytes);
  srv.set_read_timeout(options.read_timeout_s, 0);
  srv.set_write_timeout(options.write_timeout_s, 0);
  srv.set_keep_alive_max_count(100);
  // Answers go out in one write; without this Nagle's algorithm holds the
  // last segment of a kept-alive connection for the client's delayed ACK
  // (about 40 ms per request).
  srv.set_tcp_nodelay(true);
  // SO_REUSEADDR only: the library's default also sets SO_REUSEPORT, which
  // would let a second server silently share a port that is already in use.
  srv.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<char*>(&yes), sizeof(yes));
  });
  // Rate limit, then authentication, before any route runs.
  srv.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (limiter->enabled() && !limiter->Allow(req.remote_addr, std::chrono::steady_clock::now())) {
      res.status = 429;
      res.set_header("Retry-After", "1");
      res.set_content("too many requests from " + req.remote_addr + "\n",
                      "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    const std::shared_ptr<Access> a = CurrentAccess();
    if (!a->auth.Allow(req.get_header_value("Authorization"))) {
      res.status = 401;
      if (a->basic) {
        res.set_header("WWW-Authenticate", "Basic realm=\"vigil\"");
      } else {
        res.set_header("WWW-Authenticate", "Bearer realm=\"vigil\"");
      }
      res.set_content("unauthorized\n", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  srv.set_post_routing_handler([this](const httplib::Request&, httplib::Response& res) {
    for (const auto& [k, v] : CurrentAccess()->headers) res.set_header(k.c_str(), v);
  });
  srv.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        res.status = 500;
        res.set_content("internal error\n", "text/plain; charset=utf-8");
      });
  // Methods with a body go through a content reader, so that the body is
  // read here: a request with neither Content-Length nor chunked encoding
  // has an empty body (RFC 9112, 6.3), where cpp-httplib 0.11 would wait
  // for the client to close the connection (`curl -X POST .../-/reload`
  // sends no Content-Length).
  const size_t max_body = options.max_body_bytes;
  auto with_body = [max_body](httplib::Server::Handler h) {
    return [h = std::move(h), max_body](const httplib::Request& req, httplib::Response& res,
                                        const httplib::ContentReader& reader) {
      httplib::Request full = req;
      const bool chunked =
          req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos;
      if (req.has_header("Content-Length") &&
          std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) > max_body) {
        // Refused before reading: the library would stop reading and
        // report an incomplete body.
        res.status = 413;
        res.set_content("request body larger than " + std::to_string(max_body) + " bytes\n",
                        "text/plain; charset=utf-8");
        return;
      }
      if (req.has_header("Content-Length") || chunked) {
        bool too_big = false;
        const bool ok = reader([&](const char* data, size_t n) {
          if (full.body.size() + n > max_body) {
            too_big = true;
            return false;
          }
          full.body.append(data, n);
          return true;
        });
        if (too_big) {
          res.status = 413;
          res.set_content("request body larger than " + std::to_string(max_body) + " bytes\n",
                          "text/plain; charset=utf-8");
          return;
        }
        if (!ok) {
          res.status = 400;
          res.set_content("incomplete request body\n", "text/plain; charset=utf-8");
          return;
        }
      }
      if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0) {
        httplib::detail::parse_query_text(full.body, full.params);
      }
      h(full, res);
    };
  };
  for (const Route& r : routes) {
    if (r.method == "GET") {
      srv.Get(r.pattern, r.handler);
    } else if (r.method == "POST") {
      srv.Post(r.pattern, with_body(r.handler));
    } else if (r.method == "PUT") {
      srv.Put(r.pattern, with_body(r.handler));
    } else if (r.method == "DELETE") {
      srv.Delete(r.pattern, with_body(r.handler));
    }
  }
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

Result<std::unique_ptr<Server>> Server::Create(ServerOptions options) {
  auto impl = std::make_unique<Impl>();
  Status st = ParseListenAddress(options.listen_address, &impl->host, &impl->requested_port);
  if (!st.ok()) return st;
  if (options.worker_threads < 1) return InvalidArgumentError("worker_threads must be >= 1");
  impl->options = std::move(options);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

void Server::Handle(const std::string& method, const std::string& path, Handler handler) {
  std::vector<std::string> names;
  std::string pattern = PathPattern(path, &names);
  if (names.empty()) impl_->methods_by_path[path].insert(method);
  const size_t max_body = impl_->options.max_body_bytes;
  auto adapter = [handler = std::move(handler), max_body, names](const httplib::Request& req,
                                                                 httplib::Response& res) {
    // cpp-httplib enforces the payload limit only on methods that expect a
    // body; a GET carrying one is held to the same limit here.
    const std::string length = req.get_header_value("Content-Length");
    if (req.body.size() > max_body ||
        (!length.empty() && std::strtoull(length.c_str(), nullptr, 10) > max_body)) {
      res.status = 413;
      res.set_content("request body larger than " + std::to_string(max_body) + " bytes\n",
                      "text/plain; charset=utf-8");
      return;
    }
    Request r;
    r.method = req.method;
    r.path = req.path;
    r.body = req.body;
    r.remote_addr = req.remote_addr;
    for (const auto& [k, v] : req.params) r.params.emplace(k, v);
    for (size_t i = 0; i < names.size() && i + 1 < req.matches.size(); ++i) {
      r.path_params[names[i]] = req.matches[i + 1].str();
    }
    r.header = [&req](const std::string& name) { return req.get_header_value(name.c_str()); };
    Response out;
    handler(r, &out);
    res.status = out.status;
    for (const auto& [k, v] : out.headers) res.set_header(k.c_str(), v);
    res.set_content(std::move(out.body), out.content_type.c_str());
  };
  impl_->routes.push_back({method, std::move(pattern), std::move(adapter)});
}

void Server::SetAccess(AuthOptions auth,
                       std::vector<std::pair<std::string, std::string>> response_headers) {
  auto next = std::make_shared<Impl::Access>(std::move(auth), std::move(response_headers));
  MutexLock l(&impl_->access_mu);
  impl_->access = std::move(next);
}

Status Server::Start() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->started) return Status::OK();
  Impl* impl = impl_.get();
  {
    MutexLock l(&impl->access_mu);
    if (impl->access == nullptr) {
      impl->access = std::make_shared<Impl::Access>(impl->options.auth,
                                                    impl->options.response_headers);
    }
  }
  impl->limiter = std::make_unique<internal::RateLimiter>(impl->options.rate_limit);
  if (impl->options.tls.has_value()) {
    Status tls_status;
    const ServerTlsOptions& tls = *impl->options.tls;
    internal::CertificateStore::Log log = impl->options.log;
    if (!log) log = [](std::string_view m) { std::fprintf(stderr, "%.*s\n", int(m.size()), m.data()); };
    impl->certificates =
        std::make_unique<internal::CertificateStore>(tls.cert_file, tls.key_file, std::move(log));
    auto ssl = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
      tls_status = SetUpTls(tls, &ctx);
      if (tls_status.ok()) tls_status = impl->certificates->Load();
      if (!tls_status.ok()) return false;
      // Each handshake serves the current pair, reloaded when rotated.
      SSL_CTX_set_cert_cb(&ctx, internal::CertificateStore::CertCallback,
                          impl->certificates.get());
      return true;
    });
    if (!tls_status.ok()) return tls_status;
    if (!ssl->is_valid()) return InternalError("cannot create a TLS context: " + OpenSslError());
    impl->server = std::move(ssl);
  } else {
    impl->server = std::make_unique<httplib::Server>();
  }
  impl->Configure(*impl->server);
  // Known paths answered with the wrong method get 405 instead of 404.
  impl->server->set_error_handler([impl](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404) {
      auto it = impl->methods_by_path.find(req.path);
      if (it != impl->methods_by_path.end() && it->second.count(req.method) == 0) {
        std::string allow;
        for (const std::string& m : it->second) allow += (allow.empty() ? "" : ", ") + m;
        res.status = 405;
        res.set_header("Allow", allow);
        res.set_content("method " + req.method + " not allowed on " + req.path + "\n",
                        "text/plain; charset=utf-8");
        return;
      }
      res.set_content("not found: " + req.path + "\n", "text/plain; charset=utf-8");
    } else if (res.body.empty()) {
      res.set_content("HTTP error " + std::to_string(res.status) + "\n",
                      "text/plain; charset=utf-8");
    }
  });
  int port = impl->requested_port;
  if (port == 0) {
    port = impl->server->bind_to_any_port(impl->host.c_str());
    if (port < 0) return UnavailableError("cannot bind " + impl->host + ":0");
  } else if (!impl->server->bind_to_port(impl->host.c_str(), port)) {
    return UnavailableError("cannot bind " + impl->options.listen_address +
                            " (address in use or not permitted)");
  }
  impl->port.store(port);
  impl->listen_done.store(false);
  impl->thread = std::thread([impl] {
    impl->server->listen_after_bind();
    impl->listen_done.store(true);
  });
  // httplib's stop() is a no-op until the listen loop runs; wait for it so
  // that a Stop() right after Start() cannot leave the thread serving.
  while (!impl->server->is_running() && !impl->listen_done.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  impl->started = true;
  return Status::OK();
}

void Server::Stop() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (!impl_->started) return;
  impl_->server->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->started = false;
  impl_->port.store(0);
}

int Server::port() const { return impl_->port.load(); }
const std::string& Server::host() const { return impl_->host; }

}  // namespace vigil::http
