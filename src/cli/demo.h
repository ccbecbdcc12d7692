// `vigil demo`: the README's main job. A simulated multi-stage inference
// service (a detector with a dual-encoder pipeline and a feature extractor),
// instrumented with vigil's ML metric sets, monitored by a vigil::Agent in
// the same process: its metrics are scraped without HTTP into the embedded
// storage, the seeds' alert rules, anomaly rules, an SLO and a log-pattern
// rule are evaluated, alerts go through the embedded alert manager to its
// log receiver, and the UI and APIs are served on the listen address.
//
// Incidents repeat every `cycle_s` seconds (timeline in docs/demo.md):
// a latency spike, an error burst with ERROR lines in the service log,
// anomalous feature values and slow extraction, so that alerts fire and
// anomalies show within the first two minutes.
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
  // Where the configuration, storage and logs go; empty: a new directory
  // under $TMPDIR (or /tmp), kept after the demo ends.
  std::string dir;
  double cycle_s = 240;  // the incident timeline's period
};

// Runs the demo; returns when the duration passes or a signal arrives.
Status RunDemo(const DemoOptions& options);

}  // namespace vigil::cli
