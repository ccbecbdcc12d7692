// Sampler: per-operation sample rates for costly observations.
//
//   auto sampler = vigil::ml::Sampler::Create(
//       {.rates = {{"high_volume_endpoint", 0.01}, {"critical_operation", 1.0}},
//        .default_rate = 0.1});
//   if (!sampler.ok()) return sampler.status();   // a rate outside [0, 1]
//   // Resolve the operation once; the handle is cheap to copy and keep.
//   vigil::ml::OperationSampler op = (*sampler)->ForOperation("high_volume_endpoint");
//   requests.Inc();                    // counts stay exact: never sampled
//   if (op.ShouldSample()) {           // ~1% of calls
//     vigil::metrics::ScopedTimer t(latency);   // clock reads, GPU queries...
//     Handle(request);
//   } else {
//     Handle(request);
//   }
//
// The principle: counts stay exact. Counters are always incremented; only the
// costly observations -- histogram and summary observations that need clock
// reads or GPU queries -- are sampled. A sampled histogram therefore holds an
// unbiased sample of the distribution (its quantiles and average stay
// meaningful) while its _count is about rate * calls; rates are read from the
// counters. InferenceMetrics and PipelineProfiler follow this rule.
//
// Decisions: each call draws a 64-bit number from a SplitMix64 generator and
// samples when it is below rate * 2^64; rate 1 always samples and rate 0 never
// does, without drawing. The generator state is striped: a thread uses the
// stripe picked by its thread index (assigned on first use), so ShouldSample()
// takes no lock, allocates nothing and does no string work. Two threads that
// share a stripe may occasionally draw the same number (their decisions are
// then correlated, never wrong on average). With a fixed seed a single thread
// sees the same decision sequence in every run.
//
// Thread safety: thread-safe. Rates are constant after Create(); the
// generator state is relaxed atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/result.h"

namespace vigil::ml {

class Sampler;

// A resolved operation: its rate and the sampler that draws for it. A
// default-constructed OperationSampler samples every call (rate 1). Keep it
// no longer than the Sampler it came from.
//
// Thread safety: thread-safe (copies may be used from any thread).
class OperationSampler {
 public:
  OperationSampler() = default;

  // True when this call's costly observation should be made.
  bool ShouldSample() const {
    if (always_) return true;
    if (threshold_ == 0) return false;
    return NextRandom() < threshold_;
  }
  double rate() const { return rate_; }

 private:
  friend class Sampler;
  OperationSampler(const Sampler* sampler, double rate);
  uint64_t NextRandom() const;

  const Sampler* sampler_ = nullptr;
  double rate_ = 1.0;
  uint64_t threshold_ = 0;  // sample when a draw is below it
  bool always_ = true;
};

struct SamplerOptions {
  // Rate per operation name, each in [0, 1].
  std::map<std::string, double, std::less<>> rates;
  // Rate of operations not in `rates`, in [0, 1]. The seed's SamplingMonitor
  // used 0.1; 1 (sample everything) unless configured.
  double default_rate = 1.0;
  // Seeds the generator; unset: a random seed from std::random_device.
  std::optional<uint64_t> seed;
};

class Sampler {
 public:
  // Fails with InvalidArgument naming the operation when a rate is not in
  // [0, 1] (or is NaN), or when an operation name is empty.
  static Result<std::unique_ptr<Sampler>> Create(SamplerOptions options);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Resolves `operation` once (its rate, or default_rate when unknown).
  OperationSampler ForOperation(std::string_view operation) const;
  // ForOperation(operation).ShouldSample(): a map lookup per call, for code
  // that cannot keep the handle (the seed's should_sample()).
  bool ShouldSample(std::string_view operation) const {
    return ForOperation(operation).ShouldSample();
  }
  double RateFor(std::string_view operation) const;
  double default_rate() const { return options_.default_rate; }

 private:
  friend class OperationSampler;
  static constexpr int kStripes = 16;
  struct alignas(64) Stripe {
    std::atomic<uint64_t> state{0};
  };

  explicit Sampler(SamplerOptions options);
  uint64_t Next() const;

  // Constant after construction.
  const SamplerOptions options_;
  // Generator state, one SplitMix64 per stripe (relaxed atomics).
  mutable Stripe stripes_[kStripes];
};

inline uint64_t OperationSampler::NextRandom() const { return sampler_->Next(); }

}  // namespace vigil::ml
