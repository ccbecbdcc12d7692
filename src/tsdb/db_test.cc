#include "tsdb/db.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "tsdb/wal/wal.h"

namespace vigil::tsdb {
namespace {
namespace fs = std::filesystem;
using model::Labels;
using model::Matcher;
using model::MatchType;

class DbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil_db_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    opts_.checkpoint_interval = std::chrono::milliseconds(0);
    opts_.retention_interval = std::chrono::milliseconds(0);
    opts_.wal_fsync_interval = std::chrono::milliseconds(0);
    opts_.warning_sink = [this](std::string_view m) {
      warnings_.emplace_back(m);
    };
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }

  void Open() {
    db_.reset();
    auto db = Db::Open(opts_, dir_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }

  static Labels Series(int i) {
    return Labels::FromPairs(
        {{"__name__", "m"}, {"i", std::to_string(i)}, {"job", "test"}});
  }

  // Appends samples t = from..to-1 (step 1000 ms) for n series; value
  // encodes (series, t) so reads can be checked exactly.
  void Write(int n, int64_t from, int64_t to) {
    auto app = db_->NewAppender();
    for (int64_t t = from; t < to; ++t) {
      for (int i = 0; i < n; ++i) {
        ASSERT_TRUE(app->Append(0, Series(i), t * 1000, Value(i, t)).ok());
      }
      if (t % 50 == 0) {
        ASSERT_TRUE(app->Commit().ok());
      }
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  static double Value(int i, int64_t t) { return i * 1e6 + t; }

  // series index -> timestamps (seconds) read back, checking values.
  std::map<int, std::vector<int64_t>> ReadAll() {
    std::map<int, std::vector<int64_t>> out;
    auto q = db_->NewQuerier(INT64_MIN, INT64_MAX).value();
    auto m = Matcher::Make(MatchType::kEqual, "job", "test").value();
    auto set = q->Select(std::span(&m, 1));
    while (set->Next()) {
      int i = std::stoi(std::string(set->At().labels().Get("i")));
      auto it = set->At().NewIterator();
      while (it->Next()) {
        auto [t, v] = it->At();
        EXPECT_EQ(v, Value(i, t / 1000)) << i << " " << t;
        out[i].push_back(t / 1000);
      }
      EXPECT_TRUE(it->status().ok());
    }
    return out;
  }

  static bool Contiguous(const std::vector<int64_t>& ts, int64_t from,
                         int64_t to) {
    if (ts.size() != static_cast<size_t>(to - from)) return false;
    for (int64_t t = from; t < to; ++t) {
      if (ts[t - from] != t) return false;
    }
    return true;
  }

  std::string dir_;
  DbOptions opts_;
  std::unique_ptr<Db> db_;
  std::vector<std::string> warnings_;
};

TEST_F(DbTest, ReopenReplaysWal) {
  Open();
  Write(10, 0, 500);
  Open();  // reopen
  EXPECT_EQ(db_->recovery().series, 10u);
  EXPECT_EQ(db_->recovery().samples, 5000u);
  auto all = ReadAll();
  ASSERT_EQ(all.size(), 10u);
  for (auto& [i, ts] : all) EXPECT_TRUE(Contiguous(ts, 0, 500)) << i;
  // Appending continues after the recovered data, with fresh refs.
  Write(11, 500, 510);
  EXPECT_EQ(ReadAll().size(), 11u);
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(DbTest, CheckpointTruncatesWalAndRecovers) {
  opts_.wal_segment_size_bytes = 16 << 10;  // many small segments
  Open();
  Write(20, 0, 400);
  auto before = wal::ListSegments(dir_ + "/wal").value();
  ASSERT_GT(before.last - before.first, 3);
  ASSERT_TRUE(db_->Checkpoint().ok());
  auto after = wal::ListSegments(dir_ + "/wal").value();
  EXPECT_EQ(after.first, before.last + 1);
  EXPECT_TRUE(fs::exists(dir_ + "/chunks/00000000"));
  Write(20, 400, 450);  // after the checkpoint: in the WAL only
  Open();
  EXPECT_GE(db_->recovery().checkpoint, 0);
  EXPECT_GT(db_->recovery().chunks, 0u);
  auto all = ReadAll();
  ASSERT_EQ(all.size(), 20u);
  for (auto& [i, ts] : all) EXPECT_TRUE(Contiguous(ts, 0, 450)) << i;
  // A second checkpoint writes only the new chunks.
  ASSERT_TRUE(db_->Checkpoint().ok());
  Write(20, 450, 600);
  ASSERT_TRUE(db_->Checkpoint().ok());
  Open();
  all = ReadAll();
  for (auto& [i, ts] : all) EXPECT_TRUE(Contiguous(ts, 0, 600)) << i;
  int checkpoints = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    if (e.path().filename().string().starts_with("checkpoint.")) ++checkpoints;
  }
  EXPECT_EQ(checkpoints, 1);
  EXPECT_TRUE(warnings_.empty()) << warnings_[0];
}

TEST_F(DbTest, CheckpointLargerThanItsWriteBuffersRecovers) {
  // More chunk bytes and open-chunk samples than one buffered write or one
  // record holds: the checkpoint streams them in pieces.
  Open();
  Write(6000, 0, 250);
  ASSERT_TRUE(db_->Checkpoint().ok());
  EXPECT_GT(fs::file_size(dir_ + "/chunks/00000000"), 1u << 20);
  for (const auto& e : fs::directory_iterator(dir_ + "/chunks")) {
    EXPECT_EQ(e.path().extension(), "") << e.path();
  }
  Open();
  EXPECT_EQ(db_->recovery().series, 6000u);
  auto all = ReadAll();
  ASSERT_EQ(all.size(), 6000u);
  for (auto& [i, ts] : all) {
    ASSERT_TRUE(Contiguous(ts, 0, 250)) << i;
  }
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(DbTest, TornWalTailIsTruncatedWithWarning) {
  Open();
  Write(3, 0, 100);
  {
    // A batch whose record will be torn.
    auto app = db_->NewAppender();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(app->Append(0, Series(i), 100000, 1).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  db_.reset();
  auto segs = wal::ListSegments(dir_ + "/wal").value();
  std::string last = dir_ + "/wal/" + wal::SegmentName(segs.last);
  uint64_t size = fs::file_size(last);
  ASSERT_GT(size, 10u);
  fs::resize_file(last, size - 5);
  Open();
  ASSERT_FALSE(warnings_.empty());
  EXPECT_NE(warnings_[0].find(last), std::string::npos) << warnings_[0];
  EXPECT_NE(warnings_[0].find("offset"), std::string::npos) << warnings_[0];
  auto all = ReadAll();
  ASSERT_EQ(all.size(), 3u);
  for (auto& [i, ts] : all) EXPECT_TRUE(Contiguous(ts, 0, 100)) << i;
}

TEST_F(DbTest, TimeRetentionDropsWholeChunksAndFiles) {
  opts_.retention = std::chrono::seconds(300);
  opts_.samples_per_chunk = 60;
  Open();
  Write(2, 0, 600);  // 600 s of data, 10 chunks per series
  ASSERT_TRUE(db_->Checkpoint().ok());
  Write(2, 600, 1200);
  ASSERT_TRUE(db_->Checkpoint().ok());
  EXPECT_TRUE(fs::exists(dir_ + "/chunks/00000000"));
  ASSERT_TRUE(db_->ApplyRetention().ok());
  // Newest is 1199 s; cutoff 899 s: chunks ending before it are gone.
  auto all = ReadAll();
  for (auto& [i, ts] : all) {
    ASSERT_FALSE(ts.empty());
    EXPECT_EQ(ts.front(), 840) << i;  // chunk [840, 899] ends at the cutoff
    EXPECT_TRUE(Contiguous(ts, 840, 1200));
  }
  // The first chunk file held only expired chunks.
  EXPECT_FALSE(fs::exists(dir_ + "/chunks/00000000"));
  EXPECT_TRUE(fs::exists(dir_ + "/chunks/00000001"));
  Open();
  for (auto& [i, ts] : ReadAll()) EXPECT_EQ(ts.front(), 840);
}

TEST_F(DbTest, SizeRetentionDeletesOldestChunkFiles) {
  opts_.retention = std::chrono::milliseconds(0);
  opts_.samples_per_chunk = 60;
  Open();
  for (int round = 0; round < 5; ++round) {
    Write(50, round * 600, (round + 1) * 600);
    ASSERT_TRUE(db_->Checkpoint().ok());
  }
  uint64_t full = db_->DiskBytes();
  opts_.retention_size_bytes = full / 2;
  Open();
  ASSERT_TRUE(db_->ApplyRetention().ok());
  EXPECT_LE(db_->DiskBytes(), full / 2);
  auto all = ReadAll();
  ASSERT_EQ(all.size(), 50u);
  for (auto& [i, ts] : all) {
    EXPECT_GT(ts.front(), 0);
    EXPECT_EQ(ts.back(), 2999);
  }
}

TEST_F(DbTest, BackgroundThreadCheckpoints) {
  opts_.checkpoint_interval = std::chrono::milliseconds(20);
  Open();
  Write(5, 0, 300);
  for (int i = 0; i < 500 && !fs::exists(dir_ + "/chunks/00000000"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(fs::exists(dir_ + "/chunks/00000000"));
  ASSERT_TRUE(db_->Close().ok());
  Open();
  for (auto& [i, ts] : ReadAll()) EXPECT_TRUE(Contiguous(ts, 0, 300));
}

TEST_F(DbTest, BadOptionsAreErrors) {
  opts_.samples_per_chunk = 1;
  EXPECT_EQ(Db::Open(opts_, dir_).status().code(),
            StatusCode::kInvalidArgument);
}

// The crash test: a child process ingests, checkpointing now and then, and
// reports each acknowledged commit through a pipe; the parent kills it
// with SIGKILL mid-ingest and checks that a restart has every acknowledged
// sample.
TEST_F(DbTest, KillNineLosesNothingAcknowledged) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    DbOptions o = opts_;
    o.warning_sink = nullptr;
    o.wal_fsync_interval = std::chrono::milliseconds(100);  // not per commit
    o.checkpoint_interval = std::chrono::milliseconds(30);
    o.samples_per_chunk = 30;
    o.wal_segment_size_bytes = 64 << 10;
    auto db = Db::Open(o, dir_);
    if (!db.ok()) _exit(2);
    auto app = db.value()->NewAppender();
    for (int64_t t = 0;; ++t) {
      for (int i = 0; i < 20; ++i) {
        if (!app->Append(0, Series(i), t * 1000, Value(i, t)).ok()) _exit(3);
      }
      if (!app->Commit().ok()) _exit(4);
      // Acknowledged: tell the parent.
      if (write(fds[1], &t, sizeof(t)) != sizeof(t)) _exit(5);
    }
  }
  close(fds[1]);
  int64_t acked = -1, t;
  while (acked < 3000 && read(fds[0], &t, sizeof(t)) == sizeof(t)) acked = t;
  kill(pid, SIGKILL);
  // Drain what the child acknowledged before it died.
  while (read(fds[0], &t, sizeof(t)) == sizeof(t)) acked = t;
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  ASSERT_GE(acked, 3000);
  Open();
  auto all = ReadAll();
  ASSERT_EQ(all.size(), 20u);
  for (auto& [i, ts] : all) {
    ASSERT_GE(ts.size(), static_cast<size_t>(acked + 1)) << i;
    // Every acknowledged sample, in order, no gaps; at most the one
    // unacknowledged batch beyond.
    for (int64_t k = 0; k <= acked; ++k) ASSERT_EQ(ts[k], k) << i;
    EXPECT_LE(ts.size(), static_cast<size_t>(acked + 2));
  }
}

}  // namespace
}  // namespace vigil::tsdb
