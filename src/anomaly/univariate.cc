#include "anomaly/univariate.h"

#include <algorithm>
#include <cmath>

namespace vigil::anomaly {
namespace {

Status CheckFinite(double x) {
  if (!std::isfinite(x)) {
    return InvalidArgumentError(std::isnan(x) ? "value is NaN" : "value is infinite");
  }
  return Status::OK();
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

void SlidingWindow::Add(double x) {
  fifo_.push_back(x);
  sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), x), x);
  if (fifo_.size() > capacity_) {
    const double old = fifo_.front();
    fifo_.pop_front();
    sorted_.erase(std::lower_bound(sorted_.begin(), sorted_.end(), old));
  }
}

double SlidingWindow::Median() const {
  const size_t n = sorted_.size();
  if (n == 0) return 0;
  return n % 2 == 1 ? sorted_[n / 2] : 0.5 * (sorted_[n / 2 - 1] + sorted_[n / 2]);
}

double SlidingWindow::Quantile(double p) const {
  const size_t n = sorted_.size();
  if (n == 0) return 0;
  return sorted_[std::min(n - 1, static_cast<size_t>(p * static_cast<double>(n)))];
}

double RobustZScore::Z(double x) const {
  if (window_.size() < kMinPoints) return 0;
  const double median = window_.Median();
  const double eps = 1e-6 * (std::fabs(median) + 1.0);
  return std::fabs(x - median) / (window_.Scale() + eps);
}

Result<double> RobustZScore::Update(double x) {
  if (Status s = CheckFinite(x); !s.ok()) return s;
  const double z = Z(x);
  Add(x);
  return 1.0 - std::exp(-z / saturation_);
}

int SeasonalProfile::DaySlot(int64_t t_ms) {
  const int64_t sod = t_ms / 1000 - FloorDiv(t_ms / 1000, 86400) * 86400;
  return static_cast<int>(sod / kSlotSeconds);
}

int SeasonalProfile::WeekSlot(int64_t t_ms) {
  const int64_t days = FloorDiv(t_ms / 1000, 86400);
  const int weekday = static_cast<int>(((days + 3) % 7 + 7) % 7);  // 1970-01-01: Thursday
  return weekday * kDaySlots + DaySlot(t_ms);
}

bool SeasonalProfile::DailyExpected(int64_t t_ms, double* out) const {
  const int s = DaySlot(t_ms);
  if (day_n_[s] < 2) return false;
  *out = day_mean_[s];
  return true;
}

bool SeasonalProfile::WeeklyExpected(int64_t t_ms, double* out) const {
  const int s = WeekSlot(t_ms);
  if (week_n_[s] < 2) return false;
  *out = week_mean_[s];
  return true;
}

void SeasonalProfile::Add(int64_t t_ms, double x) {
  auto update = [x](double* mean, uint32_t* n) {
    *mean = *n == 0 ? x : *mean + kAlpha * (x - *mean);
    if (*n < UINT32_MAX) ++*n;
  };
  const int d = DaySlot(t_ms);
  const int w = WeekSlot(t_ms);
  update(&day_mean_[d], &day_n_[d]);
  update(&week_mean_[w], &week_n_[w]);
}

double AnomalyLikelihood::Update(double raw) {
  short_.push_back(raw);
  short_sum_ += raw;
  if (short_.size() > kShort) {
    short_sum_ -= short_.front();
    short_.pop_front();
  }
  const double avg = short_sum_ / static_cast<double>(short_.size());
  double likelihood = 0.5;
  const size_t n = history_.size();
  if (n >= kLearn) {
    const double mean = sum_ / static_cast<double>(n);
    const double var = sum_sq_ / static_cast<double>(n) - mean * mean;
    const double m = std::max(mean, 0.03);
    const double sd = std::sqrt(std::max(var, 0.0003));
    likelihood = 1.0 - 0.5 * std::erfc(((avg - m) / sd) / std::sqrt(2.0));
  }
  history_.push_back(avg);
  sum_ += avg;
  sum_sq_ += avg * avg;
  if (history_.size() > kHistory) {
    const double old = history_.front();
    history_.pop_front();
    sum_ -= old;
    sum_sq_ -= old * old;
  }
  return likelihood;
}

Result<double> EnsembleDetector::Update(int64_t t_ms, double x) {
  if (Status s = CheckFinite(x); !s.ok()) return s;
  const double d = have_prev_ ? x - prev_ : 0.0;
  // The differences of finite values can still overflow.
  if (Status s = CheckFinite(d); !s.ok()) return InvalidArgumentError("value out of range");
  ++n_;
  // Each surprise, if its component can give one yet (the seasonal ones need their slot
  // seen twice). A component's likelihood learns only from real surprises: fed zeros
  // while a component waits, it would take its first real values for an anomaly.
  std::array<double, 4> z{};
  std::array<bool, 4> have{};
  const bool window_ready = value_.window().size() >= kMinWindow;
  const double median = value_.window().Median();
  if (window_ready) {
    z[0] = value_.Z(x);
    z[1] = diff_.Z(d);
    have[0] = have[1] = true;
    const double scale = value_.window().Scale();
    const double eps = 1e-6 * (std::fabs(median) + 1.0);
    double expected;
    if (seasonal_.DailyExpected(t_ms, &expected)) {
      z[2] = std::fabs(x - expected) / (scale + eps);
      have[2] = true;
    }
    if (seasonal_.WeeklyExpected(t_ms, &expected)) {
      z[3] = std::fabs(x - expected) / (scale + eps);
      have[3] = true;
    }
  }
  seasonal_.Add(t_ms, x);
  value_.Add(x);
  diff_.Add(d);
  have_prev_ = true;
  prev_ = x;
  double likelihood = 0;
  for (size_t k = 0; k < z.size(); ++k) {
    if (!have[k]) continue;
    likelihood = std::max(likelihood, likelihood_[k].Update(1.0 - std::exp(-z[k] / 8.0)));
  }
  // Log scale: 0.5 is a likelihood of 1 - 1e-5.
  double score = std::clamp(std::log(1.0000000001 - likelihood) / -23.02585084720009, 0.0, 1.0);
  // Out of range: a value beyond the range seen so far by kRangeMargin of it, whose
  // deviation from the median of the window before it is also beyond the range of such
  // deviations seen so far. The second test follows drift: a slow steady climb sets new
  // records of the value, but its deviation from a median that climbs with it does not;
  // a spike or a step sets both.
  const double residual = x - median;
  bool out_of_range = false;
  if (n_ > kRangeStart) {
    const double range = max_ - min_;
    const double residual_range = residual_max_ - residual_min_;
    out_of_range = (x > max_ + kRangeMargin * range &&
                    residual > residual_max_ + kRangeMargin * residual_range) ||
                   (x < min_ - kRangeMargin * range &&
                    residual < residual_min_ - kRangeMargin * residual_range);
    if (out_of_range) score = 1.0;
  }
  min_ = n_ == 1 ? x : std::min(min_, x);
  max_ = n_ == 1 ? x : std::max(max_, x);
  if (window_ready) {
    residual_min_ = have_residual_ ? std::min(residual_min_, residual) : residual;
    residual_max_ = have_residual_ ? std::max(residual_max_, residual) : residual;
    have_residual_ = true;
  }
  if (cooldown_ > 0) {
    --cooldown_;
    // Suppression silences repeats of one event. An out-of-range value after a
    // likelihood alert is a new, stronger one and still alerts (and suppresses anew);
    // after an out-of-range alert, further records are the same excursion growing.
    if (!out_of_range || last_alert_out_of_range_) return 0.0;
  }
  if (score >= kRecommendedThreshold) {
    cooldown_ = kSuppression;
    last_alert_out_of_range_ = out_of_range;
  }
  return score;
}

}  // namespace vigil::anomaly
