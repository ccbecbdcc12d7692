// scrape::ScrapeManager: runs the scrape loops of every configured target
// (Prometheus' scrape.Manager with its scrape pools), one std::jthread per
// target, as Prometheus runs one goroutine per target: a target's scrapes
// never wait on another's, and a loop sleeps on a condition variable
// between scrapes, so idle threads cost only their stacks. (At a few
// thousand targets a shared timer wheel with a worker pool would be the
// better shape; nothing outside this class would change.)
//
//   ScrapeManager manager({.appendable = &db, .registry = &self_registry});
//   VIGIL_RETURN_IF_ERROR(manager.ApplyConfig(config.scrape_configs));
//   ...
//   for (const TargetStatus& t : manager.Targets()) { ... }  // the API
//   manager.Stop();
//
// Metric metadata: each TargetStatus carries its target's metadata
// snapshot (TargetStatus::metadata, TYPE/HELP/UNIT per family, shared and
// immutable), so /api/v1/metadata is one Targets() call: aggregate by
// metric_family over the targets, drop duplicates, then apply `metric` and
// `limit` (Prometheus' api.metricMetadata); /api/v1/targets/metadata reads
// the same snapshots with the target labels.
//
// Scheduling: each target first scrapes at its offset within the interval
// (Target::Offset, deterministic by target and jitter_seed), then every
// interval; a scrape that overruns skips the missed slots.
//
// ApplyConfig starts new targets, keeps unchanged ones running untouched,
// restarts targets whose job settings changed (carrying over their series
// cache, metadata and health, without staleness markers; a change of
// honor_labels ends the old series with markers but keeps the metadata
// and health), and stops removed targets,
// writing staleness markers for all their series at once. (Prometheus waits
// about two intervals first, in case service discovery brings the target
// back; static targets do not flap, so vigil does not wait.) Stop() ends
// every loop without staleness markers, as Prometheus does at shutdown: on
// restart the series continue where they were.
//
// Thread safety: thread-safe. ApplyConfig calls are serialised; Targets()
// never waits for one to finish.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/thread_annotations.h"
#include "scrape/config.h"
#include "scrape/scrape_loop.h"
#include "scrape/target.h"
#include "storage/interface.h"
#include "vigil/metrics/registry.h"
#include "vigil/status.h"

namespace vigil::scrape {

struct ScrapeManagerOptions {
  // Where samples go. Required; must outlive the manager.
  storage::Appendable* appendable = nullptr;
  // For vigil_scrape_* metrics; may be null.
  metrics::Registry* registry = nullptr;
  // Mixed into every target's offset (Prometheus uses a hash of the
  // external labels and host name, so that HA pairs do not scrape in step).
  uint64_t jitter_seed = 0;
};

class ScrapeManager {
 public:
  // REQUIRES: options.appendable != nullptr.
  explicit ScrapeManager(ScrapeManagerOptions options);
  ~ScrapeManager();
  ScrapeManager(const ScrapeManager&) = delete;
  ScrapeManager& operator=(const ScrapeManager&) = delete;

  // Replaces the set of jobs. All configs are validated first (and job
  // names must be unique); on error nothing changes. kFailedPrecondition
  // after Stop().
  Status ApplyConfig(const std::vector<ScrapeConfig>& configs);

  // Stops every loop and waits for them. Idempotent.
  void Stop();

  // Every active target, sorted by job then labels, each with its
  // metadata snapshot (never null; taking it copies a pointer, not the
  // metadata).
  std::vector<TargetStatus> Targets() const;

 private:
  struct Runner;
  using RunnerMap = std::map<std::string, std::shared_ptr<Runner>>;

  // Constant after construction.
  const ScrapeManagerOptions options_;
  const std::shared_ptr<ScrapeMetrics> metrics_;

  // Serialises ApplyConfig and Stop; held while loops stop, never by
  // Targets().
  Mutex apply_mu_;
  bool stopped_ VIGIL_GUARDED_BY(apply_mu_) = false;

  mutable Mutex mu_;
  // Keyed by job, target labels and URL. Replaced only with apply_mu_ held.
  RunnerMap runners_ VIGIL_GUARDED_BY(mu_);
};

}  // namespace vigil::scrape
