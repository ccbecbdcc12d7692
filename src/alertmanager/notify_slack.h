// The Slack integration (Alertmanager 0.25's notify/slack): one incoming-
// webhook message with a single attachment, POSTed as JSON to api_url (the
// global slack_api_url when the config has none).
//
//   {"channel":"#alerts","username":"Alertmanager","attachments":[{
//    "title":"[FIRING:2] HighErrorRate (critical)","title_link":
//    "http://am:9093/#/alerts?receiver=team-ml","text":"","fallback":
//    "[FIRING:2] ... | http://am...","callback_id":"","footer":"",
//    "color":"danger","mrkdwn_in":["fallback","pretext","text"]}]}
//
// Field order and omission follow Alertmanager's structs (title, title_link,
// pretext, color, channel, username, icon_* and link_names are left out
// when empty; text, fallback, callback_id and footer are always there); the
// title is cut to 1024 runes. Empty template fields take Alertmanager's
// defaults (title: {{ template "slack.default.title" . }}, color: danger
// while firing, good when resolved, ...); mrkdwn_in defaults to fallback,
// pretext and text. A template that fails is kInvalidArgument.
//
// Answers: 2xx is success unless the body is JSON with "ok": false (the
// Web API's way to fail with 200); 5xx and 429 are kUnavailable; other
// codes kFailedPrecondition or kInvalidArgument with a snippet of the body.
// The API URL (a secret) appears in no message beyond its scheme and host.
//
// Thread safety: the notifier is thread-safe (no mutable state).
#pragma once

#include <memory>
#include <string>

#include "alertmanager/config.h"
#include "alertmanager/notify.h"
#include "alertmanager/notify_templates.h"
#include "vigil/result.h"

namespace vigil::alertmanager {

// The JSON Alertmanager would POST for `data` (json.Encoder output, final
// newline included).
Result<std::string> BuildSlackMessage(const SlackConfig& config, const Templates& templates,
                                      const NotificationData& data);

// kInvalidArgument without an api_url (here or global) or with one that
// does not parse.
Result<std::unique_ptr<Notifier>> NewSlackNotifier(const SlackConfig& config,
                                                   const GlobalConfig& global,
                                                   std::shared_ptr<const Templates> templates);

}  // namespace vigil::alertmanager
