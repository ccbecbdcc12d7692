#include "notifier/notifier.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "base/status_macros.h"
#include "model/rfc3339.h"
#include "model/timestamp.h"

namespace vigil::notifier {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Json = nlohmann::ordered_json;

constexpr std::string_view kContentType = "application/json";
// Longest piece of an error answer's body quoted in an error message.
constexpr size_t kMaxQuotedBody = 256;

// RFC 3339, UTC, milliseconds: what Alertmanager's strfmt.DateTime writes
// and reads.
std::string FormatTime(std::chrono::system_clock::time_point tp) {
  return model::FormatRfc3339(model::FromTimePointNanos(tp), model::Rfc3339Fraction::kMillis);
}

Json LabelsToJson(const model::Labels& labels) {
  Json o = Json::object();
  for (model::LabelRef l : labels) {
    o[std::string(l.name)] = std::string(l.value);
  }
  return o;
}

// "http://host:9093/" -> "http://host:9093".
std::string TrimUrl(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

std::string PostUrl(const AlertmanagerConfig& c) {
  return TrimUrl(c.url) + AlertsPath(c.path_prefix);
}

http::ClientOptions ClientOptionsFor(const AlertmanagerConfig& c,
                                     std::chrono::milliseconds timeout) {
  http::ClientOptions o;
  o.timeout = timeout;
  http::ApplyClientConfig(c.http_client_config, &o);
  return o;
}

// The Authorization header for one delivery, if any.
Result<http::Headers> AuthHeaders(const AlertmanagerConfig& c) {
  VIGIL_ASSIGN_OR_RETURN(std::string auth, http::AuthorizationHeaderValue(c.http_client_config));
  http::Headers h;
  if (!auth.empty()) h.emplace_back("Authorization", std::move(auth));
  return h;
}

bool SameConfig(const AlertmanagerConfig& a, const AlertmanagerConfig& b) {
  return a.url == b.url && a.path_prefix == b.path_prefix &&
         a.timeout == b.timeout && a.http_client_config == b.http_client_config;
}

}  // namespace

Status ValidateAlertmanagerConfig(const AlertmanagerConfig& config) {
  const std::string what = "alertmanager \"" + config.url + "\"";
  if (config.timeout <= std::chrono::milliseconds(0)) {
    return InvalidArgumentError(what + ": timeout must be positive");
  }
  if (Status s = http::ValidateHttpClientConfig(config.http_client_config); !s.ok()) {
    return InvalidArgumentError(what + ": " + std::string(s.message()));
  }
  const std::string_view prefix = config.path_prefix;
  if (prefix.find_first_of("?#") != std::string_view::npos) {
    return InvalidArgumentError(what + ": path_prefix \"" + config.path_prefix +
                                "\" must be a plain path");
  }
  for (size_t start = 0; start <= prefix.size();) {
    size_t end = prefix.find('/', start);
    if (end == std::string_view::npos) end = prefix.size();
    if (prefix.substr(start, end - start) == "..") {
      return InvalidArgumentError(what + ": path_prefix \"" +
                                  config.path_prefix +
                                  "\" must not hold \"..\"");
    }
    start = end + 1;
  }
  // Parses the URL (and loads TLS files) without connecting.
  Result<std::unique_ptr<http::Client>> c = http::Client::Create(
      TrimUrl(config.url), ClientOptionsFor(config, config.timeout));
  if (!c.ok()) return c.status().WithPrefix("alertmanager");
  return Status();
}

std::string AlertsPath(std::string_view path_prefix) {
  return PrefixedPath(path_prefix, "/api/v2/alerts");
}

std::string PrefixedPath(std::string_view path_prefix, std::string_view path) {
  std::string out;
  for (size_t start = 0; start <= path_prefix.size();) {
    size_t end = path_prefix.find('/', start);
    if (end == std::string_view::npos) end = path_prefix.size();
    const std::string_view seg = path_prefix.substr(start, end - start);
    if (!seg.empty() && seg != ".") {
      out.push_back('/');
      out.append(seg);
    }
    start = end + 1;
  }
  out.append(path);
  return out;
}

std::string EncodeAlerts(std::span<const model::Alert> alerts) {
  Json arr = Json::array();
  const std::chrono::system_clock::time_point zero{};
  for (const model::Alert& a : alerts) {
    Json o = Json::object();
    o["labels"] = LabelsToJson(a.labels);
    if (!a.annotations.empty()) o["annotations"] = LabelsToJson(a.annotations);
    if (a.starts_at != zero) o["startsAt"] = FormatTime(a.starts_at);
    if (a.ends_at != zero) o["endsAt"] = FormatTime(a.ends_at);
    if (!a.generator_url.empty()) o["generatorURL"] = a.generator_url;
    arr.push_back(std::move(o));
  }
  // `replace`: invalid UTF-8 becomes U+FFFD instead of an exception.
  return arr.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The vigil_notifications_* metrics. Families are null (and handles
// detached) without a registry or when registration failed.
struct Manager::Metrics {
  metrics::Family<metrics::Counter>* sent = nullptr;
  metrics::Family<metrics::Counter>* errors = nullptr;
  metrics::Family<metrics::Summary>* latency = nullptr;
  metrics::Counter dropped;
  metrics::Gauge queue_length;
  metrics::Gauge queue_capacity;
  metrics::Gauge alertmanagers;

  static std::unique_ptr<Metrics> Create(metrics::Registry* r) {
    auto m = std::make_unique<Metrics>();
    if (r == nullptr) return m;
    const std::vector<std::string> am = {"alertmanager"};
    m->sent =
        Checked(r, r->AddCounter({.name = "vigil_notifications_sent_total",
                                  .help = "Total number of alerts sent.",
                                  .label_names = am}));
    m->errors = Checked(
        r, r->AddCounter(
               {.name = "vigil_notifications_errors_total",
                .help = "Total number of sent alerts affected by errors.",
                .label_names = am}));
    m->latency =
        Checked(r, r->AddSummary({.name = "vigil_notifications_latency_seconds",
                                  .help = "Latency quantiles for sending alert "
                                          "notifications, retries included.",
                                  .label_names = am}));
    auto* dropped = Checked(
        r, r->AddCounter({.name = "vigil_notifications_dropped_total",
                          .help = "Total number of alerts dropped: queue "
                                  "overflow, delivered to no Alertmanager, "
                                  "or left at shutdown."}));
    if (dropped != nullptr) m->dropped = dropped->WithLabelValues({});
    const struct {
      const char* name;
      const char* help;
      metrics::Gauge* out;
    } gauges[] = {
        {"vigil_notifications_queue_length",
         "The number of alert notifications in the queue.", &m->queue_length},
        {"vigil_notifications_queue_capacity",
         "The capacity of the alert notifications queue.", &m->queue_capacity},
        {"vigil_notifications_alertmanagers_discovered",
         "The number of alertmanagers discovered and active.",
         &m->alertmanagers},
    };
    for (const auto& g : gauges) {
      auto* f = Checked(r, r->AddGauge({.name = g.name, .help = g.help}));
      if (f != nullptr) *g.out = f->WithLabelValues({});
    }
    return m;
  }

 private:
  // The family, or null after reporting why it could not be registered.
  template <typename F>
  static F* Checked(metrics::Registry* r, Result<F*> f) {
    if (f.ok()) return *f;
    r->Report("notifier: cannot register a metric: " + f.status().ToString());
    return nullptr;
  }
};

// One Alertmanager: its config, keep-alive client and metric handles.
// Thread safety: thread-safe; deliveries to one endpoint are serialised by
// the sender (one batch at a time), Abort() may come from any thread.
struct Manager::Endpoint {
  // Constant after construction.
  AlertmanagerConfig config;
  std::string url;   // full POST URL, the metrics' label value
  std::string path;  // path_prefix + /api/v2/alerts
  std::unique_ptr<http::Client> client;  // first attempts, timeout = budget
  metrics::Counter sent;
  metrics::Counter errors;
  metrics::Summary latency;

  Mutex mu;
  std::condition_variable_any cv;  // aborted
  bool aborted VIGIL_GUARDED_BY(mu) = false;
  // A retry's own client (shorter timeout), so that Abort() reaches it.
  std::shared_ptr<http::Client> retry_client VIGIL_GUARDED_BY(mu);
  Status last_error VIGIL_GUARDED_BY(mu);

  // Ends a request or backoff in flight and refuses later ones.
  void Abort() {
    std::shared_ptr<http::Client> retry;
    {
      MutexLock lock(&mu);
      aborted = true;
      retry = retry_client;
    }
    cv.notify_all();
    client->Stop();
    if (retry != nullptr) retry->Stop();
  }

  // False once aborted; then `c` was not registered.
  bool SetRetryClient(std::shared_ptr<http::Client> c) {
    MutexLock lock(&mu);
    if (aborted && c != nullptr) return false;
    retry_client = std::move(c);
    return true;
  }

  // Sleeps `d`; false when aborted or `stop` was requested first.
  bool Sleep(std::chrono::milliseconds d, std::stop_token stop) {
    const auto until = SteadyClock::now() + d;
    MutexLock lock(&mu);
    // Only `aborted` ends the wait early (besides `stop`).
    const bool ended = cv.wait_until(
        mu, stop, until,
        [this]() VIGIL_NO_THREAD_SAFETY_ANALYSIS { return aborted; });
    return !ended && !stop.stop_requested();
  }

  void SetLastError(Status s) {
    MutexLock lock(&mu);
    last_error = std::move(s);
  }
  Status LastError() {
    MutexLock lock(&mu);
    return last_error;
  }
};

Result<std::unique_ptr<Manager>> Manager::Create(ManagerOptions options) {
  if (options.queue_capacity < 1) {
    return InvalidArgumentError("notifier: queue capacity must be at least 1");
  }
  if (options.max_batch_size < 1) {
    return InvalidArgumentError("notifier: max batch size must be at least 1");
  }
  if (options.max_attempts < 1) {
    return InvalidArgumentError("notifier: max attempts must be at least 1");
  }
  if (options.initial_backoff.count() < 0 ||
      options.drain_timeout.count() < 0) {
    return InvalidArgumentError("notifier: durations must not be negative");
  }
  auto metrics = Metrics::Create(options.registry);
  return std::unique_ptr<Manager>(
      new Manager(std::move(options), std::move(metrics)));
}

Manager::Manager(ManagerOptions options, std::unique_ptr<Metrics> metrics)
    : options_(std::move(options)), metrics_(std::move(metrics)) {
  metrics_->queue_capacity.Set(static_cast<double>(options_.queue_capacity));
  metrics_->queue_length.Set(0);
  metrics_->alertmanagers.Set(0);
}

Manager::~Manager() { Stop(); }

Status Manager::ApplyConfig(const Config& config) {
  std::set<std::string> urls;
  for (const AlertmanagerConfig& c : config.alertmanagers) {
    VIGIL_RETURN_IF_ERROR(ValidateAlertmanagerConfig(c));
    const std::string url = PostUrl(c);
    if (!urls.insert(url).second) {
      return InvalidArgumentError("duplicate alertmanager " + url);
    }
  }

  MutexLock apply_lock(&apply_mu_);
  EndpointList current;
  {
    MutexLock lock(&mu_);
    if (stopping_) return FailedPreconditionError("notifier stopped");
    current = endpoints_;
  }
  EndpointList next;
  for (const AlertmanagerConfig& c : config.alertmanagers) {
    const std::string url = PostUrl(c);
    auto same = std::find_if(current.begin(), current.end(),
                             [&](const std::shared_ptr<Endpoint>& e) {
                               return e->url == url && SameConfig(e->config, c);
                             });
    if (same != current.end()) {
      next.push_back(*same);
      continue;
    }
    Result<std::unique_ptr<http::Client>> client =
        http::Client::Create(TrimUrl(c.url), ClientOptionsFor(c, c.timeout));
    if (!client.ok()) return client.status().WithPrefix("alertmanager");
    auto e = std::make_shared<Endpoint>();
    e->config = c;
    e->url = url;
    e->path = AlertsPath(c.path_prefix);
    e->client = std::move(client).value();
    if (metrics_->sent != nullptr)
      e->sent = metrics_->sent->WithLabelValues({url});
    if (metrics_->errors != nullptr) {
      e->errors = metrics_->errors->WithLabelValues({url});
    }
    if (metrics_->latency != nullptr) {
      e->latency = metrics_->latency->WithLabelValues({url});
    }
    next.push_back(std::move(e));
  }

  {
    MutexLock lock(&mu_);
    if (stopping_) return FailedPreconditionError("notifier stopped");
    endpoints_ = next;
    external_labels_ = config.external_labels;
    configured_ = true;
  }
  cv_.notify_all();
  metrics_->alertmanagers.Set(static_cast<double>(next.size()));

  for (const std::shared_ptr<Endpoint>& old : current) {
    if (std::find(next.begin(), next.end(), old) != next.end()) continue;
    old->Abort();
    if (urls.count(old->url) != 0) continue;  // same URL, new settings
    if (metrics_->sent != nullptr) metrics_->sent->Remove({old->url});
    if (metrics_->errors != nullptr) metrics_->errors->Remove({old->url});
    if (metrics_->latency != nullptr) metrics_->latency->Remove({old->url});
  }
  return Status();
}

void Manager::Start() {
  MutexLock stop_lock(&stop_mu_);
  {
    MutexLock lock(&mu_);
    if (stopping_ || started_) return;
    started_ = true;
  }
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void Manager::Send(std::vector<model::Alert> alerts) {
  if (alerts.empty()) return;
  model::Labels external;
  {
    MutexLock lock(&mu_);
    external = external_labels_;
  }
  if (!external.empty()) {
    for (model::Alert& a : alerts) a.labels = model::WithDefaults(a.labels, external);
  }

  size_t dropped = 0;
  {
    MutexLock lock(&mu_);
    if (stopping_) {
      dropped = alerts.size();
    } else {
      const size_t cap = options_.queue_capacity;
      auto first = alerts.begin();
      if (alerts.size() > cap) {
        // A single call larger than the queue: keep its newest alerts.
        dropped += alerts.size() - cap;
        first += static_cast<std::ptrdiff_t>(alerts.size() - cap);
      }
      const size_t incoming = static_cast<size_t>(alerts.end() - first);
      if (queue_.size() + incoming > cap) {
        const size_t d = queue_.size() + incoming - cap;
        queue_.erase(queue_.begin(),
                     queue_.begin() + static_cast<std::ptrdiff_t>(d));
        dropped += d;
      }
      queue_.insert(queue_.end(), std::make_move_iterator(first),
                    std::make_move_iterator(alerts.end()));
      SetQueueLength();
    }
  }
  if (dropped != 0) metrics_->dropped.Inc(static_cast<double>(dropped));
  cv_.notify_all();
}

void Manager::Stop() {
  MutexLock stop_lock(&stop_mu_);
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    const auto deadline = SteadyClock::now() + options_.drain_timeout;
    {
      MutexLock lock(&mu_);
      cv_.wait_until(mu_, deadline, [this]() VIGIL_NO_THREAD_SAFETY_ANALYSIS {
        return done_;
      });
    }
    // Aborts requests and backoffs in flight (Run's stop callback).
    thread_.request_stop();
    thread_.join();
  }
  size_t left = 0;
  {
    MutexLock lock(&mu_);
    left = queue_.size();
    queue_.clear();
    SetQueueLength();
  }
  if (left != 0) metrics_->dropped.Inc(static_cast<double>(left));
}

size_t Manager::queue_length() const {
  MutexLock lock(&mu_);
  return queue_.size();
}

std::vector<AlertmanagerStatus> Manager::Alertmanagers() const {
  EndpointList endpoints;
  {
    MutexLock lock(&mu_);
    endpoints = endpoints_;
  }
  std::vector<AlertmanagerStatus> out;
  out.reserve(endpoints.size());
  for (const std::shared_ptr<Endpoint>& e : endpoints) {
    out.push_back({e->url, e->LastError()});
  }
  return out;
}

void Manager::SetQueueLength() {
  metrics_->queue_length.Set(static_cast<double>(queue_.size()));
}

void Manager::Run(std::stop_token stop) {
  // Stop() requests the stop after the drain: end whatever is in flight.
  std::stop_callback abort(stop, [this] {
    EndpointList endpoints;
    {
      MutexLock lock(&mu_);
      endpoints = endpoints_;
    }
    for (const std::shared_ptr<Endpoint>& e : endpoints) e->Abort();
  });
  for (;;) {
    std::vector<model::Alert> batch;
    EndpointList endpoints;
    {
      MutexLock lock(&mu_);
      cv_.wait(mu_, stop, [this]() VIGIL_NO_THREAD_SAFETY_ANALYSIS {
        return stopping_ || (configured_ && !queue_.empty());
      });
      if (stop.stop_requested()) break;
      if (!configured_ || queue_.empty()) {
        if (stopping_) break;
        continue;
      }
      const size_t n = std::min(queue_.size(), options_.max_batch_size);
      const auto end = queue_.begin() + static_cast<std::ptrdiff_t>(n);
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(end));
      queue_.erase(queue_.begin(), end);
      SetQueueLength();
      endpoints = endpoints_;
    }
    // No Alertmanager configured: nowhere to send, as in Prometheus.
    if (endpoints.empty()) continue;
    const std::string body = EncodeAlerts(batch);
    if (!DeliverToAll(endpoints, body, batch.size(), stop)) {
      metrics_->dropped.Inc(static_cast<double>(batch.size()));
    }
  }
  {
    MutexLock lock(&mu_);
    done_ = true;
  }
  cv_.notify_all();
}

bool Manager::DeliverToAll(const EndpointList& endpoints,
                           const std::string& body, size_t count,
                           std::stop_token stop) {
  if (endpoints.empty()) return true;
  // char, not bool: each helper writes its own element.
  std::vector<char> ok(endpoints.size(), 0);
  {
    std::vector<std::jthread> helpers;
    helpers.reserve(endpoints.size() - 1);
    for (size_t i = 1; i < endpoints.size(); ++i) {
      helpers.emplace_back([&, i] {
        ok[i] = Deliver(*endpoints[i], body, count, stop) ? 1 : 0;
      });
    }
    ok[0] = Deliver(*endpoints[0], body, count, stop) ? 1 : 0;
  }  // joins the helpers
  return std::any_of(ok.begin(), ok.end(), [](char c) { return c != 0; });
}

bool Manager::Deliver(Endpoint& e, const std::string& body, size_t count,
                      std::stop_token stop) {
  const auto start = SteadyClock::now();
  const auto deadline = start + e.config.timeout;
  std::chrono::milliseconds backoff = options_.initial_backoff;
  Status err;
  bool cancelled = false;
  bool delivered = false;
  int attempts = 0;
  for (;;) {
    ++attempts;
    Result<http::ClientResponse> r = CancelledError("not sent");
    // Secret files are read for each attempt (a rotated token applies
    // without a reload); one that cannot be read is retried like a
    // network error.
    Result<http::Headers> headers = AuthHeaders(e.config);
    if (!headers.ok()) {
      r = headers.status();
    } else if (attempts == 1) {
      r = e.client->Post(e.path, body, kContentType, *headers);
    } else {
      // A retry gets only what is left of the budget.
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - SteadyClock::now());
      if (left <= std::chrono::milliseconds(0)) break;
      Result<std::unique_ptr<http::Client>> c = http::Client::Create(
          TrimUrl(e.config.url), ClientOptionsFor(e.config, left));
      if (!c.ok()) {
        err = c.status();
        break;
      }
      std::shared_ptr<http::Client> retry = std::move(c).value();
      if (!e.SetRetryClient(retry)) {
        cancelled = true;
        break;
      }
      r = retry->Post(e.path, body, kContentType, *headers);
      (void)e.SetRetryClient(nullptr);
    }
    bool retryable = false;
    if (r.ok()) {
      const int status = r->status;
      if (status / 100 == 2) {
        delivered = true;
        break;
      }
      std::string quoted = r->body.substr(0, kMaxQuotedBody);
      while (!quoted.empty() &&
             (quoted.back() == '\n' || quoted.back() == '\r')) {
        quoted.pop_back();
      }
      err = UnavailableError("POST " + e.url + ": bad response status " +
                             std::to_string(status) +
                             (quoted.empty() ? "" : ": " + quoted));
      retryable = status / 100 == 5 || status == 408 || status == 429;
    } else if (r.status().code() == StatusCode::kCancelled ||
               stop.stop_requested()) {
      cancelled = true;
      break;
    } else {
      err = r.status();
      retryable = true;
    }
    if (!retryable || attempts >= options_.max_attempts) break;
    if (SteadyClock::now() + backoff >= deadline) break;
    if (!e.Sleep(backoff, stop)) {
      cancelled = true;
      break;
    }
    backoff *= 2;
  }

  if (cancelled) return false;
  const double seconds =
      std::chrono::duration<double>(SteadyClock::now() - start).count();
  e.latency.Observe(seconds);
  if (delivered) {
    e.sent.Inc(static_cast<double>(count));
    e.SetLastError(Status());
    return true;
  }
  if (err.ok()) {
    err = DeadlineExceededError("POST " + e.url + ": no time left to retry");
  }
  e.errors.Inc(static_cast<double>(count));
  e.SetLastError(err);
  if (options_.error_reporter) {
    options_.error_reporter("notifier: sending " + std::to_string(count) +
                            " alerts to " + e.url + " failed after " +
                            std::to_string(attempts) +
                            " attempt(s): " + err.ToString());
  }
  return false;
}

}  // namespace vigil::notifier
