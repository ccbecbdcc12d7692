#include "anomaly/univariate.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <type_traits>

#include "anomaly/detector.h"

namespace vigil::anomaly {
namespace {

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
  static constexpr std::array<std::string_view, 4> kTypes = {"outlier", "spike", "seasonality",
                                                             "seasonality"};
  last_type_ = kTypes[0];
  for (size_t k = 0; k < z.size(); ++k) {
    if (!have[k]) continue;
    const double l = likelihood_[k].Update(1.0 - std::exp(-z[k] / 8.0));
    if (l > likelihood) {
      likelihood = l;
      last_type_ = kTypes[k];
    }
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
    if (out_of_range) {
      score = 1.0;
      last_type_ = "out_of_range";
    }
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

// --- State ------------------------------------------------------------------

void SlidingWindow::Save(StateWriter& w) const {
  w.F64s(std::vector<double>(fifo_.begin(), fifo_.end()));
}

Status SlidingWindow::Load(StateReader& r) {
  Result<std::vector<double>> v = r.F64s("window", capacity_);
  if (!v.ok()) return v.status();
  for (double x : v.value()) {
    if (!std::isfinite(x)) return DataLossError("window holds a non-finite value");
  }
  fifo_.clear();
  sorted_.clear();
  for (double x : v.value()) Add(x);
  return Status::OK();
}

namespace {

template <typename T, size_t N>
void SaveArray(StateWriter& w, const std::array<T, N>& a) {
  w.F64s(std::vector<double>(a.begin(), a.end()));
}

template <typename T, size_t N>
Status LoadArray(StateReader& r, std::string_view what, std::array<T, N>* out) {
  Result<std::vector<double>> v = r.F64s(what, N);
  if (!v.ok()) return v.status();
  if (v.value().size() != N) return DataLossError(std::string(what) + " has the wrong size");
  for (size_t i = 0; i < N; ++i) {
    const double x = v.value()[i];
    if (!std::isfinite(x) || (std::is_unsigned_v<T> && (x < 0 || x > 4e9))) {
      return DataLossError(std::string(what) + " out of range");
    }
    (*out)[i] = static_cast<T>(x);
  }
  return Status::OK();
}

Status LoadDeque(StateReader& r, std::string_view what, size_t max, std::deque<double>* out) {
  Result<std::vector<double>> v = r.F64s(what, max);
  if (!v.ok()) return v.status();
  for (double x : v.value()) {
    if (!std::isfinite(x)) return DataLossError(std::string(what) + " holds a non-finite value");
  }
  out->assign(v.value().begin(), v.value().end());
  return Status::OK();
}

}  // namespace

void SeasonalProfile::Save(StateWriter& w) const {
  SaveArray(w, day_mean_);
  SaveArray(w, day_n_);
  SaveArray(w, week_mean_);
  SaveArray(w, week_n_);
}

Status SeasonalProfile::Load(StateReader& r) {
  SeasonalProfile p;
  for (Status s : {LoadArray(r, "daily means", &p.day_mean_),
                   LoadArray(r, "daily counts", &p.day_n_),
                   LoadArray(r, "weekly means", &p.week_mean_),
                   LoadArray(r, "weekly counts", &p.week_n_)}) {
    if (!s.ok()) return s;
  }
  *this = p;
  return Status::OK();
}

void AnomalyLikelihood::Save(StateWriter& w) const {
  w.F64s(std::vector<double>(short_.begin(), short_.end()));
  w.F64(short_sum_);
  w.F64s(std::vector<double>(history_.begin(), history_.end()));
  w.F64(sum_);
  w.F64(sum_sq_);
}

Status AnomalyLikelihood::Load(StateReader& r) {
  AnomalyLikelihood l;
  if (Status s = LoadDeque(r, "likelihood averages", kShort, &l.short_); !s.ok()) return s;
  Result<double> short_sum = r.F64("likelihood sum");
  if (!short_sum.ok()) return short_sum.status();
  if (Status s = LoadDeque(r, "likelihood history", kHistory, &l.history_); !s.ok()) return s;
  Result<double> sum = r.F64("likelihood history sum");
  Result<double> sum_sq = r.F64("likelihood history sum of squares");
  if (!sum_sq.ok()) return sum_sq.status();
  l.short_sum_ = short_sum.value();
  l.sum_ = sum.value();
  l.sum_sq_ = sum_sq.value();
  *this = std::move(l);
  return Status::OK();
}

void EnsembleDetector::Save(StateWriter& w) const {
  value_.Save(w);
  diff_.Save(w);
  seasonal_.Save(w);
  for (const AnomalyLikelihood& l : likelihood_) l.Save(w);
  w.Bool(have_prev_);
  w.F64(prev_);
  w.U64(n_);
  for (double v : {min_, max_, residual_min_, residual_max_}) w.F64(v);
  w.Bool(have_residual_);
  w.I64(cooldown_);
  w.Bool(last_alert_out_of_range_);
}

Status EnsembleDetector::Load(StateReader& r) {
  // Into a copy first: a bad blob leaves this detector as it was.
  auto e = std::make_unique<EnsembleDetector>();
  for (Status s : {e->value_.Load(r), e->diff_.Load(r), e->seasonal_.Load(r)}) {
    if (!s.ok()) return s;
  }
  for (AnomalyLikelihood& l : e->likelihood_) {
    if (Status s = l.Load(r); !s.ok()) return s;
  }
  Result<bool> have_prev = r.Bool("ensemble has a previous value");
  Result<double> prev = r.F64("ensemble previous value");
  Result<uint64_t> n = r.U64("ensemble count");
  if (!n.ok()) return n.status();
  double range[4];
  for (double& v : range) {
    Result<double> f = r.F64("ensemble range");
    if (!f.ok()) return f.status();
    v = f.value();
  }
  Result<bool> have_residual = r.Bool("ensemble has a residual range");
  Result<int64_t> cooldown = r.I64("ensemble suppression");
  Result<bool> last_oor = r.Bool("ensemble last alert");
  if (!last_oor.ok()) return last_oor.status();
  if (cooldown.value() < 0 || cooldown.value() > kSuppression) {
    return DataLossError("ensemble suppression out of range");
  }
  e->have_prev_ = have_prev.value();
  e->prev_ = prev.value();
  e->n_ = n.value();
  e->min_ = range[0];
  e->max_ = range[1];
  e->residual_min_ = range[2];
  e->residual_max_ = range[3];
  e->have_residual_ = have_residual.value();
  e->cooldown_ = static_cast<int>(cooldown.value());
  e->last_alert_out_of_range_ = last_oor.value();
  *this = std::move(*e);
  return Status::OK();
}

}  // namespace vigil::anomaly
