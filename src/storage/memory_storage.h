// storage::MemoryStorage: a small, thread-safe, in-memory implementation of
// both sides of the storage seam (Appendable and Queryable), for tests and
// tools: PromQL unit tests, the promqltest runner, rule unit tests. It keeps
// every sample uncompressed in a vector per series and never forgets
// anything; it is not meant for production volume (tsdb::Head is).
//
//   MemoryStorage db;
//   auto app = db.NewAppender();
//   VIGIL_ASSIGN_OR_RETURN(SeriesRef ref, app->Append(0, labels, 0, 1.0));
//   VIGIL_RETURN_IF_ERROR(app->Append(ref, {}, 15000, 2.0).status());
//   VIGIL_RETURN_IF_ERROR(app->Commit());
//   VIGIL_ASSIGN_OR_RETURN(auto q, db.NewQuerier(0, 60000));
//   auto set = q->Select(matchers);
//
// The contracts are those of tsdb::Head (the reference implementation):
//  * A series gets a ref (1, 2, ...) on its first Append, even if the batch
//    is rolled back; refs are never reused. Append(ref, {}, ...) with a ref
//    this storage never issued fails with kNotFound.
//  * Timestamps per series strictly increase: an older sample fails with
//    kOutOfRange, another value for the newest timestamp with
//    kAlreadyExists, the identical value (bit for bit) is accepted and
//    ignored. "Newest" counts committed samples and those earlier in the
//    same batch, so mistakes are reported at Append time; a sample another
//    appender committed meanwhile makes Commit drop it silently, as the
//    head does.
//  * Values are kept bit for bit, the staleness NaN included.
//  * Samples become visible at Commit. A querier sees the committed state
//    as of each Select / LabelNames / LabelValues call: Select copies the
//    in-range samples of the matching series, so iterators never block or
//    observe appends.
//  * Select, LabelNames and LabelValues consider only series with at least
//    one sample in [mint, maxt], apply Prometheus' matcher semantics (a
//    series lacking a label has the value "" for it, so a matcher accepting
//    "" selects it) and return series sorted by labels.
//
// Thread safety: MemoryStorage is thread-safe. An Appender, a Querier, a
// SeriesSet and a SeriesIterator each belong to one thread (storage/
// interface.h). Appenders and queriers must be destroyed before the
// storage; series and iterators handed out by a SeriesSet own their data
// and may outlive the querier.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/thread_annotations.h"
#include "model/labels.h"
#include "storage/interface.h"

namespace vigil::storage {

class MemoryStorage final : public Appendable, public Queryable {
 public:
  MemoryStorage() = default;
  ~MemoryStorage() override = default;
  MemoryStorage(const MemoryStorage&) = delete;
  MemoryStorage& operator=(const MemoryStorage&) = delete;

  std::unique_ptr<Appender> NewAppender() override;
  // kInvalidArgument when mint > maxt.
  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint,
                                              int64_t maxt) override;

  // Series known (with or without samples) and committed samples in total.
  size_t num_series() const;
  size_t num_samples() const;

 private:
  friend class MemoryAppender;
  friend class MemoryQuerier;

  struct MemSeries {
    MemSeries(SeriesRef r, model::Labels l) : ref(r), labels(std::move(l)) {}
    const SeriesRef ref;
    const model::Labels labels;
    std::vector<std::pair<int64_t, double>> samples;  // strictly by time
  };
  // A matching series' committed samples within [mint, maxt].
  struct Snapshot {
    model::Labels labels;
    std::vector<std::pair<int64_t, double>> samples;
  };

  // The series with these labels, created if new. REQUIRES: labels valid.
  MemSeries* GetOrCreate(const model::Labels& labels) VIGIL_EXCLUDES(mu_);
  MemSeries* Lookup(SeriesRef ref) VIGIL_EXCLUDES(mu_);
  // Applies one buffered sample; silently drops it when it no longer fits
  // (another appender committed a newer sample since Append).
  void CommitSample(MemSeries* s, int64_t t, double v) VIGIL_EXCLUDES(mu_);
  // Series matching every matcher with a sample in [mint, maxt], sorted by
  // labels, with their in-range samples when `with_samples`.
  std::vector<Snapshot> Matching(std::span<const model::Matcher> matchers,
                                 int64_t mint, int64_t maxt,
                                 bool with_samples) const VIGIL_EXCLUDES(mu_);

  mutable Mutex mu_;
  // Ordered by labels, so Select's output is sorted without a sort.
  std::map<model::Labels, std::unique_ptr<MemSeries>> by_labels_
      VIGIL_GUARDED_BY(mu_);
  std::unordered_map<SeriesRef, MemSeries*> by_ref_ VIGIL_GUARDED_BY(mu_);
  SeriesRef next_ref_ VIGIL_GUARDED_BY(mu_) = 1;
  size_t num_samples_ VIGIL_GUARDED_BY(mu_) = 0;
};

}  // namespace vigil::storage
