// remote::Progress: how far a remote-write queue has been acknowledged by
// its remote, kept in one small file so that a restart resumes there.
//
//   VIGIL_ASSIGN_OR_RETURN(std::optional<Progress> p, ReadProgress(path));
//   ...
//   VIGIL_RETURN_IF_ERROR(WriteProgress(path, committed));
//
// The file is written atomically (temp file, fsync, rename, directory
// fsync: WriteFileAtomic), so it always holds a position the remote had
// acknowledged everything before. Layout: docs/formats/remote-write.md.
//
// Thread safety: plain values and free functions (concurrent writers of one
// path must be serialised by the caller).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>

#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::remote {

// A record boundary in the WAL: segment index and byte offset in it.
struct WalPosition {
  int segment = 0;
  uint64_t offset = 0;
  friend auto operator<=>(const WalPosition&, const WalPosition&) = default;
};

struct Progress {
  // Every sample in records before this position was acknowledged by the
  // remote (or dropped for good: a 4xx answer, an unknown series).
  WalPosition position;
  // SegmentFingerprint() of position.segment, 0 when it was unknown (the
  // segment had no complete record). Tells a recreated WAL that reuses the
  // segment index from the one the position was taken in.
  uint64_t segment_fingerprint = 0;
  friend bool operator==(const Progress&, const Progress&) = default;
};

// std::nullopt when the file does not exist; kDataLoss naming the file when
// it exists but does not parse or fails its checksum.
Result<std::optional<Progress>> ReadProgress(const std::string& path);
Status WriteProgress(const std::string& path, const Progress& progress);

// "segment 00000003 offset 1234".
std::string PositionString(const WalPosition& p);

}  // namespace vigil::remote
