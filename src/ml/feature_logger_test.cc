#include "vigil/ml/feature_logger.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/test_util.h"
#include "metrics/test_util.h"

namespace vigil::ml {
namespace {

using nlohmann::json;

// A counter or gauge's value, or a histogram's count; -1 when absent.
double Value(const metrics::Registry& r, const std::string& family,
             const std::vector<std::pair<std::string, std::string>>& want = {}) {
  const auto snap = r.Snapshot();
  const metrics::FamilySnapshot* f = metrics::testing::FindFamily(snap, family);
  const metrics::MetricSnapshot* m = metrics::testing::FindSeries(snap, family, want);
  if (f == nullptr || m == nullptr) return -1;
  return f->type == metrics::MetricType::kHistogram ? static_cast<double>(m->count) : m->value;
}

using vigil::testing::TempDir;

struct FakeClock {
  std::atomic<double> now{1.7e9};
};

FeatureLoggerOptions Manual(FakeClock* clock) {
  FeatureLoggerOptions o;
  o.background_flush = false;
  o.wall_seconds = [clock] { return clock->now.load(); };
  return o;
}

TEST(FeatureLoggerTest, ExtractionScopeRecordsMetricsAndRecords) {
  metrics::Registry registry;
  FakeClock clock;
  auto created = FeatureLogger::Create(registry, Manual(&clock));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  FeatureLogger& logger = **created;
  {
    ExtractionScope s = logger.Extraction("margherita", 64);
    s.SetQuality(0.9);
  }
  {
    ExtractionScope s = logger.Extraction("margherita", 0);
    s.Fail("decode_error");
  }
  logger.LogExtraction("pepperoni", 10, 0.25, true);
  logger.LogQuality("pepperoni", 0.5);
  logger.LogError("pepperoni", "");

  EXPECT_EQ(Value(registry, "feature_extractions_total",
                  {{"input_type", "margherita"}, {"status", "success"}}),
            1);
  EXPECT_EQ(Value(registry, "feature_extractions_total",
                  {{"input_type", "margherita"}, {"status", "error"}}),
            1);
  EXPECT_EQ(Value(registry, "features_extracted_total", {{"input_type", "margherita"}}), 64);
  EXPECT_EQ(Value(registry, "feature_extraction_duration_seconds", {{"input_type", "margherita"}}),
            2);
  EXPECT_EQ(Value(registry, "feature_quality_score", {{"input_type", "margherita"}}), 1);
  EXPECT_EQ(Value(registry, "feature_extraction_errors_total",
                  {{"input_type", "margherita"}, {"error_type", "decode_error"}}),
            1);
  EXPECT_EQ(Value(registry, "feature_extraction_errors_total",
                  {{"input_type", "pepperoni"}, {"error_type", "unknown"}}),
            1);

  const std::vector<FeatureRecord> records = logger.Records();
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records[0].kind, FeatureRecord::Kind::kQuality);  // set inside the scope
  EXPECT_EQ(records[1].kind, FeatureRecord::Kind::kExtraction);
  EXPECT_TRUE(records[1].success);
  EXPECT_EQ(records[2].name, "decode_error");
  EXPECT_FALSE(records[2].success);

  const FeatureSummary summary = logger.GetSummary();
  const FeatureTypeSummary& p = summary.by_input_type.at("pepperoni");
  EXPECT_EQ(p.extractions, 1u);
  EXPECT_EQ(p.errors, 1u);
  EXPECT_DOUBLE_EQ(p.mean_duration_s, 0.25);
  EXPECT_DOUBLE_EQ(p.mean_quality, 0.5);
  EXPECT_EQ(p.features, 10u);
  const FeatureTypeSummary& m = summary.by_input_type.at("margherita");
  EXPECT_EQ(m.extractions, 2u);
  EXPECT_EQ(m.errors, 1u);
  EXPECT_DOUBLE_EQ(m.mean_quality, 0.9);
}

TEST(FeatureLoggerTest, CustomMetrics) {
  metrics::Registry registry({.prefix = "pizza"});
  FakeClock clock;
  auto created = FeatureLogger::Create(registry, Manual(&clock));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  FeatureLogger& logger = **created;
  ASSERT_TRUE(logger.LogCustomMetric("custom_feature_count", 12, {{"pizza_type", "pepperoni"}})
                  .ok());
  ASSERT_TRUE(logger.LogCustomMetric("custom_feature_count", 7, {{"pizza_type", "hawaii"}}).ok());
  EXPECT_EQ(Value(registry, "pizza_custom_feature_count", {{"pizza_type", "pepperoni"}}), 12);
  EXPECT_EQ(Value(registry, "pizza_custom_feature_count", {{"pizza_type", "hawaii"}}), 7);

  Status other = logger.LogCustomMetric("custom_feature_count", 1, {{"size", "l"}});
  EXPECT_EQ(other.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(other.message().find("pizza_type"), std::string_view::npos) << other.ToString();
  EXPECT_FALSE(logger.LogCustomMetric("bad name", 1).ok());
  EXPECT_FALSE(logger.LogCustomMetric("ok_name", 1, {{"bad-label", "x"}}).ok());
  // A name already used by another family of a different type.
  EXPECT_FALSE(logger.LogCustomMetric("feature_extractions_total", 1).ok());

  const auto records = logger.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].kind, FeatureRecord::Kind::kCustom);
  EXPECT_EQ(records[1].labels[0].second, "hawaii");
}

TEST(FeatureLoggerTest, RetentionWindowAndHistoryBound) {
  metrics::Registry registry;
  FakeClock clock;
  FeatureLoggerOptions o = Manual(&clock);
  o.retention = std::chrono::seconds(3600);
  o.max_history = 5;
  auto created = FeatureLogger::Create(registry, o);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  FeatureLogger& logger = **created;
  logger.LogQuality("a", 0.1);        // t0
  clock.now = clock.now + 1800;
  logger.LogQuality("a", 0.2);        // t0 + 30 min
  clock.now = clock.now + 1900;       // t0 + 61:40: the first is out of the window
  auto records = logger.Records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_DOUBLE_EQ(records[0].value, 0.2);

  for (int i = 0; i < 8; ++i) logger.LogQuality("b", i / 10.0);
  records = logger.Records();
  ASSERT_EQ(records.size(), 5u);
  EXPECT_DOUBLE_EQ(records.back().value, 0.7);
  EXPECT_EQ(Value(registry, "feature_logger_records_evicted_total"), 4);
  EXPECT_EQ(logger.GetSummary().evicted, 4u);
}

TEST(FeatureLoggerTest, ExportJsonShape) {
  metrics::Registry registry;
  FakeClock clock;
  auto created = FeatureLogger::Create(registry, Manual(&clock));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  FeatureLogger& logger = **created;
  logger.LogExtraction("a", 3, 0.5, false, "oom");
  logger.LogQuality("a", 0.75);
  ASSERT_TRUE(logger.LogCustomMetric("depth", 2.5, {{"k", "v"}}).ok());
  const json j = json::parse(logger.ExportJson());
  EXPECT_DOUBLE_EQ(j["exported_at"].get<double>(), 1.7e9);
  EXPECT_EQ(j["retention_seconds"], 86400);
  ASSERT_EQ(j["records"].size(), 3u);
  EXPECT_EQ(j["records"][0]["kind"], "extraction");
  EXPECT_EQ(j["records"][0]["status"], "error");
  EXPECT_EQ(j["records"][0]["error_type"], "oom");
  EXPECT_EQ(j["records"][0]["feature_count"], 3);
  EXPECT_EQ(j["records"][1]["score"], 0.75);
  EXPECT_EQ(j["records"][2]["labels"]["k"], "v");
  EXPECT_EQ(j["summary"]["by_input_type"]["a"]["errors"], 1);
  EXPECT_EQ(j["summary"]["by_input_type"]["a"]["mean_quality"], 0.75);

  TempDir dir;
  const std::string path = dir.path() + "/export.json";
  ASSERT_TRUE(logger.ExportJsonFile(path).ok());
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(json::parse(ss.str())["records"].size(), 3u);
  EXPECT_FALSE(logger.ExportJsonFile(dir.path() + "/missing/x.json").ok());
}

TEST(FeatureLoggerTest, BackgroundFlushWritesJsonLines) {
  metrics::Registry registry;
  TempDir dir;
  FeatureLoggerOptions o;
  o.flush_interval = std::chrono::milliseconds(5);
  o.jsonl_path = dir.path() + "/features.jsonl";
  {
    auto created = FeatureLogger::Create(registry, o);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  FeatureLogger& logger = **created;
    logger.LogQuality("a", 0.5);
    // The flush thread writes it without any call from here.
    for (int i = 0; i < 2000; ++i) {
      std::ifstream in(o.jsonl_path);
      std::string line;
      if (std::getline(in, line)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::ifstream in(o.jsonl_path);
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    EXPECT_EQ(json::parse(line)["score"], 0.5);
    logger.LogQuality("a", 0.6);
  }  // the destructor flushes the rest
  std::ifstream in(o.jsonl_path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    EXPECT_TRUE(json::accept(line)) << line;
    ++lines;
  }
  EXPECT_EQ(lines, 2);
}

TEST(FeatureLoggerTest, FullBufferIsMovedByTheCallerAndNothingIsLost) {
  metrics::Registry registry;
  FakeClock clock;
  FeatureLoggerOptions o = Manual(&clock);
  o.buffer_size = 16;
  auto created = FeatureLogger::Create(registry, o);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  FeatureLogger& logger = **created;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&logger, t] {
      for (int i = 0; i < 1000; ++i) logger.LogQuality("t" + std::to_string(t), 0.5);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(logger.Records().size(), 4000u);
  EXPECT_EQ(logger.GetSummary().by_input_type.at("t3").mean_quality, 0.5);
}

TEST(FeatureLoggerTest, CreateErrors) {
  metrics::Registry registry;
  registry.MustAddGauge({.name = "feature_quality_score", .help = "Clash."});
  Result<std::unique_ptr<FeatureLogger>> clash = FeatureLogger::Create(registry);
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.status().message().find("feature_quality_score"), std::string_view::npos)
      << clash.status().ToString();
  metrics::Registry other;
  EXPECT_FALSE(FeatureLogger::Create(other, {.duration_buckets = {2, 1}}).ok());
}

TEST(FeatureLoggerTest, UnwritableJsonLinesAreReported) {
  metrics::Registry registry;
  FakeClock clock;
  FeatureLoggerOptions o = Manual(&clock);
  o.jsonl_path = "/nonexistent-dir/features.jsonl";
  auto created = FeatureLogger::Create(registry, o);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  FeatureLogger& logger = **created;
  logger.LogQuality("a", 0.5);
  Status s = logger.Flush();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("/nonexistent-dir/features.jsonl"), std::string_view::npos);
  // The record is still kept for export.
  EXPECT_EQ(logger.Records().size(), 1u);
}

}  // namespace
}  // namespace vigil::ml
