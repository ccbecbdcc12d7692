// Spatial consistency (issue 7): where things are detected, e.g. the
// centres of detection boxes in normalised image coordinates, in 2-D or 3-D.
//
// SpatialDetector (a VectorDetector of dimension 2 or 3) scores a location
// by its distance to its k-th nearest neighbour among the last `window`
// locations, against the distribution of those distances within the window
// itself (leave-one-out, for up to 256 of its points; refitted every
// `refit` locations):
// a location far from where things usually are is an outlier of type
// "spatial" (one-sided: being in a dense place is never anomalous). The
// tail probability is the fraction of the window's own (leave-one-out)
// distances that are as large, and beyond their 90th percentile an
// exponential tail fitted to the excesses over it (peaks over threshold),
// so scores beyond anything seen stay calibrated.
//
// It also keeps a heat map: a grid of `cells` per axis over the configured
// bounds (default [0, 1] on each axis; outside locations count in the edge
// cells) with, per cell, the locations seen and those that scored at or
// above `anomaly_score` (0.5).
//
// Thread safety: thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "anomaly/detector.h"
#include "anomaly/multivariate.h"

namespace vigil::anomaly {

struct HeatMap {
  int dims = 2;
  int cells = 0;              // per axis
  std::array<double, 3> min{}, max{};
  std::vector<uint64_t> seen;       // cells^dims, x fastest
  std::vector<uint64_t> anomalies;  // the same layout
  // The index of the cell holding p (clamped to the grid).
  size_t CellOf(std::span<const double> p) const;
};

class SpatialDetector final : public VectorDetector {
 public:
  // Parameters: dim (2 or 3; default 2), k (5), window (512), refit (128),
  // min_points (50), cells (16; at most 64 in 2-D, 16 in 3-D), min_x..max_z
  // (bounds of the heat map, default 0 and 1), anomaly_score (0.5).
  static Result<std::unique_ptr<VectorDetector>> Make(Options options);

  std::string_view name() const override { return "spatial"; }
  size_t dim() const override { return static_cast<size_t>(heat_.dims); }
  Result<Score> Update(int64_t t_ms, std::span<const double> x) override;
  void Save(StateWriter& w) const override;
  Status Load(StateReader& r) override;

  const HeatMap& heat_map() const { return heat_; }

 private:
  SpatialDetector(size_t k, size_t window, size_t refit, size_t min_points, double anomaly_score,
                  HeatMap heat);
  // The distance from x to its k-th nearest neighbour in the window,
  // skipping window index `skip` (leave one out; npos: none).
  double KthDistance(std::span<const double> x, size_t skip) const;
  void Fit();
  double TailProbability(double log_distance) const;

  size_t k_, refit_, min_points_;
  double anomaly_score_;
  VectorWindow window_;
  size_t since_fit_ = 0;
  bool fitted_ = false;
  std::vector<double> ref_logs_;  // sorted log k-th distances of the window
  double tail_q_ = 0, tail_beta_ = 0;
  HeatMap heat_;
};

}  // namespace vigil::anomaly
