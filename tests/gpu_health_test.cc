// The GPU collector behind the embedded exporter, as a user wires it
// (examples/collectors.cc): without NVML, /health stays 200 and says why
// there are no GPU metrics, and /metrics has none; with the test's fake NVML
// library, /metrics carries the devices.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "http/client.h"
#include "vigil/collectors/gpu_collector.h"
#include "vigil/exporter/exporter.h"
#include "vigil/metrics/registry.h"

namespace vigil {
namespace {

struct Served {
  metrics::Registry registry;
  std::shared_ptr<collectors::GpuCollector> gpu;
  std::unique_ptr<exporter::Exporter> exporter;
  int reports = 0;

  explicit Served(const std::string& library) {
    gpu = std::make_shared<collectors::GpuCollector>(collectors::GpuCollectorOptions{
        .library_path = library, .reporter = [this](std::string_view) { ++reports; }});
    EXPECT_TRUE(registry.Register(gpu).ok());
    auto e = exporter::Exporter::Create({.listen_address = "127.0.0.1:0", .registry = &registry});
    EXPECT_TRUE(e.ok());
    exporter = std::move(*e);
    exporter->AddHealthCheck("gpu", [g = gpu] {
      return exporter::HealthResult{true, g->Health().message};
    });
    EXPECT_TRUE(exporter->Start().ok());
  }
  http::ClientResponse Get(const std::string& path) {
    auto c = http::Client::Create("http://127.0.0.1:" + std::to_string(exporter->port()), {});
    EXPECT_TRUE(c.ok());
    Result<http::ClientResponse> r = (*c)->Get(path);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : http::ClientResponse{};
  }
};

TEST(GpuHealthTest, MissingNvmlIsHealthyAndSaysWhyOnce) {
  Served s("/nonexistent/libnvidia-ml.so.1");
  for (int i = 0; i < 3; ++i) {
    http::ClientResponse m = s.Get("/metrics");
    EXPECT_EQ(m.status, 200);
    EXPECT_EQ(m.body.find("nvidia_gpu"), std::string::npos) << m.body;
  }
  http::ClientResponse h = s.Get("/health");
  EXPECT_EQ(h.status, 200) << h.body;
  EXPECT_NE(h.body.find("NVML unavailable"), std::string::npos) << h.body;
  EXPECT_NE(h.body.find("/nonexistent/libnvidia-ml.so.1"), std::string::npos) << h.body;
  EXPECT_EQ(s.reports, 1);
}

TEST(GpuHealthTest, FakeNvmlDevicesAreServed) {
  Served s(VIGIL_FAKE_NVML_PATH);
  http::ClientResponse m = s.Get("/metrics");
  EXPECT_NE(m.body.find("# TYPE nvidia_gpu_utilization_percent gauge"), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("nvidia_gpu_memory_total_bytes{gpu=\"0\""), std::string::npos) << m.body;
  http::ClientResponse h = s.Get("/health");
  EXPECT_EQ(h.status, 200);
  EXPECT_NE(h.body.find("device"), std::string::npos) << h.body;
  EXPECT_EQ(s.reports, 0);
}

}  // namespace
}  // namespace vigil
