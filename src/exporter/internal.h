// Access to an Exporter's HTTP server for vigil's own daemon, which serves
// its query API and UI from the same listener. Not part of the installed
// API: the public header exposes no HTTP types.
//
// Thread safety: add routes before Exporter::Start().
#pragma once

#include "http/server.h"
#include "vigil/exporter/exporter.h"

namespace vigil::exporter::internal {

struct ExporterAccess {
  static http::Server& server(Exporter& exporter);
  // Create() with the HTTP server's options given whole (TLS, auth, rate
  // limits); listen_address, max_body_bytes and worker_threads come from
  // `options` as in Create().
  static Result<std::unique_ptr<Exporter>> Create(ExporterOptions options,
                                                  http::ServerOptions server_options);
};

}  // namespace vigil::exporter::internal
