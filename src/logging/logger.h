// Structured logging: levels, key-value fields, named loggers and request
// context. Lines are JSON following the Elastic Common Schema (docs/logging.md):
//
//   logging::Logger& log = logging::GetLogger("inference");
//   log.Info("prediction", {{"model", name}, {"latency_ms", 3.2}, {"ok", true}});
//   VIGIL_LOG(log, Debug, "batch", {"size", n});   // fields built only if enabled
//
//   {   // every line logged on this thread in scope carries these
//     logging::ScopedContext ctx({{"http.request.id", id}, {"model.version", "v3"},
//                                 {"trace.id", trace}});
//     ...
//   }
//
// The caller's thread only copies the record into a per-thread queue; the
// LogSystem's back-end thread formats and writes it (log_system.h).
//
// Thread safety: Logger is thread-safe. Field is a view (it borrows the key
// and string values for the duration of the call). ScopedContext affects only
// the constructing thread and must be destroyed on it, in reverse order.
#pragma once

#include <atomic>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "vigil/result.h"

namespace vigil::logging {

class LogSystem;

enum class Level : uint8_t { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

// "trace", "debug", "info", "warn", "error", "critical", "off".
std::string_view LevelName(Level level);
// Case-insensitive; "warning" and "fatal" are accepted as warn and critical.
Result<Level> ParseLevel(std::string_view name);

// One key-value pair of a log line. Values are strings, integers, doubles,
// booleans or null; they are copied when the line is logged.
class Field {
 public:
  enum class Kind : uint8_t { kString, kInt, kUint, kDouble, kBool, kNull };

  Field(std::string_view key, std::string_view v) : key_(key), kind_(Kind::kString) {
    str_ = v.data();
    len_ = v.size();
  }
  Field(std::string_view key, const char* v)
      : Field(key, v == nullptr ? std::string_view() : std::string_view(v)) {}
  Field(std::string_view key, const std::string& v) : Field(key, std::string_view(v)) {}
  template <std::signed_integral T>
  Field(std::string_view key, T v) : key_(key), kind_(Kind::kInt) {
    i_ = v;
  }
  template <std::unsigned_integral T>
    requires(!std::same_as<T, bool>)
  Field(std::string_view key, T v) : key_(key), kind_(Kind::kUint) {
    u_ = v;
  }
  Field(std::string_view key, double v) : key_(key), kind_(Kind::kDouble) { d_ = v; }
  Field(std::string_view key, float v) : Field(key, static_cast<double>(v)) {}
  Field(std::string_view key, bool v) : key_(key), kind_(Kind::kBool) { b_ = v; }
  Field(std::string_view key, std::nullptr_t) : key_(key), kind_(Kind::kNull) {}

  std::string_view key() const { return key_; }
  Kind kind() const { return kind_; }
  std::string_view string_value() const { return {str_, len_}; }
  int64_t int_value() const { return i_; }
  uint64_t uint_value() const { return u_; }
  double double_value() const { return d_; }
  bool bool_value() const { return b_; }

 private:
  std::string_view key_;
  Kind kind_;
  size_t len_ = 0;
  union {
    const char* str_;
    int64_t i_;
    uint64_t u_;
    double d_;
    bool b_;
  };
};

using Fields = std::initializer_list<Field>;

// A named logger with its own level. Obtained from LogSystem::GetLogger and
// valid as long as that system; never destroyed before it.
class Logger {
 public:
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  const std::string& name() const { return name_; }
  Level level() const { return level_.load(std::memory_order_relaxed); }
  bool Enabled(Level l) const {
    return l >= level_.load(std::memory_order_relaxed) && l < Level::kOff;
  }

  // Logs unconditionally (callers test Enabled, or use the helpers below).
  inline void Log(Level level, std::string_view message, Fields fields = {});

  void Trace(std::string_view m, Fields f = {}) { LogIf(Level::kTrace, m, f); }
  void Debug(std::string_view m, Fields f = {}) { LogIf(Level::kDebug, m, f); }
  void Info(std::string_view m, Fields f = {}) { LogIf(Level::kInfo, m, f); }
  void Warn(std::string_view m, Fields f = {}) { LogIf(Level::kWarn, m, f); }
  void Error(std::string_view m, Fields f = {}) { LogIf(Level::kError, m, f); }
  void Critical(std::string_view m, Fields f = {}) { LogIf(Level::kCritical, m, f); }

 private:
  friend class LogSystem;
  Logger(LogSystem* system, std::string name, Level level)
      : system_(system), name_(std::move(name)), level_(level) {}
  void LogIf(Level l, std::string_view m, Fields f) {
    if (Enabled(l)) Log(l, m, f);
  }

  LogSystem* const system_;
  const std::string name_;
  std::atomic<Level> level_;
};

// Hands the record to the logger's system (log_system.h).
void SubmitToSystem(LogSystem* system, const Logger& logger, Level level,
                    std::string_view message, Fields fields);
inline void Logger::Log(Level level, std::string_view message, Fields fields) {
  SubmitToSystem(system_, *this, level, message, fields);
}

// The default system's logger `name` (log_system.h: DefaultLogSystem()).
Logger& GetLogger(std::string_view name);

// Fields attached to every line this thread logs while the scope lives
// (request id, model version, trace and span ids). Scopes nest; a field of an
// inner scope or of the call itself with the same key wins.
class ScopedContext {
 public:
  explicit ScopedContext(Fields fields);
  ~ScopedContext();
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;

 private:
  size_t saved_size_;
  uint32_t saved_count_;
};

}  // namespace vigil::logging

// VIGIL_LOG(logger, Info, "message", {"key", value}, ...): the fields are
// evaluated only when the level is enabled. Levels: Trace, Debug, Info, Warn,
// Error, Critical.
#define VIGIL_LOG(logger, LEVEL, message, ...)                                    \
  do {                                                                            \
    ::vigil::logging::Logger& vigil_log_logger_ = (logger);                       \
    if (vigil_log_logger_.Enabled(::vigil::logging::Level::k##LEVEL)) {           \
      vigil_log_logger_.Log(::vigil::logging::Level::k##LEVEL, (message), {__VA_ARGS__}); \
    }                                                                             \
  } while (0)

// Logs the 1st, (n+1)th, (2n+1)th ... call of this statement (sampling of
// hot-path lines); the line carries "log.sampling.every": n.
#define VIGIL_LOG_EVERY_N(logger, LEVEL, n, message, ...)                          \
  do {                                                                             \
    static ::std::atomic<uint64_t> vigil_log_count_{0};                            \
    ::vigil::logging::Logger& vigil_log_logger_ = (logger);                        \
    if (vigil_log_logger_.Enabled(::vigil::logging::Level::k##LEVEL) &&            \
        vigil_log_count_.fetch_add(1, ::std::memory_order_relaxed) %               \
                static_cast<uint64_t>(n) == 0) {                                   \
      vigil_log_logger_.Log(::vigil::logging::Level::k##LEVEL, (message),          \
                            {{"log.sampling.every", static_cast<uint64_t>(n)} __VA_OPT__(,) __VA_ARGS__}); \
    }                                                                              \
  } while (0)
