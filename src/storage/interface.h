// The storage seam (Prometheus' storage/interface.go): ingest writes through
// an Appender, queries read through a Querier. tsdb implements both; promql,
// rules, scraping and anomaly detection use only these interfaces.
//
//   auto app = db->NewAppender();
//   VIGIL_ASSIGN_OR_RETURN(SeriesRef ref, app->Append(0, labels, t, v));
//   app->Append(ref, labels, t2, v2);   // ref skips the label lookup
//   VIGIL_RETURN_IF_ERROR(app->Commit());
//
//   VIGIL_ASSIGN_OR_RETURN(auto q, db->NewQuerier(mint, maxt));
//   auto set = q->Select(matchers);
//   while (set->Next()) { auto it = set->At().NewIterator(); ... }
//
// Thread safety: Appendable and Queryable are thread-safe; an Appender, a
// Querier, a SeriesSet and a SeriesIterator each belong to one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "model/matcher.h"
#include "storage/series_iterator.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::storage {

// Opaque handle of a series within one storage; 0 means "unknown".
using SeriesRef = uint64_t;

class Appender {
 public:
  virtual ~Appender() = default;
  // Buffers one sample. With ref != 0 from an earlier Append of this
  // storage the labels are not looked up again and may be empty; a ref the
  // storage no longer knows (its series was collected) then fails with
  // kNotFound, and the caller appends again with the labels. Errors are per
  // sample and leave the batch usable: kOutOfRange (older than the series'
  // newest sample or outside the writable window), kAlreadyExists (same
  // timestamp, different value), kInvalidArgument (bad labels).
  virtual Result<SeriesRef> Append(SeriesRef ref, const model::Labels& labels,
                                   int64_t t, double v) = 0;
  // Makes the batch durable (per the storage's sync policy) and visible.
  virtual Status Commit() = 0;
  // Discards the batch.
  virtual void Rollback() = 0;
};

class Appendable {
 public:
  virtual ~Appendable() = default;
  virtual std::unique_ptr<Appender> NewAppender() = 0;
};

class Series {
 public:
  virtual ~Series() = default;
  virtual const model::Labels& labels() const = 0;
  // Samples within the querier's [mint, maxt]. `reuse` (may be null) is an
  // iterator that an earlier NewIterator of the same querier returned and
  // that its caller is done with: the storage may reset it in place rather
  // than allocate a new one (Prometheus' Series.Iterator(reuse)).
  virtual std::unique_ptr<SeriesIterator> NewIterator(
      std::unique_ptr<SeriesIterator> reuse) const = 0;
  std::unique_ptr<SeriesIterator> NewIterator() const {
    return NewIterator(nullptr);
  }
};

class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  virtual bool Next() = 0;
  // REQUIRES: the last Next() returned true. Valid until the next Next().
  virtual const Series& At() const = 0;
  virtual Status status() const = 0;
};

// Reads samples with timestamps in [mint, maxt] (inclusive).
class Querier {
 public:
  virtual ~Querier() = default;
  // Series matching every matcher: sorted by labels when `sorted` (the
  // series API needs that), otherwise in the storage's own order, which
  // saves the sort (the engine orders its results itself; Prometheus'
  // Select(sortSeries=false)).
  virtual std::unique_ptr<SeriesSet> Select(
      bool sorted, std::span<const model::Matcher> matchers) const = 0;
  std::unique_ptr<SeriesSet> Select(
      std::span<const model::Matcher> matchers) const {
    return Select(true, matchers);
  }
  // Sorted distinct values of `name` over series matching `matchers` (all
  // series when empty) with samples in range.
  virtual Result<std::vector<std::string>> LabelValues(
      std::string_view name,
      std::span<const model::Matcher> matchers = {}) const = 0;
  // Sorted distinct label names, likewise.
  virtual Result<std::vector<std::string>> LabelNames(
      std::span<const model::Matcher> matchers = {}) const = 0;
};

class Queryable {
 public:
  virtual ~Queryable() = default;
  virtual Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint,
                                                      int64_t maxt) = 0;
};

// A SeriesSet that yields nothing but `status` (errors from Select).
std::unique_ptr<SeriesSet> ErrorSeriesSet(Status status);

}  // namespace vigil::storage
