#include "vigil/metrics/family.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "metrics/test_util.h"
#include "vigil/metrics/registry.h"

namespace vigil::metrics {
namespace {

using testing::SeriesValue;

struct Reports {
  std::vector<std::string> messages;
};

Registry MakeRegistry(Reports* reports) {
  return Registry(RegistryOptions{
      .error_reporter = [reports](std::string_view m) { reports->messages.emplace_back(m); }});
}

TEST(FamilyTest, PositionalAndNamedLookupsFindTheSameSeries) {
  Registry r;
  auto* f = r.MustAddCounter({.name = "d_total", .help = "D.", .label_names = {"model", "class"}});
  f->WithLabelValues({"owlv2", "person"}).Inc();
  f->With({{"class", "person"}, {"model", "owlv2"}}).Inc();
  f->With({{"model", "owlv2"}, {"class", "person"}}).Inc();
  EXPECT_EQ(f->size(), 1u);
  EXPECT_EQ(SeriesValue(r, "d_total", {{"model", "owlv2"}, {"class", "person"}}), 3);
}

TEST(FamilyTest, WrongLabelsAreCountedReportedOnceAndDropped) {
  Reports reports;
  Registry r = MakeRegistry(&reports);
  auto* f = r.MustAddCounter({.name = "d_total", .help = "D.", .label_names = {"model"}});
  f->WithLabelValues({"a", "b"}).Inc();
  f->With({{"nope", "x"}}).Inc();
  f->With({{"model", "x"}, {"model", "y"}}).Inc();
  EXPECT_EQ(f->size(), 0u);
  EXPECT_EQ(SeriesValue(r, "vigil_metrics_rejected_updates_total",
                        {{"family", "d_total"}, {"reason", "bad_labels"}}),
            3);
  EXPECT_EQ(reports.messages.size(), 1u);
}

TEST(FamilyTest, GetReturnsErrors) {
  Registry r;
  auto* f = r.MustAddCounter({.name = "d_total", .help = "D.", .label_names = {"model"},
                              .max_series = 1});
  std::vector<LabelPair> bad = {{"other", "x"}};
  auto g = f->Get(bad);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(std::string(g.status().message()).find("unknown label \"other\""), std::string::npos);
  std::vector<LabelPair> a = {{"model", "a"}};
  ASSERT_TRUE(f->Get(a).ok());
  std::vector<LabelPair> b = {{"model", "b"}};
  EXPECT_EQ(f->Get(b).status().code(), StatusCode::kResourceExhausted);
  std::vector<LabelPair> utf = {{"model", "\xff"}};
  EXPECT_EQ(f->Get(utf).status().code(), StatusCode::kInvalidArgument);
}

TEST(FamilyTest, CardinalityGuardDropsAndCounts) {
  Reports reports;
  Registry r = MakeRegistry(&reports);
  auto* f = r.MustAddCounter({.name = "req_total", .help = "R.", .label_names = {"user"},
                              .max_series = 3});
  for (int i = 0; i < 3; ++i) f->WithLabelValues({std::to_string(i)}).Inc();
  Counter over = f->WithLabelValues({"overflow-1"});
  over.Inc();
  over.Inc(5);
  f->WithLabelValues({"overflow-2"}).Inc();
  f->WithLabelValues({"0"}).Inc();  // existing series still work
  EXPECT_EQ(f->size(), 3u);
  EXPECT_EQ(SeriesValue(r, "vigil_dropped_series_total", {{"family", "req_total"}}), 3);
  EXPECT_EQ(SeriesValue(r, "req_total", {{"user", "0"}}), 2);
  ASSERT_EQ(reports.messages.size(), 1u);  // the first drop only
  EXPECT_NE(reports.messages[0].find("req_total"), std::string::npos);
  EXPECT_NE(reports.messages[0].find("limit of 3"), std::string::npos);
}

TEST(FamilyTest, GuardAppliesToEveryType) {
  Registry r;
  auto* h = r.MustAddHistogram({.name = "h", .help = "H.", .label_names = {"k"}, .max_series = 1},
                               {1});
  auto* s = r.MustAddSummary({.name = "s", .help = "S.", .label_names = {"k"}, .max_series = 1});
  auto* g = r.MustAddGauge({.name = "g", .help = "G.", .label_names = {"k"}, .max_series = 1});
  h->WithLabelValues({"a"}).Observe(1);
  h->WithLabelValues({"b"}).Observe(1);
  s->WithLabelValues({"a"}).Observe(1);
  s->WithLabelValues({"b"}).Observe(1);
  g->WithLabelValues({"a"}).Set(1);
  g->WithLabelValues({"b"}).Set(1);
  EXPECT_EQ(SeriesValue(r, "vigil_dropped_series_total", {{"family", "h"}}), 1);
  EXPECT_EQ(SeriesValue(r, "vigil_dropped_series_total", {{"family", "s"}}), 1);
  EXPECT_EQ(SeriesValue(r, "vigil_dropped_series_total", {{"family", "g"}}), 1);
}

TEST(FamilyTest, RemoveDetachesHandlesAndFreesTheSlot) {
  Registry r;
  auto* f = r.MustAddCounter({.name = "c_total", .help = "C.", .label_names = {"k"},
                              .max_series = 1});
  Counter a = f->WithLabelValues({"a"});
  a.Inc(3);
  EXPECT_TRUE(f->Remove({"a"}));
  EXPECT_FALSE(f->Remove({"a"}));
  a.Inc();  // detached but safe
  EXPECT_EQ(a.Value(), 4);
  EXPECT_EQ(f->size(), 0u);
  // The slot is free again and a new series starts from zero.
  Counter b = f->WithLabelValues({"b"});
  b.Inc();
  EXPECT_EQ(SeriesValue(r, "c_total", {{"k", "b"}}), 1);
  Counter a2 = f->WithLabelValues({"a"});  // over the limit again: dropped
  a2.Inc();
  EXPECT_EQ(SeriesValue(r, "c_total", {{"k", "a"}}), -1);
}

TEST(FamilyTest, RemovedSeriesCellsAreReusedClean) {
  Registry r;
  auto* f = r.MustAddCounter({.name = "c_total", .help = "C.", .label_names = {"k"}});
  for (int round = 0; round < 50; ++round) {
    Counter c = f->WithLabelValues({"x" + std::to_string(round)});
    EXPECT_EQ(c.Value(), 0) << "round " << round;
    c.Inc(round + 1);
    f->Remove({"x" + std::to_string(round)});
  }
}

TEST(FamilyTest, ManySeriesSurviveRehashing) {
  Registry r;
  auto* f = r.MustAddCounter({.name = "c_total", .help = "C.", .label_names = {"a", "b"},
                              .max_series = 100000});
  for (int i = 0; i < 5000; ++i) {
    f->WithLabelValues({std::to_string(i), std::to_string(i % 7)}).Inc(i);
  }
  for (int i = 0; i < 5000; i += 13) {
    EXPECT_EQ(f->WithLabelValues({std::to_string(i), std::to_string(i % 7)}).Value(), i);
  }
  EXPECT_EQ(f->size(), 5000u);
  f->Clear();
  EXPECT_EQ(f->size(), 0u);
  EXPECT_EQ(f->WithLabelValues({"1", "1"}).Value(), 0);
}

TEST(FamilyTest, SimilarValuesAreDistinct) {
  Registry r;
  auto* f = r.MustAddCounter({.name = "c_total", .help = "C.", .label_names = {"a", "b"}});
  f->WithLabelValues({"ab", ""}).Inc(1);
  f->WithLabelValues({"a", "b"}).Inc(2);
  f->WithLabelValues({"", "ab"}).Inc(3);
  EXPECT_EQ(f->size(), 3u);
  EXPECT_EQ(f->WithLabelValues({"a", "b"}).Value(), 2);
  EXPECT_EQ(f->WithLabelValues({"", "ab"}).Value(), 3);
}

}  // namespace
}  // namespace vigil::metrics

namespace vigil::metrics {
namespace {

TEST(FamilyHandleTest, HandlesFromManyThreadsOutliveRemove) {
  Registry r;
  auto* f = r.MustAddCounter({.name = "c_total", .help = "C.", .label_names = {"k"}});
  std::vector<Counter> kept(6);
  {
    std::vector<std::thread> threads;
    // Handles taken on one set of threads...
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, t] {
        kept[t] = f->WithLabelValues({"a"});
        kept[t + 3] = kept[t];  // a copy made on this thread
        kept[t].Inc();
      });
    }
    for (auto& th : threads) th.join();
  }
  EXPECT_TRUE(f->Remove({"a"}));
  // ...still work after removal, and are dropped on yet other threads.
  for (Counter& c : kept) c.Inc();
  EXPECT_EQ(kept[0].Value(), 9);
  std::thread([&] { kept.resize(3); }).join();
  EXPECT_EQ(kept[1].Value(), 9);
  kept.clear();
  // The series is gone for good; a new one starts from zero in reused cells.
  for (int i = 0; i < 20; ++i) {
    Counter c = f->WithLabelValues({"b" + std::to_string(i)});
    EXPECT_EQ(c.Value(), 0);
    c.Inc();
    f->Remove({"b" + std::to_string(i)});
  }
}

TEST(FamilyHandleTest, ClearAndRegistryTeardownWithLiveLookups) {
  Registry r;
  auto* f = r.MustAddGauge({.name = "g", .help = "G.", .label_names = {"k"}});
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    int i = 0;
    while (!stop.load()) f->WithLabelValues({std::to_string(i++ % 20)}).Set(i);
  });
  for (int i = 0; i < 200; ++i) f->Clear();
  stop = true;
  reader.join();
  f->Clear();
  EXPECT_EQ(f->size(), 0u);
}

}  // namespace
}  // namespace vigil::metrics
