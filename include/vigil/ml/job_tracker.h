// JobTracker: metrics for batch jobs (seed 004's batch-processing metrics):
// jobs by status, duration, retries by reason, chunk timing by size class,
// active jobs, records and throughput, current and peak memory. At the end
// of every job a hook runs, usually a Pushgateway push, so short-lived jobs
// leave their metrics behind (seed 002's training-job push).
//
//   vigil::metrics::Registry registry({.prefix = "reindex"});
//   auto gateway = vigil::exporter::Pushgateway::Create(
//       {.url = "http://127.0.0.1:9091", .job = "reindex", .registry = &registry});
//   auto tracker = vigil::ml::JobTracker::Create(registry, {.job_type = "reindex",
//       .on_job_end = [&] { return (*gateway)->Push(); }});
//   if (!tracker.ok()) { /* a family clash in the registry */ }
//   vigil::ml::Job job = (*tracker)->Start();
//   for (const Chunk& c : chunks) {
//     vigil::ml::ChunkScope scope = job.Chunk(c.size());   // times the chunk
//     if (!Process(c)) { job.RecordRetry("timeout"); ... }
//   }
//   vigil::Status pushed = job.Finish(vigil::ml::JobStatus::kCompleted);
//
// Families (the registry's prefix goes in front; every one carries job_type):
//   jobs_total{job_type,status}                 counter   seed: jobs_total
//   job_duration_seconds{job_type,status}       histogram seed: job_duration_seconds
//   active_jobs{job_type}                       gauge     seed: active_jobs
//   job_retries_total{job_type,reason}          counter   seed: job_retries_total
//   job_chunk_duration_seconds{job_type,size}   histogram seed: chunk metrics with
//                                                         size categorisation
//   job_records_processed_total{job_type}       counter
//   job_throughput_records_per_second{job_type} gauge     seed: data_throughput_records_per_second
//   job_memory_usage_bytes{job_type}            gauge     seed: memory_usage_mb (in bytes)
//   job_peak_memory_usage_bytes{job_type}       gauge     seed: peak_memory_usage_mb
//   job_last_success_timestamp_seconds{job_type} gauge    (Prometheus' batch-job practice)
// status is "completed", "failed" or "cancelled"; size is "small" (fewer
// than small_chunk_records), "medium" or "large" (large_chunk_records or
// more).
//
// Memory is sampled (resident set size from /proc/self/statm unless
// options.memory_bytes says otherwise) when a job starts, after every chunk
// and when it finishes. The peak is the highest sample since the tracker
// last went from no active job to one. Throughput is the job's records per
// second of its run time, updated after every chunk and at the end.
//
// A Job destroyed without Finish() is finished as failed (an early return
// or an error path must not leave active_jobs up); its hook still runs.
//
// Thread safety: JobTracker and Job are thread-safe (a job's chunks may run
// on several worker threads). A ChunkScope belongs to one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/metrics/registry.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::ml {

enum class JobStatus { kCompleted, kFailed, kCancelled };
// "completed", "failed", "cancelled".
std::string_view JobStatusName(JobStatus status);

struct JobTrackerOptions {
  std::string job_type = "batch";
  // Job durations: 1 s to 4 h.
  std::vector<double> duration_buckets = {1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400};
  // Chunk durations: 10 ms to about 40 s.
  std::vector<double> chunk_buckets = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40};
  uint64_t small_chunk_records = 1000;
  uint64_t large_chunk_records = 100000;
  // Runs after a job's metrics are recorded; its status is Finish()'s.
  std::function<Status()> on_job_end;
  // Resident memory in bytes, negative when unknown; default /proc/self/statm.
  std::function<int64_t()> memory_bytes;
  // Clocks for tests: monotonic seconds (durations) and seconds since the
  // epoch (last success); defaults steady_clock and system_clock.
  std::function<double()> monotonic_seconds;
  std::function<double()> wall_seconds;
};

class JobTracker;
class Job;

namespace internal {
// A job's state, shared by the Job and its ChunkScopes so that a chunk may
// end after the Job object was moved or destroyed.
struct JobState {
  std::atomic<JobTracker*> tracker{nullptr};  // null once finished
  double start = 0;
  std::atomic<uint64_t> records{0};
  std::atomic<double> duration{0};   // set when finished
};
}  // namespace internal

// Times one chunk and counts its records when it ends (RAII). A chunk that
// ends after its job finished is not counted.
class ChunkScope {
 public:
  ChunkScope(ChunkScope&& other) noexcept = default;
  ChunkScope& operator=(ChunkScope&&) = delete;
  ChunkScope(const ChunkScope&) = delete;
  ~ChunkScope();
  // Ends the chunk without counting it (it is to be retried, say).
  void Cancel() { state_.reset(); }

 private:
  friend class Job;
  ChunkScope(std::shared_ptr<internal::JobState> state, uint64_t records, double start)
      : state_(std::move(state)), records_(records), start_(start) {}
  std::shared_ptr<internal::JobState> state_;  // null when cancelled or moved from
  uint64_t records_;
  double start_;
};

class Job {
 public:
  Job(Job&& other) noexcept = default;
  // An unfinished job on the left is finished as failed first.
  Job& operator=(Job&& other) noexcept;
  Job(const Job&) = delete;
  ~Job();

  ChunkScope Chunk(uint64_t records);
  // A chunk timed by the caller.
  void RecordChunk(uint64_t records, double seconds);
  // Records processed outside chunks.
  void AddRecords(uint64_t n);
  void RecordRetry(std::string_view reason);
  void SampleMemory();
  // Records the outcome and runs on_job_end; returns its status.
  // FailedPrecondition if the job was already finished.
  Status Finish(JobStatus status);

  uint64_t records() const;
  // Seconds since Start(); after Finish(), the job's duration.
  double ElapsedSeconds() const;

 private:
  friend class JobTracker;
  Job(JobTracker* tracker, double start);
  JobTracker* tracker() const;

  std::shared_ptr<internal::JobState> state_;  // null when moved from
};

class JobTracker {
 public:
  // Adds the families to `registry`, which must outlive the tracker. Errors:
  // a family already registered differently, bad buckets, an empty job_type
  // or small_chunk_records > large_chunk_records.
  static Result<std::unique_ptr<JobTracker>> Create(metrics::Registry& registry,
                                                    JobTrackerOptions options = {});
  JobTracker(const JobTracker&) = delete;
  JobTracker& operator=(const JobTracker&) = delete;

  Job Start();

  int64_t active_jobs() const;
  int64_t peak_memory_bytes() const;

 private:
  friend class Job;
  friend class ChunkScope;
  explicit JobTracker(JobTrackerOptions options);
  Status Init(metrics::Registry& registry);
  void ObserveChunk(internal::JobState& job, uint64_t records, double seconds);
  void UpdateThroughput(internal::JobState& job);
  void ObserveMemory();
  Status End(internal::JobState& job, JobStatus status);
  double Now() const;

  const JobTrackerOptions options_;
  metrics::Family<metrics::Counter>* jobs_ = nullptr;
  metrics::Family<metrics::Histogram>* duration_ = nullptr;
  metrics::Gauge active_;
  metrics::Family<metrics::Counter>* retries_ = nullptr;
  metrics::Histogram chunk_small_, chunk_medium_, chunk_large_;
  metrics::Counter records_;
  metrics::Gauge throughput_;
  metrics::Gauge memory_;
  metrics::Gauge peak_memory_;
  metrics::Gauge last_success_;

  mutable std::mutex mu_;
  int64_t active_count_ = 0;  // guarded by mu_
  int64_t peak_ = -1;         // guarded by mu_
};

}  // namespace vigil::ml
