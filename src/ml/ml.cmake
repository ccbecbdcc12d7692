# ML metric sets (issue 9): sampling, InferenceMetrics and PipelineProfiler.
# FeatureLogger and JobTracker are added to the same library by
# ml/jobs.cmake (target_sources(vigil_ml ...)).
vigil_cc_library(NAME ml INSTALL
  SRCS ml/sampler.cc ml/inference_metrics.cc ml/pipeline_profiler.cc
  DEPS nlohmann_json::nlohmann_json
  PUBLIC_DEPS vigil::metrics vigil::base)
if(VIGIL_BUILD_TESTS)
  vigil_cc_test(NAME ml_test
    SRCS ml/sampler_test.cc ml/inference_metrics_test.cc ml/pipeline_profiler_test.cc
    DEPS vigil::ml nlohmann_json::nlohmann_json)
endif()
