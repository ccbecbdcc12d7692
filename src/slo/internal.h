// Helpers shared by the SLO parser (slo.cc) and the rule generator
// (generate.cc). Not part of the module's API.
//
// Thread safety: pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "slo/slo.h"
#include "vigil/result.h"

namespace vigil::slo::internal {

// The window placeholder of error-ratio queries, as Sloth spells it;
// `{{ .window }}` (spaces inside the braces) is accepted too.
inline constexpr std::string_view kWindowPlaceholder = "{{.window}}";

// Replaces every window placeholder in `query` by `window`. kInvalidArgument
// for any other `{{...}}` (the message says which) and when there is no
// placeholder at all.
Result<std::string> SubstituteWindow(std::string_view query, std::string_view window);

// The shortest text that reads back as `v` ("0.5", "1800", "1e-06").
std::string FormatNumber(double v);

// Objectives as exact decimals: 99.9 -> "0.999" and "0.001" (not 0.9990000000000001).
// kInvalidArgument when the shortest decimal text of `percent` has more
// than 15 digits after the point. REQUIRES: 0 < percent < 100.
struct ObjectiveText {
  std::string objective_ratio;  // percent / 100
  std::string budget_ratio;     // 1 - percent / 100
};
Result<ObjectiveText> FormatObjective(double percent);

// The `le` matcher for a latency threshold: le="0.5"; for whole numbers
// both spellings clients write, le=~"1|1\\.0" (text format "1", OpenMetrics
// and Python "1.0").
std::string LeMatcher(double threshold_seconds);

// The rule group of one SLO or SLA. REQUIRES: validated input (the parser
// calls these to check that every generated expression parses).
GeneratedGroup GenerateSloGroup(const std::string& service, const Slo& slo);
GeneratedGroup GenerateSlaGroup(const std::string& service, const Sla& sla);

// Recording-rule name of the error ratio over `window`:
// slo:sli_error:ratio_rate5m.
std::string SliRecordName(std::chrono::milliseconds window);

}  // namespace vigil::slo::internal
