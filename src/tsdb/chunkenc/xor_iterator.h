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

inline int64_t Unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// The decoder, shared by the iterator and XorChunk::FromBytes. Overruns
// (a corrupt count or truncated bytes) show as the position passing the end,
// checked once per sample.
struct Decoder {
  BitReader r;
  size_t pos = 16;  // after the 2-byte sample count
  size_t end_bits;
  uint16_t total;
  uint16_t read = 0;
  int64_t t = 0;
  uint64_t delta = 0;
  uint64_t v_bits = 0;
  uint8_t leading = 0xff;  // 0xff: no XOR window yet
  uint8_t trailing = 0;
  bool failed = false;

  explicit Decoder(const std::vector<uint8_t>& bytes)
      : r(bytes.data(), bytes.size()),
        end_bits(bytes.size() * 8),
        total(bytes.size() >= 2 ? static_cast<uint16_t>((bytes[0] << 8) | bytes[1]) : 0) {
    failed = bytes.size() < 2;
  }

  // Decodes the next sample; false at the end (failed set on corruption).
  [[gnu::always_inline]] bool Next() {
    if (failed || read >= total) return false;
    if (read < 2) [[unlikely]] return NextHead();
    uint64_t w = r.Peek(pos);
    if ((w >> 63) == 0) [[likely]] {
      // Delta-of-delta 0: the regular scrape interval.
      ++pos;
      w <<= 1;
    } else {
      // Buckets 10, 110, 1110 (14, 17, 20 bits) and 1111 (64 bits).
      const int ones = std::countl_one(w);
      const int prefix = ones < 4 ? ones + 1 : 4;
      static constexpr int kBits[] = {0, 14, 17, 20, 64};
      const int n = kBits[ones < 4 ? ones : 4];
      uint64_t raw = r.Bits(pos + prefix, n);
      // Bucket ranges are [-(2^(n-1) - 1), 2^(n-1)], as Prometheus'.
      if (n < 64 && raw > (uint64_t{1} << (n - 1))) raw -= uint64_t{1} << n;
      delta += raw;
      pos += prefix + n;
      w = r.Peek(pos);
    }
    t = static_cast<int64_t>(static_cast<uint64_t>(t) + delta);
    if (!ReadValue(w)) return Fail();
    if (pos > end_bits) [[unlikely]] return Fail();
    ++read;
    return true;
  }

  // Decodes up to the first sample at or after `target`; false if the
  // chunk ends (or fails) first.
  bool SeekTo(int64_t target) {
    // The loop runs on a local copy: with no pointer to it escaping, the
    // compiler keeps the state in registers rather than storing it back
    // through `this` after every sample.
    Decoder d = *this;
    bool found = false;
    while (d.Next()) {
      if (d.t >= target) {
        found = true;
        break;
      }
    }
    *this = d;
    return found;
  }

  // Appends the current sample and the following ones up to maxt; true if
  // it stopped on a sample beyond maxt (which stays current), false at the
  // chunk's end (or failure). REQUIRES: read > 0.
  bool AppendUntil(int64_t maxt, std::vector<storage::SamplePair>* out) {
    Decoder d = *this;  // registers, as in SeekTo
    bool beyond = false;
    do {
      if (d.t > maxt) {
        beyond = true;
        break;
      }
      out->push_back({d.t, std::bit_cast<double>(d.v_bits)});
    } while (d.Next());
    *this = d;
    return beyond;
  }

  bool Fail() {
    failed = true;
    return false;
  }

 private:
  // The value after the timestamp; w holds at least 56 bits from pos.
  // Control bits: 0 (same value), 10 (reuse the window), 11 (new window:
  // 5 bits of leading zeros, 6 of length (0 = 64), then the bits). Counters
  // alternate between the two windowed forms unpredictably, so those are
  // told apart with selects rather than a branch.
  [[gnu::always_inline]] bool ReadValue(uint64_t w) {
    if ((w >> 63) == 0) {
      ++pos;
      return true;
    }
    const bool fresh = ((w >> 62) & 1) != 0;
    const unsigned lz = static_cast<unsigned>(w >> 57) & 0x1f;
    unsigned fresh_sig = static_cast<unsigned>(w >> 51) & 0x3f;
    fresh_sig = fresh_sig == 0 ? 64 : fresh_sig;
    const unsigned lead = fresh ? lz : leading;
    const unsigned sig = fresh ? fresh_sig : 64u - leading - trailing;
    const bool corrupt = fresh ? lz + fresh_sig > 64 : leading == 0xff;
    if (corrupt) [[unlikely]] return false;
    const unsigned trail = 64u - lead - sig;
    const size_t at = pos + (fresh ? 13 : 2);
    v_bits ^= r.Bits(at, static_cast<int>(sig)) << trail;
    pos = at + sig;
    leading = static_cast<uint8_t>(lead);
    trailing = static_cast<uint8_t>(trail);
    return true;
  }

  // The first sample (zigzag varint time, 64-bit value) and the second
  // (varint delta, XOR value).
  [[gnu::noinline]] bool NextHead() {
    if (read == 0) {
      uint64_t zt;
      if (!ReadUvarint(&zt)) return Fail();
      t = Unzigzag(zt);
      v_bits = r.Bits(pos, 64);
      pos += 64;
    } else {
      if (!ReadUvarint(&delta)) return Fail();
      t = static_cast<int64_t>(static_cast<uint64_t>(t) + delta);
      if (!ReadValue(r.Peek(pos))) return Fail();
    }
    if (pos > end_bits) return Fail();
    ++read;
    return true;
  }

  bool ReadUvarint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos + 8 > end_bits) return false;
      const uint64_t byte = r.Peek(pos) >> 56;
      pos += 8;
      v |= (byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return false;  // more than 10 bytes: corrupt
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
    if (d_.SeekTo(t)) return true;
    if (d_.failed) SetCorrupt();
    return false;
  }
  std::pair<int64_t, double> At() const override {
    return {d_.t, std::bit_cast<double>(d_.v_bits)};
  }
  Status status() const override { return status_; }
  void AppendUntil(int64_t maxt, std::vector<storage::SamplePair>* out) override {
    AppendChunkUntil(maxt, out);
  }
  // AppendUntil within this chunk: true if it stopped on a sample beyond
  // maxt (which stays current), false at the chunk's end or on corruption.
  bool AppendChunkUntil(int64_t maxt, std::vector<storage::SamplePair>* out) {
    out->reserve(out->size() + (d_.total - d_.read) + 1);
    const bool beyond = d_.AppendUntil(maxt, out);
    if (d_.failed) SetCorrupt();
    return beyond;
  }

 private:
  // Out of line: keeps the string building off the per-sample path.
  [[gnu::noinline, gnu::cold]] void SetCorrupt() {
    status_ = DataLossError("xor chunk: corrupt at bit " + std::to_string(d_.pos) +
                            " (sample " + std::to_string(d_.read) + " of " +
                            std::to_string(d_.total) + ")");
  }

  internal::Decoder d_;
  Status status_;
};

}  // namespace vigil::tsdb::chunkenc
