#include "daemon/web_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "base/test_util.h"
#include "daemon/config.h"

namespace vigil::daemon {
namespace {

constexpr const char* kHash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

TEST(WebConfigTest, FullFile) {
  vigil::testing::TempDir dir;
  {
    std::ofstream(dir.path() + "/tokens.txt") << "# comment\n\n  tok-1  \ntok-2\n";
  }
  const std::string text = std::string(R"(tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.pem
  min_version: TLS13
http_server_config:
  headers:
    X-Frame-Options: deny
basic_auth_users:
  admin: ')") + kHash + R"('
bearer_tokens_file: tokens.txt
)";
  Result<WebConfig> wc = LoadWebConfig(text, dir.path() + "/web.yml");
  ASSERT_TRUE(wc.ok()) << wc.status().ToString();
  ASSERT_TRUE(wc->tls.has_value());
  EXPECT_EQ(wc->tls->cert_file, dir.path() + "/server.crt");
  EXPECT_EQ(wc->tls->key_file, "/abs/server.key");
  EXPECT_EQ(wc->tls->client_ca_file, dir.path() + "/ca.pem");
  EXPECT_EQ(wc->tls->client_auth_type, "RequireAndVerifyClientCert");
  EXPECT_EQ(wc->tls->min_version, "TLS13");
  ASSERT_EQ(wc->headers.size(), 1u);
  EXPECT_EQ(wc->headers[0].first, "X-Frame-Options");
  EXPECT_EQ(wc->auth.basic_auth_users.at("admin"), kHash);
  EXPECT_EQ(wc->auth.bearer_tokens, (std::vector<std::string>{"tok-1", "tok-2"}));
}

TEST(WebConfigTest, EmptyFileAndEmptyTlsSectionMeanPlainOpenHttp) {
  Result<WebConfig> wc = LoadWebConfig("", "web.yml");
  ASSERT_TRUE(wc.ok());
  EXPECT_FALSE(wc->tls.has_value());
  EXPECT_FALSE(wc->auth.enabled());
  wc = LoadWebConfig("tls_server_config: {}\n", "web.yml");
  ASSERT_TRUE(wc.ok()) << wc.status().ToString();
  EXPECT_FALSE(wc->tls.has_value());
}

TEST(WebConfigTest, ErrorsNameFileLineAndColumn) {
  struct Case {
    std::string text;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"tls_server_config:\n  cert_file: a.crt\n", "web.yml:1:1: tls_server_config: cert_file and key_file go together"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Maybe\n",
       "web.yml:4:21: invalid client_auth_type \"Maybe\""},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: SSL3\n",
       "web.yml:4:16: unknown TLS version \"SSL3\""},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [X]\n",
       "web.yml:4:3: \"cipher_suites\" is not supported"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: VerifyClientCertIfGiven\n",
       "web.yml:1:1: tls_server_config: client_auth_type VerifyClientCertIfGiven needs client_ca_file"},
      {"basic_auth_users:\n  bob: plain-text\n", "web.yml:2:8: user \"bob\": the password must be a bcrypt hash"},
      {"http_server_config:\n  http2: true\n", "web.yml:2:3: \"http2\" is not supported"},
      {"http_server_config:\n  headers: {'Bad Name': x}\n", "web.yml:2:13: invalid header name \"Bad Name\""},
      {"bearer_tokens_file: /nonexistent/tokens\n", "web.yml:1:21: bearer_tokens_file: "},
      {"basic_auth: {}\n", "web.yml:1:1: unknown field \"basic_auth\" in web config"},
      {"tls_server_config: [\n", "web.yml:"},
      {"- a\n", "web.yml:1:1: the web configuration must be a mapping"},
  };
  for (const Case& c : cases) {
    Result<WebConfig> wc = LoadWebConfig(c.text, "web.yml");
    ASSERT_FALSE(wc.ok()) << c.text;
    EXPECT_EQ(wc.status().message().substr(0, c.want.size()), c.want)
        << "input:\n" << c.text << "got: " << wc.status().message();
  }
}

TEST(WebConfigTest, MissingFileIsNotFound) {
  Result<WebConfig> wc = LoadWebConfigFile("/nonexistent/web.yml");
  ASSERT_FALSE(wc.ok());
  EXPECT_EQ(wc.status().code(), StatusCode::kNotFound);
  EXPECT_NE(wc.status().message().find("/nonexistent/web.yml"), std::string::npos);
}

TEST(ConfigWebSectionTest, WebAndCollectorsSections) {
  Result<Config> c = LoadConfig(R"(web:
  listen_address: 0.0.0.0:9999
  config_file: web.yml
  external_url: https://vigil.example.com/
  max_request_bytes: 2MB
  rate_limit: {requests_per_second: 50, burst: 100}
collectors:
  node: false
  gpu: yes
  nvml_library: /opt/nvml.so
)", "/etc/vigil/vigil.yml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->web.listen_address, "0.0.0.0:9999");
  EXPECT_EQ(c->web.config_file, "/etc/vigil/web.yml");
  EXPECT_EQ(c->web.external_url, "https://vigil.example.com/");
  EXPECT_EQ(c->web.max_request_bytes, 2u << 20);
  EXPECT_EQ(c->web.rate_limit_rps, 50);
  EXPECT_EQ(c->web.rate_limit_burst, 100);
  EXPECT_FALSE(c->collectors.node);
  EXPECT_TRUE(c->collectors.gpu);
  EXPECT_EQ(c->collectors.nvml_library, "/opt/nvml.so");
  Result<Config> d = LoadConfig("", "vigil.yml");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->web.listen_address.empty());
  EXPECT_TRUE(d->collectors.node);
  EXPECT_TRUE(d->collectors.gpu);
}

TEST(ConfigWebSectionTest, Errors) {
  struct Case {
    std::string text;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"web:\n  listen_address: nowhere\n", "vigil.yml:2:19: listen address \"nowhere\" must be host:port"},
      {"web:\n  external_url: vigil.example.com\n", "vigil.yml:2:17: external_url \"vigil.example.com\" must start with http"},
      {"web:\n  max_request_bytes: 10B\n", "vigil.yml:2:22: max_request_bytes must be at least 1KB"},
      {"web:\n  rate_limit: {requests_per_second: -1}\n", "vigil.yml:2:37: requests_per_second must be a number"},
      {"web:\n  rate_limit: {rps: 1}\n", "vigil.yml:2:16: unknown field \"rps\" in rate_limit"},
      {"web:\n  tls: {}\n", "vigil.yml:2:3: unknown field \"tls\" in web"},
      {"collectors:\n  node: maybe\n", "vigil.yml:2:9: "},
      {"collectors:\n  disk: true\n", "vigil.yml:2:3: unknown field \"disk\" in collectors"},
  };
  for (const Case& c : cases) {
    Result<Config> r = LoadConfig(c.text, "vigil.yml");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().message().substr(0, c.want.size()), c.want)
        << "input:\n" << c.text << "got: " << r.status().message();
  }
}

}  // namespace
}  // namespace vigil::daemon
