#include "vigil/ml/feature_logger.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/status_macros.h"

namespace vigil::ml {

namespace {

double SystemSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

FeatureLoggerOptions WithDefaults(FeatureLoggerOptions o) {
  if (!o.wall_seconds) o.wall_seconds = SystemSeconds;
  if (o.buffer_size == 0) o.buffer_size = 1;
  if (o.max_history == 0) o.max_history = 1;
  return o;
}

const char* KindName(FeatureRecord::Kind kind) {
  switch (kind) {
    case FeatureRecord::Kind::kExtraction:
      return "extraction";
    case FeatureRecord::Kind::kQuality:
      return "quality";
    case FeatureRecord::Kind::kError:
      return "error";
    case FeatureRecord::Kind::kCustom:
      return "custom";
  }
  return "unknown";
}

nlohmann::json RecordJson(const FeatureRecord& r) {
  nlohmann::json j;
  j["timestamp"] = r.timestamp_s;
  j["kind"] = KindName(r.kind);
  switch (r.kind) {
    case FeatureRecord::Kind::kExtraction:
      j["input_type"] = r.input_type;
      j["duration_seconds"] = r.value;
      j["feature_count"] = r.feature_count;
      j["status"] = r.success ? "success" : "error";
      if (!r.success) j["error_type"] = r.name;
      break;
    case FeatureRecord::Kind::kQuality:
      j["input_type"] = r.input_type;
      j["score"] = r.value;
      break;
    case FeatureRecord::Kind::kError:
      j["input_type"] = r.input_type;
      j["error_type"] = r.name;
      break;
    case FeatureRecord::Kind::kCustom: {
      j["name"] = r.name;
      j["value"] = r.value;
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& [k, v] : r.labels) labels[k] = v;
      j["labels"] = std::move(labels);
      break;
    }
  }
  return j;
}

}  // namespace

// --- ExtractionScope ------------------------------------------------------------

ExtractionScope::ExtractionScope(FeatureLogger* logger, std::string_view input_type,
                                 uint64_t feature_count)
    : logger_(logger),
      input_type_(input_type),
      feature_count_(feature_count),
      start_(std::chrono::steady_clock::now()) {}

ExtractionScope::ExtractionScope(ExtractionScope&& other) noexcept
    : logger_(other.logger_),
      input_type_(std::move(other.input_type_)),
      feature_count_(other.feature_count_),
      start_(other.start_),
      error_(std::move(other.error_)) {
  other.logger_ = nullptr;
}

ExtractionScope::~ExtractionScope() {
  if (logger_ == nullptr) return;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  logger_->LogExtraction(input_type_, feature_count_, seconds, error_.empty(), error_);
}

void ExtractionScope::SetQuality(double score) {
  if (logger_ != nullptr) logger_->LogQuality(input_type_, score);
}

void ExtractionScope::Fail(std::string_view error_type) {
  error_ = error_type.empty() ? "unknown" : std::string(error_type);
}

// --- FeatureLogger ------------------------------------------------------------

FeatureLogger::FeatureLogger(metrics::Registry& registry, FeatureLoggerOptions options)
    : options_(WithDefaults(std::move(options))), registry_(registry) {}

Result<std::unique_ptr<FeatureLogger>> FeatureLogger::Create(metrics::Registry& registry,
                                                             FeatureLoggerOptions options) {
  std::unique_ptr<FeatureLogger> f(new FeatureLogger(registry, std::move(options)));
  VIGIL_RETURN_IF_ERROR(f->Init().WithPrefix("FeatureLogger"));
  if (f->options_.background_flush) f->thread_ = std::thread([p = f.get()] { p->Run(); });
  return f;
}

Status FeatureLogger::Init() {
  metrics::Registry& r = registry_;
  VIGIL_ASSIGN_OR_RETURN(duration_,
                         r.AddHistogram({.name = "feature_extraction_duration_seconds",
                                         .help = "Time to extract features.",
                                         .label_names = {"input_type"}},
                                        options_.duration_buckets));
  VIGIL_ASSIGN_OR_RETURN(extractions_,
                         r.AddCounter({.name = "feature_extractions_total",
                                       .help = "Feature extractions, by outcome.",
                                       .label_names = {"input_type", "status"}}));
  VIGIL_ASSIGN_OR_RETURN(features_, r.AddCounter({.name = "features_extracted_total",
                                                  .help = "Features produced by extractions.",
                                                  .label_names = {"input_type"}}));
  VIGIL_ASSIGN_OR_RETURN(
      quality_, r.AddHistogram({.name = "feature_quality_score",
                                .help = "Quality scores of extracted features (0 to 1).",
                                .label_names = {"input_type"}},
                               {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0}));
  VIGIL_ASSIGN_OR_RETURN(errors_, r.AddCounter({.name = "feature_extraction_errors_total",
                                                .help = "Feature extraction errors, by type.",
                                                .label_names = {"input_type", "error_type"}}));
  VIGIL_ASSIGN_OR_RETURN(
      auto* evicted,
      r.AddCounter({.name = "feature_logger_records_evicted_total",
                    .help = "Records dropped from the export history because it held "
                            "max_history records."}));
  evicted_ = evicted->WithLabelValues({});
  VIGIL_ASSIGN_OR_RETURN(
      auto* write_errors,
      r.AddCounter({.name = "feature_logger_write_errors_total",
                    .help = "Flushes whose JSON lines could not be written."}));
  write_errors_ = write_errors->WithLabelValues({});
  buffer_.reserve(options_.buffer_size);
  return Status::OK();
}

FeatureLogger::~FeatureLogger() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(run_mu_);
      stop_ = true;
    }
    run_cv_.notify_all();
    thread_.join();
  }
  if (!Flush().ok()) write_errors_.Inc();
  std::lock_guard<std::mutex> lock(flush_mu_);
  if (jsonl_ != nullptr) std::fclose(jsonl_);
}

void FeatureLogger::Run() {
  std::unique_lock<std::mutex> lock(run_mu_);
  while (!stop_) {
    run_cv_.wait_for(lock, options_.flush_interval, [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    if (!Flush().ok()) write_errors_.Inc();
    lock.lock();
  }
}

ExtractionScope FeatureLogger::Extraction(std::string_view input_type, uint64_t feature_count) {
  return ExtractionScope(this, input_type, feature_count);
}

void FeatureLogger::LogExtraction(std::string_view input_type, uint64_t feature_count,
                                  double seconds, bool success, std::string_view error_type) {
  const std::string_view error = success ? "" : (error_type.empty() ? "unknown" : error_type);
  duration_->WithLabelValues({input_type}).Observe(seconds);
  extractions_->WithLabelValues({input_type, success ? "success" : "error"}).Inc();
  if (feature_count > 0) {
    features_->WithLabelValues({input_type}).Inc(static_cast<double>(feature_count));
  }
  if (!success) errors_->WithLabelValues({input_type, error}).Inc();
  FeatureRecord r;
  r.kind = FeatureRecord::Kind::kExtraction;
  r.timestamp_s = Now();
  r.input_type = input_type;
  r.value = seconds;
  r.feature_count = feature_count;
  r.success = success;
  r.name = error;
  Append(std::move(r));
}

void FeatureLogger::LogQuality(std::string_view input_type, double score) {
  quality_->WithLabelValues({input_type}).Observe(score);
  FeatureRecord r;
  r.kind = FeatureRecord::Kind::kQuality;
  r.timestamp_s = Now();
  r.input_type = input_type;
  r.value = score;
  Append(std::move(r));
}

void FeatureLogger::LogError(std::string_view input_type, std::string_view error_type) {
  const std::string_view error = error_type.empty() ? "unknown" : error_type;
  errors_->WithLabelValues({input_type, error}).Inc();
  FeatureRecord r;
  r.kind = FeatureRecord::Kind::kError;
  r.timestamp_s = Now();
  r.input_type = input_type;
  r.name = error;
  Append(std::move(r));
}

Status FeatureLogger::LogCustomMetric(std::string_view name, double value,
                                      std::span<const metrics::LabelPair> labels) {
  std::vector<std::string> names;
  names.reserve(labels.size());
  for (const auto& l : labels) names.emplace_back(l.name);
  std::sort(names.begin(), names.end());
  metrics::Family<metrics::Gauge>* family = nullptr;
  {
    std::lock_guard<std::mutex> lock(custom_mu_);
    auto it = custom_.find(name);
    if (it == custom_.end()) {
      Result<metrics::Family<metrics::Gauge>*> f = registry_.AddGauge(
          {.name = std::string(name), .help = "Custom feature metric.", .label_names = names});
      if (!f.ok()) return f.status().WithPrefix("custom metric \"" + std::string(name) + "\"");
      it = custom_.emplace(std::string(name), std::make_pair(*f, names)).first;
    } else if (it->second.second != names) {
      std::string want;
      for (const auto& n : it->second.second) want += (want.empty() ? "" : ",") + n;
      return InvalidArgumentError("custom metric \"" + std::string(name) +
                                  "\": label names differ from its first use (" + want + ")");
    }
    family = it->second.first;
  }
  Result<metrics::Gauge> g = family->Get(labels);
  if (!g.ok()) return g.status().WithPrefix("custom metric \"" + std::string(name) + "\"");
  g->Set(value);
  FeatureRecord r;
  r.kind = FeatureRecord::Kind::kCustom;
  r.timestamp_s = Now();
  r.name = name;
  r.value = value;
  for (const auto& l : labels) r.labels.emplace_back(l.name, l.value);
  Append(std::move(r));
  return Status::OK();
}

void FeatureLogger::Append(FeatureRecord record) {
  bool full;
  {
    std::lock_guard<std::mutex> lock(buffer_mu_);
    buffer_.push_back(std::move(record));
    full = buffer_.size() >= options_.buffer_size;
  }
  if (full && !Flush().ok()) write_errors_.Inc();
}

Status FeatureLogger::Flush() {
  std::lock_guard<std::mutex> lock(flush_mu_);
  std::vector<FeatureRecord> batch;
  batch.reserve(options_.buffer_size);
  {
    std::lock_guard<std::mutex> buffer_lock(buffer_mu_);
    batch.swap(buffer_);
  }
  return FlushLocked(&batch);
}

Status FeatureLogger::FlushLocked(std::vector<FeatureRecord>* batch) {
  Status status;
  if (!options_.jsonl_path.empty() && !batch->empty()) {
    if (jsonl_ == nullptr) jsonl_ = std::fopen(options_.jsonl_path.c_str(), "ae");
    if (jsonl_ == nullptr) {
      status = UnavailableError("feature log " + options_.jsonl_path + ": " +
                                std::strerror(errno));
    } else {
      std::string lines;
      for (const FeatureRecord& r : *batch) {
        lines += RecordJson(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        lines += '\n';
      }
      if (std::fwrite(lines.data(), 1, lines.size(), jsonl_) != lines.size() ||
          std::fflush(jsonl_) != 0) {
        status = UnavailableError("feature log " + options_.jsonl_path + ": " +
                                  std::strerror(errno));
        std::clearerr(jsonl_);
      }
    }
  }
  for (FeatureRecord& r : *batch) history_.push_back(std::move(r));
  batch->clear();
  Trim(Now());
  return status;
}

void FeatureLogger::Trim(double now) {
  const double cutoff = now - static_cast<double>(options_.retention.count());
  while (!history_.empty() && history_.front().timestamp_s < cutoff) history_.pop_front();
  while (history_.size() > options_.max_history) {
    history_.pop_front();
    evicted_.Inc();
  }
}

std::vector<FeatureRecord> FeatureLogger::Records() {
  if (!Flush().ok()) write_errors_.Inc();
  std::lock_guard<std::mutex> lock(flush_mu_);
  Trim(Now());
  return {history_.begin(), history_.end()};
}

FeatureSummary FeatureLogger::GetSummary() {
  if (!Flush().ok()) write_errors_.Inc();
  std::lock_guard<std::mutex> lock(flush_mu_);
  Trim(Now());
  return SummaryLocked();
}

FeatureSummary FeatureLogger::SummaryLocked() const {
  FeatureSummary out;
  out.records = history_.size();
  out.evicted = static_cast<uint64_t>(evicted_.Value());
  std::map<std::string, uint64_t> quality_n;
  for (const FeatureRecord& r : history_) {
    if (r.kind == FeatureRecord::Kind::kCustom) continue;
    FeatureTypeSummary& s = out.by_input_type[r.input_type];
    switch (r.kind) {
      case FeatureRecord::Kind::kExtraction:
        ++s.extractions;
        s.mean_duration_s += r.value;
        s.features += r.feature_count;
        if (!r.success) ++s.errors;
        break;
      case FeatureRecord::Kind::kQuality:
        ++quality_n[r.input_type];
        s.mean_quality += r.value;
        break;
      case FeatureRecord::Kind::kError:
        ++s.errors;
        break;
      case FeatureRecord::Kind::kCustom:
        break;
    }
  }
  for (auto& [type, s] : out.by_input_type) {
    if (s.extractions > 0) s.mean_duration_s /= static_cast<double>(s.extractions);
    const uint64_t n = quality_n[type];
    s.mean_quality = n > 0 ? s.mean_quality / static_cast<double>(n)
                           : std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

std::string FeatureLogger::ExportJson() {
  if (!Flush().ok()) write_errors_.Inc();
  // Summary and records from one hold of the lock: they always agree.
  std::lock_guard<std::mutex> lock(flush_mu_);
  Trim(Now());
  const FeatureSummary summary = SummaryLocked();
  nlohmann::json j;
  j["exported_at"] = Now();
  j["retention_seconds"] = options_.retention.count();
  nlohmann::json by_type = nlohmann::json::object();
  for (const auto& [type, s] : summary.by_input_type) {
    by_type[type] = {{"extractions", s.extractions},
                     {"errors", s.errors},
                     {"features", s.features},
                     {"mean_duration_seconds", s.mean_duration_s},
                     {"mean_quality", std::isnan(s.mean_quality) ? nlohmann::json(nullptr)
                                                                 : nlohmann::json(s.mean_quality)}};
  }
  j["summary"] = {{"records", summary.records},
                  {"evicted", summary.evicted},
                  {"by_input_type", std::move(by_type)}};
  nlohmann::json records = nlohmann::json::array();
  for (const FeatureRecord& r : history_) records.push_back(RecordJson(r));
  j["records"] = std::move(records);
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status FeatureLogger::ExportJsonFile(const std::string& path) {
  return WriteFileAtomic(path, ExportJson());
}

}  // namespace vigil::ml
