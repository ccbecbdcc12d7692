// The alert manager's configuration: Alertmanager 0.25's YAML format
// (global, route, inhibit_rules, receivers, time_intervals /
// mute_time_intervals, templates), plus a `log_configs` receiver of
// vigil's own, so one file serves vigil and a real Alertmanager alike.
//
//   VIGIL_ASSIGN_OR_RETURN(Config c, LoadConfigFile("alertmanager.yml"));
//   const Route& root = c.route;   // defaults and inheritance applied
//
// Errors are kInvalidArgument "FILE:LINE:COLUMN: what" (model::YamlReader):
// YAML syntax, unknown fields, wrong types, bad durations, matchers or
// label names, receivers referenced but not defined (or defined twice),
// time intervals referenced but not defined, a root route with matchers,
// no receiver on the root route, integrations lacking what they need once
// global defaults are applied (email without to/smarthost/from, slack
// without api_url, pagerduty without routing_key or service_key, webhook
// without url). Secret values (passwords, keys, tokens, secret URLs) are
// kept in Secret, which prints as "<secret>".
//
// What vigil does not take from Alertmanager's format, each refused at its
// key with "... is not supported by vigil" unless said otherwise:
//   - integrations other than webhook, slack, email and pagerduty
//     (opsgenie_configs, wechat_configs, victorops_configs, ...);
//   - every *_file variant of a value (slack_api_url_file,
//     smtp_auth_password_file, api_url_file, routing_key_file,
//     http_config's password_file, credentials_file, bearer_token_file,
//     ...): write the value inline;
//   - http_config's oauth2, proxy_url and tls_config beyond ca_file,
//     cert_file, key_file and insecure_skip_verify (enable_http2 is
//     accepted and ignored);
//   - global settings of integrations vigil lacks (opsgenie_*, wechat_*,
//     victorops_*, telegram_api_url, webex_api_url, rocketchat_*,
//     jira_api_url) are accepted and ignored, so that a real Alertmanager
//     file that does not use those integrations loads unchanged;
//   - time interval locations other than UTC and Local (libstdc++ 12 has
//     no time zone database; see TimeInterval::location).
//
// Thread safety: plain values.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "model/matcher.h"
#include "vigil/result.h"

namespace vigil::alertmanager {

using Millis = std::chrono::milliseconds;

// A value never to be shown (logs, /api/v2/status, the UI). A secret URL
// given as the literal "<secret>" is accepted unchecked, as Alertmanager
// accepts it, so that RedactedYaml's output loads again.
struct Secret {
  std::string value;
  bool empty() const { return value.empty(); }
  // "<secret>" when set, "" otherwise.
  std::string Redacted() const { return value.empty() ? "" : "<secret>"; }
  friend bool operator==(const Secret&, const Secret&) = default;
};

// Alertmanager's (prometheus/common) http_config subset vigil honours. An
// integration without its own http_config gets the global one. Relative
// file names are resolved against the configuration file's directory.
// `bearer_token: x` reads as authorization {type: Bearer, credentials: x};
// at most one of basic_auth, authorization and bearer_token may be set.
struct HttpConfig {
  std::string basic_auth_username;
  Secret basic_auth_password;
  std::string authorization_type = "Bearer";
  Secret authorization_credentials;  // also `bearer_token`
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  bool tls_insecure_skip_verify = false;
  bool follow_redirects = true;
};

struct GlobalConfig {
  Millis resolve_timeout{std::chrono::minutes(5)};
  HttpConfig http_config;
  std::string smtp_from;
  std::string smtp_hello = "localhost";
  std::string smtp_smarthost;  // host:port (the port is required)
  std::string smtp_auth_username;
  Secret smtp_auth_password;
  Secret smtp_auth_secret;
  std::string smtp_auth_identity;
  bool smtp_require_tls = true;
  Secret slack_api_url;
  std::string pagerduty_url = "https://events.pagerduty.com/v2/enqueue";
};

// Text fields below hold Go templates, expanded per notification with
// Alertmanager's template data; their defaults are Alertmanager's.

struct WebhookConfig {
  bool send_resolved = true;
  // http or https. Alertmanager 0.25 keeps this a plain URL and shows it in
  // /api/v2/status; 0.26 made it a SecretURL (alertmanager#3228) because
  // webhook URLs often carry tokens. vigil redacts it, as 0.26 does.
  Secret url;
  int max_alerts = 0;  // 0: all
  HttpConfig http_config;
};

struct SlackField {
  std::string title, value;         // both required
  std::optional<bool> short_field;  // `short`; unset: the config's short_fields
};

struct SlackConfirmationField {
  std::string text;  // required
  std::string title, ok_text, dismiss_text;
};

// A button: `type` and `text` are required, and one of `url` (a link
// button; name, value and confirm are dropped) or `name` (a message
// action).
struct SlackAction {
  std::string type, text, url, style, name, value;
  std::optional<SlackConfirmationField> confirm;
};

struct SlackConfig {
  bool send_resolved = false;
  Secret api_url;  // http(s); global slack_api_url when not set
  std::string channel, username, color, title, title_link, pretext, text, fallback, footer,
      icon_emoji, icon_url, callback_id, image_url, thumb_url;
  std::vector<SlackField> fields;
  bool short_fields = false;
  bool link_names = false;
  // Default (as Alertmanager's notifier applies it): fallback, pretext, text.
  std::vector<std::string> mrkdwn_in;
  std::vector<SlackAction> actions;
  HttpConfig http_config;
};

struct EmailConfig {
  bool send_resolved = false;
  std::string to, from, hello, smarthost;  // globals fill the empty ones
  std::string auth_username, auth_identity;
  Secret auth_password, auth_secret;
  bool require_tls = true;
  std::string tls_ca_file, tls_cert_file, tls_key_file;  // `tls_config`
  bool tls_insecure_skip_verify = false;
  // Names in canonical MIME form ("content-type" -> "Content-Type"); To,
  // From and Subject are added when missing (`to`, `from` and
  // {{ template "email.default.subject" . }}), as Alertmanager's notifier
  // adds them.
  std::map<std::string, std::string> headers;
  std::string html, text;
};

struct PagerdutyImage {
  std::string src, alt, href;
};

struct PagerdutyLink {
  std::string href, text;
};

struct PagerdutyConfig {
  bool send_resolved = true;
  Secret routing_key;  // Events API v2
  Secret service_key;  // Events API v1 (kept for configuration parity)
  std::string url;     // http(s); global pagerduty_url when not set
  // `source` defaults to `client`; `severity` to "error"; `klass` is
  // `class`. `details` always has firing, resolved, num_firing and
  // num_resolved (Alertmanager's defaults) unless the file sets them.
  std::string client, client_url, description, source, severity, klass, component, group;
  std::map<std::string, std::string> details;
  std::vector<PagerdutyImage> images;
  std::vector<PagerdutyLink> links;
  HttpConfig http_config;
};

// vigil's own: each notification becomes one structured log line.
struct LogConfig {
  bool send_resolved = true;
  std::string level = "info";  // debug, info, warn, error
  std::string text;            // a template; empty: the notifier's one-line summary
};

struct Receiver {
  std::string name;
  std::vector<WebhookConfig> webhook_configs;
  std::vector<SlackConfig> slack_configs;
  std::vector<EmailConfig> email_configs;
  std::vector<PagerdutyConfig> pagerduty_configs;
  std::vector<LogConfig> log_configs;
};

// A node of the routing tree, with inherited values resolved: every
// route carries its effective receiver, group_by and timings (root
// defaults: group_wait 30s, group_interval 5m, repeat_interval 4h). As in
// Alertmanager's dispatch.NewRoute, mute_time_intervals and
// active_time_intervals are NOT inherited: each route has its own.
struct Route {
  std::string receiver;
  // As written (names unique); empty when group_by_all. A route whose
  // group_by is absent or empty inherits both fields from its parent.
  std::vector<std::string> group_by;
  bool group_by_all = false;  // group_by: ['...']
  // `matchers`, plus `match` (=) and `match_re` (=~) converted, sorted as
  // Alertmanager sorts them (name, value, type). A match_re value is kept
  // anchored as Alertmanager keeps it, `^(?:re)$`, so route keys print
  // `{severity=~"^(?:critical)$"}` as Alertmanager's do.
  std::vector<model::Matcher> matchers;
  bool continue_matching = false;  // `continue`
  Millis group_wait{std::chrono::seconds(30)};
  Millis group_interval{std::chrono::minutes(5)};
  Millis repeat_interval{std::chrono::hours(4)};
  std::vector<std::string> mute_time_intervals;
  std::vector<std::string> active_time_intervals;
  std::vector<Route> routes;
};

// Matchers are converted (match_re anchored) and sorted as a route's are.
struct InhibitRule {
  std::vector<model::Matcher> source_matchers;  // incl. source_match(_re)
  std::vector<model::Matcher> target_matchers;  // incl. target_match(_re)
  std::vector<std::string> equal;               // valid label names
};

// One time_intervals entry's `time_intervals` item. Empty lists match
// everything; ranges are inclusive ([start, end] in the units given),
// times are minutes of the day [start, end).
//
// Parsed as Alertmanager parses them: times "HH:MM" (two-digit hours,
// 00:00 to 24:00, start before end); weekdays by name ("monday:friday",
// any case); days_of_month 1..31 or -31..-1 (-1: the month's last day; a
// negative start needs a negative end); months by name or number; years
// as numbers. A day range beyond the month's length is clamped to it.
struct TimeInterval {
  struct Range {
    int begin = 0;
    int end = 0;
  };
  std::vector<Range> times;          // minutes since midnight
  std::vector<Range> weekdays;       // 0 = Sunday
  std::vector<Range> days_of_month;  // 1..31, or negative from the end
  std::vector<Range> months;         // 1..12
  std::vector<Range> years;
  // "UTC" (also written "", "Etc/UTC", "GMT" or "Etc/GMT"; kept as
  // written) or "Local" (the process' zone: TZ or /etc/localtime).
  // libstdc++ 12 has no std::chrono::locate_zone, so other IANA names are
  // refused at parse time rather than evaluated in the wrong zone.
  std::string location = "UTC";
};

struct NamedTimeInterval {
  std::string name;
  std::vector<TimeInterval> time_intervals;
};

struct Config {
  GlobalConfig global;
  Route route;
  std::vector<InhibitRule> inhibit_rules;
  std::vector<Receiver> receivers;
  // time_intervals and the older mute_time_intervals, together.
  std::vector<NamedTimeInterval> time_intervals;
  // Template file globs; relative ones joined to the directory of the
  // file name given to ParseConfig ("t/*.tmpl" in /etc/vigil/am.yml:
  // "/etc/vigil/t/*.tmpl").
  std::vector<std::string> templates;
  // The text as given, secrets included: show RedactedYaml(config) instead.
  std::string original;
};

// Parses one configuration; `filename` prefixes messages and resolves
// relative template globs.
Result<Config> ParseConfig(std::string_view text, std::string_view filename);
Result<Config> LoadConfigFile(const std::string& path);

// The configuration as YAML with every secret shown as "<secret>", as
// Alertmanager's /api/v2/status `config.original` shows it: effective
// values (defaults, global settings and inheritance applied; match and
// match_re folded into matchers; all intervals under time_intervals). The
// result loads again with ParseConfig.
std::string RedactedYaml(const Config& config);

// Parses Alertmanager's matcher syntax (pkg/labels.ParseMatchers):
// `{a="b", c=~"d"}` or `a=b,c!~d` (quotes optional, braces optional,
// commas inside quotes kept, a trailing comma allowed; in values \",
// \\ and \n are escapes, any other backslash is literal). Regexes are
// anchored. Errors name the offending matcher and its 1-based position in
// `s`; for "a=b, c~d":
//   bad matcher format at position 6: "c~d"
// Matchers come back in the order written (ParseConfig sorts them).
Result<std::vector<model::Matcher>> ParseMatchers(std::string_view s);

// Whether `t` lies in any of `intervals` (their own locations applied);
// false for an empty list.
bool InTimeIntervals(const std::vector<TimeInterval>& intervals,
                     std::chrono::system_clock::time_point t);

}  // namespace vigil::alertmanager
