#include "anomaly/statistical.h"

#include <algorithm>
#include <cmath>

namespace vigil::anomaly {
namespace {

constexpr double kMadToSd = 1.4826;     // sd of a normal / its MAD
constexpr double kMeanAdToSd = 1.2533;  // sd of a normal / its mean |deviation|
constexpr double kClipSd = 4.0;         // updates are clipped at this many sd

// z for a deviation d when the spread is sd (which may be 0: any deviation
// from a constant is infinitely surprising).
double ZOf(double d, double sd) {
  if (sd > 0) return d / sd;
  if (d == 0) return 0;
  return d > 0 ? HUGE_VAL : -HUGE_VAL;
}

// An EWMA step of mean and variance with the deviation clipped.
void EwmaStep(double x, double alpha, double* mean, double* var) {
  const double sd = std::sqrt(*var);
  double r = x - *mean;
  if (sd > 0) r = std::clamp(r, -kClipSd * sd, kClipSd * sd);
  *mean += alpha * r;
  *var = (1 - alpha) * (*var + alpha * r * r);
}

// Welford's step for the exact mean and population variance of n+1 values.
void WelfordStep(double x, int64_t n, double* mean, double* var) {
  const double d = x - *mean;
  *mean += d / static_cast<double>(n + 1);
  *var += (d * (x - *mean) - *var) / static_cast<double>(n + 1);
}

template <typename T>
Result<std::unique_ptr<Detector>> Finished(Options& o, std::unique_ptr<T> d) {
  if (Status s = o.Finish(); !s.ok()) return s;
  return std::unique_ptr<Detector>(std::move(d));
}

}  // namespace

// --- RobustZDetector --------------------------------------------------------

Result<std::unique_ptr<Detector>> RobustZDetector::Make(Options o) {
  Result<int64_t> window = o.GetInt("window", 400, 10, 100000);
  if (!window.ok()) return window.status();
  Result<int64_t> min_points = o.GetInt("min_points", 20, 3, window.value());
  if (!min_points.ok()) return min_points.status();
  return Finished(o, std::make_unique<RobustZDetector>(window.value(), min_points.value()));
}

// The median of |a_i - m| by merging the two sorted runs of distances on
// either side of m: O(n) without a copy.
double RobustZDetector::Mad(double m) const {
  const std::vector<double>& sorted_ = window_.sorted();
  const size_t n = sorted_.size();
  size_t right = std::lower_bound(sorted_.begin(), sorted_.end(), m) - sorted_.begin();
  size_t left = right;  // next left candidate is left - 1
  const size_t k_hi = n / 2, k_lo = (n - 1) / 2;
  double lo = 0, cur = 0;
  for (size_t i = 0; i <= k_hi; ++i) {
    const bool take_left =
        left > 0 && (right >= n || m - sorted_[left - 1] <= sorted_[right] - m);
    cur = take_left ? m - sorted_[--left] : sorted_[right++] - m;
    if (i == k_lo) lo = cur;
  }
  return 0.5 * (lo + cur);
}

Result<Score> RobustZDetector::Update(int64_t, double x) {
  if (Status s = CheckFinite(x); !s.ok()) return s;
  Score out{.score = 0, .confidence = 0, .type = "outlier"};
  const std::vector<double>& sorted = window_.sorted();
  if (sorted.size() >= min_points_) {
    const double m = window_.Median();
    double sd = kMadToSd * Mad(m);
    if (sd == 0) {  // over half the window is one value: fall back to mean |d|
      double sum = 0;
      for (double v : sorted) sum += std::fabs(v - m);
      sd = kMeanAdToSd * sum / static_cast<double>(sorted.size());
    }
    // The MAD is about 37% efficient: the spread is known about as well as
    // from 0.37 n values.
    const double dof = std::max(3.0, 0.37 * static_cast<double>(sorted.size()));
    out = ScoreFromTail(StudentTail(ZOf(x - m, sd), dof), 1.0, "outlier");
  }
  window_.Add(x);
  return out;
}

void RobustZDetector::Save(StateWriter& w) const { window_.Save(w); }

Status RobustZDetector::Load(StateReader& r) { return window_.Load(r); }

// --- EwmaDetector -----------------------------------------------------------

Result<std::unique_ptr<Detector>> EwmaDetector::Make(Options o) {
  Result<double> alpha = o.Get("alpha", 0.05, 1e-4, 0.5);
  if (!alpha.ok()) return alpha.status();
  Result<int64_t> warmup = o.GetInt("warmup", 30, 2, 1000000);
  if (!warmup.ok()) return warmup.status();
  return Finished(o, std::make_unique<EwmaDetector>(alpha.value(), warmup.value()));
}

Result<Score> EwmaDetector::Update(int64_t, double x) {
  if (Status s = CheckFinite(x); !s.ok()) return s;
  Score out{.score = 0, .confidence = 0, .type = "outlier"};
  if (n_ >= 2) {
    const double warm = std::min(1.0, static_cast<double>(n_) / static_cast<double>(warmup_));
    // An EWMA weighs about (2 - alpha) / alpha values.
    const double dof = std::min(static_cast<double>(n_ - 1), (2 - alpha_) / alpha_);
    out = ScoreFromTail(StudentTail(ZOf(x - mean_, std::sqrt(var_)), dof), warm, "outlier");
  }
  if (n_ < warmup_) {
    WelfordStep(x, n_, &mean_, &var_);
  } else {
    EwmaStep(x, alpha_, &mean_, &var_);
  }
  ++n_;
  return out;
}

void EwmaDetector::Save(StateWriter& w) const {
  w.I64(n_);
  w.F64(mean_);
  w.F64(var_);
}

Status EwmaDetector::Load(StateReader& r) {
  Result<int64_t> n = r.I64("ewma count");
  Result<double> mean = r.F64("ewma mean");
  Result<double> var = r.F64("ewma variance");
  if (!var.ok()) return var.status();
  if (n.value() < 0 || !std::isfinite(mean.value()) || !(var.value() >= 0) ||
      !std::isfinite(var.value())) {
    return DataLossError("ewma state out of range");
  }
  n_ = n.value();
  mean_ = mean.value();
  var_ = var.value();
  return Status::OK();
}

// --- CusumDetector ----------------------------------------------------------

Result<std::unique_ptr<Detector>> CusumDetector::Make(Options o) {
  Result<double> k = o.Get("k", 0.5, 0.05, 3);
  if (!k.ok()) return k.status();
  Result<double> alpha = o.Get("alpha", 0.005, 1e-4, 0.5);
  if (!alpha.ok()) return alpha.status();
  Result<int64_t> warmup = o.GetInt("warmup", 100, 2, 1000000);
  if (!warmup.ok()) return warmup.status();
  Result<double> reset = o.Get("reset_score", 0.5, 0.01, 1);
  if (!reset.ok()) return reset.status();
  return Finished(o, std::make_unique<CusumDetector>(k.value(), alpha.value(), warmup.value(),
                                                     reset.value()));
}

// Siegmund's approximation of the one-sided CUSUM's average run length with
// reference value k and decision interval s, in control (mean 0, sd 1).
double CusumDetector::AverageRunLength(double s, double k) {
  const double a = 2 * k * (s + 1.166);
  return (std::exp(a) - a - 1) / (2 * k * k);
}

Result<Score> CusumDetector::Update(int64_t, double x) {
  if (Status s = CheckFinite(x); !s.ok()) return s;
  if (n_ < warmup_) {
    WelfordStep(x, n_, &mean_, &var_);
    recent_ = mean_;
    ++n_;
    return Score{.score = 0, .confidence = 0, .type = "level_shift"};
  }
  // Clipped so that one wild point cannot make a sum on its own.
  const double z = std::clamp(ZOf(x - mean_, std::sqrt(var_)), -6.0, 6.0);
  up_ = std::max(0.0, up_ + z - k_);
  down_ = std::max(0.0, down_ - z - k_);
  // Two-sided: the chance that either side reaches this height.
  const double arl = 0.5 * AverageRunLength(std::max(up_, down_), k_);
  Score out = ScoreFromTail(std::min(1.0, 1.0 / arl), 1.0, "level_shift");
  recent_ += 0.2 * (x - recent_);
  if (out.score >= reset_score_) {
    // A shift: the new level is the recent one; start summing afresh.
    mean_ = recent_;
    up_ = down_ = 0;
  } else {
    EwmaStep(x, alpha_, &mean_, &var_);
  }
  ++n_;
  return out;
}

void CusumDetector::Save(StateWriter& w) const {
  w.I64(n_);
  for (double v : {mean_, var_, recent_, up_, down_}) w.F64(v);
}

Status CusumDetector::Load(StateReader& r) {
  Result<int64_t> n = r.I64("cusum count");
  if (!n.ok()) return n.status();
  double v[5];
  for (double& x : v) {
    Result<double> f = r.F64("cusum state");
    if (!f.ok()) return f.status();
    if (!std::isfinite(f.value())) return DataLossError("cusum state is not finite");
    x = f.value();
  }
  if (n.value() < 0 || v[1] < 0 || v[3] < 0 || v[4] < 0) {
    return DataLossError("cusum state out of range");
  }
  n_ = n.value();
  mean_ = v[0];
  var_ = v[1];
  recent_ = v[2];
  up_ = v[3];
  down_ = v[4];
  return Status::OK();
}

// --- SeasonalDetector -------------------------------------------------------

Result<std::unique_ptr<Detector>> SeasonalDetector::Make(Options o) {
  Result<int64_t> period = o.GetInt("period_seconds", 86400, 60, 366LL * 86400);
  if (!period.ok()) return period.status();
  Result<int64_t> slots = o.GetInt("slots", 288, 1, 10080);
  if (!slots.ok()) return slots.status();
  if (slots.value() > period.value()) {
    return InvalidArgumentError("parameter slots must not exceed period_seconds");
  }
  Result<double> alpha = o.Get("alpha", 0.2, 1e-3, 1);
  if (!alpha.ok()) return alpha.status();
  Result<int64_t> warmup = o.GetInt("warmup", 2, 1, 1000);
  if (!warmup.ok()) return warmup.status();
  return Finished(o, std::make_unique<SeasonalDetector>(period.value(), slots.value(),
                                                        alpha.value(), warmup.value()));
}

SeasonalDetector::SeasonalDetector(int64_t period_s, size_t slots, double alpha, int64_t warmup)
    : period_s_(period_s), alpha_(alpha), warmup_(warmup), mean_(slots, 0), seen_(slots, 0) {}

size_t SeasonalDetector::Slot(int64_t t_ms) const {
  int64_t s = (t_ms / 1000) % period_s_;
  if (s < 0) s += period_s_;
  return static_cast<size_t>(s * static_cast<int64_t>(mean_.size()) / period_s_);
}

Result<Score> SeasonalDetector::Update(int64_t t_ms, double x) {
  if (Status s = CheckFinite(x); !s.ok()) return s;
  const size_t slot = Slot(t_ms);
  constexpr int64_t kResidWarmup = 10;
  const double sd = std::sqrt(resid_var_);
  Score out{.score = 0, .confidence = 0, .type = "seasonality"};
  if (seen_[slot] >= static_cast<double>(warmup_) && resid_n_ >= kResidWarmup) {
    const double dof = std::min(static_cast<double>(resid_n_), 199.0);
    out = ScoreFromTail(StudentTail(ZOf(x - mean_[slot], sd), dof), 1.0, "seasonality");
  }
  if (seen_[slot] == 0) {
    mean_[slot] = x;
  } else {
    double r = x - mean_[slot];
    if (resid_n_ >= kResidWarmup && sd > 0) r = std::clamp(r, -kClipSd * sd, kClipSd * sd);
    // The pooled spread: exact for the first 100 residuals, then an EWMA.
    if (resid_n_ < 100) {
      resid_var_ += (r * r - resid_var_) / static_cast<double>(resid_n_ + 1);
    } else {
      resid_var_ += 0.01 * (r * r - resid_var_);
    }
    ++resid_n_;
    mean_[slot] += alpha_ * r;
  }
  seen_[slot] = std::min(seen_[slot] + 1, 1e9);
  return out;
}

void SeasonalDetector::Save(StateWriter& w) const {
  w.F64s(mean_);
  w.F64s(seen_);
  w.F64(resid_var_);
  w.I64(resid_n_);
}

Status SeasonalDetector::Load(StateReader& r) {
  Result<std::vector<double>> mean = r.F64s("seasonal means", mean_.size());
  if (!mean.ok()) return mean.status();
  Result<std::vector<double>> seen = r.F64s("seasonal counts", seen_.size());
  if (!seen.ok()) return seen.status();
  Result<double> var = r.F64("seasonal residual variance");
  if (!var.ok()) return var.status();
  Result<int64_t> n = r.I64("seasonal residual count");
  if (!n.ok()) return n.status();
  if (mean.value().size() != mean_.size() || seen.value().size() != seen_.size()) {
    return DataLossError("seasonal state has a different number of slots");
  }
  for (size_t i = 0; i < mean_.size(); ++i) {
    if (!std::isfinite(mean.value()[i]) || !(seen.value()[i] >= 0)) {
      return DataLossError("seasonal state out of range");
    }
  }
  if (!std::isfinite(var.value()) || var.value() < 0 || n.value() < 0) {
    return DataLossError("seasonal state out of range");
  }
  mean_ = std::move(mean).value();
  seen_ = std::move(seen).value();
  resid_var_ = var.value();
  resid_n_ = n.value();
  return Status::OK();
}

}  // namespace vigil::anomaly
