// FamilyCore: series table, big-reader lock, cardinality guard, collection.
// See include/vigil/metrics/internal/family_core.h for the protocol.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>

#include "metrics/series_extra.h"
#include "vigil/metrics/family.h"
#include "vigil/metrics/registry.h"

namespace vigil::metrics::internal {

namespace {

// Table slots hold a series pointer (x86-64 and AArch64 user pointers fit in
// 48 bits) tagged with the top 16 bits of its hash, so a probe that meets
// another series is rejected without touching that series' memory.
constexpr uint64_t kEmpty = 0;
constexpr uint64_t kTombstone = 1;
constexpr uint64_t kPtrMask = (uint64_t{1} << 48) - 1;

inline uint64_t Tag(uint32_t hash) { return static_cast<uint64_t>(hash >> 16) << 48; }
inline uint64_t MakeSlot(Series* s) { return Tag(s->hash) | reinterpret_cast<uintptr_t>(s); }
inline Series* SlotSeries(uint64_t slot) { return reinterpret_cast<Series*>(slot & kPtrMask); }

inline uint64_t Mix(uint64_t h, uint64_t w) {
  h ^= w;
  h *= 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 29);
}

// Label values are short; hash them eight bytes at a time, inline (the table
// compares values in full, so this needs spread, not cryptographic strength).
uint32_t HashValues(std::span<const std::string_view> values) {
  uint64_t h = 0xcbf29ce484222325ull ^ values.size();
  for (std::string_view v : values) {
    const char* p = v.data();
    size_t n = v.size();
    while (n >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      h = Mix(h, w);
      p += 8;
      n -= 8;
    }
    // The last 0-7 bytes without a loop (wyhash's small reads): two
    // overlapping 4-byte loads, or first/middle/last byte.
    uint64_t tail = static_cast<uint64_t>(v.size()) << 56;
    if (n >= 4) {
      uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      tail ^= (static_cast<uint64_t>(hi) << 24) ^ lo;
    } else if (n > 0) {
      tail ^= (static_cast<uint64_t>(static_cast<uint8_t>(p[0])) << 16) |
              (static_cast<uint64_t>(static_cast<uint8_t>(p[n >> 1])) << 8) |
              static_cast<uint8_t>(p[n - 1]);
    }
    h = Mix(h, tail);
  }
  h *= 0xff51afd7ed558ccdull;
  return static_cast<uint32_t>(h ^ (h >> 32));
}

// Label names and values are short: an inline loop beats a memcmp call.
inline bool BytesEqual(const char* a, const char* b, size_t n) {
  if (n > 32) return std::memcmp(a, b, n) == 0;
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Compares the '\xff'-joined stored values with `values`. Stored values are
// valid UTF-8 and so never contain 0xff: the split is unambiguous.
bool SameValues(const std::string& stored, std::span<const std::string_view> values) {
  size_t pos = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string_view v = values[i];
    if (stored.size() - pos < v.size() || !BytesEqual(stored.data() + pos, v.data(), v.size())) {
      return false;
    }
    pos += v.size();
    if (i + 1 < values.size()) {
      if (pos >= stored.size() || stored[pos] != '\xff') return false;
      ++pos;
    }
  }
  return pos == stored.size();
}

uint32_t CellsFor(MetricType type, size_t n_bounds) {
  switch (type) {
    case MetricType::kCounter: return 2;  // [integer increments][fractional]
    case MetricType::kHistogram: return static_cast<uint32_t>(2 + n_bounds + 1);
    case MetricType::kSummary: return 3;  // [seq][sum][count]
    default: return 0;
  }
}

}  // namespace

struct FamilyCore::Table {
  std::vector<uint64_t> slots;  // power-of-two size; see MakeSlot()
  size_t used = 0;             // live + tombstones
  size_t live = 0;
  explicit Table(size_t cap) : slots(cap, kEmpty) {}

  // Robin Hood insertion: an entry that is closer to its home slot gives its
  // place to the one being inserted, which keeps every chain short even for
  // entries inserted into a nearly full table. Entries only move further
  // along their own probe chain, so Find() (which stops at an empty slot)
  // still reaches every one of them.
  void Insert(uint64_t entry) {
    const size_t mask = slots.size() - 1;
    size_t i = SlotSeries(entry)->hash & mask;
    size_t dist = 0;
    for (;; i = (i + 1) & mask, ++dist) {
      const uint64_t e = slots[i];
      if (e == kEmpty || e == kTombstone) {
        if (e == kEmpty) ++used;
        slots[i] = entry;
        ++live;
        return;
      }
      const size_t e_dist = (i - (SlotSeries(e)->hash & mask)) & mask;
      if (e_dist < dist) {
        slots[i] = entry;
        entry = e;
        dist = e_dist;
      }
    }
  }
};

FamilyCore::FamilyCore(Registry* registry, MetricType type, std::string full_name,
                       MetricOptions options, std::vector<double> bounds,
                       SummaryOptions summary)
    : registry_(registry),
      type_(type),
      name_(std::move(full_name)),
      options_(std::move(options)),
      bounds_(std::move(bounds)),
      summary_(std::move(summary)),
      cells_per_series_(CellsFor(type, bounds_.size())),
      table_(std::make_unique<Table>(16)) {
  if (options_.label_names.empty()) {
    // A family without labels has exactly one series, exported from the start.
    Series* s = LookupValues({});
    Unref(s);
  }
}

FamilyCore::~FamilyCore() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Series*> all(order_.begin(), order_.end());
  order_.clear();
  DetachLocked(all);
  if (sink_ != nullptr) Unref(sink_);
}

void FamilyCore::DetachLocked(const std::vector<Series*>& victims) {
  if (victims.empty()) return;
  for (Series* s : victims) s->detached.store(1, std::memory_order_relaxed);
  WriterEnter();  // grace period: every Ref/Unref that missed the flag is done
  auto& slots = table_->slots;
  const size_t mask = slots.size() - 1;
  for (Series* s : victims) {
    for (size_t i = s->hash & mask;; i = (i + 1) & mask) {
      if (slots[i] == kEmpty) break;
      if (slots[i] != kTombstone && SlotSeries(slots[i]) == s) {
        slots[i] = kTombstone;
        --table_->live;
        break;
      }
    }
  }
  WriterExit();
  for (Series* s : victims) {
    const int64_t handles = FoldCell(s->cell + s->n_cells);
    s->refs.fetch_add(static_cast<int32_t>(handles), std::memory_order_relaxed);
    Unref(s);  // the table's reference
  }
}

void FamilyCore::FreeSeries(Series* s) {
  FreeCells(s->cell, s->n_cells + 1u);
  delete s->extra.exchange(nullptr, std::memory_order_acq_rel);
  s->label_values.clear();
  s->label_values.shrink_to_fit();
  std::lock_guard<std::mutex> lock(pool_mu_);
  pool_free_.push_back(s);
}

size_t FamilyCore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return order_.size();
}

Series* FamilyCore::Find(std::span<const std::string_view> values, uint32_t hash) {
  const std::vector<uint64_t>& slots = table_->slots;
  const size_t mask = slots.size() - 1;
  const uint64_t tag = Tag(hash);
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const uint64_t slot = slots[i];
    if (slot == kEmpty) return nullptr;
    if ((slot & ~kPtrMask) != tag || slot == kTombstone) continue;
    Series* s = SlotSeries(slot);
    if (s->hash == hash && SameValues(s->label_values, values)) return s;
  }
}

void FamilyCore::WriterEnter() {
  // Dekker handshake with LookupValues(): raise our flag, fence, then wait
  // for every reader flag to drop. See cells.h for the asymmetric fences.
  writer_.store(1, std::memory_order_relaxed);
  WriterFence();
  for (ThreadSlab* slab = FirstSlab(); slab != nullptr; slab = slab->next) {
    for (int spins = 0; slab->reading.load(std::memory_order_acquire) != 0; ++spins) {
      if (spins > 64) std::this_thread::yield();
    }
  }
}

void FamilyCore::WriterExit() { writer_.store(0, std::memory_order_release); }

Series* FamilyCore::RejectLabels(std::string_view why) {
  OnRejected("bad_labels");
  if (!bad_labels_reported_.exchange(true)) {
    registry_->Report("vigil: " + std::string(why) + "; updates through this handle are dropped");
  }
  Series* d = DetachedSeries(cells_per_series_);
  Ref(d);
  return d;
}

Series* FamilyCore::LookupValues(std::span<const std::string_view> values) {
  if (values.size() != options_.label_names.size()) [[unlikely]] {
    return RejectLabels("metric " + name_ + " expects " +
                        std::to_string(options_.label_names.size()) + " label values, got " +
                        std::to_string(values.size()));
  }
  const uint32_t hash = HashValues(values);
  ThreadSlab* slab = tls_slab;
  if (slab == nullptr) [[unlikely]] slab = CurrentSlab();
  slab->reading.store(1, std::memory_order_relaxed);
  ReaderFence();
  if (writer_.load(std::memory_order_acquire) == 0) [[likely]] {
    Series* s = Find(values, hash);
    if (s != nullptr) {
      RefInCriticalSection(s);
      slab->reading.store(0, std::memory_order_release);
      return s;
    }
  }
  slab->reading.store(0, std::memory_order_release);
  Result<Series*> r = FindOrCreate(values, /*checked=*/false);
  return *r;  // unchecked lookups always yield a series (maybe the sink)
}

Status FamilyCore::ResolvePairs(std::span<const LabelPair> labels,
                                std::span<std::string_view> ordered) const {
  const auto& names = options_.label_names;
  if (labels.size() != names.size()) {
    return InvalidArgumentError("metric " + name_ + ": expected " +
                                std::to_string(names.size()) + " labels, got " +
                                std::to_string(labels.size()));
  }
  uint64_t seen = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    size_t pos = names.size();
    if (i < names.size() && names[i] == labels[i].name) {
      pos = i;  // the common case: same order as declared
    } else {
      for (size_t j = 0; j < names.size(); ++j) {
        if (names[j] == labels[i].name) {
          pos = j;
          break;
        }
      }
    }
    if (pos == names.size()) {
      return InvalidArgumentError("metric " + name_ + ": unknown label \"" +
                                  std::string(labels[i].name) + "\"");
    }
    if (pos < 64) {
      if (seen & (uint64_t{1} << pos)) {
        return InvalidArgumentError("metric " + name_ + ": label \"" +
                                    std::string(labels[i].name) + "\" given twice");
      }
      seen |= uint64_t{1} << pos;
    }
    ordered[pos] = labels[i].value;
  }
  return Status::OK();
}

Series* FamilyCore::LookupPairs(std::span<const LabelPair> labels) {
  const auto& names = options_.label_names;
  const size_t n = labels.size();
  // Fast path: the pairs come in declaration order (the usual call site).
  if (n == names.size() && n <= 16) {
    union Values {  // left uninitialised; the loop fills the first n
      Values() {}
      std::string_view v[16];
    } values;
    size_t i = 0;
    for (; i < n; ++i) {
      const std::string_view name = labels[i].name;
      if (name.size() != names[i].size() || !BytesEqual(name.data(), names[i].data(), name.size())) {
        break;
      }
      values.v[i] = labels[i].value;
    }
    if (i == n) return LookupValues(std::span<const std::string_view>(values.v, n));
  }
  return LookupPairsSlow(labels);
}

Series* FamilyCore::LookupPairsSlow(std::span<const LabelPair> labels) {
  std::vector<std::string_view> ordered(labels.size());
  Status st = ResolvePairs(labels, ordered);
  if (!st.ok()) [[unlikely]] return RejectLabels(st.message());
  return LookupValues(ordered);
}

Result<Series*> FamilyCore::CheckedLookup(std::span<const LabelPair> labels) {
  std::vector<std::string_view> ordered(labels.size());
  Status st = ResolvePairs(labels, ordered);
  if (!st.ok()) return st;
  return FindOrCreate(ordered, /*checked=*/true);
}

Series* FamilyCore::NewSeries(std::span<const std::string_view> values, uint32_t hash) {
  // Value cells plus the reference cell (see series.h).
  const uint32_t cell = AllocateCells(cells_per_series_ + 1);
  if (cell == kNoCell) return nullptr;
  Series* s;
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (pool_free_.empty()) {
      pool_blocks_.push_back(std::make_unique<Series[]>(kPoolBlock));
      Series* block = pool_blocks_.back().get();
      for (size_t i = kPoolBlock; i > 0; --i) pool_free_.push_back(&block[i - 1]);
    }
    s = pool_free_.back();
    pool_free_.pop_back();
  }
  s->refs.store(1, std::memory_order_relaxed);
  s->detached.store(0, std::memory_order_relaxed);
  s->flags = 0;
  s->value.store(0, std::memory_order_relaxed);
  s->extra.store(nullptr, std::memory_order_relaxed);
  if ((reinterpret_cast<uintptr_t>(s) & ~kPtrMask) != 0) {
    std::fprintf(stderr, "vigil: heap pointer %p does not fit in 48 bits\n", static_cast<void*>(s));
    std::abort();  // a programmer/platform error, not user input
  }
  s->cell = cell;
  s->n_cells = static_cast<uint16_t>(cells_per_series_);
  s->family = this;
  s->hash = hash;
  size_t len = 0;
  for (std::string_view v : values) len += v.size() + 1;
  s->label_values.reserve(len);
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) s->label_values.push_back('\xff');
    s->label_values.append(values[i]);
  }
  if (type_ != MetricType::kGauge) s->value.store(WallSeconds(), std::memory_order_relaxed);
  if (type_ == MetricType::kSummary) {
    SeriesExtra* extra = EnsureExtra(s, 0);
    extra->window = std::make_unique<SummaryWindow>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(summary_.max_age).count(),
        summary_.age_buckets);
  }
  return s;
}

Series* FamilyCore::Sink() {
  if (sink_ == nullptr) {
    sink_ = new Series();
    sink_->flags = kSeriesDropped;
    sink_->detached.store(1, std::memory_order_relaxed);  // never in the table
    sink_->family = this;
    if (cells_per_series_ > 0) {
      // Scratch cells shared by all sink handles of every family.
      sink_->cell = DetachedSeries(cells_per_series_)->cell;
    }
    if (type_ == MetricType::kSummary) {
      EnsureExtra(sink_, 0)->window = std::make_unique<SummaryWindow>(1000000000, 1);
    }
  }
  return sink_;
}

Result<Series*> FamilyCore::FindOrCreate(std::span<const std::string_view> values, bool checked) {
  const uint32_t hash = HashValues(values);
  std::string report;
  Series* result = nullptr;
  Status error;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Series* s = Find(values, hash);
    if (s != nullptr) {
      Ref(s);
      return s;
    }
    for (std::string_view v : values) {
      if (!IsValidUtf8(v)) {
        error = InvalidArgumentError("metric " + name_ + ": label value is not valid UTF-8");
        break;
      }
    }
    if (error.ok() && order_.size() >= options_.max_series) {
      error = ResourceExhaustedError("metric " + name_ + " reached its limit of " +
                                     std::to_string(options_.max_series) +
                                     " series; new label sets are dropped");
    }
    if (error.ok()) {
      s = NewSeries(values, hash);
      if (s == nullptr) {
        error = ResourceExhaustedError("metric " + name_ +
                                       ": the metrics cell arena is full; new series are dropped");
      }
    }
    if (!error.ok()) {
      if (checked) return error;
      if (error.code() == StatusCode::kResourceExhausted) {
        if (!drop_reported_) {
          drop_reported_ = true;
          report = "vigil: " + std::string(error.message()) +
                   " (counted in vigil_dropped_series_total)";
        }
        result = Sink();
        Ref(result);
      }
    } else {
      WriterEnter();
      Table* t = table_.get();
      if ((t->used + 1) * 5 > t->slots.size() * 4) {
        // Linear probing with a full-hash check stays short up to 4/5 full
        // (about 3 probes for a hit); grow only if live entries, not
        // tombstones, fill more than half.
        auto bigger = std::make_unique<Table>(t->slots.size() * (t->live * 2 > t->slots.size() ? 2 : 1));
        for (uint64_t old : t->slots) {
          if (old != kEmpty && old != kTombstone) bigger->Insert(old);
        }
        table_ = std::move(bigger);
        t = table_.get();
      }
      t->Insert(MakeSlot(s));
      WriterExit();
      order_.push_back(s);
      Ref(s);  // the caller's reference; the table keeps the first
      result = s;
    }
  }
  if (!report.empty()) registry_->Report(report);
  if (result == nullptr) result = RejectLabels(error.message());  // invalid label values
  return result;
}

bool FamilyCore::RemoveValues(std::span<const std::string_view> values) {
  if (values.size() != options_.label_names.size()) return false;
  const uint32_t hash = HashValues(values);
  std::lock_guard<std::mutex> lock(mu_);
  Series* victim = Find(values, hash);
  if (victim == nullptr) return false;
  order_.erase(std::find(order_.begin(), order_.end(), victim));
  DetachLocked({victim});
  return true;
}

void FamilyCore::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Series*> all(order_.begin(), order_.end());
  order_.clear();
  DetachLocked(all);
  WriterEnter();
  table_ = std::make_unique<Table>(16);  // drop the tombstones
  WriterExit();
}

void FamilyCore::OnDroppedUpdate() {
  std::call_once(dropped_once_, [this] { dropped_counter_ = registry_->DroppedCounter(name_); });
  dropped_counter_.Inc();
}

void FamilyCore::OnRejected(const char* reason) { registry_->CountRejected(name_, reason); }

void FamilyCore::Collect(MetricSink& sink, std::span<const LabelPair> extra_labels) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (order_.empty()) return;
  const MetricFamilyDesc desc{name_, options_.help, options_.unit, type_};
  sink.BeginFamily(desc);
  const size_t n_names = options_.label_names.size();
  std::vector<LabelPair> labels(n_names);
  for (size_t i = 0; i < n_names; ++i) labels[i].name = options_.label_names[i];
  for (const auto& [k, v] : options_.const_labels) labels.push_back({k, v});
  for (const LabelPair& p : extra_labels) labels.push_back(p);

  const size_t n_buckets = bounds_.size() + 1;
  std::vector<uint64_t> counts(n_buckets);
  std::vector<const Exemplar*> exemplar_ptrs;
  std::vector<Exemplar> exemplar_copies;
  std::vector<double> quantile_values;

  for (Series* s : order_) {
    // Split the joined values into the label views.
    size_t pos = 0;
    for (size_t i = 0; i < n_names; ++i) {
      size_t end = s->label_values.find('\xff', pos);
      if (end == std::string::npos) end = s->label_values.size();
      labels[i].value = std::string_view(s->label_values).substr(pos, end - pos);
      pos = end + 1;
    }
    MetricPoint p;
    p.labels = labels;
    if (type_ != MetricType::kGauge) p.created_s = s->value.load(std::memory_order_relaxed);
    exemplar_ptrs.clear();
    exemplar_copies.clear();
    SeriesExtra* extra = s->extra.load(std::memory_order_acquire);
    if (extra != nullptr && (type_ == MetricType::kCounter || type_ == MetricType::kHistogram)) {
      std::lock_guard<std::mutex> elock(extra->mu);
      if (!extra->exemplars.empty()) {
        exemplar_copies.reserve(extra->exemplars.size());
        for (const auto& e : extra->exemplars) exemplar_copies.push_back(e.value_or(Exemplar{}));
        for (size_t i = 0; i < extra->exemplars.size(); ++i) {
          exemplar_ptrs.push_back(extra->exemplars[i] ? &exemplar_copies[i] : nullptr);
        }
      }
    }
    switch (type_) {
      case MetricType::kCounter:
        p.value = SumCounter(s->cell);
        p.exemplars = exemplar_ptrs;
        break;
      case MetricType::kGauge:
      case MetricType::kUntyped:
        p.value = s->value.load(std::memory_order_relaxed);
        break;
      case MetricType::kHistogram: {
        std::fill(counts.begin(), counts.end(), 0);
        double sum = 0;
        SumRecord(s->cell, static_cast<uint32_t>(n_buckets), counts.data(), &sum);
        for (size_t i = 1; i < n_buckets; ++i) counts[i] += counts[i - 1];
        p.bucket_bounds = bounds_;
        p.bucket_counts = counts;
        p.count = counts.back();
        p.sum = sum;
        if (exemplar_ptrs.size() == n_buckets) p.exemplars = exemplar_ptrs;
        break;
      }
      case MetricType::kSummary: {
        uint64_t count = 0;
        double sum = 0;
        SumRecord(s->cell, 1, &count, &sum);
        p.count = count;
        p.sum = sum;
        extra->window->Quantiles(summary_.quantiles, &quantile_values);
        p.quantiles = summary_.quantiles;
        p.quantile_values = quantile_values;
        break;
      }
    }
    sink.AddMetric(p);
  }
  sink.EndFamily();
}

}  // namespace vigil::metrics::internal
