// httpconfig::HttpClientConfigReader: reads the fields of Prometheus'
// HTTP client configuration (http/client_config.h) written inline in a
// section -- scrape_configs, alerting.alertmanagers, remote_write -- with
// FILE:LINE:COLUMN errors. The section reads its own fields around them:
//
//   httpconfig::HttpClientConfigReader http(reader, config_dir);
//   reader.Fields(k, v, "remote_write", [&](name, fk, fv) -> Status {
//     VIGIL_ASSIGN_OR_RETURN(bool read, http.Field(name, fk, fv, &c.http));
//     if (read) return Status::OK();
//     ...
//   });
//   VIGIL_RETURN_IF_ERROR(http.Finish(v.Mark(), &c.http));
//
// Its own module (above http and model) so that http does not read YAML.
//
// Thread safety: a reader is used by one thread.
#pragma once

#include <string>

#include "http/client_config.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace YAML {
struct Mark;
class Node;
}  // namespace YAML

namespace vigil::model {
class YamlReader;
}  // namespace vigil::model

namespace vigil::httpconfig {

using http::HttpClientConfig;

// Errors are kInvalidArgument "FILE:LINE:COLUMN: message" as the
// YamlReader formats them.
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

}  // namespace vigil::httpconfig
