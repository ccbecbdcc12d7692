// Bit streams for chunk encodings: a writer that appends bits MSB-first to a
// byte vector and a reader that consumes them, reporting (not crashing on)
// reads past the end.
//
// Thread safety: not thread-safe.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <vector>

namespace vigil::tsdb::chunkenc {

class BitWriter {
 public:
  explicit BitWriter(std::vector<uint8_t>* out) : out_(out) {}
  // Appends the low `n` bits of `v` (n <= 64), most significant first.
  void Write(uint64_t v, int n) {
    while (n > 0) {
      if (free_ == 0) {
        out_->push_back(0);
        free_ = 8;
      }
      const int take = n < free_ ? n : free_;
      const uint64_t bits = (v >> (n - take)) & ((uint64_t{1} << take) - 1);
      out_->back() |= static_cast<uint8_t>(bits << (free_ - take));
      free_ -= take;
      n -= take;
    }
  }
  void WriteBit(bool b) { Write(b ? 1 : 0, 1); }
  // Bits still free in the last byte (0-7); for resuming an existing stream.
  int free_bits() const { return free_; }
  void set_free_bits(int f) { free_ = f; }

 private:
  std::vector<uint8_t>* out_;
  int free_ = 0;  // unused low bits of out_->back()
};

// Reads MSB-first by absolute bit position. Peek loads the eight bytes
// holding the position with one unaligned load, so reading a field is a
// load, a shift and a bump of the caller's position, with no buffer state
// carried from one field to the next. Bits past the end read as zero: a
// decoder checks its position against size_bits() to detect an overrun.
class BitReader {
 public:
  BitReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  // At least 57 bits starting at bit `pos`, most significant first, in the
  // top of the word.
  [[gnu::always_inline]] uint64_t Peek(size_t pos) const {
    const size_t byte = pos >> 3;
    uint64_t w;
    if (byte + 8 <= size_) [[likely]] {
      std::memcpy(&w, data_ + byte, 8);
      if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
    } else {
      w = PeekTail(byte);
    }
    return w << (pos & 7);
  }
  // n bits (1 <= n <= 64) starting at bit `pos`, in the low bits.
  [[gnu::always_inline]] uint64_t Bits(size_t pos, int n) const {
    if (n <= 57) [[likely]] return Peek(pos) >> (64 - n);
    return (Peek(pos) >> 32) << (n - 32) | Peek(pos + 32) >> (96 - n);
  }
  size_t size_bits() const { return size_ * 8; }

 private:
  // The last (fewer than 8) bytes, zero-filled.
  uint64_t PeekTail(size_t byte) const {
    uint64_t w = 0;
    for (int k = 0; k < 8 && byte + k < size_; ++k) {
      w |= static_cast<uint64_t>(data_[byte + k]) << (56 - 8 * k);
    }
    return w;
  }

  const uint8_t* data_;
  size_t size_;
};

}  // namespace vigil::tsdb::chunkenc
