// The values a PromQL query yields (Prometheus' promql.Value): a scalar, a
// string, an instant vector or a range vector (matrix).
//
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "model/labels.h"
#include "promql/ast.h"
#include "storage/series_iterator.h"

namespace vigil::promql {

using Point = storage::SamplePair;  // {t: milliseconds, v}

struct Scalar {
  int64_t t = 0;
  double v = 0;
};

struct String {
  int64_t t = 0;
  std::string v;
};

// One element of an instant vector.
struct Sample {
  model::Labels metric;
  int64_t t = 0;
  double v = 0;
};
using Vector = std::vector<Sample>;

// One series of a range vector, points in time order.
struct Series {
  model::Labels metric;
  std::vector<Point> points;
};
using Matrix = std::vector<Series>;

using Value = std::variant<Scalar, String, Vector, Matrix>;

inline ValueType TypeOf(const Value& v) {
  switch (v.index()) {
    case 0: return ValueType::kScalar;
    case 1: return ValueType::kString;
    case 2: return ValueType::kVector;
    default: return ValueType::kMatrix;
  }
}

}  // namespace vigil::promql
