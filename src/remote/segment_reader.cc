#include "remote/segment_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "base/file.h"
#include "tsdb/wal/wal.h"

namespace vigil::remote {
namespace {

using tsdb::wal::kRecordFull;
constexpr size_t kHeaderBytes = tsdb::wal::kRecordHeaderBytes;
constexpr size_t kReadBytes = size_t{1} << 20;

}  // namespace

SegmentReader::SegmentReader(int fd, std::string path, uint64_t offset)
    : fd_(fd), path_(std::move(path)), pos_(offset), buf_off_(offset) {}

SegmentReader::~SegmentReader() { ::close(fd_); }

Result<std::unique_ptr<SegmentReader>> SegmentReader::Open(std::string path,
                                                           uint64_t offset) {
  Result<int> fd = OpenFile(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<SegmentReader>(
      new SegmentReader(*fd, std::move(path), offset));
}

bool SegmentReader::Fill(uint64_t n) {
  const uint64_t have_end = buf_off_ + buf_.size();
  if (pos_ >= buf_off_ && pos_ + n <= have_end) return true;
  // Drop what lies before pos_, keep the rest, read more after it.
  if (pos_ >= buf_off_ && pos_ <= have_end) {
    buf_.erase(0, static_cast<size_t>(pos_ - buf_off_));
  } else {
    buf_.clear();
  }
  buf_off_ = pos_;
  const size_t have = buf_.size();
  const size_t want = static_cast<size_t>(std::max<uint64_t>(n, kReadBytes));
  buf_.resize(want);
  Result<size_t> got =
      ReadAt(fd_, path_, buf_.data() + have, want - have, buf_off_ + have);
  if (!got.ok()) {
    buf_.resize(have);
    status_ = got.status();
    return false;
  }
  buf_.resize(have + *got);
  size_ = std::max(size_, buf_off_ + buf_.size());
  return buf_.size() >= n;
}

SegmentReader::Outcome SegmentReader::Next() {
  record_ = {};
  if (!Fill(kHeaderBytes)) {
    if (!status_.ok()) return Outcome::kError;
    if (buf_.empty()) return Outcome::kEnd;
    reason_ = "torn record header (" + std::to_string(buf_.size()) + " of " +
              std::to_string(kHeaderBytes) + " bytes)";
    return Outcome::kPartial;
  }
  const char* h = buf_.data() + (pos_ - buf_off_);
  const uint8_t type = static_cast<uint8_t>(h[0]);
  if (type != kRecordFull) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%02x", type);
    reason_ = std::string("invalid record type ") + hex;
    return Outcome::kCorrupt;
  }
  const tsdb::wal::RecordHeader header = tsdb::wal::ParseRecordHeader(h);
  const uint32_t length = header.length;
  const uint32_t stored = header.crc;
  if (length > tsdb::wal::kMaxRecordBytes) {
    reason_ = "record length " + std::to_string(length) +
              " exceeds the maximum " +
              std::to_string(tsdb::wal::kMaxRecordBytes);
    return Outcome::kCorrupt;
  }
  if (!Fill(kHeaderBytes + length)) {
    if (!status_.ok()) return Outcome::kError;
    reason_ = "torn record (payload of " + std::to_string(length) +
              " bytes, " +
              std::to_string(buf_.size() - std::min(buf_.size(), kHeaderBytes)) +
              " present)";
    return Outcome::kPartial;
  }
  h = buf_.data() + (pos_ - buf_off_);
  const uint32_t crc = tsdb::wal::RecordCrc(h, std::string_view(h + kHeaderBytes, length));
  if (crc != stored) {
    char msg[96];
    std::snprintf(msg, sizeof(msg),
                  "checksum mismatch (stored 0x%08x, computed 0x%08x)", stored,
                  crc);
    reason_ = msg;
    return Outcome::kCorrupt;
  }
  record_ = std::string_view(h + kHeaderBytes, length);
  pos_ += kHeaderBytes + length;
  return Outcome::kRecord;
}

Result<uint64_t> SegmentFingerprint(const std::string& path) {
  Result<int> fd = OpenFile(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  char h[kHeaderBytes];
  Result<size_t> got = ReadAt(*fd, path, h, kHeaderBytes, 0);
  ::close(*fd);
  if (!got.ok()) return got.status();
  if (*got < kHeaderBytes) return uint64_t{0};
  // The first record's length and CRC.
  const tsdb::wal::RecordHeader first = tsdb::wal::ParseRecordHeader(h);
  return (uint64_t{first.length} << 32) | first.crc;
}

}  // namespace vigil::remote
