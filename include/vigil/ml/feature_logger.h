// FeatureLogger: feature-extraction monitoring (seed 000's
// SpatialFeatureLogger): timed extraction scopes by input type, quality
// scores, errors and custom metrics, exported as metrics at once and kept as
// records for a JSON export with a retention window (default 24 h).
//
//   auto created = vigil::ml::FeatureLogger::Create(registry, {.jsonl_path = "features.jsonl"});
//   if (!created.ok()) { /* a family clash in the registry */ }
//   vigil::ml::FeatureLogger& features = **created;
//   {
//     auto scope = features.Extraction("margherita", 512 * 512);
//     Features f = Extract(image);
//     scope.SetQuality(f.quality);          // or scope.Fail("decode_error")
//   }                                       // duration and outcome recorded here
//   features.LogCustomMetric("custom_feature_count", n, {{"input_type", "pepperoni"}});
//   std::string json = features.ExportJson();
//
// Families (registry prefix in front; seed names were spatial_feature_*):
//   feature_extraction_duration_seconds{input_type}       histogram
//   feature_extractions_total{input_type,status}          counter (success|error)
//   features_extracted_total{input_type}                  counter (feature_count sums)
//   feature_quality_score{input_type}                     histogram, 0..1
//   feature_extraction_errors_total{input_type,error_type} counter
//   <name>{labels...}                                     gauge per custom metric
//   feature_logger_records_evicted_total                  counter (history bound)
//   feature_logger_write_errors_total                     counter (jsonl_path)
//
// Records: each call appends one record to a bounded buffer (buffer_size)
// under a short lock. A background thread moves the buffer into the
// retained history every flush_interval (and appends each record as one
// JSON line to jsonl_path when set); a caller that finds the buffer full
// moves it itself, so nothing is dropped and memory stays bounded. The
// history keeps records younger than `retention`, at most max_history of
// them (the oldest go first, counted in feature_logger_records_evicted_total).
// Records still buffered when the process is killed are lost; the
// destructor flushes.
//
// Thread safety: thread-safe. An ExtractionScope belongs to one thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "vigil/metrics/registry.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::ml {

struct FeatureLoggerOptions {
  size_t buffer_size = 1000;
  std::chrono::milliseconds flush_interval{1000};
  std::chrono::seconds retention{24 * 3600};
  size_t max_history = 100000;
  // Extraction durations: 1 ms to about 16 s.
  std::vector<double> duration_buckets = {0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064,
                                          0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384};
  // When set, every flushed record is appended to this file as a JSON line.
  std::string jsonl_path;
  // False: no background thread; records move on Flush(), on a full buffer
  // and on export (tests, or callers with their own loop).
  bool background_flush = true;
  // Seconds since the epoch; default system_clock (tests inject).
  std::function<double()> wall_seconds;
};

struct FeatureRecord {
  enum class Kind { kExtraction, kQuality, kError, kCustom };
  Kind kind = Kind::kExtraction;
  double timestamp_s = 0;
  std::string input_type;   // empty for custom metrics
  double value = 0;         // duration (s), quality score or custom value
  uint64_t feature_count = 0;
  bool success = true;      // extraction outcome
  std::string name;         // error type (kError, failed extraction) or custom metric name
  std::vector<std::pair<std::string, std::string>> labels;  // custom metrics
};

// Per input type, over the retained history.
struct FeatureTypeSummary {
  uint64_t extractions = 0;
  uint64_t errors = 0;            // failed extractions and LogError calls
  double mean_duration_s = 0;     // over extractions
  double mean_quality = 0;        // over quality scores; NaN when none
  uint64_t features = 0;
};

struct FeatureSummary {
  std::map<std::string, FeatureTypeSummary> by_input_type;
  uint64_t records = 0;           // retained
  uint64_t evicted = 0;           // dropped by max_history since start
};

class FeatureLogger;

// Times one extraction (RAII); records success unless Fail() was called.
class ExtractionScope {
 public:
  ExtractionScope(ExtractionScope&& other) noexcept;
  ExtractionScope& operator=(ExtractionScope&&) = delete;
  ExtractionScope(const ExtractionScope&) = delete;
  ~ExtractionScope();

  // Also logs the score as a quality record.
  void SetQuality(double score);
  void Fail(std::string_view error_type);

 private:
  friend class FeatureLogger;
  ExtractionScope(FeatureLogger* logger, std::string_view input_type, uint64_t feature_count);
  FeatureLogger* logger_;
  std::string input_type_;
  uint64_t feature_count_;
  std::chrono::steady_clock::time_point start_;
  std::string error_;  // empty: success
};

class FeatureLogger {
 public:
  // Adds the families to `registry`, which must outlive the logger, and
  // starts the flush thread when enabled. Errors: a family already
  // registered differently, or bad buckets.
  static Result<std::unique_ptr<FeatureLogger>> Create(metrics::Registry& registry,
                                                       FeatureLoggerOptions options = {});
  ~FeatureLogger();
  FeatureLogger(const FeatureLogger&) = delete;
  FeatureLogger& operator=(const FeatureLogger&) = delete;

  ExtractionScope Extraction(std::string_view input_type, uint64_t feature_count);
  // An extraction timed by the caller.
  void LogExtraction(std::string_view input_type, uint64_t feature_count, double seconds,
                     bool success, std::string_view error_type = {});
  void LogQuality(std::string_view input_type, double score);
  void LogError(std::string_view input_type, std::string_view error_type);
  // Sets gauge `name` (created on first use with these label names, in any
  // order) and records it. Errors: an invalid metric or label name, or label
  // names that differ from the first call's.
  Status LogCustomMetric(std::string_view name, double value,
                         std::span<const metrics::LabelPair> labels = {});
  Status LogCustomMetric(std::string_view name, double value,
                         std::initializer_list<metrics::LabelPair> labels) {
    return LogCustomMetric(name, value, std::span(labels.begin(), labels.size()));
  }

  // Moves buffered records into the history now (and to jsonl_path). An
  // error means the JSON lines could not be written (the history still has
  // the records); the flush thread counts such errors in
  // feature_logger_write_errors_total.
  Status Flush();
  // {"exported_at", "retention_seconds", "summary": {...}, "records": [...]}
  // over the retained history, after a flush. docs/ml.md shows the shape.
  std::string ExportJson();
  // ExportJson() written to `path` atomically (temporary file + rename).
  Status ExportJsonFile(const std::string& path);
  FeatureSummary GetSummary();
  // The retained records, oldest first, after a flush.
  std::vector<FeatureRecord> Records();

 private:
  friend class ExtractionScope;
  FeatureLogger(metrics::Registry& registry, FeatureLoggerOptions options);
  Status Init();
  void Append(FeatureRecord record);
  Status FlushLocked(std::vector<FeatureRecord>* batch);  // with flush_mu_ held
  void Trim(double now);                                // with flush_mu_ held
  FeatureSummary SummaryLocked() const;                 // with flush_mu_ held
  void Run();
  double Now() const { return options_.wall_seconds(); }

  const FeatureLoggerOptions options_;
  metrics::Registry& registry_;
  metrics::Family<metrics::Histogram>* duration_ = nullptr;
  metrics::Family<metrics::Counter>* extractions_ = nullptr;
  metrics::Family<metrics::Counter>* features_ = nullptr;
  metrics::Family<metrics::Histogram>* quality_ = nullptr;
  metrics::Family<metrics::Counter>* errors_ = nullptr;
  metrics::Counter evicted_;
  metrics::Counter write_errors_;

  std::mutex buffer_mu_;
  std::vector<FeatureRecord> buffer_;  // guarded by buffer_mu_

  // Taken before buffer_mu_ when both are needed.
  std::mutex flush_mu_;
  std::deque<FeatureRecord> history_;  // guarded by flush_mu_
  std::FILE* jsonl_ = nullptr;         // guarded by flush_mu_
  bool jsonl_failed_ = false;          // guarded by flush_mu_

  std::mutex custom_mu_;
  // name -> (family, sorted label names); guarded by custom_mu_.
  std::map<std::string, std::pair<metrics::Family<metrics::Gauge>*, std::vector<std::string>>,
           std::less<>>
      custom_;

  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool stop_ = false;  // guarded by run_mu_
  std::thread thread_;
};

}  // namespace vigil::ml
