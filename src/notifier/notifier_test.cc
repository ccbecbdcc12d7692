#include "notifier/notifier.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/file.h"
#include "base/test_util.h"
#include "metrics/test_util.h"
#include "model/timestamp.h"

namespace vigil::notifier {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Json = nlohmann::json;
using SystemClock = std::chrono::system_clock;
using SteadyClock = std::chrono::steady_clock;

// Polls `f` every few milliseconds for up to `limit`.
template <typename F>
bool WaitFor(F f, milliseconds limit = seconds(20)) {
  const auto deadline = SteadyClock::now() + limit;
  while (!f()) {
    if (SteadyClock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

model::Alert MakeAlert(
    std::string name,
    std::vector<std::pair<std::string, std::string>> extra = {}) {
  extra.emplace_back("alertname", std::move(name));
  model::Alert a;
  a.labels = model::Labels::FromPairs(std::move(extra));
  return a;
}

std::vector<model::Alert> MakeAlerts(size_t n, const std::string& prefix) {
  std::vector<model::Alert> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back(MakeAlert(prefix + std::to_string(i)));
  return out;
}

// An Alertmanager stand-in on 127.0.0.1: records what is POSTed to its
// alerts path and answers as told (fail, hang).
class FakeAlertmanager {
 public:
  explicit FakeAlertmanager(const std::string& path = "/api/v2/alerts") {
    server_.Post(path, [this](const httplib::Request& req,
                              httplib::Response& res) { Handle(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~FakeAlertmanager() {
    Release();
    server_.stop();
    thread_.join();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }

  // The next `n` requests answer `status`.
  void FailNext(int n, int status) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_next_ = n;
    fail_status_ = status;
  }
  // Every request answers `status` (200: accept).
  void SetStatus(int status) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
  }
  // Requests wait until Release().
  void Hang() {
    std::lock_guard<std::mutex> lock(mu_);
    hang_ = true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      hang_ = false;
    }
    cv_.notify_all();
  }

  int requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  int hanging() const {
    std::lock_guard<std::mutex> lock(mu_);
    return hanging_;
  }
  // Accepted POST bodies, parsed.
  std::vector<Json> batches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  std::vector<std::string> alertnames() const {
    std::vector<std::string> out;
    for (const Json& b : batches()) {
      for (const Json& a : b) out.push_back(a["labels"]["alertname"]);
    }
    return out;
  }
  size_t alert_count() const { return alertnames().size(); }
  std::string header(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = headers_.find(name);
    return it == headers_.end() ? "" : it->second;
  }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    std::unique_lock<std::mutex> lock(mu_);
    ++requests_;
    headers_ = req.headers;
    if (hang_) {
      ++hanging_;
      cv_.wait(lock, [this] { return !hang_; });
      --hanging_;
    }
    if (fail_next_ > 0) {
      --fail_next_;
      res.status = fail_status_;
      res.set_content("injected failure\n", "text/plain");
      return;
    }
    if (status_ / 100 != 2) {
      res.status = status_;
      res.set_content("bad alerts\n", "text/plain");
      return;
    }
    batches_.push_back(Json::parse(req.body, nullptr, false));
    res.status = 200;
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int fail_next_ = 0;
  int fail_status_ = 500;
  int status_ = 200;
  bool hang_ = false;
  int requests_ = 0;
  int hanging_ = 0;
  std::vector<Json> batches_;
  httplib::Headers headers_;
};

double Value(
    const metrics::Registry& r, const std::string& name,
    const std::vector<std::pair<std::string, std::string>>& labels = {}) {
  return metrics::testing::SeriesValue(r, name, labels);
}

// Quick retries so that failure tests finish fast.
ManagerOptions FastOptions(metrics::Registry* r) {
  ManagerOptions o;
  o.registry = r;
  o.initial_backoff = milliseconds(10);
  o.drain_timeout = milliseconds(0);
  return o;
}

std::unique_ptr<Manager> NewManager(ManagerOptions o) {
  auto m = Manager::Create(std::move(o));
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(m).value() : nullptr;
}

AlertmanagerConfig Am(const FakeAlertmanager& s) { return {.url = s.url()}; }

// --- EncodeAlerts, AlertsPath, validation ---------------------------------

TEST(EncodeAlertsTest, WritesApiV2Shape) {
  model::Alert a;
  a.labels = model::Labels::FromPairs(
      {{"alertname", "HighLatency"}, {"severity", "page"}});
  a.annotations = model::Labels::FromPairs({{"summary", "p99 > 2s"}});
  a.starts_at = model::ToTimePoint(1714566896789);  // 2024-05-01T12:34:56.789Z
  a.ends_at = a.starts_at + std::chrono::minutes(5);
  a.generator_url = "http://127.0.0.1:9090/graph?g0.expr=up";
  EXPECT_EQ(EncodeAlerts({&a, 1}),
            R"([{"labels":{"alertname":"HighLatency","severity":"page"},)"
            R"("annotations":{"summary":"p99 > 2s"},)"
            R"("startsAt":"2024-05-01T12:34:56.789Z",)"
            R"("endsAt":"2024-05-01T12:39:56.789Z",)"
            R"("generatorURL":"http://127.0.0.1:9090/graph?g0.expr=up"}])");
}

TEST(EncodeAlertsTest, LeavesOutZeroTimesAndEmptyFields) {
  std::vector<model::Alert> alerts = {MakeAlert("A"), MakeAlert("B")};
  alerts[1].ends_at = model::ToTimePoint(-1);  // before the epoch
  EXPECT_EQ(EncodeAlerts(alerts), R"([{"labels":{"alertname":"A"}},)"
                                  R"({"labels":{"alertname":"B"},)"
                                  R"("endsAt":"1969-12-31T23:59:59.999Z"}])");
  EXPECT_EQ(EncodeAlerts({}), "[]");
}

TEST(EncodeAlertsTest, TruncatesToMillisecondsAndEscapes) {
  model::Alert a = MakeAlert("quote\"back\\slash\nnl");
  a.starts_at = model::ToTimePoint(0) + std::chrono::microseconds(1999);
  a.annotations = model::Labels::FromPairs({{"bad", std::string("x\xff", 2)}});
  const std::string body = EncodeAlerts({&a, 1});
  Json j = Json::parse(body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << body;
  EXPECT_EQ(j[0]["labels"]["alertname"], "quote\"back\\slash\nnl");
  EXPECT_EQ(j[0]["startsAt"], "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(j[0]["annotations"]["bad"], "x\xEF\xBF\xBD");  // U+FFFD
}

TEST(AlertsPathTest, JoinsPrefix) {
  const struct {
    const char* prefix;
    const char* want;
  } cases[] = {
      {"", "/api/v2/alerts"},
      {"/", "/api/v2/alerts"},
      {"am", "/am/api/v2/alerts"},
      {"/am/", "/am/api/v2/alerts"},
      {"//a//b/./", "/a/b/api/v2/alerts"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(AlertsPath(c.prefix), c.want) << c.prefix;
}

TEST(ValidateAlertmanagerConfigTest, RejectsBadConfigs) {
  EXPECT_TRUE(
      ValidateAlertmanagerConfig({.url = "http://127.0.0.1:9093"}).ok());
  EXPECT_TRUE(
      ValidateAlertmanagerConfig({.url = "http://127.0.0.1:9093/"}).ok());
  EXPECT_TRUE(ValidateAlertmanagerConfig(
                  {.url = "https://am.example:9093", .path_prefix = "/am"})
                  .ok());
  const AlertmanagerConfig bad[] = {
      {.url = "127.0.0.1:9093"},
      {.url = "ftp://127.0.0.1:9093"},
      {.url = "http://127.0.0.1:9093/am"},
      {.url = "http://127.0.0.1:9093", .timeout = milliseconds(0)},
      {.url = "http://127.0.0.1:9093", .path_prefix = "/a?b"},
      {.url = "http://127.0.0.1:9093", .path_prefix = "/a/../b"},
      {.url = "http://127.0.0.1:9093",
       .http_client_config = {.basic_auth = http::BasicAuth{.username = "u"},
                              .authorization = http::Authorization{.credentials = "t"}}},
  };
  for (const AlertmanagerConfig& c : bad) {
    Status s = ValidateAlertmanagerConfig(c);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument)
        << c.url << " " << c.path_prefix;
  }
}

TEST(ManagerTest, CreateRejectsBadOptions) {
  EXPECT_FALSE(Manager::Create({.queue_capacity = 0}).ok());
  EXPECT_FALSE(Manager::Create({.max_batch_size = 0}).ok());
  EXPECT_FALSE(Manager::Create({.max_attempts = 0}).ok());
  EXPECT_FALSE(Manager::Create({.initial_backoff = milliseconds(-1)}).ok());
  EXPECT_TRUE(Manager::Create({}).ok());
}

TEST(ManagerTest, ApplyConfigRejectsDuplicatesAndKeepsOldConfig) {
  FakeAlertmanager am;
  auto m = NewManager({});
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {Am(am)}}).ok());
  Status s = m->ApplyConfig(
      {.alertmanagers = {{.url = am.url()}, {.url = am.url() + "/"}}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  s = m->ApplyConfig({.alertmanagers = {{.url = "nonsense"}}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  ASSERT_EQ(m->Alertmanagers().size(), 1u);
  EXPECT_EQ(m->Alertmanagers()[0].url, am.url() + "/api/v2/alerts");
  m->Stop();
  EXPECT_EQ(m->ApplyConfig({.alertmanagers = {Am(am)}}).code(),
            StatusCode::kFailedPrecondition);
}

// --- delivery -------------------------------------------------------------

TEST(ManagerTest, DeliversInBatchesOfAtMost64) {
  FakeAlertmanager am;
  metrics::Registry r;
  auto m = NewManager({.registry = &r});
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {Am(am)}}).ok());
  m->Send(MakeAlerts(150, "a"));  // queued before the sender runs
  EXPECT_EQ(m->queue_length(), 150u);
  EXPECT_EQ(Value(r, "vigil_notifications_queue_length"), 150);
  m->Start();
  ASSERT_TRUE(WaitFor([&] { return am.alert_count() == 150; }));
  std::vector<size_t> sizes;
  for (const Json& b : am.batches()) sizes.push_back(b.size());
  EXPECT_EQ(sizes, (std::vector<size_t>{64, 64, 22}));
  // In order.
  std::vector<std::string> names = am.alertnames();
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(names[i], "a" + std::to_string(i));
  }
  EXPECT_EQ(am.header("Content-Type"), "application/json");
  EXPECT_EQ(am.header("User-Agent").rfind("vigil/", 0), 0u);
  const std::string url = am.url() + "/api/v2/alerts";
  ASSERT_TRUE(WaitFor([&] {
    return Value(r, "vigil_notifications_sent_total",
                 {{"alertmanager", url}}) == 150;
  }));
  EXPECT_EQ(
      Value(r, "vigil_notifications_errors_total", {{"alertmanager", url}}), 0);
  EXPECT_EQ(Value(r, "vigil_notifications_dropped_total"), 0);
  EXPECT_EQ(Value(r, "vigil_notifications_queue_length"), 0);
  EXPECT_EQ(Value(r, "vigil_notifications_queue_capacity"), 10000);
  EXPECT_EQ(Value(r, "vigil_notifications_alertmanagers_discovered"), 1);
  const auto snap = r.Snapshot();
  const metrics::MetricSnapshot* latency = metrics::testing::FindSeries(
      snap, "vigil_notifications_latency_seconds", {{"alertmanager", url}});
  ASSERT_NE(latency, nullptr);
  EXPECT_EQ(latency->count, 3u);
  ASSERT_EQ(m->Alertmanagers().size(), 1u);
  EXPECT_TRUE(m->Alertmanagers()[0].last_error.ok());
}

TEST(ManagerTest, AddsExternalLabelsWhereMissing) {
  FakeAlertmanager am;
  auto m = NewManager({});
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {Am(am)},
                              .external_labels = model::Labels::FromPairs(
                                  {{"cluster", "eu1"}, {"replica", "a"}})})
                  .ok());
  m->Start();
  m->Send({MakeAlert("Own", {{"cluster", "mine"}}), MakeAlert("Plain")});
  ASSERT_TRUE(WaitFor([&] { return am.alert_count() == 2; }));
  const Json b = am.batches()[0];
  EXPECT_EQ(
      b[0]["labels"],
      (Json{{"alertname", "Own"}, {"cluster", "mine"}, {"replica", "a"}}));
  EXPECT_EQ(
      b[1]["labels"],
      (Json{{"alertname", "Plain"}, {"cluster", "eu1"}, {"replica", "a"}}));
}

TEST(ManagerTest, PathPrefixAndBearerToken) {
  FakeAlertmanager am("/am/api/v2/alerts");
  auto m = NewManager({});
  ASSERT_TRUE(
      m->ApplyConfig(
           {.alertmanagers = {
                {.url = am.url(),
                 .path_prefix = "am",
                 .http_client_config = {
                     .authorization = http::Authorization{.credentials = "s3cret"}}}}})
          .ok());
  m->Start();
  m->Send({MakeAlert("A")});
  ASSERT_TRUE(WaitFor([&] { return am.alert_count() == 1; }));
  EXPECT_EQ(am.header("Authorization"), "Bearer s3cret");
}

TEST(ManagerTest, BasicAuth) {
  FakeAlertmanager am;
  auto m = NewManager({});
  ASSERT_TRUE(
      m->ApplyConfig(
           {.alertmanagers = {
                {.url = am.url(),
                 .http_client_config = {
                     .basic_auth = http::BasicAuth{.username = "user", .password = "pass"}}}}})
          .ok());
  m->Start();
  m->Send({MakeAlert("A")});
  ASSERT_TRUE(WaitFor([&] { return am.alert_count() == 1; }));
  EXPECT_EQ(am.header("Authorization"), "Basic dXNlcjpwYXNz");
}

// A credentials file is read for every delivery: a rotated token is sent
// without ApplyConfig().
TEST(ManagerTest, CredentialsFileReadForEachDelivery) {
  testing::TempDir dir;
  const std::string token = dir.path() + "/token";
  ASSERT_TRUE(WriteFileAtomic(token, "first\n").ok());
  FakeAlertmanager am;
  auto m = NewManager({});
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {{.url = am.url(),
                                                 .http_client_config = {
                                                     .authorization = http::Authorization{
                                                         .credentials_file = token}}}}})
                  .ok());
  m->Start();
  m->Send({MakeAlert("A")});
  ASSERT_TRUE(WaitFor([&] { return am.alert_count() == 1; }));
  EXPECT_EQ(am.header("Authorization"), "Bearer first");
  ASSERT_TRUE(WriteFileAtomic(token, "second").ok());
  m->Send({MakeAlert("B")});
  ASSERT_TRUE(WaitFor([&] { return am.alert_count() == 2; }));
  EXPECT_EQ(am.header("Authorization"), "Bearer second");
}

TEST(ManagerTest, QueueFullDropsOldest) {
  FakeAlertmanager am;
  am.Hang();
  metrics::Registry r;
  ManagerOptions o = FastOptions(&r);
  o.queue_capacity = 10;
  auto m = NewManager(o);
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {Am(am)}}).ok());
  m->Start();
  m->Send({MakeAlert("first")});
  // The sender is now stuck on the hanging server with "first".
  ASSERT_TRUE(WaitFor([&] { return am.hanging() == 1; }));
  m->Send(MakeAlerts(6, "x"));  // x0..x5
  m->Send(MakeAlerts(7, "y"));  // y0..y6: x0..x2 make room
  EXPECT_EQ(m->queue_length(), 10u);
  EXPECT_EQ(Value(r, "vigil_notifications_dropped_total"), 3);
  // One call larger than the queue keeps its newest alerts.
  m->Send(MakeAlerts(12, "z"));  // z2..z11 stay; the 10 queued and z0, z1 go
  EXPECT_EQ(m->queue_length(), 10u);
  EXPECT_EQ(Value(r, "vigil_notifications_dropped_total"), 3 + 12);
  EXPECT_EQ(Value(r, "vigil_notifications_queue_length"), 10);
  EXPECT_EQ(Value(r, "vigil_notifications_queue_capacity"), 10);
  am.Release();
  ASSERT_TRUE(WaitFor([&] { return am.alert_count() == 11; }));
  std::vector<std::string> want = {"first"};
  for (int i = 2; i < 12; ++i) want.push_back("z" + std::to_string(i));
  EXPECT_EQ(am.alertnames(), want);
}

TEST(ManagerTest, RetriesThenSucceeds) {
  FakeAlertmanager am;
  am.FailNext(2, 503);
  metrics::Registry r;
  auto m = NewManager(FastOptions(&r));
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {Am(am)}}).ok());
  m->Start();
  m->Send(MakeAlerts(5, "a"));
  ASSERT_TRUE(WaitFor([&] { return am.alert_count() == 5; }));
  EXPECT_EQ(am.requests(), 3);
  const std::string url = am.url() + "/api/v2/alerts";
  ASSERT_TRUE(WaitFor([&] {
    return Value(r, "vigil_notifications_sent_total",
                 {{"alertmanager", url}}) == 5;
  }));
  EXPECT_EQ(
      Value(r, "vigil_notifications_errors_total", {{"alertmanager", url}}), 0);
  EXPECT_EQ(Value(r, "vigil_notifications_dropped_total"), 0);
}

TEST(ManagerTest, RetryExhaustionCountsErrorsAndDrops) {
  FakeAlertmanager am;
  am.SetStatus(500);
  metrics::Registry r;
  std::mutex mu;
  std::vector<std::string> reports;
  ManagerOptions o = FastOptions(&r);
  o.error_reporter = [&](std::string_view s) {
    std::lock_guard<std::mutex> lock(mu);
    reports.emplace_back(s);
  };
  auto m = NewManager(o);
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {Am(am)}}).ok());
  m->Start();
  m->Send(MakeAlerts(4, "a"));
  const std::string url = am.url() + "/api/v2/alerts";
  ASSERT_TRUE(WaitFor([&] {
    return Value(r, "vigil_notifications_errors_total",
                 {{"alertmanager", url}}) == 4;
  }));
  EXPECT_EQ(am.requests(), 3);  // max_attempts
  EXPECT_EQ(am.alert_count(), 0u);
  EXPECT_EQ(Value(r, "vigil_notifications_sent_total", {{"alertmanager", url}}),
            0);
  ASSERT_TRUE(WaitFor(
      [&] { return Value(r, "vigil_notifications_dropped_total") == 4; }));
  Status last = m->Alertmanagers()[0].last_error;
  EXPECT_EQ(last.code(), StatusCode::kUnavailable);
  EXPECT_NE(last.message().find("500"), std::string_view::npos)
      << last.ToString();
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("after 3 attempt(s)"), std::string::npos)
      << reports[0];
}

TEST(ManagerTest, ClientErrorIsNotRetried) {
  FakeAlertmanager am;
  am.SetStatus(400);
  metrics::Registry r;
  auto m = NewManager(FastOptions(&r));
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {Am(am)}}).ok());
  m->Start();
  m->Send(MakeAlerts(2, "a"));
  const std::string url = am.url() + "/api/v2/alerts";
  ASSERT_TRUE(WaitFor([&] {
    return Value(r, "vigil_notifications_errors_total",
                 {{"alertmanager", url}}) == 2;
  }));
  EXPECT_EQ(am.requests(), 1);
  EXPECT_NE(m->Alertmanagers()[0].last_error.message().find("bad alerts"),
            std::string_view::npos);
}

TEST(ManagerTest, RetriesStayWithinTheTimeout) {
  FakeAlertmanager am;
  am.SetStatus(503);
  metrics::Registry r;
  ManagerOptions o = FastOptions(&r);
  o.max_attempts = 100;
  o.initial_backoff = milliseconds(50);
  auto m = NewManager(o);
  ASSERT_TRUE(
      m->ApplyConfig(
           {.alertmanagers = {{.url = am.url(), .timeout = milliseconds(500)}}})
          .ok());
  m->Start();
  m->Send({MakeAlert("a")});
  const std::string url = am.url() + "/api/v2/alerts";
  ASSERT_TRUE(WaitFor([&] {
    return Value(r, "vigil_notifications_errors_total",
                 {{"alertmanager", url}}) == 1;
  }));
  // 50 + 100 + 200 ms of backoff fit in 500 ms, 400 more do not.
  EXPECT_GE(am.requests(), 2);
  EXPECT_LE(am.requests(), 4);
}

TEST(ManagerTest, EveryAlertmanagerReceivesEverything) {
  FakeAlertmanager a, b, c;
  auto m = NewManager({});
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {Am(a), Am(b), Am(c)}}).ok());
  m->Start();
  m->Send(MakeAlerts(100, "x"));
  m->Send(MakeAlerts(30, "y"));
  for (FakeAlertmanager* s : {&a, &b, &c}) {
    ASSERT_TRUE(WaitFor([&] { return s->alert_count() == 130; }));
  }
  EXPECT_EQ(a.alertnames(), b.alertnames());
  EXPECT_EQ(a.alertnames(), c.alertnames());
}

TEST(ManagerTest, OneDownAlertmanagerDoesNotBlockTheOthers) {
  std::string down_url;
  {
    FakeAlertmanager gone;
    down_url = gone.url();
  }  // its port now refuses connections
  FakeAlertmanager hung;
  hung.Hang();
  FakeAlertmanager up;
  metrics::Registry r;
  auto m = NewManager(FastOptions(&r));
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {{.url = down_url},
                                                {.url = hung.url(),
                                                 .timeout = milliseconds(300)},
                                                Am(up)}})
                  .ok());
  m->Start();
  m->Send(MakeAlerts(150, "a"));
  ASSERT_TRUE(WaitFor([&] { return up.alert_count() == 150; }));
  const std::string down = down_url + "/api/v2/alerts";
  const std::string slow = hung.url() + "/api/v2/alerts";
  ASSERT_TRUE(WaitFor([&] {
    return Value(r, "vigil_notifications_errors_total",
                 {{"alertmanager", down}}) == 150 &&
           Value(r, "vigil_notifications_errors_total",
                 {{"alertmanager", slow}}) == 150;
  }));
  EXPECT_EQ(Value(r, "vigil_notifications_sent_total",
                  {{"alertmanager", up.url() + "/api/v2/alerts"}}),
            150);
  // Delivered to one Alertmanager: not dropped.
  EXPECT_EQ(Value(r, "vigil_notifications_dropped_total"), 0);
  hung.Release();
}

// --- stop and reload ------------------------------------------------------

TEST(ManagerTest, StopReturnsPromptlyWithAHungAlertmanager) {
  FakeAlertmanager am;
  am.Hang();
  metrics::Registry r;
  ManagerOptions o = FastOptions(&r);
  o.drain_timeout = milliseconds(200);
  auto m = NewManager(o);
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {{.url = am.url(),
                                                 .timeout = seconds(60)}}})
                  .ok());
  m->Start();
  m->Send(MakeAlerts(3, "a"));
  ASSERT_TRUE(WaitFor([&] { return am.hanging() == 1; }));
  m->Send(MakeAlerts(2, "b"));  // still queued
  const auto start = SteadyClock::now();
  m->Stop();
  EXPECT_LT(SteadyClock::now() - start, seconds(5));
  // The aborted batch and the queued alerts are lost.
  EXPECT_EQ(Value(r, "vigil_notifications_dropped_total"), 5);
  EXPECT_EQ(Value(r, "vigil_notifications_queue_length"), 0);
  m->Send({MakeAlert("late")});
  EXPECT_EQ(Value(r, "vigil_notifications_dropped_total"), 6);
  m->Stop();  // idempotent
}

TEST(ManagerTest, StopDrainsTheQueue) {
  FakeAlertmanager am;
  metrics::Registry r;
  ManagerOptions o = FastOptions(&r);
  o.drain_timeout = seconds(20);
  auto m = NewManager(o);
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {Am(am)}}).ok());
  m->Send(MakeAlerts(200, "a"));
  m->Start();
  m->Stop();
  EXPECT_EQ(am.alert_count(), 200u);
  EXPECT_EQ(Value(r, "vigil_notifications_dropped_total"), 0);
}

TEST(ManagerTest, StopWithoutDrainDropsTheQueue) {
  metrics::Registry r;
  auto m = NewManager(FastOptions(&r));  // drain_timeout 0
  m->Send(MakeAlerts(7, "a"));
  m->Stop();
  EXPECT_EQ(Value(r, "vigil_notifications_dropped_total"), 7);
  EXPECT_EQ(m->queue_length(), 0u);
  m->Start();  // nothing after Stop
}

TEST(ManagerTest, QueueWaitsForTheFirstConfig) {
  FakeAlertmanager am;
  auto m = NewManager({});
  m->Start();
  m->Send(MakeAlerts(3, "a"));
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(m->queue_length(), 3u);
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {Am(am)}}).ok());
  ASSERT_TRUE(WaitFor([&] { return am.alert_count() == 3; }));
}

TEST(ManagerTest, ApplyConfigSwapsAlertmanagers) {
  FakeAlertmanager a, b;
  metrics::Registry r;
  auto m = NewManager(FastOptions(&r));
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {Am(a)}}).ok());
  m->Start();
  m->Send(MakeAlerts(5, "first"));
  ASSERT_TRUE(WaitFor([&] { return a.alert_count() == 5; }));

  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {Am(b)}}).ok());
  m->Send(MakeAlerts(4, "second"));
  ASSERT_TRUE(WaitFor([&] { return b.alert_count() == 4; }));
  EXPECT_EQ(a.alert_count(), 5u);
  EXPECT_EQ(b.alertnames()[0], "second0");
  ASSERT_EQ(m->Alertmanagers().size(), 1u);
  EXPECT_EQ(m->Alertmanagers()[0].url, b.url() + "/api/v2/alerts");
  EXPECT_EQ(Value(r, "vigil_notifications_alertmanagers_discovered"), 1);
  // The removed Alertmanager's series are gone.
  EXPECT_EQ(Value(r, "vigil_notifications_sent_total",
                  {{"alertmanager", a.url() + "/api/v2/alerts"}}),
            -1);

  // Both, then none.
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {Am(a), Am(b)}}).ok());
  EXPECT_EQ(Value(r, "vigil_notifications_alertmanagers_discovered"), 2);
  m->Send({MakeAlert("both")});
  ASSERT_TRUE(
      WaitFor([&] { return a.alert_count() == 6 && b.alert_count() == 5; }));
  ASSERT_TRUE(m->ApplyConfig({}).ok());
  EXPECT_EQ(Value(r, "vigil_notifications_alertmanagers_discovered"), 0);
}

TEST(ManagerTest, ApplyConfigKeepsTheQueue) {
  FakeAlertmanager a, b;
  a.Hang();
  auto m = NewManager(FastOptions(nullptr));
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {Am(a)}}).ok());
  m->Start();
  m->Send({MakeAlert("stuck")});
  ASSERT_TRUE(WaitFor([&] { return a.hanging() == 1; }));
  m->Send(MakeAlerts(3, "queued"));
  // Removing the hung Alertmanager aborts its request; the queue moves on
  // to the new one.
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {Am(b)}}).ok());
  ASSERT_TRUE(WaitFor([&] { return b.alert_count() == 3; }));
  EXPECT_EQ(b.alertnames(),
            (std::vector<std::string>{"queued0", "queued1", "queued2"}));
  a.Release();
}

// --- a real Alertmanager (tests/e2e/notifier_alertmanager.sh) ------------

// Runs against the Alertmanager at $VIGIL_TEST_ALERTMANAGER_URL; labels its
// alerts with vigil_run=$VIGIL_TEST_RUN_ID so that the script can check them
// too.
TEST(AlertmanagerIntegrationTest, FiringAndResolvedAlerts) {
  const char* url_env = std::getenv("VIGIL_TEST_ALERTMANAGER_URL");
  if (url_env == nullptr || *url_env == '\0') {
    GTEST_SKIP() << "VIGIL_TEST_ALERTMANAGER_URL is not set; "
                    "tests/e2e/notifier_alertmanager.sh sets it to a real "
                    "Alertmanager";
  }
  const std::string url = url_env;
  const char* run_env = std::getenv("VIGIL_TEST_RUN_ID");
  const std::string run = run_env != nullptr && *run_env != '\0'
                              ? run_env
                              : "gtest-" + std::to_string(model::NowMillis());

  metrics::Registry r;
  auto m = NewManager({.registry = &r});
  ASSERT_TRUE(m->ApplyConfig({.alertmanagers = {{.url = url}},
                              .external_labels = model::Labels::FromPairs(
                                  {{"cluster", "e2e"}})})
                  .ok());
  m->Start();
  const auto now = SystemClock::now();
  model::Alert firing = MakeAlert("VigilNotifierFiring",
                                  {{"vigil_run", run}, {"severity", "page"}});
  firing.annotations =
      model::Labels::FromPairs({{"summary", "p99 latency above 2s"},
                                {"runbook_url", "http://127.0.0.1/rb"}});
  firing.starts_at = now - std::chrono::minutes(1);
  firing.ends_at = now + std::chrono::minutes(10);
  firing.generator_url = "http://127.0.0.1:9090/graph?g0.expr=up";
  model::Alert resolved =
      MakeAlert("VigilNotifierResolved", {{"vigil_run", run}});
  resolved.starts_at = now - std::chrono::minutes(10);
  resolved.ends_at = now - std::chrono::minutes(1);
  m->Send({firing, resolved});
  const std::string post_url = url + "/api/v2/alerts";
  ASSERT_TRUE(WaitFor([&] {
    return Value(r, "vigil_notifications_sent_total",
                 {{"alertmanager", post_url}}) == 2;
  })) << "errors: "
      << Value(r, "vigil_notifications_errors_total",
               {{"alertmanager", post_url}})
      << " last error: " << m->Alertmanagers()[0].last_error.ToString();

  auto client = http::Client::Create(url, {.timeout = seconds(10)});
  ASSERT_TRUE(client.ok());
  Json firing_json;
  bool resolved_listed = true;
  ASSERT_TRUE(WaitFor(
      [&] {
        Result<http::ClientResponse> res =
            (*client)->Get("/api/v2/alerts?filter=" +
                           http::QueryEscape("vigil_run=\"" + run + "\""));
        if (!res.ok() || res->status != 200) return false;
        Json list = Json::parse(res->body, nullptr, false);
        if (!list.is_array()) return false;
        firing_json = Json();
        resolved_listed = false;
        for (const Json& a : list) {
          const std::string name = a["labels"].value("alertname", "");
          if (name == "VigilNotifierFiring") firing_json = a;
          if (name == "VigilNotifierResolved") resolved_listed = true;
        }
        return firing_json.is_object();
      },
      seconds(10)))
      << "the firing alert never showed up";
  EXPECT_EQ(firing_json["labels"], (Json{{"alertname", "VigilNotifierFiring"},
                                         {"cluster", "e2e"},
                                         {"severity", "page"},
                                         {"vigil_run", run}}));
  EXPECT_EQ(firing_json["annotations"],
            (Json{{"runbook_url", "http://127.0.0.1/rb"},
                  {"summary", "p99 latency above 2s"}}));
  EXPECT_EQ(firing_json["status"]["state"], "active");
  EXPECT_EQ(firing_json["generatorURL"], firing.generator_url);
  EXPECT_FALSE(resolved_listed)
      << "the resolved alert is listed among the active ones";
  m->Stop();
}

}  // namespace
}  // namespace vigil::notifier
