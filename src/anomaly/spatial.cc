#include "anomaly/spatial.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vigil::anomaly {
namespace {

constexpr size_t kNone = std::numeric_limits<size_t>::max();
constexpr double kTailFraction = 0.1;

}  // namespace

size_t HeatMap::CellOf(std::span<const double> p) const {
  size_t index = 0, stride = 1;
  for (int a = 0; a < dims; ++a) {
    const double f = (p[a] - min[a]) / (max[a] - min[a]);
    const int c = std::clamp(static_cast<int>(std::floor(f * cells)), 0, cells - 1);
    index += static_cast<size_t>(c) * stride;
    stride *= static_cast<size_t>(cells);
  }
  return index;
}

Result<std::unique_ptr<VectorDetector>> SpatialDetector::Make(Options o) {
  Result<int64_t> dim = o.GetInt("dim", 2, 2, 3);
  Result<int64_t> k = o.GetInt("k", 5, 1, 100);
  Result<int64_t> window = o.GetInt("window", 512, 10, 100000);
  Result<int64_t> refit = o.GetInt("refit", 128, 1, 1000000);
  Result<int64_t> min_points = o.GetInt("min_points", 50, 3, 1000000);
  Result<double> anomaly_score = o.Get("anomaly_score", 0.5, 0, 1);
  for (const Status& s : {dim.status(), k.status(), window.status(), refit.status(),
                          min_points.status(), anomaly_score.status()}) {
    if (!s.ok()) return s;
  }
  const int64_t max_cells = dim.value() == 2 ? 64 : 16;
  Result<int64_t> cells = o.GetInt("cells", 16, 1, max_cells);
  if (!cells.ok()) return cells.status();
  if (min_points.value() > window.value() || k.value() >= min_points.value()) {
    return InvalidArgumentError("parameters must satisfy k < min_points <= window");
  }
  HeatMap heat{.dims = static_cast<int>(dim.value()), .cells = static_cast<int>(cells.value())};
  const char* axes[] = {"x", "y", "z"};
  for (int a = 0; a < heat.dims; ++a) {
    Result<double> lo = o.Get(std::string("min_") + axes[a], 0, -1e300, 1e300);
    Result<double> hi = o.Get(std::string("max_") + axes[a], 1, -1e300, 1e300);
    if (!lo.ok()) return lo.status();
    if (!hi.ok()) return hi.status();
    if (!(lo.value() < hi.value())) {
      return InvalidArgumentError(std::string("parameter min_") + axes[a] + " must be below max_" +
                                  axes[a]);
    }
    heat.min[a] = lo.value();
    heat.max[a] = hi.value();
  }
  size_t total = 1;
  for (int a = 0; a < heat.dims; ++a) total *= static_cast<size_t>(heat.cells);
  heat.seen.assign(total, 0);
  heat.anomalies.assign(total, 0);
  if (Status s = o.Finish(); !s.ok()) return s;
  auto d = std::unique_ptr<SpatialDetector>(
      new SpatialDetector(k.value(), window.value(), refit.value(), min_points.value(),
                          anomaly_score.value(), std::move(heat)));
  return std::unique_ptr<VectorDetector>(std::move(d));
}

SpatialDetector::SpatialDetector(size_t k, size_t window, size_t refit, size_t min_points,
                                 double anomaly_score, HeatMap heat)
    : k_(k),
      refit_(refit),
      min_points_(min_points),
      anomaly_score_(anomaly_score),
      window_(window),
      heat_(std::move(heat)) {
  window_.set_dim(static_cast<size_t>(heat_.dims));
}

double SpatialDetector::KthDistance(std::span<const double> x, size_t skip) const {
  // The k smallest squared distances, kept sorted (k is small).
  std::vector<double> best;
  best.reserve(k_ + 1);
  for (size_t i = 0; i < window_.size(); ++i) {
    if (i == skip) continue;
    std::span<const double> p = window_.at(i);
    double d2 = 0;
    for (size_t a = 0; a < p.size(); ++a) d2 += (p[a] - x[a]) * (p[a] - x[a]);
    if (best.size() < k_ || d2 < best.back()) {
      best.insert(std::upper_bound(best.begin(), best.end(), d2), d2);
      if (best.size() > k_) best.pop_back();
    }
  }
  return best.empty() ? 0 : std::sqrt(best.back());
}

void SpatialDetector::Fit() {
  std::vector<double>& logs = ref_logs_;
  logs.clear();
  // Distances of 0 (repeated locations) are floored at a tiny fraction of
  // the heat map's extent so the log stays finite.
  const double floor = 1e-9 * (heat_.max[0] - heat_.min[0]);
  // Leave-one-out distances of at most 256 of the window's points, evenly
  // spaced: the reference distribution at a quarter of the cost of all 512.
  const size_t stride = (window_.size() + 255) / 256;
  for (size_t i = 0; i < window_.size(); i += stride) {
    logs.push_back(std::log(std::max(KthDistance(window_.at(i), i), floor)));
  }
  std::sort(logs.begin(), logs.end());
  const size_t q = static_cast<size_t>((1 - kTailFraction) * static_cast<double>(logs.size()));
  tail_q_ = logs[std::min(q, logs.size() - 1)];
  double excess = 0;
  size_t n = 0;
  for (size_t i = q; i < logs.size(); ++i, ++n) excess += logs[i] - tail_q_;
  // A tail of identical distances still gets a (tiny) scale.
  tail_beta_ = std::max(n > 0 ? excess / static_cast<double>(n) : 0.0, 1e-6);
  fitted_ = true;
  since_fit_ = 0;
}

double SpatialDetector::TailProbability(double d) const {
  if (d > tail_q_) return kTailFraction * std::exp(-(d - tail_q_) / tail_beta_);
  // The fraction of the window at least as far from its neighbours.
  const auto at_least = ref_logs_.end() - std::lower_bound(ref_logs_.begin(), ref_logs_.end(), d);
  return static_cast<double>(at_least + 1) / static_cast<double>(ref_logs_.size() + 1);
}

Result<Score> SpatialDetector::Update(int64_t, std::span<const double> x) {
  if (Status s = CheckVector(x, dim()); !s.ok()) return s;
  Score out{.score = 0, .confidence = 0, .type = "spatial"};
  if (fitted_) {
    const double floor = 1e-9 * (heat_.max[0] - heat_.min[0]);
    const double d = std::log(std::max(KthDistance(x, kNone), floor));
    out = ScoreFromTail(TailProbability(d), 1.0, "spatial");
  }
  const size_t cell = heat_.CellOf(x);
  ++heat_.seen[cell];
  if (fitted_ && out.score >= anomaly_score_) ++heat_.anomalies[cell];
  window_.Add(x);
  ++since_fit_;
  if (window_.size() >= min_points_ && (!fitted_ || since_fit_ >= refit_)) Fit();
  return out;
}

void SpatialDetector::Save(StateWriter& w) const {
  window_.Save(w);
  w.U64(since_fit_);
  w.Bool(fitted_);
  w.F64s(ref_logs_);
  w.F64(tail_q_);
  w.F64(tail_beta_);
  w.U64(heat_.seen.size());
  for (size_t i = 0; i < heat_.seen.size(); ++i) {
    w.U64(heat_.seen[i]);
    w.U64(heat_.anomalies[i]);
  }
}

Status SpatialDetector::Load(StateReader& r) {
  VectorWindow window = window_;
  if (Status s = window.Load(r, "spatial window"); !s.ok()) return s;
  Result<uint64_t> since = r.U64("spatial refit counter");
  Result<bool> fitted = r.Bool("spatial fitted");
  Result<std::vector<double>> logs = r.F64s("spatial distances", window.size());
  if (!logs.ok()) return logs.status();
  Result<double> q = r.F64("spatial tail threshold");
  Result<double> beta = r.F64("spatial tail scale");
  if (!beta.ok()) return beta.status();
  if (!std::isfinite(q.value()) || !(beta.value() > 0) || !std::isfinite(beta.value()) ||
      !std::is_sorted(logs.value().begin(), logs.value().end()) ||
      (fitted.value() && logs.value().empty())) {
    return DataLossError("spatial fit out of range");
  }
  Result<uint64_t> cells = r.U64("heat map size");
  if (!cells.ok()) return cells.status();
  if (cells.value() != heat_.seen.size()) {
    return DataLossError("heat map has " + std::to_string(cells.value()) + " cells, expected " +
                         std::to_string(heat_.seen.size()));
  }
  std::vector<uint64_t> seen(heat_.seen.size()), anomalies(heat_.seen.size());
  for (size_t i = 0; i < seen.size(); ++i) {
    Result<uint64_t> a = r.U64("heat map cell");
    Result<uint64_t> b = r.U64("heat map cell");
    if (!b.ok()) return b.status();
    seen[i] = a.value();
    anomalies[i] = b.value();
  }
  window_ = std::move(window);
  since_fit_ = since.value();
  fitted_ = fitted.value();
  ref_logs_ = std::move(logs).value();
  tail_q_ = q.value();
  tail_beta_ = beta.value();
  heat_.seen = std::move(seen);
  heat_.anomalies = std::move(anomalies);
  return Status::OK();
}

}  // namespace vigil::anomaly
