// Test helper: an in-memory storage::Appendable that behaves like a head
// (series refs, out-of-order and duplicate-timestamp rejection per series)
// and records every commit and rollback, so scrape tests can assert what
// was written. Not part of the scrape library.
//
// Thread safety: thread-safe (manager tests append from loop threads).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/labels.h"
#include "storage/interface.h"
#include "storage/series_iterator.h"

namespace vigil::scrape::testing {

struct RecordedSample {
  model::Labels labels;
  int64_t t = 0;
  double v = 0;
  storage::SeriesRef ref_in = 0;  // the ref the caller passed
};

inline bool IsStale(double v) {
  return std::bit_cast<uint64_t>(v) == storage::kStaleNaNBits;
}

class RecordingStorage final : public storage::Appendable {
 public:
  std::unique_ptr<storage::Appender> NewAppender() override;

  // Every committed sample, in commit order.
  std::vector<RecordedSample> committed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return committed_;
  }
  // Committed samples of the series whose ToString() is `series`.
  std::vector<RecordedSample> Series(const std::string& series) const {
    std::vector<RecordedSample> out;
    for (const RecordedSample& s : committed()) {
      if (s.labels.ToString() == series) out.push_back(s);
    }
    return out;
  }
  // The last committed sample of the series named `name` whose labels
  // include `with` (a subset match).
  std::optional<RecordedSample> Last(
      std::string_view name,
      std::vector<std::pair<std::string, std::string>> with = {}) const {
    std::optional<RecordedSample> found;
    for (const RecordedSample& s : committed()) {
      if (s.labels.metric_name() != name) continue;
      bool ok = true;
      for (const auto& [k, v] : with) ok = ok && s.labels.Get(k) == v;
      if (ok) found = s;
    }
    return found;
  }
  int commits() const {
    std::lock_guard<std::mutex> lock(mu_);
    return commits_;
  }
  int rollbacks() const {
    std::lock_guard<std::mutex> lock(mu_);
    return rollbacks_;
  }
  // Forgets every series ref, as a head does when it collects series: the
  // next append of each must come with its labels, and gets a new ref.
  void CollectAllSeries() {
    std::lock_guard<std::mutex> lock(mu_);
    refs_.clear();
    by_ref_.clear();
  }

 private:
  class App;
  friend class App;

  mutable std::mutex mu_;
  std::map<std::string, storage::SeriesRef> refs_;  // labels text -> ref
  std::map<storage::SeriesRef, model::Labels> by_ref_;
  storage::SeriesRef last_ref_ = 0;
  std::map<storage::SeriesRef, std::pair<int64_t, double>> last_;
  std::vector<RecordedSample> committed_;
  int commits_ = 0;
  int rollbacks_ = 0;
};

class RecordingStorage::App final : public storage::Appender {
 public:
  explicit App(RecordingStorage* s) : s_(s) {}

  Result<storage::SeriesRef> Append(storage::SeriesRef ref,
                                    const model::Labels& given, int64_t t,
                                    double v) override {
    std::lock_guard<std::mutex> lock(s_->mu_);
    // Like the head: a known ref needs no labels; an unknown one with no
    // labels is kNotFound.
    model::Labels labels = given;
    if (auto known = s_->by_ref_.find(ref);
        ref != 0 && known != s_->by_ref_.end()) {
      labels = known->second;
    } else if (labels.empty()) {
      if (ref != 0) return NotFoundError("unknown series ref");
      return InvalidArgumentError("empty labels");
    }
    const std::string key = labels.ToString();
    auto [it, inserted] = s_->refs_.try_emplace(key, ++s_->last_ref_);
    const storage::SeriesRef real = it->second;
    s_->by_ref_[real] = labels;
    std::optional<std::pair<int64_t, double>> last;
    if (auto b = batch_last_.find(real); b != batch_last_.end()) {
      last = b->second;
    } else if (auto c = s_->last_.find(real); c != s_->last_.end()) {
      last = c->second;
    }
    if (last.has_value()) {
      if (t < last->first) return OutOfRangeError("out of order sample");
      if (t == last->first &&
          std::bit_cast<uint64_t>(v) != std::bit_cast<uint64_t>(last->second)) {
        return AlreadyExistsError("duplicate sample for timestamp");
      }
    }
    batch_last_[real] = {t, v};
    batch_.push_back({labels, t, v, ref});
    return real;
  }

  Status Commit() override {
    std::lock_guard<std::mutex> lock(s_->mu_);
    for (RecordedSample& r : batch_) s_->committed_.push_back(std::move(r));
    for (const auto& [ref, tv] : batch_last_) s_->last_[ref] = tv;
    batch_.clear();
    batch_last_.clear();
    ++s_->commits_;
    return Status::OK();
  }

  void Rollback() override {
    std::lock_guard<std::mutex> lock(s_->mu_);
    batch_.clear();
    batch_last_.clear();
    ++s_->rollbacks_;
  }

 private:
  RecordingStorage* const s_;
  std::vector<RecordedSample> batch_;
  std::map<storage::SeriesRef, std::pair<int64_t, double>> batch_last_;
};

inline std::unique_ptr<storage::Appender> RecordingStorage::NewAppender() {
  return std::make_unique<App>(this);
}

}  // namespace vigil::scrape::testing
