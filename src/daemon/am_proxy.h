// daemon::AlertmanagerProxy: Alertmanager's API v2 on vigil's own port when
// alerts go to an external Alertmanager (alerting.alertmanagers) instead of
// the embedded one, so that the UI's alerts and silences pages, and amtool or
// Grafana pointed at vigil, work against the real Alertmanager.
//
//   AlertmanagerProxy proxy({.log = warn});
//   proxy.SetTarget(config.alertmanagers.front(), /*allow_writes=*/auth_on);
//   proxy.Register(&server);   // before server.Start()
//
// GET /api/v2/alerts, /alerts/groups, /silences, /silence/{id}, /status and
// /receivers, POST /api/v2/alerts and /silences, and DELETE
// /api/v2/silence/{id} are sent on to the target (its path_prefix, timeout,
// authorization and TLS; the query string and body as received) and its
// answer -- status, Content-Type, body -- is passed back unchanged.
//
// Writes (POST, DELETE) go out with vigil's credentials for that
// Alertmanager, so they are forwarded only when `allow_writes` (the daemon
// sets it when its own web access is authenticated); otherwise they answer
// 403 saying so, as Grafana's Alertmanager data source sits behind Grafana's
// login. An Alertmanager that cannot be reached is 502 naming it (details that
// could name secret files go to `log`, not to the caller); with no target
// every path answers 404 as an unknown path does. A client is made per
// request: the traffic is a person's, and a Client serves one request at a
// time.
//
// Thread safety: thread-safe; SetTarget() may run while requests are
// forwarded (a reload).
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "base/thread_annotations.h"
#include "http/server.h"
#include "notifier/notifier.h"

namespace vigil::daemon {

struct AlertmanagerProxyOptions {
  std::function<void(std::string_view)> log;  // empty: nothing is logged
};

class AlertmanagerProxy {
 public:
  explicit AlertmanagerProxy(AlertmanagerProxyOptions options = {})
      : options_(std::move(options)) {}
  void SetTarget(std::optional<notifier::AlertmanagerConfig> target, bool allow_writes);
  void Register(http::Server* server);
  // The handler behind every route (tests).
  void Forward(const http::Request& req, http::Response* res);

 private:
  const AlertmanagerProxyOptions options_;
  Mutex mu_;
  std::optional<notifier::AlertmanagerConfig> target_ VIGIL_GUARDED_BY(mu_);
  bool allow_writes_ VIGIL_GUARDED_BY(mu_) = false;
};

}  // namespace vigil::daemon
