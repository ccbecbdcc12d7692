#include "daemon/web_config.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/file.h"
#include "base/status_macros.h"
#include "model/yaml_reader.h"

namespace vigil::daemon {
namespace {

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return UnavailableError("cannot read " + path);
  return ss.str();
}

std::string Resolve(const std::string& filename, const std::string& name) {
  const std::filesystem::path p(name);
  if (name.empty() || p.is_absolute()) return name;
  return (std::filesystem::path(filename).parent_path() / p).string();
}

bool ValidHeaderName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) ||
          std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos)) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<WebConfig> LoadWebConfig(std::string_view text, const std::string& filename) {
  const model::YamlReader r(filename);
  WebConfig wc;
  try {
    VIGIL_ASSIGN_OR_RETURN(YAML::Node root, r.Load(text));
    if (!root.IsDefined() || root.IsNull()) return wc;
    if (!root.IsMap()) {
      return r.Error(root.Mark(), "the web configuration must be a mapping, got " +
                                      std::string(model::YamlKindName(root)));
    }
    YAML::Mark tls_mark;
    Status s = r.Fields(root, root, "web config", [&](const std::string& name,
                                                      const YAML::Node& k,
                                                      const YAML::Node& v) -> Status {
      if (name == "tls_server_config") {
        tls_mark = k.Mark();
        http::ServerTlsOptions tls;
        VIGIL_RETURN_IF_ERROR(r.Fields(k, v, "tls_server_config", [&](const std::string& f,
                                                                      const YAML::Node& fk,
                                                                      const YAML::Node& fv)
                                                                      -> Status {
          if (f == "cert_file" || f == "key_file" || f == "client_ca_file") {
            VIGIL_ASSIGN_OR_RETURN(std::string path, r.String(f, fk, fv));
            (f == "cert_file" ? tls.cert_file
             : f == "key_file" ? tls.key_file
                               : tls.client_ca_file) = Resolve(filename, path);
            return Status::OK();
          }
          if (f == "client_auth_type") {
            VIGIL_ASSIGN_OR_RETURN(tls.client_auth_type, r.String(f, fk, fv));
            static const std::set<std::string> kTypes = {
                "NoClientCert", "RequestClientCert", "RequireAnyClientCert",
                "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"};
            if (kTypes.count(tls.client_auth_type) == 0) {
              return r.Error(fk, fv, "invalid client_auth_type \"" + tls.client_auth_type +
                                         "\" (want NoClientCert, RequestClientCert, "
                                         "RequireAnyClientCert, VerifyClientCertIfGiven or "
                                         "RequireAndVerifyClientCert)");
            }
            return Status::OK();
          }
          if (f == "min_version" || f == "max_version") {
            VIGIL_ASSIGN_OR_RETURN(std::string version, r.String(f, fk, fv));
            static const std::set<std::string> kVersions = {"TLS10", "TLS11", "TLS12", "TLS13"};
            if (kVersions.count(version) == 0) {
              return r.Error(fk, fv, "unknown TLS version \"" + version +
                                         "\" (want TLS10, TLS11, TLS12 or TLS13)");
            }
            (f == "min_version" ? tls.min_version : tls.max_version) = version;
            return Status::OK();
          }
          if (f == "cipher_suites" || f == "curve_preferences" ||
              f == "prefer_server_cipher_suites") {
            return r.Error(fk.Mark(), "\"" + f +
                                          "\" is not supported (vigil uses OpenSSL's "
                                          "defaults) in tls_server_config");
          }
          return r.Unknown(fk, f, "tls_server_config");
        }));
        if (tls.cert_file.empty() != tls.key_file.empty()) {
          return r.Error(k.Mark(), "tls_server_config: cert_file and key_file go together");
        }
        if (tls.cert_file.empty()) {
          if (!tls.client_ca_file.empty() || tls.client_auth_type != "NoClientCert") {
            return r.Error(k.Mark(),
                           "tls_server_config: client certificates need cert_file and key_file");
          }
          return Status::OK();  // an empty section: plain HTTP, as Prometheus
        }
        if ((tls.client_auth_type == "VerifyClientCertIfGiven" ||
             tls.client_auth_type == "RequireAndVerifyClientCert") &&
            tls.client_ca_file.empty()) {
          return r.Error(k.Mark(), "tls_server_config: client_auth_type " +
                                       tls.client_auth_type + " needs client_ca_file");
        }
        wc.tls = std::move(tls);
        return Status::OK();
      }
      if (name == "http_server_config") {
        return r.Fields(k, v, "http_server_config", [&](const std::string& f,
                                                        const YAML::Node& fk,
                                                        const YAML::Node& fv) -> Status {
          if (f == "headers") {
            return r.Fields(fk, fv, "headers", [&](const std::string& h, const YAML::Node& hk,
                                                   const YAML::Node& hv) -> Status {
              if (!ValidHeaderName(h)) {
                return r.Error(hk.Mark(), "invalid header name \"" + h + "\"");
              }
              VIGIL_ASSIGN_OR_RETURN(std::string value, r.String(h, hk, hv));
              if (value.find_first_of("\r\n") != std::string::npos) {
                return r.Error(hk, hv, "header \"" + h + "\": value has a line break");
              }
              wc.headers.emplace_back(h, std::move(value));
              return Status::OK();
            });
          }
          if (f == "http2") {
            return r.Error(fk.Mark(), "\"http2\" is not supported (vigil serves HTTP/1.1) in "
                                      "http_server_config");
          }
          return r.Unknown(fk, f, "http_server_config");
        });
      }
      if (name == "basic_auth_users") {
        return r.Fields(k, v, "basic_auth_users", [&](const std::string& user,
                                                      const YAML::Node& uk,
                                                      const YAML::Node& uv) -> Status {
          VIGIL_ASSIGN_OR_RETURN(std::string hash, r.String(user, uk, uv));
          if (user.empty() || user.find(':') != std::string::npos) {
            return r.Error(uk.Mark(), "invalid user name \"" + user + "\" (empty or with ':')");
          }
          if (!(hash.starts_with("$2a$") || hash.starts_with("$2b$") ||
                hash.starts_with("$2y$")) ||
              hash.size() != 60) {
            return r.Error(uk, uv, "user \"" + user +
                                       "\": the password must be a bcrypt hash ($2a$, $2b$ "
                                       "or $2y$, 60 characters)");
          }
          wc.auth.basic_auth_users[user] = std::move(hash);
          return Status::OK();
        });
      }
      if (name == "bearer_tokens_file") {
        VIGIL_ASSIGN_OR_RETURN(std::string path, r.String(name, k, v));
        path = Resolve(filename, path);
        Result<std::string> body = ReadWholeFile(path);
        if (!body.ok()) return r.Error(k, v, "bearer_tokens_file: " + body.status().ToString());
        std::istringstream lines(body.value());
        std::string line;
        while (std::getline(lines, line)) {
          while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
            line.pop_back();
          }
          size_t b = 0;
          while (b < line.size() && std::isspace(static_cast<unsigned char>(line[b]))) ++b;
          line.erase(0, b);
          if (line.empty() || line[0] == '#') continue;
          wc.auth.bearer_tokens.push_back(line);
        }
        if (wc.auth.bearer_tokens.empty()) {
          return r.Error(k, v, "bearer_tokens_file " + path + " has no tokens");
        }
        return Status::OK();
      }
      return r.Unknown(k, name, "web config");
    });
    if (!s.ok()) return s;
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(filename + ": yaml: " + e.msg);
  }
  return wc;
}

Result<WebConfig> LoadWebConfigFile(const std::string& path) {
  Result<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status().WithPrefix("web config file");
  return LoadWebConfig(text.value(), path);
}

}  // namespace vigil::daemon
