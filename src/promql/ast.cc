#include "promql/ast.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "model/duration.h"
#include "base/strings.h"
#include "promql/functions.h"
#include "promql/lexer.h"

namespace vigil::promql {
namespace {

[[gnu::noinline]] std::string FormatDurationMs(int64_t ms) {
  return model::FormatDuration(std::chrono::milliseconds(ms));
}

[[gnu::noinline]] void AppendJoined(const std::vector<std::string>& items,
                                    std::string* out) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) *out += ", ";
    *out += items[i];
  }
}

// " @ 10.000" / " @ start()" / " @ end()" then " offset 1m" / " offset -1m",
// the order Prometheus prints them in.
[[gnu::noinline]] void AppendTimeModifiers(const TimeModifiers& t,
                                           std::string* out) {
  if (t.at_ms.has_value()) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), " @ %.3f",
                  static_cast<double>(*t.at_ms) / 1000.0);
    *out += buf;
  } else if (t.at_modifier == AtModifier::kStart) {
    *out += " @ start()";
  } else if (t.at_modifier == AtModifier::kEnd) {
    *out += " @ end()";
  }
  if (t.offset_ms > 0) {
    *out += " offset " + FormatDurationMs(t.offset_ms);
  } else if (t.offset_ms < 0) {
    *out += " offset -" + FormatDurationMs(-t.offset_ms);
  }
}

// The selector without its time modifiers: name{sorted matchers}. The
// __name__ matcher that only repeats the written name is left out.
[[gnu::noinline]] void AppendSelectorBody(const VectorSelector& vs,
                                          std::string* out) {
  std::vector<std::string> parts;
  parts.reserve(vs.matchers.size());
  for (const model::Matcher& m : vs.matchers) {
    if (m.name() == "__name__" && m.type() == model::MatchType::kEqual &&
        m.value() == vs.name && !m.value().empty()) {
      continue;
    }
    parts.push_back(m.name() + std::string(model::MatchTypeString(m.type())) +
                    GoQuote(m.value()));
  }
  *out += vs.name;
  if (parts.empty()) return;
  std::sort(parts.begin(), parts.end());
  *out += '{';
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) *out += ',';
    *out += parts[i];
  }
  *out += '}';
}

void Print(const Expr& e, std::string* out);

// The helpers here do the string work of one node; Print() recurses over
// the tree and only dispatches, so that each recursion step stays small
// (they are kept out of line for that reason).

[[gnu::noinline]] void AppendRange(int64_t range_ms, std::string* out) {
  *out += '[';
  *out += FormatDurationMs(range_ms);
  *out += ']';
}

[[gnu::noinline]] void AppendSubqueryRange(const SubqueryExpr& sq,
                                           std::string* out) {
  *out += '[';
  *out += FormatDurationMs(sq.range_ms);
  *out += ':';
  if (sq.step_ms != 0) *out += FormatDurationMs(sq.step_ms);
  *out += ']';
}

// " op[ bool][ on (...)| ignoring (...)][ group_x (...)] ".
[[gnu::noinline]] void AppendBinaryOperator(const BinaryExpr& b,
                                            std::string* out) {
  *out += ' ';
  *out += OpString(b.op);
  if (b.return_bool) *out += " bool";
  if (b.matching.has_value()) {
    const VectorMatching& vm = *b.matching;
    const bool grouped = vm.card == Cardinality::kManyToOne ||
                         vm.card == Cardinality::kOneToMany;
    // Prometheus 2.42 dropped an empty ignoring() even before group_x();
    // later versions keep it so that the text means the same. So do we.
    if (!vm.matching_labels.empty() || vm.on || grouped) {
      *out += vm.on ? " on (" : " ignoring (";
      AppendJoined(vm.matching_labels, out);
      *out += ')';
    }
    if (grouped) {
      *out += vm.card == Cardinality::kManyToOne ? " group_left ("
                                                 : " group_right (";
      AppendJoined(vm.include, out);
      *out += ')';
    }
  }
  *out += ' ';
}

// "sum by (a, b) (" and the like.
[[gnu::noinline]] void AppendAggregateHead(const AggregateExpr& a,
                                           std::string* out) {
  *out += OpString(a.op);
  if (a.without) {
    *out += " without (";
    AppendJoined(a.grouping, out);
    *out += ") ";
  } else if (!a.grouping.empty()) {
    *out += " by (";
    AppendJoined(a.grouping, out);
    *out += ") ";
  }
  *out += '(';
}

[[gnu::noinline]] void AppendNumber(const NumberLiteral& n, std::string* out) {
  // Go's strconv.FormatFloat(v, 'f', -1, 64), never in exponent form.
  AppendFloatShortest(n.value, 'f', out);
}

[[gnu::noinline]] void AppendString(const StringLiteral& s, std::string* out) {
  *out += GoQuote(s.value);
}

void Print(const Expr& e, std::string* out) {
  switch (e.kind) {
    case ExprKind::kNumber:
      AppendNumber(static_cast<const NumberLiteral&>(e), out);
      return;
    case ExprKind::kString:
      AppendString(static_cast<const StringLiteral&>(e), out);
      return;
    case ExprKind::kVectorSelector: {
      const auto& vs = static_cast<const VectorSelector&>(e);
      AppendSelectorBody(vs, out);
      AppendTimeModifiers(vs.time, out);
      return;
    }
    case ExprKind::kMatrixSelector: {
      const auto& ms = static_cast<const MatrixSelector&>(e);
      const Expr& inner = *ms.vector_selector;
      if (inner.kind != ExprKind::kVectorSelector) {
        Print(inner, out);  // not built by the parser
        AppendRange(ms.range_ms, out);
        return;
      }
      const auto& vs = static_cast<const VectorSelector&>(inner);
      AppendSelectorBody(vs, out);
      AppendRange(ms.range_ms, out);
      AppendTimeModifiers(vs.time, out);
      return;
    }
    case ExprKind::kSubquery: {
      const auto& sq = static_cast<const SubqueryExpr&>(e);
      Print(*sq.expr, out);
      AppendSubqueryRange(sq, out);
      AppendTimeModifiers(sq.time, out);
      return;
    }
    case ExprKind::kParen:
      *out += '(';
      Print(*static_cast<const ParenExpr&>(e).expr, out);
      *out += ')';
      return;
    case ExprKind::kUnary: {
      const auto& u = static_cast<const UnaryExpr&>(e);
      *out += OpString(u.op);
      Print(*u.expr, out);
      return;
    }
    case ExprKind::kBinary: {
      const auto& b = static_cast<const BinaryExpr&>(e);
      Print(*b.lhs, out);
      AppendBinaryOperator(b, out);
      Print(*b.rhs, out);
      return;
    }
    case ExprKind::kCall: {
      const auto& c = static_cast<const Call&>(e);
      if (c.func != nullptr) *out += c.func->name;
      *out += '(';
      for (size_t i = 0; i < c.args.size(); ++i) {
        if (i > 0) *out += ", ";
        Print(*c.args[i], out);
      }
      *out += ')';
      return;
    }
    case ExprKind::kAggregate: {
      const auto& a = static_cast<const AggregateExpr&>(e);
      AppendAggregateHead(a, out);
      if (AggregationTakesParam(a.op) && a.param != nullptr) {
        Print(*a.param, out);
        *out += ", ";
      }
      if (a.expr != nullptr) Print(*a.expr, out);
      *out += ')';
      return;
    }
  }
}

}  // namespace

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNone: return "none";
    case ValueType::kScalar: return "scalar";
    case ValueType::kVector: return "instant vector";
    case ValueType::kMatrix: return "range vector";
    case ValueType::kString: return "string";
  }
  return "none";
}

std::string_view OpString(Op op) {
  switch (op) {
    case Op::kAdd: return "+";
    case Op::kSub: return "-";
    case Op::kMul: return "*";
    case Op::kDiv: return "/";
    case Op::kMod: return "%";
    case Op::kPow: return "^";
    case Op::kAtan2: return "atan2";
    case Op::kEql: return "==";
    case Op::kNeq: return "!=";
    case Op::kGtr: return ">";
    case Op::kLss: return "<";
    case Op::kGte: return ">=";
    case Op::kLte: return "<=";
    case Op::kAnd: return "and";
    case Op::kOr: return "or";
    case Op::kUnless: return "unless";
    case Op::kSum: return "sum";
    case Op::kAvg: return "avg";
    case Op::kCount: return "count";
    case Op::kMin: return "min";
    case Op::kMax: return "max";
    case Op::kGroup: return "group";
    case Op::kStddev: return "stddev";
    case Op::kStdvar: return "stdvar";
    case Op::kTopk: return "topk";
    case Op::kBottomk: return "bottomk";
    case Op::kCountValues: return "count_values";
    case Op::kQuantile: return "quantile";
  }
  return "?";
}

bool IsComparison(Op op) {
  switch (op) {
    case Op::kEql:
    case Op::kNeq:
    case Op::kGtr:
    case Op::kLss:
    case Op::kGte:
    case Op::kLte: return true;
    default: return false;
  }
}

bool IsSetOperator(Op op) {
  return op == Op::kAnd || op == Op::kOr || op == Op::kUnless;
}

bool AggregationTakesParam(Op op) {
  return op == Op::kTopk || op == Op::kBottomk || op == Op::kCountValues ||
         op == Op::kQuantile;
}

ValueType Expr::type() const {
  switch (kind) {
    case ExprKind::kNumber: return ValueType::kScalar;
    case ExprKind::kString: return ValueType::kString;
    case ExprKind::kVectorSelector:
    case ExprKind::kAggregate: return ValueType::kVector;
    case ExprKind::kMatrixSelector:
    case ExprKind::kSubquery: return ValueType::kMatrix;
    case ExprKind::kParen: {
      const auto& p = static_cast<const ParenExpr&>(*this);
      return p.expr ? p.expr->type() : ValueType::kNone;
    }
    case ExprKind::kUnary: {
      const auto& u = static_cast<const UnaryExpr&>(*this);
      return u.expr ? u.expr->type() : ValueType::kNone;
    }
    case ExprKind::kBinary: {
      const auto& b = static_cast<const BinaryExpr&>(*this);
      if (b.lhs && b.rhs && b.lhs->type() == ValueType::kScalar &&
          b.rhs->type() == ValueType::kScalar) {
        return ValueType::kScalar;
      }
      return ValueType::kVector;
    }
    case ExprKind::kCall: {
      const auto& c = static_cast<const Call&>(*this);
      return c.func ? c.func->return_type : ValueType::kNone;
    }
  }
  return ValueType::kNone;
}

std::string ToString(const Expr& e) {
  std::string out;
  Print(e, &out);
  return out;
}

}  // namespace vigil::promql
