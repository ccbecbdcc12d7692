// `vigil dashboards`: Grafana dashboards for what vigil and its ML metric
// sets export, and a checker of Grafana dashboard JSON.
//
//   vigil dashboards generate --out grafana/ --namespace vision --slo api.slo.yml
//   vigil dashboards check grafana/*.json
//
// GenerateDashboards builds, in this order:
//
//   vigil-inference.json    InferenceMetrics: throughput, error rate,
//                           latency quantiles, batch size, queues,
//                           detections, detection confidence heat map;
//                           GPU (nvidia_gpu_*) and host (node_*) resources
//   vigil-ml-pipeline.json  FeatureLogger and PipelineProfiler: extraction
//                           timing by input type, quality heat map, encoder
//                           (stage) comparison, bottlenecks, efficiency
//   vigil-anomalies.json    anomaly rules and detectors: rate by severity,
//                           types, confidence heat map, score timeline,
//                           recent anomalies table
//   vigil-batch-jobs.json   JobTracker: jobs, durations, retries, chunks,
//                           throughput, memory
//   vigil-slos.json         every SLO that `vigil slo generate` rules
//                           record, chosen with dashboard variables
//   vigil-slo-<service>.json  one per SLO file given: a row per SLO (SLI,
//                           error budget remaining, burn rate over each
//                           alert window) and a row of SLAs
//
// The JSON is Grafana's classic dashboard model (schemaVersion 39, Grafana
// 10.x/11.x), importable as is. Every panel queries one Prometheus data
// source: by default the dashboard variable `datasource` (type prometheus),
// so the same file works against vigil (`vigil run`, Prometheus' HTTP API)
// and against Prometheus itself. The ML metric sets take their registry's
// prefix (metrics::RegistryOptions::prefix) in front of every family name;
// DashboardOptions::metric_namespace must be that prefix. Host, GPU,
// anomaly (vigil_*) and SLO (slo:*) names are fixed.
//
// Every dashboard GenerateDashboards returns has passed CheckDashboard.
//
// Thread safety: pure functions apart from the files they read (SLO files)
// and, for RunDashboardsCommand, write.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "slo/slo.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::cli {

struct DashboardOptions {
  // UID of the Grafana data source every panel queries. Empty: a dashboard
  // variable `datasource` (type prometheus) that the user picks on import.
  std::string datasource_uid;
  // The ML metric sets' registry prefix, without the trailing underscore
  // ("vision" for vision_frames_processed_total). Empty: no prefix.
  std::string metric_namespace;
  // Put in front of every dashboard title as "<prefix> / <title>"; empty:
  // the bare title.
  std::string title_prefix = "vigil";
  // SLO files (docs/formats/slo.md), loaded with slo::LoadSloFile: one
  // dashboard each.
  std::vector<std::string> slo_files;
};

struct Dashboard {
  std::string file_name;  // "<uid>.json"
  std::string uid;        // stable: the same options give the same uid
  std::string title;
  std::string json;  // the dashboard model, indented, ending in '\n'
};

// kInvalidArgument for a namespace that is not a metric-name prefix or a
// datasource UID Grafana would not accept; an SLO file's error as
// slo::LoadSloFile reports it (FILE:LINE:COLUMN); kInvalidArgument when two
// SLO files would give the same dashboard uid or an SLO dashboard fails
// CheckDashboard (an SLA expression holding `$name`, which Grafana would
// take for a variable); kInternal if a fixed dashboard fails CheckDashboard
// (a bug).
Result<std::vector<Dashboard>> GenerateDashboards(const DashboardOptions& options);

// The dashboard of one parsed SLO file (GenerateDashboards calls it for
// each file it loads). kInvalidArgument, naming the file, when the result
// fails CheckDashboard.
Result<Dashboard> GenerateSloDashboard(const slo::SloFile& file, const DashboardOptions& options);

// Checks one dashboard's JSON against Grafana's classic dashboard model
// (grafana/grafana kinds/dashboard/dashboard_kind.cue and the core panel
// plugins): field names and types at the top level and of every panel,
// target, field config, variable and annotation; known panel types and
// units; gridPos within 24 columns, panels that do not overlap, unique
// panel ids and per-panel refIds; data source references to defined
// variables. Every PromQL expression (targets, and label_values() variable
// queries) must parse with vigil's parser after template variables are
// substituted ($__rate_interval -> 1m, $__range -> 1h, a multi-value
// variable -> "x", ...), must use only variables the dashboard defines,
// must give an instant vector or scalar, and every histogram_quantile()
// must read _bucket series aggregated by `le`; heat maps of bucket series
// must ask for the heatmap format.
//
// Returns every problem found, one per entry, each naming where it is:
// `panel 7 "Extraction timing": targets[1].expr: 1:17: parse error: ...`.
// Empty: the dashboard is valid.
std::vector<std::string> CheckDashboard(std::string_view json);

// CheckDashboard as a Status: OK, or kInvalidArgument with the problems,
// one per line.
Status ValidateDashboard(std::string_view json);

// `args` are the arguments after "dashboards":
//   generate [--out DIR] [--datasource UID] [--namespace NS]
//            [--title-prefix TEXT] [--slo FILE]...
//   check FILE...
// generate writes every dashboard to DIR (default: the current directory;
// created if missing; files replaced atomically) and lists them on `out`.
// check prints "FILE: ok" or FILE: problem lines. Exit status: 0 done,
// 1 an error (on `err`) or a dashboard that fails the check, 2 a usage
// error.
int RunDashboardsCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

// The usage text of RunDashboardsCommand, for `vigil help`.
extern const char* const kDashboardsUsage;

}  // namespace vigil::cli
