#include "alertmanager/notify.h"

#include "templating/template.h"

#include <climits>
#include <span>
#include <utility>

#include "alertmanager/notify_email.h"
#include "alertmanager/notify_log.h"
#include "alertmanager/notify_pagerduty.h"
#include "alertmanager/notify_slack.h"
#include "alertmanager/notify_util.h"
#include "alertmanager/notify_webhook.h"
#include "base/status_macros.h"
#include "templating/go_time.h"

namespace vigil::alertmanager {
namespace {

using templating::Method;
using templating::TypeInfo;
using templating::Value;
using Args = std::span<const Value>;

// ------------------------------------------------------------------ time

// Go's zero time.Time (year 1) lies outside int64 nanoseconds; this
// sentinel stands for it inside a Value.
constexpr int64_t kZeroTime = INT64_MIN;
// 2001-01-01T00:00:00Z: a Monday starting a non-leap year, like 0001-01-01,
// so every calendar method but the year reads the same.
constexpr int64_t kStand2001 = int64_t{978307200} * 1000000000;
constexpr int64_t kZeroUnix = -62135596800;

const TypeInfo& GoTimeType();

Value WrapTime(Value v) { return v.kind() == Value::Kind::kTime ? v.WithType(&GoTimeType()) : v; }

TypeInfo* MakeGoTimeType() {
  auto* t = new TypeInfo{"time.Time", {}};
  for (const auto& [name, m] : templating::internal::TimeType().methods) {
    const std::string method = name;
    Method wrapped = m;
    wrapped.impl = [method, orig = m.impl](const Value& self, Args args) -> Result<Value> {
      if (self.time_nanos() != kZeroTime) {
        Result<Value> r = orig(self, args);
        if (!r.ok()) return r;
        return WrapTime(std::move(*r));
      }
      if (method == "UTC") return self;
      if (method == "String") return Value::String("0001-01-01 00:00:00 +0000 UTC");
      Result<Value> r = orig(Value::Time(kStand2001), args);
      if (!r.ok()) return r;
      if (method == "Format") {
        std::string s = r->string_value();
        for (size_t p = s.find("2001"); p != std::string::npos; p = s.find("2001", p + 4)) {
          s.replace(p, 4, "0001");
        }
        return Value::String(std::move(s));
      }
      if (method == "Year") return Value::Int(1).WithType(r->type());
      if (method == "Unix") return Value::Int(kZeroUnix).WithType(r->type());
      if (method == "UnixMilli") return Value::Int(kZeroUnix * 1000).WithType(r->type());
      // Go documents UnixNano of the zero time as undefined; this is what
      // it returns (the wrapped product).
      if (method == "UnixNano") {
        return Value::Int(static_cast<int64_t>(static_cast<uint64_t>(kZeroUnix) * 1000000000u))
            .WithType(r->type());
      }
      return r;
    };
    t->methods[name] = std::move(wrapped);
  }
  t->methods["IsZero"] = Method{{}, false, [](const Value& self, Args) -> Result<Value> {
                                  return Value::Bool(self.time_nanos() == kZeroTime);
                                }};
  return t;
}

const TypeInfo& GoTimeType() {
  static const TypeInfo* const t = MakeGoTimeType();
  return *t;
}

Value TimeValue(TimePoint t) {
  if (t == TimePoint{}) return Value::Time(kZeroTime).WithType(&GoTimeType());
  const int64_t ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  return Value::Time(ns).WithType(&GoTimeType());
}

// ------------------------------------------------------------ KV, Pairs

const TypeInfo& KvType();
const TypeInfo& PairsType();

const TypeInfo& PairType() {
  static const TypeInfo t{"template.Pair", {}};
  return t;
}

Value PairValue(std::string name, std::string value) {
  return Value::Struct(&PairType(), {{"Name", Value::String(std::move(name))},
                                     {"Value", Value::String(std::move(value))}});
}

std::string FieldString(const Value& v, std::string_view field) {
  const Value* f = v.Find(field);
  return f != nullptr && f->kind() == Value::Kind::kString ? f->string_value() : "";
}

// KV.SortedPairs: alertname first, the rest by name.
Value SortedPairs(const Value& kv) {
  std::vector<Value> items;
  if (const Value* a = kv.Find("alertname"); a != nullptr) {
    items.push_back(PairValue("alertname", a->string_value()));
  }
  for (const auto& [k, v] : kv.entries()) {
    if (k != "alertname") items.push_back(PairValue(k, v.string_value()));
  }
  return Value::List(std::move(items)).WithType(&PairsType());
}

Value PairsField(const Value& pairs, std::string_view field) {
  std::vector<Value> out;
  for (const Value& p : pairs.items()) out.push_back(Value::String(FieldString(p, field)));
  return Value::List(std::move(out)).WithType(&StringSliceType());
}

std::string PairsString(const Value& pairs) {
  std::string out;
  for (const Value& p : pairs.items()) {
    if (!out.empty()) out += ", ";
    out += FieldString(p, "Name") + "=" + FieldString(p, "Value");
  }
  return out;
}

Method NoArgMethod(Result<Value> (*f)(const Value&)) {
  return Method{{}, false, [f](const Value& self, Args) { return f(self); }};
}

TypeInfo* MakePairsType() {
  auto* t = new TypeInfo{"template.Pairs", {}};
  t->methods["Names"] =
      NoArgMethod([](const Value& s) -> Result<Value> { return PairsField(s, "Name"); });
  t->methods["Values"] =
      NoArgMethod([](const Value& s) -> Result<Value> { return PairsField(s, "Value"); });
  t->methods["String"] =
      NoArgMethod([](const Value& s) -> Result<Value> { return Value::String(PairsString(s)); });
  return t;
}

const TypeInfo& PairsType() {
  static const TypeInfo* const t = MakePairsType();
  return *t;
}

Value KvValue(std::vector<std::pair<std::string, std::string>> entries) {
  return Value::StringMap(std::move(entries)).WithType(&KvType());
}

TypeInfo* MakeKvType() {
  auto* t = new TypeInfo{"template.KV", {}};
  t->methods["SortedPairs"] =
      NoArgMethod([](const Value& s) -> Result<Value> { return SortedPairs(s); });
  t->methods["Names"] = NoArgMethod(
      [](const Value& s) -> Result<Value> { return PairsField(SortedPairs(s), "Name"); });
  t->methods["Values"] = NoArgMethod(
      [](const Value& s) -> Result<Value> { return PairsField(SortedPairs(s), "Value"); });
  t->methods["String"] = NoArgMethod(
      [](const Value& s) -> Result<Value> { return Value::String(PairsString(SortedPairs(s))); });
  t->methods["Remove"] =
      Method{{StringSliceType().name}, false, [](const Value& self, Args args) -> Result<Value> {
               std::vector<std::pair<std::string, std::string>> kept;
               for (const auto& [k, v] : self.entries()) {
                 bool drop = false;
                 for (const Value& key : args[0].items()) {
                   drop = drop || (key.kind() == Value::Kind::kString && key.string_value() == k);
                 }
                 if (!drop) kept.emplace_back(k, v.string_value());
               }
               return KvValue(std::move(kept));
             }};
  return t;
}

const TypeInfo& KvType() {
  static const TypeInfo* const t = MakeKvType();
  return *t;
}

// ------------------------------------------------------- Data and Alert

const TypeInfo& DataType() {
  static const TypeInfo t{"*template.Data", {}};
  return t;
}
const TypeInfo& AlertType() {
  static const TypeInfo t{"template.Alert", {}};
  return t;
}
const TypeInfo& AlertsType() {
  static const TypeInfo t{"template.Alerts", {}};
  return t;
}
const TypeInfo& AlertSliceType() {
  static const TypeInfo t{"[]template.Alert", {}};
  return t;
}

using Escape = std::string (*)(std::string_view);

std::string NoEscape(std::string_view s) { return std::string(s); }

// html/template's escaper for text and attribute values: unlike
// text/template's `html` function it also escapes '+'.
std::string HtmlTemplateEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\0': out += "\xEF\xBF\xBD"; break;
      case '"': out += "&#34;"; break;
      case '&': out += "&amp;"; break;
      case '\'': out += "&#39;"; break;
      case '+': out += "&#43;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

Value LabelsValue(const model::Labels& labels, Escape esc) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& l : labels) entries.emplace_back(std::string(l.name), esc(l.value));
  return KvValue(std::move(entries));
}

Value MakeValue(const NotificationData& data, Escape esc) {
  std::vector<Value> alerts, firing, resolved;
  for (const NotificationData::AlertData& a : data.alerts) {
    Value v = Value::Struct(&AlertType(), {
                                              {"Status", Value::String(esc(a.status))},
                                              {"Labels", LabelsValue(a.labels, esc)},
                                              {"Annotations", LabelsValue(a.annotations, esc)},
                                              {"StartsAt", TimeValue(a.starts_at)},
                                              {"EndsAt", TimeValue(a.ends_at)},
                                              {"GeneratorURL", Value::String(esc(a.generator_url))},
                                              {"Fingerprint", Value::String(esc(a.fingerprint))},
                                          });
    if (a.status == "firing") firing.push_back(v);
    if (a.status == "resolved") resolved.push_back(v);
    alerts.push_back(std::move(v));
  }
  Value alert_list =
      Value::List(std::move(alerts),
                  {{"Firing", Value::List(std::move(firing)).WithType(&AlertSliceType())},
                   {"Resolved", Value::List(std::move(resolved)).WithType(&AlertSliceType())}})
          .WithType(&AlertsType());
  return Value::Struct(&DataType(),
                       {
                           {"Receiver", Value::String(esc(data.receiver))},
                           {"Status", Value::String(esc(data.status))},
                           {"Alerts", std::move(alert_list)},
                           {"GroupLabels", LabelsValue(data.group_labels, esc)},
                           {"CommonLabels", LabelsValue(data.common_labels, esc)},
                           {"CommonAnnotations", LabelsValue(data.common_annotations, esc)},
                           {"ExternalURL", Value::String(esc(data.external_url))},
                       });
}

// The (name, value) pairs every set in `sets` shares.
template <typename Get>
model::Labels Common(size_t n, Get get) {
  if (n == 0) return model::Labels();
  std::vector<model::Label> common;
  for (const auto& l : get(0)) {
    bool shared = true;
    for (size_t i = 1; i < n && shared; ++i) shared = get(i).Get(l.name) == l.value;
    if (shared) common.push_back({std::string(l.name), std::string(l.value)});
  }
  return model::Labels::FromSorted(std::span<const model::Label>(common));
}

void FillCommon(NotificationData* d) {
  d->status = "resolved";
  for (const auto& a : d->alerts) {
    if (a.status == "firing") d->status = "firing";
  }
  d->common_labels = Common(d->alerts.size(),
                            [d](size_t i) -> const model::Labels& { return d->alerts[i].labels; });
  d->common_annotations = Common(
      d->alerts.size(), [d](size_t i) -> const model::Labels& { return d->alerts[i].annotations; });
}

}  // namespace

NotificationData MakeNotificationData(std::string receiver, const model::Labels& group_labels,
                                      const std::vector<Alert>& alerts, std::string external_url,
                                      std::string group_key, TimePoint now) {
  NotificationData d;
  d.receiver = internal::QuoteMeta(receiver);
  d.group_labels = group_labels;
  d.external_url = std::move(external_url);
  d.group_key = std::move(group_key);
  d.alerts.reserve(alerts.size());
  for (const Alert& a : alerts) {
    NotificationData::AlertData ad;
    const bool resolved = a.ResolvedAt(now);
    ad.status = resolved ? "resolved" : "firing";
    ad.labels = a.labels;
    ad.annotations = a.annotations;
    ad.starts_at = a.starts_at;
    ad.ends_at = resolved ? a.ends_at : TimePoint{};
    ad.generator_url = a.generator_url;
    ad.fingerprint = FingerprintString(a.fingerprint());
    d.alerts.push_back(std::move(ad));
  }
  FillCommon(&d);
  return d;
}

templating::Value TemplateValue(const NotificationData& data) { return MakeValue(data, NoEscape); }

templating::Value HtmlTemplateValue(const NotificationData& data) {
  return MakeValue(data, HtmlTemplateEscape);
}

NotificationData TruncateAlerts(const NotificationData& data, size_t max_alerts) {
  if (max_alerts == 0 || data.alerts.size() <= max_alerts) return data;
  NotificationData d = data;
  d.truncated_alerts = static_cast<int>(d.alerts.size() - max_alerts);
  d.alerts.resize(max_alerts);
  FillCommon(&d);
  return d;
}

std::string_view GroupKeyOf(const NotifyContext& ctx, const NotificationData& data) {
  return ctx.group_key.empty() ? std::string_view(data.group_key) : std::string_view(ctx.group_key);
}

Result<std::vector<std::unique_ptr<Notifier>>> BuildNotifiers(
    const Receiver& receiver, const GlobalConfig& global,
    std::shared_ptr<const Templates> templates, const NotifierOptions& options) {
  if (templates == nullptr) {
    templates = std::make_shared<const Templates>(Templates::Default());
  }
  std::vector<std::unique_ptr<Notifier>> out;
  const auto add = [&](std::string_view kind, size_t i,
                       Result<std::unique_ptr<Notifier>> n) -> Status {
    if (!n.ok()) {
      return Status(n.status().code(), std::string(kind) + "[" + std::to_string(i) +
                                           "]: " + std::string(n.status().message()));
    }
    out.push_back(std::move(*n));
    return Status::OK();
  };
  for (size_t i = 0; i < receiver.webhook_configs.size(); ++i) {
    VIGIL_RETURN_IF_ERROR(
        add("webhook_configs", i, NewWebhookNotifier(receiver.webhook_configs[i], global)));
  }
  for (size_t i = 0; i < receiver.email_configs.size(); ++i) {
    VIGIL_RETURN_IF_ERROR(
        add("email_configs", i, NewEmailNotifier(receiver.email_configs[i], global, templates)));
  }
  for (size_t i = 0; i < receiver.pagerduty_configs.size(); ++i) {
    VIGIL_RETURN_IF_ERROR(add("pagerduty_configs", i,
                              NewPagerdutyNotifier(receiver.pagerduty_configs[i], global, templates,
                                                   options.pagerduty_v1_url)));
  }
  for (size_t i = 0; i < receiver.slack_configs.size(); ++i) {
    VIGIL_RETURN_IF_ERROR(
        add("slack_configs", i, NewSlackNotifier(receiver.slack_configs[i], global, templates)));
  }
  for (size_t i = 0; i < receiver.log_configs.size(); ++i) {
    VIGIL_RETURN_IF_ERROR(
        add("log_configs", i,
            NewLogNotifier(receiver.log_configs[i], templates, receiver.name, options.log_sink)));
  }
  return out;
}

}  // namespace vigil::alertmanager
