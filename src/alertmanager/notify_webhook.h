// The webhook integration (Alertmanager 0.25's notify/webhook): POSTs the
// notification as JSON — webhook.Message, i.e. template.Data plus version
// "4", groupKey and truncatedAlerts — to the configured URL.
//
//   {"receiver":"team-ml","status":"firing","alerts":[{"status":"firing",
//    "labels":{...},"annotations":{...},"startsAt":"2024-01-02T03:04:05.5Z",
//    "endsAt":"0001-01-01T00:00:00Z","generatorURL":"...","fingerprint":
//    "0123456789abcdef"}],"groupLabels":{...},"commonLabels":{...},
//    "commonAnnotations":{...},"externalURL":"...","version":"4",
//    "groupKey":"{}:{alertname=\"X\"}","truncatedAlerts":0}
//
// The bytes are what Go's json.Encoder writes for that struct: fields in
// declaration order, map keys sorted, HTML-safe string escaping, times in
// RFC 3339 with nanoseconds (trailing zeros trimmed), a final newline.
// max_alerts > 0 sends only the first max_alerts alerts (TruncateAlerts).
// 2xx is success; 5xx and 429 are kUnavailable (retryable); other codes
// kFailedPrecondition / kInvalidArgument with a snippet of the answer. The
// URL (a secret) appears in no message beyond its scheme and host.
//
// Thread safety: the notifier is thread-safe (no mutable state).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "alertmanager/config.h"
#include "alertmanager/notify.h"
#include "vigil/result.h"

namespace vigil::alertmanager {

// webhook.Message for `data` as json.Encoder writes it (newline included);
// `data` is sent as given (truncate it first).
std::string EncodeWebhookMessage(const NotificationData& data, std::string_view group_key);

// REQUIRES nothing of `config`: a missing or malformed URL is
// kInvalidArgument. The global http_config applies when `config` leaves its
// own at the defaults.
Result<std::unique_ptr<Notifier>> NewWebhookNotifier(const WebhookConfig& config,
                                                     const GlobalConfig& global);

}  // namespace vigil::alertmanager
