// Prometheus' web configuration file (exporter-toolkit's web-config.yml,
// as `prometheus --web.config.file` reads it) for vigil's HTTP server:
// TLS, Basic authentication and response headers, plus vigil's Bearer
// tokens.
//
//   tls_server_config:
//     cert_file: server.crt          # with key_file: serve HTTPS
//     key_file: server.key
//     client_auth_type: RequireAndVerifyClientCert   # default NoClientCert
//     client_ca_file: clients.pem
//     min_version: TLS12             # TLS10..TLS13, default TLS12
//     max_version: TLS13
//   http_server_config:
//     headers: {X-Frame-Options: deny}
//   basic_auth_users:                # user: bcrypt hash (htpasswd -nBC 10)
//     admin: $2y$10$...
//   bearer_tokens_file: tokens.txt   # vigil: one token per line, # comments
//
// Relative paths are resolved against the file's directory. Go TLS knobs
// vigil leaves to OpenSSL's defaults (cipher_suites, curve_preferences,
// prefer_server_cipher_suites) and http2 are errors saying so, as are
// unknown fields; every error is "FILE:LINE:COLUMN: message".
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/server.h"
#include "vigil/result.h"

namespace vigil::daemon {

struct WebConfig {
  std::optional<http::ServerTlsOptions> tls;
  http::AuthOptions auth;
  std::vector<std::pair<std::string, std::string>> headers;
};

Result<WebConfig> LoadWebConfig(std::string_view text, const std::string& filename);
// Reads the file (and the tokens file it names).
Result<WebConfig> LoadWebConfigFile(const std::string& path);

}  // namespace vigil::daemon
