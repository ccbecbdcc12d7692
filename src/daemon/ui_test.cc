#include "daemon/ui.h"

#include <httplib.h>

#include <memory>
#include <regex>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "http/server.h"

namespace vigil::daemon {
namespace {

class UiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = http::Server::Create({.listen_address = "127.0.0.1:0"});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    RegisterUi(server_.get());
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  void TearDown() override { server_->Stop(); }

  httplib::Result Get(const std::string& path, const httplib::Headers& headers = {}) {
    return client_->Get(path, headers);
  }

  static std::set<std::string> AssetPaths() {
    std::set<std::string> out;
    for (const auto& a : internal::EmbeddedUiAssets()) out.emplace(a.path);
    return out;
  }

  std::unique_ptr<http::Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST(UiContentTypeTest, ByExtension) {
  struct Case {
    const char* path;
    const char* type;
  };
  const Case cases[] = {
      {"/static/index.html", "text/html; charset=utf-8"},
      {"/static/app.js", "text/javascript; charset=utf-8"},
      {"/static/pages/query.js", "text/javascript; charset=utf-8"},
      {"/static/style.css", "text/css; charset=utf-8"},
      {"/static/vendor/uPlot.min.css", "text/css; charset=utf-8"},
      {"/static/favicon.svg", "image/svg+xml"},
      {"/static/vendor/uPlot.LICENSE.txt", "text/plain; charset=utf-8"},
      {"/static/blob", "application/octet-stream"},
  };
  for (const Case& c : cases) EXPECT_EQ(internal::UiContentType(c.path), c.type) << c.path;
}

TEST_F(UiTest, EveryPageServesTheAppShell) {
  if (!UiAvailable()) GTEST_SKIP() << "built without web/node_modules/uplot";
  ASSERT_EQ(UiPagePaths().size(), 8u);
  for (std::string_view page : UiPagePaths()) {
    auto r = Get(std::string(page));
    ASSERT_TRUE(r) << page;
    EXPECT_EQ(r->status, 200) << page;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8") << page;
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache") << page;
    EXPECT_FALSE(r->get_header_value("ETag").empty()) << page;
    EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'self'"),
              std::string::npos)
        << page;
    EXPECT_NE(r->body.find(R"(<script type="module" src="/static/app.js">)"), std::string::npos)
        << page;
  }
}

TEST_F(UiTest, EveryAssetAnswersWithItsType) {
  if (!UiAvailable()) GTEST_SKIP() << "built without web/node_modules/uplot";
  const std::set<std::string> paths = AssetPaths();
  for (const char* want :
       {"/static/index.html", "/static/app.js", "/static/api.js", "/static/chart.js",
        "/static/util.js", "/static/style.css", "/static/favicon.svg", "/static/pages/overview.js",
        "/static/pages/query.js", "/static/pages/alerts.js", "/static/pages/silences.js",
        "/static/pages/rules.js", "/static/pages/anomalies.js", "/static/pages/logs.js",
        "/static/pages/slos.js", "/static/vendor/uPlot.iife.min.js", "/static/vendor/uPlot.min.css",
        "/static/vendor/uPlot.LICENSE.txt"}) {
    EXPECT_EQ(paths.count(want), 1u) << want << " is not embedded";
  }
  for (const auto& a : internal::EmbeddedUiAssets()) {
    auto r = Get(std::string(a.path));
    ASSERT_TRUE(r) << a.path;
    EXPECT_EQ(r->status, 200) << a.path;
    EXPECT_EQ(r->get_header_value("Content-Type"), internal::UiContentType(a.path)) << a.path;
    EXPECT_EQ(r->get_header_value("ETag"), a.etag) << a.path;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff") << a.path;
    EXPECT_EQ(r->body.size(), a.body.size()) << a.path;
    EXPECT_TRUE(r->body == a.body) << a.path;
  }
  auto js = Get("/static/vendor/uPlot.iife.min.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_GT(js->body.size(), 10000u);
}

TEST_F(UiTest, UnknownAssetIsNotFound) {
  for (const char* path : {"/static/nope.js", "/static/pages/nope.js", "/static/vendor/uPlot.js",
                           "/static/", "/query/extra", "/nope"}) {
    auto r = Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
  }
}

TEST_F(UiTest, MatchingETagAnswersNotModified) {
  if (!UiAvailable()) GTEST_SKIP() << "built without web/node_modules/uplot";
  auto first = Get("/static/app.js");
  ASSERT_TRUE(first);
  const std::string etag = first->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  for (const std::string& inm : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    auto r = Get("/static/app.js", {{"If-None-Match", inm}});
    ASSERT_TRUE(r) << inm;
    EXPECT_EQ(r->status, 304) << inm;
    EXPECT_TRUE(r->body.empty()) << inm;
  }
  auto changed = Get("/static/app.js", {{"If-None-Match", "\"other\""}});
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->status, 200);
  auto page = Get("/alerts", {{"If-None-Match", Get("/")->get_header_value("ETag")}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 304);
}

// Everything index.html and the modules refer to is embedded: a file added
// to web/src but missing from the build would show up here, not in a
// browser.
TEST_F(UiTest, ReferencedFilesAreEmbedded) {
  if (!UiAvailable()) GTEST_SKIP() << "built without web/node_modules/uplot";
  const std::set<std::string> paths = AssetPaths();
  const std::regex html_ref(R"re((?:src|href)="(/static/[^"]+)")re");
  const std::regex import_ref(R"re(from '(\.{1,2}/[^']+)')re");
  int refs = 0;
  for (const auto& a : internal::EmbeddedUiAssets()) {
    const std::string body(a.body);
    const std::string path(a.path);
    if (path.ends_with(".html")) {
      for (std::sregex_iterator it(body.begin(), body.end(), html_ref), end; it != end; ++it) {
        EXPECT_EQ(paths.count((*it)[1].str()), 1u) << path << " refers to " << (*it)[1];
        ++refs;
      }
    } else if (path.ends_with(".js") && path.find("/vendor/") == std::string::npos) {
      const std::string dir = path.substr(0, path.rfind('/'));
      for (std::sregex_iterator it(body.begin(), body.end(), import_ref), end; it != end; ++it) {
        std::string rel = (*it)[1].str();
        std::string base = dir;
        while (rel.starts_with("../")) {
          base = base.substr(0, base.rfind('/'));
          rel = rel.substr(3);
        }
        if (rel.starts_with("./")) rel = rel.substr(2);
        EXPECT_EQ(paths.count(base + "/" + rel), 1u) << path << " imports " << (*it)[1];
        ++refs;
      }
    }
  }
  EXPECT_GT(refs, 15);
}

TEST_F(UiTest, WithoutAssetsPagesSaySetupIsNeeded) {
  if (UiAvailable()) GTEST_SKIP() << "this build embeds the UI";
  for (std::string_view page : UiPagePaths()) {
    auto r = Get(std::string(page));
    ASSERT_TRUE(r) << page;
    EXPECT_EQ(r->status, 503) << page;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(r->body.find("scripts/setup"), std::string::npos);
  }
}

}  // namespace
}  // namespace vigil::daemon
