#include "remote/config.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "model/yaml_reader.h"

namespace vigil::remote {
namespace {

using std::chrono::milliseconds;

Result<RemoteWriteConfig> Parse(const std::string& text,
                                std::string_view base_dir = {}) {
  model::YamlReader r("prometheus.yml");
  Result<YAML::Node> root = r.Load(text);
  if (!root.ok()) return root.status();
  return ParseRemoteWriteConfig(r, (*root)["remote_write"][0], base_dir);
}

TEST(RemoteWriteConfigTest, Defaults) {
  Result<RemoteWriteConfig> c =
      Parse("remote_write:\n  - url: http://127.0.0.1:8428/api/v1/write\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->url, "http://127.0.0.1:8428/api/v1/write");
  EXPECT_EQ(c->remote_timeout, milliseconds(30000));
  const QueueConfig& q = c->queue_config;
  EXPECT_EQ(q.capacity, 2500);
  EXPECT_EQ(q.max_shards, 200);
  EXPECT_EQ(q.min_shards, 1);
  EXPECT_EQ(q.max_samples_per_send, 2000);
  EXPECT_EQ(q.batch_send_deadline, milliseconds(5000));
  EXPECT_EQ(q.min_backoff, milliseconds(30));
  EXPECT_EQ(q.max_backoff, milliseconds(5000));
  EXPECT_TRUE(q.retry_on_http_429);
  EXPECT_FALSE(c->http_client_config.basic_auth.has_value());
  EXPECT_FALSE(c->http_client_config.authorization.has_value());
  EXPECT_EQ(QueueName(*c).substr(0, 3), "rw-");
  EXPECT_EQ(QueueName(*c).size(), 15u);
}

TEST(RemoteWriteConfigTest, EveryField) {
  Result<RemoteWriteConfig> c = Parse(R"(
remote_write:
  - url: https://vm.example:8428/api/v1/write?extra_label=a=b
    name: vm-main
    remote_timeout: 10s
    headers:
      X-Scope-OrgID: team-a
      A-First: "1"
    basic_auth:
      username: user
      password_file: secrets/pw
    tls_config:
      ca_file: ca.pem
      cert_file: /abs/c.pem
      key_file: k.pem
      insecure_skip_verify: true
    follow_redirects: false
    enable_http2: true
    send_exemplars: false
    queue_config:
      capacity: 10000
      max_shards: 50
      min_shards: 2
      max_samples_per_send: 500
      batch_send_deadline: 1s
      min_backoff: 100ms
      max_backoff: 10s
      retry_on_http_429: false
    metadata_config:
      send: false
      send_interval: 2m
)",
                                      "/etc/vigil");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->name, "vm-main");
  EXPECT_EQ(QueueName(*c), "vm-main");
  EXPECT_EQ(c->remote_timeout, milliseconds(10000));
  EXPECT_EQ(c->headers, (std::vector<std::pair<std::string, std::string>>{
                            {"A-First", "1"}, {"X-Scope-OrgID", "team-a"}}));
  ASSERT_TRUE(c->http_client_config.basic_auth.has_value());
  EXPECT_EQ(c->http_client_config.basic_auth->username, "user");
  EXPECT_EQ(c->http_client_config.basic_auth->password_file, "/etc/vigil/secrets/pw");
  EXPECT_EQ(c->http_client_config.tls_config.ca_file, "/etc/vigil/ca.pem");
  EXPECT_EQ(c->http_client_config.tls_config.cert_file, "/abs/c.pem");
  EXPECT_TRUE(c->http_client_config.tls_config.insecure_skip_verify);
  EXPECT_FALSE(c->http_client_config.follow_redirects);
  EXPECT_EQ(c->queue_config.capacity, 10000);
  EXPECT_EQ(c->queue_config.max_shards, 50);
  EXPECT_EQ(c->queue_config.min_shards, 2);
  EXPECT_EQ(c->queue_config.max_samples_per_send, 500);
  EXPECT_EQ(c->queue_config.batch_send_deadline, milliseconds(1000));
  EXPECT_EQ(c->queue_config.min_backoff, milliseconds(100));
  EXPECT_EQ(c->queue_config.max_backoff, milliseconds(10000));
  EXPECT_FALSE(c->queue_config.retry_on_http_429);
  EXPECT_FALSE(c->metadata_config.send);
  EXPECT_EQ(c->metadata_config.send_interval, milliseconds(120000));
}

TEST(RemoteWriteConfigTest, BearerTokenBecomesAuthorization) {
  Result<RemoteWriteConfig> c = Parse(
      "remote_write:\n  - url: http://h:1/w\n    bearer_token_file: tok\n",
      "/d");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->http_client_config.authorization.has_value());
  EXPECT_EQ(c->http_client_config.authorization->type, "Bearer");
  EXPECT_EQ(c->http_client_config.authorization->credentials_file, "/d/tok");
  c = Parse(
      "remote_write:\n  - url: http://h:1/w\n    authorization:\n"
      "      type: Token\n      credentials: s3cr3t\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->http_client_config.authorization->type, "Token");
  EXPECT_EQ(c->http_client_config.authorization->credentials, "s3cr3t");
}

struct ErrorCase {
  const char* yaml;  // the list item, indented under "remote_write:\n  - "
  const char* want;  // substring of the message, position included
};

TEST(RemoteWriteConfigTest, ErrorsNamePosition) {
  const ErrorCase cases[] = {
      {"url: http://h:1/w\n    nope: 1",
       "prometheus.yml:3:5: unknown field \"nope\" in remote_write"},
      {"url: http://h:1/w\n    write_relabel_configs: []",
       "prometheus.yml:3:5: \"write_relabel_configs\" is not supported yet"},
      {"url: http://h:1/w\n    sigv4: {}", "\"sigv4\" is not supported yet"},
      {"name: x", "prometheus.yml:2:5: remote_write: url is required"},
      {"url: ftp://h/w", "prometheus.yml:2:10: url: \"ftp://h/w\": unsupported"},
      {"url: http:///w", "has no host"},
      {"url: http://u:p@h:1/w", "credentials in the URL"},
      {"url: http://h:1/w\n    remote_timeout: 0s",
       "prometheus.yml:3:21: remote_timeout: must be positive"},
      {"url: http://h:1/w\n    remote_timeout: soon", "prometheus.yml:3:21:"},
      {"url: http://h:1/w\n    headers: {Content-Type: text/plain}",
       "prometheus.yml:3:15: \"Content-Type\" is a reserved header"},
      {"url: http://h:1/w\n    headers: {\"bad name\": x}",
       "invalid header name \"bad name\""},
      {"url: http://h:1/w\n    queue_config: {min_shards: 5, max_shards: 2}",
       "prometheus.yml:2:5: queue_config: min_shards (5) must not exceed "
       "max_shards (2)"},
      {"url: http://h:1/w\n    queue_config: {capacity: 0}",
       "capacity: must be between 1"},
      {"url: http://h:1/w\n    queue_config: {min_backoff: 10s, max_backoff: 1s}",
       "min_backoff must not exceed max_backoff"},
      {"url: http://h:1/w\n    queue_config: {shards: 3}",
       "unknown field \"shards\" in queue_config"},
      {"url: http://h:1/w\n    basic_auth: {username: u}\n    bearer_token: t",
       "at most one of basic_auth, authorization, bearer_token"},
      {"url: http://h:1/w\n    basic_auth: {password: a, password_file: b}",
       "at most one of basic_auth password & password_file"},
      {"url: http://h:1/w\n    authorization: {type: Basic}",
       "authorization type cannot be set to \"basic\""},
      {"url: http://h:1/w\n    tls_config: {server_name: x}",
       "\"server_name\" is not supported yet (in tls_config)"},
      {"url: http://h:1/w\n    tls_config: {cert_file: c}",
       "cert_file and key_file must be given together"},
      {"url: http://h:1/w\n    send_exemplars: true",
       "\"send_exemplars: true\" is not supported yet"},
      {"url: http://h:1/w\n    name: \"a/b\"", "only letters, digits"},
      {"url: http://h:1/w\n    url: http://h:2/w",
       "duplicate field \"url\" in remote_write"},
  };
  for (const ErrorCase& c : cases) {
    Result<RemoteWriteConfig> r =
        Parse(std::string("remote_write:\n  - ") + c.yaml + "\n");
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos)
        << c.yaml << "\n  got:  " << r.status().message()
        << "\n  want: " << c.want;
  }
}

TEST(RemoteWriteConfigTest, NotAMapping) {
  Result<RemoteWriteConfig> r = Parse("remote_write:\n  - just a string\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("prometheus.yml:2:5: remote_write: "
                                      "expected a mapping"),
            std::string::npos)
      << r.status().message();
}

TEST(RemoteWriteConfigTest, ListNeedsDistinctNames) {
  RemoteWriteConfig a{.url = "http://h:1/w"};
  RemoteWriteConfig b{.url = "http://h:2/w"};
  EXPECT_TRUE(ValidateRemoteWriteConfigs({a, b}).ok());
  Status same_url = ValidateRemoteWriteConfigs({a, a});
  EXPECT_NE(same_url.message().find("the same URL twice"), std::string::npos);
  a.name = b.name = "x";
  EXPECT_NE(ValidateRemoteWriteConfigs({a, b}).message().find(
                "multiple remote_write configs with the name \"x\""),
            std::string::npos);
}

TEST(RemoteWriteConfigTest, SplitUrl) {
  std::string origin, path;
  ASSERT_TRUE(SplitUrl("http://h:1/api/v1/write?a=b#frag", &origin, &path).ok());
  EXPECT_EQ(origin, "http://h:1");
  EXPECT_EQ(path, "/api/v1/write?a=b");
  ASSERT_TRUE(SplitUrl("https://[::1]", &origin, &path).ok());
  EXPECT_EQ(origin, "https://[::1]");
  EXPECT_EQ(path, "/");
  ASSERT_TRUE(SplitUrl("http://h?x=1", &origin, &path).ok());
  EXPECT_EQ(path, "/?x=1");
  EXPECT_FALSE(SplitUrl("http://h:99999/", &origin, &path).ok());
}

}  // namespace
}  // namespace vigil::remote
