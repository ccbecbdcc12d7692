// Small POSIX file helpers with Status errors naming the path and errno,
// for the on-disk formats (tsdb chunk files and checkpoints, notification
// logs, silences). EINTR-safe.
//
//   VIGIL_RETURN_IF_ERROR(WriteFileAtomic(dir + "/state", bytes));
//   VIGIL_ASSIGN_OR_RETURN(std::string bytes, ReadFile(dir + "/state"));
//
// Thread safety: thread-safe (no shared state).
#pragma once

#include <string>
#include <vector>
#include <string_view>

#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil {

// "<op> <path>: <strerror(err)>" with a code matching errno: ENOENT ->
// kNotFound, EEXIST -> kAlreadyExists, ENOSPC/EDQUOT/EMFILE/ENFILE ->
// kResourceExhausted, EACCES/EPERM/EROFS -> kFailedPrecondition, otherwise
// kInternal.
Status ErrnoError(std::string_view op, std::string_view path, int err);

// open(2) with O_CLOEXEC, retried on EINTR; the descriptor or the error.
Result<int> OpenFile(const std::string& path, int flags, int mode = 0644);
// fsync(2), retried on EINTR.
Status FsyncFile(int fd, const std::string& path);
// write(2) until all of `data` is written, retried on EINTR; `path` names
// the file in the error.
Status WriteAll(int fd, std::string_view data, const std::string& path);

Result<std::string> ReadFile(const std::string& path);
// pread(2) until `n` bytes or the end of the file, retrying EINTR; the
// count read (less than n only at the end of the file).
Result<size_t> ReadAt(int fd, const std::string& path, char* p, size_t n, uint64_t off);
// Writes path.tmp, fsyncs it, renames it over path and fsyncs the
// directory: readers see the old or the new content, never a mix.
Status WriteFileAtomic(const std::string& path, std::string_view data);
// Writes and fsyncs (no rename).
Status WriteFileSync(const std::string& path, std::string_view data);
Status SyncDir(const std::string& dir);
// Creates dir and its parents (like mkdir -p).
Status MakeDirs(const std::string& dir);
// The paths a shell glob names, sorted; none is an empty list, not an error
// (as Prometheus' rule_files). kInvalidArgument when it cannot be expanded.
Result<std::vector<std::string>> ExpandGlob(const std::string& pattern);

}  // namespace vigil
