// Notifications: the data every receiver integration renders (Alertmanager
// 0.25's template.Data) and the Notifier interface the dispatcher calls.
//
//   VIGIL_ASSIGN_OR_RETURN(auto notifiers, BuildNotifiers(receiver, global,
//                                                         templates));
//   NotificationData d = MakeNotificationData("team-ml", group_labels, alerts,
//                                             "http://vigil:9093", group_key, now);
//   Status s = notifiers[0]->Notify(ctx, d);   // one attempt
//
// The integrations (notify_webhook.h, notify_slack.h, notify_email.h,
// notify_pagerduty.h, notify_log.h) send what Alertmanager 0.25 sends for
// the same data: the webhook JSON byte for byte, Slack and PagerDuty JSON
// field for field, the same default texts (notify_templates.h).
//
// Thread safety: NotificationData is a plain value; a Notifier is called
// from one dispatcher flush at a time per integration, but different
// integrations run concurrently, so implementations must not share
// mutable state without locking.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/notify_templates.h"
#include "alertmanager/types.h"
#include "model/labels.h"
#include "templating/value.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::alertmanager {

// template.Data.
struct NotificationData {
  // The receiver's name through regexp.QuoteMeta, as Alertmanager puts it
  // into template data and webhook payloads ("team.ml" -> "team\.ml").
  std::string receiver;
  std::string status;  // "firing" if any alert fires, else "resolved"
  // template.Alert per alert: status at the notification time, labels,
  // annotations, times, generator URL, fingerprint.
  struct AlertData {
    std::string status;
    model::Labels labels;
    model::Labels annotations;
    TimePoint starts_at{};
    TimePoint ends_at{};  // TimePoint{} (Go's zero time) while firing
    std::string generator_url;
    std::string fingerprint;  // %016x
  };
  std::vector<AlertData> alerts;
  model::Labels group_labels;
  model::Labels common_labels;       // labels every alert shares
  model::Labels common_annotations;  // annotations every alert shares
  std::string external_url;
  // The webhook's extras.
  std::string group_key;
  int truncated_alerts = 0;
};

// template.Data for `alerts` (in the order given) at `now`: each alert's
// status at `now`, the end time of alerts still firing at `now` cleared
// (types.Alerts does so), common labels and annotations = the pairs every
// alert has.
NotificationData MakeNotificationData(std::string receiver, const model::Labels& group_labels,
                                      const std::vector<Alert>& alerts,
                                      std::string external_url, std::string group_key,
                                      TimePoint now);

// The data as Go templates see it (.Receiver, .Status, .Alerts with
// .Alerts.Firing / .Alerts.Resolved, .GroupLabels with .SortedPairs,
// .CommonLabels, .CommonAnnotations, .ExternalURL).
// Each of those has Go's methods: a KV (.GroupLabels, .Labels, ...) has
// .SortedPairs (alertname first, then by name; items with .Name/.Value),
// .Names, .Values, .Remove and String(); .Alerts has .Firing and .Resolved;
// times are time.Time (.Format, .Unix, .IsZero, ...; the zero time prints
// as "0001-01-01 00:00:00 +0000 UTC").
templating::Value TemplateValue(const NotificationData& data);
// The same with every string HTML-escaped as html/template escapes text
// (for Templates::ExecuteHtml).
templating::Value HtmlTemplateValue(const NotificationData& data);

// The data a webhook with max_alerts = `max_alerts` sees (webhook.go's
// truncateAlerts): the first `max_alerts` alerts, status and common
// labels/annotations recomputed over them, truncated_alerts = how many were
// dropped. max_alerts == 0 keeps all.
NotificationData TruncateAlerts(const NotificationData& data, size_t max_alerts);

// What a flush hands an integration.
struct NotifyContext {
  TimePoint now{};
  std::string group_key;
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
};

// One integration of a receiver (a webhook, a Slack channel, ...).
class Notifier {
 public:
  virtual ~Notifier() = default;
  // "webhook", "slack", "email", "pagerduty", "log".
  virtual std::string_view integration() const = 0;
  virtual bool send_resolved() const = 0;
  // One delivery attempt. kUnavailable (and kDeadlineExceeded) are worth
  // retrying; other errors are not (a 4xx, a template that fails).
  // A template that fails gives kInvalidArgument. Messages never contain
  // secrets (keys, passwords, secret URLs).
  virtual Status Notify(const NotifyContext& ctx, const NotificationData& data) = 0;
};

// The group key an integration uses: ctx.group_key, or data.group_key when
// the context has none.
std::string_view GroupKeyOf(const NotifyContext& ctx, const NotificationData& data);

// What BuildNotifiers needs besides the configuration.
struct NotifierOptions {
  // Receives each log integration line (no trailing newline); unset: a
  // line on stderr. Must be thread-safe.
  std::function<void(std::string_view line)> log_sink;
  // Where PagerDuty Events API v1 events (service_key) go; Alertmanager
  // hard-codes this URL, tests point it at loopback.
  std::string pagerduty_v1_url =
      "https://events.pagerduty.com/generic/2010-04-15/create_event.json";
};

// One Notifier per integration of `receiver`, in Alertmanager's order
// (webhook, email, pagerduty, slack), then vigil's log_configs; global
// settings fill what the integrations leave empty (smtp_*, slack_api_url,
// pagerduty_url, http_config) and Alertmanager's defaults fill empty
// template fields. Errors: kInvalidArgument naming the integration
// ("slack_configs[0]: ...") for what a notifier cannot work without (no
// URL, a URL that does not parse, email without to/from/smarthost,
// PagerDuty without routing_key or service_key); never quotes a secret.
// `templates` null: the default templates only.
Result<std::vector<std::unique_ptr<Notifier>>> BuildNotifiers(
    const Receiver& receiver, const GlobalConfig& global,
    std::shared_ptr<const Templates> templates, const NotifierOptions& options = {});

}  // namespace vigil::alertmanager
