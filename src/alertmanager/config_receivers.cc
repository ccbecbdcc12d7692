// Receivers and their integrations (Alertmanager 0.25's config/notifiers.go
// and the receiver part of config.go), plus prometheus/common's http_config
// subset (config.h HttpConfig).

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <climits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/config_internal.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace vigil::alertmanager::internal {
namespace {

// Alertmanager's notifier defaults (config/notifiers.go, notify/*).
constexpr std::string_view kEmailHtml = R"({{ template "email.default.html" . }})";
constexpr std::string_view kEmailSubject = R"({{ template "email.default.subject" . }})";
constexpr std::string_view kPagerdutyDescription =
    R"({{ template "pagerduty.default.description" .}})";
constexpr std::string_view kPagerdutyClient = R"({{ template "pagerduty.default.client" . }})";
constexpr std::string_view kPagerdutyClientUrl =
    R"({{ template "pagerduty.default.clientURL" . }})";
constexpr std::string_view kPagerdutySeverity = "error";

const std::map<std::string, std::string>& PagerdutyDetails() {
  static const std::map<std::string, std::string> k = {
      {"firing", R"({{ template "pagerduty.default.instances" .Alerts.Firing }})"},
      {"resolved", R"({{ template "pagerduty.default.instances" .Alerts.Resolved }})"},
      {"num_firing", R"({{ .Alerts.Firing | len }})"},
      {"num_resolved", R"({{ .Alerts.Resolved | len }})"},
  };
  return k;
}

SlackConfig DefaultSlackConfig() {
  SlackConfig s;
  s.send_resolved = false;
  s.color = R"({{ if eq .Status "firing" }}danger{{ else }}good{{ end }})";
  s.username = R"({{ template "slack.default.username" . }})";
  s.title = R"({{ template "slack.default.title" . }})";
  s.title_link = R"({{ template "slack.default.titlelink" . }})";
  s.icon_emoji = R"({{ template "slack.default.iconemoji" . }})";
  s.icon_url = R"({{ template "slack.default.iconurl" . }})";
  s.pretext = R"({{ template "slack.default.pretext" . }})";
  s.text = R"({{ template "slack.default.text" . }})";
  s.fallback = R"({{ template "slack.default.fallback" . }})";
  s.callback_id = R"({{ template "slack.default.callbackid" . }})";
  s.footer = R"({{ template "slack.default.footer" . }})";
  return s;
}

// Integrations a 0.25-era (or later) Alertmanager knows and vigil lacks.
const std::set<std::string_view>& UnsupportedIntegrations() {
  static const std::set<std::string_view> k = {
      "opsgenie_configs",   "wechat_configs",    "pushover_configs", "victorops_configs",
      "sns_configs",        "telegram_configs",  "webex_configs",    "discord_configs",
      "msteams_configs",    "msteamsv2_configs", "jira_configs",     "rocketchat_configs",
      "mattermost_configs", "incidentio_configs"};
  return k;
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string TrimSpace(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// textproto.CanonicalMIMEHeaderKey: "content-type" -> "Content-Type";
// names with characters outside a header token are returned unchanged.
std::string CanonicalHeader(std::string_view h) {
  static constexpr std::string_view kTokenPunct = "!#$%&'*+-.^_`|~";
  for (char c : h) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        kTokenPunct.find(c) == std::string_view::npos) {
      return std::string(h);
    }
  }
  std::string out(h);
  bool upper = true;
  for (char& c : out) {
    c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c))
                                : std::tolower(static_cast<unsigned char>(c)));
    upper = c == '-';
  }
  return out;
}

// Reads integration after integration; shares the parser's helpers.
class Integrations {
 public:
  Integrations(const Parser& p, const GlobalConfig& g) : p_(p), r_(p.reader()), g_(g) {}

  Status Webhook(const YAML::Node& item, WebhookConfig* out) const;
  Status Slack(const YAML::Node& item, SlackConfig* out) const;
  Status Email(const YAML::Node& item, EmailConfig* out) const;
  Status Pagerduty(const YAML::Node& item, PagerdutyConfig* out) const;
  Status Log(const YAML::Node& item, LogConfig* out) const;

  // `tls_config`'s supported subset.
  Status Tls(std::string_view what, const YAML::Node& key, const YAML::Node& v,
             std::string* ca_file, std::string* cert_file, std::string* key_file,
             bool* insecure_skip_verify) const;
  // A mapping of strings (headers, details).
  Status StringMap(std::string_view field, const YAML::Node& key, const YAML::Node& v,
                   const std::function<Status(const std::string& name, const YAML::Node& k,
                                              std::string value)>& fn) const;

 private:
  Status Error(const YAML::Mark& m, std::string_view msg) const { return p_.Error(m, msg); }
  Status Error(const YAML::Node& key, const YAML::Node& v, std::string_view msg) const {
    return p_.Error(key, v, msg);
  }
  // A `*_file` variant of a value.
  Status FileVariant(const YAML::Node& k, const std::string& name, std::string_view what) const {
    return p_.NotSupported(k, name, what, "write the value inline");
  }

  const Parser& p_;
  const model::YamlReader& r_;
  const GlobalConfig& g_;
};

Status Integrations::StringMap(
    std::string_view field, const YAML::Node& key, const YAML::Node& v,
    const std::function<Status(const std::string&, const YAML::Node&, std::string)>& fn) const {
  return r_.Fields(
      key, v, field,
      [&](const std::string& name, const YAML::Node& k, const YAML::Node& val) -> Status {
        VIGIL_ASSIGN_OR_RETURN(std::string s, r_.String(std::string(field) + "." + name, k, val));
        return fn(name, k, std::move(s));
      });
}

Status Integrations::Tls(std::string_view what, const YAML::Node& key, const YAML::Node& v,
                         std::string* ca_file, std::string* cert_file, std::string* key_file,
                         bool* insecure_skip_verify) const {
  VIGIL_RETURN_IF_ERROR(r_.Fields(
      key, v, what,
      [&](const std::string& name, const YAML::Node& k, const YAML::Node& val) -> Status {
        if (name == "ca_file") {
          VIGIL_ASSIGN_OR_RETURN(*ca_file, r_.String(name, k, val));
          *ca_file = p_.ResolvePath(*ca_file);
        } else if (name == "cert_file") {
          VIGIL_ASSIGN_OR_RETURN(*cert_file, r_.String(name, k, val));
          *cert_file = p_.ResolvePath(*cert_file);
        } else if (name == "key_file") {
          VIGIL_ASSIGN_OR_RETURN(*key_file, r_.String(name, k, val));
          *key_file = p_.ResolvePath(*key_file);
        } else if (name == "insecure_skip_verify") {
          VIGIL_ASSIGN_OR_RETURN(*insecure_skip_verify, r_.Bool(name, k, val));
        } else if (name == "ca" || name == "cert" || name == "key" || name == "server_name" ||
                   name == "min_version" || name == "max_version") {
          return p_.NotSupported(k, name, what);
        } else {
          return r_.Unknown(k, name, what);
        }
        return Status::OK();
      }));
  if (cert_file->empty() != key_file->empty()) {
    return Error(key, v, std::string(what) + ": cert_file and key_file must be set together");
  }
  return Status::OK();
}

Status Integrations::Webhook(const YAML::Node& item, WebhookConfig* out) const {
  constexpr std::string_view kWhat = "webhook_configs";
  WebhookConfig w;
  bool have_http_config = false;
  VIGIL_RETURN_IF_ERROR(
      r_.Fields(item, item, kWhat,
                [&](const std::string& name, const YAML::Node& k, const YAML::Node& val) -> Status {
                  if (name == "send_resolved") {
                    VIGIL_ASSIGN_OR_RETURN(w.send_resolved, r_.Bool(name, k, val));
                  } else if (name == "url") {
                    VIGIL_ASSIGN_OR_RETURN(w.url.value, p_.Url(name, k, val, /*secret=*/true));
                  } else if (name == "max_alerts") {
                    VIGIL_ASSIGN_OR_RETURN(uint64_t n, r_.Uint(name, k, val));
                    if (n > static_cast<uint64_t>(INT_MAX)) {
                      return Error(k, val, "max_alerts: " + std::to_string(n) + " is too large");
                    }
                    w.max_alerts = static_cast<int>(n);
                  } else if (name == "http_config") {
                    VIGIL_RETURN_IF_ERROR(p_.HttpConfigNode(name, k, val, &w.http_config));
                    have_http_config = true;
                  } else if (name == "url_file") {
                    return FileVariant(k, name, kWhat);
                  } else if (name == "timeout") {
                    return p_.NotSupported(k, name, kWhat);
                  } else {
                    return r_.Unknown(k, name, kWhat);
                  }
                  return Status::OK();
                }));
  if (w.url.empty()) return Error(item.Mark(), "webhook_configs: missing url");
  if (!have_http_config) w.http_config = g_.http_config;
  *out = std::move(w);
  return Status::OK();
}

Status Integrations::Slack(const YAML::Node& item, SlackConfig* out) const {
  constexpr std::string_view kWhat = "slack_configs";
  SlackConfig s = DefaultSlackConfig();
  bool have_http_config = false;
  auto text = [&](const std::string& name, const YAML::Node& k, const YAML::Node& val,
                  std::string* field) -> Status {
    VIGIL_ASSIGN_OR_RETURN(*field, r_.String(name, k, val));
    return Status::OK();
  };
  VIGIL_RETURN_IF_ERROR(r_.Fields(
      item, item, kWhat,
      [&](const std::string& name, const YAML::Node& k, const YAML::Node& val) -> Status {
        static const std::map<std::string, std::string SlackConfig::*> kText = {
            {"channel", &SlackConfig::channel},
            {"username", &SlackConfig::username},
            {"color", &SlackConfig::color},
            {"title", &SlackConfig::title},
            {"title_link", &SlackConfig::title_link},
            {"pretext", &SlackConfig::pretext},
            {"text", &SlackConfig::text},
            {"fallback", &SlackConfig::fallback},
            {"footer", &SlackConfig::footer},
            {"icon_emoji", &SlackConfig::icon_emoji},
            {"icon_url", &SlackConfig::icon_url},
            {"callback_id", &SlackConfig::callback_id},
            {"image_url", &SlackConfig::image_url},
            {"thumb_url", &SlackConfig::thumb_url},
        };
        if (auto it = kText.find(name); it != kText.end())
          return text(name, k, val, &(s.*(it->second)));
        if (name == "send_resolved") {
          VIGIL_ASSIGN_OR_RETURN(s.send_resolved, r_.Bool(name, k, val));
        } else if (name == "api_url") {
          VIGIL_ASSIGN_OR_RETURN(s.api_url.value, p_.Url(name, k, val, /*secret=*/true));
        } else if (name == "http_config") {
          VIGIL_RETURN_IF_ERROR(p_.HttpConfigNode(name, k, val, &s.http_config));
          have_http_config = true;
        } else if (name == "short_fields") {
          VIGIL_ASSIGN_OR_RETURN(s.short_fields, r_.Bool(name, k, val));
        } else if (name == "link_names") {
          VIGIL_ASSIGN_OR_RETURN(s.link_names, r_.Bool(name, k, val));
        } else if (name == "mrkdwn_in") {
          VIGIL_ASSIGN_OR_RETURN(s.mrkdwn_in, r_.StringList(name, k, val));
        } else if (name == "fields") {
          return p_.List(name, k, val, [&](const YAML::Node& f) -> Status {
            SlackField field;
            VIGIL_RETURN_IF_ERROR(r_.Fields(
                f, f, "slack field",
                [&](const std::string& n, const YAML::Node& fk, const YAML::Node& fv) -> Status {
                  if (n == "title") return text(n, fk, fv, &field.title);
                  if (n == "value") return text(n, fk, fv, &field.value);
                  if (n == "short") {
                    VIGIL_ASSIGN_OR_RETURN(field.short_field, r_.Bool(n, fk, fv));
                    return Status::OK();
                  }
                  return r_.Unknown(fk, n, "slack field");
                }));
            if (field.title.empty()) return Error(f.Mark(), "slack field: missing title");
            if (field.value.empty()) return Error(f.Mark(), "slack field: missing value");
            s.fields.push_back(std::move(field));
            return Status::OK();
          });
        } else if (name == "actions") {
          return p_.List(name, k, val, [&](const YAML::Node& a) -> Status {
            SlackAction action;
            VIGIL_RETURN_IF_ERROR(r_.Fields(
                a, a, "slack action",
                [&](const std::string& n, const YAML::Node& ak, const YAML::Node& av) -> Status {
                  if (n == "type") return text(n, ak, av, &action.type);
                  if (n == "text") return text(n, ak, av, &action.text);
                  if (n == "url") return text(n, ak, av, &action.url);
                  if (n == "style") return text(n, ak, av, &action.style);
                  if (n == "name") return text(n, ak, av, &action.name);
                  if (n == "value") return text(n, ak, av, &action.value);
                  if (n != "confirm") return r_.Unknown(ak, n, "slack action");
                  SlackConfirmationField c;
                  VIGIL_RETURN_IF_ERROR(r_.Fields(ak, av, "slack confirm",
                                                  [&](const std::string& cn, const YAML::Node& ck,
                                                      const YAML::Node& cv) -> Status {
                                                    if (cn == "text")
                                                      return text(cn, ck, cv, &c.text);
                                                    if (cn == "title")
                                                      return text(cn, ck, cv, &c.title);
                                                    if (cn == "ok_text")
                                                      return text(cn, ck, cv, &c.ok_text);
                                                    if (cn == "dismiss_text")
                                                      return text(cn, ck, cv, &c.dismiss_text);
                                                    return r_.Unknown(ck, cn, "slack confirm");
                                                  }));
                  if (c.text.empty()) return Error(ak, av, "slack confirm: missing text");
                  action.confirm = std::move(c);
                  return Status::OK();
                }));
            if (action.type.empty()) return Error(a.Mark(), "slack action: missing type");
            if (action.text.empty()) return Error(a.Mark(), "slack action: missing text");
            if (!action.url.empty()) {
              // A link button: message-action fields do not apply.
              action.name.clear();
              action.value.clear();
              action.confirm.reset();
            } else if (action.name.empty()) {
              return Error(a.Mark(), "slack action: missing name or url");
            }
            s.actions.push_back(std::move(action));
            return Status::OK();
          });
        } else if (name == "api_url_file") {
          return FileVariant(k, name, kWhat);
        } else {
          return r_.Unknown(k, name, kWhat);
        }
        return Status::OK();
      }));
  if (s.api_url.empty()) {
    if (g_.slack_api_url.empty()) {
      return Error(item.Mark(), "slack_configs: no api_url set, and no global slack_api_url");
    }
    s.api_url = g_.slack_api_url;
  }
  if (s.mrkdwn_in.empty()) s.mrkdwn_in = {"fallback", "pretext", "text"};
  if (!have_http_config) s.http_config = g_.http_config;
  *out = std::move(s);
  return Status::OK();
}

Status Integrations::Email(const YAML::Node& item, EmailConfig* out) const {
  constexpr std::string_view kWhat = "email_configs";
  EmailConfig e;
  e.send_resolved = false;
  e.html = kEmailHtml;
  bool have_require_tls = false;
  std::map<std::string, std::string> headers;
  VIGIL_RETURN_IF_ERROR(r_.Fields(
      item, item, kWhat,
      [&](const std::string& name, const YAML::Node& k, const YAML::Node& val) -> Status {
        static const std::map<std::string, std::string EmailConfig::*> kText = {
            {"to", &EmailConfig::to},
            {"from", &EmailConfig::from},
            {"hello", &EmailConfig::hello},
            {"auth_username", &EmailConfig::auth_username},
            {"auth_identity", &EmailConfig::auth_identity},
            {"html", &EmailConfig::html},
            {"text", &EmailConfig::text},
        };
        if (auto it = kText.find(name); it != kText.end()) {
          VIGIL_ASSIGN_OR_RETURN(e.*(it->second), r_.String(name, k, val));
        } else if (name == "send_resolved") {
          VIGIL_ASSIGN_OR_RETURN(e.send_resolved, r_.Bool(name, k, val));
        } else if (name == "smarthost") {
          VIGIL_ASSIGN_OR_RETURN(e.smarthost, r_.String(name, k, val));
          if (!e.smarthost.empty()) {
            if (Status st = CheckHostPort(e.smarthost); !st.ok()) {
              return Error(k, val, "smarthost: " + std::string(st.message()));
            }
          }
        } else if (name == "auth_password") {
          VIGIL_ASSIGN_OR_RETURN(e.auth_password.value, r_.String(name, k, val));
        } else if (name == "auth_secret") {
          VIGIL_ASSIGN_OR_RETURN(e.auth_secret.value, r_.String(name, k, val));
        } else if (name == "require_tls") {
          VIGIL_ASSIGN_OR_RETURN(e.require_tls, r_.Bool(name, k, val));
          have_require_tls = true;
        } else if (name == "tls_config") {
          return Tls(name, k, val, &e.tls_ca_file, &e.tls_cert_file, &e.tls_key_file,
                     &e.tls_insecure_skip_verify);
        } else if (name == "headers") {
          // Header names are case-insensitive: collisions are errors.
          return StringMap(
              name, k, val,
              [&](const std::string& h, const YAML::Node& hk, std::string value) -> Status {
                std::string canonical = CanonicalHeader(h);
                if (!headers.emplace(canonical, std::move(value)).second) {
                  return Error(hk.Mark(),
                               "duplicate header " + Quote(canonical) + " in email_configs");
                }
                return Status::OK();
              });
        } else if (name == "auth_password_file" || name == "auth_secret_file") {
          return FileVariant(k, name, kWhat);
        } else {
          return r_.Unknown(k, name, kWhat);
        }
        return Status::OK();
      }));
  if (e.to.empty()) return Error(item.Mark(), "email_configs: missing to address");
  // Global defaults (config.go), then the headers the notifier adds.
  if (e.smarthost.empty()) {
    if (g_.smtp_smarthost.empty()) {
      return Error(item.Mark(), "email_configs: no smarthost set, and no global smtp_smarthost");
    }
    e.smarthost = g_.smtp_smarthost;
  }
  if (e.from.empty()) {
    if (g_.smtp_from.empty()) {
      return Error(item.Mark(), "email_configs: no from address set, and no global smtp_from");
    }
    e.from = g_.smtp_from;
  }
  if (e.hello.empty()) e.hello = g_.smtp_hello;
  if (e.auth_username.empty()) e.auth_username = g_.smtp_auth_username;
  if (e.auth_password.empty()) e.auth_password = g_.smtp_auth_password;
  if (e.auth_secret.empty()) e.auth_secret = g_.smtp_auth_secret;
  if (e.auth_identity.empty()) e.auth_identity = g_.smtp_auth_identity;
  if (!have_require_tls) e.require_tls = g_.smtp_require_tls;
  headers.emplace("Subject", kEmailSubject);
  headers.emplace("To", e.to);
  headers.emplace("From", e.from);
  e.headers = std::move(headers);
  *out = std::move(e);
  return Status::OK();
}

Status Integrations::Pagerduty(const YAML::Node& item, PagerdutyConfig* out) const {
  constexpr std::string_view kWhat = "pagerduty_configs";
  PagerdutyConfig pd;
  pd.send_resolved = true;
  pd.description = kPagerdutyDescription;
  pd.client = kPagerdutyClient;
  pd.client_url = kPagerdutyClientUrl;
  bool have_http_config = false;
  VIGIL_RETURN_IF_ERROR(r_.Fields(
      item, item, kWhat,
      [&](const std::string& name, const YAML::Node& k, const YAML::Node& val) -> Status {
        static const std::map<std::string, std::string PagerdutyConfig::*> kText = {
            {"client", &PagerdutyConfig::client},
            {"client_url", &PagerdutyConfig::client_url},
            {"description", &PagerdutyConfig::description},
            {"source", &PagerdutyConfig::source},
            {"severity", &PagerdutyConfig::severity},
            {"class", &PagerdutyConfig::klass},
            {"component", &PagerdutyConfig::component},
            {"group", &PagerdutyConfig::group},
        };
        if (auto it = kText.find(name); it != kText.end()) {
          VIGIL_ASSIGN_OR_RETURN(pd.*(it->second), r_.String(name, k, val));
        } else if (name == "send_resolved") {
          VIGIL_ASSIGN_OR_RETURN(pd.send_resolved, r_.Bool(name, k, val));
        } else if (name == "routing_key") {
          VIGIL_ASSIGN_OR_RETURN(pd.routing_key.value, r_.String(name, k, val));
        } else if (name == "service_key") {
          VIGIL_ASSIGN_OR_RETURN(pd.service_key.value, r_.String(name, k, val));
        } else if (name == "url") {
          VIGIL_ASSIGN_OR_RETURN(pd.url, p_.Url(name, k, val, /*secret=*/false));
        } else if (name == "http_config") {
          VIGIL_RETURN_IF_ERROR(p_.HttpConfigNode(name, k, val, &pd.http_config));
          have_http_config = true;
        } else if (name == "details") {
          return StringMap(name, k, val,
                           [&](const std::string& d, const YAML::Node&, std::string v) -> Status {
                             pd.details[d] = std::move(v);
                             return Status::OK();
                           });
        } else if (name == "images") {
          return p_.List(name, k, val, [&](const YAML::Node& i) -> Status {
            PagerdutyImage img;
            VIGIL_RETURN_IF_ERROR(
                StringMap("images", i, i,
                          [&](const std::string& f, const YAML::Node& fk, std::string v) -> Status {
                            if (f == "src") {
                              img.src = std::move(v);
                            } else if (f == "alt") {
                              img.alt = std::move(v);
                            } else if (f == "href") {
                              img.href = std::move(v);
                            } else {
                              return r_.Unknown(fk, f, "pagerduty image");
                            }
                            return Status::OK();
                          }));
            pd.images.push_back(std::move(img));
            return Status::OK();
          });
        } else if (name == "links") {
          return p_.List(name, k, val, [&](const YAML::Node& l) -> Status {
            PagerdutyLink link;
            VIGIL_RETURN_IF_ERROR(
                StringMap("links", l, l,
                          [&](const std::string& f, const YAML::Node& fk, std::string v) -> Status {
                            if (f == "href") {
                              link.href = std::move(v);
                            } else if (f == "text") {
                              link.text = std::move(v);
                            } else {
                              return r_.Unknown(fk, f, "pagerduty link");
                            }
                            return Status::OK();
                          }));
            pd.links.push_back(std::move(link));
            return Status::OK();
          });
        } else if (name == "routing_key_file" || name == "service_key_file") {
          return FileVariant(k, name, kWhat);
        } else {
          return r_.Unknown(k, name, kWhat);
        }
        return Status::OK();
      }));
  if (pd.routing_key.empty() && pd.service_key.empty()) {
    return Error(item.Mark(), "pagerduty_configs: missing routing_key or service_key");
  }
  for (const auto& [k, v] : PagerdutyDetails()) pd.details.emplace(k, v);
  if (pd.source.empty()) pd.source = pd.client;
  if (pd.severity.empty()) pd.severity = kPagerdutySeverity;
  if (pd.url.empty()) pd.url = g_.pagerduty_url;
  if (!have_http_config) pd.http_config = g_.http_config;
  *out = std::move(pd);
  return Status::OK();
}

Status Integrations::Log(const YAML::Node& item, LogConfig* out) const {
  constexpr std::string_view kWhat = "log_configs";
  LogConfig l;
  VIGIL_RETURN_IF_ERROR(r_.Fields(
      item, item, kWhat,
      [&](const std::string& name, const YAML::Node& k, const YAML::Node& val) -> Status {
        if (name == "send_resolved") {
          VIGIL_ASSIGN_OR_RETURN(l.send_resolved, r_.Bool(name, k, val));
        } else if (name == "level") {
          VIGIL_ASSIGN_OR_RETURN(l.level, r_.String(name, k, val));
          if (l.level != "debug" && l.level != "info" && l.level != "warn" && l.level != "error") {
            return Error(k, val,
                         "level: " + Quote(l.level) + " is not one of debug, info, warn, error");
          }
        } else if (name == "text") {
          VIGIL_ASSIGN_OR_RETURN(l.text, r_.String(name, k, val));
        } else {
          return r_.Unknown(k, name, kWhat);
        }
        return Status::OK();
      }));
  *out = std::move(l);
  return Status::OK();
}

}  // namespace

Status CheckHostPort(std::string_view s) {
  const std::string quoted = Quote(s);
  std::string_view host, port;
  if (!s.empty() && s.front() == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgumentError("address " + quoted + ": missing ']' in address");
    }
    if (close + 1 >= s.size() || s[close + 1] != ':') {
      return InvalidArgumentError("address " + quoted + ": missing port in address");
    }
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    const size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) {
      return InvalidArgumentError("address " + quoted + ": missing port in address");
    }
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return InvalidArgumentError("address " + quoted + ": too many colons in address");
    }
  }
  if (port.find_first_of(":[]") != std::string_view::npos) {
    return InvalidArgumentError("address " + quoted + ": too many colons in address");
  }
  if (port.empty()) return InvalidArgumentError("address " + quoted + ": port cannot be empty");
  return Status::OK();
}

Status Parser::HttpConfigNode(std::string_view what, const YAML::Node& key, const YAML::Node& v,
                              HttpConfig* out) const {
  HttpConfig h;
  bool basic_auth = false, authorization = false;
  std::string bearer_token;
  Integrations in(*this, c_.global);
  VIGIL_RETURN_IF_ERROR(r_.Fields(
      key, v, what,
      [&](const std::string& name, const YAML::Node& k, const YAML::Node& val) -> Status {
        if (name == "basic_auth") {
          basic_auth = true;
          return r_.Fields(
              k, val, "basic_auth",
              [&](const std::string& n, const YAML::Node& bk, const YAML::Node& bv) -> Status {
                if (n == "username") {
                  VIGIL_ASSIGN_OR_RETURN(h.basic_auth_username, r_.String(n, bk, bv));
                } else if (n == "password") {
                  VIGIL_ASSIGN_OR_RETURN(h.basic_auth_password.value, r_.String(n, bk, bv));
                } else if (n == "password_file" || n == "username_file") {
                  return NotSupported(bk, n, "basic_auth", "write the value inline");
                } else {
                  return r_.Unknown(bk, n, "basic_auth");
                }
                return Status::OK();
              });
        }
        if (name == "authorization") {
          authorization = true;
          return r_.Fields(
              k, val, "authorization",
              [&](const std::string& n, const YAML::Node& ak, const YAML::Node& av) -> Status {
                if (n == "type") {
                  VIGIL_ASSIGN_OR_RETURN(h.authorization_type, r_.String(n, ak, av));
                  // prometheus/common: blank means Bearer; Basic has basic_auth.
                  h.authorization_type = TrimSpace(h.authorization_type);
                  if (h.authorization_type.empty()) h.authorization_type = "Bearer";
                  if (EqualsIgnoreCase(h.authorization_type, "basic")) {
                    return Error(ak, av,
                                 "authorization type cannot be set to \"basic\", use "
                                 "\"basic_auth\" instead");
                  }
                } else if (n == "credentials") {
                  VIGIL_ASSIGN_OR_RETURN(h.authorization_credentials.value, r_.String(n, ak, av));
                } else if (n == "credentials_file") {
                  return NotSupported(ak, n, "authorization", "write the value inline");
                } else {
                  return r_.Unknown(ak, n, "authorization");
                }
                return Status::OK();
              });
        }
        if (name == "bearer_token") {
          VIGIL_ASSIGN_OR_RETURN(bearer_token, r_.String(name, k, val));
        } else if (name == "tls_config") {
          return in.Tls(name, k, val, &h.tls_ca_file, &h.tls_cert_file, &h.tls_key_file,
                        &h.tls_insecure_skip_verify);
        } else if (name == "follow_redirects") {
          VIGIL_ASSIGN_OR_RETURN(h.follow_redirects, r_.Bool(name, k, val));
        } else if (name == "enable_http2") {
          VIGIL_ASSIGN_OR_RETURN(bool ignored, r_.Bool(name, k, val));
          (void)ignored;
        } else if (name == "bearer_token_file") {
          return NotSupported(k, name, what, "write the value inline");
        } else if (name == "oauth2" || name == "proxy_url" || name == "no_proxy" ||
                   name == "proxy_from_environment" || name == "proxy_connect_header") {
          return NotSupported(k, name, what);
        } else {
          return r_.Unknown(k, name, what);
        }
        return Status::OK();
      }));
  if (basic_auth + authorization + !bearer_token.empty() > 1) {
    return Error(key, v,
                 std::string(what) +
                     ": at most one of basic_auth, authorization and bearer_token may be set");
  }
  if (!bearer_token.empty()) {
    h.authorization_type = "Bearer";
    h.authorization_credentials.value = std::move(bearer_token);
  }
  *out = std::move(h);
  return Status::OK();
}

Status Parser::Receivers(const YAML::Node& key, const YAML::Node& v) {
  const Integrations in(*this, c_.global);
  return List("receivers", key, v, [&](const YAML::Node& item) -> Status {
    Receiver rcv;
    YAML::Node name_node;
    // Each integration list: its items read by `read` into `out`.
    auto each = [&](const std::string& field, const YAML::Node& k, const YAML::Node& val, auto read,
                    auto* out) -> Status {
      return List(field, k, val, [&](const YAML::Node& i) -> Status {
        typename std::remove_pointer_t<decltype(out)>::value_type c;
        VIGIL_RETURN_IF_ERROR((in.*read)(i, &c));
        out->push_back(std::move(c));
        return Status::OK();
      });
    };
    VIGIL_RETURN_IF_ERROR(r_.Fields(
        item, item, "receiver",
        [&](const std::string& name, const YAML::Node& k, const YAML::Node& val) -> Status {
          if (name == "name") {
            VIGIL_ASSIGN_OR_RETURN(rcv.name, r_.String(name, k, val));
            name_node = val;
            return Status::OK();
          }
          if (name == "webhook_configs") {
            return each(name, k, val, &Integrations::Webhook, &rcv.webhook_configs);
          }
          if (name == "slack_configs") {
            return each(name, k, val, &Integrations::Slack, &rcv.slack_configs);
          }
          if (name == "email_configs") {
            return each(name, k, val, &Integrations::Email, &rcv.email_configs);
          }
          if (name == "pagerduty_configs") {
            return each(name, k, val, &Integrations::Pagerduty, &rcv.pagerduty_configs);
          }
          if (name == "log_configs") {
            return each(name, k, val, &Integrations::Log, &rcv.log_configs);
          }
          if (UnsupportedIntegrations().count(name) != 0) {
            return Error(k.Mark(), name +
                                       " are not supported by vigil (it has webhook_configs, "
                                       "slack_configs, email_configs, pagerduty_configs and "
                                       "log_configs)");
          }
          return r_.Unknown(k, name, "receiver");
        }));
    if (rcv.name.empty()) return Error(item.Mark(), "missing name in receiver");
    if (!receiver_names_.insert(rcv.name).second) {
      return Error(name_node.Mark(),
                   "notification config name " + Quote(rcv.name) + " is not unique");
    }
    c_.receivers.push_back(std::move(rcv));
    return Status::OK();
  });
}

}  // namespace vigil::alertmanager::internal
