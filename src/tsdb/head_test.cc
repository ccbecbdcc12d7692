#include "tsdb/head.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "tsdb/querier.h"

namespace vigil::tsdb {
namespace {

using model::Labels;
using model::Matcher;
using model::MatchType;

Labels L(std::initializer_list<std::pair<std::string_view, std::string_view>> p) {
  return Labels::FromPairs(p);
}

Matcher M(MatchType t, std::string_view n, std::string_view v) {
  auto m = Matcher::Make(t, n, v);
  EXPECT_TRUE(m.ok());
  return std::move(m).value();
}

using Samples = std::vector<std::pair<int64_t, double>>;

Samples Drain(storage::SeriesIterator& it) {
  Samples out;
  while (it.Next()) out.push_back(it.At());
  EXPECT_TRUE(it.status().ok()) << it.status().ToString();
  return out;
}

// Selects and returns labels -> samples.
std::vector<std::pair<std::string, Samples>> Query(
    Head& head, std::vector<Matcher> ms, int64_t mint = INT64_MIN,
    int64_t maxt = INT64_MAX) {
  auto q = head.NewQuerier(mint, maxt);
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

TEST(HeadTest, AppendCommitSelect) {
  Head head;
  auto app = head.NewAppender();
  Labels a = L({{"__name__", "up"}, {"job", "api"}});
  auto ref = app->Append(0, a, 1000, 1);
  ASSERT_TRUE(ref.ok());
  ASSERT_TRUE(app->Append(ref.value(), a, 2000, 2).ok());
  // Not visible before commit.
  EXPECT_TRUE(Query(head, {M(MatchType::kEqual, "job", "api")}).empty());
  ASSERT_TRUE(app->Commit().ok());
  auto r = Query(head, {M(MatchType::kEqual, "job", "api")});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].first, "up{job=\"api\"}");
  EXPECT_EQ(r[0].second, (Samples{{1000, 1}, {2000, 2}}));
  EXPECT_EQ(head.num_series(), 1u);
  EXPECT_EQ(head.max_time(), 2000);
}

TEST(HeadTest, RejectsOutOfOrderAndDuplicatesWithCounts) {
  Head head;
  Labels a = L({{"__name__", "m"}});
  auto app = head.NewAppender();
  ASSERT_TRUE(app->Append(0, a, 100, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  auto st = app->Append(0, a, 50, 1);
  EXPECT_EQ(st.status().code(), StatusCode::kOutOfRange);
  st = app->Append(0, a, 100, 2);
  EXPECT_EQ(st.status().code(), StatusCode::kAlreadyExists);
  // The identical sample again is accepted and ignored.
  EXPECT_TRUE(app->Append(0, a, 100, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(head.stats().out_of_order, 1u);
  EXPECT_EQ(head.stats().duplicates, 1u);
  EXPECT_EQ(Query(head, {M(MatchType::kEqual, "__name__", "m")})[0].second,
            (Samples{{100, 1}}));
}

TEST(HeadTest, OutOfOrderWithinOneBatchIsCountedAtCommit) {
  Head head;
  Labels a = L({{"__name__", "m"}});
  auto app = head.NewAppender();
  ASSERT_TRUE(app->Append(0, a, 200, 1).ok());
  ASSERT_TRUE(app->Append(0, a, 100, 2).ok());  // checked against committed
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(head.stats().out_of_order, 1u);
  EXPECT_EQ(Query(head, {M(MatchType::kEqual, "__name__", "m")})[0].second,
            (Samples{{200, 1}}));
}

TEST(HeadTest, RollbackDiscardsSamples) {
  Head head;
  auto app = head.NewAppender();
  ASSERT_TRUE(app->Append(0, L({{"__name__", "m"}}), 1, 1).ok());
  app->Rollback();
  ASSERT_TRUE(app->Commit().ok());
  auto r = Query(head, {M(MatchType::kEqual, "__name__", "m")});
  EXPECT_TRUE(r.empty());  // the series exists but has no samples in range
}

TEST(HeadTest, StaleNaNAndSpecialValuesRoundTrip) {
  Head head;
  Labels a = L({{"__name__", "m"}});
  const double stale = std::bit_cast<double>(storage::kStaleNaNBits);
  const double values[] = {-0.0, std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(), stale,
                           std::numeric_limits<double>::quiet_NaN(), 1e300};
  auto app = head.NewAppender();
  int64_t t = 0;
  for (double v : values) ASSERT_TRUE(app->Append(0, a, t += 15000, v).ok());
  ASSERT_TRUE(app->Commit().ok());
  auto r = Query(head, {M(MatchType::kEqual, "__name__", "m")});
  ASSERT_EQ(r[0].second.size(), std::size(values));
  for (size_t i = 0; i < std::size(values); ++i) {
    EXPECT_EQ(std::bit_cast<uint64_t>(r[0].second[i].second),
              std::bit_cast<uint64_t>(values[i]));
  }
}

TEST(HeadTest, InvalidLabelsRejected) {
  Head head;
  auto app = head.NewAppender();
  auto r = app->Append(0, L({{"__name__", "m"}, {"bad-name", "x"}}), 1, 1);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(app->Append(0, Labels(), 1, 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(app->Append(12345, Labels(), 1, 1).status().code(),
            StatusCode::kNotFound);
}

class HeadMatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto app = head_.NewAppender();
    for (auto l : {L({{"__name__", "http_requests_total"}, {"code", "200"}, {"job", "api"}}),
                   L({{"__name__", "http_requests_total"}, {"code", "500"}, {"job", "api"}}),
                   L({{"__name__", "http_requests_total"}, {"code", "200"}, {"job", "web"}}),
                   L({{"__name__", "up"}, {"job", "api"}}),
                   L({{"__name__", "up"}, {"job", "node-exporter"}, {"env", "prod"}})}) {
      ASSERT_TRUE(app->Append(0, l, 1000, 1).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  std::vector<std::string> Sel(std::vector<Matcher> ms) {
    return Names(Query(head_, std::move(ms)));
  }
  Head head_;
};

TEST_F(HeadMatcherTest, EqualAndNotEqual) {
  EXPECT_EQ(Sel({M(MatchType::kEqual, "__name__", "up")}),
            (std::vector<std::string>{"up{env=\"prod\", job=\"node-exporter\"}",
                                      "up{job=\"api\"}"}));
  EXPECT_EQ(Sel({M(MatchType::kEqual, "__name__", "http_requests_total"),
                 M(MatchType::kNotEqual, "code", "200")}),
            (std::vector<std::string>{
                "http_requests_total{code=\"500\", job=\"api\"}"}));
}

TEST_F(HeadMatcherTest, RegexIsAnchored) {
  EXPECT_EQ(Sel({M(MatchType::kRegexMatch, "job", "node")}).size(), 0u);
  EXPECT_EQ(Sel({M(MatchType::kRegexMatch, "job", "node.*")}).size(), 1u);
  EXPECT_EQ(Sel({M(MatchType::kRegexMatch, "job", "api|web")}).size(), 4u);
  EXPECT_EQ(Sel({M(MatchType::kRegexNoMatch, "job", "api|web")}),
            (std::vector<std::string>{"up{env=\"prod\", job=\"node-exporter\"}"}));
}

TEST_F(HeadMatcherTest, EmptyMatchingMatchersSelectMissingLabels) {
  // env="" selects series without env.
  EXPECT_EQ(Sel({M(MatchType::kEqual, "__name__", "up"),
                 M(MatchType::kEqual, "env", "")}),
            (std::vector<std::string>{"up{job=\"api\"}"}));
  // env!="" selects series with env.
  EXPECT_EQ(Sel({M(MatchType::kNotEqual, "env", "")}).size(), 1u);
  // env=~"prod|" selects both.
  EXPECT_EQ(Sel({M(MatchType::kEqual, "__name__", "up"),
                 M(MatchType::kRegexMatch, "env", "prod|")}).size(), 2u);
  // env=~".*" alone selects everything.
  EXPECT_EQ(Sel({M(MatchType::kRegexMatch, "env", ".*")}).size(), 5u);
  // code!~"2.." keeps series lacking code.
  EXPECT_EQ(Sel({M(MatchType::kRegexNoMatch, "code", "2..")}).size(), 3u);
}

TEST_F(HeadMatcherTest, ResultsAreSortedByLabels) {
  auto names = Sel({M(MatchType::kRegexMatch, "__name__", ".+")});
  ASSERT_EQ(names.size(), 5u);
  // Prometheus' order: by (name, value) pairs, so __name__ first.
  EXPECT_EQ(names.front(), "http_requests_total{code=\"200\", job=\"api\"}");
  EXPECT_EQ(names.back(), "up{job=\"api\"}");
}

TEST_F(HeadMatcherTest, LabelNamesAndValues) {
  auto q = head_.NewQuerier(0, 5000).value();
  EXPECT_EQ(q->LabelValues("job").value(),
            (std::vector<std::string>{"api", "node-exporter", "web"}));
  auto code = M(MatchType::kEqual, "code", "500");
  EXPECT_EQ(q->LabelValues("job", std::span(&code, 1)).value(),
            (std::vector<std::string>{"api"}));
  EXPECT_EQ(q->LabelNames().value(),
            (std::vector<std::string>{"__name__", "code", "env", "job"}));
  // Out of the data's time range: nothing.
  auto later = head_.NewQuerier(5000, 9000).value();
  EXPECT_TRUE(later->LabelValues("job").value().empty());
}

TEST(HeadTest, ManyChunksSeekAndRange) {
  Head head(HeadOptions{.samples_per_chunk = 120});
  Labels a = L({{"__name__", "m"}});
  auto app = head.NewAppender();
  for (int64_t i = 0; i < 1000; ++i) {
    ASSERT_TRUE(app->Append(0, a, i * 1000, static_cast<double>(i)).ok());
  }
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(head.stats().chunks_cut, 8u);
  auto q = head.NewQuerier(100500, 600000).value();
  auto set = q->Select(std::vector{M(MatchType::kEqual, "__name__", "m")});
  ASSERT_TRUE(set->Next());
  auto it = set->At().NewIterator();
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->At().first, 101000);  // first sample in range
  ASSERT_TRUE(it->Seek(450000));
  EXPECT_EQ(it->At(), (std::pair<int64_t, double>{450000, 450}));
  ASSERT_TRUE(it->Seek(100));  // seeking backwards stays put
  EXPECT_EQ(it->At().first, 450000);
  ASSERT_TRUE(it->Seek(599999));
  EXPECT_EQ(it->At().first, 600000);
  EXPECT_FALSE(it->Next());  // 601000 is beyond maxt
  EXPECT_FALSE(it->Seek(0));
  // Seek straight into a later chunk from a fresh iterator.
  auto it2 = set->At().NewIterator();
  ASSERT_TRUE(it2->Seek(599000));
  EXPECT_EQ(it2->At().first, 599000);
  auto all = Query(head, {M(MatchType::kEqual, "__name__", "m")});
  ASSERT_EQ(all[0].second.size(), 1000u);
  for (int64_t i = 0; i < 1000; ++i) EXPECT_EQ(all[0].second[i].first, i * 1000);
}

// An iterator handed back to NewIterator is reset for the next series,
// including one left mid-chunk, one exhausted, one failed on nothing and one
// from a querier with another window (not reused: its window differs).
TEST(HeadTest, IteratorReuseAcrossSeries) {
  Head head(HeadOptions{.samples_per_chunk = 120});
  auto app = head.NewAppender();
  for (int s = 0; s < 4; ++s) {
    Labels l = L({{"__name__", "m"}, {"s", std::to_string(s)}});
    // Series s has 100 * (s + 1) samples: full chunks plus an open one.
    for (int64_t i = 0; i < 100 * (s + 1); ++i) {
      ASSERT_TRUE(app->Append(0, l, i * 1000, s * 10000.0 + i).ok());
    }
  }
  ASSERT_TRUE(app->Commit().ok());
  auto q = head.NewQuerier(50000, 350000).value();
  auto set = q->Select(std::vector{M(MatchType::kEqual, "__name__", "m")});
  std::unique_ptr<storage::SeriesIterator> it;
  int s = 0;
  while (set->Next()) {
    it = set->At().NewIterator(std::move(it));
    if (s == 1) {  // leave this one mid-chunk
      ASSERT_TRUE(it->Seek(130000));
      EXPECT_EQ(it->At(), (std::pair<int64_t, double>{130000, 10130}));
      ++s;
      continue;
    }
    Samples got = Drain(*it);
    const int64_t last = std::min<int64_t>(100 * (s + 1) - 1, 350);
    ASSERT_EQ(got.size(), static_cast<size_t>(last - 50 + 1)) << "series " << s;
    EXPECT_EQ(got.front(), (std::pair<int64_t, double>{50000, s * 10000.0 + 50}));
    EXPECT_EQ(got.back(), (std::pair<int64_t, double>{last * 1000, s * 10000.0 + last}));
    ++s;
  }
  EXPECT_EQ(s, 4);
  auto q2 = head.NewQuerier(0, 1000).value();
  auto set2 = q2->Select(std::vector{M(MatchType::kEqual, "s", "3")});
  ASSERT_TRUE(set2->Next());
  it = set2->At().NewIterator(std::move(it));
  EXPECT_EQ(Drain(*it), (Samples{{0, 30000}, {1000, 30001}}));
}

// The bulk read matches a Next() loop: across chunk boundaries, into the
// open chunk, stopping at its own maxt and at the querier's.
TEST(HeadTest, AppendUntilMatchesNextLoop) {
  Head head(HeadOptions{.samples_per_chunk = 120});
  Labels a = L({{"__name__", "m"}});
  auto app = head.NewAppender();
  for (int64_t i = 0; i < 500; ++i) {
    ASSERT_TRUE(app->Append(0, a, i * 1000, static_cast<double>(i) * 1.5).ok());
  }
  ASSERT_TRUE(app->Commit().ok());
  auto q = head.NewQuerier(10000, 450000).value();
  for (int64_t seek : {0, 10000, 119000, 120000, 300500, 449000, 450000, 451000}) {
    for (int64_t maxt : {int64_t{0}, int64_t{119000}, int64_t{239999}, int64_t{300000},
                         int64_t{450000}, INT64_MAX}) {
      auto set = q->Select(std::vector{M(MatchType::kEqual, "__name__", "m")});
      ASSERT_TRUE(set->Next());
      Samples want;
      auto it = set->At().NewIterator();
      if (it->Seek(seek)) {
        do {
          if (it->At().first > maxt) break;
          want.push_back(it->At());
        } while (it->Next());
      }
      std::vector<storage::SamplePair> got;
      auto bulk = set->At().NewIterator();
      if (bulk->Seek(seek)) bulk->AppendUntil(maxt, &got);
      EXPECT_TRUE(bulk->status().ok());
      ASSERT_EQ(got.size(), want.size()) << "seek " << seek << " maxt " << maxt;
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].t, want[i].first);
        EXPECT_EQ(got[i].v, want[i].second);
      }
    }
  }
}

TEST(HeadTest, TruncateDropsWholeChunksAndEmptySeries) {
  Head head(HeadOptions{.samples_per_chunk = 10});
  Labels a = L({{"__name__", "a"}});
  Labels b = L({{"__name__", "b"}});
  auto app = head.NewAppender();
  for (int64_t i = 0; i < 100; ++i) ASSERT_TRUE(app->Append(0, a, i, 1).ok());
  for (int64_t i = 0; i < 5; ++i) ASSERT_TRUE(app->Append(0, b, i, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  uint64_t bytes_before = head.chunk_bytes();
  EXPECT_EQ(head.Truncate(35), 1u);  // b is gone entirely
  EXPECT_LT(head.chunk_bytes(), bytes_before);
  EXPECT_EQ(head.num_series(), 1u);
  auto r = Query(head, {M(MatchType::kRegexMatch, "__name__", ".+")});
  ASSERT_EQ(r.size(), 1u);
  // Chunks are dropped whole: [30, 39] survives because 39 >= 35.
  EXPECT_EQ(r[0].second.front().first, 30);
  EXPECT_EQ(r[0].second.size(), 70u);
  EXPECT_EQ(head.min_time(), 30);
  // b can be appended again (as a new series).
  ASSERT_TRUE(app->Append(0, b, 200, 2).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(Query(head, {M(MatchType::kEqual, "__name__", "b")})[0].second,
            (Samples{{200, 2}}));
}

TEST(HeadTest, PendingSeriesSurviveTruncate) {
  Head head;
  Labels a = L({{"__name__", "a"}});
  auto app = head.NewAppender();
  ASSERT_TRUE(app->Append(0, a, 10, 1).ok());  // pending, not committed
  EXPECT_EQ(head.Truncate(1000), 0u);
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(Query(head, {M(MatchType::kEqual, "__name__", "a")})[0].second,
            (Samples{{10, 1}}));
}

TEST(HeadTest, HashCollisionsAreResolvedByLabels) {
  // Many series in few stripes exercise the multimap path; identical
  // labels must map to one series and distinct ones to distinct series.
  Head head;
  auto app = head.NewAppender();
  for (int i = 0; i < 2000; ++i) {
    Labels l = L({{"__name__", "m"}, {"i", std::to_string(i)}});
    ASSERT_TRUE(app->Append(0, l, 1, i).ok());
    ASSERT_TRUE(app->Append(0, l, 2, i).ok());
  }
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(head.num_series(), 2000u);
}

TEST(HeadTest, ConcurrentAppendAndQuery) {
  Head head(HeadOptions{.samples_per_chunk = 30});
  constexpr int kThreads = 4, kSeries = 50, kSamples = 300;
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      auto app = head.NewAppender();
      std::vector<SeriesRef> refs(kSeries, 0);
      for (int t = 1; t <= kSamples; ++t) {
        for (int s = 0; s < kSeries; ++s) {
          Labels l = L({{"__name__", "m"}, {"w", std::to_string(w)},
                        {"s", std::to_string(s)}});
          auto r = app->Append(refs[s], l, t, t);
          ASSERT_TRUE(r.ok()) << r.status().ToString();
          refs[s] = r.value();
        }
        if (t % 10 == 0) {
          ASSERT_TRUE(app->Commit().ok());
        }
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 50; ++i) {
      auto r = Query(head, {M(MatchType::kEqual, "__name__", "m")});
      for (const auto& [l, samples] : r) {
        for (size_t j = 1; j < samples.size(); ++j) {
          ASSERT_LT(samples[j - 1].first, samples[j].first) << l;
        }
      }
    }
  });
  for (auto& t : threads) t.join();
  auto r = Query(head, {M(MatchType::kEqual, "__name__", "m")});
  ASSERT_EQ(r.size(), static_cast<size_t>(kThreads * kSeries));
  for (const auto& [l, samples] : r) EXPECT_EQ(samples.size(), size_t{kSamples});
  EXPECT_EQ(head.stats().samples_appended,
            uint64_t{kThreads} * kSeries * kSamples);
}

TEST(HeadTest, RestoreAndFinish) {
  Head head;
  Labels a = L({{"__name__", "a"}});
  Labels b = L({{"__name__", "b"}});
  auto sb = head.RestoreSeries(7, b);
  auto sa = head.RestoreSeries(3, a);
  ASSERT_TRUE(sa.ok() && sb.ok());
  EXPECT_TRUE(head.RestoreSeries(3, a).ok());  // repeated record
  EXPECT_EQ(head.RestoreSeries(3, b).status().code(), StatusCode::kDataLoss);
  ASSERT_TRUE(head.RestoreSample(sa.value(), 5, 1).ok());
  EXPECT_EQ(head.RestoreSample(sa.value(), 4, 1).code(), StatusCode::kOutOfRange);
  head.FinishRestore();
  EXPECT_EQ(Names(Query(head, {M(MatchType::kRegexMatch, "__name__", "a|b")})),
            (std::vector<std::string>{"a"}));  // b has no samples
  // New series get refs above the restored ones.
  auto app = head.NewAppender();
  auto r = app->Append(0, L({{"__name__", "c"}}), 1, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 8u);
  ASSERT_TRUE(app->Commit().ok());
}

}  // namespace
}  // namespace vigil::tsdb
