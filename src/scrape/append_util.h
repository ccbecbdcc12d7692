// Internal helpers shared by ScrapeLoop and SelfScraper: how exposed label
// sets meet target labels (Prometheus' mutateSampleLabels and
// mutateReportSampleLabels), label limits, staleness markers, and the
// report series (up, scrape_duration_seconds, ...).
//
// Thread safety: functions are pure; ReportSeries is not thread-safe.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "model/labels.h"
#include "storage/interface.h"
#include "storage/series_iterator.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::scrape::internal {

inline double StaleNaN() {
  return std::bit_cast<double>(storage::kStaleNaNBits);
}
inline bool IsStaleNaN(double v) {
  return std::bit_cast<uint64_t>(v) == storage::kStaleNaNBits;
}

// Exposed labels plus target labels. honor_labels: exposed values win.
// Otherwise target values win and a conflicting exposed label is kept as
// exported_<name> (exported_exported_<name>, ... until the name is free;
// shorter names are renamed first).
model::Labels MutateSampleLabels(const model::Labels& exposed,
                                 const model::Labels& target,
                                 bool honor_labels);
// For report series: target labels win, the exposed value of a target label
// moves to exported_<name> (only ever empty for vigil's own report series).
model::Labels MutateReportSampleLabels(const model::Labels& exposed,
                                       const model::Labels& target);

struct LabelLimits {
  size_t label_limit = 0;  // 0: none
  size_t label_name_length_limit = 0;
  size_t label_value_length_limit = 0;
};
// kResourceExhausted in Prometheus' words, e.g. "label_limit exceeded
// (metric: x, number of labels: 12, limit: 10)".
Status VerifyLabelLimits(const model::Labels& labels,
                         const LabelLimits& limits);

// True for storage errors that a scrape counts and then ignores:
// kOutOfRange (out of order or out of bounds) and kAlreadyExists
// (duplicate timestamp).
inline bool IsSampleRejection(const Status& s) {
  return s.code() == StatusCode::kOutOfRange ||
         s.code() == StatusCode::kAlreadyExists;
}

// Appends by a cached `ref` alone (no labels). When there is no ref (0) or
// storage no longer knows it (kNotFound: the series was collected), appends
// with `labels()` instead; an error from labels() is returned as is. A
// template, not std::function: it runs once per scraped sample.
template <typename LabelsFn>  // Result<model::Labels>()
Result<storage::SeriesRef> AppendByRef(storage::Appender& app,
                                       storage::SeriesRef ref, int64_t t,
                                       double v, LabelsFn&& labels) {
  if (ref != 0) {
    Result<storage::SeriesRef> r = app.Append(ref, model::Labels(), t, v);
    if (r.ok() || r.status().code() != StatusCode::kNotFound) return r;
  }
  Result<model::Labels> l = labels();
  if (!l.ok()) return l.status();
  return app.Append(0, *l, t, v);
}

struct ReportValues {
  double up = 0;
  double duration_seconds = 0;
  double samples_scraped = 0;
  double samples_post_relabeling = 0;
  double series_added = 0;
};

// The five series every scrape reports, with the target labels, caching
// their storage refs across scrapes.
class ReportSeries {
 public:
  explicit ReportSeries(const model::Labels& target_labels);
  // Rejections (see IsSampleRejection) are ignored, as Prometheus does
  // when a target comes back with a new loop; other errors are returned.
  Status Append(storage::Appender& app, int64_t t, const ReportValues& v);
  Status AppendStale(storage::Appender& app, int64_t t);

 private:
  struct Series {
    model::Labels labels;
    storage::SeriesRef ref = 0;
  };
  Status AppendOne(storage::Appender& app, Series& s, int64_t t, double v);
  std::array<Series, 5> series_;
};

}  // namespace vigil::scrape::internal
