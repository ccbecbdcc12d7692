#include "scrape/manager.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <thread>
#include <utility>

#include "base/status_macros.h"

namespace vigil::scrape {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Whether a running target's loop can stay as it is: the job's settings
// are equal apart from the target list (target identity is the runner key;
// a new static label makes a new key).
bool SameJobSettings(const ScrapeConfig& a, const ScrapeConfig& b) {
  ScrapeConfig x = a;
  ScrapeConfig y = b;
  x.static_configs.clear();
  y.static_configs.clear();
  return x == y;
}

std::string RunnerKey(const Target& t) {
  return t.scrape_pool() + '\xff' + t.labels().ToString() + '\xff' + t.url();
}

// Scrape timestamps within this distance of the scheduled tick are stamped
// with the tick itself, so a series' timestamps stay exactly `interval`
// apart and the chunk encodes them in one bit each (later Prometheus
// releases do the same with a 2 ms tolerance; thread wake-ups on a loaded
// host are later than that, hence the wider window).
constexpr std::chrono::milliseconds kTimestampTolerance{25};

// The body of a target's thread: scrape at the target's offset, then every
// interval, until stopped.
void RunLoop(std::stop_token stop, ScrapeLoop* loop, uint64_t jitter_seed) {
  using SystemClock = std::chrono::system_clock;
  // Stopping also aborts a fetch in flight.
  std::stop_callback abort(stop, [loop] { loop->Abort(); });
  const std::chrono::nanoseconds interval = loop->target()->interval();
  std::mutex mu;
  std::condition_variable_any cv;
  SteadyClock::time_point next =
      SteadyClock::now() +
      loop->target()->Offset(interval, jitter_seed, SystemClock::now());
  std::optional<SystemClock::time_point> tick;  // the expected stamp
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_until(lock, stop, next, [] { return false; });
    }
    if (stop.stop_requested()) return;
    SystemClock::time_point stamp = SystemClock::now();
    if (tick.has_value() && stamp - *tick < kTimestampTolerance &&
        *tick - stamp < kTimestampTolerance) {
      stamp = *tick;
    }
    // Errors are recorded in the target and the report series.
    (void)loop->ScrapeAndReport(stamp);
    next += interval;
    const auto now = SteadyClock::now();
    int64_t skipped = 0;
    if (next <= now) {
      skipped = (now - next) / interval + 1;
      next += skipped * interval;
    }
    tick = stamp + std::chrono::duration_cast<SystemClock::duration>(
                       interval * (1 + skipped));
  }
}

}  // namespace

struct ScrapeManager::Runner {
  ScrapeConfig config;
  std::unique_ptr<ScrapeLoop> loop;
  // Last, so that it is joined before the loop is destroyed.
  std::jthread thread;

  // Stops the thread (aborting a fetch) and waits for it.
  void Halt() {
    if (thread.joinable()) {
      thread.request_stop();
      thread.join();
    }
  }
};

ScrapeManager::ScrapeManager(ScrapeManagerOptions options)
    : options_(std::move(options)),
      metrics_(ScrapeMetrics::Create(options_.registry)) {
  if (options_.appendable == nullptr) {
    std::fprintf(stderr, "vigil: ScrapeManager needs an appendable\n");
    std::abort();
  }
}

ScrapeManager::~ScrapeManager() { Stop(); }

Status ScrapeManager::ApplyConfig(const std::vector<ScrapeConfig>& configs) {
  // Validate everything and build the desired target set first.
  struct Desired {
    const ScrapeConfig* config;
    std::shared_ptr<Target> target;
  };
  std::map<std::string, Desired> desired;
  std::set<std::string> jobs;
  for (const ScrapeConfig& c : configs) {
    VIGIL_RETURN_IF_ERROR(ValidateScrapeConfig(c));
    if (!jobs.insert(c.job_name).second) {
      return InvalidArgumentError(
          "found multiple scrape configs with job name \"" + c.job_name + "\"");
    }
    Result<std::vector<std::shared_ptr<Target>>> targets = TargetsFromConfig(c);
    if (!targets.ok()) return targets.status();
    for (std::shared_ptr<Target>& t : *targets) {
      std::string key = RunnerKey(*t);
      desired.emplace(std::move(key), Desired{&c, std::move(t)});
    }
  }

  MutexLock apply_lock(&apply_mu_);
  if (stopped_) return FailedPreconditionError("scrape manager stopped");
  RunnerMap current;
  {
    MutexLock lock(&mu_);
    current = runners_;
  }

  // Scrapers for new and changed targets, before anything is touched.
  struct Start {
    std::string key;
    const ScrapeConfig* config;
    std::shared_ptr<Target> target;
    std::unique_ptr<Scraper> scraper;
    std::shared_ptr<Runner> predecessor;  // changed target: carry over
  };
  std::vector<Start> starts;
  RunnerMap next;
  for (auto& [key, d] : desired) {
    auto it = current.find(key);
    if (it != current.end() && SameJobSettings(it->second->config, *d.config)) {
      next.emplace(key, it->second);  // unchanged: keeps running
      continue;
    }
    Result<std::unique_ptr<Scraper>> scraper =
        NewHttpScraper(*d.config, *d.target);
    if (!scraper.ok()) {
      return scraper.status().WithPrefix("job \"" + d.config->job_name + "\"");
    }
    starts.push_back({key, d.config, d.target, std::move(scraper).value(),
                      it != current.end() ? it->second : nullptr});
  }

  // Stop what goes away or changes. Removed targets get staleness markers.
  for (auto& [key, runner] : current) {
    if (next.count(key) != 0) continue;
    runner->Halt();
    if (desired.count(key) == 0) {
      // Best effort: a storage error here has nobody to report to but the
      // storage's own metrics.
      (void)runner->loop->WriteStaleMarkers(std::chrono::system_clock::now());
    }
  }

  for (Start& s : starts) {
    std::unique_ptr<internal::ScrapeCache> cache;
    if (s.predecessor != nullptr) {
      // The cache maps series text to storage refs; honor_labels changes
      // which series a text stands for, so then the old series end here.
      // The metadata is carried over either way.
      const bool same_series =
          s.predecessor->config.honor_labels == s.config->honor_labels;
      if (!same_series) {
        (void)s.predecessor->loop->WriteStaleMarkers(
            std::chrono::system_clock::now());
      }
      cache = s.predecessor->loop->ReleaseCache();
      if (!same_series && cache != nullptr) cache->ForgetSeries();
      s.target->CopyHealthFrom(*s.predecessor->loop->target());
    }
    auto runner = std::make_shared<Runner>();
    runner->config = *s.config;
    runner->loop = std::make_unique<ScrapeLoop>(
        s.target, std::move(s.scraper), options_.appendable,
        LoopOptions::FromConfig(*s.config), metrics_, std::move(cache));
    runner->thread =
        std::jthread(RunLoop, runner->loop.get(), options_.jitter_seed);
    next.emplace(s.key, std::move(runner));
  }

  {
    MutexLock lock(&mu_);
    runners_.swap(next);
  }
  // `next` now holds the old runners; those not carried over are halted
  // already, so dropping them here joins nothing.
  return Status::OK();
}

void ScrapeManager::Stop() {
  MutexLock apply_lock(&apply_mu_);
  if (stopped_) return;
  stopped_ = true;
  RunnerMap runners;
  {
    MutexLock lock(&mu_);
    runners = runners_;
  }
  // Ask every loop to stop first, then wait, so they wind down together.
  for (auto& [key, r] : runners) r->thread.request_stop();
  for (auto& [key, r] : runners) r->Halt();
  // The targets stay listed with their last status.
}

std::vector<TargetStatus> ScrapeManager::Targets() const {
  std::vector<std::shared_ptr<Target>> targets;
  {
    MutexLock lock(&mu_);
    targets.reserve(runners_.size());
    for (const auto& [key, r] : runners_) targets.push_back(r->loop->target());
  }
  std::vector<TargetStatus> out;
  out.reserve(targets.size());
  for (const auto& t : targets) out.push_back(t->status());
  std::sort(out.begin(), out.end(),
            [](const TargetStatus& a, const TargetStatus& b) {
              if (a.scrape_pool != b.scrape_pool) {
                return a.scrape_pool < b.scrape_pool;
              }
              if (a.labels != b.labels) return a.labels < b.labels;
              return a.scrape_url < b.scrape_url;
            });
  return out;
}

}  // namespace vigil::scrape
