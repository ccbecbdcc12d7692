#include "model/yaml_reader.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include "model/duration.h"

namespace vigil::model {

std::string_view YamlKindName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "null";
    default:
      return "nothing";
  }
}

namespace {

// What a scalar was, for "expected X, got Y" messages.
std::string Got(const YAML::Node& v) {
  return v.IsScalar() ? "\"" + v.Scalar() + "\"" : std::string(YamlKindName(v));
}

}  // namespace

Result<YAML::Node> YamlReader::Load(std::string_view text) const {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Error(e.mark, e.msg);
  }
}

std::string YamlReader::Pos(const YAML::Mark& m) const {
  if (m.is_null()) return filename_;
  return filename_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

YAML::Mark YamlReader::At(const YAML::Node& key, const YAML::Node& value) {
  if (!value.IsDefined() || value.IsNull() || value.Mark().is_null()) return key.Mark();
  return value.Mark();
}

Status YamlReader::Error(const YAML::Mark& m, std::string_view msg) const {
  return InvalidArgumentError(Pos(m) + ": " + std::string(msg));
}

Status YamlReader::Unknown(const YAML::Node& key, std::string_view name,
                           std::string_view what) const {
  return Error(key.Mark(),
               "unknown field \"" + std::string(name) + "\" in " + std::string(what));
}

Status YamlReader::Fields(const YAML::Node& key, const YAML::Node& map, std::string_view what,
                          const FieldFn& fn) const {
  if (!map.IsDefined() || map.IsNull()) return Status::OK();
  if (!map.IsMap()) {
    return Error(key, map,
                 std::string(what) + ": expected a mapping, got " + std::string(YamlKindName(map)));
  }
  std::set<std::string> seen;
  for (const auto& kv : map) {
    const YAML::Node& k = kv.first;
    if (!k.IsScalar()) {
      return Error(k.Mark(), std::string(what) + ": keys must be strings, got " +
                                 std::string(YamlKindName(k)));
    }
    const std::string& name = k.Scalar();
    if (!seen.insert(name).second) {
      return Error(k.Mark(), "duplicate field \"" + name + "\" in " + std::string(what));
    }
    if (Status s = fn(name, k, kv.second); !s.ok()) return s;
  }
  return Status::OK();
}

Result<std::string> YamlReader::String(std::string_view field, const YAML::Node& key,
                                       const YAML::Node& v) const {
  if (!v.IsDefined() || v.IsNull()) return std::string();
  if (!v.IsScalar()) {
    return Error(key, v,
                 std::string(field) + ": expected a string, got " + std::string(YamlKindName(v)));
  }
  return v.Scalar();
}

Result<bool> YamlReader::Bool(std::string_view field, const YAML::Node& key,
                              const YAML::Node& v) const {
  if (v.IsScalar()) {
    static const std::set<std::string> kTrue = {"true", "True", "TRUE", "yes", "Yes",
                                                "YES",  "on",   "On",   "ON"};
    static const std::set<std::string> kFalse = {"false", "False", "FALSE", "no", "No",
                                                 "NO",    "off",   "Off",   "OFF"};
    if (kTrue.count(v.Scalar()) != 0) return true;
    if (kFalse.count(v.Scalar()) != 0) return false;
  }
  return Error(key, v,
               std::string(field) + ": expected a boolean (true or false), got " + Got(v));
}

Result<uint64_t> YamlReader::Uint(std::string_view field, const YAML::Node& key,
                                  const YAML::Node& v) const {
  if (v.IsScalar() && !v.Scalar().empty()) {
    const std::string& s = v.Scalar();
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && p == s.data() + s.size()) return n;
  }
  return Error(key, v, std::string(field) + ": expected a non-negative integer, got " + Got(v));
}

Result<double> YamlReader::Float(std::string_view field, const YAML::Node& key,
                                 const YAML::Node& v) const {
  if (v.IsScalar() && !v.Scalar().empty()) {
    std::string s = v.Scalar();
    const bool neg = s[0] == '-';
    std::string_view body(s);
    if (s[0] == '-' || s[0] == '+') body.remove_prefix(1);
    static const std::set<std::string_view> kInf = {".inf", ".Inf", ".INF", "inf",
                                                    "Inf",  "INF",  "infinity", "Infinity"};
    static const std::set<std::string_view> kNaN = {".nan", ".NaN", ".NAN", "nan", "NaN",
                                                    "NAN"};
    if (kInf.count(body) != 0) {
      return neg ? -std::numeric_limits<double>::infinity()
                 : std::numeric_limits<double>::infinity();
    }
    if (kNaN.count(body) != 0 && body.size() == s.size()) {
      return std::numeric_limits<double>::quiet_NaN();
    }
    double d = 0;
    auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), d);
    if (ec == std::errc() && p == body.data() + body.size() && !body.empty() &&
        body[0] != '-' && body[0] != '+') {
      return neg ? -d : d;
    }
  }
  return Error(key, v, std::string(field) + ": expected a number, got " + Got(v));
}

Result<std::chrono::milliseconds> YamlReader::Duration(std::string_view field,
                                                       const YAML::Node& key,
                                                       const YAML::Node& v) const {
  if (!v.IsScalar()) {
    return Error(key, v,
                 std::string(field) + ": expected a duration such as 15s, got " +
                     std::string(YamlKindName(v)));
  }
  Result<std::chrono::milliseconds> d = ParseDuration(v.Scalar());
  if (!d.ok()) return Error(key, v, std::string(field) + ": " + std::string(d.status().message()));
  return d;
}

Result<std::vector<std::string>> YamlReader::StringList(std::string_view field,
                                                        const YAML::Node& key,
                                                        const YAML::Node& v) const {
  std::vector<std::string> out;
  if (!v.IsDefined() || v.IsNull()) return out;
  if (!v.IsSequence()) {
    return Error(key, v,
                 std::string(field) + ": expected a list, got " + std::string(YamlKindName(v)));
  }
  for (const YAML::Node& item : v) {
    if (!item.IsScalar()) {
      return Error(item.Mark(), std::string(field) + ": expected a string, got " +
                                    std::string(YamlKindName(item)));
    }
    out.push_back(item.Scalar());
  }
  return out;
}

Result<Labels> YamlReader::LabelMap(std::string_view field, const YAML::Node& key,
                                    const YAML::Node& v, bool allow_metric_name) const {
  std::vector<std::pair<std::string, std::string>> pairs;
  Status s = Fields(key, v, field,
                    [&](const std::string& name, const YAML::Node& k,
                        const YAML::Node& value) -> Status {
                      if (!IsValidLabelName(name) ||
                          (!allow_metric_name && name == "__name__")) {
                        return Error(k.Mark(), "\"" + name + "\" is not a valid label name");
                      }
                      Result<std::string> str =
                          String(std::string(field) + "." + name, k, value);
                      if (!str.ok()) return str.status();
                      pairs.emplace_back(name, *std::move(str));
                      return Status::OK();
                    });
  if (!s.ok()) return s;
  return Labels::FromPairs(std::move(pairs));
}

}  // namespace vigil::model
