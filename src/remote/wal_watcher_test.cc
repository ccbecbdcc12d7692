#include "remote/wal_watcher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "base/file.h"
#include "base/test_util.h"
#include "metrics/test_util.h"
#include "remote/fake_remote_test_util.h"
#include "tsdb/db.h"
#include "tsdb/record.h"
#include "tsdb/wal/wal.h"

namespace vigil::remote {
namespace {

using std::chrono::milliseconds;
using fake::LabelsKey;
namespace record = tsdb::record;

struct Got {
  std::string series;
  int64_t t;
  double v;
  friend bool operator==(const Got&, const Got&) = default;
};

class FakeConsumer : public WalConsumer {
 public:
  bool Consume(std::span<WatchedSample> samples, const Progress& end,
               std::stop_token stop) override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, stop, [this] { return !blocked_; });
    if (stop.stop_requested()) return false;
    for (const WatchedSample& s : samples) {
      got_.push_back({LabelsKey(*s.series), s.t, s.v});
    }
    ends_.push_back(end);
    cv_.notify_all();
    return true;
  }
  void Block(bool b) {
    std::lock_guard lock(mu_);
    blocked_ = b;
    cv_.notify_all();
  }
  std::vector<Got> got() const {
    std::lock_guard lock(mu_);
    return got_;
  }
  std::vector<Progress> ends() const {
    std::lock_guard lock(mu_);
    return ends_;
  }
  bool WaitFor(size_t n, milliseconds limit = milliseconds(10000)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return got_.size() >= n; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  bool blocked_ = false;
  std::vector<Got> got_;
  std::vector<Progress> ends_;
};

class WalWatcherTest : public ::testing::Test {
 protected:
  std::string dir() const { return tmp_.path() + "/data"; }
  std::string wal_dir() const { return dir() + "/wal"; }

  std::unique_ptr<tsdb::Db> OpenDb() {
    auto db = fake::OpenQuietDb(dir());
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return std::move(db).value();
  }

  // One commit per timestamp: series s0..s{n-1}, values t*10+i.
  static void Append(tsdb::Db* db, int series, int64_t from, int64_t count,
                     const std::string& name = "m") {
    for (int64_t t = from; t < from + count; ++t) {
      auto app = db->NewAppender();
      for (int i = 0; i < series; ++i) {
        auto l = model::Labels::FromPairs(
            {{"__name__", name}, {"s", std::to_string(i)}, {"job", "own"}});
        ASSERT_TRUE(app->Append(0, l, t, static_cast<double>(t * 10 + i)).ok());
      }
      ASSERT_TRUE(app->Commit().ok());
    }
  }

  WalWatcherOptions Options() {
    WalWatcherOptions o;
    o.name = "test";
    o.wal_dir = wal_dir();
    o.poll_interval = milliseconds(5);
    o.log = [this](std::string_view m) {
      std::lock_guard lock(log_mu_);
      log_.emplace_back(m);
    };
    return o;
  }

  bool Logged(std::string_view needle) {
    std::lock_guard lock(log_mu_);
    for (const auto& l : log_) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  // Writes records into a raw WAL directory, one Log call each; a new Wal
  // (so a new segment) per call of this function.
  static void WriteSegment(const std::string& dir,
                           const std::vector<std::string>& records) {
    auto wal = tsdb::wal::Wal::Open({}, dir);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    for (const std::string& r : records) {
      std::string_view v[] = {r};
      ASSERT_TRUE((*wal)->Log(v).ok());
    }
    ASSERT_TRUE((*wal)->Close().ok());
  }

  static std::string Series(uint64_t ref, std::string value) {
    record::RefSeries s{ref, {{"__name__", "raw"}, {"s", std::move(value)}}};
    return record::EncodeSeries(std::span(&s, 1));
  }
  static std::string Samples(std::vector<record::RefSample> s) {
    return record::EncodeSamples(s);
  }

  vigil::testing::TempDir tmp_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(WalWatcherTest, DeliversSamplesWithExternalLabelsInOrder) {
  auto db = OpenDb();
  Append(db.get(), 3, 1000, 5);
  FakeConsumer consumer;
  WalWatcherOptions o = Options();
  o.external_labels = {{"job", "ext"}, {"cluster", "c1"}, {"empty", ""}};
  WalWatcher w(o, &consumer);
  w.Start({.from_beginning = true});
  ASSERT_TRUE(consumer.WaitFor(15));
  Append(db.get(), 3, 1005, 2);  // tailing the live segment
  ASSERT_TRUE(consumer.WaitFor(21));
  std::vector<Got> want;
  for (int64_t t = 1000; t < 1007; ++t) {
    for (int i = 0; i < 3; ++i) {
      // Sorted by name; the series' own job wins over the external one.
      want.push_back({"__name__=m,cluster=c1,job=own,s=" + std::to_string(i), t,
                      static_cast<double>(t * 10 + i)});
    }
  }
  EXPECT_EQ(consumer.got(), want);
  EXPECT_EQ(w.num_series(), 3u);
  w.Stop();
  // The last end is the end of the WAL.
  EXPECT_EQ(consumer.ends().back().position, w.read_position());
  EXPECT_EQ(w.BacklogBytes(), 0u);
}

TEST_F(WalWatcherTest, StartsAtTheEndWithoutProgress) {
  auto db = OpenDb();
  Append(db.get(), 2, 1000, 10);
  FakeConsumer consumer;
  WalWatcher w(Options(), &consumer);
  w.Start({});
  // Appended right after Start() returns, before the thread has looked at
  // the WAL: new, so sent.
  Append(db.get(), 2, 1500, 1);
  std::this_thread::sleep_for(milliseconds(100));
  ASSERT_EQ(consumer.got().size(), 2u);
  EXPECT_EQ(consumer.got()[0], (Got{"__name__=m,job=own,s=0", 1500, 15000}));
  Append(db.get(), 2, 2000, 1);  // its series were logged before the start
  ASSERT_TRUE(consumer.WaitFor(4));
  EXPECT_EQ(consumer.got()[2], (Got{"__name__=m,job=own,s=0", 2000, 20000}));
  EXPECT_FALSE(Logged("inside a record"));
}

TEST_F(WalWatcherTest, ResumesFromProgress) {
  auto db = OpenDb();
  Append(db.get(), 2, 1000, 10);
  std::vector<Progress> ends;
  {
    FakeConsumer consumer;
    WalWatcher w(Options(), &consumer);
    w.Start({.from_beginning = true});
    ASSERT_TRUE(consumer.WaitFor(20));
    ends = consumer.ends();
  }
  // ends: series record, then one samples record per timestamp. Resume
  // after the 4th samples record.
  ASSERT_EQ(ends.size(), 11u);
  FakeConsumer consumer;
  WalWatcher w(Options(), &consumer);
  w.Start({.progress = ends[4]});
  ASSERT_TRUE(consumer.WaitFor(12));
  std::this_thread::sleep_for(milliseconds(50));
  const std::vector<Got> got = consumer.got();
  ASSERT_EQ(got.size(), 12u);
  EXPECT_EQ(got.front().t, 1004);
  EXPECT_EQ(got.back().t, 1009);
}

TEST_F(WalWatcherTest, FingerprintMismatchResendsFromTheStart) {
  auto db = OpenDb();
  Append(db.get(), 1, 1000, 3);
  FakeConsumer consumer;
  WalWatcher w(Options(), &consumer);
  Progress p{{0, 30}, /*segment_fingerprint=*/12345};
  w.Start({.progress = p});
  ASSERT_TRUE(consumer.WaitFor(3));
  EXPECT_EQ(consumer.got().front().t, 1000);
  EXPECT_TRUE(Logged("not the one the saved position was taken in"));
}

// wal.h: a reader of the live segment may see a half-written record. The
// watcher must neither skip it nor report damage: it waits for the rest.
TEST_F(WalWatcherTest, HalfWrittenRecordInLiveSegmentIsWaitedFor) {
  WriteSegment(wal_dir(), {Series(1, "a"), Samples({{1, 100, 1.5}})});
  // The frame of the next record, taken from a scratch WAL.
  const std::string scratch = tmp_.path() + "/scratch";
  WriteSegment(scratch, {Samples({{1, 200, 2.5}, {1, 300, 3.5}})});
  const std::string frame = *ReadFile(scratch + "/00000000");
  const std::string live = wal_dir() + "/00000000";
  auto append = [&](std::string_view bytes) {
    Result<int> fd = OpenFile(live, O_WRONLY | O_APPEND);
    ASSERT_TRUE(fd.ok());
    ASSERT_TRUE(WriteAll(*fd, bytes, live).ok());
    ::close(*fd);
  };
  const uint64_t complete = std::filesystem::file_size(live);
  append(frame.substr(0, frame.size() / 2));

  FakeConsumer consumer;
  WalWatcher w(Options(), &consumer);
  w.Start({.from_beginning = true});
  ASSERT_TRUE(consumer.WaitFor(1));
  std::this_thread::sleep_for(milliseconds(150));  // many polls
  EXPECT_EQ(consumer.got().size(), 1u);
  EXPECT_EQ(w.read_position(), (WalPosition{0, complete}));
  EXPECT_FALSE(Logged("damaged"));

  append(frame.substr(frame.size() / 2));
  ASSERT_TRUE(consumer.WaitFor(3));
  EXPECT_EQ(consumer.got(),
            (std::vector<Got>{{"__name__=raw,s=a", 100, 1.5},
                              {"__name__=raw,s=a", 200, 2.5},
                              {"__name__=raw,s=a", 300, 3.5}}));
  // The position moves once Consume() returned.
  const WalPosition end{0, complete + frame.size()};
  for (int i = 0; i < 1000 && w.read_position() != end; ++i) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  EXPECT_EQ(w.read_position(), end);
}

TEST_F(WalWatcherTest, DamagedClosedSegmentIsSkipped) {
  WriteSegment(wal_dir(), {Series(1, "a"), Samples({{1, 100, 1}})});
  WriteSegment(wal_dir(), {Samples({{1, 200, 2}})});  // segment 1
  {
    // Garbage after segment 0's records: a closed segment's damage.
    const std::string seg0 = wal_dir() + "/00000000";
    Result<int> fd = OpenFile(seg0, O_WRONLY | O_APPEND);
    ASSERT_TRUE(fd.ok());
    ASSERT_TRUE(WriteAll(*fd, std::string("\x01\x00\x00\x00\x02zzzzzz", 11), seg0).ok());
    ::close(*fd);
  }
  FakeConsumer consumer;
  WalWatcher w(Options(), &consumer);
  w.Start({.from_beginning = true});
  ASSERT_TRUE(consumer.WaitFor(2));
  EXPECT_EQ(consumer.got()[1], (Got{"__name__=raw,s=a", 200, 2}));
  EXPECT_TRUE(Logged("segment 00000000 is damaged"));
}

TEST_F(WalWatcherTest, TruncatedSegmentsAreCountedAndSeriesComeFromCheckpoint) {
  metrics::Registry registry;
  auto m = QueueMetrics::Create(&registry, "test", "http://x/");
  ASSERT_TRUE(m.ok());
  auto db = OpenDb();
  Append(db.get(), 2, 1000, 3);  // series records in segment 0
  // Checkpoint: segment 0 is folded into checkpoint.00000001 and deleted.
  ASSERT_TRUE(db->Checkpoint().ok());
  ASSERT_FALSE(std::filesystem::exists(wal_dir() + "/00000000"));
  ASSERT_TRUE(std::filesystem::exists(dir() + "/checkpoint.00000001"));
  Append(db.get(), 2, 2000, 2);  // segment 1: samples only

  FakeConsumer consumer;
  WalWatcherOptions o = Options();
  o.metrics = *m;
  WalWatcher w(o, &consumer);
  // A saved position in the deleted segment.
  w.Start({.progress = Progress{{0, 50}, 0}});
  ASSERT_TRUE(consumer.WaitFor(4));
  const std::vector<Got> got = consumer.got();
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], (Got{"__name__=m,job=own,s=0", 2000, 20000}));
  EXPECT_EQ(got[3], (Got{"__name__=m,job=own,s=1", 2001, 20011}));
  EXPECT_TRUE(Logged("were deleted by a checkpoint before they were sent"));
  EXPECT_EQ(metrics::testing::SeriesValue(
                registry, "vigil_remote_storage_wal_segments_lost_total",
                {{"remote_name", "test"}}),
            1);
  EXPECT_EQ(metrics::testing::SeriesValue(
                registry, "prometheus_remote_storage_samples_dropped_total",
                {{"remote_name", "test"}}),
            0);

  // Truncation while running: the watcher is in segment 1; two more
  // checkpoints delete segments 1 and 2 before it gets there... it reads
  // segment 1 to its end first (still open), then finds 2 gone.
  consumer.Block(true);
  Append(db.get(), 2, 3000, 1);          // segment 1, watcher blocked on it
  ASSERT_TRUE(db->Checkpoint().ok());    // -> segment 2, deletes 1
  Append(db.get(), 2, 4000, 1);          // segment 2
  ASSERT_TRUE(db->Checkpoint().ok());    // -> segment 3, deletes 2
  Append(db.get(), 2, 5000, 1);          // segment 3
  consumer.Block(false);
  ASSERT_TRUE(consumer.WaitFor(8));
  std::this_thread::sleep_for(milliseconds(50));
  const std::vector<Got> after = consumer.got();
  ASSERT_EQ(after.size(), 8u);
  EXPECT_EQ(after[4].t, 3000);
  EXPECT_EQ(after[6].t, 5000);  // 4000 was in the lost segment 2
  EXPECT_EQ(metrics::testing::SeriesValue(
                registry, "vigil_remote_storage_wal_segments_lost_total",
                {{"remote_name", "test"}}),
            2);
}

TEST_F(WalWatcherTest, CheckpointDropsSeriesTheHeadForgot) {
  metrics::Registry registry;
  auto m = QueueMetrics::Create(&registry, "test", "http://x/");
  ASSERT_TRUE(m.ok());
  WriteSegment(wal_dir(), {Series(1, "a"), Series(2, "b"),
                           Samples({{1, 100, 1}, {2, 100, 2}})});
  // checkpoint.00000001 keeps only series 2 (1 was dropped by the head).
  WriteSegment(dir() + "/checkpoint.00000001", {Series(2, "b")});
  WriteSegment(wal_dir(), {Samples({{2, 200, 3}, {1, 200, 4}})});
  FakeConsumer consumer;
  WalWatcherOptions o = Options();
  o.metrics = *m;
  WalWatcher w(o, &consumer);
  w.Start({.from_beginning = true});
  ASSERT_TRUE(consumer.WaitFor(3));
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(consumer.got(), (std::vector<Got>{{"__name__=raw,s=a", 100, 1},
                                              {"__name__=raw,s=b", 100, 2},
                                              {"__name__=raw,s=b", 200, 3}}));
  EXPECT_EQ(w.num_series(), 1u);
  EXPECT_EQ(metrics::testing::SeriesValue(
                registry, "prometheus_remote_storage_samples_dropped_total",
                {{"remote_name", "test"}}),
            1);
}

TEST_F(WalWatcherTest, BlockedConsumerStopsReadingAndLosesNothing) {
  auto db = OpenDb();
  FakeConsumer consumer;
  WalWatcher w(Options(), &consumer);
  w.Start({.from_beginning = true});
  consumer.Block(true);
  Append(db.get(), 5, 1000, 100);
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_GT(w.BacklogBytes(), 0u);
  consumer.Block(false);
  ASSERT_TRUE(consumer.WaitFor(500));
  EXPECT_EQ(consumer.got().size(), 500u);
}

TEST_F(WalWatcherTest, DrainReadsToTheEndThenStops) {
  auto db = OpenDb();
  Append(db.get(), 1, 1000, 50);
  FakeConsumer consumer;
  WalWatcher w(Options(), &consumer);
  w.Start({.from_beginning = true});
  w.RequestDrain();
  ASSERT_TRUE(w.WaitDone(std::chrono::steady_clock::now() + milliseconds(5000)));
  EXPECT_EQ(consumer.got().size(), 50u);
  w.Stop();
}

}  // namespace
}  // namespace vigil::remote
