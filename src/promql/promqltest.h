// promqltest: reads and runs Prometheus' PromQL test scripts (the `.test`
// files of Prometheus 2.42's promql/testdata, format described in
// shared/conformance/promql/README.md) against our Engine and any storage.
//
//   auto file = promqltest::ReadTestFile("functions.test");   // or Parse...
//   promql::Engine engine(promqltest::TestEngineOptions());
//   auto run = promqltest::RunTestFile(*file, &engine,
//                                      promqltest::MemoryStorageFactory());
//   std::fputs(run->Report().c_str(), stdout);  // failures + "N passed, ..."
//
// The file format, in short:
//
//   load 5m                                  # then series, one per line
//     http_requests{job="api"} 0+10x10 _ stale 1 -2x3 _x2
//   clear                                    # drop every series
//   eval instant at 50m sum(http_requests)   # then the expected result
//     {} 100
//   eval_ordered instant at 50m sort(x)      # order must match too
//   eval_fail instant at 0m a + on() b       # evaluation must fail
//
// Parsing (ParseTestFile, ParseSeriesDesc) needs neither the PromQL parser
// nor the engine; comparing (CompareResult, ValueAtStep) needs no engine;
// only RunTestFile evaluates. Like Prometheus' runner (promql/test.go),
// every eval except eval_fail is checked three ways, in this order, and the
// first mismatch is reported:
//   1. instant query at t;
//   2. range query t-1m..t+1m step 1m, whose middle step (at t) must give
//      the same answer (not compared for eval_ordered, but still run);
//   3. "@ pinning": unless the expression calls time, timestamp,
//      predict_linear or a date function, a fresh parse with `@ t` set on
//      every selector and subquery lacking one is evaluated (instant and
//      range as above) at -10t, 0, t/5, t, 10t (t = 0: -1s, 0, +1s).
// eval_fail passes when every one of those instant evaluations fails.
//
// Thread safety: the functions are thread-compatible; RunTestFile uses the
// engine and the storage it is given from the calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "model/labels.h"
#include "promql/ast.h"
#include "promql/engine.h"
#include "promql/value.h"
#include "storage/interface.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::promql::promqltest {

// ---------------------------------------------------------------------------
// The file format.

// One item of a series' value list: a value, or a step without a sample.
struct SequenceValue {
  double value = 0;
  bool omitted = false;  // `_`
};

// A series description: `name{a="b"} 1 2+3x4 _ stale`, or for expectations
// `{a="b"} 7`.
struct SeriesDesc {
  model::Labels labels;
  std::vector<SequenceValue> values;
};

// Parses one series description (Prometheus' parser.ParseSeriesDesc):
// a metric name and/or a `{name="value", ...}` label set (`=` only; values
// in "", '' or `` with Go escapes), then whitespace-separated items:
//   7, -2.5, 1e3, Inf, -Inf, NaN   one value
//   a+bxN / a-bxN                  N+1 values a, a+b, ... (b added N times,
//                                  accumulating, as Prometheus does)
//   axN                            N+1 copies of a
//   _ / _xN                        1 / N steps without a sample
//   stale                          the staleness marker (a NaN, storage::
//                                  kStaleNaNBits)
// Errors are kInvalidArgument "column C: <what>", C counting bytes from 1.
Result<SeriesDesc> ParseSeriesDesc(std::string_view line);

// Parses a bare number as Prometheus' runner does for a scalar expectation
// (Go's ParseInt base 0, then ParseFloat: "2", "0x1f", "-1.5e3", "+Inf",
// "NaN"). nullopt when `s` is not one.
std::optional<double> ParseNumber(std::string_view s);

// `load <step>`: one series per line; the n-th value lies at n * step.
struct LoadCommand {
  struct Series {
    int line = 0;  // 1-based, in the file
    model::Labels labels;
    std::vector<std::pair<int64_t, double>> samples;  // (t ms, value)
  };
  int line = 0;
  int64_t step_ms = 0;
  // In file order; a label set given twice keeps its last definition, as
  // in Prometheus.
  std::vector<Series> series;
};

// `clear`.
struct ClearCommand {
  int line = 0;
};

enum class EvalMode : uint8_t {
  kUnordered,  // eval
  kOrdered,    // eval_ordered
  kFail,       // eval_fail
};
std::string_view EvalModeName(EvalMode m);  // "eval", "eval_ordered", ...

struct ExpectedSample {
  int line = 0;
  model::Labels labels;
  double value = 0;
};

// `eval[_ordered|_fail] instant at <time> <expr>` and its expected lines.
struct EvalCommand {
  int line = 0;
  EvalMode mode = EvalMode::kUnordered;
  int64_t t_ms = 0;  // milliseconds after the epoch
  std::string expr;
  // Either a scalar or (possibly no) samples is expected; never both.
  std::optional<double> scalar;
  std::vector<ExpectedSample> samples;  // in file order
};

using Command = std::variant<LoadCommand, ClearCommand, EvalCommand>;

struct TestFile {
  std::string name;  // as given; used in messages
  std::vector<Command> commands;

  size_t num_evals() const;
};

// Parses a whole file. Errors are kInvalidArgument
// "<name>:<line>[:<column>]: <what>" for the first malformed line.
Result<TestFile> ParseTestFile(std::string_view name, std::string_view text);
// Reads `path` and parses it under that name.
Result<TestFile> ReadTestFile(const std::string& path);

// ---------------------------------------------------------------------------
// Comparing results.

// Prometheus' almostEqual: both NaN, equal, or a relative difference below
// 1e-6 (absolute below 1e-6 * the smallest normal double when one side is 0
// or the difference is subnormal).
bool AlmostEqual(double a, double b);

// nullopt when `got` (an instant query's result) is what `cmd` expects:
// a scalar within AlmostEqual, or a vector with exactly the expected label
// sets (no series missing, extra or repeated), each value within
// AlmostEqual, in the listed order for eval_ordered. Otherwise a one-line
// reason ("unexpected series x{a=\"b\"} in the result", ...).
std::optional<std::string> CompareResult(const EvalCommand& cmd,
                                         const Value& got);

// The instant result a range query's Matrix holds for step `t_ms`: a Vector
// of every series' point at exactly t_ms, or with `as_scalar` the Scalar
// of the first such point. kNotFound when `as_scalar` and no point lies at
// t_ms; kInvalidArgument for a String or Vector range result.
Result<Value> ValueAtStep(const Value& range_result, int64_t t_ms,
                          bool as_scalar);

// Text forms used in reports: values as Prometheus prints them ("+Inf",
// "NaN", "0.1", "1e-05"); results one series per line.
std::string FormatFloat(double v);
std::string FormatValue(const Value& v);
std::string FormatExpected(const EvalCommand& cmd);
// A test time as a duration after the epoch ("50m", "-1s", "0s").
std::string FormatTime(int64_t t_ms);

// ---------------------------------------------------------------------------
// @ pinning.

// Sets `@ t_ms` on every VectorSelector, MatrixSelector and SubqueryExpr of
// a freshly parsed `expr` that has no `@ <time>` (an `@ start()`/`@ end()`
// is replaced, as Prometheus' runner does: at t both mean t). Nothing
// inside a subquery is touched: pinning the subquery makes its inside step
// invariant already. Returns false, having still pinned, when the
// expression (outside subqueries) calls a function whose result depends on
// the evaluation time itself: time, timestamp, predict_linear, minute,
// hour, day_of_week, day_of_month, day_of_year, days_in_month, month, year.
bool PinAtModifiers(Expr* expr, int64_t t_ms);

// The evaluation times of the pinned re-runs: -10t, 0, t/5, t, 10t; for
// t = 0: -1000, 0, 1000.
std::vector<int64_t> AtModifierEvalTimes(int64_t t_ms);

// ---------------------------------------------------------------------------
// Running.

// The engine settings Prometheus' runner uses: lookback 5m, subquery step
// 1m, at most 10000 samples per query, timeout 100s.
EngineOptions TestEngineOptions();

// A storage for one run between `clear`s: `owner` keeps it alive, the two
// pointers (usually to the same object) are what loads and queries use.
struct TestStorage {
  std::shared_ptr<void> owner;
  storage::Appendable* appendable = nullptr;
  storage::Queryable* queryable = nullptr;
};
// Called at the start of every file and at every `clear`; must return an
// empty storage.
using StorageFactory = std::function<Result<TestStorage>()>;
// Fresh storage::MemoryStorage instances.
StorageFactory MemoryStorageFactory();

// What went wrong with a statement; which evaluation showed it.
enum class Check : uint8_t {
  kNone,       // passed
  kParse,      // the expression did not parse
  kInstant,    // instant query at t
  kRange,      // range query around t, middle step
  kAtInstant,  // @-pinned expression, instant query at check_time_ms
  kAtRange,    // @-pinned expression, range query around check_time_ms
};
std::string_view CheckName(Check c);

struct StatementResult {
  std::string file;
  int line = 0;
  EvalMode mode = EvalMode::kUnordered;
  int64_t t_ms = 0;
  std::string expr;
  bool passed = false;
  // When !passed:
  Check check = Check::kNone;
  int64_t check_time_ms = 0;  // evaluation time of the failing check
  std::string check_expr;     // the @-pinned text for kAt*, else expr
  std::string message;        // why, one line
  std::string expected;       // FormatExpected
  std::string got;            // FormatValue, or the error
};

// A problem outside eval statements: a file that cannot be read or parsed,
// a load the storage rejected, a storage that could not be created.
struct RunError {
  std::string file;
  std::string text;  // "<file>[:<line>]: <what>"
};

struct RunResult {
  std::vector<std::string> files;           // in run order
  std::vector<StatementResult> statements;  // one per eval, in file order
  std::vector<RunError> errors;

  size_t passed() const;
  size_t failed() const;
  bool ok() const { return failed() == 0 && errors.empty(); }
  void Merge(RunResult other);
  // Every failure (file:line, expression, check, expected, got) and error,
  // then "N passed, N failed" (and "N errors" when there are any). With
  // `verbose`, also a line per passing statement.
  std::string Report(bool verbose = false) const;
};

// How the runner evaluates; EngineEvaluator binds it to an Engine, tests
// may substitute fakes to exercise the checks on their own.
struct Evaluator {
  std::function<Result<Value>(storage::Queryable*, const Expr&, int64_t t_ms)>
      instant;
  std::function<Result<Value>(storage::Queryable*, const Expr&,
                              int64_t start_ms, int64_t end_ms,
                              int64_t step_ms)>
      range;
};
// REQUIRES: engine outlives the evaluator.
Evaluator EngineEvaluator(Engine* engine);

// Runs every command of `file`. Never fails as a whole: problems are
// recorded in the result.
RunResult RunTestFile(const TestFile& file, const Evaluator& evaluator,
                      const StorageFactory& storage_factory);
RunResult RunTestFile(const TestFile& file, Engine* engine,
                      const StorageFactory& storage_factory);
// Reads, parses and runs each file in turn; a file that does not parse is
// one error and its statements are not run.
RunResult RunTestFiles(const std::vector<std::string>& paths,
                       const Evaluator& evaluator,
                       const StorageFactory& storage_factory);
RunResult RunTestFiles(const std::vector<std::string>& paths, Engine* engine,
                       const StorageFactory& storage_factory);

}  // namespace vigil::promql::promqltest
