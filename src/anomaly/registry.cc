#include "anomaly/registry.h"

#include <cmath>

#include "anomaly/multivariate.h"
#include "anomaly/spatial.h"
#include "anomaly/statistical.h"
#include "anomaly/univariate.h"

namespace vigil::anomaly {
namespace {

bool ValidName(std::string_view n) {
  if (n.empty() || (n[0] >= '0' && n[0] <= '9')) return false;
  for (char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// A stateless custom method as a Detector.
class FunctionDetector final : public Detector {
 public:
  FunctionDetector(std::string name, ScoreFunction fn)
      : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string_view name() const override { return name_; }
  Result<Score> Update(int64_t t_ms, double x) override {
    if (Status s = CheckFinite(x); !s.ok()) return s;
    return fn_(t_ms, x);
  }
  void Save(StateWriter&) const override {}
  Status Load(StateReader&) override { return Status::OK(); }

 private:
  std::string name_;
  ScoreFunction fn_;
};

class VectorFunctionDetector final : public VectorDetector {
 public:
  VectorFunctionDetector(std::string name, VectorScoreFunction fn)
      : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string_view name() const override { return name_; }
  size_t dim() const override { return 0; }
  Result<Score> Update(int64_t t_ms, std::span<const double> x) override {
    if (Status s = CheckVector(x, 0); !s.ok()) return s;
    return fn_(t_ms, x);
  }
  void Save(StateWriter&) const override {}
  Status Load(StateReader&) override { return Status::OK(); }

 private:
  std::string name_;
  VectorScoreFunction fn_;
};

// The NAB-measured ensemble (univariate.h) as a Detector. Its score is on
// the common scale already (0.5 = likelihood 1 - 1e-5); the confidence is
// that likelihood, 1 for an out-of-range value.
class EnsembleAdapter final : public Detector {
 public:
  std::string_view name() const override { return EnsembleDetector::kName; }
  Result<Score> Update(int64_t t_ms, double x) override {
    Result<double> s = ensemble_.Update(t_ms, x);
    if (!s.ok()) return s.status();
    return Score{.score = s.value(),
                 .confidence = 1.0 - std::pow(10.0, -10.0 * s.value()),
                 .type = ensemble_.last_type()};
  }
  void Save(StateWriter& w) const override { ensemble_.Save(w); }
  Status Load(StateReader& r) override { return ensemble_.Load(r); }

 private:
  EnsembleDetector ensemble_;
};

Result<std::unique_ptr<Detector>> MakeEnsemble(Options o) {
  if (Status s = o.Finish(); !s.ok()) return s;
  return std::unique_ptr<Detector>(std::make_unique<EnsembleAdapter>());
}

// A custom method's score is checked like any input: a function returning
// NaN or a value outside [0, 1] is an error, not a poisoned finding.
Result<Score> Checked(std::string_view name, Result<Score> s) {
  if (!s.ok()) return s;
  const Score& v = s.value();
  if (!(v.score >= 0 && v.score <= 1) || !(v.confidence >= 0 && v.confidence <= 1)) {
    return InternalError("detector " + std::string(name) +
                         " returned a score or confidence outside [0, 1]");
  }
  return s;
}

}  // namespace

Registry::Registry() {
  scalar_["robust_z"] = RobustZDetector::Make;
  scalar_["ewma"] = EwmaDetector::Make;
  scalar_["cusum"] = CusumDetector::Make;
  scalar_["seasonal"] = SeasonalDetector::Make;
  scalar_["ensemble"] = MakeEnsemble;
  vector_["mahalanobis"] = MahalanobisDetector::Make;
  vector_["isolation_forest"] = IsolationForestDetector::Make;
  vector_["spatial"] = SpatialDetector::Make;
}

Status Registry::CheckNew(const std::string& name) const {
  if (!ValidName(name)) {
    return InvalidArgumentError("detector name \"" + name + "\" must match [a-z_][a-z0-9_]*");
  }
  if (scalar_.contains(name) || vector_.contains(name)) {
    return AlreadyExistsError("detector " + name + " already exists");
  }
  return Status::OK();
}

Status Registry::AddScalar(std::string name, DetectorFactory factory) {
  std::lock_guard lock(mu_);
  if (Status s = CheckNew(name); !s.ok()) return s;
  scalar_[std::move(name)] = std::move(factory);
  return Status::OK();
}

Status Registry::AddVector(std::string name, VectorDetectorFactory factory) {
  std::lock_guard lock(mu_);
  if (Status s = CheckNew(name); !s.ok()) return s;
  vector_[std::move(name)] = std::move(factory);
  return Status::OK();
}

Status Registry::AddFunction(std::string name, ScoreFunction fn) {
  const std::string n = name;
  return AddScalar(std::move(name), [n, fn](Options o) -> Result<std::unique_ptr<Detector>> {
    if (Status s = o.Finish(); !s.ok()) return s;
    return std::unique_ptr<Detector>(std::make_unique<FunctionDetector>(
        n, [n, fn](int64_t t, double x) { return Checked(n, fn(t, x)); }));
  });
}

Status Registry::AddVectorFunction(std::string name, VectorScoreFunction fn) {
  const std::string n = name;
  return AddVector(std::move(name),
                   [n, fn](Options o) -> Result<std::unique_ptr<VectorDetector>> {
                     if (Status s = o.Finish(); !s.ok()) return s;
                     return std::unique_ptr<VectorDetector>(
                         std::make_unique<VectorFunctionDetector>(
                             n, [n, fn](int64_t t, std::span<const double> x) {
                               return Checked(n, fn(t, x));
                             }));
                   });
}

DetectorKind Registry::KindOf(std::string_view name) const {
  std::lock_guard lock(mu_);
  if (scalar_.contains(name)) return DetectorKind::kScalar;
  if (vector_.contains(name)) return DetectorKind::kVector;
  return DetectorKind::kUnknown;
}

Status Registry::Unknown(std::string_view name) const {
  std::string known;
  for (const auto& [k, v] : scalar_) known += (known.empty() ? "" : ", ") + k;
  for (const auto& [k, v] : vector_) known += (known.empty() ? "" : ", ") + k;
  return NotFoundError("unknown detector \"" + std::string(name) + "\" (known: " + known + ")");
}

template <typename D, typename F, typename Other>
Result<std::unique_ptr<D>> Registry::MakeFrom(const std::map<std::string, F, std::less<>>& own,
                                              const Other& other, std::string_view name,
                                              Options options, std::string_view wrong) const {
  F f;
  {
    std::lock_guard lock(mu_);
    auto it = own.find(name);
    if (it == own.end()) {
      if (other.contains(name)) {
        return InvalidArgumentError("detector " + std::string(name) + " takes " +
                                    std::string(wrong));
      }
      return Unknown(name);
    }
    f = it->second;
  }
  Result<std::unique_ptr<D>> d = f(std::move(options));
  if (!d.ok()) return d.status().WithPrefix("detector " + std::string(name));
  return d;
}

Result<std::unique_ptr<Detector>> Registry::Make(std::string_view name, Options options) const {
  return MakeFrom<Detector>(scalar_, vector_, name, std::move(options),
                            "vectors, not single values");
}

Result<std::unique_ptr<VectorDetector>> Registry::MakeVector(std::string_view name,
                                                             Options options) const {
  return MakeFrom<VectorDetector>(vector_, scalar_, name, std::move(options),
                                  "single values, not vectors");
}

std::vector<std::string> Registry::Names() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [k, v] : scalar_) out.push_back(k);
  for (const auto& [k, v] : vector_) out.push_back(k);
  return out;
}

}  // namespace vigil::anomaly
