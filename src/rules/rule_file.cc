#include "rules/rule_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <set>
#include <utility>

#include "base/file.h"
#include "base/status_macros.h"
#include "model/duration.h"
#include "model/yaml_reader.h"
#include "promql/parser.h"
#include "templating/template.h"

namespace vigil::rules {
namespace {

using Millis = std::chrono::milliseconds;

std::string_view KindName(const YAML::Node& n) { return model::YamlKindName(n); }

// Walks one file's YAML tree; every error carries a position.
class Parser {
 public:
  explicit Parser(std::string filename) : file_(filename), r_(std::move(filename)) {}

  Result<std::vector<GroupNode>> Parse(std::string_view text);

 private:
  Status Error(const YAML::Mark& m, std::string_view msg) const { return r_.Error(m, msg); }
  static YAML::Mark At(const YAML::Node& key, const YAML::Node& value) {
    return model::YamlReader::At(key, value);
  }
  Status Fields(const YAML::Node& key, const YAML::Node& map, std::string_view what,
                const model::YamlReader::FieldFn& fn) const {
    return r_.Fields(key, map, what, fn);
  }
  Result<std::string> String(std::string_view field, const YAML::Node& key,
                             const YAML::Node& v) const {
    return r_.String(field, key, v);
  }
  Result<Millis> Duration(std::string_view field, const YAML::Node& key,
                          const YAML::Node& v) const;
  // A mapping of names to finite numbers.
  Result<std::map<std::string, double>> Numbers(std::string_view field, const YAML::Node& key,
                                                const YAML::Node& v) const;
  Result<model::Labels> StringMap(std::string_view field, const YAML::Node& key,
                                  const YAML::Node& v, bool annotations,
                                  const std::string& template_name) const;
  Status Group(const YAML::Node& node, std::set<std::string>* names,
               std::vector<GroupNode>* out) const;
  Status Rule(const GroupNode& g, size_t index, const YAML::Node& node,
              RuleNode* out) const;

  const std::string file_;
  const model::YamlReader r_;
};

Result<Millis> Parser::Duration(std::string_view field, const YAML::Node& key,
                                const YAML::Node& v) const {
  VIGIL_ASSIGN_OR_RETURN(std::string s, String(field, key, v));
  if (s.empty()) return Millis(0);
  auto d = model::ParseDuration(s);
  if (!d.ok()) return Error(At(key, v), std::string(field) + ": " + std::string(d.status().message()));
  return *d;
}

Result<std::map<std::string, double>> Parser::Numbers(std::string_view field,
                                                      const YAML::Node& key,
                                                      const YAML::Node& v) const {
  std::map<std::string, double> out;
  VIGIL_RETURN_IF_ERROR(Fields(key, v, field, [&](const std::string& name, const YAML::Node& k,
                                                  const YAML::Node& val) -> Status {
    VIGIL_ASSIGN_OR_RETURN(double d, r_.Float(std::string(field) + "." + name, k, val));
    if (!std::isfinite(d)) {
      return Error(At(k, val), std::string(field) + "." + name + ": must be a finite number");
    }
    out[name] = d;
    return Status::OK();
  }));
  return out;
}

Result<model::Labels> Parser::StringMap(std::string_view field, const YAML::Node& key,
                                        const YAML::Node& v, bool annotations,
                                        const std::string& template_name) const {
  std::vector<std::pair<std::string, std::string>> pairs;
  VIGIL_RETURN_IF_ERROR(Fields(key, v, field, [&](const std::string& name, const YAML::Node& k,
                                                  const YAML::Node& val) -> Status {
    if (!model::IsValidLabelName(name)) {
      return Error(k.Mark(), std::string(annotations ? "invalid annotation name: "
                                                     : "invalid label name: ") +
                                 name);
    }
    if (!annotations && name == "__name__") {
      return Error(k.Mark(), "invalid label name: " + name);
    }
    VIGIL_ASSIGN_OR_RETURN(std::string text, String(field, k, val));
    // Templates must parse, with the variables alert templates get
    // (Prometheus' testTemplateParsing).
    auto t = templating::ParseAlertTemplate(template_name, text);
    if (!t.ok()) {
      return Error(At(k, val), std::string(annotations ? "annotation" : "label") + " \"" +
                                   name + "\": " + std::string(t.status().message()));
    }
    pairs.emplace_back(name, std::move(text));
    return Status::OK();
  }));
  return model::Labels::FromPairs(std::move(pairs));
}

Status Parser::Rule(const GroupNode& g, size_t index, const YAML::Node& node,
                    RuleNode* r) const {
  if (!node.IsMap()) {
    return Error(node.Mark(), "group \"" + g.name + "\", rule " + std::to_string(index + 1) +
                                  ": expected a mapping, got " + std::string(KindName(node)));
  }
  r->line = node.Mark().line + 1;
  r->column = node.Mark().column + 1;
  bool has_record = false, has_alert = false, has_anomaly = false, has_expr = false;
  YAML::Mark expr_mark, record_mark, for_mark, keep_mark, annotations_mark, detector_mark;
  bool has_detector_fields = false, has_detector_mark = false;
  bool has_for = false, has_keep = false, has_annotations = false;
  bool has_labels = false;
  YAML::Node labels_node, labels_key, annotations_node, annotations_key;
  VIGIL_RETURN_IF_ERROR(Fields(node, node, "rule", [&](const std::string& name,
                                                       const YAML::Node& k,
                                                       const YAML::Node& v) -> Status {
    if (name == "record" || name == "alert" || name == "anomaly") {
      VIGIL_ASSIGN_OR_RETURN(r->name, String(name, k, v));
      (name == "record" ? has_record : name == "alert" ? has_alert : has_anomaly) = true;
      record_mark = At(k, v);
    } else if (name == "detector") {
      VIGIL_ASSIGN_OR_RETURN(r->detector, String(name, k, v));
      has_detector_fields = has_detector_mark = true;
      detector_mark = At(k, v);
    } else if (name == "params" || name == "severity") {
      VIGIL_ASSIGN_OR_RETURN(auto m, Numbers(name, k, v));
      (name == "params" ? r->params : r->severity) = std::move(m);
      has_detector_fields = true;
      if (!has_detector_mark) detector_mark = k.Mark();
      has_detector_mark = true;
    } else if (name == "expr") {
      VIGIL_ASSIGN_OR_RETURN(r->expr_text, String(name, k, v));
      has_expr = true;
      expr_mark = At(k, v);
    } else if (name == "for") {
      VIGIL_ASSIGN_OR_RETURN(r->for_duration, Duration(name, k, v));
      has_for = true;
      for_mark = k.Mark();
    } else if (name == "keep_firing_for") {
      VIGIL_ASSIGN_OR_RETURN(r->keep_firing_for, Duration(name, k, v));
      has_keep = true;
      keep_mark = k.Mark();
    } else if (name == "labels") {
      labels_node.reset(v);
      labels_key.reset(k);
      has_labels = true;
    } else if (name == "annotations") {
      annotations_node.reset(v);
      annotations_key.reset(k);
      has_annotations = true;
      annotations_mark = k.Mark();
    } else {
      return Error(k.Mark(), "unknown field \"" + name + "\" in rule");
    }
    return Status::OK();
  }));
  const std::string where = "group \"" + g.name + "\", rule " + std::to_string(index + 1);
  // Prometheus' own words where its fields are concerned.
  if (has_record && has_alert) {
    return Error(node.Mark(), where + ": only one of 'record' and 'alert' must be set");
  }
  if (has_anomaly && (has_record || has_alert)) {
    return Error(node.Mark(), where + ": only one of 'record', 'alert' and 'anomaly' must be set");
  }
  if (!has_record && !has_alert && !has_anomaly) {
    return Error(node.Mark(), where + ": one of 'record' or 'alert' must be set");
  }
  r->alerting = has_alert;
  r->anomaly = has_anomaly;
  r->detector_line = (has_detector_mark ? detector_mark : node.Mark()).line + 1;
  r->detector_column = (has_detector_mark ? detector_mark : node.Mark()).column + 1;
  const std::string named = where + ", \"" + r->name + "\"";
  // Templates are checked under the alert's template name, once the name
  // is known.
  const std::string template_name = "__alert_" + r->name;
  if (has_labels) {
    VIGIL_ASSIGN_OR_RETURN(r->labels, StringMap("labels", labels_key, labels_node,
                                                /*annotations=*/false, template_name));
  }
  if (has_annotations) {
    VIGIL_ASSIGN_OR_RETURN(r->annotations,
                           StringMap("annotations", annotations_key, annotations_node,
                                     /*annotations=*/true, template_name));
  }
  if (r->name.empty()) {
    return Error(record_mark, where + ": field '" +
                                  std::string(has_alert ? "alert" : has_anomaly ? "anomaly" : "record") +
                                  "' must be set in rule");
  }
  if (!has_expr || r->expr_text.empty()) {
    return Error(has_expr ? expr_mark : node.Mark(), named + ": field 'expr' must be set in rule");
  }
  auto expr = promql::ParseExpr(r->expr_text);
  if (!expr.ok()) {
    return Error(expr_mark, named + ": could not parse expression: " +
                                std::string(expr.status().message()));
  }
  r->expr = std::shared_ptr<const promql::Expr>(std::move(*expr));
  if (has_detector_fields && !has_anomaly) {
    return Error(detector_mark, named + ": fields 'detector', 'params' and 'severity' are only "
                                        "for anomaly rules");
  }
  if (has_anomaly) {
    if (has_annotations) {
      return Error(annotations_mark, named + ": invalid field 'annotations' in anomaly rule");
    }
    if (has_for) return Error(for_mark, named + ": invalid field 'for' in anomaly rule");
    if (has_keep) {
      return Error(keep_mark, named + ": invalid field 'keep_firing_for' in anomaly rule");
    }
    if (!model::IsValidMetricName(r->name)) {
      return Error(record_mark, named + ": invalid anomaly rule name: " + r->name);
    }
    for (const auto& [k, v] : r->severity) {
      if (k != "low" && k != "medium" && k != "high" && k != "critical") {
        return Error(detector_mark, named + ": unknown severity \"" + k +
                                        "\" (low, medium, high, critical)");
      }
    }
  } else if (has_record) {
    if (has_annotations) {
      return Error(annotations_mark, named + ": invalid field 'annotations' in recording rule");
    }
    if (has_for) return Error(for_mark, named + ": invalid field 'for' in recording rule");
    if (has_keep) {
      return Error(keep_mark, named + ": invalid field 'keep_firing_for' in recording rule");
    }
    if (!model::IsValidMetricName(r->name)) {
      return Error(record_mark, named + ": invalid recording rule name: " + r->name);
    }
  } else if (!model::IsValidLabelName(r->name) && !model::IsValidMetricName(r->name)) {
    return Error(record_mark, named + ": invalid alert name: " + r->name);
  }
  return Status::OK();
}

Status Parser::Group(const YAML::Node& node, std::set<std::string>* names,
                     std::vector<GroupNode>* out) const {
  if (!node.IsMap()) {
    return Error(node.Mark(), "group: expected a mapping, got " + std::string(KindName(node)));
  }
  GroupNode g;
  g.file = file_;
  bool has_name = false;
  YAML::Mark name_mark = node.Mark();
  YAML::Node rules;
  VIGIL_RETURN_IF_ERROR(Fields(node, node, "rule group", [&](const std::string& name,
                                                             const YAML::Node& k,
                                                             const YAML::Node& v) -> Status {
    if (name == "name") {
      VIGIL_ASSIGN_OR_RETURN(g.name, String(name, k, v));
      has_name = true;
      name_mark = At(k, v);
    } else if (name == "interval") {
      VIGIL_ASSIGN_OR_RETURN(g.interval, Duration(name, k, v));
    } else if (name == "limit") {
      VIGIL_ASSIGN_OR_RETURN(std::string s, String(name, k, v));
      char* end = nullptr;
      const long n = std::strtol(s.c_str(), &end, 10);
      if (s.empty() || *end != '\0' || n < 0 || n > INT32_MAX) {
        return Error(At(k, v), "limit: expected a non-negative integer, got \"" + s + "\"");
      }
      g.limit = static_cast<int>(n);
    } else if (name == "rules") {
      if (!v.IsNull() && !v.IsSequence()) {
        return Error(At(k, v), "rules: expected a sequence, got " + std::string(KindName(v)));
      }
      rules = v;
    } else {
      return Error(k.Mark(), "unknown field \"" + name + "\" in rule group");
    }
    return Status::OK();
  }));
  if (!has_name || g.name.empty()) return Error(name_mark, "group name must not be empty");
  if (!names->insert(g.name).second) {
    return Error(name_mark, "group name: \"" + g.name + "\" is repeated in the same file");
  }
  if (rules.IsDefined() && rules.IsSequence()) {
    for (size_t i = 0; i < rules.size(); ++i) {
      RuleNode r;
      VIGIL_RETURN_IF_ERROR(Rule(g, i, rules[i], &r));
      g.rules.push_back(std::move(r));
    }
  }
  out->push_back(std::move(g));
  return Status::OK();
}

Result<std::vector<GroupNode>> Parser::Parse(std::string_view text) {
  VIGIL_ASSIGN_OR_RETURN(YAML::Node root, r_.Load(text));
  std::vector<GroupNode> out;
  std::set<std::string> names;
  if (!root.IsDefined() || root.IsNull()) return out;  // an empty file
  YAML::Node groups;
  VIGIL_RETURN_IF_ERROR(Fields(root, root, "rule file", [&](const std::string& name,
                                                            const YAML::Node& k,
                                                            const YAML::Node& v) -> Status {
    if (name != "groups") return Error(k.Mark(), "unknown field \"" + name + "\" in rule file");
    if (!v.IsNull() && !v.IsSequence()) {
      return Error(At(k, v), "groups: expected a sequence, got " + std::string(KindName(v)));
    }
    groups = v;
    return Status::OK();
  }));
  if (groups.IsDefined() && groups.IsSequence()) {
    for (const auto& g : groups) VIGIL_RETURN_IF_ERROR(Group(g, &names, &out));
  }
  return out;
}

}  // namespace

Result<std::vector<GroupNode>> ParseRuleFile(std::string_view text, std::string_view filename) {
  return Parser(std::string(filename)).Parse(text);
}

Result<std::vector<GroupNode>> LoadRuleFiles(const std::vector<std::string>& patterns,
                                             std::string_view dir) {
  std::vector<GroupNode> out;
  for (const auto& pattern : patterns) {
    std::string p = pattern;
    if (!dir.empty() && !std::filesystem::path(p).is_absolute()) {
      p = (std::filesystem::path(dir) / p).string();
    }
    Result<std::vector<std::string>> expanded = ExpandGlob(p);
    if (!expanded.ok()) {
      return InvalidArgumentError("rule_files: cannot expand \"" + pattern + "\"");
    }
    const std::vector<std::string>& files = expanded.value();
    for (const auto& f : files) {
      VIGIL_ASSIGN_OR_RETURN(std::string text, ReadFile(f));
      VIGIL_ASSIGN_OR_RETURN(std::vector<GroupNode> groups, ParseRuleFile(text, f));
      for (auto& grp : groups) out.push_back(std::move(grp));
    }
  }
  return out;
}

}  // namespace vigil::rules
