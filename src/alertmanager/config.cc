// The alert manager's configuration (config.h): the top level, `global`,
// the routing tree, inhibit rules and the checks between sections.
// Receivers are in config_receivers.cc, time intervals in config_time.cc,
// matcher syntax in config_matchers.cc, RedactedYaml in config_redact.cc.

#include "alertmanager/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alertmanager/config_internal.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "model/labels.h"

namespace vigil::alertmanager {
namespace internal {
namespace {

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Global settings of integrations vigil lacks: accepted and ignored, so a
// real Alertmanager file loads as long as it does not use them.
const std::set<std::string_view>& IgnoredGlobals() {
  static const std::set<std::string_view> k = {
      "opsgenie_api_url",    "opsgenie_api_key",        "opsgenie_api_key_file",
      "wechat_api_url",      "wechat_api_secret",       "wechat_api_corp_id",
      "victorops_api_url",   "victorops_api_key",       "victorops_api_key_file",
      "telegram_api_url",    "webex_api_url",           "jira_api_url",
      "rocketchat_api_url",  "rocketchat_token",        "rocketchat_token_file",
      "rocketchat_token_id", "rocketchat_token_id_file"};
  return k;
}

// Global settings of supported integrations that vigil cannot honour.
const std::set<std::string_view>& UnsupportedGlobals() {
  static const std::set<std::string_view> k = {"slack_api_url_file", "smtp_auth_password_file",
                                               "smtp_auth_secret_file", "smtp_tls_config"};
  return k;
}

// url.Parse plus Alertmanager's parseURL checks (http or https, a host).
// The message never contains the URL (it may be a secret).
Status CheckHttpUrl(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return InvalidArgumentError("invalid character in URL (space or control character)");
    }
  }
  std::string scheme;
  const size_t colon = s.find(':');
  if (colon != std::string_view::npos && colon > 0 &&
      std::isalpha(static_cast<unsigned char>(s[0]))) {
    scheme.assign(s.substr(0, colon));
    for (char& c : scheme) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
        scheme.clear();
        break;
      }
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (scheme != "http" && scheme != "https") {
    return InvalidArgumentError("unsupported scheme " + Quote(scheme) +
                                " for URL (want http or https)");
  }
  std::string_view rest = s.substr(colon + 1);
  std::string_view authority;
  if (rest.starts_with("//")) {
    rest.remove_prefix(2);
    authority = rest.substr(0, rest.find_first_of("/?#"));
    if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
      authority.remove_prefix(at + 1);
    }
  }
  if (authority.empty()) return InvalidArgumentError("missing host for URL");
  return Status::OK();
}

}  // namespace

Parser::Parser(std::string filename) : r_(std::move(filename)) {
  std::filesystem::path dir = std::filesystem::path(r_.filename()).parent_path();
  dir_ = dir.empty() ? "." : dir.string();
}

Status Parser::NotSupported(const YAML::Node& key, std::string_view name, std::string_view what,
                            std::string_view hint) const {
  std::string msg =
      "field " + Quote(name) + " in " + std::string(what) + " is not supported by vigil";
  if (!hint.empty()) msg += ": " + std::string(hint);
  return Error(key.Mark(), msg);
}

Status Parser::List(std::string_view field, const YAML::Node& key, const YAML::Node& v,
                    const std::function<Status(const YAML::Node& item)>& fn) const {
  if (!v.IsDefined() || v.IsNull()) return Status::OK();
  if (!v.IsSequence()) {
    return Error(
        key, v,
        std::string(field) + ": expected a list, got " + std::string(model::YamlKindName(v)));
  }
  for (const YAML::Node& item : v) VIGIL_RETURN_IF_ERROR(fn(item));
  return Status::OK();
}

Result<std::string> Parser::Url(std::string_view field, const YAML::Node& key, const YAML::Node& v,
                                bool secret) const {
  VIGIL_ASSIGN_OR_RETURN(std::string s, r_.String(field, key, v));
  if (secret && s == kSecretToken) return s;
  if (Status st = CheckHttpUrl(s); !st.ok()) {
    std::string msg = std::string(field) + ": " + std::string(st.message());
    if (!secret) msg += ": " + Quote(s);
    return Error(key, v, msg);
  }
  return s;
}

std::string Parser::ResolvePath(const std::string& path) const {
  if (path.empty() || path.front() == '/') return path;
  return (std::filesystem::path(dir_) / path).lexically_normal().string();
}

Result<std::vector<std::string>> Parser::LabelNames(std::string_view field, const YAML::Node& key,
                                                    const YAML::Node& v) const {
  std::vector<std::string> out;
  VIGIL_RETURN_IF_ERROR(List(field, key, v, [&](const YAML::Node& item) -> Status {
    if (!item.IsScalar()) {
      return Error(item.Mark(), std::string(field) + ": expected a string, got " +
                                    std::string(model::YamlKindName(item)));
    }
    if (!model::IsValidLabelName(item.Scalar())) {
      return Error(item.Mark(), "invalid label name " + Quote(item.Scalar()) + " in " +
                                    std::string(field) + " list");
    }
    out.push_back(item.Scalar());
    return Status::OK();
  }));
  return out;
}

Status Parser::MatcherList(std::string_view field, const YAML::Node& key, const YAML::Node& v,
                           std::vector<model::Matcher>* out) const {
  return List(field, key, v, [&](const YAML::Node& item) -> Status {
    if (!item.IsScalar()) {
      return Error(item.Mark(), std::string(field) + ": expected a string, got " +
                                    std::string(model::YamlKindName(item)));
    }
    Result<std::vector<model::Matcher>> ms = ParseMatchers(item.Scalar());
    if (!ms.ok()) {
      return Error(item.Mark(), std::string(field) + ": " + std::string(ms.status().message()));
    }
    for (model::Matcher& m : *ms) out->push_back(std::move(m));
    return Status::OK();
  });
}

Status Parser::MatchMap(std::string_view field, const YAML::Node& key, const YAML::Node& v,
                        bool regex, std::vector<model::Matcher>* out) const {
  return r_.Fields(
      key, v, field,
      [&](const std::string& name, const YAML::Node& k, const YAML::Node& val) -> Status {
        if (!model::IsValidLabelName(name)) {
          return Error(k.Mark(), std::string(field) + ": invalid label name " + Quote(name));
        }
        VIGIL_ASSIGN_OR_RETURN(std::string value,
                               r_.String(std::string(field) + "." + name, k, val));
        model::MatchType type = model::MatchType::kEqual;
        if (regex) {
          type = model::MatchType::kRegexMatch;
          // Checked as written, so the message shows the user's
          // text; kept anchored as Alertmanager keeps it (its
          // Regexp.String()).
          Result<model::Matcher> check = MakeMatcher(type, name, value);
          if (!check.ok()) {
            return Error(
                k, val,
                std::string(field) + "." + name + ": " + std::string(check.status().message()));
          }
          value = "^(?:" + value + ")$";
        }
        Result<model::Matcher> m = model::Matcher::Make(type, name, value);
        if (!m.ok()) {
          return Error(k, val,
                       std::string(field) + "." + name + ": " + std::string(m.status().message()));
        }
        out->push_back(*std::move(m));
        return Status::OK();
      });
}

Status Parser::Global(const YAML::Node& key, const YAML::Node& v) {
  GlobalConfig& g = c_.global;
  return r_.Fields(
      key, v, "global",
      [&](const std::string& name, const YAML::Node& k, const YAML::Node& val) -> Status {
        if (name == "resolve_timeout") {
          VIGIL_ASSIGN_OR_RETURN(g.resolve_timeout, r_.Duration(name, k, val));
        } else if (name == "http_config") {
          VIGIL_RETURN_IF_ERROR(HttpConfigNode("http_config", k, val, &g.http_config));
        } else if (name == "smtp_from") {
          VIGIL_ASSIGN_OR_RETURN(g.smtp_from, r_.String(name, k, val));
        } else if (name == "smtp_hello") {
          VIGIL_ASSIGN_OR_RETURN(g.smtp_hello, r_.String(name, k, val));
        } else if (name == "smtp_smarthost") {
          VIGIL_ASSIGN_OR_RETURN(g.smtp_smarthost, r_.String(name, k, val));
          if (!g.smtp_smarthost.empty()) {
            if (Status s = CheckHostPort(g.smtp_smarthost); !s.ok()) {
              return Error(k, val, name + ": " + std::string(s.message()));
            }
          }
        } else if (name == "smtp_auth_username") {
          VIGIL_ASSIGN_OR_RETURN(g.smtp_auth_username, r_.String(name, k, val));
        } else if (name == "smtp_auth_password") {
          VIGIL_ASSIGN_OR_RETURN(g.smtp_auth_password.value, r_.String(name, k, val));
        } else if (name == "smtp_auth_secret") {
          VIGIL_ASSIGN_OR_RETURN(g.smtp_auth_secret.value, r_.String(name, k, val));
        } else if (name == "smtp_auth_identity") {
          VIGIL_ASSIGN_OR_RETURN(g.smtp_auth_identity, r_.String(name, k, val));
        } else if (name == "smtp_require_tls") {
          VIGIL_ASSIGN_OR_RETURN(g.smtp_require_tls, r_.Bool(name, k, val));
        } else if (name == "slack_api_url") {
          VIGIL_ASSIGN_OR_RETURN(g.slack_api_url.value, Url(name, k, val, /*secret=*/true));
        } else if (name == "pagerduty_url") {
          VIGIL_ASSIGN_OR_RETURN(g.pagerduty_url, Url(name, k, val, /*secret=*/false));
        } else if (IgnoredGlobals().count(name) != 0) {
          // Only integrations vigil refuses read these.
        } else if (UnsupportedGlobals().count(name) != 0) {
          return NotSupported(k, name, "global",
                              name == "smtp_tls_config" ? "" : "write the value inline");
        } else {
          return r_.Unknown(k, name, "global");
        }
        return Status::OK();
      });
}

Status Parser::RouteNode(const YAML::Node& key, const YAML::Node& v, const Route* parent,
                         Route* out) {
  const bool root = parent == nullptr;
  Route r;
  if (!root) {
    r.receiver = parent->receiver;
    r.group_by = parent->group_by;
    r.group_by_all = parent->group_by_all;
    r.group_wait = parent->group_wait;
    r.group_interval = parent->group_interval;
    r.repeat_interval = parent->repeat_interval;
  }
  bool have_routes = false;
  YAML::Node routes_key, routes_value;
  // Each route's own intervals and matchers; refused on the root.
  auto refuse_on_root = [&](const YAML::Node& k, bool non_empty, std::string_view what) -> Status {
    if (root && non_empty) {
      return Error(k.Mark(), "root route must not have any " + std::string(what));
    }
    return Status::OK();
  };
  VIGIL_RETURN_IF_ERROR(r_.Fields(
      key, v, "route",
      [&](const std::string& name, const YAML::Node& k, const YAML::Node& val) -> Status {
        if (name == "receiver") {
          VIGIL_ASSIGN_OR_RETURN(std::string receiver, r_.String(name, k, val));
          if (!receiver.empty()) {
            r.receiver = receiver;
            receiver_refs_.push_back(Ref{receiver, model::YamlReader::At(k, val)});
          }
        } else if (name == "group_by") {
          std::vector<std::string> names;
          std::set<std::string> seen;
          bool all = false;
          VIGIL_RETURN_IF_ERROR(List(name, k, val, [&](const YAML::Node& item) -> Status {
            if (!item.IsScalar()) {
              return Error(item.Mark(), "group_by: expected a string, got " +
                                            std::string(model::YamlKindName(item)));
            }
            const std::string& l = item.Scalar();
            if (l == "...") {
              all = true;
              return Status::OK();
            }
            if (!model::IsValidLabelName(l)) {
              return Error(item.Mark(), "invalid label name " + Quote(l) + " in group_by list");
            }
            if (!seen.insert(l).second) {
              return Error(item.Mark(), "duplicated label " + Quote(l) + " in group_by");
            }
            names.push_back(l);
            return Status::OK();
          }));
          if (all && !names.empty()) {
            return Error(k.Mark(),
                         "cannot have wildcard group_by (`...`) and other labels at the same "
                         "time");
          }
          if (!names.empty()) {
            r.group_by = std::move(names);
            r.group_by_all = false;
          } else if (all) {
            r.group_by.clear();
            r.group_by_all = true;
          }
        } else if (name == "group_wait") {
          VIGIL_ASSIGN_OR_RETURN(r.group_wait, r_.Duration(name, k, val));
        } else if (name == "group_interval" || name == "repeat_interval") {
          VIGIL_ASSIGN_OR_RETURN(Millis d, r_.Duration(name, k, val));
          if (d.count() == 0) return Error(k, val, name + " cannot be zero");
          (name == "group_interval" ? r.group_interval : r.repeat_interval) = d;
        } else if (name == "matchers") {
          std::vector<model::Matcher> ms;
          VIGIL_RETURN_IF_ERROR(MatcherList(name, k, val, &ms));
          VIGIL_RETURN_IF_ERROR(refuse_on_root(k, !ms.empty(), "matchers"));
          for (auto& m : ms) r.matchers.push_back(std::move(m));
        } else if (name == "match" || name == "match_re") {
          std::vector<model::Matcher> ms;
          VIGIL_RETURN_IF_ERROR(MatchMap(name, k, val, name == "match_re", &ms));
          VIGIL_RETURN_IF_ERROR(refuse_on_root(k, !ms.empty(), "matchers"));
          for (auto& m : ms) r.matchers.push_back(std::move(m));
        } else if (name == "continue") {
          VIGIL_ASSIGN_OR_RETURN(r.continue_matching, r_.Bool(name, k, val));
          if (root && r.continue_matching) {
            return Error(k.Mark(), "cannot have continue in root route");
          }
        } else if (name == "mute_time_intervals" || name == "active_time_intervals") {
          std::vector<std::string>& names =
              name == "mute_time_intervals" ? r.mute_time_intervals : r.active_time_intervals;
          VIGIL_RETURN_IF_ERROR(List(name, k, val, [&](const YAML::Node& item) -> Status {
            if (!item.IsScalar()) {
              return Error(item.Mark(), name + ": expected a string, got " +
                                            std::string(model::YamlKindName(item)));
            }
            names.push_back(item.Scalar());
            interval_refs_.push_back(Ref{item.Scalar(), item.Mark()});
            return Status::OK();
          }));
          VIGIL_RETURN_IF_ERROR(refuse_on_root(
              k, !names.empty(),
              name == "mute_time_intervals" ? "mute time intervals" : "active time intervals"));
        } else if (name == "routes") {
          have_routes = true;
          routes_key = k;
          routes_value = val;
        } else {
          return r_.Unknown(k, name, "route");
        }
        return Status::OK();
      }));
  if (root && r.receiver.empty()) {
    return Error(key.Mark(), "root route must specify a default receiver");
  }
  SortMatchers(&r.matchers);
  // Children last: they inherit what this route ends up with, whatever
  // the order of its fields.
  if (have_routes) {
    VIGIL_RETURN_IF_ERROR(
        List("routes", routes_key, routes_value, [&](const YAML::Node& item) -> Status {
          Route child;
          VIGIL_RETURN_IF_ERROR(RouteNode(item, item, &r, &child));
          r.routes.push_back(std::move(child));
          return Status::OK();
        }));
  }
  *out = std::move(r);
  return Status::OK();
}

Status Parser::InhibitRules(const YAML::Node& key, const YAML::Node& v) {
  return List("inhibit_rules", key, v, [&](const YAML::Node& item) -> Status {
    InhibitRule ir;
    VIGIL_RETURN_IF_ERROR(r_.Fields(
        item, item, "inhibit rule",
        [&](const std::string& name, const YAML::Node& k, const YAML::Node& val) -> Status {
          if (name == "source_matchers") return MatcherList(name, k, val, &ir.source_matchers);
          if (name == "target_matchers") return MatcherList(name, k, val, &ir.target_matchers);
          if (name == "source_match") return MatchMap(name, k, val, false, &ir.source_matchers);
          if (name == "source_match_re") return MatchMap(name, k, val, true, &ir.source_matchers);
          if (name == "target_match") return MatchMap(name, k, val, false, &ir.target_matchers);
          if (name == "target_match_re") return MatchMap(name, k, val, true, &ir.target_matchers);
          if (name == "equal") {
            VIGIL_ASSIGN_OR_RETURN(ir.equal, LabelNames(name, k, val));
            return Status::OK();
          }
          return r_.Unknown(k, name, "inhibit rule");
        }));
    SortMatchers(&ir.source_matchers);
    SortMatchers(&ir.target_matchers);
    c_.inhibit_rules.push_back(std::move(ir));
    return Status::OK();
  });
}

Status Parser::CheckReferences() const {
  for (const Ref& ref : receiver_refs_) {
    if (receiver_names_.count(ref.name) == 0) {
      return Error(ref.mark, "undefined receiver " + Quote(ref.name) + " used in route");
    }
  }
  for (const Ref& ref : interval_refs_) {
    if (interval_names_.count(ref.name) == 0) {
      return Error(ref.mark, "undefined time interval " + Quote(ref.name) + " used in route");
    }
  }
  return Status::OK();
}

Result<Config> Parser::Parse(std::string_view text) {
  VIGIL_ASSIGN_OR_RETURN(YAML::Node root, r_.Load(text));
  if (!root.IsDefined() || root.IsNull()) {
    return Error(root.Mark(), "no route provided in config");
  }
  struct Section {
    std::string name;
    YAML::Node key, value;
  };
  std::vector<Section> sections;
  static const std::set<std::string_view> kSections = {
      "route", "inhibit_rules", "receivers", "templates", "time_intervals", "mute_time_intervals"};
  bool have_global = false;
  YAML::Node global_key, global_value;
  VIGIL_RETURN_IF_ERROR(
      r_.Fields(root, root, "configuration",
                [&](const std::string& name, const YAML::Node& k, const YAML::Node& val) -> Status {
                  if (name == "global") {
                    have_global = true;
                    global_key = k;
                    global_value = val;
                  } else if (kSections.count(name) != 0) {
                    sections.push_back(Section{name, k, val});
                  } else {
                    return r_.Unknown(k, name, "configuration");
                  }
                  return Status::OK();
                }));
  // Integrations take global defaults, wherever `global` is in the file.
  if (have_global) VIGIL_RETURN_IF_ERROR(Global(global_key, global_value));

  bool have_route = false;
  for (const Section& s : sections) {
    if (s.name == "route") {
      if (!s.value.IsDefined() || s.value.IsNull()) {
        return Error(s.key.Mark(), "no route provided in config");
      }
      VIGIL_RETURN_IF_ERROR(RouteNode(s.key, s.value, nullptr, &c_.route));
      have_route = true;
    } else if (s.name == "inhibit_rules") {
      VIGIL_RETURN_IF_ERROR(InhibitRules(s.key, s.value));
    } else if (s.name == "receivers") {
      VIGIL_RETURN_IF_ERROR(Receivers(s.key, s.value));
    } else if (s.name == "templates") {
      VIGIL_ASSIGN_OR_RETURN(c_.templates, r_.StringList(s.name, s.key, s.value));
      for (std::string& t : c_.templates) t = ResolvePath(t);
    } else {
      VIGIL_RETURN_IF_ERROR(TimeIntervals(s.key, s.value, s.name == "mute_time_intervals"));
    }
  }
  if (!have_route) return Error(root.Mark(), "no route provided in config");
  VIGIL_RETURN_IF_ERROR(CheckReferences());
  c_.original = std::string(text);
  return std::move(c_);
}

}  // namespace internal

Result<Config> ParseConfig(std::string_view text, std::string_view filename) {
  internal::Parser p{std::string(filename)};
  return p.Parse(text);
}

Result<Config> LoadConfigFile(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseConfig(text, path);
}

}  // namespace vigil::alertmanager
