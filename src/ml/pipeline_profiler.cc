#include "vigil/ml/pipeline_profiler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "base/status_macros.h"
#include "vigil/status.h"

namespace vigil::ml {

namespace internal {

// The last `capacity` values added, in a ring of relaxed atomics. Add() is
// lock-free; Mean() reads the filled slots. A reader racing a writer may see
// a claimed slot's previous value: fine for a recent-window statistic.
//
// Thread safety: thread-safe.
class RecentWindow {
 public:
  explicit RecentWindow(size_t capacity)
      : slots_(new std::atomic<double>[capacity]), capacity_(capacity) {
    for (size_t i = 0; i < capacity_; ++i) slots_[i].store(0.0, std::memory_order_relaxed);
  }

  void Add(double v) {
    const uint64_t i = next_.fetch_add(1, std::memory_order_relaxed);
    slots_[i % capacity_].store(v, std::memory_order_relaxed);
  }

  // Mean of the values held, NaN when empty; their number in *n.
  double Mean(uint64_t* n) const {
    const uint64_t added = next_.load(std::memory_order_relaxed);
    const size_t k = static_cast<size_t>(std::min<uint64_t>(added, capacity_));
    *n = k;
    if (k == 0) return std::numeric_limits<double>::quiet_NaN();
    double sum = 0;
    for (size_t i = 0; i < k; ++i) sum += slots_[i].load(std::memory_order_relaxed);
    return sum / static_cast<double>(k);
  }

 private:
  const std::unique_ptr<std::atomic<double>[]> slots_;
  const size_t capacity_;
  std::atomic<uint64_t> next_{0};
};

// A stage (name) or a connector (from -> to). Immutable after registration
// except through its thread-safe handles and window.
struct PipelineSegment {
  PipelineSegment(bool is_stage, std::string a, std::string b, size_t window)
      : stage(is_stage), name(std::move(a)), to(std::move(b)), recent(window) {}

  const bool stage;
  const std::string name;  // the stage, or the connector's `from`
  const std::string to;    // the connector's `to`; empty for stages
  metrics::Histogram duration;
  metrics::Counter calls;       // stages only
  metrics::Gauge bottleneck;    // stages only
  RecentWindow recent;
};

}  // namespace internal

using internal::PipelineSegment;

namespace {

bool ValidDuration(double seconds) { return std::isfinite(seconds) && seconds >= 0; }

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

// Window means of every registered segment and the results of the two rules.
// Fixed arrays: computed at batch end without allocating.
struct PipelineProfiler::Computed {
  size_t n = 0;
  double mean[kMaxSegments];
  uint64_t count[kMaxSegments];
  // Bottleneck rule.
  int top = -1;        // slowest eligible stage, -1 when none
  int eligible = 0;    // stages with >= bottleneck_min_samples durations
  double total = 0;    // sum of the eligible stages' means
  double share = 0;
  double ratio = 0;
  bool detected = false;
  // Efficiency.
  double efficiency = std::numeric_limits<double>::quiet_NaN();
};

Result<std::unique_ptr<PipelineProfiler>> PipelineProfiler::Create(
    metrics::Registry& registry, PipelineProfilerOptions options) {
  const auto bad = [](const std::string& what) {
    return InvalidArgumentError("PipelineProfiler: " + what);
  };
  if (options.pipeline.empty()) return bad("the pipeline name must not be empty");
  if (!(options.sampling_rate >= 0 && options.sampling_rate <= 1)) {
    return bad("sampling_rate " + Num(options.sampling_rate) + " must be in [0, 1]");
  }
  if (options.window < 1 || options.window > 65536) {
    return bad("window " + std::to_string(options.window) + " must be in [1, 65536]");
  }
  if (!(options.bottleneck_share > 0 && options.bottleneck_share <= 1)) {
    return bad("bottleneck_share " + Num(options.bottleneck_share) + " must be in (0, 1]");
  }
  if (!(options.bottleneck_ratio >= 1) || std::isinf(options.bottleneck_ratio)) {
    return bad("bottleneck_ratio " + Num(options.bottleneck_ratio) +
               " must be a finite number >= 1");
  }
  if (options.bottleneck_min_samples < 1) return bad("bottleneck_min_samples must be >= 1");
  if (options.stages.size() > kMaxSegments) {
    return bad("at most " + std::to_string(kMaxSegments) + " stages");
  }
  for (size_t i = 0; i < options.stages.size(); ++i) {
    if (options.stages[i].empty()) return bad("a stage name must not be empty");
    for (size_t j = 0; j < i; ++j) {
      if (options.stages[j] == options.stages[i]) {
        return bad("stage \"" + options.stages[i] + "\" is declared twice");
      }
    }
  }

  std::unique_ptr<PipelineProfiler> p(new PipelineProfiler(registry, options));
  VIGIL_ASSIGN_OR_RETURN(p->sampler_,
                         Sampler::Create({.default_rate = options.sampling_rate,
                                          .seed = options.sampling_seed}));
  p->sample_ = p->sampler_->ForOperation(p->pipeline_);

  using metrics::MetricOptions;
  const std::vector<std::string> by_stage = {"pipeline", "stage"};
  const std::vector<std::string> by_pipeline = {"pipeline"};
  VIGIL_ASSIGN_OR_RETURN(
      p->stage_duration_,
      registry.AddHistogram({.name = "pipeline_stage_duration_seconds",
                             .help = "Time one execution of a pipeline stage took (sampled).",
                             .label_names = by_stage},
                            options.duration_buckets));
  VIGIL_ASSIGN_OR_RETURN(
      p->stage_calls_,
      registry.AddCounter({.name = "pipeline_stage_calls_total",
                           .help = "Pipeline stage executions (exact, never sampled).",
                           .label_names = by_stage}));
  VIGIL_ASSIGN_OR_RETURN(
      p->stage_gpu_,
      registry.AddGauge({.name = "pipeline_stage_gpu_utilization_percent",
                         .help = "GPU utilisation seen at the end of a stage execution.",
                         .label_names = by_stage}));
  VIGIL_ASSIGN_OR_RETURN(
      p->connector_duration_,
      registry.AddHistogram({.name = "pipeline_connector_duration_seconds",
                             .help = "Time moving data from one stage to the next (sampled).",
                             .label_names = {"pipeline", "from", "to"}},
                            options.duration_buckets));
  VIGIL_ASSIGN_OR_RETURN(
      p->batch_duration_family_,
      registry.AddHistogram({.name = "pipeline_batch_duration_seconds",
                             .help = "Wall time per batch.",
                             .label_names = by_pipeline},
                            options.duration_buckets));
  VIGIL_ASSIGN_OR_RETURN(
      p->batch_size_family_,
      registry.AddHistogram({.name = "pipeline_batch_size",
                             .help = "Items per batch.",
                             .label_names = by_pipeline},
                            options.batch_size_buckets));
  VIGIL_ASSIGN_OR_RETURN(
      p->throughput_,
      registry.AddGauge({.name = "pipeline_batch_throughput_items_per_second",
                         .help = "Items per second of the last batch.",
                         .label_names = by_pipeline}));
  VIGIL_ASSIGN_OR_RETURN(
      p->efficiency_,
      registry.AddGauge({.name = "pipeline_efficiency_score",
                         .help = "Share of recent per-item pipeline time spent in stages "
                                 "rather than connectors (0..1).",
                         .label_names = by_pipeline}));
  VIGIL_ASSIGN_OR_RETURN(
      p->bottleneck_,
      registry.AddGauge({.name = "pipeline_bottleneck_detected",
                         .help = "1 for the stage found to be the pipeline's bottleneck, "
                                 "else 0.",
                         .label_names = by_stage}));
  VIGIL_ASSIGN_OR_RETURN(
      p->custom_,
      registry.AddHistogram({.name = "pipeline_custom_duration_seconds",
                             .help = "Custom timings logged with the pipeline (sampled).",
                             .label_names = {"pipeline", "name"}},
                            options.duration_buckets));
  p->batch_duration_ = p->batch_duration_family_->WithLabelValues({p->pipeline_});
  p->batch_size_ = p->batch_size_family_->WithLabelValues({p->pipeline_});
  for (const std::string& s : options.stages) p->FindOrAdd(true, s, {});
  return p;
}

PipelineProfiler::PipelineProfiler(metrics::Registry& registry, PipelineProfilerOptions options)
    : registry_(registry), pipeline_(options.pipeline), options_(std::move(options)) {}

PipelineProfiler::~PipelineProfiler() = default;

PipelineSegment* PipelineProfiler::Find(bool stage, std::string_view a,
                                        std::string_view b) const {
  const size_t n = count_.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) {
    PipelineSegment* s = segments_[i].get();
    if (s->stage == stage && s->name == a && s->to == b) return s;
  }
  return nullptr;
}

PipelineSegment* PipelineProfiler::FindOrAdd(bool stage, std::string_view a,
                                             std::string_view b) {
  if (PipelineSegment* s = Find(stage, a, b)) return s;
  if (a.empty() || (!stage && b.empty())) return nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  if (PipelineSegment* s = Find(stage, a, b)) return s;  // registered meanwhile
  const size_t n = count_.load(std::memory_order_relaxed);
  if (n == kMaxSegments) {
    if (!reported_full_.exchange(true)) {
      registry_.Report("PipelineProfiler " + pipeline_ + ": more than " +
                       std::to_string(kMaxSegments) +
                       " stages and connectors; updates of new ones are ignored (first: " +
                       std::string(a) + (stage ? "" : " -> " + std::string(b)) + ")");
    }
    return nullptr;
  }
  auto seg = std::make_unique<PipelineSegment>(stage, std::string(a), std::string(b),
                                               options_.window);
  if (stage) {
    seg->duration = stage_duration_->WithLabelValues({pipeline_, a});
    seg->calls = stage_calls_->WithLabelValues({pipeline_, a});
    seg->bottleneck = bottleneck_->WithLabelValues({pipeline_, a});
  } else {
    seg->duration = connector_duration_->WithLabelValues({pipeline_, a, b});
  }
  segments_[n] = std::move(seg);
  count_.store(n + 1, std::memory_order_release);
  return segments_[n].get();
}

PipelineProfiler::Stage PipelineProfiler::GetStage(std::string_view name) {
  return Stage(FindOrAdd(true, name, {}));
}

PipelineProfiler::Connector PipelineProfiler::GetConnector(std::string_view from,
                                                           std::string_view to) {
  return Connector(FindOrAdd(false, from, to));
}

void PipelineProfiler::ObserveStage(PipelineSegment* seg, double seconds,
                                    std::optional<double> gpu_utilization_percent) {
  if (ValidDuration(seconds)) {
    seg->duration.Observe(seconds);
    seg->recent.Add(seconds);
  }
  if (gpu_utilization_percent.has_value()) {
    stage_gpu_->WithLabelValues({pipeline_, seg->name}).Set(*gpu_utilization_percent);
  }
}

void PipelineProfiler::LogStage(Stage stage, double seconds,
                                std::optional<double> gpu_utilization_percent) {
  if (stage.seg_ == nullptr) return;
  stage.seg_->calls.Inc();
  if (sample_.ShouldSample()) ObserveStage(stage.seg_, seconds, gpu_utilization_percent);
}

void PipelineProfiler::LogConnector(Connector connector, double seconds) {
  PipelineSegment* seg = connector.seg_;
  if (seg == nullptr || !ValidDuration(seconds) || !sample_.ShouldSample()) return;
  seg->duration.Observe(seconds);
  seg->recent.Add(seconds);
}

void PipelineProfiler::LogCustomTiming(std::string_view name, double seconds) {
  if (!ValidDuration(seconds) || !sample_.ShouldSample()) return;
  custom_->WithLabelValues({pipeline_, name}).Observe(seconds);
}

void PipelineProfiler::Compute(Computed* c) const {
  c->n = count_.load(std::memory_order_acquire);
  double stage_sum = 0;
  double connector_sum = 0;
  bool any_stage = false;
  int second = -1;
  for (size_t i = 0; i < c->n; ++i) {
    const PipelineSegment& s = *segments_[i];
    c->mean[i] = s.recent.Mean(&c->count[i]);
    if (c->count[i] == 0) continue;
    if (!s.stage) {
      connector_sum += c->mean[i];
      continue;
    }
    any_stage = true;
    stage_sum += c->mean[i];
    if (c->count[i] < options_.bottleneck_min_samples) continue;
    ++c->eligible;
    c->total += c->mean[i];
    const int idx = static_cast<int>(i);
    if (c->top < 0 || c->mean[i] > c->mean[c->top]) {
      second = c->top;
      c->top = idx;
    } else if (second < 0 || c->mean[i] > c->mean[second]) {
      second = idx;
    }
  }
  if (c->top >= 0) {
    const double m1 = c->mean[c->top];
    const double m2 = second >= 0 ? c->mean[second] : 0;
    c->share = c->total > 0 ? m1 / c->total : 0;
    c->ratio = m2 > 0 ? m1 / m2 : std::numeric_limits<double>::infinity();
    c->detected = c->eligible >= 2 && c->total > 0 && c->share >= options_.bottleneck_share &&
                  c->ratio >= options_.bottleneck_ratio;
  }
  if (any_stage && stage_sum + connector_sum > 0) {
    c->efficiency = stage_sum / (stage_sum + connector_sum);
  }
}

void PipelineProfiler::PublishGauges(const Computed& c) {
  for (size_t i = 0; i < c.n; ++i) {
    PipelineSegment& s = *segments_[i];
    if (s.stage) s.bottleneck.Set(c.detected && static_cast<int>(i) == c.top ? 1 : 0);
  }
  if (!std::isnan(c.efficiency)) efficiency_->WithLabelValues({pipeline_}).Set(c.efficiency);
}

BottleneckReport PipelineProfiler::DetectBottlenecks() {
  Computed c;
  Compute(&c);
  PublishGauges(c);
  BottleneckReport r;
  r.detected = c.detected;
  if (c.top >= 0) {
    r.stage = segments_[c.top]->name;
    r.share = c.share;
    r.ratio_to_next = c.ratio;
  }
  for (size_t i = 0; i < c.n; ++i) {
    const PipelineSegment& s = *segments_[i];
    if (!s.stage) continue;
    StageStats st;
    st.stage = s.name;
    st.mean_seconds = c.mean[i];
    st.window_count = c.count[i];
    if (c.count[i] >= options_.bottleneck_min_samples && c.total > 0) {
      st.share = c.mean[i] / c.total;
    }
    st.calls = s.calls.Value();
    r.stages.push_back(std::move(st));
  }
  return r;
}

double PipelineProfiler::EfficiencyScore() {
  Computed c;
  Compute(&c);
  PublishGauges(c);
  return c.efficiency;
}

void PipelineProfiler::EndBatch(int64_t batch_size, double seconds) {
  if (ValidDuration(seconds)) batch_duration_.Observe(seconds);
  if (batch_size > 0) {
    batch_size_.Observe(static_cast<double>(batch_size));
    if (ValidDuration(seconds) && seconds > 0) {
      throughput_->WithLabelValues({pipeline_}).Set(static_cast<double>(batch_size) / seconds);
    }
  }
  if (options_.update_gauges_on_batch_end) {
    Computed c;
    Compute(&c);
    PublishGauges(c);
  }
}

// ---------------------------------------------------------------------------
// Scopes

StageScope::StageScope(PipelineProfiler& profiler, PipelineProfiler::Stage stage,
                       std::function<double()> read_gpu_utilization)
    : profiler_(profiler), seg_(stage.seg_), read_gpu_(std::move(read_gpu_utilization)) {
  if (seg_ == nullptr) return;
  seg_->calls.Inc();
  sampled_ = profiler_.sample_.ShouldSample();
  active_ = sampled_;
  if (sampled_) start_ = profiler_.Now();
}

void StageScope::Stop() {
  if (!active_) return;
  active_ = false;
  const double seconds = std::chrono::duration<double>(profiler_.Now() - start_).count();
  std::optional<double> gpu = gpu_;
  if (!gpu.has_value()) {
    if (read_gpu_) {
      gpu = read_gpu_();
    } else if (profiler_.options_.gpu_utilization) {
      gpu = profiler_.options_.gpu_utilization(seg_->name);
    }
  }
  profiler_.ObserveStage(seg_, seconds, gpu);
}

BatchScope::BatchScope(PipelineProfiler& profiler, int64_t batch_size)
    : profiler_(profiler), batch_size_(batch_size), start_(profiler.Now()) {}

void BatchScope::Stop() {
  if (!active_) return;
  active_ = false;
  profiler_.EndBatch(batch_size_,
                     std::chrono::duration<double>(profiler_.Now() - start_).count());
}

}  // namespace vigil::ml
