// Binary state of detectors, for saving baselines so that a restart does
// not relearn from nothing (docs/formats/anomaly-baselines.md).
//
//   StateWriter w;  detector.Save(w);  std::string blob = w.Take();
//   StateReader r(blob);  Status s = fresh.Load(r);   // then r.Finish()
//
// Values are little-endian fixed-width; doubles are their IEEE-754 bits.
// The reader checks every length against what is left, so a truncated or
// corrupted blob gives kDataLoss naming what it was reading, never a crash
// or an over-allocation.
//
// Thread safety: thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/result.h"

namespace vigil::anomaly {

class StateWriter {
 public:
  void U32(uint32_t v);
  void U64(uint64_t v);
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void F64(double v);
  void Bool(bool v) { U32(v ? 1 : 0); }
  void Str(std::string_view s);
  void F64s(const std::vector<double>& v);
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class StateReader {
 public:
  explicit StateReader(std::string_view in) : in_(in) {}
  // Each reads one value; `what` names it in the error.
  Result<uint32_t> U32(std::string_view what);
  Result<uint64_t> U64(std::string_view what);
  Result<int64_t> I64(std::string_view what);
  Result<double> F64(std::string_view what);
  Result<bool> Bool(std::string_view what);
  Result<std::string> Str(std::string_view what);
  // A vector of at most `max` doubles.
  Result<std::vector<double>> F64s(std::string_view what, size_t max);
  // kDataLoss unless everything was read.
  Status Finish() const;
  size_t remaining() const { return in_.size() - pos_; }

 private:
  Status Need(size_t n, std::string_view what) const;
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace vigil::anomaly
