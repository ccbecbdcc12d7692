// The detectors by name: the built-in ones and custom methods added at run
// time (the seed's add_detector(name, callable)).
//
//   anomaly::Registry r;   // robust_z, ewma, cusum, seasonal, ensemble,
//                          // mahalanobis, isolation_forest, spatial
//   r.AddFunction("over_budget", [](int64_t, double x) -> Result<Score> {
//     return Score{.score = x > 0.25 ? 1.0 : 0.0, .confidence = 1, .type = "budget"};
//   });
//   Result<std::unique_ptr<Detector>> d = r.Make("ewma", Options({{"alpha", 0.1}}));
//
// A name is [a-z_][a-z0-9_]*; adding one that is taken is kAlreadyExists.
// A custom stateful method is a factory; a stateless one a function
// (its Save writes nothing: it has nothing to learn).
//
// Thread safety: thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "anomaly/detector.h"

namespace vigil::anomaly {

using DetectorFactory = std::function<Result<std::unique_ptr<Detector>>(Options)>;
using VectorDetectorFactory = std::function<Result<std::unique_ptr<VectorDetector>>(Options)>;
using ScoreFunction = std::function<Result<Score>(int64_t t_ms, double x)>;
using VectorScoreFunction =
    std::function<Result<Score>(int64_t t_ms, std::span<const double> x)>;

enum class DetectorKind : uint8_t { kUnknown, kScalar, kVector };

class Registry {
 public:
  Registry();  // with the built-in detectors

  Status AddScalar(std::string name, DetectorFactory factory);
  Status AddVector(std::string name, VectorDetectorFactory factory);
  // Stateless custom methods; the function must accept no parameters.
  Status AddFunction(std::string name, ScoreFunction fn);
  Status AddVectorFunction(std::string name, VectorScoreFunction fn);

  DetectorKind KindOf(std::string_view name) const;
  // kNotFound for an unknown name (listing the known ones), or the
  // factory's error for bad parameters.
  Result<std::unique_ptr<Detector>> Make(std::string_view name, Options options) const;
  Result<std::unique_ptr<VectorDetector>> MakeVector(std::string_view name,
                                                     Options options) const;
  std::vector<std::string> Names() const;

 private:
  Status CheckNew(const std::string& name) const;  // mu_ held
  Status Unknown(std::string_view name) const;     // mu_ held
  template <typename D, typename F, typename Other>
  Result<std::unique_ptr<D>> MakeFrom(const std::map<std::string, F, std::less<>>& own,
                                      const Other& other, std::string_view name,
                                      Options options, std::string_view wrong) const;

  mutable std::mutex mu_;
  std::map<std::string, DetectorFactory, std::less<>> scalar_;
  std::map<std::string, VectorDetectorFactory, std::less<>> vector_;
};

}  // namespace vigil::anomaly
