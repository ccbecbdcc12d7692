#include "http/client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace vigil::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A loopback server that records the last request to /echo and answers it
// with the request body; /status/500 answers 500; /hang waits until
// Release() (or destruction).
class EchoServer {
 public:
  EchoServer() {
    auto record = [this](const httplib::Request& req) {
      std::lock_guard<std::mutex> lock(mu_);
      method_ = req.method;
      body_ = req.body;
      headers_ = req.headers;
    };
    server_.Post("/echo",
                 [record](const httplib::Request& req, httplib::Response& res) {
                   record(req);
                   res.set_content(req.body, "text/echo");
                 });
    server_.Get("/echo",
                [record](const httplib::Request& req, httplib::Response& res) {
                  record(req);
                  res.set_content("got it", "text/plain");
                });
    server_.Put("/echo",
                [record](const httplib::Request& req, httplib::Response& res) {
                  record(req);
                  res.set_content(req.body, "text/echo");
                });
    server_.Delete("/echo",
                   [record](const httplib::Request& req, httplib::Response& res) {
                     record(req);
                     res.status = 202;
                   });
    server_.Post("/status/500",
                 [](const httplib::Request&, httplib::Response& res) {
                   res.status = 500;
                   res.set_content("boom", "text/plain");
                 });
    server_.Post("/status/204", [](const httplib::Request&, httplib::Response& res) {
      res.status = 204;
      res.set_header("X-Done", "yes");
    });
    server_.Post("/hang", [this](const httplib::Request&, httplib::Response&) {
      std::unique_lock<std::mutex> lock(mu_);
      ++hanging_;
      cv_.wait(lock, [this] { return released_; });
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~EchoServer() {
    Release();
    server_.stop();
    thread_.join();
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }
  std::string origin() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }
  std::string method() const {
    std::lock_guard<std::mutex> lock(mu_);
    return method_;
  }
  std::string body() const {
    std::lock_guard<std::mutex> lock(mu_);
    return body_;
  }
  std::string header(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = headers_.find(name);
    return it == headers_.end() ? "" : it->second;
  }
  int hanging() const {
    std::lock_guard<std::mutex> lock(mu_);
    return hanging_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  int hanging_ = 0;
  std::string method_;
  std::string body_;
  httplib::Headers headers_;
};

TEST(ClientTest, Base64Encode) {
  // RFC 4648 section 10 test vectors.
  EXPECT_EQ(Base64Encode("", false), "");
  EXPECT_EQ(Base64Encode("f", false), "Zg==");
  EXPECT_EQ(Base64Encode("fo", false), "Zm8=");
  EXPECT_EQ(Base64Encode("foo", false), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar", false), "Zm9vYmFy");
  // 0xfb 0xff: "+/8=" in the standard alphabet, "-_8=" URL-safe.
  EXPECT_EQ(Base64Encode("\xfb\xff", false), "+/8=");
  EXPECT_EQ(Base64Encode("\xfb\xff", true), "-_8=");
}

TEST(ClientTest, BasicAuthHeaderValue) {
  EXPECT_EQ(BasicAuthHeaderValue("user", "pass"), "Basic dXNlcjpwYXNz");
  EXPECT_EQ(BasicAuthHeaderValue("u", "secret"), "Basic dTpzZWNyZXQ=");
  EXPECT_EQ(BasicAuthHeaderValue("", ""), "Basic Og==");
  EXPECT_EQ(BasicAuthHeaderValue("ab", "c"), "Basic YWI6Yw==");
  EXPECT_EQ(BasicAuthHeaderValue("ab", "cd"), "Basic YWI6Y2Q=");
}

TEST(ClientTest, QueryEscape) {
  EXPECT_EQ(QueryEscape("abc-_.~XYZ019"), "abc-_.~XYZ019");
  EXPECT_EQ(QueryEscape("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(QueryEscape(""), "");
}

TEST(ClientTest, CreateRefusesBadOrigins) {
  const struct {
    const char* origin;
    StatusCode code;
  } cases[] = {
      {"127.0.0.1:80", StatusCode::kInvalidArgument},
      {"ftp://127.0.0.1:21", StatusCode::kInvalidArgument},
      {"http://127.0.0.1:80/metrics", StatusCode::kInvalidArgument},
      {"http://:80", StatusCode::kInvalidArgument},
      {"http://127.0.0.1:0", StatusCode::kInvalidArgument},
      {"http://127.0.0.1:99999", StatusCode::kInvalidArgument},
      {"http://[::1", StatusCode::kInvalidArgument},
  };
  for (const auto& c : cases) {
    auto r = Client::Create(c.origin, {});
    EXPECT_FALSE(r.ok()) << c.origin;
    EXPECT_EQ(r.status().code(), c.code) << c.origin;
  }
  EXPECT_TRUE(Client::Create("http://127.0.0.1:9100", {}).ok());
  EXPECT_TRUE(Client::Create("http://[::1]:9100", {}).ok());
  EXPECT_TRUE(Client::Create("http://localhost", {}).ok());
  EXPECT_TRUE(Client::Create("https://127.0.0.1", {}).ok());
  EXPECT_FALSE(Client::Create("http://127.0.0.1:1",
                              {.timeout = std::chrono::milliseconds(0)})
                   .ok());
}

TEST(ClientTest, StoppedClientRefusesRequests) {
  auto c = Client::Create("http://127.0.0.1:9", {});
  ASSERT_TRUE(c.ok());
  (*c)->Stop();
  (*c)->Stop();
  auto r = (*c)->Get("/metrics");
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(r.status().message(), "GET http://127.0.0.1:9/metrics: stopped");
}

TEST(ClientTest, PostSendsBodyAndContentType) {
  EchoServer server;
  auto c =
      Client::Create(server.origin(), {.authorization_credentials = "tok"});
  ASSERT_TRUE(c.ok());
  const std::string body = R"([{"labels":{"alertname":"A"}}])";
  Result<ClientResponse> r =
      (*c)->Post("/echo", body, "application/json", {{"X-Extra", "1"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, body);
  EXPECT_EQ(r->content_type, "text/echo");
  EXPECT_EQ(server.method(), "POST");
  EXPECT_EQ(server.body(), body);
  EXPECT_EQ(server.header("Content-Type"), "application/json");
  EXPECT_EQ(server.header("Content-Length"), std::to_string(body.size()));
  EXPECT_EQ(server.header("Authorization"), "Bearer tok");
  EXPECT_EQ(server.header("X-Extra"), "1");
  EXPECT_EQ(server.header("User-Agent"), DefaultUserAgent());

  // The same client still GETs (one keep-alive connection for both).
  Result<ClientResponse> g = (*c)->Get("/echo");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->body, "got it");
  EXPECT_EQ(server.method(), "GET");
}

TEST(ClientTest, PutAndDelete) {
  EchoServer server;
  auto c = Client::Create(server.origin(), {});
  ASSERT_TRUE(c.ok());
  Result<ClientResponse> r = (*c)->Put("/echo", "a 1\n", "text/plain; version=0.0.4");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(server.method(), "PUT");
  EXPECT_EQ(server.body(), "a 1\n");
  EXPECT_EQ(server.header("Content-Type"), "text/plain; version=0.0.4");

  Result<ClientResponse> d = (*c)->Delete("/echo");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->status, 202);
  EXPECT_EQ(server.method(), "DELETE");
  EXPECT_EQ(server.body(), "");
}

TEST(ClientTest, PostOwnContentTypeAndEmptyBody) {
  EchoServer server;
  auto c = Client::Create(server.origin(), {});
  ASSERT_TRUE(c.ok());
  Result<ClientResponse> r =
      (*c)->Post("/echo", "", "application/json",
                 {{"content-type", "text/plain; charset=utf-8"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(server.body(), "");
  EXPECT_EQ(server.header("Content-Type"), "text/plain; charset=utf-8");
}

TEST(ClientTest, PostNon2xxIsAResponse) {
  EchoServer server;
  auto c = Client::Create(server.origin(), {});
  ASSERT_TRUE(c.ok());
  Result<ClientResponse> r = (*c)->Post("/status/500", "x", "text/plain");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, "boom");
}

TEST(ClientTest, NoContentAnswersCarryTheirStatus) {
  EchoServer server;
  auto c = Client::Create(server.origin(), {});
  ASSERT_TRUE(c.ok());
  Result<ClientResponse> r = (*c)->Post("/status/204", "{}", "application/json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 204);
  EXPECT_TRUE(r->body.empty());
  bool header = false;
  for (const auto& [k, v] : r->headers) header = header || (k == "X-Done" && v == "yes");
  EXPECT_TRUE(header);
}

TEST(ClientTest, PostBodySizeLimit) {
  EchoServer server;
  auto c = Client::Create(server.origin(), {.body_size_limit_bytes = 4});
  ASSERT_TRUE(c.ok());
  Result<ClientResponse> r = (*c)->Post("/echo", "0123456789", "text/plain");
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted)
      << r.status().ToString();
}

TEST(ClientTest, PostConnectionRefused) {
  std::string origin;
  {
    EchoServer gone;
    origin = gone.origin();
  }
  auto c = Client::Create(origin, {.timeout = seconds(5)});
  ASSERT_TRUE(c.ok());
  Result<ClientResponse> r = (*c)->Post("/echo", "x", "text/plain");
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable)
      << r.status().ToString();
  EXPECT_EQ(r.status().message().rfind("POST " + origin + "/echo: ", 0), 0u)
      << r.status().ToString();
}

TEST(ClientTest, PostTimeout) {
  EchoServer server;
  auto c = Client::Create(server.origin(), {.timeout = milliseconds(200)});
  ASSERT_TRUE(c.ok());
  const auto start = std::chrono::steady_clock::now();
  Result<ClientResponse> r = (*c)->Post("/hang", "x", "text/plain");
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded)
      << r.status().ToString();
  EXPECT_EQ(r.status().message().rfind("POST ", 0), 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
}

TEST(ClientTest, StopAbortsAPostInFlight) {
  EchoServer server;
  auto c = Client::Create(server.origin(), {.timeout = seconds(60)});
  ASSERT_TRUE(c.ok());
  Client* client = c->get();
  std::thread stopper([&] {
    while (server.hanging() == 0) std::this_thread::sleep_for(milliseconds(1));
    client->Stop();
  });
  const auto start = std::chrono::steady_clock::now();
  Result<ClientResponse> r = client->Post("/hang", "x", "text/plain");
  stopper.join();
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
  r = client->Post("/echo", "x", "text/plain");
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(r.status().message(), "POST " + server.origin() + "/echo: stopped");
}

TEST(ClientTest, DefaultUserAgentNamesVigil) {
  EXPECT_EQ(DefaultUserAgent().rfind("vigil/", 0), 0u);
  EXPECT_GT(DefaultUserAgent().size(), 6u);
}

}  // namespace
}  // namespace vigil::http
