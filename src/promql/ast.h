// promql::Expr and its node types: the syntax tree of a PromQL expression,
// as Prometheus 2.42's promql/parser/ast.go defines it. The parser
// (parser.h) builds and type-checks it; the engine (engine.h) evaluates it;
// ToString() prints it back the way Prometheus' String() does.
//
//   Result<ExprPtr> e = ParseExpr("sum by (job) (rate(x[5m]))");
//   if (e.ok() && (*e)->kind == ExprKind::kAggregate) {
//     const auto& agg = static_cast<const AggregateExpr&>(**e);
//   }
//
// Times and durations are int64 milliseconds. Positions are byte offsets
// into the query text.
//
// Thread safety: a tree is immutable once parsed (the engine only reads
// it); safe to share read-only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/matcher.h"

namespace vigil::promql {

// The type an expression evaluates to.
enum class ValueType : uint8_t { kNone, kScalar, kVector, kMatrix, kString };
// "scalar", "instant vector", "range vector", "string" (Prometheus' names
// in error messages); "none" for kNone.
std::string_view ValueTypeName(ValueType t);

// Half-open byte range [start, end) of a node in the query text.
struct PosRange {
  int start = 0;
  int end = 0;
};

// Binary, unary and aggregation operators.
enum class Op : uint8_t {
  // Arithmetic.
  kAdd, kSub, kMul, kDiv, kMod, kPow, kAtan2,
  // Comparison.
  kEql, kNeq, kGtr, kLss, kGte, kLte,
  // Set.
  kAnd, kOr, kUnless,
  // Aggregation.
  kSum, kAvg, kCount, kMin, kMax, kGroup, kStddev, kStdvar, kTopk, kBottomk,
  kCountValues, kQuantile,
};
// The operator as written: "+", "==", "and", "atan2", "sum", "count_values".
std::string_view OpString(Op op);
bool IsComparison(Op op);
bool IsSetOperator(Op op);
// topk, bottomk, count_values, quantile take a parameter.
bool AggregationTakesParam(Op op);

enum class ExprKind : uint8_t {
  kNumber,
  kString,
  kVectorSelector,
  kMatrixSelector,
  kSubquery,
  kParen,
  kUnary,
  kBinary,
  kCall,
  kAggregate,
};

struct Expr {
  explicit Expr(ExprKind k) : kind(k) {}
  virtual ~Expr() = default;
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;

  // The type this expression evaluates to.
  ValueType type() const;

  const ExprKind kind;
  PosRange pos;
};
using ExprPtr = std::unique_ptr<Expr>;

struct NumberLiteral final : Expr {
  NumberLiteral() : Expr(ExprKind::kNumber) {}
  double value = 0;
};

struct StringLiteral final : Expr {
  StringLiteral() : Expr(ExprKind::kString) {}
  std::string value;  // unescaped
};

// `@ start()` / `@ end()`: resolved to the query's start or end time.
enum class AtModifier : uint8_t { kNone, kStart, kEnd };

// Offset and @ of a selector or subquery.
struct TimeModifiers {
  int64_t offset_ms = 0;               // as written (may be negative)
  std::optional<int64_t> at_ms;        // `@ <number>` (seconds * 1000)
  AtModifier at_modifier = AtModifier::kNone;  // `@ start()` / `@ end()`
};

struct VectorSelector final : Expr {
  VectorSelector() : Expr(ExprKind::kVectorSelector) {}
  std::string name;  // metric name when written before the braces
  // Every matcher, including __name__="name" when a name was written.
  std::vector<model::Matcher> matchers;
  TimeModifiers time;
};

struct MatrixSelector final : Expr {
  MatrixSelector() : Expr(ExprKind::kMatrixSelector) {}
  ExprPtr vector_selector;  // a VectorSelector (holds offset and @)
  int64_t range_ms = 0;
};

struct SubqueryExpr final : Expr {
  SubqueryExpr() : Expr(ExprKind::kSubquery) {}
  ExprPtr expr;
  int64_t range_ms = 0;
  int64_t step_ms = 0;  // 0: the engine's default evaluation interval
  TimeModifiers time;
};

struct ParenExpr final : Expr {
  ParenExpr() : Expr(ExprKind::kParen) {}
  ExprPtr expr;
};

struct UnaryExpr final : Expr {
  UnaryExpr() : Expr(ExprKind::kUnary) {}
  Op op = Op::kSub;  // kAdd or kSub
  ExprPtr expr;
};

enum class Cardinality : uint8_t { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

// How the two sides of a vector/vector operation are matched.
struct VectorMatching {
  Cardinality card = Cardinality::kOneToOne;
  // The labels of `on(...)` or `ignoring(...)`.
  std::vector<std::string> matching_labels;
  bool on = false;  // on(...) rather than ignoring(...)
  // Labels copied from the "one" side: group_left(...)/group_right(...).
  std::vector<std::string> include;
};

struct BinaryExpr final : Expr {
  BinaryExpr() : Expr(ExprKind::kBinary) {}
  Op op = Op::kAdd;
  ExprPtr lhs;
  ExprPtr rhs;
  // Set when both sides are vectors (set operators: many-to-many).
  std::optional<VectorMatching> matching;
  bool return_bool = false;  // comparison with `bool`
};

struct Function;  // functions.h

struct Call final : Expr {
  Call() : Expr(ExprKind::kCall) {}
  const Function* func = nullptr;
  std::vector<ExprPtr> args;
};

struct AggregateExpr final : Expr {
  AggregateExpr() : Expr(ExprKind::kAggregate) {}
  Op op = Op::kSum;
  ExprPtr expr;
  ExprPtr param;  // topk/bottomk/quantile/count_values only
  std::vector<std::string> grouping;
  bool without = false;
};

// Prometheus' String(): the canonical text of an expression (e.g.
// `sum by (job) (rate(x{a="b"}[5m] offset 1m))`).
std::string ToString(const Expr& e);

}  // namespace vigil::promql
