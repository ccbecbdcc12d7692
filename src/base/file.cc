#include "base/file.h"

#include <fcntl.h>
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "base/status_macros.h"

namespace vigil {
namespace {

std::string Parent(const std::string& path) {
  auto p = std::filesystem::path(path).parent_path();
  return p.empty() ? "." : p.string();
}

}  // namespace

Status ErrnoError(std::string_view op, std::string_view path, int err) {
  std::string msg = std::string(op) + " " + std::string(path) + ": " +
                    std::generic_category().message(err);
  switch (err) {
    case ENOENT: return NotFoundError(msg);
    case EEXIST: return AlreadyExistsError(msg);
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE: return ResourceExhaustedError(msg);
    case EACCES:
    case EPERM:
    case EROFS: return FailedPreconditionError(msg);
    default: return InternalError(msg);
  }
}

Result<int> OpenFile(const std::string& path, int flags, int mode) {
  for (;;) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, static_cast<mode_t>(mode));
    if (fd >= 0) return fd;
    if (errno != EINTR) return ErrnoError("open", path, errno);
  }
}

Status FsyncFile(int fd, const std::string& path) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return ErrnoError("fsync", path, errno);
  }
  return Status::OK();
}

Result<size_t> ReadAt(int fd, const std::string& path, char* p, size_t n, uint64_t off) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, p + done, n - done, static_cast<off_t>(off + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read", path, errno);
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

Result<std::string> ReadFile(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(int fd, OpenFile(path, O_RDONLY));
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoError("read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

Status WriteFileSync(const std::string& path, std::string_view data) {
  VIGIL_ASSIGN_OR_RETURN(int fd, OpenFile(path, O_WRONLY | O_CREAT | O_TRUNC));
  if (Status w = WriteAll(fd, data, path); !w.ok()) {
    ::close(fd);
    return w;
  }
  Status s = FsyncFile(fd, path);
  if (::close(fd) != 0 && s.ok()) s = ErrnoError("close", path, errno);
  return s;
}

Status WriteFileAtomic(const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  VIGIL_RETURN_IF_ERROR(WriteFileSync(tmp, data));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return ErrnoError("rename", tmp, errno);
  }
  return SyncDir(Parent(path));
}

Status SyncDir(const std::string& dir) {
  VIGIL_ASSIGN_OR_RETURN(int fd, OpenFile(dir, O_RDONLY | O_DIRECTORY));
  Status s = FsyncFile(fd, dir);
  ::close(fd);
  return s;
}

Status MakeDirs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InternalError("mkdir " + dir + ": " + ec.message());
  return Status::OK();
}

Result<std::vector<std::string>> ExpandGlob(const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> files;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  if (rc != 0 && rc != GLOB_NOMATCH) {
    return InvalidArgumentError("cannot expand \"" + pattern + "\"");
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace vigil
