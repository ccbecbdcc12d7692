// InferenceMetrics: the ready metric set of a model-serving loop -- requests
// (frames) processed and dropped, detections and their confidence, per-stage
// latency, model inference time and batch size, tracks, queues, memory and
// errors. The seed's VisionMetrics, generalised to any model.
//
//   vigil::metrics::Registry registry({.prefix = "vision"});
//   auto m = vigil::ml::InferenceMetrics::Create(registry, {.model = "owlv2"});
//   if (!m.ok()) return m.status();
//   vigil::ml::InferenceMetrics& metrics = **m;
//   auto person = metrics.ForClass("person");        // resolve label values once
//   {
//     vigil::ml::StageTimer t(metrics, "inference");  // observes on scope exit
//     RunModel(frame);
//   }
//   person.RecordDetection(0.92);
//   metrics.RecordProcessed(/*success=*/true);
//   vigil::ml::InferenceSummary s = metrics.GetSummary();   // in process
//
// Families (registered in the caller's registry, whose prefix is the
// namespace: "vision_frames_processed_total"), named as in the seed:
//
//   frames_processed_total{model,status}            counter   RecordProcessed
//   frames_dropped_total{model,reason}              counter   RecordDropped
//   detections_total{model,class}                   counter   RecordDetection
//   detection_confidence{model,class}               histogram RecordDetection (sampled)
//   detection_latency_seconds{model,stage}          histogram RecordStageLatency, StageTimer (sampled)
//   model_inference_duration_seconds{model,device}  histogram RecordInference (sampled)
//   model_batch_size{model}                         histogram RecordInference
//   active_tracks{model}                            gauge     SetActiveTracks
//   tracks_created_total{model}                     counter   RecordTrackCreated
//   tracks_lost_total{model,reason}                 counter   RecordTrackLost
//   track_lifetime_seconds{model,class}             summary   RecordTrackLifetime
//   queue_size{queue_type}                          gauge     SetQueueSize
//   queue_wait_duration_seconds{queue_type}         histogram RecordQueueWait (sampled)
//   memory_usage_bytes{type}                        gauge     SetMemoryUsage (rss, vms, ...)
//   gpu_memory_usage_bytes{device}                  gauge     SetGpuMemoryUsage
//   errors_total{component,error_type}              counter   RecordError
//
// The last five carry no model label (as in the seed): they describe the
// process, and every InferenceMetrics of one registry shares them. Several
// models in one registry: one InferenceMetrics per model; the second Create()
// finds the families already registered and reuses them.
//
// Seed mapping: record_frame_processed(success) -> RecordProcessed(success);
// record_detection(class_name, confidence) -> RecordDetection;
// record_detection_latency(duration, stage) -> RecordStageLatency, and
// MetricsTimer -> StageTimer; record_model_inference(duration, device,
// batch_size) -> RecordInference; update_active_tracks -> SetActiveTracks;
// update_memory_usage(rss, vms) -> SetMemoryUsage; update_gpu_memory ->
// SetGpuMemoryUsage; get_summary() -> GetSummary(). The Redis operation
// metrics are not part of this set (register them on the registry directly).
//
// Sampling (see sampler.h): with options.sampler set, the observations marked
// "sampled" above are made for a sample of calls, decided per call with the
// operation names kSampleDetectionConfidence, kSampleDetectionLatency,
// kSampleModelInference and kSampleQueueWait. Counters stay exact. A StageTimer
// that is not sampled reads no clock at all.
//
// Thread safety: thread-safe. Recording methods take no lock and allocate
// nothing once a label set exists; methods taking a label string look it up
// per call (lock-free), the handles from ForClass/ForStage skip that lookup.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/metrics/counter.h"
#include "vigil/metrics/family.h"
#include "vigil/metrics/gauge.h"
#include "vigil/metrics/histogram.h"
#include "vigil/metrics/registry.h"
#include "vigil/metrics/summary.h"
#include "vigil/ml/sampler.h"
#include "vigil/result.h"

namespace vigil::ml {

// Operation names InferenceMetrics asks its Sampler about.
inline constexpr std::string_view kSampleDetectionConfidence = "detection_confidence";
inline constexpr std::string_view kSampleDetectionLatency = "detection_latency";
inline constexpr std::string_view kSampleModelInference = "model_inference";
inline constexpr std::string_view kSampleQueueWait = "queue_wait";

// 1 ms .. 10 s, for stage, inference and queue-wait latencies.
std::vector<double> DefaultLatencyBuckets();
// 0.05, 0.10, ..., 1.00: confidence scores.
std::vector<double> DefaultConfidenceBuckets();
// 1, 2, 4, ..., 1024: batch sizes.
std::vector<double> DefaultBatchSizeBuckets();
// Quantiles 0.5, 0.9, 0.99 over a 10-minute window.
metrics::SummaryOptions DefaultTrackLifetime();

struct InferenceMetricsOptions {
  // Value of the `model` label. Required.
  std::string model;
  std::vector<double> latency_buckets = DefaultLatencyBuckets();
  std::vector<double> confidence_buckets = DefaultConfidenceBuckets();
  std::vector<double> batch_size_buckets = DefaultBatchSizeBuckets();
  metrics::SummaryOptions track_lifetime = DefaultTrackLifetime();
  // Samples the costly observations; null: observe every call. Not owned;
  // must outlive the InferenceMetrics.
  const Sampler* sampler = nullptr;
  // StageTimer's clock (tests: a fake one); empty: std::chrono::steady_clock.
  std::function<std::chrono::steady_clock::time_point()> now;
};

// One histogram (or several merged) as the seed's summary reports it. The
// quantiles are estimated from the buckets (linear interpolation, as PromQL's
// histogram_quantile()); avg and the quantiles are NaN when count is 0.
struct HistogramStats {
  uint64_t count = 0;
  double sum = 0;
  double avg = std::numeric_limits<double>::quiet_NaN();
  double p50 = std::numeric_limits<double>::quiet_NaN();
  double p95 = std::numeric_limits<double>::quiet_NaN();
  double p99 = std::numeric_limits<double>::quiet_NaN();
};

// What GetSummary() returns: the current values of one model's series.
struct InferenceSummary {
  std::string model;
  double frames_success = 0;  // frames_processed_total{status="success"}
  double frames_failure = 0;  // frames_processed_total{status="failure"}
  std::map<std::string, double> frames_by_status;  // every status
  std::map<std::string, double> frames_dropped;    // by reason
  HistogramStats detection_stats;  // detection_latency_seconds, all stages merged
  std::map<std::string, HistogramStats> latency_by_stage;
  std::map<std::string, double> detections_by_class;
  HistogramStats inference_stats;   // model_inference_duration_seconds, all devices
  HistogramStats batch_size_stats;  // model_batch_size
  double active_tracks = 0;
  double tracks_created = 0;
  std::map<std::string, double> tracks_lost;  // by reason
  // Shared, process-wide series (no model label).
  std::map<std::string, double> queue_sizes;                // by queue_type
  std::map<std::string, HistogramStats> queue_wait_stats;   // by queue_type
  std::map<std::string, double> memory_usage_bytes;         // by type
  std::map<std::string, double> gpu_memory_usage_bytes;     // by device
  std::map<std::string, std::map<std::string, double>> errors;  // component -> type -> count

  // The summary as a JSON object with the field names above (NaN as null).
  std::string ToJson() const;
};

class InferenceMetrics;

// Times a scope into detection_latency_seconds{model,stage}: observes the
// elapsed seconds when it ends (the seed's MetricsTimer). When the sampler
// says no, it reads no clock and observes nothing.
//
// Thread safety: not thread-safe (a timer belongs to one scope).
class StageTimer {
 public:
  StageTimer(InferenceMetrics& metrics, std::string_view stage);
  ~StageTimer() { Stop(); }
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

  // Observes now instead of at scope end; later calls do nothing.
  void Stop();
  // Ends the scope without observing.
  void Cancel() { active_ = false; }
  // False when this scope was not sampled (nothing will be observed).
  bool sampled() const { return sampled_; }

 private:
  friend class InferenceMetrics;
  StageTimer(const InferenceMetrics* owner, metrics::Histogram target, bool sampled);

  const InferenceMetrics* owner_;
  metrics::Histogram target_;
  std::chrono::steady_clock::time_point start_;
  bool sampled_;
  bool active_;
};

class InferenceMetrics {
 public:
  // Detections of one class, resolved once.
  // Thread safety: thread-safe.
  class ClassHandle {
   public:
    ClassHandle() = default;  // detached: updates go nowhere
    // detections_total += 1; confidence observed when sampled.
    void RecordDetection(double confidence) {
      detections_.Inc();
      if (sample_.ShouldSample()) confidence_.Observe(confidence);
    }

   private:
    friend class InferenceMetrics;
    metrics::Counter detections_;
    metrics::Histogram confidence_;
    OperationSampler sample_;
  };

  // Latency of one stage, resolved once.
  // Thread safety: thread-safe.
  class StageHandle {
   public:
    StageHandle() = default;  // detached: updates go nowhere
    void RecordLatency(double seconds) {
      if (sample_.ShouldSample()) latency_.Observe(seconds);
    }
    // A timer for this stage (one that observes nothing when detached).
    StageTimer Time() const {
      return StageTimer(owner_, latency_, owner_ != nullptr && sample_.ShouldSample());
    }

   private:
    friend class InferenceMetrics;
    const InferenceMetrics* owner_ = nullptr;
    metrics::Histogram latency_;
    OperationSampler sample_;
  };

  // Registers (or finds) the families in `registry`, which must outlive the
  // result. Fails on an empty model, bad buckets, or a family of the same
  // name registered with another type or other labels.
  static Result<std::unique_ptr<InferenceMetrics>> Create(metrics::Registry& registry,
                                                          InferenceMetricsOptions options);
  InferenceMetrics(const InferenceMetrics&) = delete;
  InferenceMetrics& operator=(const InferenceMetrics&) = delete;

  // frames_processed_total{status="success"|"failure"}.
  void RecordProcessed(bool success) { (success ? processed_ok_ : processed_failed_).Inc(); }
  // frames_processed_total{status=status}: any status ("timeout", "rejected").
  void RecordProcessedWithStatus(std::string_view status);
  void RecordDropped(std::string_view reason);

  ClassHandle ForClass(std::string_view class_name);
  void RecordDetection(std::string_view class_name, double confidence);

  StageHandle ForStage(std::string_view stage);
  void RecordStageLatency(std::string_view stage, double seconds);

  // model_inference_duration_seconds{device} (sampled) and, when
  // batch_size > 0, model_batch_size (exact).
  void RecordInference(double seconds, std::string_view device, int64_t batch_size);

  void SetActiveTracks(double count) { active_tracks_.Set(count); }
  void RecordTrackCreated() { tracks_created_.Inc(); }
  void RecordTrackLost(std::string_view reason);
  void RecordTrackLifetime(std::string_view class_name, double seconds);

  void SetQueueSize(std::string_view queue_type, double size);
  void RecordQueueWait(std::string_view queue_type, double seconds);

  // memory_usage_bytes{type="rss"} and {type="vms"}.
  void SetMemoryUsage(double rss_bytes, double vms_bytes) {
    memory_rss_.Set(rss_bytes);
    memory_vms_.Set(vms_bytes);
  }
  // memory_usage_bytes{type=type} ("shared", "swap", ...).
  void SetMemoryUsage(std::string_view type, double bytes);
  void SetGpuMemoryUsage(std::string_view device, double bytes);

  void RecordError(std::string_view component, std::string_view error_type);

  // Reads the families (one pass over the registry's collection; not for
  // the hot path).
  InferenceSummary GetSummary() const;

  const std::string& model() const { return model_; }

 private:
  friend class StageTimer;
  InferenceMetrics(metrics::Registry& registry, InferenceMetricsOptions options);
  std::chrono::steady_clock::time_point Now() const {
    return now_ ? now_() : std::chrono::steady_clock::now();
  }

  // Constant after construction. Families are owned by the registry; the
  // handles are thread-safe.
  metrics::Registry& registry_;
  const std::string model_;
  const std::function<std::chrono::steady_clock::time_point()> now_;
  metrics::Family<metrics::Counter>* processed_ = nullptr;
  metrics::Family<metrics::Counter>* dropped_ = nullptr;
  metrics::Family<metrics::Counter>* detections_ = nullptr;
  metrics::Family<metrics::Histogram>* confidence_ = nullptr;
  metrics::Family<metrics::Histogram>* latency_ = nullptr;
  metrics::Family<metrics::Histogram>* inference_ = nullptr;
  metrics::Family<metrics::Histogram>* batch_size_family_ = nullptr;
  metrics::Family<metrics::Gauge>* active_tracks_family_ = nullptr;
  metrics::Family<metrics::Counter>* tracks_created_family_ = nullptr;
  metrics::Family<metrics::Counter>* tracks_lost_ = nullptr;
  metrics::Family<metrics::Summary>* track_lifetime_ = nullptr;
  metrics::Family<metrics::Gauge>* queue_size_ = nullptr;
  metrics::Family<metrics::Histogram>* queue_wait_ = nullptr;
  metrics::Family<metrics::Gauge>* memory_ = nullptr;
  metrics::Family<metrics::Gauge>* gpu_memory_ = nullptr;
  metrics::Family<metrics::Counter>* errors_ = nullptr;

  metrics::Counter processed_ok_;
  metrics::Counter processed_failed_;
  metrics::Histogram batch_size_;
  metrics::Gauge active_tracks_;
  metrics::Counter tracks_created_;
  metrics::Gauge memory_rss_;
  metrics::Gauge memory_vms_;

  OperationSampler sample_confidence_;
  OperationSampler sample_latency_;
  OperationSampler sample_inference_;
  OperationSampler sample_queue_wait_;
};

}  // namespace vigil::ml
