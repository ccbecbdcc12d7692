#include "vigil/metrics/counter.h"

#include <cmath>

#include "metrics/series_extra.h"
#include "vigil/metrics/gauge.h"

namespace vigil::metrics {

Counter::Counter() : s_(internal::DetachedSeries(2)), cell_(s_.get()->cell) {
  internal::Ref(s_.get());
}

void Counter::SlowInc(double v) {
  if (s_.get()->flags != 0) return internal::RecordDroppedUpdate(s_.get());
  if (std::isnan(v)) return internal::RecordRejectedUpdate(s_.get(), "nan_increment");
  if (v < 0) return internal::RecordRejectedUpdate(s_.get(), "negative_increment");
  if (std::isinf(v)) return internal::RecordRejectedUpdate(s_.get(), "infinite_increment");
  internal::AddDouble(internal::CellAt(cell_) + 1, v);
}

Status Counter::TryInc(double v) {
  if (!(v >= 0) || std::isinf(v)) {
    SlowInc(v);
    return InvalidArgumentError("counter increment must be finite and >= 0, got " +
                                std::to_string(v));
  }
  Inc(v);
  return Status::OK();
}

void Counter::IncWithExemplar(double v, const ExemplarLabels& labels) {
  Inc(v);
  if (!(v >= 0) || std::isinf(v) || s_.get()->flags != 0) return;
  if (!internal::ValidExemplarLabels(labels)) {
    return internal::RecordRejectedUpdate(s_.get(), "invalid_exemplar");
  }
  internal::SeriesExtra* extra = internal::EnsureExtra(s_.get(), 1);
  std::lock_guard<std::mutex> lock(extra->mu);
  extra->exemplars[0] = Exemplar{labels, v, internal::WallSeconds()};
}

double Counter::Value() const { return internal::SumCounter(cell_); }

Gauge::Gauge() : s_(internal::DetachedSeries(0)) { internal::Ref(s_.get()); }

void Gauge::SetToCurrentTime() { Set(internal::WallSeconds()); }

}  // namespace vigil::metrics
