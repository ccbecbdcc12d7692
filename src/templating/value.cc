#include "templating/value.h"

#include <algorithm>

#include "templating/go_time.h"

namespace vigil::templating {

struct ValueInternals {
  static Value Make(Value::Kind kind) {
    Value v;
    v.kind_ = kind;
    return v;
  }
  static void SetComposite(Value* v, Value::Composite c) {
    v->c_ = std::make_shared<const Value::Composite>(std::move(c));
  }
};

namespace {

const std::vector<Value> kNoItems;
const std::vector<Value::Entry> kNoEntries;

template <typename E>
void SortUnique(std::vector<E>* entries) {
  // Stable, so that among equal keys the last one ends last and wins.
  std::stable_sort(entries->begin(), entries->end(),
                   [](const E& a, const E& b) { return a.first < b.first; });
  std::vector<E> out;
  out.reserve(entries->size());
  for (auto& e : *entries) {
    if (!out.empty() && out.back().first == e.first) {
      out.back() = std::move(e);
    } else {
      out.push_back(std::move(e));
    }
  }
  *entries = std::move(out);
}

}  // namespace

Value Value::Bool(bool b) {
  Value v = ValueInternals::Make(Kind::kBool);
  v.i_ = b ? 1 : 0;
  return v;
}

Value Value::Int(int64_t i) {
  Value v = ValueInternals::Make(Kind::kInt);
  v.i_ = i;
  return v;
}

Value Value::Float(double d) {
  Value v = ValueInternals::Make(Kind::kFloat);
  v.d_ = d;
  return v;
}

Value Value::String(std::string s) {
  Value v = ValueInternals::Make(Kind::kString);
  v.s_ = std::move(s);
  return v;
}

Value Value::List(std::vector<Value> items, std::vector<Entry> fields) {
  Value v = ValueInternals::Make(Kind::kList);
  Composite c;
  c.items = std::move(items);
  c.entries = std::move(fields);
  ValueInternals::SetComposite(&v, std::move(c));
  return v;
}

Value Value::Map(std::vector<Entry> entries) {
  SortUnique(&entries);
  Value v = ValueInternals::Make(Kind::kMap);
  Composite c;
  c.entries = std::move(entries);
  ValueInternals::SetComposite(&v, std::move(c));
  return v;
}

Value Value::StringMap(
    std::vector<std::pair<std::string, std::string>> entries) {
  SortUnique(&entries);
  Value v = ValueInternals::Make(Kind::kMap);
  Composite c;
  c.string_elems = true;
  c.entries.reserve(entries.size());
  for (auto& [k, s] : entries) {
    c.entries.emplace_back(std::move(k), Value::String(std::move(s)));
  }
  ValueInternals::SetComposite(&v, std::move(c));
  return v;
}

Value Value::StringMap(const model::Labels& labels) {
  Value v = ValueInternals::Make(Kind::kMap);
  Composite c;
  c.string_elems = true;
  for (const model::LabelRef l : labels) {  // already sorted by name
    c.entries.emplace_back(std::string(l.name),
                           Value::String(std::string(l.value)));
  }
  ValueInternals::SetComposite(&v, std::move(c));
  return v;
}

Value Value::Struct(const TypeInfo* type, std::vector<Entry> fields) {
  Value v = ValueInternals::Make(Kind::kStruct);
  v.type_ = type;
  Composite c;
  c.entries = std::move(fields);
  ValueInternals::SetComposite(&v, std::move(c));
  return v;
}

Value Value::Time(int64_t unix_nanos) {
  Value v = ValueInternals::Make(Kind::kTime);
  v.i_ = unix_nanos;
  v.type_ = &internal::TimeType();
  return v;
}

Value Value::WithType(const TypeInfo* type) const {
  Value v = *this;
  v.type_ = type;
  return v;
}

std::span<const Value> Value::items() const {
  if (kind_ != Kind::kList) return kNoItems;
  return c_->items;
}

std::span<const Value::Entry> Value::entries() const {
  if (!c_) return kNoEntries;
  return c_->entries;
}

const Value* Value::Find(std::string_view name) const {
  if (!c_) return nullptr;
  const auto& e = c_->entries;
  if (kind_ == Kind::kMap) {
    auto it = std::lower_bound(
        e.begin(), e.end(), name,
        [](const Entry& a, std::string_view k) { return a.first < k; });
    if (it != e.end() && it->first == name) return &it->second;
    return nullptr;
  }
  for (const Entry& entry : e) {
    if (entry.first == name) return &entry.second;
  }
  return nullptr;
}

bool Value::string_elems() const { return c_ && c_->string_elems; }

size_t Value::size() const {
  if (kind_ == Kind::kList) return c_->items.size();
  if (kind_ == Kind::kMap) return c_->entries.size();
  return 0;
}

std::string_view Value::type_name() const {
  if (type_ != nullptr) return type_->name;
  switch (kind_) {
    case Kind::kNull:
      return "<nil>";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float64";
    case Kind::kString:
      return "string";
    case Kind::kList:
      return "[]interface {}";
    case Kind::kMap:
      return string_elems() ? "map[string]string" : "map[string]interface {}";
    case Kind::kStruct:
      return "struct {}";
    case Kind::kTime:
      return "*time.Time";
  }
  return "?";
}

}  // namespace vigil::templating
