// scrape::SelfScraper: writes an in-process metrics::Registry into storage
// at an interval, as if vigil scraped its own /metrics, but without HTTP or
// text: Registry::Collect streams straight into a storage::Appender.
//
//   SelfScraper self(&registry, &db, {.interval = std::chrono::seconds(15)});
//   self.Start();      // background thread
//   ...
//   self.Stop();
//
// Series are named as the Prometheus text format exposes them: counters and
// gauges under the family name (counters keep "_total"), histograms as
// <name>_bucket{le="..."} (cumulative, le as the text format writes it,
// ending with "+Inf"), <name>_sum and <name>_count, summaries as
// <name>{quantile="..."}, <name>_sum and <name>_count. Every series gets the
// job and instance labels of the options; an exposed label of the same
// name is kept as exported_<name>, as a scrape without honor_labels does.
// A point with its own timestamp keeps it (and is not tracked for
// staleness). Series that disappear get staleness markers, and the report
// series (up, scrape_duration_seconds, scrape_samples_scraped,
// scrape_samples_post_metric_relabeling, scrape_series_added) are written
// as for any target. Stop() writes no staleness markers (a restart
// continues the series), as ScrapeManager::Stop().
//
// Thread safety: Start(), Stop() and last_error() are thread-safe.
// ScrapeOnce() and WriteStaleMarkers() are for one thread at a time and not
// while started (the background thread calls ScrapeOnce()).
#pragma once

#include <chrono>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>

#include "base/thread_annotations.h"
#include "scrape/append_util.h"
#include "scrape/scrape_cache.h"
#include "storage/interface.h"
#include "vigil/metrics/registry.h"
#include "scrape/target.h"
#include "vigil/status.h"

namespace vigil::scrape {

struct SelfScraperOptions {
  std::string job = "vigil";
  std::string instance = "self";
  std::chrono::milliseconds interval{std::chrono::seconds(15)};
};

class SelfScraper {
 public:
  // `registry` and `appendable` must outlive the scraper.
  SelfScraper(const metrics::Registry* registry,
              storage::Appendable* appendable, SelfScraperOptions options = {});
  ~SelfScraper();
  SelfScraper(const SelfScraper&) = delete;
  SelfScraper& operator=(const SelfScraper&) = delete;

  // One collection stamped `t`: appends and commits, or rolls back and
  // reports up=0 with staleness markers, returning the error.
  Status ScrapeOnce(std::chrono::system_clock::time_point t);
  // Staleness markers at `t` (at least the last collection's time + 1 ms)
  // for every series of the last collection and the report series.
  Status WriteStaleMarkers(std::chrono::system_clock::time_point t);

  // Collects every interval on a background thread, the first time at
  // once. Idempotent.
  void Start();
  // Stops and joins the thread. Idempotent.
  void Stop();

  // The error of the last collection (OK if none failed).
  Status last_error() const;
  // This scraper as a target of /api/v1/targets: pool and labels from the
  // job and instance, URL "in-process://<job>", health of the last
  // collection. Thread-safe.
  TargetStatus target_status() const;

 private:
  class Sink;
  void Run(std::stop_token stop);
  // `exposed` with the target labels applied (honor_labels false).
  model::Labels FinalLabels(const model::Labels& exposed) const;

  // Constant after construction.
  const metrics::Registry* const registry_;
  storage::Appendable* const appendable_;
  const SelfScraperOptions options_;
  const model::Labels target_labels_;

  // Owned by whoever collects (see the thread-safety note).
  internal::ScrapeCache cache_;
  internal::ReportSeries report_;
  bool scraped_ = false;
  int64_t last_t_ = 0;

  mutable Mutex mu_;
  Status last_error_ VIGIL_GUARDED_BY(mu_);
  std::chrono::system_clock::time_point last_scrape_ VIGIL_GUARDED_BY(mu_){};
  std::chrono::nanoseconds last_duration_ VIGIL_GUARDED_BY(mu_){0};
  std::jthread thread_ VIGIL_GUARDED_BY(mu_);
};

}  // namespace vigil::scrape
