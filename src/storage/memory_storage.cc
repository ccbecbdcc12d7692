#include "storage/memory_storage.h"

#include <algorithm>
#include <bit>
#include <optional>
#include <set>
#include <string>

#include "base/status_macros.h"

namespace vigil::storage {
namespace {

using SampleVec = std::vector<std::pair<int64_t, double>>;

// The newest sample of a series (committed or earlier in the batch).
struct Newest {
  int64_t t;
  uint64_t bits;
};

// OK: append. kAlreadyExists with an empty message: identical duplicate,
// ignore. Otherwise the rejection (tsdb::Head's CheckAppendable).
Status CheckAppendable(const std::optional<Newest>& newest,
                       const model::Labels& labels, int64_t t, double v) {
  if (!newest.has_value() || t > newest->t) return Status::OK();
  if (t < newest->t) {
    return OutOfRangeError("out of order sample for " + labels.ToString() +
                           ": timestamp " + std::to_string(t) +
                           " is before the newest " +
                           std::to_string(newest->t));
  }
  if (std::bit_cast<uint64_t>(v) == newest->bits) {
    return AlreadyExistsError("");
  }
  return AlreadyExistsError("duplicate sample for timestamp " +
                            std::to_string(t) + " with a different value for " +
                            labels.ToString());
}

bool IsIgnoredDuplicate(const Status& s) {
  return s.code() == StatusCode::kAlreadyExists && s.message().empty();
}

bool MatchesAll(const model::Labels& labels,
                std::span<const model::Matcher> matchers) {
  for (const auto& m : matchers) {
    if (!m.Matches(labels.Get(m.name()))) return false;
  }
  return true;
}

// Iterates a shared, immutable sample vector. Not thread-safe.
class VectorIterator final : public SeriesIterator {
 public:
  explicit VectorIterator(std::shared_ptr<const SampleVec> samples)
      : samples_(std::move(samples)) {}

  bool Next() override {
    if (done_) return false;
    if (started_) ++pos_;
    started_ = true;
    return Check();
  }

  bool Seek(int64_t t) override {
    if (done_) return false;
    started_ = true;
    if (pos_ < samples_->size() && (*samples_)[pos_].first >= t) return true;
    auto it = std::lower_bound(
        samples_->begin() + static_cast<std::ptrdiff_t>(pos_), samples_->end(),
        t, [](const std::pair<int64_t, double>& s, int64_t x) {
          return s.first < x;
        });
    pos_ = static_cast<size_t>(it - samples_->begin());
    return Check();
  }

  std::pair<int64_t, double> At() const override { return (*samples_)[pos_]; }
  Status status() const override { return Status::OK(); }

 private:
  bool Check() {
    if (pos_ >= samples_->size()) {
      done_ = true;
      return false;
    }
    return true;
  }

  std::shared_ptr<const SampleVec> samples_;
  size_t pos_ = 0;
  bool started_ = false;
  bool done_ = false;
};

// One selected series: its labels and a snapshot of its in-range samples.
// Immutable; iterators share the snapshot.
class MemorySeries final : public Series {
 public:
  MemorySeries(model::Labels labels, std::shared_ptr<const SampleVec> samples)
      : labels_(std::move(labels)), samples_(std::move(samples)) {}

  const model::Labels& labels() const override { return labels_; }
  using Series::NewIterator;
  std::unique_ptr<SeriesIterator> NewIterator(
      std::unique_ptr<SeriesIterator> /*reuse*/) const override {
    return std::make_unique<VectorIterator>(samples_);
  }

 private:
  model::Labels labels_;
  std::shared_ptr<const SampleVec> samples_;
};

// Hands out the snapshots one by one. Not thread-safe.
class MemorySeriesSet final : public SeriesSet {
 public:
  explicit MemorySeriesSet(std::vector<std::unique_ptr<MemorySeries>> series)
      : series_(std::move(series)) {}

  bool Next() override {
    if (next_ >= series_.size()) return false;
    cur_ = std::move(series_[next_++]);
    return true;
  }
  const Series& At() const override { return *cur_; }
  Status status() const override { return Status::OK(); }

 private:
  std::vector<std::unique_ptr<MemorySeries>> series_;
  size_t next_ = 0;
  std::unique_ptr<MemorySeries> cur_;
};

}  // namespace

// Buffers samples until Commit. Not thread-safe (one thread per appender).
class MemoryAppender final : public Appender {
 public:
  explicit MemoryAppender(MemoryStorage* db) : db_(db) {}
  ~MemoryAppender() override { Rollback(); }

  Result<SeriesRef> Append(SeriesRef ref, const model::Labels& labels,
                           int64_t t, double v) override {
    MemoryStorage::MemSeries* s = ref != 0 ? db_->Lookup(ref) : nullptr;
    if (s == nullptr) {
      if (labels.empty() && ref != 0) {
        return NotFoundError("unknown series ref " + std::to_string(ref));
      }
      VIGIL_RETURN_IF_ERROR(model::ValidateLabels(labels));
      s = db_->GetOrCreate(labels);
    }
    std::optional<Newest> newest;
    if (auto it = batch_newest_.find(s); it != batch_newest_.end()) {
      newest = it->second;
    } else {
      MutexLock lock(&db_->mu_);
      if (!s->samples.empty()) {
        newest = Newest{s->samples.back().first,
                        std::bit_cast<uint64_t>(s->samples.back().second)};
      }
    }
    Status st = CheckAppendable(newest, s->labels, t, v);
    if (IsIgnoredDuplicate(st)) return s->ref;
    VIGIL_RETURN_IF_ERROR(st);
    pending_.push_back({s, t, v});
    batch_newest_[s] = Newest{t, std::bit_cast<uint64_t>(v)};
    return s->ref;
  }

  Status Commit() override {
    for (const auto& p : pending_) db_->CommitSample(p.series, p.t, p.v);
    Rollback();
    return Status::OK();
  }

  void Rollback() override {
    pending_.clear();
    batch_newest_.clear();
  }

 private:
  struct Pending {
    MemoryStorage::MemSeries* series;
    int64_t t;
    double v;
  };

  MemoryStorage* const db_;
  std::vector<Pending> pending_;
  std::unordered_map<MemoryStorage::MemSeries*, Newest> batch_newest_;
};

// Resolves every call against the storage's state at that moment. Not
// thread-safe (one thread per querier); the storage may change meanwhile.
class MemoryQuerier final : public Querier {
 public:
  MemoryQuerier(const MemoryStorage* db, int64_t mint, int64_t maxt)
      : db_(db), mint_(mint), maxt_(maxt) {}

  using Querier::Select;
  // Matching() yields label order, which serves both kinds of Select.
  std::unique_ptr<SeriesSet> Select(
      bool /*sorted*/, std::span<const model::Matcher> matchers) const override {
    auto snaps = db_->Matching(matchers, mint_, maxt_, /*with_samples=*/true);
    std::vector<std::unique_ptr<MemorySeries>> series;
    series.reserve(snaps.size());
    for (auto& s : snaps) {
      series.push_back(std::make_unique<MemorySeries>(
          std::move(s.labels),
          std::make_shared<const SampleVec>(std::move(s.samples))));
    }
    return std::make_unique<MemorySeriesSet>(std::move(series));
  }

  Result<std::vector<std::string>> LabelValues(
      std::string_view name,
      std::span<const model::Matcher> matchers) const override {
    std::set<std::string, std::less<>> values;
    for (const auto& s : db_->Matching(matchers, mint_, maxt_, false)) {
      std::string_view v = s.labels.Get(name);
      if (!v.empty()) values.emplace(v);
    }
    return std::vector<std::string>(values.begin(), values.end());
  }

  Result<std::vector<std::string>> LabelNames(
      std::span<const model::Matcher> matchers) const override {
    std::set<std::string, std::less<>> names;
    for (const auto& s : db_->Matching(matchers, mint_, maxt_, false)) {
      for (const auto& l : s.labels) names.emplace(l.name);
    }
    return std::vector<std::string>(names.begin(), names.end());
  }

 private:
  const MemoryStorage* const db_;
  const int64_t mint_, maxt_;
};

std::unique_ptr<Appender> MemoryStorage::NewAppender() {
  return std::make_unique<MemoryAppender>(this);
}

Result<std::unique_ptr<Querier>> MemoryStorage::NewQuerier(int64_t mint,
                                                           int64_t maxt) {
  if (mint > maxt) {
    return InvalidArgumentError("querier range start " + std::to_string(mint) +
                                " is after its end " + std::to_string(maxt));
  }
  return std::unique_ptr<Querier>(
      std::make_unique<MemoryQuerier>(this, mint, maxt));
}

size_t MemoryStorage::num_series() const {
  MutexLock lock(&mu_);
  return by_labels_.size();
}

size_t MemoryStorage::num_samples() const {
  MutexLock lock(&mu_);
  return num_samples_;
}

MemoryStorage::MemSeries* MemoryStorage::GetOrCreate(
    const model::Labels& labels) {
  MutexLock lock(&mu_);
  auto it = by_labels_.find(labels);
  if (it != by_labels_.end()) return it->second.get();
  auto s = std::make_unique<MemSeries>(next_ref_++, labels);
  MemSeries* raw = s.get();
  by_ref_.emplace(raw->ref, raw);
  by_labels_.emplace(labels, std::move(s));
  return raw;
}

MemoryStorage::MemSeries* MemoryStorage::Lookup(SeriesRef ref) {
  MutexLock lock(&mu_);
  auto it = by_ref_.find(ref);
  return it == by_ref_.end() ? nullptr : it->second;
}

void MemoryStorage::CommitSample(MemSeries* s, int64_t t, double v) {
  MutexLock lock(&mu_);
  std::optional<Newest> newest;
  if (!s->samples.empty()) {
    newest = Newest{s->samples.back().first,
                    std::bit_cast<uint64_t>(s->samples.back().second)};
  }
  if (!CheckAppendable(newest, s->labels, t, v).ok()) return;
  s->samples.emplace_back(t, v);
  ++num_samples_;
}

std::vector<MemoryStorage::Snapshot> MemoryStorage::Matching(
    std::span<const model::Matcher> matchers, int64_t mint, int64_t maxt,
    bool with_samples) const {
  std::vector<Snapshot> out;
  MutexLock lock(&mu_);
  for (const auto& [labels, s] : by_labels_) {
    if (!MatchesAll(labels, matchers)) continue;
    const auto& v = s->samples;
    auto lo = std::lower_bound(v.begin(), v.end(), mint,
                               [](const std::pair<int64_t, double>& p,
                                  int64_t x) { return p.first < x; });
    if (lo == v.end() || lo->first > maxt) continue;  // nothing in range
    Snapshot snap{labels, {}};
    if (with_samples) {
      auto hi =
          std::upper_bound(lo, v.end(), maxt,
                           [](int64_t x, const std::pair<int64_t, double>& p) {
                             return x < p.first;
                           });
      snap.samples.assign(lo, hi);
    }
    out.push_back(std::move(snap));
  }
  return out;
}

}  // namespace vigil::storage
