// slo: service level objectives compiled to a Prometheus rule file.
//
// An SLO file (YAML; docs/formats/slo.md) names a service and lists its
// SLOs and, in the seed's simpler form, SLAs:
//
//   service: inference-api
//   slos:
//     - name: availability
//       objective: 99.9                  # percent, in (0, 100)
//       window: 30d                      # default 30d, at least 1d
//       sli:
//         error_ratio:
//           errors: sum(rate(requests_total{code=~"5.."}[{{.window}}]))
//           total: sum(rate(requests_total[{{.window}}]))
//     - name: latency
//       objective: 99
//       sli:
//         latency:
//           metric: request_duration_seconds   # a histogram's base name
//           selector: '{route="/predict"}'
//           threshold: 0.5                     # seconds; a bucket's `le`
//   slas:
//     - {name: batch_processing_sla, metric: avg_job_duration,
//        threshold: 1800, duration: 5m}
//
//   VIGIL_ASSIGN_OR_RETURN(slo::SloFile f, slo::LoadSloFile("api.slo.yml"));
//   std::string rules = slo::GenerateRuleFile(f);  // Prometheus rule file
//
// Every SLO becomes one rule group: recording rules of its error ratio over
// each window the alerts need (slo:sli_error:ratio_rate5m, ...), the error
// ratio over the whole SLO window, metadata and error-budget series, and
// the multi-window, multi-burn-rate page and ticket alerts of the Google
// SRE workbook. Every generated series carries slo_service and slo labels.
// Windows are those of a 30d SLO scaled to the SLO's window (AlertWindows).
// Every SLA becomes a group with an alerting rule and a recording rule of
// whether it is violated.
//
// Parsing validates everything the generator relies on, including that
// each generated PromQL expression parses; errors are kInvalidArgument
// "FILE:LINE:COLUMN: message" (1-based), positioned at the offending field
// or, for generated expressions, at the SLO. A successfully parsed file
// always generates a rule file that Prometheus (promtool check rules) and
// rules::ParseRuleFile load; alert label and annotation templates are
// checked only when ParseOptions::check_template is set (this module may
// not depend on the template engine).
//
// Thread safety: pure functions; the results are plain values.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::slo {

// The options of one alert (page or ticket of an SLO, or an SLA's alert),
// after the file's defaults are applied.
struct AlertOptions {
  bool enabled = true;
  std::string name;           // the alertname
  model::Labels labels;       // besides slo_service, slo (and slo_severity)
  model::Labels annotations;  // templates, as in any alerting rule
};

enum class SliKind : uint8_t { kErrorRatio, kLatency };

struct Slo {
  std::string name;
  std::string description;
  double objective_percent = 0;  // in (0, 100)
  std::chrono::milliseconds window{std::chrono::hours(24 * 30)};
  // The SLO's own labels, added to every series and alert it generates
  // (the file's labels merged in; the SLO's win).
  model::Labels labels;

  SliKind kind = SliKind::kErrorRatio;
  // kErrorRatio: two instant-vector expressions, each with the window
  // placeholder ({{.window}}); the error ratio is errors / total.
  std::string errors_query;
  std::string total_query;
  // kLatency: error ratio = 1 - rate(<metric>_bucket{<selector>,le=T}) /
  // rate(<metric>_count{<selector>}), summed over all matching series.
  std::string histogram_metric;  // base name, without _bucket/_count
  std::string selector;          // matchers without braces; may be empty
  double threshold_seconds = 0;  // T, a bucket bound

  AlertOptions page;    // fast burn
  AlertOptions ticket;  // slow burn

  int line = 0;  // of the SLO's mapping in the file, 1-based
  int column = 0;
};

// The seed's SLA form: alert when `expr` is above `threshold` for
// `for_duration`.
struct Sla {
  std::string name;
  std::string description;
  std::string expr;  // a PromQL instant-vector expression (`metric:`)
  double threshold = 0;
  std::chrono::milliseconds for_duration{0};
  model::Labels labels;
  AlertOptions alert;
  int line = 0;
  int column = 0;
};

struct SloFile {
  std::string filename;  // as given to ParseSloFile
  std::string service;
  std::vector<Slo> slos;
  std::vector<Sla> slas;
};

// Checks one alert label or annotation template (the daemon and the CLI
// pass templating::ParseAlertTemplate); an error's message is reported at
// the template's position.
using TemplateCheck = std::function<Status(std::string_view template_name, std::string_view text)>;

struct ParseOptions {
  TemplateCheck check_template;  // empty: templates are not checked
};

// Parses and validates one SLO file; `filename` prefixes messages.
Result<SloFile> ParseSloFile(std::string_view text, std::string_view filename,
                             const ParseOptions& options = {});
// Reads `path` and parses it (errors name the path).
Result<SloFile> LoadSloFile(const std::string& path, const ParseOptions& options = {});

// One pair of windows of a multi-window, multi-burn-rate alert: it fires
// when the error ratio over both windows is above factor * error budget.
struct BurnWindow {
  bool page = true;  // false: ticket
  std::chrono::milliseconds long_window;
  std::chrono::milliseconds short_window;
  double factor = 0;
};

// The workbook's windows for a 30d SLO window -- page: (1h, 5m) above
// 14.4x or (6h, 30m) above 6x; ticket: (1d, 2h) above 3x or (3d, 6h) above
// 1x -- scaled by window / 30d (so each alert still fires after the same
// fraction of the error budget is spent) and rounded to whole minutes, at
// least 1m. Factors are never scaled.
std::vector<BurnWindow> AlertWindows(std::chrono::milliseconds slo_window);
// The distinct windows of AlertWindows, ascending: one SLI recording rule
// each.
std::vector<std::chrono::milliseconds> SliWindows(std::chrono::milliseconds slo_window);

// A generated rule, as it is written to the rule file.
struct GeneratedRule {
  bool alerting = false;
  std::string name;  // `record` or `alert`
  std::string expr;
  std::chrono::milliseconds for_duration{0};
  model::Labels labels;
  model::Labels annotations;
};

struct GeneratedGroup {
  std::string name;  // "slo:<service>:<slo>" or "sla:<service>:<sla>"
  std::vector<GeneratedRule> rules;
};

// The rule groups of a file: one per SLO, then one per SLA, in file order.
// REQUIRES: `file` came from ParseSloFile/LoadSloFile (or holds values
// that would pass its checks).
std::vector<GeneratedGroup> GenerateRules(const SloFile& file);

// GenerateRules written as a Prometheus rule file (YAML), with a comment
// header naming the source file.
std::string GenerateRuleFile(const SloFile& file);

}  // namespace vigil::slo
