// Where formatted log lines go: a file descriptor (the console), a rotating
// file (spdlog's rotating_file_sink), or a callback (log-pattern scanning of
// vigil's own logs, tests).
//
//   auto file = logging::RotatingFileSink::Create("logs/app.log", 100 << 20, 5);
//   if (!file.ok()) return file.status();
//   system.SetSinks({logging::ConsoleSink::Stderr(), *file});
//
// A sink receives one JSON line at a time (without its newline) and Flush()
// once per batch. The LogSystem serialises calls to its sinks, so a sink needs
// no locking of its own unless it is shared between systems.
//
// Thread safety: see above; Create functions are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "logging/logger.h"
#include "vigil/result.h"

namespace spdlog::sinks {
class sink;
}

namespace vigil::logging {

class Sink {
 public:
  virtual ~Sink() = default;
  // `line` is one complete JSON object; `level` is its level.
  virtual void Write(Level level, std::string_view line) = 0;
  // End of a batch: hand buffered bytes to the operating system.
  virtual void Flush() = 0;
  // Write failures so far (a full disk); the system reports them.
  uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }

 protected:
  std::atomic<uint64_t> errors_{0};
};

// Lines to a file descriptor (stderr by default), buffered per batch and
// written with write(2). The descriptor is not closed.
class ConsoleSink : public Sink {
 public:
  explicit ConsoleSink(int fd) : fd_(fd) {}
  static std::shared_ptr<Sink> Stderr() { return std::make_shared<ConsoleSink>(2); }
  static std::shared_ptr<Sink> Stdout() { return std::make_shared<ConsoleSink>(1); }

  void Write(Level level, std::string_view line) override;
  void Flush() override;

 private:
  int fd_;
  std::string buffer_;
};

// Lines to `path`, rotated when the next line would make it larger than
// `max_bytes`: path -> path.1 ... -> path.max_files (the oldest is removed),
// as Python's RotatingFileHandler(maxBytes, backupCount) and spdlog do
// (spdlog names backups "app.1.log" for "app.log").
class RotatingFileSink : public Sink {
 public:
  // kInvalidArgument for a zero size; kUnavailable when the file cannot be
  // opened (the message names the path).
  static Result<std::shared_ptr<Sink>> Create(const std::string& path, uint64_t max_bytes,
                                              uint32_t max_files);
  ~RotatingFileSink() override;

  void Write(Level level, std::string_view line) override;
  void Flush() override;

 private:
  explicit RotatingFileSink(std::shared_ptr<spdlog::sinks::sink> impl);
  std::shared_ptr<spdlog::sinks::sink> impl_;
};

// Calls `fn` with every line (minimum level `min_level`).
class CallbackSink : public Sink {
 public:
  using Fn = std::function<void(Level, std::string_view line)>;
  explicit CallbackSink(Fn fn, Level min_level = Level::kTrace)
      : fn_(std::move(fn)), min_level_(min_level) {}
  void Write(Level level, std::string_view line) override {
    if (level >= min_level_) fn_(level, line);
  }
  void Flush() override {}

 private:
  Fn fn_;
  Level min_level_;
};

}  // namespace vigil::logging
