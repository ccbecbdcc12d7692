// Internal to the engine: how engine.cc calls the function implementations
// in eval_functions.cc (Prometheus' promql/functions.go). Not a public API.
//
// Two shapes, as in Prometheus:
//  - vector functions run once per evaluation step over the step's vectors
//    (abs, clamp, label_replace, histogram_quantile, sort, ...);
//  - window functions run once per series per step over the samples of a
//    range-vector window (rate, *_over_time, deriv, holt_winters, ...).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "promql/ast.h"
#include "promql/value.h"
#include "vigil/status.h"

namespace vigil::promql::internal {

// A function applied to each sample on its own (abs, clamp, round,
// timestamp, the date functions, ...): the output value from the sample's
// value and time and the call's scalar arguments at this step (by argument
// index; the vector argument's slot is 0). Returns false for "no output".
// The output series is the input series without __name__.
using SampleFunction = bool (*)(double v, int64_t t,
                                std::span<const double> scalars, double* out);

struct WindowCall {
  int64_t ts = 0;
  // The window's samples in time order, staleness markers removed; at
  // least one.
  std::span<const Point> points;
  int64_t range_start = 0;  // window bounds (ms), offset and @ applied
  int64_t range_end = 0;
  int64_t range_ms = 0;
  // The call's scalar arguments at this step, by argument index (the
  // range-vector argument's slot is 0).
  std::span<const double> scalars;
  // True when no sample of `points` is below its predecessor, known from a
  // pass over the whole series: counter functions then skip their reset
  // scan. False means unknown.
  bool no_drops = false;
};
// Sets *out and *has (false: no output for this series at this step).
using WindowFunction = Status (*)(const WindowCall& c, double* out,
                                  bool* has);

// The implementation of a function by name, or null when it is not of that
// shape (the engine itself handles the rest: absent, absent_over_time,
// histogram_quantile, label_replace, label_join, sort, sort_desc, scalar,
// vector, time, pi).
SampleFunction FindSampleFunction(std::string_view name);
WindowFunction FindWindowFunction(std::string_view name);

// Classic-histogram quantile over (upper bound, cumulative count) buckets,
// as Prometheus' bucketQuantile.
double BucketQuantile(double q, std::vector<std::pair<double, double>> buckets);
// Go's strconv.ParseFloat for `le` values: false when `s` is not a number.
bool ParseGoFloat(std::string_view s, double* out);
// Go's regexp.Expand template: $1, ${1}, $name, ${name}, $$.
std::string ExpandTemplate(std::string_view tmpl,
                           std::span<const std::string_view> groups,
                           const std::map<std::string, int>& names);

// Prometheus' quantile over values (linear interpolation; NaN for none).
double Quantile(double q, std::vector<double> values);

// Evaluation error (kFailedPrecondition).
Status EvalError(std::string_view message);

}  // namespace vigil::promql::internal
