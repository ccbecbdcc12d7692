#include "remote/segment_reader.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "base/file.h"
#include "tsdb/wal/wal.h"

namespace vigil::remote {
namespace {

constexpr size_t kHeaderBytes = 9;
constexpr uint8_t kRecordFull = 1;
constexpr size_t kReadBytes = size_t{1} << 20;

uint32_t GetBig32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) |
         (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

uint32_t Crc(uint32_t crc, const char* p, size_t n) {
  if (n == 0) return crc;
  return static_cast<uint32_t>(
      crc32(crc, reinterpret_cast<const Bytef*>(p), static_cast<uInt>(n)));
}

// pread until n bytes or the end of the file; the count read.
Result<size_t> ReadAt(int fd, const std::string& path, char* p, size_t n,
                      uint64_t off) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r =
        ::pread(fd, p + done, n - done, static_cast<off_t>(off + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read", path, errno);
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

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
  const uint32_t length = GetBig32(h + 1);
  const uint32_t stored = GetBig32(h + 5);
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
  const uint32_t crc = Crc(Crc(0, h, 5), h + kHeaderBytes, length);
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
  return (uint64_t{GetBig32(h + 1)} << 32) | GetBig32(h + 5);
}

}  // namespace vigil::remote
