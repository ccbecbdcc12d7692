#include "vigil/exporter/exporter.h"

#include <zlib.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "exposition/encoder.h"
#include "exporter/internal.h"
#include "http/server.h"

namespace vigil::exporter {

namespace {

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool AcceptsGzip(const std::string& accept_encoding) {
  return accept_encoding.find("gzip") != std::string::npos;
}

// gzip with zlib; false if zlib fails (the caller then sends identity).
bool Gzip(const std::string& in, std::string* out) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return false;
  }
  out->resize(deflateBound(&zs, in.size()));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out->data());
  zs.avail_out = static_cast<uInt>(out->size());
  const int rc = deflate(&zs, Z_FINISH);
  out->resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END;
}

}  // namespace

struct Exporter::Impl {
  ExporterOptions options;
  metrics::Registry* registry = nullptr;
  std::unique_ptr<http::Server> server;
  std::atomic<bool> ready{true};
  std::mutex mu;
  std::map<std::string, HealthCheck> checks;  // guarded by mu
  const double start_s = NowSeconds();

  void ServeMetrics(const http::Request& req, http::Response* res) const {
    const exposition::Format format = exposition::Negotiate(req.header("Accept"));
    std::string body;
    exposition::Encode(*registry, format, &body);
    res->content_type = std::string(exposition::ContentType(format));
    // cpp-httplib compresses text/* bodies itself when the client accepts it;
    // OpenMetrics' media type is not among those, so compress it here.
    if (format == exposition::Format::kOpenMetrics && AcceptsGzip(req.header("Accept-Encoding"))) {
      std::string gz;
      if (Gzip(body, &gz)) {
        res->headers.emplace_back("Content-Encoding", "gzip");
        body.swap(gz);
      }
    }
    res->body = std::move(body);
  }

  void ServeJson(const http::Request&, http::Response* res) const {
    std::string body;
    exposition::Encode(*registry, exposition::Format::kJson, &body, NowSeconds());
    res->content_type = "application/json";
    res->body = std::move(body);
  }

  void ServeHealth(const http::Request&, http::Response* res) {
    std::map<std::string, HealthCheck> copy;
    {
      std::lock_guard<std::mutex> lock(mu);
      copy = checks;
    }
    nlohmann::json out;
    nlohmann::json jchecks = nlohmann::json::object();
    bool all = true;
    for (const auto& [name, check] : copy) {
      HealthResult r;
      try {  // a user callback: a throw must not take the endpoint down
        r = check();
      } catch (const std::exception& e) {
        r = {false, std::string("check threw: ") + e.what()};
      } catch (...) {
        r = {false, "check threw a non-standard exception"};
      }
      all = all && r.healthy;
      jchecks[name] = {{"healthy", r.healthy}, {"details", r.details}};
    }
    out["status"] = all ? "healthy" : "unhealthy";
    out["checks"] = std::move(jchecks);
    out["uptime_seconds"] = NowSeconds() - start_s;
    res->status = all ? 200 : 503;
    res->content_type = "application/json";
    res->body = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
};

Exporter::Exporter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Exporter::~Exporter() { Stop(); }

Result<std::unique_ptr<Exporter>> Exporter::Create(ExporterOptions options) {
  return internal::ExporterAccess::Create(std::move(options), http::ServerOptions{});
}

Result<std::unique_ptr<Exporter>> internal::ExporterAccess::Create(ExporterOptions options,
                                                                   http::ServerOptions so) {
  auto impl = std::make_unique<Exporter::Impl>();
  impl->registry = options.registry != nullptr ? options.registry : &metrics::Registry::Default();
  so.listen_address = options.listen_address;
  so.max_body_bytes = options.max_request_bytes;
  so.worker_threads = options.worker_threads;
  Result<std::unique_ptr<http::Server>> server = http::Server::Create(so);
  if (!server.ok()) return server.status().WithPrefix("exporter");
  impl->server = std::move(server).value();
  impl->options = std::move(options);
  Exporter::Impl* p = impl.get();
  impl->server->Handle("GET", "/metrics",
                       [p](const http::Request& q, http::Response* r) { p->ServeMetrics(q, r); });
  impl->server->Handle("GET", "/metrics.json",
                       [p](const http::Request& q, http::Response* r) { p->ServeJson(q, r); });
  // Prometheus' spellings (/-/healthy, /-/ready) too, so probes written
  // for a Prometheus server work unchanged.
  for (const char* path : {"/health", "/-/healthy"}) {
    impl->server->Handle("GET", path,
                         [p](const http::Request& q, http::Response* r) { p->ServeHealth(q, r); });
  }
  for (const char* path : {"/ready", "/-/ready"}) {
    impl->server->Handle("GET", path, [p](const http::Request&, http::Response* r) {
      const bool ok = p->ready.load();
      r->status = ok ? 200 : 503;
      r->body = ok ? "ready\n" : "not ready\n";
    });
  }
  return std::unique_ptr<Exporter>(new Exporter(std::move(impl)));
}

http::Server& internal::ExporterAccess::server(Exporter& exporter) {
  return *exporter.impl_->server;
}

Status Exporter::Start() { return impl_->server->Start(); }
void Exporter::Stop() { impl_->server->Stop(); }
int Exporter::port() const { return impl_->server->port(); }

void Exporter::AddHealthCheck(const std::string& name, HealthCheck check) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->checks[name] = std::move(check);
}

void Exporter::RemoveHealthCheck(const std::string& name) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->checks.erase(name);
}

void Exporter::SetReady(bool ready) { impl_->ready.store(ready); }

}  // namespace vigil::exporter
