#include "vigil/metrics/registry.h"

#include "base/status_macros.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>


namespace vigil::metrics {

namespace {

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ",";
    out += names[i];
  }
  return out + "]";
}

std::string Describe(MetricType type, const std::vector<std::string>& labels) {
  return std::string(MetricTypeName(type)) + " with labels " + JoinNames(labels);
}

// Names a family exposes, for clash detection (foo_count of a histogram foo
// clashes with a gauge foo_count).
std::vector<std::string> ExposedNames(MetricType type, const std::string& name) {
  switch (type) {
    case MetricType::kHistogram:
      return {name, name + "_bucket", name + "_count", name + "_sum", name + "_created"};
    case MetricType::kSummary:
      return {name, name + "_count", name + "_sum", name + "_created"};
    case MetricType::kCounter: {
      std::string base = name;
      if (base.size() > 6 && base.ends_with("_total")) base.resize(base.size() - 6);
      return {name, base, base + "_total", base + "_created"};
    }
    default:
      return {name};
  }
}

class GaugeCallbackCollector : public Collector {
 public:
  GaugeCallbackCollector(std::string name, MetricOptions opts, std::function<double()> fn)
      : name_(std::move(name)), opts_(std::move(opts)), fn_(std::move(fn)) {}
  void Collect(std::vector<FamilySnapshot>* out) override {
    FamilySnapshot f;
    f.name = name_;
    f.help = opts_.help;
    f.unit = opts_.unit;
    f.type = MetricType::kGauge;
    MetricSnapshot m;
    m.labels = opts_.const_labels;
    m.value = fn_();
    f.metrics.push_back(std::move(m));
    out->push_back(std::move(f));
  }

 private:
  const std::string name_;
  const MetricOptions opts_;
  const std::function<double()> fn_;
};

// Streams a collector family after checking its names, so a bad collector
// cannot break the exposition.
Status CheckSnapshot(const FamilySnapshot& f) {
  if (Status s = ValidateMetricName(f.name); !s.ok()) return s;
  for (const MetricSnapshot& m : f.metrics) {
    for (const auto& [k, v] : m.labels) {
      if (Status s = ValidateLabelName(k); !s.ok()) return s.WithPrefix(f.name);
      if (!IsValidUtf8(v)) return InvalidArgumentError(f.name + ": label value is not UTF-8");
    }
    if (f.type == MetricType::kHistogram && m.bucket_counts.size() != m.bucket_bounds.size() + 1) {
      return InvalidArgumentError(f.name + ": histogram needs bounds+1 bucket counts");
    }
    if (f.type == MetricType::kSummary && m.quantiles.size() != m.quantile_values.size()) {
      return InvalidArgumentError(f.name + ": summary needs one value per quantile");
    }
  }
  return Status::OK();
}

}  // namespace

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
    case MetricType::kSummary: return "summary";
    case MetricType::kUntyped: return "untyped";
  }
  return "untyped";
}

Status ValidateMetricName(std::string_view name) {
  if (name.empty()) return InvalidArgumentError("metric name is empty");
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) {
      return InvalidArgumentError("invalid metric name \"" + std::string(name) +
                                  "\": character " + std::to_string(i + 1) +
                                  " must match [a-zA-Z_:]" + (i > 0 ? " or [0-9]" : ""));
    }
  }
  if (name.starts_with("__")) {
    return InvalidArgumentError("invalid metric name \"" + std::string(name) +
                                "\": names starting with __ are reserved");
  }
  return Status::OK();
}

Status ValidateLabelName(std::string_view name) {
  if (name.empty()) return InvalidArgumentError("label name is empty");
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) {
      return InvalidArgumentError("invalid label name \"" + std::string(name) +
                                  "\": character " + std::to_string(i + 1) +
                                  " must match [a-zA-Z_]" + (i > 0 ? " or [0-9]" : ""));
    }
  }
  if (name.starts_with("__")) {
    return InvalidArgumentError("invalid label name \"" + std::string(name) +
                                "\": names starting with __ are reserved");
  }
  return Status::OK();
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

Registry::Registry() : Registry(RegistryOptions{}) {}
Registry::Registry(RegistryOptions options) : options_(std::move(options)) {}
Registry::~Registry() {
  // Families may hold handles into the self-metric families; destroy those last.
  std::unique_ptr<internal::FamilyCore> dropped, rejected;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = families_.begin(); it != families_.end();) {
    if (it->second.get() == dropped_) {
      dropped = std::move(it->second);
      it = families_.erase(it);
    } else if (it->second.get() == rejected_) {
      rejected = std::move(it->second);
      it = families_.erase(it);
    } else {
      ++it;
    }
  }
  families_.clear();
}

Registry& Registry::Default() {
  static auto* registry = new Registry();
  return *registry;
}

void Registry::Report(std::string_view message) const {
  if (options_.error_reporter) {
    options_.error_reporter(message);
  } else {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
  }
}

std::string Registry::FullName(const MetricOptions& options) const {
  std::string full;
  if (!options_.prefix.empty()) full = options_.prefix + "_";
  if (!options.subsystem.empty()) full += options.subsystem + "_";
  return full + options.name;
}

template <typename F>
Result<F*> Registry::AddFamily(MetricType type, const MetricOptions& options,
                               std::vector<double> bounds, SummaryOptions summary) {
  const std::string full = FullName(options);
  if (Status s = ValidateMetricName(full); !s.ok()) return s;
  if (!options.unit.empty()) {
    std::string_view base = full;
    if (type == MetricType::kCounter && base.ends_with("_total")) base.remove_suffix(6);
    if (!base.ends_with("_" + options.unit)) {
      return InvalidArgumentError("metric " + full + ": name must end with its unit \"_" +
                                  options.unit + "\" (OpenMetrics)");
    }
  }
  std::set<std::string_view> seen;
  auto check_label = [&](const std::string& l) -> Status {
    if (Status s = ValidateLabelName(l); !s.ok()) return s.WithPrefix("metric " + full);
    if ((type == MetricType::kHistogram && l == "le") ||
        (type == MetricType::kSummary && l == "quantile")) {
      return InvalidArgumentError("metric " + full + ": label name \"" + l +
                                  "\" is reserved for " + std::string(MetricTypeName(type)) + "s");
    }
    if (!seen.insert(l).second) {
      return InvalidArgumentError("metric " + full + ": duplicate label name \"" + l + "\"");
    }
    return Status::OK();
  };
  for (const auto& l : options.label_names) VIGIL_RETURN_IF_ERROR(check_label(l));
  for (const auto& [k, v] : options.const_labels) {
    VIGIL_RETURN_IF_ERROR(check_label(k));
    if (!IsValidUtf8(v)) return InvalidArgumentError("metric " + full + ": const label value is not UTF-8");
  }
  for (const auto& [k, v] : options_.const_labels) VIGIL_RETURN_IF_ERROR(check_label(k));
  if (options.max_series == 0) {
    return InvalidArgumentError("metric " + full + ": max_series must be > 0");
  }
  if (type == MetricType::kHistogram) {
    if (!bounds.empty() && std::isinf(bounds.back()) && bounds.back() > 0) bounds.pop_back();
    for (size_t i = 0; i < bounds.size(); ++i) {
      if (std::isnan(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
        return InvalidArgumentError("metric " + full +
                                    ": histogram buckets must be strictly increasing and not NaN");
      }
    }
  }
  if (type == MetricType::kSummary) {
    for (double q : summary.quantiles) {
      if (!(q >= 0 && q <= 1)) {
        return InvalidArgumentError("metric " + full + ": summary quantiles must be in [0, 1]");
      }
    }
    if (summary.age_buckets < 1 || summary.max_age.count() <= 0) {
      return InvalidArgumentError("metric " + full +
                                  ": summary needs max_age > 0 and age_buckets >= 1");
    }
  }

  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(full);
  if (it != families_.end()) {
    internal::FamilyCore* existing = it->second.get();
    const auto& eo = existing->options();
    const bool same = existing->type() == type && eo.label_names == options.label_names &&
                      eo.const_labels == options.const_labels;
    if (!same) {
      return AlreadyExistsError("metric " + full + " is already registered as " +
                                Describe(existing->type(), eo.label_names) +
                                "; cannot register it as " + Describe(type, options.label_names));
    }
    return static_cast<F*>(existing);
  }
  for (const std::string& n : ExposedNames(type, full)) {
    for (const auto& [other_name, other] : families_) {
      for (const std::string& on : ExposedNames(other->type(), other_name)) {
        if (n == on) {
          return AlreadyExistsError("metric " + full + " (" + std::string(MetricTypeName(type)) +
                                    ") would expose " + n + ", which " + other_name + " (" +
                                    std::string(MetricTypeName(other->type())) +
                                    ") already exposes");
        }
      }
    }
  }
  auto family = std::make_unique<F>(this, type, full, options, std::move(bounds),
                                    std::move(summary));
  F* raw = family.get();
  families_.emplace(full, std::move(family));
  return raw;
}

Result<Family<Counter>*> Registry::AddCounter(const MetricOptions& o) {
  return AddFamily<Family<Counter>>(MetricType::kCounter, o, {}, {});
}
Result<Family<Gauge>*> Registry::AddGauge(const MetricOptions& o) {
  return AddFamily<Family<Gauge>>(MetricType::kGauge, o, {}, {});
}
Result<Family<Histogram>*> Registry::AddHistogram(const MetricOptions& o,
                                                  std::vector<double> buckets) {
  return AddFamily<Family<Histogram>>(MetricType::kHistogram, o, std::move(buckets), {});
}
Result<Family<Summary>*> Registry::AddSummary(const MetricOptions& o, SummaryOptions s) {
  return AddFamily<Family<Summary>>(MetricType::kSummary, o, {}, std::move(s));
}

namespace {
template <typename T>
T* MustOk(Result<T*> r) {
  if (!r.ok()) {
    std::fprintf(stderr, "vigil: %s\n", r.status().ToString().c_str());
    std::abort();
  }
  return *r;
}
}  // namespace

Family<Counter>* Registry::MustAddCounter(const MetricOptions& o) { return MustOk(AddCounter(o)); }
Family<Gauge>* Registry::MustAddGauge(const MetricOptions& o) { return MustOk(AddGauge(o)); }
Family<Histogram>* Registry::MustAddHistogram(const MetricOptions& o, std::vector<double> b) {
  return MustOk(AddHistogram(o, std::move(b)));
}
Family<Summary>* Registry::MustAddSummary(const MetricOptions& o, SummaryOptions s) {
  return MustOk(AddSummary(o, std::move(s)));
}

Status Registry::AddGaugeCallback(const MetricOptions& options, std::function<double()> fn) {
  if (!options.label_names.empty()) {
    return InvalidArgumentError("callback gauge " + options.name +
                                ": label_names must be empty (use const_labels)");
  }
  if (!fn) return InvalidArgumentError("callback gauge " + options.name + ": no callback");
  const std::string full = FullName(options);
  if (Status s = ValidateMetricName(full); !s.ok()) return s;
  for (const auto& [k, v] : options.const_labels) {
    if (Status s = ValidateLabelName(k); !s.ok()) return s.WithPrefix("metric " + full);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (families_.count(full) != 0) {
      return AlreadyExistsError("metric " + full + " is already registered as " +
                                Describe(families_.find(full)->second->type(),
                                         families_.find(full)->second->options().label_names) +
                                "; cannot register it as a callback gauge");
    }
  }
  return Register(std::make_shared<GaugeCallbackCollector>(full, options, std::move(fn)));
}

Status Registry::Register(std::shared_ptr<Collector> collector) {
  if (!collector) return InvalidArgumentError("Register: null collector");
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& c : collectors_) {
    if (c == collector) return AlreadyExistsError("Register: collector already registered");
  }
  collectors_.push_back(std::move(collector));
  return Status::OK();
}

bool Registry::Unregister(const Collector* collector) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find_if(collectors_.begin(), collectors_.end(),
                         [&](const auto& c) { return c.get() == collector; });
  if (it == collectors_.end()) return false;
  collectors_.erase(it);
  return true;
}

bool Registry::RemoveFamily(std::string_view full_name) {
  std::unique_ptr<internal::FamilyCore> victim;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(full_name);
  if (it == families_.end() || it->second.get() == dropped_ || it->second.get() == rejected_) {
    return false;
  }
  victim = std::move(it->second);
  families_.erase(it);
  return true;
}

Family<Counter>* Registry::SelfCounter(bool dropped) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Family<Counter>* f = dropped ? dropped_ : rejected_;
    if (f != nullptr) return f;
  }
  MetricOptions o;
  if (dropped) {
    o.name = "vigil_dropped_series_total";
    o.help = "Updates dropped because their family reached its series limit.";
    o.label_names = {"family"};
  } else {
    o.name = "vigil_metrics_rejected_updates_total";
    o.help = "Metric updates refused as invalid (negative or NaN increments, bad labels).";
    o.label_names = {"family", "reason"};
  }
  o.max_series = static_cast<size_t>(-1);
  // Self-metrics never take the registry prefix: their names are fixed.
  const std::string full = o.name;
  std::lock_guard<std::mutex> lock(mu_);
  Family<Counter>*& slot = dropped ? dropped_ : rejected_;
  if (slot != nullptr) return slot;
  auto family = std::make_unique<Family<Counter>>(this, MetricType::kCounter, full, o,
                                                  std::vector<double>{}, SummaryOptions{});
  slot = family.get();
  families_[full] = std::move(family);
  return slot;
}

Counter Registry::DroppedCounter(const std::string& family) {
  return SelfCounter(true)->WithLabelValues({family});
}

void Registry::CountRejected(const std::string& family, const char* reason) {
  SelfCounter(false)->WithLabelValues({family, reason}).Inc();
}

void Registry::Collect(MetricSink& sink) const {
  std::vector<std::pair<std::string_view, const internal::FamilyCore*>> families;
  std::vector<std::shared_ptr<Collector>> collectors;
  {
    std::lock_guard<std::mutex> lock(mu_);
    families.reserve(families_.size());
    for (const auto& [name, f] : families_) families.emplace_back(name, f.get());
    collectors = collectors_;
  }
  std::vector<FamilySnapshot> collected;
  for (const auto& c : collectors) c->Collect(&collected);
  std::vector<FamilySnapshot> valid;
  for (FamilySnapshot& f : collected) {
    if (Status s = CheckSnapshot(f); !s.ok()) {
      const_cast<Registry*>(this)->CountRejected(f.name.empty() ? "<collector>" : f.name,
                                                 "bad_collector_output");
      continue;
    }
    valid.push_back(std::move(f));
  }
  std::sort(valid.begin(), valid.end(),
            [](const FamilySnapshot& a, const FamilySnapshot& b) { return a.name < b.name; });

  std::vector<LabelPair> extra;
  for (const auto& [k, v] : options_.const_labels) extra.push_back({k, v});
  auto emit_collected = [&](FamilySnapshot& snap) {
    for (auto& m : snap.metrics) {
      for (const auto& [k, v] : options_.const_labels) m.labels.emplace_back(k, v);
    }
    EmitSnapshot(snap, sink);
  };
  // Merge native families (already sorted by the map) with collector output.
  size_t ci = 0;
  for (const auto& [name, f] : families) {
    while (ci < valid.size() && valid[ci].name < name) emit_collected(valid[ci++]);
    f->Collect(sink, extra);
  }
  for (; ci < valid.size(); ++ci) emit_collected(valid[ci]);
}

namespace {
class SnapshotSink : public MetricSink {
 public:
  explicit SnapshotSink(std::vector<FamilySnapshot>* out) : out_(out) {}
  void BeginFamily(const MetricFamilyDesc& d) override {
    out_->push_back(FamilySnapshot{std::string(d.name), std::string(d.help), std::string(d.unit),
                                   d.type, {}});
  }
  void AddMetric(const MetricPoint& p) override {
    MetricSnapshot m;
    for (const LabelPair& l : p.labels) m.labels.emplace_back(l.name, l.value);
    m.value = p.value;
    m.bucket_bounds.assign(p.bucket_bounds.begin(), p.bucket_bounds.end());
    m.bucket_counts.assign(p.bucket_counts.begin(), p.bucket_counts.end());
    m.quantiles.assign(p.quantiles.begin(), p.quantiles.end());
    m.quantile_values.assign(p.quantile_values.begin(), p.quantile_values.end());
    m.count = p.count;
    m.sum = p.sum;
    m.created_s = p.created_s;
    m.timestamp_ms = p.timestamp_ms;
    for (const Exemplar* e : p.exemplars) {
      m.exemplars.push_back(e ? *e : Exemplar{});
      m.has_exemplar.push_back(e != nullptr);
    }
    out_->back().metrics.push_back(std::move(m));
  }
  void EndFamily() override {}

 private:
  std::vector<FamilySnapshot>* out_;
};
}  // namespace

std::vector<FamilySnapshot> Registry::Snapshot() const {
  std::vector<FamilySnapshot> out;
  SnapshotSink sink(&out);
  Collect(sink);
  return out;
}

void EmitSnapshot(const FamilySnapshot& family, MetricSink& sink) {
  if (family.metrics.empty()) return;
  sink.BeginFamily({family.name, family.help, family.unit, family.type});
  std::vector<LabelPair> labels;
  std::vector<const Exemplar*> exemplars;
  for (const MetricSnapshot& m : family.metrics) {
    labels.clear();
    for (const auto& [k, v] : m.labels) labels.push_back({k, v});
    exemplars.clear();
    for (size_t i = 0; i < m.exemplars.size(); ++i) {
      const bool has = i < m.has_exemplar.size() ? m.has_exemplar[i] : true;
      exemplars.push_back(has ? &m.exemplars[i] : nullptr);
    }
    MetricPoint p;
    p.labels = labels;
    p.value = m.value;
    p.bucket_bounds = m.bucket_bounds;
    p.bucket_counts = m.bucket_counts;
    p.quantiles = m.quantiles;
    p.quantile_values = m.quantile_values;
    p.count = m.count;
    p.sum = m.sum;
    p.created_s = m.created_s;
    p.timestamp_ms = m.timestamp_ms;
    p.exemplars = exemplars;
    sink.AddMetric(p);
  }
  sink.EndFamily();
}

}  // namespace vigil::metrics
