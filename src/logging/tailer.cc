#include "logging/tailer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

#include "base/file.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace vigil::logging {
namespace {

using Clock = std::chrono::steady_clock;

// Bytes of a file's start that identify it (Filebeat's fingerprint
// default): the same inode holding other content is another file.
constexpr uint64_t kFingerprintBytes = 1024;
// pread size, and how much one file may deliver per poll before the others
// get their turn (the thread then polls again without sleeping).
constexpr size_t kReadChunk = 256 * 1024;
constexpr uint64_t kReadBudget = 16 * 1024 * 1024;

constexpr std::string_view kMagic = "vigil-tailer-state 1";

std::string ErrnoText(int err) { return std::generic_category().message(err); }

// pread until `n` bytes or end of file; the count read, or -1 (errno set).
ssize_t PreadFull(int fd, char* out, size_t n, uint64_t offset) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, out + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

// FNV-1a of the first `len` bytes; nullopt if the file is shorter or
// unreadable.
std::optional<uint64_t> HashPrefix(int fd, uint64_t len) {
  char buf[kFingerprintBytes];
  if (len > sizeof(buf)) return std::nullopt;
  if (PreadFull(fd, buf, len, 0) != static_cast<ssize_t>(len)) return std::nullopt;
  return Fnv1a(std::string_view(buf, len));
}

// Paths in the state file: bytes <= ' ', '%' and DEL as %XX.
std::string EscapePath(std::string_view p) {
  std::string out;
  for (unsigned char c : p) {
    if (c <= ' ' || c == '%' || c == 0x7f) {
      char hex[4];
      std::snprintf(hex, sizeof(hex), "%%%02X", c);
      out += hex;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

bool UnescapePath(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    unsigned v = 0;
    if (i + 2 >= in.size()) return false;
    auto r = std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16);
    if (r.ec != std::errc() || r.ptr != in.data() + i + 3) return false;
    out->push_back(static_cast<char>(v));
    i += 2;
  }
  return true;
}

template <typename T>
bool ParseNumber(std::string_view s, T* v, int base = 10) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v, base);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t n = s.find(' ');
    out.push_back(s.substr(0, n));
    if (n == std::string_view::npos) break;
    s.remove_prefix(n + 1);
  }
  return out;
}

std::string Hex64(uint64_t v) {
  char b[17];
  std::snprintf(b, sizeof(b), "%016llx", static_cast<unsigned long long>(v));
  return b;
}

}  // namespace

// One open file: the current file at a path, or a rotated-away one.
//
// Invariants: committed <= offset; bytes [committed, offset) are the
// current unfinished line, held in `partial` unless `skipping` (a line
// already delivered cut to max_line_bytes, whose rest is being dropped);
// committed is always just after a '\n' that on_line has returned for
// (or 0, or where reading began).
struct Tailer::File {
  File() = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File() {
    if (fd >= 0) ::close(fd);
  }

  int fd = -1;
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t offset = 0;
  uint64_t committed = 0;
  std::string partial;
  bool skipping = false;
  uint64_t fp_len = 0;  // bytes the fingerprint covers, <= kFingerprintBytes
  uint64_t fp_hash = 0;
  Clock::time_point last_growth{};
};

struct Tailer::Path {
  std::string path;
  std::unique_ptr<File> current;
  std::vector<std::unique_ptr<File>> rotated;  // oldest first
  bool looked = false;     // polled at least once
  bool has_state = false;  // the state file knew this path
  bool ever_opened = false;
  bool missing_logged = false;
  std::string last_error;  // logged once until it changes or clears
};

struct Tailer::SavedFile {
  std::string path;
  bool current = false;
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t offset = 0;
  uint64_t fp_len = 0;
  uint64_t fp_hash = 0;
};

Tailer::Tailer(TailerOptions options) : options_(std::move(options)) {}

Tailer::~Tailer() {
  Status s = Stop();
  if (!s.ok()) Log("log tailer: saving state on shutdown: " + std::string(s.message()));
}

Result<std::unique_ptr<Tailer>> Tailer::Create(TailerOptions options) {
  if (options.paths.empty()) return InvalidArgumentError("log tailer: no paths to follow");
  std::set<std::string_view> seen;
  for (const std::string& p : options.paths) {
    if (p.empty()) return InvalidArgumentError("log tailer: empty path");
    if (!seen.insert(p).second) {
      return InvalidArgumentError("log tailer: path \"" + p + "\" given twice");
    }
  }
  if (!options.on_line) return InvalidArgumentError("log tailer: on_line is required");
  if (options.poll_interval.count() <= 0) {
    return InvalidArgumentError("log tailer: poll_interval must be positive");
  }
  if (options.max_line_bytes == 0) {
    return InvalidArgumentError("log tailer: max_line_bytes must be at least 1");
  }
  if (options.save_interval.count() < 0 || options.rotate_wait.count() < 0) {
    return InvalidArgumentError("log tailer: save_interval and rotate_wait must not be negative");
  }
  std::unique_ptr<Tailer> t(new Tailer(std::move(options)));
  for (const std::string& p : t->options_.paths) {
    auto path = std::make_unique<Path>();
    path->path = p;
    t->paths_.push_back(std::move(path));
  }
  t->buf_.resize(kReadChunk);
  VIGIL_RETURN_IF_ERROR(t->LoadState());
  return t;
}

void Tailer::Log(std::string_view message) const {
  if (options_.log) options_.log(message);
}

// ---------------------------------------------------------------------------
// State file (docs/formats/tailer-state.md).

Status Tailer::LoadState() {
  if (options_.state_file.empty()) return Status::OK();
  Result<std::string> data = ReadFile(options_.state_file);
  if (!data.ok()) {
    if (data.status().code() == StatusCode::kNotFound) return Status::OK();
    return data.status().WithPrefix("log tailer: reading state");
  }
  std::string_view in = *data;
  std::vector<SavedFile> files;
  auto corrupt = [&](std::string_view why) {
    Log("log tailer: state file " + options_.state_file + " is corrupt (" + std::string(why) +
        "); ignoring it: files already present start at their " +
        (options_.start_at_end ? "end" : "beginning"));
    return Status::OK();
  };
  const size_t checksum_at = in.rfind("checksum ");
  if (checksum_at == std::string_view::npos || (checksum_at > 0 && in[checksum_at - 1] != '\n')) {
    return corrupt("no checksum line");
  }
  std::string_view checksum_line = in.substr(checksum_at + 9);
  if (checksum_line.empty() || checksum_line.back() != '\n') return corrupt("truncated");
  checksum_line.remove_suffix(1);
  uint64_t want = 0;
  if (!ParseNumber(checksum_line, &want, 16)) return corrupt("bad checksum line");
  std::string_view body = in.substr(0, checksum_at);
  if (Fnv1a(body) != want) return corrupt("checksum mismatch");
  size_t line_no = 0;
  while (!body.empty()) {
    const size_t nl = body.find('\n');
    if (nl == std::string_view::npos) return corrupt("unterminated line");
    std::string_view line = body.substr(0, nl);
    body.remove_prefix(nl + 1);
    ++line_no;
    if (line_no == 1) {
      if (line != kMagic) return corrupt("not a version 1 tailer state file");
      continue;
    }
    const std::vector<std::string_view> f = SplitSpaces(line);
    SavedFile s;
    if (f.size() != 8 || f[0] != "file" || (f[1] != "c" && f[1] != "r") ||
        !ParseNumber(f[2], &s.dev) || !ParseNumber(f[3], &s.ino) ||
        !ParseNumber(f[4], &s.offset) || !ParseNumber(f[5], &s.fp_len) ||
        s.fp_len > kFingerprintBytes || !ParseNumber(f[6], &s.fp_hash, 16) ||
        !UnescapePath(f[7], &s.path) || s.path.empty()) {
      return corrupt("bad entry on line " + std::to_string(line_no));
    }
    s.current = f[1] == "c";
    files.push_back(std::move(s));
  }
  if (line_no == 0) return corrupt("empty");
  saved_ = std::move(files);
  for (const auto& p : paths_) {
    for (const SavedFile& s : saved_) {
      if (s.path == p->path) p->has_state = true;
    }
  }
  return Status::OK();
}

Status Tailer::SaveNow() {
  if (options_.state_file.empty() || !resumed_) return Status::OK();
  std::string out(kMagic);
  out += '\n';
  auto add = [&](const Path& p, const File& f, bool current) {
    out += "file ";
    out += current ? "c " : "r ";
    out += std::to_string(f.dev) + " " + std::to_string(f.ino) + " " +
           std::to_string(f.committed) + " " + std::to_string(f.fp_len) + " " +
           Hex64(f.fp_hash) + " " + EscapePath(p.path) + "\n";
  };
  for (const auto& p : paths_) {
    for (const auto& f : p->rotated) add(*p, *f, false);
    if (p->current) add(*p, *p->current, true);
  }
  out += "checksum " + Hex64(Fnv1a(out)) + "\n";
  Status s = WriteFileAtomic(options_.state_file, out);
  if (s.ok()) {
    state_saves_.fetch_add(1, std::memory_order_relaxed);
    dirty_ = false;
    last_save_ = Clock::now();
    return s;
  }
  state_save_errors_.fetch_add(1, std::memory_order_relaxed);
  return s.WithPrefix("log tailer: saving state");
}

Status Tailer::SaveState() {
  if (running_.load()) return FailedPreconditionError("log tailer: running; call Stop first");
  return SaveNow();
}

// ---------------------------------------------------------------------------
// Opening, resuming.

std::unique_ptr<Tailer::File> Tailer::OpenAt(const std::string& path, std::string* error) {
  Result<int> fd = OpenFile(path, O_RDONLY);
  if (!fd.ok()) {
    *error = std::string(fd.status().message());
    return nullptr;
  }
  auto f = std::make_unique<File>();
  f->fd = *fd;
  struct stat st;
  if (::fstat(f->fd, &st) != 0) {
    *error = "fstat " + path + ": " + ErrnoText(errno);
    return nullptr;
  }
  if (!S_ISREG(st.st_mode)) {
    *error = path + ": not a regular file";
    return nullptr;
  }
  f->dev = static_cast<uint64_t>(st.st_dev);
  f->ino = static_cast<uint64_t>(st.st_ino);
  f->last_growth = Clock::now();
  return f;
}

namespace {

// Where a file found at first look starts with start_at_end: at the start
// of its last, unfinished line, so that line is delivered whole. Sets
// *skipping when that line is already longer than max_line_bytes.
uint64_t EndOffset(int fd, uint64_t size, size_t max_line_bytes, bool* skipping) {
  *skipping = false;
  if (size == 0) return 0;
  const uint64_t window = std::min<uint64_t>(size, std::max<size_t>(max_line_bytes, 1));
  std::string tail(window, '\0');
  const ssize_t n = PreadFull(fd, tail.data(), window, size - window);
  if (n != static_cast<ssize_t>(window)) return size;
  const size_t nl = tail.rfind('\n');
  if (nl != std::string::npos) return size - window + nl + 1;
  if (window == size) return 0;
  *skipping = true;
  return size;
}

}  // namespace

// Reopens what the state file recorded for p: the current file at its path
// if it is still there, rotated files (and a current one rotated while we
// were down) by device and inode in the same directory.
void Tailer::Resume(Path& p) {
  std::vector<const SavedFile*> mine;
  for (const SavedFile& s : saved_) {
    if (s.path == p.path) mine.push_back(&s);
  }
  if (mine.empty()) return;
  p.ever_opened = true;
  auto verify = [](File& f, const SavedFile& s) {
    if (s.fp_len == 0) return true;  // nothing was read: nothing to compare
    const std::optional<uint64_t> h = HashPrefix(f.fd, s.fp_len);
    return h && *h == s.fp_hash;
  };
  auto place = [&](std::unique_ptr<File> f, const SavedFile& s, std::string_view where) {
    struct stat st;
    uint64_t size = 0;
    if (::fstat(f->fd, &st) == 0) size = static_cast<uint64_t>(st.st_size);
    if (size < s.offset) {
      Log("log tailer: " + p.path + ": " + std::string(where) + " is shorter (" +
          std::to_string(size) + " bytes) than the saved offset " + std::to_string(s.offset) +
          "; reading it from the start");
      truncations_.fetch_add(1, std::memory_order_relaxed);
    } else {
      f->offset = f->committed = s.offset;
      f->fp_len = s.fp_len;
      f->fp_hash = s.fp_hash;
    }
    return f;
  };
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::path(p.path).parent_path();
  for (const SavedFile* s : mine) {
    if (s->current) {
      // Same path and inode: the device number may differ after a reboot
      // (it is not stable on every file system), the fingerprint decides.
      struct stat st;
      if (::stat(p.path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_ino) == s->ino) {
        std::string error;
        std::unique_ptr<File> f = OpenAt(p.path, &error);
        if (f && f->ino == s->ino && verify(*f, *s)) {
          p.current = place(std::move(f), *s, "the file");
          continue;
        }
        if (f && f->ino == s->ino) {
          Log("log tailer: " + p.path + ": inode " + std::to_string(s->ino) +
              " now holds another file; reading it from the start");
        }
      }
    }
    // Rotated away: look for the inode beside the path.
    bool found = false;
    for (std::filesystem::directory_iterator it(dir.empty() ? "." : dir, ec), end;
         !ec && it != end; it.increment(ec)) {
      struct stat st;
      const std::string name = it->path().string();
      if (::stat(name.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
          static_cast<uint64_t>(st.st_dev) != s->dev ||
          static_cast<uint64_t>(st.st_ino) != s->ino) {
        continue;
      }
      std::string error;
      std::unique_ptr<File> f = OpenAt(name, &error);
      if (!f || f->ino != s->ino || !verify(*f, *s)) continue;
      Log("log tailer: " + p.path + ": finishing " + name + ", rotated while not running");
      p.rotated.push_back(place(std::move(f), *s, name));
      found = true;
      break;
    }
    if (!found) {
      Log("log tailer: " + p.path + ": the file read before the restart (inode " +
          std::to_string(s->ino) + ") is gone; what was written to it after offset " +
          std::to_string(s->offset) + " was not read");
    }
  }
}

// ---------------------------------------------------------------------------
// Reading.

// end_offset: the offset just after the line's '\n', now committed; 0 for a
// line delivered cut before its end was read (nothing to commit yet).
void Tailer::Deliver(Path& p, File& f, std::string_view line, uint64_t end_offset,
                     bool truncated) {
  options_.on_line(p.path, line);
  lines_.fetch_add(1, std::memory_order_relaxed);
  if (truncated) truncated_lines_.fetch_add(1, std::memory_order_relaxed);
  if (end_offset != 0) {
    f.committed = end_offset;
    dirty_ = true;
  }
}

bool Tailer::ReadAvailable(Path& p, File& f, bool* more) {
  const size_t max = options_.max_line_bytes;
  uint64_t budget = kReadBudget;
  for (;;) {
    const ssize_t n = ::pread(f.fd, buf_.data(), buf_.size(), static_cast<off_t>(f.offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      read_errors_.fetch_add(1, std::memory_order_relaxed);
      const std::string error = "read " + p.path + ": " + ErrnoText(errno);
      if (error != p.last_error) Log("log tailer: " + error);
      p.last_error = error;
      return false;
    }
    if (n == 0) return true;
    f.last_growth = Clock::now();
    bytes_.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
    const std::string_view data(buf_.data(), static_cast<size_t>(n));
    const uint64_t base = f.offset;
    size_t pos = 0;
    while (pos < data.size()) {
      const char* nl =
          static_cast<const char*>(std::memchr(data.data() + pos, '\n', data.size() - pos));
      if (nl == nullptr) {  // unfinished line: keep it (up to max)
        const std::string_view rest = data.substr(pos);
        if (!f.skipping) {
          if (f.partial.size() + rest.size() <= max) {
            f.partial.append(rest);
          } else {
            f.partial.append(rest.substr(0, max - f.partial.size()));
            Deliver(p, f, f.partial, 0, true);
            f.partial.clear();
            f.skipping = true;
          }
        }
        break;
      }
      const size_t end = static_cast<size_t>(nl - data.data());
      const std::string_view seg = data.substr(pos, end - pos);
      const uint64_t line_end = base + end + 1;
      if (f.skipping) {
        f.skipping = false;
        f.committed = line_end;
        dirty_ = true;
      } else if (f.partial.empty()) {
        Deliver(p, f, seg.substr(0, max), line_end, seg.size() > max);
      } else {
        const bool cut = f.partial.size() + seg.size() > max;
        f.partial.append(seg.substr(0, max - f.partial.size()));
        Deliver(p, f, f.partial, line_end, cut);
        f.partial.clear();
      }
      pos = end + 1;
    }
    f.offset += static_cast<uint64_t>(n);
    if (f.fp_len < kFingerprintBytes) UpdateFingerprint(f);
    if (static_cast<uint64_t>(n) >= budget) {
      *more = true;
      return true;
    }
    budget -= static_cast<uint64_t>(n);
  }
}

void Tailer::UpdateFingerprint(File& f) {
  const uint64_t want = std::min(f.offset, kFingerprintBytes);
  if (want <= f.fp_len) return;
  if (std::optional<uint64_t> h = HashPrefix(f.fd, want)) {
    f.fp_len = want;
    f.fp_hash = *h;
    dirty_ = true;
  }
}

// Returns false if fstat failed. A file smaller than our offset, or whose
// first bytes changed, was truncated (copytruncate) or rewritten: start
// again from 0.
bool Tailer::CheckTruncation(Path& p, File& f) {
  struct stat st;
  if (::fstat(f.fd, &st) != 0) {
    read_errors_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size == f.offset) return true;  // nothing new; skip the fingerprint read
  std::string why;
  if (size < f.offset) {
    why = "truncated to " + std::to_string(size) + " bytes (was read up to " +
          std::to_string(f.offset) + ")";
  } else if (f.fp_len > 0) {
    const std::optional<uint64_t> h = HashPrefix(f.fd, f.fp_len);
    if (!h || *h != f.fp_hash) why = "rewritten (its first bytes changed)";
  }
  if (why.empty()) return true;
  Log("log tailer: " + p.path + ": " + why + "; reading it from the start");
  truncations_.fetch_add(1, std::memory_order_relaxed);
  f.offset = f.committed = 0;
  f.partial.clear();
  f.skipping = false;
  f.fp_len = 0;
  f.fp_hash = 0;
  dirty_ = true;
  return true;
}

void Tailer::CloseRotated(Path& p, File& f) {
  // Nobody writes to it any more: its unterminated last line is complete.
  if (!f.skipping && !f.partial.empty()) {
    Deliver(p, f, f.partial, f.offset, false);
    f.partial.clear();
  }
  dirty_ = true;
}

void Tailer::PollPath(Path& p, bool* more) {
  // Rotated files first, oldest first: their lines precede the new file's.
  bool backlog = false;
  for (size_t i = 0; i < p.rotated.size();) {
    File& f = *p.rotated[i];
    bool file_more = false;
    const bool ok = ReadAvailable(p, f, &file_more);
    if (file_more) {
      backlog = true;
      *more = true;
    }
    if (ok && !file_more && Clock::now() - f.last_growth >= options_.rotate_wait) {
      CloseRotated(p, f);
      p.rotated.erase(p.rotated.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    ++i;
  }

  struct stat st;
  if (::stat(p.path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      if (p.current) {  // renamed away or deleted: finish it as a rotated file
        bool file_more = false;
        ReadAvailable(p, *p.current, &file_more);
        if (file_more) *more = true;
        p.current->last_growth = Clock::now();
        p.rotated.push_back(std::move(p.current));
        dirty_ = true;
      }
      if (!p.missing_logged) {
        Log("log tailer: " + p.path + ": does not exist; waiting for it");
        p.missing_logged = true;
      }
      p.last_error.clear();
    } else {
      read_errors_.fetch_add(1, std::memory_order_relaxed);
      const std::string error = "stat " + p.path + ": " + ErrnoText(err);
      if (error != p.last_error) Log("log tailer: " + error);
      p.last_error = error;
      if (p.current) {
        bool file_more = false;
        ReadAvailable(p, *p.current, &file_more);
        if (file_more) *more = true;
      }
    }
    p.looked = true;
    return;
  }

  if (p.current && static_cast<uint64_t>(st.st_dev) == p.current->dev &&
      static_cast<uint64_t>(st.st_ino) == p.current->ino) {
    if (backlog) return;  // the old file's lines first
    if (CheckTruncation(p, *p.current)) ReadAvailable(p, *p.current, more);
    return;
  }

  // A new file at the path. Finish the old one first.
  if (p.current) {
    bool file_more = false;
    ReadAvailable(p, *p.current, &file_more);
    if (file_more) {
      backlog = true;
      *more = true;
    }
    p.current->last_growth = Clock::now();
    p.rotated.push_back(std::move(p.current));
    dirty_ = true;
  }
  std::string error;
  std::unique_ptr<File> f = OpenAt(p.path, &error);
  if (!f) {
    read_errors_.fetch_add(1, std::memory_order_relaxed);
    if (error != p.last_error) Log("log tailer: " + error);
    p.last_error = error;
    p.looked = true;
    return;
  }
  p.last_error.clear();
  if (!p.looked && !p.has_state && options_.start_at_end) {
    bool skipping = false;
    const uint64_t at = EndOffset(f->fd, static_cast<uint64_t>(st.st_size),
                                  options_.max_line_bytes, &skipping);
    f->offset = f->committed = at;
    f->skipping = skipping;
    UpdateFingerprint(*f);
  } else if (p.ever_opened) {
    rotations_.fetch_add(1, std::memory_order_relaxed);
    Log("log tailer: " + p.path + ": now a new file (inode " + std::to_string(f->ino) +
        "); reading it from the start");
  } else if (p.missing_logged) {
    Log("log tailer: " + p.path + ": appeared; reading it from the start");
  }
  p.missing_logged = false;
  p.looked = true;
  p.ever_opened = true;
  p.current = std::move(f);
  dirty_ = true;
  if (!backlog) ReadAvailable(p, *p.current, more);
}

Status Tailer::Poll(bool* more) {
  if (!resumed_) {
    for (auto& p : paths_) Resume(*p);
    saved_.clear();
    resumed_ = true;
    dirty_ = true;
  }
  uint64_t open = 0;
  for (auto& p : paths_) {
    PollPath(*p, more);
    open += p->rotated.size() + (p->current ? 1 : 0);
  }
  open_files_.store(open, std::memory_order_relaxed);
  if (dirty_ && Clock::now() - last_save_ >= options_.save_interval) return SaveNow();
  return Status::OK();
}

Status Tailer::PollOnce() {
  if (running_.load()) return FailedPreconditionError("log tailer: running; call Stop first");
  bool more = false;
  return Poll(&more);
}

// ---------------------------------------------------------------------------
// Thread.

void Tailer::Run(std::stop_token stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::string last_error;
  while (!stop.stop_requested()) {
    bool more = false;
    Status s;
    try {
      s = Poll(&more);
    } catch (const std::exception& e) {  // from on_line or log: keep going
      s = InternalError(std::string("log tailer: poll failed: ") + e.what());
    } catch (...) {
      s = InternalError("log tailer: poll failed");
    }
    if (!s.ok() && s.ToString() != last_error) Log(s.message());
    last_error = s.ok() ? "" : s.ToString();
    if (more) continue;
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, options_.poll_interval, [] { return false; });
  }
}

void Tailer::Start() {
  MutexLock lock(&mu_);
  if (thread_.joinable()) return;
  running_.store(true);
  thread_ = std::jthread([this](std::stop_token stop) { Run(std::move(stop)); });
}

Status Tailer::Stop() {
  // Held through the save too, so that concurrent Stops do not save at once.
  MutexLock lock(&mu_);
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  running_.store(false);
  if (!dirty_) return Status::OK();
  return SaveNow();
}

TailerStats Tailer::stats() const {
  TailerStats s;
  s.lines = lines_.load(std::memory_order_relaxed);
  s.bytes = bytes_.load(std::memory_order_relaxed);
  s.truncated_lines = truncated_lines_.load(std::memory_order_relaxed);
  s.rotations = rotations_.load(std::memory_order_relaxed);
  s.truncations = truncations_.load(std::memory_order_relaxed);
  s.read_errors = read_errors_.load(std::memory_order_relaxed);
  s.state_saves = state_saves_.load(std::memory_order_relaxed);
  s.state_save_errors = state_save_errors_.load(std::memory_order_relaxed);
  s.open_files = open_files_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace vigil::logging
