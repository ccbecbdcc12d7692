// RedactedYaml: the parsed configuration written back as YAML with every
// secret shown as "<secret>" (Alertmanager's Config.String(), which
// /api/v2/status serves). Values are the effective ones: integration
// defaults and global settings filled in, each route with what it
// inherited, match/match_re folded into `matchers`. Empty values are left
// out, as Alertmanager's omitempty leaves them. The output loads again with
// ParseConfig ("<secret>" is accepted where a secret URL is expected).

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/config_internal.h"
#include "model/duration.h"

namespace vigil::alertmanager {
namespace {

using internal::kSecretToken;

void Str(YAML::Emitter& e, const char* key, const std::string& v) {
  if (!v.empty()) e << YAML::Key << key << YAML::Value << v;
}

void SecretField(YAML::Emitter& e, const char* key, const Secret& s) {
  if (!s.empty()) e << YAML::Key << key << YAML::Value << std::string(kSecretToken);
}

void BoolField(YAML::Emitter& e, const char* key, bool v) {
  e << YAML::Key << key << YAML::Value << v;
}

void StrList(YAML::Emitter& e, const char* key, const std::vector<std::string>& v) {
  if (v.empty()) return;
  e << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const std::string& s : v) e << s;
  e << YAML::EndSeq;
}

void StrMap(YAML::Emitter& e, const char* key, const std::map<std::string, std::string>& m) {
  if (m.empty()) return;
  e << YAML::Key << key << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : m) e << YAML::Key << k << YAML::Value << v;
  e << YAML::EndMap;
}

void DurationField(YAML::Emitter& e, const char* key, Millis d) {
  e << YAML::Key << key << YAML::Value << model::FormatDuration(d);
}

void Matchers(YAML::Emitter& e, const char* key, const std::vector<model::Matcher>& ms) {
  if (ms.empty()) return;
  e << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const model::Matcher& m : ms) e << m.ToString();
  e << YAML::EndSeq;
}

void Tls(YAML::Emitter& e, const std::string& ca, const std::string& cert, const std::string& key,
         bool insecure) {
  if (ca.empty() && cert.empty() && key.empty() && !insecure) return;
  e << YAML::Key << "tls_config" << YAML::Value << YAML::BeginMap;
  Str(e, "ca_file", ca);
  Str(e, "cert_file", cert);
  Str(e, "key_file", key);
  if (insecure) BoolField(e, "insecure_skip_verify", true);
  e << YAML::EndMap;
}

void Http(YAML::Emitter& e, const HttpConfig& h) {
  const bool basic = !h.basic_auth_username.empty() || !h.basic_auth_password.empty();
  const bool authz = !h.authorization_credentials.empty();
  const bool tls = !h.tls_ca_file.empty() || !h.tls_cert_file.empty() || !h.tls_key_file.empty() ||
                   h.tls_insecure_skip_verify;
  if (!basic && !authz && !tls && h.follow_redirects) return;
  e << YAML::Key << "http_config" << YAML::Value << YAML::BeginMap;
  if (basic) {
    e << YAML::Key << "basic_auth" << YAML::Value << YAML::BeginMap;
    Str(e, "username", h.basic_auth_username);
    SecretField(e, "password", h.basic_auth_password);
    e << YAML::EndMap;
  }
  if (authz) {
    e << YAML::Key << "authorization" << YAML::Value << YAML::BeginMap;
    Str(e, "type", h.authorization_type);
    SecretField(e, "credentials", h.authorization_credentials);
    e << YAML::EndMap;
  }
  Tls(e, h.tls_ca_file, h.tls_cert_file, h.tls_key_file, h.tls_insecure_skip_verify);
  if (!h.follow_redirects) BoolField(e, "follow_redirects", false);
  e << YAML::EndMap;
}

void Global(YAML::Emitter& e, const GlobalConfig& g) {
  e << YAML::Key << "global" << YAML::Value << YAML::BeginMap;
  DurationField(e, "resolve_timeout", g.resolve_timeout);
  Http(e, g.http_config);
  Str(e, "smtp_from", g.smtp_from);
  Str(e, "smtp_hello", g.smtp_hello);
  Str(e, "smtp_smarthost", g.smtp_smarthost);
  Str(e, "smtp_auth_username", g.smtp_auth_username);
  SecretField(e, "smtp_auth_password", g.smtp_auth_password);
  SecretField(e, "smtp_auth_secret", g.smtp_auth_secret);
  Str(e, "smtp_auth_identity", g.smtp_auth_identity);
  BoolField(e, "smtp_require_tls", g.smtp_require_tls);
  SecretField(e, "slack_api_url", g.slack_api_url);
  Str(e, "pagerduty_url", g.pagerduty_url);
  e << YAML::EndMap;
}

void RouteMap(YAML::Emitter& e, const Route& r) {
  e << YAML::BeginMap;
  Str(e, "receiver", r.receiver);
  if (r.group_by_all) {
    // Quoted: a plain "..." reads as a document end marker to some parsers.
    e << YAML::Key << "group_by" << YAML::Value << YAML::Flow << YAML::BeginSeq
      << YAML::DoubleQuoted << "..." << YAML::EndSeq;
  } else {
    StrList(e, "group_by", r.group_by);
  }
  Matchers(e, "matchers", r.matchers);
  StrList(e, "mute_time_intervals", r.mute_time_intervals);
  StrList(e, "active_time_intervals", r.active_time_intervals);
  if (r.continue_matching) BoolField(e, "continue", true);
  DurationField(e, "group_wait", r.group_wait);
  DurationField(e, "group_interval", r.group_interval);
  DurationField(e, "repeat_interval", r.repeat_interval);
  if (!r.routes.empty()) {
    e << YAML::Key << "routes" << YAML::Value << YAML::BeginSeq;
    for (const Route& child : r.routes) RouteMap(e, child);
    e << YAML::EndSeq;
  }
  e << YAML::EndMap;
}

void Receivers(YAML::Emitter& e, const std::vector<Receiver>& receivers) {
  if (receivers.empty()) return;
  e << YAML::Key << "receivers" << YAML::Value << YAML::BeginSeq;
  for (const Receiver& r : receivers) {
    e << YAML::BeginMap;
    Str(e, "name", r.name);
    if (!r.webhook_configs.empty()) {
      e << YAML::Key << "webhook_configs" << YAML::Value << YAML::BeginSeq;
      for (const WebhookConfig& w : r.webhook_configs) {
        e << YAML::BeginMap;
        BoolField(e, "send_resolved", w.send_resolved);
        Http(e, w.http_config);
        SecretField(e, "url", w.url);
        e << YAML::Key << "max_alerts" << YAML::Value << w.max_alerts;
        e << YAML::EndMap;
      }
      e << YAML::EndSeq;
    }
    if (!r.slack_configs.empty()) {
      e << YAML::Key << "slack_configs" << YAML::Value << YAML::BeginSeq;
      for (const SlackConfig& s : r.slack_configs) {
        e << YAML::BeginMap;
        BoolField(e, "send_resolved", s.send_resolved);
        Http(e, s.http_config);
        SecretField(e, "api_url", s.api_url);
        Str(e, "channel", s.channel);
        Str(e, "username", s.username);
        Str(e, "color", s.color);
        Str(e, "title", s.title);
        Str(e, "title_link", s.title_link);
        Str(e, "pretext", s.pretext);
        Str(e, "text", s.text);
        if (!s.fields.empty()) {
          e << YAML::Key << "fields" << YAML::Value << YAML::BeginSeq;
          for (const SlackField& f : s.fields) {
            e << YAML::BeginMap;
            Str(e, "title", f.title);
            Str(e, "value", f.value);
            if (f.short_field.has_value()) BoolField(e, "short", *f.short_field);
            e << YAML::EndMap;
          }
          e << YAML::EndSeq;
        }
        BoolField(e, "short_fields", s.short_fields);
        Str(e, "footer", s.footer);
        Str(e, "fallback", s.fallback);
        Str(e, "callback_id", s.callback_id);
        Str(e, "icon_emoji", s.icon_emoji);
        Str(e, "icon_url", s.icon_url);
        Str(e, "image_url", s.image_url);
        Str(e, "thumb_url", s.thumb_url);
        BoolField(e, "link_names", s.link_names);
        StrList(e, "mrkdwn_in", s.mrkdwn_in);
        if (!s.actions.empty()) {
          e << YAML::Key << "actions" << YAML::Value << YAML::BeginSeq;
          for (const SlackAction& a : s.actions) {
            e << YAML::BeginMap;
            Str(e, "type", a.type);
            Str(e, "text", a.text);
            Str(e, "url", a.url);
            Str(e, "style", a.style);
            Str(e, "name", a.name);
            Str(e, "value", a.value);
            if (a.confirm.has_value()) {
              e << YAML::Key << "confirm" << YAML::Value << YAML::BeginMap;
              Str(e, "text", a.confirm->text);
              Str(e, "title", a.confirm->title);
              Str(e, "ok_text", a.confirm->ok_text);
              Str(e, "dismiss_text", a.confirm->dismiss_text);
              e << YAML::EndMap;
            }
            e << YAML::EndMap;
          }
          e << YAML::EndSeq;
        }
        e << YAML::EndMap;
      }
      e << YAML::EndSeq;
    }
    if (!r.email_configs.empty()) {
      e << YAML::Key << "email_configs" << YAML::Value << YAML::BeginSeq;
      for (const EmailConfig& m : r.email_configs) {
        e << YAML::BeginMap;
        BoolField(e, "send_resolved", m.send_resolved);
        Str(e, "to", m.to);
        Str(e, "from", m.from);
        Str(e, "hello", m.hello);
        Str(e, "smarthost", m.smarthost);
        Str(e, "auth_username", m.auth_username);
        SecretField(e, "auth_password", m.auth_password);
        SecretField(e, "auth_secret", m.auth_secret);
        Str(e, "auth_identity", m.auth_identity);
        StrMap(e, "headers", m.headers);
        Str(e, "html", m.html);
        Str(e, "text", m.text);
        BoolField(e, "require_tls", m.require_tls);
        Tls(e, m.tls_ca_file, m.tls_cert_file, m.tls_key_file, m.tls_insecure_skip_verify);
        e << YAML::EndMap;
      }
      e << YAML::EndSeq;
    }
    if (!r.pagerduty_configs.empty()) {
      e << YAML::Key << "pagerduty_configs" << YAML::Value << YAML::BeginSeq;
      for (const PagerdutyConfig& p : r.pagerduty_configs) {
        e << YAML::BeginMap;
        BoolField(e, "send_resolved", p.send_resolved);
        Http(e, p.http_config);
        SecretField(e, "service_key", p.service_key);
        SecretField(e, "routing_key", p.routing_key);
        Str(e, "url", p.url);
        Str(e, "client", p.client);
        Str(e, "client_url", p.client_url);
        Str(e, "description", p.description);
        StrMap(e, "details", p.details);
        if (!p.images.empty()) {
          e << YAML::Key << "images" << YAML::Value << YAML::BeginSeq;
          for (const PagerdutyImage& i : p.images) {
            e << YAML::BeginMap;
            Str(e, "src", i.src);
            Str(e, "alt", i.alt);
            Str(e, "href", i.href);
            e << YAML::EndMap;
          }
          e << YAML::EndSeq;
        }
        if (!p.links.empty()) {
          e << YAML::Key << "links" << YAML::Value << YAML::BeginSeq;
          for (const PagerdutyLink& l : p.links) {
            e << YAML::BeginMap;
            Str(e, "href", l.href);
            Str(e, "text", l.text);
            e << YAML::EndMap;
          }
          e << YAML::EndSeq;
        }
        Str(e, "source", p.source);
        Str(e, "severity", p.severity);
        Str(e, "class", p.klass);
        Str(e, "component", p.component);
        Str(e, "group", p.group);
        e << YAML::EndMap;
      }
      e << YAML::EndSeq;
    }
    if (!r.log_configs.empty()) {
      e << YAML::Key << "log_configs" << YAML::Value << YAML::BeginSeq;
      for (const LogConfig& l : r.log_configs) {
        e << YAML::BeginMap;
        BoolField(e, "send_resolved", l.send_resolved);
        Str(e, "level", l.level);
        Str(e, "text", l.text);
        e << YAML::EndMap;
      }
      e << YAML::EndSeq;
    }
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
}

void TimeIntervals(YAML::Emitter& e, const std::vector<NamedTimeInterval>& named) {
  if (named.empty()) return;
  using Range = TimeInterval::Range;
  auto ranges = [&](const char* key, const std::vector<Range>& rs,
                    std::string (*format)(const Range&)) {
    if (rs.empty()) return;
    e << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const Range& r : rs) e << format(r);
    e << YAML::EndSeq;
  };
  e << YAML::Key << "time_intervals" << YAML::Value << YAML::BeginSeq;
  for (const NamedTimeInterval& n : named) {
    e << YAML::BeginMap;
    Str(e, "name", n.name);
    e << YAML::Key << "time_intervals" << YAML::Value << YAML::BeginSeq;
    for (const TimeInterval& ti : n.time_intervals) {
      e << YAML::BeginMap;
      if (!ti.times.empty()) {
        e << YAML::Key << "times" << YAML::Value << YAML::BeginSeq;
        for (const Range& t : ti.times) {
          e << YAML::BeginMap;
          // Quoted: YAML 1.1 reads a plain 09:00 as a base-60 number.
          e << YAML::Key << "start_time" << YAML::Value << YAML::DoubleQuoted
            << internal::FormatMinuteOfDay(t.begin);
          e << YAML::Key << "end_time" << YAML::Value << YAML::DoubleQuoted
            << internal::FormatMinuteOfDay(t.end);
          e << YAML::EndMap;
        }
        e << YAML::EndSeq;
      }
      ranges("weekdays", ti.weekdays, &internal::FormatWeekdayRange);
      ranges("days_of_month", ti.days_of_month, &internal::FormatIntRange);
      ranges("months", ti.months, &internal::FormatMonthRange);
      ranges("years", ti.years, &internal::FormatIntRange);
      Str(e, "location", ti.location);
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
}

}  // namespace

std::string RedactedYaml(const Config& config) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  Global(e, config.global);
  e << YAML::Key << "route" << YAML::Value;
  RouteMap(e, config.route);
  if (!config.inhibit_rules.empty()) {
    e << YAML::Key << "inhibit_rules" << YAML::Value << YAML::BeginSeq;
    for (const InhibitRule& ir : config.inhibit_rules) {
      e << YAML::BeginMap;
      Matchers(e, "source_matchers", ir.source_matchers);
      Matchers(e, "target_matchers", ir.target_matchers);
      StrList(e, "equal", ir.equal);
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
  Receivers(e, config.receivers);
  StrList(e, "templates", config.templates);
  TimeIntervals(e, config.time_intervals);
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace vigil::alertmanager
