// The PagerDuty integration (Alertmanager 0.25's notify/pagerduty): one
// Events API v2 event per notification, POSTed as JSON to `url` (the global
// pagerduty_url when the config has none):
//
//   {"routing_key":"...","dedup_key":"<sha256 hex of the group key>",
//    "event_action":"trigger","payload":{"summary":"[FIRING:1] ...",
//    "source":"Alertmanager","severity":"error","custom_details":{
//    "firing":"...","num_firing":"1","num_resolved":"0","resolved":""}},
//    "client":"Alertmanager","client_url":"http://am:9093/#/alerts?..."}
//
// event_action is "resolve" once every alert is resolved. The summary is
// the description template cut to 1024 runes; source is the client text;
// severity defaults to "error"; class, component and group are sent when
// set; details are Alertmanager's four defaults (firing, resolved,
// num_firing, num_resolved) plus the configured ones, each a template.
// Empty template fields take Alertmanager's defaults. An event larger than
// 512000 bytes has its details replaced by an error note, as Alertmanager
// does. With a service_key (and no routing_key use) the older Events API
// v1 event goes to options' v1 URL instead.
//
// Answers: 2xx is success; 5xx and 429 (v1: 403) are kUnavailable; other
// codes kFailedPrecondition or kInvalidArgument with PagerDuty's message.
// Routing and service keys appear in no message.
//
// Thread safety: the notifier is thread-safe (no mutable state).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "alertmanager/config.h"
#include "alertmanager/notify.h"
#include "alertmanager/notify_templates.h"
#include "vigil/result.h"

namespace vigil::alertmanager {

// The JSON Alertmanager would POST for `data` under `group_key`
// (json.Encoder output, final newline included); v1 when service_key is
// set.
Result<std::string> BuildPagerdutyMessage(const PagerdutyConfig& config, const Templates& templates,
                                          const NotificationData& data, std::string_view group_key);

// kInvalidArgument without routing_key and service_key, or with a URL
// that does not parse.
Result<std::unique_ptr<Notifier>> NewPagerdutyNotifier(const PagerdutyConfig& config,
                                                       const GlobalConfig& global,
                                                       std::shared_ptr<const Templates> templates,
                                                       std::string v1_url);

}  // namespace vigil::alertmanager
