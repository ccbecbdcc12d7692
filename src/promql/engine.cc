#include "promql/engine.h"

#include <absl/container/flat_hash_map.h>
#include <re2/re2.h>

#include <algorithm>
#include <bit>
#include <functional>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/status_macros.h"
#include "base/strings.h"
#include "promql/eval.h"
#include "promql/functions.h"
#include "promql/parser.h"

namespace vigil::promql {
namespace {

using internal::EvalError;
using model::Labels;
using model::LabelsBuilder;
using model::LabelRef;

bool IsStale(double v) {
  return std::bit_cast<uint64_t>(v) == storage::kStaleNaNBits;
}

Labels DropName(const Labels& l) { return l.Without(model::kMetricName); }

const Expr& Unparen(const Expr& e) {
  const Expr* p = &e;
  while (p->kind == ExprKind::kParen) {
    p = static_cast<const ParenExpr*>(p)->expr.get();
  }
  return *p;
}

// Series of a step-wise result: points at evaluation steps, in time order.
struct StepSeries {
  Labels metric;
  std::vector<Point> points;
};
using StepMatrix = std::vector<StepSeries>;

// State shared by the evaluators of one query (subqueries nest them).
struct QueryContext {
  storage::Querier* querier = nullptr;
  int64_t query_start = 0;
  int64_t query_end = 0;
  int64_t lookback = 0;
  int64_t default_step = 0;
  int64_t max_samples = 0;
  int64_t samples = 0;  // currently held
  std::chrono::steady_clock::time_point deadline;
  std::stop_token stop;
  unsigned ticks = 0;

  // Cheap enough to call in inner loops: looks at the clock every 256th.
  Status Tick() {
    if ((++ticks & 0xff) != 0) return Status::OK();
    return CheckNow();
  }
  Status CheckNow() const {
    if (stop.stop_requested()) {
      return CancelledError("query was canceled in expression evaluation");
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return DeadlineExceededError("query timed out in expression evaluation");
    }
    return Status::OK();
  }
  Status Hold(int64_t n) {
    samples += n;
    if (samples > max_samples) {
      return ResourceExhaustedError(
          "query processing would load too many samples into memory in "
          "query execution");
    }
    return Status::OK();
  }
  void Release(int64_t n) { samples -= n; }
};

// Accumulates output series by label set. Points may arrive in any order;
// Finish() sorts them and fails on two samples with the same labels at one
// step ("vector cannot contain metrics with the same labelset").
class OutputBuilder {
 public:
  // A new series reserves room for `steps` points (up to a cap, so that
  // many sparse series of a long range cost no more than they hold), as
  // Prometheus sizes its step slices.
  explicit OutputBuilder(size_t steps) : reserve_(std::min<size_t>(steps, 128)) {}

  uint32_t Series(Labels labels) {
    auto [it, inserted] = by_hash_.try_emplace(labels.Hash(), kNone);
    uint32_t* link = &it->second;  // ids with this hash, chained via next_
    for (; *link != kNone; link = &next_[*link]) {
      if (out_[*link].metric == labels) return *link;
    }
    const auto id = static_cast<uint32_t>(out_.size());
    *link = id;
    out_.push_back({std::move(labels), {}});
    out_.back().points.reserve(reserve_);
    sorted_.push_back(true);
    next_.push_back(kNone);
    return id;
  }
  void Add(uint32_t id, int64_t t, double v) {
    auto& pts = out_[id].points;
    if (!pts.empty() && pts.back().t >= t) sorted_[id] = false;
    pts.push_back({t, v});
  }
  // Whether series id already has a point at t (points added in step order).
  bool HasPointAt(uint32_t id, int64_t t) const {
    const auto& pts = out_[id].points;
    return !pts.empty() && pts.back().t == t;
  }

  Result<StepMatrix> Finish() {
    for (size_t i = 0; i < out_.size(); ++i) {
      auto& pts = out_[i].points;
      if (!sorted_[i]) {
        std::stable_sort(pts.begin(), pts.end(),
                         [](const Point& a, const Point& b) { return a.t < b.t; });
      }
      for (size_t j = 1; j < pts.size(); ++j) {
        if (pts[j].t == pts[j - 1].t) {
          return EvalError("vector cannot contain metrics with the same labelset");
        }
      }
    }
    std::erase_if(out_, [](const StepSeries& s) { return s.points.empty(); });
    return std::move(out_);
  }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  const size_t reserve_;
  StepMatrix out_;
  std::vector<bool> sorted_;
  absl::flat_hash_map<uint64_t, uint32_t> by_hash_;  // first id per hash
  std::vector<uint32_t> next_;                        // next id, same hash
};

// Walks a StepMatrix one step at a time.
class StepWalker {
 public:
  explicit StepWalker(const StepMatrix& m) : m_(&m), pos_(m.size(), 0) {}
  // The (series index, value) pairs at `ts`, in series order. Steps must
  // be visited in increasing order.
  void At(int64_t ts, std::vector<std::pair<uint32_t, double>>* out) {
    out->clear();
    for (uint32_t i = 0; i < m_->size(); ++i) {
      const auto& p = (*m_)[i].points;
      size_t& c = pos_[i];
      while (c < p.size() && p[c].t < ts) ++c;
      if (c < p.size() && p[c].t == ts) out->emplace_back(i, p[c].v);
    }
  }

 private:
  const StepMatrix* m_;
  std::vector<size_t> pos_;
};

// The value of a scalar-typed result at each step (NaN where missing).
std::vector<double> ScalarSteps(const StepMatrix& m, int64_t start,
                                int64_t interval, size_t steps) {
  std::vector<double> out(steps, std::nan(""));
  if (m.empty()) return out;
  for (const Point& p : m[0].points) {
    const int64_t i = (p.t - start) / interval;
    if (i >= 0 && static_cast<size_t>(i) < steps) out[i] = p.v;
  }
  return out;
}

// Go's labels.Labels.String(): {a="b", c="d"} (name included as a label).
std::string LabelsString(const Labels& l) {
  std::string out = "{";
  bool first = true;
  for (LabelRef r : l) {
    if (!first) out += ", ";
    first = false;
    out += r.name;
    out += '=';
    model::AppendQuoted(r.value, &out);
  }
  out += '}';
  return out;
}

// With `only`, the labels named in `names`; otherwise all but those and
// __name__ (Prometheus' by/on versus without/ignoring).
Labels SelectLabels(const Labels& l, const std::vector<std::string>& names,
                    bool only) {
  std::vector<LabelRef> keep;
  for (LabelRef r : l) {
    const bool listed =
        std::find(names.begin(), names.end(), r.name) != names.end();
    if (only ? listed : (!listed && r.name != model::kMetricName)) {
      keep.push_back(r);
    }
  }
  return Labels::FromSorted(std::span<const LabelRef>(keep));
}

// The labels two vectors are matched on.
Labels MatchLabels(const Labels& l, const VectorMatching& m) {
  return SelectLabels(l, m.matching_labels, m.on);
}

bool ShouldDropMetricName(Op op) {
  switch (op) {
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv:
    case Op::kMod:
    case Op::kPow:
      return true;
    default:
      return false;
  }
}

// Prometheus' vectorElemBinop for floats: the value and whether a
// comparison keeps the sample.
std::pair<double, bool> ElemBinop(Op op, double l, double r) {
  switch (op) {
    case Op::kAdd: return {l + r, true};
    case Op::kSub: return {l - r, true};
    case Op::kMul: return {l * r, true};
    case Op::kDiv: return {l / r, true};
    case Op::kPow: return {std::pow(l, r), true};
    case Op::kMod: return {std::fmod(l, r), true};
    case Op::kAtan2: return {std::atan2(l, r), true};
    case Op::kEql: return {l, l == r};
    case Op::kNeq: return {l, l != r};
    case Op::kGtr: return {l, l > r};
    case Op::kLss: return {l, l < r};
    case Op::kGte: return {l, l >= r};
    case Op::kLte: return {l, l <= r};
    default: return {0, false};
  }
}

// Scalar-scalar: comparisons (always with bool) give 1 or 0.
double ScalarBinop(Op op, double l, double r) {
  auto [v, keep] = ElemBinop(op, l, r);
  if (IsComparison(op)) return keep ? 1 : 0;
  return v;
}

Labels LabelsForAbsent(const Expr& arg) {
  const Expr& e = Unparen(arg);
  const VectorSelector* vs = nullptr;
  if (e.kind == ExprKind::kVectorSelector) {
    vs = static_cast<const VectorSelector*>(&e);
  } else if (e.kind == ExprKind::kMatrixSelector) {
    vs = static_cast<const VectorSelector*>(
        static_cast<const MatrixSelector&>(e).vector_selector.get());
  }
  if (vs == nullptr) return Labels();
  LabelsBuilder b;
  std::vector<std::string> drop;
  for (const model::Matcher& m : vs->matchers) {
    if (m.name() == model::kMetricName) continue;
    if (m.type() == model::MatchType::kEqual && b.Get(m.name()).empty()) {
      b.Set(m.name(), m.value());
    } else {
      drop.push_back(m.name());
    }
  }
  for (const auto& d : drop) b.Del(d);
  return b.Build();
}

std::string_view StringArg(const Expr& e) {
  const Expr& u = Unparen(e);
  if (u.kind == ExprKind::kString) {
    return static_cast<const StringLiteral&>(u).value;
  }
  return {};
}

// Orders for topk/bottomk heaps and for sort(), as Prometheus' value
// heaps (and sort.Reverse of them) order samples, made strict weak orders:
// in a heap NaN counts as the least wanted; in sorted output NaN goes last.
bool HeapLessAsc(double a, double b) {  // topk: NaN smallest
  if (std::isnan(b)) return false;
  if (std::isnan(a)) return true;
  return a < b;
}
bool HeapLessDesc(double a, double b) {  // bottomk: NaN "largest"
  if (std::isnan(b)) return false;
  if (std::isnan(a)) return true;
  return a > b;
}
bool SortedAsc(double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return a < b;
}
bool SortedDesc(double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return a > b;
}

// The time a selector or subquery reads at evaluation step `ts`: its @
// time (or the query's start/end) if set, else ts; minus its offset.
int64_t ResolveAt(const TimeModifiers& tm, int64_t ts,
                  const QueryContext& ctx) {
  int64_t base = ts;
  if (tm.at_ms.has_value()) {
    base = *tm.at_ms;
  } else if (tm.at_modifier == AtModifier::kStart) {
    base = ctx.query_start;
  } else if (tm.at_modifier == AtModifier::kEnd) {
    base = ctx.query_end;
  }
  return base - tm.offset_ms;
}

class Evaluator {
 public:
  Evaluator(QueryContext* ctx, int64_t start, int64_t end, int64_t interval)
      : ctx_(ctx), start_(start), end_(end), interval_(interval) {}

  size_t steps() const {
    return static_cast<size_t>((end_ - start_) / interval_) + 1;
  }

  // A vector- or scalar-typed expression over every step.
  Result<StepMatrix> Eval(const Expr& e);
  // A range-vector expression at start_ (instant queries only).
  Result<Matrix> EvalRange(const Expr& e);

 private:
  int64_t ResolveAt(const TimeModifiers& tm, int64_t ts) const {
    return promql::ResolveAt(tm, ts, *ctx_);
  }

  struct Loaded {
    Labels metric;
    std::vector<Point> points;  // in [mint, maxt], stale markers kept
  };
  Result<std::vector<Loaded>> Load(const VectorSelector& vs, int64_t mint,
                                   int64_t maxt, bool drop_stale);
  // Calls fn(labels, points) for each series vs selects, its samples in
  // [mint, maxt] loaded one series at a time into a reused buffer (valid
  // during the call only). fn holds against the samples limit what it
  // keeps or works on (a window function: its windows, as Prometheus).
  template <class Fn>
  Status ForEachLoaded(const VectorSelector& vs, int64_t mint, int64_t maxt,
                       bool drop_stale, Fn&& fn);

  Result<StepMatrix> EvalSelector(const VectorSelector& vs,
                                  bool sample_time_as_value);
  Result<StepMatrix> EvalUnary(const UnaryExpr& e);
  Result<StepMatrix> EvalBinary(const BinaryExpr& e);
  Result<StepMatrix> EvalVectorVector(const BinaryExpr& e,
                                      const StepMatrix& lhs,
                                      const StepMatrix& rhs);
  Result<StepMatrix> EvalAggregate(const AggregateExpr& e);
  Result<StepMatrix> EvalCountValues(const AggregateExpr& e,
                                     const StepMatrix& in);
  Result<StepMatrix> EvalCall(const Call& e);
  Result<StepMatrix> EvalWindowCall(const Call& e, size_t matrix_arg);
  Result<StepMatrix> EvalHistogramQuantile(const Call& e);
  Result<StepMatrix> EvalLabelFunction(const Call& e);

  // A range-vector argument: its series (points within the union of all
  // windows), the window length and the window end at a step.
  struct RangeArg {
    std::vector<Loaded> series;                // subqueries: evaluated
    const VectorSelector* selector = nullptr;  // matrix selectors: streamed
    int64_t load_mint = 0, load_maxt = 0;      // the selector's span
    int64_t range_ms = 0;
    TimeModifiers time;
    bool from_subquery = false;
  };
  Result<RangeArg> LoadRangeArg(const Expr& e);
  // Calls fn(labels, points) for each series of a: a selector's are read
  // from storage one at a time (as Prometheus' range evaluation does), so
  // the whole range is never in memory at once.
  template <class Fn>
  Status ForEachRangeSeries(const RangeArg& a, Fn&& fn) {
    if (a.selector != nullptr) {
      return ForEachLoaded(*a.selector, a.load_mint, a.load_maxt, /*drop_stale=*/true,
                           std::forward<Fn>(fn));
    }
    for (const auto& s : a.series) {
      VIGIL_RETURN_IF_ERROR(fn(s.metric, std::span<const Point>(s.points)));
    }
    return Status::OK();
  }
  int64_t WindowEnd(const RangeArg& a, int64_t ts) const {
    return ResolveAt(a.time, ts);
  }

  Result<std::vector<double>> ScalarArg(const Expr& e) {
    VIGIL_ASSIGN_OR_RETURN(StepMatrix m, Eval(e));
    return ScalarSteps(m, start_, interval_, steps());
  }

  QueryContext* const ctx_;
  const int64_t start_;
  const int64_t end_;
  const int64_t interval_;
};

template <class Fn>
Status Evaluator::ForEachLoaded(const VectorSelector& vs, int64_t mint, int64_t maxt,
                                bool drop_stale, Fn&& fn) {
  auto set = ctx_->querier->Select(/*sorted=*/false, vs.matchers);
  std::vector<Point> points;
  std::unique_ptr<storage::SeriesIterator> it;  // reused from series to series
  while (set->Next()) {
    it = set->At().NewIterator(std::move(it));
    points.clear();
    if (it->Seek(mint)) it->AppendUntil(maxt, &points);
    VIGIL_RETURN_IF_ERROR(it->status());
    if (drop_stale) std::erase_if(points, [](const Point& p) { return IsStale(p.v); });
    VIGIL_RETURN_IF_ERROR(ctx_->Tick());
    VIGIL_RETURN_IF_ERROR(fn(set->At().labels(), std::span<const Point>(points)));
  }
  return set->status();
}

Result<std::vector<Evaluator::Loaded>> Evaluator::Load(const VectorSelector& vs,
                                                       int64_t mint,
                                                       int64_t maxt,
                                                       bool drop_stale) {
  std::vector<Loaded> out;
  int64_t held = 0;
  VIGIL_RETURN_IF_ERROR(ForEachLoaded(
      vs, mint, maxt, drop_stale, [&](const Labels& metric, std::span<const Point> points) {
        // Copied at their exact size: one allocation per series.
        out.push_back({metric, std::vector<Point>(points.begin(), points.end())});
        held += static_cast<int64_t>(points.size());
        return ctx_->Hold(static_cast<int64_t>(points.size()));
      }));
  ctx_->Release(held);  // callers keep only what they return
  return out;
}

Result<StepMatrix> Evaluator::Eval(const Expr& e) {
  VIGIL_RETURN_IF_ERROR(ctx_->CheckNow());
  switch (e.kind) {
    case ExprKind::kNumber: {
      StepMatrix m(1);
      const double v = static_cast<const NumberLiteral&>(e).value;
      for (int64_t ts = start_; ts <= end_; ts += interval_) {
        m[0].points.push_back({ts, v});
      }
      return m;
    }
    case ExprKind::kParen:
      return Eval(*static_cast<const ParenExpr&>(e).expr);
    case ExprKind::kUnary:
      return EvalUnary(static_cast<const UnaryExpr&>(e));
    case ExprKind::kVectorSelector:
      return EvalSelector(static_cast<const VectorSelector&>(e), false);
    case ExprKind::kBinary:
      return EvalBinary(static_cast<const BinaryExpr&>(e));
    case ExprKind::kAggregate:
      return EvalAggregate(static_cast<const AggregateExpr&>(e));
    case ExprKind::kCall:
      return EvalCall(static_cast<const Call&>(e));
    case ExprKind::kString:
    case ExprKind::kMatrixSelector:
    case ExprKind::kSubquery:
      break;
  }
  return EvalError("unexpected " + std::string(ValueTypeName(e.type())) +
                   " where an instant vector or scalar is expected");
}

Result<StepMatrix> Evaluator::EvalSelector(const VectorSelector& vs,
                                           bool sample_time_as_value) {
  const int64_t first = ResolveAt(vs.time, start_);
  const int64_t last = ResolveAt(vs.time, end_);
  VIGIL_ASSIGN_OR_RETURN(
      std::vector<Loaded> series,
      Load(vs, std::min(first, last) - ctx_->lookback, std::max(first, last),
           /*drop_stale=*/false));
  StepMatrix out;
  out.reserve(series.size());
  int64_t held = 0;
  for (Loaded& s : series) {
    StepSeries o;
    const auto& p = s.points;
    for (int64_t ts = start_; ts <= end_; ts += interval_) {
      const int64_t ref = ResolveAt(vs.time, ts);
      // The newest sample at or before ref, within the lookback delta.
      auto it = std::upper_bound(
          p.begin(), p.end(), ref,
          [](int64_t t, const Point& pt) { return t < pt.t; });
      if (it == p.begin()) continue;
      --it;
      if (it->t < ref - ctx_->lookback || IsStale(it->v)) continue;
      o.points.push_back(
          {ts, sample_time_as_value ? static_cast<double>(it->t) / 1000
                                    : it->v});
    }
    if (o.points.empty()) continue;
    held += static_cast<int64_t>(o.points.size());
    VIGIL_RETURN_IF_ERROR(ctx_->Hold(static_cast<int64_t>(o.points.size())));
    o.metric = std::move(s.metric);
    out.push_back(std::move(o));
  }
  ctx_->Release(held);
  return out;
}

Result<StepMatrix> Evaluator::EvalUnary(const UnaryExpr& e) {
  VIGIL_ASSIGN_OR_RETURN(StepMatrix m, Eval(*e.expr));
  if (e.op != Op::kSub) return m;
  const bool vector = e.expr->type() == ValueType::kVector;
  std::unordered_set<std::string> seen;
  for (auto& s : m) {
    for (auto& p : s.points) p.v = -p.v;
    if (vector) {
      s.metric = DropName(s.metric);
      if (!seen.insert(std::string(s.metric.bytes())).second) {
        return EvalError("vector cannot contain metrics with the same labelset");
      }
    }
  }
  return m;
}

Result<StepMatrix> Evaluator::EvalBinary(const BinaryExpr& e) {
  const ValueType lt = e.lhs->type();
  const ValueType rt = e.rhs->type();
  VIGIL_ASSIGN_OR_RETURN(StepMatrix lhs, Eval(*e.lhs));
  VIGIL_ASSIGN_OR_RETURN(StepMatrix rhs, Eval(*e.rhs));
  const size_t n = steps();
  if (lt == ValueType::kScalar && rt == ValueType::kScalar) {
    std::vector<double> l = ScalarSteps(lhs, start_, interval_, n);
    std::vector<double> r = ScalarSteps(rhs, start_, interval_, n);
    StepMatrix out(1);
    for (size_t i = 0; i < n; ++i) {
      out[0].points.push_back({start_ + static_cast<int64_t>(i) * interval_,
                               ScalarBinop(e.op, l[i], r[i])});
    }
    return out;
  }
  if (lt == ValueType::kVector && rt == ValueType::kVector) {
    return EvalVectorVector(e, lhs, rhs);
  }
  // Vector and scalar, in either order.
  const bool swap = lt == ValueType::kScalar;
  const StepMatrix& vec = swap ? rhs : lhs;
  std::vector<double> scalar =
      ScalarSteps(swap ? lhs : rhs, start_, interval_, n);
  const bool drop = ShouldDropMetricName(e.op) || e.return_bool;
  OutputBuilder ob(steps());
  for (const StepSeries& s : vec) {
    std::optional<uint32_t> id;
    for (const Point& p : s.points) {
      const double sv = scalar[(p.t - start_) / interval_];
      double l = p.v, r = sv;
      if (swap) std::swap(l, r);
      auto [value, keep] = ElemBinop(e.op, l, r);
      // A comparison keeps the vector's value even when it is on the right.
      if (IsComparison(e.op) && swap) value = r;
      if (e.return_bool) {
        value = keep ? 1 : 0;
        keep = true;
      }
      if (!keep) continue;
      if (!id) id = ob.Series(drop ? DropName(s.metric) : s.metric);
      ob.Add(*id, p.t, value);
    }
    VIGIL_RETURN_IF_ERROR(ctx_->Tick());
  }
  return ob.Finish();
}

Result<StepMatrix> Evaluator::EvalVectorVector(const BinaryExpr& e,
                                               const StepMatrix& lhs_m,
                                               const StepMatrix& rhs_m) {
  const VectorMatching matching =
      e.matching.value_or(VectorMatching{.card = IsSetOperator(e.op)
                                                     ? Cardinality::kManyToMany
                                                     : Cardinality::kOneToOne});
  // Join signatures, once per series, as dense ids shared by both sides.
  std::vector<uint32_t> lsig, rsig;
  std::vector<Labels> sig_labels;  // by id
  {
    absl::flat_hash_map<std::string, uint32_t> ids;
    auto intern = [&](const Labels& l) {
      Labels sig = MatchLabels(l, matching);
      auto [it, inserted] = ids.try_emplace(std::string(sig.bytes()),
                                            static_cast<uint32_t>(sig_labels.size()));
      if (inserted) sig_labels.push_back(std::move(sig));
      return it->second;
    };
    lsig.reserve(lhs_m.size());
    rsig.reserve(rhs_m.size());
    for (const auto& s : lhs_m) lsig.push_back(intern(s.metric));
    for (const auto& s : rhs_m) rsig.push_back(intern(s.metric));
  }

  OutputBuilder ob(steps());
  // Output series of unchanged inputs (set operators), by side and index.
  absl::flat_hash_map<uint64_t, uint32_t> passthrough;
  auto pass = [&](int side, uint32_t i, const StepMatrix& m) {
    const uint64_t key = (static_cast<uint64_t>(side) << 32) | i;
    auto [it, inserted] = passthrough.try_emplace(key, 0);
    if (inserted) it->second = ob.Series(m[i].metric);
    return it->second;
  };
  // Result labels per (many side, one side) pair.
  absl::flat_hash_map<uint64_t, uint32_t> pair_ids;
  // Per signature id, for the step being evaluated (stamped with the step
  // number, so nothing is cleared between steps): whether a side has it,
  // the one side's position in its step vector, and whether the many side
  // has matched it.
  constexpr uint32_t kNever = UINT32_MAX;
  std::vector<uint32_t> sig_seen(sig_labels.size(), kNever);
  std::vector<uint32_t> one_pos(sig_labels.size(), 0);
  std::vector<uint32_t> matched_at(sig_labels.size(), kNever);
  uint32_t step = 0;

  StepWalker lw(lhs_m), rw(rhs_m);
  std::vector<std::pair<uint32_t, double>> lv, rv;
  for (int64_t ts = start_; ts <= end_; ts += interval_, ++step) {
    VIGIL_RETURN_IF_ERROR(ctx_->Tick());
    lw.At(ts, &lv);
    rw.At(ts, &rv);
    switch (e.op) {
      case Op::kAnd:
        if (lv.empty() || rv.empty()) continue;
        for (auto& [j, v] : rv) sig_seen[rsig[j]] = step;
        for (auto& [i, v] : lv) {
          if (sig_seen[lsig[i]] == step) ob.Add(pass(0, i, lhs_m), ts, v);
        }
        continue;
      case Op::kOr:
        for (auto& [i, v] : lv) {
          sig_seen[lsig[i]] = step;
          ob.Add(pass(0, i, lhs_m), ts, v);
        }
        for (auto& [j, v] : rv) {
          if (sig_seen[rsig[j]] != step) ob.Add(pass(1, j, rhs_m), ts, v);
        }
        continue;
      case Op::kUnless:
        for (auto& [j, v] : rv) sig_seen[rsig[j]] = step;
        for (auto& [i, v] : lv) {
          if (sig_seen[lsig[i]] != step) ob.Add(pass(0, i, lhs_m), ts, v);
        }
        continue;
      default:
        break;
    }
    if (matching.card == Cardinality::kManyToMany) {
      return EvalError("many-to-many only allowed for set operators");
    }
    if (lv.empty() || rv.empty()) continue;
    // The control flow handles one-to-one and many-to-one; one-to-many
    // swaps the sides and swaps back for the values.
    const bool one_to_many = matching.card == Cardinality::kOneToMany;
    const auto& many = one_to_many ? rv : lv;
    const auto& one = one_to_many ? lv : rv;
    const StepMatrix& many_m = one_to_many ? rhs_m : lhs_m;
    const StepMatrix& one_m = one_to_many ? lhs_m : rhs_m;
    const auto& many_sig = one_to_many ? rsig : lsig;
    const auto& one_sig = one_to_many ? lsig : rsig;
    for (size_t k = 0; k < one.size(); ++k) {
      const uint32_t j = one[k].first;
      const uint32_t sig = one_sig[j];
      if (sig_seen[sig] == step) {
        const Labels& dup = one_m[one[one_pos[sig]].first].metric;
        return EvalError(
            "found duplicate series for the match group " +
            LabelsString(sig_labels[sig]) + " on the " +
            (one_to_many ? "left" : "right") +
            " hand-side of the operation: [" + LabelsString(one_m[j].metric) +
            ", " + LabelsString(dup) +
            "];many-to-many matching not allowed: matching labels must be "
            "unique on one side");
      }
      sig_seen[sig] = step;
      one_pos[sig] = static_cast<uint32_t>(k);
    }
    for (auto& [i, mval] : many) {
      const uint32_t sig = many_sig[i];
      if (sig_seen[sig] != step) continue;
      const auto [j, oval] = one[one_pos[sig]];
      double vl = mval, vr = oval;
      if (one_to_many) std::swap(vl, vr);
      auto [value, keep] = ElemBinop(e.op, vl, vr);
      if (e.return_bool) {
        value = keep ? 1 : 0;
      } else if (!keep) {
        continue;
      }
      const uint64_t pair = (static_cast<uint64_t>(i) << 32) | j;
      auto pid = pair_ids.find(pair);
      if (pid == pair_ids.end()) {
        // Prometheus' resultMetric.
        LabelsBuilder b(many_m[i].metric);
        if (ShouldDropMetricName(e.op)) b.Del(model::kMetricName);
        if (matching.card == Cardinality::kOneToOne) {
          if (matching.on) {
            for (LabelRef r : many_m[i].metric) {
              if (std::find(matching.matching_labels.begin(),
                            matching.matching_labels.end(),
                            r.name) == matching.matching_labels.end()) {
                b.Del(r.name);
              }
            }
          } else {
            for (const auto& n : matching.matching_labels) b.Del(n);
          }
        }
        for (const auto& n : matching.include) {
          b.Set(n, one_m[j].metric.Get(n));
        }
        if (e.return_bool) b.Del(model::kMetricName);
        pid = pair_ids.emplace(pair, ob.Series(b.Build())).first;
      }
      const uint32_t id = pid->second;
      if (matching.card == Cardinality::kOneToOne) {
        if (matched_at[sig] == step) {
          return EvalError(
              "multiple matches for labels: many-to-one matching must be "
              "explicit (group_left/group_right)");
        }
        matched_at[sig] = step;
      } else if (ob.HasPointAt(id, ts)) {
        // The result labels carry the matching labels, so one output
        // series twice in a step is Prometheus' duplicate within a match
        // group.
        return EvalError(
            "multiple matches for labels: grouping labels must ensure "
            "unique results");
      }
      ob.Add(id, ts, value);
    }
  }
  return ob.Finish();
}

// The running value of the aggregations that keep one per group and step
// (Prometheus' groupedAggregation fields for them).
struct RunningAgg {
  double value = 0;
  double mean = 0;
  double count = 0;
  bool seen = false;
};

bool IsRunningAggregation(Op op) {
  switch (op) {
    case Op::kSum:
    case Op::kAvg:
    case Op::kCount:
    case Op::kGroup:
    case Op::kMin:
    case Op::kMax:
    case Op::kStddev:
    case Op::kStdvar:
      return true;
    default:
      return false;
  }
}

// Adds v to a (sum, avg, count, group, min, max, stddev, stdvar), in the
// order Prometheus does, so results match to the bit.
inline void RunningAdd(Op op, RunningAgg& a, double v) {
  if (!a.seen) {
    a.seen = true;
    a.value = op == Op::kStddev || op == Op::kStdvar ? 0 : op == Op::kGroup ? 1 : v;
    a.mean = v;
    a.count = 1;
    return;
  }
  switch (op) {
    case Op::kSum:
      a.value += v;
      break;
    case Op::kAvg:
      a.count++;
      if (std::isinf(a.mean)) {
        if (std::isinf(v) && (a.mean > 0) == (v > 0)) break;
        if (!std::isinf(v) && !std::isnan(v)) break;
      }
      a.mean += v / a.count - a.mean / a.count;
      break;
    case Op::kMax:
      if (a.value < v || std::isnan(a.value)) a.value = v;
      break;
    case Op::kMin:
      if (a.value > v || std::isnan(a.value)) a.value = v;
      break;
    case Op::kCount:
      a.count++;
      break;
    case Op::kStddev:
    case Op::kStdvar: {
      a.count++;
      const double delta = v - a.mean;
      a.mean += delta / a.count;
      a.value += delta * (v - a.mean);
      break;
    }
    default:  // kGroup
      break;
  }
}

inline double RunningResult(Op op, const RunningAgg& a) {
  switch (op) {
    case Op::kAvg:
      return a.mean;
    case Op::kCount:
      return a.count;
    case Op::kStdvar:
      return a.value / a.count;
    case Op::kStddev:
      return std::sqrt(a.value / a.count);
    default:
      return a.value;
  }
}

struct GroupAcc {
  RunningAgg r;
  std::vector<std::pair<double, uint32_t>> heap;  // topk/bottomk/quantile
};

Result<StepMatrix> Evaluator::EvalAggregate(const AggregateExpr& e) {
  std::vector<double> param;
  if (e.param != nullptr && e.op != Op::kCountValues) {
    VIGIL_ASSIGN_OR_RETURN(param, ScalarArg(*e.param));
  }
  VIGIL_ASSIGN_OR_RETURN(StepMatrix in, Eval(*e.expr));
  if (e.op == Op::kCountValues) return EvalCountValues(e, in);

  // Group of each input series, and each group's output labels.
  std::vector<uint32_t> group_of(in.size());
  std::vector<Labels> group_labels;
  {
    std::unordered_map<std::string, uint32_t> ids;
    for (size_t i = 0; i < in.size(); ++i) {
      Labels l = SelectLabels(in[i].metric, e.grouping, !e.without);
      auto [it, inserted] = ids.emplace(std::string(l.bytes()),
                                        static_cast<uint32_t>(group_labels.size()));
      if (inserted) group_labels.push_back(std::move(l));
      group_of[i] = it->second;
    }
  }
  std::vector<std::optional<uint32_t>> group_out(group_labels.size());
  OutputBuilder ob(steps());
  const bool running = IsRunningAggregation(e.op);
  // Range queries: series by series into a value per group and step, which
  // spares walking every series at every step. Each (group, step) still
  // sees its series in input order, so the arithmetic is the same as the
  // step-by-step loop's. Bounded, as that table is not counted as samples.
  const size_t n_steps = steps();
  if (running && n_steps > 1 && group_labels.size() * n_steps <= (size_t{1} << 19)) {
    std::vector<RunningAgg> cells(group_labels.size() * n_steps);
    for (size_t i = 0; i < in.size(); ++i) {
      VIGIL_RETURN_IF_ERROR(ctx_->Tick());
      RunningAgg* row = &cells[group_of[i] * n_steps];
      for (const Point& p : in[i].points) {
        const auto k = static_cast<size_t>((p.t - start_) / interval_);
        if (p.t < start_ || k >= n_steps) {
          return InternalError("promql: aggregation input off the step grid");
        }
        RunningAdd(e.op, row[k], p.v);
      }
    }
    for (size_t g = 0; g < group_labels.size(); ++g) {
      const RunningAgg* row = &cells[g * n_steps];
      for (size_t k = 0; k < n_steps; ++k) {
        if (!row[k].seen) continue;
        if (!group_out[g]) group_out[g] = ob.Series(group_labels[g]);
        ob.Add(*group_out[g], start_ + static_cast<int64_t>(k) * interval_,
               RunningResult(e.op, row[k]));
      }
    }
    return ob.Finish();
  }
  std::vector<std::optional<uint32_t>> series_out(in.size());  // topk/bottomk
  std::vector<GroupAcc> acc(group_labels.size());
  std::vector<uint32_t> order;  // groups in order of first sample this step
  StepWalker w(in);
  std::vector<std::pair<uint32_t, double>> vec;
  size_t step = 0;
  for (int64_t ts = start_; ts <= end_; ts += interval_, ++step) {
    VIGIL_RETURN_IF_ERROR(ctx_->Tick());
    w.At(ts, &vec);
    if (vec.empty()) continue;
    int64_t k = 0;
    if (e.op == Op::kTopk || e.op == Op::kBottomk) {
      const double f = param[step];
      if (!(f >= -9.2233720368547758e18 && f <= 9.2233720368547758e18)) {
        return EvalError("Scalar value " + FormatFloatShortest(f) +
                         " overflows int64");
      }
      k = static_cast<int64_t>(f);
      if (k < 1) continue;
    }
    order.clear();
    for (auto& [i, v] : vec) {
      const uint32_t g = group_of[i];
      GroupAcc& a = acc[g];
      if (running) {
        if (!a.r.seen) order.push_back(g);
        RunningAdd(e.op, a.r, v);
        continue;
      }
      if (!a.r.seen) {
        a.r.seen = true;
        a.heap.clear();
        a.heap.push_back({v, i});
        order.push_back(g);
        continue;
      }
      switch (e.op) {
        case Op::kTopk:
        case Op::kBottomk: {
          // A heap of up to k elements with the least wanted on top, as
          // Prometheus keeps it (container/heap order).
          auto less = [&](const std::pair<double, uint32_t>& x,
                          const std::pair<double, uint32_t>& y) {
            return e.op == Op::kTopk ? HeapLessAsc(x.first, y.first)
                                     : HeapLessDesc(x.first, y.first);
          };
          // std heap functions build a max-heap over `cmp`; invert it.
          auto cmp = [&](const auto& x, const auto& y) { return less(y, x); };
          auto& h = a.heap;
          if (static_cast<int64_t>(h.size()) < k) {
            h.push_back({v, i});
            std::push_heap(h.begin(), h.end(), cmp);
          } else {
            const double top = h.front().first;
            const bool better =
                e.op == Op::kTopk
                    ? (top < v || (std::isnan(top) && !std::isnan(v)))
                    : (top > v || (std::isnan(top) && !std::isnan(v)));
            if (better) {
              std::pop_heap(h.begin(), h.end(), cmp);
              h.back() = {v, i};
              std::push_heap(h.begin(), h.end(), cmp);
            }
          }
          break;
        }
        case Op::kQuantile:
          a.heap.push_back({v, i});
          break;
        default:
          return EvalError("unexpected aggregation " + std::string(OpString(e.op)));
      }
    }
    for (uint32_t g : order) {
      GroupAcc& a = acc[g];
      double out = running ? RunningResult(e.op, a.r) : 0;
      a.r = RunningAgg();
      switch (e.op) {
        case Op::kTopk:
        case Op::kBottomk: {
          auto& h = a.heap;
          std::stable_sort(h.begin(), h.end(), [&](const auto& x, const auto& y) {
            return e.op == Op::kTopk ? SortedDesc(x.first, y.first)
                                     : SortedAsc(x.first, y.first);
          });
          for (auto& [v, i] : h) {
            if (!series_out[i]) series_out[i] = ob.Series(in[i].metric);
            ob.Add(*series_out[i], ts, v);
          }
          continue;
        }
        case Op::kQuantile: {
          std::vector<double> values;
          values.reserve(a.heap.size());
          for (auto& [v, i] : a.heap) values.push_back(v);
          out = internal::Quantile(param[step], std::move(values));
          break;
        }
        default:
          break;
      }
      if (!group_out[g]) group_out[g] = ob.Series(group_labels[g]);
      ob.Add(*group_out[g], ts, out);
    }
  }
  return ob.Finish();
}

Result<StepMatrix> Evaluator::EvalCountValues(const AggregateExpr& e,
                                              const StepMatrix& in) {
  const std::string label(StringArg(*e.param));
  if (!model::IsValidLabelName(label)) {
    return EvalError("invalid label name \"" + label + "\"");
  }
  std::vector<std::string> grouping = e.grouping;
  if (!e.without) grouping.push_back(label);
  OutputBuilder ob(steps());
  StepWalker w(in);
  std::vector<std::pair<uint32_t, double>> vec;
  for (int64_t ts = start_; ts <= end_; ts += interval_) {
    VIGIL_RETURN_IF_ERROR(ctx_->Tick());
    w.At(ts, &vec);
    std::vector<std::pair<Labels, double>> groups;
    std::unordered_map<std::string, size_t> index;
    for (auto& [i, v] : vec) {
      LabelsBuilder b(in[i].metric);
      b.Set(label, FormatFloatShortest(v));
      Labels gl = SelectLabels(b.Build(), grouping, !e.without);
      auto [it, inserted] = index.emplace(std::string(gl.bytes()), groups.size());
      if (inserted) {
        groups.push_back({std::move(gl), 1});
      } else {
        groups[it->second].second++;
      }
    }
    for (auto& [l, n] : groups) ob.Add(ob.Series(std::move(l)), ts, n);
  }
  return ob.Finish();
}

Result<Evaluator::RangeArg> Evaluator::LoadRangeArg(const Expr& arg) {
  const Expr& e = Unparen(arg);
  RangeArg out;
  if (e.kind == ExprKind::kMatrixSelector) {
    const auto& ms = static_cast<const MatrixSelector&>(e);
    const auto& vs = static_cast<const VectorSelector&>(*ms.vector_selector);
    out.range_ms = ms.range_ms;
    out.time = vs.time;
    const int64_t first = ResolveAt(vs.time, start_);
    const int64_t last = ResolveAt(vs.time, end_);
    out.selector = &vs;
    out.load_mint = std::min(first, last) - ms.range_ms;
    out.load_maxt = std::max(first, last);
    return out;
  }
  if (e.kind != ExprKind::kSubquery) {
    return EvalError("expected a range vector, got " +
                     std::string(ValueTypeName(e.type())));
  }
  const auto& sq = static_cast<const SubqueryExpr&>(e);
  out.range_ms = sq.range_ms;
  out.time = sq.time;
  out.from_subquery = true;
  const int64_t step = sq.step_ms > 0 ? sq.step_ms : ctx_->default_step;
  const int64_t first = ResolveAt(sq.time, start_);
  const int64_t last = ResolveAt(sq.time, end_);
  const int64_t lo = std::min(first, last) - sq.range_ms;
  const int64_t hi = std::max(first, last);
  // The first step-aligned timestamp at or after lo (Go's division
  // truncates toward zero; so does C++'s).
  int64_t inner_start = step * (lo / step);
  if (inner_start < lo) inner_start += step;
  if (inner_start > hi) return out;
  Evaluator inner(ctx_, inner_start, hi, step);
  VIGIL_ASSIGN_OR_RETURN(StepMatrix m, inner.Eval(*sq.expr));
  for (auto& s : m) out.series.push_back({std::move(s.metric), std::move(s.points)});
  return out;
}

Result<Matrix> Evaluator::EvalRange(const Expr& e) {
  VIGIL_ASSIGN_OR_RETURN(RangeArg a, LoadRangeArg(e));
  const int64_t end = WindowEnd(a, start_);
  const int64_t begin = end - a.range_ms;
  Matrix out;
  int64_t held = 0;
  VIGIL_RETURN_IF_ERROR(
      ForEachRangeSeries(a, [&](const Labels& metric, std::span<const Point> points) {
        Series o;
        for (const Point& p : points) {
          if (p.t >= begin && p.t <= end) o.points.push_back(p);
        }
        if (o.points.empty()) return Status::OK();
        o.metric = metric;
        held += static_cast<int64_t>(o.points.size());
        VIGIL_RETURN_IF_ERROR(ctx_->Hold(static_cast<int64_t>(o.points.size())));
        out.push_back(std::move(o));
        return Status::OK();
      }));
  ctx_->Release(held);
  return out;
}

Result<StepMatrix> Evaluator::EvalWindowCall(const Call& e, size_t matrix_arg) {
  const std::string_view name = e.func->name;
  // Scalar arguments at each step.
  std::vector<std::vector<double>> scalars(e.args.size());
  for (size_t i = 0; i < e.args.size(); ++i) {
    if (i == matrix_arg) continue;
    VIGIL_ASSIGN_OR_RETURN(scalars[i], ScalarArg(*e.args[i]));
  }
  VIGIL_ASSIGN_OR_RETURN(RangeArg a, LoadRangeArg(*e.args[matrix_arg]));
  if (name == "absent_over_time") {
    std::vector<bool> present(steps(), false);
    VIGIL_RETURN_IF_ERROR(
        ForEachRangeSeries(a, [&](const Labels&, std::span<const Point> points) {
          size_t step = 0;
          for (int64_t ts = start_; ts <= end_; ts += interval_, ++step) {
            if (present[step]) continue;
            const int64_t end = WindowEnd(a, ts), begin = end - a.range_ms;
            auto it = std::lower_bound(points.begin(), points.end(), begin,
                                       [](const Point& p, int64_t t) { return p.t < t; });
            present[step] = it != points.end() && it->t <= end;
          }
          return Status::OK();
        }));
    StepMatrix out(1);
    out[0].metric = LabelsForAbsent(*e.args[matrix_arg]);
    size_t step = 0;
    for (int64_t ts = start_; ts <= end_; ts += interval_, ++step) {
      if (!present[step]) out[0].points.push_back({ts, 1});
    }
    if (out[0].points.empty()) out.clear();
    return out;
  }
  internal::WindowFunction fn = internal::FindWindowFunction(name);
  if (fn == nullptr) {
    return InternalError("promql: no evaluator for function \"" +
                         std::string(name) + "\"");
  }
  const bool keep_name = name == "last_over_time";
  OutputBuilder ob(steps());
  std::vector<double> step_scalars(e.args.size(), 0);
  auto eval_series = [&](const Labels& metric, std::span<const Point> p) -> Status {
    std::optional<uint32_t> id;
    size_t step = 0;
    // With many steps, one pass spares every window its reset scan.
    bool no_drops = false;
    if (steps() > 1) {
      no_drops = std::adjacent_find(p.begin(), p.end(), [](const Point& x, const Point& y) {
                   return y.v < x.v;
                 }) == p.end();
    }
    // Windows only move forward (the end is the step's time less the
    // offset, or fixed by @), so [lo, hi) slides instead of being searched.
    size_t lo = 0, hi = 0;
    for (int64_t ts = start_; ts <= end_; ts += interval_, ++step) {
      VIGIL_RETURN_IF_ERROR(ctx_->Tick());
      const int64_t end = WindowEnd(a, ts), begin = end - a.range_ms;
      // The window is closed at both ends, as in Prometheus 2.x.
      while (lo < p.size() && p[lo].t < begin) ++lo;
      if (hi < lo) hi = lo;
      while (hi < p.size() && p[hi].t <= end) ++hi;
      if (hi <= lo) continue;
      VIGIL_RETURN_IF_ERROR(ctx_->Hold(static_cast<int64_t>(hi - lo)));
      for (size_t i = 0; i < scalars.size(); ++i) {
        if (!scalars[i].empty()) step_scalars[i] = scalars[i][step];
      }
      internal::WindowCall c;
      c.ts = ts;
      c.points = std::span<const Point>(p.data() + lo, hi - lo);
      c.range_start = begin;
      c.range_end = end;
      c.range_ms = a.range_ms;
      c.scalars = step_scalars;
      c.no_drops = no_drops;
      double v = 0;
      bool has = false;
      Status st = fn(c, &v, &has);
      ctx_->Release(static_cast<int64_t>(hi - lo));
      VIGIL_RETURN_IF_ERROR(st);
      if (!has) continue;
      if (!id) id = ob.Series(keep_name ? metric : DropName(metric));
      ob.Add(*id, ts, v);
    }
    return Status::OK();
  };
  VIGIL_RETURN_IF_ERROR(ForEachRangeSeries(a, eval_series));
  return ob.Finish();
}

Result<StepMatrix> Evaluator::EvalHistogramQuantile(const Call& e) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<double> q, ScalarArg(*e.args[0]));
  VIGIL_ASSIGN_OR_RETURN(StepMatrix in, Eval(*e.args[1]));
  // Per series: its bucket bound (or none) and its histogram group (labels
  // without `le`, name kept) with the group's output labels.
  std::vector<std::optional<double>> bound(in.size());
  std::vector<uint32_t> group_of(in.size());
  std::vector<Labels> group_labels;
  std::unordered_map<std::string, uint32_t> ids;
  for (size_t i = 0; i < in.size(); ++i) {
    double b;
    if (!internal::ParseGoFloat(in[i].metric.Get("le"), &b)) continue;
    bound[i] = b;
    LabelsBuilder lb(in[i].metric);
    lb.Del("le");
    Labels key = lb.Build();
    auto [it, inserted] = ids.emplace(std::string(key.bytes()),
                                      static_cast<uint32_t>(group_labels.size()));
    if (inserted) group_labels.push_back(DropName(key));
    group_of[i] = it->second;
  }
  OutputBuilder ob(steps());
  std::vector<std::optional<uint32_t>> group_out(group_labels.size());
  std::vector<std::vector<std::pair<double, double>>> buckets(group_labels.size());
  std::vector<uint32_t> order;
  StepWalker w(in);
  std::vector<std::pair<uint32_t, double>> vec;
  size_t step = 0;
  for (int64_t ts = start_; ts <= end_; ts += interval_, ++step) {
    VIGIL_RETURN_IF_ERROR(ctx_->Tick());
    w.At(ts, &vec);
    order.clear();
    for (auto& [i, v] : vec) {
      if (!bound[i]) continue;
      auto& b = buckets[group_of[i]];
      if (b.empty()) order.push_back(group_of[i]);
      b.push_back({*bound[i], v});
    }
    for (uint32_t g : order) {
      const double value =
          internal::BucketQuantile(q[step], std::move(buckets[g]));
      buckets[g].clear();
      if (!group_out[g]) group_out[g] = ob.Series(group_labels[g]);
      ob.Add(*group_out[g], ts, value);
    }
  }
  return ob.Finish();
}

Result<StepMatrix> Evaluator::EvalLabelFunction(const Call& e) {
  VIGIL_ASSIGN_OR_RETURN(StepMatrix in, Eval(*e.args[0]));
  const std::string_view name = e.func->name;
  std::function<Result<Labels>(const Labels&)> relabel;
  std::unique_ptr<RE2> re;
  if (name == "label_replace") {
    const std::string dst(StringArg(*e.args[1]));
    const std::string repl(StringArg(*e.args[2]));
    const std::string src(StringArg(*e.args[3]));
    const std::string regex(StringArg(*e.args[4]));
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_dot_nl(true);
    re = std::make_unique<RE2>("^(?:" + regex + ")$", opts);
    if (!re->ok()) {
      return EvalError("invalid regular expression in label_replace(): " +
                       regex);
    }
    if (!model::IsValidLabelName(dst)) {
      return EvalError("invalid destination label name in label_replace(): " +
                       dst);
    }
    std::map<std::string, int> names(re->NamedCapturingGroups().begin(),
                                     re->NamedCapturingGroups().end());
    const int ngroups = re->NumberOfCapturingGroups();
    relabel = [&re, dst, repl, src, names, ngroups](const Labels& l) -> Result<Labels> {
      const std::string_view value = l.Get(src);
      std::vector<re2::StringPiece> pieces(ngroups + 1);
      if (!re->Match(value, 0, value.size(), RE2::UNANCHORED, pieces.data(),
                     static_cast<int>(pieces.size()))) {
        return l;
      }
      std::vector<std::string_view> groups;
      for (const auto& p : pieces) {
        groups.emplace_back(p.data(), p.size());
      }
      std::string res = internal::ExpandTemplate(repl, groups, names);
      LabelsBuilder b(l);
      b.Set(dst, res);
      return b.Build();
    };
  } else {  // label_join
    const std::string dst(StringArg(*e.args[1]));
    const std::string sep(StringArg(*e.args[2]));
    std::vector<std::string> srcs;
    for (size_t i = 3; i < e.args.size(); ++i) {
      srcs.emplace_back(StringArg(*e.args[i]));
      if (!model::IsValidLabelName(srcs.back())) {
        return EvalError("invalid source label name in label_join(): " +
                         srcs.back());
      }
    }
    if (!model::IsValidLabelName(dst)) {
      return EvalError("invalid destination label name in label_join(): " +
                       dst);
    }
    relabel = [dst, sep, srcs](const Labels& l) -> Result<Labels> {
      std::string joined;
      for (size_t i = 0; i < srcs.size(); ++i) {
        if (i > 0) joined += sep;
        joined += l.Get(srcs[i]);
      }
      LabelsBuilder b(l);
      b.Set(dst, joined);
      return b.Build();
    };
  }
  OutputBuilder ob(steps());
  for (auto& s : in) {
    VIGIL_ASSIGN_OR_RETURN(Labels l, relabel(s.metric));
    const uint32_t id = ob.Series(std::move(l));
    for (const Point& p : s.points) ob.Add(id, p.t, p.v);
  }
  return ob.Finish();
}

Result<StepMatrix> Evaluator::EvalCall(const Call& e) {
  const std::string_view name = e.func->name;
  // A range-vector argument makes it a window function.
  for (size_t i = 0; i < e.args.size(); ++i) {
    if (e.args[i]->type() == ValueType::kMatrix) return EvalWindowCall(e, i);
  }
  const size_t n = steps();
  auto per_step = [&](auto value_at) {
    StepMatrix out(1);
    size_t step = 0;
    for (int64_t ts = start_; ts <= end_; ts += interval_, ++step) {
      out[0].points.push_back({ts, value_at(ts, step)});
    }
    return out;
  };
  if (name == "time") {
    return per_step([](int64_t ts, size_t) { return static_cast<double>(ts) / 1000; });
  }
  if (name == "pi") {
    return per_step([](int64_t, size_t) { return std::numbers::pi; });
  }
  if (name == "vector") {
    VIGIL_ASSIGN_OR_RETURN(std::vector<double> s, ScalarArg(*e.args[0]));
    return per_step([&](int64_t, size_t step) { return s[step]; });
  }
  if (name == "scalar") {
    VIGIL_ASSIGN_OR_RETURN(StepMatrix in, Eval(*e.args[0]));
    std::vector<int> count(n, 0);
    std::vector<double> value(n, 0);
    for (const auto& s : in) {
      for (const Point& p : s.points) {
        const size_t i = static_cast<size_t>((p.t - start_) / interval_);
        ++count[i];
        value[i] = p.v;
      }
    }
    return per_step([&](int64_t, size_t step) {
      return count[step] == 1 ? value[step] : std::nan("");
    });
  }
  if (name == "absent") {
    VIGIL_ASSIGN_OR_RETURN(StepMatrix in, Eval(*e.args[0]));
    std::vector<bool> present(n, false);
    for (const auto& s : in) {
      for (const Point& p : s.points) present[(p.t - start_) / interval_] = true;
    }
    StepMatrix out(1);
    out[0].metric = LabelsForAbsent(*e.args[0]);
    size_t step = 0;
    for (int64_t ts = start_; ts <= end_; ts += interval_, ++step) {
      if (!present[step]) out[0].points.push_back({ts, 1});
    }
    if (out[0].points.empty()) out.clear();
    return out;
  }
  if (name == "histogram_quantile") return EvalHistogramQuantile(e);
  if (name == "label_replace" || name == "label_join") {
    return EvalLabelFunction(e);
  }
  if (name == "sort" || name == "sort_desc") {
    VIGIL_ASSIGN_OR_RETURN(StepMatrix in, Eval(*e.args[0]));
    if (n == 1) {
      const bool desc = name == "sort_desc";
      std::stable_sort(in.begin(), in.end(),
                       [&](const StepSeries& a, const StepSeries& b) {
                         return desc ? SortedDesc(a.points[0].v, b.points[0].v)
                                     : SortedAsc(a.points[0].v, b.points[0].v);
                       });
    }
    return in;
  }
  if (name == "histogram_count" || name == "histogram_sum" ||
      name == "histogram_fraction") {
    // Native histograms only; vigil stores floats, so there is nothing.
    for (const auto& a : e.args) {
      if (a->type() != ValueType::kString) {
        VIGIL_ASSIGN_OR_RETURN(StepMatrix ignored, Eval(*a));
        (void)ignored;
      }
    }
    return StepMatrix();
  }

  // Per-sample functions: the vector argument (or vector(time()) for the
  // date functions without one) and scalar arguments per step.
  internal::SampleFunction fn = internal::FindSampleFunction(name);
  if (fn == nullptr) {
    return InternalError("promql: no evaluator for function \"" +
                         std::string(name) + "\"");
  }
  StepMatrix in;
  std::vector<std::vector<double>> scalars(std::max<size_t>(e.args.size(), 1));
  if (e.args.empty()) {
    in = per_step([](int64_t ts, size_t) { return static_cast<double>(ts) / 1000; });
  } else {
    const Expr& arg = Unparen(*e.args[0]);
    if (name == "timestamp" && arg.kind == ExprKind::kVectorSelector) {
      VIGIL_ASSIGN_OR_RETURN(
          in, EvalSelector(static_cast<const VectorSelector&>(arg),
                           /*sample_time_as_value=*/true));
    } else {
      VIGIL_ASSIGN_OR_RETURN(in, Eval(*e.args[0]));
      if (name == "timestamp") {
        for (auto& s : in) {
          for (auto& p : s.points) p.v = static_cast<double>(p.t) / 1000;
        }
      }
    }
    for (size_t i = 1; i < e.args.size(); ++i) {
      VIGIL_ASSIGN_OR_RETURN(scalars[i], ScalarArg(*e.args[i]));
    }
  }
  OutputBuilder ob(steps());
  std::vector<double> step_scalars(scalars.size(), 0);
  for (const auto& s : in) {
    std::optional<uint32_t> id;
    for (const Point& p : s.points) {
      const size_t step = static_cast<size_t>((p.t - start_) / interval_);
      for (size_t i = 1; i < scalars.size(); ++i) {
        step_scalars[i] = scalars[i].empty() ? std::nan("") : scalars[i][step];
      }
      double v = 0;
      if (!fn(p.v, p.t, std::span<const double>(step_scalars).first(
                             std::max<size_t>(e.args.size(), 1)),
              &v)) {
        continue;
      }
      if (!id) id = ob.Series(DropName(s.metric));
      ob.Add(*id, p.t, v);
    }
    VIGIL_RETURN_IF_ERROR(ctx_->Tick());
  }
  return ob.Finish();
}

// The earliest and latest sample times an expression may read when
// evaluated over [start, end].
void FindTimeRange(const Expr& e, int64_t start, int64_t end,
                   const QueryContext& ctx, int64_t* mint, int64_t* maxt) {
  auto resolve = [&](const TimeModifiers& tm, int64_t ts) {
    return ResolveAt(tm, ts, ctx);
  };
  switch (e.kind) {
    case ExprKind::kVectorSelector: {
      const auto& vs = static_cast<const VectorSelector&>(e);
      const int64_t a = resolve(vs.time, start), b = resolve(vs.time, end);
      *mint = std::min(*mint, std::min(a, b) - ctx.lookback);
      *maxt = std::max(*maxt, std::max(a, b));
      return;
    }
    case ExprKind::kMatrixSelector: {
      const auto& ms = static_cast<const MatrixSelector&>(e);
      const auto& vs = static_cast<const VectorSelector&>(*ms.vector_selector);
      const int64_t a = resolve(vs.time, start), b = resolve(vs.time, end);
      *mint = std::min(*mint, std::min(a, b) - ms.range_ms);
      *maxt = std::max(*maxt, std::max(a, b));
      return;
    }
    case ExprKind::kSubquery: {
      const auto& sq = static_cast<const SubqueryExpr&>(e);
      const int64_t a = resolve(sq.time, start), b = resolve(sq.time, end);
      FindTimeRange(*sq.expr, std::min(a, b) - sq.range_ms, std::max(a, b),
                    ctx, mint, maxt);
      return;
    }
    case ExprKind::kParen:
      FindTimeRange(*static_cast<const ParenExpr&>(e).expr, start, end, ctx,
                    mint, maxt);
      return;
    case ExprKind::kUnary:
      FindTimeRange(*static_cast<const UnaryExpr&>(e).expr, start, end, ctx,
                    mint, maxt);
      return;
    case ExprKind::kBinary: {
      const auto& b = static_cast<const BinaryExpr&>(e);
      FindTimeRange(*b.lhs, start, end, ctx, mint, maxt);
      FindTimeRange(*b.rhs, start, end, ctx, mint, maxt);
      return;
    }
    case ExprKind::kCall:
      for (const auto& a : static_cast<const Call&>(e).args) {
        FindTimeRange(*a, start, end, ctx, mint, maxt);
      }
      return;
    case ExprKind::kAggregate: {
      const auto& a = static_cast<const AggregateExpr&>(e);
      FindTimeRange(*a.expr, start, end, ctx, mint, maxt);
      if (a.param) FindTimeRange(*a.param, start, end, ctx, mint, maxt);
      return;
    }
    case ExprKind::kNumber:
    case ExprKind::kString:
      return;
  }
}

}  // namespace

Engine::Engine(EngineOptions options) : options_(std::move(options)) {}

Result<Value> Engine::Instant(storage::Queryable* storage, const Expr& expr,
                              int64_t t_ms, const QueryOptions& options) {
  return Exec(storage, expr, t_ms, t_ms, 0, /*instant=*/true, options);
}

Result<Value> Engine::Range(storage::Queryable* storage, const Expr& expr,
                            int64_t start_ms, int64_t end_ms, int64_t step_ms,
                            const QueryOptions& options) {
  if (step_ms <= 0) {
    return InvalidArgumentError(
        "zero or negative query resolution step widths are not accepted. "
        "Try a positive integer");
  }
  if (end_ms < start_ms) {
    return InvalidArgumentError("end timestamp must not be before start time");
  }
  const ValueType t = expr.type();
  if (t != ValueType::kScalar && t != ValueType::kVector) {
    return InvalidArgumentError(
        "invalid expression type \"" + std::string(ValueTypeName(t)) +
        "\" for range query, must be Scalar or instant Vector");
  }
  return Exec(storage, expr, start_ms, end_ms, step_ms, /*instant=*/false,
              options);
}

Result<Value> Engine::InstantQuery(storage::Queryable* storage,
                                   std::string_view query, int64_t t_ms,
                                   const QueryOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(ExprPtr e, ParseExpr(query));
  return Instant(storage, *e, t_ms, options);
}

Result<Value> Engine::RangeQuery(storage::Queryable* storage,
                                 std::string_view query, int64_t start_ms,
                                 int64_t end_ms, int64_t step_ms,
                                 const QueryOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(ExprPtr e, ParseExpr(query));
  return Range(storage, *e, start_ms, end_ms, step_ms, options);
}

Result<Value> Engine::Exec(storage::Queryable* storage, const Expr& expr,
                           int64_t start_ms, int64_t end_ms, int64_t step_ms,
                           bool instant, const QueryOptions& options) {
  const auto timeout = options.timeout.count() > 0
                           ? std::min(options.timeout, options_.timeout)
                           : options_.timeout;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  {
    std::unique_lock lock(mu_);
    if (!slot_free_.wait_until(lock, deadline, [&] {
          return running_ < options_.max_concurrent_queries;
        })) {
      return DeadlineExceededError("query timed out in query queue");
    }
    ++running_;
  }
  struct SlotRelease {
    Engine* e;
    ~SlotRelease() {
      {
        std::lock_guard lock(e->mu_);
        --e->running_;
      }
      e->slot_free_.notify_one();
    }
  } release{this};

  QueryContext ctx;
  ctx.query_start = start_ms;
  ctx.query_end = end_ms;
  ctx.lookback = options_.lookback_delta_ms;
  ctx.default_step = options_.default_subquery_step_ms;
  ctx.max_samples = options_.max_samples;
  ctx.deadline = deadline;
  ctx.stop = options.stop;

  int64_t mint = INT64_MAX, maxt = INT64_MIN;
  FindTimeRange(expr, start_ms, end_ms, ctx, &mint, &maxt);
  if (mint > maxt) mint = maxt = start_ms;
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<storage::Querier> querier,
                         storage->NewQuerier(mint, maxt));
  ctx.querier = querier.get();

  const ValueType type = expr.type();
  Evaluator ev(&ctx, start_ms, end_ms, instant ? 1 : step_ms);
  if (type == ValueType::kString) {
    return Value(String{start_ms, std::string(StringArg(expr))});
  }
  if (type == ValueType::kMatrix) {
    VIGIL_ASSIGN_OR_RETURN(Matrix m, ev.EvalRange(expr));
    return Value(std::move(m));
  }
  VIGIL_ASSIGN_OR_RETURN(StepMatrix m, ev.Eval(expr));
  if (type == ValueType::kScalar) {
    if (instant) {
      const double v = m.empty() || m[0].points.empty() ? std::nan("")
                                                         : m[0].points[0].v;
      return Value(Scalar{start_ms, v});
    }
    Matrix out(1);
    for (const Point& p : m[0].points) out[0].points.push_back(p);
    return Value(std::move(out));
  }
  if (instant) {
    Vector out;
    out.reserve(m.size());
    for (auto& s : m) {
      if (s.points.empty()) continue;
      out.push_back({std::move(s.metric), start_ms, s.points[0].v});
    }
    return Value(std::move(out));
  }
  Matrix out;
  out.reserve(m.size());
  for (auto& s : m) out.push_back({std::move(s.metric), std::move(s.points)});
  std::sort(out.begin(), out.end(), [](const Series& a, const Series& b) {
    return a.metric < b.metric;
  });
  return Value(std::move(out));
}

}  // namespace vigil::promql
