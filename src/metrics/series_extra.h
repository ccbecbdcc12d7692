// SeriesExtra: the rarely used parts of a series, allocated on first need
// (exemplars) or at creation (summary windows).
//
// Thread safety: thread-safe; exemplars are guarded by mu.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "metrics/summary_window.h"
#include "vigil/metrics/internal/series.h"
#include "vigil/metrics/metric_type.h"

namespace vigil::metrics::internal {

struct SeriesExtra {
  std::mutex mu;
  // Counter: one slot; histogram: one per bucket (+Inf last).
  std::vector<std::optional<Exemplar>> exemplars;  // guarded by mu
  std::unique_ptr<SummaryWindow> window;           // constant once published
};

// Returns the series' extra part, creating it (with `n_exemplar_slots`
// slots) if missing.
SeriesExtra* EnsureExtra(Series* s, size_t n_exemplar_slots);

// Validates exemplar labels (names, UTF-8, at most 128 characters in all).
bool ValidExemplarLabels(const std::vector<std::pair<std::string, std::string>>& labels);

double WallSeconds();

}  // namespace vigil::metrics::internal
