#include "remote/queue_manager.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <numeric>
#include <unordered_map>

#include "base/status_macros.h"
#include "base/strings.h"
#include "remote/codec.h"

namespace vigil::remote {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view kContentType = "application/x-protobuf";
constexpr std::string_view kRemoteWriteVersion = "0.1.0";
constexpr auto kLogInterval = std::chrono::seconds(10);
// Prometheus' shardToleranceFraction.
constexpr double kShardTolerance = 0.3;
// Longest Retry-After honoured.
constexpr auto kMaxRetryAfter = std::chrono::minutes(5);

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

uint64_t Mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

void AtomicMax(std::atomic<int64_t>* a, int64_t v) {
  int64_t cur = a->load(std::memory_order_relaxed);
  while (v > cur &&
         !a->compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

// Prometheus' ewmaRate: alpha 0.2, one tick per shard update.
struct EwmaRate {
  double rate = 0;
  bool init = false;
  void Tick(double events, double seconds) {
    const double instant = events / seconds;
    if (init) {
      rate += 0.2 * (instant - rate);
    } else if (events > 0) {
      init = true;
      rate = instant;
    }
  }
};

}  // namespace

namespace internal {

// ---------------------------------------------------------------- AckTracker

AckTracker::AckTracker(Progress committed) : committed_(committed) {}

void AckTracker::Reset(const Progress& committed) {
  MutexLock lock(&mu_);
  entries_.clear();
  base_ = next_ticket_;
  committed_ = committed;
}

uint64_t AckTracker::Add(const Progress& end, size_t samples) {
  MutexLock lock(&mu_);
  const uint64_t ticket = next_ticket_++;
  if (entries_.empty()) base_ = ticket;
  entries_.push_back({end, samples});
  AdvanceLocked();
  return ticket;
}

void AckTracker::Ack(std::span<const std::pair<uint64_t, uint32_t>> tickets) {
  MutexLock lock(&mu_);
  for (const auto& [ticket, n] : tickets) {
    if (ticket < base_ || ticket - base_ >= entries_.size() ||
        entries_[static_cast<size_t>(ticket - base_)].outstanding < n) {
      // A programmer error: acknowledging what was never registered.
      std::fprintf(stderr,
                   "remote write: ticket %llu acknowledged but not "
                   "outstanding\n",
                   static_cast<unsigned long long>(ticket));
      std::abort();
    }
    entries_[static_cast<size_t>(ticket - base_)].outstanding -= n;
  }
  AdvanceLocked();
}

void AckTracker::AdvanceLocked() {
  while (!entries_.empty() && entries_.front().outstanding == 0) {
    committed_ = entries_.front().end;
    entries_.pop_front();
    ++base_;
  }
}

Progress AckTracker::committed() const {
  MutexLock lock(&mu_);
  return committed_;
}

size_t AckTracker::in_flight() const {
  MutexLock lock(&mu_);
  return entries_.size();
}

// --------------------------------------------------------------------- Shard

struct QueuedSample {
  std::shared_ptr<const LabelPairs> series;
  int64_t t;
  double v;
  uint64_t ticket;
};

// One sending lane: a bounded FIFO and a thread that batches and POSTs it.
//
// Thread safety: thread-safe. Enqueue() from the watcher's thread; the rest
// from any thread.
class Shard {
 public:
  Shard(QueueManager* qm, std::unique_ptr<http::Client> client, bool draining)
      : qm_(qm),
        config_(qm->options_.config.queue_config),
        client_(std::move(client)),
        draining_(draining) {}
  ~Shard() {
    HardStop();
    Join();
  }

  void Start() {
    thread_ = std::jthread([this] { Run(); });
  }

  // Queues samples[idx[i]] for i = 0, 1, ... under `ticket`, waiting while
  // the shard is full. Returns how many it queued: all of them, or fewer
  // when `stop` was requested, the shard was stopped, or `interrupt()`
  // became true while it waited.
  size_t Enqueue(std::span<WatchedSample> samples,
                 std::span<const uint32_t> idx, uint64_t ticket,
                 std::stop_token stop, const std::function<bool()>& interrupt) {
    size_t done = 0;
    bool waited = false;
    {
      MutexLock lock(&mu_);
      while (done < idx.size()) {
        if (hard_stop_) break;
        const size_t cap = static_cast<size_t>(config_.capacity);
        if (queue_.size() >= cap) {
          if (!waited) {
            waited = true;
            qm_->metrics_.enqueue_retries.Inc();
          }
          cv_.wait(mu_, stop, [&]() VIGIL_NO_THREAD_SAFETY_ANALYSIS {
            return queue_.size() < cap || hard_stop_ || interrupt();
          });
          if (stop.stop_requested() || hard_stop_) break;
          if (queue_.size() >= cap) break;  // interrupted
          continue;
        }
        if (queue_.empty()) {
          batch_deadline_ = SteadyClock::now() + config_.batch_send_deadline;
        }
        const size_t n = std::min(cap - queue_.size(), idx.size() - done);
        for (size_t i = 0; i < n; ++i) {
          WatchedSample& s = samples[idx[done + i]];
          queue_.push_back({std::move(s.series), s.t, s.v, ticket});
        }
        done += n;
        qm_->pending_.fetch_add(static_cast<int64_t>(n),
                                std::memory_order_relaxed);
        cv_.notify_all();
      }
    }
    return done;
  }

  void BeginDrain() {
    MutexLock lock(&mu_);
    draining_ = true;
    cv_.notify_all();
  }

  // Ends the thread now: the request in flight and any backoff are
  // aborted. What is queued stays unsent (and unacknowledged).
  void HardStop() {
    {
      MutexLock lock(&mu_);
      hard_stop_ = true;
      cv_.notify_all();
    }
    if (client_ != nullptr) client_->Stop();
  }

  // Wakes a waiting Enqueue() so it can look at its interrupt condition.
  void Poke() {
    MutexLock lock(&mu_);
    cv_.notify_all();
  }

  bool WaitExited(SteadyClock::time_point deadline) {
    MutexLock lock(&mu_);
    return cv_.wait_until(mu_, deadline,
                          [this]() VIGIL_NO_THREAD_SAFETY_ANALYSIS {
                            return exited_;
                          });
  }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  // REQUIRES: the thread has ended (Join()).
  std::unique_ptr<http::Client> TakeClient() {
    MutexLock lock(&mu_);
    if (hard_stop_) return nullptr;  // Stop()ped clients refuse requests
    return std::move(client_);
  }

 private:
  void Run() {
    std::vector<QueuedSample> batch;
    batch.reserve(static_cast<size_t>(config_.max_samples_per_send));
    const size_t max = static_cast<size_t>(config_.max_samples_per_send);
    for (;;) {
      batch.clear();
      {
        MutexLock lock(&mu_);
        for (;;) {
          if (hard_stop_) return ExitLocked();
          const size_t n = queue_.size();
          if (n >= max) break;
          if (n > 0 && (draining_ || SteadyClock::now() >= batch_deadline_)) {
            break;
          }
          if (n == 0 && draining_) return ExitLocked();
          if (n == 0) {
            cv_.wait(mu_, [this]() VIGIL_NO_THREAD_SAFETY_ANALYSIS {
              return hard_stop_ || draining_ || !queue_.empty();
            });
          } else {
            cv_.wait_until(mu_, batch_deadline_,
                           [this, max]() VIGIL_NO_THREAD_SAFETY_ANALYSIS {
                             return hard_stop_ || draining_ ||
                                    queue_.size() >= max;
                           });
          }
        }
        const size_t take = std::min(queue_.size(), max);
        for (size_t i = 0; i < take; ++i) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        if (!queue_.empty()) {
          batch_deadline_ = SteadyClock::now() + config_.batch_send_deadline;
        }
        qm_->pending_.fetch_sub(static_cast<int64_t>(take),
                                std::memory_order_relaxed);
        cv_.notify_all();  // room for the watcher
      }
      if (!Send(batch)) return Exit();
      AckBatch(batch);
    }
  }

  void ExitLocked() VIGIL_REQUIRES(mu_) {
    exited_ = true;
    cv_.notify_all();
  }
  void Exit() {
    MutexLock lock(&mu_);
    ExitLocked();
  }

  void AckBatch(const std::vector<QueuedSample>& batch) {
    acks_.clear();
    for (const QueuedSample& s : batch) {
      if (acks_.empty() || acks_.back().first != s.ticket) {
        acks_.emplace_back(s.ticket, 0);
      }
      ++acks_.back().second;
    }
    qm_->Ack(acks_);
  }

  // Sends `batch` until it is delivered or refused for good (true), or the
  // shard is hard-stopped (false).
  bool Send(const std::vector<QueuedSample>& batch) {
    index_.clear();
    int64_t max_t = INT64_MIN;
    for (const QueuedSample& s : batch) {
      auto [it, added] = index_.try_emplace(s.series.get(), 0);
      if (added) it->second = encoder_.AddSeries(*s.series);
      encoder_.AddSample(it->second, s.t, s.v);
      max_t = std::max(max_t, s.t);
    }
    encoder_.Finish(&body_);
    const size_t n = batch.size();
    const auto begin = SteadyClock::now();
    milliseconds backoff = config_.min_backoff;
    QueueMetrics& m = qm_->metrics_;
    for (;;) {
      {
        MutexLock lock(&mu_);
        if (hard_stop_) return false;
      }
      const auto attempt = SteadyClock::now();
      Result<http::Headers> headers = qm_->RequestHeaders();
      Result<http::ClientResponse> r =
          headers.ok() ? client_->Post(qm_->path_, body_, kContentType, *headers)
                       : Result<http::ClientResponse>(headers.status());
      const auto now = SteadyClock::now();
      const auto elapsed = now - begin;  // retries included
      if (!r.ok() && r.status().code() == StatusCode::kCancelled) return false;
      m.samples_total.Inc(static_cast<double>(n));
      m.sent_batch_duration.Observe(
          std::chrono::duration<double>(now - attempt).count());
      bool recoverable = true;
      Status error;
      std::optional<milliseconds> retry_after;
      if (r.ok()) {
        const int code = r->status;
        if (code >= 200 && code < 300) {
          m.bytes_total.Inc(static_cast<double>(body_.size()));
          qm_->OnSendResult(n, max_t, true, elapsed, Status::OK());
          return true;
        }
        std::string body = r->body.substr(0, 256);
        while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) {
          body.pop_back();
        }
        error = UnavailableError("server returned HTTP status " +
                                 std::to_string(code) + ": " + body);
        recoverable = code >= 500 || (code == 429 && config_.retry_on_http_429);
        for (const auto& [name, value] : r->headers) {
          if (!EqualsIgnoreCase(name, "Retry-After")) continue;
          int secs = 0;
          auto [p, ec] =
              std::from_chars(value.data(), value.data() + value.size(), secs);
          if (ec == std::errc() && secs >= 0) {
            retry_after = std::min<milliseconds>(
                std::chrono::seconds(secs), kMaxRetryAfter);
          }
        }
      } else {
        error = r.status();
      }
      if (!recoverable) {
        m.samples_failed.Inc(static_cast<double>(n));
        qm_->OnSendResult(n, max_t, false, elapsed, error);
        qm_->LogRateLimited("dropped " + std::to_string(n) +
                            " samples, non-recoverable error: " +
                            error.ToString());
        return true;
      }
      m.samples_retried.Inc(static_cast<double>(n));
      qm_->OnSendResult(0, max_t, false, std::chrono::nanoseconds(0), error);
      const milliseconds wait = retry_after.value_or(backoff);
      qm_->LogRateLimited("failed to send " + std::to_string(n) +
                          " samples, retrying in " + FormatSeconds(wait) +
                          ": " + error.ToString());
      {
        MutexLock lock(&mu_);
        cv_.wait_for(mu_, wait, [this]() VIGIL_NO_THREAD_SAFETY_ANALYSIS {
          return hard_stop_;
        });
        if (hard_stop_) return false;
      }
      backoff = std::min(backoff * 2, config_.max_backoff);
    }
  }

  QueueManager* const qm_;
  const QueueConfig config_;
  std::unique_ptr<http::Client> client_;  // used by the thread only

  // Shard thread only.
  RequestEncoder encoder_;
  std::unordered_map<const LabelPairs*, int> index_;
  std::string body_;
  std::vector<std::pair<uint64_t, uint32_t>> acks_;

  Mutex mu_;
  std::condition_variable_any cv_;
  std::deque<QueuedSample> queue_ VIGIL_GUARDED_BY(mu_);
  SteadyClock::time_point batch_deadline_ VIGIL_GUARDED_BY(mu_);
  bool draining_ VIGIL_GUARDED_BY(mu_);
  bool hard_stop_ VIGIL_GUARDED_BY(mu_) = false;
  bool exited_ VIGIL_GUARDED_BY(mu_) = false;

  std::jthread thread_;
};

}  // namespace internal

// -------------------------------------------------------------- QueueManager

QueueManager::QueueManager(QueueManagerOptions options, std::string origin,
                           std::string path)
    : options_(std::move(options)),
      origin_(std::move(origin)),
      path_(std::move(path)),
      metrics_(options_.metrics) {}

QueueManager::~QueueManager() { Stop(); }

Result<std::unique_ptr<QueueManager>> QueueManager::Create(
    QueueManagerOptions options) {
  VIGIL_RETURN_IF_ERROR(ValidateRemoteWriteConfig(options.config));
  std::string origin, path;
  VIGIL_RETURN_IF_ERROR(SplitUrl(options.config.url, &origin, &path));
  std::unique_ptr<QueueManager> qm(
      new QueueManager(std::move(options), std::move(origin), std::move(path)));
  // One client now: bad TLS files fail here rather than in every shard.
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<http::Client> client, qm->NewClient());
  {
    MutexLock lock(&qm->mu_);
    qm->spare_clients_.push_back(std::move(client));
  }
  return qm;
}

Result<std::unique_ptr<http::Client>> QueueManager::NewClient() const {
  const RemoteWriteConfig& c = options_.config;
  http::ClientOptions o;
  o.timeout = c.remote_timeout;
  http::ApplyClientConfig(c.http_client_config, &o);
  return http::Client::Create(origin_, std::move(o));
}

Result<http::Headers> QueueManager::RequestHeaders() const {
  const RemoteWriteConfig& c = options_.config;
  http::Headers h;
  h.reserve(c.headers.size() + 3);
  h.emplace_back("Content-Encoding", "snappy");
  h.emplace_back("X-Prometheus-Remote-Write-Version",
                 std::string(kRemoteWriteVersion));
  for (const auto& kv : c.headers) h.push_back(kv);
  VIGIL_ASSIGN_OR_RETURN(std::string auth, http::AuthorizationHeaderValue(c.http_client_config));
  if (!auth.empty()) h.emplace_back("Authorization", std::move(auth));
  return h;
}

void QueueManager::Log(const std::string& msg) const {
  const std::string line = "remote write " + options_.name + ": " + msg;
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << line << "\n";
  }
}

void QueueManager::LogRateLimited(const std::string& msg) {
  int suppressed = 0;
  {
    MutexLock lock(&log_mu_);
    const auto now = SteadyClock::now();
    if (now - last_log_ < kLogInterval) {
      ++suppressed_;
      return;
    }
    last_log_ = now;
    suppressed = suppressed_;
    suppressed_ = 0;
  }
  Log(msg + (suppressed > 0 ? " (" + std::to_string(suppressed) +
                                  " similar messages suppressed)"
                            : ""));
}

void QueueManager::Start(const Progress& committed,
                         std::function<uint64_t()> backlog_bytes) {
  const QueueConfig& q = options_.config.queue_config;
  std::vector<std::shared_ptr<internal::Shard>> started;
  {
    MutexLock lock(&mu_);
    if (started_ || stopping_.load()) return;
    started_ = true;
    tracker_.Reset(committed);
    last_end_ = committed;
    backlog_bytes_ = std::move(backlog_bytes);
    for (int i = 0; i < q.min_shards; ++i) {
      std::unique_ptr<http::Client> client;
      if (!spare_clients_.empty()) {
        client = std::move(spare_clients_.back());
        spare_clients_.pop_back();
      } else {
        Result<std::unique_ptr<http::Client>> c = NewClient();
        if (!c.ok()) {  // validated in Create; cannot fail now
          Log("cannot create an HTTP client: " + c.status().ToString());
          continue;
        }
        client = std::move(c).value();
      }
      shards_.push_back(std::make_shared<internal::Shard>(
          this, std::move(client), draining_));
    }
    started = shards_;
  }
  {
    MutexLock lock(&save_mu_);
    saved_ = committed;
    saved_once_ = true;
  }
  QueueMetrics& m = metrics_;
  m.shards.Set(static_cast<double>(started.size()));
  m.shards_min.Set(q.min_shards);
  m.shards_max.Set(q.max_shards);
  m.shard_capacity.Set(q.capacity);
  m.max_samples_per_send.Set(q.max_samples_per_send);
  for (auto& s : started) s->Start();
  housekeeping_ =
      std::jthread([this](std::stop_token st) { Housekeeping(st); });
}

bool QueueManager::Consume(std::span<WatchedSample> samples,
                           const Progress& end, std::stop_token stop) {
  if (stopping_.load()) return false;
  // WAL bytes consumed, for the shard calculation.
  if (end.position.segment == last_end_.position.segment) {
    bytes_in_.fetch_add(static_cast<int64_t>(end.position.offset -
                                             std::min(end.position.offset,
                                                      last_end_.position.offset)),
                        std::memory_order_relaxed);
  } else {
    bytes_in_.fetch_add(static_cast<int64_t>(end.position.offset),
                        std::memory_order_relaxed);
  }
  last_end_ = end;
  const uint64_t ticket = tracker_.Add(end, samples.size());
  if (samples.empty()) return true;

  samples_in_.fetch_add(static_cast<int64_t>(samples.size()),
                        std::memory_order_relaxed);
  int64_t max_t = INT64_MIN;
  for (const WatchedSample& s : samples) max_t = std::max(max_t, s.t);
  AtomicMax(&highest_recv_ms_, max_t);
  if (options_.highest_timestamp_in != nullptr) {
    AtomicMax(options_.highest_timestamp_in, max_t);
    metrics_
        .highest_timestamp_in.Set(
            static_cast<double>(options_.highest_timestamp_in->load()) / 1000);
  }

  pending_idx_.resize(samples.size());
  std::iota(pending_idx_.begin(), pending_idx_.end(), 0u);
  const std::function<bool()> interrupt = [this] {
    return reshard_to_.load(std::memory_order_relaxed) != 0 ||
           stopping_.load(std::memory_order_relaxed);
  };
  while (!pending_idx_.empty()) {
    const int to = reshard_to_.exchange(0);
    std::vector<std::shared_ptr<internal::Shard>> shards;
    {
      MutexLock lock(&mu_);
      shards = shards_;
    }
    if (to != 0 && static_cast<size_t>(to) != shards.size()) {
      if (!Reshard(to)) return false;
      MutexLock lock(&mu_);
      shards = shards_;
    }
    if (shards.empty() || stopping_.load()) return false;
    const size_t k = shards.size();
    per_shard_.resize(std::max(per_shard_.size(), k));
    for (size_t i = 0; i < k; ++i) per_shard_[i].clear();
    for (uint32_t idx : pending_idx_) {
      per_shard_[Mix(samples[idx].ref) % k].push_back(idx);
    }
    next_idx_.clear();
    for (size_t i = 0; i < k; ++i) {
      if (per_shard_[i].empty()) continue;
      const size_t pushed =
          shards[i]->Enqueue(samples, per_shard_[i], ticket, stop, interrupt);
      if (stop.stop_requested() || stopping_.load()) return false;
      next_idx_.insert(next_idx_.end(), per_shard_[i].begin() + pushed,
                       per_shard_[i].end());
    }
    std::sort(next_idx_.begin(), next_idx_.end());
    pending_idx_.swap(next_idx_);
  }
  return true;
}

bool QueueManager::Reshard(int n) {
  std::vector<std::shared_ptr<internal::Shard>> old;
  {
    MutexLock lock(&mu_);
    if (stopping_.load()) return false;
    old = shards_;
  }
  Log("resharding from " + std::to_string(old.size()) + " to " +
      std::to_string(n) + " shards");
  // The old shards send everything first, so no series has samples in an
  // old and a new shard at once.
  for (auto& s : old) s->BeginDrain();
  for (auto& s : old) s->Join();
  std::vector<std::shared_ptr<internal::Shard>> fresh;
  {
    MutexLock lock(&mu_);
    if (stopping_.load()) return false;
    for (auto& s : old) {
      if (auto c = s->TakeClient()) spare_clients_.push_back(std::move(c));
    }
    for (int i = 0; i < n; ++i) {
      std::unique_ptr<http::Client> client;
      if (!spare_clients_.empty()) {
        client = std::move(spare_clients_.back());
        spare_clients_.pop_back();
      } else {
        Result<std::unique_ptr<http::Client>> c = NewClient();
        if (!c.ok()) {
          Log("cannot create an HTTP client: " + c.status().ToString());
          continue;
        }
        client = std::move(c).value();
      }
      fresh.push_back(std::make_shared<internal::Shard>(this, std::move(client),
                                                        draining_));
    }
    if (fresh.empty()) return false;
    shards_ = fresh;
  }
  metrics_
      .shards.Set(static_cast<double>(fresh.size()));
  for (auto& s : fresh) s->Start();
  return true;
}

void QueueManager::OnSendResult(size_t samples, int64_t max_t, bool ok,
                                std::chrono::nanoseconds duration,
                                const Status& error) {
  if (ok) {
    samples_out_.fetch_add(static_cast<int64_t>(samples),
                           std::memory_order_relaxed);
    out_duration_ns_.fetch_add(duration.count(), std::memory_order_relaxed);
    last_send_ok_ns_.store(NowNanos(), std::memory_order_relaxed);
    AtomicMax(&highest_sent_ms_, max_t);
    metrics_
        .highest_sent_timestamp.Set(
            static_cast<double>(highest_sent_ms_.load()) / 1000);
  } else if (samples > 0) {
    samples_failed_.fetch_add(static_cast<int64_t>(samples),
                              std::memory_order_relaxed);
  }
  MutexLock lock(&mu_);
  last_error_ = error;
}

void QueueManager::Ack(std::span<const std::pair<uint64_t, uint32_t>> tickets) {
  tracker_.Ack(tickets);
}

void QueueManager::SaveProgress() {
  if (options_.progress_path.empty()) return;
  const Progress p = tracker_.committed();
  MutexLock lock(&save_mu_);
  if (saved_once_ && p == saved_) return;
  Status s = WriteProgress(options_.progress_path, p);
  if (!s.ok()) {
    LogRateLimited("cannot save progress: " + s.ToString());
    return;
  }
  saved_ = p;
  saved_once_ = true;
}

void QueueManager::Housekeeping(std::stop_token stop) {
  const QueueConfig& q = options_.config.queue_config;
  const auto interval = options_.shard_update_interval;
  const double secs = std::chrono::duration<double>(interval).count();
  EwmaRate in, out, failed, duration, bytes;
  int64_t last_in = 0, last_out = 0, last_failed = 0, last_dur = 0,
          last_bytes = 0;
  auto next_update = SteadyClock::now() + interval;
  Mutex sleep_mu;
  std::condition_variable_any sleep_cv;
  QueueMetrics& m = metrics_;
  while (!stop.stop_requested()) {
    {
      MutexLock lock(&sleep_mu);
      const auto wake =
          std::min(next_update, SteadyClock::now() + options_.progress_save_interval);
      sleep_cv.wait_until(sleep_mu, stop, wake, [] { return false; });
    }
    if (stop.stop_requested()) return;
    SaveProgress();
    m.samples_pending.Set(static_cast<double>(pending_.load()));
    if (SteadyClock::now() < next_update) continue;
    next_update += interval;

    auto tick = [&](EwmaRate& r, const std::atomic<int64_t>& a, int64_t* last) {
      const int64_t v = a.load(std::memory_order_relaxed);
      r.Tick(static_cast<double>(v - *last), secs);
      *last = v;
    };
    tick(in, samples_in_, &last_in);
    tick(out, samples_out_, &last_out);
    tick(failed, samples_failed_, &last_failed);
    tick(duration, out_duration_ns_, &last_dur);
    tick(bytes, bytes_in_, &last_bytes);

    int current;
    {
      MutexLock lock(&mu_);
      current = static_cast<int>(shards_.size());
    }
    if (current == 0) continue;
    const double out_rate = out.rate;
    if (out_rate <= 0) continue;
    // Prometheus 2.42's calculateDesiredShards, with the backlog measured
    // in WAL bytes not yet read (converted to samples at the rate read so
    // far) instead of timestamp lag: vigil's watcher does not see appends
    // as they happen, only what the WAL holds.
    const double kept = out_rate / (failed.rate + out_rate);
    const double samples_per_byte = bytes.rate > 0 ? in.rate / bytes.rate : 0;
    const double backlog_bytes =
        backlog_bytes_ ? static_cast<double>(backlog_bytes_()) : 0;
    const double pending_samples =
        backlog_bytes * samples_per_byte +
        static_cast<double>(pending_.load(std::memory_order_relaxed));
    // Samples arriving per second: what was read, plus the backlog's growth
    // is not known without history, so the read rate stands in for it.
    const double in_rate = in.rate;
    const double delay_s = in_rate > 0 ? pending_samples / in_rate : 0;
    const double time_per_sample = duration.rate / 1e9 / out_rate;
    const double integral_gain = 0.1 / secs;
    double desired =
        time_per_sample * (in_rate * kept + integral_gain * pending_samples);
    {
      MutexLock lock(&mu_);
      desired_shards_ = desired;
    }
    m.shards_desired.Set(desired);
    desired = std::ceil(desired);
    if (desired >= current * (1 - kShardTolerance) &&
        desired <= current * (1 + kShardTolerance)) {
      continue;
    }
    int n = static_cast<int>(std::min(desired, 1e6));
    if (n < current && delay_s > 10.0) continue;  // behind: do not shrink
    n = std::clamp(n, q.min_shards, q.max_shards);
    if (n == current) continue;
    // No resharding while the remote is not taking data.
    const int64_t since_ok = NowNanos() - last_send_ok_ns_.load();
    if (since_ok > 2 * std::chrono::duration_cast<std::chrono::nanoseconds>(
                           q.batch_send_deadline)
                           .count()) {
      continue;
    }
    reshard_to_.store(n);
    std::vector<std::shared_ptr<internal::Shard>> shards;
    {
      MutexLock lock(&mu_);
      shards = shards_;
    }
    for (auto& s : shards) s->Poke();  // a waiting watcher reshards now
  }
}

void QueueManager::BeginDrain() {
  std::vector<std::shared_ptr<internal::Shard>> shards;
  {
    MutexLock lock(&mu_);
    draining_ = true;
    shards = shards_;
  }
  for (auto& s : shards) s->BeginDrain();
}

bool QueueManager::WaitDrained(SteadyClock::time_point deadline) {
  std::vector<std::shared_ptr<internal::Shard>> shards;
  {
    MutexLock lock(&mu_);
    shards = shards_;
  }
  bool all = true;
  for (auto& s : shards) all = s->WaitExited(deadline) && all;
  return all;
}

void QueueManager::Stop() {
  MutexLock stop_lock(&stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  std::vector<std::shared_ptr<internal::Shard>> shards;
  {
    MutexLock lock(&mu_);
    stopping_.store(true);
    shards = shards_;
  }
  if (housekeeping_.joinable()) {
    housekeeping_.request_stop();
    housekeeping_.join();
  }
  for (auto& s : shards) s->HardStop();
  for (auto& s : shards) s->Join();
  bool started;
  {
    MutexLock lock(&mu_);
    started = started_;
  }
  if (started) SaveProgress();
  metrics_.samples_pending.Set(0);
}

QueueStats QueueManager::stats() const {
  QueueStats s;
  {
    MutexLock lock(&mu_);
    s.shards = static_cast<int>(shards_.size());
    s.last_error = last_error_;
  }
  s.pending_samples = pending_.load();
  s.committed = tracker_.committed();
  s.highest_sent_timestamp_ms = highest_sent_ms_.load();
  return s;
}

}  // namespace vigil::remote
