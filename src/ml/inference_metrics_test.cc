#include "vigil/ml/inference_metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metrics/test_util.h"
#include "ml/test_util.h"
#include "vigil/metrics/registry.h"
#include "vigil/ml/sampler.h"

namespace vigil::ml {
namespace {

using metrics::FamilySnapshot;
using metrics::MetricSnapshot;
using metrics::MetricType;
using metrics::Registry;
using metrics::testing::FindFamily;
using metrics::testing::FindSeries;
using metrics::testing::SeriesValue;
using Labels = std::vector<std::pair<std::string, std::string>>;

using FakeClock = testing::FakeSteadyClock;

std::unique_ptr<InferenceMetrics> MustCreate(Registry& r, InferenceMetricsOptions o) {
  auto m = InferenceMetrics::Create(r, std::move(o));
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(m).value();
}

TEST(InferenceMetricsTest, RegistersTheSeedFamiliesUnderTheRegistryPrefix) {
  Registry r({.prefix = "vision"});
  auto m = MustCreate(r, {.model = "owlv2"});
  // A snapshot lists families with at least one series: touch every one.
  m->RecordProcessed(true);
  m->RecordDropped("queue_full");
  m->RecordDetection("person", 0.9);
  m->RecordStageLatency("inference", 0.01);
  m->RecordInference(0.01, "cuda:0", 1);
  m->RecordTrackLost("timeout");
  m->RecordTrackLifetime("person", 1);
  m->SetQueueSize("frames", 1);
  m->RecordQueueWait("frames", 0.01);
  m->SetGpuMemoryUsage("cuda:0", 1);
  m->RecordError("model", "oom");
  const auto snap = r.Snapshot();
  struct Want {
    const char* name;
    MetricType type;
    bool by_model;
  };
  for (const Want& w : std::vector<Want>{
           {"vision_frames_processed_total", MetricType::kCounter, true},
           {"vision_frames_dropped_total", MetricType::kCounter, true},
           {"vision_detections_total", MetricType::kCounter, true},
           {"vision_detection_confidence", MetricType::kHistogram, true},
           {"vision_detection_latency_seconds", MetricType::kHistogram, true},
           {"vision_model_inference_duration_seconds", MetricType::kHistogram, true},
           {"vision_model_batch_size", MetricType::kHistogram, true},
           {"vision_active_tracks", MetricType::kGauge, true},
           {"vision_tracks_created_total", MetricType::kCounter, true},
           {"vision_tracks_lost_total", MetricType::kCounter, true},
           {"vision_track_lifetime_seconds", MetricType::kSummary, true},
           {"vision_queue_size", MetricType::kGauge, false},
           {"vision_queue_wait_duration_seconds", MetricType::kHistogram, false},
           {"vision_memory_usage_bytes", MetricType::kGauge, false},
           {"vision_gpu_memory_usage_bytes", MetricType::kGauge, false},
           {"vision_errors_total", MetricType::kCounter, false},
       }) {
    const FamilySnapshot* f = FindFamily(snap, w.name);
    ASSERT_NE(f, nullptr) << w.name;
    EXPECT_EQ(f->type, w.type) << w.name;
    ASSERT_FALSE(f->metrics.empty()) << w.name;
    const auto& labels = f->metrics[0].labels;
    const bool has_model = std::any_of(labels.begin(), labels.end(), [](const auto& l) {
      return l.first == "model" && l.second == "owlv2";
    });
    EXPECT_EQ(has_model, w.by_model) << w.name;
  }
  // Handles resolved up front exist from the start, at zero.
  EXPECT_EQ(SeriesValue(r, "vision_frames_processed_total",
                        {{"model", "owlv2"}, {"status", "failure"}}),
            0);
  EXPECT_EQ(m->model(), "owlv2");
}

TEST(InferenceMetricsTest, CountsFramesDropsTracksAndErrorsExactly) {
  Registry r;
  auto m = MustCreate(r, {.model = "yolo"});
  for (int i = 0; i < 7; ++i) m->RecordProcessed(true);
  for (int i = 0; i < 2; ++i) m->RecordProcessed(false);
  m->RecordProcessedWithStatus("timeout");
  m->RecordDropped("backpressure");
  m->RecordDropped("backpressure");
  m->RecordDropped("decode_error");
  m->SetActiveTracks(5);
  m->RecordTrackCreated();
  m->RecordTrackCreated();
  m->RecordTrackLost("occluded");
  m->RecordError("redis", "timeout");
  m->RecordError("redis", "timeout");
  m->RecordError("model", "oom");

  EXPECT_EQ(SeriesValue(r, "frames_processed_total", {{"model", "yolo"}, {"status", "success"}}), 7);
  EXPECT_EQ(SeriesValue(r, "frames_processed_total", {{"model", "yolo"}, {"status", "failure"}}), 2);
  EXPECT_EQ(SeriesValue(r, "frames_processed_total", {{"status", "timeout"}}), 1);
  EXPECT_EQ(SeriesValue(r, "frames_dropped_total", {{"reason", "backpressure"}}), 2);
  EXPECT_EQ(SeriesValue(r, "frames_dropped_total", {{"reason", "decode_error"}}), 1);
  EXPECT_EQ(SeriesValue(r, "active_tracks", {{"model", "yolo"}}), 5);
  EXPECT_EQ(SeriesValue(r, "tracks_created_total", {{"model", "yolo"}}), 2);
  EXPECT_EQ(SeriesValue(r, "tracks_lost_total", {{"reason", "occluded"}}), 1);
  EXPECT_EQ(SeriesValue(r, "errors_total", {{"component", "redis"}, {"error_type", "timeout"}}), 2);
  EXPECT_EQ(SeriesValue(r, "errors_total", {{"component", "model"}, {"error_type", "oom"}}), 1);
}

TEST(InferenceMetricsTest, DetectionsCountAndConfidenceFillsBuckets) {
  Registry r;
  auto m = MustCreate(r, {.model = "owlv2"});
  auto person = m->ForClass("person");
  person.RecordDetection(0.92);
  person.RecordDetection(0.5);
  m->RecordDetection("person", 0.03);
  m->RecordDetection("car", 1.0);

  const auto snap = r.Snapshot();
  const MetricSnapshot* persons =
      FindSeries(snap, "detections_total", {{"model", "owlv2"}, {"class", "person"}});
  ASSERT_NE(persons, nullptr);
  EXPECT_EQ(persons->value, 3);
  EXPECT_EQ(SeriesValue(r, "detections_total", {{"class", "car"}}), 1);

  const MetricSnapshot* conf =
      FindSeries(snap, "detection_confidence", {{"model", "owlv2"}, {"class", "person"}});
  ASSERT_NE(conf, nullptr);
  ASSERT_EQ(conf->bucket_bounds, DefaultConfidenceBuckets());
  ASSERT_EQ(conf->bucket_bounds.size(), 20u);
  EXPECT_EQ(conf->bucket_bounds[0], 0.05);
  EXPECT_EQ(conf->bucket_bounds[9], 0.5);
  EXPECT_EQ(conf->bucket_bounds[18], 0.95);
  EXPECT_EQ(conf->count, 3u);
  EXPECT_EQ(conf->bucket_counts[0], 1u);   // 0.03 <= 0.05
  EXPECT_EQ(conf->bucket_counts[8], 1u);   // <= 0.45
  EXPECT_EQ(conf->bucket_counts[9], 2u);   // 0.5 <= 0.5
  EXPECT_EQ(conf->bucket_counts[17], 2u);  // <= 0.9
  EXPECT_EQ(conf->bucket_counts[18], 3u);  // 0.92 <= 0.95
  EXPECT_DOUBLE_EQ(conf->sum, 0.92 + 0.5 + 0.03);
}

TEST(InferenceMetricsTest, StageTimerObservesFakeClockSeconds) {
  Registry r;
  FakeClock clock;
  auto m = MustCreate(r, {.model = "owlv2", .now = clock.Fn()});
  {
    StageTimer t(*m, "inference");
    EXPECT_TRUE(t.sampled());
    clock.Advance(0.03);
  }
  auto pre = m->ForStage("preprocess");
  {
    StageTimer t = pre.Time();
    clock.Advance(0.002);
    t.Stop();
    clock.Advance(5);  // after Stop: not counted
  }
  {
    StageTimer t(*m, "inference");
    clock.Advance(1);
    t.Cancel();
  }
  pre.RecordLatency(0.004);
  m->RecordStageLatency("postprocess", 0.2);

  const auto snap = r.Snapshot();
  const MetricSnapshot* inf =
      FindSeries(snap, "detection_latency_seconds", {{"model", "owlv2"}, {"stage", "inference"}});
  ASSERT_NE(inf, nullptr);
  EXPECT_EQ(inf->count, 1u);
  EXPECT_NEAR(inf->sum, 0.03, 1e-9);
  const MetricSnapshot* p =
      FindSeries(snap, "detection_latency_seconds", {{"stage", "preprocess"}});
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->count, 2u);
  EXPECT_NEAR(p->sum, 0.006, 1e-9);
  // 0.002 and 0.004 fall in (0.001, 0.0025] and (0.0025, 0.005].
  EXPECT_EQ(p->bucket_counts[0], 0u);
  EXPECT_EQ(p->bucket_counts[1], 1u);
  EXPECT_EQ(p->bucket_counts[2], 2u);
  EXPECT_EQ(FindSeries(snap, "detection_latency_seconds", {{"stage", "postprocess"}})->count, 1u);
}

TEST(InferenceMetricsTest, InferenceQueueMemoryAndLifetime) {
  Registry r;
  auto m = MustCreate(r, {.model = "owlv2"});
  m->RecordInference(0.04, "cuda:0", 8);
  m->RecordInference(0.06, "cuda:0", 8);
  m->RecordInference(0.5, "cpu", 0);  // no batch size
  m->SetQueueSize("frames", 12);
  m->SetQueueSize("frames", 3);
  m->RecordQueueWait("frames", 0.2);
  m->SetMemoryUsage(1e9, 4e9);
  m->SetMemoryUsage("shared", 1e6);
  m->SetGpuMemoryUsage("cuda:0", 2e9);
  m->RecordTrackLifetime("person", 10);
  m->RecordTrackLifetime("person", 20);

  const auto snap = r.Snapshot();
  const MetricSnapshot* gpu =
      FindSeries(snap, "model_inference_duration_seconds", {{"device", "cuda:0"}});
  ASSERT_NE(gpu, nullptr);
  EXPECT_EQ(gpu->count, 2u);
  EXPECT_NEAR(gpu->sum, 0.1, 1e-12);
  EXPECT_EQ(FindSeries(snap, "model_inference_duration_seconds", {{"device", "cpu"}})->count, 1u);
  const MetricSnapshot* batch = FindSeries(snap, "model_batch_size", {{"model", "owlv2"}});
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->count, 2u);
  EXPECT_EQ(batch->sum, 16);
  EXPECT_EQ(batch->bucket_bounds, DefaultBatchSizeBuckets());
  EXPECT_EQ(batch->bucket_counts[2], 0u);  // <= 4
  EXPECT_EQ(batch->bucket_counts[3], 2u);  // <= 8
  EXPECT_EQ(SeriesValue(r, "queue_size", {{"queue_type", "frames"}}), 3);
  EXPECT_EQ(FindSeries(snap, "queue_wait_duration_seconds", {{"queue_type", "frames"}})->count, 1u);
  EXPECT_EQ(SeriesValue(r, "memory_usage_bytes", {{"type", "rss"}}), 1e9);
  EXPECT_EQ(SeriesValue(r, "memory_usage_bytes", {{"type", "vms"}}), 4e9);
  EXPECT_EQ(SeriesValue(r, "memory_usage_bytes", {{"type", "shared"}}), 1e6);
  EXPECT_EQ(SeriesValue(r, "gpu_memory_usage_bytes", {{"device", "cuda:0"}}), 2e9);
  const MetricSnapshot* life =
      FindSeries(snap, "track_lifetime_seconds", {{"model", "owlv2"}, {"class", "person"}});
  ASSERT_NE(life, nullptr);
  EXPECT_EQ(life->count, 2u);
  EXPECT_EQ(life->sum, 30);
}

TEST(InferenceMetricsTest, SamplingKeepsCountsExactAndSamplesObservations) {
  Registry r;
  auto sampler = Sampler::Create({.rates = {{std::string(kSampleDetectionConfidence), 0.1},
                                            {std::string(kSampleDetectionLatency), 0.0}},
                                  .seed = 11});
  ASSERT_TRUE(sampler.ok());
  FakeClock clock;
  auto m = MustCreate(r, {.model = "owlv2", .sampler = sampler->get(), .now = clock.Fn()});
  const int n = 20000;
  auto person = m->ForClass("person");
  for (int i = 0; i < n; ++i) {
    person.RecordDetection(0.8);
    m->RecordDetection("car", 0.6);
    StageTimer t(*m, "inference");  // rate 0: never reads the clock
    EXPECT_FALSE(t.sampled());
    m->RecordProcessed(true);
    m->RecordInference(0.01, "cuda:0", 4);  // model_inference: default rate 1
  }
  EXPECT_EQ(clock.reads, 0);
  const auto snap = r.Snapshot();
  EXPECT_EQ(FindSeries(snap, "detections_total", {{"class", "person"}})->value, n);
  EXPECT_EQ(FindSeries(snap, "detections_total", {{"class", "car"}})->value, n);
  EXPECT_EQ(FindSeries(snap, "frames_processed_total", {{"status", "success"}})->value, n);
  const uint64_t conf = FindSeries(snap, "detection_confidence", {{"class", "person"}})->count;
  const double sd = std::sqrt(n * 0.1 * 0.9);
  EXPECT_NEAR(static_cast<double>(conf), n * 0.1, 6 * sd);
  EXPECT_GT(conf, 0u);
  const uint64_t car = FindSeries(snap, "detection_confidence", {{"class", "car"}})->count;
  EXPECT_NEAR(static_cast<double>(car), n * 0.1, 6 * sd);
  EXPECT_EQ(FindSeries(snap, "detection_latency_seconds", {{"stage", "inference"}})->count, 0u);
  EXPECT_EQ(FindSeries(snap, "model_inference_duration_seconds", {{"device", "cuda:0"}})->count,
            static_cast<uint64_t>(n));
  EXPECT_EQ(FindSeries(snap, "model_batch_size", {{"model", "owlv2"}})->count,
            static_cast<uint64_t>(n));
}

TEST(InferenceMetricsTest, SummaryHasTheSeedShapeForOneModel) {
  Registry r({.prefix = "vision"});
  auto a = MustCreate(r, {.model = "a", .latency_buckets = {1, 2, 4}});
  auto b = MustCreate(r, {.model = "b", .latency_buckets = {1, 2, 4}});
  for (int i = 0; i < 3; ++i) a->RecordProcessed(true);
  a->RecordProcessed(false);
  a->RecordProcessedWithStatus("timeout");
  b->RecordProcessed(true);  // another model: not in a's summary
  a->RecordDropped("backpressure");
  // Merged over stages: 4 in (0,1], 4 in (1,2], 2 in (2,4] (histogram_quantile's example).
  for (int i = 0; i < 4; ++i) a->RecordStageLatency("preprocess", 0.5);
  for (int i = 0; i < 4; ++i) a->RecordStageLatency("inference", 1.5);
  for (int i = 0; i < 2; ++i) a->RecordStageLatency("inference", 3);
  b->RecordStageLatency("inference", 3.5);
  a->RecordDetection("person", 0.9);
  a->RecordDetection("person", 0.8);
  a->RecordDetection("car", 0.7);
  a->RecordInference(1.5, "cuda:0", 4);
  a->SetActiveTracks(4);
  b->SetActiveTracks(9);
  a->RecordTrackCreated();
  a->RecordTrackLost("timeout");
  a->SetQueueSize("frames", 6);
  a->RecordQueueWait("frames", 0.5);
  a->SetMemoryUsage(100, 200);
  a->SetGpuMemoryUsage("cuda:0", 300);
  a->RecordError("redis", "publish_failure");
  b->RecordError("redis", "publish_failure");

  const InferenceSummary s = a->GetSummary();
  EXPECT_EQ(s.model, "a");
  EXPECT_EQ(s.frames_success, 3);
  EXPECT_EQ(s.frames_failure, 1);
  EXPECT_EQ(s.frames_by_status.at("timeout"), 1);
  EXPECT_EQ(s.frames_by_status.size(), 3u);
  EXPECT_EQ(s.frames_dropped.at("backpressure"), 1);
  EXPECT_EQ(s.detection_stats.count, 10u);
  EXPECT_DOUBLE_EQ(s.detection_stats.sum, 14);
  EXPECT_DOUBLE_EQ(s.detection_stats.avg, 1.4);
  EXPECT_DOUBLE_EQ(s.detection_stats.p50, 1.25);  // rank 5: 1 + (5-4)/4
  EXPECT_DOUBLE_EQ(s.detection_stats.p95, 3.5);   // rank 9.5: 2 + 2 * 1.5/2
  EXPECT_DOUBLE_EQ(s.detection_stats.p99, 3.9);
  ASSERT_EQ(s.latency_by_stage.size(), 2u);
  EXPECT_EQ(s.latency_by_stage.at("preprocess").count, 4u);
  EXPECT_EQ(s.latency_by_stage.at("inference").count, 6u);
  EXPECT_EQ(s.detections_by_class.at("person"), 2);
  EXPECT_EQ(s.detections_by_class.at("car"), 1);
  EXPECT_EQ(s.inference_stats.count, 1u);
  EXPECT_EQ(s.batch_size_stats.count, 1u);
  EXPECT_EQ(s.batch_size_stats.avg, 4);
  EXPECT_EQ(s.active_tracks, 4);
  EXPECT_EQ(s.tracks_created, 1);
  EXPECT_EQ(s.tracks_lost.at("timeout"), 1);
  EXPECT_EQ(s.queue_sizes.at("frames"), 6);
  EXPECT_EQ(s.queue_wait_stats.at("frames").count, 1u);
  EXPECT_EQ(s.memory_usage_bytes.at("rss"), 100);
  EXPECT_EQ(s.memory_usage_bytes.at("vms"), 200);
  EXPECT_EQ(s.gpu_memory_usage_bytes.at("cuda:0"), 300);
  // errors_total has no model label: shared by every model of the registry.
  EXPECT_EQ(s.errors.at("redis").at("publish_failure"), 2);

  const InferenceSummary sb = b->GetSummary();
  EXPECT_EQ(sb.frames_success, 1);
  EXPECT_EQ(sb.detection_stats.count, 1u);
  EXPECT_EQ(sb.active_tracks, 9);
  EXPECT_TRUE(sb.detections_by_class.empty());
}

TEST(InferenceMetricsTest, EmptySummaryHasNanStatsAndJsonNulls) {
  Registry r;
  auto m = MustCreate(r, {.model = "m"});
  const InferenceSummary s = m->GetSummary();
  EXPECT_EQ(s.detection_stats.count, 0u);
  EXPECT_TRUE(std::isnan(s.detection_stats.avg));
  EXPECT_TRUE(std::isnan(s.detection_stats.p99));
  const nlohmann::json j = nlohmann::json::parse(s.ToJson());
  EXPECT_TRUE(j["detection_stats"]["avg"].is_null());
  EXPECT_EQ(j["detection_stats"]["count"], 0);
  EXPECT_EQ(j["frames_processed"]["success"], 0.0);
}

TEST(InferenceMetricsTest, SummaryJsonCarriesTheFields) {
  Registry r;
  auto m = MustCreate(r, {.model = "owlv2", .latency_buckets = {1, 2, 4}});
  m->RecordProcessed(true);
  m->RecordDetection("person", 0.9);
  for (double v : {0.5, 0.5, 0.5, 0.5, 1.5, 1.5, 1.5, 1.5, 3.0, 3.0}) {
    m->RecordStageLatency("inference", v);
  }
  m->RecordError("redis", "publish_failure");
  const nlohmann::json j = nlohmann::json::parse(m->GetSummary().ToJson());
  EXPECT_EQ(j["model"], "owlv2");
  EXPECT_EQ(j["frames_processed"]["success"], 1.0);
  EXPECT_EQ(j["frames_processed"]["by_status"]["success"], 1.0);
  EXPECT_EQ(j["detections_by_class"]["person"], 1.0);
  EXPECT_EQ(j["detection_stats"]["count"], 10);
  EXPECT_DOUBLE_EQ(j["detection_stats"]["p50"].get<double>(), 1.25);
  EXPECT_EQ(j["latency_by_stage"]["inference"]["count"], 10);
  EXPECT_EQ(j["errors"]["redis"]["publish_failure"], 1.0);
}

TEST(InferenceMetricsTest, CreateRejectsBadOptionsAndConflicts) {
  Registry r;
  auto no_model = InferenceMetrics::Create(r, {});
  ASSERT_FALSE(no_model.ok());
  EXPECT_EQ(no_model.status().code(), StatusCode::kInvalidArgument);

  auto bad_buckets = InferenceMetrics::Create(r, {.model = "m", .latency_buckets = {1, 0.5}});
  EXPECT_FALSE(bad_buckets.ok());

  Registry taken;
  ASSERT_TRUE(taken.AddGauge({.name = "detections_total", .help = "Not a counter."}).ok());
  auto conflict = InferenceMetrics::Create(taken, {.model = "m"});
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(conflict.status().message().find("detections_total"), std::string_view::npos);
}

TEST(InferenceMetricsTest, DetachedHandlesAreHarmless) {
  InferenceMetrics::ClassHandle c;
  c.RecordDetection(0.5);
  InferenceMetrics::StageHandle s;
  s.RecordLatency(0.1);
  StageTimer t = s.Time();
  EXPECT_FALSE(t.sampled());
}

}  // namespace
}  // namespace vigil::ml
