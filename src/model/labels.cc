#include "model/labels.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include <algorithm>

namespace vigil::model {
namespace {

void SortUnique(std::vector<Label>& v) {
  // Stable so that, among equal names, the later entry wins below.
  std::stable_sort(v.begin(), v.end(), [](const Label& a, const Label& b) {
    return a.name < b.name;
  });
  std::vector<Label> out;
  out.reserve(v.size());
  for (auto& l : v) {
    if (!out.empty() && out.back().name == l.name) {
      out.back() = std::move(l);
    } else {
      out.push_back(std::move(l));
    }
  }
  std::erase_if(out, [](const Label& l) { return l.value.empty(); });
  v = std::move(out);
}

}  // namespace

Labels Labels::FromPairs(
    std::vector<std::pair<std::string, std::string>> pairs) {
  std::vector<Label> v;
  v.reserve(pairs.size());
  for (auto& [n, val] : pairs) v.push_back({std::move(n), std::move(val)});
  SortUnique(v);
  return FromSorted(std::move(v));
}

Labels Labels::FromPairs(
    std::initializer_list<std::pair<std::string_view, std::string_view>>
        pairs) {
  std::vector<Label> v;
  v.reserve(pairs.size());
  for (const auto& [n, val] : pairs) {
    v.push_back({std::string(n), std::string(val)});
  }
  SortUnique(v);
  return FromSorted(std::move(v));
}

namespace {

void PutLen(size_t n, std::string* out) {
  while (n >= 0x80) {
    out->push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out->push_back(static_cast<char>(n));
}

size_t LenSize(size_t n) {
  size_t k = 1;
  while (n >= 0x80) {
    n >>= 7;
    ++k;
  }
  return k;
}

template <typename L>
void Pack(std::span<const L> sorted, std::string* out) {
  size_t total = 0;
  for (const auto& l : sorted) {
    total += LenSize(l.name.size()) + l.name.size() + LenSize(l.value.size()) +
             l.value.size();
  }
  out->reserve(total);
  for (const auto& l : sorted) {
    PutLen(l.name.size(), out);
    out->append(l.name);
    PutLen(l.value.size(), out);
    out->append(l.value);
  }
}

}  // namespace

Labels Labels::FromSorted(std::span<const Label> sorted) {
  Labels l;
  Pack(sorted, &l.data_);
  return l;
}

Labels Labels::FromSorted(std::span<const LabelRef> sorted) {
  Labels l;
  Pack(sorted, &l.data_);
  return l;
}

std::string_view Labels::Get(std::string_view name) const {
  for (LabelRef l : *this) {
    if (l.name == name) return l.value;
  }
  return {};
}

Labels Labels::Without(std::string_view name) const {
  for (auto it = begin(), e = end(); it != e; ++it) {
    if (it->name != name) continue;
    const size_t from = static_cast<size_t>(it.p_ - data_.data());
    const size_t to = static_cast<size_t>(it.next_ - data_.data());
    Labels out;
    out.data_.reserve(data_.size() - (to - from));
    out.data_.append(data_, 0, from);
    out.data_.append(data_, to);
    return out;
  }
  return *this;
}

size_t Labels::size() const {
  size_t n = 0;
  for (auto it = begin(), e = end(); it != e; ++it) ++n;
  return n;
}

uint64_t Labels::Hash() const {
  // The packed bytes carry every length, so no two sets share an input.
  return XXH3_64bits(data_.data(), data_.size());
}

std::string Labels::ToString() const {
  std::string out;
  std::string_view name = metric_name();
  out += name;
  bool any = false;
  for (LabelRef l : *this) {
    if (l.name == kMetricName) continue;
    out += any ? ", " : "{";
    any = true;
    out += l.name;
    out += '=';
    AppendQuoted(l.value, &out);
  }
  if (any) {
    out += '}';
  } else if (name.empty()) {
    out += "{}";
  }
  return out;
}

size_t Labels::ByteSize() const {
  // Short sets live inline (SSO); longer ones own capacity + 1 heap bytes.
  return data_.capacity() > 15 ? data_.capacity() + 1 : 0;
}

int Compare(const Labels& a, const Labels& b) {
  auto ia = a.begin(), ea = a.end(), ib = b.begin(), eb = b.end();
  for (; ia != ea && ib != eb; ++ia, ++ib) {
    if (int c = ia->name.compare(ib->name); c != 0) return c < 0 ? -1 : 1;
    if (int c = ia->value.compare(ib->value); c != 0) return c < 0 ? -1 : 1;
  }
  if (ia == ea && ib == eb) return 0;
  return ia == ea ? -1 : 1;
}

void LabelsBuilder::Reset(const Labels& base) {
  labels_.clear();
  for (LabelRef l : base) {
    labels_.push_back({std::string(l.name), std::string(l.value)});
  }
}

LabelsBuilder& LabelsBuilder::Set(std::string_view name,
                                  std::string_view value) {
  auto it = std::lower_bound(
      labels_.begin(), labels_.end(), name,
      [](const Label& l, std::string_view n) { return l.name < n; });
  bool found = it != labels_.end() && it->name == name;
  if (value.empty()) {
    if (found) labels_.erase(it);
  } else if (found) {
    it->value.assign(value);
  } else {
    labels_.insert(it, Label{std::string(name), std::string(value)});
  }
  return *this;
}

LabelsBuilder& LabelsBuilder::Del(std::string_view name) {
  return Set(name, "");
}

std::string_view LabelsBuilder::Get(std::string_view name) const {
  for (const auto& l : labels_) {
    if (l.name == name) return l.value;
  }
  return {};
}

Labels LabelsBuilder::Build() const { return Labels::FromSorted(labels_); }

Labels WithDefaults(const Labels& labels, const Labels& defaults) {
  LabelsBuilder b(labels);
  bool changed = false;
  for (LabelRef l : defaults) {
    if (labels.Has(l.name)) continue;
    b.Set(l.name, l.value);
    changed = true;
  }
  return changed ? b.Build() : labels;
}

void AppendQuoted(std::string_view v, std::string* out) {
  *out += '"';
  for (char c : v) {
    switch (c) {
      case '\\': *out += "\\\\"; break;
      case '"': *out += "\\\""; break;
      case '\n': *out += "\\n"; break;
      default: *out += c;
    }
  }
  *out += '"';
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              c == ':' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

Status ValidateLabels(const Labels& labels) {
  if (labels.empty()) return InvalidArgumentError("empty label set");
  for (const auto& l : labels) {
    if (!IsValidLabelName(l.name)) {
      return InvalidArgumentError("invalid label name \"" +
                                  std::string(l.name) + "\" in " +
                                  labels.ToString());
    }
  }
  std::string_view name = labels.metric_name();
  if (!name.empty() && !IsValidMetricName(name)) {
    return InvalidArgumentError("invalid metric name \"" + std::string(name) +
                                "\"");
  }
  return Status::OK();
}

}  // namespace vigil::model
