// remote::SegmentReader: reads the records of one tsdb WAL segment from a
// byte offset on, including the segment the Wal is still appending to.
//
// tsdb::wal::Reader takes a segment's size once and reads it from offset 0,
// which suits replay; a remote-write watcher instead tails the live segment
// and resumes mid-segment after a restart. This reader therefore keeps its
// descriptor open, re-reads the file's end on every Next(), and tells a
// record that is not all there yet (kPartial: the writer is mid-write(2))
// from the clean end of what has been written (kEnd). Whether kPartial or
// kCorrupt at the end of a segment is final is the caller's decision: it is
// "not yet" for the live segment and damage for a closed one (a segment is
// closed once the next one exists; docs/formats/wal.md). The frame format
// is tsdb/wal/wal.h's: [type u8 = 1][length u32 BE][crc32 u32 BE][payload],
// the zlib CRC over type, length and payload.
//
//   VIGIL_ASSIGN_OR_RETURN(auto r, SegmentReader::Open(path, offset));
//   for (;;) {
//     SegmentReader::Outcome o = r->Next();
//     if (o != SegmentReader::Outcome::kRecord) break;
//     Use(r->record());            // r->offset() is now just past it
//   }
//
// The descriptor stays valid after the file is unlinked (WAL truncation),
// so a segment being read is read to its end.
//
// Thread safety: not thread-safe (one reader per thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::remote {

class SegmentReader {
 public:
  enum class Outcome {
    kRecord,   // record() is the next record; offset() is past it
    kEnd,      // no bytes after offset(): everything written so far is read
    kPartial,  // a record starts at offset() but not all of it is there
    kCorrupt,  // the bytes at offset() are not a valid record (reason())
    kError,    // an I/O error (status())
  };

  // Opens `path` for reading from `offset` (a record boundary).
  static Result<std::unique_ptr<SegmentReader>> Open(std::string path,
                                                     uint64_t offset);
  ~SegmentReader();
  SegmentReader(const SegmentReader&) = delete;
  SegmentReader& operator=(const SegmentReader&) = delete;

  // Reads the record at offset(). After anything but kRecord the position
  // is unchanged, so calling again later retries it.
  Outcome Next();

  // REQUIRES: the last Next() returned kRecord. Valid until the next call.
  std::string_view record() const { return record_; }
  // Start of the next record to read.
  uint64_t offset() const { return pos_; }
  // The file's size as last seen.
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  const std::string& reason() const { return reason_; }
  const Status& status() const { return status_; }

 private:
  SegmentReader(int fd, std::string path, uint64_t offset);
  // Makes [pos_, pos_ + n) available in buf_; false at the end of the
  // file (fewer bytes) or on an error (status_ set).
  bool Fill(uint64_t n);

  const int fd_;
  const std::string path_;
  uint64_t pos_;
  uint64_t size_ = 0;
  std::string buf_;       // file bytes [buf_off_, buf_off_ + buf_.size())
  uint64_t buf_off_ = 0;
  std::string_view record_;
  std::string reason_;
  Status status_;
};

// A 64-bit identity of a segment: the header of its first record (length
// and CRC), which differs between two WALs that reuse the index.
// 0 when the segment has no complete record header yet; kNotFound when it
// does not exist.
Result<uint64_t> SegmentFingerprint(const std::string& path);

}  // namespace vigil::remote
