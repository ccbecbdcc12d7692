#include "alertmanager/notify.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "alertmanager/notify_test_util.h"

namespace vigil::alertmanager {
namespace {

using testing::AllResolved;
using testing::kNow;
using testing::kStartA;
using testing::TwoFiring;

std::string Expand(const Templates& t, std::string_view text, const NotificationData& d) {
  Result<std::string> r = t.ExecuteText(text, TemplateValue(d));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

std::string RunDefault(std::string_view text, const NotificationData& d = TwoFiring()) {
  return Expand(Templates::Default(), text, d);
}

TEST(NotificationDataTest, StatusTimesAndFingerprints) {
  const NotificationData d = TwoFiring();
  EXPECT_EQ(d.receiver, "team-ml");
  EXPECT_EQ(d.status, "firing");
  EXPECT_EQ(d.group_key, testing::kGroupKey);
  EXPECT_EQ(d.external_url, "http://am.example:9093");
  ASSERT_EQ(d.alerts.size(), 2u);
  EXPECT_EQ(d.alerts[0].status, "firing");
  EXPECT_EQ(d.alerts[0].starts_at, kStartA);
  // An end in the future is not shown while the alert fires.
  EXPECT_EQ(d.alerts[0].ends_at, TimePoint{});
  EXPECT_EQ(d.alerts[0].fingerprint, "2bbf7757ab8dc541");
  EXPECT_EQ(d.alerts[1].fingerprint, "6a2a2ee9e3a504b6");
  EXPECT_EQ(d.common_labels,
            model::Labels::FromPairs({{"alertname", "HighErrorRate"}, {"severity", "critical"}}));
  EXPECT_EQ(d.common_annotations, model::Labels::FromPairs({{"runbook", "http://wiki/r"}}));
  EXPECT_EQ(d.group_labels, model::Labels::FromPairs({{"alertname", "HighErrorRate"}}));
}

TEST(NotificationDataTest, ResolvedOnlyWhenEveryAlertIs) {
  const NotificationData r = AllResolved();
  EXPECT_EQ(r.status, "resolved");
  EXPECT_EQ(r.alerts[0].status, "resolved");
  EXPECT_EQ(r.alerts[0].ends_at, kNow - std::chrono::minutes(1));

  std::vector<Alert> alerts = testing::TwoFiringAlerts();
  alerts[0].ends_at = kNow;  // ends exactly now: resolved
  const NotificationData mixed = MakeNotificationData("r", model::Labels(), alerts, "", "", kNow);
  EXPECT_EQ(mixed.status, "firing");
  EXPECT_EQ(mixed.alerts[0].status, "resolved");
  EXPECT_EQ(mixed.alerts[1].status, "firing");
}

TEST(NotificationDataTest, ReceiverIsQuotedAsARegexp) {
  const NotificationData d = MakeNotificationData("team.ml+(x)", model::Labels(), {}, "", "", kNow);
  EXPECT_EQ(d.receiver, R"(team\.ml\+\(x\))");
  EXPECT_EQ(d.status, "resolved");  // no alerts: nothing fires
  EXPECT_TRUE(d.common_labels.empty());
}

TEST(NotificationDataTest, TruncateAlertsRecomputesStatusAndCommonLabels) {
  std::vector<Alert> alerts = testing::TwoFiringAlerts();
  alerts[0].ends_at = kNow - std::chrono::seconds(1);
  const NotificationData d = MakeNotificationData("r", model::Labels(), alerts, "", "", kNow);
  ASSERT_EQ(d.status, "firing");
  const NotificationData t = TruncateAlerts(d, 1);
  ASSERT_EQ(t.alerts.size(), 1u);
  EXPECT_EQ(t.truncated_alerts, 1);
  EXPECT_EQ(t.status, "resolved");
  EXPECT_EQ(t.common_labels, alerts[0].labels);
  EXPECT_EQ(t.common_annotations, alerts[0].annotations);
  EXPECT_EQ(TruncateAlerts(d, 0).alerts.size(), 2u);
  EXPECT_EQ(TruncateAlerts(d, 2).truncated_alerts, 0);
}

TEST(DefaultTemplatesTest, Subject) {
  EXPECT_EQ(RunDefault(R"({{ template "__subject" . }})"), "[FIRING:2] HighErrorRate (critical)");
  EXPECT_EQ(RunDefault(R"({{ template "__subject" . }})", AllResolved()),
            "[RESOLVED] HighErrorRate (critical)");
  // Nothing common beyond the group labels: Alertmanager leaves a space.
  std::vector<Alert> alerts = testing::TwoFiringAlerts();
  const NotificationData d = MakeNotificationData(
      "team-ml",
      model::Labels::FromPairs({{"alertname", "HighErrorRate"}, {"severity", "critical"}}), alerts,
      "", "", kNow);
  EXPECT_EQ(RunDefault(R"({{ template "__subject" . }})", d), "[FIRING:2] HighErrorRate critical ");
  // Common labels beyond the group labels, alertname first among them.
  const NotificationData one = MakeNotificationData(
      "team-ml", model::Labels::FromPairs({{"job", "api"}}), {alerts[0]}, "", "", kNow);
  EXPECT_EQ(RunDefault(R"({{ template "__subject" . }})", one),
            "[FIRING:1] api (HighErrorRate a:9090 critical)");
}

TEST(DefaultTemplatesTest, AlertmanagerUrlAndSlackTexts) {
  EXPECT_EQ(RunDefault(R"({{ template "__alertmanagerURL" . }})"),
            "http://am.example:9093/#/alerts?receiver=team-ml");
  const NotificationData spaced = MakeNotificationData(
      "team ml/é", model::Labels(), testing::TwoFiringAlerts(), "http://am", "", kNow);
  EXPECT_EQ(RunDefault(R"({{ template "__alertmanagerURL" . }})", spaced),
            "http://am/#/alerts?receiver=team+ml%2F%C3%A9");
  EXPECT_EQ(RunDefault(R"({{ template "slack.default.fallback" . }})"),
            "[FIRING:2] HighErrorRate (critical) | "
            "http://am.example:9093/#/alerts?receiver=team-ml");
  EXPECT_EQ(RunDefault(R"({{ template "slack.default.username" . }})"), "Alertmanager");
  EXPECT_EQ(RunDefault(R"({{ template "slack.default.text" . }})"), "");
  EXPECT_EQ(RunDefault(R"({{ template "pagerduty.default.description" . }})"),
            "[FIRING:2] HighErrorRate (critical)");
  EXPECT_EQ(RunDefault(R"({{ template "pagerduty.default.clientURL" . }})"),
            "http://am.example:9093/#/alerts?receiver=team-ml");
  EXPECT_EQ(RunDefault(R"({{ template "email.default.subject" . }})"),
            "[FIRING:2] HighErrorRate (critical)");
}

TEST(DefaultTemplatesTest, TextAlertList) {
  EXPECT_EQ(RunDefault(R"({{ template "pagerduty.default.instances" .Alerts.Firing }})"),
            "Labels:\n"
            " - alertname = HighErrorRate\n"
            " - instance = a:9090\n"
            " - job = api\n"
            " - severity = critical\n"
            "Annotations:\n"
            " - runbook = http://wiki/r\n"
            " - summary = Error rate high on a\n"
            "Source: http://prom:9090/graph?g0.expr=rate%28x%29&g0.tab=1\n"
            "Labels:\n"
            " - alertname = HighErrorRate\n"
            " - instance = b:9090\n"
            " - job = web\n"
            " - severity = critical\n"
            "Annotations:\n"
            " - runbook = http://wiki/r\n"
            " - summary = Error rate high on b\n"
            "Source: http://prom:9090/graph?g0.expr=y\n");
  EXPECT_EQ(RunDefault(R"({{ template "__text_alert_list" .Alerts.Resolved }})"), "");
}

TEST(TemplateValueTest, FieldsAndKvMethods) {
  EXPECT_EQ(RunDefault("{{ .Receiver }} {{ .Status }} {{ .ExternalURL }}"),
            "team-ml firing http://am.example:9093");
  EXPECT_EQ(RunDefault("{{ .CommonLabels }}"), "alertname=HighErrorRate, severity=critical");
  EXPECT_EQ(RunDefault("{{ .CommonLabels.SortedPairs }}"),
            "alertname=HighErrorRate, severity=critical");
  EXPECT_EQ(RunDefault("{{ .CommonLabels.Names }} {{ .CommonLabels.Values }}"),
            "[alertname severity] [HighErrorRate critical]");
  EXPECT_EQ(RunDefault("{{ range .CommonLabels.SortedPairs }}{{ .Name }}:{{ .Value }};{{ end }}"),
            "alertname:HighErrorRate;severity:critical;");
  EXPECT_EQ(RunDefault("{{ .GroupLabels.alertname }}|{{ .CommonLabels.missing }}|"),
            "HighErrorRate||");
  EXPECT_EQ(RunDefault(R"({{ (.CommonLabels.Remove (stringSlice "severity")).Names }})"),
            "[alertname]");
  EXPECT_EQ(RunDefault("{{ len .Alerts }} {{ len .Alerts.Firing }} {{ len .Alerts.Resolved }}"),
            "2 2 0");
  EXPECT_EQ(RunDefault("{{ range .Alerts }}{{ .Labels.instance }}={{ .Fingerprint }} {{ end }}"),
            "a:9090=2bbf7757ab8dc541 b:9090=6a2a2ee9e3a504b6 ");
  EXPECT_EQ(RunDefault("{{ (index .Alerts 1).Annotations.summary }}"), "Error rate high on b");
  EXPECT_EQ(RunDefault("{{ range .Alerts.Firing }}{{ .GeneratorURL }} {{ end }}"),
            "http://prom:9090/graph?g0.expr=rate%28x%29&g0.tab=1 "
            "http://prom:9090/graph?g0.expr=y ");
}

TEST(TemplateValueTest, SortedPairsPutsAlertnameFirst) {
  Alert a = testing::MakeAlert({{"a", "1"}, {"alertname", "X"}, {"z", "2"}}, {}, kStartA,
                               TimePoint{}, "");
  const NotificationData d = MakeNotificationData("r", model::Labels(), {a}, "", "", kNow);
  EXPECT_EQ(RunDefault("{{ (index .Alerts 0).Labels.SortedPairs }}", d), "alertname=X, a=1, z=2");
  EXPECT_EQ(RunDefault("{{ (index .Alerts 0).Labels.Names | join \",\" }}", d), "alertname,a,z");
}

TEST(TemplateValueTest, Times) {
  EXPECT_EQ(RunDefault("{{ (index .Alerts 0).StartsAt }}"),
            "2024-01-02 03:04:05.123456789 +0000 UTC");
  EXPECT_EQ(RunDefault("{{ (index .Alerts 0).EndsAt }}"), "0001-01-01 00:00:00 +0000 UTC");
  EXPECT_EQ(
      RunDefault("{{ (index .Alerts 0).EndsAt.IsZero }} {{ (index .Alerts 0).StartsAt.IsZero }}"),
      "true false");
  EXPECT_EQ(RunDefault(R"({{ (index .Alerts 0).EndsAt.Format "2006-01-02T15:04:05Z07:00" }})"),
            "0001-01-01T00:00:00Z");
  EXPECT_EQ(RunDefault(R"({{ (index .Alerts 0).StartsAt.Format "Jan 2 15:04:05" }})"),
            "Jan 2 03:04:05");
  EXPECT_EQ(RunDefault("{{ (index .Alerts 0).StartsAt.Unix }} {{ (index .Alerts 0).EndsAt.Unix }}"),
            "1704164645 -62135596800");
  EXPECT_EQ(
      RunDefault("{{ (index .Alerts 0).EndsAt.Year }} {{ (index .Alerts 0).EndsAt.Weekday }}"),
      "1 Monday");
}

TEST(TemplateFuncsTest, AlertmanagerFunctions) {
  const NotificationData d = TwoFiring();
  EXPECT_EQ(RunDefault(R"({{ "hello wORLD" | title }} {{ toUpper "ab" }} {{ toLower "AB" }})"),
            "Hello World AB ab");
  EXPECT_EQ(RunDefault(R"({{ title "it's a.b-c_d" }})"), "It's A.b-C_d");
  EXPECT_EQ(RunDefault(R"([{{ trimSpace "  x y \n" }}])"), "[x y]");
  EXPECT_EQ(RunDefault(R"({{ stringSlice "a" "b" "c" | join ", " }})"), "a, b, c");
  EXPECT_EQ(RunDefault(R"({{ match "^High" .CommonLabels.alertname }} {{ match "x$" "y" }})"),
            "true false");
  EXPECT_EQ(RunDefault(R"j({{ reReplaceAll "(a+)" "<$1>" "baac" }})j"), "b<aa>c");
  EXPECT_EQ(RunDefault(R"({{ safeHtml "<b>" }})"), "<b>");
  // Prometheus' functions are not Alertmanager's.
  Result<std::string> r = Templates::Default().ExecuteText("{{ humanize 1 }}", TemplateValue(d));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(R"(function "humanize" not defined)"), std::string::npos)
      << r.status().message();
}

TEST(TemplatesTest, TextDefinitionsDoNotLeakAndEmptyTextIsEmpty) {
  const Templates t = Templates::Default();
  EXPECT_EQ(Expand(t, R"({{ define "mine" }}M{{ end }}{{ template "mine" }}!)", TwoFiring()), "M!");
  EXPECT_FALSE(t.HasTemplate("mine"));
  EXPECT_EQ(Expand(t, "", TwoFiring()), "");
  Result<std::string> bad = t.ExecuteText("{{ .Status ", TemplateValue(TwoFiring()));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("template: :1:"), std::string::npos)
      << bad.status().message();
}

TEST(TemplatesTest, UserTemplatesOverrideDefaults) {
  Templates t = Templates::Default();
  ASSERT_TRUE(t.Add("user.tmpl", R"({{ define "__subject" }}custom {{ .Status }}{{ end }})").ok());
  EXPECT_EQ(Expand(t, R"({{ template "slack.default.title" . }})", TwoFiring()), "custom firing");
  EXPECT_FALSE(t.Add("bad.tmpl", "{{ define }}").ok());
  EXPECT_EQ(Expand(t, R"({{ template "__subject" . }})", TwoFiring()), "custom firing");
}

TEST(TemplatesTest, FromGlobs) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("vigil_notify_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.tmpl")
      << R"({{ define "my.title" }}Alert {{ .CommonLabels.alertname }}{{ end }})";
  std::ofstream(dir / "b.tmpl") << R"({{ define "my.title" }}B {{ .Status }}{{ end }})";
  Result<Templates> t = Templates::FromGlobs({(dir / "*.tmpl").string(), (dir / "none*").string()});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->HasTemplate("a.tmpl"));
  // Files load in name order; the later definition wins.
  EXPECT_EQ(Expand(*t, R"({{ template "my.title" . }})", TwoFiring()), "B firing");

  std::ofstream(dir / "c.tmpl") << "{{ if }}";
  Result<Templates> bad = Templates::FromGlobs({(dir / "*.tmpl").string()});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("c.tmpl:1"), std::string::npos) << bad.status().message();
  std::filesystem::remove_all(dir);
}

TEST(TemplatesTest, HtmlValueEscapes) {
  Alert a = testing::MakeAlert({{"alertname", "X"}, {"v", "<b>&'\"+"}}, {}, kStartA, TimePoint{},
                               "http://g/?a=1&b=2");
  const NotificationData d = MakeNotificationData("r", model::Labels(), {a}, "", "", kNow);
  Result<std::string> r = Templates::Default().ExecuteHtml(
      "{{ .CommonLabels.v }} {{ (index .Alerts 0).GeneratorURL }}", HtmlTemplateValue(d));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "&lt;b&gt;&amp;&#39;&#34;&#43; http://g/?a=1&amp;b=2");
}

TEST(TemplatesTest, DefaultEmailHtml) {
  Result<std::string> r = Templates::Default().ExecuteHtml(
      R"({{ template "email.default.html" . }})", HtmlTemplateValue(TwoFiring()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->find("<title>[FIRING:2] HighErrorRate (critical)</title>"), std::string::npos);
  EXPECT_NE(r->find("2 alerts for alertname=HighErrorRate"), std::string::npos);
  EXPECT_NE(r->find("[2] Firing"), std::string::npos);
  EXPECT_EQ(r->find("Resolved</strong>"), std::string::npos);
  EXPECT_NE(r->find("instance = a:9090<br />"), std::string::npos);
  EXPECT_NE(r->find("href=\"http://prom:9090/graph?g0.expr=rate%28x%29&amp;g0.tab=1\""),
            std::string::npos);
  EXPECT_NE(r->find("View in Alertmanager"), std::string::npos);
}

TEST(BuildNotifiersTest, BuildsEveryIntegrationInOrder) {
  Receiver r;
  r.name = "all";
  r.slack_configs.emplace_back();
  r.webhook_configs.emplace_back().url.value = "http://127.0.0.1:1/hook";
  r.log_configs.emplace_back();
  PagerdutyConfig pd;
  pd.routing_key.value = "key";
  r.pagerduty_configs.push_back(pd);
  EmailConfig email;
  email.to = "ops@example.com";
  r.email_configs.push_back(email);
  GlobalConfig g;
  g.slack_api_url.value = "https://hooks.slack.example/services/T/B/secret";
  g.smtp_from = "am@example.com";
  g.smtp_smarthost = "127.0.0.1:25";
  Result<std::vector<std::unique_ptr<Notifier>>> n =
      BuildNotifiers(r, g, std::make_shared<const Templates>(Templates::Default()));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  std::vector<std::string> names;
  for (const auto& x : *n) names.emplace_back(x->integration());
  EXPECT_EQ(names, (std::vector<std::string>{"webhook", "email", "pagerduty", "slack", "log"}));
  EXPECT_TRUE((*n)[0]->send_resolved());   // webhook
  EXPECT_FALSE((*n)[1]->send_resolved());  // email
  EXPECT_FALSE((*n)[3]->send_resolved());  // slack
}

TEST(BuildNotifiersTest, RejectsWhatCannotWorkWithoutLeakingSecrets) {
  const auto build = [](const Receiver& r, const GlobalConfig& g = {}) {
    return BuildNotifiers(r, g, nullptr).status();
  };
  Receiver r;
  r.webhook_configs.emplace_back();
  Status s = build(r);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("webhook_configs[0]"), std::string::npos) << s.message();

  r = {};
  r.webhook_configs.emplace_back().url.value = "ftp://user:hunter2@host/secret-path";
  s = build(r);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("secret-path"), std::string::npos) << s.message();

  r = {};
  r.slack_configs.emplace_back();
  EXPECT_EQ(build(r).code(), StatusCode::kInvalidArgument);  // no api_url anywhere

  r = {};
  r.email_configs.emplace_back().to = "a@b";
  s = build(r);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("email_configs[0]"), std::string::npos);
  GlobalConfig g;
  g.smtp_from = "x@y";
  g.smtp_smarthost = "no-port";
  EXPECT_EQ(build(r, g).code(), StatusCode::kInvalidArgument);

  r = {};
  r.pagerduty_configs.emplace_back();
  EXPECT_EQ(build(r).code(), StatusCode::kInvalidArgument);

  r = {};
  r.log_configs.emplace_back().level = "loud";
  EXPECT_EQ(build(r).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::alertmanager
