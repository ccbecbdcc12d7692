#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>

#include "exposition/encoder.h"

namespace vigil::exposition {

using metrics::LabelPair;
using metrics::MetricFamilyDesc;
using metrics::MetricPoint;
using metrics::MetricType;

void AppendFloat(double v, bool open_metrics, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;  // 32 bytes always fit a shortest double
  out->append(buf, end);
  if (open_metrics && std::memchr(buf, '.', end - buf) == nullptr &&
      std::memchr(buf, 'e', end - buf) == nullptr) {
    out->append(".0");
  }
}

namespace {

void AppendInt(uint64_t v, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;
  out->append(buf, end);
}

// Label values: backslash, double quote and line feed are escaped.
void AppendLabelValue(std::string_view v, std::string* out) {
  for (char c : v) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '"': out->append("\\\""); break;
      case '\n': out->append("\\n"); break;
      default: out->push_back(c);
    }
  }
}

// HELP text: the text format escapes only backslash and line feed;
// OpenMetrics also escapes the double quote.
void AppendHelp(std::string_view v, bool open_metrics, std::string* out) {
  for (char c : v) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '"':
        out->append(open_metrics ? "\\\"" : "\"");
        break;
      default: out->push_back(c);
    }
  }
}

void AppendLabels(std::span<const LabelPair> labels, std::string_view extra_name,
                  std::string_view extra_value, std::string* out) {
  if (labels.empty() && extra_name.empty()) return;
  out->push_back('{');
  bool first = true;
  for (const LabelPair& l : labels) {
    if (!first) out->push_back(',');
    first = false;
    out->append(l.name);
    out->append("=\"");
    AppendLabelValue(l.value, out);
    out->push_back('"');
  }
  if (!extra_name.empty()) {
    if (!first) out->push_back(',');
    out->append(extra_name);
    out->append("=\"");
    out->append(extra_value);
    out->push_back('"');
  }
  out->push_back('}');
}

void AppendTimestamp(int64_t t_ms, bool open_metrics, std::string* out) {
  if (t_ms == metrics::kNoTimestamp) return;
  out->push_back(' ');
  if (open_metrics) {
    AppendFloat(static_cast<double>(t_ms) / 1000.0, false, out);
  } else {
    out->append(std::to_string(t_ms));
  }
}

class TextSink : public metrics::MetricSink {
 public:
  TextSink(std::string* out, bool open_metrics) : out_(out), om_(open_metrics) {}

  void BeginFamily(const MetricFamilyDesc& d) override {
    desc_ = d;
    name_ = d.name;
    if (om_ && d.type == MetricType::kCounter && name_.ends_with("_total")) {
      name_.remove_suffix(6);
    }
    if (om_) {
      out_->append("# TYPE ").append(name_).push_back(' ');
      out_->append(d.type == MetricType::kUntyped ? "unknown" : metrics::MetricTypeName(d.type));
      out_->push_back('\n');
      if (!d.unit.empty()) out_->append("# UNIT ").append(name_).append(" ").append(d.unit).push_back('\n');
      if (!d.help.empty()) {
        out_->append("# HELP ").append(name_).push_back(' ');
        AppendHelp(d.help, true, out_);
        out_->push_back('\n');
      }
    } else {
      if (!d.help.empty()) {
        out_->append("# HELP ").append(name_).push_back(' ');
        AppendHelp(d.help, false, out_);
        out_->push_back('\n');
      }
      out_->append("# TYPE ").append(name_).push_back(' ');
      out_->append(metrics::MetricTypeName(d.type));
      out_->push_back('\n');
    }
  }

  void AddMetric(const MetricPoint& p) override {
    switch (desc_.type) {
      case MetricType::kCounter:
        Sample(om_ ? "_total" : "", p.labels, {}, {}, p.value, p.timestamp_ms);
        if (om_ && !p.exemplars.empty() && p.exemplars[0] != nullptr) {
          out_->pop_back();
          AppendExemplar(*p.exemplars[0]);
        }
        if (om_ && !std::isnan(p.created_s)) {
          Sample("_created", p.labels, {}, {}, p.created_s, p.timestamp_ms);
        }
        break;
      case MetricType::kGauge:
      case MetricType::kUntyped:
        Sample("", p.labels, {}, {}, p.value, p.timestamp_ms);
        break;
      case MetricType::kHistogram: {
        std::string le;
        for (size_t i = 0; i < p.bucket_counts.size(); ++i) {
          le.clear();
          AppendFloat(i < p.bucket_bounds.size() ? p.bucket_bounds[i] : HUGE_VAL, om_, &le);
          SampleInt("_bucket", p.labels, "le", le, p.bucket_counts[i], p.timestamp_ms);
          if (om_ && i < p.exemplars.size() && p.exemplars[i] != nullptr) {
            out_->pop_back();
            AppendExemplar(*p.exemplars[i]);
          }
        }
        if (om_) {
          SampleInt("_count", p.labels, {}, {}, p.count, p.timestamp_ms);
          Sample("_sum", p.labels, {}, {}, p.sum, p.timestamp_ms);
        } else {
          Sample("_sum", p.labels, {}, {}, p.sum, p.timestamp_ms);
          SampleInt("_count", p.labels, {}, {}, p.count, p.timestamp_ms);
        }
        if (om_ && !std::isnan(p.created_s)) {
          Sample("_created", p.labels, {}, {}, p.created_s, p.timestamp_ms);
        }
        break;
      }
      case MetricType::kSummary: {
        std::string q;
        for (size_t i = 0; i < p.quantiles.size(); ++i) {
          q.clear();
          AppendFloat(p.quantiles[i], om_, &q);
          Sample("", p.labels, "quantile", q, p.quantile_values[i], p.timestamp_ms);
        }
        if (om_) {
          SampleInt("_count", p.labels, {}, {}, p.count, p.timestamp_ms);
          Sample("_sum", p.labels, {}, {}, p.sum, p.timestamp_ms);
          if (!std::isnan(p.created_s)) {
            Sample("_created", p.labels, {}, {}, p.created_s, p.timestamp_ms);
          }
        } else {
          Sample("_sum", p.labels, {}, {}, p.sum, p.timestamp_ms);
          SampleInt("_count", p.labels, {}, {}, p.count, p.timestamp_ms);
        }
        break;
      }
    }
  }

  void EndFamily() override {}

 private:
  void Prefix(std::string_view suffix, std::span<const LabelPair> labels,
              std::string_view extra_name, std::string_view extra_value) {
    out_->append(name_).append(suffix);
    AppendLabels(labels, extra_name, extra_value, out_);
    out_->push_back(' ');
  }
  void Sample(std::string_view suffix, std::span<const LabelPair> labels,
              std::string_view extra_name, std::string_view extra_value, double v, int64_t t) {
    Prefix(suffix, labels, extra_name, extra_value);
    AppendFloat(v, om_, out_);
    AppendTimestamp(t, om_, out_);
    out_->push_back('\n');
  }
  void SampleInt(std::string_view suffix, std::span<const LabelPair> labels,
                 std::string_view extra_name, std::string_view extra_value, uint64_t v,
                 int64_t t) {
    Prefix(suffix, labels, extra_name, extra_value);
    AppendInt(v, out_);
    AppendTimestamp(t, om_, out_);
    out_->push_back('\n');
  }
  // Replaces the sample's trailing newline (already popped) with an exemplar.
  void AppendExemplar(const metrics::Exemplar& e) {
    out_->append(" # {");
    for (size_t i = 0; i < e.labels.size(); ++i) {
      if (i > 0) out_->push_back(',');
      out_->append(e.labels[i].first).append("=\"");
      AppendLabelValue(e.labels[i].second, out_);
      out_->push_back('"');
    }
    out_->append("} ");
    AppendFloat(e.value, true, out_);
    out_->push_back(' ');
    AppendFloat(e.timestamp_s, false, out_);
    out_->push_back('\n');
  }

  std::string* out_;
  const bool om_;
  MetricFamilyDesc desc_;
  std::string_view name_;
};

}  // namespace

std::unique_ptr<metrics::MetricSink> NewTextSink(std::string* out) {
  return std::make_unique<TextSink>(out, false);
}

std::unique_ptr<metrics::MetricSink> NewOpenMetricsSink(std::string* out) {
  return std::make_unique<TextSink>(out, true);
}

}  // namespace vigil::exposition
