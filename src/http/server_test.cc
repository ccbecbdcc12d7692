#include "http/server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace vigil::http {
namespace {

std::unique_ptr<Server> StartServer() {
  auto server = Server::Create({.listen_address = "127.0.0.1:0"});
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return std::move(server).value();
}

TEST(ServerTest, PathParametersAreCapturedByName) {
  auto server = StartServer();
  server->Handle("GET", "/api/v1/label/{name}/values", [](const Request& q, Response* r) {
    auto it = q.path_params.find("name");
    r->body = it == q.path_params.end() ? "missing" : "name=" + it->second;
  });
  ASSERT_TRUE(server->Start().ok());
  httplib::Client c("127.0.0.1", server->port());
  auto res = c.Get("/api/v1/label/job/values");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "name=job");
  // A parameter matches exactly one non-empty segment.
  res = c.Get("/api/v1/label//values");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  res = c.Get("/api/v1/label/a/b/values");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  // Escaped characters arrive decoded.
  res = c.Get("/api/v1/label/__name__/values");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "name=__name__");
}

TEST(ServerTest, LiteralPathsAreNotRegularExpressions) {
  auto server = StartServer();
  server->Handle("GET", "/a.b", [](const Request&, Response* r) { r->body = "dot"; });
  ASSERT_TRUE(server->Start().ok());
  httplib::Client c("127.0.0.1", server->port());
  auto res = c.Get("/a.b");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "dot");
  res = c.Get("/aXb");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST(ServerTest, FormBodiesAndQueryStringsBothBecomeParams) {
  auto server = StartServer();
  server->Handle("POST", "/q", [](const Request& q, Response* r) {
    for (const auto& [k, v] : q.params) r->body += k + "=" + v + ";";
  });
  ASSERT_TRUE(server->Start().ok());
  httplib::Client c("127.0.0.1", server->port());
  auto res = c.Post("/q?a=1", "match%5B%5D=up&match%5B%5D=x%7Bjob%3D%22a%22%7D",
                    "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "a=1;match[]=up;match[]=x{job=\"a\"};");
}

TEST(ServerTest, WrongMethodOnKnownPathIs405) {
  auto server = StartServer();
  server->Handle("GET", "/only-get", [](const Request&, Response* r) { r->body = "ok"; });
  ASSERT_TRUE(server->Start().ok());
  httplib::Client c("127.0.0.1", server->port());
  auto res = c.Post("/only-get", "", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "GET");
}

// A POST with neither Content-Length nor chunked encoding has an empty body
// (RFC 9112, 6.3), as `curl -X POST .../-/reload` sends it: answered at
// once on a connection the client keeps open, not after a read timeout.
TEST(ServerTest, PostWithoutContentLengthHasAnEmptyBody) {
  auto server = Server::Create({.listen_address = "127.0.0.1:0", .read_timeout_s = 30});
  ASSERT_TRUE(server.ok());
  (*server)->Handle("POST", "/-/reload", [](const Request& q, Response* r) {
    r->body = "body=[" + q.body + "]";
  });
  ASSERT_TRUE((*server)->Start().ok());
  // A raw request (httplib's client would add "Content-Length: 0"); the
  // answer must come while the connection stays open, well before the
  // server's 30 s read timeout.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>((*server)->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string raw = "POST /-/reload HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  ASSERT_EQ(::send(fd, raw.data(), raw.size(), 0), static_cast<ssize_t>(raw.size()));
  std::string answer;
  pollfd p{fd, POLLIN, 0};
  while (answer.find("body=[") == std::string::npos && ::poll(&p, 1, 5000) == 1) {
    char buf[512];
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_NE(answer.find("body=[]"), std::string::npos) << answer;
  // A body with a length, and a chunked one, still arrive whole.
  httplib::Client c("127.0.0.1", (*server)->port());
  auto res = c.Post("/-/reload", "abc", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "body=[abc]");
  res = c.Post(
      "/-/reload",
      [](size_t offset, httplib::DataSink& sink) {
        if (offset == 0) sink.write("chunk", 5);
        sink.done();
        return true;
      },
      "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "body=[chunk]");
}

}  // namespace
}  // namespace vigil::http
