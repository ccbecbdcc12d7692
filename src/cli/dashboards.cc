// Grafana dashboards for vigil's metric sets (the generator, first half of
// this file) and a checker of Grafana's classic dashboard JSON model (the
// second half). Metric names are those of include/vigil/ml/*.h,
// src/anomaly/monitor.cc, src/rules/anomaly_rule.h, src/collectors and
// src/slo/generate.cc; dashboards_test.cc evaluates every ML query against
// what the metric sets really export.

#include "cli/dashboards.h"
#include "cli/dashboard_internal.h"

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
using internal::IsUidChar;
using internal::kGridColumns;
using internal::kMaxUidLength;

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

// fieldConfig.defaults of panels colored by thresholds (stat, gauge, bar
// gauge, table).
Json ThresholdDefaults(std::string_view unit, Json thresholds) {
  return Json{{"color", {{"mode", "thresholds"}}},
              {"mappings", Json::array()},
              {"thresholds", std::move(thresholds)},
              {"unit", unit}};
}

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
    p["fieldConfig"]["defaults"] = ThresholdDefaults(unit, std::move(thresholds));
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
    p["fieldConfig"]["defaults"] = ThresholdDefaults(unit, std::move(thresholds));
    p["fieldConfig"]["defaults"]["max"] = max;
    p["fieldConfig"]["defaults"]["min"] = min;
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
    p["fieldConfig"]["defaults"] = ThresholdDefaults(unit, std::move(thresholds));
    p["fieldConfig"]["defaults"]["min"] = 0;
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
    p["fieldConfig"]["defaults"] = ThresholdDefaults("short", GreenOnly());
    p["fieldConfig"]["defaults"]["custom"] = Json{{"align", "auto"},
                                                  {"cellOptions", {{"type", "auto"}}},
                                                  {"filterable", true},
                                                  {"inspect", false}};
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
