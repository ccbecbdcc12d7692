#include "alertmanager/api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/rfc3339.h"
#include "model/timestamp.h"

namespace vigil::alertmanager {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

// 2023-11-14T22:13:20Z
const TimePoint kT0 = TimePoint(std::chrono::seconds(1'700'000'000));

constexpr std::string_view kConfig = R"(
global:
  resolve_timeout: 5m
  slack_api_url: https://hooks.slack.example/services/T0/B0/very-secret
route:
  receiver: team
  group_by: [alertname]
  routes:
    - receiver: pager
      matchers: ['severity="critical"']
receivers:
  - name: team
  - name: pager
inhibit_rules:
  - source_matchers: [alertname="Down"]
    target_matchers: [alertname="Slow"]
    equal: [instance]
)";

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cfg = ParseConfig(kConfig, "am.yml");
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    ManagerOptions o;
    o.run = false;
    o.log = [](std::string_view) {};
    o.clock = [this] { return now_; };
    auto m = Manager::Create(std::move(o), *std::move(cfg));
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    manager_ = std::move(m).value();
    api_ = std::make_unique<Api>(ApiOptions{
        .manager = manager_.get(), .clock = [this] { return now_; }, .version = "1.2.3"});
  }

  using Handler = void (Api::*)(const http::Request&, http::Response*);
  http::Response Call(Handler h, std::string body = "",
                      std::multimap<std::string, std::string> params = {},
                      std::map<std::string, std::string> path_params = {}) {
    http::Request req;
    req.body = std::move(body);
    req.params = std::move(params);
    req.path_params = std::move(path_params);
    http::Response res;
    (api_.get()->*h)(req, &res);
    return res;
  }
  Json CallJson(Handler h, std::multimap<std::string, std::string> params = {}) {
    http::Response res = Call(h, "", std::move(params));
    EXPECT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(res.content_type, "application/json");
    return Json::parse(res.body);
  }
  // Error bodies are a JSON string.
  static std::string ErrorText(const http::Response& res) {
    Json j = Json::parse(res.body, nullptr, false);
    return j.is_string() ? j.get<std::string>() : "not a JSON string: " + res.body;
  }
  std::string PostSilence(std::string_view matchers, TimePoint start, TimePoint end) {
    Json body = {{"matchers", Json::parse(matchers)},
                 {"startsAt", Rfc(start)},
                 {"endsAt", Rfc(end)},
                 {"createdBy", "ops"},
                 {"comment", "maintenance"}};
    http::Response res = Call(&Api::PostSilences, body.dump());
    EXPECT_EQ(res.status, 200) << res.body;
    return Json::parse(res.body).value("silenceID", "");
  }
  static std::string Rfc(TimePoint t) {
    return model::FormatRfc3339(model::FromTimePointNanos(t), model::Rfc3339Fraction::kNano);
  }

  TimePoint now_ = kT0;
  std::unique_ptr<Manager> manager_;
  std::unique_ptr<Api> api_;
};

TEST_F(ApiTest, PostedAlertsComeBackAsAlertmanagerWritesThem) {
  const std::string body = R"([
    {"labels": {"alertname": "Slow", "instance": "a", "severity": "warning"},
     "annotations": {"summary": "p99 over 2s"},
     "startsAt": "2023-11-14T23:03:20.5+01:00",
     "generatorURL": "http://prom/graph?g0.expr=up",
     "unknownField": 1},
    {"labels": {"alertname": "Down", "instance": "b", "severity": "critical"}}
  ])";
  http::Response res = Call(&Api::PostAlerts, body);
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, "");

  Json alerts = CallJson(&Api::GetAlerts);
  ASSERT_EQ(alerts.size(), 2u);
  // Sorted by fingerprint.
  EXPECT_LT(alerts[0]["fingerprint"].get<std::string>(), alerts[1]["fingerprint"].get<std::string>());
  const Json& slow = alerts[0]["labels"]["alertname"] == "Slow" ? alerts[0] : alerts[1];
  const Json& down = alerts[0]["labels"]["alertname"] == "Slow" ? alerts[1] : alerts[0];
  EXPECT_EQ(slow["startsAt"], "2023-11-14T22:03:20.500Z");
  EXPECT_EQ(slow["endsAt"], "2023-11-14T22:18:20.000Z");  // now + resolve_timeout
  EXPECT_EQ(slow["updatedAt"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(slow["annotations"], Json({{"summary", "p99 over 2s"}}));
  EXPECT_EQ(slow["generatorURL"], "http://prom/graph?g0.expr=up");
  EXPECT_EQ(slow["receivers"], Json::parse(R"([{"name":"team"}])"));
  EXPECT_EQ(slow["status"]["state"], "active");
  EXPECT_EQ(slow["fingerprint"].get<std::string>().size(), 16u);
  EXPECT_FALSE(down.contains("generatorURL"));
  EXPECT_EQ(down["receivers"], Json::parse(R"([{"name":"pager"}])"));
  EXPECT_EQ(down["startsAt"], "2023-11-14T22:13:20.000Z");
  // The fields, in Alertmanager's order.
  std::vector<std::string> keys;
  const auto ordered = nlohmann::ordered_json::parse(Call(&Api::GetAlerts).body);
  for (auto it = ordered[0].begin(); it != ordered[0].end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"annotations", "endsAt", "fingerprint", "receivers",
                                            "startsAt", "status", "updatedAt", "generatorURL",
                                            "labels"}));
}

TEST_F(ApiTest, BadAlertBodiesSayWhatAndWhere) {
  http::Response res = Call(&Api::PostAlerts, R"([{"labels": {"a": "b"}},])");
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(ErrorText(res).find("not valid JSON"), std::string::npos) << ErrorText(res);
  EXPECT_NE(ErrorText(res).find("JSON: parse error at line 1, column 25: syntax error"), std::string::npos) << ErrorText(res);

  res = Call(&Api::PostAlerts, R"({"labels": {}})");
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(ErrorText(res), "request body: not a JSON array of alerts");

  res = Call(&Api::PostAlerts, R"([{"labels": {"a": "b"}}, {"annotations": {}}])");
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(ErrorText(res), "alert 1: labels: missing");

  res = Call(&Api::PostAlerts, R"([{"labels": {"a": 1}}])");
  EXPECT_EQ(ErrorText(res), "alert 0: labels.a: not a string");

  res = Call(&Api::PostAlerts, R"([{"labels": {"a": "b"}, "startsAt": "yesterday"}])");
  EXPECT_EQ(ErrorText(res), "alert 0: startsAt: \"yesterday\" is not an RFC 3339 time");
  // A shape error refuses the whole body.
  EXPECT_TRUE(CallJson(&Api::GetAlerts).empty());

  // Invalid alerts are refused one by one; the valid ones are kept.
  res = Call(&Api::PostAlerts, R"([{"labels": {"alertname": "Ok"}},
      {"labels": {"alertname": "Backwards"}, "startsAt": "2023-11-14T22:13:20Z",
       "endsAt": "2023-11-14T22:00:00Z"},
      {"labels": {"0bad": "x"}}])");
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(ErrorText(res).find("{alertname=\"Backwards\"}: start time must be before end time"),
            std::string::npos)
      << ErrorText(res);
  EXPECT_NE(ErrorText(res).find("invalid label name \"0bad\""), std::string::npos);
  Json alerts = CallJson(&Api::GetAlerts);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["labels"]["alertname"], "Ok");
}

TEST_F(ApiTest, AlertFiltersAndInhibition) {
  ASSERT_EQ(Call(&Api::PostAlerts, R"([
    {"labels": {"alertname": "Down", "instance": "a", "severity": "critical"}},
    {"labels": {"alertname": "Slow", "instance": "a", "severity": "warning"}},
    {"labels": {"alertname": "Slow", "instance": "b", "severity": "warning"}}])")
                .status,
            200);
  auto names = [](const Json& alerts) {
    std::vector<std::string> out;
    for (const auto& a : alerts) {
      out.push_back(a["labels"]["alertname"].get<std::string>() + "/" +
                    a["labels"]["instance"].get<std::string>());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  using V = std::vector<std::string>;
  // Slow/a is inhibited by Down/a (same instance).
  Json all = CallJson(&Api::GetAlerts);
  ASSERT_EQ(all.size(), 3u);
  for (const auto& a : all) {
    const bool inhibited = a["labels"]["alertname"] == "Slow" && a["labels"]["instance"] == "a";
    EXPECT_EQ(a["status"]["state"], inhibited ? "suppressed" : "active") << a.dump();
    EXPECT_EQ(a["status"]["inhibitedBy"].size(), inhibited ? 1u : 0u);
  }
  EXPECT_EQ(names(CallJson(&Api::GetAlerts, {{"inhibited", "false"}})), (V{"Down/a", "Slow/b"}));
  EXPECT_EQ(names(CallJson(&Api::GetAlerts, {{"active", "false"}})), (V{"Slow/a"}));
  EXPECT_EQ(names(CallJson(&Api::GetAlerts, {{"filter", "alertname=\"Slow\""}})),
            (V{"Slow/a", "Slow/b"}));
  EXPECT_EQ(names(CallJson(&Api::GetAlerts,
                           {{"filter", "alertname=\"Slow\""}, {"filter", "instance=~\"b|c\""}})),
            (V{"Slow/b"}));
  EXPECT_EQ(names(CallJson(&Api::GetAlerts, {{"receiver", "pag.*"}})), (V{"Down/a"}));
  EXPECT_EQ(names(CallJson(&Api::GetAlerts, {{"receiver", "pag"}})), V{});  // anchored

  http::Response res = Call(&Api::GetAlerts, "", {{"filter", "alertname~Slow"}});
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(ErrorText(res).find("parameter filter \"alertname~Slow\""), std::string::npos)
      << ErrorText(res);
  EXPECT_NE(ErrorText(res).find("position 1"), std::string::npos) << ErrorText(res);
  res = Call(&Api::GetAlerts, "", {{"active", "maybe"}});
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(ErrorText(res), "parameter active: \"maybe\" is not true or false");
  res = Call(&Api::GetAlerts, "", {{"receiver", "("}});
  EXPECT_EQ(res.status, 400);
}

TEST_F(ApiTest, GroupsByRouteAndGroupLabels) {
  ASSERT_EQ(Call(&Api::PostAlerts, R"([
    {"labels": {"alertname": "Slow", "instance": "b", "severity": "warning"}},
    {"labels": {"alertname": "Slow", "instance": "a", "severity": "warning"}},
    {"labels": {"alertname": "Down", "instance": "c", "severity": "critical"}}])")
                .status,
            200);
  Json groups = CallJson(&Api::GetAlertGroups);
  ASSERT_EQ(groups.size(), 2u) << groups.dump();
  // Sorted by group labels.
  EXPECT_EQ(groups[0]["labels"], Json({{"alertname", "Down"}}));
  EXPECT_EQ(groups[0]["receiver"], Json({{"name", "pager"}}));
  EXPECT_EQ(groups[1]["labels"], Json({{"alertname", "Slow"}}));
  EXPECT_EQ(groups[1]["receiver"], Json({{"name", "team"}}));
  ASSERT_EQ(groups[1]["alerts"].size(), 2u);
  // Alerts by instance.
  EXPECT_EQ(groups[1]["alerts"][0]["labels"]["instance"], "a");
  EXPECT_EQ(groups[1]["alerts"][1]["labels"]["instance"], "b");
  Json team = CallJson(&Api::GetAlertGroups, {{"receiver", "team"}});
  ASSERT_EQ(team.size(), 1u);
  EXPECT_EQ(team[0]["labels"]["alertname"], "Slow");
  Json only_b = CallJson(&Api::GetAlertGroups, {{"filter", "instance=b"}});
  ASSERT_EQ(only_b.size(), 1u);  // the Down group has nothing left
  EXPECT_EQ(only_b[0]["alerts"].size(), 1u);
}

TEST_F(ApiTest, SilencesCreateListFilterExpire) {
  ASSERT_EQ(Call(&Api::PostAlerts,
                 R"([{"labels": {"alertname": "Slow", "instance": "a"}},
                     {"labels": {"alertname": "Slow", "instance": "b"}}])")
                .status,
            200);
  const std::string id = PostSilence(
      R"([{"name": "alertname", "value": "Slow", "isRegex": false},
          {"name": "instance", "value": "a|x", "isRegex": true, "isEqual": true}])",
      kT0, kT0 + 1h);
  ASSERT_EQ(id.size(), 36u);

  Json alerts = CallJson(&Api::GetAlerts, {{"silenced", "false"}});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["labels"]["instance"], "b");
  alerts = CallJson(&Api::GetAlerts, {{"active", "false"}});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["status"]["silencedBy"], Json({id}));
  EXPECT_EQ(alerts[0]["status"]["state"], "suppressed");

  Json sil = CallJson(&Api::GetSilences);
  ASSERT_EQ(sil.size(), 1u);
  EXPECT_EQ(sil[0]["id"], id);
  EXPECT_EQ(sil[0]["status"]["state"], "active");
  EXPECT_EQ(sil[0]["createdBy"], "ops");
  EXPECT_EQ(sil[0]["comment"], "maintenance");
  EXPECT_EQ(sil[0]["startsAt"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(sil[0]["endsAt"], "2023-11-14T23:13:20.000Z");
  EXPECT_EQ(sil[0]["matchers"][1],
            Json({{"isEqual", true}, {"isRegex", true}, {"name", "instance"}, {"value", "a|x"}}));
  // A filter finds silences having that very matcher (name, type, value).
  EXPECT_EQ(CallJson(&Api::GetSilences, {{"filter", "alertname=Slow"}}).size(), 1u);
  EXPECT_EQ(CallJson(&Api::GetSilences, {{"filter", "instance=~\"a|x\""}}).size(), 1u);
  EXPECT_EQ(CallJson(&Api::GetSilences, {{"filter", "instance=a"}}).size(), 0u);
  EXPECT_EQ(CallJson(&Api::GetSilences, {{"filter", "alertname=~Slow"}}).size(), 0u);
  EXPECT_EQ(CallJson(&Api::GetSilences, {{"filter", "alertname=Fast"}}).size(), 0u);

  http::Response res = Call(&Api::GetSilence, "", {}, {{"id", id}});
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(Json::parse(res.body)["id"], id);
  EXPECT_EQ(Call(&Api::GetSilence, "", {}, {{"id", "nope"}}).status, 404);

  now_ = kT0 + 2min;
  res = Call(&Api::DeleteSilence, "", {}, {{"id", id}});
  EXPECT_EQ(res.status, 200) << res.body;
  sil = CallJson(&Api::GetSilences);
  EXPECT_EQ(sil[0]["status"]["state"], "expired");
  EXPECT_EQ(sil[0]["endsAt"], "2023-11-14T22:15:20.000Z");
  EXPECT_EQ(CallJson(&Api::GetAlerts, {{"silenced", "false"}}).size(), 2u);
  res = Call(&Api::DeleteSilence, "", {}, {{"id", id}});
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(ErrorText(res).find("already expired"), std::string::npos);
  EXPECT_EQ(Call(&Api::DeleteSilence, "", {}, {{"id", "nope"}}).status, 404);
}

TEST_F(ApiTest, SilenceOrderAndUpdates) {
  const std::string later = PostSilence(R"([{"name":"a","value":"1","isRegex":false}])",
                                        kT0 + 1h, kT0 + 2h);  // pending
  const std::string soon = PostSilence(R"([{"name":"a","value":"2","isRegex":false}])", kT0,
                                       kT0 + 30min);
  const std::string long_one = PostSilence(R"([{"name":"a","value":"3","isRegex":false}])", kT0,
                                           kT0 + 3h);
  Json sil = CallJson(&Api::GetSilences);
  ASSERT_EQ(sil.size(), 3u);
  // Active by end time, then pending.
  EXPECT_EQ(sil[0]["id"], soon);
  EXPECT_EQ(sil[1]["id"], long_one);
  EXPECT_EQ(sil[2]["id"], later);
  EXPECT_EQ(sil[2]["status"]["state"], "pending");

  // Moving the end of an active silence keeps its id.
  Json update = {{"id", soon},
                 {"matchers", Json::parse(R"([{"name":"a","value":"2","isRegex":false}])")},
                 {"startsAt", "2023-11-14T22:13:20Z"},
                 {"endsAt", "2023-11-15T00:00:00Z"},
                 {"createdBy", "ops"},
                 {"comment", "longer"}};
  http::Response res = Call(&Api::PostSilences, update.dump());
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(Json::parse(res.body)["silenceID"], soon);
  update["id"] = "unknown";
  EXPECT_EQ(Call(&Api::PostSilences, update.dump()).status, 404);
  // "Forever" ends past what a time point holds, clamped.
  update.erase("id");
  update["endsAt"] = "9999-12-31T23:59:59Z";
  res = Call(&Api::PostSilences, update.dump());
  ASSERT_EQ(res.status, 200) << res.body;
  const std::string forever = Json::parse(res.body)["silenceID"];
  res = Call(&Api::GetSilence, "", {}, {{"id", forever}});
  EXPECT_EQ(Json::parse(res.body)["status"]["state"], "active");
  EXPECT_EQ(Json::parse(res.body)["endsAt"].get<std::string>().substr(0, 4), "2262");
}

TEST_F(ApiTest, BadSilencesSayWhy) {
  auto post = [&](const std::string& body) {
    http::Response res = Call(&Api::PostSilences, body);
    EXPECT_EQ(res.status, 400) << body;
    return ErrorText(res);
  };
  const std::string m = R"("matchers":[{"name":"a","value":"1","isRegex":false}])";
  EXPECT_EQ(post("{" + m + R"(,"startsAt":"2023-11-14T23:00:00Z","endsAt":"2023-11-14T22:30:00Z","createdBy":"o","comment":"c"})"),
            "failed to create silence: start time must be before end time");
  EXPECT_EQ(post("{" + m + R"(,"startsAt":"2023-11-14T20:00:00Z","endsAt":"2023-11-14T21:00:00Z","createdBy":"o","comment":"c"})"),
            "failed to create silence: end time can't be in the past");
  EXPECT_EQ(post("{" + m + R"(,"startsAt":"2023-11-14T23:00:00Z","endsAt":"2023-11-15T22:30:00Z","createdBy":"o"})"),
            "comment is required");
  EXPECT_EQ(post(R"({"matchers":[],"startsAt":"2023-11-14T23:00:00Z","endsAt":"2023-11-15T22:30:00Z","createdBy":"o","comment":"c"})"),
            "matchers: at least one matcher is required");
  EXPECT_EQ(post(R"({"matchers":[{"name":"a","value":"1"}],"startsAt":"2023-11-14T23:00:00Z","endsAt":"2023-11-15T22:30:00Z","createdBy":"o","comment":"c"})"),
            "matchers[0].isRegex: true or false is required");
  EXPECT_NE(post(R"({"matchers":[{"name":"a","value":"(","isRegex":true}],"startsAt":"2023-11-14T23:00:00Z","endsAt":"2023-11-15T22:30:00Z","createdBy":"o","comment":"c"})")
                .find("matchers[0]"),
            std::string::npos);
  // Matchers that match everything silence nothing useful: refused.
  EXPECT_NE(post(R"({"matchers":[{"name":"a","value":".*","isRegex":true}],"startsAt":"2023-11-14T23:00:00Z","endsAt":"2023-11-15T22:30:00Z","createdBy":"o","comment":"c"})"),
            "");
  EXPECT_NE(post("{").find("not valid JSON"), std::string::npos);
  EXPECT_TRUE(CallJson(&Api::GetSilences).empty());
}

TEST_F(ApiTest, StatusHidesSecretsAndReceiversAreListed) {
  Json status = CallJson(&Api::GetStatus);
  const std::string original = status["config"]["original"].get<std::string>();
  EXPECT_EQ(original.find("very-secret"), std::string::npos) << original;
  EXPECT_NE(original.find("slack_api_url: <secret>"), std::string::npos) << original;
  EXPECT_NE(original.find("receiver: pager"), std::string::npos) << original;
  EXPECT_EQ(status["cluster"]["status"], "disabled");
  EXPECT_EQ(status["versionInfo"]["version"], "1.2.3");
  EXPECT_EQ(status["uptime"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(CallJson(&Api::GetReceivers), Json::parse(R"([{"name":"team"},{"name":"pager"}])"));
}

TEST_F(ApiTest, HistoryIsQueryable) {
  ASSERT_EQ(Call(&Api::PostAlerts, R"([{"labels": {"alertname": "Slow"}}])").status, 200);
  now_ = kT0 + 1min;
  ASSERT_EQ(Call(&Api::PostAlerts, R"([{"labels": {"alertname": "Slow"},
      "endsAt": "2023-11-14T22:14:00Z"}, {"labels": {"alertname": "Down"}}])")
                .status,
            200);
  Json h = CallJson(&Api::GetHistory);
  ASSERT_EQ(h.size(), 3u) << h.dump();
  // Newest first.
  EXPECT_EQ(h[2]["event"], "fired");
  EXPECT_EQ(h[2]["labels"], Json({{"alertname", "Slow"}}));
  EXPECT_EQ(h[2]["time"], "2023-11-14T22:13:20.000Z");
  Json resolved = CallJson(&Api::GetHistory, {{"event", "resolved"}});
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0]["labels"]["alertname"], "Slow");
  EXPECT_EQ(CallJson(&Api::GetHistory, {{"alertname", "Down"}}).size(), 1u);
  EXPECT_EQ(CallJson(&Api::GetHistory, {{"since", "2023-11-14T22:14:00Z"}}).size(), 2u);
  EXPECT_EQ(CallJson(&Api::GetHistory, {{"limit", "1"}}).size(), 1u);
  EXPECT_EQ(Call(&Api::GetHistory, "", {{"limit", "-1"}}).status, 400);
  EXPECT_EQ(ErrorText(Call(&Api::GetHistory, "", {{"since", "today"}})),
            "parameter since: \"today\" is not an RFC 3339 time");
}

}  // namespace
}  // namespace vigil::alertmanager
