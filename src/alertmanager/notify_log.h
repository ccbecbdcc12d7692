// The log integration (vigil's own `log_configs`): every notification
// becomes one logfmt line handed to a sink (stderr by default):
//
//   ts=2024-01-02T03:04:05.5Z level=info integration=log receiver=team-ml
//   status=firing group_key="{}:{alertname=\"HighErrorRate\"}" alerts=2
//   firing=2 resolved=0 alertnames=HighErrorRate
//   msg="[FIRING:2] HighErrorRate (critical)"
//
// (one line). `msg` is the config's text template, by default
// {{ template "log.default.text" . }} (the __subject line); values are
// quoted as Go's %q when they hold spaces, quotes, '=' or control bytes.
// alertnames lists the distinct alertname labels in alert order. Notify
// fails only when the template does (kInvalidArgument).
//
// Thread safety: the notifier is thread-safe if its sink is.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "alertmanager/config.h"
#include "alertmanager/notify.h"
#include "alertmanager/notify_templates.h"
#include "vigil/result.h"

namespace vigil::alertmanager {

using LogSink = std::function<void(std::string_view line)>;

// The line (without newline) for one notification of `receiver`.
Result<std::string> FormatLogLine(const LogConfig& config, const Templates& templates,
                                  std::string_view receiver, const NotifyContext& ctx,
                                  const NotificationData& data);

// kInvalidArgument for a level other than debug, info, warn or error.
// `sink` unset: each line goes to stderr.
Result<std::unique_ptr<Notifier>> NewLogNotifier(const LogConfig& config,
                                                 std::shared_ptr<const Templates> templates,
                                                 std::string receiver, LogSink sink);

}  // namespace vigil::alertmanager
