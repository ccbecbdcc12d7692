# Log-pattern alert rules' matching engine and the log file tailer
# (logging/patterns.h, logging/tailer.h). Included from src/CMakeLists.txt;
# paths are relative to src/.
vigil_cc_library(NAME log_patterns
  SRCS logging/patterns.cc logging/tailer.cc
  DEPS PkgConfig::RE2
  PUBLIC_DEPS vigil::base)

if(VIGIL_BUILD_TESTS)
  vigil_cc_test(NAME log_patterns_test
    SRCS logging/patterns_test.cc logging/tailer_test.cc
    DEPS vigil::log_patterns)
endif()
