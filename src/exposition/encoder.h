// Exposition encoders: Prometheus text format 0.0.4, OpenMetrics 1.0 text
// and vigil's JSON (/metrics.json), streamed straight from Registry::Collect
// into one output buffer (no per-series copies).
//
//   std::string body;
//   vigil::exposition::Encode(registry, Format::kOpenMetrics, &body);
//
// Formats are documented in docs/formats/exposition.md.
//
// Thread safety: the functions are thread-safe (they only read the registry).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "vigil/metrics/metric_type.h"
#include "vigil/metrics/registry.h"

namespace vigil::exposition {

enum class Format { kPrometheusText, kOpenMetrics, kJson };

// Content-Type header value of each format.
std::string_view ContentType(Format format);

// Picks the format a scraper asked for in its Accept header: OpenMetrics
// when application/openmetrics-text is acceptable with a q-value at least
// that of text/plain, otherwise the Prometheus text format.
Format Negotiate(std::string_view accept_header);

// Appends the registry's exposition to *out. `now_s` stamps JSON samples
// (seconds since the epoch).
void Encode(const metrics::Registry& registry, Format format, std::string* out,
            double now_s = 0);

// Sinks, for callers that collect from elsewhere.
std::unique_ptr<metrics::MetricSink> NewTextSink(std::string* out);
std::unique_ptr<metrics::MetricSink> NewOpenMetricsSink(std::string* out);  // no "# EOF"

// Float formatting shared by the encoders: shortest round-trip form, with
// "+Inf", "-Inf" and "NaN". `open_metrics` adds ".0" to integral values.
void AppendFloat(double v, bool open_metrics, std::string* out);

}  // namespace vigil::exposition
