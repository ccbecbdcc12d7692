// `vigil promqltest FILE...`: runs PromQL test scripts (Prometheus 2.42's
// promql/testdata format; see promql/promqltest.h) against vigil's engine
// over a fresh tsdb::Head (no WAL) per file and per `clear`, with the
// engine settings Prometheus' runner uses.
//
//   auto run = cli::RunPromqlTests({"functions.test"});
//   std::fputs(run.Report().c_str(), stdout);
//   return run.ok() ? 0 : 1;
//
// Thread safety: thread-compatible; each call builds its own engine and
// storages.
#pragma once

#include <string>
#include <vector>

#include "promql/promqltest.h"

namespace vigil::cli {

// A StorageFactory handing out empty tsdb::Heads.
promql::promqltest::StorageFactory HeadStorageFactory();

// Reads, parses and runs every file; unreadable or malformed files are
// errors in the result, not a failure of the call.
promql::promqltest::RunResult RunPromqlTests(
    const std::vector<std::string>& files);

}  // namespace vigil::cli
