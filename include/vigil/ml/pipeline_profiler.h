// PipelineProfiler: per-stage timing, GPU utilisation, connector overhead,
// batch throughput, bottleneck detection and an efficiency score for a
// pipeline of named stages (encoders, heads) joined by connectors. The seed's
// DualEncoderProfiler generalised from two encoders to N stages.
//
//   auto p = vigil::ml::PipelineProfiler::Create(registry,
//       {.pipeline = "dual_encoder", .stages = {"visual", "spatial"},
//        .sampling_rate = 0.1});
//   if (!p.ok()) return p.status();
//   vigil::ml::PipelineProfiler& profiler = **p;
//   {
//     vigil::ml::BatchScope batch(profiler, images.size());
//     {
//       vigil::ml::StageScope s(profiler, "visual", [&] { return ReadGpuUtil(0); });
//       RunVisual(images);
//     }                                           // duration (and GPU %) observed here
//     profiler.LogConnector("visual", "spatial", fuse_seconds);
//     profiler.LogStage("spatial", spatial_seconds, /*gpu_utilization_percent=*/71.5);
//   }                                             // batch duration, size, throughput
//   vigil::ml::BottleneckReport r = profiler.DetectBottlenecks();
//   double score = profiler.EfficiencyScore();
//
// Families (label `pipeline` on all), and the seed's names they replace:
//
//   pipeline_stage_duration_seconds{stage}        histogram  dual_encoder_visual_processing_duration_seconds,
//                                                            dual_encoder_spatial_processing_duration_seconds
//   pipeline_stage_calls_total{stage}             counter    (new: exact count when durations are sampled)
//   pipeline_stage_gpu_utilization_percent{stage} gauge      dual_encoder_gpu_utilization_percent{encoder}
//   pipeline_connector_duration_seconds{from,to}  histogram  dual_encoder_connector_duration_seconds
//   pipeline_batch_duration_seconds               histogram  profile_batch_processing() timing
//   pipeline_batch_size                           histogram  profile_batch_processing(batch_size)
//   pipeline_batch_throughput_items_per_second    gauge      profile_batch_processing() throughput
//   pipeline_efficiency_score                     gauge      dual_encoder_efficiency_score
//   pipeline_bottleneck_detected{stage}           gauge 0/1  dual_encoder_bottleneck_detected
//   pipeline_custom_duration_seconds{name}        histogram  log_custom_timing(name, duration)
//
// The seed's alert `dual_encoder_bottleneck_detected == 1` becomes
// `max by (pipeline) (pipeline_bottleneck_detected) == 1`.
//
// Recent window: every stage and connector keeps its last `window` sampled
// durations in a fixed ring (memory is bounded: window doubles each, at most
// kMaxSegments stages plus connectors). The means below are over that ring.
//
// Bottleneck rule (DetectBottlenecks): take the stages with at least
// bottleneck_min_samples durations in their window and their mean durations
// m_1 >= m_2 >= ... . The slowest stage is the bottleneck when
//   share = m_1 / (m_1 + m_2 + ...) >= bottleneck_share   (default 0.5), and
//   ratio = m_1 / m_2              >= bottleneck_ratio   (default 1.5).
// Fewer than two such stages, or all means zero: no bottleneck. The share is
// the stage's part of the time one item spends in stages; the ratio keeps a
// two-stage pipeline at 55/45 from being flagged.
//
// Efficiency score (EfficiencyScore): the share of an item's path through the
// pipeline spent doing stage work rather than moving data between stages,
//   score = S / (S + C),  S = sum of stage means,  C = sum of connector means,
// in [0, 1]; 1 when no connector time was logged; NaN when no stage has a
// duration in its window or S + C is 0. It assumes an item passes each stage and connector
// once per batch item; it does not measure imbalance (that is the bottleneck
// report's job) nor time outside logged stages and connectors.
//
// Both computations set their gauges (the bottleneck stage 1, every other
// registered stage 0; the score when not NaN), and, with
// update_gauges_on_batch_end, every BatchScope end recomputes them without
// allocating.
//
// Sampling: sampling_rate (the seed's sampling_rate=0.1) samples stage,
// connector and custom timings through a Sampler: a StageScope that is not
// sampled reads neither clock nor GPU. pipeline_stage_calls_total and the
// batch families are exact. Durations that are negative or not finite are
// counted in calls but not observed.
//
// Stages and connectors are registered on first use (declared stages at
// Create, in order). Past kMaxSegments, new ones are dropped: reported once
// through the registry's error reporter, their updates ignored. An empty stage
// or connector end name gives a detached handle too.
//
// Thread safety: thread-safe. Updates are lock-free; registering a new stage or
// connector takes a mutex once. Under concurrent writers the window means may
// mix an in-flight slot's old value (they are statistics, exact when the
// writers are quiet).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/metrics/counter.h"
#include "vigil/metrics/family.h"
#include "vigil/metrics/gauge.h"
#include "vigil/metrics/histogram.h"
#include "vigil/metrics/registry.h"
#include "vigil/ml/inference_metrics.h"
#include "vigil/ml/sampler.h"
#include "vigil/result.h"

namespace vigil::ml {

namespace internal {
struct PipelineSegment;  // a stage or a connector: handles, window ring
}  // namespace internal

struct PipelineProfilerOptions {
  // Value of the `pipeline` label. Required.
  std::string pipeline;
  // Stages registered at Create, in pipeline order (reports list them first).
  std::vector<std::string> stages;
  std::vector<double> duration_buckets = DefaultLatencyBuckets();
  std::vector<double> batch_size_buckets = DefaultBatchSizeBuckets();
  // Share of stage/connector/custom timings observed, in [0, 1].
  double sampling_rate = 1.0;
  // Seeds the sampler (tests); unset: random.
  std::optional<uint64_t> sampling_seed;
  // Recent durations kept per stage and connector, 1 .. 65536.
  size_t window = 128;
  double bottleneck_share = 0.5;   // in (0, 1]
  double bottleneck_ratio = 1.5;   // >= 1
  size_t bottleneck_min_samples = 5;  // >= 1
  bool update_gauges_on_batch_end = true;
  // Reads a stage's GPU utilisation (percent) at the end of a sampled
  // StageScope that was given neither a value nor its own reader. Called on
  // the scope's thread; must be thread-safe. Empty: no GPU gauge.
  std::function<double(std::string_view stage)> gpu_utilization;
  // Clock of StageScope and BatchScope (tests: a fake one); empty: steady_clock.
  std::function<std::chrono::steady_clock::time_point()> now;
};

// One stage's recent-window statistics.
struct StageStats {
  std::string stage;
  double mean_seconds = std::numeric_limits<double>::quiet_NaN();  // NaN: empty window
  uint64_t window_count = 0;  // durations in the window
  double share = std::numeric_limits<double>::quiet_NaN();  // of the summed means of eligible stages
  double calls = 0;  // pipeline_stage_calls_total (exact)
};

struct BottleneckReport {
  bool detected = false;
  // The slowest stage with enough samples (reported even when not a
  // bottleneck); empty when there is none.
  std::string stage;
  double share = 0;          // its share of the summed stage means
  double ratio_to_next = 0;  // its mean over the next slowest one's (+Inf when that is 0
                             // or there is no other stage)
  std::vector<StageStats> stages;  // every registered stage, in registration order
};

class StageScope;

class PipelineProfiler {
 public:
  static constexpr size_t kMaxSegments = 64;

  // A registered stage; cheap to copy. Default-constructed or past capacity:
  // detached (updates are ignored).
  // Thread safety: thread-safe.
  class Stage {
   public:
    Stage() = default;
    bool attached() const { return seg_ != nullptr; }

   private:
    friend class PipelineProfiler;
    friend class StageScope;
    explicit Stage(internal::PipelineSegment* seg) : seg_(seg) {}
    internal::PipelineSegment* seg_ = nullptr;
  };

  // A registered connector (from -> to); as Stage.
  class Connector {
   public:
    Connector() = default;
    bool attached() const { return seg_ != nullptr; }

   private:
    friend class PipelineProfiler;
    explicit Connector(internal::PipelineSegment* seg) : seg_(seg) {}
    internal::PipelineSegment* seg_ = nullptr;
  };

  // Registers (or finds) the families in `registry`, which must outlive the
  // result. Fails with InvalidArgument on an empty pipeline name, an empty
  // or repeated stage name, more than kMaxSegments stages, or an option out
  // of range; with the registry's error on a family conflict.
  static Result<std::unique_ptr<PipelineProfiler>> Create(metrics::Registry& registry,
                                                          PipelineProfilerOptions options);
  ~PipelineProfiler();
  PipelineProfiler(const PipelineProfiler&) = delete;
  PipelineProfiler& operator=(const PipelineProfiler&) = delete;

  // Finds or registers a stage or connector (a scan of the registered ones,
  // plus a mutex the first time).
  Stage GetStage(std::string_view name);
  Connector GetConnector(std::string_view from, std::string_view to);

  // One stage execution that took `seconds` (the seed's
  // log_visual/spatial_encoder_performance(duration, gpu_util)).
  void LogStage(Stage stage, double seconds,
                std::optional<double> gpu_utilization_percent = std::nullopt);
  void LogStage(std::string_view stage, double seconds,
                std::optional<double> gpu_utilization_percent = std::nullopt) {
    LogStage(GetStage(stage), seconds, gpu_utilization_percent);
  }
  // Time spent moving data from one stage to the next (the seed's
  // log_connector_performance).
  void LogConnector(Connector connector, double seconds);
  void LogConnector(std::string_view from, std::string_view to, double seconds) {
    LogConnector(GetConnector(from, to), seconds);
  }
  // pipeline_custom_duration_seconds{name} (sampled).
  void LogCustomTiming(std::string_view name, double seconds);

  // Applies the bottleneck rule (see the top of this file) and sets the
  // pipeline_bottleneck_detected gauges.
  BottleneckReport DetectBottlenecks();
  // The efficiency score (see the top of this file); sets
  // pipeline_efficiency_score unless NaN.
  double EfficiencyScore();

  const std::string& pipeline() const { return pipeline_; }

 private:
  friend class StageScope;
  friend class BatchScope;
  struct Computed;

  PipelineProfiler(metrics::Registry& registry, PipelineProfilerOptions options);
  std::chrono::steady_clock::time_point Now() const {
    return options_.now ? options_.now() : std::chrono::steady_clock::now();
  }
  internal::PipelineSegment* Find(bool stage, std::string_view a, std::string_view b) const;
  internal::PipelineSegment* FindOrAdd(bool stage, std::string_view a, std::string_view b);
  // Means of every registered segment into `out` (no allocation).
  void Compute(Computed* out) const;
  void PublishGauges(const Computed& c);
  void EndBatch(int64_t batch_size, double seconds);
  void ObserveStage(internal::PipelineSegment* seg, double seconds,
                    std::optional<double> gpu_utilization_percent);

  // Constant after construction.
  metrics::Registry& registry_;
  const std::string pipeline_;
  const PipelineProfilerOptions options_;
  std::unique_ptr<Sampler> sampler_;
  OperationSampler sample_;
  metrics::Family<metrics::Histogram>* stage_duration_ = nullptr;
  metrics::Family<metrics::Counter>* stage_calls_ = nullptr;
  metrics::Family<metrics::Gauge>* stage_gpu_ = nullptr;
  metrics::Family<metrics::Histogram>* connector_duration_ = nullptr;
  metrics::Family<metrics::Histogram>* batch_duration_family_ = nullptr;
  metrics::Family<metrics::Histogram>* batch_size_family_ = nullptr;
  metrics::Family<metrics::Gauge>* throughput_ = nullptr;
  metrics::Family<metrics::Gauge>* efficiency_ = nullptr;
  metrics::Family<metrics::Gauge>* bottleneck_ = nullptr;
  metrics::Family<metrics::Histogram>* custom_ = nullptr;
  metrics::Histogram batch_duration_;
  metrics::Histogram batch_size_;

  // Segments: append-only. segments_[i] is written once, under mu_, before
  // count_ is raised past i (release); readers load count_ (acquire) and read
  // segments_[0, count) without a lock.
  std::mutex mu_;  // serialises registration
  std::unique_ptr<internal::PipelineSegment> segments_[kMaxSegments];
  std::atomic<size_t> count_{0};
  std::atomic<bool> reported_full_{false};
};

// Times one stage execution (RAII): on scope end observes the duration and
// the GPU utilisation (a value given with SetGpuUtilization, else the
// scope's reader, else options.gpu_utilization). Not sampled: reads nothing.
//
// Thread safety: not thread-safe (a scope belongs to one thread).
class StageScope {
 public:
  StageScope(PipelineProfiler& profiler, PipelineProfiler::Stage stage,
             std::function<double()> read_gpu_utilization = {});
  StageScope(PipelineProfiler& profiler, std::string_view stage,
             std::function<double()> read_gpu_utilization = {})
      : StageScope(profiler, profiler.GetStage(stage), std::move(read_gpu_utilization)) {}
  ~StageScope() { Stop(); }
  StageScope(const StageScope&) = delete;
  StageScope& operator=(const StageScope&) = delete;

  void SetGpuUtilization(double percent) { gpu_ = percent; }
  // Ends the scope now; later calls and the destructor do nothing.
  void Stop();
  // Ends the scope without observing anything (the call stays counted).
  void Cancel() { active_ = false; }
  bool sampled() const { return sampled_; }

 private:
  PipelineProfiler& profiler_;
  internal::PipelineSegment* seg_;
  std::function<double()> read_gpu_;
  std::optional<double> gpu_;
  std::chrono::steady_clock::time_point start_;
  bool sampled_ = false;
  bool active_ = false;
};

// Times one batch (RAII; the seed's profile_batch_processing(batch_size)): on
// scope end observes the batch duration and size, sets the throughput gauge
// (batch_size / seconds) and, with update_gauges_on_batch_end, the
// bottleneck and efficiency gauges. Not sampled.
//
// Thread safety: not thread-safe (a scope belongs to one thread).
class BatchScope {
 public:
  BatchScope(PipelineProfiler& profiler, int64_t batch_size);
  ~BatchScope() { Stop(); }
  BatchScope(const BatchScope&) = delete;
  BatchScope& operator=(const BatchScope&) = delete;

  // For batches whose size is known only at the end.
  void set_batch_size(int64_t batch_size) { batch_size_ = batch_size; }
  void Stop();
  void Cancel() { active_ = false; }

 private:
  PipelineProfiler& profiler_;
  int64_t batch_size_;
  std::chrono::steady_clock::time_point start_;
  bool active_ = true;
};

}  // namespace vigil::ml
