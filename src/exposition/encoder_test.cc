#include "exposition/encoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace vigil::exposition {
namespace {

using metrics::FamilySnapshot;
using metrics::MetricSnapshot;
using metrics::MetricType;
using metrics::Registry;

std::string Golden(const std::string& name) {
  const char* src = std::getenv("VIGIL_SOURCE_DIR");
  const std::string path =
      std::string(src != nullptr ? src : ".") + "/tests/testdata/exposition/" + name;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "missing golden file " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A registry with every type, escaping and special values; no timestamps that
// change between runs are printed by the text format.
void Fill(Registry& r) {
  auto* req = r.MustAddCounter({.name = "requests_total",
                                .help = "Requests with \"quotes\", a \\ and a\nnewline.",
                                .label_names = {"model", "path"}});
  req->WithLabelValues({"owlv2", "/v1/\"detect\"\\\n"}).Inc(3);
  req->WithLabelValues({"yolo", "/"}).Inc();
  auto* g = r.MustAddGauge({.name = "temperature_celsius", .help = "T.", .label_names = {"s"}});
  g->WithLabelValues({"inf"}).Set(HUGE_VAL);
  g->WithLabelValues({"neginf"}).Set(-HUGE_VAL);
  g->WithLabelValues({"nan"}).Set(std::nan(""));
  g->WithLabelValues({"small"}).Set(1.5e-7);
  g->WithLabelValues({"big"}).Set(12345678901234.0);
  auto* h = r.MustAddHistogram({.name = "latency_seconds", .help = "Latency."}, {0.1, 0.5, 1});
  for (double v : {0.05, 0.2, 0.2, 0.7, 3.0}) h->WithLabelValues({}).Observe(v);
  auto* s = r.MustAddSummary({.name = "size_bytes", .help = "Size."}, {.quantiles = {0.5, 1}});
  for (double v : {1.0, 2.0, 4.0}) s->WithLabelValues({}).Observe(v);
  r.MustAddGauge({.name = "no_help"});
}

TEST(TextFormatTest, MatchesGolden) {
  Registry r({.const_labels = {{"service", "detector"}}});
  Fill(r);
  std::string out;
  Encode(r, Format::kPrometheusText, &out);
  EXPECT_EQ(out, Golden("all_types.prom"));
}

TEST(OpenMetricsTest, MatchesGolden) {
  // Built from snapshots so created timestamps and exemplars are fixed.
  std::vector<FamilySnapshot> families(4);
  families[0] = {"jobs_total", "Jobs \"done\".", "", MetricType::kCounter, {}};
  MetricSnapshot c;
  c.labels = {{"kind", "a\"b"}};
  c.value = 4;
  c.created_s = 1700000000.5;
  c.exemplars = {{{{"trace_id", "abc"}}, 1, 1700000001.25}};
  c.has_exemplar = {true};
  families[0].metrics.push_back(c);
  families[1] = {"latency_seconds", "Latency.", "seconds", MetricType::kHistogram, {}};
  MetricSnapshot h;
  h.bucket_bounds = {0.5, 1};
  h.bucket_counts = {1, 3, 4};
  h.count = 4;
  h.sum = 5.5;
  h.created_s = 1700000000;
  h.exemplars = {{}, {{{"trace_id", "t2"}}, 0.75, 1700000002}, {}};
  h.has_exemplar = {false, true, false};
  families[1].metrics.push_back(h);
  families[2] = {"ratio", "", "", MetricType::kGauge, {}};
  MetricSnapshot g;
  g.value = 0.25;
  families[2].metrics.push_back(g);
  families[3] = {"rtt_seconds", "RTT.", "", MetricType::kSummary, {}};
  MetricSnapshot s;
  s.quantiles = {0.5, 0.99};
  s.quantile_values = {0.1, std::nan("")};
  s.count = 2;
  s.sum = 0.3;
  families[3].metrics.push_back(s);
  std::string out;
  auto sink = NewOpenMetricsSink(&out);
  for (const auto& f : families) metrics::EmitSnapshot(f, *sink);
  out += "# EOF\n";
  EXPECT_EQ(out, Golden("all_types.om"));
}

TEST(OpenMetricsTest, RegistryOutputEndsWithEofAndHasCreated) {
  Registry r;
  Fill(r);
  std::string out;
  Encode(r, Format::kOpenMetrics, &out);
  EXPECT_TRUE(out.ends_with("# EOF\n"));
  EXPECT_NE(out.find("# TYPE requests counter\n"), std::string::npos);
  EXPECT_NE(out.find("requests_total{model=\"yolo\",path=\"/\"} 1.0\n"), std::string::npos);
  EXPECT_NE(out.find("requests_created{model=\"yolo\",path=\"/\"} "), std::string::npos);
  EXPECT_NE(out.find("latency_seconds_bucket{le=\"1.0\"} 4\n"), std::string::npos);
}

TEST(JsonFormatTest, FamiliesTypesAndSamples) {
  Registry r;
  Fill(r);
  std::string out;
  Encode(r, Format::kJson, &out, 1700000000.0);
  const nlohmann::json j = nlohmann::json::parse(out);
  ASSERT_TRUE(j.contains("requests_total"));
  EXPECT_EQ(j["requests_total"]["type"], "counter");
  EXPECT_EQ(j["requests_total"]["help"], "Requests with \"quotes\", a \\ and a\nnewline.");
  const auto& samples = j["requests_total"]["samples"];
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0]["labels"]["path"], "/v1/\"detect\"\\\n");
  EXPECT_EQ(samples[0]["value"], 3);
  EXPECT_EQ(samples[0]["timestamp"], 1700000000.0);
  EXPECT_EQ(j["temperature_celsius"]["samples"][0]["value"], "+Inf");
  EXPECT_EQ(j["temperature_celsius"]["samples"][2]["value"], "NaN");
  const auto& hs = j["latency_seconds"]["samples"];
  ASSERT_EQ(hs.size(), 6u);  // 4 buckets, sum, count
  EXPECT_EQ(hs[3]["labels"]["le"], "+Inf");
  EXPECT_EQ(hs[3]["value"], 5);
  EXPECT_EQ(hs[5]["name"], "latency_seconds_count");
  EXPECT_EQ(j["size_bytes"]["type"], "summary");
}

TEST(NegotiateTest, AcceptHeaders) {
  const struct {
    const char* accept;
    Format want;
  } cases[] = {
      {"", Format::kPrometheusText},
      {"text/plain", Format::kPrometheusText},
      {"*/*", Format::kPrometheusText},
      {"application/openmetrics-text", Format::kOpenMetrics},
      // What Prometheus 2.42 sends.
      {"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
       "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
       Format::kOpenMetrics},
      {"text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5",
       Format::kPrometheusText},
      {"application/openmetrics-text;version=2.0.0", Format::kPrometheusText},
      {"application/openmetrics-text;q=0", Format::kPrometheusText},
      {"garbage;;;,,q=", Format::kPrometheusText},
  };
  for (const auto& c : cases) EXPECT_EQ(Negotiate(c.accept), c.want) << c.accept;
}

TEST(FloatFormatTest, ShortestRoundTrip) {
  const struct {
    double v;
    const char* text;
    const char* om;
  } cases[] = {
      {0, "0", "0.0"},     {1, "1", "1.0"},          {0.1, "0.1", "0.1"},
      {-2.5, "-2.5", "-2.5"}, {1e21, "1e+21", "1e+21"}, {HUGE_VAL, "+Inf", "+Inf"},
      {-HUGE_VAL, "-Inf", "-Inf"},
  };
  for (const auto& c : cases) {
    std::string a, b;
    AppendFloat(c.v, false, &a);
    AppendFloat(c.v, true, &b);
    EXPECT_EQ(a, c.text);
    EXPECT_EQ(b, c.om);
  }
  std::string nan;
  AppendFloat(std::nan(""), false, &nan);
  EXPECT_EQ(nan, "NaN");
}

}  // namespace
}  // namespace vigil::exposition
