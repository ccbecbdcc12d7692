#include "anomaly/detector.h"

#include <unsupported/Eigen/SpecialFunctions>

#include <algorithm>
#include <cmath>

namespace vigil::anomaly {

double NormalTail(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

double StudentTail(double t, double dof) {
  if (!std::isfinite(t)) return std::isnan(t) ? 1.0 : 0.0;
  if (dof > 1e6) return NormalTail(t);
  // P(|T| > t) = I_{dof / (dof + t^2)}(dof / 2, 1 / 2).
  return Eigen::numext::betainc(0.5 * dof, 0.5, dof / (dof + t * t));
}

Score ScoreFromTail(double p, double warmup, std::string_view type) {
  p = std::clamp(p, 0.0, 1.0);
  warmup = std::clamp(warmup, 0.0, 1.0);
  const double s = p <= 0 ? 1.0 : std::clamp(-std::log10(p) / 10.0, 0.0, 1.0);
  return {.score = s * warmup, .confidence = (1.0 - p) * warmup, .type = type};
}

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kNone: return "none";
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
    case Severity::kCritical: return "critical";
  }
  return "none";
}

Status SeverityThresholds::Validate() const {
  if (!(low > 0 && low <= medium && medium <= high && high <= critical && critical <= 1)) {
    return InvalidArgumentError(
        "severity thresholds must satisfy 0 < low <= medium <= high <= critical <= 1");
  }
  return Status::OK();
}

Severity SeverityThresholds::Classify(double score) const {
  if (score >= critical) return Severity::kCritical;
  if (score >= high) return Severity::kHigh;
  if (score >= medium) return Severity::kMedium;
  if (score >= low) return Severity::kLow;
  return Severity::kNone;
}

Result<double> Options::Get(std::string_view name, double def, double min, double max) {
  auto it = values_.find(std::string(name));
  if (it == values_.end()) return def;
  used_[it->first] = true;
  const double v = it->second;
  if (!std::isfinite(v) || v < min || v > max) {
    return InvalidArgumentError("parameter " + std::string(name) + " must be in [" +
                                std::to_string(min) + ", " + std::to_string(max) + "], got " +
                                std::to_string(v));
  }
  return v;
}

Result<int64_t> Options::GetInt(std::string_view name, int64_t def, int64_t min, int64_t max) {
  Result<double> v = Get(name, static_cast<double>(def), static_cast<double>(min),
                         static_cast<double>(max));
  if (!v.ok()) return v.status();
  if (v.value() != std::floor(v.value())) {
    return InvalidArgumentError("parameter " + std::string(name) + " must be an integer");
  }
  return static_cast<int64_t>(v.value());
}

Status Options::Finish() const {
  for (const auto& [k, v] : values_) {
    if (!used_.contains(k)) return InvalidArgumentError("unknown parameter " + k);
  }
  return Status::OK();
}

Status CheckFinite(double x, std::string_view what) {
  if (!std::isfinite(x)) {
    return InvalidArgumentError(std::string(what) + (std::isnan(x) ? " is NaN" : " is infinite"));
  }
  return Status::OK();
}

Status CheckVector(std::span<const double> x, size_t dim) {
  if (x.empty()) return InvalidArgumentError("empty vector");
  if (dim > 0 && x.size() != dim) {
    return InvalidArgumentError("vector has dimension " + std::to_string(x.size()) +
                                ", expected " + std::to_string(dim));
  }
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      return InvalidArgumentError("element " + std::to_string(i) +
                                  (std::isnan(x[i]) ? " is NaN" : " is infinite"));
    }
  }
  return Status::OK();
}

}  // namespace vigil::anomaly
