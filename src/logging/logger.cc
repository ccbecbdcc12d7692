#include "logging/logger.h"

#include <cctype>
#include <string>

#include "logging/log_system.h"

namespace vigil::logging {

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kTrace: return "trace";
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kCritical: return "critical";
    case Level::kOff: return "off";
  }
  return "unknown";
}

Result<Level> ParseLevel(std::string_view name) {
  std::string lower;
  for (char c : name) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (Level l : {Level::kTrace, Level::kDebug, Level::kInfo, Level::kWarn, Level::kError,
                  Level::kCritical, Level::kOff}) {
    if (lower == LevelName(l)) return l;
  }
  if (lower == "warning") return Level::kWarn;
  if (lower == "fatal") return Level::kCritical;
  return InvalidArgumentError("unknown log level \"" + std::string(name) +
                                 "\" (want trace, debug, info, warn, error, critical or off)");
}

Logger& GetLogger(std::string_view name) { return DefaultLogSystem().GetLogger(name); }

}  // namespace vigil::logging
