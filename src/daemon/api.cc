#include "daemon/api.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "model/duration.h"
#include "model/labels.h"
#include "model/rfc3339.h"
#include "model/timestamp.h"
#include "promql/parser.h"
#include "promql/value.h"

namespace vigil::daemon {
namespace internal {

namespace {

// Prometheus' minTime / maxTime for absent start and end parameters (the
// earliest and latest times Go's time package can format), in milliseconds.
constexpr int64_t kMinTimeMs = (INT64_MIN / 1000 + 62135596801LL) * 1000;
constexpr int64_t kMaxTimeMs = (INT64_MAX / 1000 - 62135596801LL) * 1000 + 999;
constexpr std::string_view kMinTimeFormatted = "-292273086-05-16T16:47:06Z";
constexpr std::string_view kMaxTimeFormatted =
    "292277025-08-18T07:12:54.999999999Z";

// strtod over the whole string, as Go's strconv.ParseFloat accepts it
// (no surrounding space).
bool ParseWholeFloat(std::string_view s, double* out) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s.front())) ||
      std::isspace(static_cast<unsigned char>(s.back()))) {
    return false;
  }
  const std::string copy(s);
  char* end = nullptr;
  *out = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
}

}  // namespace

Result<int64_t> ParseTimeParam(std::string_view s) {
  double f = 0;
  if (ParseWholeFloat(s, &f) && std::isfinite(f) && std::fabs(f) < 9.2e15) {
    const double whole = std::trunc(f);
    const int64_t frac_ms = std::llround((f - whole) * 1000);
    return static_cast<int64_t>(whole) * 1000 + frac_ms;
  }
  int64_t secs = 0;
  int32_t nanos = 0;
  if (model::ParseRfc3339(s, &secs, &nanos)) {
    // Prometheus' timestamp.FromTime: seconds * 1000 + whole milliseconds
    // (years 0000-9999 all fit).
    return secs * 1000 + nanos / 1'000'000;
  }
  if (s == kMinTimeFormatted) return kMinTimeMs;
  if (s == kMaxTimeFormatted) return kMaxTimeMs;
  return InvalidArgumentError("cannot parse \"" + std::string(s) +
                              "\" to a valid timestamp");
}

Result<int64_t> ParseDurationParamNs(std::string_view s) {
  double f = 0;
  if (ParseWholeFloat(s, &f)) {
    const double ns = f * 1e9;
    if (!(ns < 9.2233720368547758e18 && ns > -9.2233720368547758e18)) {
      return InvalidArgumentError("cannot parse \"" + std::string(s) +
                                  "\" to a valid duration. It overflows int64");
    }
    return static_cast<int64_t>(ns);
  }
  Result<std::chrono::milliseconds> d = model::ParseDuration(s);
  if (d.ok()) return static_cast<int64_t>(d->count()) * 1'000'000;
  return InvalidArgumentError("cannot parse \"" + std::string(s) +
                              "\" to a valid duration");
}

void AppendTimestamp(int64_t t_ms, std::string* out) {
  uint64_t t;
  if (t_ms < 0) {
    out->push_back('-');
    t = static_cast<uint64_t>(-(t_ms + 1)) + 1;
  } else {
    t = static_cast<uint64_t>(t_ms);
  }
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), t / 1000);
  out->append(buf, p);
  const unsigned frac = static_cast<unsigned>(t % 1000);
  if (frac != 0) {
    char f[4] = {'.', static_cast<char>('0' + frac / 100),
                 static_cast<char>('0' + frac / 10 % 10),
                 static_cast<char>('0' + frac % 10)};
    out->append(f, 4);
  }
}


}  // namespace internal

namespace {

// Prometheus' errorType values and their HTTP status codes.
enum class ErrorType { kBadData, kExecution, kCanceled, kTimeout, kInternal };

std::string_view ErrorTypeName(ErrorType t) {
  switch (t) {
    case ErrorType::kBadData: return "bad_data";
    case ErrorType::kExecution: return "execution";
    case ErrorType::kCanceled: return "canceled";
    case ErrorType::kTimeout: return "timeout";
    case ErrorType::kInternal: return "internal";
  }
  return "internal";
}

int ErrorStatus(ErrorType t) {
  switch (t) {
    case ErrorType::kBadData: return 400;
    case ErrorType::kExecution: return 422;
    case ErrorType::kCanceled: return 499;
    case ErrorType::kTimeout: return 503;
    case ErrorType::kInternal: return 500;
  }
  return 500;
}

// How the engine's and storage's codes surface (promql/engine.h).
ErrorType ErrorTypeOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return ErrorType::kBadData;
    case StatusCode::kFailedPrecondition:
    case StatusCode::kResourceExhausted: return ErrorType::kExecution;
    case StatusCode::kDeadlineExceeded: return ErrorType::kTimeout;
    case StatusCode::kCancelled: return ErrorType::kCanceled;
    default: return ErrorType::kInternal;
  }
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void WriteError(http::Response* res, ErrorType type, const std::string& msg) {
  res->status = ErrorStatus(type);
  res->content_type = "application/json";
  // Keys in Prometheus' order (nlohmann::json would sort them).
  res->body = "{\"status\":\"error\",\"errorType\":\"" +
              std::string(ErrorTypeName(type)) + "\",\"error\":" +
              Dump(nlohmann::json(msg)) + "}";
}

void WriteInvalidParam(http::Response* res, std::string_view param,
                       const Status& s) {
  WriteError(res, ErrorType::kBadData,
             "invalid parameter \"" + std::string(param) + "\": " +
                 std::string(s.message()));
}

void WriteData(http::Response* res, const nlohmann::json& data) {
  res->content_type = "application/json";
  res->body = "{\"status\":\"success\",\"data\":" + Dump(data) + "}";
}

// The value of `name`, or null when absent. With both a query string and
// a form body, httplib lists the body's values last; like Go's FormValue,
// the body wins.
const std::string* Param(const http::Request& req, const std::string& name) {
  auto [lo, hi] = req.params.equal_range(name);
  if (lo == hi) return nullptr;
  return &std::prev(hi)->second;
}

std::vector<std::string> Params(const http::Request& req,
                                const std::string& name) {
  std::vector<std::string> out;
  auto [lo, hi] = req.params.equal_range(name);
  for (auto it = lo; it != hi; ++it) out.push_back(it->second);
  return out;
}

// A time parameter, `fallback` when absent or empty.
Result<int64_t> TimeParam(const http::Request& req, const std::string& name,
                          int64_t fallback) {
  const std::string* v = Param(req, name);
  if (v == nullptr || v->empty()) return fallback;
  return internal::ParseTimeParam(*v);
}

// JSON text of a string: plain ASCII is written as is; anything else goes
// through nlohmann::json (escapes, invalid UTF-8 replaced).
void AppendJsonString(std::string_view s, std::string* out) {
  bool plain = true;
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (plain) {
    out->push_back('"');
    out->append(s);
    out->push_back('"');
    return;
  }
  out->append(Dump(nlohmann::json(std::string(s))));
}

void AppendLabels(const model::Labels& labels, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (model::LabelRef l : labels) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(l.name, out);
    out->push_back(':');
    AppendJsonString(l.value, out);
  }
  out->push_back('}');
}

// A sample value, quoted, as Prometheus' jsonutil.MarshalValue writes it:
// Go's shortest form, in exponent notation below 1e-6 and from 1e21.
void AppendValue(double v, std::string* out) {
  out->push_back('"');
  const double a = std::fabs(v);
  AppendFloatShortest(v, a != 0 && (a < 1e-6 || a >= 1e21) ? 'e' : 'f', out);
  out->push_back('"');
}

void AppendPoint(int64_t t, double v, std::string* out) {
  out->push_back('[');
  internal::AppendTimestamp(t, out);
  out->push_back(',');
  AppendValue(v, out);
  out->push_back(']');
}

// {"resultType":...,"result":...} for a query's value.
void AppendQueryData(const promql::Value& value, std::string* out) {
  out->append("{\"resultType\":");
  if (const auto* s = std::get_if<promql::Scalar>(&value)) {
    out->append("\"scalar\",\"result\":");
    AppendPoint(s->t, s->v, out);
  } else if (const auto* str = std::get_if<promql::String>(&value)) {
    out->append("\"string\",\"result\":[");
    internal::AppendTimestamp(str->t, out);
    out->push_back(',');
    AppendJsonString(str->v, out);
    out->push_back(']');
  } else if (const auto* vec = std::get_if<promql::Vector>(&value)) {
    out->append("\"vector\",\"result\":[");
    for (size_t i = 0; i < vec->size(); ++i) {
      if (i > 0) out->push_back(',');
      out->append("{\"metric\":");
      AppendLabels((*vec)[i].metric, out);
      out->append(",\"value\":");
      AppendPoint((*vec)[i].t, (*vec)[i].v, out);
      out->push_back('}');
    }
    out->push_back(']');
  } else {
    const auto& m = std::get<promql::Matrix>(value);
    out->append("\"matrix\",\"result\":[");
    for (size_t i = 0; i < m.size(); ++i) {
      if (i > 0) out->push_back(',');
      out->append("{\"metric\":");
      AppendLabels(m[i].metric, out);
      out->append(",\"values\":[");
      for (size_t j = 0; j < m[i].points.size(); ++j) {
        if (j > 0) out->push_back(',');
        AppendPoint(m[i].points[j].t, m[i].points[j].v, out);
      }
      out->append("]}");
    }
    out->push_back(']');
  }
  out->push_back('}');
}

void WriteQueryResult(http::Response* res, const promql::Value& value) {
  std::string body;
  body.reserve(256);
  body.append("{\"status\":\"success\",\"data\":");
  AppendQueryData(value, &body);
  body.push_back('}');
  res->content_type = "application/json";
  res->body = std::move(body);
}

// The query's `timeout` parameter; false after writing the error.
bool TimeoutParam(const http::Request& req, http::Response* res,
                  promql::QueryOptions* qo) {
  const std::string* to = Param(req, "timeout");
  if (to == nullptr || to->empty()) return true;
  Result<int64_t> ns = internal::ParseDurationParamNs(*to);
  if (!ns.ok()) {
    WriteInvalidParam(res, "timeout", ns.status());
    return false;
  }
  // A zero or negative timeout has already passed.
  qo->timeout = std::chrono::milliseconds(std::max<int64_t>(1, *ns / 1'000'000));
  return true;
}

// match[] selectors; false after writing the error.
bool MatcherSets(const std::vector<std::string>& selectors,
                 http::Response* res,
                 std::vector<std::vector<model::Matcher>>* out) {
  for (const std::string& sel : selectors) {
    Result<std::vector<model::Matcher>> m = promql::ParseMetricSelector(sel);
    if (!m.ok()) {
      WriteError(res, ErrorType::kBadData, std::string(m.status().message()));
      return false;
    }
    const bool any_non_empty = std::any_of(
        m->begin(), m->end(), [](const model::Matcher& x) { return !x.Matches(""); });
    if (!any_non_empty) {
      WriteError(res, ErrorType::kBadData,
                 "match[] must contain at least one non-empty matcher");
      return false;
    }
    out->push_back(std::move(*m));
  }
  return true;
}

// start and end for the metadata endpoints; false after writing the error.
bool StartEnd(const http::Request& req, http::Response* res, int64_t* start,
              int64_t* end) {
  Result<int64_t> s = TimeParam(req, "start", internal::kMinTimeMs);
  if (!s.ok()) {
    WriteInvalidParam(res, "start", s.status());
    return false;
  }
  Result<int64_t> e = TimeParam(req, "end", internal::kMaxTimeMs);
  if (!e.ok()) {
    WriteInvalidParam(res, "end", e.status());
    return false;
  }
  *start = *s;
  *end = *e;
  return true;
}

}  // namespace

Api::Api(ApiOptions options) : options_(std::move(options)) {}

int64_t Api::Now() const {
  return options_.now_ms ? options_.now_ms() : model::NowMillis();
}

void Api::Register(http::Server* server) {
  auto route = [&](std::initializer_list<const char*> methods, const char* path,
                   void (Api::*fn)(const http::Request&, http::Response*)) {
    for (const char* m : methods) {
      server->Handle(m, path, [this, fn](const http::Request& q, http::Response* r) {
        (this->*fn)(q, r);
      });
    }
  };
  route({"GET", "POST"}, "/api/v1/query", &Api::Query);
  route({"GET", "POST"}, "/api/v1/query_range", &Api::QueryRange);
  route({"GET", "POST"}, "/api/v1/series", &Api::Series);
  route({"GET", "POST"}, "/api/v1/labels", &Api::Labels);
  route({"GET"}, "/api/v1/label/{name}/values", &Api::LabelValues);
  route({"GET"}, "/api/v1/metadata", &Api::Metadata);
  route({"GET"}, "/api/v1/targets", &Api::Targets);
  route({"GET"}, "/api/v1/status/buildinfo", &Api::BuildInfo);
  route({"GET"}, "/api/v1/rules", &Api::Rules);
  route({"GET"}, "/api/v1/alerts", &Api::Alerts);
  if (options_.reload) route({"POST", "PUT"}, "/-/reload", &Api::Reload);
  route({"GET"}, "/api/v1/log_patterns", &Api::LogPatterns);
}

// The query options (timeout, shutdown) and the parsed `query`; false
// after writing the error.
bool Api::PrepareQuery(const http::Request& req, http::Response* res,
                       bool name_param, promql::QueryOptions* qo,
                       promql::ExprPtr* expr) {
  qo->stop = options_.shutdown;
  if (!TimeoutParam(req, res, qo)) return false;
  const std::string* q = Param(req, "query");
  Result<promql::ExprPtr> parsed = promql::ParseExpr(q == nullptr ? "" : *q);
  if (!parsed.ok()) {
    // Prometheus names the parameter for instant queries only.
    if (name_param) {
      WriteInvalidParam(res, "query", parsed.status());
    } else {
      WriteError(res, ErrorType::kBadData, std::string(parsed.status().message()));
    }
    return false;
  }
  *expr = std::move(parsed).value();
  return true;
}

void Api::Query(const http::Request& req, http::Response* res) {
  Result<int64_t> t = TimeParam(req, "time", Now());
  if (!t.ok()) return WriteInvalidParam(res, "time", t.status());
  promql::QueryOptions qo;
  promql::ExprPtr expr;
  if (!PrepareQuery(req, res, /*name_param=*/true, &qo, &expr)) return;
  Result<promql::Value> v =
      options_.engine->Instant(options_.storage, *expr, *t, qo);
  if (!v.ok()) {
    return WriteError(res, ErrorTypeOf(v.status()),
                      std::string(v.status().message()));
  }
  WriteQueryResult(res, *v);
}

void Api::QueryRange(const http::Request& req, http::Response* res) {
  const std::string* start_s = Param(req, "start");
  Result<int64_t> start = internal::ParseTimeParam(start_s ? *start_s : "");
  if (!start.ok()) return WriteInvalidParam(res, "start", start.status());
  const std::string* end_s = Param(req, "end");
  Result<int64_t> end = internal::ParseTimeParam(end_s ? *end_s : "");
  if (!end.ok()) return WriteInvalidParam(res, "end", end.status());
  if (*end < *start) {
    return WriteInvalidParam(
        res, "end",
        InvalidArgumentError("end timestamp must not be before start time"));
  }
  const std::string* step_s = Param(req, "step");
  Result<int64_t> step_ns = internal::ParseDurationParamNs(step_s ? *step_s : "");
  if (!step_ns.ok()) return WriteInvalidParam(res, "step", step_ns.status());
  // The engine steps in whole milliseconds, as Prometheus does.
  const int64_t step_ms = *step_ns / 1'000'000;
  if (step_ms <= 0) {
    return WriteInvalidParam(
        res, "step",
        InvalidArgumentError("zero or negative query resolution step widths "
                             "are not accepted. Try a positive integer"));
  }
  // (end - start) / step > 11000 in integer nanoseconds, as Go computes
  // it (long double holds these integers exactly).
  const long double span_ns =
      static_cast<long double>(static_cast<uint64_t>(*end) -
                               static_cast<uint64_t>(*start)) * 1e6L;
  if (span_ns >= 11001.0L * static_cast<long double>(*step_ns)) {
    return WriteError(res, ErrorType::kBadData,
                      "exceeded maximum resolution of 11,000 points per "
                      "timeseries. Try decreasing the query resolution "
                      "(?step=XX)");
  }
  promql::QueryOptions qo;
  promql::ExprPtr expr;
  if (!PrepareQuery(req, res, /*name_param=*/false, &qo, &expr)) return;
  const promql::ValueType type = expr->type();
  if (type != promql::ValueType::kScalar && type != promql::ValueType::kVector) {
    return WriteError(res, ErrorType::kBadData,
                      "invalid expression type \"" +
                          std::string(promql::ValueTypeName(type)) +
                          "\" for range query, must be Scalar or instant Vector");
  }
  Result<promql::Value> v = options_.engine->Range(
      options_.storage, *expr, *start, *end, step_ms, qo);
  if (!v.ok()) {
    return WriteError(res, ErrorTypeOf(v.status()),
                      std::string(v.status().message()));
  }
  WriteQueryResult(res, *v);
}

void Api::Series(const http::Request& req, http::Response* res) {
  const std::vector<std::string> selectors = Params(req, "match[]");
  if (selectors.empty()) {
    return WriteError(res, ErrorType::kBadData, "no match[] parameter provided");
  }
  int64_t start, end;
  if (!StartEnd(req, res, &start, &end)) return;
  std::vector<std::vector<model::Matcher>> sets;
  if (!MatcherSets(selectors, res, &sets)) return;
  Result<std::unique_ptr<storage::Querier>> q =
      options_.storage->NewQuerier(start, end);
  if (!q.ok()) return WriteError(res, ErrorType::kInternal, q.status().ToString());
  std::set<model::Labels> found;
  for (const auto& set : sets) {
    std::unique_ptr<storage::SeriesSet> ss = (*q)->Select(set);
    while (ss->Next()) found.insert(ss->At().labels());
    if (!ss->status().ok()) {
      return WriteError(res, ErrorType::kInternal, ss->status().ToString());
    }
  }
  std::string body = "{\"status\":\"success\",\"data\":[";
  bool first = true;
  for (const model::Labels& l : found) {
    if (!first) body.push_back(',');
    first = false;
    AppendLabels(l, &body);
  }
  body += "]}";
  res->content_type = "application/json";
  res->body = std::move(body);
}

// Calls fn(querier, matchers) for each match[] set of the request (one
// empty set when it has none) over its start..end, collecting the strings
// fn returns; writes the sorted union as the answer, or the error.
void Api::ServeStrings(
    const http::Request& req, http::Response* res,
    const std::function<Result<std::vector<std::string>>(
        const storage::Querier&, std::span<const model::Matcher>)>& fn) {
  int64_t start, end;
  if (!StartEnd(req, res, &start, &end)) return;
  std::vector<std::vector<model::Matcher>> sets;
  if (!MatcherSets(Params(req, "match[]"), res, &sets)) return;
  Result<std::unique_ptr<storage::Querier>> q =
      options_.storage->NewQuerier(start, end);
  if (!q.ok()) return WriteError(res, ErrorType::kInternal, q.status().ToString());
  if (sets.empty()) sets.emplace_back();
  std::set<std::string> all;
  for (const auto& set : sets) {
    Result<std::vector<std::string>> got = fn(**q, set);
    if (!got.ok()) return WriteError(res, ErrorType::kInternal, got.status().ToString());
    all.insert(got->begin(), got->end());
  }
  WriteData(res, nlohmann::json(std::vector<std::string>(all.begin(), all.end())));
}

void Api::Labels(const http::Request& req, http::Response* res) {
  ServeStrings(req, res, [](const storage::Querier& q, std::span<const model::Matcher> m) {
    return q.LabelNames(m);
  });
}

void Api::LabelValues(const http::Request& req, http::Response* res) {
  auto it = req.path_params.find("name");
  const std::string name = it == req.path_params.end() ? "" : it->second;
  if (!model::IsValidLabelName(name)) {
    return WriteError(res, ErrorType::kBadData,
                      "invalid label name: " + Dump(nlohmann::json(name)));
  }
  ServeStrings(req, res, [&](const storage::Querier& q, std::span<const model::Matcher> m) {
    return q.LabelValues(name, m);
  });
}

void Api::Metadata(const http::Request& req, http::Response* res) {
  int64_t limit = -1;
  if (const std::string* l = Param(req, "limit"); l != nullptr && !l->empty()) {
    auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), limit);
    if (ec != std::errc() || p != l->data() + l->size()) {
      return WriteError(res, ErrorType::kBadData, "limit must be a number");
    }
  }
  const std::string* metric = Param(req, "metric");
  // Per metric family, its distinct (type, help, unit), in target order.
  std::map<std::string, std::vector<std::array<std::string, 3>>> out;
  if (options_.scrape != nullptr) {
    for (const scrape::TargetStatus& t : options_.scrape->Targets()) {
      if (t.metadata == nullptr) continue;
      for (const scrape::MetricMetadata& m : *t.metadata) {
        if (metric != nullptr && !metric->empty() && m.metric_family != *metric) {
          continue;
        }
        std::array<std::string, 3> entry{m.type, m.help, m.unit};
        auto& list = out[m.metric_family];
        if (std::find(list.begin(), list.end(), entry) == list.end()) {
          list.push_back(std::move(entry));
        }
      }
    }
  }
  nlohmann::json data = nlohmann::json::object();
  int64_t n = 0;
  for (const auto& [family, entries] : out) {
    if (limit >= 0 && n >= limit) break;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : entries) {
      list.push_back({{"type", e[0]}, {"help", e[1]}, {"unit", e[2]}});
    }
    data[family] = std::move(list);
    ++n;
  }
  WriteData(res, data);
}

void Api::Targets(const http::Request& req, http::Response* res) {
  std::string state;
  if (const std::string* s = Param(req, "state")) {
    for (char c : *s) {
      if (!std::isspace(static_cast<unsigned char>(c))) {
        state.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      }
    }
  }
  const bool show_active = state.empty() || state == "any" || state == "active";
  const bool show_dropped = state.empty() || state == "any" || state == "dropped";
  nlohmann::json active = nlohmann::json::array();
  std::vector<scrape::TargetStatus> targets;
  if (show_active && options_.scrape != nullptr) targets = options_.scrape->Targets();
  if (show_active && options_.extra_targets) {
    for (scrape::TargetStatus& t : options_.extra_targets()) targets.push_back(std::move(t));
  }
  {
    for (const scrape::TargetStatus& t : targets) {
      nlohmann::json labels = nlohmann::json::object();
      for (model::LabelRef l : t.labels) labels[std::string(l.name)] = l.value;
      nlohmann::json discovered = nlohmann::json::object();
      for (model::LabelRef l : t.discovered_labels) {
        discovered[std::string(l.name)] = l.value;
      }
      const int64_t last_ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(
              t.last_scrape.time_since_epoch())
              .count();
      active.push_back({
          {"discoveredLabels", std::move(discovered)},
          {"labels", std::move(labels)},
          {"scrapePool", t.scrape_pool},
          {"scrapeUrl", t.scrape_url},
          {"globalUrl", t.scrape_url},
          {"lastError", t.last_error},
          // Go's zero time.Time for a target never scraped.
          {"lastScrape", last_ns == 0 ? "0001-01-01T00:00:00Z"
                                      : model::FormatRfc3339(last_ns, model::Rfc3339Fraction::kNano)},
          {"lastScrapeDuration",
           std::chrono::duration<double>(t.last_scrape_duration).count()},
          {"health", scrape::TargetHealthName(t.health)},
          {"scrapeInterval", model::FormatDuration(t.scrape_interval)},
          {"scrapeTimeout", model::FormatDuration(t.scrape_timeout)},
      });
    }
  }
  nlohmann::json data = nlohmann::json::object();
  if (show_active) data["activeTargets"] = std::move(active);
  // Without relabelling no target is ever dropped.
  if (show_dropped) data["droppedTargets"] = nlohmann::json::array();
  WriteData(res, data);
}

namespace {

// Go's time.Time in JSON: RFC 3339 with nanoseconds; the zero time for
// "never".
std::string JsonTime(int64_t t_ms) {
  return t_ms == 0 ? "0001-01-01T00:00:00Z" : model::FormatRfc3339(t_ms * 1000000, model::Rfc3339Fraction::kNano);
}

nlohmann::json LabelsJson(const model::Labels& l) {
  nlohmann::json j = nlohmann::json::object();
  for (model::LabelRef x : l) j[std::string(x.name)] = x.value;
  return j;
}

// Prometheus' API Alert: pending and firing alerts only.
nlohmann::json AlertsJson(const std::vector<rules::ActiveAlert>& alerts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : alerts) {
    if (a.resolved_at != 0) continue;
    std::string value;
    AppendFloatShortest(a.value, 'e', &value);
    out.push_back({{"labels", LabelsJson(a.labels)},
                   {"annotations", LabelsJson(a.annotations)},
                   {"state", rules::AlertStateName(a.state)},
                   {"activeAt", JsonTime(a.active_at)},
                   {"value", value}});
  }
  return out;
}

}  // namespace

void Api::Rules(const http::Request& req, http::Response* res) {
  const std::string* type = Param(req, "type");
  const std::string want = type == nullptr ? "" : *type;
  if (want != "" && want != "alert" && want != "record") {
    WriteError(res, ErrorType::kBadData, "not supported value \"" + want + "\"");
    return;
  }
  nlohmann::json groups = nlohmann::json::array();
  if (options_.rules != nullptr) {
    for (const auto& g : options_.rules->Groups()) {
      const rules::GroupStatus gs = g->status();
      nlohmann::json list = nlohmann::json::array();
      for (const auto& r : g->rules()) {
        if ((want == "alert" && !r->alerting()) || (want == "record" && r->alerting())) continue;
        const rules::RuleStatus st = r->status();
        const rules::RuleNode& n = r->node();
        nlohmann::json j = {{"name", n.name},
                            {"query", promql::ToString(*n.expr)},
                            {"health", rules::RuleHealthName(st.health)},
                            {"evaluationTime",
                             std::chrono::duration<double>(st.evaluation_time).count()},
                            {"lastEvaluation", JsonTime(st.last_evaluation)}};
        if (!st.last_error.empty()) j["lastError"] = st.last_error;
        if (r->alerting()) {
          const auto& ar = static_cast<const rules::AlertingRule&>(*r);
          j["state"] = rules::AlertStateName(ar.State());
          j["duration"] = std::chrono::duration<double>(n.for_duration).count();
          j["keepFiringFor"] = std::chrono::duration<double>(n.keep_firing_for).count();
          j["labels"] = LabelsJson(n.labels);
          j["annotations"] = LabelsJson(n.annotations);
          j["alerts"] = AlertsJson(ar.Alerts());
          j["type"] = "alerting";
        } else {
          if (!n.labels.empty()) j["labels"] = LabelsJson(n.labels);
          // Anomaly rules write series as recording rules do, so their type
          // stays "recording" (what Prometheus clients know); vigil's
          // `anomaly` field tells them apart and carries the detector.
          j["type"] = "recording";
          if (n.anomaly) {
            j["anomaly"] = {{"detector", n.detector},
                            {"params", n.params},
                            {"severity", n.severity}};
          }
        }
        list.push_back(std::move(j));
      }
      if (!want.empty() && list.empty()) continue;
      groups.push_back({{"name", g->name()},
                        {"file", g->file()},
                        {"rules", std::move(list)},
                        {"interval", std::chrono::duration<double>(g->interval()).count()},
                        {"limit", g->limit()},
                        {"evaluationTime", std::chrono::duration<double>(gs.evaluation_time).count()},
                        {"lastEvaluation", JsonTime(gs.last_evaluation)}});
    }
  }
  WriteData(res, {{"groups", std::move(groups)}});
}

void Api::LogPatterns(const http::Request&, http::Response* res) {
  nlohmann::json patterns = nlohmann::json::array();
  if (options_.log_patterns != nullptr) {
    const auto now = std::chrono::system_clock::time_point(std::chrono::milliseconds(Now()));
    for (const auto& [config, st] : options_.log_patterns->Rules(now)) {
      const logging::PatternRule& r = config.rule;
      nlohmann::json j = {
          {"name", r.name},
          {"pattern", r.pattern},
          {"severity", r.severity},
          {"threshold", r.threshold},
          {"window", std::chrono::duration<double>(r.window).count()},
          {"sources", r.sources},
          {"labels", LabelsJson(config.labels)},
          {"annotations", LabelsJson(config.annotations)},
          {"matchesTotal", st.matches_total},
          {"windowMatches", st.matches_in_window},
          {"firing", st.firing},
          {"firingSince", st.firing ? nlohmann::json(JsonTime(st.firing_since_ms)) : nlohmann::json()},
          {"lastMatch", st.last_match_ms != 0 ? nlohmann::json(JsonTime(st.last_match_ms)) : nlohmann::json()},
          {"lastSource", st.last_source},
          {"lastLine", st.last_line}};
      patterns.push_back(std::move(j));
    }
  }
  WriteData(res, {{"patterns", std::move(patterns)}});
}

void Api::Alerts(const http::Request&, http::Response* res) {
  nlohmann::json alerts = nlohmann::json::array();
  if (options_.rules != nullptr) {
    for (const auto& g : options_.rules->Groups()) {
      for (const auto& r : g->rules()) {
        if (!r->alerting()) continue;
        for (auto& a : AlertsJson(static_cast<const rules::AlertingRule&>(*r).Alerts())) {
          alerts.push_back(std::move(a));
        }
      }
    }
  }
  WriteData(res, {{"alerts", std::move(alerts)}});
}

void Api::Reload(const http::Request&, http::Response* res) {
  Status s = options_.reload();
  if (!s.ok()) {
    res->status = 500;
    res->content_type = "text/plain; charset=utf-8";
    res->body = "failed to reload config: " + std::string(s.message()) + "\n";
    return;
  }
  res->status = 200;
  res->content_type = "text/plain; charset=utf-8";
  res->body = "";
}

void Api::BuildInfo(const http::Request&, http::Response* res) {
  WriteData(res, {{"application", "vigil"},
                  {"version", VIGIL_VERSION},
                  {"revision", ""},
                  {"branch", ""},
                  {"buildUser", ""},
                  {"buildDate", ""},
                  {"goVersion", ""}});
}

}  // namespace vigil::daemon
