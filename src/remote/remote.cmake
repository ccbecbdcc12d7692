# Prometheus remote write 1.0 from the tsdb WAL (remote/write_storage.h).
# Needs protobuf (protoc and the lite runtime) and snappy, from Debian's
# protobuf-compiler, libprotobuf-dev and libsnappy-dev (scripts/setup).
# The daemon sends with it, so they are required.
find_package(Protobuf REQUIRED)
pkg_check_modules(SNAPPY REQUIRED IMPORTED_TARGET snappy)
if(NOT Protobuf_PROTOC_EXECUTABLE)
  message(FATAL_ERROR "remote write needs protoc: install protobuf-compiler (scripts/setup)")
endif()

# The generated prometheus.WriteRequest code, as its own library without
# vigil's warning flags (generated code is not ours to fix). Included as
# "remote/remote.pb.h".
set(vigil_remote_proto_out ${CMAKE_CURRENT_BINARY_DIR}/remote_proto)
file(MAKE_DIRECTORY ${vigil_remote_proto_out})
add_library(vigil_remote_proto STATIC ${CMAKE_CURRENT_SOURCE_DIR}/remote/remote.proto)
protobuf_generate(TARGET vigil_remote_proto LANGUAGE cpp
  IMPORT_DIRS ${CMAKE_CURRENT_SOURCE_DIR}
  PROTOC_OUT_DIR ${vigil_remote_proto_out})
target_include_directories(vigil_remote_proto SYSTEM PUBLIC ${vigil_remote_proto_out})
target_link_libraries(vigil_remote_proto PUBLIC protobuf::libprotobuf-lite)

vigil_cc_library(NAME remote
  SRCS remote/codec.cc remote/config.cc remote/progress.cc remote/queue_manager.cc
       remote/queue_metrics.cc remote/segment_reader.cc remote/wal_watcher.cc
       remote/write_storage.cc
  DEPS vigil_remote_proto PkgConfig::SNAPPY vigil::wal vigil::yaml_reader vigil::httpconfig
       PkgConfig::YAMLCPP ZLIB::ZLIB
  PUBLIC_DEPS vigil::http vigil::metrics vigil::model vigil::base)

if(VIGIL_BUILD_TESTS)
  vigil_cc_test(NAME remote_test
    SRCS remote/codec_test.cc remote/config_test.cc remote/progress_test.cc
         remote/segment_reader_test.cc
         remote/wal_watcher_test.cc remote/queue_manager_test.cc
         remote/write_storage_test.cc
    DEPS vigil::remote vigil::tsdb vigil::wal vigil::http vigil::yaml_reader
         PkgConfig::YAMLCPP vigil::metrics)

  # Test driver for tests/e2e/remote_write_vm.sh: writes series into a tsdb
  # and runs a WriteStorage against a real receiver.
  add_executable(remote_write_driver remote/remote_write_driver.cc)
  target_include_directories(remote_write_driver PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(remote_write_driver PRIVATE vigil::remote vigil::tsdb vigil::http
    vigil::metrics)
  vigil_apply_flags(remote_write_driver)
endif()
