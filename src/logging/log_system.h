// LogSystem: the loggers, their levels, the sinks, and the asynchronous back
// end that formats and writes lines.
//
//   logging::LogSystem::Options o;
//   o.service_name = "detector";
//   o.overflow = logging::Overflow::kDrop;      // never block the hot path
//   logging::LogSystem logs(o);
//   logs.SetSinks({logging::ConsoleSink::Stderr()});
//   logs.SetLevels(Level::kInfo, {{"vram", Level::kDebug}, {"security", Level::kWarn}});
//   logs.GetLogger("api").Info("request", {{"path", "/predict"}});
//   logs.Flush();
//
// Asynchronous mode (the default): each thread that logs gets its own bounded
// queue of `queue_bytes`; a log call copies the record into it (no
// formatting, no lock, no allocation) and returns. One back-end thread
// collects the records of every queue, orders them by time, formats the JSON
// lines and writes them to the sinks. When a queue is full the call waits
// (Overflow::kBlock) or drops the line (Overflow::kDrop); drops are counted
// per system, and the back end writes a warning line saying how many were
// dropped. A record larger than half a queue is written synchronously.
// Synchronous mode formats and writes on the caller's thread under a lock.
//
// Lines in a queue are not yet written: a process killed with SIGKILL loses
// them (a clean exit, Flush() and the destructor write everything).
//
// Levels: SetLevels(default, overrides) gives each logger the level of the
// longest override that equals its name or is a dot-separated prefix of it
// ("vigil.rules" covers "vigil.rules.group"), else the default.
//
// Thread safety: thread-safe. Loggers live as long as the system. Threads may
// come and go: a thread's queue is drained and freed after it exits.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/thread_annotations.h"
#include "logging/logger.h"
#include "logging/sink.h"

namespace vigil::logging {

enum class Overflow { kBlock, kDrop };

struct LogStats {
  uint64_t lines_written = 0;  // lines handed to the sinks
  uint64_t lines_dropped = 0;  // lost to full queues (Overflow::kDrop)
  uint64_t sink_errors = 0;    // failed writes reported by the sinks
};

namespace internal {
class Ring;
struct ThreadRings;
}  // namespace internal

class LogSystem {
 public:
  struct Options {
    std::string service_name = "vigil";  // "service.name" of every line
    bool async = true;
    size_t queue_bytes = 256 * 1024;  // per thread; rounded up to a power of 2
    Overflow overflow = Overflow::kBlock;
    // How long the back end sleeps between polls of the queues while lines
    // arrive. Each poll that finds nothing doubles the sleep, up to
    // backend_idle_poll, so an idle process costs ~100 wake-ups a second
    // instead of 2000; the first line after a quiet spell waits at most
    // that long (warn and above, Flush(), a full queue and Shutdown() wake
    // it at once).
    std::chrono::microseconds backend_poll{500};
    std::chrono::microseconds backend_idle_poll{10000};
  };

  explicit LogSystem(Options options);
  LogSystem() : LogSystem(Options{}) {}
  // Writes every queued line, then stops the back end.
  ~LogSystem();
  LogSystem(const LogSystem&) = delete;
  LogSystem& operator=(const LogSystem&) = delete;

  // The logger `name`, created at the current levels on first use.
  Logger& GetLogger(std::string_view name);

  void SetLevels(Level default_level, std::vector<std::pair<std::string, Level>> overrides);
  // Replaces the sinks (the default is one ConsoleSink on stderr).
  void SetSinks(std::vector<std::shared_ptr<Sink>> sinks);
  // Adds a sink (log-pattern scanning of this system's own lines).
  void AddSink(std::shared_ptr<Sink> sink);
  void SetServiceName(std::string name);

  // Returns when every line logged before the call is written and flushed.
  void Flush();
  // Writes every queued line and stops the back end; later lines are
  // written synchronously. The destructor calls it.
  void Shutdown();
  LogStats Stats() const;
  const Options& options() const { return options_; }

  // Called by Logger::Log.
  void Submit(const Logger& logger, Level level, std::string_view message, Fields fields);

 private:
  friend struct internal::ThreadRings;
  struct Batch;

  internal::Ring* ThreadRing();
  internal::Ring* RegisterThread();
  void BackendLoop();
  size_t DrainOnce();
  void WriteDirect(const char* record) VIGIL_EXCLUDES(sink_mu_);
  void FormatAndWrite(const char* record) VIGIL_REQUIRES(sink_mu_);
  void FlushSinks() VIGIL_REQUIRES(sink_mu_);
  void ReportDrops(uint64_t total) VIGIL_REQUIRES(sink_mu_);
  Level LevelFor(std::string_view name) const VIGIL_REQUIRES(loggers_mu_);
  uint64_t TotalDrops() const;
  void Wake();

  const uint64_t id_;
  Options options_;

  mutable Mutex loggers_mu_;
  std::map<std::string, std::unique_ptr<Logger>, std::less<>> loggers_
      VIGIL_GUARDED_BY(loggers_mu_);
  Level default_level_ VIGIL_GUARDED_BY(loggers_mu_) = Level::kInfo;
  std::vector<std::pair<std::string, Level>> overrides_ VIGIL_GUARDED_BY(loggers_mu_);

  mutable Mutex sink_mu_;
  std::vector<std::shared_ptr<Sink>> sinks_ VIGIL_GUARDED_BY(sink_mu_);
  std::string service_name_ VIGIL_GUARDED_BY(sink_mu_);
  std::string line_ VIGIL_GUARDED_BY(sink_mu_);          // scratch line
  uint64_t reported_drops_ VIGIL_GUARDED_BY(sink_mu_) = 0;
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> sink_errors_{0};  // as of the last flush

  mutable Mutex rings_mu_;
  std::vector<std::shared_ptr<internal::Ring>> rings_ VIGIL_GUARDED_BY(rings_mu_);
  std::atomic<uint64_t> retired_drops_{0};  // drops of freed queues

  struct Backend;
  std::unique_ptr<Backend> backend_;
};

// The process-wide system used by GetLogger(); asynchronous, stderr. It is
// flushed and switched to synchronous writing at exit.
LogSystem& DefaultLogSystem();

}  // namespace vigil::logging
