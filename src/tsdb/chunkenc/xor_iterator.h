// XorIterator: decodes an XorChunk's bytes in place (docs/formats/chunk.md).
// Its own header so that hot loops (the head's chunk iterator) can hold it
// by value and call it without virtual dispatch.
//
//   XorIterator it(chunk.bytes());
//   while (it.Next()) { auto [t, v] = it.At(); }
//   if (!it.status().ok()) { /* corrupt chunk */ }
//
// Thread safety: thread-compatible; the bytes must not change meanwhile.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "storage/series_iterator.h"
#include "tsdb/chunkenc/bstream.h"
#include "vigil/status.h"

namespace vigil::tsdb::chunkenc {
namespace internal {

inline bool ReadUvarint(BitReader& r, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    uint64_t byte;
    if (!r.Read(8, &byte)) return false;
    v |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;  // more than 10 bytes: corrupt
}

inline int64_t Unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// The decoder, shared by the iterator and XorChunk::FromBytes.
struct Decoder {
  BitReader r;
  uint16_t total;
  uint16_t read = 0;
  int64_t t = 0;
  uint64_t delta = 0;
  uint64_t v_bits = 0;
  uint8_t leading = 0xff;
  uint8_t trailing = 0;
  bool failed = false;

  Decoder(const std::vector<uint8_t>& bytes)
      : r(bytes.data(), bytes.size(), 16),
        total(bytes.size() >= 2 ? static_cast<uint16_t>((bytes[0] << 8) | bytes[1]) : 0) {
    failed = bytes.size() < 2;
  }

  bool ReadValue() {
    // Control bits: 0 (same value), 10 (reuse the window), 11 (new window).
    const uint64_t peek = r.Peek57();
    if ((peek >> 63) == 0) return r.Skip(1);
    if (((peek >> 62) & 1) != 0) {
      if (!r.Skip(2)) return false;
      const uint64_t lz = (peek >> 57) & 0x1f;
      uint64_t sig = (peek >> 51) & 0x3f;
      if (!r.Skip(11)) return false;
      if (sig == 0) sig = 64;
      if (lz + sig > 64) return false;
      leading = static_cast<uint8_t>(lz);
      trailing = static_cast<uint8_t>(64 - lz - sig);
    } else {
      if (leading == 0xff) return false;  // window reuse before any window: corrupt
      if (!r.Skip(2)) return false;
    }
    const int sig = 64 - leading - trailing;
    uint64_t x;
    if (!r.Read(sig, &x)) return false;
    v_bits ^= x << trailing;
    return true;
  }

  // Decodes the next sample; false at the end (failed set on corruption).
  bool Next() {
    if (failed || read >= total) return false;
    if (read == 0) {
      uint64_t zt;
      if (!ReadUvarint(r, &zt) || !r.Read(64, &v_bits)) return Fail();
      t = Unzigzag(zt);
    } else if (read == 1) {
      if (!ReadUvarint(r, &delta) || !ReadValue()) return Fail();
      t = static_cast<int64_t>(static_cast<uint64_t>(t) + delta);
    } else {
      // Delta-of-delta bucket: 0, 10, 110, 1110 or 1111 (up to 4 bits).
      const int ones = std::countl_one(r.Peek57() & ~(uint64_t{1} << 59));
      const int prefix = ones < 4 ? ones : 4;
      if (!r.Skip(prefix < 4 ? prefix + 1 : 4)) return Fail();
      int64_t dod = 0;
      static constexpr int kBits[] = {0, 14, 17, 20, 64};
      if (prefix > 0) {
        uint64_t raw;
        const int n = kBits[prefix];
        if (!r.Read(n, &raw)) return Fail();
        if (n < 64 && raw > (uint64_t{1} << (n - 1))) raw -= uint64_t{1} << n;  // sign
        dod = static_cast<int64_t>(raw);
      }
      delta += static_cast<uint64_t>(dod);
      t = static_cast<int64_t>(static_cast<uint64_t>(t) + delta);
      if (!ReadValue()) return Fail();
    }
    ++read;
    return true;
  }

  bool Fail() {
    failed = true;
    return false;
  }
};

}  // namespace internal

class XorIterator final : public storage::SeriesIterator {
 public:
  explicit XorIterator(const std::vector<uint8_t>& bytes) : d_(bytes) {}

  bool Next() override {
    if (d_.Next()) return true;
    if (d_.failed) SetCorrupt();
    return false;
  }
  bool Seek(int64_t t) override {
    if (d_.read > 0 && d_.t >= t) return true;
    while (Next()) {
      if (d_.t >= t) return true;
    }
    return false;
  }
  std::pair<int64_t, double> At() const override {
    return {d_.t, std::bit_cast<double>(d_.v_bits)};
  }
  Status status() const override { return status_; }

 private:
  // Out of line: keeps the string building off the per-sample path.
  [[gnu::noinline, gnu::cold]] void SetCorrupt() {
    status_ = DataLossError("xor chunk: corrupt at bit " + std::to_string(d_.r.bit_pos()) +
                            " (sample " + std::to_string(d_.read) + " of " +
                            std::to_string(d_.total) + ")");
  }

  internal::Decoder d_;
  Status status_;
};

}  // namespace vigil::tsdb::chunkenc
