// The ML metric sets' hot paths next to the same updates written by hand with
// prometheus-cpp 1.0.1 (the anchor): what a seed user does today.
//
//  - Ml_DetectionHandle: one detection with a class resolved once
//    (InferenceMetrics::ClassHandle::RecordDetection: detections_total +1 and
//    a detection_confidence observation) vs cached prometheus::Counter& and
//    prometheus::Histogram& references.
//  - Ml_DetectionByName: the same with the class given per call (label
//    lookup each time) vs prometheus-cpp's Family::Add({labels}) per call.
//  - Ml_DetectionSampled: the by-name call with a 10% Sampler on the
//    confidence (counts exact) vs the anchor's by-name call with the seed's
//    own sampling (a random draw, then the histogram only when drawn).
//  - Ml_FeatureQuality: FeatureLogger::LogQuality (histogram + a buffered
//    record) vs prometheus-cpp's histogram plus a mutex-guarded vector of
//    records, the seed's buffering.
//
// Conventions as in metrics_benchmark.cc (UseRealTime, items per call).
#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "vigil/ml/feature_logger.h"
#include "vigil/ml/inference_metrics.h"
#include "vigil/ml/sampler.h"

namespace vigil {
namespace {

const char* const kClasses[] = {"person", "car", "bicycle", "dog"};

prometheus::Histogram::BucketBoundaries ConfidenceBounds() {
  prometheus::Histogram::BucketBoundaries b;
  for (double v : ml::DefaultConfidenceBuckets()) b.push_back(v);
  return b;
}

struct PromDetections {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& detections =
      prometheus::BuildCounter().Name("vision_detections_total").Help("x").Register(*registry);
  prometheus::Family<prometheus::Histogram>& confidence =
      prometheus::BuildHistogram().Name("vision_detection_confidence").Help("x").Register(
          *registry);
  const prometheus::Histogram::BucketBoundaries bounds = ConfidenceBounds();
};

void BM_Ml_DetectionHandle_vigil(benchmark::State& state) {
  metrics::Registry registry({.prefix = "vision"});
  auto m = ml::InferenceMetrics::Create(registry, {.model = "owlv2"});
  ml::InferenceMetrics::ClassHandle person = (*m)->ForClass("person");
  double conf = 0.5;
  for (auto _ : state) {
    person.RecordDetection(conf);
    conf = conf > 0.95 ? 0.5 : conf + 0.01;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ml_DetectionHandle_vigil)->UseRealTime();

void BM_Ml_DetectionHandle_anchor(benchmark::State& state) {
  PromDetections p;
  prometheus::Counter& det = p.detections.Add({{"model", "owlv2"}, {"class", "person"}});
  prometheus::Histogram& hist =
      p.confidence.Add({{"model", "owlv2"}, {"class", "person"}}, p.bounds);
  double conf = 0.5;
  for (auto _ : state) {
    det.Increment();
    hist.Observe(conf);
    conf = conf > 0.95 ? 0.5 : conf + 0.01;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ml_DetectionHandle_anchor)->UseRealTime();

void BM_Ml_DetectionByName_vigil(benchmark::State& state) {
  metrics::Registry registry({.prefix = "vision"});
  auto m = ml::InferenceMetrics::Create(registry, {.model = "owlv2"});
  size_t i = 0;
  for (auto _ : state) {
    (*m)->RecordDetection(kClasses[i & 3], 0.5 + 0.1 * static_cast<double>(i & 3));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ml_DetectionByName_vigil)->UseRealTime();

void BM_Ml_DetectionByName_anchor(benchmark::State& state) {
  PromDetections p;
  size_t i = 0;
  for (auto _ : state) {
    const char* cls = kClasses[i & 3];
    p.detections.Add({{"model", "owlv2"}, {"class", cls}}).Increment();
    p.confidence.Add({{"model", "owlv2"}, {"class", cls}}, p.bounds)
        .Observe(0.5 + 0.1 * static_cast<double>(i & 3));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ml_DetectionByName_anchor)->UseRealTime();

void BM_Ml_DetectionSampled_vigil(benchmark::State& state) {
  auto sampler = ml::Sampler::Create(
      {.rates = {{std::string(ml::kSampleDetectionConfidence), 0.1}}, .seed = 1});
  metrics::Registry registry({.prefix = "vision"});
  auto m = ml::InferenceMetrics::Create(registry,
                                        {.model = "owlv2", .sampler = sampler->get()});
  size_t i = 0;
  for (auto _ : state) {
    (*m)->RecordDetection(kClasses[i & 3], 0.5 + 0.1 * static_cast<double>(i & 3));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ml_DetectionSampled_vigil)->UseRealTime();

void BM_Ml_DetectionSampled_anchor(benchmark::State& state) {
  PromDetections p;
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> uniform(0, 1);
  size_t i = 0;
  for (auto _ : state) {
    const char* cls = kClasses[i & 3];
    p.detections.Add({{"model", "owlv2"}, {"class", cls}}).Increment();
    if (uniform(rng) < 0.1) {
      p.confidence.Add({{"model", "owlv2"}, {"class", cls}}, p.bounds)
          .Observe(0.5 + 0.1 * static_cast<double>(i & 3));
    }
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ml_DetectionSampled_anchor)->UseRealTime();

void BM_Ml_FeatureQuality_vigil(benchmark::State& state) {
  metrics::Registry registry({.prefix = "spatial"});
  // The default buffer of 1000 records; the flush thread runs as in use.
  auto logger = ml::FeatureLogger::Create(registry, {.max_history = 10000});
  double q = 0.5;
  for (auto _ : state) {
    (*logger)->LogQuality("margherita", q);
    q = q > 0.95 ? 0.5 : q + 0.01;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ml_FeatureQuality_vigil)->UseRealTime();

void BM_Ml_FeatureQuality_anchor(benchmark::State& state) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& family = prometheus::BuildHistogram()
                     .Name("spatial_feature_quality_score")
                     .Help("x")
                     .Register(*registry);
  const prometheus::Histogram::BucketBoundaries bounds = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6,
                                                          0.7, 0.8, 0.9, 0.95, 1.0};
  struct Record {
    double timestamp;
    std::string input_type;
    double score;
  };
  std::mutex mu;
  std::vector<Record> buffer;
  buffer.reserve(1000);
  double q = 0.5;
  for (auto _ : state) {
    family.Add({{"input_type", "margherita"}}, bounds).Observe(q);
    const double now = std::chrono::duration<double>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    {
      std::lock_guard<std::mutex> lock(mu);
      buffer.push_back({now, "margherita", q});
      if (buffer.size() >= 1000) buffer.clear();  // stands in for the flush
    }
    q = q > 0.95 ? 0.5 : q + 0.01;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ml_FeatureQuality_anchor)->UseRealTime();

}  // namespace
}  // namespace vigil
