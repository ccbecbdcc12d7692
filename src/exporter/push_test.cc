#include "vigil/exporter/push.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vigil::exporter {
namespace {

using std::chrono::milliseconds;

// A loopback stand-in for the Pushgateway that records every request and
// answers with the queued statuses (200 once they run out).
class FakeGateway {
 public:
  struct Request {
    std::string method, path, body, content_type;
  };

  FakeGateway() {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back({req.method, req.path, req.body, req.get_header_value("Content-Type")});
      int status = 200;
      if (!statuses_.empty()) {
        status = statuses_.front();
        statuses_.erase(statuses_.begin());
      }
      res.status = status;
      if (status == 400) res.set_content("pushed metrics are invalid\n", "text/plain");
      if (status >= 500) res.set_content("overloaded", "text/plain");
    };
    server_.Put(R"(/.*)", handler);
    server_.Post(R"(/.*)", handler);
    server_.Delete(R"(/.*)", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~FakeGateway() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void QueueStatuses(std::vector<int> s) {
    std::lock_guard<std::mutex> lock(mu_);
    statuses_ = std::move(s);
  }
  std::vector<Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<int> statuses_;
  std::vector<Request> requests_;
};

PushOptions Options(const std::string& url, metrics::Registry* registry) {
  PushOptions o;
  o.url = url;
  o.job = "batch";
  o.grouping = {{"instance", "worker-1"}};
  o.registry = registry;
  o.initial_backoff = milliseconds(1);
  o.max_backoff = milliseconds(4);
  o.timeout = milliseconds(2000);
  return o;
}

TEST(GroupingPathTest, EscapesAndBase64) {
  EXPECT_EQ(GroupingPath("j", {}).value(), "/metrics/job/j");
  EXPECT_EQ(GroupingPath("j", {{"instance", "a b"}}).value(), "/metrics/job/j/instance/a%20b");
  // "/" and the empty value cannot be path segments: base64url, "=" for empty.
  EXPECT_EQ(GroupingPath("a/b", {{"path", "/x/y"}, {"empty", ""}}).value(),
            "/metrics/job@base64/YS9i/path@base64/L3gveQ==/empty@base64/=");
}

TEST(GroupingPathTest, Errors) {
  EXPECT_EQ(GroupingPath("", {}).status().code(), StatusCode::kInvalidArgument);
  Result<std::string> bad = GroupingPath("j", {{"in-stance", "x"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("grouping label 1"), std::string_view::npos)
      << bad.status().ToString();
  EXPECT_FALSE(GroupingPath("j", {{"job", "x"}}).ok());
  EXPECT_FALSE(GroupingPath("j", {{"a", "1"}, {"a", "2"}}).ok());
}

TEST(PushgatewayTest, CreateRejectsBadOptions) {
  metrics::Registry registry;
  PushOptions o = Options("127.0.0.1:9091", &registry);
  EXPECT_EQ(Pushgateway::Create(o).status().code(), StatusCode::kInvalidArgument);
  o = Options("http://127.0.0.1:9091", &registry);
  o.job = "";
  EXPECT_FALSE(Pushgateway::Create(o).ok());
  o = Options("http://127.0.0.1:9091", &registry);
  o.max_attempts = 0;
  EXPECT_FALSE(Pushgateway::Create(o).ok());
}

TEST(PushgatewayTest, PutPostDeleteWithTextBody) {
  FakeGateway gw;
  metrics::Registry registry;
  registry.MustAddCounter({.name = "rows_total", .help = "Rows."})->WithLabelValues({}).Inc(7);
  auto p = Pushgateway::Create(Options(gw.url() + "/prefix/", &registry));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->group_path(), "/prefix/metrics/job/batch/instance/worker-1");
  ASSERT_TRUE((*p)->Push().ok());
  ASSERT_TRUE((*p)->Add().ok());
  ASSERT_TRUE((*p)->Delete().ok());
  const auto reqs = gw.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[1].method, "POST");
  EXPECT_EQ(reqs[2].method, "DELETE");
  for (const auto& r : reqs) EXPECT_EQ(r.path, "/prefix/metrics/job/batch/instance/worker-1");
  EXPECT_NE(reqs[0].body.find("# TYPE rows_total counter\nrows_total 7\n"), std::string::npos)
      << reqs[0].body;
  EXPECT_EQ(reqs[0].content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(reqs[2].body, "");
}

TEST(PushgatewayTest, RetriesServerErrorsThenSucceeds) {
  FakeGateway gw;
  metrics::Registry registry;
  gw.QueueStatuses({503, 500});
  auto p = Pushgateway::Create(Options(gw.url(), &registry));
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE((*p)->Push().ok());
  EXPECT_EQ(gw.requests().size(), 3u);
}

TEST(PushgatewayTest, GivesUpAfterMaxAttempts) {
  FakeGateway gw;
  metrics::Registry registry;
  gw.QueueStatuses({503, 503, 503, 503});
  auto p = Pushgateway::Create(Options(gw.url(), &registry));
  ASSERT_TRUE(p.ok());
  Status s = (*p)->Push();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("attempt 3 of 3"), std::string_view::npos) << s.ToString();
  EXPECT_NE(s.message().find("HTTP 503: overloaded"), std::string_view::npos) << s.ToString();
  EXPECT_EQ(gw.requests().size(), 3u);
}

TEST(PushgatewayTest, ClientErrorIsNotRetried) {
  FakeGateway gw;
  metrics::Registry registry;
  gw.QueueStatuses({400});
  auto p = Pushgateway::Create(Options(gw.url(), &registry));
  ASSERT_TRUE(p.ok());
  Status s = (*p)->Push();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("HTTP 400: pushed metrics are invalid"), std::string_view::npos)
      << s.ToString();
  EXPECT_EQ(gw.requests().size(), 1u);
}

TEST(PushgatewayTest, UnreachableGatewayFailsAfterRetries) {
  // Bind a port and close it again, so nothing listens there.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  close(fd);
  metrics::Registry registry;
  auto p = Pushgateway::Create(Options("http://127.0.0.1:" + std::to_string(port), &registry));
  ASSERT_TRUE(p.ok());
  Status s = (*p)->Push();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("attempt 3 of 3"), std::string_view::npos) << s.ToString();
}

}  // namespace
}  // namespace vigil::exporter
