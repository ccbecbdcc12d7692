// templating::Value: the dynamic data a template walks (Go's `interface{}`
// seen through reflection, reduced to what Prometheus and Alertmanager
// templates use).
//
//   Value data = Value::Struct(&kMyType, {
//       {"Labels", Value::StringMap(labels)},   // map[string]string
//       {"Value", Value::Float(0.5)}});         // float64
//
// Kinds and the Go types they stand for (the default type names that error
// messages and %T print):
//   null    Go's nil                      "<nil>"
//   bool    bool                          "bool"
//   int     int (64 bit)                  "int"
//   float   float64                       "float64"
//   string  string                        "string"
//   list    []interface {}                "[]interface {}"
//   map     map[string]interface {} or map[string]string (StringMap)
//   struct  a struct: fields in declaration order; needs a TypeInfo
//   time    *time.Time (UTC, nanosecond precision; methods Format, Unix, ...)
//
// Maps keep keys sorted (Go ranges and prints maps in key order). A missing
// map key reads as the element's zero value: "" for a StringMap, nil
// otherwise (Go's missingkey=zero, the option Prometheus sets). A list may
// also carry named fields, read as `.Name` (Alertmanager's .Alerts.Firing).
// A TypeInfo names a Go type and may add methods (`.Format "2006"`), which
// take precedence over fields, as in Go.
//
// Values are immutable; copies share lists and maps. Thread safety:
// thread-compatible (immutable, so safe to share read-only).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/labels.h"
#include "vigil/result.h"

namespace vigil::templating {

class Value;

// A Go method on a data type, called as `.Name arg...`. `params` holds one Go
// type name per parameter ("string", "float64", "int", "bool",
// "interface {}" or a TypeInfo name); with `variadic` the last repeats.
struct Method {
  std::vector<std::string> params;
  bool variadic = false;
  std::function<Result<Value>(const Value& self, std::span<const Value> args)>
      impl;
};

// The Go type a value stands for. REQUIRES: outlives every Value that
// points at it (define it as a static); method impls must be thread-safe,
// since one template may execute on many threads at once.
struct TypeInfo {
  std::string name;  // as Go's reflect spells it: "*template.sample"
  std::map<std::string, Method, std::less<>> methods;
};

class Value {
 public:
  enum class Kind : uint8_t {
    kNull,
    kBool,
    kInt,
    kFloat,
    kString,
    kList,
    kMap,
    kStruct,
    kTime,
  };
  using Entry = std::pair<std::string, Value>;

  Value() = default;  // null
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Float(double d);
  static Value String(std::string s);
  // `fields` are named extras readable as `.Name` (not iterated by range).
  static Value List(std::vector<Value> items, std::vector<Entry> fields = {});
  // map[string]interface {}; sorts by key, the last duplicate wins.
  static Value Map(std::vector<Entry> entries);
  // map[string]string; sorts by key, the last duplicate wins.
  static Value StringMap(
      std::vector<std::pair<std::string, std::string>> entries);
  static Value StringMap(const model::Labels& labels);
  // REQUIRES: type != nullptr; field names unique.
  static Value Struct(const TypeInfo* type, std::vector<Entry> fields);
  static Value Time(int64_t unix_nanos);

  // The same value presented as another Go type (name and methods).
  Value WithType(const TypeInfo* type) const;

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  // REQUIRES: the matching kind (bool, int, float, string, time).
  bool bool_value() const { return i_ != 0; }
  int64_t int_value() const { return i_; }
  double float_value() const { return d_; }
  const std::string& string_value() const { return s_; }
  int64_t time_nanos() const { return i_; }
  // List items; empty for other kinds.
  std::span<const Value> items() const;
  // Map entries (sorted), struct fields (declared order) or a list's named
  // fields; empty for other kinds.
  std::span<const Entry> entries() const;
  // The entry or list field `name`, or nullptr.
  const Value* Find(std::string_view name) const;
  // For maps: whether missing keys read as "" (map[string]string).
  bool string_elems() const;
  // Number of list items or map entries.
  size_t size() const;

  const TypeInfo* type() const { return type_; }
  std::string_view type_name() const;

 private:
  struct Composite {
    std::vector<Value> items;
    std::vector<Entry> entries;
    bool string_elems = false;
  };
  friend struct ValueInternals;

  Kind kind_ = Kind::kNull;
  const TypeInfo* type_ = nullptr;      // nullptr: the kind's default type
  int64_t i_ = 0;                       // bool, int, time
  double d_ = 0;                        // float
  std::string s_;                       // string
  std::shared_ptr<const Composite> c_;  // list, map, struct
};

}  // namespace vigil::templating
