#include "vigil/ml/job_tracker.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "base/status_macros.h"

namespace vigil::ml {

namespace {

// Resident set size from /proc/self/statm (second field, in pages).
int64_t ResidentBytes() {
  const int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[128];
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  char* end = nullptr;
  std::strtoull(buf, &end, 10);  // size
  if (end == buf) return -1;
  char* end2 = nullptr;
  const unsigned long long pages = std::strtoull(end, &end2, 10);
  if (end2 == end) return -1;
  return static_cast<int64_t>(pages) * sysconf(_SC_PAGESIZE);
}

double SteadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

JobTrackerOptions WithDefaults(JobTrackerOptions o) {
  if (!o.memory_bytes) o.memory_bytes = ResidentBytes;
  if (!o.monotonic_seconds) o.monotonic_seconds = SteadySeconds;
  if (!o.wall_seconds) o.wall_seconds = WallSeconds;
  return o;
}

}  // namespace

std::string_view JobStatusName(JobStatus status) {
  switch (status) {
    case JobStatus::kCompleted:
      return "completed";
    case JobStatus::kFailed:
      return "failed";
    case JobStatus::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

// --- ChunkScope ---------------------------------------------------------------

ChunkScope::~ChunkScope() {
  if (state_ == nullptr) return;
  JobTracker* tracker = state_->tracker.load(std::memory_order_acquire);
  if (tracker == nullptr) return;  // the job finished first
  tracker->ObserveChunk(*state_, records_, tracker->Now() - start_);
}

// --- Job ----------------------------------------------------------------------

Job::Job(JobTracker* tracker, double start) : state_(std::make_shared<internal::JobState>()) {
  state_->tracker.store(tracker, std::memory_order_relaxed);
  state_->start = start;
}

Job::~Job() {
  if (tracker() != nullptr) (void)Finish(JobStatus::kFailed);
}

Job& Job::operator=(Job&& other) noexcept {
  if (this != &other) {
    if (tracker() != nullptr) (void)Finish(JobStatus::kFailed);
    state_ = std::move(other.state_);
  }
  return *this;
}

JobTracker* Job::tracker() const {
  return state_ != nullptr ? state_->tracker.load(std::memory_order_acquire) : nullptr;
}

uint64_t Job::records() const {
  return state_ != nullptr ? state_->records.load(std::memory_order_relaxed) : 0;
}

ChunkScope Job::Chunk(uint64_t records) {
  JobTracker* t = tracker();
  if (t == nullptr) return ChunkScope(nullptr, records, 0);
  return ChunkScope(state_, records, t->Now());
}

void Job::RecordChunk(uint64_t records, double seconds) {
  if (JobTracker* t = tracker()) t->ObserveChunk(*state_, records, seconds);
}

void Job::AddRecords(uint64_t n) {
  JobTracker* t = tracker();
  if (t == nullptr) return;
  state_->records.fetch_add(n, std::memory_order_relaxed);
  t->records_.Inc(static_cast<double>(n));
  t->UpdateThroughput(*state_);
}

void Job::RecordRetry(std::string_view reason) {
  if (JobTracker* t = tracker()) {
    t->retries_->WithLabelValues({t->options_.job_type, reason}).Inc();
  }
}

void Job::SampleMemory() {
  if (JobTracker* t = tracker()) t->ObserveMemory();
}

double Job::ElapsedSeconds() const {
  if (state_ == nullptr) return 0;
  JobTracker* t = tracker();
  return t != nullptr ? t->Now() - state_->start
                      : state_->duration.load(std::memory_order_relaxed);
}

Status Job::Finish(JobStatus status) {
  if (state_ == nullptr) return FailedPreconditionError("job was moved from");
  // Detach first: chunks that end from now on are not counted against a
  // finished job, and a second Finish() sees null.
  JobTracker* const t = state_->tracker.exchange(nullptr, std::memory_order_acq_rel);
  if (t == nullptr) return FailedPreconditionError("job already finished");
  t->UpdateThroughput(*state_);
  t->ObserveMemory();
  return t->End(*state_, status);
}

// --- JobTracker ---------------------------------------------------------------

JobTracker::JobTracker(JobTrackerOptions options) : options_(WithDefaults(std::move(options))) {}

Result<std::unique_ptr<JobTracker>> JobTracker::Create(metrics::Registry& registry,
                                                       JobTrackerOptions options) {
  if (options.job_type.empty()) return InvalidArgumentError("JobTracker: job_type is empty");
  if (options.small_chunk_records > options.large_chunk_records) {
    return InvalidArgumentError("JobTracker: small_chunk_records (" +
                                std::to_string(options.small_chunk_records) +
                                ") exceeds large_chunk_records (" +
                                std::to_string(options.large_chunk_records) + ")");
  }
  std::unique_ptr<JobTracker> t(new JobTracker(std::move(options)));
  VIGIL_RETURN_IF_ERROR(t->Init(registry).WithPrefix("JobTracker"));
  return t;
}

Status JobTracker::Init(metrics::Registry& registry) {
  using metrics::MetricOptions;
  const std::string& type = options_.job_type;
  // A gauge or counter family with only job_type, as the handle for `type`.
  auto gauge = [&](metrics::Gauge* out, const char* name, const char* help) -> Status {
    VIGIL_ASSIGN_OR_RETURN(
        auto* f, registry.AddGauge({.name = name, .help = help, .label_names = {"job_type"}}));
    *out = f->WithLabelValues({type});
    return Status::OK();
  };
  VIGIL_ASSIGN_OR_RETURN(jobs_, registry.AddCounter({.name = "jobs_total",
                                                     .help = "Jobs finished, by outcome.",
                                                     .label_names = {"job_type", "status"}}));
  VIGIL_ASSIGN_OR_RETURN(duration_,
                         registry.AddHistogram({.name = "job_duration_seconds",
                                                .help = "Run time of finished jobs.",
                                                .label_names = {"job_type", "status"}},
                                               options_.duration_buckets));
  VIGIL_RETURN_IF_ERROR(
      gauge(&active_, "active_jobs", "Jobs started and not yet finished."));
  VIGIL_ASSIGN_OR_RETURN(retries_,
                         registry.AddCounter({.name = "job_retries_total",
                                              .help = "Retries inside jobs, by reason.",
                                              .label_names = {"job_type", "reason"}}));
  VIGIL_ASSIGN_OR_RETURN(
      auto* chunks, registry.AddHistogram({.name = "job_chunk_duration_seconds",
                                           .help = "Time to process one chunk, by chunk size "
                                                   "class.",
                                           .label_names = {"job_type", "size"}},
                                          options_.chunk_buckets));
  chunk_small_ = chunks->WithLabelValues({type, "small"});
  chunk_medium_ = chunks->WithLabelValues({type, "medium"});
  chunk_large_ = chunks->WithLabelValues({type, "large"});
  VIGIL_ASSIGN_OR_RETURN(
      auto* records, registry.AddCounter({.name = "job_records_processed_total",
                                          .help = "Records processed by jobs.",
                                          .label_names = {"job_type"}}));
  records_ = records->WithLabelValues({type});
  VIGIL_RETURN_IF_ERROR(gauge(&throughput_, "job_throughput_records_per_second",
                              "Records per second of the current or last job."));
  VIGIL_RETURN_IF_ERROR(
      gauge(&memory_, "job_memory_usage_bytes", "Resident memory at the last sample."));
  VIGIL_RETURN_IF_ERROR(gauge(&peak_memory_, "job_peak_memory_usage_bytes",
                              "Highest resident memory sampled during the current or last "
                              "run of jobs."));
  VIGIL_RETURN_IF_ERROR(gauge(&last_success_, "job_last_success_timestamp_seconds",
                              "When a job last completed, in seconds since the epoch."));
  return Status::OK();
}

double JobTracker::Now() const { return options_.monotonic_seconds(); }

Job JobTracker::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (active_count_++ == 0) peak_ = -1;
  }
  active_.Inc();
  ObserveMemory();
  return Job(this, Now());
}

void JobTracker::UpdateThroughput(internal::JobState& job) {
  const double elapsed = Now() - job.start;
  if (elapsed > 0) {
    throughput_.Set(static_cast<double>(job.records.load(std::memory_order_relaxed)) / elapsed);
  }
}

void JobTracker::ObserveChunk(internal::JobState& job, uint64_t records, double seconds) {
  if (records < options_.small_chunk_records) {
    chunk_small_.Observe(seconds);
  } else if (records < options_.large_chunk_records) {
    chunk_medium_.Observe(seconds);
  } else {
    chunk_large_.Observe(seconds);
  }
  job.records.fetch_add(records, std::memory_order_relaxed);
  records_.Inc(static_cast<double>(records));
  UpdateThroughput(job);
  ObserveMemory();
}

void JobTracker::ObserveMemory() {
  const int64_t bytes = options_.memory_bytes();
  if (bytes < 0) return;
  memory_.Set(static_cast<double>(bytes));
  std::lock_guard<std::mutex> lock(mu_);
  if (bytes > peak_) {
    peak_ = bytes;
    peak_memory_.Set(static_cast<double>(bytes));
  }
}

Status JobTracker::End(internal::JobState& job, JobStatus status) {
  const double seconds = Now() - job.start;
  job.duration.store(seconds, std::memory_order_relaxed);
  const std::string_view name = JobStatusName(status);
  jobs_->WithLabelValues({options_.job_type, name}).Inc();
  duration_->WithLabelValues({options_.job_type, name}).Observe(seconds);
  if (status == JobStatus::kCompleted) last_success_.Set(options_.wall_seconds());
  active_.Dec();
  {
    std::lock_guard<std::mutex> lock(mu_);
    --active_count_;
  }
  return options_.on_job_end ? options_.on_job_end() : Status::OK();
}

int64_t JobTracker::active_jobs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_count_;
}

int64_t JobTracker::peak_memory_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peak_;
}

}  // namespace vigil::ml
