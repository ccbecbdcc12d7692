#include "tsdb/record.h"

#include <bit>
#include <string>

#include "base/coding.h"
#include "vigil/status.h"

namespace vigil::tsdb::record {

namespace {

void PutBig64(std::string* dst, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    dst->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

// Reads fields front to back; the first failure sticks and names the byte
// position where the failing field starts.
class Decbuf {
 public:
  Decbuf(std::string_view what, std::string_view b) : what_(what), b_(b) {}

  bool ok() const { return err_.empty(); }
  size_t remaining() const { return b_.size() - pos_; }
  size_t pos() const { return pos_; }

  uint8_t Byte(std::string_view field) {
    if (!Need(1, field)) return 0;
    return static_cast<uint8_t>(b_[pos_++]);
  }

  uint64_t Big64(std::string_view field) {
    if (!Need(8, field)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
      v = (v << 8) | static_cast<uint8_t>(b_[pos_ + i]);
    }
    pos_ += 8;
    return v;
  }

  uint64_t Uvarint(std::string_view field) {
    if (!ok()) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < 10; ++i) {
      if (pos_ + i >= b_.size()) {
        Fail(field, "truncated varint");
        return 0;
      }
      const uint8_t byte = static_cast<uint8_t>(b_[pos_ + i]);
      if (i == 9 && byte > 1) break;  // more than 64 bits
      v |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) {
        pos_ += i + 1;
        return v;
      }
    }
    Fail(field, "varint overflows 64 bits");
    return 0;
  }

  int64_t Varint(std::string_view field) {
    const uint64_t z = Uvarint(field);
    return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
  }

  std::string_view String(std::string_view field) {
    const uint64_t n = Uvarint(field);
    if (!ok()) return {};
    if (n > remaining()) {
      Fail(field, "length " + std::to_string(n) + " exceeds the " +
                      std::to_string(remaining()) + " bytes left");
      return {};
    }
    std::string_view s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }

  void Fail(std::string_view field, std::string_view why) {
    if (!ok()) return;
    err_ = "record: corrupt " + std::string(what_) + " record at byte " +
           std::to_string(pos_) + " (" + std::string(field) +
           "): " + std::string(why);
  }

  Status status() const { return ok() ? Status() : DataLossError(err_); }

 private:
  bool Need(size_t n, std::string_view field) {
    if (!ok()) return false;
    if (remaining() < n) {
      Fail(field, "want " + std::to_string(n) + " bytes, have " +
                      std::to_string(remaining()));
      return false;
    }
    return true;
  }

  std::string_view what_;
  std::string_view b_;
  size_t pos_ = 0;
  std::string err_;
};

// Consumes the type byte; false (with the error set) unless it is `want`.
bool ExpectType(Decbuf& d, Type want) {
  const uint8_t got = d.Byte("type");
  if (!d.ok()) return false;
  if (got != static_cast<uint8_t>(want)) {
    d.Fail("type", "want type " + std::to_string(static_cast<int>(want)) +
                       ", got " + std::to_string(got));
    return false;
  }
  return true;
}

}  // namespace

Type GetType(std::string_view rec) {
  if (rec.empty()) return Type::kUnknown;
  switch (static_cast<uint8_t>(rec[0])) {
    case static_cast<uint8_t>(Type::kSeries):
      return Type::kSeries;
    case static_cast<uint8_t>(Type::kSamples):
      return Type::kSamples;
    default:
      return Type::kUnknown;
  }
}

void StartSeriesRecord(std::string* rec) {
  rec->push_back(static_cast<char>(Type::kSeries));
}

void AppendSeriesHeader(uint64_t ref, size_t label_count, std::string* rec) {
  PutBig64(rec, ref);
  PutUvarint(rec, label_count);
}

void AppendSeriesLabel(std::string_view name, std::string_view value,
                       std::string* rec) {
  PutLengthPrefixed(rec, name);
  PutLengthPrefixed(rec, value);
}

std::string EncodeSeries(std::span<const RefSeries> series) {
  std::string out;
  StartSeriesRecord(&out);
  for (const RefSeries& s : series) {
    AppendSeriesHeader(s.ref, s.labels.size(), &out);
    for (const auto& [name, value] : s.labels) {
      AppendSeriesLabel(name, value, &out);
    }
  }
  return out;
}

Result<std::vector<RefSeries>> DecodeSeries(std::string_view rec) {
  Decbuf d("series", rec);
  std::vector<RefSeries> out;
  if (!ExpectType(d, Type::kSeries)) return d.status();
  while (d.ok() && d.remaining() > 0) {
    RefSeries s;
    s.ref = d.Big64("ref");
    const uint64_t n = d.Uvarint("label count");
    if (!d.ok()) break;
    // Every label takes at least two bytes: never reserve on trust.
    if (n > d.remaining() / 2) {
      d.Fail("label count", std::to_string(n) + " labels cannot fit in " +
                                std::to_string(d.remaining()) + " bytes");
      break;
    }
    s.labels.reserve(n);
    for (uint64_t i = 0; i < n && d.ok(); ++i) {
      std::string_view name = d.String("label name");
      std::string_view value = d.String("label value");
      s.labels.emplace_back(std::string(name), std::string(value));
    }
    out.push_back(std::move(s));
  }
  if (!d.ok()) return d.status();
  return out;
}

std::string EncodeSamples(std::span<const RefSample> samples) {
  std::string out;
  out.push_back(static_cast<char>(Type::kSamples));
  if (samples.empty()) return out;
  out.reserve(17 + samples.size() * 12);
  const uint64_t base_ref = samples[0].ref;
  const uint64_t base_t = static_cast<uint64_t>(samples[0].t);
  PutBig64(&out, base_ref);
  PutBig64(&out, base_t);
  for (const RefSample& s : samples) {
    // Deltas in wrapping 64-bit arithmetic, so any pair of values fits.
    PutVarint(&out, static_cast<int64_t>(s.ref - base_ref));
    PutVarint(&out, static_cast<int64_t>(static_cast<uint64_t>(s.t) - base_t));
    PutBig64(&out, std::bit_cast<uint64_t>(s.v));
  }
  return out;
}

Result<std::vector<RefSample>> DecodeSamples(std::string_view rec) {
  Decbuf d("samples", rec);
  std::vector<RefSample> out;
  if (!ExpectType(d, Type::kSamples)) return d.status();
  if (d.remaining() == 0) return out;
  const uint64_t base_ref = d.Big64("base ref");
  const uint64_t base_t = d.Big64("base timestamp");
  if (d.ok() && d.remaining() == 0) d.Fail("samples", "base without samples");
  // A sample takes at least 10 bytes (two 1-byte varints and the value).
  out.reserve(d.remaining() / 10);
  while (d.ok() && d.remaining() > 0) {
    RefSample s;
    s.ref = base_ref + static_cast<uint64_t>(d.Varint("ref delta"));
    s.t = static_cast<int64_t>(base_t +
                               static_cast<uint64_t>(d.Varint("time delta")));
    s.v = std::bit_cast<double>(d.Big64("value"));
    if (d.ok()) out.push_back(s);
  }
  if (!d.ok()) return d.status();
  return out;
}

}  // namespace vigil::tsdb::record
