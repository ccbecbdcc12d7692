#include "vigil/ml/pipeline_profiler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "metrics/test_util.h"
#include "ml/test_util.h"
#include "vigil/metrics/registry.h"

namespace vigil::ml {
namespace {

using metrics::MetricSnapshot;
using metrics::MetricType;
using metrics::Registry;
using metrics::testing::FindFamily;
using metrics::testing::FindSeries;
using metrics::testing::SeriesValue;

using FakeClock = testing::FakeSteadyClock;

std::unique_ptr<PipelineProfiler> MustCreate(Registry& r, PipelineProfilerOptions o) {
  auto p = PipelineProfiler::Create(r, std::move(o));
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return std::move(p).value();
}

// Logs `n` executions of `seconds` for each stage.
void LogEach(PipelineProfiler& p, const std::vector<std::pair<std::string, double>>& stages,
             int n) {
  for (int i = 0; i < n; ++i) {
    for (const auto& [stage, seconds] : stages) p.LogStage(stage, seconds);
  }
}

double Bottleneck(const Registry& r, const std::string& stage) {
  return SeriesValue(r, "pipeline_bottleneck_detected", {{"stage", stage}});
}

TEST(PipelineProfilerTest, RegistersFamiliesAndDeclaredStages) {
  Registry r({.prefix = "vigil_ml"});
  FakeClock clock;
  auto p = MustCreate(r, {.pipeline = "dual_encoder", .stages = {"visual", "spatial"},
                          .now = clock.Fn()});
  // Declared stages exist from the start: calls 0, no bottleneck.
  EXPECT_EQ(SeriesValue(r, "vigil_ml_pipeline_stage_calls_total",
                        {{"pipeline", "dual_encoder"}, {"stage", "visual"}}),
            0);
  EXPECT_EQ(SeriesValue(r, "vigil_ml_pipeline_bottleneck_detected", {{"stage", "spatial"}}), 0);
  // No efficiency series until a score is computed (0 would read as "bad").
  EXPECT_EQ(FindFamily(r.Snapshot(), "vigil_ml_pipeline_efficiency_score"), nullptr);
  const BottleneckReport rep = p->DetectBottlenecks();
  ASSERT_EQ(rep.stages.size(), 2u);
  EXPECT_EQ(rep.stages[0].stage, "visual");
  EXPECT_EQ(rep.stages[1].stage, "spatial");
  EXPECT_FALSE(rep.detected);
  EXPECT_EQ(rep.stage, "");

  // A snapshot lists families with at least one series: touch every one.
  {
    BatchScope batch(*p, 2);
    p->LogStage("visual", 0.01, 50.0);
    p->LogConnector("visual", "spatial", 0.001);
    p->LogCustomTiming("preprocessing", 0.001);
    clock.Advance(0.5);
  }
  const auto snap = r.Snapshot();
  for (const char* name :
       {"vigil_ml_pipeline_stage_duration_seconds", "vigil_ml_pipeline_stage_calls_total",
        "vigil_ml_pipeline_stage_gpu_utilization_percent",
        "vigil_ml_pipeline_connector_duration_seconds", "vigil_ml_pipeline_batch_duration_seconds",
        "vigil_ml_pipeline_batch_size", "vigil_ml_pipeline_batch_throughput_items_per_second",
        "vigil_ml_pipeline_efficiency_score", "vigil_ml_pipeline_bottleneck_detected",
        "vigil_ml_pipeline_custom_duration_seconds"}) {
    EXPECT_NE(FindFamily(snap, name), nullptr) << name;
  }
  EXPECT_EQ(FindFamily(snap, "vigil_ml_pipeline_efficiency_score")->type, MetricType::kGauge);
  EXPECT_EQ(FindFamily(snap, "vigil_ml_pipeline_stage_calls_total")->type, MetricType::kCounter);
  EXPECT_EQ(FindFamily(snap, "vigil_ml_pipeline_stage_duration_seconds")->type,
            MetricType::kHistogram);
  EXPECT_DOUBLE_EQ(SeriesValue(r, "vigil_ml_pipeline_efficiency_score", {}), 0.01 / 0.011);
}

TEST(PipelineProfilerTest, LogStageCountsObservesAndSetsGpu) {
  Registry r;
  auto p = MustCreate(r, {.pipeline = "pl"});
  p->LogStage("visual", 0.02, 80.0);
  p->LogStage("visual", 0.03);
  auto spatial = p->GetStage("spatial");
  EXPECT_TRUE(spatial.attached());
  p->LogStage(spatial, 0.01, 40.0);
  p->LogStage("visual", -1);                                      // counted, not observed
  p->LogStage("visual", std::numeric_limits<double>::infinity());  // same
  const auto snap = r.Snapshot();
  EXPECT_EQ(FindSeries(snap, "pipeline_stage_calls_total", {{"stage", "visual"}})->value, 4);
  const MetricSnapshot* d =
      FindSeries(snap, "pipeline_stage_duration_seconds", {{"pipeline", "pl"}, {"stage", "visual"}});
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->count, 2u);
  EXPECT_NEAR(d->sum, 0.05, 1e-12);
  EXPECT_EQ(SeriesValue(r, "pipeline_stage_gpu_utilization_percent", {{"stage", "visual"}}), 80);
  EXPECT_EQ(SeriesValue(r, "pipeline_stage_gpu_utilization_percent", {{"stage", "spatial"}}), 40);
}

TEST(PipelineProfilerTest, DominantStageIsTheBottleneck) {
  Registry r;
  auto p = MustCreate(r, {.pipeline = "pl", .stages = {"a", "b", "c"}});
  LogEach(*p, {{"a", 0.10}, {"b", 0.03}, {"c", 0.02}}, 5);
  const BottleneckReport rep = p->DetectBottlenecks();
  EXPECT_TRUE(rep.detected);
  EXPECT_EQ(rep.stage, "a");
  EXPECT_NEAR(rep.share, 0.10 / 0.15, 1e-9);
  EXPECT_NEAR(rep.ratio_to_next, 0.10 / 0.03, 1e-9);
  ASSERT_EQ(rep.stages.size(), 3u);
  EXPECT_NEAR(rep.stages[0].mean_seconds, 0.10, 1e-12);
  EXPECT_EQ(rep.stages[0].window_count, 5u);
  EXPECT_NEAR(rep.stages[1].share, 0.2, 1e-9);
  EXPECT_EQ(rep.stages[2].calls, 5);
  EXPECT_EQ(Bottleneck(r, "a"), 1);
  EXPECT_EQ(Bottleneck(r, "b"), 0);
  EXPECT_EQ(Bottleneck(r, "c"), 0);
}

TEST(PipelineProfilerTest, BalancedStagesAreNoBottleneckAndClearTheGauge) {
  Registry r;
  auto p = MustCreate(r, {.pipeline = "pl", .stages = {"a", "b", "c"}, .window = 5});
  LogEach(*p, {{"a", 0.10}, {"b", 0.03}, {"c", 0.02}}, 5);
  ASSERT_TRUE(p->DetectBottlenecks().detected);
  ASSERT_EQ(Bottleneck(r, "a"), 1);
  // The window (5) now holds only balanced durations: share 0.05/0.12 < 0.5.
  LogEach(*p, {{"a", 0.05}, {"b", 0.04}, {"c", 0.03}}, 5);
  const BottleneckReport rep = p->DetectBottlenecks();
  EXPECT_FALSE(rep.detected);
  EXPECT_EQ(rep.stage, "a");  // still the slowest, just not dominant
  EXPECT_NEAR(rep.share, 0.05 / 0.12, 1e-9);
  EXPECT_EQ(Bottleneck(r, "a"), 0);
}

TEST(PipelineProfilerTest, HighShareButCloseRunnerUpIsNoBottleneck) {
  Registry r;
  auto p = MustCreate(r, {.pipeline = "pl"});
  LogEach(*p, {{"visual", 0.055}, {"spatial", 0.045}}, 5);  // share 0.55, ratio 1.22
  BottleneckReport rep = p->DetectBottlenecks();
  EXPECT_FALSE(rep.detected);
  EXPECT_NEAR(rep.ratio_to_next, 0.055 / 0.045, 1e-9);
  // The same data with a looser ratio is one.
  Registry r2;
  auto loose = MustCreate(r2, {.pipeline = "pl", .bottleneck_ratio = 1.2});
  LogEach(*loose, {{"visual", 0.055}, {"spatial", 0.045}}, 5);
  EXPECT_TRUE(loose->DetectBottlenecks().detected);
  // And with a stricter share it is not.
  Registry r3;
  auto strict = MustCreate(r3, {.pipeline = "pl", .bottleneck_share = 0.6,
                                .bottleneck_ratio = 1.2});
  LogEach(*strict, {{"visual", 0.055}, {"spatial", 0.045}}, 5);
  EXPECT_FALSE(strict->DetectBottlenecks().detected);
}

TEST(PipelineProfilerTest, StagesNeedEnoughSamplesAndACompanion) {
  Registry r;
  auto p = MustCreate(r, {.pipeline = "pl", .bottleneck_min_samples = 3});
  LogEach(*p, {{"slow", 1.0}}, 3);
  LogEach(*p, {{"fast", 0.01}}, 2);  // below min_samples: not eligible
  BottleneckReport rep = p->DetectBottlenecks();
  EXPECT_FALSE(rep.detected);  // a lone eligible stage has nothing to dominate
  EXPECT_EQ(rep.stage, "slow");
  EXPECT_EQ(rep.share, 1.0);
  EXPECT_TRUE(std::isinf(rep.ratio_to_next));
  EXPECT_TRUE(std::isnan(rep.stages[1].share));
  p->LogStage("fast", 0.01);
  rep = p->DetectBottlenecks();
  EXPECT_TRUE(rep.detected);
  EXPECT_EQ(rep.stage, "slow");
}

TEST(PipelineProfilerTest, WindowForgetsOldDurations) {
  Registry r;
  auto p = MustCreate(r, {.pipeline = "pl", .window = 4, .bottleneck_min_samples = 1});
  LogEach(*p, {{"a", 1.0}}, 4);
  LogEach(*p, {{"a", 0.01}}, 4);
  const BottleneckReport rep = p->DetectBottlenecks();
  ASSERT_EQ(rep.stages.size(), 1u);
  EXPECT_NEAR(rep.stages[0].mean_seconds, 0.01, 1e-12);
  EXPECT_EQ(rep.stages[0].window_count, 4u);
  EXPECT_EQ(rep.stages[0].calls, 8);
  // The histogram keeps everything.
  EXPECT_EQ(FindSeries(r.Snapshot(), "pipeline_stage_duration_seconds", {{"stage", "a"}})->count,
            8u);
}

TEST(PipelineProfilerTest, EfficiencyIsStageShareOfStagePlusConnectorTime) {
  Registry r;
  auto p = MustCreate(r, {.pipeline = "pl", .stages = {"visual", "spatial"}});
  EXPECT_TRUE(std::isnan(p->EfficiencyScore()));  // no data yet
  EXPECT_EQ(FindFamily(r.Snapshot(), "pipeline_efficiency_score"), nullptr);

  LogEach(*p, {{"visual", 0.03}, {"spatial", 0.05}}, 5);
  EXPECT_DOUBLE_EQ(p->EfficiencyScore(), 1.0);  // no connector time logged
  for (int i = 0; i < 5; ++i) {
    p->LogConnector("visual", "spatial", 0.01);
    p->LogConnector("spatial", "head", 0.03);
  }
  // (0.03 + 0.05) / (0.03 + 0.05 + 0.01 + 0.03)
  EXPECT_NEAR(p->EfficiencyScore(), 0.08 / 0.12, 1e-9);
  EXPECT_NEAR(SeriesValue(r, "pipeline_efficiency_score", {{"pipeline", "pl"}}), 0.08 / 0.12,
              1e-9);
  const auto snap = r.Snapshot();
  const MetricSnapshot* c =
      FindSeries(snap, "pipeline_connector_duration_seconds", {{"from", "visual"}, {"to", "spatial"}});
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->count, 5u);

  // All connector, zero stage work: 0.
  Registry r2;
  auto idle = MustCreate(r2, {.pipeline = "pl"});
  idle->LogStage("a", 0);
  idle->LogConnector("a", "b", 0.5);
  EXPECT_EQ(idle->EfficiencyScore(), 0.0);
  // Connectors alone, no stage duration: undefined.
  Registry r3;
  auto only_connectors = MustCreate(r3, {.pipeline = "pl"});
  only_connectors->LogConnector("a", "b", 0.5);
  EXPECT_TRUE(std::isnan(only_connectors->EfficiencyScore()));
}

TEST(PipelineProfilerTest, StageScopeUsesTheClockAndGpuReaders) {
  Registry r;
  FakeClock clock;
  int option_reads = 0;
  auto p = MustCreate(r, {.pipeline = "pl",
                          .gpu_utilization =
                              [&](std::string_view stage) {
                                ++option_reads;
                                return stage == "spatial" ? 55.0 : 0.0;
                              },
                          .now = clock.Fn()});
  {
    StageScope s(*p, "visual", [] { return 75.0; });
    EXPECT_TRUE(s.sampled());
    clock.Advance(0.2);
  }
  {
    StageScope s(*p, "spatial");  // falls back to options.gpu_utilization
    clock.Advance(0.1);
  }
  {
    StageScope s(*p, p->GetStage("visual"), [] { return 75.0; });
    s.SetGpuUtilization(90);  // an explicit value wins over the reader
    clock.Advance(0.2);
  }
  {
    StageScope s(*p, "visual");
    clock.Advance(3);
    s.Cancel();  // counted, not observed
  }
  const auto snap = r.Snapshot();
  const MetricSnapshot* v = FindSeries(snap, "pipeline_stage_duration_seconds", {{"stage", "visual"}});
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->count, 2u);
  EXPECT_NEAR(v->sum, 0.4, 1e-9);
  EXPECT_EQ(FindSeries(snap, "pipeline_stage_calls_total", {{"stage", "visual"}})->value, 3);
  EXPECT_EQ(SeriesValue(r, "pipeline_stage_gpu_utilization_percent", {{"stage", "visual"}}), 90);
  EXPECT_EQ(SeriesValue(r, "pipeline_stage_gpu_utilization_percent", {{"stage", "spatial"}}), 55);
  EXPECT_EQ(option_reads, 1);
}

TEST(PipelineProfilerTest, BatchScopeObservesThroughputAndUpdatesGauges) {
  Registry r;
  FakeClock clock;
  auto p = MustCreate(r, {.pipeline = "pl", .stages = {"a", "b"}, .now = clock.Fn()});
  {
    BatchScope batch(*p, 16);
    for (int i = 0; i < 16; ++i) {
      {
        StageScope s(*p, "a");
        clock.Advance(0.025);
      }
      p->LogConnector("a", "b", 0.0025);
      {
        StageScope s(*p, "b");
        clock.Advance(0.0025);
      }
    }
  }  // the clock moved 16 * (0.025 + 0.0025) = 0.44 s (connector time is only logged)
  const auto snap = r.Snapshot();
  const MetricSnapshot* d = FindSeries(snap, "pipeline_batch_duration_seconds", {{"pipeline", "pl"}});
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->count, 1u);
  EXPECT_NEAR(d->sum, 0.44, 1e-9);
  const MetricSnapshot* size = FindSeries(snap, "pipeline_batch_size", {{"pipeline", "pl"}});
  EXPECT_EQ(size->count, 1u);
  EXPECT_EQ(size->sum, 16);
  EXPECT_NEAR(SeriesValue(r, "pipeline_batch_throughput_items_per_second", {{"pipeline", "pl"}}),
              16 / 0.44, 1e-6);
  // Updated at batch end without asking: a dominates (share 10/11, ratio 10).
  EXPECT_EQ(Bottleneck(r, "a"), 1);
  EXPECT_EQ(Bottleneck(r, "b"), 0);
  EXPECT_NEAR(SeriesValue(r, "pipeline_efficiency_score", {{"pipeline", "pl"}}),
              0.0275 / 0.03, 1e-9);
}

TEST(PipelineProfilerTest, BatchEndLeavesGaugesAloneWhenAskedTo) {
  Registry r;
  FakeClock clock;
  auto p = MustCreate(r, {.pipeline = "pl", .update_gauges_on_batch_end = false,
                          .now = clock.Fn()});
  {
    BatchScope batch(*p, 0);
    batch.set_batch_size(4);
    LogEach(*p, {{"a", 1.0}, {"b", 0.1}}, 5);
    clock.Advance(2);
  }
  EXPECT_EQ(Bottleneck(r, "a"), 0);
  EXPECT_EQ(FindFamily(r.Snapshot(), "pipeline_efficiency_score"), nullptr);
  EXPECT_EQ(SeriesValue(r, "pipeline_batch_throughput_items_per_second", {}), 2);
  {
    BatchScope cancelled(*p, 4);
    cancelled.Cancel();
  }
  EXPECT_EQ(FindSeries(r.Snapshot(), "pipeline_batch_size", {})->count, 1u);
}

TEST(PipelineProfilerTest, SamplingKeepsCallsExactAndSamplesTimings) {
  Registry r;
  FakeClock clock;
  auto p = MustCreate(r, {.pipeline = "pl", .sampling_rate = 0.1, .sampling_seed = 5,
                          .now = clock.Fn()});
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    p->LogStage("visual", 0.01);
    p->LogConnector("visual", "spatial", 0.001);
    p->LogCustomTiming("preprocessing", 0.002);
  }
  const auto snap = r.Snapshot();
  EXPECT_EQ(FindSeries(snap, "pipeline_stage_calls_total", {{"stage", "visual"}})->value, n);
  const double sd = std::sqrt(n * 0.1 * 0.9);
  for (const char* family : {"pipeline_stage_duration_seconds",
                             "pipeline_connector_duration_seconds",
                             "pipeline_custom_duration_seconds"}) {
    ASSERT_EQ(FindFamily(snap, family)->metrics.size(), 1u) << family;
    const uint64_t k = FindFamily(snap, family)->metrics[0].count;
    EXPECT_NEAR(static_cast<double>(k), n * 0.1, 6 * sd) << family;
  }

  // Rate 0: scopes read neither the clock nor the GPU, and still count.
  Registry r0;
  int gpu_reads = 0;
  auto off = MustCreate(r0, {.pipeline = "pl", .sampling_rate = 0.0, .now = clock.Fn()});
  clock.reads = 0;
  for (int i = 0; i < 100; ++i) {
    StageScope s(*off, "visual", [&] { return static_cast<double>(++gpu_reads); });
    EXPECT_FALSE(s.sampled());
  }
  EXPECT_EQ(clock.reads, 0);
  EXPECT_EQ(gpu_reads, 0);
  EXPECT_EQ(SeriesValue(r0, "pipeline_stage_calls_total", {{"stage", "visual"}}), 100);
  EXPECT_EQ(FindSeries(r0.Snapshot(), "pipeline_stage_duration_seconds", {})->count, 0u);
}

TEST(PipelineProfilerTest, CustomTimingHasItsOwnSeries) {
  Registry r;
  auto p = MustCreate(r, {.pipeline = "pl"});
  p->LogCustomTiming("preprocessing", 0.004);
  p->LogCustomTiming("preprocessing", 0.006);
  p->LogCustomTiming("nms", 0.001);
  const auto snap = r.Snapshot();
  const MetricSnapshot* pre =
      FindSeries(snap, "pipeline_custom_duration_seconds", {{"pipeline", "pl"}, {"name", "preprocessing"}});
  ASSERT_NE(pre, nullptr);
  EXPECT_EQ(pre->count, 2u);
  EXPECT_NEAR(pre->sum, 0.01, 1e-12);
  EXPECT_EQ(FindSeries(snap, "pipeline_custom_duration_seconds", {{"name", "nms"}})->count, 1u);
}

TEST(PipelineProfilerTest, CreateValidatesOptions) {
  Registry r;
  struct Case {
    const char* what;
    PipelineProfilerOptions options;
    const char* needle;
  };
  std::vector<Case> cases;
  cases.push_back({"no name", {}, "pipeline name"});
  cases.push_back({"rate", {.pipeline = "p", .sampling_rate = 1.5}, "sampling_rate 1.5"});
  cases.push_back({"nan rate",
                   {.pipeline = "p", .sampling_rate = std::numeric_limits<double>::quiet_NaN()},
                   "sampling_rate"});
  cases.push_back({"dup", {.pipeline = "p", .stages = {"a", "b", "a"}}, "\"a\" is declared twice"});
  cases.push_back({"empty stage", {.pipeline = "p", .stages = {""}}, "stage name"});
  cases.push_back({"window", {.pipeline = "p", .window = 0}, "window"});
  cases.push_back({"share", {.pipeline = "p", .bottleneck_share = 0}, "bottleneck_share"});
  cases.push_back({"ratio", {.pipeline = "p", .bottleneck_ratio = 0.5}, "bottleneck_ratio"});
  cases.push_back({"samples", {.pipeline = "p", .bottleneck_min_samples = 0}, "min_samples"});
  for (Case& c : cases) {
    auto p = PipelineProfiler::Create(r, std::move(c.options));
    ASSERT_FALSE(p.ok()) << c.what;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << c.what;
    EXPECT_NE(p.status().message().find(c.needle), std::string_view::npos)
        << c.what << ": " << p.status().message();
  }
  Registry taken;
  ASSERT_TRUE(taken.AddCounter({.name = "pipeline_batch_size", .help = "x"}).ok());
  EXPECT_EQ(PipelineProfiler::Create(taken, {.pipeline = "p"}).status().code(),
            StatusCode::kAlreadyExists);
}

TEST(PipelineProfilerTest, SegmentsAreBoundedAndOverflowIsReportedOnce) {
  std::vector<std::string> reports;
  Registry r({.error_reporter = [&](std::string_view m) { reports.emplace_back(m); }});
  auto p = MustCreate(r, {.pipeline = "pl"});
  for (size_t i = 0; i < PipelineProfiler::kMaxSegments; ++i) {
    EXPECT_TRUE(p->GetStage("s" + std::to_string(i)).attached());
  }
  EXPECT_TRUE(p->GetStage("s0").attached());  // existing ones still resolve
  EXPECT_FALSE(p->GetStage("one_too_many").attached());
  EXPECT_FALSE(p->GetConnector("s0", "s1").attached());
  p->LogStage("one_too_many", 1.0);  // ignored
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("one_too_many"), std::string::npos);
  EXPECT_EQ(SeriesValue(r, "pipeline_stage_calls_total", {{"stage", "one_too_many"}}), -1);
  EXPECT_FALSE(p->GetStage("").attached());
  EXPECT_FALSE(p->GetConnector("a", "").attached());
}

TEST(PipelineProfilerTest, StagesAndConnectorsWithTheSameNamesAreDistinct) {
  Registry r;
  auto p = MustCreate(r, {.pipeline = "pl"});
  p->LogConnector("a", "b", 0.5);
  p->LogStage("a", 0.1);
  const BottleneckReport rep = p->DetectBottlenecks();
  ASSERT_EQ(rep.stages.size(), 1u);  // the connector's "from" is not a stage
  EXPECT_EQ(rep.stages[0].stage, "a");
}

TEST(PipelineProfilerTest, ConcurrentRegistrationLoggingAndReports) {
  Registry r;
  auto p = MustCreate(r, {.pipeline = "pl", .window = 16, .bottleneck_min_samples = 1});
  constexpr int kThreads = 4;
  constexpr int kIterations = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        // Every thread registers the same stages and some of its own.
        p->LogStage("shared", 0.01);
        p->LogStage("own" + std::to_string(t) + "_" + std::to_string(i % 8), 0.001);
        p->LogConnector("shared", "own", 0.001);
        if (i % 256 == 0) (void)p->DetectBottlenecks();
      }
    });
  }
  for (auto& t : threads) t.join();
  const BottleneckReport rep = p->DetectBottlenecks();
  ASSERT_EQ(rep.stages.size(), 1u + kThreads * 8);  // no stage registered twice
  EXPECT_EQ(rep.stages[0].stage, "shared");
  EXPECT_EQ(rep.stages[0].calls, kThreads * kIterations);
  EXPECT_NEAR(rep.stages[0].mean_seconds, 0.01, 1e-12);
  EXPECT_EQ(rep.stage, "shared");
  // 10 ms against 32 stages of 1 ms: ten times the next, but only 0.24 of the time.
  EXPECT_NEAR(rep.ratio_to_next, 10, 1e-9);
  EXPECT_NEAR(rep.share, 0.01 / 0.042, 1e-9);
  EXPECT_FALSE(rep.detected);
}

}  // namespace
}  // namespace vigil::ml
