// Multivariate detectors (issue 7) for feature vectors such as embeddings
// or per-frame statistics; each a VectorDetector (anomaly/detector.h). The
// dimension is fixed by the first vector (or the `dim` parameter); memory
// is constant: `window` vectors.
//
//   MahalanobisDetector  the squared Mahalanobis distance of x from the
//                        mean of the last `window` vectors, with their
//                        covariance shrunk toward a scaled identity
//                        (Ledoit-Wolf's optimal intensity, or a fixed
//                        `shrinkage`) so it stays invertible and stable
//                        with few vectors or many dimensions. p is the
//                        chi-squared tail of that distance. Refitted every
//                        `refit` vectors: O(window * dim^2) each time.
//   IsolationForestDetector  Liu, Ting and Zhou's isolation forest, trained
//                        on the last `window` vectors and retrained every
//                        `refit` vectors (`trees` trees on subsamples of
//                        `sample`, a fixed seed: the same window gives the
//                        same forest). score = (s - 0.5) / 0.3 for the
//                        forest's s (s = 0.65 scores 0.5, 0.8 scores 1: far
//                        outliers reach 0.7 to 0.8); confidence is the fraction
//                        of the training window (up to 256 of its vectors)
//                        that x is more isolated than.
//
// Thread safety: thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "anomaly/detector.h"

namespace vigil::anomaly {

// The last `capacity` vectors of one dimension, oldest first.
class VectorWindow {
 public:
  explicit VectorWindow(size_t capacity) : capacity_(capacity) {}
  void Add(std::span<const double> x);
  size_t size() const { return count_; }
  size_t dim() const { return dim_; }
  void set_dim(size_t d) { dim_ = d; }
  // The i-th vector, 0 = oldest.
  std::span<const double> at(size_t i) const;
  void Save(StateWriter& w) const;
  Status Load(StateReader& r, std::string_view what);

 private:
  size_t capacity_;
  size_t dim_ = 0;
  size_t count_ = 0, head_ = 0;  // head_: slot of the oldest
  std::vector<double> data_;
};

class MahalanobisDetector final : public VectorDetector {
 public:
  // Parameters: dim (0: from the first vector), window (500), refit (25),
  // shrinkage (-1: Ledoit-Wolf; or 0..1), min_points (30).
  static Result<std::unique_ptr<VectorDetector>> Make(Options options);

  std::string_view name() const override { return "mahalanobis"; }
  size_t dim() const override { return window_.dim(); }
  Result<Score> Update(int64_t t_ms, std::span<const double> x) override;
  void Save(StateWriter& w) const override;
  Status Load(StateReader& r) override;

  // The shrinkage intensity of the last fit (for tests).
  double shrinkage() const { return lambda_; }

 private:
  MahalanobisDetector(size_t window, size_t refit, double shrinkage, size_t min_points);
  void Fit();

  VectorWindow window_;
  size_t refit_, min_points_;
  double fixed_shrinkage_;
  size_t since_fit_ = 0;
  bool fitted_ = false;
  double lambda_ = 0;
  std::vector<double> mean_;
  std::vector<double> precision_;  // dim x dim, row-major
};

class IsolationForestDetector final : public VectorDetector {
 public:
  // Parameters: dim (0), trees (100), sample (256), window (1024), refit
  // (256), min_points (64).
  static Result<std::unique_ptr<VectorDetector>> Make(Options options);

  std::string_view name() const override { return "isolation_forest"; }
  size_t dim() const override { return window_.dim(); }
  Result<Score> Update(int64_t t_ms, std::span<const double> x) override;
  void Save(StateWriter& w) const override;
  Status Load(StateReader& r) override;

  // The forest's raw score s in (0, 1] for x (0.5 until trained).
  double RawScore(std::span<const double> x) const;

 private:
  struct Node {
    int32_t left = -1, right = -1;  // -1: a leaf
    uint32_t feature = 0;
    double split = 0;
    uint32_t size = 0;  // points that reached a leaf
  };
  IsolationForestDetector(size_t trees, size_t sample, size_t window, size_t refit,
                          size_t min_points);
  void Fit();
  int32_t Build(std::vector<Node>& tree, std::vector<size_t>& idx, size_t begin, size_t end,
                int depth, int max_depth, uint64_t& rng);
  double PathLength(const std::vector<Node>& tree, std::span<const double> x) const;

  size_t trees_, sample_, refit_, min_points_;
  VectorWindow window_;
  size_t since_fit_ = 0;
  uint64_t fits_ = 0;
  size_t sample_fit_ = 0;  // the subsample size of the last fit
  std::vector<std::vector<Node>> forest_;
  std::vector<double> train_scores_;  // sorted raw scores of the window
};

}  // namespace vigil::anomaly
