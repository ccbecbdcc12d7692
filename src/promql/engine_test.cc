// Engine behaviour the PromQL test files do not reach: result shapes of
// range queries, argument errors, and the guard rails (samples limit,
// cancellation, timeout, concurrency). Semantics are covered by the
// conformance files (vigil promqltest).
#include "promql/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "promql/functions.h"
#include "storage/memory_storage.h"

namespace vigil::promql {
namespace {

using model::Labels;

class EngineTest : public ::testing::Test {
 protected:
  // n series x{i="<k>"} with value k * t_seconds every 15 s over [0, 1h].
  void Load(int n) {
    auto app = storage_.NewAppender();
    for (int k = 0; k < n; ++k) {
      Labels l = Labels::FromPairs(
          {{"__name__", "x"}, {"i", std::to_string(k)}, {"job", k % 2 ? "a" : "b"}});
      for (int64_t t = 0; t <= 3600; t += 15) {
        ASSERT_TRUE(app->Append(0, l, t * 1000, k * static_cast<double>(t)).ok());
      }
    }
    ASSERT_TRUE(app->Commit().ok());
  }

  storage::MemoryStorage storage_;
};

TEST_F(EngineTest, RangeQueryGivesASortedMatrixAtEveryStep) {
  Load(3);
  Engine engine;
  auto v = engine.RangeQuery(&storage_, "sum by (job) (x)", 60000, 120000, 30000);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  const auto& m = std::get<Matrix>(*v);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].metric, Labels::FromPairs({{"job", "a"}}));
  EXPECT_EQ(m[1].metric, Labels::FromPairs({{"job", "b"}}));
  ASSERT_EQ(m[0].points.size(), 3u);
  EXPECT_EQ(m[0].points[0].t, 60000);
  EXPECT_EQ(m[0].points[0].v, 60);  // series 1 only
  EXPECT_EQ(m[1].points[2].v, 2 * 120);  // series 0 and 2
}

// A range query equals instant queries at each of its steps, for counters
// with and without resets, joins and aggregations (the range paths share
// work across steps: sliding windows, a whole-series reset check, per-step
// stamps, series-by-series aggregation).
TEST_F(EngineTest, RangeStepsEqualInstantQueries) {
  auto app = storage_.NewAppender();
  double v = 0;
  for (int k = 0; k < 3; ++k) {
    Labels l = Labels::FromPairs({{"__name__", "c"}, {"k", std::to_string(k)}});
    Labels info = Labels::FromPairs({{"__name__", "c_info"}, {"k", std::to_string(k)}, {"v", "1"}});
    for (int64_t t = 0; t <= 1800; t += 15) {
      v = (k == 1 && t % 600 == 0) ? 3 : v + 10 + (t % 7);  // series 1 resets
      ASSERT_TRUE(app->Append(0, l, t * 1000, v).ok());
      ASSERT_TRUE(app->Append(0, info, t * 1000, 1).ok());
    }
  }
  ASSERT_TRUE(app->Commit().ok());
  Engine engine;
  for (const char* q : {"rate(c[2m])", "increase(c[5m])", "sum(rate(c[1m]))",
                        "rate(c[5m]) * on(k) group_left(v) c_info", "c_info and on(k) c > 100",
                        "avg(c)", "stddev(c)", "stdvar by (v) (c_info)", "max(c) - min(c)",
                        "count(c_info)", "group(c)", "topk(1, c)", "quantile(0.5, c)"}) {
    auto r = engine.RangeQuery(&storage_, q, 300000, 1800000, 60000);
    ASSERT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    const auto& m = std::get<Matrix>(*r);
    size_t points = 0;
    for (const auto& s : m) {
      for (const auto& p : s.points) {
        ++points;
        auto i = engine.InstantQuery(&storage_, q, p.t);
        ASSERT_TRUE(i.ok());
        const Vector& vec = std::get<Vector>(*i);
        auto it = std::find_if(vec.begin(), vec.end(),
                               [&](const Sample& x) { return x.metric == s.metric; });
        ASSERT_NE(it, vec.end()) << q << " at " << p.t;
        EXPECT_DOUBLE_EQ(it->v, p.v) << q << " " << s.metric.ToString() << " at " << p.t;
      }
    }
    EXPECT_GT(points, 0u) << q;
  }
}

TEST_F(EngineTest, ResultTypes) {
  Load(1);
  Engine engine;
  auto s = engine.InstantQuery(&storage_, "1 + 2", 0);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(std::get<Scalar>(*s).v, 3);
  auto str = engine.InstantQuery(&storage_, "\"hello\"", 5000);
  ASSERT_TRUE(str.ok());
  EXPECT_EQ(std::get<String>(*str).v, "hello");
  EXPECT_EQ(std::get<String>(*str).t, 5000);
  // A range selector in an instant query: the raw samples of the window.
  auto m = engine.InstantQuery(&storage_, "x[1m]", 120000);
  ASSERT_TRUE(m.ok());
  const auto& mat = std::get<Matrix>(*m);
  ASSERT_EQ(mat.size(), 1u);
  EXPECT_EQ(mat[0].points.size(), 5u);  // 60, 75, 90, 105, 120 s
  EXPECT_EQ(mat[0].points.front().t, 60000);
  // A scalar in a range query is a one-series matrix without labels.
  auto r = engine.RangeQuery(&storage_, "time()", 0, 30000, 15000);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(std::get<Matrix>(*r).size(), 1u);
  EXPECT_EQ(std::get<Matrix>(*r)[0].points.size(), 3u);
  EXPECT_TRUE(std::get<Matrix>(*r)[0].metric.empty());
}

TEST_F(EngineTest, BadArgumentsAreInvalidArgument) {
  Engine engine;
  EXPECT_EQ(engine.RangeQuery(&storage_, "x", 0, 10, 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(engine.RangeQuery(&storage_, "x", 10, 0, 1).status().code(),
            StatusCode::kInvalidArgument);
  Status matrix = engine.RangeQuery(&storage_, "x[5m]", 0, 10, 1).status();
  EXPECT_EQ(matrix.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(matrix.message().find("range vector"), std::string::npos);
  Status parse = engine.InstantQuery(&storage_, "sum(", 0).status();
  EXPECT_EQ(parse.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parse.message().rfind("1:", 0), 0u) << parse.message();
}

TEST_F(EngineTest, EvaluationErrorsAreFailedPrecondition) {
  Load(3);
  Engine engine;
  // Series 0 and 2 differ only in `i`; without it they collide.
  auto st = engine.InstantQuery(&storage_, "label_replace(x, \"i\", \"\", \"\", \"\")",
                                60000)
                .status();
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("same labelset"), std::string::npos);
}

TEST_F(EngineTest, EveryFunctionHasAnEvaluator) {
  Load(2);
  Engine engine;
  for (const Function& f : AllFunctions()) {
    std::string q = std::string(f.name) + "(";
    for (size_t i = 0; i < f.arg_types.size(); ++i) {
      if (i > 0) q += ", ";
      switch (f.arg_types[i]) {
        case ValueType::kVector: q += "x"; break;
        case ValueType::kMatrix: q += "x[1m]"; break;
        case ValueType::kScalar: q += "0.5"; break;
        default: q += "\"a\""; break;
      }
    }
    q += ")";
    auto v = engine.InstantQuery(&storage_, q, 120000);
    EXPECT_NE(v.status().code(), StatusCode::kInternal) << q << ": "
                                                       << v.status().ToString();
  }
}

TEST_F(EngineTest, TooManySamplesFailsTheQuery) {
  Load(20);
  Engine engine({.max_samples = 100});
  Status st =
      engine.RangeQuery(&storage_, "x", 0, 3600000, 15000).status();
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("too many samples"), std::string::npos);
  // Windows count too: one series' hour is 241 samples.
  EXPECT_EQ(engine.InstantQuery(&storage_, "count_over_time(x[1h])", 3600000).status().code(),
            StatusCode::kResourceExhausted);
  // A query within the limit still runs.
  EXPECT_TRUE(engine.InstantQuery(&storage_, "sum(x)", 60000).ok());
  EXPECT_TRUE(engine.InstantQuery(&storage_, "count_over_time(x[1m])", 3600000).ok());
}

TEST_F(EngineTest, CancelledAndTimedOutQueriesStop) {
  Load(50);
  Engine engine;
  std::stop_source stop;
  stop.request_stop();
  QueryOptions o;
  o.stop = stop.get_token();
  EXPECT_EQ(engine.RangeQuery(&storage_, "rate(x[5m])", 0, 3600000, 1000, o)
                .status()
                .code(),
            StatusCode::kCancelled);
  Engine slow({.timeout = std::chrono::milliseconds(0)});
  EXPECT_EQ(slow.RangeQuery(&storage_, "rate(x[5m])", 0, 3600000, 1000)
                .status()
                .code(),
            StatusCode::kDeadlineExceeded);
}

TEST_F(EngineTest, ConcurrencyLimitQueuesQueries) {
  Load(5);
  Engine engine({.timeout = std::chrono::seconds(30), .max_concurrent_queries = 1});
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (engine.RangeQuery(&storage_, "sum(rate(x[1m]))", 0, 3600000, 15000)
              .ok()) {
        ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
}

}  // namespace
}  // namespace vigil::promql
