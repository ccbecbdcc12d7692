// scrape::ScrapeLoop: scrapes one target and writes what it exposes into
// storage (Prometheus' scrapeLoop.scrapeAndReport), one scrape per call;
// ScrapeManager calls it on a schedule, tests call it directly.
//
//   ScrapeLoop loop(target, *NewHttpScraper(job, *target), &db,
//                   LoopOptions::FromConfig(job), metrics);
//   Status s = loop.ScrapeAndReport(std::chrono::system_clock::now());
//
// One scrape: fetch (Scraper), parse (exposition::TextParser, format from
// the Content-Type), append every sample through one storage::Appender with
// the target labels applied, write staleness markers for the series of the
// previous scrape that are gone, append the report series (up,
// scrape_duration_seconds, scrape_samples_scraped,
// scrape_samples_post_metric_relabeling, scrape_series_added) and commit.
// Samples are stamped with the scrape's start unless the exposition has a
// timestamp and honor_timestamps is set.
//
// A failed scrape (fetch error, non-200, malformed exposition, sample_limit
// or a label limit exceeded, a storage error other than a rejected sample)
// rolls the samples back and commits only staleness markers for every
// series of the previous scrape plus the report series with up=0; the error
// is kept in the Target.
//
// TYPE, HELP and UNIT lines go to the cache's metadata (see
// internal::ScrapeCache); after a scrape that changed it, the new snapshot
// is handed to the Target (Target::metadata()). A loop built with a
// carried-over cache hands its metadata to the new target at once. Rejected samples (out of order, duplicate
// timestamp) are counted in vigil_scrape_* metrics and do not fail the
// scrape. A scrape aborted by Abort() records nothing.
//
// Thread safety: not thread-safe, except Abort() (any thread).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "scrape/append_util.h"
#include "scrape/config.h"
#include "scrape/scrape_cache.h"
#include "scrape/target.h"
#include "storage/interface.h"
#include "vigil/metrics/registry.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::scrape {

// vigil_scrape_* counters (Prometheus' prometheus_target_* ones), shared
// by every loop of a manager. Thread-safe.
struct ScrapeMetrics {
  // Registers the counters in `registry` (an existing family of the same
  // name is reused); with nullptr, or if registration fails, the counters
  // are detached and count nothing.
  static std::shared_ptr<ScrapeMetrics> Create(metrics::Registry* registry);

  metrics::Counter samples_out_of_order;      // kOutOfRange from storage
  metrics::Counter samples_duplicate;         // kAlreadyExists from storage
  metrics::Counter exceeded_sample_limit;     // scrapes failed by it
  metrics::Counter exceeded_label_limits;     // scrapes failed by them
  metrics::Counter exceeded_body_size_limit;  // scrapes failed by it
  metrics::Counter cache_flush_forced;
};

struct ScrapeResponse {
  std::string content_type;
  std::string body;
};

// Fetches one exposition. Thread safety: Scrape() from one thread; Stop()
// from any, after which Scrape() fails with kCancelled.
class Scraper {
 public:
  virtual ~Scraper() = default;
  virtual Result<ScrapeResponse> Scrape() = 0;
  virtual void Stop() = 0;
};

// GETs the target's URL with Prometheus' headers (Accept preferring
// OpenMetrics, Accept-Encoding: gzip, User-Agent vigil/<version>,
// X-Prometheus-Scrape-Timeout-Seconds) and the job's authentication, TLS,
// redirect and body size settings, within the target's timeout. Password
// and token files are read at every scrape. A non-200 answer is
// kUnavailable "server returned HTTP status 500 Internal Server Error".
Result<std::unique_ptr<Scraper>> NewHttpScraper(const ScrapeConfig& config,
                                                const Target& target);

// The Accept header Prometheus 2.42 sends.
inline constexpr std::string_view kScrapeAcceptHeader =
    "application/openmetrics-text;version=1.0.0,"
    "application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

struct LoopOptions {
  bool honor_labels = false;
  bool honor_timestamps = true;
  size_t sample_limit = 0;  // 0: none
  internal::LabelLimits label_limits;

  static LoopOptions FromConfig(const ScrapeConfig& config);
};

class ScrapeLoop {
 public:
  // `appendable` must outlive the loop. `metrics` may be null. `cache`
  // carries a previous loop's cache over a reload (null: empty).
  ScrapeLoop(std::shared_ptr<Target> target, std::unique_ptr<Scraper> scraper,
             storage::Appendable* appendable, LoopOptions options,
             std::shared_ptr<ScrapeMetrics> metrics,
             std::unique_ptr<internal::ScrapeCache> cache = nullptr);
  ~ScrapeLoop();
  ScrapeLoop(const ScrapeLoop&) = delete;
  ScrapeLoop& operator=(const ScrapeLoop&) = delete;

  // One scrape stamped `start`. Returns the scrape's error (also recorded
  // in the target), or a storage error from committing.
  Status ScrapeAndReport(std::chrono::system_clock::time_point start);

  // Writes staleness markers at `t` for every series of the last scrape
  // and for the report series (a target that went away). Nothing when the
  // loop never scraped. A `t` not after the last scrape becomes the last
  // scrape's time + 1 ms, so that the markers are never rejected as
  // duplicates of that scrape's samples.
  Status WriteStaleMarkers(std::chrono::system_clock::time_point t);

  // Aborts a fetch in flight and any later one. Thread-safe.
  void Abort();

  // Hands the cache to a successor loop; this loop must not scrape again.
  std::unique_ptr<internal::ScrapeCache> ReleaseCache();

  const std::shared_ptr<Target>& target() const { return target_; }

 private:
  struct AppendResult {
    size_t total = 0;
    size_t added = 0;
    size_t series_added = 0;
    Status status;
  };
  AppendResult Append(storage::Appender& app, std::string_view body,
                      std::string_view content_type, int64_t default_t);
  // The final labels of a cached series text (parsed again; the cache keeps
  // no label sets).
  Result<model::Labels> LabelsOfSeries(std::string_view series) const;

  // Constant after construction.
  const std::shared_ptr<Target> target_;
  const std::unique_ptr<Scraper> scraper_;
  storage::Appendable* const appendable_;
  const LoopOptions options_;
  const std::shared_ptr<ScrapeMetrics> metrics_;

  std::unique_ptr<internal::ScrapeCache> cache_;
  internal::ReportSeries report_;
  bool scraped_ = false;
  int64_t last_t_ = 0;  // timestamp of the last scrape
  // The cache's metadata snapshot last handed to the target.
  MetadataSnapshot published_metadata_;
};

}  // namespace vigil::scrape
