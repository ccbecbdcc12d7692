#include "daemon/am_proxy.h"

#include <httplib.h>

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vigil::daemon {
namespace {

// A stand-in Alertmanager under /am that records what it was sent.
class FakeAlertmanager {
 public:
  FakeAlertmanager() {
    server_.Get("/am/api/v2/alerts", [this](const httplib::Request& q, httplib::Response& r) {
      Record(q);
      r.set_content(R"([{"labels":{"alertname":"X"}}])", "application/json");
    });
    server_.Post("/am/api/v2/silences", [this](const httplib::Request& q, httplib::Response& r) {
      Record(q);
      r.set_content(R"({"silenceID":"abc"})", "application/json");
    });
    server_.Delete("/am/api/v2/silence/abc", [this](const httplib::Request& q, httplib::Response&) {
      Record(q);
    });
    server_.Get("/am/api/v2/silence/nope", [](const httplib::Request&, httplib::Response& r) {
      r.status = 404;
      r.set_content("silence not found", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeAlertmanager() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  struct Seen {
    std::string method, target, body, authorization, content_type;
  };
  Seen last() {
    std::lock_guard<std::mutex> l(mu_);
    return last_;
  }

 private:
  void Record(const httplib::Request& q) {
    std::lock_guard<std::mutex> l(mu_);
    last_ = {q.method, q.target, q.body, q.get_header_value("Authorization"),
             q.get_header_value("Content-Type")};
  }
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  Seen last_;
};

http::Request Req(std::string method, std::string path,
                  std::multimap<std::string, std::string> params = {}, std::string body = "") {
  http::Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.params = std::move(params);
  r.body = std::move(body);
  r.header = [](const std::string& name) {
    return name == "Content-Type" ? std::string("application/json") : std::string();
  };
  return r;
}

TEST(AlertmanagerProxyTest, ForwardsToTheTargetAndPassesTheAnswerBack) {
  FakeAlertmanager am;
  AlertmanagerProxy proxy;
  proxy.SetTarget(notifier::AlertmanagerConfig{
                      .url = am.url(),
                      .path_prefix = "/am",
                      .http_client_config = {
                          .authorization = http::Authorization{.credentials = "t0k"}}},
                  /*allow_writes=*/true);
  http::Response res;
  proxy.Forward(Req("GET", "/api/v2/alerts", {{"filter", "alertname=\"X\""}, {"silenced", "false"}}),
                &res);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.content_type, "application/json");
  EXPECT_EQ(res.body, R"([{"labels":{"alertname":"X"}}])");
  FakeAlertmanager::Seen seen = am.last();
  EXPECT_EQ(seen.target, "/am/api/v2/alerts?filter=alertname%3D%22X%22&silenced=false");
  EXPECT_EQ(seen.authorization, "Bearer t0k");

  res = {};
  proxy.Forward(Req("POST", "/api/v2/silences", {}, R"({"matchers":[]})"), &res);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, R"({"silenceID":"abc"})");
  seen = am.last();
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.body, R"({"matchers":[]})");
  EXPECT_EQ(seen.content_type, "application/json");

  res = {};
  http::Request del = Req("DELETE", "/api/v2/silence/abc");
  del.path_params["id"] = "abc";
  proxy.Forward(del, &res);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(am.last().method, "DELETE");
  // An id is one path segment, whatever it holds.
  res = {};
  http::Request odd = Req("GET", "/api/v2/silence/x?a=b");
  odd.path_params["id"] = "x?a=b";
  proxy.Forward(odd, &res);
  EXPECT_EQ(res.status, 404);

  // The Alertmanager's own errors come back as they are.
  res = {};
  proxy.Forward(Req("GET", "/api/v2/silence/nope"), &res);
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.body, "silence not found");
}

TEST(AlertmanagerProxyTest, NoTargetIsNotFoundAndADeadOneIsBadGateway) {
  AlertmanagerProxy proxy;
  http::Response res;
  proxy.Forward(Req("GET", "/api/v2/alerts"), &res);
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.body, "not found: /api/v2/alerts\n");

  // A port nothing listens on: 502 naming the Alertmanager.
  int dead_port = 0;
  {
    httplib::Server s;
    dead_port = s.bind_to_any_port("127.0.0.1");
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(dead_port);
  proxy.SetTarget(notifier::AlertmanagerConfig{.url = url, .timeout = std::chrono::seconds(2)},
                  /*allow_writes=*/false);
  res = {};
  proxy.Forward(Req("GET", "/api/v2/status"), &res);
  EXPECT_EQ(res.status, 502);
  EXPECT_EQ(res.body.rfind("alertmanager " + url + ": ", 0), 0u) << res.body;
}

// Writes go out with vigil's credentials: only when vigil's own access is
// authenticated. A secret file that cannot be read is named in the log only.
TEST(AlertmanagerProxyTest, WritesNeedAuthenticatedAccessAndSecretsStayInTheLog) {
  FakeAlertmanager am;
  std::vector<std::string> logged;
  AlertmanagerProxy proxy({.log = [&](std::string_view m) { logged.emplace_back(m); }});
  proxy.SetTarget(notifier::AlertmanagerConfig{.url = am.url(), .path_prefix = "/am"},
                  /*allow_writes=*/false);
  http::Response res;
  proxy.Forward(Req("POST", "/api/v2/silences", {}, "{}"), &res);
  EXPECT_EQ(res.status, 403);
  EXPECT_NE(res.body.find("web.config_file"), std::string::npos) << res.body;
  EXPECT_EQ(am.last().method, "");  // nothing reached the Alertmanager
  res = {};
  proxy.Forward(Req("GET", "/api/v2/alerts"), &res);
  EXPECT_EQ(res.status, 200);  // reads are fine

  proxy.SetTarget(
      notifier::AlertmanagerConfig{
          .url = am.url(),
          .path_prefix = "/am",
          .http_client_config = {.authorization = http::Authorization{
                                     .credentials_file = "/nonexistent/secret-token"}}},
      /*allow_writes=*/true);
  res = {};
  proxy.Forward(Req("GET", "/api/v2/alerts"), &res);
  EXPECT_EQ(res.status, 502);
  EXPECT_EQ(res.body.find("secret-token"), std::string::npos) << res.body;
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0].find("/nonexistent/secret-token"), std::string::npos) << logged[0];
}

}  // namespace
}  // namespace vigil::daemon
