# SLO files compiled to Prometheus rule files (docs/formats/slo.md).
# Included from src/CMakeLists.txt: paths are relative to src/.
vigil_cc_library(NAME slo
  SRCS slo/slo.cc slo/generate.cc
  DEPS vigil::promql vigil::yaml_reader PkgConfig::YAMLCPP
  PUBLIC_DEPS vigil::model vigil::base)
if(VIGIL_BUILD_TESTS)
  vigil_cc_test(NAME slo_test SRCS slo/slo_test.cc
    DEPS vigil::slo vigil::promql vigil::yaml_reader PkgConfig::YAMLCPP)
  # The `vigil slo generate` command (cli/slo.cc), and the checks slo/ may
  # not make itself under tools/check_layering.py: that the rule loader
  # (vigil::rules) loads the output and the template engine accepts the
  # alerts' templates.
  if(VIGIL_BUILD_DAEMON)
    vigil_cc_test(NAME slo_cli_test SRCS cli/slo_test.cc
      DEPS vigil::cli vigil::slo vigil::rules vigil::templating)
  endif()
endif()
