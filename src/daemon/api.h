// daemon::Api: Prometheus' HTTP API v1 (web/api/v1/api.go of 2.42), so that
// Grafana, promtool and other Prometheus clients query vigil unchanged.
//
//   Api api({.storage = db.get(), .engine = &engine, .scrape = &manager});
//   api.Register(&server);   // before server.Start()
//
// Endpoints (GET, and form-encoded POST where Prometheus takes it):
//   /api/v1/query                 query, time, timeout
//   /api/v1/query_range           query, start, end, step, timeout
//   /api/v1/series                match[] (one or more), start, end
//   /api/v1/labels                match[] (optional), start, end
//   /api/v1/label/{name}/values   match[] (optional), start, end
//   /api/v1/metadata              limit, metric (from the scrape targets)
//   /api/v1/targets               state (active, dropped, any)
//   /api/v1/rules                 type (alert, record)
//   /api/v1/alerts
//   /api/v1/status/buildinfo
//   /-/reload                     POST or PUT: re-reads the configuration
//   /api/v1/log_patterns          vigil's: the log-pattern rules, each with
//                                 its configuration and state (firing,
//                                 matches, the last matching line)
//
// Every answer is JSON: {"status":"success","data":...}, or on failure
// {"status":"error","errorType":T,"error":MSG} with Prometheus' status codes:
// bad_data 400 (unparsable parameters, the query does not parse),
// execution 422 (evaluation failed, too many samples), canceled 499
// (vigil is shutting down), timeout 503, internal 500. Times are RFC 3339
// or Unix seconds with up to millisecond precision; durations are
// Prometheus durations ("5m") or seconds. Sample values are strings as Go's
// strconv.FormatFloat(v, 'f', -1, 64) writes them ("NaN", "+Inf");
// timestamps are seconds with millisecond fractions.
//
// Thread safety: thread-safe; handlers run concurrently on the server's
// threads. The storage, engine and scrape manager must outlive the server.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/log_patterns.h"
#include "http/server.h"
#include "promql/engine.h"
#include "rules/manager.h"
#include "scrape/manager.h"
#include "storage/interface.h"
#include "vigil/result.h"

namespace vigil::daemon {

struct ApiOptions {
  storage::Queryable* storage = nullptr;  // required
  promql::Engine* engine = nullptr;       // required
  // Targets and metric metadata; null: none are reported.
  const scrape::ScrapeManager* scrape = nullptr;
  // "now" for queries without a time; null: the system clock.
  std::function<int64_t()> now_ms;
  // Requested at shutdown: running queries end with "canceled".
  std::stop_token shutdown;
  // More targets to list after the scrape manager's (the agent's
  // in-process registries); empty: none.
  std::function<std::vector<scrape::TargetStatus>()> extra_targets;
  // Rule groups and alerts; null: none.
  const rules::Manager* rules = nullptr;
  // Re-reads the configuration (POST /-/reload); null: 404.
  std::function<Status()> reload;
  // Log-pattern rules (GET /api/v1/log_patterns, vigil's); null: none.
  const LogPatternAlerts* log_patterns = nullptr;
};

class Api {
 public:
  // REQUIRES: options.storage and options.engine are set.
  explicit Api(ApiOptions options);

  // Adds every endpoint to `server`. Call before server->Start().
  void Register(http::Server* server);

  // The handlers, callable without a server (tests).
  void Query(const http::Request& req, http::Response* res);
  void QueryRange(const http::Request& req, http::Response* res);
  void Series(const http::Request& req, http::Response* res);
  void Labels(const http::Request& req, http::Response* res);
  void LabelValues(const http::Request& req, http::Response* res);
  void Metadata(const http::Request& req, http::Response* res);
  void Rules(const http::Request& req, http::Response* res);
  void Alerts(const http::Request& req, http::Response* res);
  void Reload(const http::Request& req, http::Response* res);
  void Targets(const http::Request& req, http::Response* res);
  void BuildInfo(const http::Request& req, http::Response* res);
  // vigil's: every log-pattern rule with its configuration and state.
  void LogPatterns(const http::Request& req, http::Response* res);

 private:
  int64_t Now() const;
  bool PrepareQuery(const http::Request& req, http::Response* res,
                    bool name_param, promql::QueryOptions* qo,
                    promql::ExprPtr* expr);
  void ServeStrings(const http::Request& req, http::Response* res,
                    const std::function<Result<std::vector<std::string>>(
                        const storage::Querier&, std::span<const model::Matcher>)>& fn);

  const ApiOptions options_;
};

namespace internal {

// Prometheus' parseTime: Unix seconds (float, rounded to the millisecond)
// or RFC 3339 with optional fraction; milliseconds since the epoch.
Result<int64_t> ParseTimeParam(std::string_view s);
// Prometheus' parseDuration: seconds (float) or a Prometheus duration;
// nanoseconds.
Result<int64_t> ParseDurationParamNs(std::string_view s);
// Seconds with a three-digit millisecond fraction when there is one, as
// Prometheus writes timestamps: 1700000000, 1700000000.050, -1.500.
void AppendTimestamp(int64_t t_ms, std::string* out);

}  // namespace internal
}  // namespace vigil::daemon
