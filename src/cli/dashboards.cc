// Grafana dashboards for vigil's metric sets (the generator, first half of
// this file) and a checker of Grafana's classic dashboard JSON model (the
// second half). Metric names are those of include/vigil/ml/*.h,
// src/anomaly/monitor.cc, src/rules/anomaly_rule.h, src/collectors and
// src/slo/generate.cc; dashboards_test.cc evaluates every ML query against
// what the metric sets really export.

#include "cli/dashboards.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "base/file.h"
#include "base/status_macros.h"
#include "model/duration.h"
#include "model/labels.h"
#include "promql/ast.h"
#include "promql/functions.h"
#include "promql/parser.h"
#include "rules/anomaly_rule.h"

namespace vigil::cli {

const char* const kDashboardsUsage =
    "usage: vigil dashboards generate [--out DIR] [--datasource UID] [--namespace NS]\n"
    "                                 [--title-prefix TEXT] [--slo FILE]...\n"
    "       vigil dashboards check FILE...\n";

namespace {

using Json = nlohmann::ordered_json;

constexpr int kSchemaVersion = 39;  // Grafana 10.4 / 11.0
constexpr int kGridColumns = 24;
constexpr size_t kMaxUidLength = 40;  // Grafana's limit

// ---------------------------------------------------------------------------
// Building blocks

// A panel query (a Prometheus target).
struct Query {
  std::string expr;
  std::string legend;  // empty: Grafana's automatic legend
  bool instant = false;
  std::string format;  // empty: time_series
};

std::string Quoted(std::string_view s) {
  std::string out;
  model::AppendQuoted(s, &out);
  return out;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.15g", v);
  return buf;
}

Json Ref(const DashboardOptions& o) {
  return Json{{"type", "prometheus"},
              {"uid", o.datasource_uid.empty() ? "${datasource}" : o.datasource_uid}};
}

// Thresholds: (color, value), the first value being -Infinity (null).
Json Thresholds(const std::vector<std::pair<std::string, std::optional<double>>>& steps) {
  Json s = Json::array();
  for (const auto& [color, value] : steps) {
    Json step{{"color", color}};
    step["value"] = value.has_value() ? Json(*value) : Json(nullptr);
    s.push_back(std::move(step));
  }
  return Json{{"mode", "absolute"}, {"steps", std::move(s)}};
}

Json GreenOnly() { return Thresholds({{"green", std::nullopt}}); }

Json ReduceLast() {
  return Json{{"calcs", Json::array({"lastNotNull"})}, {"fields", ""}, {"values", false}};
}

// A multi-value variable's initial selection: All.
Json AllSelected() {
  return Json{
      {"selected", true}, {"text", Json::array({"All"})}, {"value", Json::array({"$__all"})}};
}

Json HideFrom() { return Json{{"legend", false}, {"tooltip", false}, {"viz", false}}; }

// An override of one series (by its display name) setting `property`.
Json OverrideByName(std::string_view name, std::string_view property, Json value) {
  return Json{{"matcher", {{"id", "byName"}, {"options", name}}},
              {"properties", Json::array({Json{{"id", property}, {"value", std::move(value)}}})}};
}

Json FixedColor(std::string_view color) { return Json{{"mode", "fixed"}, {"fixedColor", color}}; }

// Value mappings 0 -> ok_text (green), 1 -> bad_text (red).
Json BinaryMapping(std::string_view ok_text, std::string_view bad_text) {
  Json options = Json::object();
  options["0"] = Json{{"color", "green"}, {"index", 0}, {"text", ok_text}};
  options["1"] = Json{{"color", "red"}, {"index", 1}, {"text", bad_text}};
  return Json::array({Json{{"type", "value"}, {"options", std::move(options)}}});
}

// One dashboard under construction: variables, and panels laid out left to
// right in lines of 24 columns, rows starting new lines.
class Builder {
 public:
  Builder(const DashboardOptions& options, std::string uid, std::string title,
          std::string description, std::vector<std::string> tags)
      : options_(options),
        uid_(std::move(uid)),
        title_(options.title_prefix.empty() ? title : options.title_prefix + " / " + title),
        description_(std::move(description)),
        tags_(std::move(tags)) {
    if (options_.datasource_uid.empty()) {
      variables_.push_back(Json{{"current", Json::object()},
                                {"hide", 0},
                                {"includeAll", false},
                                {"label", "Data source"},
                                {"multi", false},
                                {"name", "datasource"},
                                {"options", Json::array()},
                                {"query", "prometheus"},
                                {"refresh", 1},
                                {"regex", ""},
                                {"skipUrlSync", false},
                                {"type", "datasource"}});
    }
  }

  // A multi-value variable of label values: label_values(selector, label).
  void LabelVariable(std::string_view name, std::string_view label, std::string_view selector,
                     std::string_view label_name) {
    const std::string q =
        "label_values(" + std::string(selector) + ", " + std::string(label_name) + ")";
    variables_.push_back(Json{
        {"allValue", ".*"},
        {"current", AllSelected()},
        {"datasource", Ref(options_)},
        {"definition", q},
        {"hide", 0},
        {"includeAll", true},
        {"label", label},
        {"multi", true},
        {"name", name},
        {"options", Json::array()},
        {"query",
         {{"qryType", 1}, {"query", q}, {"refId", "PrometheusVariableQueryEditor-VariableQuery"}}},
        {"refresh", 2},
        {"regex", ""},
        {"skipUrlSync", false},
        {"sort", 1},
        {"type", "query"}});
  }

  // A multi-value variable of fixed values ("a,b,c").
  void CustomVariable(std::string_view name, std::string_view label, std::string_view values) {
    variables_.push_back(Json{{"allValue", ".*"},
                              {"current", AllSelected()},
                              {"hide", 0},
                              {"includeAll", true},
                              {"label", label},
                              {"multi", true},
                              {"name", name},
                              {"options", Json::array()},
                              {"query", values},
                              {"skipUrlSync", false},
                              {"type", "custom"}});
  }

  // An annotation drawn from a PromQL query.
  void Annotation(std::string_view name, std::string_view expr, std::string_view color,
                  std::string_view title_format, std::string_view tag_keys) {
    annotations_.push_back(Json{{"datasource", Ref(options_)},
                                {"enable", true},
                                {"expr", expr},
                                {"hide", false},
                                {"iconColor", color},
                                {"name", name},
                                {"step", "1m"},
                                {"tagKeys", tag_keys},
                                {"textFormat", ""},
                                {"titleFormat", title_format},
                                {"useValueForTime", false}});
  }

  void Row(std::string_view title) {
    NewLine();
    panels_.push_back(Json{{"collapsed", false},
                           {"gridPos", {{"h", 1}, {"w", kGridColumns}, {"x", 0}, {"y", y_}}},
                           {"id", next_id_++},
                           {"panels", Json::array()},
                           {"title", title},
                           {"type", "row"}});
    y_ += 1;
  }

  Json& Timeseries(std::string_view title, std::string_view description, int w, int h,
                   const std::vector<Query>& queries, std::string_view unit) {
    Json& p = Add("timeseries", title, description, w, h, queries);
    p["fieldConfig"]["defaults"] = Json{{"color", {{"mode", "palette-classic"}}},
                                        {"custom",
                                         {{"axisBorderShow", false},
                                          {"axisCenteredZero", false},
                                          {"axisColorMode", "text"},
                                          {"axisLabel", ""},
                                          {"axisPlacement", "auto"},
                                          {"barAlignment", 0},
                                          {"drawStyle", "line"},
                                          {"fillOpacity", 10},
                                          {"gradientMode", "none"},
                                          {"hideFrom", HideFrom()},
                                          {"insertNulls", false},
                                          {"lineInterpolation", "linear"},
                                          {"lineWidth", 1},
                                          {"pointSize", 4},
                                          {"scaleDistribution", {{"type", "linear"}}},
                                          {"showPoints", "never"},
                                          {"spanNulls", false},
                                          {"stacking", {{"group", "A"}, {"mode", "none"}}},
                                          {"thresholdsStyle", {{"mode", "off"}}}}},
                                        {"mappings", Json::array()},
                                        {"thresholds", GreenOnly()},
                                        {"unit", unit}};
    p["options"] = Json{{"legend",
                         {{"calcs", Json::array()},
                          {"displayMode", "list"},
                          {"placement", "bottom"},
                          {"showLegend", true}}},
                        {"tooltip", {{"mode", "multi"}, {"sort", "desc"}}}};
    return p;
  }

  Json& Stat(std::string_view title, std::string_view description, int w, int h,
             const std::vector<Query>& queries, std::string_view unit, Json thresholds) {
    Json& p = Add("stat", title, description, w, h, queries);
    p["fieldConfig"]["defaults"] = Json{{"color", {{"mode", "thresholds"}}},
                                        {"mappings", Json::array()},
                                        {"thresholds", std::move(thresholds)},
                                        {"unit", unit}};
    p["options"] = Json{{"colorMode", "value"},
                        {"graphMode", "area"},
                        {"justifyMode", "auto"},
                        {"orientation", "auto"},
                        {"reduceOptions", ReduceLast()},
                        {"showPercentChange", false},
                        {"textMode", "auto"},
                        {"wideLayout", true}};
    return p;
  }

  Json& Gauge(std::string_view title, std::string_view description, int w, int h,
              const std::vector<Query>& queries, std::string_view unit, double min, double max,
              Json thresholds) {
    Json& p = Add("gauge", title, description, w, h, queries);
    p["fieldConfig"]["defaults"] = Json{{"color", {{"mode", "thresholds"}}},
                                        {"mappings", Json::array()},
                                        {"max", max},
                                        {"min", min},
                                        {"thresholds", std::move(thresholds)},
                                        {"unit", unit}};
    p["options"] = Json{{"minVizHeight", 75},
                        {"minVizWidth", 75},
                        {"orientation", "auto"},
                        {"reduceOptions", ReduceLast()},
                        {"showThresholdLabels", false},
                        {"showThresholdMarkers", true},
                        {"sizing", "auto"}};
    return p;
  }

  Json& BarGauge(std::string_view title, std::string_view description, int w, int h,
                 const std::vector<Query>& queries, std::string_view unit, Json thresholds) {
    Json& p = Add("bargauge", title, description, w, h, queries);
    p["fieldConfig"]["defaults"] = Json{{"color", {{"mode", "thresholds"}}},
                                        {"mappings", Json::array()},
                                        {"min", 0},
                                        {"thresholds", std::move(thresholds)},
                                        {"unit", unit}};
    p["options"] = Json{{"displayMode", "gradient"},
                        {"maxVizHeight", 300},
                        {"minVizHeight", 16},
                        {"minVizWidth", 8},
                        {"namePlacement", "auto"},
                        {"orientation", "horizontal"},
                        {"reduceOptions", ReduceLast()},
                        {"showUnfilled", true},
                        {"sizing", "auto"},
                        {"valueMode", "color"}};
    return p;
  }

  // A heat map of a histogram's buckets: `expr` must aggregate by le.
  Json& Heatmap(std::string_view title, std::string_view description, int w, int h,
                std::string expr, std::string_view y_unit) {
    Json& p =
        Add("heatmap", title, description, w, h, {{std::move(expr), "{{le}}", false, "heatmap"}});
    p["fieldConfig"]["defaults"] =
        Json{{"custom", {{"hideFrom", HideFrom()}, {"scaleDistribution", {{"type", "linear"}}}}}};
    p["options"] = Json{
        {"calculate", false},
        {"cellGap", 1},
        {"color",
         {{"exponent", 0.5},
          {"fill", "dark-orange"},
          {"mode", "scheme"},
          {"reverse", false},
          {"scale", "exponential"},
          {"scheme", "Oranges"},
          {"steps", 64}}},
        {"exemplars", {{"color", "rgba(255,0,255,0.7)"}}},
        {"filterValues", {{"le", 1e-9}}},
        {"legend", {{"show", true}}},
        {"rowsFrame", {{"layout", "auto"}}},
        {"showValue", "never"},
        {"tooltip",
         {{"mode", "single"}, {"show", true}, {"showColorScale", false}, {"yHistogram", false}}},
        {"yAxis", {{"axisPlacement", "left"}, {"reverse", false}, {"unit", y_unit}}}};
    return p;
  }

  Json& Table(std::string_view title, std::string_view description, int w, int h,
              const std::vector<Query>& queries) {
    Json& p = Add("table", title, description, w, h, queries);
    p["fieldConfig"]["defaults"] = Json{{"color", {{"mode", "thresholds"}}},
                                        {"custom",
                                         {{"align", "auto"},
                                          {"cellOptions", {{"type", "auto"}}},
                                          {"filterable", true},
                                          {"inspect", false}}},
                                        {"mappings", Json::array()},
                                        {"thresholds", GreenOnly()},
                                        {"unit", "short"}};
    p["options"] = Json{{"cellHeight", "sm"},
                        {"footer",
                         {{"countRows", false},
                          {"fields", ""},
                          {"reducer", Json::array({"sum"})},
                          {"show", false}}},
                        {"showHeader", true}};
    return p;
  }

  Dashboard Finish() {
    Json panels = Json::array();
    for (Json& p : panels_) panels.push_back(std::move(p));
    Json builtin{{"builtIn", 1},
                 {"datasource", {{"type", "grafana"}, {"uid", "-- Grafana --"}}},
                 {"enable", true},
                 {"hide", true},
                 {"iconColor", "rgba(0, 211, 255, 1)"},
                 {"name", "Annotations & Alerts"},
                 {"type", "dashboard"}};
    Json annotations = Json::array({builtin});
    for (Json& a : annotations_) annotations.push_back(std::move(a));
    Json variables = Json::array();
    for (Json& v : variables_) variables.push_back(std::move(v));
    Json tags = Json::array();
    for (const std::string& t : tags_) tags.push_back(t);
    Json d{{"annotations", {{"list", std::move(annotations)}}},
           {"description", description_},
           {"editable", true},
           {"fiscalYearStartMonth", 0},
           {"graphTooltip", 1},
           {"id", nullptr},
           {"links", Json::array({Json{{"asDropdown", true},
                                       {"icon", "external link"},
                                       {"includeVars", false},
                                       {"keepTime", true},
                                       {"tags", Json::array({"vigil"})},
                                       {"targetBlank", false},
                                       {"title", "vigil dashboards"},
                                       {"tooltip", ""},
                                       {"type", "dashboards"},
                                       {"url", ""}}})},
           {"liveNow", false},
           {"panels", std::move(panels)},
           {"refresh", "10s"},
           {"schemaVersion", kSchemaVersion},
           {"tags", std::move(tags)},
           {"templating", {{"list", std::move(variables)}}},
           {"time", {{"from", "now-1h"}, {"to", "now"}}},
           {"timepicker", Json::object()},
           {"timezone", "browser"},
           {"title", title_},
           {"uid", uid_},
           {"version", 1},
           {"weekStart", ""}};
    Dashboard out;
    out.uid = uid_;
    out.title = title_;
    out.file_name = uid_ + ".json";
    out.json = d.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
    return out;
  }

 private:
  Json& Add(std::string_view type, std::string_view title, std::string_view description, int w,
            int h, const std::vector<Query>& queries) {
    Json targets = Json::array();
    char ref = 'A';
    for (const Query& q : queries) {
      Json t{{"datasource", Ref(options_)},
             {"editorMode", "code"},
             {"expr", q.expr},
             {"format", q.format.empty() ? "time_series" : q.format},
             {"instant", q.instant},
             {"legendFormat", q.legend.empty() ? "__auto" : q.legend},
             {"range", !q.instant},
             {"refId", std::string(1, ref++)}};
      targets.push_back(std::move(t));
    }
    Json p{{"datasource", Ref(options_)}};
    if (!description.empty()) p["description"] = description;
    p["fieldConfig"] = Json{{"defaults", Json::object()}, {"overrides", Json::array()}};
    p["gridPos"] = Place(w, h);
    p["id"] = next_id_++;
    p["options"] = Json::object();
    p["targets"] = std::move(targets);
    p["title"] = title;
    p["type"] = type;
    panels_.push_back(std::move(p));
    return panels_.back();
  }

  Json Place(int w, int h) {
    if (x_ + w > kGridColumns) NewLine();
    Json g{{"h", h}, {"w", w}, {"x", x_}, {"y", y_}};
    x_ += w;
    line_height_ = std::max(line_height_, h);
    return g;
  }

  void NewLine() {
    y_ += line_height_;
    x_ = 0;
    line_height_ = 0;
  }

  const DashboardOptions& options_;
  const std::string uid_;
  const std::string title_;
  const std::string description_;
  const std::vector<std::string> tags_;
  std::vector<Json> variables_;
  std::vector<Json> annotations_;
  std::deque<Json> panels_;  // references handed out stay valid
  int next_id_ = 1;
  int x_ = 0, y_ = 0, line_height_ = 0;
};

// PromQL pieces. `sel` is a selector's braces ("{model=~\"$model\"}") or
// empty.
constexpr std::string_view kRange = "[$__rate_interval]";

std::string Rate(std::string_view metric, std::string_view sel) {
  return "rate(" + std::string(metric) + std::string(sel) + std::string(kRange) + ")";
}

std::string SumRate(std::string_view by, std::string_view metric, std::string_view sel) {
  return (by.empty() ? "sum(" : "sum by (" + std::string(by) + ") (") + Rate(metric, sel) + ")";
}

// histogram_quantile over `hist`'s buckets, grouped by le and `by`.
std::string Quantile(std::string_view q, std::string_view by, std::string_view hist,
                     std::string_view sel) {
  const std::string group = by.empty() ? "le" : "le, " + std::string(by);
  return "histogram_quantile(" + std::string(q) + ", " +
         SumRate(group, std::string(hist) + "_bucket", sel) + ")";
}

// The mean observation of `hist` over the rate window, by `by`.
std::string Mean(std::string_view by, std::string_view hist, std::string_view sel) {
  return SumRate(by, std::string(hist) + "_sum", sel) + " / " +
         SumRate(by, std::string(hist) + "_count", sel);
}

// p50, p95 and p99 of `hist`, legends "p50 <legend>".
std::vector<Query> Quantiles(std::string_view by, std::string_view hist, std::string_view sel,
                             std::string_view legend,
                             std::vector<std::string_view> qs = {"0.5", "0.95", "0.99"}) {
  std::vector<Query> out;
  for (std::string_view q : qs) {
    const std::string name = q == "0.5"    ? "p50"
                             : q == "0.95" ? "p95"
                             : q == "0.99" ? "p99"
                                           : "q" + std::string(q);
    out.push_back(
        {Quantile(q, by, hist, sel), legend.empty() ? name : name + " " + std::string(legend)});
  }
  return out;
}

// Colors of the anomaly severities (and the thresholds of docs/anomaly.md).
Json SeverityOverrides() {
  Json o = Json::array();
  const std::pair<const char*, const char*> colors[] = {
      {"low", "blue"}, {"medium", "yellow"}, {"high", "orange"}, {"critical", "red"}};
  for (const auto& [severity, color] : colors) {
    o.push_back(OverrideByName(severity, "color", FixedColor(color)));
  }
  return o;
}

// ---------------------------------------------------------------------------
// The dashboards

class Names {
 public:
  explicit Names(const DashboardOptions& o)
      : prefix_(o.metric_namespace.empty() ? "" : o.metric_namespace + "_") {}
  std::string operator()(std::string_view name) const { return prefix_ + std::string(name); }

 private:
  std::string prefix_;
};

Dashboard InferenceDashboard(const DashboardOptions& o) {
  const Names m(o);
  Builder b(o, "vigil-inference", "Inference overview",
            "Model serving (vigil::ml::InferenceMetrics): throughput, errors, latency, batching, "
            "queues, detections; GPU (NVML) and host resources.",
            {"vigil", "ml", "inference"});
  b.LabelVariable("model", "Model", m("frames_processed_total"), "model");
  b.LabelVariable("stage", "Stage", m("detection_latency_seconds_count") + R"({model=~"$model"})",
                  "stage");
  const std::string frames = m("frames_processed_total");
  const std::string sel = R"({model=~"$model"})";
  const std::string failed = R"({model=~"$model", status!="success"})";
  const std::string inference = m("model_inference_duration_seconds");

  b.Row("Overview");
  b.Stat("Throughput", "Frames (requests) processed per second, every outcome.", 4, 5,
         {{SumRate("", frames, sel)}}, "ops", GreenOnly());
  b.Stat("Error rate", "Share of processed frames whose status is not success.", 4, 5,
         {{"(" + SumRate("", frames, failed) + " or vector(0)) / " + SumRate("", frames, sel)}},
         "percentunit", Thresholds({{"green", std::nullopt}, {"orange", 0.01}, {"red", 0.05}}));
  b.Stat("Inference p95", "95th percentile of the model's forward pass.", 4, 5,
         {{Quantile("0.95", "", inference, sel)}}, "s", GreenOnly());
  b.Stat("Dropped frames", "Frames dropped before processing, per second.", 4, 5,
         {{SumRate("", m("frames_dropped_total"), sel) + " or vector(0)"}}, "ops",
         Thresholds({{"green", std::nullopt}, {"orange", 0.1}, {"red", 1}}));
  b.Stat("Active tracks", "Object tracks currently active.", 4, 5,
         {{"sum(" + m("active_tracks") + sel + ")"}}, "short", GreenOnly());
  b.Stat("GPU utilisation", "Mean kernel-busy share over every GPU NVML reports.", 4, 5,
         {{"avg(nvidia_gpu_utilization_percent)"}}, "percent",
         Thresholds({{"green", std::nullopt}, {"orange", 85}, {"red", 95}}));

  b.Row("Throughput and errors");
  b.Timeseries("Throughput by model and status", "", 12, 8,
               {{SumRate("model, status", frames, sel), "{{model}} {{status}}"}}, "ops");
  Json& err = b.Timeseries(
      "Error rate by model", "Failed over processed frames.", 12, 8,
      {{SumRate("model", frames, failed) + " / " + SumRate("model", frames, sel), "{{model}}"}},
      "percentunit");
  err["fieldConfig"]["defaults"]["min"] = 0;
  b.Timeseries(
      "Errors by component",
      "errors_total by component and error type (process-wide, no model label).", 12, 8,
      {{SumRate("component, error_type", m("errors_total"), ""), "{{component}} {{error_type}}"}},
      "ops");
  b.Timeseries("Dropped frames by reason", "", 12, 8,
               {{SumRate("model, reason", m("frames_dropped_total"), sel), "{{model}} {{reason}}"}},
               "ops");

  b.Row("Latency");
  b.Timeseries("Inference latency (p50 / p95 / p99)",
               "Model forward pass time (model_inference_duration_seconds), by model.", 12, 8,
               Quantiles("model", inference, sel, "{{model}}"), "s");
  b.Timeseries("Stage latency p95",
               "Per processing stage (detection_latency_seconds): the encoder comparison of a "
               "serving loop.",
               12, 8,
               {{Quantile("0.95", "model, stage", m("detection_latency_seconds"),
                          R"({model=~"$model", stage=~"$stage"})"),
                 "{{model}} {{stage}}"}},
               "s");
  b.Heatmap("Inference latency distribution", "Buckets of model_inference_duration_seconds.", 12, 8,
            "sum by (le) (" + Rate(inference + "_bucket", sel) + ")", "s");
  b.Timeseries("Inference latency by device (mean)", "", 12, 8,
               {{Mean("device", inference, sel), "{{device}}"}}, "s");

  b.Row("Batching and queues");
  std::vector<Query> batch = Quantiles("", m("model_batch_size"), sel, "", {"0.5", "0.95"});
  batch.push_back({Mean("", m("model_batch_size"), sel), "mean"});
  b.Timeseries("Batch size", "Inference batch sizes: median, 95th percentile and mean.", 8, 8,
               batch, "short");
  b.Timeseries("Queue size", "Items waiting, by queue (process-wide).", 8, 8,
               {{"sum by (queue_type) (" + m("queue_size") + ")", "{{queue_type}}"}}, "short");
  b.Timeseries(
      "Queue wait p95", "", 8, 8,
      {{Quantile("0.95", "queue_type", m("queue_wait_duration_seconds"), ""), "{{queue_type}}"}},
      "s");

  b.Row("Detections");
  b.Timeseries("Detections by class", "", 12, 8,
               {{SumRate("model, class", m("detections_total"), sel), "{{model}} {{class}}"}},
               "ops");
  b.Heatmap("Detection confidence heat map", "Buckets of detection_confidence (0 to 1).", 12, 8,
            "sum by (le) (" + Rate(m("detection_confidence_bucket"), sel) + ")", "none");

  b.Row("GPU and host");
  Json& gpu = b.Timeseries("GPU utilisation by device", "nvidia_gpu_utilization_percent.", 6, 8,
                           {{"nvidia_gpu_utilization_percent", "GPU {{gpu}} {{name}}"}}, "percent");
  gpu["fieldConfig"]["defaults"]["min"] = 0;
  gpu["fieldConfig"]["defaults"]["max"] = 100;
  b.Timeseries("GPU memory",
               "NVML's used and total memory per device, and what the service reports "
               "(gpu_memory_usage_bytes).",
               6, 8,
               {{"nvidia_gpu_memory_used_bytes", "used GPU {{gpu}}"},
                {"nvidia_gpu_memory_total_bytes", "total GPU {{gpu}}"},
                {"sum by (device) (" + m("gpu_memory_usage_bytes") + ")", "service {{device}}"}},
               "bytes");
  Json& cpu = b.Timeseries(
      "Host CPU", "Share of CPU time not idle, per host (node_cpu_seconds_total).", 6, 8,
      {{"1 - avg by (instance) (" + Rate("node_cpu_seconds_total", R"({mode="idle"})") + ")",
        "{{instance}}"}},
      "percentunit");
  cpu["fieldConfig"]["defaults"]["min"] = 0;
  cpu["fieldConfig"]["defaults"]["max"] = 1;
  b.Timeseries(
      "Memory",
      "Process memory by type (memory_usage_bytes) and host memory in use "
      "(MemTotal - MemAvailable).",
      6, 8,
      {{"sum by (type) (" + m("memory_usage_bytes") + ")", "process {{type}}"},
       {"node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes", "host used {{instance}}"}},
      "bytes");
  return b.Finish();
}

Dashboard PipelineDashboard(const DashboardOptions& o) {
  const Names m(o);
  Builder b(o, "vigil-ml-pipeline", "ML pipeline: features, encoders, bottlenecks",
            "Feature extraction (vigil::ml::FeatureLogger) and pipeline stages "
            "(vigil::ml::PipelineProfiler): timing, quality, encoder comparison, bottlenecks "
            "and efficiency.",
            {"vigil", "ml", "pipeline"});
  b.LabelVariable("input_type", "Input type", m("feature_extractions_total"), "input_type");
  b.LabelVariable("pipeline", "Pipeline", m("pipeline_stage_calls_total"), "pipeline");
  b.LabelVariable("stage", "Stage", m("pipeline_stage_calls_total") + R"({pipeline=~"$pipeline"})",
                  "stage");
  const std::string in = R"({input_type=~"$input_type"})";
  const std::string ok = R"({input_type=~"$input_type", status="success"})";
  const std::string extractions = m("feature_extractions_total");
  const std::string pipe = R"({pipeline=~"$pipeline"})";
  const std::string stage = R"({pipeline=~"$pipeline", stage=~"$stage"})";
  const std::string stage_hist = m("pipeline_stage_duration_seconds");

  b.Row("Feature extraction");
  b.Timeseries(
      "Extraction timing by input type (p50 / p95 / p99)",
      "feature_extraction_duration_seconds quantiles per input type.", 12, 8,
      Quantiles("input_type", m("feature_extraction_duration_seconds"), in, "{{input_type}}"), "s");
  b.Heatmap("Quality heat map", "Buckets of feature_quality_score (0 to 1) over time.", 12, 8,
            "sum by (le) (" + Rate(m("feature_quality_score_bucket"), in) + ")", "none");
  b.Timeseries("Extractions by input type", "", 8, 8,
               {{SumRate("input_type, status", extractions, in), "{{input_type}} {{status}}"}},
               "ops");
  Json& success = b.Timeseries(
      "Success rate by input type", "Successful over all extractions.", 8, 8,
      {{SumRate("input_type", extractions, ok) + " / " + SumRate("input_type", extractions, in),
        "{{input_type}}"}},
      "percentunit");
  success["fieldConfig"]["defaults"]["min"] = 0;
  success["fieldConfig"]["defaults"]["max"] = 1;
  b.Timeseries("Extraction errors by type", "", 8, 8,
               {{SumRate("input_type, error_type", m("feature_extraction_errors_total"), in),
                 "{{input_type}} {{error_type}}"}},
               "ops");
  b.BarGauge("Input types processed", "Extractions per input type over the dashboard's range.", 8,
             8,
             {{"sum by (input_type) (increase(" + extractions + in + "[$__range]))",
               "{{input_type}}", true}},
             "short", GreenOnly());
  b.Timeseries("Mean quality by input type", "", 8, 8,
               {{Mean("input_type", m("feature_quality_score"), in), "{{input_type}}"}}, "none");
  b.Timeseries("Features extracted", "Features per second (feature counts summed).", 8, 8,
               {{SumRate("input_type", m("features_extracted_total"), in), "{{input_type}}"}},
               "ops");

  b.Row("Encoders (pipeline stages)");
  std::vector<Query> compare = {
      {Quantile("0.95", "pipeline, stage", stage_hist, stage), "p95 {{pipeline}} {{stage}}"},
      {Quantile("0.5", "pipeline, stage", stage_hist, stage), "p50 {{pipeline}} {{stage}}"}};
  b.Timeseries("Encoder comparison: stage latency",
               "pipeline_stage_duration_seconds per stage (encoder), p50 and p95.", 12, 8, compare,
               "s");
  b.BarGauge("Encoder comparison: mean stage time",
             "Mean duration of each stage over the dashboard's range.", 12, 8,
             {{"sum by (pipeline, stage) (increase(" + stage_hist + "_sum" + stage +
                   "[$__range])) / sum by (pipeline, stage) (increase(" + stage_hist + "_count" +
                   stage + "[$__range]))",
               "{{pipeline}} {{stage}}", true}},
             "s", GreenOnly());
  Json& gpu = b.Timeseries(
      "Stage GPU utilisation", "pipeline_stage_gpu_utilization_percent.", 8, 8,
      {{"max by (pipeline, stage) (" + m("pipeline_stage_gpu_utilization_percent") + stage + ")",
        "{{pipeline}} {{stage}}"}},
      "percent");
  gpu["fieldConfig"]["defaults"]["min"] = 0;
  gpu["fieldConfig"]["defaults"]["max"] = 100;
  b.Timeseries(
      "Connector time p95", "Time moving data between stages.", 8, 8,
      {{Quantile("0.95", "pipeline, from, to", m("pipeline_connector_duration_seconds"), pipe),
        "{{pipeline}} {{from}} -> {{to}}"}},
      "s");
  b.Timeseries("Stage calls", "Exact call counts (durations may be sampled).", 8, 8,
               {{SumRate("pipeline, stage", m("pipeline_stage_calls_total"), stage),
                 "{{pipeline}} {{stage}}"}},
               "ops");
  b.Timeseries(
      "Batch throughput", "Items per second of the last batch.", 8, 8,
      {{"max by (pipeline) (" + m("pipeline_batch_throughput_items_per_second") + pipe + ")",
        "{{pipeline}}"}},
      "ops");
  b.Timeseries("Batch duration (p50 / p95)", "", 8, 8,
               Quantiles("pipeline", m("pipeline_batch_duration_seconds"), pipe, "{{pipeline}}",
                         {"0.5", "0.95"}),
               "s");
  b.Timeseries(
      "Batch size (p50 / p95)", "", 8, 8,
      Quantiles("pipeline", m("pipeline_batch_size"), pipe, "{{pipeline}}", {"0.5", "0.95"}),
      "short");

  b.Row("Bottlenecks");
  Json& bottleneck =
      b.Stat("Bottleneck detected",
             "pipeline_bottleneck_detected per stage: 1 when the stage takes at least half of an "
             "item's stage time and 1.5 times the next slowest (ml/pipeline_profiler.h).",
             8, 7,
             {{"max by (pipeline, stage) (" + m("pipeline_bottleneck_detected") + stage + ")",
               "{{pipeline}} {{stage}}"}},
             "none", Thresholds({{"green", std::nullopt}, {"red", 1}}));
  bottleneck["fieldConfig"]["defaults"]["mappings"] = BinaryMapping("ok", "BOTTLENECK");
  bottleneck["options"]["graphMode"] = "none";
  b.Gauge(
      "Efficiency score", "Stage time over stage plus connector time (pipeline_efficiency_score).",
      8, 7, {{"min by (pipeline) (" + m("pipeline_efficiency_score") + pipe + ")", "{{pipeline}}"}},
      "percentunit", 0, 1, Thresholds({{"red", std::nullopt}, {"orange", 0.5}, {"green", 0.8}}));
  Json& eff = b.Timeseries(
      "Efficiency score over time", "", 8, 7,
      {{"min by (pipeline) (" + m("pipeline_efficiency_score") + pipe + ")", "{{pipeline}}"}},
      "percentunit");
  eff["fieldConfig"]["defaults"]["min"] = 0;
  eff["fieldConfig"]["defaults"]["max"] = 1;
  b.Timeseries("Custom timings p95", "pipeline_custom_duration_seconds by name.", 24, 7,
               {{Quantile("0.95", "pipeline, name", m("pipeline_custom_duration_seconds"), pipe),
                 "{{pipeline}} {{name}}"}},
               "s");
  return b.Finish();
}

Dashboard AnomalyDashboard(const DashboardOptions& o) {
  const Names m(o);
  // The anomaly::Monitor self-metrics (default prefix "vigil_"; the daemon's
  // registry has none of its own) and the series anomaly rules write.
  const std::string detected = "vigil_anomalies_detected_total";
  const std::string confidence = "vigil_anomaly_confidence";
  const std::string duration = "vigil_anomaly_detection_duration_seconds";
  const std::string score = std::string(rules::kAnomalyScoreMetric);
  const std::string anomaly = std::string(rules::kAnomalyMetric);

  Builder b(o, "vigil-anomalies", "Anomalies",
            "Anomaly rules (vigil_anomaly_score, vigil_anomaly) and the detectors' "
            "self-metrics: rates by severity and type, confidence, scores, recent anomalies.",
            {"vigil", "anomaly"});
  b.LabelVariable("anomaly", "Anomaly rule", score, "anomaly");
  b.CustomVariable("severity", "Severity", "low,medium,high,critical");
  b.Annotation("Critical anomalies", anomaly + R"({severity="critical", anomaly=~"$anomaly"})",
               "red", "{{anomaly}}", "anomaly,severity");
  const std::string sev = R"({severity=~"$severity"})";
  const std::string active = R"({anomaly=~"$anomaly", severity=~"$severity"})";

  b.Row("Overview");
  const Json alarm = Thresholds({{"green", std::nullopt}, {"red", 1}});
  b.Stat("Critical anomalies now", "Series whose latest score is critical.", 6, 5,
         {{"count(" + anomaly + R"({anomaly=~"$anomaly", severity="critical"}) or vector(0))"}},
         "short", alarm);
  b.Stat("High anomalies now", "Series whose latest score is high.", 6, 5,
         {{"count(" + anomaly + R"({anomaly=~"$anomaly", severity="high"}) or vector(0))"}},
         "short", Thresholds({{"green", std::nullopt}, {"orange", 1}}));
  b.Stat("Anomalies found", "Findings of every detector over the dashboard's range.", 6, 5,
         {{"sum(increase(" + detected + sev + "[$__range])) or vector(0)", "", true}}, "short",
         GreenOnly());
  b.Stat("Detection time p99", "Time to run the detectors on one observation.", 6, 5,
         {{Quantile("0.99", "", duration, "")}}, "s", GreenOnly());

  b.Row("Detection");
  Json& rate = b.Timeseries("Anomaly rate by severity",
                            "Findings per second (vigil_anomalies_detected_total).", 12, 8,
                            {{SumRate("severity", detected, sev), "{{severity}}"}}, "ops");
  rate["fieldConfig"]["overrides"] = SeverityOverrides();
  b.Timeseries("Anomaly types", "Findings per second by type (outlier, level_shift, ...).", 12, 8,
               {{SumRate("type", detected, sev), "{{type}}"}}, "ops");
  b.Heatmap("Confidence heat map", "Buckets of vigil_anomaly_confidence.", 12, 8,
            "sum by (le) (" + Rate(confidence + "_bucket", "") + ")", "percentunit");
  b.Heatmap("Detection confidence heat map",
            "Buckets of the model's detection_confidence (InferenceMetrics).", 12, 8,
            "sum by (le) (" + Rate(m("detection_confidence_bucket"), "") + ")", "none");
  Json& scores = b.Timeseries(
      "Anomaly score timeline",
      "vigil_anomaly_score of every series of the anomaly rules; dashed lines: the default "
      "severity thresholds (low 0.5, medium 0.6, high 0.8, critical 0.95).",
      12, 8, {{score + R"({anomaly=~"$anomaly"})"}}, "none");
  scores["fieldConfig"]["defaults"]["min"] = 0;
  scores["fieldConfig"]["defaults"]["max"] = 1;
  scores["fieldConfig"]["defaults"]["thresholds"] = Thresholds(
      {{"green", std::nullopt}, {"blue", 0.5}, {"yellow", 0.6}, {"orange", 0.8}, {"red", 0.95}});
  scores["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"] = Json{{"mode", "dashed"}};
  b.Timeseries("Detection processing time (p50 / p99)", "", 12, 8,
               Quantiles("", duration, "", "", {"0.5", "0.99"}), "s");

  b.Row("Recent anomalies");
  Json& table = b.Table(
      "Recent anomalies",
      "Every series that was anomalous (vigil_anomaly) during the dashboard's range: its peak "
      "score and when it was last anomalous.",
      24, 10,
      {{"max_over_time(" + anomaly + active + "[$__range])", "", true, "table"},
       {"1000 * max_over_time(timestamp(" + anomaly + active + ")[$__range:])", "", true,
        "table"}});
  table["transformations"] = Json::array(
      {Json{{"id", "merge"}, {"options", Json::object()}},
       Json{{"id", "organize"},
            {"options",
             {{"excludeByName", {{"Time", true}}},
              {"renameByName", {{"Value #A", "Peak score"}, {"Value #B", "Last anomalous"}}}}}}});
  Json last = OverrideByName("Last anomalous", "unit", "dateTimeAsIso");
  Json peak = OverrideByName("Peak score", "decimals", 3);
  peak["properties"].push_back(
      Json{{"id", "custom.cellOptions"}, {"value", {{"type", "color-background"}}}});
  peak["properties"].push_back(Json{
      {"id", "thresholds"},
      {"value",
       Thresholds({{"blue", std::nullopt}, {"yellow", 0.6}, {"orange", 0.8}, {"red", 0.95}})}});
  table["fieldConfig"]["overrides"] = Json::array({last, peak});
  table["options"]["sortBy"] =
      Json::array({Json{{"desc", true}, {"displayName", "Last anomalous"}}});
  return b.Finish();
}

Dashboard BatchJobsDashboard(const DashboardOptions& o) {
  const Names m(o);
  Builder b(o, "vigil-batch-jobs", "Batch jobs",
            "Batch jobs (vigil::ml::JobTracker): outcomes, durations, retries, chunks, "
            "throughput and memory.",
            {"vigil", "ml", "jobs"});
  b.LabelVariable("job_type", "Job type", m("jobs_total"), "job_type");
  const std::string sel = R"({job_type=~"$job_type"})";
  const std::string failed = R"({job_type=~"$job_type", status="failed"})";

  b.Row("Overview");
  b.Stat("Active jobs", "", 6, 5, {{"sum(" + m("active_jobs") + sel + ")"}}, "short", GreenOnly());
  b.Stat("Failed jobs", "Jobs that failed during the dashboard's range.", 6, 5,
         {{"sum(increase(" + m("jobs_total") + failed + "[$__range])) or vector(0)", "", true}},
         "short", Thresholds({{"green", std::nullopt}, {"red", 1}}));
  b.Stat("Since last success", "Time since a job of each type last completed.", 6, 5,
         {{"time() - max by (job_type) (" + m("job_last_success_timestamp_seconds") + sel + ")",
           "{{job_type}}"}},
         "s", GreenOnly());
  b.Stat("Peak memory", "Highest memory sample of the current run of jobs.", 6, 5,
         {{"max(" + m("job_peak_memory_usage_bytes") + sel + ")"}}, "bytes", GreenOnly());

  b.Row("Jobs");
  b.Timeseries(
      "Jobs by status", "Jobs finished per minute.", 12, 8,
      {{"60 * " + SumRate("job_type, status", m("jobs_total"), sel), "{{job_type}} {{status}}"}},
      "opm");
  b.Timeseries(
      "Job duration (p50 / p95)", "", 12, 8,
      Quantiles("job_type", m("job_duration_seconds"), sel, "{{job_type}}", {"0.5", "0.95"}), "s");
  b.Timeseries("Retries by reason", "Retries per minute.", 12, 8,
               {{"60 * " + SumRate("job_type, reason", m("job_retries_total"), sel),
                 "{{job_type}} {{reason}}"}},
               "opm");
  b.Timeseries("Chunk duration p95 by size", "Chunks by size class (small, medium, large).", 12, 8,
               {{Quantile("0.95", "job_type, size", m("job_chunk_duration_seconds"), sel),
                 "{{job_type}} {{size}}"}},
               "s");

  b.Row("Throughput and memory");
  b.Timeseries("Records processed", "Records per second, and each job's own throughput.", 12, 8,
               {{SumRate("job_type", m("job_records_processed_total"), sel), "{{job_type}}"},
                {"max by (job_type) (" + m("job_throughput_records_per_second") + sel + ")",
                 "{{job_type}} (job throughput)"}},
               "ops");
  b.Timeseries(
      "Memory", "", 12, 8,
      {{"max by (job_type) (" + m("job_memory_usage_bytes") + sel + ")", "{{job_type}} current"},
       {"max by (job_type) (" + m("job_peak_memory_usage_bytes") + sel + ")", "{{job_type}} peak"}},
      "bytes");
  return b.Finish();
}

// Every SLO `vigil slo generate` rules record, picked with variables.
Dashboard SloOverviewDashboard(const DashboardOptions& o) {
  Builder b(o, "vigil-slos", "SLOs",
            "Every SLO compiled by `vigil slo generate` (docs/formats/slo.md): error budget, "
            "burn rates and SLAs, from the generated recording rules.",
            {"vigil", "slo"});
  b.LabelVariable("slo_service", "Service", "slo:objective:ratio", "slo_service");
  b.LabelVariable("slo", "SLO", R"(slo:objective:ratio{slo_service=~"$slo_service"})", "slo");
  const std::string sel = R"({slo_service=~"$slo_service", slo=~"$slo"})";
  const std::string budget = "slo:error_budget:ratio" + sel;
  const std::string windows =
      "label_replace({__name__=~\"slo:sli_error:ratio_rate.+\", "
      "slo_service=~\"$slo_service\", slo=~\"$slo\"}, \"window\", \"$1\", "
      "\"__name__\", \"slo:sli_error:ratio_rate(.+)\")";
  const std::string legend = "{{slo_service}} / {{slo}}";
  const Json burn =
      Thresholds({{"green", std::nullopt}, {"yellow", 1}, {"orange", 6}, {"red", 14.4}});

  b.Row("Error budget");
  b.BarGauge("Error budget remaining", "Over each SLO's whole window.", 12, 8,
             {{"slo:period_error_budget_remaining:ratio" + sel, legend}}, "percentunit",
             Thresholds({{"red", std::nullopt},
                         {"orange", 0},
                         {"green", 0.25}}))["fieldConfig"]["defaults"]["max"] = 1;
  Json& sli = b.Stat("SLI over the SLO window", "Success ratio over each SLO's whole window.", 6, 8,
                     {{"1 - (slo:period_burn_rate:ratio" + sel +
                           " * on (slo_service, slo) group_left " + budget + ")",
                       legend}},
                     "percentunit", GreenOnly());
  sli["fieldConfig"]["defaults"]["decimals"] = 3;
  b.Stat("Burn rate now", "Error ratio of the shortest alert window over the error budget.", 6, 8,
         {{"slo:current_burn_rate:ratio" + sel, legend}}, "suffix:x", burn);

  b.Row("Burn rate");
  Json& now = b.Timeseries("Current burn rate", "1x spends the budget exactly over the window.", 12,
                           8, {{"slo:current_burn_rate:ratio" + sel, legend}}, "suffix:x");
  now["fieldConfig"]["defaults"]["thresholds"] = burn;
  now["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"] = Json{{"mode", "dashed"}};
  Json& by_window =
      b.Timeseries("Burn rate by window",
                   "Every recorded SLI window's error ratio over the error budget.", 12, 8,
                   {{windows + " / on (slo_service, slo) group_left " + budget,
                     "{{slo_service}} / {{slo}} {{window}}"}},
                   "suffix:x");
  by_window["fieldConfig"]["defaults"]["thresholds"] = burn;
  by_window["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"] = Json{{"mode", "dashed"}};

  b.Row("Error ratio");
  b.Timeseries("SLI error ratio by window", "", 12, 8,
               {{windows, "{{slo_service}} / {{slo}} {{window}}"}}, "percentunit");
  b.Timeseries("Error budget remaining over time", "", 12, 8,
               {{"slo:period_error_budget_remaining:ratio" + sel, legend}}, "percentunit");

  b.Row("SLAs");
  Json& sla = b.Stat("SLA state", "slo:sla_violation:bool: 1 while the SLA is violated.", 8, 6,
                     {{R"(slo:sla_violation:bool{slo_service=~"$slo_service"})", legend}}, "none",
                     Thresholds({{"green", std::nullopt}, {"red", 1}}));
  sla["fieldConfig"]["defaults"]["mappings"] = BinaryMapping("OK", "VIOLATED");
  sla["options"]["graphMode"] = "none";
  Json& sla_time =
      b.Timeseries("SLA violations over time", "", 16, 6,
                   {{R"(slo:sla_violation:bool{slo_service=~"$slo_service"})", legend}}, "none");
  sla_time["fieldConfig"]["defaults"]["custom"]["lineInterpolation"] = "stepAfter";
  sla_time["fieldConfig"]["defaults"]["min"] = 0;
  sla_time["fieldConfig"]["defaults"]["max"] = 1;
  return b.Finish();
}

bool IsUidChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

// "vigil-slo-<service>", within Grafana's 40 characters: a long service
// name is cut and a hash of the whole name appended.
std::string SloUid(std::string_view service) {
  std::string s = "vigil-slo-";
  for (char c : service) s += IsUidChar(c) ? c : '-';
  if (s.size() <= kMaxUidLength) return s;
  uint32_t h = 2166136261u;  // FNV-1a
  for (char c : service) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", h);
  return s.substr(0, kMaxUidLength - 9) + "-" + hex;
}

// The name `vigil slo generate` records the error ratio over `w` under
// (slo::internal::SliRecordName).
std::string SliRecord(std::chrono::milliseconds w) {
  return "slo:sli_error:ratio_rate" + model::FormatDuration(w);
}

}  // namespace

Result<Dashboard> GenerateSloDashboard(const slo::SloFile& file, const DashboardOptions& o) {
  Builder b(o, SloUid(file.service), "SLOs: " + file.service,
            "SLOs of " + file.service + " from " +
                (file.filename.empty() ? std::string("an SLO file") : file.filename) +
                "; needs the rules of `vigil slo generate` loaded.",
            {"vigil", "slo"});
  const Json burn_thresholds =
      Thresholds({{"green", std::nullopt}, {"yellow", 1}, {"orange", 6}, {"red", 14.4}});
  for (const slo::Slo& s : file.slos) {
    const std::string sel =
        "{slo_service=" + Quoted(file.service) + ", slo=" + Quoted(s.name) + "}";
    const std::string period = model::FormatDuration(s.window);
    const std::string objective = Num(s.objective_percent);
    const std::vector<std::chrono::milliseconds> windows = slo::SliWindows(s.window);
    const std::vector<slo::BurnWindow> alerts = slo::AlertWindows(s.window);
    b.Row("SLO " + s.name + ": " + objective + "% over " + period);

    Json& sli = b.Stat(
        "SLI over " + period,
        (s.description.empty() ? "" : s.description + " ") + "Objective " + objective + "%.", 4, 6,
        {{"1 - " + SliRecord(s.window) + sel, "SLI"}}, "percentunit",
        Thresholds({{"red", std::nullopt}, {"green", std::stod(Num(s.objective_percent / 100))}}));
    sli["fieldConfig"]["defaults"]["decimals"] = 3;
    sli["options"]["graphMode"] = "none";
    b.Gauge("Error budget remaining", "Share of the " + period + " error budget left.", 4, 6,
            {{"slo:period_error_budget_remaining:ratio" + sel, "remaining"}}, "percentunit", 0, 1,
            Thresholds({{"red", std::nullopt}, {"orange", 0}, {"green", 0.25}}));
    b.Stat("Burn rate now",
           "Error ratio over " + model::FormatDuration(windows.front()) +
               " divided by the error budget.",
           4, 6, {{"slo:current_burn_rate:ratio" + sel, "burn rate"}}, "suffix:x", burn_thresholds);

    std::string alert_text;
    for (const slo::BurnWindow& w : alerts) {
      if (!alert_text.empty()) alert_text += "; ";
      alert_text += std::string(w.page ? "page" : "ticket") + " above " + Num(w.factor) +
                    "x over " + model::FormatDuration(w.long_window) + " and " +
                    model::FormatDuration(w.short_window);
    }
    std::vector<Query> burns;
    for (std::chrono::milliseconds w : windows) {
      burns.push_back({SliRecord(w) + sel + " / on (slo_service, slo) group_left " +
                           "slo:error_budget:ratio" + sel,
                       model::FormatDuration(w)});
    }
    Json& burn = b.Timeseries("Burn rate by alert window",
                              "Error ratio over each alert window divided by the error budget. "
                              "Alerts: " +
                                  alert_text + ".",
                              12, 6, burns, "suffix:x");
    burn["fieldConfig"]["defaults"]["thresholds"] = burn_thresholds;
    burn["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"] = Json{{"mode", "dashed"}};

    Json& over_time = b.Timeseries("SLI over time", "", 12, 7,
                                   {{"1 - " + SliRecord(windows.front()) + sel,
                                     "SLI (" + model::FormatDuration(windows.front()) + ")"},
                                    {"1 - " + SliRecord(windows.back()) + sel,
                                     "SLI (" + model::FormatDuration(windows.back()) + ")"},
                                    {"slo:objective:ratio" + sel, "objective"}},
                                   "percentunit");
    over_time["fieldConfig"]["defaults"]["decimals"] = 3;
    over_time["fieldConfig"]["overrides"] =
        Json::array({OverrideByName("objective", "color", FixedColor("red"))});
    b.Timeseries("Error budget remaining over time", "", 12, 7,
                 {{"slo:period_error_budget_remaining:ratio" + sel, "remaining"}}, "percentunit");
  }
  if (!file.slas.empty()) b.Row("SLAs");
  for (const slo::Sla& s : file.slas) {
    const std::string sel =
        "{slo_service=" + Quoted(file.service) + ", slo=" + Quoted(s.name) + "}";
    Json& state = b.Stat("SLA " + s.name,
                         (s.description.empty() ? "" : s.description + " ") + "Violated while " +
                             s.expr + " > " + Num(s.threshold) + ".",
                         6, 6, {{"slo:sla_violation:bool" + sel, s.name}}, "none",
                         Thresholds({{"green", std::nullopt}, {"red", 1}}));
    state["fieldConfig"]["defaults"]["mappings"] = BinaryMapping("OK", "VIOLATED");
    state["options"]["graphMode"] = "none";
    Json& value =
        b.Timeseries("SLA " + s.name + ": value and threshold",
                     "The red dashed line is the threshold.", 18, 6, {{s.expr, s.name}}, "short");
    value["fieldConfig"]["defaults"]["thresholds"] =
        Thresholds({{"green", std::nullopt}, {"red", s.threshold}});
    value["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"] = Json{{"mode", "dashed"}};
  }
  Dashboard d = b.Finish();
  // The SLO file's own text (an SLA's expression) goes into queries, so a
  // failure here is the file's, not a bug.
  if (Status st = ValidateDashboard(d.json); !st.ok()) {
    return InvalidArgumentError((file.filename.empty() ? std::string("SLO file") : file.filename) +
                                ": the dashboard of service \"" + file.service +
                                "\" is not valid: " + std::string(st.message()));
  }
  return d;
}

Result<std::vector<Dashboard>> GenerateDashboards(const DashboardOptions& options) {
  if (!options.metric_namespace.empty() &&
      !model::IsValidMetricName(options.metric_namespace + "_x")) {
    return InvalidArgumentError("namespace \"" + options.metric_namespace +
                                "\" is not a metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)");
  }
  if (options.datasource_uid.size() > kMaxUidLength ||
      !std::all_of(options.datasource_uid.begin(), options.datasource_uid.end(), IsUidChar)) {
    return InvalidArgumentError("datasource UID \"" + options.datasource_uid +
                                "\" is not a Grafana UID (at most 40 of a-z A-Z 0-9 - _)");
  }
  std::vector<Dashboard> out = {InferenceDashboard(options), PipelineDashboard(options),
                                AnomalyDashboard(options), BatchJobsDashboard(options),
                                SloOverviewDashboard(options)};
  for (const Dashboard& d : out) {
    if (Status st = ValidateDashboard(d.json); !st.ok()) {
      return Status(StatusCode::kInternal, d.file_name + ": generated dashboard is not valid: " +
                                               std::string(st.message()));
    }
  }
  std::map<std::string, std::string> uids;  // uid -> SLO file
  for (const std::string& path : options.slo_files) {
    VIGIL_ASSIGN_OR_RETURN(slo::SloFile file, slo::LoadSloFile(path));
    VIGIL_ASSIGN_OR_RETURN(Dashboard d, GenerateSloDashboard(file, options));
    auto [it, inserted] = uids.emplace(d.uid, path);
    if (!inserted) {
      return InvalidArgumentError(path + " and " + it->second + " give the same dashboard uid " +
                                  d.uid + " (service \"" + file.service +
                                  "\"): put a service's SLOs in one file");
    }
    out.push_back(std::move(d));
  }
  return out;
}

// ---------------------------------------------------------------------------
// The checker

namespace {

using CJson = nlohmann::json;

const std::set<std::string, std::less<>>& PanelTypes() {
  static const auto* types = new std::set<std::string, std::less<>>{
      "alertlist", "annolist",       "barchart",       "bargauge",  "candlestick", "canvas",
      "dashlist",  "datagrid",       "flamegraph",     "gauge",     "geomap",      "heatmap",
      "histogram", "logs",           "news",           "nodeGraph", "piechart",    "row",
      "stat",      "state-timeline", "status-history", "table",     "text",        "timeseries",
      "traces",    "trend",          "xychart"};
  return *types;
}

// Angular panels Grafana 11 no longer loads.
const std::set<std::string, std::less<>>& RemovedPanelTypes() {
  static const auto* types = new std::set<std::string, std::less<>>{
      "graph", "singlestat", "table-old", "grafana-piechart-panel", "grafana-worldmap-panel"};
  return *types;
}

const std::set<std::string, std::less<>>& Units() {
  static const auto* units = new std::set<std::string, std::less<>>{
      // misc
      "none", "short", "percent", "percentunit", "humidity", "dB", "hex0x", "hex", "sci", "locale",
      "pixel", "string", "bool", "bool_yes_no", "bool_on_off",
      // data
      "bytes", "decbytes", "bits", "decbits", "kbytes", "mbytes", "gbytes", "tbytes", "pbytes",
      "deckbytes", "decmbytes", "decgbytes", "dectbytes", "decpbytes",
      // data rate
      "pps", "binBps", "Bps", "binbps", "bps", "KiBs", "Kibits", "KBs", "Kbits", "MiBs", "Mibits",
      "MBs", "Mbits", "GiBs", "Gibits", "GBs", "Gbits",
      // throughput
      "cps", "ops", "reqps", "rps", "wps", "iops", "eps", "mps", "recps", "rowsps", "cpm", "opm",
      "reqpm", "rpm", "wpm", "epm", "mpm", "recpm", "rowspm",
      // time
      "hertz", "ns", "µs", "ms", "s", "m", "h", "d", "dtdurationms", "dtdurations", "dthms",
      "dtdhms", "timeticks", "clockms", "clocks",
      // date
      "dateTimeAsIso", "dateTimeAsIsoNoDateIfToday", "dateTimeAsUS", "dateTimeAsUSNoDateIfToday",
      "dateTimeAsLocal", "dateTimeAsLocalNoDateIfToday", "dateTimeAsSystem", "dateTimeFromNow",
      // energy, temperature
      "watt", "kwatt", "megwatt", "gwatt", "mwatt", "watth", "kwatth", "joule", "volt", "kvolt",
      "mvolt", "amp", "kamp", "mamp", "celsius", "fahrenheit", "kelvin",
      // currency
      "currencyUSD", "currencyEUR", "currencyGBP", "currencyJPY"};
  return *units;
}

bool KnownUnit(std::string_view u) {
  for (std::string_view custom : {"suffix:", "prefix:", "si:", "count:", "currency:", "time:"}) {
    if (u.starts_with(custom)) return true;
  }
  return Units().count(u) != 0;
}

const std::set<std::string, std::less<>> kDashboardFields = {"__elements",
                                                             "__inputs",
                                                             "__requires",
                                                             "annotations",
                                                             "description",
                                                             "editable",
                                                             "fiscalYearStartMonth",
                                                             "gnetId",
                                                             "graphTooltip",
                                                             "id",
                                                             "links",
                                                             "liveNow",
                                                             "panels",
                                                             "preload",
                                                             "refresh",
                                                             "revision",
                                                             "schemaVersion",
                                                             "snapshot",
                                                             "style",
                                                             "tags",
                                                             "templating",
                                                             "time",
                                                             "timepicker",
                                                             "timezone",
                                                             "title",
                                                             "uid",
                                                             "version",
                                                             "weekStart"};

const std::set<std::string, std::less<>> kPanelFields = {"cacheTimeout",
                                                         "collapsed",
                                                         "datasource",
                                                         "description",
                                                         "fieldConfig",
                                                         "gridPos",
                                                         "hideTimeOverride",
                                                         "id",
                                                         "interval",
                                                         "libraryPanel",
                                                         "links",
                                                         "maxDataPoints",
                                                         "maxPerRow",
                                                         "options",
                                                         "panels",
                                                         "pluginVersion",
                                                         "queryCachingTTL",
                                                         "repeat",
                                                         "repeatDirection",
                                                         "repeatPanelId",
                                                         "tags",
                                                         "targets",
                                                         "thresholds",
                                                         "timeFrom",
                                                         "timeRegions",
                                                         "timeShift",
                                                         "title",
                                                         "transformations",
                                                         "transparent",
                                                         "type"};

const std::set<std::string, std::less<>> kFieldConfigFields = {
    "color",      "custom",     "decimals", "description", "displayName", "displayNameFromDS",
    "filterable", "links",      "mappings", "max",         "min",         "noValue",
    "path",       "thresholds", "unit",     "writeable",   "fieldMinMax"};

const std::set<std::string, std::less<>> kVariableTypes = {"query",      "adhoc",    "constant",
                                                           "datasource", "interval", "textbox",
                                                           "custom",     "system",   "groupby"};

// Grafana's built-in variables and the values they stand for when an
// expression is parsed.
const std::map<std::string, std::string, std::less<>>& BuiltinVariables() {
  static const auto* vars =
      new std::map<std::string, std::string, std::less<>>{{"__rate_interval", "1m"},
                                                          {"__interval", "1m"},
                                                          {"__interval_ms", "60000"},
                                                          {"__range", "1h"},
                                                          {"__range_s", "3600"},
                                                          {"__range_ms", "3600000"},
                                                          {"__from", "0"},
                                                          {"__to", "3600000"},
                                                          {"__dashboard", "x"},
                                                          {"__org", "1"},
                                                          {"__user", "x"},
                                                          {"__rate_interval_ms", "60000"}};
  return *vars;
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

std::string TypeName(const CJson& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

class Checker {
 public:
  std::vector<std::string> Run(std::string_view text) {
    CJson d;
    // nlohmann::json throws on malformed input; this adapter turns it into
    // a problem (STYLE.md 1.5.4 a).
    try {
      d = CJson::parse(text);
    } catch (const CJson::exception& e) {
      problems_.push_back(std::string("not valid JSON: ") + e.what());
      return problems_;
    }
    if (!d.is_object()) {
      problems_.push_back("the dashboard must be a JSON object, not " + TypeName(d));
      return problems_;
    }
    CheckDashboardFields(d);
    CollectVariables(d);
    CheckVariables(d);
    CheckAnnotations(d);
    if (const CJson* panels = Find(d, "panels"); panels != nullptr && panels->is_array()) {
      std::vector<Placed> placed;
      for (size_t i = 0; i < panels->size(); ++i) CheckPanel((*panels)[i], i, false, &placed);
      CheckOverlaps(placed);
    }
    return problems_;
  }

 private:
  struct Placed {
    std::string where;
    int x, y, w, h;
  };

  void Problem(const std::string& where, const std::string& what) {
    problems_.push_back(where + ": " + what);
  }

  static const CJson* Find(const CJson& obj, std::string_view key) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
  }

  // Type checks of obj[key]; absent is a problem only when required.
  const CJson* String(const CJson& obj, std::string_view key, const std::string& where,
                      bool required, bool non_empty = false) {
    const CJson* v = Find(obj, key);
    if (v == nullptr) {
      if (required) Problem(where, std::string(key) + ": missing");
      return nullptr;
    }
    if (!v->is_string()) {
      Problem(where, std::string(key) + ": must be a string, not " + TypeName(*v));
      return nullptr;
    }
    if (non_empty && v->get_ref<const std::string&>().empty()) {
      Problem(where, std::string(key) + ": must not be empty");
    }
    return v;
  }

  void Bool(const CJson& obj, std::string_view key, const std::string& where) {
    const CJson* v = Find(obj, key);
    if (v != nullptr && !v->is_boolean()) {
      Problem(where, std::string(key) + ": must be a boolean, not " + TypeName(*v));
    }
  }

  // An integer in [min, max]; returns it when valid.
  std::optional<int64_t> Int(const CJson& obj, std::string_view key, const std::string& where,
                             bool required, int64_t min, int64_t max) {
    const CJson* v = Find(obj, key);
    if (v == nullptr) {
      if (required) Problem(where, std::string(key) + ": missing");
      return std::nullopt;
    }
    if (!v->is_number_integer()) {
      Problem(where, std::string(key) + ": must be an integer, not " +
                         (v->is_number() ? std::string("a fraction") : TypeName(*v)));
      return std::nullopt;
    }
    const int64_t i =
        v->is_number_unsigned() && v->get<uint64_t>() > INT64_MAX ? INT64_MAX : v->get<int64_t>();
    if (i < min || i > max) {
      Problem(where, std::string(key) + ": " + std::to_string(i) + " is out of range [" +
                         std::to_string(min) + ", " + std::to_string(max) + "]");
      return std::nullopt;
    }
    return i;
  }

  void Number(const CJson& obj, std::string_view key, const std::string& where) {
    const CJson* v = Find(obj, key);
    if (v != nullptr && !v->is_number() && !v->is_null()) {
      Problem(where, std::string(key) + ": must be a number, not " + TypeName(*v));
    }
  }

  const CJson* Object(const CJson& obj, std::string_view key, const std::string& where,
                      bool required) {
    const CJson* v = Find(obj, key);
    if (v == nullptr) {
      if (required) Problem(where, std::string(key) + ": missing");
      return nullptr;
    }
    if (!v->is_object()) {
      Problem(where, std::string(key) + ": must be an object, not " + TypeName(*v));
      return nullptr;
    }
    return v;
  }

  const CJson* Array(const CJson& obj, std::string_view key, const std::string& where,
                     bool required) {
    const CJson* v = Find(obj, key);
    if (v == nullptr) {
      if (required) Problem(where, std::string(key) + ": missing");
      return nullptr;
    }
    if (!v->is_array()) {
      Problem(where, std::string(key) + ": must be an array, not " + TypeName(*v));
      return nullptr;
    }
    return v;
  }

  void StringArray(const CJson& obj, std::string_view key, const std::string& where) {
    const CJson* a = Array(obj, key, where, false);
    if (a == nullptr) return;
    for (size_t i = 0; i < a->size(); ++i) {
      if (!(*a)[i].is_string()) {
        Problem(where, std::string(key) + "[" + std::to_string(i) + "]: must be a string, not " +
                           TypeName((*a)[i]));
      }
    }
  }

  void KnownFields(const CJson& obj, const std::set<std::string, std::less<>>& known,
                   const std::string& where, std::string_view prefix = {}) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      if (known.count(it.key()) == 0) {
        Problem(where, std::string(prefix) + it.key() + ": unknown field");
      }
    }
  }

  void CheckDashboardFields(const CJson& d) {
    const std::string where = "dashboard";
    KnownFields(d, kDashboardFields, where);
    String(d, "title", where, true, true);
    if (const CJson* uid = String(d, "uid", where, true, true); uid != nullptr) {
      const auto& s = uid->get_ref<const std::string&>();
      if (s.size() > kMaxUidLength || !std::all_of(s.begin(), s.end(), IsUidChar)) {
        Problem(where, "uid: \"" + s + "\" is not a Grafana UID (at most 40 of a-z A-Z 0-9 - _)");
      }
    }
    if (const CJson* id = Find(d, "id");
        id != nullptr && !id->is_null() && !id->is_number_integer()) {
      Problem(where, "id: must be null or an integer, not " + TypeName(*id));
    }
    Int(d, "schemaVersion", where, true, 36, 65535);
    Int(d, "version", where, false, 0, UINT32_MAX);
    String(d, "description", where, false);
    StringArray(d, "tags", where);
    String(d, "timezone", where, false);
    Bool(d, "editable", where);
    Bool(d, "liveNow", where);
    Int(d, "graphTooltip", where, false, 0, 2);
    Int(d, "fiscalYearStartMonth", where, false, 0, 11);
    String(d, "weekStart", where, false);
    if (const CJson* time = Object(d, "time", where, false); time != nullptr) {
      String(*time, "from", where + ": time", true, true);
      String(*time, "to", where + ": time", true, true);
    }
    Object(d, "timepicker", where, false);
    if (const CJson* refresh = Find(d, "refresh"); refresh != nullptr) {
      if (refresh->is_boolean()) {
        if (refresh->get<bool>()) Problem(where, "refresh: may be false or a duration, not true");
      } else if (!refresh->is_string()) {
        Problem(where, "refresh: must be a string or false, not " + TypeName(*refresh));
      } else if (const auto& r = refresh->get_ref<const std::string&>();
                 !r.empty() && !promql::ParseDurationMs(r).ok()) {
        Problem(where, "refresh: \"" + r + "\" is not a duration");
      }
    }
    Array(d, "panels", where, true);
    if (const CJson* t = Object(d, "templating", where, false); t != nullptr) {
      Array(*t, "list", where + ": templating", false);
    }
    if (const CJson* a = Object(d, "annotations", where, false); a != nullptr) {
      Array(*a, "list", where + ": annotations", false);
    }
    if (const CJson* links = Array(d, "links", where, false); links != nullptr) {
      for (size_t i = 0; i < links->size(); ++i) {
        const CJson& l = (*links)[i];
        const std::string lw = "links[" + std::to_string(i) + "]";
        if (!l.is_object()) {
          Problem(lw, "must be an object, not " + TypeName(l));
          continue;
        }
        String(l, "title", lw, true);
        if (const CJson* type = String(l, "type", lw, true);
            type != nullptr && *type != "link" && *type != "dashboards") {
          Problem(lw, "type: must be \"link\" or \"dashboards\"");
        }
        StringArray(l, "tags", lw);
        for (const char* b : {"asDropdown", "targetBlank", "includeVars", "keepTime"}) {
          Bool(l, b, lw);
        }
        String(l, "url", lw, false);
        String(l, "icon", lw, false);
        String(l, "tooltip", lw, false);
      }
    }
  }

  static const CJson* VariableList(const CJson& d) {
    const CJson* t = Find(d, "templating");
    const CJson* list = t == nullptr ? nullptr : Find(*t, "list");
    return list != nullptr && list->is_array() ? list : nullptr;
  }

  // The values variables stand for while expressions are parsed.
  void CollectVariables(const CJson& d) {
    const CJson* list = VariableList(d);
    if (list == nullptr) return;
    for (const CJson& v : *list) {
      const CJson* name = Find(v, "name");
      const CJson* type = Find(v, "type");
      if (name == nullptr || !name->is_string() || type == nullptr || !type->is_string()) continue;
      const std::string& t = type->get_ref<const std::string&>();
      std::string value = "x";
      const CJson* q = Find(v, "query");
      const std::string query = q != nullptr && q->is_string() ? q->get<std::string>() : "";
      if (t == "interval" || t == "custom") {
        value = query.substr(0, query.find(','));
        if (t == "interval" && value.empty()) value = "1m";
        if (value.empty()) value = "x";
      } else if (t == "constant" || t == "textbox") {
        if (!query.empty()) value = query;
      } else if (t == "datasource") {
        datasource_variables_.insert(name->get<std::string>());
      }
      variables_[name->get<std::string>()] = value;
    }
  }

  // `text` with every template variable replaced; an error names an
  // undefined one.
  Result<std::string> Interpolate(std::string_view text) const {
    std::string out;
    auto lookup = [&](std::string_view name) -> Result<std::string> {
      if (auto it = variables_.find(name); it != variables_.end()) return it->second;
      if (auto it = BuiltinVariables().find(name); it != BuiltinVariables().end()) {
        return it->second;
      }
      return InvalidArgumentError("undefined template variable $" + std::string(name));
    };
    for (size_t i = 0; i < text.size();) {
      if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
        const size_t close = text.find('}', i);
        if (close == std::string_view::npos) {
          return InvalidArgumentError("unterminated ${ at byte " + std::to_string(i));
        }
        std::string_view inner = text.substr(i + 2, close - i - 2);
        const std::string_view name = inner.substr(0, inner.find_first_of(":."));
        VIGIL_ASSIGN_OR_RETURN(std::string value, lookup(name));
        out += value;
        i = close + 1;
      } else if (text[i] == '$') {
        size_t j = i + 1;
        while (j < text.size() && IsWordChar(text[j])) ++j;
        const std::string_view name = text.substr(i + 1, j - i - 1);
        if (name.empty() || std::all_of(name.begin(), name.end(), [](char c) {
              return std::isdigit(static_cast<unsigned char>(c)) != 0;
            })) {
          out += text.substr(i, j - i);  // "$" alone, or a regex group ($1)
        } else {
          VIGIL_ASSIGN_OR_RETURN(std::string value, lookup(name));
          out += value;
        }
        i = j;
      } else if (text.substr(i, 2) == "[[") {
        const size_t close = text.find("]]", i);
        std::string_view inner =
            close == std::string_view::npos ? "" : text.substr(i + 2, close - i - 2);
        const std::string_view name = inner.substr(0, inner.find(':'));
        if (close == std::string_view::npos || name.empty() ||
            !std::all_of(name.begin(), name.end(), IsWordChar)) {
          out += "[[";  // not a variable: PromQL will judge it
          i += 2;
          continue;
        }
        VIGIL_ASSIGN_OR_RETURN(std::string value, lookup(name));
        out += value;
        i = close + 2;
      } else {
        out += text[i++];
      }
    }
    return out;
  }

  // Checks one PromQL expression of a panel target or an annotation.
  void CheckExpr(std::string_view expr, const std::string& where, bool heatmap_buckets) {
    Result<std::string> text = Interpolate(expr);
    if (!text.ok()) {
      Problem(where, std::string(text.status().message()));
      return;
    }
    Result<promql::ExprPtr> parsed = promql::ParseExpr(*text);
    if (!parsed.ok()) {
      Problem(where, std::string(parsed.status().message()) + " (in `" + *text + "`)");
      return;
    }
    const promql::Expr& e = **parsed;
    const promql::ValueType t = e.type();
    if (t != promql::ValueType::kVector && t != promql::ValueType::kScalar) {
      Problem(where, "gives a " + std::string(promql::ValueTypeName(t)) +
                         ", not an instant vector or scalar");
    }
    CheckHistogramQuantiles(e, where);
    if (heatmap_buckets) {
      const promql::Expr* top = Unparen(&e);
      bool by_le = false;
      if (top->kind == promql::ExprKind::kAggregate) {
        const auto& agg = static_cast<const promql::AggregateExpr&>(*top);
        by_le = !agg.without && std::count(agg.grouping.begin(), agg.grouping.end(), "le") > 0;
      }
      if (!ReadsBuckets(e) || !by_le) {
        Problem(where,
                "a heat map of buckets (format heatmap) needs _bucket series "
                "aggregated by (le)");
      }
    }
  }

  static const promql::Expr* Unparen(const promql::Expr* e) {
    while (e->kind == promql::ExprKind::kParen) {
      e = static_cast<const promql::ParenExpr*>(e)->expr.get();
    }
    return e;
  }

  // Calls f on e and every expression below it.
  template <typename F>
  static void Walk(const promql::Expr& e, const F& f) {
    f(e);
    using promql::ExprKind;
    switch (e.kind) {
      case ExprKind::kMatrixSelector:
        Walk(*static_cast<const promql::MatrixSelector&>(e).vector_selector, f);
        break;
      case ExprKind::kSubquery:
        Walk(*static_cast<const promql::SubqueryExpr&>(e).expr, f);
        break;
      case ExprKind::kParen:
        Walk(*static_cast<const promql::ParenExpr&>(e).expr, f);
        break;
      case ExprKind::kUnary:
        Walk(*static_cast<const promql::UnaryExpr&>(e).expr, f);
        break;
      case ExprKind::kBinary: {
        const auto& b = static_cast<const promql::BinaryExpr&>(e);
        Walk(*b.lhs, f);
        Walk(*b.rhs, f);
        break;
      }
      case ExprKind::kCall:
        for (const auto& a : static_cast<const promql::Call&>(e).args) Walk(*a, f);
        break;
      case ExprKind::kAggregate: {
        const auto& a = static_cast<const promql::AggregateExpr&>(e);
        if (a.param) Walk(*a.param, f);
        Walk(*a.expr, f);
        break;
      }
      default:
        break;
    }
  }

  static bool ReadsBuckets(const promql::Expr& e) {
    bool found = false;
    Walk(e, [&](const promql::Expr& x) {
      if (x.kind != promql::ExprKind::kVectorSelector) return;
      for (const model::Matcher& m : static_cast<const promql::VectorSelector&>(x).matchers) {
        if (m.name() == "__name__" && m.value().find("_bucket") != std::string::npos) found = true;
      }
    });
    return found;
  }

  // histogram_quantile(q, v): v must read _bucket series and, when it
  // aggregates, keep le.
  void CheckHistogramQuantiles(const promql::Expr& e, const std::string& where) {
    Walk(e, [&](const promql::Expr& x) {
      if (x.kind != promql::ExprKind::kCall) return;
      const auto& call = static_cast<const promql::Call&>(x);
      if (call.func == nullptr || call.func->name != "histogram_quantile" ||
          call.args.size() != 2) {
        return;
      }
      const promql::Expr* v = Unparen(call.args[1].get());
      if (!ReadsBuckets(*v)) {
        Problem(where, "histogram_quantile() reads no _bucket series");
      }
      if (v->kind == promql::ExprKind::kAggregate) {
        const auto& agg = static_cast<const promql::AggregateExpr&>(*v);
        const bool has_le = std::count(agg.grouping.begin(), agg.grouping.end(), "le") > 0;
        if (agg.without == has_le) {
          Problem(where,
                  "histogram_quantile() over an aggregation that drops the le label "
                  "(aggregate by (le, ...))");
        }
      }
    });
  }

  // A data source reference: {type, uid} strings; a uid naming a variable
  // must name a datasource variable.
  void CheckDatasource(const CJson& parent, const std::string& where) {
    const CJson* ds = Find(parent, "datasource");
    if (ds == nullptr || ds->is_null()) return;
    if (ds->is_string()) {
      Problem(where,
              "datasource: a data source name string is the pre-8.3 form; use "
              "{\"type\", \"uid\"}");
      return;
    }
    if (!ds->is_object()) {
      Problem(where, "datasource: must be an object, not " + TypeName(*ds));
      return;
    }
    String(*ds, "type", where + ": datasource", false);
    if (const CJson* uid = String(*ds, "uid", where + ": datasource", false); uid != nullptr) {
      const auto& u = uid->get_ref<const std::string&>();
      if (u.starts_with("$")) {
        std::string name =
            u.starts_with("${") ? u.substr(2, u.find_first_of(":}") - 2) : u.substr(1);
        if (datasource_variables_.count(name) == 0) {
          Problem(where, "datasource.uid: \"" + u + "\" names no datasource variable");
        }
      }
    }
  }

  void CheckThresholds(const CJson& t, const std::string& where) {
    if (!t.is_object()) {
      Problem(where, "must be an object, not " + TypeName(t));
      return;
    }
    if (const CJson* mode = String(t, "mode", where, true);
        mode != nullptr && *mode != "absolute" && *mode != "percentage") {
      Problem(where, "mode: must be \"absolute\" or \"percentage\"");
    }
    const CJson* steps = Array(t, "steps", where, true);
    if (steps == nullptr) return;
    std::optional<double> last;
    for (size_t i = 0; i < steps->size(); ++i) {
      const CJson& s = (*steps)[i];
      const std::string sw = where + ".steps[" + std::to_string(i) + "]";
      if (!s.is_object()) {
        Problem(sw, "must be an object, not " + TypeName(s));
        continue;
      }
      String(s, "color", sw, true, true);
      const CJson* v = Find(s, "value");
      if (i == 0) {
        if (v != nullptr && !v->is_null()) Problem(sw, "value: the first step's must be null");
        continue;
      }
      if (v == nullptr || !v->is_number()) {
        Problem(sw, "value: must be a number");
        continue;
      }
      const double x = v->get<double>();
      if (last.has_value() && x < *last) Problem(sw, "value: steps must be sorted by value");
      last = x;
    }
  }

  void CheckUnit(const CJson& v, const std::string& where) {
    if (!v.is_string()) {
      Problem(where, "must be a string, not " + TypeName(v));
    } else if (!KnownUnit(v.get_ref<const std::string&>())) {
      Problem(where, "\"" + v.get<std::string>() + "\" is not a Grafana unit");
    }
  }

  void CheckFieldConfig(const CJson& p, const std::string& where) {
    const CJson* fc = Object(p, "fieldConfig", where, true);
    if (fc == nullptr) return;
    const std::string fw = where + ": fieldConfig";
    KnownFields(*fc, {"defaults", "overrides"}, fw, "");
    if (const CJson* defaults = Object(*fc, "defaults", fw, true); defaults != nullptr) {
      const std::string dw = where + ": fieldConfig.defaults";
      KnownFields(*defaults, kFieldConfigFields, dw);
      if (const CJson* unit = Find(*defaults, "unit"); unit != nullptr) {
        CheckUnit(*unit, dw + ".unit");
      }
      for (const char* n : {"min", "max", "decimals"}) Number(*defaults, n, dw);
      for (const char* s : {"displayName", "noValue", "description"})
        String(*defaults, s, dw, false);
      if (const CJson* t = Find(*defaults, "thresholds"); t != nullptr) {
        CheckThresholds(*t, dw + ".thresholds");
      }
      if (const CJson* color = Object(*defaults, "color", dw, false); color != nullptr) {
        String(*color, "mode", dw + ".color", true, true);
      }
      Object(*defaults, "custom", dw, false);
      if (const CJson* mappings = Array(*defaults, "mappings", dw, false); mappings != nullptr) {
        for (size_t i = 0; i < mappings->size(); ++i) {
          const CJson& m = (*mappings)[i];
          const std::string mw = dw + ".mappings[" + std::to_string(i) + "]";
          if (const CJson* type = String(m, "type", mw, true);
              type != nullptr && *type != "value" && *type != "range" && *type != "regex" &&
              *type != "special") {
            Problem(mw, "type: must be value, range, regex or special");
          }
          Object(m, "options", mw, true);
        }
      }
    }
    if (const CJson* overrides = Array(*fc, "overrides", fw, true); overrides != nullptr) {
      for (size_t i = 0; i < overrides->size(); ++i) {
        const CJson& o = (*overrides)[i];
        const std::string ow = where + ": fieldConfig.overrides[" + std::to_string(i) + "]";
        if (!o.is_object()) {
          Problem(ow, "must be an object, not " + TypeName(o));
          continue;
        }
        if (const CJson* matcher = Object(o, "matcher", ow, true); matcher != nullptr) {
          String(*matcher, "id", ow + ".matcher", true, true);
        }
        const CJson* props = Array(o, "properties", ow, true);
        if (props == nullptr) continue;
        for (size_t j = 0; j < props->size(); ++j) {
          const CJson& prop = (*props)[j];
          const std::string pw = ow + ".properties[" + std::to_string(j) + "]";
          const CJson* id = String(prop, "id", pw, true, true);
          if (id == nullptr) continue;
          const CJson* value = Find(prop, "value");
          if (value == nullptr) continue;
          if (*id == "unit") CheckUnit(*value, pw + ".value");
          if (*id == "thresholds") CheckThresholds(*value, pw + ".value");
          if ((*id == "min" || *id == "max" || *id == "decimals") && !value->is_number()) {
            Problem(pw, "value: must be a number, not " + TypeName(*value));
          }
        }
      }
    }
  }

  void CheckTargets(const CJson& p, const std::string& where, bool heatmap_buckets) {
    const CJson* targets = Array(p, "targets", where, true);
    if (targets == nullptr) return;
    if (targets->empty()) Problem(where, "targets: a panel with no queries shows nothing");
    std::set<std::string> refs;
    for (size_t i = 0; i < targets->size(); ++i) {
      const CJson& t = (*targets)[i];
      const std::string tw = where + ": targets[" + std::to_string(i) + "]";
      if (!t.is_object()) {
        Problem(tw, "must be an object, not " + TypeName(t));
        continue;
      }
      if (const CJson* ref = String(t, "refId", tw, true, true); ref != nullptr) {
        if (!refs.insert(ref->get<std::string>()).second) {
          Problem(tw, "refId: \"" + ref->get<std::string>() + "\" is used twice in the panel");
        }
      }
      CheckDatasource(t, tw);
      String(t, "legendFormat", tw, false);
      String(t, "interval", tw, false);
      String(t, "editorMode", tw, false);
      for (const char* b : {"instant", "range", "hide", "exemplar"}) Bool(t, b, tw);
      const CJson* format = String(t, "format", tw, false);
      if (format != nullptr && *format != "time_series" && *format != "table" &&
          *format != "heatmap") {
        Problem(tw, "format: must be time_series, table or heatmap");
      }
      const CJson* expr = String(t, "expr", tw, true, true);
      if (expr == nullptr || expr->get_ref<const std::string&>().empty()) continue;
      const CJson* hide = Find(t, "hide");
      if (hide != nullptr && hide->is_boolean() && hide->get<bool>()) continue;
      const bool buckets = heatmap_buckets && format != nullptr && *format == "heatmap";
      if (heatmap_buckets && !buckets) {
        Problem(tw,
                "format: a heat map that does not calculate its buckets needs format "
                "\"heatmap\"");
      }
      CheckExpr(expr->get_ref<const std::string&>(), tw + ".expr", buckets);
    }
  }

  // `index` is the position in the enclosing panels array.
  void CheckPanel(const CJson& p, size_t index, bool nested, std::vector<Placed>* placed) {
    std::string where =
        (nested ? "row panel " : "panels[") + std::to_string(index) + (nested ? "" : "]");
    if (!p.is_object()) {
      Problem(where, "must be an object, not " + TypeName(p));
      return;
    }
    std::optional<int64_t> id = Int(p, "id", where, true, 0, UINT32_MAX);
    const CJson* title = Find(p, "title");
    if (id.has_value()) {
      where = "panel " + std::to_string(*id);
      if (title != nullptr && title->is_string()) where += " \"" + title->get<std::string>() + "\"";
      if (!ids_.insert(*id).second) Problem(where, "id: used by another panel");
    }
    KnownFields(p, kPanelFields, where);
    String(p, "title", where, false);
    String(p, "description", where, false);
    Bool(p, "transparent", where);
    String(p, "interval", where, false);
    Number(p, "maxDataPoints", where);
    const CJson* type = String(p, "type", where, true, true);
    std::string t = type == nullptr ? "" : type->get<std::string>();
    if (!t.empty() && RemovedPanelTypes().count(t) != 0) {
      Problem(where, "type: \"" + t +
                         "\" is a deprecated Angular panel (Grafana 11 runs no Angular panels)");
    } else if (!t.empty() && PanelTypes().count(t) == 0) {
      Problem(where, "type: \"" + t + "\" is not a known Grafana panel type");
    }
    if (const CJson* repeat = String(p, "repeat", where, false);
        repeat != nullptr && variables_.count(repeat->get<std::string>()) == 0) {
      Problem(where, "repeat: no variable \"" + repeat->get<std::string>() + "\"");
    }

    if (const CJson* g = Object(p, "gridPos", where, true); g != nullptr) {
      const std::string gw = where + ": gridPos";
      auto h = Int(*g, "h", gw, true, 1, 1000);
      auto w = Int(*g, "w", gw, true, 1, kGridColumns);
      auto x = Int(*g, "x", gw, true, 0, kGridColumns - 1);
      auto y = Int(*g, "y", gw, true, 0, 1000000);
      if (h && w && x && y) {
        if (*x + *w > kGridColumns) {
          Problem(gw, "x + w = " + std::to_string(*x + *w) + " is wider than 24 columns");
        } else if (!nested) {
          placed->push_back({where, static_cast<int>(*x), static_cast<int>(*y),
                             static_cast<int>(*w), static_cast<int>(*h)});
        }
      }
    }
    CheckDatasource(p, where);

    if (t == "row") {
      Bool(p, "collapsed", where);
      const CJson* collapsed = Find(p, "collapsed");
      const bool is_collapsed =
          collapsed != nullptr && collapsed->is_boolean() && collapsed->get<bool>();
      if (const CJson* children = Array(p, "panels", where, false); children != nullptr) {
        if (!is_collapsed && !children->empty()) {
          Problem(where, "panels: an expanded row keeps its panels at the top level");
        }
        for (size_t i = 0; i < children->size(); ++i) {
          if (is_collapsed) CheckPanel((*children)[i], i, true, placed);
        }
      }
      if (Find(p, "targets") != nullptr) Problem(where, "targets: a row has no queries");
      return;
    }
    if (Find(p, "panels") != nullptr) Problem(where, "panels: only rows hold panels");
    if (Find(p, "collapsed") != nullptr) Problem(where, "collapsed: only rows collapse");
    const CJson* options = Object(p, "options", where, true);
    CheckFieldConfig(p, where);
    if (const CJson* tr = Array(p, "transformations", where, false); tr != nullptr) {
      for (size_t i = 0; i < tr->size(); ++i) {
        const std::string tw = where + ": transformations[" + std::to_string(i) + "]";
        String((*tr)[i], "id", tw, true, true);
        Object((*tr)[i], "options", tw, false);
        Bool((*tr)[i], "disabled", tw);
      }
    }
    if (options != nullptr && (t == "stat" || t == "gauge" || t == "bargauge")) {
      if (const CJson* reduce = Object(*options, "reduceOptions", where + ": options", true);
          reduce != nullptr) {
        StringArray(*reduce, "calcs", where + ": options.reduceOptions");
      }
    }
    if (t == "text") return;
    bool heatmap_buckets = false;
    if (t == "heatmap" && options != nullptr) {
      const CJson* calculate = Find(*options, "calculate");
      heatmap_buckets =
          calculate == nullptr || (calculate->is_boolean() && !calculate->get<bool>());
      Bool(*options, "calculate", where + ": options");
    }
    CheckTargets(p, where, heatmap_buckets);
  }

  void CheckOverlaps(const std::vector<Placed>& placed) {
    for (size_t i = 0; i < placed.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        const Placed& a = placed[i];
        const Placed& b = placed[j];
        if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) {
          Problem(a.where, "gridPos: overlaps " + b.where);
        }
      }
    }
  }

  // label_values([selector, ]label), label_names(), metrics(re),
  // query_result(expr): Grafana's Prometheus variable queries.
  void CheckVariableQuery(std::string_view q, const std::string& where) {
    auto args_of = [&](std::string_view fn) -> std::optional<std::string_view> {
      if (!q.starts_with(fn) || !q.ends_with(")")) return std::nullopt;
      std::string_view rest = q.substr(fn.size());
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      if (rest.empty() || rest.front() != '(') return std::nullopt;
      return rest.substr(1, rest.size() - 2);
    };
    if (auto args = args_of("label_values"); args.has_value()) {
      const size_t comma = args->rfind(',');
      std::string_view label = comma == std::string_view::npos ? *args : args->substr(comma + 1);
      while (!label.empty() && label.front() == ' ') label.remove_prefix(1);
      while (!label.empty() && label.back() == ' ') label.remove_suffix(1);
      if (!model::IsValidLabelName(label)) {
        Problem(where, "query: label_values(): \"" + std::string(label) + "\" is not a label name");
      }
      if (comma == std::string_view::npos) return;
      Result<std::string> selector = Interpolate(args->substr(0, comma));
      if (!selector.ok()) {
        Problem(where, "query: " + std::string(selector.status().message()));
        return;
      }
      if (Result<std::vector<model::Matcher>> m = promql::ParseMetricSelector(*selector); !m.ok()) {
        Problem(where, "query: label_values() selector: " + std::string(m.status().message()));
      }
      return;
    }
    if (auto args = args_of("query_result"); args.has_value()) {
      CheckExpr(*args, where + ": query: query_result()", false);
      return;
    }
    if (args_of("label_names").has_value() || args_of("metrics").has_value()) return;
    Problem(where,
            "query: not a Prometheus variable query (label_values, label_names, "
            "metrics, query_result)");
  }

  void CheckVariables(const CJson& d) {
    const CJson* list = VariableList(d);
    if (list == nullptr) return;
    std::set<std::string> names;
    for (size_t i = 0; i < list->size(); ++i) {
      const CJson& v = (*list)[i];
      std::string where = "templating.list[" + std::to_string(i) + "]";
      if (!v.is_object()) {
        Problem(where, "must be an object, not " + TypeName(v));
        continue;
      }
      if (const CJson* name = String(v, "name", where, true, true); name != nullptr) {
        const std::string& n = name->get_ref<const std::string&>();
        where += " \"" + n + "\"";
        if (!std::all_of(n.begin(), n.end(), IsWordChar) || n.starts_with("__")) {
          Problem(where, "name: must be letters, digits and _, not starting with __");
        }
        if (!names.insert(n).second) Problem(where, "name: used by another variable");
      }
      const CJson* type = String(v, "type", where, true);
      const std::string t = type == nullptr ? "" : type->get<std::string>();
      if (type != nullptr && kVariableTypes.count(t) == 0) {
        Problem(where, "type: \"" + t + "\" is not a variable type");
      }
      String(v, "label", where, false);
      String(v, "description", where, false);
      String(v, "regex", where, false);
      String(v, "definition", where, false);
      Int(v, "hide", where, false, 0, 2);
      Int(v, "sort", where, false, 0, 8);
      for (const char* b : {"multi", "includeAll", "skipUrlSync"}) Bool(v, b, where);
      if (const CJson* all = Find(v, "allValue");
          all != nullptr && !all->is_null() && !all->is_string()) {
        Problem(where, "allValue: must be a string or null, not " + TypeName(*all));
      }
      Array(v, "options", where, false);
      if (const CJson* current = Find(v, "current"); current != nullptr && !current->is_object()) {
        Problem(where, "current: must be an object, not " + TypeName(*current));
      }
      CheckDatasource(v, where);
      const CJson* query = Find(v, "query");
      if (query != nullptr && !query->is_string() && !query->is_object()) {
        Problem(where, "query: must be a string or an object, not " + TypeName(*query));
        continue;
      }
      if (t == "query") {
        Int(v, "refresh", where, false, 0, 2);
        std::string q;
        if (query != nullptr && query->is_string()) q = query->get<std::string>();
        if (query != nullptr && query->is_object()) {
          if (const CJson* inner = String(*query, "query", where + ": query", true);
              inner != nullptr) {
            q = inner->get<std::string>();
          }
        }
        if (q.empty()) {
          Problem(where, "query: a query variable needs a query");
        } else {
          CheckVariableQuery(q, where);
        }
      } else if (t == "datasource" || t == "custom" || t == "interval") {
        if (query == nullptr || !query->is_string() ||
            query->get_ref<const std::string&>().empty()) {
          Problem(where, "query: a " + t + " variable needs a non-empty string query");
        } else if (t == "interval") {
          std::string_view rest = query->get_ref<const std::string&>();
          while (!rest.empty()) {
            const size_t comma = rest.find(',');
            std::string_view item = rest.substr(0, comma);
            while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
            if (!promql::ParseDurationMs(item).ok()) {
              Problem(where, "query: \"" + std::string(item) + "\" is not a duration");
            }
            rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
          }
        }
      }
    }
  }

  void CheckAnnotations(const CJson& d) {
    const CJson* a = Find(d, "annotations");
    const CJson* list = a == nullptr ? nullptr : Find(*a, "list");
    if (list == nullptr || !list->is_array()) return;
    for (size_t i = 0; i < list->size(); ++i) {
      const CJson& an = (*list)[i];
      std::string where = "annotations.list[" + std::to_string(i) + "]";
      if (!an.is_object()) {
        Problem(where, "must be an object, not " + TypeName(an));
        continue;
      }
      if (const CJson* name = String(an, "name", where, true, true); name != nullptr) {
        where += " \"" + name->get<std::string>() + "\"";
      }
      for (const char* b : {"enable", "hide", "useValueForTime"}) Bool(an, b, where);
      String(an, "iconColor", where, true, true);
      CheckDatasource(an, where);
      if (const CJson* expr = String(an, "expr", where, false); expr != nullptr) {
        CheckExpr(expr->get_ref<const std::string&>(), where + ": expr", false);
      }
    }
  }

  std::vector<std::string> problems_;
  std::map<std::string, std::string, std::less<>> variables_;
  std::set<std::string> datasource_variables_;
  std::set<int64_t> ids_;
};

}  // namespace

std::vector<std::string> CheckDashboard(std::string_view json) { return Checker().Run(json); }

Status ValidateDashboard(std::string_view json) {
  const std::vector<std::string> problems = CheckDashboard(json);
  if (problems.empty()) return Status::OK();
  std::string msg;
  for (const std::string& p : problems) {
    if (!msg.empty()) msg += "\n";
    msg += p;
  }
  return InvalidArgumentError(msg);
}

// ---------------------------------------------------------------------------
// The command

namespace {

int Usage(std::FILE* err, const std::string& problem) {
  std::fprintf(err, "vigil dashboards: %s\n%s", problem.c_str(), kDashboardsUsage);
  return 2;
}

int Generate(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  DashboardOptions options;
  std::string dir = ".";
  for (size_t i = 1; i < args.size(); ++i) {
    std::string a = args[i];
    std::string value;
    bool has_value = false;
    if (const size_t eq = a.find('='); a.starts_with("--") && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    const bool known = a == "--out" || a == "-o" || a == "--datasource" || a == "--namespace" ||
                       a == "--title-prefix" || a == "--slo";
    if (!known) {
      return Usage(err,
                   (a.starts_with("-") ? "unknown flag \"" : "unexpected argument \"") + a + "\"");
    }
    if (!has_value) {
      if (i + 1 >= args.size()) return Usage(err, a + " needs a value");
      value = args[++i];
    }
    if (a == "--out" || a == "-o") {
      if (value.empty()) return Usage(err, a + " needs a directory");
      dir = value;
    } else if (a == "--datasource") {
      options.datasource_uid = value;
    } else if (a == "--namespace") {
      options.metric_namespace = value;
    } else if (a == "--title-prefix") {
      options.title_prefix = value;
    } else {
      if (value.empty()) return Usage(err, "--slo needs a file");
      options.slo_files.push_back(value);
    }
  }
  Result<std::vector<Dashboard>> dashboards = GenerateDashboards(options);
  if (!dashboards.ok()) {
    std::fprintf(err, "vigil dashboards generate: %s\n",
                 std::string(dashboards.status().message()).c_str());
    return 1;
  }
  if (Status s = MakeDirs(dir); !s.ok()) {
    std::fprintf(err, "vigil dashboards generate: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  for (const Dashboard& d : *dashboards) {
    const std::string path = dir + "/" + d.file_name;
    if (Status s = WriteFileAtomic(path, d.json); !s.ok()) {
      std::fprintf(err, "vigil dashboards generate: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    std::fprintf(out, "%s: %s (uid %s)\n", path.c_str(), d.title.c_str(), d.uid.c_str());
  }
  return std::fflush(out) == 0 ? 0 : 1;
}

int Check(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  if (args.size() < 2) return Usage(err, "check needs at least one file");
  int status = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    Result<std::string> text = ReadFile(args[i]);
    if (!text.ok()) {
      std::fprintf(err, "vigil dashboards check: %s\n",
                   std::string(text.status().message()).c_str());
      status = 1;
      continue;
    }
    const std::vector<std::string> problems = CheckDashboard(*text);
    if (problems.empty()) {
      std::fprintf(out, "%s: ok\n", args[i].c_str());
      continue;
    }
    status = 1;
    for (const std::string& p : problems) std::fprintf(out, "%s: %s\n", args[i].c_str(), p.c_str());
  }
  std::fflush(out);
  return status;
}

}  // namespace

int RunDashboardsCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  if (args.empty()) return Usage(err, "expected a subcommand (generate, check)");
  if (args[0] == "generate") return Generate(args, out, err);
  if (args[0] == "check") return Check(args, out, err);
  if (args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kDashboardsUsage, out);
    return 0;
  }
  return Usage(err, "unknown subcommand \"" + args[0] + "\"");
}

}  // namespace vigil::cli
