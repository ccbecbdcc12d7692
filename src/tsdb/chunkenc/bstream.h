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

// Reads MSB-first through a 64-bit buffer refilled a word at a time, as
// Prometheus' bstreamReader does.
class BitReader {
 public:
  BitReader(const uint8_t* data, size_t size, size_t bit_pos = 0)
      : data_(data), size_(size), next_(bit_pos >> 3) {
    if ((bit_pos & 7) != 0) {
      Refill();
      Skip(static_cast<int>(bit_pos & 7));
    }
  }
  // Reads n bits (n <= 64); false (and no change) past the end.
  bool Read(int n, uint64_t* v) {
    if (n > 56) {
      if (bits_left() < static_cast<size_t>(n)) return false;
      uint64_t hi = 0, lo = 0;
      Read(n - 32, &hi);
      Read(32, &lo);
      *v = (hi << 32) | lo;
      return true;
    }
    if (valid_ < n) {
      Refill();
      if (valid_ < n) return false;
    }
    *v = n == 0 ? 0 : buf_ >> (64 - n);
    Consume(n);
    return true;
  }
  // The next (up to) 57 bits, most significant first, in the top of the
  // word; bits past the end read as zero. Does not advance.
  uint64_t Peek57() {
    if (valid_ < 57) Refill();
    return buf_;
  }
  // Advances n bits (n <= 56); false (and no change) past the end.
  bool Skip(int n) {
    if (valid_ < n) {
      Refill();
      if (valid_ < n) return false;
    }
    Consume(n);
    return true;
  }
  size_t bit_pos() const { return next_ * 8 - static_cast<size_t>(valid_); }
  size_t bits_left() const { return size_ * 8 - bit_pos(); }

 private:
  void Consume(int n) {
    buf_ = n == 64 ? 0 : buf_ << n;
    valid_ -= n;
  }
  // Tops the buffer up to at least 57 valid bits, or to the end of the data.
  // Bits below the valid ones are always zero.
  void Refill() {
    if (next_ + 8 <= size_) {
      uint64_t w;
      std::memcpy(&w, data_ + next_, 8);
      if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
      const int bytes = (64 - valid_) >> 3;
      buf_ |= w >> valid_;
      next_ += static_cast<size_t>(bytes);
      valid_ += 8 * bytes;
      if (valid_ < 64) buf_ &= ~(~uint64_t{0} >> valid_);
      return;
    }
    while (valid_ <= 56 && next_ < size_) {
      buf_ |= static_cast<uint64_t>(data_[next_++]) << (56 - valid_);
      valid_ += 8;
    }
  }

  const uint8_t* data_;
  size_t size_;
  size_t next_;       // next byte to load
  uint64_t buf_ = 0;  // valid_ bits at the top
  int valid_ = 0;
};

}  // namespace vigil::tsdb::chunkenc
