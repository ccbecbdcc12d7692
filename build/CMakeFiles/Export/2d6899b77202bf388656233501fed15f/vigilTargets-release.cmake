#----------------------------------------------------------------
# Generated CMake target import file for configuration "Release".
#----------------------------------------------------------------

# Commands may need to know the format version.
set(CMAKE_IMPORT_FILE_VERSION 1)

# Import target "vigil::base" for configuration "Release"
set_property(TARGET vigil::base APPEND PROPERTY IMPORTED_CONFIGURATIONS RELEASE)
set_target_properties(vigil::base PROPERTIES
  IMPORTED_LINK_INTERFACE_LANGUAGES_RELEASE "CXX"
  IMPORTED_LOCATION_RELEASE "${_IMPORT_PREFIX}/lib/libvigil_base.a"
  )

list(APPEND _cmake_import_check_targets vigil::base )
list(APPEND _cmake_import_check_files_for_vigil::base "${_IMPORT_PREFIX}/lib/libvigil_base.a" )

# Import target "vigil::metrics" for configuration "Release"
set_property(TARGET vigil::metrics APPEND PROPERTY IMPORTED_CONFIGURATIONS RELEASE)
set_target_properties(vigil::metrics PROPERTIES
  IMPORTED_LINK_INTERFACE_LANGUAGES_RELEASE "CXX"
  IMPORTED_LOCATION_RELEASE "${_IMPORT_PREFIX}/lib/libvigil_metrics.a"
  )

list(APPEND _cmake_import_check_targets vigil::metrics )
list(APPEND _cmake_import_check_files_for_vigil::metrics "${_IMPORT_PREFIX}/lib/libvigil_metrics.a" )

# Import target "vigil::exposition" for configuration "Release"
set_property(TARGET vigil::exposition APPEND PROPERTY IMPORTED_CONFIGURATIONS RELEASE)
set_target_properties(vigil::exposition PROPERTIES
  IMPORTED_LINK_INTERFACE_LANGUAGES_RELEASE "CXX"
  IMPORTED_LOCATION_RELEASE "${_IMPORT_PREFIX}/lib/libvigil_exposition.a"
  )

list(APPEND _cmake_import_check_targets vigil::exposition )
list(APPEND _cmake_import_check_files_for_vigil::exposition "${_IMPORT_PREFIX}/lib/libvigil_exposition.a" )

# Import target "vigil::http" for configuration "Release"
set_property(TARGET vigil::http APPEND PROPERTY IMPORTED_CONFIGURATIONS RELEASE)
set_target_properties(vigil::http PROPERTIES
  IMPORTED_LINK_INTERFACE_LANGUAGES_RELEASE "CXX"
  IMPORTED_LOCATION_RELEASE "${_IMPORT_PREFIX}/lib/libvigil_http.a"
  )

list(APPEND _cmake_import_check_targets vigil::http )
list(APPEND _cmake_import_check_files_for_vigil::http "${_IMPORT_PREFIX}/lib/libvigil_http.a" )

# Import target "vigil::exporter" for configuration "Release"
set_property(TARGET vigil::exporter APPEND PROPERTY IMPORTED_CONFIGURATIONS RELEASE)
set_target_properties(vigil::exporter PROPERTIES
  IMPORTED_LINK_INTERFACE_LANGUAGES_RELEASE "CXX"
  IMPORTED_LOCATION_RELEASE "${_IMPORT_PREFIX}/lib/libvigil_exporter.a"
  )

list(APPEND _cmake_import_check_targets vigil::exporter )
list(APPEND _cmake_import_check_files_for_vigil::exporter "${_IMPORT_PREFIX}/lib/libvigil_exporter.a" )

# Commands beyond this point should not need to know the version.
set(CMAKE_IMPORT_FILE_VERSION)
