#include "alertmanager/notify_slack.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "alertmanager/notify_util.h"
#include "base/status_macros.h"

namespace vigil::alertmanager {
namespace {

using internal::AppendJsonString;

// https://api.slack.com/reference/messaging/attachments: 1024 for titles.
constexpr size_t kMaxTitleRunes = 1024;

const std::string& Or(const std::string& value, const std::string& fallback) {
  return value.empty() ? fallback : value;
}

// One slack_configs entry. Thread-safe: its state is constant.
class SlackNotifier final : public Notifier {
 public:
  SlackNotifier(SlackConfig config, HttpConfig http, std::shared_ptr<const Templates> templates)
      : config_(std::move(config)), http_(std::move(http)), templates_(std::move(templates)) {}

  std::string_view integration() const override { return "slack"; }
  bool send_resolved() const override { return config_.send_resolved; }

  Status Notify(const NotifyContext& ctx, const NotificationData& data) override {
    VIGIL_ASSIGN_OR_RETURN(std::string body, BuildSlackMessage(config_, *templates_, data));
    std::string what = "slack";
    if (!config_.channel.empty()) {
      // The channel as configured (a template at most), as Alertmanager
      // names it in its errors.
      what += ": channel " + templating::GoQuote(config_.channel);
    }
    internal::PostOptions opts;
    opts.what = what;
    opts.http_config = &http_;
    opts.timeout = ctx.timeout;
    Result<internal::PostResult> r = internal::PostJson(config_.api_url.value, body, opts);
    if (!r.ok()) return r.status();
    VIGIL_RETURN_IF_ERROR(internal::CheckHttpStatus(what, r->status, internal::Snippet(r->body)));
    if (r->content_type.rfind("application/json", 0) == 0) {
      const nlohmann::json j = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.contains("ok") && j["ok"].is_boolean() && !j["ok"].get<bool>()) {
        std::string err = j.contains("error") && j["error"].is_string()
                              ? j["error"].get<std::string>()
                              : std::string();
        return FailedPreconditionError(what +
                                       ": error response from Slack: " + internal::Snippet(err));
      }
    }
    return Status::OK();
  }

 private:
  // Constant after construction.
  const SlackConfig config_;
  const HttpConfig http_;
  const std::shared_ptr<const Templates> templates_;
};

}  // namespace

Result<std::string> BuildSlackMessage(const SlackConfig& c, const Templates& templates,
                                      const NotificationData& data) {
  static const std::string kColor = R"({{ if eq .Status "firing" }}danger{{ else }}good{{ end }})";
  static const std::string kUsername = R"({{ template "slack.default.username" . }})";
  static const std::string kTitle = R"({{ template "slack.default.title" . }})";
  static const std::string kTitleLink = R"({{ template "slack.default.titlelink" . }})";
  static const std::string kIconEmoji = R"({{ template "slack.default.iconemoji" . }})";
  static const std::string kIconUrl = R"({{ template "slack.default.iconurl" . }})";
  static const std::string kPretext = R"({{ template "slack.default.pretext" . }})";
  static const std::string kText = R"({{ template "slack.default.text" . }})";
  static const std::string kFallback = R"({{ template "slack.default.fallback" . }})";
  static const std::string kCallbackId = R"({{ template "slack.default.callbackid" . }})";
  static const std::string kFooter = R"({{ template "slack.default.footer" . }})";

  internal::Expander tmpl(templates, data, "slack");
  const std::string channel = tmpl(c.channel);
  const std::string title = internal::TruncateRunes(tmpl(Or(c.title, kTitle)), kMaxTitleRunes);
  const std::string title_link = tmpl(Or(c.title_link, kTitleLink));
  const std::string pretext = tmpl(Or(c.pretext, kPretext));
  const std::string text = tmpl(Or(c.text, kText));
  const std::string fallback = tmpl(Or(c.fallback, kFallback));
  const std::string callback_id = tmpl(Or(c.callback_id, kCallbackId));
  const std::string footer = tmpl(Or(c.footer, kFooter));
  const std::string color = tmpl(Or(c.color, kColor));
  const std::string username = tmpl(Or(c.username, kUsername));
  const std::string icon_emoji = tmpl(Or(c.icon_emoji, kIconEmoji));
  const std::string icon_url = tmpl(Or(c.icon_url, kIconUrl));
  if (!tmpl.status().ok()) return tmpl.status();

  std::string att = "{";
  bool first = true;
  internal::AppendJsonField("title", title, true, &first, &att);
  internal::AppendJsonField("title_link", title_link, true, &first, &att);
  internal::AppendJsonField("pretext", pretext, true, &first, &att);
  internal::AppendJsonField("text", text, false, &first, &att);
  internal::AppendJsonField("fallback", fallback, false, &first, &att);
  internal::AppendJsonField("callback_id", callback_id, false, &first, &att);
  internal::AppendJsonField("footer", footer, false, &first, &att);
  internal::AppendJsonField("color", color, true, &first, &att);
  att += ",\"mrkdwn_in\":[";
  static const std::vector<std::string> kMrkdwnIn = {"fallback", "pretext", "text"};
  const std::vector<std::string>& mrkdwn_in = c.mrkdwn_in.empty() ? kMrkdwnIn : c.mrkdwn_in;
  for (size_t i = 0; i < mrkdwn_in.size(); ++i) {
    if (i > 0) att += ',';
    AppendJsonString(mrkdwn_in[i], &att);
  }
  att += "]}";

  std::string out = "{";
  first = true;
  internal::AppendJsonField("channel", channel, true, &first, &out);
  internal::AppendJsonField("username", username, true, &first, &out);
  internal::AppendJsonField("icon_emoji", icon_emoji, true, &first, &out);
  internal::AppendJsonField("icon_url", icon_url, true, &first, &out);
  if (c.link_names) {
    out += first ? "" : ",";
    out += "\"link_names\":true";
    first = false;
  }
  out += first ? "" : ",";
  out += "\"attachments\":[" + att + "]}\n";
  return out;
}

Result<std::unique_ptr<Notifier>> NewSlackNotifier(const SlackConfig& config,
                                                   const GlobalConfig& global,
                                                   std::shared_ptr<const Templates> templates) {
  SlackConfig c = config;
  if (c.api_url.empty()) c.api_url = global.slack_api_url;
  if (c.api_url.empty())
    return InvalidArgumentError("slack: no api_url (nor global slack_api_url)");
  Result<internal::HttpUrl> u = internal::ParseHttpUrl(c.api_url.value, "slack: api_url");
  if (!u.ok()) return u.status();
  const HttpConfig& http =
      internal::IsDefaultHttpConfig(c.http_config) ? global.http_config : c.http_config;
  return std::unique_ptr<Notifier>(
      std::make_unique<SlackNotifier>(std::move(c), http, std::move(templates)));
}

}  // namespace vigil::alertmanager
