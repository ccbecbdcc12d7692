// The web UI that `vigil run` serves (docs/ui.md): plain HTML, ES modules and
// CSS from web/src plus uPlot for the charts, embedded into the binary at
// build time (daemon/ui.cmake). The pages read only the APIs vigil already
// serves (/api/v1, the embedded alert manager's /api/v2, /health, /ready).
//
//   auto server = http::Server::Create({.listen_address = "127.0.0.1:9090"});
//   RegisterUi(server->get());   // before Start(), next to Api::Register
//
// Routes (GET; HEAD too, as the server answers HEAD with GET's headers):
//   /  /query  /alerts  /silences  /rules  /anomalies  /logs  /slos
//       the same index.html; web/src/app.js picks the page by path
//   /static/<file>   web/src/<file> (app.js, pages/*.js, style.css, ...)
//   /static/vendor/uPlot.iife.min.js, uPlot.min.css, uPlot.LICENSE.txt
// Every answer carries an ETag (a hash of the file, fixed at build time),
// Cache-Control: no-cache (browsers revalidate and get 304 Not Modified
// while the binary is the same) and X-Content-Type-Options: nosniff; pages
// carry a Content-Security-Policy that allows this origin only. Unknown
// files under /static/ answer 404.
//
// Built without web/node_modules/uplot (scripts/setup not run), the page
// routes answer 503 with a page that says so, and no asset is served.
//
// Thread safety: RegisterUi must be called before the server starts; the
// handlers read only immutable data and run concurrently.
#pragma once

#include <span>
#include <string_view>

#include "http/server.h"

namespace vigil::daemon {

// Adds the UI's routes to `server`. Call before server->Start().
void RegisterUi(http::Server* server);

// Whether this binary embeds the UI's assets (false: pages answer 503).
bool UiAvailable();

// The page paths RegisterUi serves index.html at.
std::span<const std::string_view> UiPagePaths();

namespace internal {

// One embedded file: its URL path ("/static/app.js"), bytes and ETag
// (quoted, as the header carries it).
struct UiAsset {
  std::string_view path;
  std::string_view body;
  std::string_view etag;
};

// Defined in the generated ui_assets.cc (daemon/ui.cmake).
bool EmbeddedUiAvailable();
std::span<const UiAsset> EmbeddedUiAssets();

// The Content-Type for a path, by its extension.
std::string_view UiContentType(std::string_view path);

}  // namespace internal
}  // namespace vigil::daemon
