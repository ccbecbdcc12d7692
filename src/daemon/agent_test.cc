// vigil::Agent: started from text or a file, scraping the caller's registry
// without HTTP, reloading, serving over TLS with Basic auth, stopping.
#include "vigil/agent.h"

#include <crypt.h>
#include <httplib.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "base/test_util.h"
#include "http/test_util.h"
#include "vigil/metrics/registry.h"

namespace vigil {
namespace {

using std::chrono::milliseconds;

// Polls an instant query until its body contains `want` (10 s at most).
std::string QueryUntil(Agent& agent, const std::string& expr, const std::string& want) {
  std::string last;
  for (int i = 0; i < 200; ++i) {
    Result<std::string> r = agent.Query(expr);
    if (r.ok()) {
      last = r.value();
      if (last.find(want) != std::string::npos) return last;
    } else {
      last = r.status().ToString();
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  return "timed out; last answer: " + last;
}

std::string BaseConfig(const std::string& storage) {
  return "global: {scrape_interval: 100ms, evaluation_interval: 100ms}\n"
         "storage: {tsdb: {path: " + storage + "}}\n"
         "collectors: {gpu: false}\n"
         "logging: {console: none}\n";
}

TEST(AgentTest, ScrapesTheCallersRegistryWithoutHttp) {
  vigil::testing::TempDir dir;
  metrics::Registry app;
  metrics::Counter served =
      app.MustAddCounter({.name = "app_requests_total", .help = "h"})->WithLabelValues({});
  served.Inc(5);
  AgentOptions o;
  o.config_yaml = BaseConfig(dir.path() + "/data");
  o.serve_http = false;
  o.registries.push_back({.registry = &app, .job = "detector", .instance = "pod-1"});
  Result<std::unique_ptr<Agent>> agent = Agent::Start(o);
  ASSERT_TRUE(agent.ok()) << agent.status().ToString();
  EXPECT_EQ((*agent)->port(), 0);
  EXPECT_EQ((*agent)->url(), "");
  const std::string body =
      QueryUntil(**agent, "app_requests_total", "\"5\"");
  EXPECT_NE(body.find("\"job\":\"detector\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"instance\":\"pod-1\""), std::string::npos) << body;
  EXPECT_NE(QueryUntil(**agent, "up{job=\"detector\"}", "\"1\"").find("\"1\""),
            std::string::npos);
  // vigil's own registry, with the node collector, is scraped too.
  EXPECT_NE(QueryUntil(**agent, "node_memory_MemTotal_bytes{job=\"vigil\"}", "\"result\":[{")
                .find("MemTotal"),
            std::string::npos);
  Result<std::string> bad = (*agent)->Query("sum(");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("parse error"), std::string::npos)
      << bad.status().ToString();
  // A configuration given as text cannot be re-read.
  EXPECT_EQ((*agent)->Reload().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*agent)->Stop().ok());
  EXPECT_TRUE((*agent)->Stop().ok());  // idempotent
}

TEST(AgentTest, BadConfigurationNamesWhere) {
  AgentOptions o;
  o.config_yaml = "global:\n  scrape_interval: often\n";
  o.config_dir = "/etc/app";
  Result<std::unique_ptr<Agent>> agent = Agent::Start(o);
  ASSERT_FALSE(agent.ok());
  EXPECT_NE(agent.status().message().find("/etc/app/<agent config>:2:20"), std::string::npos)
      << agent.status().ToString();
  o.config_yaml.clear();
  agent = Agent::Start(o);
  ASSERT_FALSE(agent.ok());
  EXPECT_NE(agent.status().message().find("config_file or config_yaml"), std::string::npos);
  o.config_file = "/nonexistent/vigil.yml";
  agent = Agent::Start(o);
  ASSERT_FALSE(agent.ok());
  EXPECT_EQ(agent.status().code(), StatusCode::kNotFound);
  vigil::testing::TempDir dir;
  metrics::Registry app;
  o.config_yaml = BaseConfig(dir.path() + "/data");
  o.serve_http = false;
  o.registries.push_back({.registry = &app, .job = ""});
  agent = Agent::Start(o);
  ASSERT_FALSE(agent.ok());
  EXPECT_NE(agent.status().message().find("job name"), std::string::npos);
}

TEST(AgentTest, ReloadsItsFileAndKeepsRunningOnErrors) {
  vigil::testing::TempDir dir;
  const std::string config = dir.path() + "/vigil.yml";
  const std::string rules = dir.path() + "/rules.yml";
  std::ofstream(config) << BaseConfig(dir.path() + "/data");
  AgentOptions o;
  o.config_file = config;
  o.listen_address = "127.0.0.1:0";
  Result<std::unique_ptr<Agent>> agent = Agent::Start(o);
  ASSERT_TRUE(agent.ok()) << agent.status().ToString();
  ASSERT_GT((*agent)->port(), 0);
  EXPECT_EQ((*agent)->url(), "http://127.0.0.1:" + std::to_string((*agent)->port()));
  std::ofstream(rules) << "groups:\n- name: g\n  rules:\n  - record: answer\n    expr: vector(42)\n";
  std::ofstream(config, std::ios::app) << "rule_files: [rules.yml]\n";
  ASSERT_TRUE((*agent)->Reload().ok());
  EXPECT_NE(QueryUntil(**agent, "answer", "\"42\"").find("\"42\""), std::string::npos);
  httplib::Client c("127.0.0.1", (*agent)->port());
  // vigil's own registry is listed as a target, up once collected.
  std::string targets;
  for (int i = 0; i < 100; ++i) {
    auto t = c.Get("/api/v1/targets");
    ASSERT_TRUE(t);
    targets = t->body;
    if (targets.find("\"health\":\"up\"") != std::string::npos) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_NE(targets.find("\"scrapeUrl\":\"in-process://vigil\""), std::string::npos) << targets;
  EXPECT_NE(targets.find("\"health\":\"up\""), std::string::npos) << targets;
  auto res = c.Get("/api/v1/rules");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("\"name\":\"answer\""), std::string::npos) << res->body;
  // A broken rule file: the reload fails, naming it, and the old rules stay.
  std::ofstream(rules) << "groups:\n- name: g\n  rules:\n  - record: answer\n    expr: vector(\n";
  Status st = (*agent)->Reload();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("rules.yml:5"), std::string::npos) << st.ToString();
  res = c.Get("/api/v1/rules");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("\"name\":\"answer\""), std::string::npos);
  EXPECT_TRUE((*agent)->Stop().ok());
}

TEST(AgentTest, ServesOverTlsWithBasicAuthAndRateLimit) {
  vigil::testing::TempDir dir;
  http::testing::WriteSelfSignedCert(dir.path(), "server");
  crypt_data data{};
  const std::string hash = crypt_r("pw", crypt_gensalt("$2b$", 4, nullptr, 0), &data);
  std::ofstream(dir.path() + "/web.yml")
      << "tls_server_config: {cert_file: server.crt, key_file: server.key}\n"
      << "basic_auth_users: {admin: '" << hash << "'}\n";
  std::ofstream(dir.path() + "/vigil.yml")
      << BaseConfig(dir.path() + "/data")
      << "web:\n  listen_address: 127.0.0.1:0\n  config_file: web.yml\n"
      << "  max_request_bytes: 4KB\n"
      << "  rate_limit: {requests_per_second: 0.001, burst: 5}\n";
  AgentOptions o;
  o.config_file = dir.path() + "/vigil.yml";
  Result<std::unique_ptr<Agent>> agent = Agent::Start(o);
  ASSERT_TRUE(agent.ok()) << agent.status().ToString();
  EXPECT_EQ((*agent)->url(), "https://127.0.0.1:" + std::to_string((*agent)->port()));
  httplib::SSLClient c("127.0.0.1", (*agent)->port());
  c.set_ca_cert_path((dir.path() + "/server.crt").c_str());
  c.enable_server_certificate_verification(true);
  auto res = c.Get("/api/v1/query?query=1");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 401);
  c.set_basic_auth("admin", "pw");
  res = c.Get("/api/v1/query?query=1");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("\"success\""), std::string::npos);
  res = c.Post("/api/v1/query", std::string(8192, 'a'), "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  // The burst is five requests (three so far, or two when the oversized
  // body was refused before routing); the rest wait.
  std::vector<int> statuses;
  for (int i = 0; i < 5; ++i) {
    res = c.Get("/ready");
    ASSERT_TRUE(res);
    statuses.push_back(res->status);
  }
  EXPECT_EQ(statuses.front(), 200);
  EXPECT_EQ(statuses.back(), 429);
  EXPECT_TRUE((*agent)->Stop().ok());
}

// A reload re-reads the web-config file: new users and headers apply at
// once, the old credentials stop working; a broken file keeps the old ones.
TEST(AgentTest, ReloadAppliesTheWebConfigFile) {
  vigil::testing::TempDir dir;
  crypt_data data{};
  const auto hash = [&](const char* pw) {
    return std::string(crypt_r(pw, crypt_gensalt("$2b$", 4, nullptr, 0), &data));
  };
  const std::string web = dir.path() + "/web.yml";
  std::ofstream(web) << "basic_auth_users: {admin: '" << hash("old") << "'}\n";
  std::ofstream(dir.path() + "/vigil.yml")
      << BaseConfig(dir.path() + "/data")
      << "web:\n  listen_address: 127.0.0.1:0\n  config_file: web.yml\n";
  AgentOptions o;
  o.config_file = dir.path() + "/vigil.yml";
  Result<std::unique_ptr<Agent>> agent = Agent::Start(o);
  ASSERT_TRUE(agent.ok()) << agent.status().ToString();
  const auto status = [&](const char* user, const char* pw) {
    httplib::Client c("127.0.0.1", (*agent)->port());
    c.set_basic_auth(user, pw);
    auto res = c.Get("/api/v1/status/buildinfo");
    return res ? res->status : -1;
  };
  EXPECT_EQ(status("admin", "old"), 200);
  EXPECT_EQ(status("ops", "new"), 401);

  std::ofstream(web) << "basic_auth_users: {ops: '" << hash("new") << "'}\n"
                     << "http_server_config: {headers: {X-Frame-Options: deny}}\n";
  ASSERT_TRUE((*agent)->Reload().ok());
  EXPECT_EQ(status("admin", "old"), 401);
  EXPECT_EQ(status("ops", "new"), 200);
  httplib::Client c("127.0.0.1", (*agent)->port());
  c.set_basic_auth("ops", "new");
  auto res = c.Get("/ready");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("X-Frame-Options"), "deny");

  // A broken web-config file: the reload fails naming it; access is unchanged.
  std::ofstream(web) << "basic_auth_users: {ops: plain-text}\n";
  Status st = (*agent)->Reload();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("web.yml:1:"), std::string::npos) << st.ToString();
  EXPECT_EQ(status("ops", "new"), 200);
  // Turning TLS on takes a restart.
  http::testing::WriteSelfSignedCert(dir.path(), "server");
  std::ofstream(web) << "tls_server_config: {cert_file: server.crt, key_file: server.key}\n";
  st = (*agent)->Reload();
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
  EXPECT_EQ(status("ops", "new"), 200);
  EXPECT_TRUE((*agent)->Stop().ok());
}

}  // namespace
}  // namespace vigil
