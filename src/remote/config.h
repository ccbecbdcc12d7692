// remote::RemoteWriteConfig: one entry of Prometheus' `remote_write` list
// (Prometheus 2.42's config.RemoteWriteConfig), and its YAML reader.
//
//   remote_write:
//     - url: http://127.0.0.1:8428/api/v1/write   # required
//       name: vm                     # default: a hash of the URL
//       remote_timeout: 30s
//       headers: {X-Scope-OrgID: team-a}
//       basic_auth: {username: u, password_file: secret}
//       # or authorization: {type: Bearer, credentials_file: token}
//       # or bearer_token / bearer_token_file
//       tls_config: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem,
//                    insecure_skip_verify: false}
//       follow_redirects: true
//       queue_config:
//         capacity: 2500             # samples buffered per shard
//         max_shards: 200
//         min_shards: 1
//         max_samples_per_send: 2000
//         batch_send_deadline: 5s
//         min_backoff: 30ms
//         max_backoff: 5s
//         retry_on_http_429: true
//       metadata_config: {send: true, send_interval: 1m,
//                         max_samples_per_send: 2000}   # accepted, unused
//
// The daemon's config loader walks its `remote_write:` list and calls
// ParseRemoteWriteConfig on each item:
//
//   for (const YAML::Node& item : list) {
//     VIGIL_ASSIGN_OR_RETURN(remote::RemoteWriteConfig rw,
//         remote::ParseRemoteWriteConfig(reader, item, config_dir));
//     c->remote_write.push_back(std::move(rw));
//   }
//   VIGIL_RETURN_IF_ERROR(remote::ValidateRemoteWriteConfigs(c->remote_write));
//
// Not supported (an error naming the field, never silently ignored):
// write_relabel_configs, sigv4, oauth2, azuread, proxy_url and friends,
// tls_config server_name/min_version/max_version, send_exemplars: true,
// send_native_histograms: true. metadata_config is read and checked but
// nothing is sent from it: vigil's WAL holds no metadata records.
//
// Differences from Prometheus 2.42: retry_on_http_429 defaults to true
// (later Prometheus versions always retry 429, and losing samples to rate
// limiting is worse than waiting), and max_samples_per_send defaults to
// 2000.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/client.h"
#include "http/client_config.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace vigil::model {
class YamlReader;
}  // namespace vigil::model

namespace vigil::remote {

// Prometheus' queue_config, same names and defaults (see the file comment).
struct QueueConfig {
  // Samples each shard buffers; the WAL watcher waits while a shard is full.
  int capacity = 2500;
  int max_shards = 200;
  int min_shards = 1;
  int max_samples_per_send = 2000;
  // The longest a sample waits in a shard for its batch to fill.
  std::chrono::milliseconds batch_send_deadline{5000};
  // Retry wait after the first failure, doubled per failure up to
  // max_backoff.
  std::chrono::milliseconds min_backoff{30};
  std::chrono::milliseconds max_backoff{5000};
  bool retry_on_http_429 = true;
  friend bool operator==(const QueueConfig&, const QueueConfig&) = default;
};

struct MetadataConfig {
  bool send = true;
  std::chrono::milliseconds send_interval{60000};
  int max_samples_per_send = 2000;
  friend bool operator==(const MetadataConfig&, const MetadataConfig&) =
      default;
};

struct RemoteWriteConfig {
  // http:// or https://, with the path ("/api/v1/write") and any query.
  std::string url;
  // Names the queue in metrics (remote_name) and its progress file; unique
  // across the list. Empty: QueueName() derives one from the URL.
  std::string name;
  // Bounds one HTTP request (connect, send, answer).
  std::chrono::milliseconds remote_timeout{30000};
  // Extra request headers, sorted by name. Headers the protocol sets itself
  // (Content-Type, Content-Encoding, User-Agent, Authorization,
  // X-Prometheus-Remote-Write-Version, hop-by-hop headers) are refused.
  std::vector<std::pair<std::string, std::string>> headers;
  // basic_auth / authorization / bearer_token(_file) (secret files read
  // before every request), tls_config and follow_redirects.
  http::HttpClientConfig http_client_config;
  QueueConfig queue_config;
  MetadataConfig metadata_config;

  friend bool operator==(const RemoteWriteConfig&, const RemoteWriteConfig&) = default;
};

// The queue's name: `name`, or "rw-" and 12 hex digits of a hash of the URL
// (stable across restarts and config edits that keep the URL, so the
// progress file is found again).
std::string QueueName(const RemoteWriteConfig& config);

// kInvalidArgument naming the problem: a URL that is not http(s)://host
// [:port][/path], a non-positive remote_timeout or batch_send_deadline,
// capacity/shards/max_samples_per_send < 1, min_shards > max_shards,
// min_backoff > max_backoff, a reserved header, what
// ValidateHttpClientConfig refuses, or an unreadable name.
Status ValidateRemoteWriteConfig(const RemoteWriteConfig& config);
// Each entry valid, and no two with the same QueueName().
Status ValidateRemoteWriteConfigs(const std::vector<RemoteWriteConfig>& list);

// Reads one `remote_write` list item. Errors are kInvalidArgument
// "FILE:LINE:COLUMN: message" as `reader` formats them (unknown or
// unsupported fields, wrong types, bad durations, and everything
// ValidateRemoteWriteConfig checks, reported at the item). Relative file
// names (password_file, credentials_file, bearer_token_file, TLS files) are
// resolved against `base_dir` (the config file's directory; empty: as
// written).
Result<RemoteWriteConfig> ParseRemoteWriteConfig(
    const model::YamlReader& reader, const YAML::Node& item,
    std::string_view base_dir = {});

// Splits "http://h:p/a/b?q" into origin "http://h:p" and "/a/b?q" ("/" when
// there is no path). kInvalidArgument when it is not such a URL.
Status SplitUrl(std::string_view url, std::string* origin,
                std::string* path_and_query);

}  // namespace vigil::remote
