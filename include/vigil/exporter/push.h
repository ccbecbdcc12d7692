// Pushgateway: pushes a registry to a Prometheus Pushgateway, for batch and
// short-lived jobs that end before anything could scrape them.
//
//   vigil::exporter::PushOptions opts;
//   opts.url = "http://127.0.0.1:9091";
//   opts.job = "nightly_reindex";
//   opts.grouping = {{"instance", "worker-3"}};
//   opts.registry = &registry;
//   auto gateway = vigil::exporter::Pushgateway::Create(opts);
//   if (!gateway.ok()) { /* bad URL, job or label name */ }
//   vigil::Status s = (*gateway)->Push();   // at the end of the job
//
// Semantics are the Pushgateway's (and Prometheus' Go client's):
//   Push()    PUT    replaces every metric of the group with the registry's.
//   Add()     POST   replaces only the metrics with the same names.
//   Delete()  DELETE removes the group.
// The group is /metrics/job/<job>/<label>/<value>..., each value
// path-escaped, or base64url-encoded as "<label>@base64/<value>" when it
// holds a "/" or is empty, so any value round-trips. The body is the
// Prometheus text format 0.0.4.
//
// Retries: a network error, a timeout or a 5xx answer is retried up to
// max_attempts times in all, with exponential backoff (initial_backoff,
// doubled each time, at most max_backoff). A 4xx answer is not retried: it
// returns kInvalidArgument with the gateway's message (for example pushed
// metrics inconsistent with the group's existing ones). The last failure is
// returned after the attempts are spent.
//
// Thread safety: thread-safe; pushes from several threads are serialised.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigil/metrics/registry.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::http {
class Client;
}  // namespace vigil::http

namespace vigil::exporter {

struct PushOptions {
  // "http://host:port", optionally with a path prefix
  // ("http://proxy/pushgateway").
  std::string url = "http://127.0.0.1:9091";
  std::string job;  // required
  // Further grouping labels, usually {"instance", ...}; names are checked.
  std::vector<std::pair<std::string, std::string>> grouping;
  metrics::Registry* registry = nullptr;  // null: Registry::Default()
  std::chrono::milliseconds timeout{10000};  // per attempt
  int max_attempts = 3;
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{5000};
  // Basic auth when username or password is set; otherwise a bearer token
  // when set.
  std::string basic_auth_username;
  std::string basic_auth_password;
  std::string bearer_token;
};

class Pushgateway {
 public:
  static Result<std::unique_ptr<Pushgateway>> Create(PushOptions options);
  ~Pushgateway();
  Pushgateway(const Pushgateway&) = delete;
  Pushgateway& operator=(const Pushgateway&) = delete;

  Status Push();    // PUT
  Status Add();     // POST
  Status Delete();  // DELETE

  // "/metrics/job/<job>/..." after the URL's own path.
  const std::string& group_path() const { return group_path_; }

 private:
  Pushgateway(PushOptions options, std::string path,
              std::unique_ptr<http::Client> client);
  Status Send(std::string_view method);

  const PushOptions options_;
  const std::string group_path_;  // URL path prefix + grouping key
  std::mutex mu_;                 // one request at a time
  std::unique_ptr<http::Client> client_;
};

// The grouping-key path for `job` and `grouping`, as Push() uses it
// (exposed for tests and for callers that build their own requests).
Result<std::string> GroupingPath(
    std::string_view job,
    const std::vector<std::pair<std::string, std::string>>& grouping);

}  // namespace vigil::exporter
