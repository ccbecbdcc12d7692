# FeatureLogger and JobTracker (issue 9), part of vigil::ml (declared in
# ml/ml.cmake, included first).
target_sources(vigil_ml PRIVATE ml/feature_logger.cc ml/job_tracker.cc)
target_link_libraries(vigil_ml PRIVATE vigil::base)
if(VIGIL_BUILD_TESTS)
  vigil_cc_test(NAME ml_jobs_test
    SRCS ml/feature_logger_test.cc ml/job_tracker_test.cc
    DEPS vigil::ml nlohmann_json::nlohmann_json)
endif()
