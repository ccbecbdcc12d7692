#include "anomaly/multivariate.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#include <algorithm>
#include <cmath>

namespace vigil::anomaly {
namespace {

constexpr size_t kMaxDim = 4096;

// Average path length of an unsuccessful search in a binary search tree of
// n points: the isolation forest's normaliser.
double AveragePath(double n) {
  if (n <= 1) return 0;
  if (n == 2) return 1;
  return 2.0 * (std::log(n - 1) + 0.5772156649015329) - 2.0 * (n - 1) / n;
}

uint64_t SplitMix(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double Uniform(uint64_t& s) { return static_cast<double>(SplitMix(s) >> 11) * 0x1.0p-53; }

// The dimension for a detector: from `dim`, else set by the first vector.
Status AcceptDim(VectorWindow& w, std::span<const double> x) {
  if (Status s = CheckVector(x, w.dim()); !s.ok()) return s;
  if (w.dim() == 0) {
    if (x.size() > kMaxDim) {
      return InvalidArgumentError("vector has dimension " + std::to_string(x.size()) +
                                  ", more than " + std::to_string(kMaxDim));
    }
    w.set_dim(x.size());
  }
  return Status::OK();
}

}  // namespace

// --- VectorWindow -----------------------------------------------------------

void VectorWindow::Add(std::span<const double> x) {
  if (data_.empty()) data_.assign(capacity_ * dim_, 0);
  const size_t slot = (head_ + count_) % capacity_;
  std::copy(x.begin(), x.end(), data_.begin() + static_cast<ptrdiff_t>(slot * dim_));
  if (count_ < capacity_) {
    ++count_;
  } else {
    head_ = (head_ + 1) % capacity_;
  }
}

std::span<const double> VectorWindow::at(size_t i) const {
  return {data_.data() + ((head_ + i) % capacity_) * dim_, dim_};
}

void VectorWindow::Save(StateWriter& w) const {
  w.U64(dim_);
  std::vector<double> flat;
  flat.reserve(count_ * dim_);
  for (size_t i = 0; i < count_; ++i) {
    std::span<const double> v = at(i);
    flat.insert(flat.end(), v.begin(), v.end());
  }
  w.F64s(flat);
}

Status VectorWindow::Load(StateReader& r, std::string_view what) {
  Result<uint64_t> dim = r.U64(what);
  if (!dim.ok()) return dim.status();
  if (dim_ != 0 && dim.value() != dim_) {
    return DataLossError(std::string(what) + " has dimension " + std::to_string(dim.value()) +
                         ", expected " + std::to_string(dim_));
  }
  if (dim.value() > kMaxDim) return DataLossError(std::string(what) + " dimension out of range");
  Result<std::vector<double>> flat = r.F64s(what, capacity_ * std::max<size_t>(dim.value(), 1));
  if (!flat.ok()) return flat.status();
  const size_t d = dim.value();
  if (d == 0 ? !flat.value().empty() : flat.value().size() % d != 0) {
    return DataLossError(std::string(what) + " is not a whole number of vectors");
  }
  for (double v : flat.value()) {
    if (!std::isfinite(v)) return DataLossError(std::string(what) + " holds a non-finite value");
  }
  dim_ = d;
  count_ = head_ = 0;
  data_.clear();
  for (size_t i = 0; d > 0 && i < flat.value().size(); i += d) {
    Add(std::span<const double>(flat.value().data() + i, d));
  }
  return Status::OK();
}

// --- MahalanobisDetector ----------------------------------------------------

Result<std::unique_ptr<VectorDetector>> MahalanobisDetector::Make(Options o) {
  Result<int64_t> dim = o.GetInt("dim", 0, 0, kMaxDim);
  Result<int64_t> window = o.GetInt("window", 500, 10, 1000000);
  Result<int64_t> refit = o.GetInt("refit", 25, 1, 1000000);
  Result<double> shrinkage = o.Get("shrinkage", -1, -1, 1);
  Result<int64_t> min_points = o.GetInt("min_points", 30, 3, 1000000);
  for (const Status& s : {dim.status(), window.status(), refit.status(), shrinkage.status(),
                          min_points.status()}) {
    if (!s.ok()) return s;
  }
  if (min_points.value() > window.value()) {
    return InvalidArgumentError("parameter min_points must not exceed window");
  }
  if (shrinkage.value() < 0 && shrinkage.value() != -1) {
    return InvalidArgumentError("parameter shrinkage must be -1 (Ledoit-Wolf) or in [0, 1]");
  }
  if (Status s = o.Finish(); !s.ok()) return s;
  auto d = std::unique_ptr<MahalanobisDetector>(new MahalanobisDetector(
      window.value(), refit.value(), shrinkage.value(), min_points.value()));
  d->window_.set_dim(dim.value());
  return std::unique_ptr<VectorDetector>(std::move(d));
}

MahalanobisDetector::MahalanobisDetector(size_t window, size_t refit, double shrinkage,
                                         size_t min_points)
    : window_(window), refit_(refit), min_points_(min_points), fixed_shrinkage_(shrinkage) {}

void MahalanobisDetector::Fit() {
  const size_t n = window_.size(), d = window_.dim();
  Eigen::MatrixXd x(n, d);
  for (size_t i = 0; i < n; ++i) {
    x.row(i) = Eigen::Map<const Eigen::RowVectorXd>(window_.at(i).data(), d);
  }
  const Eigen::RowVectorXd mean = x.colwise().mean();
  x.rowwise() -= mean;
  const double nd = static_cast<double>(n), dd = static_cast<double>(d);
  const Eigen::MatrixXd s = (x.transpose() * x) / nd;
  const double mu = s.trace() / dd;
  double lambda = fixed_shrinkage_;
  if (lambda < 0) {
    // Ledoit and Wolf (2004): the intensity that minimises the expected
    // squared Frobenius loss, estimated from the sample itself.
    const double delta2 = (s - mu * Eigen::MatrixXd::Identity(d, d)).squaredNorm() / dd;
    const double s_norm2 = s.squaredNorm();
    double beta2 = 0;
    for (size_t i = 0; i < n; ++i) {
      const Eigen::VectorXd xi = x.row(i).transpose();
      const double sq = xi.squaredNorm();
      beta2 += sq * sq - 2.0 * xi.dot(s * xi) + s_norm2;
    }
    beta2 /= nd * nd * dd;
    lambda = delta2 > 0 ? std::min(beta2, delta2) / delta2 : 0.0;
  }
  Eigen::MatrixXd shrunk = (1 - lambda) * s;
  shrunk.diagonal().array() += lambda * mu + 1e-9 * mu + 1e-12;
  const Eigen::MatrixXd precision =
      shrunk.llt().solve(Eigen::MatrixXd::Identity(d, d));
  mean_.assign(mean.data(), mean.data() + d);
  precision_.assign(d * d, 0);
  Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      precision_.data(), d, d) = precision;
  lambda_ = lambda;
  fitted_ = true;
  since_fit_ = 0;
}

Result<Score> MahalanobisDetector::Update(int64_t, std::span<const double> x) {
  if (Status s = AcceptDim(window_, x); !s.ok()) return s;
  const size_t d = window_.dim();
  Score out{.score = 0, .confidence = 0, .type = "multivariate"};
  if (fitted_) {
    Eigen::VectorXd diff(d);
    for (size_t i = 0; i < d; ++i) diff[i] = x[i] - mean_[i];
    const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>
        p(precision_.data(), d, d);
    const double d2 = std::max(0.0, diff.dot(p * diff));
    const double tail = std::isfinite(d2)
                            ? Eigen::numext::igammac(0.5 * static_cast<double>(d), 0.5 * d2)
                            : 0.0;
    out = ScoreFromTail(tail, 1.0, "multivariate");
  }
  window_.Add(x);
  ++since_fit_;
  if (window_.size() >= min_points_ && (!fitted_ || since_fit_ >= refit_)) Fit();
  return out;
}

void MahalanobisDetector::Save(StateWriter& w) const {
  window_.Save(w);
  w.U64(since_fit_);
  w.Bool(fitted_);
  w.F64(lambda_);
  w.F64s(mean_);
  w.F64s(precision_);
}

Status MahalanobisDetector::Load(StateReader& r) {
  VectorWindow window = window_;
  if (Status s = window.Load(r, "mahalanobis window"); !s.ok()) return s;
  const size_t d = window.dim();
  Result<uint64_t> since = r.U64("mahalanobis refit counter");
  Result<bool> fitted = r.Bool("mahalanobis fitted");
  Result<double> lambda = r.F64("mahalanobis shrinkage");
  Result<std::vector<double>> mean = r.F64s("mahalanobis mean", d);
  if (!mean.ok()) return mean.status();
  Result<std::vector<double>> precision = r.F64s("mahalanobis precision", d * d);
  if (!precision.ok()) return precision.status();
  const size_t want = fitted.value() ? d : 0;
  if (mean.value().size() != want || precision.value().size() != want * want) {
    return DataLossError("mahalanobis fit does not match the dimension");
  }
  for (const auto* v : {&mean.value(), &precision.value()}) {
    for (double x : *v) {
      if (!std::isfinite(x)) return DataLossError("mahalanobis fit holds a non-finite value");
    }
  }
  window_ = std::move(window);
  since_fit_ = since.value();
  fitted_ = fitted.value();
  lambda_ = lambda.value();
  mean_ = std::move(mean).value();
  precision_ = std::move(precision).value();
  return Status::OK();
}

// --- IsolationForestDetector ------------------------------------------------

Result<std::unique_ptr<VectorDetector>> IsolationForestDetector::Make(Options o) {
  Result<int64_t> dim = o.GetInt("dim", 0, 0, kMaxDim);
  Result<int64_t> trees = o.GetInt("trees", 100, 1, 1000);
  Result<int64_t> sample = o.GetInt("sample", 256, 4, 65536);
  Result<int64_t> window = o.GetInt("window", 1024, 8, 1000000);
  Result<int64_t> refit = o.GetInt("refit", 256, 1, 1000000);
  Result<int64_t> min_points = o.GetInt("min_points", 64, 4, 1000000);
  for (const Status& s : {dim.status(), trees.status(), sample.status(), window.status(),
                          refit.status(), min_points.status()}) {
    if (!s.ok()) return s;
  }
  if (min_points.value() > window.value()) {
    return InvalidArgumentError("parameter min_points must not exceed window");
  }
  if (Status s = o.Finish(); !s.ok()) return s;
  auto d = std::unique_ptr<IsolationForestDetector>(
      new IsolationForestDetector(trees.value(), sample.value(), window.value(), refit.value(),
                                  min_points.value()));
  d->window_.set_dim(dim.value());
  return std::unique_ptr<VectorDetector>(std::move(d));
}

IsolationForestDetector::IsolationForestDetector(size_t trees, size_t sample, size_t window,
                                                 size_t refit, size_t min_points)
    : trees_(trees), sample_(sample), refit_(refit), min_points_(min_points), window_(window) {}

int32_t IsolationForestDetector::Build(std::vector<Node>& tree, std::vector<size_t>& idx,
                                       size_t begin, size_t end, int depth, int max_depth,
                                       uint64_t& rng) {
  const int32_t id = static_cast<int32_t>(tree.size());
  tree.push_back(Node{.size = static_cast<uint32_t>(end - begin)});
  if (depth >= max_depth || end - begin <= 1) return id;
  const size_t d = window_.dim();
  // A random feature among those that still vary here.
  for (size_t attempt = 0; attempt < d; ++attempt) {
    const size_t f = (SplitMix(rng) % d + attempt) % d;
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (size_t i = begin; i < end; ++i) {
      const double v = window_.at(idx[i])[f];
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    if (!(lo < hi)) continue;
    const double split = lo + (hi - lo) * Uniform(rng);
    const size_t mid = static_cast<size_t>(
        std::partition(idx.begin() + static_cast<ptrdiff_t>(begin),
                       idx.begin() + static_cast<ptrdiff_t>(end),
                       [&](size_t i) { return window_.at(i)[f] < split; }) -
        idx.begin());
    if (mid == begin || mid == end) continue;
    const int32_t left = Build(tree, idx, begin, mid, depth + 1, max_depth, rng);
    const int32_t right = Build(tree, idx, mid, end, depth + 1, max_depth, rng);
    tree[id].left = left;
    tree[id].right = right;
    tree[id].feature = static_cast<uint32_t>(f);
    tree[id].split = split;
    return id;
  }
  return id;  // every feature is constant here: a leaf
}

void IsolationForestDetector::Fit() {
  const size_t n = window_.size();
  const size_t m = std::min(sample_, n);
  const int max_depth = static_cast<int>(std::ceil(std::log2(static_cast<double>(m))));
  uint64_t rng = 0x5EED0F0125EULL ^ fits_++;
  forest_.assign(trees_, {});
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  for (auto& tree : forest_) {
    // A subsample without replacement (a partial Fisher-Yates shuffle).
    for (size_t i = 0; i < m; ++i) std::swap(all[i], all[i + SplitMix(rng) % (n - i)]);
    std::vector<size_t> idx(all.begin(), all.begin() + static_cast<ptrdiff_t>(m));
    Build(tree, idx, 0, m, 0, max_depth, rng);
  }
  sample_fit_ = m;
  // The reference for confidences: the scores of at most 256 of the window's
  // vectors, evenly spaced (scoring all of them would cost more than the fit).
  train_scores_.clear();
  const size_t stride = (n + 255) / 256;
  for (size_t i = 0; i < n; i += stride) train_scores_.push_back(RawScore(window_.at(i)));
  std::sort(train_scores_.begin(), train_scores_.end());
  since_fit_ = 0;
}

double IsolationForestDetector::PathLength(const std::vector<Node>& tree,
                                           std::span<const double> x) const {
  int32_t n = 0;
  double depth = 0;
  while (tree[n].left >= 0) {
    n = x[tree[n].feature] < tree[n].split ? tree[n].left : tree[n].right;
    ++depth;
  }
  return depth + AveragePath(tree[n].size);
}

double IsolationForestDetector::RawScore(std::span<const double> x) const {
  if (forest_.empty()) return 0.5;
  double sum = 0;
  for (const auto& tree : forest_) sum += PathLength(tree, x);
  const double c = AveragePath(static_cast<double>(sample_fit_));
  if (c <= 0) return 0.5;
  return std::exp2(-(sum / static_cast<double>(forest_.size())) / c);
}

Result<Score> IsolationForestDetector::Update(int64_t, std::span<const double> x) {
  if (Status s = AcceptDim(window_, x); !s.ok()) return s;
  Score out{.score = 0, .confidence = 0, .type = "multivariate"};
  if (!forest_.empty()) {
    const double s = RawScore(x);
    const size_t below = static_cast<size_t>(
        std::lower_bound(train_scores_.begin(), train_scores_.end(), s) - train_scores_.begin());
    out.score = std::clamp((s - 0.5) / 0.3, 0.0, 1.0);
    out.confidence = static_cast<double>(below) / static_cast<double>(train_scores_.size() + 1);
  }
  window_.Add(x);
  ++since_fit_;
  if (window_.size() >= min_points_ && (forest_.empty() || since_fit_ >= refit_)) Fit();
  return out;
}

void IsolationForestDetector::Save(StateWriter& w) const {
  window_.Save(w);
  w.U64(since_fit_);
  w.U64(fits_);
}

Status IsolationForestDetector::Load(StateReader& r) {
  VectorWindow window = window_;
  if (Status s = window.Load(r, "isolation forest window"); !s.ok()) return s;
  Result<uint64_t> since = r.U64("isolation forest refit counter");
  if (!since.ok()) return since.status();
  Result<uint64_t> fits = r.U64("isolation forest fit counter");
  if (!fits.ok()) return fits.status();
  window_ = std::move(window);
  forest_.clear();
  train_scores_.clear();
  fits_ = fits.value();
  if (window_.size() >= min_points_) Fit();  // retrained on the saved window
  since_fit_ = since.value();
  return Status::OK();
}

}  // namespace vigil::anomaly
