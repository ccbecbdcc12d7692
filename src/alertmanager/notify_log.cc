#include "alertmanager/notify_log.h"

#include <cstdio>
#include <utility>
#include <vector>

#include "alertmanager/notify_util.h"
#include "base/status_macros.h"

namespace vigil::alertmanager {
namespace {

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= ' ' || c == '=' || c == '"' || c == 0x7f || c >= 0x80) return true;
  }
  return false;
}

void AppendPair(std::string_view key, std::string_view value, std::string* out) {
  if (!out->empty()) out->push_back(' ');
  out->append(key);
  out->push_back('=');
  if (NeedsQuotes(value)) {
    out->append(templating::GoQuote(value));
  } else {
    out->append(value);
  }
}

void WriteStderr(std::string_view line) {
  std::string l(line);
  l.push_back('\n');
  std::fwrite(l.data(), 1, l.size(), stderr);
}

// One log_configs entry. Thread-safe if its sink is.
class LogNotifier final : public Notifier {
 public:
  LogNotifier(LogConfig config, std::shared_ptr<const Templates> templates, std::string receiver,
              LogSink sink)
      : config_(std::move(config)),
        templates_(std::move(templates)),
        receiver_(std::move(receiver)),
        sink_(std::move(sink)) {}

  std::string_view integration() const override { return "log"; }
  bool send_resolved() const override { return config_.send_resolved; }

  Status Notify(const NotifyContext& ctx, const NotificationData& data) override {
    VIGIL_ASSIGN_OR_RETURN(std::string line,
                           FormatLogLine(config_, *templates_, receiver_, ctx, data));
    sink_(line);
    return Status::OK();
  }

 private:
  // Constant after construction.
  const LogConfig config_;
  const std::shared_ptr<const Templates> templates_;
  const std::string receiver_;
  const LogSink sink_;
};

}  // namespace

Result<std::string> FormatLogLine(const LogConfig& config, const Templates& templates,
                                  std::string_view receiver, const NotifyContext& ctx,
                                  const NotificationData& data) {
  static const std::string kText = R"({{ template "log.default.text" . }})";
  Result<std::string> msg =
      templates.ExecuteText(config.text.empty() ? kText : config.text, TemplateValue(data));
  if (!msg.ok()) return InvalidArgumentError("log: " + std::string(msg.status().message()));
  size_t firing = 0;
  std::vector<std::string_view> names;
  for (const auto& a : data.alerts) {
    if (a.status == "firing") ++firing;
    const std::string_view name = a.labels.Get("alertname");
    bool seen = name.empty();
    for (std::string_view n : names) seen = seen || n == name;
    if (!seen) names.push_back(name);
  }
  std::string alertnames;
  for (std::string_view n : names) {
    if (!alertnames.empty()) alertnames += ',';
    alertnames += n;
  }
  const TimePoint now = ctx.now == TimePoint{} ? Clock::now() : ctx.now;
  std::string line;
  AppendPair("ts", internal::FormatRfc3339Nano(now), &line);
  AppendPair("level", config.level.empty() ? "info" : config.level, &line);
  AppendPair("integration", "log", &line);
  AppendPair("receiver", receiver, &line);
  AppendPair("status", data.status, &line);
  AppendPair("group_key", GroupKeyOf(ctx, data), &line);
  AppendPair("alerts", std::to_string(data.alerts.size()), &line);
  AppendPair("firing", std::to_string(firing), &line);
  AppendPair("resolved", std::to_string(data.alerts.size() - firing), &line);
  AppendPair("alertnames", alertnames, &line);
  AppendPair("msg", *msg, &line);
  return line;
}

Result<std::unique_ptr<Notifier>> NewLogNotifier(const LogConfig& config,
                                                 std::shared_ptr<const Templates> templates,
                                                 std::string receiver, LogSink sink) {
  if (!config.level.empty() && config.level != "debug" && config.level != "info" &&
      config.level != "warn" && config.level != "error") {
    return InvalidArgumentError("log: unknown level " + templating::GoQuote(config.level) +
                                " (debug, info, warn or error)");
  }
  if (!sink) sink = WriteStderr;
  return std::unique_ptr<Notifier>(std::make_unique<LogNotifier>(
      config, std::move(templates), std::move(receiver), std::move(sink)));
}

}  // namespace vigil::alertmanager
