#include "httpconfig/reader.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "base/status_macros.h"
#include "model/yaml_reader.h"

namespace vigil::httpconfig {
namespace {

// Reads the mapping `text` as one section holding HTTP client fields (and
// an `other` field of its own), as scrape_configs entries do.
Result<HttpClientConfig> Read(const std::string& text, const std::string& base_dir = "/conf") {
  model::YamlReader reader("c.yml");
  VIGIL_ASSIGN_OR_RETURN(YAML::Node root, reader.Load(text));
  HttpClientConfig c;
  HttpClientConfigReader http(reader, base_dir);
  VIGIL_RETURN_IF_ERROR(reader.Fields(
      root, root, "section",
      [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) -> Status {
        VIGIL_ASSIGN_OR_RETURN(bool read, http.Field(name, k, v, &c));
        if (read || name == "other") return Status::OK();
        return reader.Unknown(k, name, "section");
      }));
  VIGIL_RETURN_IF_ERROR(http.Finish(root.Mark(), &c));
  return c;
}

TEST(HttpClientConfigReaderTest, ReadsEveryField) {
  Result<HttpClientConfig> c = Read(R"(other: 1
basic_auth: {username: u, password_file: secrets/pw}
tls_config: {ca_file: ca.pem, cert_file: /abs/c.pem, key_file: k.pem, insecure_skip_verify: true}
follow_redirects: false
enable_http2: true
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->basic_auth.has_value());
  EXPECT_EQ(c->basic_auth->username, "u");
  EXPECT_EQ(c->basic_auth->password_file, "/conf/secrets/pw");  // relative to the file
  EXPECT_FALSE(c->authorization.has_value());
  EXPECT_EQ(c->tls_config.ca_file, "/conf/ca.pem");
  EXPECT_EQ(c->tls_config.cert_file, "/abs/c.pem");
  EXPECT_EQ(c->tls_config.key_file, "/conf/k.pem");
  EXPECT_TRUE(c->tls_config.insecure_skip_verify);
  EXPECT_FALSE(c->follow_redirects);
}

TEST(HttpClientConfigReaderTest, BearerTokenBecomesAuthorization) {
  Result<HttpClientConfig> c = Read("bearer_token_file: tok\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->authorization.has_value());
  EXPECT_EQ(c->authorization->type, "Bearer");
  EXPECT_EQ(c->authorization->credentials_file, "/conf/tok");

  c = Read("authorization: {type: Token, credentials: s3cr3t}\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->authorization->type, "Token");
  EXPECT_EQ(c->authorization->credentials, "s3cr3t");

  c = Read("other: x\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(*c, HttpClientConfig{});
}

TEST(HttpClientConfigReaderTest, ErrorsNameFileLineAndColumn) {
  const struct {
    const char* text;
    const char* error;
  } cases[] = {
      {"other: 1\nbasic_auth: {username: u}\nbearer_token: t\n",
       "c.yml:1:1: at most one of basic_auth, authorization, bearer_token & bearer_token_file "
       "must be configured"},
      {"bearer_token: t\nbearer_token_file: f\n",
       "c.yml:1:1: at most one of bearer_token & bearer_token_file must be configured"},
      {"basic_auth: {username: u}\nauthorization: {credentials: c}\n",
       "c.yml:1:1: at most one of basic_auth, authorization, bearer_token & bearer_token_file "
       "must be configured"},
      {"basic_auth:\n  password: a\n  password_file: b\n",
       "c.yml:1:1: at most one of basic_auth password & password_file must be configured"},
      {"basic_auth:\n  pasword: a\n", "c.yml:2:3: unknown field \"pasword\" in basic_auth"},
      {"authorization: {type: Basic}\n",
       "c.yml:1:23: authorization type cannot be set to \"basic\", use \"basic_auth\" instead"},
      {"authorization: {credentials: a, credentials_file: b}\n",
       "c.yml:1:1: at most one of authorization credentials & credentials_file must be "
       "configured"},
      {"tls_config:\n  server_name: x\n",
       "c.yml:2:3: \"server_name\" is not supported yet (in tls_config)"},
      {"tls_config: {cert_file: c}\n",
       "c.yml:1:1: tls_config: cert_file and key_file must be given together"},
      {"tls_config: {insecure_skip_verify: maybe}\n", "c.yml:1:36:"},
      {"follow_redirects: [1]\n", "c.yml:1:19:"},
      {"proxy_url: http://x\n", "c.yml:1:1: unknown field \"proxy_url\" in section"},
  };
  for (const auto& tc : cases) {
    Result<HttpClientConfig> c = Read(tc.text);
    ASSERT_FALSE(c.ok()) << tc.text;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << tc.text;
    EXPECT_EQ(c.status().message().substr(0, std::string(tc.error).size()), tc.error)
        << tc.text << "\ngot: " << c.status().message();
  }
}

}  // namespace
}  // namespace vigil::httpconfig
