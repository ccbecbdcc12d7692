#include "daemon/am_proxy.h"

#include <memory>
#include <string>
#include <utility>

#include "http/client.h"
#include "http/client_config.h"

namespace vigil::daemon {

void AlertmanagerProxy::SetTarget(std::optional<notifier::AlertmanagerConfig> target,
                                  bool allow_writes) {
  MutexLock l(&mu_);
  target_ = std::move(target);
  allow_writes_ = allow_writes;
}

void AlertmanagerProxy::Register(http::Server* server) {
  const auto forward = [this](const http::Request& q, http::Response* r) { Forward(q, r); };
  for (const char* path : {"/api/v2/alerts", "/api/v2/silences"}) {
    server->Handle("GET", path, forward);
    server->Handle("POST", path, forward);
  }
  for (const char* path : {"/api/v2/alerts/groups", "/api/v2/status", "/api/v2/receivers"}) {
    server->Handle("GET", path, forward);
  }
  server->Handle("GET", "/api/v2/silence/{id}", forward);
  server->Handle("DELETE", "/api/v2/silence/{id}", forward);
}

void AlertmanagerProxy::Forward(const http::Request& req, http::Response* res) {
  std::optional<notifier::AlertmanagerConfig> target;
  bool allow_writes = false;
  {
    MutexLock l(&mu_);
    target = target_;
    allow_writes = allow_writes_;
  }
  if (!target.has_value()) {
    res->status = 404;
    res->body = "not found: " + req.path + "\n";
    return;
  }
  if (req.method != "GET" && !allow_writes) {
    res->status = 403;
    res->body = req.method + " " + req.path + ": changing alerts or silences of the Alertmanager at " +
                target->url +
                " through vigil needs vigil's web access to be authenticated "
                "(basic_auth_users or bearer_tokens_file in web.config_file); change them on "
                "the Alertmanager itself\n";
    return;
  }
  std::string origin = target->url;
  while (!origin.empty() && origin.back() == '/') origin.pop_back();
  // The request's path was decoded by the server: a silence id is escaped
  // again so that it stays one path segment.
  std::string api_path = req.path;
  if (auto id = req.path_params.find("id"); id != req.path_params.end()) {
    api_path = "/api/v2/silence/" + http::QueryEscape(id->second);
  }
  std::string path = notifier::PrefixedPath(target->path_prefix, api_path);
  char sep = '?';
  for (const auto& [k, v] : req.params) {
    path += sep + http::QueryEscape(k) + "=" + http::QueryEscape(v);
    sep = '&';
  }
  const auto fail = [&](const Status& s) {
    res->status = 502;
    res->body = "alertmanager " + target->url + ": " + std::string(s.message()) + "\n";
  };
  const auto fail_quietly = [&](const Status& s) {
    if (options_.log) options_.log("alertmanager proxy: " + target->url + ": " + s.ToString());
    res->status = 502;
    res->body = "alertmanager " + target->url + ": its client settings could not be loaded "
                "(see vigil's log)\n";
  };
  http::ClientOptions o;
  o.timeout = target->timeout;
  http::ApplyClientConfig(target->http_client_config, &o);
  // TLS files and secret files: their errors name paths, which stay in the log.
  Result<std::unique_ptr<http::Client>> client = http::Client::Create(origin, std::move(o));
  if (!client.ok()) return fail_quietly(client.status());
  Result<std::string> auth = http::AuthorizationHeaderValue(target->http_client_config);
  if (!auth.ok()) return fail_quietly(auth.status());
  http::Headers headers = {{"Accept", "application/json"}};
  if (!auth->empty()) headers.emplace_back("Authorization", *auth);
  std::string content_type = req.header("Content-Type");
  if (content_type.empty()) content_type = "application/json";
  Result<http::ClientResponse> r = CancelledError("not sent");
  if (req.method == "POST") {
    r = (*client)->Post(path, req.body, content_type, headers);
  } else if (req.method == "DELETE") {
    r = (*client)->Delete(path, headers);
  } else {
    r = (*client)->Get(path, headers);
  }
  if (!r.ok()) return fail(r.status());
  res->status = r->status;
  if (!r->content_type.empty()) res->content_type = r->content_type;
  res->body = std::move(r->body);
}

}  // namespace vigil::daemon
