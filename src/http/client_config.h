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
// The section that holds these fields reads them with
// HttpClientConfigReader and its own fields around them:
//
//   http::HttpClientConfigReader http(reader, config_dir);
//   reader.Fields(k, v, "remote_write", [&](name, fk, fv) -> Status {
//     VIGIL_ASSIGN_OR_RETURN(bool read, http.Field(name, fk, fv, &c.http));
//     if (read) return Status::OK();
//     ...
//   });
//   VIGIL_RETURN_IF_ERROR(http.Finish(v.Mark(), &c.http));
//
// Secret files (password_file, credentials_file, bearer_token_file) are read
// for every request by AuthorizationHeaderValue(), as Prometheus does, so a
// rotated token applies without a reload. Not supported (an error naming
// the field): oauth2, proxy settings, tls_config server_name/min_version/
// max_version.
//
// Thread safety: plain values and pure functions; a reader is used by one
// thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/client.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace YAML {
struct Mark;
class Node;
}  // namespace YAML

namespace vigil::model {
class YamlReader;
}  // namespace vigil::model

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

// Reads the HTTP client fields of one section. Errors are kInvalidArgument
// "FILE:LINE:COLUMN: message" as the YamlReader formats them.
class HttpClientConfigReader {
 public:
  // Relative file names resolve against `base_dir` (the config file's
  // directory; empty: as written).
  HttpClientConfigReader(const model::YamlReader& reader, std::string base_dir);

  // Reads field `name` into *config and returns true when it is one of
  // basic_auth, authorization, bearer_token, bearer_token_file, tls_config,
  // follow_redirects or enable_http2; returns false for any other name.
  Result<bool> Field(const std::string& name, const YAML::Node& key, const YAML::Node& value,
                     HttpClientConfig* config);
  // After the section's last field: folds bearer_token(_file) into
  // authorization and checks the combination (ValidateHttpClientConfig);
  // errors point at `section`.
  Status Finish(const YAML::Mark& section, HttpClientConfig* config);

 private:
  Status BasicAuthSection(const YAML::Node& key, const YAML::Node& value,
                          HttpClientConfig* config) const;
  Status AuthorizationSection(const YAML::Node& key, const YAML::Node& value,
                              HttpClientConfig* config) const;
  Status TlsSection(const YAML::Node& key, const YAML::Node& value,
                    HttpClientConfig* config) const;
  std::string File(const std::string& name) const;

  const model::YamlReader& reader_;
  const std::string base_dir_;
  std::string bearer_token_;
  std::string bearer_token_file_;
  bool has_bearer_token_ = false;
  bool has_bearer_token_file_ = false;
};

}  // namespace vigil::http
