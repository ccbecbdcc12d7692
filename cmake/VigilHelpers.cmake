# vigil_cc_library(NAME name SRCS ... DEPS ... [PUBLIC_DEPS ...] [INSTALL])
#   One static library per module, aliased as vigil::name. Internal includes are rooted at src/,
#   public ones at include/. DEPS are private, PUBLIC_DEPS leak to dependents.
# vigil_cc_test(NAME name SRCS ... DEPS ... [LABELS ...])
#   A GoogleTest binary registered with ctest (label "unit" by default).
set(VIGIL_WARNINGS -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND VIGIL_WARNINGS -Wthread-safety)
elseif(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports false -Wrestrict positives inside std::string concatenation
  # (GCC bug 105329); they are not in vigil code.
  list(APPEND VIGIL_WARNINGS -Wno-restrict)
endif()
if(VIGIL_WERROR)
  list(APPEND VIGIL_WARNINGS -Werror)
endif()
set(VIGIL_SAN_FLAGS "")
if(VIGIL_SANITIZE)
  set(VIGIL_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
endif()

function(vigil_apply_flags target)
  target_compile_options(${target} PRIVATE ${VIGIL_WARNINGS} ${VIGIL_SAN_FLAGS})
  if(VIGIL_SANITIZE)
    target_link_options(${target} PRIVATE ${VIGIL_SAN_FLAGS})
  endif()
endfunction()

function(vigil_cc_library)
  cmake_parse_arguments(V "INSTALL" "NAME" "SRCS;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(vigil_${V_NAME} STATIC ${V_SRCS})
  add_library(vigil::${V_NAME} ALIAS vigil_${V_NAME})
  set_target_properties(vigil_${V_NAME} PROPERTIES EXPORT_NAME ${V_NAME} OUTPUT_NAME vigil_${V_NAME})
  target_include_directories(vigil_${V_NAME}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(vigil_${V_NAME} PRIVATE ${V_DEPS} PUBLIC ${V_PUBLIC_DEPS} Threads::Threads)
  vigil_apply_flags(vigil_${V_NAME})
  if(VIGIL_SANITIZE)
    target_link_options(vigil_${V_NAME} INTERFACE ${VIGIL_SAN_FLAGS})
  endif()
  if(V_INSTALL)
    install(TARGETS vigil_${V_NAME} EXPORT vigilTargets
      ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  endif()
endfunction()

function(vigil_cc_test)
  cmake_parse_arguments(V "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${V_NAME} ${V_SRCS})
  target_include_directories(${V_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${V_NAME} PRIVATE ${V_DEPS} GTest::gtest GTest::gmock GTest::gtest_main Threads::Threads)
  vigil_apply_flags(${V_NAME})
  if(NOT V_LABELS)
    set(V_LABELS unit)
  endif()
  add_test(NAME ${V_NAME} COMMAND ${V_NAME} --gtest_brief=1)
  set_tests_properties(${V_NAME} PROPERTIES LABELS "${V_LABELS}" TIMEOUT 300
    ENVIRONMENT "VIGIL_SOURCE_DIR=${PROJECT_SOURCE_DIR};VIGIL_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()
