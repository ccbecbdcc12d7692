#include "metrics/summary_window.h"

#include <time.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace vigil::metrics::internal {

int64_t SummaryWindow::CoarseNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

SummaryWindow::SummaryWindow(int64_t max_age_ns, int age_buckets, NowFn now)
    : period_ns_(std::max<int64_t>(1, max_age_ns / std::max(1, age_buckets))),
      age_buckets_(std::max(1, age_buckets)),
      now_(now != nullptr ? now : &CoarseNowNs),
      special_(new Special[static_cast<size_t>(age_buckets_)]),
      pages_(new std::atomic<std::atomic<uint64_t>*>[2 * kOctaves]) {
  for (int i = 0; i < 2 * kOctaves; ++i) pages_[i].store(nullptr, std::memory_order_relaxed);
}

SummaryWindow::~SummaryWindow() {
  for (int i = 0; i < 2 * kOctaves; ++i) delete[] pages_[i].load(std::memory_order_relaxed);
}

int64_t SummaryWindow::Period() const { return now_() / period_ns_; }

void SummaryWindow::Rotate(int slot, int64_t period) {
  std::lock_guard<std::mutex> lock(mu_);
  Special& sp = special_[slot];
  if (sp.epoch.load(std::memory_order_relaxed) >= period) return;  // done, or we are late
  sp.zero.store(0, std::memory_order_relaxed);
  sp.pos_inf.store(0, std::memory_order_relaxed);
  sp.neg_inf.store(0, std::memory_order_relaxed);
  for (int o = 0; o < 2 * kOctaves; ++o) {
    std::atomic<uint64_t>* page = pages_[o].load(std::memory_order_relaxed);
    if (page == nullptr) continue;
    for (int i = 0; i < kSub; ++i) page[slot * kSub + i].store(0, std::memory_order_relaxed);
  }
  sp.epoch.store(period, std::memory_order_release);
}

std::atomic<uint64_t>* SummaryWindow::PageFor(int sign_octave) {
  std::atomic<uint64_t>* page = pages_[sign_octave].load(std::memory_order_acquire);
  if (page != nullptr) return page;
  std::lock_guard<std::mutex> lock(mu_);
  page = pages_[sign_octave].load(std::memory_order_relaxed);
  if (page == nullptr) {
    const size_t n = static_cast<size_t>(age_buckets_) * kSub;
    page = new std::atomic<uint64_t>[n];
    for (size_t i = 0; i < n; ++i) page[i].store(0, std::memory_order_relaxed);
    pages_[sign_octave].store(page, std::memory_order_release);
  }
  return page;
}

void SummaryWindow::Observe(double v) {
  if (std::isnan(v)) return;
  const int64_t period = Period();
  const int slot = Slot(period);
  Special& sp = special_[slot];
  if (sp.epoch.load(std::memory_order_acquire) != period) [[unlikely]] Rotate(slot, period);
  if (v == 0) {
    sp.zero.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (std::isinf(v)) {
    (v > 0 ? sp.pos_inf : sp.neg_inf).fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const uint64_t bits = std::bit_cast<uint64_t>(std::fabs(v));
  int exp = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  int sub = static_cast<int>((bits >> (52 - kSubBits)) & (kSub - 1));
  if (exp < kMinExp) {
    exp = kMinExp;
    sub = 0;
  } else if (exp > kMaxExp) {
    exp = kMaxExp;
    sub = kSub - 1;
  }
  const int octave = (exp - kMinExp) + (v < 0 ? kOctaves : 0);
  std::atomic<uint64_t>* page = pages_[octave].load(std::memory_order_acquire);
  if (page == nullptr) [[unlikely]] page = PageFor(octave);
  page[slot * kSub + sub].fetch_add(1, std::memory_order_relaxed);
}

struct SummaryWindow::Merged {
  uint64_t zero = 0, pos_inf = 0, neg_inf = 0, total = 0;
  // Per sign-octave: kSub counts, or empty if no live page.
  std::vector<std::vector<uint64_t>> octaves;
};

void SummaryWindow::Merge(Merged* m) const {
  const int64_t now = Period();
  std::vector<int> live;
  for (int k = 0; k < age_buckets_; ++k) {
    const int64_t e = special_[k].epoch.load(std::memory_order_acquire);
    if (e >= 0 && e > now - age_buckets_ && e <= now) live.push_back(k);
  }
  m->octaves.assign(2 * kOctaves, {});
  for (int k : live) {
    m->zero += special_[k].zero.load(std::memory_order_relaxed);
    m->pos_inf += special_[k].pos_inf.load(std::memory_order_relaxed);
    m->neg_inf += special_[k].neg_inf.load(std::memory_order_relaxed);
  }
  m->total = m->zero + m->pos_inf + m->neg_inf;
  for (int o = 0; o < 2 * kOctaves; ++o) {
    const std::atomic<uint64_t>* page = pages_[o].load(std::memory_order_acquire);
    if (page == nullptr) continue;
    std::vector<uint64_t> counts(kSub, 0);
    uint64_t any = 0;
    for (int k : live) {
      for (int i = 0; i < kSub; ++i) {
        const uint64_t c = page[k * kSub + i].load(std::memory_order_relaxed);
        counts[i] += c;
        any += c;
      }
    }
    if (any != 0) {
      m->total += any;
      m->octaves[o] = std::move(counts);
    }
  }
}

namespace {
double Midpoint(int octave_index, int sub) {
  const int exp = octave_index + SummaryWindow::kMinExp;
  return std::ldexp(1.0 + (sub + 0.5) / SummaryWindow::kSub, exp);
}
}  // namespace

void SummaryWindow::Quantiles(const std::vector<double>& qs, std::vector<double>* out) const {
  Merged m;
  Merge(&m);
  out->assign(qs.size(), std::numeric_limits<double>::quiet_NaN());
  if (m.total == 0) return;
  for (size_t qi = 0; qi < qs.size(); ++qi) {
    const double q = qs[qi];
    if (std::isnan(q)) continue;
    const double clamped = std::clamp(q, 0.0, 1.0);
    const uint64_t rank = std::max<uint64_t>(
        1, static_cast<uint64_t>(std::ceil(clamped * static_cast<double>(m.total))));
    uint64_t seen = m.neg_inf;
    double result = -HUGE_VAL;
    bool found = seen >= rank;
    // Negatives: largest magnitude first.
    for (int o = kOctaves - 1; o >= 0 && !found; --o) {
      const auto& c = m.octaves[kOctaves + o];
      if (c.empty()) continue;
      for (int i = kSub - 1; i >= 0; --i) {
        seen += c[i];
        if (seen >= rank) {
          result = -Midpoint(o, i);
          found = true;
          break;
        }
      }
    }
    if (!found) {
      seen += m.zero;
      if (seen >= rank) {
        result = 0;
        found = true;
      }
    }
    for (int o = 0; o < kOctaves && !found; ++o) {
      const auto& c = m.octaves[o];
      if (c.empty()) continue;
      for (int i = 0; i < kSub; ++i) {
        seen += c[i];
        if (seen >= rank) {
          result = Midpoint(o, i);
          found = true;
          break;
        }
      }
    }
    if (!found) result = HUGE_VAL;
    (*out)[qi] = result;
  }
}

double SummaryWindow::Quantile(double q) const {
  std::vector<double> out;
  Quantiles({q}, &out);
  return out[0];
}

uint64_t SummaryWindow::WindowCount() const {
  Merged m;
  Merge(&m);
  return m.total;
}

}  // namespace vigil::metrics::internal
