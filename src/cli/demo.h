// `vigil demo`: a simulated multi-stage inference service, instrumented with
// vigil's metrics library, serving its metrics on an embedded exporter.
//
// Thread safety: RunDemo is called once, from main.
#pragma once

#include <string>

#include "vigil/status.h"

namespace vigil::cli {

struct DemoOptions {
  std::string listen_address = "127.0.0.1:9464";
  double duration_s = 0;  // 0: until SIGINT/SIGTERM
  int workers = 2;
};

// Runs the demo; returns when the duration passes or a signal arrives.
Status RunDemo(const DemoOptions& options);

}  // namespace vigil::cli
