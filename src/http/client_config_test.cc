#include "http/client_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "base/file.h"
#include "base/test_util.h"

namespace vigil::http {
namespace {

TEST(HttpClientConfigTest, AuthorizationHeaderValue) {
  EXPECT_EQ(AuthorizationHeaderValue({}).value(), "");
  EXPECT_EQ(AuthorizationHeaderValue({.basic_auth = BasicAuth{.username = "user",
                                                              .password = "pass"}})
                .value(),
            "Basic dXNlcjpwYXNz");
  EXPECT_EQ(AuthorizationHeaderValue({.authorization = Authorization{.credentials = "abc"}})
                .value(),
            "Bearer abc");
  // Type left empty (a programmatic config): Bearer, as Prometheus.
  EXPECT_EQ(AuthorizationHeaderValue(
                {.authorization = Authorization{.type = "", .credentials = "abc"}})
                .value(),
            "Bearer abc");
  // No credentials: no header.
  EXPECT_EQ(AuthorizationHeaderValue({.authorization = Authorization{}}).value(), "");
}

// Secret files are read on every call, without surrounding white space.
TEST(HttpClientConfigTest, SecretFilesAreReadForEachRequest) {
  testing::TempDir dir;
  const std::string file = dir.path() + "/secret";
  ASSERT_TRUE(WriteFileAtomic(file, "  one \n").ok());
  const HttpClientConfig bearer{
      .authorization = Authorization{.type = "Token", .credentials_file = file}};
  const HttpClientConfig basic{.basic_auth = BasicAuth{.username = "u", .password_file = file}};
  EXPECT_EQ(AuthorizationHeaderValue(bearer).value(), "Token one");
  EXPECT_EQ(AuthorizationHeaderValue(basic).value(), "Basic dTpvbmU=");
  ASSERT_TRUE(WriteFileAtomic(file, "two").ok());
  EXPECT_EQ(AuthorizationHeaderValue(bearer).value(), "Token two");

  ASSERT_EQ(std::remove(file.c_str()), 0);
  Result<std::string> gone = AuthorizationHeaderValue(bearer);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(gone.status().message().rfind("unable to read credentials file: ", 0), 0u);
  EXPECT_NE(gone.status().message().find(file), std::string::npos) << gone.status().ToString();
  gone = AuthorizationHeaderValue(basic);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().message().rfind("unable to read basic auth password file: ", 0), 0u)
      << gone.status().ToString();
}

TEST(HttpClientConfigTest, ValidateAndApply) {
  EXPECT_TRUE(ValidateHttpClientConfig({}).ok());
  EXPECT_FALSE(ValidateHttpClientConfig({.basic_auth = BasicAuth{},
                                         .authorization = Authorization{}})
                   .ok());
  EXPECT_FALSE(
      ValidateHttpClientConfig({.authorization = Authorization{.type = "BASIC"}}).ok());
  EXPECT_FALSE(ValidateHttpClientConfig({.tls_config = {.key_file = "k"}}).ok());

  ClientOptions o;
  ApplyClientConfig({.tls_config = {.ca_file = "ca.pem", .insecure_skip_verify = true},
                     .follow_redirects = false},
                    &o);
  EXPECT_EQ(o.tls.ca_file, "ca.pem");
  EXPECT_TRUE(o.tls.insecure_skip_verify);
  EXPECT_FALSE(o.follow_redirects);
}

}  // namespace
}  // namespace vigil::http
