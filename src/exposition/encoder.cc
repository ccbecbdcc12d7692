#include "exposition/encoder.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace vigil::exposition {

using metrics::MetricFamilyDesc;
using metrics::MetricPoint;
using metrics::MetricType;

std::string_view ContentType(Format format) {
  switch (format) {
    case Format::kPrometheusText: return "text/plain; version=0.0.4; charset=utf-8";
    case Format::kOpenMetrics: return "application/openmetrics-text; version=1.0.0; charset=utf-8";
    case Format::kJson: return "application/json";
  }
  return "text/plain; version=0.0.4; charset=utf-8";
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

Format Negotiate(std::string_view accept) {
  double om_q = -1, text_q = -1;
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    size_t semi = range.find(';');
    std::string_view type = Trim(range.substr(0, semi));
    double q = 1.0;
    std::string_view version;
    while (semi != std::string_view::npos) {
      range = range.substr(semi + 1);
      semi = range.find(';');
      std::string_view param = Trim(range.substr(0, semi));
      if (param.starts_with("q=")) {
        q = std::strtod(std::string(param.substr(2)).c_str(), nullptr);
      } else if (param.starts_with("version=")) {
        version = param.substr(8);
      }
    }
    if (type == "application/openmetrics-text" && (version.empty() || version == "1.0.0")) {
      om_q = std::max(om_q, q);
    } else if (type == "text/plain" || type == "*/*" || type == "text/*") {
      text_q = std::max(text_q, q);
    }
  }
  if (om_q > 0 && om_q >= text_q) return Format::kOpenMetrics;
  return Format::kPrometheusText;
}

namespace {

nlohmann::json JsonNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return v;
}

// {"<family>": {"type": ..., "help": ..., "unit"?: ..., "samples": [
//    {"name": ..., "labels": {...}, "value": ..., "timestamp": ...}, ...]}}
class JsonSink : public metrics::MetricSink {
 public:
  JsonSink(nlohmann::json* root, double now_s) : root_(root), now_s_(now_s) {}

  void BeginFamily(const MetricFamilyDesc& d) override {
    type_ = d.type;
    name_ = std::string(d.name);
    nlohmann::json& f = (*root_)[name_];
    f["type"] = metrics::MetricTypeName(d.type);
    f["help"] = std::string(d.help);
    if (!d.unit.empty()) f["unit"] = std::string(d.unit);
    f["samples"] = nlohmann::json::array();
    samples_ = &f["samples"];
  }

  void AddMetric(const MetricPoint& p) override {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& l : p.labels) labels[std::string(l.name)] = std::string(l.value);
    const double ts = p.timestamp_ms != metrics::kNoTimestamp
                          ? static_cast<double>(p.timestamp_ms) / 1000.0
                          : now_s_;
    auto add = [&](const std::string& name, const nlohmann::json& lab, nlohmann::json value) {
      samples_->push_back(
          {{"name", name}, {"labels", lab}, {"value", std::move(value)}, {"timestamp", ts}});
    };
    switch (type_) {
      case MetricType::kCounter:
      case MetricType::kGauge:
      case MetricType::kUntyped:
        add(name_, labels, JsonNumber(p.value));
        break;
      case MetricType::kHistogram:
        for (size_t i = 0; i < p.bucket_counts.size(); ++i) {
          nlohmann::json lab = labels;
          std::string le;
          AppendFloat(i < p.bucket_bounds.size() ? p.bucket_bounds[i] : HUGE_VAL, false, &le);
          lab["le"] = le;
          add(name_ + "_bucket", lab, p.bucket_counts[i]);
        }
        add(name_ + "_sum", labels, JsonNumber(p.sum));
        add(name_ + "_count", labels, p.count);
        break;
      case MetricType::kSummary:
        for (size_t i = 0; i < p.quantiles.size(); ++i) {
          nlohmann::json lab = labels;
          std::string q;
          AppendFloat(p.quantiles[i], false, &q);
          lab["quantile"] = q;
          add(name_, lab, JsonNumber(p.quantile_values[i]));
        }
        add(name_ + "_sum", labels, JsonNumber(p.sum));
        add(name_ + "_count", labels, p.count);
        break;
    }
  }

  void EndFamily() override {}

 private:
  nlohmann::json* root_;
  const double now_s_;
  MetricType type_ = MetricType::kUntyped;
  std::string name_;
  nlohmann::json* samples_ = nullptr;
};

}  // namespace

void Encode(const metrics::Registry& registry, Format format, std::string* out, double now_s) {
  switch (format) {
    case Format::kPrometheusText: {
      auto sink = NewTextSink(out);
      registry.Collect(*sink);
      break;
    }
    case Format::kOpenMetrics: {
      auto sink = NewOpenMetricsSink(out);
      registry.Collect(*sink);
      out->append("# EOF\n");
      break;
    }
    case Format::kJson: {
      nlohmann::json root = nlohmann::json::object();
      JsonSink sink(&root, now_s);
      registry.Collect(sink);
      out->append(root.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      break;
    }
  }
}

}  // namespace vigil::exposition
