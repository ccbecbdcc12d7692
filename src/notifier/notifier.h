// notifier::Manager: delivers the alerts that rules produce to one or more
// Alertmanagers over their API v2 (Prometheus' notifier.Manager). The daemon
// binds the rules module's alert sink to Send(); neither module includes the
// other.
//
//   auto m = notifier::Manager::Create({.registry = &self_registry});
//   if (!m.ok()) return m.status();
//   VIGIL_RETURN_IF_ERROR((*m)->ApplyConfig(
//       {.alertmanagers = {{.url = "http://127.0.0.1:9093"}},
//        .external_labels = Labels::FromPairs({{"cluster", "eu1"}})}));
//   (*m)->Start();
//   (*m)->Send(alerts);  // from the rule evaluation thread; never blocks
//   ...
//   (*m)->Stop();        // or let the destructor do it
//
// Queue: Send() adds the external labels each alert lacks (the alert's own
// value wins, as in Prometheus) and appends to one bounded FIFO. When the
// queue would exceed queue_capacity, the OLDEST queued alerts are dropped
// (newer state about the same alert supersedes older; rules resend firing
// alerts every evaluation anyway) and counted in
// vigil_notifications_dropped_total. Send() before Start() queues; Send()
// after Stop() drops and counts.
//
// Delivery: one sender thread takes up to max_batch_size alerts, encodes
// them once (EncodeAlerts) and POSTs the body concurrently to every
// Alertmanager at <url><path_prefix>/api/v2/alerts, then waits for all of
// them before taking the next batch (Prometheus' behaviour: every
// Alertmanager sees every alert, in order; a slow one delays the next batch
// by at most its timeout). Before the first ApplyConfig() the sender waits;
// with an empty Alertmanager list applied, batches are discarded uncounted,
// as Prometheus does when alerting is not configured.
//
// Retries (Prometheus itself does not retry): per batch and Alertmanager, up
// to max_attempts POSTs, waiting initial_backoff, then twice that, and so on
// between them, all within that Alertmanager's timeout, which bounds the
// whole delivery: an attempt gets only the time left, and a retry whose
// backoff would end past the deadline is not made. Retried: connection
// errors, timeouts, 5xx, 408 and 429. Not retried: any other non-2xx (the
// Alertmanager rejected the payload; sending it again cannot help). A batch
// that still fails adds its alert count to
// vigil_notifications_errors_total{alertmanager}; a batch that reached no
// Alertmanager at all also adds it to vigil_notifications_dropped_total (as
// Prometheus counts it). Alerts are not put back in the queue: by the next
// evaluation the rules have newer state to send.
//
// Stop(): stops accepting alerts, then keeps delivering what is queued for
// up to drain_timeout (0: not at all; Prometheus drains on shutdown by
// default), then aborts whatever request or backoff is still in flight
// (http::Client::Stop), joins the sender thread and counts every undelivered
// alert as dropped. So Stop() returns within about drain_timeout, even with
// an Alertmanager that never answers.
//
// ApplyConfig() replaces the Alertmanager list and external labels at run
// time without touching the queue. Alertmanagers whose config is unchanged
// keep their connection and metric series; removed ones have their request
// in flight aborted and their series deleted.
//
// Metrics, on ManagerOptions::registry (may be null; "alertmanager" is the
// full POST URL, as in Prometheus):
//   vigil_notifications_sent_total{alertmanager}        alerts delivered
//   vigil_notifications_errors_total{alertmanager}      alerts whose delivery
//                                                        failed
//   vigil_notifications_latency_seconds{alertmanager}   summary: batch start
//                                                        to outcome, retries
//                                                        included
//   vigil_notifications_dropped_total                   alerts lost (above)
//   vigil_notifications_queue_length                    alerts queued
//   vigil_notifications_queue_capacity                  queue_capacity
//   vigil_notifications_alertmanagers_discovered        Alertmanagers applied
//
// Thread safety: thread-safe. Send() only takes a short lock; ApplyConfig()
// calls are serialised; Stop() may be called from any thread, repeatedly.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/thread_annotations.h"
#include "http/client.h"
#include "http/client_config.h"
#include "model/alert.h"
#include "model/labels.h"
#include "vigil/metrics/registry.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::notifier {

// One Alertmanager (Prometheus' alerting.alertmanagers entry with one static
// target: the daemon maps scheme + target onto `url`, and path_prefix,
// timeout, basic_auth, authorization and tls_config onto the rest). Only
// API v2 exists.
struct AlertmanagerConfig {
  // "http://host:port" or "https://host:port", no path.
  std::string url;
  // Where Alertmanager is served (its --web.route-prefix), e.g. "/am";
  // empty: the root.
  std::string path_prefix;
  // Bounds one batch's whole delivery to this Alertmanager, retries
  // included.
  std::chrono::milliseconds timeout{10000};
  // basic_auth or authorization (secret files read for every delivery),
  // TLS (https only) and redirects.
  http::HttpClientConfig http_client_config;
};

// InvalidArgument naming what is wrong: a URL that is not scheme://host
// [:port], a non-positive timeout, what ValidateHttpClientConfig refuses,
// or a path prefix with "?", "#" or "..".
Status ValidateAlertmanagerConfig(const AlertmanagerConfig& config);

// The path alerts are POSTed to: "/" + prefix + "/api/v2/alerts" with empty
// segments removed ("" -> "/api/v2/alerts", "am/" -> "/am/api/v2/alerts").
std::string AlertsPath(std::string_view path_prefix);
// `path` ("/api/v2/...") under the prefix, cleaned the same way.
std::string PrefixedPath(std::string_view path_prefix, std::string_view path);

// What ApplyConfig() replaces at run time.
struct Config {
  std::vector<AlertmanagerConfig> alertmanagers;
  // Added to every alert sent after ApplyConfig() returns, where the alert
  // does not have the label.
  model::Labels external_labels;
};

// Fixed for the manager's lifetime.
struct ManagerOptions {
  // Prometheus' --alertmanager.notification-queue-capacity.
  size_t queue_capacity = 10000;
  // Alerts per POST.
  size_t max_batch_size = 64;
  // POSTs per batch and Alertmanager, the first included (1: no retry).
  int max_attempts = 3;
  // Wait before the first retry; doubled before each further one.
  std::chrono::milliseconds initial_backoff{100};
  // How long Stop() keeps delivering queued alerts; 0: drop them at once.
  std::chrono::milliseconds drain_timeout{5000};
  // For the vigil_notifications_* metrics; may be null. Must outlive the
  // manager.
  metrics::Registry* registry = nullptr;
  // Called from a sender thread with one line per batch that failed for an
  // Alertmanager after its retries; may be empty. Must not call Stop().
  std::function<void(std::string_view)> error_reporter;
};

struct AlertmanagerStatus {
  std::string url;  // the full POST URL
  // The last batch's outcome for this Alertmanager; OK before any.
  Status last_error;
};

// The API v2 body for `alerts`: a JSON array of
//   {"labels":{..},"annotations":{..},"startsAt":"..","endsAt":"..",
//    "generatorURL":".."}
// Times are RFC 3339 in UTC with milliseconds ("2024-05-01T12:00:00.000Z",
// the precision Prometheus sends). A zero starts_at or ends_at is left out
// (Prometheus writes "0001-01-01T00:00:00.000Z", which Alertmanager reads
// as the same zero time: it then uses its own clock and resolve_timeout),
// as are empty annotations and an empty generator URL (as Prometheus does).
// Invalid UTF-8 is replaced by U+FFFD. Cannot fail.
std::string EncodeAlerts(std::span<const model::Alert> alerts);

class Manager {
 public:
  // InvalidArgument when queue_capacity, max_batch_size or max_attempts is
  // less than 1, or a duration is negative.
  static Result<std::unique_ptr<Manager>> Create(ManagerOptions options);
  // Stop().
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Validates everything first (ValidateAlertmanagerConfig, and no two
  // Alertmanagers with the same POST URL); on error nothing changes.
  // FailedPrecondition after Stop().
  Status ApplyConfig(const Config& config);

  // Starts the sender thread. Idempotent; nothing after Stop().
  void Start();

  // Queues `alerts` (see the file comment). Never blocks on I/O.
  void Send(std::vector<model::Alert> alerts);

  // Drains for up to drain_timeout, aborts, joins (see the file comment);
  // without Start() nothing is drained. Idempotent; a concurrent caller
  // returns once the first one is done.
  void Stop();

  size_t queue_length() const;
  // The applied Alertmanagers, in config order.
  std::vector<AlertmanagerStatus> Alertmanagers() const;

 private:
  struct Endpoint;
  struct Metrics;
  using EndpointList = std::vector<std::shared_ptr<Endpoint>>;

  Manager(ManagerOptions options, std::unique_ptr<Metrics> metrics);

  void Run(std::stop_token stop);
  // Delivers one encoded batch to every endpoint at once; true if at least
  // one accepted it (or the list is empty).
  bool DeliverToAll(const EndpointList& endpoints, const std::string& body,
                    size_t count, std::stop_token stop);
  // One endpoint, with retries. True on success.
  bool Deliver(Endpoint& endpoint, const std::string& body, size_t count,
               std::stop_token stop);
  void SetQueueLength() VIGIL_REQUIRES(mu_);

  // Constant after construction.
  const ManagerOptions options_;
  const std::unique_ptr<Metrics> metrics_;

  // Serialises ApplyConfig(); never held while mu_ is waited on.
  Mutex apply_mu_;
  // Serialises Stop(); held while the sender drains and is joined.
  Mutex stop_mu_;
  // The sender thread; started by Start(), joined by Stop().
  std::jthread thread_ VIGIL_GUARDED_BY(stop_mu_);

  mutable Mutex mu_;
  std::condition_variable_any cv_;  // queue_, configured_, stopping_, done_
  std::deque<model::Alert> queue_ VIGIL_GUARDED_BY(mu_);
  EndpointList endpoints_ VIGIL_GUARDED_BY(mu_);
  model::Labels external_labels_ VIGIL_GUARDED_BY(mu_);
  bool configured_ VIGIL_GUARDED_BY(mu_) = false;  // ApplyConfig() ran
  bool started_ VIGIL_GUARDED_BY(mu_) = false;
  bool stopping_ VIGIL_GUARDED_BY(mu_) = false;  // Stop() was called
  bool done_ VIGIL_GUARDED_BY(mu_) = false;      // the sender has exited
};

}  // namespace vigil::notifier
