#include "vigil/ml/job_tracker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "metrics/test_util.h"

namespace vigil::ml {
namespace {

using metrics::testing::FindSeries;

double Value(const metrics::Registry& r, const std::string& family,
             const std::vector<std::pair<std::string, std::string>>& want = {}) {
  return metrics::testing::SeriesValue(r, family, want);
}

struct Fake {
  double now = 100;
  int64_t memory = 1000;
};

JobTrackerOptions FakeOptions(Fake* fake) {
  JobTrackerOptions o;
  o.job_type = "reindex";
  o.monotonic_seconds = [fake] { return fake->now; };
  o.wall_seconds = [fake] { return 1.7e9 + fake->now; };
  o.memory_bytes = [fake] { return fake->memory; };
  return o;
}

TEST(JobTrackerTest, CompletedJobRecordsEverything) {
  metrics::Registry registry;
  Fake fake;
  auto created = JobTracker::Create(registry, FakeOptions(&fake));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  JobTracker& tracker = **created;
  Job job = tracker.Start();
  EXPECT_EQ(Value(registry, "active_jobs", {{"job_type", "reindex"}}), 1);
  {
    ChunkScope c = job.Chunk(500);  // small
    fake.now += 0.2;
    fake.memory = 5000;
  }
  {
    ChunkScope c = job.Chunk(2000);  // medium
    fake.now += 0.8;
    fake.memory = 3000;
  }
  job.RecordChunk(100000, 3.0);  // large
  job.RecordRetry("timeout");
  job.RecordRetry("timeout");
  job.AddRecords(10);
  fake.now += 1.0;  // 2 s in all
  ASSERT_TRUE(job.Finish(JobStatus::kCompleted).ok());
  fake.now += 5;
  EXPECT_DOUBLE_EQ(job.ElapsedSeconds(), 2.0);

  EXPECT_EQ(Value(registry, "active_jobs"), 0);
  EXPECT_EQ(Value(registry, "jobs_total", {{"status", "completed"}}), 1);
  const auto families = registry.Snapshot();
  const auto* d = FindSeries(families, "job_duration_seconds", {{"status", "completed"}});
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->count, 1u);
  EXPECT_DOUBLE_EQ(d->sum, 2.0);
  const auto* small = FindSeries(families, "job_chunk_duration_seconds", {{"size", "small"}});
  const auto* medium = FindSeries(families, "job_chunk_duration_seconds", {{"size", "medium"}});
  const auto* large = FindSeries(families, "job_chunk_duration_seconds", {{"size", "large"}});
  ASSERT_TRUE(small && medium && large);
  EXPECT_EQ(small->count, 1u);
  EXPECT_NEAR(small->sum, 0.2, 1e-9);
  EXPECT_EQ(medium->count, 1u);
  EXPECT_NEAR(medium->sum, 0.8, 1e-9);
  EXPECT_EQ(large->count, 1u);
  EXPECT_DOUBLE_EQ(large->sum, 3.0);
  EXPECT_EQ(Value(registry, "job_retries_total", {{"reason", "timeout"}}), 2);
  EXPECT_EQ(Value(registry, "job_records_processed_total"), 102510);
  EXPECT_EQ(job.records(), 102510u);
  EXPECT_DOUBLE_EQ(Value(registry, "job_throughput_records_per_second"), 102510 / 2.0);
  EXPECT_EQ(Value(registry, "job_memory_usage_bytes"), 3000);
  EXPECT_EQ(Value(registry, "job_peak_memory_usage_bytes"), 5000);
  EXPECT_EQ(tracker.peak_memory_bytes(), 5000);
  EXPECT_DOUBLE_EQ(Value(registry, "job_last_success_timestamp_seconds"), 1.7e9 + 102);
}

TEST(JobTrackerTest, HookRunsAfterMetricsAndItsStatusIsReturned) {
  metrics::Registry registry;
  Fake fake;
  JobTrackerOptions o = FakeOptions(&fake);
  double seen_failed = -1, seen_active = -1;
  o.on_job_end = [&] {
    seen_failed = Value(registry, "jobs_total", {{"status", "failed"}});
    seen_active = Value(registry, "active_jobs");
    return UnavailableError("gateway down");
  };
  auto created = JobTracker::Create(registry, o);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  JobTracker& tracker = **created;
  Job job = tracker.Start();
  Status s = job.Finish(JobStatus::kFailed);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(seen_failed, 1);
  EXPECT_EQ(seen_active, 0);
  // No success: the last-success gauge stays 0.
  EXPECT_EQ(Value(registry, "job_last_success_timestamp_seconds"), 0);
  EXPECT_EQ(job.Finish(JobStatus::kCompleted).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Value(registry, "jobs_total", {{"status", "completed"}}), -1);
}

TEST(JobTrackerTest, AbandonedJobCountsAsFailed) {
  metrics::Registry registry;
  Fake fake;
  int hooks = 0;
  JobTrackerOptions o = FakeOptions(&fake);
  o.on_job_end = [&] {
    ++hooks;
    return Status::OK();
  };
  auto created = JobTracker::Create(registry, o);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  JobTracker& tracker = **created;
  {
    Job job = tracker.Start();
    Job moved = std::move(job);  // the moved-from job does nothing
    EXPECT_EQ(tracker.active_jobs(), 1);
  }
  EXPECT_EQ(tracker.active_jobs(), 0);
  EXPECT_EQ(hooks, 1);
  EXPECT_EQ(Value(registry, "jobs_total", {{"status", "failed"}}), 1);
}

TEST(JobTrackerTest, ChunkAfterFinishIsNotCountedAndCancelledChunkIsNot) {
  metrics::Registry registry;
  Fake fake;
  auto created = JobTracker::Create(registry, FakeOptions(&fake));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  JobTracker& tracker = **created;
  Job job = tracker.Start();
  {
    ChunkScope cancelled = job.Chunk(10);
    cancelled.Cancel();
  }
  {
    ChunkScope late = job.Chunk(10);
    ASSERT_TRUE(job.Finish(JobStatus::kCancelled).ok());
  }
  EXPECT_EQ(Value(registry, "job_records_processed_total"), 0);
  EXPECT_EQ(Value(registry, "jobs_total", {{"status", "cancelled"}}), 1);
}

TEST(JobTrackerTest, ChunkOutlivesAMovedJob) {
  metrics::Registry registry;
  Fake fake;
  auto created = JobTracker::Create(registry, FakeOptions(&fake));
  ASSERT_TRUE(created.ok());
  std::vector<Job> jobs;
  jobs.push_back((*created)->Start());
  {
    ChunkScope chunk = jobs[0].Chunk(10);
    for (int i = 0; i < 8; ++i) jobs.push_back((*created)->Start());  // reallocates
    fake.now += 1;
  }  // counted against the job, which now lives elsewhere
  EXPECT_EQ(jobs[0].records(), 10u);
  EXPECT_EQ(Value(registry, "job_records_processed_total"), 10);
  {
    ChunkScope late = jobs[1].Chunk(5);
    jobs.erase(jobs.begin() + 1);  // the job is destroyed (finished as failed) first
  }
  EXPECT_EQ(Value(registry, "job_records_processed_total"), 10);
  EXPECT_EQ(Value(registry, "jobs_total", {{"status", "failed"}}), 1);
}

TEST(JobTrackerTest, PeakResetsWhenANewRunStarts) {
  metrics::Registry registry;
  Fake fake;
  auto created = JobTracker::Create(registry, FakeOptions(&fake));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  JobTracker& tracker = **created;
  fake.memory = 9000;
  ASSERT_TRUE(tracker.Start().Finish(JobStatus::kCompleted).ok());
  EXPECT_EQ(tracker.peak_memory_bytes(), 9000);
  fake.memory = 2000;
  Job second = tracker.Start();
  EXPECT_EQ(tracker.peak_memory_bytes(), 2000);
  EXPECT_EQ(Value(registry, "job_peak_memory_usage_bytes"), 2000);
  // Unknown memory (negative) leaves the gauges alone.
  fake.memory = -1;
  second.SampleMemory();
  EXPECT_EQ(Value(registry, "job_memory_usage_bytes"), 2000);
}

TEST(JobTrackerTest, CreateErrors) {
  metrics::Registry registry;
  EXPECT_FALSE(JobTracker::Create(registry, {.job_type = ""}).ok());
  EXPECT_FALSE(
      JobTracker::Create(registry, {.small_chunk_records = 10, .large_chunk_records = 5}).ok());
  registry.MustAddGauge({.name = "jobs_total", .help = "Clash."});
  Result<std::unique_ptr<JobTracker>> clash = JobTracker::Create(registry);
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.status().message().find("jobs_total"), std::string_view::npos)
      << clash.status().ToString();
  // The same options twice in one registry share the families.
  metrics::Registry shared;
  EXPECT_TRUE(JobTracker::Create(shared).ok());
  EXPECT_TRUE(JobTracker::Create(shared).ok());
}

TEST(JobTrackerTest, DefaultMemoryReaderReadsProc) {
  metrics::Registry registry;
  auto created = JobTracker::Create(registry, {.job_type = "real"});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  JobTracker& tracker = **created;
  Job job = tracker.Start();
  // The test process has some resident memory.
  EXPECT_GT(Value(registry, "job_memory_usage_bytes"), 1 << 20);
  ASSERT_TRUE(job.Finish(JobStatus::kCompleted).ok());
  EXPECT_GT(Value(registry, "job_last_success_timestamp_seconds"), 1.6e9);
}

TEST(JobTrackerTest, ChunksFromManyThreads) {
  metrics::Registry registry;
  auto created = JobTracker::Create(registry, {.job_type = "parallel"});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  JobTracker& tracker = **created;
  Job job = tracker.Start();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&job] {
      for (int i = 0; i < 1000; ++i) {
        ChunkScope c = job.Chunk(3);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(job.Finish(JobStatus::kCompleted).ok());
  EXPECT_EQ(job.records(), 12000u);
  EXPECT_EQ(Value(registry, "job_records_processed_total"), 12000);
  const auto families = registry.Snapshot();
  EXPECT_EQ(FindSeries(families, "job_chunk_duration_seconds", {{"size", "small"}})->count, 4000u);
}

}  // namespace
}  // namespace vigil::ml
