// templating: Go's text/template language with Prometheus' template
// functions, for alert labels and annotations (rules) and notification text
// (alertmanager).
//
//   VIGIL_ASSIGN_OR_RETURN(Template t, Template::Parse(
//       "summary", "{{ $labels.instance }} is at {{ humanize $value }}"));
//   Result<std::string> s = t.Execute(data, opts);
//
//   // What Prometheus' rules/alerting.go does for each alert:
//   Result<std::string> s = ExpandAlertTemplate(
//       "__alert_HighLatency", annotation, labels, 0.75, external_labels,
//       "http://prom:9090", opts);
//
// Semantics follow Go's text/template: actions, trim markers, pipelines,
// variables, if/else if/range/with/else, define/template/block,
// break/continue, the builtins (and or not len index slice print printf
// println html js urlquery eq ne lt le gt ge; `call` is not provided), Go's
// fmt formatting and Go's error texts:
//   template: NAME:1: unexpected "}" in operand
//   template: NAME:1:3: executing "NAME" at <humanize "x">: error calling
//   humanize: strconv.ParseFloat: parsing "x": invalid syntax
// Missing map keys read as the element's zero value (missingkey=zero, as
// Prometheus sets it). Complex numbers are not supported.
//
// Execution is bounded: output and function results are capped
// (ExecOptions::max_output_bytes), {{template}} calls nest at most
// max_template_depth deep, nesting of control structures and parentheses is
// limited at parse and execution time, and execution stops after max_steps
// evaluation steps, so no template hangs or exhausts memory.
//
// Thread safety: a Template is immutable once built (AddDefinitions aside),
// so Execute may run concurrently from many threads; AddDefinitions needs
// exclusive access (thread-compatible).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "templating/value.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::templating {

namespace internal {
struct Tree;
}

// One element of a `query` result.
struct QuerySample {
  model::Labels labels;
  double value = 0;
};
// Runs a PromQL instant query for the `query` function; the caller binds
// the evaluation time.
using QueryFn =
    std::function<Result<std::vector<QuerySample>>(std::string_view expr)>;

struct ExecOptions {
  QueryFn query;             // unset: `query` fails
  std::string external_url;  // for externalURL and pathPrefix
  int64_t timestamp_ms = 0;  // evaluation time, for custom functions
  size_t max_output_bytes = size_t{1} << 20;  // also caps function results
  int max_template_depth = 100;               // nested {{template}} calls
  int64_t max_steps = 5'000'000;              // evaluation steps
};

// A template function (an entry of Go's FuncMap). `params` holds one Go type
// per parameter: "string", "float64", "int", "bool", "interface {}" (any
// value) or a TypeInfo name; with `variadic` the last one repeats. Literal
// arguments convert as in Go (a float64 parameter takes 1, a string
// parameter rejects it); other values must have exactly the parameter's
// type. An error becomes "error calling NAME: <message>". Impls (and the
// QueryFn) must be thread-safe: executions may run concurrently.
struct Function {
  std::vector<std::string> params;
  bool variadic = false;
  std::function<Result<Value>(std::span<const Value> args,
                              const ExecOptions& opts)>
      impl;
};
using FuncMap = std::map<std::string, Function, std::less<>>;

// Prometheus' template functions (template/template.go, 2.42): query,
// first, label, value, strvalue, sortByLabel, args, match, reReplaceAll,
// title, toUpper, toLower, safeHtml, stripPort, humanize, humanize1024,
// humanizeDuration, humanizePercentage, humanizeTimestamp, toTime,
// parseDuration, pathPrefix, externalURL, graphLink, tableLink.
std::shared_ptr<const FuncMap> PrometheusFuncs();

// A parsed set of named templates.
class Template {
 public:
  // Parses `text` under `name`; its {{define}}s become further templates.
  // `funcs` are the callable functions besides the builtins (default:
  // PrometheusFuncs()). Errors: "template: NAME:LINE: ...".
  static Result<Template> Parse(std::string name, std::string_view text,
                                std::shared_ptr<const FuncMap> funcs = nullptr);

  // Parses another text as Go's t.New(name).Parse(text) does: its
  // {{define}}s replace templates of the same name and its body becomes
  // template `name`, except that an empty (all-space) template never
  // replaces an existing one. Alertmanager loads its default templates,
  // then the user's. On error nothing changes.
  Status AddDefinitions(std::string_view name, std::string_view text);

  // Runs the main template (or the one named) with `dot` as data.
  Result<std::string> Execute(const Value& dot,
                              const ExecOptions& opts = {}) const;
  Result<std::string> ExecuteTemplate(std::string_view name, const Value& dot,
                                      const ExecOptions& opts = {}) const;

  const std::string& name() const { return name_; }
  bool HasTemplate(std::string_view name) const;

 private:
  using Trees =
      std::map<std::string, std::shared_ptr<const internal::Tree>, std::less<>>;
  Template() = default;

  std::string name_;
  std::shared_ptr<const FuncMap> funcs_;
  Trees trees_;
};

// The dot Prometheus gives alert templates: a struct {Labels,
// ExternalLabels, ExternalURL, Value (float64)}.
Value AlertTemplateData(const model::Labels& labels,
                        const model::Labels& external_labels,
                        std::string_view external_url, double value);

// Prometheus' Expander.Expand: parse and execute `text` as template `name`,
// wrapping errors as "error parsing template NAME: ..." or "error executing
// template NAME: ...".
Result<std::string> Expand(std::string_view name, std::string_view text,
                           const Value& dot, const ExecOptions& opts);

// What rules/alerting.go does per alert: prepends
//   {{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}
//   {{$externalURL := .ExternalURL}}{{$value := .Value}}
// (one line, so error columns count it, as in Prometheus) and expands it
// with AlertTemplateData. `external_url` is .ExternalURL; the functions
// externalURL and pathPrefix read opts.external_url.
Result<std::string> ExpandAlertTemplate(
    std::string_view name, std::string_view text, const model::Labels& labels,
    double value, const model::Labels& external_labels,
    std::string_view external_url, const ExecOptions& opts);

// The same preamble, parsed once (at rule load) and executed per alert with
// AlertTemplateData; errors are not wrapped.
Result<Template> ParseAlertTemplate(std::string name, std::string_view text);

// Go's strconv.Quote (what %q prints for a string): for callers that must
// write label values exactly as Go programs do.
std::string GoQuote(std::string_view s);

}  // namespace vigil::templating
