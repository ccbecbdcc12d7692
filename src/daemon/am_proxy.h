// daemon::AlertmanagerProxy: Alertmanager's API v2 on vigil's own port when
// alerts go to an external Alertmanager (alerting.alertmanagers) instead of
// the embedded one, so that the UI's alerts and silences pages, and amtool or
// Grafana pointed at vigil, work against the real Alertmanager.
//
//   AlertmanagerProxy proxy;
//   proxy.SetTarget(config.alertmanagers.empty()
//                       ? std::nullopt
//                       : std::optional(config.alertmanagers.front()));
//   proxy.Register(&server);   // before server.Start()
//
// GET /api/v2/alerts, /alerts/groups, /silences, /silence/{id}, /status and
// /receivers, POST /api/v2/alerts and /silences, and DELETE
// /api/v2/silence/{id} are sent on to the target (its path_prefix, timeout,
// authorization and TLS; the query string and body as received) and its
// answer -- status, Content-Type, body -- is passed back unchanged. An
// Alertmanager that cannot be reached is 502 naming it; with no target every
// path answers 404 as an unknown path does.
//
// Thread safety: thread-safe; SetTarget() may run while requests are
// forwarded (a reload).
#pragma once

#include <mutex>
#include <optional>

#include "http/server.h"
#include "notifier/notifier.h"

namespace vigil::daemon {

class AlertmanagerProxy {
 public:
  void SetTarget(std::optional<notifier::AlertmanagerConfig> target);
  void Register(http::Server* server);
  // The handler behind every route (tests).
  void Forward(const http::Request& req, http::Response* res);

 private:
  std::mutex mu_;
  std::optional<notifier::AlertmanagerConfig> target_;  // guarded by mu_
};

}  // namespace vigil::daemon
