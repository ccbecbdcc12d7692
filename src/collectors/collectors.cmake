# Host and GPU collectors (issue 9): NodeCollector (node_exporter's names,
# read from /proc) and GpuCollector (NVML, loaded at run time with dlopen, so
# no CUDA package is needed to build). See docs/collectors.md.
vigil_cc_library(NAME collectors INSTALL
  SRCS collectors/node_collector.cc collectors/statfs_runner.cc collectors/gpu_collector.cc collectors/nvml.cc
  DEPS ${CMAKE_DL_LIBS}
  PUBLIC_DEPS vigil::metrics vigil::base)

if(VIGIL_BUILD_TESTS)
  # Stand-ins for libnvidia-ml.so.1 that the tests dlopen: one exporting the
  # _v3 process query, one only the unversioned (pre-R450) query.
  add_library(fake_nvml SHARED collectors/fake_nvml.cc)
  add_library(fake_nvml_legacy SHARED collectors/fake_nvml.cc)
  target_compile_definitions(fake_nvml_legacy PRIVATE VIGIL_FAKE_NVML_LEGACY=1)
  foreach(fake fake_nvml fake_nvml_legacy)
    target_compile_options(${fake} PRIVATE ${VIGIL_WARNINGS})
  endforeach()

  vigil_cc_test(NAME collectors_test
    SRCS collectors/node_collector_test.cc collectors/gpu_collector_test.cc
         collectors/statfs_runner_test.cc
    DEPS vigil::collectors vigil::metrics ${CMAKE_DL_LIBS})
  target_compile_definitions(collectors_test PRIVATE
    VIGIL_FAKE_NVML_PATH="$<TARGET_FILE:fake_nvml>"
    VIGIL_FAKE_NVML_LEGACY_PATH="$<TARGET_FILE:fake_nvml_legacy>")
  add_dependencies(collectors_test fake_nvml fake_nvml_legacy)
endif()
