// `vigil slo generate FILE [-o OUT]`: compiles an SLO file
// (docs/formats/slo.md) to a Prometheus rule file, written to OUT or to
// standard output.
//
//   vigil slo generate api.slo.yml -o api.rules.yml
//
// The SLO file is checked as slo::ParseSloFile checks it, alert templates
// included; every error names FILE:LINE:COLUMN. The generated text is
// loaded back with rules::ParseRuleFile before it is written, so a file
// that is written always loads. OUT is replaced atomically.
//
// Thread safety: thread-compatible (writes to the given streams).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace vigil::cli {

// `args` are the arguments after "slo" ("generate", FILE, ...). Returns
// the exit status: 0 written, 1 the file is invalid or cannot be read or
// written (the error on `err`), 2 a usage error.
int RunSloCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

}  // namespace vigil::cli
