#include "httpconfig/reader.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <utility>

#include "base/status_macros.h"
#include "base/strings.h"
#include "model/yaml_reader.h"

namespace vigil::httpconfig {

using http::Authorization;
using http::BasicAuth;

HttpClientConfigReader::HttpClientConfigReader(const model::YamlReader& reader,
                                               std::string base_dir)
    : reader_(reader), base_dir_(std::move(base_dir)) {}

std::string HttpClientConfigReader::File(const std::string& name) const {
  if (name.empty() || base_dir_.empty()) return name;
  const std::filesystem::path p(name);
  if (p.is_absolute()) return name;
  return (std::filesystem::path(base_dir_) / p).string();
}

Result<bool> HttpClientConfigReader::Field(const std::string& name, const YAML::Node& k,
                                           const YAML::Node& v, HttpClientConfig* c) {
  if (name == "basic_auth") {
    VIGIL_RETURN_IF_ERROR(BasicAuthSection(k, v, c));
  } else if (name == "authorization") {
    VIGIL_RETURN_IF_ERROR(AuthorizationSection(k, v, c));
  } else if (name == "tls_config") {
    VIGIL_RETURN_IF_ERROR(TlsSection(k, v, c));
  } else if (name == "bearer_token") {
    VIGIL_ASSIGN_OR_RETURN(bearer_token_, reader_.String(name, k, v));
    has_bearer_token_ = !bearer_token_.empty();
  } else if (name == "bearer_token_file") {
    VIGIL_ASSIGN_OR_RETURN(std::string file, reader_.String(name, k, v));
    bearer_token_file_ = File(file);
    has_bearer_token_file_ = !bearer_token_file_.empty();
  } else if (name == "follow_redirects") {
    VIGIL_ASSIGN_OR_RETURN(c->follow_redirects, reader_.Bool(name, k, v));
  } else if (name == "enable_http2") {
    VIGIL_ASSIGN_OR_RETURN(bool unused, reader_.Bool(name, k, v));
    (void)unused;  // HTTP/1.1 only
  } else {
    return false;
  }
  return true;
}

Status HttpClientConfigReader::Finish(const YAML::Mark& section, HttpClientConfig* c) {
  if (has_bearer_token_ && has_bearer_token_file_) {
    return reader_.Error(section,
                         "at most one of bearer_token & bearer_token_file must be configured");
  }
  if (has_bearer_token_ || has_bearer_token_file_) {
    if (c->basic_auth.has_value() || c->authorization.has_value()) {
      return reader_.Error(section,
                           "at most one of basic_auth, authorization, bearer_token & "
                           "bearer_token_file must be configured");
    }
    c->authorization =
        Authorization{.type = "Bearer", .credentials = bearer_token_,
                      .credentials_file = bearer_token_file_};
  }
  if (Status valid = ValidateHttpClientConfig(*c); !valid.ok()) {
    return reader_.Error(section, valid.message());
  }
  return Status::OK();
}

Status HttpClientConfigReader::BasicAuthSection(const YAML::Node& k, const YAML::Node& v,
                                                HttpClientConfig* c) const {
  BasicAuth auth;
  VIGIL_RETURN_IF_ERROR(reader_.Fields(
      k, v, "basic_auth",
      [&](const std::string& f, const YAML::Node& fk, const YAML::Node& fv) -> Status {
        if (f != "username" && f != "password" && f != "password_file") {
          return reader_.Unknown(fk, f, "basic_auth");
        }
        VIGIL_ASSIGN_OR_RETURN(std::string s, reader_.String(f, fk, fv));
        if (f == "username") auth.username = std::move(s);
        if (f == "password") auth.password = std::move(s);
        if (f == "password_file") auth.password_file = File(s);
        return Status::OK();
      }));
  if (!auth.password.empty() && !auth.password_file.empty()) {
    return reader_.Error(k.Mark(),
                         "at most one of basic_auth password & password_file must be configured");
  }
  c->basic_auth = std::move(auth);
  return Status::OK();
}

Status HttpClientConfigReader::AuthorizationSection(const YAML::Node& k, const YAML::Node& v,
                                                    HttpClientConfig* c) const {
  Authorization auth;
  VIGIL_RETURN_IF_ERROR(reader_.Fields(
      k, v, "authorization",
      [&](const std::string& f, const YAML::Node& fk, const YAML::Node& fv) -> Status {
        if (f != "type" && f != "credentials" && f != "credentials_file") {
          return reader_.Unknown(fk, f, "authorization");
        }
        VIGIL_ASSIGN_OR_RETURN(std::string s, reader_.String(f, fk, fv));
        if (f == "type" && !s.empty()) {
          if (EqualsIgnoreCase(s, "basic")) {
            return reader_.Error(
                fk, fv,
                "authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
          }
          auth.type = std::move(s);
        }
        if (f == "credentials") auth.credentials = std::move(s);
        if (f == "credentials_file") auth.credentials_file = File(s);
        return Status::OK();
      }));
  if (!auth.credentials.empty() && !auth.credentials_file.empty()) {
    return reader_.Error(
        k.Mark(), "at most one of authorization credentials & credentials_file must be configured");
  }
  c->authorization = std::move(auth);
  return Status::OK();
}

Status HttpClientConfigReader::TlsSection(const YAML::Node& k, const YAML::Node& v,
                                          HttpClientConfig* c) const {
  return reader_.Fields(
      k, v, "tls_config",
      [&](const std::string& f, const YAML::Node& fk, const YAML::Node& fv) -> Status {
        if (f == "insecure_skip_verify") {
          VIGIL_ASSIGN_OR_RETURN(c->tls_config.insecure_skip_verify, reader_.Bool(f, fk, fv));
          return Status::OK();
        }
        if (f == "server_name" || f == "min_version" || f == "max_version") {
          return reader_.Error(fk.Mark(), "\"" + f + "\" is not supported yet (in tls_config)");
        }
        std::string* field = f == "ca_file"     ? &c->tls_config.ca_file
                             : f == "cert_file" ? &c->tls_config.cert_file
                             : f == "key_file"  ? &c->tls_config.key_file
                                                : nullptr;
        if (field == nullptr) return reader_.Unknown(fk, f, "tls_config");
        VIGIL_ASSIGN_OR_RETURN(std::string s, reader_.String(f, fk, fv));
        *field = File(s);
        return Status::OK();
      });
}

}  // namespace vigil::httpconfig
