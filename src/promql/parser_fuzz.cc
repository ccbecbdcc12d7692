// libFuzzer target for the PromQL parser (ParseExpr, ParseMetricSelector):
// every input must parse or fail with a positioned kInvalidArgument, and a
// parsed expression must survive the printer: ToString() of it parses again,
// to the same type, and prints the same text. The printer is meant to
// round-trip what the parser builds (PrinterTest.RoundTripIsStable): it keeps
// parentheses and writes canonical numbers, durations, strings and
// modifiers, so the first print may differ from the input but the second
// must equal the first. One construct is exempt from the text comparison
// (see HasSignedInfPowerBase). Built with -DVIGIL_BUILD_FUZZERS=ON under
// Clang; run by scripts/fuzz.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "model/matcher.h"
#include "promql/ast.h"
#include "promql/parser.h"
#include "vigil/result.h"

namespace {

using vigil::promql::BinaryExpr;
using vigil::promql::Expr;
using vigil::promql::ExprKind;
using vigil::promql::ExprPtr;
using vigil::promql::NumberLiteral;

[[noreturn]] void Fail(const char* what, std::string_view input,
                       std::string_view detail) {
  std::fprintf(stderr,
               "promql parser_fuzz: %s\n  input:  [%.*s]\n  detail: [%.*s]\n",
               what, static_cast<int>(input.size()), input.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// Errors are kInvalidArgument "<line>:<col>: parse error: ...".
void CheckError(const vigil::Status& s, std::string_view input) {
  const std::string_view msg = s.message();
  if (s.code() != vigil::StatusCode::kInvalidArgument) {
    Fail("error is not kInvalidArgument", input, msg);
  }
  const size_t at = msg.find(": parse error: ");
  const size_t colon = msg.find(':');
  if (at == std::string_view::npos || colon == 0 || colon >= at) {
    Fail("error lacks \"<line>:<col>: parse error: \"", input, msg);
  }
  for (size_t i = 0; i < at; ++i) {
    const char c = msg[i];
    if (i != colon && (c < '0' || c > '9')) {
      Fail("error position is not <line>:<col>", input, msg);
    }
  }
}

// The children of a node, for an iterative walk (trees nest up to the
// parser's depth bound; no recursion here).
void PushChildren(const Expr& e, std::vector<const Expr*>* stack) {
  const auto push = [&](const ExprPtr& c) {
    if (c != nullptr) stack->push_back(c.get());
  };
  switch (e.kind) {
    case ExprKind::kNumber:
    case ExprKind::kString:
    case ExprKind::kVectorSelector:
      return;
    case ExprKind::kMatrixSelector:
      push(
          static_cast<const vigil::promql::MatrixSelector&>(e).vector_selector);
      return;
    case ExprKind::kSubquery:
      push(static_cast<const vigil::promql::SubqueryExpr&>(e).expr);
      return;
    case ExprKind::kParen:
      push(static_cast<const vigil::promql::ParenExpr&>(e).expr);
      return;
    case ExprKind::kUnary:
      push(static_cast<const vigil::promql::UnaryExpr&>(e).expr);
      return;
    case ExprKind::kBinary:
      push(static_cast<const BinaryExpr&>(e).lhs);
      push(static_cast<const BinaryExpr&>(e).rhs);
      return;
    case ExprKind::kCall:
      for (const ExprPtr& a : static_cast<const vigil::promql::Call&>(e).args) {
        push(a);
      }
      return;
    case ExprKind::kAggregate:
      push(static_cast<const vigil::promql::AggregateExpr&>(e).param);
      push(static_cast<const vigil::promql::AggregateExpr&>(e).expr);
      return;
  }
}

// Whether the tree has the literal +Inf as the left operand of ^. The
// printer writes +Inf as "+Inf" (as Prometheus' String() does), and there
// the sign reads back as a unary plus over the whole power: `Inf ^ 2` prints
// "+Inf ^ 2", which parses as +(Inf ^ 2) and prints "++Inf ^ 2". For such
// trees only "the print parses, to the same type" is checked.
bool HasSignedInfPowerBase(const Expr& root) {
  std::vector<const Expr*> stack = {&root};
  while (!stack.empty()) {
    const Expr& e = *stack.back();
    stack.pop_back();
    if (e.kind == ExprKind::kBinary) {
      const auto& b = static_cast<const BinaryExpr&>(e);
      if (b.op == vigil::promql::Op::kPow && b.lhs != nullptr &&
          b.lhs->kind == ExprKind::kNumber &&
          std::isinf(static_cast<const NumberLiteral&>(*b.lhs).value) &&
          static_cast<const NumberLiteral&>(*b.lhs).value > 0) {
        return true;
      }
    }
    PushChildren(e, &stack);
  }
  return false;
}

void CheckExpr(std::string_view in) {
  vigil::Result<ExprPtr> e = vigil::promql::ParseExpr(in);
  if (!e.ok()) {
    CheckError(e.status(), in);
    return;
  }
  if (*e == nullptr) Fail("ParseExpr returned a null tree", in, "");
  const std::string first = vigil::promql::ToString(**e);
  vigil::Result<ExprPtr> again = vigil::promql::ParseExpr(first);
  if (!again.ok()) {
    Fail("printed expression does not parse", in,
         first + "  =>  " + std::string(again.status().message()));
  }
  if ((*again)->type() != (*e)->type()) {
    Fail("reparsed expression has another type", in, first);
  }
  if (HasSignedInfPowerBase(**e)) return;
  const std::string second = vigil::promql::ToString(**again);
  if (second != first) {
    Fail("printing is not stable", in, first + "  !=  " + second);
  }
}

void CheckSelector(std::string_view in) {
  vigil::Result<std::vector<vigil::model::Matcher>> m =
      vigil::promql::ParseMetricSelector(in);
  if (!m.ok()) CheckError(m.status(), in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  CheckExpr(in);
  CheckSelector(in);
  return 0;
}
