// The Prometheus v1 API's shapes, status codes and errorType values
// (daemon/api.h), checked against what Prometheus 2.42 answers for the same
// requests. Differential tests against a real Prometheus live in tests/e2e.
#include "daemon/api.h"

#include <httplib.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "base/test_util.h"
#include "rules/manager.h"
#include "rules/rule_file.h"
#include "storage/memory_storage.h"

namespace vigil::daemon {
namespace {

using model::Labels;
using nlohmann::json;

TEST(ApiParamsTest, TimesAreUnixSecondsOrRfc3339) {
  EXPECT_EQ(*internal::ParseTimeParam("1700000000"), 1700000000000);
  EXPECT_EQ(*internal::ParseTimeParam("1700000000.123"), 1700000000123);
  EXPECT_EQ(*internal::ParseTimeParam("1.0006"), 1001);  // rounded to the ms
  EXPECT_EQ(*internal::ParseTimeParam("-1.5"), -1500);
  EXPECT_EQ(*internal::ParseTimeParam("1e3"), 1000000);
  EXPECT_EQ(*internal::ParseTimeParam("2023-11-14T22:13:20Z"), 1700000000000);
  EXPECT_EQ(*internal::ParseTimeParam("2023-11-14T22:13:20.781Z"), 1700000000781);
  EXPECT_EQ(*internal::ParseTimeParam("2023-11-14T23:13:20.5+01:00"), 1700000000500);
  EXPECT_EQ(*internal::ParseTimeParam("2023-11-14T22:13:20.123456789Z"), 1700000000123);
  EXPECT_LT(*internal::ParseTimeParam("-292273086-05-16T16:47:06Z"), -9e15);
  EXPECT_GT(*internal::ParseTimeParam("292277025-08-18T07:12:54.999999999Z"), 9e15);
  for (const char* bad : {"", "abc", " 1", "1 ", "NaN", "Inf", "2023-13-01T00:00:00Z",
                          "2023-02-30T00:00:00Z", "2023-11-14 22:13:20Z",
                          "2023-11-14T22:13:20", "2023-11-14T22:13:20.Z"}) {
    Result<int64_t> r = internal::ParseTimeParam(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(),
              "cannot parse \"" + std::string(bad) + "\" to a valid timestamp");
  }
}

TEST(ApiParamsTest, DurationsAreSecondsOrPrometheusDurations) {
  EXPECT_EQ(*internal::ParseDurationParamNs("15"), 15'000'000'000);
  EXPECT_EQ(*internal::ParseDurationParamNs("0.5"), 500'000'000);
  EXPECT_EQ(*internal::ParseDurationParamNs("5m"), 300'000'000'000);
  EXPECT_EQ(*internal::ParseDurationParamNs("1h30m"), 5'400'000'000'000);
  EXPECT_EQ(internal::ParseDurationParamNs("x").status().message(),
            "cannot parse \"x\" to a valid duration");
  EXPECT_EQ(internal::ParseDurationParamNs("1e300").status().message(),
            "cannot parse \"1e300\" to a valid duration. It overflows int64");
}

TEST(ApiParamsTest, TimestampsAreWrittenAsPrometheusWritesThem) {
  auto ts = [](int64_t t) {
    std::string s;
    internal::AppendTimestamp(t, &s);
    return s;
  };
  EXPECT_EQ(ts(1000), "1");
  EXPECT_EQ(ts(1500), "1.500");
  EXPECT_EQ(ts(1050), "1.050");
  EXPECT_EQ(ts(1005), "1.005");
  EXPECT_EQ(ts(0), "0");
  EXPECT_EQ(ts(-1500), "-1.500");
  EXPECT_EQ(ts(std::numeric_limits<int64_t>::min()), "-9223372036854775.808");
}

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() {
    auto app = storage_.NewAppender();
    // x{job="a|b", i="0..2"} = i * t_seconds every 15 s over [0, 1h].
    for (int k = 0; k < 3; ++k) {
      Labels l = Labels::FromPairs(
          {{"__name__", "x"}, {"i", std::to_string(k)}, {"job", k == 2 ? "b" : "a"}});
      for (int64_t t = 0; t <= 3600; t += 15) {
        EXPECT_TRUE(app->Append(0, l, t * 1000, k * static_cast<double>(t)).ok());
      }
    }
    Labels odd = Labels::FromPairs({{"__name__", "odd"}, {"v", "quote\"\n\xff"}});
    EXPECT_TRUE(app->Append(0, odd, 0, std::nan("")).ok());
    EXPECT_TRUE(app->Append(0, odd, 15000, INFINITY).ok());
    EXPECT_TRUE(app->Commit().ok());
  }

  http::Response Call(void (Api::*fn)(const http::Request&, http::Response*),
                      std::multimap<std::string, std::string> params,
                      std::map<std::string, std::string> path_params = {}) {
    http::Request req;
    req.method = "GET";
    req.params = std::move(params);
    req.path_params = std::move(path_params);
    req.header = [](const std::string&) { return std::string(); };
    http::Response res;
    (api_.*fn)(req, &res);
    return res;
  }

  storage::MemoryStorage storage_;
  promql::Engine engine_;
  std::stop_source shutdown_;
  Api api_{{.storage = &storage_,
            .engine = &engine_,
            .now_ms = [] { return int64_t{600'000}; },
            .shutdown = shutdown_.get_token()}};
};

TEST_F(ApiTest, InstantVectorShape) {
  http::Response r = Call(&Api::Query, {{"query", "x{i=\"1\"}"}, {"time", "30.5"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body,
            R"({"status":"success","data":{"resultType":"vector","result":[)"
            R"({"metric":{"__name__":"x","i":"1","job":"a"},"value":[30.500,"30"]}]}})");
}

TEST_F(ApiTest, FormBodyWinsOverQueryString) {
  // httplib lists query-string values first and body values after them.
  http::Response r = Call(&Api::Query, {{"query", "1"}, {"query", "2"}, {"time", "5"}});
  EXPECT_EQ(r.body,
            R"({"status":"success","data":{"resultType":"scalar","result":[5,"2"]}})");
}

TEST_F(ApiTest, TimeDefaultsToNow) {
  http::Response r = Call(&Api::Query, {{"query", "time()"}});
  EXPECT_EQ(r.body,
            R"({"status":"success","data":{"resultType":"scalar","result":[600,"600"]}})");
}

TEST_F(ApiTest, StringsScalarsAndSpecialValues) {
  http::Response r = Call(&Api::Query, {{"query", "\"a\\\"b\""}, {"time", "1"}});
  EXPECT_EQ(r.body,
            R"({"status":"success","data":{"resultType":"string","result":[1,"a\"b"]}})");
  r = Call(&Api::Query, {{"query", "1/3"}, {"time", "1"}});
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"scalar",)"
                    R"("result":[1,"0.3333333333333333"]}})");
  // Prometheus' jsonutil.MarshalValue: exponent form below 1e-6 and from
  // 1e21, otherwise fixed; shortest digits either way.
  auto value_of = [&](const char* q) {
    return json::parse(Call(&Api::Query, {{"query", q}, {"time", "1"}}).body)["data"]["result"][1];
  };
  EXPECT_EQ(value_of("1e21"), "1e+21");
  EXPECT_EQ(value_of("999999999999999900000"), "999999999999999900000");
  EXPECT_EQ(value_of("1.663176908e20"), "166317690800000000000");
  EXPECT_EQ(value_of("-1.5e-7"), "-1.5e-07");
  EXPECT_EQ(value_of("0.000001"), "0.000001");
  EXPECT_EQ(value_of("0"), "0");
  r = Call(&Api::Query, {{"query", "odd"}, {"time", "0"}});
  ASSERT_EQ(r.status, 200);
  json j = json::parse(r.body);
  EXPECT_EQ(j["data"]["result"][0]["value"][1], "NaN");
  // Escapes, and invalid UTF-8 replaced as Go's encoder does.
  EXPECT_EQ(j["data"]["result"][0]["metric"]["v"], "quote\"\n\xef\xbf\xbd");
  r = Call(&Api::Query, {{"query", "odd"}, {"time", "15"}});
  EXPECT_EQ(json::parse(r.body)["data"]["result"][0]["value"][1], "+Inf");
  r = Call(&Api::Query, {{"query", "-odd"}, {"time", "15"}});
  EXPECT_EQ(json::parse(r.body)["data"]["result"][0]["value"][1], "-Inf");
}

// Prometheus 2.42's ranges include both ends.
TEST_F(ApiTest, InstantQueryOfARangeSelectorIsAMatrix) {
  http::Response r = Call(&Api::Query, {{"query", "x{i=\"2\"}[30s]"}, {"time", "60"}});
  EXPECT_EQ(r.body,
            R"({"status":"success","data":{"resultType":"matrix","result":[)"
            R"({"metric":{"__name__":"x","i":"2","job":"b"},"values":[[30,"60"],[45,"90"],[60,"120"]]}]}})");
}

TEST_F(ApiTest, RangeQueryShape) {
  http::Response r = Call(&Api::QueryRange, {{"query", "sum by (job) (x)"},
                                             {"start", "60"},
                                             {"end", "120"},
                                             {"step", "30s"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body,
            R"({"status":"success","data":{"resultType":"matrix","result":[)"
            R"({"metric":{"job":"a"},"values":[[60,"60"],[90,"90"],[120,"120"]]},)"
            R"({"metric":{"job":"b"},"values":[[60,"120"],[90,"180"],[120,"240"]]}]}})");
  // A scalar becomes a series without labels.
  r = Call(&Api::QueryRange, {{"query", "2"}, {"start", "0"}, {"end", "1"}, {"step", "1"}});
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"matrix","result":[)"
                    R"({"metric":{},"values":[[0,"2"],[1,"2"]]}]}})");
}

struct ErrorCase {
  const char* name;
  std::multimap<std::string, std::string> params;
  int status;
  const char* type;
  const char* message;
};

void ExpectError(const http::Response& r, int status, const std::string& type,
                 const std::string& message) {
  EXPECT_EQ(r.status, status) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["status"], "error");
  EXPECT_EQ(j["errorType"], type) << r.body;
  EXPECT_EQ(j["error"], message) << r.body;
}

TEST_F(ApiTest, QueryErrorsAsPrometheus) {
  ExpectError(Call(&Api::Query, {}), 400, "bad_data",
              "invalid parameter \"query\": 1:1: parse error: no expression found in input");
  ExpectError(Call(&Api::Query, {{"query", "sum(x"}}), 400, "bad_data",
              "invalid parameter \"query\": 1:6: parse error: unclosed left parenthesis");
  ExpectError(Call(&Api::Query, {{"query", "x"}, {"time", "yesterday"}}), 400, "bad_data",
              "invalid parameter \"time\": cannot parse \"yesterday\" to a valid timestamp");
  ExpectError(Call(&Api::Query, {{"query", "x"}, {"timeout", "soon"}}), 400, "bad_data",
              "invalid parameter \"timeout\": cannot parse \"soon\" to a valid duration");
  ExpectError(Call(&Api::Query, {{"query", "x + on(job) x"}, {"time", "60"}}), 422,
              "execution",
              "found duplicate series for the match group {job=\"a\"} on the right hand-side "
              "of the operation: [{__name__=\"x\", i=\"1\", job=\"a\"}, "
              "{__name__=\"x\", i=\"0\", job=\"a\"}];many-to-many matching not allowed: "
              "matching labels must be unique on one side");
}

TEST_F(ApiTest, QueryRangeErrorsAsPrometheus) {
  auto range = [&](const char* start, const char* end, const char* step,
                   const char* query = "x") {
    return Call(&Api::QueryRange,
                {{"query", query}, {"start", start}, {"end", end}, {"step", step}});
  };
  ExpectError(range("a", "1", "1"), 400, "bad_data",
              "invalid parameter \"start\": cannot parse \"a\" to a valid timestamp");
  ExpectError(range("1", "", "1"), 400, "bad_data",
              "invalid parameter \"end\": cannot parse \"\" to a valid timestamp");
  ExpectError(range("10", "1", "1"), 400, "bad_data",
              "invalid parameter \"end\": end timestamp must not be before start time");
  ExpectError(range("0", "1", "0"), 400, "bad_data",
              "invalid parameter \"step\": zero or negative query resolution step widths are "
              "not accepted. Try a positive integer");
  ExpectError(range("0", "1", "-1s"), 400, "bad_data",
              "invalid parameter \"step\": cannot parse \"-1s\" to a valid duration");
  ExpectError(range("0", "11001", "1"), 400, "bad_data",
              "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the "
              "query resolution (?step=XX)");
  EXPECT_EQ(range("0", "11000", "1").status, 200);
  // Unlike /api/v1/query, Prometheus does not name the parameter here.
  ExpectError(range("0", "1", "1", "sum("), 400, "bad_data",
              "1:5: parse error: unclosed left parenthesis");
  ExpectError(range("0", "1", "1", "\"s\""), 400, "bad_data",
              "invalid expression type \"string\" for range query, must be Scalar or instant "
              "Vector");
  ExpectError(range("0", "1", "1", "x[1m]"), 400, "bad_data",
              "invalid expression type \"range vector\" for range query, must be Scalar or "
              "instant Vector");
}

TEST_F(ApiTest, GuardRailsMapToExecutionAndCanceled) {
  promql::Engine small({.max_samples = 10});
  Api api({.storage = &storage_, .engine = &small});
  http::Request req;
  req.params = {{"query", "x[10m]"}, {"time", "600"}};
  http::Response res;
  api.Query(req, &res);
  ExpectError(res, 422, "execution",
              "query processing would load too many samples into memory in query execution");

  shutdown_.request_stop();
  ExpectError(Call(&Api::Query, {{"query", "x"}, {"time", "60"}}), 499, "canceled",
              "query was canceled in expression evaluation");
}

TEST_F(ApiTest, SeriesLabelsAndValues) {
  http::Response r = Call(&Api::Series, {{"match[]", "x{job=\"b\"}"}, {"match[]", "odd"}});
  EXPECT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][0]["__name__"], "odd");
  EXPECT_EQ(j["data"][1], json({{"__name__", "x"}, {"i", "2"}, {"job", "b"}}));

  r = Call(&Api::Labels, {});
  EXPECT_EQ(r.body, R"({"status":"success","data":["__name__","i","job","v"]})");
  r = Call(&Api::Labels, {{"match[]", "x"}});
  EXPECT_EQ(json::parse(r.body)["data"], json({"__name__", "i", "job"}));

  r = Call(&Api::LabelValues, {}, {{"name", "job"}});
  EXPECT_EQ(json::parse(r.body)["data"], json({"a", "b"}));
  r = Call(&Api::LabelValues, {{"match[]", "x{i=\"2\"}"}}, {{"name", "job"}});
  EXPECT_EQ(json::parse(r.body)["data"], json({"b"}));
  r = Call(&Api::LabelValues, {}, {{"name", "nope"}});
  EXPECT_EQ(json::parse(r.body)["data"], json::array());
}

TEST_F(ApiTest, SeriesAndLabelErrors) {
  ExpectError(Call(&Api::Series, {}), 400, "bad_data", "no match[] parameter provided");
  ExpectError(Call(&Api::Series, {{"match[]", "{job=~\".*\"}"}}), 400, "bad_data",
              "match[] must contain at least one non-empty matcher");
  ExpectError(Call(&Api::Series, {{"match[]", "x{"}}), 400, "bad_data",
              "1:3: parse error: unexpected end of input inside braces");
  ExpectError(Call(&Api::Series, {{"match[]", "x"}, {"start", "z"}}), 400, "bad_data",
              "invalid parameter \"start\": cannot parse \"z\" to a valid timestamp");
  ExpectError(Call(&Api::LabelValues, {}, {{"name", "1bad"}}), 400, "bad_data",
              "invalid label name: \"1bad\"");
}

TEST_F(ApiTest, TargetsMetadataAndBuildInfoWithoutScraping) {
  http::Response r = Call(&Api::Targets, {});
  EXPECT_EQ(json::parse(r.body)["data"],
            json({{"activeTargets", json::array()}, {"droppedTargets", json::array()}}));
  r = Call(&Api::Targets, {{"state", " Dropped "}});
  EXPECT_EQ(json::parse(r.body)["data"], json({{"droppedTargets", json::array()}}));
  r = Call(&Api::Metadata, {});
  EXPECT_EQ(json::parse(r.body)["data"], json::object());
  ExpectError(Call(&Api::Metadata, {{"limit", "x"}}), 400, "bad_data", "limit must be a number");
  r = Call(&Api::BuildInfo, {});
  EXPECT_EQ(json::parse(r.body)["data"]["application"], "vigil");
}

// Through a real server: form-encoded POST (what promtool and Grafana send)
// and the label-name path parameter.
TEST_F(ApiTest, ServedOverHttp) {
  auto server = http::Server::Create({.listen_address = "127.0.0.1:0"});
  ASSERT_TRUE(server.ok());
  api_.Register(server->get());
  ASSERT_TRUE((*server)->Start().ok());
  httplib::Client c("127.0.0.1", (*server)->port());
  auto res = c.Post("/api/v1/query", "query=sum(x)&time=60",
                    "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, R"({"status":"success","data":{"resultType":"vector","result":[)"
                       R"({"metric":{},"value":[60,"180"]}]}})");
  res = c.Get("/api/v1/label/job/values");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, R"({"status":"success","data":["a","b"]})");
  res = c.Get("/api/v1/query_range?query=x&start=0&end=10&step=0");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
}

TEST(ApiRulesTest, RulesAndAlertsInPrometheusShapes) {
  storage::MemoryStorage db;
  promql::Engine engine;
  rules::Manager rm({.appendable = &db, .queryable = &db, .engine = &engine, .run = false});
  auto groups = rules::ParseRuleFile(R"(groups:
  - name: g
    interval: 30s
    rules:
      - record: job:x:sum
        expr: sum by (job) (x)
        labels: {team: ml}
      - alert: XHigh
        expr: x > 5
        for: 1m
        labels: {severity: page}
        annotations: {summary: "{{ $labels.job }} at {{ $value }}"}
      - anomaly: x_anomaly
        expr: x
        detector: zscore
        params: {window: 50}
        severity: {low: 0.5, high: 0.8}
)", "r.yml");
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  rm.Apply(std::chrono::minutes(1), std::move(*groups));
  {
    auto app = db.NewAppender();
    ASSERT_TRUE(app->Append(0, Labels::FromPairs({{"__name__", "x"}, {"job", "a"}}), 90'000, 7)
                    .ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  rm.Groups()[0]->Eval(100'000);
  Api api({.storage = &db, .engine = &engine, .rules = &rm});
  auto call = [&](void (Api::*fn)(const http::Request&, http::Response*),
                  std::multimap<std::string, std::string> params) {
    http::Request req;
    req.method = "GET";
    req.params = std::move(params);
    req.header = [](const std::string&) { return std::string(); };
    http::Response res;
    (api.*fn)(req, &res);
    return res;
  };

  http::Response r = call(&Api::Rules, {});
  ASSERT_EQ(r.status, 200);
  json j = json::parse(r.body);
  ASSERT_EQ(j["status"], "success");
  const json& g = j["data"]["groups"][0];
  EXPECT_EQ(g["name"], "g");
  EXPECT_EQ(g["file"], "r.yml");
  EXPECT_EQ(g["interval"], 30);
  ASSERT_EQ(g["rules"].size(), 3u);
  const json& rec = g["rules"][0];
  EXPECT_FALSE(rec.contains("anomaly"));
  EXPECT_EQ(rec["type"], "recording");
  EXPECT_EQ(rec["name"], "job:x:sum");
  EXPECT_EQ(rec["query"], "sum by (job) (x)");
  EXPECT_EQ(rec["health"], "ok");
  EXPECT_EQ(rec["labels"]["team"], "ml");
  const json& alert = g["rules"][1];
  EXPECT_EQ(alert["type"], "alerting");
  EXPECT_EQ(alert["state"], "pending");
  EXPECT_EQ(alert["duration"], 60);
  EXPECT_EQ(alert["labels"]["severity"], "page");
  EXPECT_EQ(alert["annotations"]["summary"], "{{ $labels.job }} at {{ $value }}");
  ASSERT_EQ(alert["alerts"].size(), 1u);
  EXPECT_EQ(alert["alerts"][0]["state"], "pending");
  EXPECT_EQ(alert["alerts"][0]["labels"]["alertname"], "XHigh");
  EXPECT_EQ(alert["alerts"][0]["annotations"]["summary"], "a at 7");
  EXPECT_EQ(alert["alerts"][0]["activeAt"], "1970-01-01T00:01:40Z");
  EXPECT_EQ(alert["alerts"][0]["value"], "7e+00");
  // An anomaly rule: a recording rule to Prometheus clients, with vigil's
  // `anomaly` field naming its detector.
  const json& anomaly = g["rules"][2];
  EXPECT_EQ(anomaly["type"], "recording");
  EXPECT_EQ(anomaly["name"], "x_anomaly");
  EXPECT_EQ(anomaly["anomaly"]["detector"], "zscore");
  EXPECT_EQ(anomaly["anomaly"]["params"]["window"], 50);
  EXPECT_EQ(anomaly["anomaly"]["severity"]["high"], 0.8);

  // type=record / type=alert filter; anything else is bad_data.
  j = json::parse(call(&Api::Rules, {{"type", "record"}}).body);
  ASSERT_EQ(j["data"]["groups"][0]["rules"].size(), 2u);
  EXPECT_EQ(j["data"]["groups"][0]["rules"][0]["type"], "recording");
  r = call(&Api::Rules, {{"type", "both"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["errorType"], "bad_data");

  j = json::parse(call(&Api::Alerts, {}).body);
  ASSERT_EQ(j["data"]["alerts"].size(), 1u);
  EXPECT_EQ(j["data"]["alerts"][0]["labels"]["job"], "a");
  EXPECT_EQ(j["data"]["alerts"][0]["state"], "pending");
}

// vigil's /api/v1/log_patterns: each rule's configuration and state.
TEST(ApiLogPatternsTest, ListsRulesWithTheirState) {
  storage::MemoryStorage db;
  promql::Engine engine;
  vigil::testing::TempDir dir;
  LogPatternAlerts lp({.state_dir = dir.path(), .notify = [](std::vector<model::Alert>) {}});
  LogPatternConfig oom;
  oom.rule = {.name = "oom", .pattern = "out of memory", .severity = "critical", .threshold = 1,
              .window = std::chrono::minutes(5), .sources = {"vigil"}};
  oom.labels = Labels::FromPairs({{"team", "ml"}});
  oom.annotations = Labels::FromPairs({{"summary", "OOM"}});
  LogPatternConfig quiet;
  quiet.rule = {.name = "quiet", .pattern = "never", .severity = "info", .threshold = 3,
                .window = std::chrono::seconds(30), .sources = {"vigil"}};
  ASSERT_TRUE(lp.Apply({oom, quiet}).ok());
  lp.ScanSelf("worker 3: out of memory");
  Api api({.storage = &db, .engine = &engine, .log_patterns = &lp});
  http::Request req;
  req.method = "GET";
  req.header = [](const std::string&) { return std::string(); };
  http::Response res;
  api.LogPatterns(req, &res);
  ASSERT_EQ(res.status, 200);
  const json j = json::parse(res.body);
  ASSERT_EQ(j["status"], "success");
  const json& p = j["data"]["patterns"];
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0]["name"], "oom");
  EXPECT_EQ(p[0]["pattern"], "out of memory");
  EXPECT_EQ(p[0]["severity"], "critical");
  EXPECT_EQ(p[0]["window"], 300);
  EXPECT_EQ(p[0]["sources"], json::array({"vigil"}));
  EXPECT_EQ(p[0]["labels"]["team"], "ml");
  EXPECT_EQ(p[0]["annotations"]["summary"], "OOM");
  EXPECT_EQ(p[0]["matchesTotal"], 1);
  EXPECT_EQ(p[0]["firing"], true);
  EXPECT_TRUE(p[0]["firingSince"].is_string());
  EXPECT_EQ(p[0]["lastSource"], "vigil");
  EXPECT_EQ(p[0]["lastLine"], "worker 3: out of memory");
  EXPECT_EQ(p[1]["name"], "quiet");
  EXPECT_EQ(p[1]["threshold"], 3);
  EXPECT_EQ(p[1]["matchesTotal"], 0);
  EXPECT_EQ(p[1]["firing"], false);
  EXPECT_TRUE(p[1]["firingSince"].is_null());
  EXPECT_TRUE(p[1]["lastMatch"].is_null());

  // Without log patterns: an empty list.
  Api bare({.storage = &db, .engine = &engine});
  bare.LogPatterns(req, &res);
  EXPECT_EQ(json::parse(res.body)["data"]["patterns"], json::array());
}

}  // namespace
}  // namespace vigil::daemon
