#include "anomaly/state.h"

#include <bit>

#include "base/coding.h"

namespace vigil::anomaly {

void StateWriter::U32(uint32_t v) { PutFixed32(&out_, v); }

void StateWriter::U64(uint64_t v) {
  PutFixed32(&out_, static_cast<uint32_t>(v));
  PutFixed32(&out_, static_cast<uint32_t>(v >> 32));
}

void StateWriter::F64(double v) { U64(std::bit_cast<uint64_t>(v)); }

void StateWriter::Str(std::string_view s) {
  U64(s.size());
  out_.append(s);
}

void StateWriter::F64s(const std::vector<double>& v) {
  U64(v.size());
  for (double x : v) F64(x);
}

Status StateReader::Need(size_t n, std::string_view what) const {
  if (remaining() < n) {
    return DataLossError("anomaly state truncated at byte " + std::to_string(pos_) +
                         " reading " + std::string(what));
  }
  return Status::OK();
}

Result<uint32_t> StateReader::U32(std::string_view what) {
  if (Status s = Need(4, what); !s.ok()) return s;
  std::string_view in = in_.substr(pos_);
  uint32_t v = 0;
  GetFixed32(&in, &v);
  pos_ += 4;
  return v;
}

Result<uint64_t> StateReader::U64(std::string_view what) {
  if (Status s = Need(8, what); !s.ok()) return s;
  std::string_view in = in_.substr(pos_);
  uint32_t lo = 0, hi = 0;
  GetFixed32(&in, &lo);
  GetFixed32(&in, &hi);
  pos_ += 8;
  return static_cast<uint64_t>(hi) << 32 | lo;
}

Result<int64_t> StateReader::I64(std::string_view what) {
  Result<uint64_t> v = U64(what);
  if (!v.ok()) return v.status();
  return static_cast<int64_t>(v.value());
}

Result<double> StateReader::F64(std::string_view what) {
  Result<uint64_t> v = U64(what);
  if (!v.ok()) return v.status();
  return std::bit_cast<double>(v.value());
}

Result<bool> StateReader::Bool(std::string_view what) {
  Result<uint32_t> v = U32(what);
  if (!v.ok()) return v.status();
  if (v.value() > 1) return DataLossError("anomaly state: " + std::string(what) + " is not a bool");
  return v.value() == 1;
}

Result<std::string> StateReader::Str(std::string_view what) {
  Result<uint64_t> n = U64(what);
  if (!n.ok()) return n.status();
  if (Status s = Need(n.value(), what); !s.ok()) return s;
  std::string out(in_.substr(pos_, n.value()));
  pos_ += n.value();
  return out;
}

Result<std::vector<double>> StateReader::F64s(std::string_view what, size_t max) {
  Result<uint64_t> n = U64(what);
  if (!n.ok()) return n.status();
  if (n.value() > max) {
    return DataLossError("anomaly state: " + std::string(what) + " holds " +
                         std::to_string(n.value()) + " values, more than " + std::to_string(max));
  }
  if (Status s = Need(n.value() * 8, what); !s.ok()) return s;
  std::vector<double> out;
  out.reserve(n.value());
  for (uint64_t i = 0; i < n.value(); ++i) out.push_back(F64(what).value());
  return out;
}

Status StateReader::Finish() const {
  if (remaining() != 0) {
    return DataLossError("anomaly state: " + std::to_string(remaining()) +
                         " unexpected bytes at the end");
  }
  return Status::OK();
}

}  // namespace vigil::anomaly
