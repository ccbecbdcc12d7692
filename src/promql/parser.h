// The PromQL parser: Prometheus 2.42's grammar (promql/parser/
// generated_parser.y and lex.go) as a hand-written lexer and a
// precedence-climbing parser, with the same type checks and error texts.
//
//   Result<ExprPtr> e = ParseExpr("rate(http_requests_total[5m])");
//   // error: kInvalidArgument "1:6: parse error: unexpected <EOF>, ..."
//
// Errors are kInvalidArgument whose message starts with the position as
// "<line>:<column>: parse error: " (1-based; the column counts bytes), as
// Prometheus prints ParseErr.
//
// Thread safety: pure functions; safe to call concurrently.
#pragma once

#include <string_view>
#include <vector>

#include "model/matcher.h"
#include "promql/ast.h"
#include "vigil/result.h"

namespace vigil::promql {

// A complete expression, type-checked.
Result<ExprPtr> ParseExpr(std::string_view input);

// A series selector such as `up{job="api"}` or `{__name__=~"a.*"}` (the
// match[] parameter of /api/v1/series): its matchers, including
// __name__="..." for a leading name. Offsets, @ and ranges are errors.
Result<std::vector<model::Matcher>> ParseMetricSelector(std::string_view input);

// A PromQL duration ("5m", "1h30m", "1.5" is not one); milliseconds.
Result<int64_t> ParseDurationMs(std::string_view input);

}  // namespace vigil::promql
