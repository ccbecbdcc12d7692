#include "vigil/exporter/push.h"

#include <algorithm>
#include <thread>

#include "base/status_macros.h"
#include "exposition/encoder.h"
#include "http/client.h"

namespace vigil::exporter {

namespace {

// Splits "http://host:port/prefix/" into origin and path prefix (without a
// trailing "/").
Status SplitUrl(std::string_view url, std::string* origin, std::string* prefix) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return InvalidArgumentError("pushgateway url \"" + std::string(url) +
                                "\": want http://host:port or https://host:port");
  }
  const size_t path = url.find('/', scheme_end + 3);
  *origin = std::string(url.substr(0, path));
  *prefix = path == std::string_view::npos ? "" : std::string(url.substr(path));
  while (!prefix->empty() && prefix->back() == '/') prefix->pop_back();
  return Status::OK();
}

// One grouping-key segment pair: "/name/escaped" or "/name@base64/b64url".
void AppendGroupingLabel(std::string_view name, std::string_view value, std::string* out) {
  out->push_back('/');
  out->append(name);
  if (value.empty() || value.find('/') != std::string_view::npos) {
    out->append("@base64/");
    // The Pushgateway reads "=" as the empty value.
    out->append(value.empty() ? "=" : http::Base64Encode(value, /*url_safe=*/true));
  } else {
    out->push_back('/');
    out->append(http::QueryEscape(value));
  }
}

bool Retryable(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
}

}  // namespace

Result<std::string> GroupingPath(
    std::string_view job, const std::vector<std::pair<std::string, std::string>>& grouping) {
  if (job.empty()) return InvalidArgumentError("pushgateway: job must not be empty");
  std::string path = "/metrics";
  AppendGroupingLabel("job", job, &path);
  for (size_t i = 0; i < grouping.size(); ++i) {
    const auto& [name, value] = grouping[i];
    Status s = metrics::ValidateLabelName(name);
    if (!s.ok()) return s.WithPrefix("pushgateway grouping label " + std::to_string(i + 1));
    if (name == "job") {
      return InvalidArgumentError("pushgateway grouping label \"job\": set PushOptions::job");
    }
    for (size_t j = 0; j < i; ++j) {
      if (grouping[j].first == name) {
        return InvalidArgumentError("pushgateway grouping label \"" + name + "\" given twice");
      }
    }
    AppendGroupingLabel(name, value, &path);
  }
  return path;
}

Result<std::unique_ptr<Pushgateway>> Pushgateway::Create(PushOptions options) {
  if (options.max_attempts < 1) {
    return InvalidArgumentError("pushgateway: max_attempts must be at least 1");
  }
  std::string origin, prefix;
  VIGIL_RETURN_IF_ERROR(SplitUrl(options.url, &origin, &prefix));
  Result<std::string> group = GroupingPath(options.job, options.grouping);
  if (!group.ok()) return group.status();
  http::ClientOptions client_options;
  client_options.timeout = options.timeout;
  client_options.basic_auth_username = options.basic_auth_username;
  client_options.basic_auth_password = options.basic_auth_password;
  client_options.authorization_credentials = options.bearer_token;
  client_options.body_size_limit_bytes = 1 << 20;  // answers are short messages
  Result<std::unique_ptr<http::Client>> client =
      http::Client::Create(std::move(origin), std::move(client_options));
  if (!client.ok()) return client.status().WithPrefix("pushgateway url");
  return std::unique_ptr<Pushgateway>(
      new Pushgateway(std::move(options), prefix + *group, std::move(*client)));
}

Pushgateway::Pushgateway(PushOptions options, std::string path,
                         std::unique_ptr<http::Client> client)
    : options_(std::move(options)), group_path_(std::move(path)), client_(std::move(client)) {}

Pushgateway::~Pushgateway() = default;

Status Pushgateway::Push() { return Send("PUT"); }
Status Pushgateway::Add() { return Send("POST"); }
Status Pushgateway::Delete() { return Send("DELETE"); }

Status Pushgateway::Send(std::string_view method) {
  // Encoded under the lock: a later push never sends an older snapshot.
  std::lock_guard<std::mutex> lock(mu_);
  std::string body;
  if (method != "DELETE") {
    const metrics::Registry& registry =
        options_.registry != nullptr ? *options_.registry : metrics::Registry::Default();
    exposition::Encode(registry, exposition::Format::kPrometheusText, &body);
  }
  const std::string_view content_type =
      exposition::ContentType(exposition::Format::kPrometheusText);
  std::chrono::milliseconds backoff = options_.initial_backoff;
  Status last;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    if (attempt > 1) {
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
    Result<http::ClientResponse> r =
        method == "PUT"    ? client_->Put(group_path_, body, content_type)
        : method == "POST" ? client_->Post(group_path_, body, content_type)
                           : client_->Delete(group_path_);
    if (!r.ok()) {
      last = r.status().WithPrefix("pushgateway (attempt " + std::to_string(attempt) + " of " +
                                   std::to_string(options_.max_attempts) + ")");
      if (!Retryable(r.status())) return last;
      continue;
    }
    if (r->status >= 200 && r->status < 300) return Status::OK();
    std::string message = r->body;
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
      message.pop_back();
    }
    const std::string what = std::string(method) + " " + client_->origin() + group_path_ +
                             ": HTTP " + std::to_string(r->status) +
                             (message.empty() ? "" : ": " + message);
    if (r->status < 500) return InvalidArgumentError("pushgateway: " + what);
    last = UnavailableError("pushgateway (attempt " + std::to_string(attempt) + " of " +
                            std::to_string(options_.max_attempts) + "): " + what);
  }
  return last;
}

}  // namespace vigil::exporter
