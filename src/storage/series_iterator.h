// storage::SeriesIterator: walks one series' float samples in time order.
// The seam between query and storage (Prometheus' storage/interface.go):
// promql reads through it, tsdb's chunk iterators implement it.
//
//   while (it->Next()) { auto [t, v] = it->At(); ... }
//   if (!it->status().ok()) { /* corrupt data, not the end */ }
//
// Thread safety: not thread-safe; an iterator belongs to one reader.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "vigil/status.h"

namespace vigil::storage {

// Prometheus' staleness marker: a NaN with this exact bit pattern, kept
// bit-for-bit by every encoder.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;

// One float sample (Prometheus' model.SamplePair).
struct SamplePair {
  int64_t t = 0;  // milliseconds since the epoch
  double v = 0;
};

class SeriesIterator {
 public:
  virtual ~SeriesIterator() = default;
  // Advances to the next sample; false at the end or on error (see status()).
  virtual bool Next() = 0;
  // Advances to the first sample with timestamp >= t (staying put if the
  // current one qualifies); false if there is none.
  virtual bool Seek(int64_t t) = 0;
  // The current sample (milliseconds since the epoch, value).
  // REQUIRES: the last Next()/Seek() returned true.
  virtual std::pair<int64_t, double> At() const = 0;
  // OK at a clean end; the error otherwise (e.g. kDataLoss for corruption).
  virtual Status status() const = 0;
  // Bulk reading: appends the current sample and those after it, up to and
  // including timestamp maxt, to *out, without a virtual call per sample.
  // Afterwards only status() may be called.
  // REQUIRES: the last Next()/Seek() returned true.
  virtual void AppendUntil(int64_t maxt, std::vector<SamplePair>* out) {
    do {
      const auto [t, v] = At();
      if (t > maxt) return;
      out->push_back({t, v});
    } while (Next());
  }
};

}  // namespace vigil::storage
