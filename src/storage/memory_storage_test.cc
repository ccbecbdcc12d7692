#include "storage/memory_storage.h"

#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace vigil::storage {
namespace {

using model::Labels;
using model::Matcher;
using model::MatchType;
using Samples = std::vector<std::pair<int64_t, double>>;

Labels L(
    std::initializer_list<std::pair<std::string_view, std::string_view>> p) {
  return Labels::FromPairs(p);
}

Matcher M(MatchType t, std::string_view n, std::string_view v) {
  auto m = Matcher::Make(t, n, v);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(m).value();
}

Samples Drain(SeriesIterator& it) {
  Samples out;
  while (it.Next()) out.push_back(it.At());
  EXPECT_TRUE(it.status().ok()) << it.status().ToString();
  return out;
}

std::vector<std::pair<std::string, Samples>> Query(MemoryStorage& db,
                                                   std::vector<Matcher> ms,
                                                   int64_t mint = INT64_MIN,
                                                   int64_t maxt = INT64_MAX) {
  auto q = db.NewQuerier(mint, maxt);
  EXPECT_TRUE(q.ok());
  auto set = q.value()->Select(ms);
  std::vector<std::pair<std::string, Samples>> out;
  while (set->Next()) {
    auto it = set->At().NewIterator();
    out.emplace_back(set->At().labels().ToString(), Drain(*it));
  }
  EXPECT_TRUE(set->status().ok());
  return out;
}

std::vector<std::string> Names(
    const std::vector<std::pair<std::string, Samples>>& r) {
  std::vector<std::string> out;
  for (const auto& [l, _] : r) out.push_back(l);
  return out;
}

// Appends and commits one sample per (labels, t, v).
void Add(MemoryStorage& db, const Labels& l, Samples s) {
  auto app = db.NewAppender();
  for (auto [t, v] : s) ASSERT_TRUE(app->Append(0, l, t, v).ok());
  ASSERT_TRUE(app->Commit().ok());
}

TEST(MemoryStorageTest, AppendCommitSelect) {
  MemoryStorage db;
  auto app = db.NewAppender();
  Labels a = L({{"__name__", "up"}, {"job", "api"}});
  auto ref = app->Append(0, a, 1000, 1);
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref.value(), 1u);
  ASSERT_TRUE(app->Append(ref.value(), a, 2000, 2).ok());
  // Not visible before commit.
  EXPECT_TRUE(Query(db, {M(MatchType::kEqual, "job", "api")}).empty());
  EXPECT_EQ(db.num_samples(), 0u);
  ASSERT_TRUE(app->Commit().ok());
  auto r = Query(db, {M(MatchType::kEqual, "job", "api")});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].first, "up{job=\"api\"}");
  EXPECT_EQ(r[0].second, (Samples{{1000, 1}, {2000, 2}}));
  EXPECT_EQ(db.num_series(), 1u);
  EXPECT_EQ(db.num_samples(), 2u);
}

TEST(MemoryStorageTest, RefsAreStablePerSeries) {
  MemoryStorage db;
  auto app = db.NewAppender();
  Labels a = L({{"__name__", "a"}});
  Labels b = L({{"__name__", "b"}});
  auto ra = app->Append(0, a, 1, 1);
  auto rb = app->Append(0, b, 1, 1);
  auto ra2 = app->Append(0, a, 2, 1);
  ASSERT_TRUE(ra.ok() && rb.ok() && ra2.ok());
  EXPECT_NE(ra.value(), rb.value());
  EXPECT_EQ(ra.value(), ra2.value());
  EXPECT_NE(ra.value(), 0u);
}

TEST(MemoryStorageTest, RefOnlyAppend) {
  MemoryStorage db;
  Labels a = L({{"__name__", "a"}});
  auto app = db.NewAppender();
  auto ref = app->Append(0, a, 1, 1);
  ASSERT_TRUE(ref.ok());
  // A known ref needs no labels.
  auto again = app->Append(ref.value(), Labels(), 2, 2);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again.value(), ref.value());
  // An unknown ref without labels is kNotFound.
  auto unknown = app->Append(12345, Labels(), 3, 3);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  // An unknown ref with labels falls back to them.
  auto fallback = app->Append(12345, a, 3, 3);
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(fallback.value(), ref.value());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(Query(db, {})[0].second, (Samples{{1, 1}, {2, 2}, {3, 3}}));
}

TEST(MemoryStorageTest, InvalidLabels) {
  MemoryStorage db;
  auto app = db.NewAppender();
  auto r = app->Append(0, Labels(), 1, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  r = app->Append(0, L({{"__name__", "a"}, {"bad-name", "x"}}), 1, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  r = app->Append(0, L({{"__name__", "1abc"}}), 1, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(db.num_series(), 0u);
}

TEST(MemoryStorageTest, OutOfOrderAndDuplicatesAgainstCommitted) {
  MemoryStorage db;
  Labels a = L({{"__name__", "a"}});
  Add(db, a, {{1000, 1}, {2000, 2}});
  auto app = db.NewAppender();
  auto r = app->Append(0, a, 1500, 5);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
  r = app->Append(0, a, 2000, 3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  // The identical sample again is accepted and ignored.
  r = app->Append(0, a, 2000, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // The batch stays usable after errors.
  ASSERT_TRUE(app->Append(0, a, 3000, 3).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(Query(db, {})[0].second,
            (Samples{{1000, 1}, {2000, 2}, {3000, 3}}));
}

TEST(MemoryStorageTest, OutOfOrderWithinBatch) {
  MemoryStorage db;
  Labels a = L({{"__name__", "a"}});
  auto app = db.NewAppender();
  ASSERT_TRUE(app->Append(0, a, 2000, 2).ok());
  auto r = app->Append(0, a, 1000, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
  r = app->Append(0, a, 2000, 7);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(app->Append(0, a, 2000, 2).ok());  // identical: ignored
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(Query(db, {})[0].second, (Samples{{2000, 2}}));
  EXPECT_EQ(db.num_samples(), 1u);
}

TEST(MemoryStorageTest, ConcurrentAppendersNewerCommitWins) {
  MemoryStorage db;
  Labels a = L({{"__name__", "a"}});
  auto app1 = db.NewAppender();
  auto app2 = db.NewAppender();
  ASSERT_TRUE(app1->Append(0, a, 1000, 1).ok());
  ASSERT_TRUE(app2->Append(0, a, 2000, 2).ok());
  ASSERT_TRUE(app2->Commit().ok());
  // app1's sample is now out of order; Commit drops it, as the head does.
  ASSERT_TRUE(app1->Commit().ok());
  EXPECT_EQ(Query(db, {})[0].second, (Samples{{2000, 2}}));
}

TEST(MemoryStorageTest, RollbackDiscardsSamplesKeepsSeriesRef) {
  MemoryStorage db;
  Labels a = L({{"__name__", "a"}});
  auto app = db.NewAppender();
  auto ref = app->Append(0, a, 1000, 1);
  ASSERT_TRUE(ref.ok());
  app->Rollback();
  EXPECT_TRUE(Query(db, {}).empty());  // a series without samples
  EXPECT_EQ(db.num_series(), 1u);
  // The ref stays usable, and the appender too.
  ASSERT_TRUE(app->Append(ref.value(), Labels(), 500, 5).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(Query(db, {})[0].second, (Samples{{500, 5}}));
}

TEST(MemoryStorageTest, DestroyedAppenderRollsBack) {
  MemoryStorage db;
  {
    auto app = db.NewAppender();
    ASSERT_TRUE(app->Append(0, L({{"__name__", "a"}}), 1, 1).ok());
  }
  EXPECT_EQ(db.num_samples(), 0u);
}

TEST(MemoryStorageTest, StaleNaNKeptBitForBit) {
  MemoryStorage db;
  Labels a = L({{"__name__", "a"}});
  double stale = std::bit_cast<double>(kStaleNaNBits);
  double plain_nan = std::numeric_limits<double>::quiet_NaN();
  Add(db, a, {{1000, 1}, {2000, stale}, {3000, plain_nan}});
  auto r = Query(db, {});
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].second.size(), 3u);
  EXPECT_EQ(std::bit_cast<uint64_t>(r[0].second[1].second), kStaleNaNBits);
  EXPECT_TRUE(std::isnan(r[0].second[2].second));
  EXPECT_NE(std::bit_cast<uint64_t>(r[0].second[2].second), kStaleNaNBits);

  // The same stale NaN again is an ignored duplicate; a different NaN at the
  // newest timestamp is a different value.
  Add(db, a, {{4000, stale}});
  auto app = db.NewAppender();
  EXPECT_TRUE(app->Append(0, a, 4000, stale).ok());
  auto dup = app->Append(0, a, 4000, plain_nan);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
}

TEST(MemoryStorageTest, SelectSortedByLabels) {
  MemoryStorage db;
  Add(db, L({{"__name__", "b"}, {"x", "1"}}), {{1, 1}});
  Add(db, L({{"__name__", "a"}, {"x", "2"}}), {{1, 1}});
  Add(db, L({{"__name__", "a"}, {"x", "1"}}), {{1, 1}});
  Add(db, L({{"__name__", "a"}}), {{1, 1}});
  EXPECT_EQ(Names(Query(db, {})),
            (std::vector<std::string>{"a", "a{x=\"1\"}", "a{x=\"2\"}",
                                      "b{x=\"1\"}"}));
}

TEST(MemoryStorageTest, MatcherSemantics) {
  MemoryStorage db;
  Add(db, L({{"__name__", "m"}, {"job", "api"}, {"env", "prod"}}), {{1, 1}});
  Add(db, L({{"__name__", "m"}, {"job", "web"}}), {{1, 1}});
  Add(db, L({{"__name__", "m"}, {"job", "api-2"}}), {{1, 1}});
  Add(db, L({{"__name__", "other"}, {"job", "api"}}), {{1, 1}});
  Matcher name = M(MatchType::kEqual, "__name__", "m");

  EXPECT_EQ(Names(Query(db, {name, M(MatchType::kEqual, "job", "api")})),
            (std::vector<std::string>{"m{env=\"prod\", job=\"api\"}"}));
  // Regexes are anchored.
  EXPECT_EQ(Names(Query(db, {name, M(MatchType::kRegexMatch, "job", "api")})),
            (std::vector<std::string>{"m{env=\"prod\", job=\"api\"}"}));
  EXPECT_EQ(Names(Query(db, {name, M(MatchType::kRegexMatch, "job", "api.*")}))
                .size(),
            2u);
  EXPECT_EQ(Names(Query(db, {name, M(MatchType::kNotEqual, "job", "api")})),
            (std::vector<std::string>{"m{job=\"api-2\"}", "m{job=\"web\"}"}));
  EXPECT_EQ(Names(Query(db, {name, M(MatchType::kRegexNoMatch, "job", "a.*")})),
            (std::vector<std::string>{"m{job=\"web\"}"}));
  // A matcher accepting "" also selects series lacking the label.
  EXPECT_EQ(Names(Query(db, {name, M(MatchType::kEqual, "env", "")})),
            (std::vector<std::string>{"m{job=\"api-2\"}", "m{job=\"web\"}"}));
  EXPECT_EQ(Names(Query(db, {name, M(MatchType::kRegexMatch, "env", "prod|")}))
                .size(),
            3u);
  EXPECT_EQ(Names(Query(db, {name, M(MatchType::kNotEqual, "env", "")})),
            (std::vector<std::string>{"m{env=\"prod\", job=\"api\"}"}));
  EXPECT_EQ(Names(Query(db, {name, M(MatchType::kRegexMatch, "env", ".+")})),
            (std::vector<std::string>{"m{env=\"prod\", job=\"api\"}"}));
  EXPECT_EQ(
      Names(Query(db, {M(MatchType::kRegexMatch, "__name__", ".*")})).size(),
      4u);
  EXPECT_TRUE(Query(db, {M(MatchType::kEqual, "job", "nope")}).empty());
}

TEST(MemoryStorageTest, QuerierRangeFiltersSeriesAndSamples) {
  MemoryStorage db;
  Add(db, L({{"__name__", "early"}}), {{0, 0}, {1000, 1}});
  Add(db, L({{"__name__", "late"}}),
      {{1000, 1}, {2000, 2}, {3000, 3}, {4000, 4}});
  auto r = Query(db, {}, 2000, 3000);
  ASSERT_EQ(Names(r), (std::vector<std::string>{"late"}));
  EXPECT_EQ(r[0].second, (Samples{{2000, 2}, {3000, 3}}));
  // Bounds are inclusive.
  r = Query(db, {}, 1000, 1000);
  EXPECT_EQ(r.size(), 2u);
  EXPECT_TRUE(Query(db, {}, 5000, 6000).empty());
  EXPECT_FALSE(db.NewQuerier(10, 5).ok());
}

TEST(MemoryStorageTest, LabelNamesAndValues) {
  MemoryStorage db;
  Add(db, L({{"__name__", "m"}, {"job", "api"}, {"env", "prod"}}), {{1, 1}});
  Add(db, L({{"__name__", "m"}, {"job", "web"}}), {{1, 1}});
  Add(db, L({{"__name__", "n"}, {"zone", "a"}}), {{100, 1}});
  auto q = db.NewQuerier(0, 50).value();
  EXPECT_EQ(q->LabelNames().value(),
            (std::vector<std::string>{"__name__", "env", "job"}));
  EXPECT_EQ(q->LabelValues("job").value(),
            (std::vector<std::string>{"api", "web"}));
  EXPECT_EQ(q->LabelValues("__name__").value(),
            (std::vector<std::string>{"m"}));
  std::vector<Matcher> ms = {M(MatchType::kEqual, "job", "web")};
  EXPECT_EQ(q->LabelNames(ms).value(),
            (std::vector<std::string>{"__name__", "job"}));
  EXPECT_TRUE(q->LabelValues("env", ms).value().empty());
  auto all = db.NewQuerier(0, 1000).value();
  EXPECT_EQ(all->LabelNames().value(),
            (std::vector<std::string>{"__name__", "env", "job", "zone"}));
}

TEST(MemoryStorageTest, QuerierSeesLaterCommits) {
  MemoryStorage db;
  Labels a = L({{"__name__", "a"}});
  Add(db, a, {{1, 1}});
  auto q = db.NewQuerier(0, 100).value();
  Add(db, a, {{2, 2}});
  auto set = q->Select({});
  ASSERT_TRUE(set->Next());
  auto it = set->At().NewIterator();
  // A commit after Select is not seen by its iterators.
  Add(db, a, {{3, 3}});
  EXPECT_EQ(Drain(*it), (Samples{{1, 1}, {2, 2}}));
  EXPECT_FALSE(set->Next());
}

TEST(MemoryStorageTest, IteratorSeek) {
  MemoryStorage db;
  Add(db, L({{"__name__", "a"}}), {{10, 1}, {20, 2}, {30, 3}, {40, 4}});
  auto q = db.NewQuerier(INT64_MIN, INT64_MAX).value();
  auto set = q->Select({});
  ASSERT_TRUE(set->Next());
  auto it = set->At().NewIterator();
  ASSERT_TRUE(it->Seek(15));
  EXPECT_EQ(it->At(), (std::pair<int64_t, double>{20, 2}));
  // Seeking backwards stays put.
  ASSERT_TRUE(it->Seek(5));
  EXPECT_EQ(it->At().first, 20);
  ASSERT_TRUE(it->Seek(20));
  EXPECT_EQ(it->At().first, 20);
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->At().first, 30);
  ASSERT_TRUE(it->Seek(40));
  EXPECT_EQ(it->At().first, 40);
  EXPECT_FALSE(it->Next());
  EXPECT_FALSE(it->Seek(0));  // exhausted stays exhausted
  EXPECT_TRUE(it->status().ok());

  auto it2 = set->At().NewIterator();
  EXPECT_FALSE(it2->Seek(41));
  EXPECT_FALSE(it2->Next());
  auto it3 = set->At().NewIterator();
  ASSERT_TRUE(it3->Seek(INT64_MIN));
  EXPECT_EQ(it3->At().first, 10);
  ASSERT_TRUE(it3->Next());
  EXPECT_EQ(it3->At().first, 20);
}

TEST(MemoryStorageTest, SeriesOutlivesQuerier) {
  MemoryStorage db;
  Add(db, L({{"__name__", "a"}}), {{1, 1}});
  std::unique_ptr<SeriesSet> set;
  {
    auto q = db.NewQuerier(0, 10).value();
    set = q->Select({});
  }
  ASSERT_TRUE(set->Next());
  auto it = set->At().NewIterator();
  EXPECT_EQ(Drain(*it), (Samples{{1, 1}}));
}

TEST(MemoryStorageTest, ConcurrentAppendAndQuery) {
  MemoryStorage db;
  constexpr int kWriters = 4;
  constexpr int kSamples = 500;
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&db, w] {
      Labels l = L({{"__name__", "c"}, {"w", std::to_string(w)}});
      auto app = db.NewAppender();
      storage::SeriesRef ref = 0;
      for (int i = 0; i < kSamples; ++i) {
        auto r = app->Append(ref, l, i, i);
        ASSERT_TRUE(r.ok());
        ref = r.value();
        if (i % 10 == 0) {
          ASSERT_TRUE(app->Commit().ok());
        }
      }
      ASSERT_TRUE(app->Commit().ok());
    });
  }
  std::thread reader([&] {
    while (!done.load()) {
      for (const auto& [name, samples] : Query(db, {})) {
        for (size_t i = 1; i < samples.size(); ++i) {
          ASSERT_LT(samples[i - 1].first, samples[i].first) << name;
        }
      }
    }
  });
  for (auto& t : writers) t.join();
  done = true;
  reader.join();
  EXPECT_EQ(db.num_series(), static_cast<size_t>(kWriters));
  EXPECT_EQ(db.num_samples(), static_cast<size_t>(kWriters * kSamples));
}

}  // namespace
}  // namespace vigil::storage
