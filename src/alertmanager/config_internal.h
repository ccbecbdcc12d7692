// Internals of the alert manager's configuration parser (config.h), shared
// by config.cc (top level, global, routes, inhibit rules, cross-checks),
// config_receivers.cc (receivers, integrations, http_config),
// config_time.cc (time intervals) and config_redact.cc (RedactedYaml).
// Not for use outside src/alertmanager/config*.cc.
//
// The parser works in two passes over the YAML tree. Pass one reads every
// section, refusing unknown fields and bad values at their position, with
// `global` read first wherever it appears in the file (integrations need
// its defaults). Pass two checks references between sections (receivers
// and time intervals named by routes), using the positions pass one
// recorded.
//
// Thread safety: not thread-safe (one Parser per parse).
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "alertmanager/config.h"
#include "model/matcher.h"
#include "model/yaml_reader.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::alertmanager::internal {

inline constexpr std::string_view kSecretToken = "<secret>";

class Parser {
 public:
  explicit Parser(std::string filename);

  Result<Config> Parse(std::string_view text);

  // --- config.cc -----------------------------------------------------
  Status Global(const YAML::Node& key, const YAML::Node& v);
  // `parent` is null for the root route.
  Status RouteNode(const YAML::Node& key, const YAML::Node& v, const Route* parent, Route* out);
  Status InhibitRules(const YAML::Node& key, const YAML::Node& v);
  // `matchers`-style lists: each item a ParseMatchers string.
  Status MatcherList(std::string_view field, const YAML::Node& key, const YAML::Node& v,
                     std::vector<model::Matcher>* out) const;
  // `match` (regex false) and `match_re` (regex true) maps.
  Status MatchMap(std::string_view field, const YAML::Node& key, const YAML::Node& v, bool regex,
                  std::vector<model::Matcher>* out) const;
  // A list of valid, unique label names (group_by without '...', equal).
  Result<std::vector<std::string>> LabelNames(std::string_view field, const YAML::Node& key,
                                              const YAML::Node& v) const;

  // --- config_receivers.cc -------------------------------------------
  Status Receivers(const YAML::Node& key, const YAML::Node& v);
  // `http_config` (global or an integration's).
  Status HttpConfigNode(std::string_view what, const YAML::Node& key, const YAML::Node& v,
                        HttpConfig* out) const;

  // --- config_time.cc ------------------------------------------------
  // time_intervals (mute false) or mute_time_intervals (mute true).
  Status TimeIntervals(const YAML::Node& key, const YAML::Node& v, bool mute);

  // --- helpers shared by the files above ------------------------------
  const model::YamlReader& reader() const { return r_; }
  Status Error(const YAML::Mark& m, std::string_view msg) const { return r_.Error(m, msg); }
  Status Error(const YAML::Node& key, const YAML::Node& v, std::string_view msg) const {
    return r_.Error(key, v, msg);
  }
  Status NotSupported(const YAML::Node& key, std::string_view name, std::string_view what,
                      std::string_view hint = "") const;
  // A non-null sequence of items, or an error naming `field`.
  Status List(std::string_view field, const YAML::Node& key, const YAML::Node& v,
              const std::function<Status(const YAML::Node& item)>& fn) const;
  // An http(s) URL; secret ones are never echoed in messages, and accept
  // the literal "<secret>".
  Result<std::string> Url(std::string_view field, const YAML::Node& key, const YAML::Node& v,
                          bool secret) const;
  // `path` joined to the configuration's directory when relative.
  std::string ResolvePath(const std::string& path) const;

 private:
  struct Ref {
    std::string name;
    YAML::Mark mark;
  };

  Status CheckReferences() const;

  const model::YamlReader r_;
  std::string dir_;  // the configuration file's directory ("." when none)
  Config c_;
  std::set<std::string> receiver_names_;
  std::set<std::string> interval_names_;
  std::vector<Ref> receiver_refs_;  // routes' receivers, in file order
  std::vector<Ref> interval_refs_;  // routes' mute/active intervals
};

// --- config_matchers.cc ----------------------------------------------

// Alertmanager's labels.Matchers order: name, then value, then type.
void SortMatchers(std::vector<model::Matcher>* ms);

// model::Matcher::Make, with the regex in its error shown as written
// rather than in the anchored form Make compiles ("^(?:re)$").
Result<model::Matcher> MakeMatcher(model::MatchType type, std::string_view name,
                                   std::string_view value);

// --- config_time.cc --------------------------------------------------

// Whether `location` is one vigil evaluates (config.h TimeInterval).
bool IsUtcLocation(std::string_view location);
bool IsSupportedLocation(std::string_view location);

// The forms RedactedYaml writes, which the parser reads back.
std::string FormatMinuteOfDay(int minutes);                    // "09:30", "24:00"
std::string FormatWeekdayRange(const TimeInterval::Range& r);  // "monday:friday"
std::string FormatMonthRange(const TimeInterval::Range& r);    // "january:march"
std::string FormatIntRange(const TimeInterval::Range& r);      // "1:5", "-1", "2024"

// --- config_receivers.cc ---------------------------------------------

// net.SplitHostPort's rules plus a required port; the message names `s`.
Status CheckHostPort(std::string_view s);

}  // namespace vigil::alertmanager::internal
