// model::YamlReader: reads configuration-style YAML (rule files, the
// daemon's configuration, rule unit-test files, alert manager files) so
// that every error names FILE:LINE:COLUMN (1-based) and what is wrong.
//
//   YamlReader r("rules.yml");
//   VIGIL_ASSIGN_OR_RETURN(YAML::Node root, r.Load(text));
//   VIGIL_RETURN_IF_ERROR(r.Fields(root, root, "rule file",
//       [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
//         if (name == "groups") return ...;
//         return r.Unknown(k, name, "rule file");
//       }));
//
// Accessors take the field's key node as well as its value so that a
// missing (null) value is reported at its key. Null reads as empty/zero
// where that is harmless (String, StringList, Fields) and as an error
// where a value is required (Bool, Uint, Float, Duration).
//
// Thread safety: immutable after construction; safe to share.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::model {

// "a mapping", "a sequence", "a scalar", "null" or "nothing".
std::string_view YamlKindName(const YAML::Node& n);

class YamlReader {
 public:
  using FieldFn = std::function<Status(const std::string& name, const YAML::Node& key,
                                       const YAML::Node& value)>;

  explicit YamlReader(std::string filename) : filename_(std::move(filename)) {}
  const std::string& filename() const { return filename_; }

  // Parses a document; a syntax error carries its position.
  Result<YAML::Node> Load(std::string_view text) const;

  // "FILE:LINE:COLUMN" (just FILE for a null mark).
  std::string Pos(const YAML::Mark& m) const;
  // The value's position, or its key's when the value has none (null).
  static YAML::Mark At(const YAML::Node& key, const YAML::Node& value);
  // kInvalidArgument "POS: msg".
  Status Error(const YAML::Mark& m, std::string_view msg) const;
  Status Error(const YAML::Node& key, const YAML::Node& value, std::string_view msg) const {
    return Error(At(key, value), msg);
  }
  // "unknown field \"name\" in what", at the key.
  Status Unknown(const YAML::Node& key, std::string_view name, std::string_view what) const;

  // Walks a mapping (null or undefined: no fields), refusing non-string
  // and duplicate keys; `what` names the mapping in messages.
  Status Fields(const YAML::Node& key, const YAML::Node& map, std::string_view what,
                const FieldFn& fn) const;

  Result<std::string> String(std::string_view field, const YAML::Node& key,
                             const YAML::Node& v) const;
  // YAML 1.1 booleans (true/false, yes/no, on/off in three casings).
  Result<bool> Bool(std::string_view field, const YAML::Node& key, const YAML::Node& v) const;
  Result<uint64_t> Uint(std::string_view field, const YAML::Node& key,
                        const YAML::Node& v) const;
  // A number as Go's ParseFloat reads it, plus YAML's .inf/.nan spellings.
  Result<double> Float(std::string_view field, const YAML::Node& key,
                       const YAML::Node& v) const;
  // A Prometheus duration (1h30m, 15s, 0).
  Result<std::chrono::milliseconds> Duration(std::string_view field, const YAML::Node& key,
                                             const YAML::Node& v) const;
  Result<std::vector<std::string>> StringList(std::string_view field, const YAML::Node& key,
                                              const YAML::Node& v) const;
  // A mapping of label names to string values (names must be valid
  // label names; __name__ is allowed only with allow_metric_name).
  Result<Labels> LabelMap(std::string_view field, const YAML::Node& key, const YAML::Node& v,
                          bool allow_metric_name = false) const;

 private:
  const std::string filename_;
};

}  // namespace vigil::model
