// Helpers for the ml tests: a steady clock moved by hand.
//
// Thread safety: not thread-safe (test code).
#pragma once

#include <chrono>
#include <functional>

namespace vigil::ml::testing {

// A steady clock the test moves by hand; counts its reads.
struct FakeSteadyClock {
  std::chrono::steady_clock::time_point t{};
  int reads = 0;
  std::function<std::chrono::steady_clock::time_point()> Fn() {
    return [this] {
      ++reads;
      return t;
    };
  }
  void Advance(double seconds) {
    t += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(seconds));
  }
};

}  // namespace vigil::ml::testing
