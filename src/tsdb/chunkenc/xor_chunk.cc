#include "tsdb/chunkenc/xor_chunk.h"

#include <bit>
#include <string>

#include "tsdb/chunkenc/bstream.h"
#include "tsdb/chunkenc/xor_iterator.h"

namespace vigil::tsdb::chunkenc {

namespace {

// Whether the signed value x fits the dod bucket of n bits.
bool FitsBits(int64_t x, int n) {
  return x >= -((int64_t{1} << (n - 1)) - 1) && x <= (int64_t{1} << (n - 1));
}

void WriteUvarint(BitWriter& w, uint64_t v) {
  while (v >= 0x80) {
    w.Write((v & 0x7f) | 0x80, 8);
    v >>= 7;
  }
  w.Write(v, 8);
}

uint64_t Zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }

}  // namespace

XorChunk::XorChunk() : bytes_(2, 0) {}

uint16_t XorChunk::num_samples() const {
  return static_cast<uint16_t>((bytes_[0] << 8) | bytes_[1]);
}

Result<XorChunk> XorChunk::FromBytes(std::vector<uint8_t> bytes) {
  if (bytes.size() < 2) return DataLossError("xor chunk: shorter than its 2-byte header");
  XorChunk c;
  internal::Decoder d(bytes);
  while (d.Next()) {
  }
  if (d.failed || d.read != d.total) {
    return DataLossError("xor chunk: corrupt at bit " + std::to_string(d.pos) +
                         " (decoded " + std::to_string(d.read) + " of " +
                         std::to_string(d.total) + " samples)");
  }
  // Bytes after the last used bit would be appended after: refuse them.
  const size_t used = (d.pos + 7) / 8;
  if (used != bytes.size()) {
    return DataLossError("xor chunk: " + std::to_string(bytes.size() - used) +
                         " trailing bytes after " + std::to_string(d.total) + " samples");
  }
  c.free_bits_ = static_cast<int>(used * 8 - d.pos);
  c.bytes_ = std::move(bytes);
  if (d.total > 0) {
    internal::Decoder first(c.bytes_);
    first.Next();
    c.first_t_ = first.t;
  }
  c.t_ = d.t;
  c.delta_ = d.delta;
  c.v_bits_ = d.v_bits;
  c.leading_ = d.leading;
  c.trailing_ = d.trailing;
  return c;
}

void XorChunk::WriteValue(BitWriter& w, uint64_t bits) {
  const uint64_t x = bits ^ v_bits_;
  if (x == 0) {
    w.WriteBit(false);
    return;
  }
  w.WriteBit(true);
  int lz = std::countl_zero(x);
  const int tz = std::countr_zero(x);
  if (lz > 31) lz = 31;  // 5 bits
  if (leading_ != 0xff && lz >= leading_ && tz >= trailing_) {
    w.WriteBit(false);
    w.Write(x >> trailing_, 64 - leading_ - trailing_);
    return;
  }
  leading_ = static_cast<uint8_t>(lz);
  trailing_ = static_cast<uint8_t>(tz);
  const int sig = 64 - lz - tz;
  w.WriteBit(true);
  w.Write(static_cast<uint64_t>(lz), 5);
  w.Write(static_cast<uint64_t>(sig == 64 ? 0 : sig), 6);
  w.Write(x >> tz, sig);
}

Status XorChunk::Append(int64_t t, double v) {
  const uint16_t n = num_samples();
  if (n > 0) {
    if (t == t_) {
      return AlreadyExistsError("duplicate sample for timestamp " + std::to_string(t));
    }
    if (t < t_) {
      return OutOfRangeError("out-of-order sample: timestamp " + std::to_string(t) +
                             " is before the last one, " + std::to_string(t_));
    }
  }
  if (n == kMaxSamples) return ResourceExhaustedError("xor chunk is full");
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  BitWriter w(&bytes_);
  w.set_free_bits(free_bits_);
  if (n == 0) {
    WriteUvarint(w, Zigzag(t));
    w.Write(bits, 64);
    first_t_ = t;
  } else if (n == 1) {
    delta_ = static_cast<uint64_t>(t) - static_cast<uint64_t>(t_);
    WriteUvarint(w, delta_);
    WriteValue(w, bits);
  } else {
    const uint64_t delta = static_cast<uint64_t>(t) - static_cast<uint64_t>(t_);
    const int64_t dod = static_cast<int64_t>(delta - delta_);
    if (dod == 0) {
      w.WriteBit(false);
    } else if (FitsBits(dod, 14)) {
      w.Write(0b10, 2);
      w.Write(static_cast<uint64_t>(dod), 14);
    } else if (FitsBits(dod, 17)) {
      w.Write(0b110, 3);
      w.Write(static_cast<uint64_t>(dod), 17);
    } else if (FitsBits(dod, 20)) {
      w.Write(0b1110, 4);
      w.Write(static_cast<uint64_t>(dod), 20);
    } else {
      w.Write(0b1111, 4);
      w.Write(static_cast<uint64_t>(dod), 64);
    }
    delta_ = delta;
    WriteValue(w, bits);
  }
  free_bits_ = w.free_bits();
  t_ = t;
  v_bits_ = bits;
  bytes_[0] = static_cast<uint8_t>((n + 1) >> 8);
  bytes_[1] = static_cast<uint8_t>((n + 1) & 0xff);
  return Status::OK();
}

std::unique_ptr<storage::SeriesIterator> XorChunk::NewIterator() const {
  return std::make_unique<XorIterator>(bytes_);
}

}  // namespace vigil::tsdb::chunkenc
