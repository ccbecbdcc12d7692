// The signatures of PromQL's functions (Prometheus 2.42's
// promql/parser/functions.go): what the parser checks a call against. The
// engine implements them (eval_functions.cc).
//
// Thread safety: the table is immutable; safe to use from any thread.
#pragma once

#include <string_view>
#include <vector>

#include "promql/ast.h"

namespace vigil::promql {

struct Function {
  std::string_view name;
  std::vector<ValueType> arg_types;
  // 0: exactly arg_types.size() arguments. n > 0: the last argument is
  // optional and up to n of it may be given (arg_types.size() - 1 to
  // arg_types.size() - 1 + n arguments). -1: any number >= size() - 1.
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
};

// The function called `name`, or null.
const Function* LookupFunction(std::string_view name);
// Every function, in name order.
const std::vector<Function>& AllFunctions();

}  // namespace vigil::promql
