#include "alertmanager/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::alertmanager {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using Strings = std::vector<std::string>;

Config MustParse(std::string_view text, std::string_view filename = "am.yml") {
  Result<Config> c = ParseConfig(text, filename);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *std::move(c) : Config{};
}

// The message of a failed parse ("OK" when it parsed).
std::string ErrorOf(std::string_view text) {
  Result<Config> c = ParseConfig(text, "am.yml");
  if (c.ok()) return "OK";
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

Strings MatcherStrings(const std::vector<model::Matcher>& ms) {
  Strings out;
  for (const model::Matcher& m : ms) out.push_back(m.ToString());
  return out;
}

// 2024-03-13 is a Wednesday.
std::chrono::system_clock::time_point Utc(int y, int mo, int d, int h = 0, int mi = 0) {
  using namespace std::chrono;
  return sys_days(year(y) / month(static_cast<unsigned>(mo)) / day(static_cast<unsigned>(d))) +
         hours(h) + minutes(mi);
}

// What an ML inference team would write: pages for critical model
// alerts, email to the on-call list, Slack for warnings (muted at night
// and on weekends), a webhook for one model's owners, a log for the
// watchdog.
constexpr std::string_view kFullConfig = R"yaml(
global:
  resolve_timeout: 2m
  smtp_smarthost: smtp.example.com:587
  smtp_from: vigil@example.com
  smtp_auth_username: vigil
  smtp_auth_password: smtp-pa55w0rd
  smtp_auth_secret: smtp-cram-s3cret
  slack_api_url: https://hooks.slack.com/services/T000/B000/slackSECRET
  opsgenie_api_key: ignored-opsgenie-key
  http_config:
    basic_auth:
      username: proxy-user
      password: global-basic-pw

templates:
  - templates/*.tmpl
  - /usr/share/vigil/extra.tmpl

route:
  receiver: ml-default
  group_by: [alertname, model]
  group_wait: 45s
  routes:
    - matchers: ['team=~"ml-.*"', 'severity="critical"']
      receiver: ml-pager
      group_wait: 10s
      continue: true
    - match:
        severity: critical
      receiver: ml-oncall-email
      repeat_interval: 1h
    - match_re:
        severity: warning|info
      receiver: ml-slack
      group_by: ['...']
      mute_time_intervals: [offhours]
      routes:
        - matchers: ['model="llama-70b"', 'env!="staging"']
          receiver: ml-webhook
          group_interval: 1m
        - matchers: [ 'alertname = "InferenceLatencyHigh"' ]
          active_time_intervals: [business-hours]
          group_by: [alertname]
    - receiver: ml-log
      matchers: ['alertname="Watchdog"']

inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity=~"warning|info"]
    equal: [alertname, model]
  - source_match:
      alertname: GPUNodeDown
    target_match_re:
      alertname: 'Inference.*'
    equal: [node]

receivers:
  - name: ml-default
    log_configs:
      - level: warn
  - name: ml-pager
    pagerduty_configs:
      - routing_key: pd-routing-k3y
        severity: critical
        details:
          model: '{{ .CommonLabels.model }}'
      - service_key: pd-service-k3y
        url: https://events.pagerduty.example/generic/2010-04-15/create_event.json
        client: vigil
  - name: ml-oncall-email
    email_configs:
      - to: ml-oncall@example.com
        headers:
          subject: '[{{ .Status }}] {{ .GroupLabels.alertname }}'
      - to: ml-leads@example.com
        from: leads-alerts@example.com
        smarthost: mail.example.com:25
        auth_password: email-own-pw
        require_tls: false
        send_resolved: true
  - name: ml-slack
    slack_configs:
      - channel: '#ml-alerts'
        send_resolved: true
        title: '{{ .CommonLabels.alertname }} on {{ .CommonLabels.model }}'
        fields:
          - title: Model
            value: '{{ .CommonLabels.model }}'
            short: true
        actions:
          - type: button
            text: Runbook
            url: '{{ .CommonAnnotations.runbook_url }}'
  - name: ml-webhook
    webhook_configs:
      - url: https://hooks.example.com/vigil?token=webhook-t0ken
        max_alerts: 20
        http_config:
          bearer_token: webhook-bearer-t0ken
  - name: ml-log
    log_configs:
      - {}

time_intervals:
  - name: business-hours
    time_intervals:
      - times:
          - start_time: '09:00'
            end_time: '17:00'
        weekdays: ['monday:friday']
mute_time_intervals:
  - name: offhours
    time_intervals:
      - weekdays: [saturday, sunday]
      - times: [{start_time: '00:00', end_time: '07:00'}]
)yaml";

// Every secret value in kFullConfig.
const Strings kSecrets = {
    "smtp-pa55w0rd",        "smtp-cram-s3cret",     "slackSECRET",  "global-basic-pw",
    "pd-routing-k3y",       "pd-service-k3y",       "email-own-pw", "webhook-t0ken",
    "webhook-bearer-t0ken", "ignored-opsgenie-key",
};

TEST(ConfigTest, FullConfigGlobalAndTemplates) {
  Config c = MustParse(kFullConfig, "/etc/vigil/alertmanager.yml");
  EXPECT_EQ(c.global.resolve_timeout, minutes(2));
  EXPECT_EQ(c.global.smtp_smarthost, "smtp.example.com:587");
  EXPECT_EQ(c.global.smtp_hello, "localhost");
  EXPECT_TRUE(c.global.smtp_require_tls);
  EXPECT_EQ(c.global.smtp_auth_password.value, "smtp-pa55w0rd");
  EXPECT_EQ(c.global.slack_api_url.value, "https://hooks.slack.com/services/T000/B000/slackSECRET");
  EXPECT_EQ(c.global.pagerduty_url, "https://events.pagerduty.com/v2/enqueue");
  EXPECT_EQ(c.global.http_config.basic_auth_username, "proxy-user");
  EXPECT_EQ(c.templates, (Strings{"/etc/vigil/templates/*.tmpl", "/usr/share/vigil/extra.tmpl"}));
  EXPECT_EQ(c.original, kFullConfig);
}

TEST(ConfigTest, FullConfigRoutesInheritAndSortMatchers) {
  Config c = MustParse(kFullConfig);
  const Route& root = c.route;
  EXPECT_EQ(root.receiver, "ml-default");
  EXPECT_EQ(root.group_by, (Strings{"alertname", "model"}));
  EXPECT_FALSE(root.group_by_all);
  EXPECT_EQ(root.group_wait, seconds(45));
  EXPECT_EQ(root.group_interval, minutes(5));
  EXPECT_EQ(root.repeat_interval, hours(4));
  EXPECT_TRUE(root.matchers.empty());
  ASSERT_EQ(root.routes.size(), 4u);

  const Route& pager = root.routes[0];
  EXPECT_EQ(pager.receiver, "ml-pager");
  EXPECT_EQ(MatcherStrings(pager.matchers), (Strings{"severity=\"critical\"", "team=~\"ml-.*\""}));
  EXPECT_TRUE(pager.continue_matching);
  EXPECT_EQ(pager.group_wait, seconds(10));
  EXPECT_EQ(pager.group_by, (Strings{"alertname", "model"}));
  EXPECT_EQ(pager.repeat_interval, hours(4));

  const Route& email = root.routes[1];
  EXPECT_EQ(MatcherStrings(email.matchers), (Strings{"severity=\"critical\""}));
  EXPECT_EQ(email.matchers[0].type(), model::MatchType::kEqual);
  EXPECT_FALSE(email.continue_matching);
  EXPECT_EQ(email.group_wait, seconds(45));
  EXPECT_EQ(email.repeat_interval, hours(1));

  // match_re is kept anchored, as Alertmanager's route keys show it.
  const Route& slack = root.routes[2];
  EXPECT_EQ(MatcherStrings(slack.matchers), (Strings{"severity=~\"^(?:warning|info)$\""}));
  EXPECT_TRUE(slack.matchers[0].Matches("info"));
  EXPECT_FALSE(slack.matchers[0].Matches("informational"));
  EXPECT_TRUE(slack.group_by_all);
  EXPECT_TRUE(slack.group_by.empty());
  EXPECT_EQ(slack.mute_time_intervals, (Strings{"offhours"}));
  ASSERT_EQ(slack.routes.size(), 2u);

  const Route& webhook = slack.routes[0];
  EXPECT_EQ(webhook.receiver, "ml-webhook");
  EXPECT_EQ(MatcherStrings(webhook.matchers), (Strings{"env!=\"staging\"", "model=\"llama-70b\""}));
  EXPECT_TRUE(webhook.group_by_all);
  EXPECT_EQ(webhook.group_interval, minutes(1));
  EXPECT_EQ(webhook.group_wait, seconds(45));
  // Intervals are not inherited (dispatch.NewRoute).
  EXPECT_TRUE(webhook.mute_time_intervals.empty());

  const Route& latency = slack.routes[1];
  EXPECT_EQ(latency.receiver, "ml-slack");
  EXPECT_EQ(MatcherStrings(latency.matchers), (Strings{"alertname=\"InferenceLatencyHigh\""}));
  EXPECT_EQ(latency.active_time_intervals, (Strings{"business-hours"}));
  EXPECT_FALSE(latency.group_by_all);
  EXPECT_EQ(latency.group_by, (Strings{"alertname"}));
  EXPECT_EQ(latency.group_interval, minutes(5));

  EXPECT_EQ(root.routes[3].receiver, "ml-log");
  EXPECT_EQ(root.routes[3].group_by, (Strings{"alertname", "model"}));
}

TEST(ConfigTest, FullConfigInhibitRules) {
  Config c = MustParse(kFullConfig);
  ASSERT_EQ(c.inhibit_rules.size(), 2u);
  EXPECT_EQ(MatcherStrings(c.inhibit_rules[0].source_matchers), (Strings{"severity=\"critical\""}));
  EXPECT_EQ(MatcherStrings(c.inhibit_rules[0].target_matchers),
            (Strings{"severity=~\"warning|info\""}));
  EXPECT_EQ(c.inhibit_rules[0].equal, (Strings{"alertname", "model"}));
  EXPECT_EQ(MatcherStrings(c.inhibit_rules[1].source_matchers),
            (Strings{"alertname=\"GPUNodeDown\""}));
  EXPECT_EQ(MatcherStrings(c.inhibit_rules[1].target_matchers),
            (Strings{"alertname=~\"^(?:Inference.*)$\""}));
  EXPECT_EQ(c.inhibit_rules[1].equal, (Strings{"node"}));
}

TEST(ConfigTest, FullConfigReceiversGetDefaults) {
  Config c = MustParse(kFullConfig);
  ASSERT_EQ(c.receivers.size(), 6u);

  const Receiver& def = c.receivers[0];
  EXPECT_EQ(def.name, "ml-default");
  ASSERT_EQ(def.log_configs.size(), 1u);
  EXPECT_EQ(def.log_configs[0].level, "warn");
  EXPECT_TRUE(def.log_configs[0].send_resolved);

  const Receiver& pager = c.receivers[1];
  ASSERT_EQ(pager.pagerduty_configs.size(), 2u);
  const PagerdutyConfig& v2 = pager.pagerduty_configs[0];
  EXPECT_TRUE(v2.send_resolved);
  EXPECT_EQ(v2.routing_key.value, "pd-routing-k3y");
  EXPECT_TRUE(v2.service_key.empty());
  EXPECT_EQ(v2.url, "https://events.pagerduty.com/v2/enqueue");
  EXPECT_EQ(v2.severity, "critical");
  EXPECT_EQ(v2.description, R"({{ template "pagerduty.default.description" .}})");
  EXPECT_EQ(v2.client, R"({{ template "pagerduty.default.client" . }})");
  EXPECT_EQ(v2.client_url, R"({{ template "pagerduty.default.clientURL" . }})");
  EXPECT_EQ(v2.source, v2.client);
  EXPECT_EQ(v2.details.size(), 5u);
  EXPECT_EQ(v2.details.at("model"), "{{ .CommonLabels.model }}");
  EXPECT_EQ(v2.details.at("num_firing"), "{{ .Alerts.Firing | len }}");
  EXPECT_EQ(v2.details.at("firing"),
            R"({{ template "pagerduty.default.instances" .Alerts.Firing }})");
  // No http_config of its own: the global one.
  EXPECT_EQ(v2.http_config.basic_auth_password.value, "global-basic-pw");
  const PagerdutyConfig& v1 = pager.pagerduty_configs[1];
  EXPECT_EQ(v1.service_key.value, "pd-service-k3y");
  EXPECT_EQ(v1.url, "https://events.pagerduty.example/generic/2010-04-15/create_event.json");
  EXPECT_EQ(v1.client, "vigil");
  EXPECT_EQ(v1.source, "vigil");
  EXPECT_EQ(v1.severity, "error");

  const Receiver& email = c.receivers[2];
  ASSERT_EQ(email.email_configs.size(), 2u);
  const EmailConfig& e0 = email.email_configs[0];
  EXPECT_FALSE(e0.send_resolved);
  EXPECT_EQ(e0.to, "ml-oncall@example.com");
  EXPECT_EQ(e0.from, "vigil@example.com");
  EXPECT_EQ(e0.smarthost, "smtp.example.com:587");
  EXPECT_EQ(e0.hello, "localhost");
  EXPECT_EQ(e0.auth_username, "vigil");
  EXPECT_EQ(e0.auth_password.value, "smtp-pa55w0rd");
  EXPECT_EQ(e0.auth_secret.value, "smtp-cram-s3cret");
  EXPECT_TRUE(e0.require_tls);
  EXPECT_EQ(e0.html, R"({{ template "email.default.html" . }})");
  EXPECT_EQ(e0.text, "");
  EXPECT_EQ(e0.headers, (std::map<std::string, std::string>{
                            {"From", "vigil@example.com"},
                            {"Subject", "[{{ .Status }}] {{ .GroupLabels.alertname }}"},
                            {"To", "ml-oncall@example.com"}}));
  const EmailConfig& e1 = email.email_configs[1];
  EXPECT_TRUE(e1.send_resolved);
  EXPECT_EQ(e1.from, "leads-alerts@example.com");
  EXPECT_EQ(e1.smarthost, "mail.example.com:25");
  EXPECT_EQ(e1.auth_password.value, "email-own-pw");
  EXPECT_FALSE(e1.require_tls);
  EXPECT_EQ(e1.headers.at("Subject"), R"({{ template "email.default.subject" . }})");
  EXPECT_EQ(e1.headers.at("From"), "leads-alerts@example.com");

  const Receiver& slack = c.receivers[3];
  ASSERT_EQ(slack.slack_configs.size(), 1u);
  const SlackConfig& s = slack.slack_configs[0];
  EXPECT_TRUE(s.send_resolved);
  EXPECT_EQ(s.api_url.value, "https://hooks.slack.com/services/T000/B000/slackSECRET");
  EXPECT_EQ(s.channel, "#ml-alerts");
  EXPECT_EQ(s.title, "{{ .CommonLabels.alertname }} on {{ .CommonLabels.model }}");
  EXPECT_EQ(s.color, R"({{ if eq .Status "firing" }}danger{{ else }}good{{ end }})");
  EXPECT_EQ(s.username, R"({{ template "slack.default.username" . }})");
  EXPECT_EQ(s.text, R"({{ template "slack.default.text" . }})");
  EXPECT_EQ(s.footer, R"({{ template "slack.default.footer" . }})");
  EXPECT_EQ(s.mrkdwn_in, (Strings{"fallback", "pretext", "text"}));
  ASSERT_EQ(s.fields.size(), 1u);
  EXPECT_EQ(s.fields[0].title, "Model");
  EXPECT_EQ(s.fields[0].short_field, std::optional<bool>(true));
  ASSERT_EQ(s.actions.size(), 1u);
  EXPECT_EQ(s.actions[0].url, "{{ .CommonAnnotations.runbook_url }}");

  const Receiver& webhook = c.receivers[4];
  ASSERT_EQ(webhook.webhook_configs.size(), 1u);
  const WebhookConfig& w = webhook.webhook_configs[0];
  EXPECT_TRUE(w.send_resolved);
  EXPECT_EQ(w.url.value, "https://hooks.example.com/vigil?token=webhook-t0ken");
  EXPECT_EQ(w.max_alerts, 20);
  // Its own http_config replaces the global one entirely.
  EXPECT_EQ(w.http_config.authorization_type, "Bearer");
  EXPECT_EQ(w.http_config.authorization_credentials.value, "webhook-bearer-t0ken");
  EXPECT_TRUE(w.http_config.basic_auth_username.empty());

  ASSERT_EQ(c.receivers[5].log_configs.size(), 1u);
  EXPECT_EQ(c.receivers[5].log_configs[0].level, "info");
  EXPECT_EQ(c.receivers[5].log_configs[0].text, "");
}

TEST(ConfigTest, FullConfigTimeIntervals) {
  Config c = MustParse(kFullConfig);
  ASSERT_EQ(c.time_intervals.size(), 2u);
  const NamedTimeInterval& business = c.time_intervals[0];
  EXPECT_EQ(business.name, "business-hours");
  ASSERT_EQ(business.time_intervals.size(), 1u);
  ASSERT_EQ(business.time_intervals[0].times.size(), 1u);
  EXPECT_EQ(business.time_intervals[0].times[0].begin, 9 * 60);
  EXPECT_EQ(business.time_intervals[0].times[0].end, 17 * 60);
  ASSERT_EQ(business.time_intervals[0].weekdays.size(), 1u);
  EXPECT_EQ(business.time_intervals[0].weekdays[0].begin, 1);
  EXPECT_EQ(business.time_intervals[0].weekdays[0].end, 5);
  EXPECT_EQ(business.time_intervals[0].location, "UTC");
  EXPECT_EQ(c.time_intervals[1].name, "offhours");
  EXPECT_EQ(c.time_intervals[1].time_intervals.size(), 2u);

  const auto& off = c.time_intervals[1].time_intervals;
  EXPECT_TRUE(InTimeIntervals(off, Utc(2024, 3, 16, 12)));     // Saturday
  EXPECT_TRUE(InTimeIntervals(off, Utc(2024, 3, 13, 6, 59)));  // Wednesday night
  EXPECT_FALSE(InTimeIntervals(off, Utc(2024, 3, 13, 7)));
}

TEST(ConfigTest, RedactedYamlHidesEverySecretAndLoadsAgain) {
  Config c = MustParse(kFullConfig, "/etc/vigil/alertmanager.yml");
  const std::string out = RedactedYaml(c);
  for (const std::string& secret : kSecrets) {
    EXPECT_EQ(out.find(secret), std::string::npos) << secret << " leaked:\n" << out;
  }
  EXPECT_NE(out.find("<secret>"), std::string::npos);
  EXPECT_NE(out.find("ml-oncall@example.com"), std::string::npos);
  EXPECT_NE(out.find("severity=~\"^(?:warning|info)$\""), std::string::npos) << out;

  // The redacted text is itself a valid configuration describing the
  // same tree (secrets aside), and redacting it again changes nothing.
  Result<Config> again = ParseConfig(out, "/etc/vigil/alertmanager.yml");
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << out;
  EXPECT_EQ(RedactedYaml(*again), out);
  EXPECT_EQ(again->route.routes[2].routes[0].receiver, "ml-webhook");
  EXPECT_EQ(MatcherStrings(again->route.routes[2].matchers),
            MatcherStrings(c.route.routes[2].matchers));
  EXPECT_EQ(again->receivers[1].pagerduty_configs[0].routing_key.value, "<secret>");
  EXPECT_EQ(again->time_intervals.size(), 2u);
}

TEST(ConfigTest, SecretRedacted) {
  EXPECT_EQ(Secret{"x"}.Redacted(), "<secret>");
  EXPECT_EQ(Secret{}.Redacted(), "");
}

TEST(ConfigTest, MinimalConfigDefaults) {
  Config c = MustParse("route:\n  receiver: r\nreceivers:\n  - name: r\n");
  EXPECT_EQ(c.global.resolve_timeout, minutes(5));
  EXPECT_EQ(c.global.smtp_hello, "localhost");
  EXPECT_EQ(c.route.receiver, "r");
  EXPECT_EQ(c.route.group_wait, seconds(30));
  EXPECT_EQ(c.route.group_interval, minutes(5));
  EXPECT_EQ(c.route.repeat_interval, hours(4));
  EXPECT_TRUE(c.route.group_by.empty());
  EXPECT_FALSE(c.route.group_by_all);
  ASSERT_EQ(c.receivers.size(), 1u);
  EXPECT_TRUE(c.templates.empty());
}

TEST(ConfigTest, GlobalCanFollowReceivers) {
  Config c = MustParse(R"(
route: {receiver: mail}
receivers:
  - name: mail
    email_configs: [{to: a@example.com}]
global:
  smtp_smarthost: 'localhost:25'
  smtp_from: am@example.com
  smtp_require_tls: false
)");
  ASSERT_EQ(c.receivers[0].email_configs.size(), 1u);
  EXPECT_EQ(c.receivers[0].email_configs[0].smarthost, "localhost:25");
  EXPECT_FALSE(c.receivers[0].email_configs[0].require_tls);
}

TEST(ConfigTest, GroupByInheritance) {
  Config c = MustParse(R"(
route:
  receiver: r
  group_by: ['...']
  routes:
    - group_by: []
      routes:
        - group_by: [cluster, alertname]
          routes:
            - receiver: r
    - group_by: [job]
receivers: [{name: r}]
)");
  const Route& empty = c.route.routes[0];
  EXPECT_TRUE(empty.group_by_all);  // an empty list inherits
  const Route& named = empty.routes[0];
  EXPECT_FALSE(named.group_by_all);
  EXPECT_EQ(named.group_by, (Strings{"cluster", "alertname"}));  // as written
  EXPECT_EQ(named.routes[0].group_by, (Strings{"cluster", "alertname"}));
  EXPECT_EQ(c.route.routes[1].group_by, (Strings{"job"}));
}

TEST(ConfigTest, MatchersFromAllSourcesAreMergedAndSorted) {
  Config c = MustParse(R"(
route:
  receiver: r
  routes:
    - matchers: ['b="2"', 'a!="1"', 'a=~"1"']
      match: {a: '1', c: ''}
      match_re: {a: '0'}
receivers: [{name: r}]
)");
  // By name, then value (the anchored regex sorts by its "^(?:" text),
  // then type (=, !=, =~, !~).
  EXPECT_EQ(MatcherStrings(c.route.routes[0].matchers),
            (Strings{"a=\"1\"", "a!=\"1\"", "a=~\"1\"", "a=~\"^(?:0)$\"", "b=\"2\"", "c=\"\""}));
  // `c: ""` matches alerts without c.
  EXPECT_TRUE(c.route.routes[0].matchers.back().MatchesEmpty());
}

TEST(ConfigTest, HttpConfigVariants) {
  Config c = MustParse(R"(
global:
  http_config:
    authorization: {credentials: tok}
    tls_config: {ca_file: certs/ca.pem, insecure_skip_verify: true}
    follow_redirects: false
    enable_http2: true
route: {receiver: r}
receivers:
  - name: r
    webhook_configs:
      - url: http://127.0.0.1:5001/
      - url: http://127.0.0.1:5002/
        send_resolved: false
        http_config:
          authorization: {type: Token, credentials: other}
          tls_config: {cert_file: /tls/c.pem, key_file: k.pem}
)",
                       "conf/am.yml");
  const HttpConfig& g = c.global.http_config;
  EXPECT_EQ(g.authorization_type, "Bearer");
  EXPECT_EQ(g.authorization_credentials.value, "tok");
  EXPECT_EQ(g.tls_ca_file, "conf/certs/ca.pem");
  EXPECT_TRUE(g.tls_insecure_skip_verify);
  EXPECT_FALSE(g.follow_redirects);
  const auto& hooks = c.receivers[0].webhook_configs;
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_EQ(hooks[0].http_config.authorization_credentials.value, "tok");
  EXPECT_EQ(hooks[0].http_config.tls_ca_file, "conf/certs/ca.pem");
  EXPECT_FALSE(hooks[1].send_resolved);
  EXPECT_EQ(hooks[1].http_config.authorization_type, "Token");
  EXPECT_EQ(hooks[1].http_config.tls_cert_file, "/tls/c.pem");
  EXPECT_EQ(hooks[1].http_config.tls_key_file, "conf/k.pem");
  EXPECT_TRUE(hooks[1].http_config.tls_ca_file.empty());
  EXPECT_TRUE(hooks[1].http_config.follow_redirects);
}

TEST(ConfigTest, IgnoredGlobalsAndSecretPlaceholder) {
  // Settings of integrations vigil lacks load and are ignored; "<secret>"
  // stands for a secret URL (what RedactedYaml writes).
  Config c = MustParse(R"(
global:
  opsgenie_api_key: k
  victorops_api_url: https://alert.victorops.com/integrations/generic/20131114/alert/
  wechat_api_corp_id: corp
  telegram_api_url: https://api.telegram.org
  slack_api_url: <secret>
route: {receiver: r}
receivers:
  - name: r
    slack_configs: [{channel: '#x'}]
)");
  EXPECT_EQ(c.receivers[0].slack_configs[0].api_url.value, "<secret>");
}

TEST(ConfigTest, EmailHeadersAreCanonical) {
  Config c = MustParse(R"(
global: {smtp_smarthost: 'mx:25', smtp_from: a@example.com}
route: {receiver: r}
receivers:
  - name: r
    email_configs:
      - to: b@example.com
        headers: {x-model-NAME: llama, reply-to: ops@example.com, TO: 'c@example.com'}
)");
  EXPECT_EQ(c.receivers[0].email_configs[0].headers,
            (std::map<std::string, std::string>{
                {"From", "a@example.com"},
                {"Reply-To", "ops@example.com"},
                {"Subject", R"({{ template "email.default.subject" . }})"},
                {"To", "c@example.com"},
                {"X-Model-Name", "llama"}}));
}

TEST(ConfigTest, TemplatesResolveAgainstTheFilesDirectory) {
  const char* kText =
      "route: {receiver: r}\nreceivers: [{name: r}]\n"
      "templates: ['t/*.tmpl', '../shared/x.tmpl', '/abs/y.tmpl']\n";
  EXPECT_EQ(MustParse(kText, "am.yml").templates,
            (Strings{"t/*.tmpl", "../shared/x.tmpl", "/abs/y.tmpl"}));
  EXPECT_EQ(MustParse(kText, "/etc/vigil/am.yml").templates,
            (Strings{"/etc/vigil/t/*.tmpl", "/etc/shared/x.tmpl", "/abs/y.tmpl"}));
}

TEST(ConfigTest, LoadConfigFile) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "vigil_am_config_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "alertmanager.yml").string();
  {
    std::ofstream f(path);
    f << "route: {receiver: r}\nreceivers: [{name: r}]\ntemplates: ['*.tmpl']\n";
  }
  Result<Config> c = LoadConfigFile(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->templates, (Strings{(dir / "*.tmpl").string()}));

  {
    std::ofstream f(path);
    f << "route: {receiver: nobody}\n";
  }
  c = LoadConfigFile(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), path + ":1:19: undefined receiver \"nobody\" used in route");

  Result<Config> missing = LoadConfigFile((dir / "absent.yml").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

// Each error class, with its exact position and message.
struct ErrorCase {
  const char* name;
  const char* yaml;
  const char* error;
};

// The smallest valid file, for cases to extend.
#define OK_TAIL "receivers: [{name: r}]\n"

const ErrorCase kErrorCases[] = {
    // Structure.
    {"syntax", "route: [\n", "am.yml:2:1: end of sequence flow not found"},
    {"empty file", "", "am.yml: no route provided in config"},
    {"no route", OK_TAIL, "am.yml:1:1: no route provided in config"},
    {"null route", "route:\n" OK_TAIL, "am.yml:1:1: no route provided in config"},
    {"not a mapping", "- a\n", "am.yml:1:1: configuration: expected a mapping, got a sequence"},
    {"unknown top-level field", "route: {receiver: r}\n" OK_TAIL "inhibit: []\n",
     "am.yml:3:1: unknown field \"inhibit\" in configuration"},
    {"duplicate field", "route: {receiver: r}\nroute: {receiver: r}\n" OK_TAIL,
     "am.yml:2:1: duplicate field \"route\" in configuration"},
    // Global.
    {"unknown global field", "global:\n  smtp_host: x\nroute: {receiver: r}\n" OK_TAIL,
     "am.yml:2:3: unknown field \"smtp_host\" in global"},
    {"global file variant", "global:\n  slack_api_url_file: /s\nroute: {receiver: r}\n" OK_TAIL,
     "am.yml:2:3: field \"slack_api_url_file\" in global is not supported by vigil: write the "
     "value inline"},
    {"bad resolve_timeout", "global: {resolve_timeout: 5 minutes}\nroute: {receiver: r}\n" OK_TAIL,
     "am.yml:1:27: resolve_timeout: not a valid duration string: \"5 minutes\""},
    {"smarthost without port",
     "global: {smtp_smarthost: mail.example.com}\nroute: {receiver: r}\n" OK_TAIL,
     "am.yml:1:26: smtp_smarthost: address \"mail.example.com\": missing port in address"},
    {"smarthost empty port", "global: {smtp_smarthost: 'mail:'}\nroute: {receiver: r}\n" OK_TAIL,
     "am.yml:1:26: smtp_smarthost: address \"mail:\": port cannot be empty"},
    {"bad slack url is not echoed",
     "global: {slack_api_url: 'hooks.slack.com/T0/B0/sekrit'}\nroute: {receiver: r}\n" OK_TAIL,
     "am.yml:1:25: slack_api_url: unsupported scheme \"\" for URL (want http or https)"},
    {"bad pagerduty url is echoed",
     "global: {pagerduty_url: 'http://'}\nroute: {receiver: r}\n" OK_TAIL,
     "am.yml:1:25: pagerduty_url: missing host for URL: \"http://\""},
    {"bad bool", "global: {smtp_require_tls: maybe}\nroute: {receiver: r}\n" OK_TAIL,
     "am.yml:1:28: smtp_require_tls: expected a boolean (true or false), got \"maybe\""},
    // Route.
    {"unknown route field", "route:\n  receiver: r\n  recevier: s\n" OK_TAIL,
     "am.yml:3:3: unknown field \"recevier\" in route"},
    {"root without receiver", "route:\n  group_by: [a]\n" OK_TAIL,
     "am.yml:1:1: root route must specify a default receiver"},
    {"root with matchers", "route:\n  receiver: r\n  matchers: [a=b]\n" OK_TAIL,
     "am.yml:3:3: root route must not have any matchers"},
    {"root with match", "route:\n  receiver: r\n  match: {a: b}\n" OK_TAIL,
     "am.yml:3:3: root route must not have any matchers"},
    {"root with continue", "route:\n  receiver: r\n  continue: true\n" OK_TAIL,
     "am.yml:3:3: cannot have continue in root route"},
    {"root with mute intervals",
     "route:\n  receiver: r\n  mute_time_intervals: [x]\n" OK_TAIL "time_intervals: [{name: x}]\n",
     "am.yml:3:3: root route must not have any mute time intervals"},
    {"root with active intervals",
     "route:\n  receiver: r\n  active_time_intervals: [x]\n" OK_TAIL
     "time_intervals: [{name: x}]\n",
     "am.yml:3:3: root route must not have any active time intervals"},
    {"undefined receiver", "route:\n  receiver: r\n  routes:\n    - receiver: pager\n" OK_TAIL,
     "am.yml:4:17: undefined receiver \"pager\" used in route"},
    {"undefined root receiver", "route:\n  receiver: nobody\n" OK_TAIL,
     "am.yml:2:13: undefined receiver \"nobody\" used in route"},
    {"undefined time interval",
     "route:\n  receiver: r\n  routes:\n    - mute_time_intervals: [weekends]\n" OK_TAIL,
     "am.yml:4:29: undefined time interval \"weekends\" used in route"},
    {"wildcard group_by with names", "route:\n  receiver: r\n  group_by: ['...', job]\n" OK_TAIL,
     "am.yml:3:3: cannot have wildcard group_by (`...`) and other labels at the same time"},
    {"invalid group_by label", "route:\n  receiver: r\n  group_by: [job, 1job]\n" OK_TAIL,
     "am.yml:3:19: invalid label name \"1job\" in group_by list"},
    {"duplicate group_by label", "route:\n  receiver: r\n  group_by: [job, job]\n" OK_TAIL,
     "am.yml:3:19: duplicated label \"job\" in group_by"},
    {"group_by not a list", "route:\n  receiver: r\n  group_by: job\n" OK_TAIL,
     "am.yml:3:13: group_by: expected a list, got a scalar"},
    {"zero group_interval", "route:\n  receiver: r\n  group_interval: 0s\n" OK_TAIL,
     "am.yml:3:19: group_interval cannot be zero"},
    {"zero repeat_interval", "route:\n  receiver: r\n  routes:\n    - repeat_interval: 0\n" OK_TAIL,
     "am.yml:4:24: repeat_interval cannot be zero"},
    {"bad group_wait", "route:\n  receiver: r\n  group_wait: 30\n" OK_TAIL,
     "am.yml:3:15: group_wait: not a valid duration string: \"30\""},
    {"bad continue", "route:\n  receiver: r\n  routes:\n    - continue: yes please\n" OK_TAIL,
     "am.yml:4:17: continue: expected a boolean (true or false), got \"yes please\""},
    {"bad matcher",
     "route:\n  receiver: r\n  routes:\n    - matchers: ['severity~critical']\n" OK_TAIL,
     "am.yml:4:18: matchers: bad matcher format at position 1: \"severity~critical\""},
    {"second bad matcher in a list item",
     "route:\n  receiver: r\n  routes:\n    - matchers: ['a=b, c:d']\n" OK_TAIL,
     "am.yml:4:18: matchers: bad matcher format at position 6: \"c:d\""},
    {"bad matcher regex",
     "route:\n  receiver: r\n  routes:\n    - matchers: ['job=~\"(\"']\n" OK_TAIL,
     "am.yml:4:18: matchers: invalid regular expression \"(\": missing ): ( (matcher at "
     "position 1: \"job=~\"(\"\")"},
    {"match invalid label name",
     "route:\n  receiver: r\n  routes:\n    - match: {a-b: c}\n" OK_TAIL,
     "am.yml:4:15: match: invalid label name \"a-b\""},
    {"match_re bad regex",
     "route:\n  receiver: r\n  routes:\n    - match_re: {job: 'a(b'}\n" OK_TAIL,
     "am.yml:4:23: match_re.job: invalid regular expression \"a(b\": missing ): a(b"},
    {"route item not a mapping", "route:\n  receiver: r\n  routes: [x]\n" OK_TAIL,
     "am.yml:3:12: route: expected a mapping, got a scalar"},
    // Inhibit rules.
    {"unknown inhibit field",
     "route: {receiver: r}\n" OK_TAIL "inhibit_rules:\n  - source: {a: b}\n",
     "am.yml:4:5: unknown field \"source\" in inhibit rule"},
    {"invalid equal label",
     "route: {receiver: r}\n" OK_TAIL "inhibit_rules:\n  - equal: [cluster, 'x y']\n",
     "am.yml:4:22: invalid label name \"x y\" in equal list"},
    {"bad target matcher",
     "route: {receiver: r}\n" OK_TAIL "inhibit_rules:\n  - target_matchers: ['a=\"b']\n",
     "am.yml:4:23: target_matchers: matcher value contains unescaped double quote at position "
     "1: \"a=\"b\""},
    {"bad source_match_re",
     "route: {receiver: r}\n" OK_TAIL "inhibit_rules:\n  - source_match_re: {a: '*'}\n",
     "am.yml:4:26: source_match_re.a: invalid regular expression \"*\": no argument for "
     "repetition operator: *"},
    // Receivers.
    {"receiver without name", "route: {receiver: r}\nreceivers:\n  - name: r\n  - {}\n",
     "am.yml:4:5: missing name in receiver"},
    {"duplicate receiver", "route: {receiver: r}\nreceivers:\n  - name: r\n  - name: r\n",
     "am.yml:4:11: notification config name \"r\" is not unique"},
    {"unknown receiver field",
     "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_config: []\n",
     "am.yml:4:5: unknown field \"webhook_config\" in receiver"},
    {"unsupported integration",
     "route: {receiver: r}\nreceivers:\n  - name: r\n    opsgenie_configs: [{api_key: k}]\n",
     "am.yml:4:5: opsgenie_configs are not supported by vigil (it has webhook_configs, "
     "slack_configs, email_configs, pagerduty_configs and log_configs)"},
    {"webhook without url",
     "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs:\n      - max_alerts: 1\n",
     "am.yml:5:9: webhook_configs: missing url"},
    {"webhook ftp url",
     "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs:\n"
     "      - url: ftp://h/x\n",
     "am.yml:5:14: url: unsupported scheme \"ftp\" for URL (want http or https)"},
    {"webhook url_file",
     "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs:\n"
     "      - url_file: /run/secrets/hook\n",
     "am.yml:5:9: field \"url_file\" in webhook_configs is not supported by vigil: write the "
     "value inline"},
    {"webhook negative max_alerts",
     "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs:\n"
     "      - {url: 'http://h/', max_alerts: -1}\n",
     "am.yml:5:40: max_alerts: expected a non-negative integer, got \"-1\""},
    {"unknown webhook field",
     "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs:\n"
     "      - {url: 'http://h/', sendresolved: true}\n",
     "am.yml:5:28: unknown field \"sendresolved\" in webhook_configs"},
    {"email without to",
     "global: {smtp_smarthost: 'h:25', smtp_from: a@b}\nroute: {receiver: r}\n"
     "receivers:\n  - name: r\n    email_configs:\n      - from: x@y\n",
     "am.yml:6:9: email_configs: missing to address"},
    {"email without smarthost",
     "route: {receiver: r}\nreceivers:\n  - name: r\n    email_configs:\n"
     "      - {to: a@b, from: c@d}\n",
     "am.yml:5:9: email_configs: no smarthost set, and no global smtp_smarthost"},
    {"email without from",
     "route: {receiver: r}\nreceivers:\n  - name: r\n    email_configs:\n"
     "      - {to: a@b, smarthost: 'h:25'}\n",
     "am.yml:5:9: email_configs: no from address set, and no global smtp_from"},
    {"email duplicate header",
     "global: {smtp_smarthost: 'h:25', smtp_from: a@b}\nroute: {receiver: r}\n"
     "receivers:\n  - name: r\n    email_configs:\n"
     "      - {to: a@b, headers: {subject: x, SUBJECT: y}}\n",
     "am.yml:6:41: duplicate header \"Subject\" in email_configs"},
    {"email password file",
     "global: {smtp_smarthost: 'h:25', smtp_from: a@b}\nroute: {receiver: r}\n"
     "receivers:\n  - name: r\n    email_configs:\n"
     "      - {to: a@b, auth_password_file: /p}\n",
     "am.yml:6:19: field \"auth_password_file\" in email_configs is not supported by vigil: "
     "write the value inline"},
    {"slack without api_url",
     "route: {receiver: r}\nreceivers:\n  - name: r\n    slack_configs:\n"
     "      - channel: '#a'\n",
     "am.yml:5:9: slack_configs: no api_url set, and no global slack_api_url"},
    {"slack field without value",
     "global: {slack_api_url: 'https://s/'}\nroute: {receiver: r}\nreceivers:\n  - name: r\n"
     "    slack_configs:\n      - fields: [{title: t}]\n",
     "am.yml:6:18: slack field: missing value"},
    {"slack action without name or url",
     "global: {slack_api_url: 'https://s/'}\nroute: {receiver: r}\nreceivers:\n  - name: r\n"
     "    slack_configs:\n      - actions: [{type: button, text: t}]\n",
     "am.yml:6:19: slack action: missing name or url"},
    {"pagerduty without key",
     "route: {receiver: r}\nreceivers:\n  - name: r\n    pagerduty_configs:\n"
     "      - severity: critical\n",
     "am.yml:5:9: pagerduty_configs: missing routing_key or service_key"},
    {"pagerduty key file",
     "route: {receiver: r}\nreceivers:\n  - name: r\n    pagerduty_configs:\n"
     "      - routing_key_file: /k\n",
     "am.yml:5:9: field \"routing_key_file\" in pagerduty_configs is not supported by vigil: "
     "write the value inline"},
    {"log bad level",
     "route: {receiver: r}\nreceivers:\n  - name: r\n    log_configs:\n      - level: fatal\n",
     "am.yml:5:16: level: \"fatal\" is not one of debug, info, warn, error"},
    {"integration list not a list",
     "route: {receiver: r}\nreceivers:\n  - name: r\n    log_configs: {level: info}\n",
     "am.yml:4:18: log_configs: expected a list, got a mapping"},
    // http_config.
    {"basic_auth and bearer_token",
     "global:\n  http_config:\n    basic_auth: {username: u}\n    bearer_token: t\n"
     "route: {receiver: r}\n" OK_TAIL,
     "am.yml:3:5: http_config: at most one of basic_auth, authorization and bearer_token may "
     "be set"},
    {"authorization type basic",
     "global:\n  http_config:\n    authorization: {type: Basic, credentials: c}\n"
     "route: {receiver: r}\n" OK_TAIL,
     "am.yml:3:27: authorization type cannot be set to \"basic\", use \"basic_auth\" instead"},
    {"oauth2",
     "global:\n  http_config:\n    oauth2: {client_id: x}\nroute: {receiver: r}\n" OK_TAIL,
     "am.yml:3:5: field \"oauth2\" in http_config is not supported by vigil"},
    {"tls server_name",
     "global:\n  http_config:\n    tls_config: {server_name: x}\nroute: {receiver: r}\n" OK_TAIL,
     "am.yml:3:18: field \"server_name\" in tls_config is not supported by vigil"},
    {"tls cert without key",
     "global:\n  http_config:\n    tls_config: {cert_file: c.pem}\nroute: {receiver: r}\n" OK_TAIL,
     "am.yml:3:17: tls_config: cert_file and key_file must be set together"},
    {"unknown basic_auth field",
     "global:\n  http_config:\n    basic_auth: {user: u}\nroute: {receiver: r}\n" OK_TAIL,
     "am.yml:3:18: unknown field \"user\" in basic_auth"},
    // Time intervals.
    {"time interval without name", "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - {}\n",
     "am.yml:4:5: missing name in time interval"},
    {"duplicate time interval",
     "route: {receiver: r}\n" OK_TAIL "mute_time_intervals:\n  - name: a\n"
     "time_intervals:\n  - name: a\n",
     "am.yml:6:11: time interval \"a\" is not unique"},
    {"unknown time interval field",
     "route: {receiver: r}\n" OK_TAIL
     "time_intervals:\n  - name: a\n    time_intervals:\n      - {days: [1]}\n",
     "am.yml:6:10: unknown field \"days\" in time interval"},
    {"bad time format",
     "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - name: a\n    time_intervals:\n"
     "      - times: [{start_time: '9:00', end_time: '17:00'}]\n",
     "am.yml:6:30: times: couldn't parse timestamp \"9:00\", invalid format (want HH:MM, 00:00 "
     "to 24:00)"},
    {"time out of range",
     "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - name: a\n    time_intervals:\n"
     "      - times: [{start_time: '09:00', end_time: '24:01'}]\n",
     "am.yml:6:49: times: couldn't parse timestamp \"24:01\", invalid format (want HH:MM, 00:00 "
     "to 24:00)"},
    {"time missing end",
     "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - name: a\n    time_intervals:\n"
     "      - times: [{start_time: '09:00'}]\n",
     "am.yml:6:17: times: both start_time and end_time must be provided"},
    {"time start after end",
     "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - name: a\n    time_intervals:\n"
     "      - times: [{start_time: '17:00', end_time: '09:00'}]\n",
     "am.yml:6:17: times: start_time 17:00 is not before end_time 09:00"},
    {"bad weekday",
     "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - name: a\n    time_intervals:\n"
     "      - weekdays: ['monday:fri']\n",
     "am.yml:6:20: weekdays: \"fri\" is not a valid weekday"},
    {"weekdays reversed",
     "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - name: a\n    time_intervals:\n"
     "      - weekdays: ['friday:monday']\n",
     "am.yml:6:20: weekdays: end day monday is before start day friday"},
    {"weekday range of three",
     "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - name: a\n    time_intervals:\n"
     "      - weekdays: ['monday:tuesday:friday']\n",
     "am.yml:6:20: weekdays: couldn't parse range \"monday:tuesday:friday\", invalid format"},
    {"day of month zero",
     "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - name: a\n    time_intervals:\n"
     "      - days_of_month: ['0:5']\n",
     "am.yml:6:25: days_of_month: 0 is not a valid day of the month: out of range"},
    {"day of month 32",
     "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - name: a\n    time_intervals:\n"
     "      - days_of_month: [32]\n",
     "am.yml:6:25: days_of_month: 32 is not a valid day of the month: out of range"},
    {"negative start positive end",
     "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - name: a\n    time_intervals:\n"
     "      - days_of_month: ['-3:5']\n",
     "am.yml:6:25: days_of_month: end day must be negative if start day is negative"},
    {"days always reversed",
     "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - name: a\n    time_intervals:\n"
     "      - days_of_month: ['10:-25']\n",
     "am.yml:6:25: days_of_month: end day -25 is always before start day 10"},
    {"month 13",
     "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - name: a\n    time_intervals:\n"
     "      - months: ['13']\n",
     "am.yml:6:18: months: 13 is not a valid month: out of range"},
    {"months reversed",
     "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - name: a\n    time_intervals:\n"
     "      - months: ['december:january']\n",
     "am.yml:6:18: months: end month january is before start month december"},
    {"bad year",
     "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - name: a\n    time_intervals:\n"
     "      - years: ['2020:next']\n",
     "am.yml:6:17: years: \"next\" is not a valid year"},
    {"years reversed",
     "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - name: a\n    time_intervals:\n"
     "      - years: ['2024:2020']\n",
     "am.yml:6:17: years: end year 2020 is before start year 2024"},
    {"unsupported location",
     "route: {receiver: r}\n" OK_TAIL "time_intervals:\n  - name: a\n    time_intervals:\n"
     "      - location: Europe/Berlin\n",
     "am.yml:6:19: location \"Europe/Berlin\" is not supported by vigil: only UTC and Local are "
     "(libstdc++ 12 has no time zone database)"},
    // Templates.
    {"templates not a list", "route: {receiver: r}\n" OK_TAIL "templates: a.tmpl\n",
     "am.yml:3:12: templates: expected a list, got a scalar"},
};

#undef OK_TAIL

class ConfigErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrorTest, NamesPositionAndCause) {
  EXPECT_EQ(ErrorOf(GetParam().yaml), GetParam().error) << GetParam().yaml;
}

INSTANTIATE_TEST_SUITE_P(AllClasses, ConfigErrorTest, ::testing::ValuesIn(kErrorCases),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) {
                           std::string name = info.param.name;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// --- ParseMatchers -------------------------------------------------------

struct MatchersCase {
  const char* input;
  Strings want;  // ToString of each, in order
};

TEST(ParseMatchersTest, Valid) {
  const MatchersCase kCases[] = {
      {"foo=bar", {"foo=\"bar\""}},
      {"{foo=\"bar\"}", {"foo=\"bar\""}},
      {"{foo = \"bar\", dings != \"bums\", }", {"foo=\"bar\"", "dings!=\"bums\""}},
      {"foo=bar,dings!=bums", {"foo=\"bar\"", "dings!=\"bums\""}},
      {"foo=bar, dings!=bums", {"foo=\"bar\"", "dings!=\"bums\""}},
      {"  {  foo = \"bar\"  }  ", {"foo=\"bar\""}},
      {"statuscode=~\"5..\"", {"statuscode=~\"5..\""}},
      {"tag!~\"^v1\"", {"tag!~\"^v1\""}},
      {"foo=", {"foo=\"\""}},
      {"foo=\"\"", {"foo=\"\""}},
      {"foo = \"bar,baz\"", {"foo=\"bar,baz\""}},
      {"b=1,a=2", {"b=\"1\"", "a=\"2\""}},  // order kept
      {"job:rate=x", {"job:rate=\"x\""}},   // colons allowed, as Alertmanager allows
      {"{quote=\"She said: \\\"Hi, ladies! That's gender-neutral…\\\"\"}",
       {"quote=\"She said: \\\"Hi, ladies! That's gender-neutral…\\\"\""}},
      {"{foo=bar}}", {"foo=\"bar}\""}},
      {"{trickier==\\\\=\\=\\\"}", {"trickier=\"=\\\\=\\\\=\\\"\""}},
      {"contains_quote != \"\\\"\" , contains_comma !~ \"foo,bar\" , ",
       {"contains_quote!=\"\\\"\"", "contains_comma!~\"foo,bar\""}},
      {"nl=\"a\\nb\"", {"nl=\"a\\nb\""}},
      {"bs=\"a\\\\b\"", {"bs=\"a\\\\b\""}},
      {"spurious=\"a\\qb\"", {"spurious=\"a\\\\qb\""}},
      {"trailing=a\\", {"trailing=\"a\\\\\""}},
      {"", {}},
      {"{}", {}},
  };
  for (const MatchersCase& tc : kCases) {
    Result<std::vector<model::Matcher>> ms = ParseMatchers(tc.input);
    ASSERT_TRUE(ms.ok()) << tc.input << ": " << ms.status().ToString();
    EXPECT_EQ(MatcherStrings(*ms), tc.want) << tc.input;
  }
}

TEST(ParseMatchersTest, ValuesAndTypes) {
  Result<std::vector<model::Matcher>> ms =
      ParseMatchers(R"({a="x\"y", b=~"5..", c!="", d!~"a|b"})");
  ASSERT_TRUE(ms.ok()) << ms.status().ToString();
  ASSERT_EQ(ms->size(), 4u);
  EXPECT_EQ((*ms)[0].value(), "x\"y");
  EXPECT_EQ((*ms)[1].type(), model::MatchType::kRegexMatch);
  EXPECT_TRUE((*ms)[1].Matches("503"));
  EXPECT_FALSE((*ms)[1].Matches("5030"));  // anchored
  EXPECT_EQ((*ms)[2].type(), model::MatchType::kNotEqual);
  EXPECT_EQ((*ms)[3].type(), model::MatchType::kRegexNoMatch);
  EXPECT_FALSE((*ms)[3].Matches("a"));
  EXPECT_TRUE((*ms)[3].Matches("ab"));
}

TEST(ParseMatchersTest, Errors) {
  const std::pair<const char*, const char*> kCases[] = {
      {"foo", "bad matcher format at position 1: \"foo\""},
      {"foo=bar, baz~qux", "bad matcher format at position 10: \"baz~qux\""},
      {"foo=bar,,baz=qux", "bad matcher format at position 9: \"\""},
      {"1foo=bar", "bad matcher format at position 1: \"1foo=bar\""},
      {"foo bar=baz", "bad matcher format at position 1: \"foo bar=baz\""},
      {"=bar", "bad matcher format at position 1: \"=bar\""},
      {"foo=\"bar", "matcher value contains unescaped double quote at position 1: \"foo=\"bar\""},
      {"foo=\"", "matcher value contains unescaped double quote at position 1: \"foo=\"\""},
      {"foo=ba\"r", "matcher value contains unescaped double quote at position 1: \"foo=ba\"r\""},
      {"a=1, foo=\"a\"b\"",
       "matcher value contains unescaped double quote at position 6: "
       "\"foo=\"a\"b\"\""},
      {"foo=\"\xff\"", "matcher value not valid UTF-8 at position 1: \"foo=\"\xff\"\""},
      {"foo=~\"(\"",
       "invalid regular expression \"(\": missing ): ( (matcher at position 1: "
       "\"foo=~\"(\"\")"},
  };
  for (const auto& [input, want] : kCases) {
    Result<std::vector<model::Matcher>> ms = ParseMatchers(input);
    ASSERT_FALSE(ms.ok()) << input;
    EXPECT_EQ(ms.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(ms.status().message(), want) << input;
  }
}

// --- InTimeIntervals ---------------------------------------------------

// Parses one time_intervals entry's list.
std::vector<TimeInterval> Intervals(std::string_view items) {
  std::string text =
      "route: {receiver: r}\nreceivers: [{name: r}]\n"
      "time_intervals:\n  - name: t\n    time_intervals:\n";
  text += items;
  Config c = MustParse(text);
  if (c.time_intervals.size() != 1) return {};
  return c.time_intervals[0].time_intervals;
}

TEST(InTimeIntervalsTest, BusinessHours) {
  auto ti = Intervals(
      "      - times: [{start_time: '09:00', end_time: '17:00'}]\n"
      "        weekdays: ['Monday:FRIDAY']\n");
  ASSERT_EQ(ti.size(), 1u);
  EXPECT_TRUE(InTimeIntervals(ti, Utc(2024, 3, 13, 9, 0)));  // Wednesday
  EXPECT_TRUE(InTimeIntervals(ti, Utc(2024, 3, 13, 16, 59)));
  EXPECT_FALSE(InTimeIntervals(ti, Utc(2024, 3, 13, 17, 0)));  // end is exclusive
  EXPECT_FALSE(InTimeIntervals(ti, Utc(2024, 3, 13, 8, 59)));
  EXPECT_TRUE(InTimeIntervals(ti, Utc(2024, 3, 11, 12)));   // Monday
  EXPECT_TRUE(InTimeIntervals(ti, Utc(2024, 3, 15, 12)));   // Friday
  EXPECT_FALSE(InTimeIntervals(ti, Utc(2024, 3, 16, 12)));  // Saturday
  EXPECT_FALSE(InTimeIntervals(ti, Utc(2024, 3, 17, 12)));  // Sunday
  // Sub-minute precision does not matter; seconds are floored.
  EXPECT_TRUE(InTimeIntervals(ti, Utc(2024, 3, 13, 16, 59) + seconds(59)));
}

TEST(InTimeIntervalsTest, WeekendsAndSeveralIntervals) {
  auto ti = Intervals(
      "      - weekdays: [saturday, sunday]\n"
      "      - times: [{start_time: '22:00', end_time: '24:00'}, "
      "{start_time: '00:00', end_time: '06:00'}]\n");
  ASSERT_EQ(ti.size(), 2u);
  EXPECT_TRUE(InTimeIntervals(ti, Utc(2024, 3, 16, 12)));
  EXPECT_TRUE(InTimeIntervals(ti, Utc(2024, 3, 17, 23, 59)));
  EXPECT_TRUE(InTimeIntervals(ti, Utc(2024, 3, 13, 23, 30)));  // a weeknight
  EXPECT_TRUE(InTimeIntervals(ti, Utc(2024, 3, 14, 5, 0)));
  EXPECT_FALSE(InTimeIntervals(ti, Utc(2024, 3, 14, 6, 0)));
  EXPECT_FALSE(InTimeIntervals(ti, Utc(2024, 3, 18, 12)));  // Monday noon
}

TEST(InTimeIntervalsTest, MonthEnds) {
  auto last = Intervals("      - days_of_month: ['-1']\n");
  EXPECT_TRUE(InTimeIntervals(last, Utc(2024, 2, 29, 12)));  // leap year
  EXPECT_FALSE(InTimeIntervals(last, Utc(2024, 2, 28, 12)));
  EXPECT_TRUE(InTimeIntervals(last, Utc(2023, 2, 28, 12)));
  EXPECT_TRUE(InTimeIntervals(last, Utc(2024, 4, 30, 0)));
  EXPECT_TRUE(InTimeIntervals(last, Utc(2024, 12, 31, 23, 59)));
  EXPECT_FALSE(InTimeIntervals(last, Utc(2025, 1, 1, 0)));

  auto last3 = Intervals("      - days_of_month: ['-3:-1']\n");
  EXPECT_FALSE(InTimeIntervals(last3, Utc(2024, 4, 27, 12)));
  EXPECT_TRUE(InTimeIntervals(last3, Utc(2024, 4, 28, 12)));
  EXPECT_TRUE(InTimeIntervals(last3, Utc(2024, 4, 30, 12)));
  EXPECT_TRUE(InTimeIntervals(last3, Utc(2024, 5, 29, 12)));
  EXPECT_FALSE(InTimeIntervals(last3, Utc(2024, 5, 28, 12)));

  auto first = Intervals("      - days_of_month: ['1:5', '15']\n");
  EXPECT_TRUE(InTimeIntervals(first, Utc(2024, 6, 1)));
  EXPECT_TRUE(InTimeIntervals(first, Utc(2024, 6, 5, 23, 59)));
  EXPECT_FALSE(InTimeIntervals(first, Utc(2024, 6, 6)));
  EXPECT_TRUE(InTimeIntervals(first, Utc(2024, 6, 15)));

  // Ranges past a short month's end are clamped to it, or skipped when
  // they start after it.
  auto late = Intervals("      - days_of_month: ['25:31']\n");
  EXPECT_TRUE(InTimeIntervals(late, Utc(2023, 2, 28)));
  EXPECT_TRUE(InTimeIntervals(late, Utc(2023, 1, 31)));
  auto after_feb = Intervals("      - days_of_month: ['30:31']\n");
  EXPECT_FALSE(InTimeIntervals(after_feb, Utc(2023, 2, 28)));
  EXPECT_TRUE(InTimeIntervals(after_feb, Utc(2023, 3, 30)));
}

TEST(InTimeIntervalsTest, MonthsAndYears) {
  auto q1 = Intervals("      - months: ['january:march', '12']\n");
  ASSERT_EQ(q1.size(), 1u);
  ASSERT_EQ(q1[0].months.size(), 2u);
  EXPECT_EQ(q1[0].months[1].begin, 12);
  EXPECT_TRUE(InTimeIntervals(q1, Utc(2024, 1, 1)));
  EXPECT_TRUE(InTimeIntervals(q1, Utc(2024, 3, 31, 23, 59)));
  EXPECT_FALSE(InTimeIntervals(q1, Utc(2024, 4, 1)));
  EXPECT_TRUE(InTimeIntervals(q1, Utc(2024, 12, 24)));

  auto years = Intervals("      - years: ['2020:2022']\n        months: [may]\n");
  EXPECT_FALSE(InTimeIntervals(years, Utc(2019, 5, 10)));
  EXPECT_TRUE(InTimeIntervals(years, Utc(2020, 5, 10)));
  EXPECT_TRUE(InTimeIntervals(years, Utc(2022, 5, 31, 23, 59)));
  EXPECT_FALSE(InTimeIntervals(years, Utc(2022, 6, 1)));
  EXPECT_FALSE(InTimeIntervals(years, Utc(2023, 5, 10)));
}

TEST(InTimeIntervalsTest, EmptyListsAndLocations) {
  EXPECT_FALSE(InTimeIntervals({}, Utc(2024, 1, 1)));
  EXPECT_TRUE(InTimeIntervals({TimeInterval{}}, Utc(2024, 1, 1)));  // no fields: always

  auto utc = Intervals(
      "      - {times: [{start_time: '09:00', end_time: '10:00'}], "
      "location: Etc/UTC}\n");
  ASSERT_EQ(utc.size(), 1u);
  EXPECT_EQ(utc[0].location, "Etc/UTC");
  EXPECT_TRUE(InTimeIntervals(utc, Utc(2024, 1, 1, 9, 30)));

  // "Local" is the process' zone; TZ set to a fixed offset (UTC-5, POSIX
  // spelling) for this test only.
  const char* old = getenv("TZ");
  const std::string saved = old != nullptr ? old : "";
  setenv("TZ", "EST5", 1);
  tzset();
  auto local = Intervals(
      "      - {times: [{start_time: '09:00', end_time: '10:00'}], "
      "weekdays: [monday], location: Local}\n");
  ASSERT_EQ(local.size(), 1u);
  EXPECT_TRUE(InTimeIntervals(local, Utc(2024, 3, 11, 14, 30)));  // 09:30 EST
  EXPECT_FALSE(InTimeIntervals(local, Utc(2024, 3, 11, 9, 30)));  // 04:30 EST
  // Monday 02:00 UTC is still Sunday evening in EST.
  auto monday = Intervals("      - {weekdays: [monday], location: Local}\n");
  EXPECT_FALSE(InTimeIntervals(monday, Utc(2024, 3, 11, 2)));
  EXPECT_TRUE(InTimeIntervals(monday, Utc(2024, 3, 11, 5)));
  if (old != nullptr) {
    setenv("TZ", saved.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
}

}  // namespace
}  // namespace vigil::alertmanager
