// Server security: TLS, Basic and Bearer authentication, rate limits.
#include <crypt.h>
#include <httplib.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/test_util.h"
#include "http/security.h"
#include "http/test_util.h"
#include "http/server.h"

namespace vigil::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string Bcrypt(const std::string& password) {
  const char* salt = crypt_gensalt("$2b$", 4, nullptr, 0);  // cost 4: fast tests
  EXPECT_NE(salt, nullptr);
  crypt_data data{};
  const char* h = crypt_r(password.c_str(), salt, &data);
  EXPECT_NE(h, nullptr);
  return h;
}

std::unique_ptr<Server> Serve(ServerOptions o) {
  o.listen_address = "127.0.0.1:0";
  auto server = Server::Create(std::move(o));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  (*server)->Handle("GET", "/x", [](const Request&, Response* r) { r->body = "ok"; });
  return std::move(server).value();
}

TEST(AuthTest, BasicAuthUsersWithBcryptHashes) {
  ServerOptions o;
  o.auth.basic_auth_users = {{"alice", Bcrypt("s3cret")}, {"bob", Bcrypt("other")}};
  auto server = Serve(o);
  ASSERT_TRUE(server->Start().ok());
  httplib::Client c("127.0.0.1", server->port());
  auto res = c.Get("/x");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Basic realm=\"vigil\"");
  c.set_basic_auth("alice", "wrong");
  res = c.Get("/x");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  c.set_basic_auth("nobody", "s3cret");
  res = c.Get("/x");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  c.set_basic_auth("bob", "s3cret");  // another user's password
  res = c.Get("/x");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  for (int i = 0; i < 2; ++i) {  // the second time from the verified cache
    c.set_basic_auth("alice", "s3cret");
    res = c.Get("/x");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "ok");
  }
  // Unknown paths are also behind the credential check.
  httplib::Client anon("127.0.0.1", server->port());
  res = anon.Get("/nothing-here");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

TEST(AuthTest, BearerTokens) {
  ServerOptions o;
  o.auth.bearer_tokens = {"tok-1", "tok-2"};
  auto server = Serve(o);
  ASSERT_TRUE(server->Start().ok());
  httplib::Client c("127.0.0.1", server->port());
  auto res = c.Get("/x");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer realm=\"vigil\"");
  res = c.Get("/x", {{"Authorization", "Bearer tok-3"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = c.Get("/x", {{"Authorization", "Bearer tok-"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = c.Get("/x", {{"Authorization", "bearer tok-2"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  // Basic credentials are refused when only tokens are configured.
  c.set_basic_auth("tok-1", "tok-1");
  res = c.Get("/x");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

TEST(AuthTest, AuthenticatorRejectsMalformedHeaders) {
  AuthOptions o;
  o.basic_auth_users = {{"u", Bcrypt("p")}};
  internal::Authenticator a(o);
  EXPECT_FALSE(a.Allow(""));
  EXPECT_FALSE(a.Allow("Basic"));
  EXPECT_FALSE(a.Allow("Basic !!!"));
  EXPECT_FALSE(a.Allow("Basic dQ=="));  // "u": no colon
  EXPECT_FALSE(a.Allow("Digest dTpw"));
  EXPECT_TRUE(a.Allow("Basic dTpw"));  // "u:p"
  EXPECT_TRUE(a.Allow("  basic dTpw"));
  internal::Authenticator open({});
  EXPECT_TRUE(open.Allow(""));
}

TEST(RateLimitTest, TokenBucketPerClient) {
  internal::RateLimiter limiter({.requests_per_second = 2, .burst = 3});
  const auto t0 = steady_clock::now();
  EXPECT_TRUE(limiter.Allow("a", t0));
  EXPECT_TRUE(limiter.Allow("a", t0));
  EXPECT_TRUE(limiter.Allow("a", t0));
  EXPECT_FALSE(limiter.Allow("a", t0));
  EXPECT_TRUE(limiter.Allow("b", t0));  // its own bucket
  EXPECT_FALSE(limiter.Allow("a", t0 + milliseconds(400)));  // 0.8 tokens
  EXPECT_TRUE(limiter.Allow("a", t0 + milliseconds(600)));   // 1.2 tokens
  EXPECT_FALSE(limiter.Allow("a", t0 + milliseconds(600)));
  // Refills stop at the burst.
  const auto later = t0 + std::chrono::seconds(100);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a", later));
  EXPECT_FALSE(limiter.Allow("a", later));
  internal::RateLimiter off({});
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(off.Allow("a", t0));
}

TEST(RateLimitTest, ClientTableIsBounded) {
  internal::RateLimiter limiter({.requests_per_second = 1, .burst = 1});
  const auto t0 = steady_clock::now();
  for (size_t i = 0; i < internal::RateLimiter::kMaxClients; ++i) {
    ASSERT_TRUE(limiter.Allow("c" + std::to_string(i), t0));
  }
  // Every bucket is empty: a newcomer waits rather than growing the table.
  EXPECT_FALSE(limiter.Allow("new", t0));
  // A second later they are full again and make room.
  EXPECT_TRUE(limiter.Allow("new", t0 + std::chrono::seconds(2)));
}

TEST(RateLimitTest, ServerAnswers429WithRetryAfter) {
  ServerOptions o;
  o.rate_limit = {.requests_per_second = 0.01, .burst = 2};
  o.response_headers = {{"X-Frame-Options", "deny"}};
  auto server = Serve(o);
  ASSERT_TRUE(server->Start().ok());
  httplib::Client c("127.0.0.1", server->port());
  for (int i = 0; i < 2; ++i) {
    auto res = c.Get("/x");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("X-Frame-Options"), "deny");
  }
  auto res = c.Get("/x");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(res->get_header_value("Retry-After"), "1");
}

TEST(TlsTest, ServesHttpsAndRefusesPlainHttp) {
  vigil::testing::TempDir dir;
  testing::WriteSelfSignedCert(dir.path(), "server");
  ServerOptions o;
  o.tls = ServerTlsOptions{.cert_file = dir.path() + "/server.crt",
                     .key_file = dir.path() + "/server.key"};
  o.auth.bearer_tokens = {"t"};
  auto server = Serve(o);
  ASSERT_TRUE(server->Start().ok());
  httplib::SSLClient c("127.0.0.1", server->port());
  c.set_ca_cert_path((dir.path() + "/server.crt").c_str());
  c.enable_server_certificate_verification(true);
  auto res = c.Get("/x", {{"Authorization", "Bearer t"}});
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok");
  res = c.Get("/x");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  httplib::Client plain("127.0.0.1", server->port());
  plain.set_read_timeout(2, 0);
  res = plain.Get("/x");
  EXPECT_TRUE(!res || res->status != 200);
}

TEST(TlsTest, ClientCertificatesAreRequiredAndVerified) {
  vigil::testing::TempDir dir;
  testing::WriteSelfSignedCert(dir.path(), "server");
  testing::WriteSelfSignedCert(dir.path(), "client");
  testing::WriteSelfSignedCert(dir.path(), "stranger");
  ServerOptions o;
  o.tls = ServerTlsOptions{.cert_file = dir.path() + "/server.crt",
                     .key_file = dir.path() + "/server.key",
                     .client_auth_type = "RequireAndVerifyClientCert",
                     .client_ca_file = dir.path() + "/client.crt"};
  auto server = Serve(o);
  ASSERT_TRUE(server->Start().ok());
  {
    httplib::SSLClient c("127.0.0.1", server->port(), dir.path() + "/client.crt",
                         dir.path() + "/client.key");
    c.enable_server_certificate_verification(false);
    auto res = c.Get("/x");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200);
  }
  {
    httplib::SSLClient c("127.0.0.1", server->port());
    c.enable_server_certificate_verification(false);
    EXPECT_FALSE(c.Get("/x"));
  }
  {
    httplib::SSLClient c("127.0.0.1", server->port(), dir.path() + "/stranger.crt",
                         dir.path() + "/stranger.key");
    c.enable_server_certificate_verification(false);
    EXPECT_FALSE(c.Get("/x"));
  }
}

// SetAccess replaces the credentials and headers while serving.
TEST(AuthTest, SetAccessReplacesCredentialsAndHeaders) {
  ServerOptions o;
  o.auth.bearer_tokens = {"a"};
  auto server = Serve(o);
  ASSERT_TRUE(server->Start().ok());
  httplib::Client c("127.0.0.1", server->port());
  const auto status = [&](const std::string& token) {
    auto res = c.Get("/x", {{"Authorization", "Bearer " + token}});
    return res ? res->status : -1;
  };
  EXPECT_EQ(status("a"), 200);
  EXPECT_EQ(status("b"), 401);
  server->SetAccess(AuthOptions{.bearer_tokens = {"b"}}, {{"X-Test", "1"}});
  EXPECT_EQ(status("a"), 401);
  EXPECT_EQ(status("b"), 200);
  auto res = c.Get("/x", {{"Authorization", "Bearer b"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("X-Test"), "1");
  server->SetAccess(AuthOptions{}, {});
  res = c.Get("/x");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_FALSE(res->has_header("X-Test"));
}

// A rotated certificate is served at the next handshake; a broken one is
// reported once and the previous one kept.
TEST(TlsTest, RotatedCertificateIsServedWithoutRestart) {
  vigil::testing::TempDir dir;
  const std::string d = dir.path();
  testing::WriteSelfSignedCert(d, "server");
  ASSERT_EQ(std::rename((d + "/server.crt").c_str(), (d + "/first.crt").c_str()), 0);
  ASSERT_EQ(std::rename((d + "/server.key").c_str(), (d + "/first.key").c_str()), 0);
  std::filesystem::copy_file(d + "/first.crt", d + "/server.crt");
  std::filesystem::copy_file(d + "/first.key", d + "/server.key");
  std::mutex mu;
  std::vector<std::string> logged;
  ServerOptions o;
  o.tls = ServerTlsOptions{.cert_file = d + "/server.crt", .key_file = d + "/server.key"};
  o.log = [&](std::string_view m) {
    std::lock_guard<std::mutex> l(mu);
    logged.emplace_back(m);
  };
  auto server = Serve(o);
  ASSERT_TRUE(server->Start().ok());
  // Whether a client trusting only `ca` completes a request.
  auto trusted_by = [&](const std::string& ca) {
    httplib::SSLClient c("127.0.0.1", server->port());
    c.set_ca_cert_path(ca.c_str());
    c.enable_server_certificate_verification(true);
    auto res = c.Get("/x");
    return res && res->status == 200;
  };
  EXPECT_TRUE(trusted_by(d + "/first.crt"));

  // Rotation as certificate tools do it: new files renamed over the old.
  testing::WriteSelfSignedCert(d, "second");
  std::filesystem::copy_file(d + "/second.crt", d + "/next.crt");
  ASSERT_EQ(std::rename((d + "/second.key").c_str(), (d + "/server.key").c_str()), 0);
  ASSERT_EQ(std::rename((d + "/next.crt").c_str(), (d + "/server.crt").c_str()), 0);
  EXPECT_TRUE(trusted_by(d + "/second.crt"));
  EXPECT_FALSE(trusted_by(d + "/first.crt"));

  // A certificate that does not parse: the second one stays, reported once.
  {
    std::ofstream bad(d + "/bad.crt");
    bad << "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  }
  ASSERT_EQ(std::rename((d + "/bad.crt").c_str(), (d + "/server.crt").c_str()), 0);
  EXPECT_TRUE(trusted_by(d + "/second.crt"));
  EXPECT_TRUE(trusted_by(d + "/second.crt"));
  std::lock_guard<std::mutex> l(mu);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0].find(d + "/server.crt"), std::string::npos) << logged[0];
  EXPECT_NE(logged[0].find("serving the previous one"), std::string::npos) << logged[0];
}

TEST(TlsTest, BadFilesAndSettingsAreNamed) {
  vigil::testing::TempDir dir;
  testing::WriteSelfSignedCert(dir.path(), "server");
  testing::WriteSelfSignedCert(dir.path(), "other");
  auto start = [&](const ServerTlsOptions& tls) {
    ServerOptions o;
    o.tls = tls;
    return Serve(o)->Start();
  };
  Status st = start(ServerTlsOptions{.cert_file = dir.path() + "/missing.crt", .key_file = dir.path() + "/server.key"});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("missing.crt"), std::string::npos) << st.ToString();
  st = start(ServerTlsOptions{.cert_file = dir.path() + "/server.crt", .key_file = dir.path() + "/other.key"});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("other.key"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("mismatch"), std::string::npos) << st.ToString();
  st = start(ServerTlsOptions{.cert_file = dir.path() + "/server.crt", .key_file = dir.path() + "/server.key",
              .min_version = "TLS9"});
  EXPECT_NE(st.message().find("TLS9"), std::string::npos) << st.ToString();
  st = start(ServerTlsOptions{.cert_file = dir.path() + "/server.crt", .key_file = dir.path() + "/server.key",
              .client_auth_type = "RequireAndVerifyClientCert"});
  EXPECT_NE(st.message().find("client_ca_file"), std::string::npos) << st.ToString();
  st = start(ServerTlsOptions{.cert_file = dir.path() + "/server.crt", .key_file = dir.path() + "/server.key",
              .client_auth_type = "Sometimes"});
  EXPECT_NE(st.message().find("Sometimes"), std::string::npos) << st.ToString();
}

}  // namespace
}  // namespace vigil::http
