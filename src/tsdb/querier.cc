#include "tsdb/querier.h"

#include <algorithm>
#include <optional>
#include <set>
#include <typeinfo>

#include "tsdb/chunkenc/xor_iterator.h"
#include "tsdb/head.h"

namespace vigil::tsdb {
namespace {

// Postings of the series whose value of m.name() m accepts (non-empty).
index::Postings MatchingValues(const index::MemPostings& p,
                               const model::Matcher& m) {
  if (m.type() == model::MatchType::kEqual ||
      (m.type() == model::MatchType::kRegexMatch && !m.SetMatches().empty())) {
    std::vector<index::Postings> lists;
    for (const auto& v : m.SetMatches()) {
      if (!v.empty()) lists.push_back(p.Get(m.name(), v));
    }
    return index::Merge(lists);
  }
  return p.ForValues(m.name(), [&](std::string_view v) {
    return m.Matches(v);
  });
}

// Postings of the series carrying m.name() with a value m rejects.
index::Postings RejectedValues(const index::MemPostings& p,
                               const model::Matcher& m) {
  if (m.type() == model::MatchType::kNotEqual) {
    return p.Get(m.name(), m.value());
  }
  if (m.type() == model::MatchType::kRegexNoMatch && !m.SetMatches().empty()) {
    std::vector<index::Postings> lists;
    for (const auto& v : m.SetMatches()) {
      if (!v.empty()) lists.push_back(p.Get(m.name(), v));
    }
    return index::Merge(lists);
  }
  return p.ForValues(m.name(), [&](std::string_view v) {
    return !m.Matches(v);
  });
}

// Iterates a series' chunks, keeping samples within [mint, maxt]: shared
// snapshots of its full chunks (immutable) and a copy of its open chunk
// (which keeps growing). Reset reuses the buffers for the next series.
class ChunkListIterator final : public storage::SeriesIterator {
 public:
  ChunkListIterator(int64_t mint, int64_t maxt) : mint_(mint), maxt_(maxt) {}
  bool SameWindow(int64_t mint, int64_t maxt) const { return mint == mint_ && maxt == maxt_; }

  // Loads s's chunks overlapping [mint_, maxt_] and rewinds.
  void Reset(const MemSeries& s) {
    cur_.reset();
    chunks_.clear();
    idx_ = 0;
    done_ = false;
    status_ = Status::OK();
    has_open_ = false;
    std::lock_guard lock(s.mu);
    for (const auto& c : s.full) {
      if (c->max_time() >= mint_ && c->min_time() <= maxt_) chunks_.push_back(c);
    }
    const auto& open = s.open;
    if (open.num_samples() > 0 && open.max_time() >= mint_ && open.min_time() <= maxt_) {
      open_.assign(open.bytes().begin(), open.bytes().end());
      open_max_t_ = open.max_time();
      has_open_ = true;
    }
  }

  bool Next() override {
    if (done_) return false;
    for (;;) {
      if (!cur_.has_value()) {
        if (idx_ >= num_chunks()) return Finish();
        cur_.emplace(bytes(idx_++));
      }
      if (cur_->Next()) {
        int64_t t = cur_->At().first;
        if (t < mint_) continue;
        if (t > maxt_) return Finish();
        return true;
      }
      if (!cur_->status().ok()) return Fail();
      cur_.reset();
    }
  }

  bool Seek(int64_t t) override {
    if (done_) return false;
    t = std::max(t, mint_);
    // Outside Next/Seek a non-null cur_ always stands on a sample.
    if (cur_.has_value() && cur_->At().first >= t) return true;
    if (cur_.has_value() && max_time(idx_ - 1) < t) cur_.reset();
    for (;;) {
      if (!cur_.has_value()) {
        // Whole chunks ending before t are skipped without decoding.
        while (idx_ < num_chunks() && max_time(idx_) < t) ++idx_;
        if (idx_ >= num_chunks()) return Finish();
        cur_.emplace(bytes(idx_++));
      }
      if (cur_->Seek(t)) {
        if (cur_->At().first > maxt_) return Finish();
        return true;
      }
      if (!cur_->status().ok()) return Fail();
      cur_.reset();
    }
  }

  std::pair<int64_t, double> At() const override { return cur_->At(); }
  Status status() const override { return status_; }

  void AppendUntil(int64_t maxt, std::vector<storage::SamplePair>* out) override {
    maxt = std::min(maxt, maxt_);
    // cur_ stands on a sample while not done_.
    while (!done_) {
      if (cur_->AppendChunkUntil(maxt, out)) {
        Finish();
        return;
      }
      if (!cur_->status().ok()) {
        Fail();
        return;
      }
      cur_.reset();
      Next();  // the next chunk's first sample in range, or done
    }
  }

 private:
  // Chunk i of the full chunks followed by the open copy.
  size_t num_chunks() const { return chunks_.size() + (has_open_ ? 1 : 0); }
  const std::vector<uint8_t>& bytes(size_t i) const {
    return i < chunks_.size() ? chunks_[i]->bytes() : open_;
  }
  int64_t max_time(size_t i) const {
    return i < chunks_.size() ? chunks_[i]->max_time() : open_max_t_;
  }
  bool Fail() {
    status_ = cur_->status();
    return Finish();
  }
  bool Finish() {
    done_ = true;
    cur_.reset();
    return false;
  }

  const int64_t mint_, maxt_;
  std::vector<std::shared_ptr<const chunkenc::XorChunk>> chunks_;
  std::vector<uint8_t> open_;
  int64_t open_max_t_ = 0;
  bool has_open_ = false;
  size_t idx_ = 0;
  // Held by value: no allocation per chunk, no virtual call per sample.
  std::optional<chunkenc::XorIterator> cur_;
  bool done_ = false;
  Status status_;
};

class HeadSeries final : public storage::Series {
 public:
  HeadSeries(std::shared_ptr<MemSeries> s, int64_t mint, int64_t maxt)
      : s_(std::move(s)), mint_(mint), maxt_(maxt) {}

  const model::Labels& labels() const override { return s_->labels; }

  using storage::Series::NewIterator;
  std::unique_ptr<storage::SeriesIterator> NewIterator(
      std::unique_ptr<storage::SeriesIterator> reuse) const override {
    std::unique_ptr<ChunkListIterator> it;
    // Only ours from this querier (same window) are reused.
    if (reuse != nullptr && typeid(*reuse) == typeid(ChunkListIterator) &&
        static_cast<ChunkListIterator&>(*reuse).SameWindow(mint_, maxt_)) {
      it.reset(static_cast<ChunkListIterator*>(reuse.release()));
    } else {
      it = std::make_unique<ChunkListIterator>(mint_, maxt_);
    }
    it->Reset(*s_);
    return it;
  }

 private:
  std::shared_ptr<MemSeries> s_;
  int64_t mint_, maxt_;
};

class HeadSeriesSet final : public storage::SeriesSet {
 public:
  HeadSeriesSet(std::vector<std::shared_ptr<MemSeries>> series, int64_t mint,
                int64_t maxt)
      : series_(std::move(series)), mint_(mint), maxt_(maxt) {}

  bool Next() override {
    if (pos_ >= series_.size()) return false;
    cur_.emplace(std::move(series_[pos_++]), mint_, maxt_);
    return true;
  }
  const storage::Series& At() const override { return *cur_; }
  Status status() const override { return Status::OK(); }

 private:
  std::vector<std::shared_ptr<MemSeries>> series_;
  size_t pos_ = 0;
  std::optional<HeadSeries> cur_;
  int64_t mint_, maxt_;
};

bool Overlaps(const MemSeries& s, int64_t mint, int64_t maxt) {
  return s.has_samples() &&
         s.min_t.load(std::memory_order_relaxed) <= maxt &&
         s.max_t.load(std::memory_order_relaxed) >= mint;
}

class HeadQuerier final : public storage::Querier {
 public:
  HeadQuerier(Head* head, int64_t mint, int64_t maxt)
      : head_(head), mint_(mint), maxt_(maxt) {}

  using storage::Querier::Select;
  std::unique_ptr<storage::SeriesSet> Select(
      bool sorted, std::span<const model::Matcher> matchers) const override {
    auto series = Matching(matchers);
    if (sorted) {
      std::sort(series.begin(), series.end(),
                [](const auto& a, const auto& b) {
                  return Compare(a->labels, b->labels) < 0;
                });
    }
    return std::make_unique<HeadSeriesSet>(std::move(series), mint_, maxt_);
  }

  Result<std::vector<std::string>> LabelValues(
      std::string_view name,
      std::span<const model::Matcher> matchers) const override {
    std::set<std::string_view> values;
    auto series = Matching(matchers);
    for (const auto& s : series) {
      std::string_view v = s->labels.Get(name);
      if (!v.empty()) values.insert(v);
    }
    return std::vector<std::string>(values.begin(), values.end());
  }

  Result<std::vector<std::string>> LabelNames(
      std::span<const model::Matcher> matchers) const override {
    std::set<std::string_view> names;
    auto series = Matching(matchers);
    for (const auto& s : series) {
      for (const auto& l : s->labels) names.insert(l.name);
    }
    return std::vector<std::string>(names.begin(), names.end());
  }

 private:
  std::vector<std::shared_ptr<MemSeries>> Matching(
      std::span<const model::Matcher> matchers) const {
    index::Postings refs = PostingsForMatchers(head_->postings(), matchers);
    std::vector<std::shared_ptr<MemSeries>> out;
    out.reserve(refs.size());
    for (auto ref : refs) {
      auto s = head_->Lookup(ref);
      if (s != nullptr && Overlaps(*s, mint_, maxt_)) out.push_back(std::move(s));
    }
    return out;
  }

  Head* const head_;
  const int64_t mint_, maxt_;
};

}  // namespace

index::Postings PostingsForMatchers(const index::MemPostings& p,
                                    std::span<const model::Matcher> matchers) {
  std::vector<index::Postings> intersect;
  std::vector<index::Postings> subtract;
  for (const auto& m : matchers) {
    if (m.MatchesEmpty()) {
      // Series lacking the label match; remove those whose value m rejects.
      subtract.push_back(RejectedValues(p, m));
    } else {
      intersect.push_back(MatchingValues(p, m));
    }
  }
  index::Postings result;
  if (intersect.empty()) {
    result = p.All();
  } else {
    // Smallest first keeps every intermediate result small.
    std::sort(intersect.begin(), intersect.end(),
              [](const auto& a, const auto& b) { return a.size() < b.size(); });
    result = std::move(intersect[0]);
    for (size_t i = 1; i < intersect.size() && !result.empty(); ++i) {
      result = index::Intersect(result, intersect[i]);
    }
  }
  for (const auto& s : subtract) {
    if (result.empty()) break;
    result = index::Without(result, s);
  }
  return result;
}

std::unique_ptr<storage::Querier> NewHeadQuerier(Head* head, int64_t mint,
                                                 int64_t maxt) {
  return std::make_unique<HeadQuerier>(head, mint, maxt);
}

}  // namespace vigil::tsdb
