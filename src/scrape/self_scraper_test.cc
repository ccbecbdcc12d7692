#include "scrape/self_scraper.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "scrape/test_storage.h"
#include "vigil/metrics/registry.h"

namespace vigil::scrape {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;
using testing::IsStale;
using testing::RecordingStorage;

system_clock::time_point At(int64_t ms) {
  return system_clock::time_point(milliseconds(ms));
}

class SelfScraperTest : public ::testing::Test {
 protected:
  metrics::Registry registry_;
  RecordingStorage storage_;
};

TEST_F(SelfScraperTest, WritesEveryMetricTypeWithJobAndInstance) {
  registry_
      .MustAddCounter({.name = "requests_total",
                       .help = "Requests.",
                       .label_names = {"code"}})
      ->WithLabelValues({"200"})
      .Inc(3);
  registry_.MustAddGauge({.name = "temperature", .help = "T."})
      ->WithLabelValues({})
      .Set(21.5);
  auto* h = registry_.MustAddHistogram(
      {.name = "latency_seconds", .help = "L."}, {0.5, 1});
  h->WithLabelValues({}).Observe(0.25);
  h->WithLabelValues({}).Observe(0.75);
  h->WithLabelValues({}).Observe(3);
  auto* s = registry_.MustAddSummary({.name = "size_bytes", .help = "S."},
                                     {.quantiles = {0.5}});
  s->WithLabelValues({}).Observe(10);

  SelfScraper self(&registry_, &storage_);
  ASSERT_TRUE(self.ScrapeOnce(At(1000)).ok());

  auto counter = storage_.Last("requests_total");
  ASSERT_TRUE(counter.has_value());
  EXPECT_EQ(counter->labels,
            model::Labels::FromPairs({{"__name__", "requests_total"},
                                      {"code", "200"},
                                      {"instance", "self"},
                                      {"job", "vigil"}}));
  EXPECT_EQ(counter->v, 3);
  EXPECT_EQ(counter->t, 1000);
  EXPECT_EQ(storage_.Last("temperature")->v, 21.5);
  EXPECT_EQ(storage_.Last("latency_seconds_bucket", {{"le", "0.5"}})->v, 1);
  EXPECT_EQ(storage_.Last("latency_seconds_bucket", {{"le", "1"}})->v, 2);
  EXPECT_EQ(storage_.Last("latency_seconds_bucket", {{"le", "+Inf"}})->v, 3);
  EXPECT_EQ(storage_.Last("latency_seconds_sum")->v, 4);
  EXPECT_EQ(storage_.Last("latency_seconds_count")->v, 3);
  // Quantiles are estimates (a sketch), not exact.
  EXPECT_NEAR(storage_.Last("size_bytes", {{"quantile", "0.5"}})->v, 10, 1);
  EXPECT_EQ(storage_.Last("size_bytes_sum")->v, 10);
  EXPECT_EQ(storage_.Last("size_bytes_count")->v, 1);
  auto up = storage_.Last("up");
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->v, 1);
  EXPECT_EQ(up->labels.Get("job"), "vigil");
  EXPECT_EQ(storage_.Last("scrape_samples_scraped")->v,
            storage_.Last("scrape_series_added")->v);
  EXPECT_EQ(storage_.commits(), 1);

  // Steady state: refs reused, nothing new.
  ASSERT_TRUE(self.ScrapeOnce(At(2000)).ok());
  EXPECT_NE(storage_.Last("requests_total")->ref_in, 0u);
  EXPECT_EQ(storage_.Last("scrape_series_added")->v, 0);
}

TEST_F(SelfScraperTest, VanishedSeriesGetStaleMarkers) {
  auto* f = registry_.MustAddGauge(
      {.name = "queue_depth", .help = "Q.", .label_names = {"queue"}});
  f->WithLabelValues({"a"}).Set(1);
  f->WithLabelValues({"b"}).Set(2);
  SelfScraper self(&registry_, &storage_, {.job = "j", .instance = "i"});
  ASSERT_TRUE(self.ScrapeOnce(At(1000)).ok());
  ASSERT_TRUE(f->Remove({"b"}));
  ASSERT_TRUE(self.ScrapeOnce(At(2000)).ok());
  auto b = storage_.Last("queue_depth", {{"queue", "b"}});
  ASSERT_TRUE(b.has_value());
  EXPECT_TRUE(IsStale(b->v));
  EXPECT_EQ(b->t, 2000);
  EXPECT_EQ(b->labels.Get("job"), "j");
  EXPECT_EQ(storage_.Last("queue_depth", {{"queue", "a"}})->v, 1);

  ASSERT_TRUE(self.WriteStaleMarkers(At(3000)).ok());
  EXPECT_TRUE(IsStale(storage_.Last("queue_depth", {{"queue", "a"}})->v));
  EXPECT_TRUE(IsStale(storage_.Last("up")->v));
}

TEST_F(SelfScraperTest, CollectedRefsAreResolvedFromTheSeriesKey) {
  auto* f = registry_.MustAddGauge(
      {.name = "queue_depth", .help = "Q.", .label_names = {"queue"}});
  // A value with control and multi-byte characters round-trips the key.
  const std::string odd = std::string("a\x01\xc3\xa9") + "b";
  f->WithLabelValues({odd}).Set(1);
  f->WithLabelValues({"b"}).Set(2);
  SelfScraper self(&registry_, &storage_, {.job = "j", .instance = "i"});
  ASSERT_TRUE(self.ScrapeOnce(At(1000)).ok());
  const model::Labels first =
      storage_.Last("queue_depth", {{"queue", odd}})->labels;
  storage_.CollectAllSeries();
  ASSERT_TRUE(f->Remove({"b"}));
  f->WithLabelValues({odd}).Set(5);
  ASSERT_TRUE(self.ScrapeOnce(At(2000)).ok());
  auto a = storage_.Last("queue_depth", {{"queue", odd}});
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->v, 5);
  EXPECT_EQ(a->labels, first);
  auto b = storage_.Last("queue_depth", {{"queue", "b"}});
  ASSERT_TRUE(b.has_value());
  EXPECT_TRUE(IsStale(b->v));
  EXPECT_EQ(b->labels.Get("instance"), "i");
}

TEST_F(SelfScraperTest, ConflictingLabelsAreExported) {
  registry_
      .MustAddCounter(
          {.name = "jobs_total", .help = "J.", .label_names = {"job"}})
      ->WithLabelValues({"backup"})
      .Inc();
  SelfScraper self(&registry_, &storage_);
  ASSERT_TRUE(self.ScrapeOnce(At(1000)).ok());
  auto s = storage_.Last("jobs_total");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->labels.Get("job"), "vigil");
  EXPECT_EQ(s->labels.Get("exported_job"), "backup");
}

TEST_F(SelfScraperTest, StartCollectsInTheBackground) {
  registry_.MustAddGauge({.name = "g", .help = "G."})
      ->WithLabelValues({})
      .Set(1);
  SelfScraper self(&registry_, &storage_, {.interval = milliseconds(10)});
  self.Start();
  self.Start();  // idempotent
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (storage_.commits() < 2 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  self.Stop();
  self.Stop();
  EXPECT_GE(storage_.commits(), 2);
  EXPECT_EQ(storage_.Last("g")->v, 1);
  EXPECT_TRUE(self.last_error().ok());
}

}  // namespace
}  // namespace vigil::scrape
