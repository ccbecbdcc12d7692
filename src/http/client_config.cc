#include "http/client_config.h"

#include <utility>

#include "base/file.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace vigil::http {
namespace {

// A secret file's content without surrounding white space (Prometheus'
// strings.TrimSpace).
Result<std::string> ReadSecret(const std::string& path, std::string_view what) {
  Result<std::string> body = ReadFile(path);
  if (!body.ok()) {
    // ReadFile's message names the path and the system's reason.
    return UnavailableError("unable to read " + std::string(what) + ": " +
                            std::string(body.status().message()));
  }
  const std::string& s = body.value();
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return std::string();
  const size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

Status ValidateHttpClientConfig(const HttpClientConfig& c) {
  if (c.basic_auth.has_value() && c.authorization.has_value()) {
    return InvalidArgumentError(
        "at most one of basic_auth, authorization, bearer_token & bearer_token_file must be "
        "configured");
  }
  if (c.basic_auth.has_value() && !c.basic_auth->password.empty() &&
      !c.basic_auth->password_file.empty()) {
    return InvalidArgumentError(
        "at most one of basic_auth password & password_file must be configured");
  }
  if (c.authorization.has_value()) {
    if (EqualsIgnoreCase(c.authorization->type, "basic")) {
      return InvalidArgumentError(
          "authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
    }
    if (!c.authorization->credentials.empty() && !c.authorization->credentials_file.empty()) {
      return InvalidArgumentError(
          "at most one of authorization credentials & credentials_file must be configured");
    }
  }
  if (c.tls_config.cert_file.empty() != c.tls_config.key_file.empty()) {
    return InvalidArgumentError("tls_config: cert_file and key_file must be given together");
  }
  return Status::OK();
}

Result<std::string> AuthorizationHeaderValue(const HttpClientConfig& c) {
  if (c.basic_auth.has_value()) {
    std::string password = c.basic_auth->password;
    if (!c.basic_auth->password_file.empty()) {
      VIGIL_ASSIGN_OR_RETURN(password,
                             ReadSecret(c.basic_auth->password_file, "basic auth password file"));
    }
    return BasicAuthHeaderValue(c.basic_auth->username, password);
  }
  if (!c.authorization.has_value()) return std::string();
  std::string credentials = c.authorization->credentials;
  if (!c.authorization->credentials_file.empty()) {
    VIGIL_ASSIGN_OR_RETURN(credentials,
                           ReadSecret(c.authorization->credentials_file, "credentials file"));
  }
  if (credentials.empty()) return std::string();
  const std::string& type = c.authorization->type.empty() ? "Bearer" : c.authorization->type;
  return type + " " + credentials;
}

void ApplyClientConfig(const HttpClientConfig& c, ClientOptions* o) {
  o->tls = c.tls_config;
  o->follow_redirects = c.follow_redirects;
}

}  // namespace vigil::http
