// model::Labels: the identity of a series, a set of (name, value) pairs kept
// sorted by name with unique names (Prometheus' model/labels). `__name__`
// carries the metric name. An empty value means "label absent" and is never
// stored: builders drop it.
//
//   Labels l = Labels::FromPairs({{"__name__", "up"}, {"job", "node"}});
//   l.Get("job");            // "node"
//   l.Hash();                // stable 64-bit hash (xxh3) of names and values
//   l.ToString();            // up{job="node"}
//
// Thread safety: immutable after construction; safe to share read-only.
#pragma once

#include <cstdint>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigil/status.h"

namespace vigil::model {

inline constexpr std::string_view kMetricName = "__name__";

// One label, owning its strings (builders, parsers).
struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
};

// One label of a Labels, viewing its bytes; valid while that Labels lives
// and is not assigned to.
struct LabelRef {
  std::string_view name;
  std::string_view value;
  friend bool operator==(const LabelRef&, const LabelRef&) = default;
};

// A label set packed into one string, like Prometheus' "stringlabels": for
// each label in name order, uvarint(len(name)) name uvarint(len(value))
// value. One allocation per set; copies, hashing and equality run over
// contiguous bytes. Iteration yields LabelRef by value.
class Labels {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = LabelRef;
    using difference_type = std::ptrdiff_t;
    using reference = LabelRef;
    using pointer = const LabelRef*;

    Iterator() = default;
    LabelRef operator*() const { return cur_; }
    const LabelRef* operator->() const { return &cur_; }
    Iterator& operator++() {
      p_ = next_;
      Load();
      return *this;
    }
    Iterator operator++(int) {
      Iterator t = *this;
      ++*this;
      return t;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.p_ == b.p_;
    }

   private:
    friend class Labels;
    Iterator(const char* p, const char* end) : p_(p), end_(end) { Load(); }
    static size_t ReadLen(const char*& p) {
      auto b = static_cast<uint8_t>(*p++);
      if (b < 0x80) return b;
      size_t v = b & 0x7f;
      for (int shift = 7;; shift += 7) {
        b = static_cast<uint8_t>(*p++);
        v |= static_cast<size_t>(b & 0x7f) << shift;
        if (b < 0x80) return v;
      }
    }
    void Load() {
      if (p_ == end_) return;
      const char* q = p_;
      size_t n = ReadLen(q);
      cur_.name = std::string_view(q, n);
      q += n;
      n = ReadLen(q);
      cur_.value = std::string_view(q, n);
      next_ = q + n;
    }

    const char* p_ = nullptr;
    const char* end_ = nullptr;
    const char* next_ = nullptr;
    LabelRef cur_;
  };

  Labels() = default;
  // Sorts by name; on duplicate names the last one wins; empty values dropped.
  static Labels FromPairs(
      std::vector<std::pair<std::string, std::string>> pairs);
  static Labels FromPairs(
      std::initializer_list<std::pair<std::string_view, std::string_view>>
          pairs);
  // REQUIRES: sorted by name, names unique, values non-empty.
  static Labels FromSorted(std::span<const Label> sorted);
  static Labels FromSorted(std::span<const LabelRef> sorted);

  // The value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const { return !Get(name).empty(); }
  // A copy without the label `name` (an equal copy when there is none):
  // one allocation, no builder.
  Labels Without(std::string_view name) const;
  std::string_view metric_name() const { return Get(kMetricName); }

  // Number of labels (a walk over the packed bytes; sets are small).
  size_t size() const;
  bool empty() const { return data_.empty(); }
  Iterator begin() const {
    return Iterator(data_.data(), data_.data() + data_.size());
  }
  Iterator end() const {
    const char* e = data_.data() + data_.size();
    return Iterator(e, e);
  }
  // The packed bytes; equal sets have equal bytes.
  std::string_view bytes() const { return data_; }

  uint64_t Hash() const;
  // Prometheus' canonical text: name{a="b", c="d"} with escaped values.
  std::string ToString() const;
  // Heap bytes owned (for memory accounting).
  size_t ByteSize() const;

  // Lexicographic by (name, value) pairs, as Prometheus' labels.Compare.
  friend int Compare(const Labels& a, const Labels& b);
  friend bool operator==(const Labels& a, const Labels& b) {
    return a.data_ == b.data_;
  }
  friend bool operator<(const Labels& a, const Labels& b) {
    return Compare(a, b) < 0;
  }

 private:
  std::string data_;
};

// Builds a Labels from a base set with edits (scrape relabelling, PromQL).
// Thread safety: thread-compatible.
class LabelsBuilder {
 public:
  explicit LabelsBuilder(const Labels& base = Labels()) { Reset(base); }
  void Reset(const Labels& base);
  // Setting "" deletes, as in Prometheus.
  LabelsBuilder& Set(std::string_view name, std::string_view value);
  LabelsBuilder& Del(std::string_view name);
  std::string_view Get(std::string_view name) const;
  Labels Build() const;

 private:
  std::vector<Label> labels_;  // kept sorted, no empty values
};

// `labels` plus each label of `defaults` whose name it lacks (its own value
// wins): how Prometheus adds external labels to alerts it sends.
Labels WithDefaults(const Labels& labels, const Labels& defaults);

// Appends `v` in double quotes with \\, \" and \n escaped, as label values
// are written in PromQL and the exposition formats.
void AppendQuoted(std::string_view v, std::string* out);

// Metric and label name rules (Prometheus' model.IsValidMetricName and
// LabelName.IsValid). Label names starting with "__" are reserved but valid.
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);
// kInvalidArgument naming the first offending label, for ingest paths.
Status ValidateLabels(const Labels& labels);

}  // namespace vigil::model
