#include "alertmanager/notify_webhook.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "alertmanager/notify_test_util.h"

namespace vigil::alertmanager {
namespace {

using testing::Ctx;
using testing::HttpReceiver;
using testing::kGroupKey;
using testing::TwoFiring;

// What Alertmanager 0.25 sends for TwoFiring() (json.Encoder output).
constexpr std::string_view kTwoFiringJson =
    R"({"receiver":"team-ml","status":"firing","alerts":[)"
    R"({"status":"firing","labels":{"alertname":"HighErrorRate","instance":"a:9090","job":"api","severity":"critical"},)"
    R"("annotations":{"runbook":"http://wiki/r","summary":"Error rate high on a"},)"
    R"("startsAt":"2024-01-02T03:04:05.123456789Z","endsAt":"0001-01-01T00:00:00Z",)"
    R"("generatorURL":"http://prom:9090/graph?g0.expr=rate%28x%29\u0026g0.tab=1","fingerprint":"2bbf7757ab8dc541"},)"
    R"({"status":"firing","labels":{"alertname":"HighErrorRate","instance":"b:9090","job":"web","severity":"critical"},)"
    R"("annotations":{"runbook":"http://wiki/r","summary":"Error rate high on b"},)"
    R"("startsAt":"2024-01-02T03:00:00Z","endsAt":"0001-01-01T00:00:00Z",)"
    R"("generatorURL":"http://prom:9090/graph?g0.expr=y","fingerprint":"6a2a2ee9e3a504b6"}],)"
    R"("groupLabels":{"alertname":"HighErrorRate"},)"
    R"("commonLabels":{"alertname":"HighErrorRate","severity":"critical"},)"
    R"("commonAnnotations":{"runbook":"http://wiki/r"},)"
    R"("externalURL":"http://am.example:9093","version":"4",)"
    R"("groupKey":"{}:{alertname=\"HighErrorRate\"}","truncatedAlerts":0})"
    "\n";

std::unique_ptr<Notifier> MustWebhook(const WebhookConfig& c, const GlobalConfig& g = {}) {
  Result<std::unique_ptr<Notifier>> n = NewWebhookNotifier(c, g);
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.ok() ? std::move(*n) : nullptr;
}

WebhookConfig Config(std::string url) {
  WebhookConfig c;
  c.url.value = std::move(url);
  return c;
}

TEST(WebhookMessageTest, ExactBytes) {
  EXPECT_EQ(EncodeWebhookMessage(TwoFiring(), kGroupKey), kTwoFiringJson);
}

TEST(WebhookMessageTest, ResolvedAlertsKeepTheirEnd) {
  const std::string json = EncodeWebhookMessage(testing::AllResolved(), kGroupKey);
  EXPECT_NE(json.find(R"("status":"resolved","alerts":[{"status":"resolved",)"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("startsAt":"2024-01-02T03:00:00Z","endsAt":"2024-01-02T03:04:00Z")"),
            std::string::npos)
      << json;
}

TEST(WebhookMessageTest, EscapesStringsAsGo) {
  Alert a = testing::MakeAlert({{"alertname", "X"}, {"v", "<a href=\"x\">&</a>\\\n\t\r\x01\x7f"}},
                               {{"u", "caf\xC3\xA9 \xE2\x80\xA8 \xF0\x9F\x94\xA5 \xFF"}},
                               testing::T(0, 500), testing::T(1, 0), "");
  const NotificationData d =
      MakeNotificationData("r", model::Labels(), {a}, "", "k", testing::T(2));
  const std::string json = EncodeWebhookMessage(d, "k");
  EXPECT_NE(json.find(R"("v":"\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e\\\n\t\r\u0001)"
                      "\x7f\""),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"u\":\"caf\xC3\xA9 \\u2028 \xF0\x9F\x94\xA5 \\ufffd\""), std::string::npos)
      << json;
  EXPECT_NE(
      json.find(R"("startsAt":"1970-01-01T00:00:00.0000005Z","endsAt":"1970-01-01T00:00:01Z")"),
      std::string::npos)
      << json;
  // Empty maps are objects, never null.
  const NotificationData empty =
      MakeNotificationData("r", model::Labels(), {}, "", "", testing::kNow);
  EXPECT_EQ(
      EncodeWebhookMessage(empty, ""),
      R"({"receiver":"r","status":"resolved","alerts":[],"groupLabels":{},"commonLabels":{},)"
      R"("commonAnnotations":{},"externalURL":"","version":"4","groupKey":"","truncatedAlerts":0})"
      "\n");
}

TEST(WebhookNotifierTest, PostsTheMessage) {
  HttpReceiver server;
  auto n = MustWebhook(Config(server.Url("/hook?x=1")));
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->integration(), "webhook");
  EXPECT_TRUE(n->send_resolved());
  ASSERT_TRUE(n->Notify(Ctx(), TwoFiring()).ok());
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/hook");
  EXPECT_EQ(reqs[0].content_type, "application/json");
  EXPECT_EQ(reqs[0].body, kTwoFiringJson);
  EXPECT_EQ(reqs[0].authorization, "");
}

TEST(WebhookNotifierTest, MaxAlertsTruncates) {
  HttpReceiver server;
  WebhookConfig c = Config(server.Url("/hook"));
  c.max_alerts = 1;
  auto n = MustWebhook(c);
  ASSERT_TRUE(n->Notify(Ctx(), TwoFiring()).ok());
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const nlohmann::json j = nlohmann::json::parse(reqs[0].body);
  EXPECT_EQ(j["alerts"].size(), 1u);
  EXPECT_EQ(j["truncatedAlerts"], 1);
  EXPECT_EQ(j["alerts"][0]["labels"]["instance"], "a:9090");
  // Common labels are those of the alerts sent.
  EXPECT_EQ(j["commonLabels"]["instance"], "a:9090");
  EXPECT_EQ(j["commonAnnotations"]["summary"], "Error rate high on a");
}

TEST(WebhookNotifierTest, StatusCodes) {
  HttpReceiver server;
  struct Case {
    int code;
    StatusCode want;
  };
  for (const Case& c :
       {Case{200, StatusCode::kOk}, Case{204, StatusCode::kOk}, Case{500, StatusCode::kUnavailable},
        Case{503, StatusCode::kUnavailable}, Case{429, StatusCode::kUnavailable},
        Case{400, StatusCode::kInvalidArgument}, Case{404, StatusCode::kFailedPrecondition},
        Case{401, StatusCode::kFailedPrecondition}, Case{302, StatusCode::kFailedPrecondition}}) {
    server.Answer(200, c.code == 204 ? "" : "nope: bad things");
    WebhookConfig config = Config(server.Url("/status/" + std::to_string(c.code)));
    config.http_config.follow_redirects = false;
    auto n = MustWebhook(config);
    const Status s = n->Notify(Ctx(), TwoFiring());
    EXPECT_EQ(s.code(), c.want) << c.code << ": " << s.ToString();
    if (!s.ok()) {
      EXPECT_NE(s.message().find("unexpected status code " + std::to_string(c.code)),
                std::string::npos)
          << s.message();
      EXPECT_NE(s.message().find("nope: bad things"), std::string::npos) << s.message();
    }
  }
}

TEST(WebhookNotifierTest, TransportErrorsAreRetryableAndHideTheUrl) {
  auto n = MustWebhook(Config(
      "http://u:hunter2@127.0.0.1:" + std::to_string(testing::ClosedPort()) + "/secret-token"));
  const Status s = n->Notify(Ctx(), TwoFiring());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_EQ(s.message().find("secret-token"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("webhook: POST http://"), std::string::npos) << s.message();

  HttpReceiver server;
  auto slow = MustWebhook(Config(server.Url("/slow")));
  const Status t = slow->Notify(Ctx(std::chrono::milliseconds(200)), TwoFiring());
  EXPECT_EQ(t.code(), StatusCode::kDeadlineExceeded) << t.ToString();
  EXPECT_EQ(t.message().find("/slow"), std::string::npos) << t.message();
}

TEST(WebhookNotifierTest, Authorization) {
  HttpReceiver server;
  WebhookConfig c = Config(server.Url("/hook"));
  c.http_config.basic_auth_username = "user";
  c.http_config.basic_auth_password.value = "pass";
  ASSERT_TRUE(MustWebhook(c)->Notify(Ctx(), TwoFiring()).ok());

  // Credentials in the URL.
  const std::string url = server.Url("/hook");
  ASSERT_TRUE(
      MustWebhook(Config("http://user:pass@" + url.substr(7)))->Notify(Ctx(), TwoFiring()).ok());

  // The global http_config applies when the webhook sets none.
  GlobalConfig g;
  g.http_config.authorization_credentials.value = "tok";
  ASSERT_TRUE(MustWebhook(Config(url), g)->Notify(Ctx(), TwoFiring()).ok());

  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].authorization, "Basic dXNlcjpwYXNz");
  EXPECT_EQ(reqs[1].authorization, "Basic dXNlcjpwYXNz");
  EXPECT_EQ(reqs[2].authorization, "Bearer tok");
}

TEST(WebhookNotifierTest, RejectsBadConfigs) {
  EXPECT_EQ(NewWebhookNotifier(WebhookConfig{}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(NewWebhookNotifier(Config("not a url"), {}).status().code(),
            StatusCode::kInvalidArgument);
  WebhookConfig c = Config("http://127.0.0.1:1/");
  c.max_alerts = -1;
  EXPECT_EQ(NewWebhookNotifier(c, {}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::alertmanager
