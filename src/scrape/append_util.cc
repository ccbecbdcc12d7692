#include "scrape/append_util.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace vigil::scrape::internal {
namespace {

constexpr std::string_view kExportedPrefix = "exported_";

// Whether one of the first `n` labels of `v` is named `name`.
bool PrefixContains(const std::vector<model::Label>& v, size_t n,
                    std::string_view name) {
  return std::any_of(v.begin(), v.begin() + static_cast<ptrdiff_t>(n),
                     [&](const model::Label& l) { return l.name == name; });
}

// Prometheus' resolveConflictingExposedLabels.
void ResolveConflicts(model::LabelsBuilder& b, const model::Labels& exposed,
                      const model::Labels& target,
                      std::vector<model::Label> conflicts) {
  std::stable_sort(conflicts.begin(), conflicts.end(),
                   [](const model::Label& x, const model::Label& y) {
                     return x.name.size() < y.name.size();
                   });
  for (size_t i = 0; i < conflicts.size(); ++i) {
    std::string name = conflicts[i].name;
    for (;;) {
      name.insert(0, kExportedPrefix);
      if (!exposed.Has(name) && !target.Has(name) &&
          !PrefixContains(conflicts, i, name)) {
        conflicts[i].name = name;
        break;
      }
    }
  }
  for (const model::Label& l : conflicts) b.Set(l.name, l.value);
}

std::string Truncate(std::string_view s, size_t n = 50) {
  return std::string(s.substr(0, n));
}

}  // namespace

model::Labels MutateSampleLabels(const model::Labels& exposed,
                                 const model::Labels& target,
                                 bool honor_labels) {
  if (target.empty()) return exposed;
  model::LabelsBuilder b(exposed);
  if (honor_labels) {
    for (model::LabelRef l : target) {
      if (!exposed.Has(l.name)) b.Set(l.name, l.value);
    }
    return b.Build();
  }
  std::vector<model::Label> conflicts;
  for (model::LabelRef l : target) {
    const std::string_view existing = exposed.Get(l.name);
    if (!existing.empty()) {
      conflicts.push_back({std::string(l.name), std::string(existing)});
    }
    b.Set(l.name, l.value);
  }
  if (!conflicts.empty()) {
    ResolveConflicts(b, exposed, target, std::move(conflicts));
  }
  return b.Build();
}

model::Labels MutateReportSampleLabels(const model::Labels& exposed,
                                       const model::Labels& target) {
  model::LabelsBuilder b(exposed);
  for (model::LabelRef l : target) {
    b.Set(std::string(kExportedPrefix).append(l.name), exposed.Get(l.name));
    b.Set(l.name, l.value);
  }
  return b.Build();
}

Status VerifyLabelLimits(const model::Labels& labels,
                         const LabelLimits& limits) {
  const std::string metric = Truncate(labels.metric_name());
  if (limits.label_limit > 0 && labels.size() > limits.label_limit) {
    return ResourceExhaustedError(
        "label_limit exceeded (metric: " + metric +
        ", number of labels: " + std::to_string(labels.size()) +
        ", limit: " + std::to_string(limits.label_limit) + ")");
  }
  if (limits.label_name_length_limit == 0 &&
      limits.label_value_length_limit == 0) {
    return Status::OK();
  }
  for (model::LabelRef l : labels) {
    if (limits.label_name_length_limit > 0 &&
        l.name.size() > limits.label_name_length_limit) {
      return ResourceExhaustedError(
          "label_name_length_limit exceeded (metric: " + metric +
          ", label name: " + Truncate(l.name) +
          ", length: " + std::to_string(l.name.size()) +
          ", limit: " + std::to_string(limits.label_name_length_limit) + ")");
    }
    if (limits.label_value_length_limit > 0 &&
        l.value.size() > limits.label_value_length_limit) {
      return ResourceExhaustedError(
          "label_value_length_limit exceeded (metric: " + metric +
          ", label name: " + Truncate(l.name) + ", value: \"" +
          Truncate(l.value) + "\", length: " + std::to_string(l.value.size()) +
          ", limit: " + std::to_string(limits.label_value_length_limit) + ")");
    }
  }
  return Status::OK();
}

ReportSeries::ReportSeries(const model::Labels& target_labels) {
  static constexpr std::array<std::string_view, 5> kNames = {
      "up", "scrape_duration_seconds", "scrape_samples_scraped",
      "scrape_samples_post_metric_relabeling", "scrape_series_added"};
  for (size_t i = 0; i < kNames.size(); ++i) {
    series_[i].labels = MutateReportSampleLabels(
        model::Labels::FromPairs({{model::kMetricName, kNames[i]}}),
        target_labels);
  }
}

Status ReportSeries::AppendOne(storage::Appender& app, Series& s, int64_t t,
                               double v) {
  Result<storage::SeriesRef> r = app.Append(s.ref, s.labels, t, v);
  if (r.ok()) {
    s.ref = *r;
    return Status::OK();
  }
  if (IsSampleRejection(r.status())) return Status::OK();
  return r.status();
}

Status ReportSeries::Append(storage::Appender& app, int64_t t,
                            const ReportValues& v) {
  const std::array<double, 5> values = {
      v.up, v.duration_seconds, v.samples_scraped, v.samples_post_relabeling,
      v.series_added};
  for (size_t i = 0; i < series_.size(); ++i) {
    Status s = AppendOne(app, series_[i], t, values[i]);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status ReportSeries::AppendStale(storage::Appender& app, int64_t t) {
  for (Series& s : series_) {
    Status st = AppendOne(app, s, t, StaleNaN());
    if (!st.ok()) return st;
  }
  return Status::OK();
}

}  // namespace vigil::scrape::internal
