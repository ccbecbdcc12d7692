// SLO files: parsing and validation (generate.cc writes the rules).

#include "slo/slo.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "base/file.h"
#include "base/status_macros.h"
#include "model/duration.h"
#include "model/yaml_reader.h"
#include "promql/parser.h"
#include "slo/internal.h"

namespace vigil::slo {
namespace internal {

Result<std::string> SubstituteWindow(std::string_view query, std::string_view window) {
  std::string out;
  bool found = false;
  size_t i = 0;
  while (i < query.size()) {
    const size_t open = query.find("{{", i);
    if (open == std::string_view::npos) {
      out.append(query.substr(i));
      break;
    }
    out.append(query.substr(i, open - i));
    const size_t close = query.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return InvalidArgumentError("unterminated \"{{\" (the window placeholder is {{.window}})");
    }
    std::string_view inner = query.substr(open + 2, close - open - 2);
    while (!inner.empty() && inner.front() == ' ') inner.remove_prefix(1);
    while (!inner.empty() && inner.back() == ' ') inner.remove_suffix(1);
    if (inner != ".window") {
      return InvalidArgumentError("unknown placeholder \"" +
                                  std::string(query.substr(open, close + 2 - open)) +
                                  "\" (only {{.window}} is replaced)");
    }
    out.append(window);
    found = true;
    i = close + 2;
  }
  if (!found) {
    return InvalidArgumentError(
        "no {{.window}} placeholder: every alert window would get the same ratio (write "
        "e.g. rate(x[{{.window}}]))");
  }
  return out;
}

std::string FormatNumber(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "0";
  return std::string(buf, end);
}

namespace {

// `v` / 10^scale as the shortest decimal text.
std::string FormatDecimal(uint64_t v, int scale) {
  std::string digits = std::to_string(v);
  if (static_cast<int>(digits.size()) <= scale) {
    digits.insert(0, static_cast<size_t>(scale) + 1 - digits.size(), '0');
  }
  std::string out = digits.substr(0, digits.size() - scale);
  std::string frac = digits.substr(digits.size() - scale);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  if (!frac.empty()) out += "." + frac;
  return out;
}

}  // namespace

Result<ObjectiveText> FormatObjective(double percent) {
  if (!(percent > 0 && percent < 100)) {
    return InvalidArgumentError("must be a percentage in (0, 100)");
  }
  char buf[512];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), percent, std::chars_format::fixed);
  if (ec != std::errc()) return InvalidArgumentError("cannot be written as a decimal");
  const std::string_view text(buf, static_cast<size_t>(end - buf));
  const size_t dot = text.find('.');
  const std::string_view int_part = text.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (frac.size() > 15) {
    return InvalidArgumentError("has more than 15 digits after the decimal point");
  }
  const int scale = static_cast<int>(frac.size());
  uint64_t n = 0;
  for (char c : int_part) n = n * 10 + static_cast<uint64_t>(c - '0');
  for (char c : frac) n = n * 10 + static_cast<uint64_t>(c - '0');
  uint64_t hundred = 100;
  for (int i = 0; i < scale; ++i) hundred *= 10;
  return ObjectiveText{FormatDecimal(n, scale + 2), FormatDecimal(hundred - n, scale + 2)};
}

std::string LeMatcher(double threshold_seconds) {
  const std::string shortest = FormatNumber(threshold_seconds);
  std::vector<std::string> spellings = {shortest};
  if (std::floor(threshold_seconds) == threshold_seconds && threshold_seconds < 1e15) {
    const std::string digits = std::to_string(static_cast<int64_t>(threshold_seconds));
    if (digits != shortest) spellings.push_back(digits);
    spellings.push_back(digits + ".0");
  }
  if (spellings.size() == 1) {
    std::string out = "le=";
    model::AppendQuoted(shortest, &out);
    return out;
  }
  // A regular expression of the literal spellings, written as a PromQL
  // string (whose own escaping doubles the backslash).
  std::string re;
  for (const std::string& s : spellings) {
    if (!re.empty()) re += "|";
    for (char c : s) {
      if (c == '.' || c == '+') re += "\\\\";
      re += c;
    }
  }
  return "le=~\"" + re + "\"";
}

}  // namespace internal

namespace {

using Millis = std::chrono::milliseconds;
using Node = YAML::Node;

constexpr int64_t kDayMs = 24 * 60 * 60 * 1000LL;

// Service, SLO and SLA names: they become label values and group names.
bool IsValidName(const std::string& s) {
  const auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (!alnum(c) && (i == 0 || (c != '_' && c != '-' && c != '.'))) return false;
  }
  return !s.empty();
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<size_t>(n) >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += static_cast<size_t>(n) + 1;
  }
  return true;
}

// Labels the generator sets itself.
bool IsReservedLabel(std::string_view name) {
  return name == "slo_service" || name == "slo" || name == "slo_severity";
}

// A field kept for later (its key and value), e.g. because it depends on
// fields that may come after it. A default Node counts as defined in
// yaml-cpp, hence the flag.
struct Slot {
  bool set = false;
  YAML::Node key;
  YAML::Node value;
  void Set(const YAML::Node& k, const YAML::Node& v) {
    set = true;
    key.reset(k);
    value.reset(v);
  }
};

// The fields `alerting:` (and its page/ticket) may set; unset fields
// inherit.
struct AlertFields {
  std::optional<bool> disable;
  std::optional<std::string> name;
  model::Labels labels;
  model::Labels annotations;
};

// Walks one file's YAML tree; every error carries a position.
class Parser {
 public:
  Parser(std::string filename, const ParseOptions& options)
      : r_(std::move(filename)), options_(options) {}

  Result<SloFile> Parse(std::string_view text);

 private:
  Status Error(const YAML::Mark& m, std::string_view msg) const { return r_.Error(m, msg); }
  Status Error(const Node& key, const Node& value, std::string_view msg) const {
    return r_.Error(key, value, msg);
  }
  static YAML::Mark At(const Node& key, const Node& value) {
    return model::YamlReader::At(key, value);
  }

  // A string that must be valid UTF-8 (it reaches the rule file).
  Result<std::string> Text(std::string_view field, const Node& key, const Node& v) const;
  Result<std::string> Name(std::string_view field, const Node& key, const Node& v) const;
  // Labels or annotations; label names must not be reserved. Each value is
  // checked as an alert template when the options say so.
  Result<model::Labels> Map(std::string_view field, const Node& key, const Node& v,
                            bool annotations) const;
  // One field of `alerting` or its page/ticket; false when `name` is not
  // one of them.
  Result<bool> AlertField(const std::string& what, const std::string& name, const Node& k,
                          const Node& val, AlertFields* out) const;
  Status Alerting(const Node& key, const Node& v, bool sla, AlertFields* common, AlertFields* page,
                  AlertFields* ticket) const;
  Status Sli(const Node& key, const Node& v, Slo* slo) const;
  Status ErrorRatio(const Node& key, const Node& v, Slo* slo) const;
  Status Latency(const Node& key, const Node& v, Slo* slo) const;
  Result<std::string> Query(std::string_view field, const Node& key, const Node& v,
                            Millis slo_window) const;
  // Each also returns the position of its name (for duplicate names).
  Status ParseSlo(const Node& node, const model::Labels& file_labels, Slo* slo,
                  YAML::Mark* name_mark) const;
  Status ParseSla(const Node& node, const model::Labels& file_labels, Sla* sla,
                  YAML::Mark* name_mark) const;
  // Every expression of the generated group must parse.
  Status CheckGenerated(const Node& node, std::string_view what, const GeneratedGroup& g) const;

  const model::YamlReader r_;
  const ParseOptions& options_;
};

Result<std::string> Parser::Text(std::string_view field, const Node& key, const Node& v) const {
  VIGIL_ASSIGN_OR_RETURN(std::string s, r_.String(field, key, v));
  if (!IsValidUtf8(s)) return Error(key, v, std::string(field) + ": not valid UTF-8");
  return s;
}

Result<std::string> Parser::Name(std::string_view field, const Node& key, const Node& v) const {
  VIGIL_ASSIGN_OR_RETURN(std::string s, r_.String(field, key, v));
  if (s.empty()) return Error(key, v, std::string(field) + ": must not be empty");
  if (!IsValidName(s)) {
    return Error(key, v,
                 std::string(field) + ": \"" + s +
                     "\" is not a valid name (letters, digits, '_', '-' and '.', starting "
                     "with a letter or digit)");
  }
  return s;
}

Result<model::Labels> Parser::Map(std::string_view field, const Node& key, const Node& v,
                                  bool annotations) const {
  std::vector<std::pair<std::string, std::string>> pairs;
  VIGIL_RETURN_IF_ERROR(r_.Fields(
      key, v, field, [&](const std::string& name, const Node& k, const Node& val) -> Status {
        if (!model::IsValidLabelName(name) || name == "__name__") {
          return Error(k.Mark(), std::string(field) + ": \"" + name + "\" is not a valid " +
                                     (annotations ? "annotation" : "label") + " name");
        }
        if (!annotations && IsReservedLabel(name)) {
          return Error(k.Mark(), std::string(field) + ": label \"" + name +
                                     "\" is reserved (the generator sets slo_service, slo and "
                                     "slo_severity)");
        }
        const std::string sub = std::string(field) + "." + name;
        VIGIL_ASSIGN_OR_RETURN(std::string text, Text(sub, k, val));
        if (text.empty()) {
          return Error(At(k, val), sub + ": must not be empty (an empty value removes the " +
                                       (annotations ? "annotation" : "label") + ")");
        }
        if (options_.check_template) {
          Status s = options_.check_template("__alert_" + name, text);
          if (!s.ok()) return Error(At(k, val), sub + ": " + std::string(s.message()));
        }
        pairs.emplace_back(name, std::move(text));
        return Status::OK();
      }));
  return model::Labels::FromPairs(std::move(pairs));
}

Result<bool> Parser::AlertField(const std::string& what, const std::string& name, const Node& k,
                                const Node& val, AlertFields* out) const {
  if (name == "disable") {
    VIGIL_ASSIGN_OR_RETURN(bool b, r_.Bool(what + ".disable", k, val));
    out->disable = b;
  } else if (name == "name") {
    VIGIL_ASSIGN_OR_RETURN(std::string s, r_.String(what + ".name", k, val));
    if (!model::IsValidMetricName(s)) {
      return Error(k, val, what + ".name: \"" + s + "\" is not a valid alert name");
    }
    out->name = std::move(s);
  } else if (name == "labels") {
    VIGIL_ASSIGN_OR_RETURN(out->labels, Map(what + ".labels", k, val, false));
  } else if (name == "annotations") {
    VIGIL_ASSIGN_OR_RETURN(out->annotations, Map(what + ".annotations", k, val, true));
  } else {
    return false;
  }
  return true;
}

Status Parser::Alerting(const Node& key, const Node& v, bool sla, AlertFields* common,
                        AlertFields* page, AlertFields* ticket) const {
  // page and ticket hold the same fields as alerting itself and inherit
  // what they leave out.
  return r_.Fields(
      key, v, "alerting", [&](const std::string& name, const Node& k, const Node& val) -> Status {
        if (!sla && (name == "page" || name == "ticket")) {
          const std::string what = "alerting." + name;
          AlertFields* out = name == "page" ? page : ticket;
          return r_.Fields(k, val, what,
                           [&](const std::string& f, const Node& fk, const Node& fv) -> Status {
                             VIGIL_ASSIGN_OR_RETURN(bool known, AlertField(what, f, fk, fv, out));
                             return known ? Status::OK() : r_.Unknown(fk, f, what);
                           });
        }
        VIGIL_ASSIGN_OR_RETURN(bool known, AlertField("alerting", name, k, val, common));
        return known ? Status::OK() : r_.Unknown(k, name, sla ? "SLA alerting" : "alerting");
      });
}

model::Labels MergeLabels(const model::Labels& base, const model::Labels& over) {
  model::LabelsBuilder b(base);
  for (const auto& l : over) b.Set(l.name, l.value);
  return b.Build();
}

AlertOptions Resolve(const AlertFields& common, const AlertFields& part,
                     const std::string& default_name) {
  AlertOptions o;
  o.enabled = !(common.disable.value_or(false) || part.disable.value_or(false));
  o.name = part.name ? *part.name : common.name ? *common.name : default_name;
  o.labels = MergeLabels(common.labels, part.labels);
  o.annotations = MergeLabels(common.annotations, part.annotations);
  return o;
}

Result<std::string> Parser::Query(std::string_view field, const Node& key, const Node& v,
                                  Millis slo_window) const {
  VIGIL_ASSIGN_OR_RETURN(std::string q, Text(field, key, v));
  if (q.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Error(key, v, std::string(field) + ": must be set");
  }
  for (Millis w : SliWindows(slo_window)) {
    const std::string wt = model::FormatDuration(w);
    auto sub = internal::SubstituteWindow(q, wt);
    if (!sub.ok())
      return Error(key, v, std::string(field) + ": " + std::string(sub.status().message()));
    auto e = promql::ParseExpr(*sub);
    if (!e.ok()) {
      return Error(key, v,
                   std::string(field) + ": could not parse the expression with " +
                       std::string(internal::kWindowPlaceholder) + " = " + wt + ": " +
                       std::string(e.status().message()));
    }
    if ((*e)->type() != promql::ValueType::kVector) {
      return Error(key, v,
                   std::string(field) + ": must be an instant vector expression, got " +
                       std::string(promql::ValueTypeName((*e)->type())));
    }
  }
  return q;
}

Status Parser::ErrorRatio(const Node& key, const Node& v, Slo* slo) const {
  slo->kind = SliKind::kErrorRatio;
  Slot errors, total;
  VIGIL_RETURN_IF_ERROR(
      r_.Fields(key, v, "sli.error_ratio",
                [&](const std::string& name, const Node& k, const Node& val) -> Status {
                  if (name == "errors") {
                    errors.Set(k, val);
                  } else if (name == "total") {
                    total.Set(k, val);
                  } else {
                    return r_.Unknown(k, name, "sli.error_ratio");
                  }
                  return Status::OK();
                }));
  if (!v.IsMap()) return Error(key, v, "sli.error_ratio: expected a mapping with errors and total");
  if (!errors.set) return Error(key.Mark(), "sli.error_ratio: missing field \"errors\"");
  if (!total.set) return Error(key.Mark(), "sli.error_ratio: missing field \"total\"");
  VIGIL_ASSIGN_OR_RETURN(slo->errors_query,
                         Query("sli.error_ratio.errors", errors.key, errors.value, slo->window));
  VIGIL_ASSIGN_OR_RETURN(slo->total_query,
                         Query("sli.error_ratio.total", total.key, total.value, slo->window));
  return Status::OK();
}

Status Parser::Latency(const Node& key, const Node& v, Slo* slo) const {
  slo->kind = SliKind::kLatency;
  bool has_metric = false, has_threshold = false;
  Slot selector;
  VIGIL_RETURN_IF_ERROR(r_.Fields(
      key, v, "sli.latency",
      [&](const std::string& name, const Node& k, const Node& val) -> Status {
        if (name == "metric") {
          VIGIL_ASSIGN_OR_RETURN(slo->histogram_metric, r_.String("sli.latency.metric", k, val));
          const std::string& m = slo->histogram_metric;
          if (!model::IsValidMetricName(m)) {
            return Error(k, val, "sli.latency.metric: \"" + m + "\" is not a valid metric name");
          }
          for (std::string_view suffix : {"_bucket", "_count", "_sum"}) {
            if (m.size() > suffix.size() && m.ends_with(suffix)) {
              return Error(k, val,
                           "sli.latency.metric: give the histogram's base name, without \"" +
                               std::string(suffix) + "\"");
            }
          }
          has_metric = true;
        } else if (name == "selector") {
          selector.Set(k, val);
        } else if (name == "threshold") {
          VIGIL_ASSIGN_OR_RETURN(slo->threshold_seconds, r_.Float("sli.latency.threshold", k, val));
          if (!std::isfinite(slo->threshold_seconds) || slo->threshold_seconds <= 0) {
            return Error(k, val,
                         "sli.latency.threshold: must be a positive number of seconds (a bucket "
                         "bound of the histogram)");
          }
          has_threshold = true;
        } else {
          return r_.Unknown(k, name, "sli.latency");
        }
        return Status::OK();
      }));
  if (!v.IsMap()) {
    return Error(key, v, "sli.latency: expected a mapping with metric and threshold");
  }
  if (!has_metric) return Error(key.Mark(), "sli.latency: missing field \"metric\"");
  if (!has_threshold) return Error(key.Mark(), "sli.latency: missing field \"threshold\"");
  if (selector.set) {
    VIGIL_ASSIGN_OR_RETURN(std::string sel,
                           Text("sli.latency.selector", selector.key, selector.value));
    std::string_view s = sel;
    while (!s.empty() && (s.front() == ' ' || s.front() == '\n')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n')) s.remove_suffix(1);
    if (!s.empty()) {
      const std::string braced = s.front() == '{' ? std::string(s) : "{" + std::string(s) + "}";
      // With the metric name, so that a selector of only empty-matching
      // matchers is valid; without it for the error message, whose
      // position then points into what the user wrote.
      auto matchers = promql::ParseMetricSelector(slo->histogram_metric + "_count" + braced);
      if (!matchers.ok()) {
        auto alone = promql::ParseMetricSelector(braced);
        return Error(selector.key, selector.value,
                     "sli.latency.selector: " +
                         std::string((alone.ok() ? matchers : alone).status().message()));
      }
      std::string out;
      bool skipped_name = false;
      for (const model::Matcher& m : *matchers) {
        if (m.name() == "__name__" && !skipped_name) {
          skipped_name = true;  // the name we wrote
          continue;
        }
        if (m.name() == "__name__" || m.name() == "le") {
          return Error(selector.key, selector.value,
                       "sli.latency.selector: must not match on \"" + m.name() +
                           "\" (the generator chooses the series and the bucket)");
        }
        if (!out.empty()) out += ", ";
        out += m.ToString();
      }
      slo->selector = std::move(out);
    }
  }
  return Status::OK();
}

Status Parser::Sli(const Node& key, const Node& v, Slo* slo) const {
  if (!v.IsMap()) {
    return Error(key, v,
                 "sli: expected a mapping with error_ratio or latency, got " +
                     std::string(model::YamlKindName(v)));
  }
  Slot ratio, latency;
  VIGIL_RETURN_IF_ERROR(r_.Fields(
      key, v, "sli", [&](const std::string& name, const Node& k, const Node& val) -> Status {
        if (name == "error_ratio") {
          ratio.Set(k, val);
        } else if (name == "latency") {
          latency.Set(k, val);
        } else {
          return r_.Unknown(k, name, "sli");
        }
        return Status::OK();
      }));
  if (ratio.set && latency.set) {
    return Error(latency.key.Mark(), "sli: only one of \"error_ratio\" and \"latency\" may be set");
  }
  if (ratio.set) return ErrorRatio(ratio.key, ratio.value, slo);
  if (latency.set) return Latency(latency.key, latency.value, slo);
  return Error(key.Mark(), "sli: one of \"error_ratio\" and \"latency\" must be set");
}

Status Parser::CheckGenerated(const Node& node, std::string_view what,
                              const GeneratedGroup& g) const {
  for (const GeneratedRule& r : g.rules) {
    auto e = promql::ParseExpr(r.expr);
    if (!e.ok()) {
      return Error(node.Mark(), std::string(what) + ": the generated rule \"" + r.name +
                                    "\" does not parse: " + std::string(e.status().message()));
    }
  }
  return Status::OK();
}

Status Parser::ParseSlo(const Node& node, const model::Labels& file_labels, Slo* slo,
                        YAML::Mark* name_mark) const {
  slo->line = node.Mark().line + 1;
  slo->column = node.Mark().column + 1;
  bool has_name = false, has_objective = false;
  Slot sli, alerting;
  YAML::Mark objective_mark;
  model::Labels own_labels;
  VIGIL_RETURN_IF_ERROR(r_.Fields(
      node, node, "SLO", [&](const std::string& name, const Node& k, const Node& v) -> Status {
        if (name == "name") {
          VIGIL_ASSIGN_OR_RETURN(slo->name, Name("name", k, v));
          *name_mark = At(k, v);
          has_name = true;
        } else if (name == "description") {
          VIGIL_ASSIGN_OR_RETURN(slo->description, Text("description", k, v));
        } else if (name == "objective") {
          VIGIL_ASSIGN_OR_RETURN(slo->objective_percent, r_.Float("objective", k, v));
          objective_mark = At(k, v);
          has_objective = true;
        } else if (name == "window") {
          VIGIL_ASSIGN_OR_RETURN(slo->window, r_.Duration("window", k, v));
          if (slo->window.count() < kDayMs) {
            return Error(k, v,
                         "window: must be at least 1d (the alert windows are scaled from "
                         "a 30d window), got " +
                             model::FormatDuration(slo->window));
          }
        } else if (name == "labels") {
          VIGIL_ASSIGN_OR_RETURN(own_labels, Map("labels", k, v, false));
        } else if (name == "sli") {
          sli.Set(k, v);
        } else if (name == "alerting") {
          alerting.Set(k, v);
        } else if (name == "metric" || name == "threshold" || name == "duration") {
          return Error(k.Mark(), "unknown field \"" + name +
                                     "\" in SLO (SLAs, with metric, threshold and duration, go "
                                     "under \"slas\")");
        } else {
          return r_.Unknown(k, name, "SLO");
        }
        return Status::OK();
      }));
  if (!has_name) return Error(node.Mark(), "SLO: missing field \"name\"");
  const std::string what = "SLO \"" + slo->name + "\"";
  if (!has_objective) return Error(node.Mark(), what + ": missing field \"objective\"");
  if (!std::isfinite(slo->objective_percent) || slo->objective_percent <= 0 ||
      slo->objective_percent >= 100) {
    return Error(objective_mark, "objective: must be a percentage in (0, 100), got " +
                                     internal::FormatNumber(slo->objective_percent));
  }
  if (auto t = internal::FormatObjective(slo->objective_percent); !t.ok()) {
    return Error(objective_mark, "objective: " + std::string(t.status().message()));
  }
  slo->labels = MergeLabels(file_labels, own_labels);
  if (!sli.set) return Error(node.Mark(), what + ": missing field \"sli\"");
  // The window is known now (it may follow the SLI in the file).
  VIGIL_RETURN_IF_ERROR(Sli(sli.key, sli.value, slo));
  AlertFields common, page, ticket;
  if (alerting.set) {
    VIGIL_RETURN_IF_ERROR(Alerting(alerting.key, alerting.value, false, &common, &page, &ticket));
  }
  slo->page = Resolve(common, page, "ErrorBudgetBurnFast");
  slo->ticket = Resolve(common, ticket, "ErrorBudgetBurnSlow");
  return Status::OK();
}

Status Parser::ParseSla(const Node& node, const model::Labels& file_labels, Sla* sla,
                        YAML::Mark* name_mark) const {
  sla->line = node.Mark().line + 1;
  sla->column = node.Mark().column + 1;
  bool has_name = false, has_threshold = false;
  Slot metric, alerting;
  model::Labels own_labels;
  VIGIL_RETURN_IF_ERROR(r_.Fields(
      node, node, "SLA", [&](const std::string& name, const Node& k, const Node& v) -> Status {
        if (name == "name") {
          VIGIL_ASSIGN_OR_RETURN(sla->name, Name("name", k, v));
          *name_mark = At(k, v);
          has_name = true;
        } else if (name == "description") {
          VIGIL_ASSIGN_OR_RETURN(sla->description, Text("description", k, v));
        } else if (name == "metric") {
          metric.Set(k, v);
        } else if (name == "threshold") {
          VIGIL_ASSIGN_OR_RETURN(sla->threshold, r_.Float("threshold", k, v));
          if (!std::isfinite(sla->threshold)) {
            return Error(k, v, "threshold: must be a finite number");
          }
          has_threshold = true;
        } else if (name == "duration") {
          VIGIL_ASSIGN_OR_RETURN(sla->for_duration, r_.Duration("duration", k, v));
        } else if (name == "labels") {
          VIGIL_ASSIGN_OR_RETURN(own_labels, Map("labels", k, v, false));
        } else if (name == "alerting") {
          alerting.Set(k, v);
        } else if (name == "objective" || name == "sli" || name == "window") {
          return Error(k.Mark(), "unknown field \"" + name +
                                     "\" in SLA (SLOs, with objective, window and sli, go under "
                                     "\"slos\")");
        } else {
          return r_.Unknown(k, name, "SLA");
        }
        return Status::OK();
      }));
  if (!has_name) return Error(node.Mark(), "SLA: missing field \"name\"");
  const std::string what = "SLA \"" + sla->name + "\"";
  if (!metric.set) return Error(node.Mark(), what + ": missing field \"metric\"");
  if (!has_threshold) return Error(node.Mark(), what + ": missing field \"threshold\"");
  VIGIL_ASSIGN_OR_RETURN(sla->expr, Text("metric", metric.key, metric.value));
  if (sla->expr.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Error(metric.key, metric.value, "metric: must be set");
  }
  auto e = promql::ParseExpr(sla->expr);
  if (!e.ok()) {
    return Error(metric.key, metric.value,
                 "metric: could not parse the expression: " + std::string(e.status().message()));
  }
  if ((*e)->type() != promql::ValueType::kVector) {
    return Error(metric.key, metric.value,
                 "metric: must be an instant vector expression, got " +
                     std::string(promql::ValueTypeName((*e)->type())));
  }
  sla->labels = MergeLabels(file_labels, own_labels);
  AlertFields common, unused_page, unused_ticket;
  if (alerting.set) {
    VIGIL_RETURN_IF_ERROR(
        Alerting(alerting.key, alerting.value, true, &common, &unused_page, &unused_ticket));
  }
  sla->alert = Resolve(common, AlertFields{}, "SLAViolation");
  return Status::OK();
}

Result<SloFile> Parser::Parse(std::string_view text) {
  VIGIL_ASSIGN_OR_RETURN(Node root, r_.Load(text));
  if (!root.IsDefined() || root.IsNull()) {
    return Error(root.Mark(), "empty SLO file (expected service and slos)");
  }
  if (!root.IsMap()) {
    return Error(root.Mark(), "expected a mapping with service and slos, got " +
                                  std::string(model::YamlKindName(root)));
  }
  SloFile file;
  file.filename = r_.filename();
  bool has_service = false;
  model::Labels file_labels;
  Slot slos, slas;
  VIGIL_RETURN_IF_ERROR(r_.Fields(
      root, root, "SLO file", [&](const std::string& name, const Node& k, const Node& v) -> Status {
        if (name == "service") {
          VIGIL_ASSIGN_OR_RETURN(file.service, Name("service", k, v));
          has_service = true;
        } else if (name == "labels") {
          VIGIL_ASSIGN_OR_RETURN(file_labels, Map("labels", k, v, false));
        } else if (name == "slos") {
          slos.Set(k, v);
        } else if (name == "slas") {
          slas.Set(k, v);
        } else {
          return r_.Unknown(k, name, "SLO file");
        }
        return Status::OK();
      }));
  if (!has_service) return Error(root.Mark(), "SLO file: missing field \"service\"");

  std::map<std::string, int> names;  // SLO and SLA names -> line
  const auto unique = [&](const std::string& name, int line, const YAML::Mark& m) -> Status {
    auto [it, inserted] = names.emplace(name, line);
    if (!inserted) {
      return Error(m, "duplicate SLO/SLA name \"" + name + "\" (first defined on line " +
                          std::to_string(it->second) + ")");
    }
    return Status::OK();
  };
  const auto list = [&](const Slot& field, std::string_view what,
                        const std::function<Status(const Node&)>& fn) -> Status {
    const Node& v = field.value;
    if (!field.set || v.IsNull()) return Status::OK();
    if (!v.IsSequence()) {
      return Error(
          field.key, v,
          std::string(what) + ": expected a list, got " + std::string(model::YamlKindName(v)));
    }
    for (size_t i = 0; i < v.size(); ++i) {
      const Node item = v[i];
      if (!item.IsMap()) {
        return Error(item.Mark(), std::string(what) + "[" + std::to_string(i) +
                                      "]: expected a mapping, got " +
                                      std::string(model::YamlKindName(item)));
      }
      VIGIL_RETURN_IF_ERROR(fn(item));
    }
    return Status::OK();
  };
  VIGIL_RETURN_IF_ERROR(list(slos, "slos", [&](const Node& item) -> Status {
    Slo slo;
    YAML::Mark name_mark;
    VIGIL_RETURN_IF_ERROR(ParseSlo(item, file_labels, &slo, &name_mark));
    VIGIL_RETURN_IF_ERROR(unique(slo.name, slo.line, name_mark));
    VIGIL_RETURN_IF_ERROR(CheckGenerated(item, "SLO \"" + slo.name + "\"",
                                         internal::GenerateSloGroup(file.service, slo)));
    file.slos.push_back(std::move(slo));
    return Status::OK();
  }));
  VIGIL_RETURN_IF_ERROR(list(slas, "slas", [&](const Node& item) -> Status {
    Sla sla;
    YAML::Mark name_mark;
    VIGIL_RETURN_IF_ERROR(ParseSla(item, file_labels, &sla, &name_mark));
    VIGIL_RETURN_IF_ERROR(unique(sla.name, sla.line, name_mark));
    VIGIL_RETURN_IF_ERROR(CheckGenerated(item, "SLA \"" + sla.name + "\"",
                                         internal::GenerateSlaGroup(file.service, sla)));
    file.slas.push_back(std::move(sla));
    return Status::OK();
  }));
  if (file.slos.empty() && file.slas.empty()) {
    return Error(root.Mark(), "SLO file: no SLOs or SLAs (fields \"slos\" and \"slas\")");
  }
  return file;
}

}  // namespace

Result<SloFile> ParseSloFile(std::string_view text, std::string_view filename,
                             const ParseOptions& options) {
  Parser p{std::string(filename), options};
  return p.Parse(text);
}

Result<SloFile> LoadSloFile(const std::string& path, const ParseOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseSloFile(text, path, options);
}

}  // namespace vigil::slo
