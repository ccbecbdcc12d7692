#include "remote/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "base/status_macros.h"
#include "base/strings.h"
#include "httpconfig/reader.h"
#include "model/yaml_reader.h"

namespace vigil::remote {
namespace {

using Millis = std::chrono::milliseconds;

// Headers the protocol or the HTTP client sets (Prometheus'
// config.reservedHeaders plus hop-by-hop headers).
bool IsReservedHeader(std::string_view name) {
  static constexpr std::string_view kReserved[] = {
      "Authorization",
      "Host",
      "Content-Encoding",
      "Content-Length",
      "Content-Type",
      "User-Agent",
      "Connection",
      "Keep-Alive",
      "Proxy-Authenticate",
      "Proxy-Authorization",
      "Www-Authenticate",
      "Accept-Encoding",
      "X-Prometheus-Remote-Write-Version",
      "X-Prometheus-Remote-Read-Version",
      "X-Prometheus-Scrape-Timeout-Seconds",
      "Upgrade",
      "TE",
      "Trailer",
      "Transfer-Encoding",
  };
  for (std::string_view r : kReserved) {
    if (EqualsIgnoreCase(r, name)) return true;
  }
  return false;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Prometheus remote_write fields vigil does not implement.
bool IsUnsupported(std::string_view section, std::string_view key) {
  if (section == "remote_write") {
    for (std::string_view k :
         {"write_relabel_configs", "sigv4", "oauth2", "azuread", "proxy_url",
          "no_proxy", "proxy_from_environment", "proxy_connect_header"}) {
      if (k == key) return true;
    }
  }
  return false;
}

class Parser {
 public:
  Parser(const model::YamlReader& r, std::string_view base_dir)
      : r_(r), base_dir_(base_dir) {}

  Result<RemoteWriteConfig> Parse(const YAML::Node& item);

 private:
  Status Unknown(const YAML::Node& key, const std::string& name,
                 std::string_view section) const {
    if (IsUnsupported(section, name)) {
      return r_.Error(key.Mark(), "\"" + name + "\" is not supported yet (in " +
                                      std::string(section) + ")");
    }
    return r_.Unknown(key, name, section);
  }
  Result<int> PositiveInt(const std::string& field, const YAML::Node& k,
                          const YAML::Node& v) const {
    VIGIL_ASSIGN_OR_RETURN(uint64_t n, r_.Uint(field, k, v));
    if (n < 1 || n > (1u << 30)) {
      return r_.Error(k, v, field + ": must be between 1 and 1073741824");
    }
    return static_cast<int>(n);
  }
  Result<Millis> PositiveDuration(const std::string& field, const YAML::Node& k,
                                  const YAML::Node& v) const {
    VIGIL_ASSIGN_OR_RETURN(Millis d, r_.Duration(field, k, v));
    if (d.count() <= 0) return r_.Error(k, v, field + ": must be positive");
    return d;
  }

  Status Queue(const YAML::Node& k, const YAML::Node& v,
               RemoteWriteConfig* c) const;
  Status Metadata(const YAML::Node& k, const YAML::Node& v,
                  RemoteWriteConfig* c) const;
  Status Headers(const YAML::Node& k, const YAML::Node& v,
                 RemoteWriteConfig* c) const;

  const model::YamlReader& r_;
  const std::string base_dir_;
};

Status Parser::Queue(const YAML::Node& k, const YAML::Node& v,
                     RemoteWriteConfig* c) const {
  QueueConfig& q = c->queue_config;
  return r_.Fields(
      k, v, "queue_config",
      [&](const std::string& f, const YAML::Node& fk,
          const YAML::Node& fv) -> Status {
        int* n = f == "capacity"               ? &q.capacity
                 : f == "max_shards"           ? &q.max_shards
                 : f == "min_shards"           ? &q.min_shards
                 : f == "max_samples_per_send" ? &q.max_samples_per_send
                                               : nullptr;
        if (n != nullptr) {
          VIGIL_ASSIGN_OR_RETURN(*n, PositiveInt(f, fk, fv));
          return Status::OK();
        }
        Millis* d = f == "batch_send_deadline" ? &q.batch_send_deadline
                    : f == "min_backoff"       ? &q.min_backoff
                    : f == "max_backoff"       ? &q.max_backoff
                                               : nullptr;
        if (d != nullptr) {
          VIGIL_ASSIGN_OR_RETURN(*d, PositiveDuration(f, fk, fv));
          return Status::OK();
        }
        if (f == "retry_on_http_429") {
          VIGIL_ASSIGN_OR_RETURN(q.retry_on_http_429, r_.Bool(f, fk, fv));
          return Status::OK();
        }
        if (f == "max_retries") {
          // Removed from Prometheus in 2.11 (retries are unbounded); read
          // for old files.
          VIGIL_ASSIGN_OR_RETURN(uint64_t unused, r_.Uint(f, fk, fv));
          (void)unused;
          return Status::OK();
        }
        return Unknown(fk, f, "queue_config");
      });
}

Status Parser::Metadata(const YAML::Node& k, const YAML::Node& v,
                        RemoteWriteConfig* c) const {
  MetadataConfig& m = c->metadata_config;
  return r_.Fields(
      k, v, "metadata_config",
      [&](const std::string& f, const YAML::Node& fk,
          const YAML::Node& fv) -> Status {
        if (f == "send") {
          VIGIL_ASSIGN_OR_RETURN(m.send, r_.Bool(f, fk, fv));
          return Status::OK();
        }
        if (f == "send_interval") {
          VIGIL_ASSIGN_OR_RETURN(m.send_interval, PositiveDuration(f, fk, fv));
          return Status::OK();
        }
        if (f == "max_samples_per_send") {
          VIGIL_ASSIGN_OR_RETURN(m.max_samples_per_send,
                                 PositiveInt(f, fk, fv));
          return Status::OK();
        }
        return Unknown(fk, f, "metadata_config");
      });
}

Status Parser::Headers(const YAML::Node& k, const YAML::Node& v,
                       RemoteWriteConfig* c) const {
  return r_.Fields(k, v, "headers",
                   [&](const std::string& name, const YAML::Node& hk,
                       const YAML::Node& hv) -> Status {
                     if (name.empty() ||
                         !std::all_of(name.begin(), name.end(), IsTokenChar)) {
                       return r_.Error(hk.Mark(), "invalid header name \"" +
                                                      name + "\"");
                     }
                     if (IsReservedHeader(name)) {
                       return r_.Error(hk.Mark(), "\"" + name +
                                                      "\" is a reserved header"
                                                      " and cannot be set");
                     }
                     VIGIL_ASSIGN_OR_RETURN(std::string value,
                                            r_.String(name, hk, hv));
                     c->headers.emplace_back(name, std::move(value));
                     return Status::OK();
                   });
}

Result<RemoteWriteConfig> Parser::Parse(const YAML::Node& item) {
  RemoteWriteConfig c;
  bool has_url = false;
  httpconfig::HttpClientConfigReader http(r_, base_dir_);
  if (!item.IsMap()) {
    return r_.Error(item.Mark(), "remote_write: expected a mapping, got " +
                                     std::string(model::YamlKindName(item)));
  }
  VIGIL_RETURN_IF_ERROR(r_.Fields(
      item, item, "remote_write",
      [&](const std::string& f, const YAML::Node& fk,
          const YAML::Node& fv) -> Status {
        if (f == "url") {
          VIGIL_ASSIGN_OR_RETURN(c.url, r_.String(f, fk, fv));
          std::string origin, path;
          Status s = SplitUrl(c.url, &origin, &path);
          if (!s.ok()) return r_.Error(fk, fv, "url: " + std::string(s.message()));
          has_url = true;
          return Status::OK();
        }
        if (f == "name") {
          VIGIL_ASSIGN_OR_RETURN(c.name, r_.String(f, fk, fv));
          return Status::OK();
        }
        if (f == "remote_timeout") {
          VIGIL_ASSIGN_OR_RETURN(c.remote_timeout, PositiveDuration(f, fk, fv));
          return Status::OK();
        }
        if (f == "headers") return Headers(fk, fv, &c);
        if (f == "queue_config") return Queue(fk, fv, &c);
        if (f == "metadata_config") return Metadata(fk, fv, &c);
        VIGIL_ASSIGN_OR_RETURN(bool read, http.Field(f, fk, fv, &c.http_client_config));
        if (read) return Status::OK();
        if (f == "send_exemplars" || f == "send_native_histograms") {
          VIGIL_ASSIGN_OR_RETURN(bool on, r_.Bool(f, fk, fv));
          if (on) {
            return r_.Error(fk, fv,
                            "\"" + f + ": true\" is not supported yet (the "
                            "WAL holds float samples only)");
          }
          return Status::OK();
        }
        return Unknown(fk, f, "remote_write");
      }));
  if (!has_url) return r_.Error(item.Mark(), "remote_write: url is required");
  VIGIL_RETURN_IF_ERROR(http.Finish(item.Mark(), &c.http_client_config));
  std::sort(c.headers.begin(), c.headers.end());
  Status valid = ValidateRemoteWriteConfig(c);
  if (!valid.ok()) return r_.Error(item.Mark(), valid.message());
  return c;
}

}  // namespace

Status SplitUrl(std::string_view url, std::string* origin,
                std::string* path_and_query) {
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    return InvalidArgumentError("\"" + std::string(url) +
                                "\" must start with http:// or https://");
  }
  const std::string_view scheme = url.substr(0, sep);
  if (scheme != "http" && scheme != "https") {
    return InvalidArgumentError("\"" + std::string(url) +
                                "\": unsupported scheme \"" +
                                std::string(scheme) + "\" (http or https)");
  }
  const std::string_view rest = url.substr(sep + 3);
  const size_t path_start = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, path_start);
  if (authority.empty()) {
    return InvalidArgumentError("\"" + std::string(url) + "\" has no host");
  }
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgumentError(
        "\"" + std::string(url) +
        "\": credentials in the URL are not supported (use basic_auth)");
  }
  std::string_view path = path_start == std::string_view::npos
                              ? std::string_view()
                              : rest.substr(path_start);
  const size_t hash = path.find('#');
  if (hash != std::string_view::npos) path = path.substr(0, hash);
  *origin = std::string(scheme) + "://" + std::string(authority);
  if (path.empty() || path.front() == '?') {
    *path_and_query = "/" + std::string(path);
  } else {
    *path_and_query = std::string(path);
  }
  // Let the HTTP client judge host and port.
  Result<std::unique_ptr<http::Client>> probe =
      http::Client::Create(*origin, http::ClientOptions{});
  if (!probe.ok() && probe.status().code() == StatusCode::kInvalidArgument) {
    return probe.status();
  }
  return Status::OK();
}

std::string QueueName(const RemoteWriteConfig& config) {
  if (!config.name.empty()) return config.name;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "rw-%012llx",
                static_cast<unsigned long long>(Fnv1a(config.url) &
                                                0xffffffffffffULL));
  return buf;
}

Status ValidateRemoteWriteConfig(const RemoteWriteConfig& c) {
  std::string origin, path;
  Status s = SplitUrl(c.url, &origin, &path);
  if (!s.ok()) return InvalidArgumentError("url: " + std::string(s.message()));
  for (char ch : c.name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' &&
        ch != '_' && ch != '.') {
      return InvalidArgumentError(
          "name \"" + c.name +
          "\": only letters, digits, '-', '_' and '.' are allowed (it names "
          "a file)");
    }
  }
  if (c.name == "." || c.name == "..") {
    return InvalidArgumentError("name \"" + c.name + "\" is not allowed");
  }
  if (c.remote_timeout.count() <= 0) {
    return InvalidArgumentError("remote_timeout must be positive");
  }
  const QueueConfig& q = c.queue_config;
  if (q.capacity < 1 || q.max_shards < 1 || q.min_shards < 1 ||
      q.max_samples_per_send < 1) {
    return InvalidArgumentError(
        "queue_config: capacity, max_shards, min_shards and "
        "max_samples_per_send must be at least 1");
  }
  if (q.min_shards > q.max_shards) {
    return InvalidArgumentError("queue_config: min_shards (" +
                                std::to_string(q.min_shards) +
                                ") must not exceed max_shards (" +
                                std::to_string(q.max_shards) + ")");
  }
  if (q.batch_send_deadline.count() <= 0 || q.min_backoff.count() <= 0 ||
      q.max_backoff.count() <= 0) {
    return InvalidArgumentError(
        "queue_config: batch_send_deadline, min_backoff and max_backoff must "
        "be positive");
  }
  if (q.min_backoff > q.max_backoff) {
    return InvalidArgumentError(
        "queue_config: min_backoff must not exceed max_backoff");
  }
  for (const auto& [name, value] : c.headers) {
    if (IsReservedHeader(name)) {
      return InvalidArgumentError("\"" + name +
                                  "\" is a reserved header and cannot be set");
    }
  }
  return http::ValidateHttpClientConfig(c.http_client_config);
}

Status ValidateRemoteWriteConfigs(const std::vector<RemoteWriteConfig>& list) {
  std::set<std::string> names;
  for (const RemoteWriteConfig& c : list) {
    VIGIL_RETURN_IF_ERROR(ValidateRemoteWriteConfig(c));
    const std::string name = QueueName(c);
    if (!names.insert(name).second) {
      return InvalidArgumentError(
          "found multiple remote_write configs with the name \"" + name +
          "\"" +
          (c.name.empty() ? " (the same URL twice: give each a name)" : ""));
    }
  }
  return Status::OK();
}

Result<RemoteWriteConfig> ParseRemoteWriteConfig(
    const model::YamlReader& reader, const YAML::Node& item,
    std::string_view base_dir) {
  Parser p(reader, base_dir);
  try {
    return p.Parse(item);
  } catch (const YAML::Exception& e) {
    return reader.Error(e.mark, "yaml: " + e.msg);
  }
}

}  // namespace vigil::remote
