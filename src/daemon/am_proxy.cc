#include "daemon/am_proxy.h"

#include <memory>
#include <string>
#include <utility>

#include "http/client.h"
#include "http/client_config.h"

namespace vigil::daemon {

void AlertmanagerProxy::SetTarget(std::optional<notifier::AlertmanagerConfig> target) {
  std::lock_guard<std::mutex> l(mu_);
  target_ = std::move(target);
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
  {
    std::lock_guard<std::mutex> l(mu_);
    target = target_;
  }
  if (!target.has_value()) {
    res->status = 404;
    res->body = "not found: " + req.path + "\n";
    return;
  }
  std::string origin = target->url;
  while (!origin.empty() && origin.back() == '/') origin.pop_back();
  std::string path = notifier::PrefixedPath(target->path_prefix, req.path);
  char sep = '?';
  for (const auto& [k, v] : req.params) {
    path += sep + http::QueryEscape(k) + "=" + http::QueryEscape(v);
    sep = '&';
  }
  const auto fail = [&](const Status& s) {
    res->status = 502;
    res->body = "alertmanager " + target->url + ": " + std::string(s.message()) + "\n";
  };
  http::ClientOptions o;
  o.timeout = target->timeout;
  http::ApplyClientConfig(target->http_client_config, &o);
  Result<std::unique_ptr<http::Client>> client = http::Client::Create(origin, std::move(o));
  if (!client.ok()) return fail(client.status());
  Result<std::string> auth = http::AuthorizationHeaderValue(target->http_client_config);
  if (!auth.ok()) return fail(auth.status());
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
