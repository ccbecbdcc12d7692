#include "tsdb/wal/wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

#include "base/file.h"
#include "base/status_macros.h"

namespace vigil::tsdb::wal {

namespace {

constexpr size_t kHeaderBytes = kRecordHeaderBytes;
constexpr size_t kReadAheadBytes = size_t{1} << 20;

// Errno errors of the WAL carry its prefix.
Status ErrnoStatus(std::string_view op, std::string_view path, int err) {
  Status s = ErrnoError(op, path, err);
  return Status(s.code(), "wal: " + std::string(s.message()));
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string p(dir);
  p += '/';
  p += name;
  return p;
}

void PutBig32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

uint32_t GetBig32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) |
         (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

uint32_t Crc(uint32_t crc, const char* p, size_t n) {
  // zlib answers its initial value for a null buffer, whatever crc says; an
  // empty string_view may have one.
  if (n == 0) return crc;
  return static_cast<uint32_t>(
      crc32(crc, reinterpret_cast<const Bytef*>(p), static_cast<uInt>(n)));
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

Status WriteAt(int fd, const std::string& path, const char* p, size_t n,
               uint64_t off) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    if (w == 0) return InternalError("wal: write " + path + ": wrote nothing");
    p += w;
    n -= static_cast<size_t>(w);
    off += static_cast<uint64_t>(w);
  }
  return Status();
}

// Reads up to n bytes at off; fewer only at the end of the file. Errors
// carry the WAL's prefix.
Result<size_t> ReadAt(int fd, const std::string& path, char* p, size_t n, uint64_t off) {
  Result<size_t> r = vigil::ReadAt(fd, path, p, n, off);
  if (!r.ok()) return Status(r.status().code(), "wal: " + std::string(r.status().message()));
  return r;
}

Status TruncateFile(const std::string& path, uint64_t size) {
  VIGIL_ASSIGN_OR_RETURN(int fd, OpenFile(path, O_WRONLY));
  Status s;
  while (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    if (errno != EINTR) {
      s = ErrnoStatus("truncate", path, errno);
      break;
    }
  }
  if (s.ok()) s = FsyncFile(fd, path);
  ::close(fd);
  return s;
}

Result<uint64_t> FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
  return static_cast<uint64_t>(st.st_size);
}

// Parses a canonical segment name ("00000003"); -1 for anything else.
int ParseSegmentName(std::string_view name) {
  if (name.size() < 8 || name.size() > 10) return -1;
  int64_t v = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  if (v > INT_MAX) return -1;
  const int index = static_cast<int>(v);
  return SegmentName(index) == name ? index : -1;
}

}  // namespace

RecordHeader ParseRecordHeader(const char* h) {
  return RecordHeader{.type = static_cast<uint8_t>(h[0]),
                      .length = GetBig32(h + 1),
                      .crc = GetBig32(h + 5)};
}

uint32_t RecordCrc(const char* h, std::string_view payload) {
  return Crc(Crc(0, h, 5), payload.data(), payload.size());
}

namespace internal {

// An open segment being written. Closes on destruction.
class SegmentFile {
 public:
  SegmentFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~SegmentFile() { ::close(fd_); }
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  Status Sync() const { return FsyncFile(fd_, path_); }

 private:
  const int fd_;
  const std::string path_;
};

// Reads the records of one segment file front to back, checking each. The
// file's size is taken once, at Open.
class SegmentScanner {
 public:
  enum class Outcome { kRecord, kEnd, kCorrupt, kError };

  static Result<std::unique_ptr<SegmentScanner>> Open(std::string path) {
    VIGIL_ASSIGN_OR_RETURN(int fd, OpenFile(path, O_RDONLY));
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      Status s = ErrnoStatus("stat", path, errno);
      ::close(fd);
      return s;
    }
    return std::unique_ptr<SegmentScanner>(new SegmentScanner(
        fd, std::move(path), static_cast<uint64_t>(st.st_size)));
  }

  ~SegmentScanner() { ::close(fd_); }
  SegmentScanner(const SegmentScanner&) = delete;
  SegmentScanner& operator=(const SegmentScanner&) = delete;

  // kRecord: record() and offset() describe it. kEnd: clean end of file.
  // kCorrupt: the record at offset() is bad, reason() says why. kError: an
  // I/O error, in status().
  Outcome Next() {
    if (pos_ == size_) return Outcome::kEnd;
    offset_ = pos_;
    const uint64_t avail = size_ - pos_;
    if (!Load(pos_, std::min<uint64_t>(avail, kHeaderBytes))) {
      return Outcome::kError;
    }
    const char* h = At(pos_);
    const uint8_t type = static_cast<uint8_t>(h[0]);
    if (type == 0) {
      bool zeros = false;
      if (!AllZero(pos_, &zeros)) return Outcome::kError;
      return Corrupt(zeros
                         ? "zero padding (" + std::to_string(avail) + " bytes)"
                         : std::string("invalid record type 0x00"));
    }
    if (avail < kHeaderBytes) {
      return Corrupt("torn record header (" + std::to_string(avail) + " of " +
                     std::to_string(kHeaderBytes) + " bytes)");
    }
    if (type != kRecordFull) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "0x%02x", type);
      return Corrupt(std::string("invalid record type ") + hex);
    }
    const RecordHeader header = ParseRecordHeader(h);
    const uint32_t length = header.length;
    const uint32_t stored = header.crc;
    if (length > kMaxRecordBytes) {
      return Corrupt("record length " + std::to_string(length) +
                     " exceeds the maximum " + std::to_string(kMaxRecordBytes));
    }
    if (length > avail - kHeaderBytes) {
      return Corrupt("torn record (payload of " + std::to_string(length) +
                     " bytes, " + std::to_string(avail - kHeaderBytes) +
                     " present)");
    }
    if (!Load(pos_, kHeaderBytes + length)) return Outcome::kError;
    h = At(pos_);
    const uint32_t crc = RecordCrc(h, std::string_view(h + kHeaderBytes, length));
    if (crc != stored) {
      return Corrupt("checksum mismatch (stored " + Hex32(stored) +
                     ", computed " + Hex32(crc) + ")");
    }
    record_ = std::string_view(h + kHeaderBytes, length);
    pos_ += kHeaderBytes + length;
    return Outcome::kRecord;
  }

  std::string_view record() const { return record_; }
  uint64_t offset() const { return offset_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  const std::string& reason() const { return reason_; }
  Status status() const { return status_; }

 private:
  SegmentScanner(int fd, std::string path, uint64_t size)
      : fd_(fd), path_(std::move(path)), size_(size) {}

  Outcome Corrupt(std::string reason) {
    reason_ = std::move(reason);
    return Outcome::kCorrupt;
  }

  const char* At(uint64_t off) const { return buf_.data() + (off - buf_off_); }

  // Makes bytes [off, off + n) available at At(off).
  // REQUIRES: off + n <= size_.
  bool Load(uint64_t off, uint64_t n) {
    if (off >= buf_off_ && off + n <= buf_off_ + buf_.size()) return true;
    const size_t want = static_cast<size_t>(std::min<uint64_t>(
        std::max<uint64_t>(n, kReadAheadBytes), size_ - off));
    buf_.resize(want);
    buf_off_ = off;
    Result<size_t> got = ReadAt(fd_, path_, buf_.data(), want, off);
    if (!got.ok()) {
      buf_.clear();
      status_ = got.status();
      return false;
    }
    if (*got < want) {  // shrank since Open
      buf_.clear();
      status_ = DataLossError("wal: " + path_ + " shrank while being read (" +
                              std::to_string(off + *got) + " < " +
                              std::to_string(size_) + " bytes)");
      return false;
    }
    return true;
  }

  // Whether every byte from off to the end of the file is zero.
  bool AllZero(uint64_t off, bool* zeros) {
    while (off < size_) {
      const uint64_t n = std::min<uint64_t>(size_ - off, kReadAheadBytes);
      if (!Load(off, n)) return false;
      const char* p = At(off);
      if (!std::all_of(p, p + n, [](char c) { return c == 0; })) {
        *zeros = false;
        return true;
      }
      off += n;
    }
    *zeros = true;
    return true;
  }

  const int fd_;
  const std::string path_;
  const uint64_t size_;
  uint64_t pos_ = 0;     // start of the next record
  uint64_t offset_ = 0;  // start of the last record returned or rejected
  std::string buf_;      // bytes [buf_off_, buf_off_ + buf_.size())
  uint64_t buf_off_ = 0;
  std::string_view record_;
  std::string reason_;
  Status status_;
};

}  // namespace internal

using internal::SegmentFile;
using internal::SegmentScanner;

std::string SegmentName(int index) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08d", index);
  return buf;
}

Result<SegmentRange> ListSegments(std::string_view dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(std::filesystem::path(dir), ec);
  if (ec) return ErrnoStatus("list", dir, ec.value());
  std::vector<int> indexes;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return ErrnoStatus("list", dir, ec.value());
    const int index = ParseSegmentName(it->path().filename().native());
    if (index >= 0) indexes.push_back(index);
  }
  if (ec) return ErrnoStatus("list", dir, ec.value());
  if (indexes.empty()) return SegmentRange{};
  std::sort(indexes.begin(), indexes.end());
  for (size_t i = 1; i < indexes.size(); ++i) {
    if (indexes[i] != indexes[i - 1] + 1) {
      return DataLossError(
          "wal: segments in " + std::string(dir) +
          " are not sequential: " + SegmentName(indexes[i - 1]) +
          " is followed by " + SegmentName(indexes[i]));
    }
  }
  return SegmentRange{indexes.front(), indexes.back()};
}

// --- Wal -------------------------------------------------------------------

namespace {

WalOptions WithDefaults(WalOptions o) {
  if (!o.warning_sink) {
    o.warning_sink = [](std::string_view msg) {
      std::fprintf(stderr, "%.*s\n", static_cast<int>(msg.size()), msg.data());
    };
  }
  return o;
}

}  // namespace

Wal::Wal(const WalOptions& options, std::string dir)
    : options_(WithDefaults(options)), dir_(std::move(dir)) {}

Wal::~Wal() {
  Status s = Close();
  if (!s.ok()) Warn("wal: closing " + dir_ + ": " + s.ToString());
}

void Wal::Warn(std::string_view message) const {
  options_.warning_sink(message);
}

Result<std::unique_ptr<Wal>> Wal::Open(const WalOptions& options,
                                       std::string dir) {
  if (options.segment_size_bytes == 0) {
    return InvalidArgumentError("wal: segment_size_bytes must be positive");
  }
  if (options.fsync_interval.count() < 0) {
    return InvalidArgumentError("wal: fsync_interval must not be negative");
  }
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir.empty()) return InvalidArgumentError("wal: empty directory name");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return ErrnoStatus("create directory", dir, ec.value());

  std::unique_ptr<Wal> wal(new Wal(options, std::move(dir)));
  VIGIL_RETURN_IF_ERROR(wal->Recover());
  if (options.fsync_interval.count() > 0) {
    MutexLock l(&wal->close_mu_);
    Wal* w = wal.get();
    wal->flusher_ = std::jthread([w](std::stop_token st) { w->FlushLoop(st); });
  }
  return wal;
}

Status Wal::Recover() {
  VIGIL_ASSIGN_OR_RETURN(SegmentRange r, ListSegments(dir_));
  uint64_t last_size = 0;
  for (int i = r.first; i <= r.last; ++i) {
    VIGIL_ASSIGN_OR_RETURN(
        std::unique_ptr<SegmentScanner> scanner,
        SegmentScanner::Open(JoinPath(dir_, SegmentName(i))));
    SegmentScanner::Outcome o;
    while ((o = scanner->Next()) == SegmentScanner::Outcome::kRecord) {
    }
    if (o == SegmentScanner::Outcome::kError) return scanner->status();
    last_size = scanner->size();
    if (o == SegmentScanner::Outcome::kEnd) continue;

    // Corrupt: cut here. Later segments go first, newest first, so a crash
    // midway leaves a gapless prefix and the next Open repeats the repair.
    const uint64_t offset = scanner->offset();
    const std::string path = scanner->path();
    std::string msg = (i == r.last ? "wal: truncating corrupt tail of "
                                   : "wal: truncating corrupt segment ") +
                      path + " at offset " + std::to_string(offset) + ": " +
                      scanner->reason() + " (" +
                      std::to_string(scanner->size() - offset) +
                      " bytes dropped)";
    scanner.reset();
    if (i < r.last) {
      uint64_t later_bytes = 0;
      for (int j = r.last; j > i; --j) {
        const std::string later = JoinPath(dir_, SegmentName(j));
        VIGIL_ASSIGN_OR_RETURN(uint64_t size, FileSize(later));
        if (::unlink(later.c_str()) != 0) {
          return ErrnoStatus("delete", later, errno);
        }
        later_bytes += size;
      }
      msg += "; deleting later segments " + SegmentName(i + 1) +
             (i + 1 < r.last ? ".." + SegmentName(r.last) : "") + " (" +
             std::to_string(later_bytes) + " bytes)";
    }
    VIGIL_RETURN_IF_ERROR(TruncateFile(path, offset));
    VIGIL_RETURN_IF_ERROR(SyncDir(dir_));
    Warn(msg);
    r.last = i;
    last_size = offset;
    break;
  }

  MutexLock l(&mu_);
  if (r.first > r.last) {
    first_ = 0;
    return CreateSegmentLocked(0);
  }
  first_ = r.first;
  if (last_size > 0) return CreateSegmentLocked(r.last + 1);
  // The last segment is empty: append to it rather than pile up empties.
  const std::string path = JoinPath(dir_, SegmentName(r.last));
  VIGIL_ASSIGN_OR_RETURN(int fd, OpenFile(path, O_WRONLY));
  current_ = std::make_shared<SegmentFile>(fd, path);
  current_size_ = 0;
  last_ = r.last;
  return Status();
}

Status Wal::CreateSegmentLocked(int index) {
  const std::string path = JoinPath(dir_, SegmentName(index));
  VIGIL_ASSIGN_OR_RETURN(int fd,
                         OpenFile(path, O_WRONLY | O_CREAT | O_EXCL, 0644));
  current_ = std::make_shared<SegmentFile>(fd, path);
  current_size_ = 0;
  last_ = index;
  Status s = SyncDir(dir_);
  if (!s.ok() && error_.ok()) error_ = s;
  return s;
}

Status Wal::RotateLocked() {
  if (current_) {
    Status s = current_->Sync();
    if (!s.ok()) {
      if (error_.ok()) error_ = s;
      return s;
    }
    // Every record so far is in this segment or an older, synced one.
    synced_ = logged_;
  }
  return CreateSegmentLocked(last_ + 1);
}

Status Wal::CheckUsableLocked() const {
  if (closed_) return FailedPreconditionError("wal: " + dir_ + " is closed");
  return error_;
}

Status Wal::Log(std::span<const std::string_view> records, uint64_t* seq) {
  // Frame outside the lock.
  size_t total = 0;
  for (std::string_view rec : records) {
    if (rec.size() > kMaxRecordBytes) {
      return InvalidArgumentError(
          "wal: record of " + std::to_string(rec.size()) +
          " bytes exceeds the maximum " + std::to_string(kMaxRecordBytes));
    }
    total += kHeaderBytes + rec.size();
  }
  std::string buf;
  buf.reserve(total);
  for (std::string_view rec : records) {
    char h[kHeaderBytes];
    h[0] = static_cast<char>(kRecordFull);
    PutBig32(h + 1, static_cast<uint32_t>(rec.size()));
    PutBig32(h + 5, RecordCrc(h, rec));
    buf.append(h, kHeaderBytes);
    buf.append(rec);
  }

  std::shared_ptr<SegmentFile> to_sync;
  uint64_t my_seq;
  {
    MutexLock l(&mu_);
    VIGIL_RETURN_IF_ERROR(CheckUsableLocked());
    if (current_size_ > 0 &&
        current_size_ + buf.size() > options_.segment_size_bytes) {
      VIGIL_RETURN_IF_ERROR(RotateLocked());
    }
    Status s = WriteAt(current_->fd(), current_->path(), buf.data(), buf.size(),
                       current_size_);
    if (!s.ok()) {
      // Cut back what reached the file so the batch is all or nothing.
      while (::ftruncate(current_->fd(), static_cast<off_t>(current_size_)) !=
             0) {
        if (errno == EINTR) continue;
        error_ = s.WithPrefix("wal: cannot cut back a failed write (" +
                              std::generic_category().message(errno) + ")");
        return error_;
      }
      return s;
    }
    current_size_ += buf.size();
    logged_ += records.size();
    my_seq = logged_;
    if (options_.fsync_interval.count() == 0 && synced_ < my_seq) {
      to_sync = current_;
    }
  }
  if (to_sync) VIGIL_RETURN_IF_ERROR(SyncSegment(to_sync, my_seq));
  if (seq != nullptr) *seq = my_seq;
  return Status();
}

uint64_t Wal::logged_through() const {
  MutexLock l(&mu_);
  return logged_;
}

uint64_t Wal::synced_through() const {
  MutexLock l(&mu_);
  return synced_;
}

Status Wal::SyncSegment(const std::shared_ptr<SegmentFile>& segment,
                        uint64_t seq) {
  Status s = segment->Sync();
  MutexLock l(&mu_);
  if (!s.ok()) {
    if (error_.ok()) error_ = s;
    return s;
  }
  synced_ = std::max(synced_, seq);
  return Status();
}

Status Wal::Sync() {
  std::shared_ptr<SegmentFile> segment;
  uint64_t seq;
  {
    MutexLock l(&mu_);
    VIGIL_RETURN_IF_ERROR(CheckUsableLocked());
    if (synced_ >= logged_) return Status();
    segment = current_;
    seq = logged_;
  }
  return SyncSegment(segment, seq);
}

void Wal::FlushLoop(std::stop_token stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lock(m);
  while (!stop.stop_requested()) {
    cv.wait_for(lock, stop, options_.fsync_interval, [] { return false; });
    if (stop.stop_requested()) break;
    Status s = Sync();
    if (!s.ok()) {
      // Sticky: Log and Sync callers get it from now on.
      Warn("wal: background sync of " + dir_ + " failed: " + s.ToString());
      return;
    }
  }
}

Result<int> Wal::NextSegment() {
  MutexLock l(&mu_);
  VIGIL_RETURN_IF_ERROR(CheckUsableLocked());
  VIGIL_RETURN_IF_ERROR(RotateLocked());
  return last_;
}

SegmentRange Wal::Segments() const {
  MutexLock l(&mu_);
  return SegmentRange{first_, last_};
}

Status Wal::Truncate(int upto) {
  MutexLock l(&mu_);
  VIGIL_RETURN_IF_ERROR(CheckUsableLocked());
  if (upto > last_) {
    return FailedPreconditionError(
        "wal: cannot delete segments below " + std::to_string(upto) + " in " +
        dir_ + ": segment " + std::to_string(last_) + " is being written");
  }
  if (upto <= first_) return Status();
  for (; first_ < upto; ++first_) {
    const std::string path = JoinPath(dir_, SegmentName(first_));
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoStatus("delete", path, errno);
    }
  }
  return SyncDir(dir_);
}

Status Wal::Close() {
  MutexLock cl(&close_mu_);
  if (flusher_.joinable()) {
    flusher_.request_stop();
    flusher_.join();
  }
  std::shared_ptr<SegmentFile> segment;
  uint64_t seq;
  {
    MutexLock l(&mu_);
    if (closed_) return Status();
    closed_ = true;
    segment = std::move(current_);
    seq = logged_;
    if (!error_.ok()) return error_;
  }
  if (!segment) return Status();
  Status s = segment->Sync();
  if (s.ok()) {
    MutexLock l(&mu_);
    synced_ = std::max(synced_, seq);
  }
  return s;
}

// --- Reader ----------------------------------------------------------------

Reader::Reader(std::string dir, int first, int last)
    : dir_(std::move(dir)), last_(last), next_segment_(first) {}

Reader::~Reader() = default;

Result<std::unique_ptr<Reader>> Reader::Open(std::string dir, int first,
                                             int last) {
  if (first < 0 && first <= last) {
    return InvalidArgumentError("wal: negative segment index " +
                                std::to_string(first));
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return ErrnoStatus("open", dir, errno);
  if (!S_ISDIR(st.st_mode)) return ErrnoStatus("open", dir, ENOTDIR);
  return std::unique_ptr<Reader>(new Reader(std::move(dir), first, last));
}

bool Reader::Next() {
  if (!status_.ok()) return false;
  while (true) {
    if (!scanner_) {
      if (next_segment_ > last_) return false;
      Result<std::unique_ptr<SegmentScanner>> s =
          SegmentScanner::Open(JoinPath(dir_, SegmentName(next_segment_)));
      if (!s.ok()) {
        status_ = s.status();
        return false;
      }
      scanner_ = std::move(s).value();
      segment_ = next_segment_++;
    }
    switch (scanner_->Next()) {
      case SegmentScanner::Outcome::kRecord:
        record_ = scanner_->record();
        offset_ = scanner_->offset();
        return true;
      case SegmentScanner::Outcome::kEnd:
        scanner_.reset();
        break;
      case SegmentScanner::Outcome::kCorrupt:
        status_ = DataLossError(
            "wal: corrupt record in " + scanner_->path() + " at offset " +
            std::to_string(scanner_->offset()) + ": " + scanner_->reason());
        return false;
      case SegmentScanner::Outcome::kError:
        status_ = scanner_->status();
        return false;
    }
  }
}

}  // namespace vigil::tsdb::wal
