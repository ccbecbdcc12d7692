#include "http/server.h"

#include <httplib.h>

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

}  // namespace
}  // namespace vigil::http
