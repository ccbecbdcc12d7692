#include "vigil/metrics/summary.h"

#include "metrics/series_extra.h"

namespace vigil::metrics {

namespace internal {
SummaryWindow* SummaryWindowOf(Series* s) {
  SeriesExtra* extra = s->extra.load(std::memory_order_acquire);
  return extra->window.get();
}
}  // namespace internal

Summary::Summary() : s_(internal::DetachedSeries(3)), cell_(s_.get()->cell) {
  internal::Ref(s_.get());
  window_ = internal::SummaryWindowOf(s_.get());
}

void Summary::Observe(double v) {
  if (s_.get()->flags != 0) [[unlikely]] return internal::RecordDroppedUpdate(s_.get());
  internal::Cell* c = internal::CellAt(cell_);
  const uint64_t seq = c[0].load(std::memory_order_relaxed);
  c[0].store(seq + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  internal::AddOne(&c[2]);
  internal::AddDouble(&c[1], v);
  c[0].store(seq + 2, std::memory_order_release);
  window_->Observe(v);
}

uint64_t Summary::Count() const {
  uint64_t count = 0;
  double sum = 0;
  internal::SumRecord(cell_, 1, &count, &sum);
  return count;
}

double Summary::Sum() const {
  uint64_t count = 0;
  double sum = 0;
  internal::SumRecord(cell_, 1, &count, &sum);
  return sum;
}

double Summary::Quantile(double q) const { return window_->Quantile(q); }

uint64_t Summary::WindowCount() const { return window_->WindowCount(); }

}  // namespace vigil::metrics
