#include "alertmanager/api.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "model/rfc3339.h"
#include "model/timestamp.h"

namespace vigil::alertmanager {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void WriteJson(http::Response* res, int status, const Json& j) {
  res->status = status;
  res->content_type = "application/json";
  res->body = Dump(j);
}

// Alertmanager's handlers answer errors with a JSON string.
void WriteError(http::Response* res, int status, std::string_view message) {
  WriteJson(res, status, Json(std::string(message)));
}

std::string FormatTime(TimePoint t) {
  if (t == TimePoint{}) {
    return model::FormatRfc3339(model::kGoZeroTimeUnixS, 0, model::Rfc3339Fraction::kMillis);
  }
  return model::FormatRfc3339(model::FromTimePointNanos(t), model::Rfc3339Fraction::kMillis);
}

// strfmt.DateTime's input: RFC 3339; "" and Go's zero time read as unset.
Result<TimePoint> ParseTime(const Json& j, std::string_view field) {
  if (j.is_null()) return TimePoint{};
  if (!j.is_string()) return InvalidArgumentError(std::string(field) + ": not a string");
  const auto& s = j.get_ref<const std::string&>();
  if (s.empty()) return TimePoint{};
  int64_t secs = 0;
  int32_t nanos = 0;
  if (!model::ParseRfc3339(s, &secs, &nanos)) {
    return InvalidArgumentError(std::string(field) + ": \"" + s + "\" is not an RFC 3339 time");
  }
  if (secs == model::kGoZeroTimeUnixS && nanos == 0) return TimePoint{};
  int64_t ns = 0;
  if (!model::ParseRfc3339(s, &ns)) {
    // Past what a TimePoint holds (years 1678-2262): "forever" silences
    // end in 9999, say. Clamped.
    return secs > 0 ? TimePoint::max() : TimePoint::min();
  }
  return model::ToTimePointNanos(ns);
}

Result<model::Labels> ParseLabelObject(const Json& j, std::string_view field) {
  if (!j.is_object()) return InvalidArgumentError(std::string(field) + ": not an object");
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) {
      return InvalidArgumentError(std::string(field) + "." + k + ": not a string");
    }
    pairs.emplace_back(k, v.get<std::string>());
  }
  return model::Labels::FromPairs(std::move(pairs));
}

Json LabelsJson(const model::Labels& labels) {
  Json j = Json::object();
  for (const auto& l : labels) j[std::string(l.name)] = std::string(l.value);
  return j;
}

Json AlertJson(const AlertStatus& st) {
  Json receivers = Json::array();
  for (const auto& r : st.receivers) receivers.push_back({{"name", r}});
  Json j;
  j["annotations"] = LabelsJson(st.alert.annotations);
  j["endsAt"] = FormatTime(st.alert.ends_at);
  j["fingerprint"] = FingerprintString(st.alert.fingerprint());
  j["receivers"] = std::move(receivers);
  j["startsAt"] = FormatTime(st.alert.starts_at);
  j["status"] = {{"inhibitedBy", st.inhibited_by},
                 {"silencedBy", st.silenced_by},
                 {"state", st.state}};
  j["updatedAt"] = FormatTime(st.alert.updated_at);
  if (!st.alert.generator_url.empty()) j["generatorURL"] = st.alert.generator_url;
  j["labels"] = LabelsJson(st.alert.labels);
  return j;
}

Json MatcherJson(const model::Matcher& m) {
  const bool regex =
      m.type() == model::MatchType::kRegexMatch || m.type() == model::MatchType::kRegexNoMatch;
  const bool equal =
      m.type() == model::MatchType::kEqual || m.type() == model::MatchType::kRegexMatch;
  return {{"isEqual", equal}, {"isRegex", regex}, {"name", m.name()}, {"value", m.value()}};
}

Json SilenceJson(const Silence& s, TimePoint now) {
  Json matchers = Json::array();
  for (const auto& m : s.matchers) matchers.push_back(MatcherJson(m));
  Json j;
  j["id"] = s.id;
  j["status"] = {{"state", SilenceStateName(s.StateAt(now))}};
  j["updatedAt"] = FormatTime(s.updated_at);
  j["comment"] = s.comment;
  j["createdBy"] = s.created_by;
  j["endsAt"] = FormatTime(s.ends_at);
  j["matchers"] = std::move(matchers);
  j["startsAt"] = FormatTime(s.starts_at);
  return j;
}

// A JSON body; a syntax error names its line and column. (nlohmann::json
// reports where only through its exception, caught here.)
Result<Json> ParseBody(const http::Request& req) {
  try {
    return Json::parse(req.body);
  } catch (const Json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 25: ..."
    std::string_view what = e.what();
    if (auto p = what.find("] "); what.starts_with("[json.") && p != what.npos) {
      what.remove_prefix(p + 2);
    }
    return InvalidArgumentError("request body is not valid JSON: " + std::string(what));
  }
}

// Boolean query parameters (default `def`): true/false/1/0.
Result<bool> BoolParam(const http::Request& req, const std::string& name, bool def) {
  auto it = req.params.find(name);
  if (it == req.params.end()) return def;
  const std::string& v = it->second;
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return InvalidArgumentError("parameter " + name + ": \"" + v + "\" is not true or false");
}

// `filter` parameters, each in Alertmanager's matcher syntax.
Result<std::vector<model::Matcher>> FilterParam(const http::Request& req) {
  std::vector<model::Matcher> out;
  auto [b, e] = req.params.equal_range("filter");
  for (auto it = b; it != e; ++it) {
    auto ms = ParseMatchers(it->second);
    if (!ms.ok()) {
      return InvalidArgumentError("parameter filter \"" + it->second +
                                  "\": " + std::string(ms.status().message()));
    }
    for (auto& m : *ms) out.push_back(std::move(m));
  }
  return out;
}

// `receiver`: an anchored regular expression over receiver names.
Result<std::optional<model::Matcher>> ReceiverParam(const http::Request& req) {
  auto it = req.params.find("receiver");
  if (it == req.params.end()) return std::optional<model::Matcher>();
  auto m = model::Matcher::Make(model::MatchType::kRegexMatch, "receiver", it->second);
  if (!m.ok()) {
    return InvalidArgumentError("parameter receiver: " + std::string(m.status().message()));
  }
  return std::optional<model::Matcher>(*std::move(m));
}

struct AlertFilter {
  bool active = true, silenced = true, inhibited = true, unprocessed = true;
  std::vector<model::Matcher> matchers;
  std::optional<model::Matcher> receiver;
};

Result<AlertFilter> ParseAlertFilter(const http::Request& req, bool with_unprocessed) {
  AlertFilter f;
  {
    auto v = BoolParam(req, "active", true);
    if (!v.ok()) return v.status();
    f.active = *v;
  }
  {
    auto v = BoolParam(req, "silenced", true);
    if (!v.ok()) return v.status();
    f.silenced = *v;
  }
  {
    auto v = BoolParam(req, "inhibited", true);
    if (!v.ok()) return v.status();
    f.inhibited = *v;
  }
  if (with_unprocessed) {
    auto v = BoolParam(req, "unprocessed", true);
    if (!v.ok()) return v.status();
    f.unprocessed = *v;
  }
  auto ms = FilterParam(req);
  if (!ms.ok()) return ms.status();
  f.matchers = *std::move(ms);
  auto r = ReceiverParam(req);
  if (!r.ok()) return r.status();
  f.receiver = *std::move(r);
  return f;
}

// Alertmanager's alertFilter, on an alert's status.
bool Keep(const AlertFilter& f, const AlertStatus& st) {
  if (!MatchesAll(f.matchers, st.alert.labels)) return false;
  if (!f.unprocessed && st.state == "unprocessed") return false;
  if (!f.active && st.state == "active") return false;
  if (!f.silenced && !st.silenced_by.empty()) return false;
  if (!f.inhibited && !st.inhibited_by.empty()) return false;
  return true;
}

bool ReceiverMatches(const AlertFilter& f, const std::string& receiver) {
  return !f.receiver.has_value() || f.receiver->Matches(receiver);
}

Result<Alert> ParsePostableAlert(const Json& j) {
  if (!j.is_object()) return InvalidArgumentError("not an object");
  Alert a;
  auto labels = j.find("labels");
  if (labels == j.end()) return InvalidArgumentError("labels: missing");
  auto ls = ParseLabelObject(*labels, "labels");
  if (!ls.ok()) return ls.status();
  a.labels = *std::move(ls);
  if (auto an = j.find("annotations"); an != j.end() && !an->is_null()) {
    auto as = ParseLabelObject(*an, "annotations");
    if (!as.ok()) return as.status();
    a.annotations = *std::move(as);
  }
  for (auto [field, dst] : {std::pair<const char*, TimePoint*>{"startsAt", &a.starts_at},
                            std::pair<const char*, TimePoint*>{"endsAt", &a.ends_at}}) {
    if (auto t = j.find(field); t != j.end()) {
      auto tp = ParseTime(*t, field);
      if (!tp.ok()) return tp.status();
      *dst = *tp;
    }
  }
  if (auto g = j.find("generatorURL"); g != j.end() && !g->is_null()) {
    if (!g->is_string()) return InvalidArgumentError("generatorURL: not a string");
    a.generator_url = g->get<std::string>();
  }
  return a;
}

Result<Silence> ParsePostableSilence(const Json& j) {
  if (!j.is_object()) return InvalidArgumentError("silence: not an object");
  Silence s;
  auto str = [&](const char* field, bool required, std::string* dst) -> Status {
    auto it = j.find(field);
    if (it == j.end() || it->is_null()) {
      return required ? InvalidArgumentError(std::string(field) + " is required") : Status::OK();
    }
    if (!it->is_string()) return InvalidArgumentError(std::string(field) + ": not a string");
    *dst = it->get<std::string>();
    if (required && dst->empty()) return InvalidArgumentError(std::string(field) + " is required");
    return Status::OK();
  };
  if (Status st = str("id", false, &s.id); !st.ok()) return st;
  if (Status st = str("createdBy", true, &s.created_by); !st.ok()) return st;
  if (Status st = str("comment", true, &s.comment); !st.ok()) return st;
  for (auto [field, dst] : {std::pair<const char*, TimePoint*>{"startsAt", &s.starts_at},
                            std::pair<const char*, TimePoint*>{"endsAt", &s.ends_at}}) {
    auto t = j.find(field);
    if (t == j.end() || t->is_null()) return InvalidArgumentError(std::string(field) + " is required");
    auto tp = ParseTime(*t, field);
    if (!tp.ok()) return tp.status();
    *dst = *tp;
  }
  auto ms = j.find("matchers");
  if (ms == j.end() || !ms->is_array() || ms->empty()) {
    return InvalidArgumentError("matchers: at least one matcher is required");
  }
  for (size_t i = 0; i < ms->size(); ++i) {
    const Json& m = (*ms)[i];
    const std::string where = "matchers[" + std::to_string(i) + "]";
    if (!m.is_object()) return InvalidArgumentError(where + ": not an object");
    auto name = m.find("name");
    auto value = m.find("value");
    auto is_regex = m.find("isRegex");
    auto is_equal = m.find("isEqual");
    if (name == m.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
      return InvalidArgumentError(where + ".name: a non-empty string is required");
    }
    if (value == m.end() || !value->is_string()) {
      return InvalidArgumentError(where + ".value: a string is required");
    }
    if (is_regex == m.end() || !is_regex->is_boolean()) {
      return InvalidArgumentError(where + ".isRegex: true or false is required");
    }
    if (is_equal != m.end() && !is_equal->is_null() && !is_equal->is_boolean()) {
      return InvalidArgumentError(where + ".isEqual: not true or false");
    }
    const bool regex = is_regex->get<bool>();
    const bool equal = is_equal == m.end() || is_equal->is_null() || is_equal->get<bool>();
    const model::MatchType type = regex ? (equal ? model::MatchType::kRegexMatch
                                                 : model::MatchType::kRegexNoMatch)
                                        : (equal ? model::MatchType::kEqual
                                                 : model::MatchType::kNotEqual);
    auto matcher = model::Matcher::Make(type, name->get<std::string>(), value->get<std::string>());
    if (!matcher.ok()) {
      return InvalidArgumentError(where + ": " + std::string(matcher.status().message()));
    }
    s.matchers.push_back(*std::move(matcher));
  }
  return s;
}

// Alertmanager's SortSilences: active by end, then pending by start, then
// expired by end, latest first.
void SortSilences(std::vector<Silence>* silences, TimePoint now) {
  std::stable_sort(silences->begin(), silences->end(), [now](const Silence& a, const Silence& b) {
    const SilenceState sa = a.StateAt(now), sb = b.StateAt(now);
    if (sa != sb) {
      auto rank = [](SilenceState s) {
        return s == SilenceState::kActive ? 0 : s == SilenceState::kPending ? 1 : 2;
      };
      return rank(sa) < rank(sb);
    }
    switch (sa) {
      case SilenceState::kActive:
        return a.ends_at < b.ends_at;
      case SilenceState::kPending:
        return a.starts_at < b.starts_at;
      case SilenceState::kExpired:
        return a.ends_at > b.ends_at;
    }
    return false;
  });
}

// Alertmanager 0.25's CheckSilenceMatchesFilterLabels: every filter
// matcher has a matcher of the silence with its name, type and value.
bool SilenceMatchesFilter(const Silence& s, const std::vector<model::Matcher>& filter) {
  for (const model::Matcher& f : filter) {
    const bool found = std::any_of(s.matchers.begin(), s.matchers.end(), [&](const model::Matcher& m) {
      return m.name() == f.name() && m.type() == f.type() && m.value() == f.value();
    });
    if (!found) return false;
  }
  return true;
}

}  // namespace

Api::Api(ApiOptions options) : options_(std::move(options)) {}

TimePoint Api::Now() const { return options_.clock ? options_.clock() : Clock::now(); }

void Api::Register(http::Server* server) {
  auto bind = [this](void (Api::*fn)(const http::Request&, http::Response*)) {
    return [this, fn](const http::Request& q, http::Response* r) { (this->*fn)(q, r); };
  };
  server->Handle("POST", "/api/v2/alerts", bind(&Api::PostAlerts));
  server->Handle("GET", "/api/v2/alerts", bind(&Api::GetAlerts));
  server->Handle("GET", "/api/v2/alerts/groups", bind(&Api::GetAlertGroups));
  server->Handle("GET", "/api/v2/alerts/history", bind(&Api::GetHistory));
  server->Handle("GET", "/api/v2/silences", bind(&Api::GetSilences));
  server->Handle("POST", "/api/v2/silences", bind(&Api::PostSilences));
  server->Handle("GET", "/api/v2/silence/{id}", bind(&Api::GetSilence));
  server->Handle("DELETE", "/api/v2/silence/{id}", bind(&Api::DeleteSilence));
  server->Handle("GET", "/api/v2/receivers", bind(&Api::GetReceivers));
  server->Handle("GET", "/api/v2/status", bind(&Api::GetStatus));
}

void Api::PostAlerts(const http::Request& req, http::Response* res) {
  auto body = ParseBody(req);
  if (!body.ok()) return WriteError(res, 400, body.status().message());
  if (!body->is_array()) return WriteError(res, 400, "request body: not a JSON array of alerts");
  std::vector<Alert> alerts;
  alerts.reserve(body->size());
  for (size_t i = 0; i < body->size(); ++i) {
    auto a = ParsePostableAlert((*body)[i]);
    if (!a.ok()) {
      return WriteError(res, 400, "alert " + std::to_string(i) + ": " +
                                      std::string(a.status().message()));
    }
    alerts.push_back(*std::move(a));
  }
  Status s = options_.manager->PutAlerts(std::move(alerts), Now());
  if (s.code() == StatusCode::kInvalidArgument) return WriteError(res, 400, s.message());
  if (!s.ok()) return WriteError(res, 500, s.message());
  res->status = 200;
  res->content_type = "application/json";
  res->body.clear();
}

void Api::GetAlerts(const http::Request& req, http::Response* res) {
  auto f = ParseAlertFilter(req, true);
  if (!f.ok()) return WriteError(res, 400, f.status().message());
  std::vector<AlertStatus> all = options_.manager->Alerts(Now());
  std::sort(all.begin(), all.end(), [](const AlertStatus& a, const AlertStatus& b) {
    return a.alert.fingerprint() < b.alert.fingerprint();
  });
  Json out = Json::array();
  for (const AlertStatus& st : all) {
    if (!Keep(*f, st)) continue;
    if (f->receiver.has_value() &&
        std::none_of(st.receivers.begin(), st.receivers.end(),
                     [&](const std::string& r) { return f->receiver->Matches(r); })) {
      continue;
    }
    out.push_back(AlertJson(st));
  }
  WriteJson(res, 200, out);
}

void Api::GetAlertGroups(const http::Request& req, http::Response* res) {
  auto f = ParseAlertFilter(req, false);
  if (!f.ok()) return WriteError(res, 400, f.status().message());
  const TimePoint now = Now();
  std::vector<GroupSnapshot> groups = options_.manager->Groups();
  std::sort(groups.begin(), groups.end(), [](const GroupSnapshot& a, const GroupSnapshot& b) {
    if (a.group_labels == b.group_labels) return a.receiver < b.receiver;
    return a.group_labels < b.group_labels;
  });
  Json out = Json::array();
  for (GroupSnapshot& g : groups) {
    if (!ReceiverMatches(*f, g.receiver)) continue;
    std::sort(g.alerts.begin(), g.alerts.end(), AlertBefore);
    Json alerts = Json::array();
    for (Alert& a : g.alerts) {
      if (a.ResolvedAt(now)) continue;
      AlertStatus st = options_.manager->StatusOf(std::move(a), now);
      if (Keep(*f, st)) alerts.push_back(AlertJson(st));
    }
    if (alerts.empty()) continue;
    Json j;
    j["alerts"] = std::move(alerts);
    j["labels"] = LabelsJson(g.group_labels);
    j["receiver"] = {{"name", g.receiver}};
    out.push_back(std::move(j));
  }
  WriteJson(res, 200, out);
}

void Api::GetSilences(const http::Request& req, http::Response* res) {
  auto filter = FilterParam(req);
  if (!filter.ok()) return WriteError(res, 400, filter.status().message());
  const TimePoint now = Now();
  std::vector<Silence> all = options_.manager->silences().List();
  SortSilences(&all, now);
  Json out = Json::array();
  for (const Silence& s : all) {
    if (SilenceMatchesFilter(s, *filter)) out.push_back(SilenceJson(s, now));
  }
  WriteJson(res, 200, out);
}

void Api::PostSilences(const http::Request& req, http::Response* res) {
  auto body = ParseBody(req);
  if (!body.ok()) return WriteError(res, 400, body.status().message());
  auto sil = ParsePostableSilence(*body);
  if (!sil.ok()) return WriteError(res, 400, sil.status().message());
  const TimePoint now = Now();
  if (sil->starts_at >= sil->ends_at) {
    return WriteError(res, 400, "failed to create silence: start time must be before end time");
  }
  if (sil->ends_at < now) {
    return WriteError(res, 400, "failed to create silence: end time can't be in the past");
  }
  auto id = options_.manager->silences().Set(*std::move(sil), now);
  if (!id.ok()) {
    const int code = id.status().code() == StatusCode::kNotFound          ? 404
                     : id.status().code() == StatusCode::kInvalidArgument ? 400
                                                                          : 500;
    return WriteError(res, code, id.status().message());
  }
  WriteJson(res, 200, {{"silenceID", *id}});
}

void Api::GetSilence(const http::Request& req, http::Response* res) {
  const std::string& id = req.path_params.at("id");
  auto s = options_.manager->silences().Get(id);
  if (!s.ok()) return WriteError(res, 404, s.status().message());
  WriteJson(res, 200, SilenceJson(*s, Now()));
}

void Api::DeleteSilence(const http::Request& req, http::Response* res) {
  const std::string& id = req.path_params.at("id");
  Status s = options_.manager->silences().Expire(id, Now());
  if (s.code() == StatusCode::kNotFound) return WriteError(res, 404, s.message());
  if (s.code() == StatusCode::kFailedPrecondition) return WriteError(res, 400, s.message());
  if (!s.ok()) return WriteError(res, 500, s.message());
  res->status = 200;
  res->content_type = "application/json";
  res->body.clear();
}

void Api::GetReceivers(const http::Request&, http::Response* res) {
  auto cfg = options_.manager->config();
  Json out = Json::array();
  for (const Receiver& r : cfg->receivers) out.push_back({{"name", r.name}});
  WriteJson(res, 200, out);
}

void Api::GetStatus(const http::Request&, http::Response* res) {
  auto cfg = options_.manager->config();
  Json j;
  j["cluster"] = {{"peers", Json::array()}, {"status", "disabled"}};
  j["config"] = {{"original", RedactedYaml(*cfg)}};
  j["uptime"] = FormatTime(options_.manager->start_time());
  j["versionInfo"] = {{"branch", ""},      {"buildDate", ""}, {"buildUser", ""},
                      {"goVersion", ""},   {"revision", ""},  {"version", options_.version}};
  WriteJson(res, 200, j);
}

void Api::GetHistory(const http::Request& req, http::Response* res) {
  HistoryQuery q;
  for (auto [name, dst] : {std::pair<const char*, TimePoint*>{"since", &q.since},
                           std::pair<const char*, TimePoint*>{"until", &q.until}}) {
    auto it = req.params.find(name);
    if (it == req.params.end()) continue;
    auto t = ParseTime(Json(it->second), std::string("parameter ") + name);
    if (!t.ok()) return WriteError(res, 400, t.status().message());
    *dst = *t;
  }
  if (auto it = req.params.find("event"); it != req.params.end()) q.event = it->second;
  if (auto it = req.params.find("alertname"); it != req.params.end()) q.alertname = it->second;
  if (auto it = req.params.find("fingerprint"); it != req.params.end()) q.fingerprint = it->second;
  if (auto it = req.params.find("limit"); it != req.params.end()) {
    const std::string& v = it->second;
    int limit = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), limit);
    if (ec != std::errc() || p != v.data() + v.size() || limit <= 0) {
      return WriteError(res, 400, "parameter limit: \"" + v + "\" is not a positive integer");
    }
    q.limit = limit;
  }
  auto events = options_.manager->history().Query(q);
  if (!events.ok()) return WriteError(res, 500, events.status().message());
  Json out = Json::array();
  for (const HistoryEvent& e : *events) {
    Json j;
    j["time"] = FormatTime(e.time);
    j["event"] = e.event;
    j["fingerprint"] = FingerprintString(e.fingerprint);
    j["labels"] = LabelsJson(e.labels);
    if (!e.receiver.empty()) j["receiver"] = e.receiver;
    if (!e.detail.empty()) j["detail"] = e.detail;
    out.push_back(std::move(j));
  }
  WriteJson(res, 200, out);
}

}  // namespace vigil::alertmanager
