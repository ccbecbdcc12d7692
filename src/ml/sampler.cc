#include "vigil/ml/sampler.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <utility>

#include "vigil/status.h"

namespace vigil::ml {
namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;

uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A process-wide index per thread, assigned on first use. Constant-initialised
// thread_local: no TLS init guard on the hot path.
std::atomic<uint32_t> next_thread_index{0};
thread_local uint32_t thread_index = UINT32_MAX;

uint32_t ThreadIndex() {
  uint32_t i = thread_index;
  if (i == UINT32_MAX) [[unlikely]] {
    i = next_thread_index.fetch_add(1, std::memory_order_relaxed);
    thread_index = i;
  }
  return i;
}

Status CheckRate(double rate, std::string_view what) {
  if (!(rate >= 0.0 && rate <= 1.0)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", rate);
    return InvalidArgumentError("sampling rate " + std::string(buf) + " for " +
                                std::string(what) + " must be in [0, 1]");
  }
  return Status::OK();
}

}  // namespace

OperationSampler::OperationSampler(const Sampler* sampler, double rate)
    : sampler_(sampler), rate_(rate) {
  // rate * 2^64, kept below 2^64: a rate that rounds up to 2^64 always samples.
  const double t = std::ldexp(rate, 64);
  if (rate >= 1.0 || t >= 18446744073709551615.0) {
    always_ = true;
  } else {
    always_ = false;
    threshold_ = static_cast<uint64_t>(t);
  }
}

Result<std::unique_ptr<Sampler>> Sampler::Create(SamplerOptions options) {
  if (Status s = CheckRate(options.default_rate, "unknown operations (default_rate)"); !s.ok()) {
    return s;
  }
  for (const auto& [op, rate] : options.rates) {
    if (op.empty()) return InvalidArgumentError("sampling rate for an empty operation name");
    if (Status s = CheckRate(rate, "operation \"" + op + "\""); !s.ok()) return s;
  }
  return std::unique_ptr<Sampler>(new Sampler(std::move(options)));
}

Sampler::Sampler(SamplerOptions options) : options_(std::move(options)) {
  uint64_t seed = options_.seed.has_value()
                      ? *options_.seed
                      : (static_cast<uint64_t>(std::random_device{}()) << 32) ^
                            std::random_device{}();
  for (int i = 0; i < kStripes; ++i) {
    // Distinct, well-mixed starting points per stripe.
    seed += kGolden;
    stripes_[i].state.store(Mix(seed), std::memory_order_relaxed);
  }
}

Sampler::~Sampler() = default;

double Sampler::RateFor(std::string_view operation) const {
  auto it = options_.rates.find(operation);
  return it == options_.rates.end() ? options_.default_rate : it->second;
}

OperationSampler Sampler::ForOperation(std::string_view operation) const {
  return OperationSampler(this, RateFor(operation));
}

uint64_t Sampler::Next() const {
  // SplitMix64. Load and store rather than fetch_add: a stripe is normally
  // used by one thread, and a lost update between two sharing threads only
  // repeats a draw.
  Stripe& s = stripes_[ThreadIndex() % kStripes];
  const uint64_t x = s.state.load(std::memory_order_relaxed) + kGolden;
  s.state.store(x, std::memory_order_relaxed);
  return Mix(x);
}

}  // namespace vigil::ml
