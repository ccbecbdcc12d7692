# Structured logging (issue 8): loggers, levels, request context, the
# asynchronous back end and the sinks (console, rotating file via spdlog).
vigil_cc_library(NAME logging
  SRCS logging/logger.cc logging/record.cc logging/log_system.cc logging/sink.cc
  DEPS spdlog::spdlog
  PUBLIC_DEPS vigil::base)
if(VIGIL_BUILD_TESTS)
  vigil_cc_test(NAME logging_test
    SRCS logging/record_test.cc logging/log_system_test.cc
    DEPS vigil::logging nlohmann_json::nlohmann_json)
endif()
