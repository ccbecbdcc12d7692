#include "alertmanager/notify_slack.h"

#include <gtest/gtest.h>

#include "alertmanager/notify_test_util.h"

namespace vigil::alertmanager {
namespace {

using testing::Ctx;
using testing::HttpReceiver;
using testing::TwoFiring;

const Templates& Defaults() {
  static const Templates t = Templates::Default();
  return t;
}

std::string MustBuild(const SlackConfig& c, const NotificationData& d = TwoFiring()) {
  Result<std::string> r = BuildSlackMessage(c, Defaults(), d);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

TEST(SlackMessageTest, Defaults) {
  SlackConfig c;
  c.channel = "#alerts";
  EXPECT_EQ(
      MustBuild(c),
      R"({"channel":"#alerts","username":"Alertmanager","attachments":[{)"
      R"j("title":"[FIRING:2] HighErrorRate (critical)",)j"
      R"("title_link":"http://am.example:9093/#/alerts?receiver=team-ml",)"
      R"("text":"",)"
      R"("fallback":"[FIRING:2] HighErrorRate (critical) | http://am.example:9093/#/alerts?receiver=team-ml",)"
      R"("callback_id":"","footer":"","color":"danger",)"
      R"("mrkdwn_in":["fallback","pretext","text"]}]})"
      "\n");
  EXPECT_NE(MustBuild(c, testing::AllResolved()).find(R"("color":"good")"), std::string::npos);
}

TEST(SlackMessageTest, ConfiguredFields) {
  SlackConfig c;
  c.username = "vigil";
  c.icon_emoji = ":fire:";
  c.icon_url = "http://icons/x.png";
  c.link_names = true;
  c.title = "{{ .CommonLabels.alertname }} on {{ len .Alerts }}";
  c.title_link = "http://runbook";
  c.pretext = "pre";
  c.text = R"({{ range .Alerts }}*{{ .Annotations.summary }}*{{ "\n" }}{{ end }})";
  c.fallback = "fb";
  c.callback_id = "cb";
  c.footer = "foot";
  c.color = "#ff0000";
  c.mrkdwn_in = {"text"};
  EXPECT_EQ(MustBuild(c),
            R"({"username":"vigil","icon_emoji":":fire:","icon_url":"http://icons/x.png",)"
            R"("link_names":true,"attachments":[{"title":"HighErrorRate on 2",)"
            R"("title_link":"http://runbook","pretext":"pre",)"
            R"("text":"*Error rate high on a*\n*Error rate high on b*\n","fallback":"fb",)"
            R"("callback_id":"cb","footer":"foot","color":"#ff0000","mrkdwn_in":["text"]}]})"
            "\n");
}

TEST(SlackMessageTest, LongTitlesAreCut) {
  SlackConfig c;
  c.title = std::string(1030, 'x');
  const std::string json = MustBuild(c);
  EXPECT_NE(json.find("\"title\":\"" + std::string(1023, 'x') + "\xE2\x80\xA6\""),
            std::string::npos);
}

TEST(SlackMessageTest, TemplateErrors) {
  SlackConfig c;
  c.text = "{{ .Nope.Deeper }}";
  Result<std::string> r = BuildSlackMessage(c, Defaults(), TwoFiring());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  c.text = "{{ end }}";
  EXPECT_EQ(BuildSlackMessage(c, Defaults(), TwoFiring()).status().code(),
            StatusCode::kInvalidArgument);
}

std::unique_ptr<Notifier> MustSlack(const SlackConfig& c, const GlobalConfig& g = {}) {
  Result<std::unique_ptr<Notifier>> n =
      NewSlackNotifier(c, g, std::make_shared<const Templates>(Templates::Default()));
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.ok() ? std::move(*n) : nullptr;
}

TEST(SlackNotifierTest, PostsToTheGlobalUrlAndHidesIt) {
  HttpReceiver server;
  GlobalConfig g;
  g.slack_api_url.value = server.Url("/services/T000/B000/SECRETSECRET");
  SlackConfig c;
  c.channel = "#alerts";
  auto n = MustSlack(c, g);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->integration(), "slack");
  EXPECT_FALSE(n->send_resolved());
  ASSERT_TRUE(n->Notify(Ctx(), TwoFiring()).ok());
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/services/T000/B000/SECRETSECRET");
  EXPECT_EQ(reqs[0].content_type, "application/json");
  EXPECT_EQ(reqs[0].body, MustBuild(c));

  server.Answer(404, "no_service");
  Status s = n->Notify(Ctx(), TwoFiring());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(s.message(), R"(slack: channel "#alerts": unexpected status code 404: no_service)");

  server.Answer(500, "oops");
  EXPECT_EQ(n->Notify(Ctx(), TwoFiring()).code(), StatusCode::kUnavailable);
  server.Answer(429, "slow down");
  EXPECT_EQ(n->Notify(Ctx(), TwoFiring()).code(), StatusCode::kUnavailable);

  // The Web API fails with 200 and {"ok": false}.
  server.Answer(200, R"({"ok":false,"error":"channel_not_found"})", "application/json");
  s = n->Notify(Ctx(), TwoFiring());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("channel_not_found"), std::string::npos) << s.message();
  server.Answer(200, R"({"ok":true})", "application/json; charset=utf-8");
  EXPECT_TRUE(n->Notify(Ctx(), TwoFiring()).ok());

  // Nothing listening: retryable, and the secret path stays hidden.
  SlackConfig closed;
  closed.api_url.value = "http://127.0.0.1:" + std::to_string(testing::ClosedPort()) +
                         "/services/T000/B000/SECRETSECRET";
  s = MustSlack(closed)->Notify(Ctx(), TwoFiring());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message().find("SECRET"), std::string::npos) << s.message();
}

TEST(SlackNotifierTest, TemplateFailureIsNotRetryable) {
  HttpReceiver server;
  SlackConfig c;
  c.api_url.value = server.Url("/x");
  c.title = "{{ template \"nope\" . }}";
  const Status s = MustSlack(c)->Notify(Ctx(), TwoFiring());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_TRUE(server.requests().empty());
}

TEST(SlackNotifierTest, NeedsAnApiUrl) {
  EXPECT_EQ(NewSlackNotifier(SlackConfig{}, {}, nullptr).status().code(),
            StatusCode::kInvalidArgument);
  SlackConfig c;
  c.api_url.value = "hooks.slack.com/services/SECRET";
  const Status s = NewSlackNotifier(c, {}, nullptr).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().find("SECRET"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace vigil::alertmanager
