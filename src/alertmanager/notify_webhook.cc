#include "alertmanager/notify_webhook.h"

#include <utility>

#include "alertmanager/notify_util.h"

namespace vigil::alertmanager {
namespace {

using internal::AppendJsonLabels;
using internal::AppendJsonString;

// One webhook_configs entry. Thread-safe: its state is constant.
class WebhookNotifier final : public Notifier {
 public:
  WebhookNotifier(WebhookConfig config, HttpConfig http)
      : config_(std::move(config)), http_(std::move(http)) {}

  std::string_view integration() const override { return "webhook"; }
  bool send_resolved() const override { return config_.send_resolved; }

  Status Notify(const NotifyContext& ctx, const NotificationData& data) override {
    const size_t max = config_.max_alerts > 0 ? static_cast<size_t>(config_.max_alerts) : 0;
    const std::string body = EncodeWebhookMessage(TruncateAlerts(data, max), GroupKeyOf(ctx, data));
    internal::PostOptions opts;
    opts.what = "webhook";
    opts.http_config = &http_;
    opts.timeout = ctx.timeout;
    Result<internal::PostResult> r = internal::PostJson(config_.url.value, body, opts);
    if (!r.ok()) return r.status();
    return internal::CheckHttpStatus("webhook", r->status, internal::Snippet(r->body));
  }

 private:
  // Constant after construction.
  const WebhookConfig config_;
  const HttpConfig http_;
};

}  // namespace

std::string EncodeWebhookMessage(const NotificationData& data, std::string_view group_key) {
  std::string out;
  out.reserve(512 + data.alerts.size() * 512);
  out += "{\"receiver\":";
  AppendJsonString(data.receiver, &out);
  out += ",\"status\":";
  AppendJsonString(data.status, &out);
  out += ",\"alerts\":[";
  for (size_t i = 0; i < data.alerts.size(); ++i) {
    const NotificationData::AlertData& a = data.alerts[i];
    if (i > 0) out += ',';
    out += "{\"status\":";
    AppendJsonString(a.status, &out);
    out += ",\"labels\":";
    AppendJsonLabels(a.labels, &out);
    out += ",\"annotations\":";
    AppendJsonLabels(a.annotations, &out);
    out += ",\"startsAt\":\"" + internal::FormatRfc3339Nano(a.starts_at);
    out += "\",\"endsAt\":\"" + internal::FormatRfc3339Nano(a.ends_at);
    out += "\",\"generatorURL\":";
    AppendJsonString(a.generator_url, &out);
    out += ",\"fingerprint\":";
    AppendJsonString(a.fingerprint, &out);
    out += '}';
  }
  out += "],\"groupLabels\":";
  AppendJsonLabels(data.group_labels, &out);
  out += ",\"commonLabels\":";
  AppendJsonLabels(data.common_labels, &out);
  out += ",\"commonAnnotations\":";
  AppendJsonLabels(data.common_annotations, &out);
  out += ",\"externalURL\":";
  AppendJsonString(data.external_url, &out);
  out += ",\"version\":\"4\",\"groupKey\":";
  AppendJsonString(group_key, &out);
  out += ",\"truncatedAlerts\":" +
         std::to_string(data.truncated_alerts < 0 ? 0 : data.truncated_alerts);
  out += "}\n";
  return out;
}

Result<std::unique_ptr<Notifier>> NewWebhookNotifier(const WebhookConfig& config,
                                                     const GlobalConfig& global) {
  if (config.url.empty()) return InvalidArgumentError("webhook: no url");
  if (config.max_alerts < 0)
    return InvalidArgumentError("webhook: max_alerts must not be negative");
  Result<internal::HttpUrl> u = internal::ParseHttpUrl(config.url.value, "webhook");
  if (!u.ok()) return u.status();
  const HttpConfig& http =
      internal::IsDefaultHttpConfig(config.http_config) ? global.http_config : config.http_config;
  return std::unique_ptr<Notifier>(std::make_unique<WebhookNotifier>(config, http));
}

}  // namespace vigil::alertmanager
