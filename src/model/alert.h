// model::Alert: an alert as rules emit it and alert managers receive it
// (Prometheus' notifier.Alert, Alertmanager's API v2 postableAlert). The
// meeting point of `rules` and `alertmanager`, which never include each
// other (STYLE 1.3).
//
// Thread safety: a plain value.
#pragma once

#include <chrono>
#include <string>

#include "model/labels.h"

namespace vigil::model {

struct Alert {
  // Identity: alertname plus the rule's and the series' labels (and any
  // external labels).
  Labels labels;
  // Templated summary/description and the like; name -> text.
  Labels annotations;
  // When the alert started firing. Zero: the receiver uses its own clock.
  std::chrono::system_clock::time_point starts_at{};
  // Firing alerts: a time in the future past which the receiver may resolve
  // the alert on its own if it hears nothing more (Prometheus sends now +
  // 4 x max(resend delay, evaluation interval)). Resolved alerts: when
  // they resolved, in the past.
  std::chrono::system_clock::time_point ends_at{};
  // A link back to the expression that produced the alert.
  std::string generator_url;

  bool Resolved(std::chrono::system_clock::time_point now) const {
    return ends_at != std::chrono::system_clock::time_point{} && ends_at <= now;
  }
};

}  // namespace vigil::model
