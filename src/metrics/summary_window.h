// SummaryWindow: the sliding-window quantile sketch behind Summary; see
// include/vigil/metrics/summary.h for the algorithm and its error bound.
//
// Layout: for each power of two (exponent e clamped to [-64, 63]) and sign,
// a lazily allocated page of age_buckets x 128 counters. Age bucket k holds
// observations from rotation period p where p % age_buckets == k; its
// `epoch` says which period it currently holds. Writers that find a stale
// epoch reset the bucket under mu_ first.
//
// Invariant: a page pointer, once set, never changes until destruction.
// Known, documented imprecision: an observation racing with the reset of its
// age bucket (once per max_age/age_buckets) may be lost or kept.
//
// Thread safety: thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace vigil::metrics::internal {

class SummaryWindow {
 public:
  static constexpr int kSubBits = 7;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kMinExp = -64;
  static constexpr int kMaxExp = 63;
  static constexpr int kOctaves = kMaxExp - kMinExp + 1;

  // `now_ns` returns monotonic nanoseconds (injected for tests).
  using NowFn = int64_t (*)();
  SummaryWindow(int64_t max_age_ns, int age_buckets, NowFn now = nullptr);
  ~SummaryWindow();

  void Observe(double v);
  // Nearest-rank quantile over the window; NaN when empty.
  double Quantile(double q) const;
  void Quantiles(const std::vector<double>& qs, std::vector<double>* out) const;
  uint64_t WindowCount() const;

  // Monotonic coarse clock used by default.
  static int64_t CoarseNowNs();

 private:
  struct Page {
    std::unique_ptr<std::atomic<uint64_t>[]> counts;  // age_buckets * kSub
  };
  struct Special {  // per age bucket
    std::atomic<uint64_t> zero{0}, pos_inf{0}, neg_inf{0};
    std::atomic<int64_t> epoch{-1};
  };
  int64_t Period() const;
  int Slot(int64_t period) const { return static_cast<int>(period % age_buckets_); }
  void Rotate(int slot, int64_t period);
  std::atomic<uint64_t>* PageFor(int sign_octave);
  // Merged counts of the live window: specials and a dense view of pages.
  struct Merged;
  void Merge(Merged* m) const;

  const int64_t period_ns_;
  const int age_buckets_;
  const NowFn now_;
  std::unique_ptr<Special[]> special_;
  // [0, kOctaves) positive, [kOctaves, 2*kOctaves) negative.
  std::unique_ptr<std::atomic<std::atomic<uint64_t>*>[]> pages_;
  std::mutex mu_;  // page creation and bucket reset
};

}  // namespace vigil::metrics::internal
