#include "vigil/exporter/exporter.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace vigil::exporter {
namespace {

std::string Gunzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(in.size() * 20 + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

class ExporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto* c = registry_.MustAddCounter({.name = "hits_total", .help = "Hits.",
                                        .label_names = {"model"}});
    c->WithLabelValues({"owlv2"}).Inc(42);
    auto e = Exporter::Create({.listen_address = "127.0.0.1:0", .registry = &registry_,
                               .max_request_bytes = 1024});
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    exporter_ = std::move(e).value();
    ASSERT_TRUE(exporter_->Start().ok());
    ASSERT_GT(exporter_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", exporter_->port());
    client_->set_decompress(false);
  }

  metrics::Registry registry_;
  std::unique_ptr<Exporter> exporter_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ExporterTest, ServesPrometheusText) {
  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(res->body.find("hits_total{model=\"owlv2\"} 42\n"), std::string::npos) << res->body;
}

TEST_F(ExporterTest, NegotiatesOpenMetricsAndGzip) {
  httplib::Headers h = {{"Accept", "application/openmetrics-text;version=1.0.0"},
                        {"Accept-Encoding", "gzip"}};
  auto res = client_->Get("/metrics", h);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Encoding"), "gzip");
  EXPECT_NE(res->get_header_value("Content-Type").find("application/openmetrics-text"),
            std::string::npos);
  const std::string body = Gunzip(res->body);
  EXPECT_TRUE(body.ends_with("# EOF\n")) << body;
  EXPECT_NE(body.find("hits_total{model=\"owlv2\"} 42.0"), std::string::npos);

  auto plain = client_->Get("/metrics", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->get_header_value("Content-Encoding"), "gzip");
  EXPECT_NE(Gunzip(plain->body).find("hits_total"), std::string::npos);
}

TEST_F(ExporterTest, ServesJson) {
  auto res = client_->Get("/metrics.json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["hits_total"]["samples"][0]["value"], 42);
  EXPECT_GT(j["hits_total"]["samples"][0]["timestamp"].get<double>(), 1.6e9);
}

TEST_F(ExporterTest, HealthReflectsChecks) {
  auto res = client_->Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(nlohmann::json::parse(res->body)["status"], "healthy");

  std::atomic<bool> db_ok{true};
  exporter_->AddHealthCheck("redis", [&] { return HealthResult{db_ok.load(), "ping 1ms"}; });
  exporter_->AddHealthCheck("thrower", []() -> HealthResult { throw std::runtime_error("boom"); });
  res = client_->Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  auto j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["status"], "unhealthy");
  EXPECT_EQ(j["checks"]["redis"]["healthy"], true);
  EXPECT_EQ(j["checks"]["redis"]["details"], "ping 1ms");
  EXPECT_EQ(j["checks"]["thrower"]["healthy"], false);
  EXPECT_NE(j["checks"]["thrower"]["details"].get<std::string>().find("boom"), std::string::npos);

  exporter_->RemoveHealthCheck("thrower");
  db_ok = false;
  res = client_->Get("/health");
  EXPECT_EQ(res->status, 503);
  db_ok = true;
  res = client_->Get("/health");
  EXPECT_EQ(res->status, 200);
}

TEST_F(ExporterTest, Readiness) {
  EXPECT_EQ(client_->Get("/ready")->status, 200);
  EXPECT_EQ(client_->Get("/-/ready")->status, 200);
  EXPECT_EQ(client_->Get("/-/healthy")->status, 200);
  exporter_->SetReady(false);
  EXPECT_EQ(client_->Get("/ready")->status, 503);
  EXPECT_EQ(client_->Get("/-/ready")->status, 503);
}

TEST_F(ExporterTest, RejectsBadRequests) {
  EXPECT_EQ(client_->Get("/nope")->status, 404);
  auto post = client_->Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET");
  auto big = client_->Post("/metrics", std::string(4096, 'x'), "text/plain");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  // Regex metacharacters in routes are literal.
  EXPECT_EQ(client_->Get("/metricsXjson")->status, 404);
}

TEST_F(ExporterTest, MalformedRequestGets400) {
  const int sock = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(exporter_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  // A request line that is not HTTP.
  const std::string junk = "GARBAGE\r\n\r\n";
  ASSERT_EQ(send(sock, junk.data(), junk.size(), 0), static_cast<ssize_t>(junk.size()));
  char buf[256] = {};
  const ssize_t n = recv(sock, buf, sizeof(buf) - 1, 0);
  close(sock);
  ASSERT_GT(n, 0);
  EXPECT_NE(std::string(buf).find("400"), std::string::npos) << buf;
}

TEST_F(ExporterTest, ConcurrentScrapes) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      httplib::Client c("127.0.0.1", exporter_->port());
      for (int i = 0; i < 25; ++i) {
        auto r = c.Get("/metrics");
        if (r && r->status == 200 && r->body.find("hits_total") != std::string::npos) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
}

TEST_F(ExporterTest, StopAndRestart) {
  exporter_->Stop();
  exporter_->Stop();  // idempotent
  EXPECT_EQ(exporter_->port(), 0);
  ASSERT_TRUE(exporter_->Start().ok());
  httplib::Client c("127.0.0.1", exporter_->port());
  EXPECT_EQ(c.Get("/ready")->status, 200);
}

TEST(ExporterCreateTest, BadAddresses) {
  EXPECT_FALSE(Exporter::Create({.listen_address = "nocolon"}).ok());
  EXPECT_FALSE(Exporter::Create({.listen_address = "127.0.0.1:99999"}).ok());
  EXPECT_FALSE(Exporter::Create({.listen_address = "127.0.0.1:abc"}).ok());
  // A busy port is an error from Start(), not a crash.
  auto a = Exporter::Create({.listen_address = "127.0.0.1:0"});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->Start().ok());
  auto b = Exporter::Create({.listen_address = "127.0.0.1:" + std::to_string((*a)->port())});
  ASSERT_TRUE(b.ok());
  Status s = (*b)->Start();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace vigil::exporter
