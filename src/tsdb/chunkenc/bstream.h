// Bit streams for chunk encodings: a writer that appends bits MSB-first to a
// byte vector and a reader that consumes them, reporting (not crashing on)
// reads past the end.
//
// Thread safety: not thread-safe.
#pragma once

#include <cstdint>
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

class BitReader {
 public:
  BitReader(const uint8_t* data, size_t size, size_t bit_pos = 0)
      : data_(data), size_bits_(size * 8), pos_(bit_pos) {}
  // Reads n bits (n <= 64); false (and no change) past the end.
  bool Read(int n, uint64_t* v) {
    if (pos_ + static_cast<size_t>(n) > size_bits_) return false;
    uint64_t r = 0;
    for (int i = 0; i < n;) {
      const size_t byte = pos_ >> 3;
      const int off = static_cast<int>(pos_ & 7);
      const int avail = 8 - off;
      const int take = (n - i) < avail ? (n - i) : avail;
      const uint64_t bits = (static_cast<uint64_t>(data_[byte]) >> (avail - take)) &
                            ((uint64_t{1} << take) - 1);
      r = (r << take) | bits;
      pos_ += static_cast<size_t>(take);
      i += take;
    }
    *v = r;
    return true;
  }
  bool ReadBit(bool* b) {
    uint64_t v;
    if (!Read(1, &v)) return false;
    *b = v != 0;
    return true;
  }
  size_t bit_pos() const { return pos_; }

 private:
  const uint8_t* data_;
  size_t size_bits_;
  size_t pos_;
};

}  // namespace vigil::tsdb::chunkenc
