// promql::Engine: evaluates PromQL expressions over a storage::Queryable
// with Prometheus 2.42's semantics (promql/engine.go and functions.go):
// lookback delta, staleness markers, rate extrapolation, vector matching,
// every function and aggregation.
//
//   Engine engine;
//   Result<Value> v = engine.InstantQuery(&db, "sum(rate(x[5m]))", now_ms);
//   Result<Value> m = engine.RangeQuery(&db, "up", start, end, 15000);
//
// An instant query yields a Scalar, String or Vector (or a Matrix for a
// bare range selector); a range query yields a Matrix (or a Scalar turned
// into a one-series matrix, as Prometheus does).
//
// Errors (the HTTP API maps them to Prometheus' errorType):
//   kInvalidArgument     the query does not parse (bad_data)
//   kFailedPrecondition  evaluation failed, e.g. many-to-many matching
//                        (execution)
//   kResourceExhausted   more than max_samples samples in memory at once
//                        (execution)
//   kDeadlineExceeded    the timeout passed (timeout)
//   kCancelled           the caller's stop token fired (canceled)
//   other codes          the storage failed (internal)
//
// Thread safety: thread-safe; queries run concurrently up to
// max_concurrent_queries, further ones wait for a slot (within their
// timeout).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <string_view>

#include "promql/ast.h"
#include "promql/value.h"
#include "storage/interface.h"
#include "vigil/result.h"

namespace vigil::promql {

struct EngineOptions {
  // Prometheus' --query.timeout, --query.max-samples,
  // --query.max-concurrency and --query.lookback-delta.
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  int64_t max_samples = 50'000'000;
  int max_concurrent_queries = 20;
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  // Step of a subquery written without one (`x[5m:]`): Prometheus uses the
  // global evaluation interval, 1m by default.
  int64_t default_subquery_step_ms = 60 * 1000;
};

// Per-query settings.
struct QueryOptions {
  std::stop_token stop;  // cancels the query when requested
  // A timeout for this query (the API's `timeout` parameter); the engine's
  // own timeout still applies when shorter. Zero: the engine's only.
  std::chrono::milliseconds timeout{0};
};

class Engine {
 public:
  explicit Engine(EngineOptions options = {});

  // Evaluates at one instant, `t_ms`.
  Result<Value> Instant(storage::Queryable* storage, const Expr& expr,
                        int64_t t_ms, const QueryOptions& options = {});
  // Evaluates at start, start+step, ... <= end; step > 0, end >= start.
  Result<Value> Range(storage::Queryable* storage, const Expr& expr,
                      int64_t start_ms, int64_t end_ms, int64_t step_ms,
                      const QueryOptions& options = {});

  // Parse, then Instant / Range.
  Result<Value> InstantQuery(storage::Queryable* storage,
                             std::string_view query, int64_t t_ms,
                             const QueryOptions& options = {});
  Result<Value> RangeQuery(storage::Queryable* storage, std::string_view query,
                           int64_t start_ms, int64_t end_ms, int64_t step_ms,
                           const QueryOptions& options = {});

  const EngineOptions& options() const { return options_; }

 private:
  Result<Value> Exec(storage::Queryable* storage, const Expr& expr,
                     int64_t start_ms, int64_t end_ms, int64_t step_ms,
                     bool instant, const QueryOptions& options);

  const EngineOptions options_;
  std::mutex mu_;
  std::condition_variable slot_free_;
  int running_ = 0;  // guarded by mu_
};

}  // namespace vigil::promql
