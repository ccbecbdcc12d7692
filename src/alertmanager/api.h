// alertmanager::Api: Alertmanager 0.25's HTTP API v2 over an embedded
// Manager, so that Prometheus (alerting.alertmanagers), amtool, Grafana's
// Alertmanager data source and scripts written for Alertmanager talk to
// vigil unchanged.
//
//   Api api({.manager = am.get()});
//   api.Register(&server);   // before server.Start()
//
// Endpoints (docs/formats/alertmanager-api.md has the bodies):
//   POST   /api/v2/alerts          postableAlerts (JSON array); 200 empty
//   GET    /api/v2/alerts          active, silenced, inhibited, unprocessed,
//                                  filter (repeated), receiver (regex)
//   GET    /api/v2/alerts/groups   active, silenced, inhibited, filter, receiver
//   GET    /api/v2/silences        filter (repeated)
//   POST   /api/v2/silences        postableSilence; {"silenceID": ...}
//   GET    /api/v2/silence/{id}
//   DELETE /api/v2/silence/{id}
//   GET    /api/v2/receivers
//   GET    /api/v2/status          the configuration with secrets as <secret>
//   GET    /api/v2/alerts/history  vigil's: since, until (RFC 3339), event,
//                                  alertname, fingerprint, limit
//
// Errors are a JSON string naming what is wrong, as Alertmanager's
// handlers answer: 400 for bodies and parameters (a JSON syntax error gives
// its line and column, an invalid alert its index or label set, and an
// expired silence cannot be expired again), 404 for an unknown silence,
// 500 when storing fails. Times are RFC 3339 (ones past what a TimePoint
// holds, 1678-2262, are clamped: a "forever" silence ends in 9999); answers
// write them in UTC with milliseconds, as go-openapi's strfmt.DateTime.
// Unknown fields in bodies are ignored, as Alertmanager ignores them.
//
// Thread safety: thread-safe; the manager must outlive the server.
#pragma once

#include <functional>
#include <string>

#include "alertmanager/manager.h"
#include "http/server.h"

namespace vigil::alertmanager {

struct ApiOptions {
  Manager* manager = nullptr;  // required
  // "now" (tests: a fake clock); empty: Clock::now.
  std::function<TimePoint()> clock;
  std::string version;  // versionInfo.version in /api/v2/status
};

class Api {
 public:
  // REQUIRES: options.manager is set.
  explicit Api(ApiOptions options);

  // Adds every endpoint to `server`. Call before server->Start().
  void Register(http::Server* server);

  // The handlers, callable without a server (tests).
  void PostAlerts(const http::Request& req, http::Response* res);
  void GetAlerts(const http::Request& req, http::Response* res);
  void GetAlertGroups(const http::Request& req, http::Response* res);
  void GetSilences(const http::Request& req, http::Response* res);
  void PostSilences(const http::Request& req, http::Response* res);
  void GetSilence(const http::Request& req, http::Response* res);
  void DeleteSilence(const http::Request& req, http::Response* res);
  void GetReceivers(const http::Request& req, http::Response* res);
  void GetStatus(const http::Request& req, http::Response* res);
  void GetHistory(const http::Request& req, http::Response* res);

 private:
  TimePoint Now() const;
  const ApiOptions options_;
};

}  // namespace vigil::alertmanager
