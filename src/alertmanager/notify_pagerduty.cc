#include "alertmanager/notify_pagerduty.h"

#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "alertmanager/notify_util.h"
#include "base/status_macros.h"

namespace vigil::alertmanager {
namespace {

using internal::AppendJsonString;

constexpr size_t kMaxEventBytes = 512000;
constexpr size_t kMaxSummaryRunes = 1024;

const std::string& Or(const std::string& value, const std::string& fallback) {
  return value.empty() ? fallback : value;
}

void AppendMap(std::string_view name, const std::map<std::string, std::string>& m, bool* first,
               std::string* out) {
  if (m.empty()) return;  // omitempty
  if (!*first) out->push_back(',');
  *first = false;
  AppendJsonString(name, out);
  out->append(":{");
  bool f = true;
  for (const auto& [k, v] : m) {
    if (!f) out->push_back(',');
    f = false;
    AppendJsonString(k, out);
    out->push_back(':');
    AppendJsonString(v, out);
  }
  out->push_back('}');
}

struct Event {
  bool v1 = false;
  std::string key;  // routing or service key
  std::string dedup_key;
  std::string event_action;
  std::string summary;  // v2 payload.summary, v1 description
  std::string source, severity, klass, component, group;
  std::map<std::string, std::string> details;
  std::string client, client_url;
};

std::string Encode(const Event& e) {
  std::string out = "{";
  bool first = true;
  if (e.v1) {
    internal::AppendJsonField("service_key", e.key, true, &first, &out);
    internal::AppendJsonField("incident_key", e.dedup_key, true, &first, &out);
    internal::AppendJsonField("event_type", e.event_action, true, &first, &out);
    internal::AppendJsonField("description", e.summary, true, &first, &out);
    out += ",\"event_action\":\"\",\"payload\":null";
    internal::AppendJsonField("client", e.client, true, &first, &out);
    internal::AppendJsonField("client_url", e.client_url, true, &first, &out);
    AppendMap("details", e.details, &first, &out);
  } else {
    internal::AppendJsonField("routing_key", e.key, true, &first, &out);
    internal::AppendJsonField("dedup_key", e.dedup_key, true, &first, &out);
    internal::AppendJsonField("event_action", e.event_action, false, &first, &out);
    out += ",\"payload\":{";
    bool pf = true;
    internal::AppendJsonField("summary", e.summary, false, &pf, &out);
    internal::AppendJsonField("source", e.source, false, &pf, &out);
    internal::AppendJsonField("severity", e.severity, false, &pf, &out);
    internal::AppendJsonField("class", e.klass, true, &pf, &out);
    internal::AppendJsonField("component", e.component, true, &pf, &out);
    internal::AppendJsonField("group", e.group, true, &pf, &out);
    AppendMap("custom_details", e.details, &pf, &out);
    out += '}';
    internal::AppendJsonField("client", e.client, true, &first, &out);
    internal::AppendJsonField("client_url", e.client_url, true, &first, &out);
  }
  out += "}\n";
  return out;
}

// One pagerduty_configs entry. Thread-safe: its state is constant.
class PagerdutyNotifier final : public Notifier {
 public:
  PagerdutyNotifier(PagerdutyConfig config, HttpConfig http,
                    std::shared_ptr<const Templates> templates, std::string v1_url)
      : config_(std::move(config)),
        http_(std::move(http)),
        templates_(std::move(templates)),
        v1_url_(std::move(v1_url)) {}

  std::string_view integration() const override { return "pagerduty"; }
  bool send_resolved() const override { return config_.send_resolved; }

  Status Notify(const NotifyContext& ctx, const NotificationData& data) override {
    VIGIL_ASSIGN_OR_RETURN(
        std::string body, BuildPagerdutyMessage(config_, *templates_, data, GroupKeyOf(ctx, data)));
    const bool v1 = !config_.service_key.empty();
    internal::PostOptions opts;
    opts.what = "pagerduty";
    opts.http_config = &http_;
    opts.timeout = ctx.timeout;
    Result<internal::PostResult> r = internal::PostJson(v1 ? v1_url_ : config_.url, body, opts);
    if (!r.ok()) return r.status();
    std::string details;
    if (r->status == 400) {
      // PagerDuty explains a 400: {"status":..,"message":..,"errors":[..]}.
      const nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
      if (j.is_object()) {
        std::string errors;
        if (j.contains("errors") && j["errors"].is_array()) {
          for (const auto& e : j["errors"]) {
            if (!e.is_string()) continue;
            if (!errors.empty()) errors += ",";
            errors += e.get<std::string>();
          }
        }
        const std::string message = j.contains("message") && j["message"].is_string()
                                        ? j["message"].get<std::string>()
                                        : "";
        details = internal::Snippet(message + ": " + errors);
      }
    }
    if (details.empty()) details = internal::Snippet(r->body);
    return internal::CheckHttpStatus("pagerduty", r->status, details, {v1 ? 403 : 429});
  }

 private:
  // Constant after construction.
  const PagerdutyConfig config_;
  const HttpConfig http_;
  const std::shared_ptr<const Templates> templates_;
  const std::string v1_url_;
};

}  // namespace

Result<std::string> BuildPagerdutyMessage(const PagerdutyConfig& c, const Templates& templates,
                                          const NotificationData& data,
                                          std::string_view group_key) {
  static const std::string kDescription = R"({{ template "pagerduty.default.description" .}})";
  static const std::string kClient = R"({{ template "pagerduty.default.client" . }})";
  static const std::string kClientUrl = R"({{ template "pagerduty.default.clientURL" . }})";
  static const std::map<std::string, std::string> kDefaultDetails = {
      {"firing", R"({{ template "pagerduty.default.instances" .Alerts.Firing }})"},
      {"resolved", R"({{ template "pagerduty.default.instances" .Alerts.Resolved }})"},
      {"num_firing", R"({{ .Alerts.Firing | len }})"},
      {"num_resolved", R"({{ .Alerts.Resolved | len }})"},
  };

  Event e;
  e.v1 = !c.service_key.empty();
  e.event_action = data.status == "resolved" ? "resolve" : "trigger";
  e.dedup_key = internal::Sha256Hex(group_key);
  internal::Expander tmpl(templates, data, "pagerduty");
  std::map<std::string, std::string> details = kDefaultDetails;
  for (const auto& [k, v] : c.details) details[k] = v;
  for (const auto& [k, v] : details) {
    e.details[k] = tmpl(v, "details " + templating::GoQuote(k));
  }
  e.summary = internal::TruncateRunes(tmpl(Or(c.description, kDescription)), kMaxSummaryRunes);
  if (e.v1) {
    e.key = tmpl(c.service_key.value, "service_key");
    if (e.event_action == "trigger") {
      e.client = tmpl(Or(c.client, kClient));
      e.client_url = tmpl(Or(c.client_url, kClientUrl));
    }
  } else {
    e.client = tmpl(Or(c.client, kClient));
    e.client_url = tmpl(Or(c.client_url, kClientUrl));
    e.key = tmpl(c.routing_key.value, "routing_key");
    e.source = tmpl(Or(c.client, kClient));
    e.severity = tmpl(c.severity.empty() ? std::string("error") : c.severity);
    e.klass = tmpl(c.klass);
    e.component = tmpl(c.component);
    e.group = tmpl(c.group);
  }
  if (!tmpl.status().ok()) return tmpl.status();
  if (e.key.empty()) {
    return InvalidArgumentError(e.v1 ? "pagerduty: service key cannot be empty"
                                     : "pagerduty: routing key cannot be empty");
  }
  std::string out = Encode(e);
  if (out.size() > kMaxEventBytes) {
    e.details = {{"error",
                  "Custom details have been removed because the original event exceeds the "
                  "maximum size of 512KB"}};
    out = Encode(e);
  }
  return out;
}

Result<std::unique_ptr<Notifier>> NewPagerdutyNotifier(const PagerdutyConfig& config,
                                                       const GlobalConfig& global,
                                                       std::shared_ptr<const Templates> templates,
                                                       std::string v1_url) {
  PagerdutyConfig c = config;
  if (c.routing_key.empty() && c.service_key.empty()) {
    return InvalidArgumentError("pagerduty: one of routing_key or service_key must be set");
  }
  if (c.url.empty()) c.url = global.pagerduty_url;
  const std::string& url = c.service_key.empty() ? c.url : v1_url;
  Result<internal::HttpUrl> u = internal::ParseHttpUrl(url, "pagerduty: url");
  if (!u.ok()) return u.status();
  const HttpConfig& http =
      internal::IsDefaultHttpConfig(c.http_config) ? global.http_config : c.http_config;
  return std::unique_ptr<Notifier>(std::make_unique<PagerdutyNotifier>(
      std::move(c), http, std::move(templates), std::move(v1_url)));
}

}  // namespace vigil::alertmanager
