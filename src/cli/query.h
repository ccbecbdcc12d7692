// `vigil query`: PromQL against a running vigil or any Prometheus-compatible
// server (Prometheus, VictoriaMetrics, Mimir) over its HTTP API, as
// `promtool query instant|range` does.
//
//   vigil query [--url URL] [--time T] EXPR
//   vigil query [--url URL] --start T --end T [--step DUR] EXPR
//   flags: --format text|json, --user USER:PASSWORD, --bearer-token-file F,
//          --ca-file F, --insecure-skip-verify, --timeout DUR
//
// Text output: one line per instant sample `{labels} value @time`, or per
// range series its labels followed by `  value @time` lines. The API's
// errors (with the query position the server reports) go to stderr, exit 1.
//
// Thread safety: RunQueryCommand is for main.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace vigil::cli {

// Runs the command with its arguments (after "query"); returns the exit code.
int RunQueryCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

// Formats a successful API answer (the JSON body) as the text output.
// Returns false with `error` set when the body is not a success answer.
bool FormatQueryResult(const std::string& body, std::string* text, std::string* error);

}  // namespace vigil::cli
