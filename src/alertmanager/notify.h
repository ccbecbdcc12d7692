// Notifications: the data every receiver integration renders (Alertmanager
// 0.25's template.Data) and the Notifier interface the dispatcher calls.
//
//   NotificationData d = MakeNotificationData("team-ml", group_labels, alerts,
//                                             "http://vigil:9093", now);
//   Status s = notifier->Notify(ctx, d);   // one attempt
//
// Thread safety: NotificationData is a plain value; a Notifier is called
// from one dispatcher flush at a time per integration, but different
// integrations run concurrently, so implementations must not share
// mutable state without locking.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "alertmanager/types.h"
#include "model/labels.h"
#include "templating/value.h"
#include "vigil/status.h"

namespace vigil::alertmanager {

// template.Data.
struct NotificationData {
  std::string receiver;
  std::string status;  // "firing" if any alert fires, else "resolved"
  // template.Alert per alert: status at the notification time, labels,
  // annotations, times, generator URL, fingerprint.
  struct AlertData {
    std::string status;
    model::Labels labels;
    model::Labels annotations;
    TimePoint starts_at{};
    TimePoint ends_at{};
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

// template.Data for `alerts` (in the order given) at `now`.
NotificationData MakeNotificationData(std::string receiver, const model::Labels& group_labels,
                                      const std::vector<Alert>& alerts,
                                      std::string external_url, std::string group_key,
                                      TimePoint now);

// The data as Go templates see it (.Receiver, .Status, .Alerts with
// .Alerts.Firing / .Alerts.Resolved, .GroupLabels with .SortedPairs,
// .CommonLabels, .CommonAnnotations, .ExternalURL).
templating::Value TemplateValue(const NotificationData& data);

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
  virtual Status Notify(const NotifyContext& ctx, const NotificationData& data) = 0;
};

}  // namespace vigil::alertmanager
