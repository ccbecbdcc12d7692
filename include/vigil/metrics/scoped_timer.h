// ScopedTimer: observes the seconds a scope took into a Histogram or Summary
// when it ends (RAII), measured with the steady clock.
//
//   {
//     vigil::metrics::ScopedTimer t(latency->WithLabelValues({"owlv2", "detect"}));
//     RunDetector(frame);
//   }  // observes elapsed seconds here
//
// Thread safety: not thread-safe (a timer belongs to one scope); the handle it
// observes into is thread-safe.
#pragma once

#include <chrono>
#include <utility>

#include "vigil/metrics/histogram.h"
#include "vigil/metrics/summary.h"

namespace vigil::metrics {

template <typename Observer>
class BasicScopedTimer {
 public:
  explicit BasicScopedTimer(Observer target)
      : target_(std::move(target)), start_(std::chrono::steady_clock::now()) {}
  ~BasicScopedTimer() {
    if (!stopped_) target_.Observe(ElapsedSeconds());
  }
  BasicScopedTimer(const BasicScopedTimer&) = delete;
  BasicScopedTimer& operator=(const BasicScopedTimer&) = delete;

  double ElapsedSeconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  // Observes now instead of at scope end; returns the seconds observed.
  double Stop() {
    const double s = ElapsedSeconds();
    if (!stopped_) target_.Observe(s);
    stopped_ = true;
    return s;
  }
  // Ends the scope without observing anything.
  void Cancel() { stopped_ = true; }

 private:
  Observer target_;
  std::chrono::steady_clock::time_point start_;
  bool stopped_ = false;
};

using ScopedTimer = BasicScopedTimer<Histogram>;
using ScopedSummaryTimer = BasicScopedTimer<Summary>;

}  // namespace vigil::metrics
