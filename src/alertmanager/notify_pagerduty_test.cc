#include "alertmanager/notify_pagerduty.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "alertmanager/notify_test_util.h"
#include "alertmanager/notify_util.h"

namespace vigil::alertmanager {
namespace {

using testing::Ctx;
using testing::HttpReceiver;
using testing::kGroupKey;
using testing::TwoFiring;

// sha256(`{}:{alertname="HighErrorRate"}`).
constexpr std::string_view kDedupKey =
    "cbc7a356b874c7d0332c73753d5082204bea3c18a5cb2a9a50e75f6687ffb86b";

constexpr std::string_view kFiringDetails =
    R"(Labels:\n - alertname = HighErrorRate\n - instance = a:9090\n - job = api\n)"
    R"( - severity = critical\nAnnotations:\n - runbook = http://wiki/r\n)"
    R"( - summary = Error rate high on a\n)"
    R"(Source: http://prom:9090/graph?g0.expr=rate%28x%29\u0026g0.tab=1\n)"
    R"(Labels:\n - alertname = HighErrorRate\n - instance = b:9090\n - job = web\n)"
    R"( - severity = critical\nAnnotations:\n - runbook = http://wiki/r\n)"
    R"( - summary = Error rate high on b\nSource: http://prom:9090/graph?g0.expr=y\n)";

const Templates& Defaults() {
  static const Templates t = Templates::Default();
  return t;
}

PagerdutyConfig Config(std::string url = "") {
  PagerdutyConfig c;
  c.routing_key.value = "rk-secret";
  c.url = std::move(url);
  return c;
}

std::string MustBuild(const PagerdutyConfig& c, const NotificationData& d = TwoFiring()) {
  Result<std::string> r = BuildPagerdutyMessage(c, Defaults(), d, kGroupKey);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

TEST(PagerdutyMessageTest, DedupKeyIsTheGroupKeyHash) {
  EXPECT_EQ(internal::Sha256Hex(kGroupKey), kDedupKey);
}

TEST(PagerdutyMessageTest, TriggerWithDefaults) {
  EXPECT_EQ(MustBuild(Config()),
            std::string(R"({"routing_key":"rk-secret","dedup_key":")") + std::string(kDedupKey) +
                R"(","event_action":"trigger","payload":{)"
                R"j("summary":"[FIRING:2] HighErrorRate (critical)","source":"Alertmanager",)j"
                R"("severity":"error","custom_details":{"firing":")" +
                std::string(kFiringDetails) +
                R"(","num_firing":"2","num_resolved":"0","resolved":""}},)"
                R"("client":"Alertmanager",)"
                R"("client_url":"http://am.example:9093/#/alerts?receiver=team-ml"})"
                "\n");
}

TEST(PagerdutyMessageTest, ResolveAndConfiguredFields) {
  PagerdutyConfig c = Config();
  c.description = "{{ .Status }}: {{ .CommonLabels.alertname }}";
  c.client = "vigil";
  c.client_url = "http://vigil";
  c.severity = "{{ .CommonLabels.severity }}";
  c.klass = "cls";
  c.component = "api";
  c.group = "{{ .GroupLabels.alertname }}";
  c.details = {{"team", "ml"}, {"num_firing", "overridden"}};
  const std::string json = MustBuild(c, testing::AllResolved());
  const nlohmann::json j = nlohmann::json::parse(json);
  EXPECT_EQ(j["event_action"], "resolve");
  EXPECT_EQ(j["dedup_key"], kDedupKey);
  EXPECT_EQ(j["payload"]["summary"], "resolved: HighErrorRate");
  EXPECT_EQ(j["payload"]["source"], "vigil");
  EXPECT_EQ(j["payload"]["severity"], "critical");
  EXPECT_EQ(j["payload"]["class"], "cls");
  EXPECT_EQ(j["payload"]["component"], "api");
  EXPECT_EQ(j["payload"]["group"], "HighErrorRate");
  EXPECT_EQ(j["payload"]["custom_details"]["team"], "ml");
  EXPECT_EQ(j["payload"]["custom_details"]["num_firing"], "overridden");
  EXPECT_EQ(j["payload"]["custom_details"]["num_resolved"], "2");
  EXPECT_EQ(j["payload"]["custom_details"]["firing"], "");
  EXPECT_EQ(j["client"], "vigil");
  EXPECT_EQ(j["client_url"], "http://vigil");
  EXPECT_FALSE(j.contains("images"));
  EXPECT_FALSE(j.contains("links"));
  // Key order is the Go struct's.
  EXPECT_LT(json.find("\"class\""), json.find("\"component\""));
  EXPECT_LT(json.find("\"group\""), json.find("\"custom_details\""));
  EXPECT_LT(json.find("\"payload\""), json.find("\"client\""));
}

TEST(PagerdutyMessageTest, SummaryAndSizeLimits) {
  PagerdutyConfig c = Config();
  c.description = std::string(2000, 'd');
  c.details = {{"big", std::string(600000, 'b')}};
  const nlohmann::json j = nlohmann::json::parse(MustBuild(c));
  const std::string summary = j["payload"]["summary"];
  EXPECT_EQ(summary, std::string(1023, 'd') + "\xE2\x80\xA6");
  EXPECT_EQ(j["payload"]["custom_details"].size(), 1u);
  EXPECT_EQ(j["payload"]["custom_details"]["error"],
            "Custom details have been removed because the original event exceeds the maximum "
            "size of 512KB");
}

TEST(PagerdutyMessageTest, EventsApiV1) {
  PagerdutyConfig c;
  c.service_key.value = "sk";
  EXPECT_EQ(MustBuild(c, testing::AllResolved()),
            std::string(R"({"service_key":"sk","incident_key":")") + std::string(kDedupKey) +
                R"j(","event_type":"resolve","description":"[RESOLVED] HighErrorRate (critical)",)j"
                R"("event_action":"","payload":null,"details":{"firing":"","num_firing":"0",)"
                R"("num_resolved":"2","resolved":")" +
                R"(Labels:\n - alertname = HighErrorRate\n - instance = a:9090\n - job = api\n)"
                R"( - severity = critical\nAnnotations:\n - runbook = http://wiki/r\n)"
                R"( - summary = Error rate high on a\n)"
                R"(Source: http://prom:9090/graph?g0.expr=rate%28x%29\u0026g0.tab=1\n)"
                R"(Labels:\n - alertname = HighErrorRate\n - instance = b:9090\n - job = web\n)"
                R"( - severity = critical\nAnnotations:\n - runbook = http://wiki/r\n)"
                R"( - summary = Error rate high on b\nSource: http://prom:9090/graph?g0.expr=y\n)"
                R"("}})"
                "\n");
  const nlohmann::json trigger = nlohmann::json::parse(MustBuild(c));
  EXPECT_EQ(trigger["event_type"], "trigger");
  EXPECT_EQ(trigger["client"], "Alertmanager");
}

TEST(PagerdutyMessageTest, EmptyKeyAfterTemplating) {
  PagerdutyConfig c;
  c.routing_key.value = "{{ .CommonLabels.nothing }}";
  const Result<std::string> r = BuildPagerdutyMessage(c, Defaults(), TwoFiring(), kGroupKey);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "pagerduty: routing key cannot be empty");
}

std::unique_ptr<Notifier> MustPagerduty(const PagerdutyConfig& c, const GlobalConfig& g = {},
                                        std::string v1 = "http://127.0.0.1:1/v1") {
  Result<std::unique_ptr<Notifier>> n = NewPagerdutyNotifier(
      c, g, std::make_shared<const Templates>(Templates::Default()), std::move(v1));
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.ok() ? std::move(*n) : nullptr;
}

TEST(PagerdutyNotifierTest, Delivery) {
  HttpReceiver server;
  GlobalConfig g;
  g.pagerduty_url = server.Url("/v2/enqueue");
  auto n = MustPagerduty(Config(), g);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->integration(), "pagerduty");
  EXPECT_TRUE(n->send_resolved());
  server.Answer(202, R"({"status":"success","message":"Event processed","dedup_key":"x"})",
                "application/json");
  ASSERT_TRUE(n->Notify(Ctx(), TwoFiring()).ok());
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/v2/enqueue");
  EXPECT_EQ(reqs[0].content_type, "application/json");
  EXPECT_EQ(reqs[0].body, MustBuild(Config()));

  server.Answer(429, "slow down");
  EXPECT_EQ(n->Notify(Ctx(), TwoFiring()).code(), StatusCode::kUnavailable);
  server.Answer(502, "bad gateway");
  EXPECT_EQ(n->Notify(Ctx(), TwoFiring()).code(), StatusCode::kUnavailable);
  server.Answer(403, "forbidden");
  EXPECT_EQ(n->Notify(Ctx(), TwoFiring()).code(), StatusCode::kFailedPrecondition);
  server.Answer(400,
                R"({"status":"invalid event","message":"Event object is invalid",)"
                R"("errors":["Length of 'routing_key' is incorrect"]})",
                "application/json");
  const Status s = n->Notify(Ctx(), TwoFiring());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "pagerduty: unexpected status code 400: Event object is invalid: Length of "
            "'routing_key' is incorrect");
  EXPECT_EQ(s.message().find("rk-secret"), std::string::npos);
}

TEST(PagerdutyNotifierTest, V1GoesToTheV1Url) {
  HttpReceiver server;
  PagerdutyConfig c;
  c.service_key.value = "sk";
  c.url = server.Url("/v2/enqueue");
  auto n = MustPagerduty(c, {}, server.Url("/generic/2010-04-15/create_event.json"));
  server.Answer(403, "rate limited");
  // v1 retries 403 (its rate limiting).
  EXPECT_EQ(n->Notify(Ctx(), TwoFiring()).code(), StatusCode::kUnavailable);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/generic/2010-04-15/create_event.json");
}

TEST(PagerdutyNotifierTest, NeedsAKey) {
  EXPECT_EQ(NewPagerdutyNotifier(PagerdutyConfig{}, {}, nullptr, "").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::alertmanager
