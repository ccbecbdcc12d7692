// Exporter: the embedded HTTP endpoint of an instrumented process.
//
//   vigil::exporter::ExporterOptions opts;            // 127.0.0.1:9464
//   opts.registry = &registry;
//   auto exporter = vigil::exporter::Exporter::Create(opts);
//   if (!exporter.ok()) { /* bad address */ }
//   (*exporter)->AddHealthCheck("model", [] { return HealthResult{true, "loaded"}; });
//   vigil::Status s = (*exporter)->Start();             // serves until Stop()
//
// Endpoints:
//   GET /metrics       Prometheus text 0.0.4, or OpenMetrics 1.0 when the
//                      Accept header prefers it; gzip when accepted.
//   GET /metrics.json  every family: type, help, samples (labels, value,
//                      timestamp in seconds); see docs/formats/exposition.md.
//   GET /health        {"status": "healthy"|"unhealthy", "checks": {...}}:
//                      200 when every check passes, otherwise 503.
//   GET /ready         200 once started and SetReady(true) (the default),
//                      otherwise 503.
//   GET /-/healthy, /-/ready  the same as /health and /ready (Prometheus'
//                      paths, for probes written for a Prometheus server).
// Oversized requests get 413, malformed ones 400, wrong methods 405.
//
// Thread safety: thread-safe. Scrapes are served concurrently.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "vigil/metrics/registry.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::exporter {

namespace internal {
struct ExporterAccess;  // vigil's own daemon adds routes through it
}  // namespace internal

struct HealthResult {
  bool healthy = true;
  std::string details;
};

// Runs on a scrape thread; must be thread-safe and quick. A check that
// throws counts as unhealthy.
using HealthCheck = std::function<HealthResult()>;

struct ExporterOptions {
  std::string listen_address = "127.0.0.1:9464";  // port 0 picks a free port
  metrics::Registry* registry = nullptr;          // null: Registry::Default()
  size_t max_request_bytes = 64 * 1024;
  int worker_threads = 4;
};

class Exporter {
 public:
  static Result<std::unique_ptr<Exporter>> Create(ExporterOptions options);
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // Binds the address and serves on background threads. Idempotent.
  Status Start();
  // Stops serving. Idempotent; the destructor calls it.
  void Stop();
  // The bound port (useful with port 0), 0 when not serving.
  int port() const;

  // Adds or replaces a named component check reported by /health.
  void AddHealthCheck(const std::string& name, HealthCheck check);
  void RemoveHealthCheck(const std::string& name);
  void SetReady(bool ready);

 private:
  friend struct internal::ExporterAccess;
  struct Impl;
  explicit Exporter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::exporter
