#include "remote/write_storage.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "base/test_util.h"
#include "metrics/test_util.h"
#include "remote/fake_remote_test_util.h"
#include "tsdb/db.h"

namespace vigil::remote {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;
using fake::FakeRemote;
using metrics::testing::SeriesValue;

constexpr uint64_t kStaleNaN = 0x7ff0000000000002;

// Value of sample t of series i; some are special.
double Value(int64_t t, int i) {
  if (t % 97 == 5) return std::bit_cast<double>(kStaleNaN);
  if (t % 89 == 3) return -0.0;
  return static_cast<double>(t) * 0.5 + i;
}

bool SameBits(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

class WriteStorageTest : public ::testing::Test {
 protected:
  std::string dir() const { return tmp_.path() + "/data"; }
  std::string progress_dir() const { return tmp_.path() + "/data/remote_write"; }

  void OpenDb() {
    auto db = fake::OpenQuietDb(dir());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }

  // Series m{s="0".."n-1"}, one commit per timestamp in [from, to).
  void Append(int series, int64_t from, int64_t to) {
    for (int64_t t = from; t < to; ++t) {
      auto app = db_->NewAppender();
      for (int i = 0; i < series; ++i) {
        auto l = model::Labels::FromPairs(
            {{"__name__", "m"}, {"s", std::to_string(i)}});
        ASSERT_TRUE(app->Append(0, l, t, Value(t, i)).ok());
      }
      ASSERT_TRUE(app->Commit().ok());
    }
  }

  std::unique_ptr<WriteStorage> Storage(bool send_existing = true) {
    WriteStorageOptions o;
    o.send_existing_wal = send_existing;
    o.wal_poll_interval = milliseconds(5);
    o.progress_save_interval = milliseconds(20);
    o.log = [this](std::string_view m) {
      std::lock_guard lock(log_mu_);
      log_.emplace_back(m);
    };
    auto s = WriteStorage::Create(o, dir() + "/wal", progress_dir(), &registry_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return std::move(s).value();
  }

  RemoteWriteConfig Config(const FakeRemote& remote) {
    RemoteWriteConfig c;
    c.url = remote.url();
    c.name = "fake";
    c.remote_timeout = milliseconds(10000);
    c.queue_config.max_samples_per_send = 500;
    c.queue_config.batch_send_deadline = milliseconds(20);
    c.queue_config.min_backoff = milliseconds(5);
    c.queue_config.max_backoff = milliseconds(50);
    return c;
  }

  double Metric(const std::string& name) {
    return SeriesValue(registry_, name, {{"remote_name", "fake"}});
  }

  // Every series received holds exactly the samples [from, to), in order,
  // each once, with the external labels.
  void ExpectExactly(const FakeRemote& remote, int series, int64_t from,
                     int64_t to, const std::string& extra = "") {
    const auto got = remote.series();
    ASSERT_EQ(got.size(), static_cast<size_t>(series));
    for (int i = 0; i < series; ++i) {
      const std::string key =
          "__name__=m" + extra + ",s=" + std::to_string(i);
      ASSERT_TRUE(got.count(key)) << key;
      const auto& samples = got.at(key);
      ASSERT_EQ(samples.size(), static_cast<size_t>(to - from)) << key;
      for (int64_t t = from; t < to; ++t) {
        const WriteSample& s = samples[static_cast<size_t>(t - from)];
        ASSERT_EQ(s.t, t) << key;
        ASSERT_TRUE(SameBits(s.v, Value(t, i))) << key << " t=" << t;
      }
    }
  }

  bool Logged(std::string_view needle) {
    std::lock_guard lock(log_mu_);
    for (const auto& l : log_) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  vigil::testing::TempDir tmp_;
  metrics::Registry registry_;
  std::unique_ptr<tsdb::Db> db_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(WriteStorageTest, SendsExactSamplesWithExternalLabels) {
  OpenDb();
  FakeRemote remote;
  ASSERT_TRUE(remote.Start().ok());
  Append(20, 1, 200);  // before the storage starts: send_existing_wal
  auto rw = Storage();
  ASSERT_TRUE(rw->ApplyConfig({Config(remote)},
                              model::Labels::FromPairs({{"cluster", "c1"}}))
                  .ok());
  rw->Start();
  Append(20, 200, 400);  // while it runs
  ASSERT_TRUE(remote.WaitForSamples(20 * 399));
  rw->Stop(milliseconds(5000));
  ExpectExactly(remote, 20, 1, 400, ",cluster=c1");
  EXPECT_TRUE(remote.errors().empty());
  EXPECT_EQ(Metric("prometheus_remote_storage_samples_total"), 20 * 399);
  EXPECT_EQ(Metric("prometheus_remote_storage_samples_dropped_total"), 0);
  EXPECT_EQ(SeriesValue(registry_,
                        "prometheus_remote_storage_highest_timestamp_in_seconds",
                        {}),
            0.399);
  // The progress file holds the end of the WAL.
  auto p = ReadProgress(progress_dir() + "/fake.progress");
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_EQ((*p)->position.segment, 0);
  EXPECT_EQ((*p)->position.offset,
            std::filesystem::file_size(dir() + "/wal/00000000"));
}

TEST_F(WriteStorageTest, RemoteDownThenUpLosesNothing) {
  OpenDb();
  int port;
  {
    FakeRemote probe;  // a free port, closed again
    ASSERT_TRUE(probe.Start().ok());
    port = probe.port();
  }
  FakeRemote remote(port);
  auto rw = Storage();
  RemoteWriteConfig c = Config(remote);
  c.url = "http://127.0.0.1:" + std::to_string(port) + "/api/v1/write";
  ASSERT_TRUE(rw->ApplyConfig({c}).ok());
  rw->Start();
  Append(10, 1, 301);
  const auto deadline = SteadyClock::now() + milliseconds(5000);
  while (Metric("prometheus_remote_storage_samples_retried_total") < 300 &&
         SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_GE(Metric("prometheus_remote_storage_samples_retried_total"), 300);
  EXPECT_TRUE(Logged("retrying"));
  ASSERT_TRUE(remote.Start().ok());  // comes up
  ASSERT_TRUE(remote.WaitForSamples(3000));
  std::this_thread::sleep_for(milliseconds(100));
  rw->Stop(milliseconds(5000));
  ExpectExactly(remote, 10, 1, 301);
  EXPECT_EQ(Metric("prometheus_remote_storage_samples_failed_total"), 0);
  EXPECT_EQ(Metric("prometheus_remote_storage_samples_dropped_total"), 0);
}

TEST_F(WriteStorageTest, BadRequestDropsWithCountAndMovesOn) {
  OpenDb();
  FakeRemote remote;
  ASSERT_TRUE(remote.Start().ok());
  remote.SetStatus(400);
  auto rw = Storage();
  ASSERT_TRUE(rw->ApplyConfig({Config(remote)}).ok());
  rw->Start();
  Append(5, 1, 101);
  const auto deadline = SteadyClock::now() + milliseconds(5000);
  while (Metric("prometheus_remote_storage_samples_failed_total") < 500 &&
         SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(Metric("prometheus_remote_storage_samples_failed_total"), 500);
  EXPECT_EQ(Metric("prometheus_remote_storage_samples_retried_total"), 0);
  EXPECT_TRUE(Logged("non-recoverable error"));
  EXPECT_TRUE(Logged("400"));
  remote.SetStatus(204);
  Append(5, 101, 111);
  ASSERT_TRUE(remote.WaitForSamples(50));
  rw->Stop(milliseconds(5000));
  ExpectExactly(remote, 5, 101, 111);  // the refused ones are not re-sent
}

TEST_F(WriteStorageTest, RestartResumesFromProgressWithoutDuplicates) {
  OpenDb();
  FakeRemote remote;
  ASSERT_TRUE(remote.Start().ok());
  {
    auto rw = Storage(/*send_existing=*/false);
    ASSERT_TRUE(rw->ApplyConfig({Config(remote)}).ok());
    rw->Start();
    std::this_thread::sleep_for(milliseconds(50));  // at the WAL's end
    Append(8, 1, 101);
    ASSERT_TRUE(remote.WaitForSamples(800));
    rw->Stop(milliseconds(5000));
  }
  // Written while no storage runs, then across a tsdb restart (new
  // segment).
  Append(8, 101, 151);
  db_.reset();
  OpenDb();
  Append(8, 151, 201);
  {
    auto rw = Storage(/*send_existing=*/false);  // the progress file wins
    ASSERT_TRUE(rw->ApplyConfig({Config(remote)}).ok());
    rw->Start();
    ASSERT_TRUE(remote.WaitForSamples(1600));
    std::this_thread::sleep_for(milliseconds(100));
    rw->Stop(milliseconds(5000));
  }
  ExpectExactly(remote, 8, 1, 201);
  EXPECT_EQ(remote.samples(), 1600u);
}

TEST_F(WriteStorageTest, FullQueueStopsTheWatcherInsteadOfDropping) {
  OpenDb();
  FakeRemote remote;
  ASSERT_TRUE(remote.Start().ok());
  remote.Hold();
  RemoteWriteConfig c = Config(remote);
  c.queue_config.capacity = 20;
  c.queue_config.max_samples_per_send = 10;
  c.queue_config.max_shards = 1;
  auto rw = Storage();
  ASSERT_TRUE(rw->ApplyConfig({c}).ok());
  rw->Start();
  Append(10, 1, 51);
  std::this_thread::sleep_for(milliseconds(200));
  // One request in flight, the shard full, the watcher waiting.
  EXPECT_EQ(remote.held(), 1u);
  const RemoteQueueStatus st = rw->Queues().at(0);
  EXPECT_EQ(st.queue.pending_samples, 20);
  EXPECT_GT(Metric("prometheus_remote_storage_enqueue_retries_total"), 0);
  EXPECT_LT(st.read_position.offset,
            std::filesystem::file_size(dir() + "/wal/00000000"));
  remote.Release();
  ASSERT_TRUE(remote.WaitForSamples(500));
  rw->Stop(milliseconds(5000));
  ExpectExactly(remote, 10, 1, 51);
  EXPECT_EQ(Metric("prometheus_remote_storage_samples_dropped_total"), 0);
}

TEST_F(WriteStorageTest, StopReturnsWithinTheDrainTimeout) {
  OpenDb();
  FakeRemote remote;
  ASSERT_TRUE(remote.Start().ok());
  remote.Hold();  // never answers during the test
  RemoteWriteConfig c = Config(remote);
  c.remote_timeout = milliseconds(60000);
  auto rw = Storage();
  ASSERT_TRUE(rw->ApplyConfig({c}).ok());
  rw->Start();
  Append(10, 1, 101);
  std::this_thread::sleep_for(milliseconds(100));
  const auto before = SteadyClock::now();
  rw->Stop(milliseconds(300));
  const auto took = SteadyClock::now() - before;
  EXPECT_GE(took, milliseconds(290));
  EXPECT_LT(took, milliseconds(2000));
  // Nothing was acknowledged: the saved position is before the samples.
  auto p = ReadProgress(progress_dir() + "/fake.progress");
  ASSERT_TRUE(p.ok());
  if (p->has_value()) {
    EXPECT_LT((*p)->position.offset,
              std::filesystem::file_size(dir() + "/wal/00000000") / 2);
  }
  remote.Release();
}

TEST_F(WriteStorageTest, StopDrainsWhatTheWalHolds) {
  OpenDb();
  FakeRemote remote;
  ASSERT_TRUE(remote.Start().ok());
  RemoteWriteConfig c = Config(remote);
  c.queue_config.batch_send_deadline = milliseconds(60000);  // only drain sends
  c.queue_config.max_samples_per_send = 1000000;
  auto rw = Storage();
  ASSERT_TRUE(rw->ApplyConfig({c}).ok());
  rw->Start();
  Append(3, 1, 11);
  rw->Stop(milliseconds(5000));
  EXPECT_EQ(remote.samples(), 30u);
  ExpectExactly(remote, 3, 1, 11);
}

TEST_F(WriteStorageTest, ManyShardsKeepEachSeriesInOrder) {
  OpenDb();
  FakeRemote remote;
  ASSERT_TRUE(remote.Start().ok());
  RemoteWriteConfig c = Config(remote);
  c.queue_config.min_shards = 8;
  c.queue_config.max_shards = 8;
  c.queue_config.max_samples_per_send = 7;
  auto rw = Storage();
  ASSERT_TRUE(rw->ApplyConfig({c}).ok());
  rw->Start();
  Append(20, 1, 31);
  ASSERT_TRUE(remote.WaitForSamples(600));
  EXPECT_EQ(rw->Queues().at(0).queue.shards, 8);
  rw->Stop(milliseconds(5000));
  ExpectExactly(remote, 20, 1, 31);  // arrival order = time order
}

TEST_F(WriteStorageTest, ReshardsUpUnderABacklog) {
  OpenDb();
  FakeRemote remote;
  ASSERT_TRUE(remote.Start().ok());
  Append(100, 1, 101);  // 10000 samples waiting
  RemoteWriteConfig c = Config(remote);
  c.queue_config.max_samples_per_send = 50;
  c.queue_config.max_shards = 8;
  WriteStorageOptions o;
  o.send_existing_wal = true;
  o.wal_poll_interval = milliseconds(5);
  o.shard_update_interval = milliseconds(200);
  o.log = [](std::string_view) {};
  auto rw = WriteStorage::Create(o, dir() + "/wal", progress_dir(), &registry_);
  ASSERT_TRUE(rw.ok());
  remote.SetDelay(milliseconds(10));  // a slow remote
  ASSERT_TRUE((*rw)->ApplyConfig({c}).ok());
  (*rw)->Start();
  const auto deadline = SteadyClock::now() + milliseconds(4000);
  int shards = 1;
  while (shards == 1 && SteadyClock::now() < deadline) {
    shards = (*rw)->Queues().at(0).queue.shards;
    std::this_thread::sleep_for(milliseconds(20));
  }
  remote.SetDelay(milliseconds(0));
  EXPECT_GT(shards, 1);
  ASSERT_TRUE(remote.WaitForSamples(10000));
  (*rw)->Stop(milliseconds(5000));
  ExpectExactly(remote, 100, 1, 101);
}

TEST_F(WriteStorageTest, ApplyConfigAddsChangesAndRemovesQueues) {
  OpenDb();
  FakeRemote a, b;
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  auto rw = Storage();
  RemoteWriteConfig ca = Config(a);
  RemoteWriteConfig cb = Config(b);
  cb.name = "second";
  ASSERT_TRUE(rw->ApplyConfig({ca}).ok());
  rw->Start();
  Append(2, 1, 11);
  ASSERT_TRUE(a.WaitForSamples(20));
  ASSERT_TRUE(rw->ApplyConfig({ca, cb}).ok());  // b starts from the WAL's start
  ASSERT_TRUE(b.WaitForSamples(20));
  std::this_thread::sleep_for(milliseconds(100));  // acknowledged
  ca.queue_config.max_samples_per_send = 3;  // changed: restarted, resumes
  ASSERT_TRUE(rw->ApplyConfig({ca, cb}).ok());
  Append(2, 11, 21);
  ASSERT_TRUE(a.WaitForSamples(40));
  ASSERT_TRUE(b.WaitForSamples(40));
  ASSERT_TRUE(rw->ApplyConfig({cb}).ok());  // a removed
  EXPECT_EQ(rw->Queues().size(), 1u);
  EXPECT_EQ(SeriesValue(registry_, "prometheus_remote_storage_samples_total",
                        {{"remote_name", "fake"}}),
            -1);  // its metrics are gone
  Append(2, 21, 31);
  ASSERT_TRUE(b.WaitForSamples(60));
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(a.samples(), 40u);
  rw->Stop(milliseconds(5000));
  ExpectExactly(a, 2, 1, 21);
  ExpectExactly(b, 2, 1, 31);
  RemoteWriteConfig dup = ca;
  EXPECT_FALSE(rw->ApplyConfig({dup, dup}).ok());
}

}  // namespace
}  // namespace vigil::remote
