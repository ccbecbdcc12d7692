#include "vigil/ml/inference_metrics.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "base/status_macros.h"
#include "vigil/metrics/metric_type.h"
#include "vigil/status.h"

namespace vigil::ml {

std::vector<double> DefaultLatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> DefaultConfidenceBuckets() {
  std::vector<double> b;
  for (int i = 1; i <= 20; ++i) b.push_back(i * 5 / 100.0);  // 0.05 .. 1.0, exact decimals
  return b;
}

std::vector<double> DefaultBatchSizeBuckets() {
  std::vector<double> b;
  for (int i = 0; i <= 10; ++i) b.push_back(static_cast<double>(1 << i));
  return b;
}

metrics::SummaryOptions DefaultTrackLifetime() {
  // A function rather than a default member initialiser: GCC 12 reports a
  // false -Wmaybe-uninitialized at -O3 for designated initialisers of an
  // options struct holding a SummaryOptions with an initialised vector.
  return metrics::SummaryOptions{
      .quantiles = {0.5, 0.9, 0.99}, .max_age = std::chrono::seconds(600), .age_buckets = 5};
}

// ---------------------------------------------------------------------------
// StageTimer

StageTimer::StageTimer(InferenceMetrics& metrics, std::string_view stage)
    : StageTimer(&metrics, metrics.latency_->WithLabelValues({metrics.model_, stage}),
                 metrics.sample_latency_.ShouldSample()) {}

StageTimer::StageTimer(const InferenceMetrics* owner, metrics::Histogram target, bool sampled)
    : owner_(owner), target_(std::move(target)), sampled_(sampled), active_(sampled) {
  if (sampled_) start_ = owner_->Now();
}

void StageTimer::Stop() {
  if (!active_) return;
  active_ = false;
  target_.Observe(std::chrono::duration<double>(owner_->Now() - start_).count());
}

// ---------------------------------------------------------------------------
// InferenceMetrics

Result<std::unique_ptr<InferenceMetrics>> InferenceMetrics::Create(
    metrics::Registry& registry, InferenceMetricsOptions options) {
  if (options.model.empty()) {
    return InvalidArgumentError("InferenceMetrics: the model id must not be empty");
  }
  std::unique_ptr<InferenceMetrics> m(new InferenceMetrics(registry, options));
  using metrics::MetricOptions;
  auto counter = [&](metrics::Family<metrics::Counter>** out, const char* name,
                     const char* help, std::vector<std::string> labels) -> Status {
    VIGIL_ASSIGN_OR_RETURN(*out, registry.AddCounter(MetricOptions{
                                     .name = name, .help = help, .label_names = labels}));
    return Status::OK();
  };
  auto gauge = [&](metrics::Family<metrics::Gauge>** out, const char* name, const char* help,
                   std::vector<std::string> labels) -> Status {
    VIGIL_ASSIGN_OR_RETURN(*out, registry.AddGauge(MetricOptions{
                                     .name = name, .help = help, .label_names = labels}));
    return Status::OK();
  };
  auto histogram = [&](metrics::Family<metrics::Histogram>** out, const char* name,
                       const char* help, std::vector<std::string> labels,
                       const std::vector<double>& buckets) -> Status {
    VIGIL_ASSIGN_OR_RETURN(*out, registry.AddHistogram(MetricOptions{.name = name,
                                                                     .help = help,
                                                                     .label_names = labels},
                                                       buckets));
    return Status::OK();
  };

  VIGIL_RETURN_IF_ERROR(counter(&m->processed_, "frames_processed_total",
                                "Frames (requests) processed, by outcome.", {"model", "status"}));
  VIGIL_RETURN_IF_ERROR(counter(&m->dropped_, "frames_dropped_total",
                                "Frames (requests) dropped before processing, by reason.",
                                {"model", "reason"}));
  VIGIL_RETURN_IF_ERROR(counter(&m->detections_, "detections_total",
                                "Objects detected (predictions made), by class.",
                                {"model", "class"}));
  VIGIL_RETURN_IF_ERROR(histogram(&m->confidence_, "detection_confidence",
                                  "Confidence scores of detections, by class.", {"model", "class"},
                                  options.confidence_buckets));
  VIGIL_RETURN_IF_ERROR(histogram(&m->latency_, "detection_latency_seconds",
                                  "Latency of each processing stage.", {"model", "stage"},
                                  options.latency_buckets));
  VIGIL_RETURN_IF_ERROR(histogram(&m->inference_, "model_inference_duration_seconds",
                                  "Model inference (forward pass) time, by device.",
                                  {"model", "device"}, options.latency_buckets));
  VIGIL_RETURN_IF_ERROR(histogram(&m->batch_size_family_, "model_batch_size",
                                  "Inference batch sizes.", {"model"},
                                  options.batch_size_buckets));
  VIGIL_RETURN_IF_ERROR(gauge(&m->active_tracks_family_, "active_tracks",
                              "Object tracks currently active.", {"model"}));
  VIGIL_RETURN_IF_ERROR(counter(&m->tracks_created_family_, "tracks_created_total",
                                "Object tracks created.", {"model"}));
  VIGIL_RETURN_IF_ERROR(counter(&m->tracks_lost_, "tracks_lost_total",
                                "Object tracks lost, by reason.", {"model", "reason"}));
  VIGIL_ASSIGN_OR_RETURN(
      m->track_lifetime_,
      registry.AddSummary(MetricOptions{.name = "track_lifetime_seconds",
                                        .help = "Lifetime of finished object tracks, by class.",
                                        .label_names = {"model", "class"}},
                          options.track_lifetime));
  VIGIL_RETURN_IF_ERROR(gauge(&m->queue_size_, "queue_size", "Items waiting, by queue.",
                              {"queue_type"}));
  VIGIL_RETURN_IF_ERROR(histogram(&m->queue_wait_, "queue_wait_duration_seconds",
                                  "Time items wait in a queue before processing.",
                                  {"queue_type"}, options.latency_buckets));
  VIGIL_RETURN_IF_ERROR(gauge(&m->memory_, "memory_usage_bytes",
                              "Process memory usage, by type (rss, vms, ...).", {"type"}));
  VIGIL_RETURN_IF_ERROR(gauge(&m->gpu_memory_, "gpu_memory_usage_bytes",
                              "GPU memory in use, by device.", {"device"}));
  VIGIL_RETURN_IF_ERROR(counter(&m->errors_, "errors_total", "Errors, by component and type.",
                                {"component", "error_type"}));

  const std::string_view model = m->model_;
  m->processed_ok_ = m->processed_->WithLabelValues({model, "success"});
  m->processed_failed_ = m->processed_->WithLabelValues({model, "failure"});
  m->batch_size_ = m->batch_size_family_->WithLabelValues({model});
  m->active_tracks_ = m->active_tracks_family_->WithLabelValues({model});
  m->tracks_created_ = m->tracks_created_family_->WithLabelValues({model});
  m->memory_rss_ = m->memory_->WithLabelValues({"rss"});
  m->memory_vms_ = m->memory_->WithLabelValues({"vms"});
  if (options.sampler != nullptr) {
    m->sample_confidence_ = options.sampler->ForOperation(kSampleDetectionConfidence);
    m->sample_latency_ = options.sampler->ForOperation(kSampleDetectionLatency);
    m->sample_inference_ = options.sampler->ForOperation(kSampleModelInference);
    m->sample_queue_wait_ = options.sampler->ForOperation(kSampleQueueWait);
  }
  return m;
}

InferenceMetrics::InferenceMetrics(metrics::Registry& registry,
                                   InferenceMetricsOptions options)
    : registry_(registry), model_(std::move(options.model)), now_(std::move(options.now)) {}

void InferenceMetrics::RecordProcessedWithStatus(std::string_view status) {
  processed_->WithLabelValues({model_, status}).Inc();
}

void InferenceMetrics::RecordDropped(std::string_view reason) {
  dropped_->WithLabelValues({model_, reason}).Inc();
}

InferenceMetrics::ClassHandle InferenceMetrics::ForClass(std::string_view class_name) {
  ClassHandle h;
  h.detections_ = detections_->WithLabelValues({model_, class_name});
  h.confidence_ = confidence_->WithLabelValues({model_, class_name});
  h.sample_ = sample_confidence_;
  return h;
}

void InferenceMetrics::RecordDetection(std::string_view class_name, double confidence) {
  detections_->WithLabelValues({model_, class_name}).Inc();
  if (sample_confidence_.ShouldSample()) {
    confidence_->WithLabelValues({model_, class_name}).Observe(confidence);
  }
}

InferenceMetrics::StageHandle InferenceMetrics::ForStage(std::string_view stage) {
  StageHandle h;
  h.owner_ = this;
  h.latency_ = latency_->WithLabelValues({model_, stage});
  h.sample_ = sample_latency_;
  return h;
}

void InferenceMetrics::RecordStageLatency(std::string_view stage, double seconds) {
  if (sample_latency_.ShouldSample()) latency_->WithLabelValues({model_, stage}).Observe(seconds);
}

void InferenceMetrics::RecordInference(double seconds, std::string_view device,
                                       int64_t batch_size) {
  if (batch_size > 0) batch_size_.Observe(static_cast<double>(batch_size));
  if (sample_inference_.ShouldSample()) {
    inference_->WithLabelValues({model_, device}).Observe(seconds);
  }
}

void InferenceMetrics::RecordTrackLost(std::string_view reason) {
  tracks_lost_->WithLabelValues({model_, reason}).Inc();
}

void InferenceMetrics::RecordTrackLifetime(std::string_view class_name, double seconds) {
  track_lifetime_->WithLabelValues({model_, class_name}).Observe(seconds);
}

void InferenceMetrics::SetQueueSize(std::string_view queue_type, double size) {
  queue_size_->WithLabelValues({queue_type}).Set(size);
}

void InferenceMetrics::RecordQueueWait(std::string_view queue_type, double seconds) {
  if (sample_queue_wait_.ShouldSample()) queue_wait_->WithLabelValues({queue_type}).Observe(seconds);
}

void InferenceMetrics::SetMemoryUsage(std::string_view type, double bytes) {
  memory_->WithLabelValues({type}).Set(bytes);
}

void InferenceMetrics::SetGpuMemoryUsage(std::string_view device, double bytes) {
  gpu_memory_->WithLabelValues({device}).Set(bytes);
}

void InferenceMetrics::RecordError(std::string_view component, std::string_view error_type) {
  errors_->WithLabelValues({component, error_type}).Inc();
}

// ---------------------------------------------------------------------------
// Summary

namespace {

// Cumulative buckets of one or more histogram series with the same bounds.
struct MergedHistogram {
  std::vector<double> bounds;
  std::vector<uint64_t> cumulative;
  uint64_t count = 0;
  double sum = 0;

  void Add(const metrics::MetricPoint& p) {
    if (cumulative.empty()) {
      bounds.assign(p.bucket_bounds.begin(), p.bucket_bounds.end());
      cumulative.assign(p.bucket_counts.size(), 0);
    }
    if (p.bucket_counts.size() != cumulative.size()) return;  // other bounds: cannot merge
    for (size_t i = 0; i < cumulative.size(); ++i) cumulative[i] += p.bucket_counts[i];
    count += p.count;
    sum += p.sum;
  }

  HistogramStats Stats() const {
    HistogramStats s;
    s.count = count;
    s.sum = sum;
    if (count == 0) return s;
    s.avg = sum / static_cast<double>(count);
    s.p50 = metrics::BucketQuantile(0.50, bounds, cumulative);
    s.p95 = metrics::BucketQuantile(0.95, bounds, cumulative);
    s.p99 = metrics::BucketQuantile(0.99, bounds, cumulative);
    return s;
  }
};

std::string_view LabelValue(const metrics::MetricPoint& p, std::string_view name) {
  for (const metrics::LabelPair& l : p.labels) {
    if (l.name == name) return l.value;
  }
  return {};
}

// Collects the families of one InferenceMetrics into an InferenceSummary,
// skipping everything else the registry holds.
class SummarySink : public metrics::MetricSink {
 public:
  enum class Kind {
    kNone, kProcessed, kDropped, kDetections, kLatency, kInference, kBatch, kActiveTracks,
    kTracksCreated, kTracksLost, kQueueSize, kQueueWait, kMemory, kGpuMemory, kErrors,
  };

  SummarySink(InferenceSummary* out, std::map<std::string, Kind, std::less<>> kinds)
      : out_(out), kinds_(std::move(kinds)) {}

  void BeginFamily(const metrics::MetricFamilyDesc& desc) override {
    auto it = kinds_.find(desc.name);
    kind_ = it == kinds_.end() ? Kind::kNone : it->second;
  }

  void AddMetric(const metrics::MetricPoint& p) override {
    if (kind_ == Kind::kNone) return;
    if (HasModelLabel(kind_) && LabelValue(p, "model") != out_->model) return;
    auto key = [&](std::string_view label) { return std::string(LabelValue(p, label)); };
    switch (kind_) {
      case Kind::kProcessed: {
        const std::string status = key("status");
        out_->frames_by_status[status] += p.value;
        if (status == "success") out_->frames_success += p.value;
        if (status == "failure") out_->frames_failure += p.value;
        break;
      }
      case Kind::kDropped: out_->frames_dropped[key("reason")] += p.value; break;
      case Kind::kDetections: out_->detections_by_class[key("class")] += p.value; break;
      case Kind::kLatency:
        latency_all_.Add(p);
        latency_by_stage_[key("stage")].Add(p);
        break;
      case Kind::kInference: inference_.Add(p); break;
      case Kind::kBatch: batch_.Add(p); break;
      case Kind::kActiveTracks: out_->active_tracks = p.value; break;
      case Kind::kTracksCreated: out_->tracks_created += p.value; break;
      case Kind::kTracksLost: out_->tracks_lost[key("reason")] += p.value; break;
      case Kind::kQueueSize: out_->queue_sizes[key("queue_type")] = p.value; break;
      case Kind::kQueueWait: queue_wait_[key("queue_type")].Add(p); break;
      case Kind::kMemory: out_->memory_usage_bytes[key("type")] = p.value; break;
      case Kind::kGpuMemory: out_->gpu_memory_usage_bytes[key("device")] = p.value; break;
      case Kind::kErrors: out_->errors[key("component")][key("error_type")] += p.value; break;
      case Kind::kNone: break;
    }
  }

  void EndFamily() override { kind_ = Kind::kNone; }

  void Finish() {
    out_->detection_stats = latency_all_.Stats();
    for (const auto& [stage, h] : latency_by_stage_) out_->latency_by_stage[stage] = h.Stats();
    out_->inference_stats = inference_.Stats();
    out_->batch_size_stats = batch_.Stats();
    for (const auto& [q, h] : queue_wait_) out_->queue_wait_stats[q] = h.Stats();
  }

 private:
  static bool HasModelLabel(Kind k) {
    switch (k) {
      case Kind::kQueueSize: case Kind::kQueueWait: case Kind::kMemory:
      case Kind::kGpuMemory: case Kind::kErrors: case Kind::kNone:
        return false;
      default:
        return true;
    }
  }

  InferenceSummary* out_;
  const std::map<std::string, Kind, std::less<>> kinds_;
  Kind kind_ = Kind::kNone;
  MergedHistogram latency_all_;
  std::map<std::string, MergedHistogram> latency_by_stage_;
  MergedHistogram inference_;
  MergedHistogram batch_;
  std::map<std::string, MergedHistogram> queue_wait_;
};

nlohmann::json StatsJson(const HistogramStats& s) {
  // nlohmann::json writes NaN as null.
  return {{"count", s.count}, {"sum", s.sum}, {"avg", s.avg},
          {"p50", s.p50},     {"p95", s.p95}, {"p99", s.p99}};
}

template <typename Map>
nlohmann::json StatsMapJson(const Map& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : m) j[k] = StatsJson(v);
  return j;
}

template <typename Map>
nlohmann::json MapJson(const Map& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

}  // namespace

InferenceSummary InferenceMetrics::GetSummary() const {
  using K = SummarySink::Kind;
  InferenceSummary out;
  out.model = model_;
  SummarySink sink(&out, {
                             {processed_->name(), K::kProcessed},
                             {dropped_->name(), K::kDropped},
                             {detections_->name(), K::kDetections},
                             {latency_->name(), K::kLatency},
                             {inference_->name(), K::kInference},
                             {batch_size_family_->name(), K::kBatch},
                             {active_tracks_family_->name(), K::kActiveTracks},
                             {tracks_created_family_->name(), K::kTracksCreated},
                             {tracks_lost_->name(), K::kTracksLost},
                             {queue_size_->name(), K::kQueueSize},
                             {queue_wait_->name(), K::kQueueWait},
                             {memory_->name(), K::kMemory},
                             {gpu_memory_->name(), K::kGpuMemory},
                             {errors_->name(), K::kErrors},
                         });
  registry_.Collect(sink);
  sink.Finish();
  return out;
}

std::string InferenceSummary::ToJson() const {
  nlohmann::json errors_json = nlohmann::json::object();
  for (const auto& [component, types] : errors) errors_json[component] = MapJson(types);
  const nlohmann::json j = {
      {"model", model},
      {"frames_processed",
       {{"success", frames_success}, {"failure", frames_failure},
        {"by_status", MapJson(frames_by_status)}}},
      {"frames_dropped", MapJson(frames_dropped)},
      {"detection_stats", StatsJson(detection_stats)},
      {"latency_by_stage", StatsMapJson(latency_by_stage)},
      {"detections_by_class", MapJson(detections_by_class)},
      {"inference_stats", StatsJson(inference_stats)},
      {"batch_size_stats", StatsJson(batch_size_stats)},
      {"active_tracks", active_tracks},
      {"tracks_created", tracks_created},
      {"tracks_lost", MapJson(tracks_lost)},
      {"queue_sizes", MapJson(queue_sizes)},
      {"queue_wait_stats", StatsMapJson(queue_wait_stats)},
      {"memory_usage_bytes", MapJson(memory_usage_bytes)},
      {"gpu_memory_usage_bytes", MapJson(gpu_memory_usage_bytes)},
      {"errors", std::move(errors_json)},
  };
  // Invalid UTF-8 in a label value is replaced rather than thrown on.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace vigil::ml
