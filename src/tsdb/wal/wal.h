// Wal: the write-ahead log of the tsdb head, Prometheus' tsdb/wlog in C++.
// Records (opaque bytes; tsdb/record.h builds them) are appended to numbered
// segment files 00000000, 00000001, ... in one directory. Each record is
// framed with its length and a CRC32, so a torn or corrupt tail is found
// exactly and cut off when the log is opened. Byte layout and recovery
// rules: docs/formats/wal.md.
//
//   WalOptions opts;
//   opts.fsync_interval = std::chrono::milliseconds(1000);
//   VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Wal> wal, Wal::Open(opts, dir));
//   std::string_view recs[] = {series_rec, samples_rec};
//   VIGIL_RETURN_IF_ERROR(wal->Log(recs));
//
//   SegmentRange r = wal->Segments();
//   VIGIL_ASSIGN_OR_RETURN(auto reader, Reader::Open(dir, r.first, r.last));
//   while (reader->Next()) Replay(reader->record());
//   VIGIL_RETURN_IF_ERROR(reader->status());
//
// Segments. Open continues after the last segment in a fresh one (or reuses
// the last one when it is empty), so closed segments are never written
// again. A Log batch goes whole into one segment: when it does not fit in
// the current segment's remaining segment_size_bytes, the segment is cut
// first. A segment therefore exceeds segment_size_bytes only when a single
// batch does.
//
// Durability. Log returns once the records are written (write(2)): they
// survive a crash of the process, not of the machine. Records are numbered
// 1, 2, ... in log order since Open; synced_through() is the highest number
// known to be fsync'ed. With fsync_interval 0 Log fsyncs before returning;
// otherwise a background thread fsyncs every fsync_interval when something
// is unsynced. Sync(), NextSegment(), a segment cut and Close() sync too. A
// failed fsync is sticky (the kernel may have dropped the dirty pages):
// every later call returns it.
//
// Recovery. Open checks every record of every segment. The first record
// that is torn (short header or payload), fails its CRC, or is zero padding
// or garbage ends the log: its segment is truncated there and any later
// segments are deleted, and each repair is reported through the warning
// sink with the file path and byte offset. Nothing before it is lost.
// This costs one sequential read of the log per Open; the head's replay
// that follows reads it again, mostly from the page cache.
//
// Thread safety: Wal is thread-safe; Log calls are serialised, each batch
// contiguous and in order. Reader is not thread-safe (one per thread). A
// Reader sees a segment as it was when it reached it; reading the segment a
// Wal is appending to may catch a half-written record (kDataLoss), so read
// segments below Segments().last, or before logging starts.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "base/thread_annotations.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::tsdb::wal {

namespace internal {
class SegmentFile;
class SegmentScanner;
}  // namespace internal

// Largest record Log accepts.
inline constexpr size_t kMaxRecordBytes = size_t{1} << 30;

// The record frame (docs/formats/wal.md), for readers of segments:
// [type:1][length:4 BE][crc32:4 BE][payload:length]. The CRC covers the
// type, the length and the payload. Type 0 never occurs (zero padding).
inline constexpr size_t kRecordHeaderBytes = 9;
inline constexpr uint8_t kRecordFull = 1;
struct RecordHeader {
  uint8_t type = 0;
  uint32_t length = 0;
  uint32_t crc = 0;  // as stored
};
// Reads the kRecordHeaderBytes at `h`.
RecordHeader ParseRecordHeader(const char* h);
// The CRC a record with header `h` (its first five bytes) and `payload`
// must carry.
uint32_t RecordCrc(const char* h, std::string_view payload);

struct WalOptions {
  // A segment is cut when the next batch would take it past this size.
  uint64_t segment_size_bytes = uint64_t{128} << 20;
  // 0: Log fsyncs before it returns. Otherwise the background flusher's
  // period, the most a machine crash can lose.
  std::chrono::milliseconds fsync_interval{0};
  // Receives repair reports and errors nobody else can return (a failed
  // Close in the destructor). Called without locks held. Default: stderr.
  std::function<void(std::string_view)> warning_sink;
};

// Inclusive range of segment indexes; empty when first > last.
struct SegmentRange {
  int first = 0;
  int last = -1;
};

// "00000003".
std::string SegmentName(int index);

// The segments present in dir; {0, -1} when there are none. Files whose
// names are not segment names are ignored. kDataLoss when the indexes have
// a gap.
Result<SegmentRange> ListSegments(std::string_view dir);

class Wal {
 public:
  // Creates dir if needed, repairs a corrupt tail (see Recovery above) and
  // starts a segment to append to.
  static Result<std::unique_ptr<Wal>> Open(const WalOptions& options,
                                           std::string dir);

  // Closes the log (see Close); a failure goes to the warning sink.
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Appends the records, in order, contiguously. On success and when seq is
  // not null, *seq is the number of the last record. On failure nothing of
  // the batch is logged (the segment is cut back), unless the failure is
  // sticky. After a machine crash a prefix of an unsynced batch may
  // survive. kInvalidArgument for a record over kMaxRecordBytes.
  Status Log(std::span<const std::string_view> records,
             uint64_t* seq = nullptr);

  // Number of the last record logged since Open (0: none).
  uint64_t logged_through() const;
  // Records 1..synced_through() are on stable storage.
  uint64_t synced_through() const;

  // Fsyncs everything logged so far.
  Status Sync();

  // Syncs and closes the current segment and starts the next; returns its
  // index. Checkpointing cuts here so the segments it reads are complete.
  Result<int> NextSegment();

  // First and last segment on disk; the last is the one being written.
  SegmentRange Segments() const;

  // Deletes the segments with index < upto, oldest first.
  // kFailedPrecondition when that would include the current segment.
  Status Truncate(int upto);

  // Stops the flusher, syncs and closes the current segment. Idempotent;
  // every later call but Segments() and the accessors fails.
  Status Close();

  const std::string& dir() const { return dir_; }

 private:
  Wal(const WalOptions& options, std::string dir);

  Status Recover();
  Status RotateLocked() VIGIL_REQUIRES(mu_);
  Status CreateSegmentLocked(int index) VIGIL_REQUIRES(mu_);
  Status CheckUsableLocked() const VIGIL_REQUIRES(mu_);
  // Fsyncs `segment`, then records that 1..seq are durable.
  Status SyncSegment(const std::shared_ptr<internal::SegmentFile>& segment,
                     uint64_t seq) VIGIL_EXCLUDES(mu_);
  void FlushLoop(std::stop_token stop);
  void Warn(std::string_view message) const;

  // Constant after construction.
  const WalOptions options_;
  const std::string dir_;

  mutable Mutex mu_;
  int first_ VIGIL_GUARDED_BY(mu_) = 0;
  int last_ VIGIL_GUARDED_BY(mu_) = -1;
  // Held by shared_ptr so a sync outside mu_ keeps the file open.
  std::shared_ptr<internal::SegmentFile> current_ VIGIL_GUARDED_BY(mu_);
  uint64_t current_size_ VIGIL_GUARDED_BY(mu_) = 0;
  uint64_t logged_ VIGIL_GUARDED_BY(mu_) = 0;
  uint64_t synced_ VIGIL_GUARDED_BY(mu_) = 0;
  Status error_ VIGIL_GUARDED_BY(mu_);  // sticky
  bool closed_ VIGIL_GUARDED_BY(mu_) = false;

  Mutex close_mu_;  // serialises Close; held while joining the flusher
  std::jthread flusher_ VIGIL_GUARDED_BY(close_mu_);
};

// Reads the records of segments [first, last] of a directory in order.
//
//   VIGIL_ASSIGN_OR_RETURN(auto r, Reader::Open(dir, 0, 5));
//   while (r->Next()) Use(r->segment(), r->offset(), r->record());
//   VIGIL_RETURN_IF_ERROR(r->status());
//
// Next() is false at the end or on a failure; status() tells which: a
// missing segment (kNotFound), an I/O error, or a record that does not
// check out (kDataLoss, naming the file and offset).
class Reader {
 public:
  static Result<std::unique_ptr<Reader>> Open(std::string dir, int first,
                                              int last);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  bool Next();
  // The current record's payload; valid until the next call to Next().
  // REQUIRES: the last Next() returned true (for all three).
  std::string_view record() const { return record_; }
  int segment() const { return segment_; }
  // Byte offset of the record's header in its segment file.
  uint64_t offset() const { return offset_; }

  Status status() const { return status_; }

 private:
  Reader(std::string dir, int first, int last);

  const std::string dir_;
  const int last_;
  int next_segment_;
  std::unique_ptr<internal::SegmentScanner> scanner_;
  std::string_view record_;
  int segment_ = -1;
  uint64_t offset_ = 0;
  Status status_;
};

}  // namespace vigil::tsdb::wal
