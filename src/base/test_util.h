// Helpers for tests of any module: a temporary directory removed with its
// contents when the test ends, and a stdio stream whose text can be read
// back (for commands that write to a FILE*).
//
// Thread safety: not thread-safe (test code).
#pragma once

#include <stdio.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace vigil::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vigil-test-XXXXXX";  // mkdtemp(3) fills in the Xs
    const char* made = mkdtemp(tmpl);
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A temporary stdio stream; Text() is everything written so far.
class Capture {
 public:
  Capture() : f_(std::tmpfile()) {}
  ~Capture() {
    if (f_ != nullptr) std::fclose(f_);
  }
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;
  std::FILE* get() { return f_; }
  std::string Text() {
    std::fflush(f_);
    std::rewind(f_);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f_)) > 0) out.append(buf, n);
    return out;
  }

 private:
  std::FILE* f_;
};

}  // namespace vigil::testing
