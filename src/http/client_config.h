// http::HttpClientConfig: the client half of Prometheus' common HTTP
// configuration (prometheus/common config.HTTPClientConfig), written inline
// in scrape_configs, alerting.alertmanagers and remote_write entries:
//
//   basic_auth: {username: u, password_file: secret}   # or password
//   authorization: {type: Bearer, credentials_file: token}
//   bearer_token: t          # or bearer_token_file (read as authorization)
//   tls_config: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem,
//                insecure_skip_verify: false}
//   follow_redirects: true
//   enable_http2: true       # read and ignored (HTTP/1.1 only)
//
// httpconfig/reader.h reads them from YAML (this header needs only base).
//
// Secret files (password_file, credentials_file, bearer_token_file) are read
// for every request by AuthorizationHeaderValue(), as Prometheus does, so a
// rotated token applies without a reload. Not supported (an error naming
// the field): oauth2, proxy settings, tls_config server_name/min_version/
// max_version.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/client.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::http {

struct BasicAuth {
  std::string username;
  std::string password;
  std::string password_file;  // read before every request
  friend bool operator==(const BasicAuth&, const BasicAuth&) = default;
};

// "Authorization: <type> <credentials>".
struct Authorization {
  std::string type = "Bearer";
  std::string credentials;
  std::string credentials_file;  // read before every request
  friend bool operator==(const Authorization&, const Authorization&) = default;
};

struct HttpClientConfig {
  // At most one of the two. bearer_token(_file) are read into
  // `authorization` with type "Bearer", as Prometheus does.
  std::optional<BasicAuth> basic_auth;
  std::optional<Authorization> authorization;
  TlsOptions tls_config;  // https only
  bool follow_redirects = true;
  friend bool operator==(const HttpClientConfig&, const HttpClientConfig&) = default;
};

// kInvalidArgument with Prometheus' wording: basic_auth together with
// authorization, password with password_file, credentials with
// credentials_file, authorization type "basic", cert_file without key_file
// (or the reverse).
Status ValidateHttpClientConfig(const HttpClientConfig& config);

// The Authorization header value for one request: "Basic ..." or
// "<type> <credentials>", secret files read now (surrounding white space
// cut); "" when no credentials are configured. kUnavailable naming the file
// when it cannot be read.
Result<std::string> AuthorizationHeaderValue(const HttpClientConfig& config);

// TLS and redirect settings onto `options` (authorization goes on each
// request: AuthorizationHeaderValue).
void ApplyClientConfig(const HttpClientConfig& config, ClientOptions* options);

}  // namespace vigil::http
