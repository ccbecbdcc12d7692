#include "daemon/ui.h"

#include <array>
#include <string>

namespace vigil::daemon {
namespace {

// Keep in step with PAGES in web/src/app.js.
constexpr std::array<std::string_view, 8> kPages = {"/",      "/query",     "/alerts", "/silences",
                                                    "/rules", "/anomalies", "/logs",   "/slos"};

constexpr std::string_view kIndexAsset = "/static/index.html";

// Pages load scripts, styles, images and data from this origin only (no
// CDN, nothing inline); uPlot styles its elements through the CSSOM, which
// style-src does not restrict.
constexpr std::string_view kPageCsp =
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

constexpr std::string_view kUnavailablePage = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vigil: web UI not built</title></head>
<body>
<h1>The web UI is not built into this vigil binary</h1>
<p>Its assets (uPlot from the npm registry) were missing when vigil was
configured. Run <code>scripts/setup</code> (or <code>npm ci --prefix web</code>)
and build vigil again.</p>
<p>The APIs work without the UI: <a href="/api/v1/status/buildinfo">/api/v1</a>,
<a href="/metrics">/metrics</a>, <a href="/health">/health</a>.</p>
</body></html>
)";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// If-None-Match holds `etag` (RFC 9110 13.1.2: a list, weak comparison, or *).
bool NotModified(const http::Request& req, std::string_view etag) {
  if (!req.header) return false;
  const std::string header = req.header("If-None-Match");
  std::string_view rest = header;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view tag = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (tag == "*") return true;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

void Serve(const internal::UiAsset& asset, std::string_view content_type, bool page,
           const http::Request& req, http::Response* res) {
  res->headers.emplace_back("ETag", std::string(asset.etag));
  res->headers.emplace_back("Cache-Control", "no-cache");
  res->headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (page) {
    res->headers.emplace_back("Content-Security-Policy", std::string(kPageCsp));
    res->headers.emplace_back("Referrer-Policy", "same-origin");
  }
  res->content_type = std::string(content_type);
  if (NotModified(req, asset.etag)) {
    res->status = 304;
    res->body.clear();
    return;
  }
  res->status = 200;
  res->body = std::string(asset.body);
}

void ServeUnavailable(const http::Request&, http::Response* res) {
  res->status = 503;
  res->content_type = "text/html; charset=utf-8";
  res->headers.emplace_back("Cache-Control", "no-store");
  res->body = std::string(kUnavailablePage);
}

}  // namespace

namespace internal {

std::string_view UiContentType(std::string_view path) {
  struct Type {
    std::string_view ext;
    std::string_view type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const Type& t : kTypes) {
    if (EndsWith(path, t.ext)) return t.type;
  }
  return "application/octet-stream";
}

}  // namespace internal

bool UiAvailable() { return internal::EmbeddedUiAvailable(); }

std::span<const std::string_view> UiPagePaths() { return kPages; }

void RegisterUi(http::Server* server) {
  const std::span<const internal::UiAsset> assets = internal::EmbeddedUiAssets();
  const internal::UiAsset* index = nullptr;
  for (const internal::UiAsset& a : assets) {
    if (a.path == kIndexAsset) index = &a;
  }
  if (!internal::EmbeddedUiAvailable() || index == nullptr) {
    for (std::string_view p : kPages) server->Handle("GET", std::string(p), ServeUnavailable);
    return;
  }
  for (std::string_view p : kPages) {
    server->Handle("GET", std::string(p), [index](const http::Request& q, http::Response* r) {
      Serve(*index, "text/html; charset=utf-8", /*page=*/true, q, r);
    });
  }
  // The assets are static data of the binary: the handlers keep pointers.
  for (const internal::UiAsset& a : assets) {
    const internal::UiAsset* asset = &a;
    const std::string_view type = internal::UiContentType(a.path);
    const bool page = EndsWith(a.path, ".html");
    server->Handle("GET", std::string(a.path),
                   [asset, type, page](const http::Request& q, http::Response* r) {
                     Serve(*asset, type, page, q, r);
                   });
  }
}

}  // namespace vigil::daemon
