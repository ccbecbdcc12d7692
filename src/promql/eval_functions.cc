// PromQL's function implementations (Prometheus 2.42's promql/functions.go
// and quantile.go), in the two shapes eval.h describes.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numbers>
#include <string>
#include <unordered_map>

#include "base/strings.h"
#include "promql/eval.h"

namespace vigil::promql::internal {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Go's math.Max / math.Min: NaN wins, and +0 > -0.
double GoMax(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == 0 && b == 0) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
double GoMin(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == 0 && b == 0) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

void KahanInc(double inc, double* sum, double* c) {
  const double t = *sum + inc;
  if (std::abs(*sum) >= std::abs(inc)) {
    *c += (*sum - t) + inc;
  } else {
    *c += (inc - t) + *sum;
  }
  *sum = t;
}

// --- Per-sample functions -------------------------------------------------

template <double (*F)(double)>
bool Math(double v, int64_t, std::span<const double>, double* out) {
  *out = F(v);
  return true;
}

double Abs(double v) { return std::fabs(v); }
double Ceil(double v) { return std::ceil(v); }
double Floor(double v) { return std::floor(v); }
double Exp(double v) { return std::exp(v); }
double Sqrt(double v) { return std::sqrt(v); }
double Ln(double v) { return std::log(v); }
double Log2(double v) { return std::log2(v); }
double Log10(double v) { return std::log10(v); }
double Sin(double v) { return std::sin(v); }
double Cos(double v) { return std::cos(v); }
double Tan(double v) { return std::tan(v); }
double Asin(double v) { return std::asin(v); }
double Acos(double v) { return std::acos(v); }
double Atan(double v) { return std::atan(v); }
double Sinh(double v) { return std::sinh(v); }
double Cosh(double v) { return std::cosh(v); }
double Tanh(double v) { return std::tanh(v); }
double Asinh(double v) { return std::asinh(v); }
double Acosh(double v) { return std::acosh(v); }
double Atanh(double v) { return std::atanh(v); }
double Deg(double v) { return v * 180 / std::numbers::pi; }
double Rad(double v) { return v * std::numbers::pi / 180; }
double Sgn(double v) {
  if (v < 0) return -1;
  if (v > 0) return 1;
  return v;  // 0, -0 or NaN
}
double Identity(double v) { return v; }

bool Round(double v, int64_t, std::span<const double> s, double* out) {
  const double to_nearest = s.size() >= 2 ? s[1] : 1;
  // Inverted first, as Prometheus does: fewer floating point surprises.
  const double inverse = 1.0 / to_nearest;
  *out = std::floor(v * inverse + 0.5) / inverse;
  return true;
}

bool Clamp(double v, int64_t, std::span<const double> s, double* out) {
  const double lo = s[1], hi = s[2];
  if (hi < lo) return false;
  *out = GoMax(lo, GoMin(hi, v));
  return true;
}
bool ClampMax(double v, int64_t, std::span<const double> s, double* out) {
  *out = GoMin(v, s[1]);
  return true;
}
bool ClampMin(double v, int64_t, std::span<const double> s, double* out) {
  *out = GoMax(v, s[1]);
  return true;
}

// The date functions read the value as seconds since the epoch, in UTC.
struct Civil {
  std::chrono::year_month_day ymd;
  int64_t second_of_day;
  std::chrono::sys_days days;
};
Civil ToCivil(double v) {
  // Go converts with int64(v), truncating toward zero.
  const int64_t secs = static_cast<int64_t>(v);
  int64_t day = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --day;
  }
  std::chrono::sys_days d{std::chrono::days{day}};
  return {std::chrono::year_month_day{d}, rem, d};
}

template <double (*F)(const Civil&)>
bool Date(double v, int64_t, std::span<const double>, double* out) {
  if (!std::isfinite(v)) {
    *out = kNaN;
    return true;
  }
  *out = F(ToCivil(v));
  return true;
}
double Minute(const Civil& c) { return static_cast<double>(c.second_of_day / 60 % 60); }
double Hour(const Civil& c) { return static_cast<double>(c.second_of_day / 3600); }
double DayOfWeek(const Civil& c) {
  return std::chrono::weekday{c.days}.c_encoding();
}
double DayOfMonth(const Civil& c) {
  return static_cast<unsigned>(c.ymd.day());
}
double DayOfYear(const Civil& c) {
  const std::chrono::sys_days jan1{c.ymd.year() / std::chrono::January / 1};
  return static_cast<double>((c.days - jan1).count() + 1);
}
double DaysInMonth(const Civil& c) {
  return static_cast<unsigned>(
      std::chrono::year_month_day_last{c.ymd.year() / c.ymd.month() /
                                       std::chrono::last}
          .day());
}
double Month(const Civil& c) { return static_cast<unsigned>(c.ymd.month()); }
double Year(const Civil& c) { return static_cast<int>(c.ymd.year()); }

// --- Window functions -----------------------------------------------------

// Prometheus' extrapolatedRate: rate, increase, delta.
Status ExtrapolatedRate(const WindowCall& c, bool counter, bool rate,
                        double* out, bool* has) {
  const auto& p = c.points;
  if (p.size() < 2) return Status::OK();
  double result = p.back().v - p.front().v;
  // A drop means a counter reset: add back the value before it. The first
  // sample is compared with 0, which adds nothing.
  if (counter && !c.no_drops) {
    double last = 0;
    for (const Point& s : p) {
      if (s.v < last) result += last;
      last = s.v;
    }
  }
  double to_start = static_cast<double>(p.front().t - c.range_start) / 1000;
  const double to_end = static_cast<double>(c.range_end - p.back().t) / 1000;
  const double sampled = static_cast<double>(p.back().t - p.front().t) / 1000;
  const double avg_gap = sampled / static_cast<double>(p.size() - 1);
  if (counter && result > 0 && p.front().v >= 0) {
    // Counters cannot go below zero: do not extrapolate past that point.
    const double to_zero = sampled * (p.front().v / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  const double threshold = avg_gap * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : avg_gap / 2;
  interval += to_end < threshold ? to_end : avg_gap / 2;
  double factor = interval / sampled;
  if (rate) factor /= static_cast<double>(c.range_ms) / 1000;
  *out = result * factor;
  *has = true;
  return Status::OK();
}
Status Rate(const WindowCall& c, double* out, bool* has) {
  return ExtrapolatedRate(c, true, true, out, has);
}
Status Increase(const WindowCall& c, double* out, bool* has) {
  return ExtrapolatedRate(c, true, false, out, has);
}
Status Delta(const WindowCall& c, double* out, bool* has) {
  return ExtrapolatedRate(c, false, false, out, has);
}

// irate and idelta: the last two samples.
Status InstantValue(const WindowCall& c, bool rate, double* out, bool* has) {
  const auto& p = c.points;
  if (p.size() < 2) return Status::OK();
  const Point& last = p[p.size() - 1];
  const Point& prev = p[p.size() - 2];
  double result = rate && last.v < prev.v ? last.v : last.v - prev.v;
  const int64_t gap = last.t - prev.t;
  if (gap == 0) return Status::OK();
  if (rate) result /= static_cast<double>(gap) / 1000;
  *out = result;
  *has = true;
  return Status::OK();
}
Status Irate(const WindowCall& c, double* out, bool* has) {
  return InstantValue(c, true, out, has);
}
Status Idelta(const WindowCall& c, double* out, bool* has) {
  return InstantValue(c, false, out, has);
}

Status Changes(const WindowCall& c, double* out, bool* has) {
  double changes = 0;
  double prev = c.points[0].v;
  for (size_t i = 1; i < c.points.size(); ++i) {
    const double cur = c.points[i].v;
    if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) ++changes;
    prev = cur;
  }
  *out = changes;
  *has = true;
  return Status::OK();
}

Status Resets(const WindowCall& c, double* out, bool* has) {
  double resets = 0;
  double prev = c.points[0].v;
  for (size_t i = 1; i < c.points.size(); ++i) {
    const double cur = c.points[i].v;
    if (cur < prev) ++resets;
    prev = cur;
  }
  *out = resets;
  *has = true;
  return Status::OK();
}

// Least-squares fit of value against seconds since `intercept_t`.
void LinearRegression(std::span<const Point> p, int64_t intercept_t,
                      double* slope, double* intercept) {
  double n = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0,
         cx2 = 0;
  const double init_y = p[0].v;
  bool const_y = true;
  for (size_t i = 0; i < p.size(); ++i) {
    if (const_y && i > 0 && p[i].v != init_y) const_y = false;
    n += 1;
    const double x = static_cast<double>(p[i].t - intercept_t) / 1e3;
    KahanInc(x, &sx, &cx);
    KahanInc(p[i].v, &sy, &cy);
    KahanInc(x * p[i].v, &sxy, &cxy);
    KahanInc(x * x, &sx2, &cx2);
  }
  if (const_y) {
    if (std::isinf(init_y)) {
      *slope = *intercept = kNaN;
    } else {
      *slope = 0;
      *intercept = init_y;
    }
    return;
  }
  sx += cx;
  sy += cy;
  sxy += cxy;
  sx2 += cx2;
  const double cov = sxy - sx * sy / n;
  const double var = sx2 - sx * sx / n;
  *slope = cov / var;
  *intercept = sy / n - *slope * sx / n;
}

Status Deriv(const WindowCall& c, double* out, bool* has) {
  if (c.points.size() < 2) return Status::OK();
  double slope, intercept;
  // An intercept time near the samples avoids losing precision.
  LinearRegression(c.points, c.points[0].t, &slope, &intercept);
  *out = slope;
  *has = true;
  return Status::OK();
}

Status PredictLinear(const WindowCall& c, double* out, bool* has) {
  if (c.points.size() < 2) return Status::OK();
  double slope, intercept;
  LinearRegression(c.points, c.ts, &slope, &intercept);
  *out = slope * c.scalars[1] + intercept;
  *has = true;
  return Status::OK();
}

Status HoltWinters(const WindowCall& c, double* out, bool* has) {
  const double sf = c.scalars[1];
  const double tf = c.scalars[2];
  if (!(sf > 0 && sf < 1)) {
    return EvalError("invalid smoothing factor. Expected: 0 < sf < 1, got: " +
                     std::to_string(sf));
  }
  if (!(tf > 0 && tf < 1)) {
    return EvalError("invalid trend factor. Expected: 0 < tf < 1, got: " +
                     std::to_string(tf));
  }
  const auto& p = c.points;
  if (p.size() < 2) return Status::OK();
  double s0 = 0, s1 = p[0].v, b = p[1].v - p[0].v;
  for (size_t i = 1; i < p.size(); ++i) {
    const double x = sf * p[i].v;
    if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
    const double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  *out = s1;
  *has = true;
  return Status::OK();
}

Status AvgOverTime(const WindowCall& c, double* out, bool* has) {
  double mean = 0, count = 0;
  for (const Point& p : c.points) {
    count++;
    if (std::isinf(mean)) {
      if (std::isinf(p.v) && (mean > 0) == (p.v > 0)) continue;
      if (!std::isinf(p.v) && !std::isnan(p.v)) continue;
    }
    mean += p.v / count - mean / count;
  }
  *out = mean;
  *has = true;
  return Status::OK();
}

Status CountOverTime(const WindowCall& c, double* out, bool* has) {
  *out = static_cast<double>(c.points.size());
  *has = true;
  return Status::OK();
}

Status SumOverTime(const WindowCall& c, double* out, bool* has) {
  double sum = 0;
  for (const Point& p : c.points) sum += p.v;
  *out = sum;
  *has = true;
  return Status::OK();
}

Status MaxOverTime(const WindowCall& c, double* out, bool* has) {
  double m = c.points[0].v;
  for (const Point& p : c.points) {
    if (p.v > m || std::isnan(m)) m = p.v;
  }
  *out = m;
  *has = true;
  return Status::OK();
}

Status MinOverTime(const WindowCall& c, double* out, bool* has) {
  double m = c.points[0].v;
  for (const Point& p : c.points) {
    if (p.v < m || std::isnan(m)) m = p.v;
  }
  *out = m;
  *has = true;
  return Status::OK();
}

double Variance(std::span<const Point> points) {
  double count = 0, mean = 0, cmean = 0, aux = 0, caux = 0;
  for (const Point& p : points) {
    count++;
    const double delta = p.v - (mean + cmean);
    KahanInc(delta / count, &mean, &cmean);
    KahanInc(delta * (p.v - (mean + cmean)), &aux, &caux);
  }
  return (aux + caux) / count;
}

Status StdvarOverTime(const WindowCall& c, double* out, bool* has) {
  *out = Variance(c.points);
  *has = true;
  return Status::OK();
}

Status StddevOverTime(const WindowCall& c, double* out, bool* has) {
  *out = std::sqrt(Variance(c.points));
  *has = true;
  return Status::OK();
}

Status QuantileOverTime(const WindowCall& c, double* out, bool* has) {
  std::vector<double> values;
  values.reserve(c.points.size());
  for (const Point& p : c.points) values.push_back(p.v);
  *out = Quantile(c.scalars[0], std::move(values));
  *has = true;
  return Status::OK();
}

Status LastOverTime(const WindowCall& c, double* out, bool* has) {
  *out = c.points.back().v;
  *has = true;
  return Status::OK();
}

Status PresentOverTime(const WindowCall&, double* out, bool* has) {
  *out = 1;
  *has = true;
  return Status::OK();
}

}  // namespace

Status EvalError(std::string_view message) {
  return FailedPreconditionError(message);
}

SampleFunction FindSampleFunction(std::string_view name) {
  static const auto* table = new std::unordered_map<std::string_view,
                                                    SampleFunction>{
      {"abs", Math<Abs>},
      {"ceil", Math<Ceil>},
      {"floor", Math<Floor>},
      {"exp", Math<Exp>},
      {"sqrt", Math<Sqrt>},
      {"ln", Math<Ln>},
      {"log2", Math<Log2>},
      {"log10", Math<Log10>},
      {"sin", Math<Sin>},
      {"cos", Math<Cos>},
      {"tan", Math<Tan>},
      {"asin", Math<Asin>},
      {"acos", Math<Acos>},
      {"atan", Math<Atan>},
      {"sinh", Math<Sinh>},
      {"cosh", Math<Cosh>},
      {"tanh", Math<Tanh>},
      {"asinh", Math<Asinh>},
      {"acosh", Math<Acosh>},
      {"atanh", Math<Atanh>},
      {"deg", Math<Deg>},
      {"rad", Math<Rad>},
      {"sgn", Math<Sgn>},
      {"timestamp", Math<Identity>},
      {"round", Round},
      {"clamp", Clamp},
      {"clamp_max", ClampMax},
      {"clamp_min", ClampMin},
      {"minute", Date<Minute>},
      {"hour", Date<Hour>},
      {"day_of_week", Date<DayOfWeek>},
      {"day_of_month", Date<DayOfMonth>},
      {"day_of_year", Date<DayOfYear>},
      {"days_in_month", Date<DaysInMonth>},
      {"month", Date<Month>},
      {"year", Date<Year>},
  };
  auto it = table->find(name);
  return it == table->end() ? nullptr : it->second;
}

WindowFunction FindWindowFunction(std::string_view name) {
  static const auto* table = new std::unordered_map<std::string_view,
                                                    WindowFunction>{
      {"rate", Rate},
      {"increase", Increase},
      {"delta", Delta},
      {"irate", Irate},
      {"idelta", Idelta},
      {"changes", Changes},
      {"resets", Resets},
      {"deriv", Deriv},
      {"predict_linear", PredictLinear},
      {"holt_winters", HoltWinters},
      {"avg_over_time", AvgOverTime},
      {"count_over_time", CountOverTime},
      {"sum_over_time", SumOverTime},
      {"max_over_time", MaxOverTime},
      {"min_over_time", MinOverTime},
      {"stddev_over_time", StddevOverTime},
      {"stdvar_over_time", StdvarOverTime},
      {"quantile_over_time", QuantileOverTime},
      {"last_over_time", LastOverTime},
      {"present_over_time", PresentOverTime},
  };
  auto it = table->find(name);
  return it == table->end() ? nullptr : it->second;
}

double Quantile(double q, std::vector<double> values) {
  if (values.empty() || std::isnan(q)) return kNaN;
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  // NaN sorts first, as Go's vectorByValueHeap orders it.
  std::sort(values.begin(), values.end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    return a < b;
  });
  const double n = static_cast<double>(values.size());
  const double rank = q * (n - 1);
  const double lower = std::max(0.0, std::floor(rank));
  const double upper = std::min(n - 1, lower + 1);
  const double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) +
         values[static_cast<size_t>(upper)] * weight;
}

double BucketQuantile(double q,
                      std::vector<std::pair<double, double>> buckets) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::stable_sort(buckets.begin(), buckets.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  if (buckets.empty() || !std::isinf(buckets.back().first) ||
      buckets.back().first < 0) {
    return kNaN;
  }
  // Buckets with the same bound (spelled differently) add up.
  std::vector<std::pair<double, double>> merged;
  for (const auto& b : buckets) {
    if (!merged.empty() && merged.back().first == b.first) {
      merged.back().second += b.second;
    } else {
      merged.push_back(b);
    }
  }
  // Counts must not decrease (they can, from scrapes at different times).
  double max = -std::numeric_limits<double>::infinity();
  for (auto& b : merged) {
    if (b.second > max) {
      max = b.second;
    } else if (b.second < max) {
      b.second = max;
    }
  }
  if (merged.size() < 2) return kNaN;
  const double observations = merged.back().second;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  size_t b = 0;
  while (b < merged.size() - 1 && !(merged[b].second >= rank)) ++b;
  if (b == merged.size() - 1) return merged[merged.size() - 2].first;
  if (b == 0 && merged[0].first <= 0) return merged[0].first;
  double start = 0;
  const double end = merged[b].first;
  double count = merged[b].second;
  if (b > 0) {
    start = merged[b - 1].first;
    count -= merged[b - 1].second;
    rank -= merged[b - 1].second;
  }
  return start + (end - start) * (rank / count);
}

bool ParseGoFloat(std::string_view s, double* out) {
  if (s.empty()) return false;
  // Go accepts an optional sign, "inf"/"infinity"/"nan" in any case,
  // decimal and hexadecimal floats; no surrounding space.
  if (std::isspace(static_cast<unsigned char>(s.front())) ||
      std::isspace(static_cast<unsigned char>(s.back()))) {
    return false;
  }
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size()) return false;
  if (errno == ERANGE && std::isinf(v) == false && v != 0) return false;
  *out = v;
  return true;
}

std::string ExpandTemplate(std::string_view tmpl,
                           std::span<const std::string_view> groups,
                           const std::map<std::string, int>& names) {
  std::string out;
  auto is_name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
  };
  size_t i = 0;
  while (i < tmpl.size()) {
    const char c = tmpl[i];
    if (c != '$') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '$') {
      out += '$';
      i += 2;
      continue;
    }
    std::string_view name;
    size_t next = i + 1;
    if (next < tmpl.size() && tmpl[next] == '{') {
      size_t j = next + 1;
      while (j < tmpl.size() && is_name_char(tmpl[j])) ++j;
      if (j < tmpl.size() && tmpl[j] == '}' && j > next + 1) {
        name = tmpl.substr(next + 1, j - next - 1);
        next = j + 1;
      }
    } else {
      size_t j = next;
      while (j < tmpl.size() && is_name_char(tmpl[j])) ++j;
      if (j > next) {
        name = tmpl.substr(next, j - next);
        next = j;
      }
    }
    if (name.empty()) {  // malformed: the '$' is literal text
      out += '$';
      ++i;
      continue;
    }
    int index = -1;
    if (std::all_of(name.begin(), name.end(),
                    [](char ch) { return ch >= '0' && ch <= '9'; })) {
      // A number too large for any group simply matches nothing.
      if (name.size() <= 9) index = std::stoi(std::string(name));
    } else if (auto it = names.find(std::string(name)); it != names.end()) {
      index = it->second;
    }
    if (index >= 0 && static_cast<size_t>(index) < groups.size() &&
        groups[index].data() != nullptr) {
      out += groups[index];
    }
    i = next;
  }
  return out;
}

}  // namespace vigil::promql::internal
