#include "slo/slo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "base/file.h"
#include "model/duration.h"
#include "promql/parser.h"
#include "slo/internal.h"

namespace vigil::slo {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr hours kDay(24);

// The layering keeps this module (and its test) away from the template
// engine; a stand-in that refuses an action left open shows that the hook
// is called for every label and annotation and where its errors land. The
// real check (templating::ParseAlertTemplate) and the rule loader
// (rules::ParseRuleFile) are exercised in src/cli/slo_test.cc.
ParseOptions WithTemplates() {
  ParseOptions o;
  o.check_template = [](std::string_view name, std::string_view text) -> Status {
    const size_t open = text.rfind("{{");
    if (open != std::string_view::npos && text.find("}}", open) == std::string_view::npos) {
      return InvalidArgumentError("template: " + std::string(name) + ": unclosed action");
    }
    return Status::OK();
  };
  return o;
}

std::string SourceDir() {
  const char* d = std::getenv("VIGIL_SOURCE_DIR");
  return d != nullptr ? d : ".";
}

// A minimal valid file around one SLO body (indented 4 spaces).
constexpr const char* kRatioSli = R"(    sli:
      error_ratio:
        errors: sum(rate(errors_total[{{.window}}]))
        total: sum(rate(requests_total[{{.window}}]))
)";

Result<SloFile> Parse(std::string_view text) {
  return ParseSloFile(text, "f.yml", WithTemplates());
}

std::string ErrorOf(std::string_view text) {
  auto r = Parse(text);
  return r.ok() ? "OK" : std::string(r.status().message());
}

const GeneratedRule* FindRule(const GeneratedGroup& g, std::string_view name) {
  for (const auto& r : g.rules) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

std::vector<std::string> RuleNames(const GeneratedGroup& g) {
  std::vector<std::string> out;
  for (const auto& r : g.rules) out.push_back(r.name);
  return out;
}

void ExpectYamlRoundTrip(const SloFile& f);

// --- The example file ------------------------------------------------------

TEST(SloFileTest, ParsesTheExample) {
  const std::string path = SourceDir() + "/tests/testdata/slo/inference.slo.yml";
  auto f = LoadSloFile(path, WithTemplates());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->filename, path);
  EXPECT_EQ(f->service, "inference-api");
  ASSERT_EQ(f->slos.size(), 2u);
  ASSERT_EQ(f->slas.size(), 1u);

  const Slo& a = f->slos[0];
  EXPECT_EQ(a.name, "requests-availability");
  EXPECT_EQ(a.objective_percent, 99.9);
  EXPECT_EQ(a.window, 30 * kDay);
  EXPECT_EQ(a.kind, SliKind::kErrorRatio);
  EXPECT_THAT(a.errors_query, HasSubstr("code=~\"5..\"}[{{.window}}]"));
  EXPECT_EQ(a.labels.ToString(), "{team=\"ml-platform\"}");
  EXPECT_EQ(a.page.name, "InferenceAvailabilityBudgetBurnFast");
  EXPECT_EQ(a.ticket.name, "InferenceAvailabilityBudgetBurnSlow");
  EXPECT_TRUE(a.page.enabled);
  EXPECT_EQ(a.page.annotations.Get("runbook_url"),
            "https://runbooks.example/inference-api/availability");
  EXPECT_EQ(a.ticket.annotations.Get("runbook_url"), "");
  EXPECT_EQ(a.line, 10);
  EXPECT_EQ(a.column, 5);

  const Slo& l = f->slos[1];
  EXPECT_EQ(l.kind, SliKind::kLatency);
  EXPECT_EQ(l.objective_percent, 99);
  EXPECT_EQ(l.histogram_metric, "inference_request_duration_seconds");
  EXPECT_EQ(l.selector, "service=\"inference-api\"");
  EXPECT_EQ(l.threshold_seconds, 0.5);
  EXPECT_EQ(l.page.name, "InferenceLatencyBudgetBurn");
  EXPECT_EQ(l.ticket.name, "InferenceLatencyBudgetBurn");
  EXPECT_EQ(l.page.labels.Get("component"), "model-server");

  const Sla& s = f->slas[0];
  EXPECT_EQ(s.name, "batch_processing_sla");
  EXPECT_EQ(s.expr, "avg_job_duration");
  EXPECT_EQ(s.threshold, 1800);
  EXPECT_EQ(s.for_duration, minutes(5));
  EXPECT_EQ(s.alert.name, "SLAViolation");
}

TEST(SloFileTest, GoldenRuleFileIsUpToDate) {
  const std::string dir = SourceDir() + "/tests/testdata/slo/";
  auto text = ReadFile(dir + "inference.slo.yml");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto f = ParseSloFile(*text, "inference.slo.yml", WithTemplates());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto golden = ReadFile(dir + "inference.rules.yml");
  ASSERT_TRUE(golden.ok()) << golden.status().ToString();
  EXPECT_EQ(GenerateRuleFile(*f), *golden)
      << "regenerate: cd tests/testdata/slo && vigil slo generate inference.slo.yml -o "
         "inference.rules.yml";
}

// --- Windows ---------------------------------------------------------------

TEST(WindowsTest, ThirtyDaysAreTheWorkbooks) {
  const auto w = AlertWindows(30 * kDay);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_TRUE(w[0].page);
  EXPECT_EQ(w[0].long_window, hours(1));
  EXPECT_EQ(w[0].short_window, minutes(5));
  EXPECT_EQ(w[0].factor, 14.4);
  EXPECT_TRUE(w[1].page);
  EXPECT_EQ(w[1].long_window, hours(6));
  EXPECT_EQ(w[1].short_window, minutes(30));
  EXPECT_EQ(w[1].factor, 6);
  EXPECT_FALSE(w[2].page);
  EXPECT_EQ(w[2].long_window, kDay);
  EXPECT_EQ(w[2].short_window, hours(2));
  EXPECT_EQ(w[2].factor, 3);
  EXPECT_FALSE(w[3].page);
  EXPECT_EQ(w[3].long_window, 3 * kDay);
  EXPECT_EQ(w[3].short_window, hours(6));
  EXPECT_EQ(w[3].factor, 1);
  EXPECT_THAT(SliWindows(30 * kDay),
              ElementsAre(minutes(5), minutes(30), hours(1), hours(2), hours(6), kDay, 3 * kDay));
}

std::vector<std::string> Formatted(const std::vector<milliseconds>& ws) {
  std::vector<std::string> out;
  for (auto w : ws) out.push_back(internal::SliRecordName(w).substr(24));
  return out;
}

TEST(WindowsTest, OtherSloWindowsScaleProportionally) {
  // window / 30d, rounded to whole minutes, at least 1m; factors unchanged.
  EXPECT_THAT(Formatted(SliWindows(7 * kDay)),
              ElementsAre("1m", "7m", "14m", "28m", "1h24m", "5h36m", "16h48m"));
  EXPECT_THAT(Formatted(SliWindows(28 * kDay)),
              ElementsAre("5m", "28m", "56m", "1h52m", "5h36m", "22h24m", "2d19h12m"));
  EXPECT_THAT(Formatted(SliWindows(90 * kDay)),
              ElementsAre("15m", "1h30m", "3h", "6h", "18h", "3d", "9d"));
  // 1d, the shortest window allowed: 5m and 30m both round to the 1m floor.
  EXPECT_THAT(Formatted(SliWindows(kDay)), ElementsAre("1m", "2m", "4m", "12m", "48m", "2h24m"));
  const auto w = AlertWindows(7 * kDay);
  EXPECT_EQ(w[0].long_window, minutes(14));
  EXPECT_EQ(w[0].short_window, minutes(1));
  EXPECT_EQ(w[0].factor, 14.4);
  EXPECT_EQ(w[3].long_window, hours(16) + minutes(48));
  EXPECT_EQ(w[3].factor, 1);
}

TEST(WindowsTest, ScaledWindowsReachTheRules) {
  auto f = Parse(std::string("service: s\nslos:\n  - name: a\n    objective: 99\n"
                             "    window: 7d\n") +
                 kRatioSli);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const GeneratedGroup g = GenerateRules(*f)[0];
  EXPECT_THAT(RuleNames(g),
              ElementsAre("slo:sli_error:ratio_rate1m", "slo:sli_error:ratio_rate7m",
                          "slo:sli_error:ratio_rate14m", "slo:sli_error:ratio_rate28m",
                          "slo:sli_error:ratio_rate1h24m", "slo:sli_error:ratio_rate5h36m",
                          "slo:sli_error:ratio_rate16h48m", "slo:sli_error:ratio_rate1w",
                          "slo:objective:ratio", "slo:error_budget:ratio", "slo:time_period:days",
                          "slo:current_burn_rate:ratio", "slo:period_burn_rate:ratio",
                          "slo:period_error_budget_remaining:ratio", "ErrorBudgetBurnFast",
                          "ErrorBudgetBurnSlow"));
  EXPECT_EQ(FindRule(g, "slo:sli_error:ratio_rate14m")->expr,
            "(sum(rate(errors_total[14m])))\n/\n(sum(rate(requests_total[14m])))");
  EXPECT_EQ(FindRule(g, "slo:sli_error:ratio_rate1w")->expr,
            "sum_over_time(slo:sli_error:ratio_rate1m{slo_service=\"s\", slo=\"a\"}[1w])\n/\n"
            "count_over_time(slo:sli_error:ratio_rate1m{slo_service=\"s\", slo=\"a\"}[1w])");
  EXPECT_EQ(FindRule(g, "slo:time_period:days")->expr, "vector(7)");
  EXPECT_EQ(FindRule(g, "ErrorBudgetBurnFast")->expr,
            "(\n"
            "  slo:sli_error:ratio_rate14m{slo_service=\"s\", slo=\"a\"} > (14.4 * 0.01)\n"
            "  and\n"
            "  slo:sli_error:ratio_rate1m{slo_service=\"s\", slo=\"a\"} > (14.4 * 0.01)\n"
            ")\nor\n(\n"
            "  slo:sli_error:ratio_rate1h24m{slo_service=\"s\", slo=\"a\"} > (6 * 0.01)\n"
            "  and\n"
            "  slo:sli_error:ratio_rate7m{slo_service=\"s\", slo=\"a\"} > (6 * 0.01)\n"
            ")");
  EXPECT_THAT(FindRule(g, "ErrorBudgetBurnSlow")->expr,
              HasSubstr("slo:sli_error:ratio_rate16h48m{slo_service=\"s\", slo=\"a\"} > (1 * "
                        "0.01)\n  and\n  slo:sli_error:ratio_rate1h24m"));
}

// --- Generated rules ---------------------------------------------------------

TEST(GenerateTest, ErrorRatioSlo) {
  auto f = Parse(R"(service: api
labels: {team: ml}
slos:
  - name: availability
    objective: 99.9
    labels: {tier: "1"}
    sli:
      error_ratio:
        errors: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total: sum(rate(http_requests_total[{{ .window }}]))
)");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const auto groups = GenerateRules(*f);
  ASSERT_EQ(groups.size(), 1u);
  const GeneratedGroup& g = groups[0];
  EXPECT_EQ(g.name, "slo:api:availability");
  EXPECT_THAT(RuleNames(g),
              ElementsAre("slo:sli_error:ratio_rate5m", "slo:sli_error:ratio_rate30m",
                          "slo:sli_error:ratio_rate1h", "slo:sli_error:ratio_rate2h",
                          "slo:sli_error:ratio_rate6h", "slo:sli_error:ratio_rate1d",
                          "slo:sli_error:ratio_rate3d", "slo:sli_error:ratio_rate30d",
                          "slo:objective:ratio", "slo:error_budget:ratio", "slo:time_period:days",
                          "slo:current_burn_rate:ratio", "slo:period_burn_rate:ratio",
                          "slo:period_error_budget_remaining:ratio", "ErrorBudgetBurnFast",
                          "ErrorBudgetBurnSlow"));
  const std::string sel = "{slo_service=\"api\", slo=\"availability\"}";
  EXPECT_EQ(FindRule(g, "slo:sli_error:ratio_rate5m")->expr,
            "(sum(rate(http_requests_total{code=~\"5..\"}[5m])))\n/\n"
            "(sum(rate(http_requests_total[5m])))");
  EXPECT_EQ(FindRule(g, "slo:sli_error:ratio_rate3d")->expr,
            "(sum(rate(http_requests_total{code=~\"5..\"}[3d])))\n/\n"
            "(sum(rate(http_requests_total[3d])))");
  EXPECT_EQ(FindRule(g, "slo:sli_error:ratio_rate30d")->expr,
            "sum_over_time(slo:sli_error:ratio_rate5m" + sel + "[30d])\n/\n" +
                "count_over_time(slo:sli_error:ratio_rate5m" + sel + "[30d])");
  EXPECT_EQ(FindRule(g, "slo:objective:ratio")->expr, "vector(0.999)");
  EXPECT_EQ(FindRule(g, "slo:error_budget:ratio")->expr, "vector(0.001)");
  EXPECT_EQ(FindRule(g, "slo:time_period:days")->expr, "vector(30)");
  EXPECT_EQ(FindRule(g, "slo:current_burn_rate:ratio")->expr,
            "slo:sli_error:ratio_rate5m" + sel + " / 0.001");
  EXPECT_EQ(FindRule(g, "slo:period_burn_rate:ratio")->expr,
            "slo:sli_error:ratio_rate30d" + sel + " / 0.001");
  EXPECT_EQ(FindRule(g, "slo:period_error_budget_remaining:ratio")->expr,
            "1 - slo:period_burn_rate:ratio" + sel);
  // Every recorded series: the service, the SLO and the file's and SLO's
  // labels.
  for (const auto& r : g.rules) {
    if (r.alerting) continue;
    EXPECT_EQ(r.labels.ToString(),
              "{slo=\"availability\", slo_service=\"api\", team=\"ml\", tier=\"1\"}")
        << r.name;
    EXPECT_TRUE(r.annotations.empty());
  }

  const GeneratedRule* page = FindRule(g, "ErrorBudgetBurnFast");
  ASSERT_NE(page, nullptr);
  EXPECT_TRUE(page->alerting);
  EXPECT_EQ(page->for_duration, milliseconds(0));
  EXPECT_EQ(page->expr, "(\n  slo:sli_error:ratio_rate1h" + sel + " > (14.4 * 0.001)\n  and\n" +
                            "  slo:sli_error:ratio_rate5m" + sel + " > (14.4 * 0.001)\n)\nor\n(\n" +
                            "  slo:sli_error:ratio_rate6h" + sel + " > (6 * 0.001)\n  and\n" +
                            "  slo:sli_error:ratio_rate30m" + sel + " > (6 * 0.001)\n)");
  EXPECT_EQ(page->labels.ToString(),
            "{severity=\"page\", slo=\"availability\", slo_service=\"api\", "
            "slo_severity=\"page\", team=\"ml\", tier=\"1\"}");
  EXPECT_EQ(page->annotations.Get("summary"),
            "api: SLO availability is burning its error budget fast");
  EXPECT_EQ(page->annotations.Get("description"),
            "Error ratio {{ $value | humanizePercentage }} over the long window: the error "
            "budget of the 99.9% objective over 30d burns faster than 14.4x (1h and 5m "
            "windows) or 6x (6h and 30m windows).");

  const GeneratedRule* ticket = FindRule(g, "ErrorBudgetBurnSlow");
  ASSERT_NE(ticket, nullptr);
  EXPECT_EQ(ticket->expr, "(\n  slo:sli_error:ratio_rate1d" + sel + " > (3 * 0.001)\n  and\n" +
                              "  slo:sli_error:ratio_rate2h" + sel + " > (3 * 0.001)\n)\nor\n(\n" +
                              "  slo:sli_error:ratio_rate3d" + sel + " > (1 * 0.001)\n  and\n" +
                              "  slo:sli_error:ratio_rate6h" + sel + " > (1 * 0.001)\n)");
  EXPECT_EQ(ticket->labels.Get("severity"), "ticket");
  EXPECT_EQ(ticket->labels.Get("slo_severity"), "ticket");
  EXPECT_EQ(ticket->annotations.Get("summary"),
            "api: SLO availability is burning its error budget slowly");

  // Every generated expression is valid PromQL of the right type.
  for (const auto& r : g.rules) {
    auto e = promql::ParseExpr(r.expr);
    ASSERT_TRUE(e.ok()) << r.name << ": " << e.status().ToString();
    EXPECT_EQ((*e)->type(), promql::ValueType::kVector) << r.name;
  }
}

TEST(GenerateTest, LatencySlo) {
  auto f = Parse(R"(service: api
slos:
  - name: latency
    objective: 99.5
    window: 30d
    sli:
      latency:
        metric: request_duration_seconds
        selector: 'route="/predict", code!~"5.."'
        threshold: 0.25
  - name: latency-all
    objective: 95
    sli:
      latency: {metric: request_duration_seconds, threshold: 1}
)");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const auto groups = GenerateRules(*f);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(FindRule(groups[0], "slo:sli_error:ratio_rate5m")->expr,
            "1 - (\n"
            "  sum(rate(request_duration_seconds_bucket{route=\"/predict\", code!~\"5..\", "
            "le=\"0.25\"}[5m]))\n"
            "  /\n"
            "  sum(rate(request_duration_seconds_count{route=\"/predict\", code!~\"5..\"}[5m]))\n"
            ")");
  EXPECT_EQ(FindRule(groups[0], "slo:error_budget:ratio")->expr, "vector(0.005)");
  // A whole-number bound matches both spellings clients use: "1" (text
  // format) and "1.0" (OpenMetrics, Python).
  EXPECT_EQ(FindRule(groups[1], "slo:sli_error:ratio_rate1h")->expr,
            "1 - (\n"
            "  sum(rate(request_duration_seconds_bucket{le=~\"1|1\\\\.0\"}[1h]))\n"
            "  /\n"
            "  sum(rate(request_duration_seconds_count[1h]))\n"
            ")");
  EXPECT_EQ(FindRule(groups[1], "slo:error_budget:ratio")->expr, "vector(0.05)");
  for (const auto& g : groups) {
    for (const auto& r : g.rules) {
      EXPECT_TRUE(promql::ParseExpr(r.expr).ok()) << r.name << ": " << r.expr;
    }
  }
}

TEST(GenerateTest, LeMatcher) {
  EXPECT_EQ(internal::LeMatcher(0.5), "le=\"0.5\"");
  EXPECT_EQ(internal::LeMatcher(0.005), "le=\"0.005\"");
  EXPECT_EQ(internal::LeMatcher(2.5), "le=\"2.5\"");
  EXPECT_EQ(internal::LeMatcher(10), "le=~\"10|10\\\\.0\"");
  EXPECT_EQ(internal::LeMatcher(1e6), "le=~\"1e\\\\+06|1000000|1000000\\\\.0\"");
}

TEST(GenerateTest, ObjectivesAreExactDecimals) {
  struct Case {
    double percent;
    const char* ratio;
    const char* budget;
  };
  for (const Case& c : std::vector<Case>{{99.9, "0.999", "0.001"},
                                         {99.99, "0.9999", "0.0001"},
                                         {99.95, "0.9995", "0.0005"},
                                         {99.999, "0.99999", "0.00001"},
                                         {95, "0.95", "0.05"},
                                         {50, "0.5", "0.5"},
                                         {0.1, "0.001", "0.999"},
                                         {99.123456789, "0.99123456789", "0.00876543211"}}) {
    auto t = internal::FormatObjective(c.percent);
    ASSERT_TRUE(t.ok()) << c.percent;
    EXPECT_EQ(t->objective_ratio, c.ratio) << c.percent;
    EXPECT_EQ(t->budget_ratio, c.budget) << c.percent;
  }
  EXPECT_FALSE(internal::FormatObjective(100).ok());
  EXPECT_FALSE(internal::FormatObjective(0).ok());
  EXPECT_FALSE(internal::FormatObjective(1.0 / 3).ok());  // 0.3333333333333333: 16 digits
}

TEST(GenerateTest, WindowPlaceholder) {
  EXPECT_EQ(*internal::SubstituteWindow("rate(x[{{.window}}])", "5m"), "rate(x[5m])");
  EXPECT_EQ(*internal::SubstituteWindow("rate(x[{{ .window }}]) / rate(y[{{.window}}])", "1h"),
            "rate(x[1h]) / rate(y[1h])");
  EXPECT_THAT(std::string(internal::SubstituteWindow("rate(x[5m])", "5m").status().message()),
              HasSubstr("no {{.window}} placeholder"));
  EXPECT_THAT(
      std::string(internal::SubstituteWindow("rate(x[{{.range}}])", "5m").status().message()),
      HasSubstr("unknown placeholder \"{{.range}}\""));
  EXPECT_THAT(std::string(internal::SubstituteWindow("rate(x[{{.window", "5m").status().message()),
              HasSubstr("unterminated"));
}

TEST(GenerateTest, Sla) {
  auto f = Parse(R"(service: batch
slas:
  - name: batch_processing_sla
    metric: avg_job_duration
    threshold: 1800
    duration: 5m
  - name: streaming_latency_sla
    description: "Streaming stays {{fast}}"
    metric: avg_over_time(processing_latency_seconds[5m]) / 2
    threshold: 5.5
    labels: {team: data}
    alerting:
      name: StreamingSlow
      labels: {severity: ticket}
)");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const auto groups = GenerateRules(*f);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].name, "sla:batch:batch_processing_sla");
  ASSERT_EQ(groups[0].rules.size(), 2u);
  const GeneratedRule& rec = groups[0].rules[0];
  EXPECT_FALSE(rec.alerting);
  EXPECT_EQ(rec.name, "slo:sla_violation:bool");
  EXPECT_EQ(rec.expr, "avg_job_duration > bool 1800");
  EXPECT_EQ(rec.labels.ToString(), "{slo=\"batch_processing_sla\", slo_service=\"batch\"}");
  const GeneratedRule& alert = groups[0].rules[1];
  EXPECT_TRUE(alert.alerting);
  EXPECT_EQ(alert.name, "SLAViolation");
  EXPECT_EQ(alert.expr, "avg_job_duration > 1800");
  EXPECT_EQ(alert.for_duration, minutes(5));
  EXPECT_EQ(alert.labels.ToString(),
            "{severity=\"page\", slo=\"batch_processing_sla\", slo_service=\"batch\"}");
  EXPECT_EQ(alert.annotations.Get("summary"), "batch: SLA batch_processing_sla is violated");
  EXPECT_EQ(alert.annotations.Get("description"),
            "The value {{ $value }} is above the threshold 1800 for 5m.");

  // A binary expression is parenthesised; the description's braces are
  // written so that the template prints them.
  EXPECT_EQ(groups[1].rules[0].expr,
            "(avg_over_time(processing_latency_seconds[5m]) / 2) > bool 5.5");
  EXPECT_EQ(groups[1].rules[1].name, "StreamingSlow");
  EXPECT_EQ(groups[1].rules[1].for_duration, milliseconds(0));
  EXPECT_EQ(groups[1].rules[1].labels.Get("severity"), "ticket");
  EXPECT_EQ(groups[1].rules[1].labels.Get("team"), "data");
  EXPECT_EQ(groups[1].rules[1].annotations.Get("description"),
            "Streaming stays {{ \"{{\" }}fast}}\nThe value {{ $value }} is above the threshold "
            "5.5.");
  ExpectYamlRoundTrip(*f);
}

TEST(GenerateTest, AlertingOptions) {
  auto f = Parse(std::string(R"(service: s
slos:
  - name: quiet
    objective: 99
    alerting: {disable: true}
)") + kRatioSli + R"(  - name: page-only
    objective: 99
    alerting:
      name: Burn
      labels: {severity: critical, team: a}
      annotations: {summary: "mine", runbook_url: "http://r"}
      ticket: {disable: true}
      page:
        labels: {team: b}
        annotations: {summary: "page {{ $labels.slo }}"}
)" + kRatioSli + R"(  - name: ticket-named
    objective: 99
    alerting:
      page: {disable: yes}
      ticket: {name: TicketBurn, disable: false}
)" + kRatioSli);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const auto groups = GenerateRules(*f);
  ASSERT_EQ(groups.size(), 3u);
  for (const auto& r : groups[0].rules) EXPECT_FALSE(r.alerting) << r.name;
  EXPECT_EQ(groups[0].rules.size(), 14u);

  ASSERT_EQ(groups[1].rules.size(), 15u);
  const GeneratedRule& page = groups[1].rules.back();
  EXPECT_EQ(page.name, "Burn");
  EXPECT_EQ(page.labels.ToString(),
            "{severity=\"critical\", slo=\"page-only\", slo_service=\"s\", "
            "slo_severity=\"page\", team=\"b\"}");
  EXPECT_EQ(page.annotations.Get("summary"), "page {{ $labels.slo }}");
  EXPECT_EQ(page.annotations.Get("runbook_url"), "http://r");
  EXPECT_THAT(page.annotations.Get("description"), StartsWith("Error ratio"));

  ASSERT_EQ(groups[2].rules.size(), 15u);
  EXPECT_EQ(groups[2].rules.back().name, "TicketBurn");
  EXPECT_EQ(groups[2].rules.back().labels.Get("slo_severity"), "ticket");
}

// --- The rule file ------------------------------------------------------------

// The generated text is YAML in Prometheus' rule-file layout that reads
// back exactly as generated (the rule loader itself: src/cli/slo_test.cc,
// promtool: tests/e2e/slo_promtool.sh), and every expression parses.
model::Labels ReadMap(const YAML::Node& m) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& kv : m) pairs.emplace_back(kv.first.Scalar(), kv.second.Scalar());
  return model::Labels::FromPairs(std::move(pairs));
}

void ExpectYamlRoundTrip(const SloFile& f) {
  const std::string text = GenerateRuleFile(f);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    FAIL() << e.what() << "\n" << text;
  }
  const auto groups = GenerateRules(f);
  ASSERT_TRUE(root["groups"].IsSequence()) << text;
  ASSERT_EQ(root["groups"].size(), groups.size());
  ASSERT_EQ(root.size(), 1u);  // groups only
  for (size_t i = 0; i < groups.size(); ++i) {
    const YAML::Node g = root["groups"][i];
    EXPECT_EQ(g.size(), 2u);  // name and rules; no interval
    EXPECT_EQ(g["name"].Scalar(), groups[i].name);
    ASSERT_EQ(g["rules"].size(), groups[i].rules.size()) << groups[i].name;
    for (size_t j = 0; j < groups[i].rules.size(); ++j) {
      const YAML::Node r = g["rules"][j];
      const GeneratedRule& want = groups[i].rules[j];
      EXPECT_EQ(r[want.alerting ? "alert" : "record"].Scalar(), want.name);
      EXPECT_FALSE(r[want.alerting ? "record" : "alert"].IsDefined());
      EXPECT_EQ(r["expr"].Scalar(), want.expr);
      if (want.for_duration.count() > 0) {
        EXPECT_EQ(r["for"].Scalar(), model::FormatDuration(want.for_duration));
      } else {
        EXPECT_FALSE(r["for"].IsDefined());
      }
      EXPECT_EQ(ReadMap(r["labels"]), want.labels) << ReadMap(r["labels"]).ToString();
      EXPECT_EQ(ReadMap(r["annotations"]), want.annotations) << want.name;
      auto e = promql::ParseExpr(want.expr);
      EXPECT_TRUE(e.ok()) << want.name << ": " << e.status().ToString();
    }
  }
}

TEST(RuleFileTest, ExampleReadsBack) {
  auto f = LoadSloFile(SourceDir() + "/tests/testdata/slo/inference.slo.yml", WithTemplates());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ExpectYamlRoundTrip(*f);
  size_t n = 0;
  for (const auto& g : GenerateRules(*f)) n += g.rules.size();
  EXPECT_EQ(n, 34u);  // 2 x (8 ratios + 6 metadata + 2 alerts) + 2 for the SLA
}

TEST(RuleFileTest, AwkwardValuesSurviveQuoting) {
  auto f = Parse(std::string(R"yaml(service: s
labels:
  "yes": "on"
  quote: "a \"b\" \\ c"
  unicode: "Grüße ✓"
  breaks: "nel\u0085ls\u2028ps\u2029"
slos:
  - name: a.b_c-d
    objective: 99.99
    description: "  leading spaces\nsecond line\ttab  "
    alerting:
      annotations:
        multi: "line one\nline two\n"
        hash: "# not a comment: {{ $value }}"
        "null": "~"
    sli:
      error_ratio:
        errors: |
          sum(rate(errors_total{path="/a: b # c"}[{{.window}}]))
            or
          vector(0)
        total: "sum(rate(requests_total[{{.window}}]))"
)yaml"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ExpectYamlRoundTrip(*f);
}

TEST(RuleFileTest, PromqlCommentsStayInsideTheirParentheses) {
  auto f = Parse(R"(service: s
slos:
  - name: a
    objective: 99
    sli:
      error_ratio:
        errors: 'sum(rate(errors_total{path="#x"}[{{.window}}])) # 5xx only'
        total: |
          # every request
          sum(rate(requests_total[{{.window}}]))
slas:
  - name: b
    metric: "avg_job_duration # seconds"
    threshold: 10
)");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const auto groups = GenerateRules(*f);
  EXPECT_EQ(FindRule(groups[0], "slo:sli_error:ratio_rate5m")->expr,
            "(sum(rate(errors_total{path=\"#x\"}[5m])) # 5xx only\n)\n/\n"
            "(# every request\nsum(rate(requests_total[5m]))\n)");
  EXPECT_EQ(groups[1].rules[0].expr, "(avg_job_duration # seconds\n) > bool 10");
  ExpectYamlRoundTrip(*f);
}

TEST(RuleFileTest, HeaderNamesTheSource) {
  auto f = Parse(std::string("service: s\nslos:\n  - name: a\n    objective: 99\n") + kRatioSli);
  ASSERT_TRUE(f.ok());
  f->filename = "odd\nname\xff.yml";
  const std::string text = GenerateRuleFile(*f);
  EXPECT_THAT(text, StartsWith("# Generated by `vigil slo generate` from odd?name?.yml: do not "
                               "edit, regenerate.\n"));
  EXPECT_NO_THROW(YAML::Load(text));
}

// --- Errors ----------------------------------------------------------------------

struct ErrorCase {
  const char* name;
  std::string text;
  const char* want;  // the whole message starts with this
};

std::string Slo1(std::string_view body) {
  return "service: s\nslos:\n  - name: a\n" + std::string(body);
}

TEST(SloErrorsTest, EveryErrorHasItsPosition) {
  const std::string sli = kRatioSli;
  const std::vector<ErrorCase> cases = {
      {"yaml syntax", "service: [s\n", "f.yml:2:1: "},
      {"empty file", "", "f.yml: empty SLO file"},
      {"not a mapping", "- a\n",
       "f.yml:1:1: expected a mapping with service and slos, got a sequence"},
      {"unknown top-level field", "service: s\nslo: []\n",
       "f.yml:2:1: unknown field \"slo\" in SLO file"},
      {"missing service", "slos: []\n", "f.yml:1:1: SLO file: missing field \"service\""},
      {"bad service name", "service: my service\n",
       "f.yml:1:10: service: \"my service\" is not a valid name"},
      {"no slos", "service: s\nslos: []\n", "f.yml:1:1: SLO file: no SLOs or SLAs"},
      {"slos not a list", "service: s\nslos: {a: 1}\n",
       "f.yml:2:7: slos: expected a list, got a mapping"},
      {"slo not a mapping", "service: s\nslos:\n  - x\n",
       "f.yml:3:5: slos[0]: expected a mapping, got a scalar"},
      {"unknown slo field", Slo1("    objective: 99\n    target: 1\n" + sli),
       "f.yml:5:5: unknown field \"target\" in SLO"},
      {"SLA field in an SLO", Slo1("    objective: 99\n    threshold: 1\n" + sli),
       "f.yml:5:5: unknown field \"threshold\" in SLO (SLAs"},
      {"missing name", "service: s\nslos:\n  - objective: 99\n" + sli,
       "f.yml:3:5: SLO: missing field \"name\""},
      {"bad name", "service: s\nslos:\n  - name: a/b\n    objective: 99\n" + sli,
       "f.yml:3:11: name: \"a/b\" is not a valid name"},
      {"duplicate SLO",
       Slo1("    objective: 99\n" + sli) + "  - name: a\n    objective: 98\n" + sli,
       "f.yml:9:11: duplicate SLO/SLA name \"a\" (first defined on line 3)"},
      {"duplicate SLO and SLA",
       Slo1("    objective: 99\n" + sli) + "slas:\n  - {name: a, metric: x, threshold: 1}\n",
       "f.yml:10:12: duplicate SLO/SLA name \"a\" (first defined on line 3)"},
      {"missing objective", Slo1(sli), "f.yml:3:5: SLO \"a\": missing field \"objective\""},
      {"objective 100", Slo1("    objective: 100\n" + sli),
       "f.yml:4:16: objective: must be a percentage in (0, 100), got 100"},
      {"objective 0", Slo1("    objective: 0\n" + sli),
       "f.yml:4:16: objective: must be a percentage in (0, 100), got 0"},
      {"objective negative", Slo1("    objective: -5\n" + sli),
       "f.yml:4:16: objective: must be a percentage in (0, 100), got -5"},
      {"objective nan", Slo1("    objective: .nan\n" + sli),
       "f.yml:4:16: objective: must be a percentage in (0, 100)"},
      {"objective text", Slo1("    objective: 99.9%\n" + sli),
       "f.yml:4:16: objective: expected a number, got \"99.9%\""},
      {"objective digits", Slo1("    objective: 1.2345678901234567\n" + sli),
       "f.yml:4:16: objective: has more than 15 digits after the decimal point"},
      {"bad window", Slo1("    objective: 99\n    window: 30days\n" + sli),
       "f.yml:5:13: window: not a valid duration string: \"30days\""},
      {"short window", Slo1("    objective: 99\n    window: 12h\n" + sli),
       "f.yml:5:13: window: must be at least 1d"},
      {"missing sli", Slo1("    objective: 99\n"), "f.yml:3:5: SLO \"a\": missing field \"sli\""},
      {"sli not a mapping", Slo1("    objective: 99\n    sli: ratio\n"),
       "f.yml:5:10: sli: expected a mapping with error_ratio or latency, got a scalar"},
      {"sli empty", Slo1("    objective: 99\n    sli: {}\n"),
       "f.yml:5:5: sli: one of \"error_ratio\" and \"latency\" must be set"},
      {"both sli kinds",
       Slo1("    objective: 99\n    sli:\n      error_ratio: {errors: x, total: y}\n"
            "      latency: {metric: m, threshold: 1}\n"),
       "f.yml:7:7: sli: only one of \"error_ratio\" and \"latency\" may be set"},
      {"unknown sli field", Slo1("    objective: 99\n    sli:\n      ratio: {}\n"),
       "f.yml:6:7: unknown field \"ratio\" in sli"},
      {"missing total",
       Slo1("    objective: 99\n    sli:\n      error_ratio:\n        errors: x[{{.window}}]\n"),
       "f.yml:6:7: sli.error_ratio: missing field \"total\""},
      {"empty errors",
       Slo1("    objective: 99\n    sli:\n      error_ratio:\n        errors: \"\"\n"
            "        total: sum(rate(t[{{.window}}]))\n"),
       "f.yml:7:17: sli.error_ratio.errors: must be set"},
      {"no placeholder",
       Slo1("    objective: 99\n    sli:\n      error_ratio:\n        errors: sum(rate(e[5m]))\n"
            "        total: sum(rate(t[{{.window}}]))\n"),
       "f.yml:7:17: sli.error_ratio.errors: no {{.window}} placeholder"},
      {"unknown placeholder",
       Slo1("    objective: 99\n    sli:\n      error_ratio:\n        errors: "
            "sum(rate(e[{{.window}}]))\n"
            "        total: sum(rate(t[{{.Window}}]))\n"),
       "f.yml:8:16: sli.error_ratio.total: unknown placeholder \"{{.Window}}\""},
      {"bad promql",
       Slo1("    objective: 99\n    sli:\n      error_ratio:\n        errors: "
            "sum(rate(e[{{.window}}])\n"
            "        total: sum(rate(t[{{.window}}]))\n"),
       "f.yml:7:17: sli.error_ratio.errors: could not parse the expression with {{.window}} = "
       "5m: 1:"},
      {"range vector",
       Slo1("    objective: 99\n    sli:\n      error_ratio:\n        errors: e[{{.window}}]\n"
            "        total: sum(rate(t[{{.window}}]))\n"),
       "f.yml:7:17: sli.error_ratio.errors: must be an instant vector expression, got range "
       "vector"},
      {"unknown error_ratio field",
       Slo1("    objective: 99\n    sli:\n      error_ratio:\n        bad: x\n"),
       "f.yml:7:9: unknown field \"bad\" in sli.error_ratio"},
      {"latency without metric",
       Slo1("    objective: 99\n    sli:\n      latency: {threshold: 1}\n"),
       "f.yml:6:7: sli.latency: missing field \"metric\""},
      {"latency without threshold",
       Slo1("    objective: 99\n    sli:\n      latency: {metric: m}\n"),
       "f.yml:6:7: sli.latency: missing field \"threshold\""},
      {"latency bad metric",
       Slo1("    objective: 99\n    sli:\n      latency: {metric: 1m, threshold: 1}\n"),
       "f.yml:6:25: sli.latency.metric: \"1m\" is not a valid metric name"},
      {"latency bucket suffix",
       Slo1("    objective: 99\n    sli:\n      latency: {metric: d_bucket, threshold: 1}\n"),
       "f.yml:6:25: sli.latency.metric: give the histogram's base name, without \"_bucket\""},
      {"latency threshold zero",
       Slo1("    objective: 99\n    sli:\n      latency: {metric: d, threshold: 0}\n"),
       "f.yml:6:39: sli.latency.threshold: must be a positive number of seconds"},
      {"latency bad selector",
       Slo1("    objective: 99\n    sli:\n      latency:\n        metric: d\n        threshold: 1\n"
            "        selector: '{a=}'\n"),
       "f.yml:9:19: sli.latency.selector: 1:4: parse error: "},
      {"latency selector with le",
       Slo1("    objective: 99\n    sli:\n      latency:\n        metric: d\n        threshold: 1\n"
            "        selector: '{le=\"1\"}'\n"),
       "f.yml:9:19: sli.latency.selector: must not match on \"le\""},
      {"reserved label", Slo1("    objective: 99\n    labels: {slo: x}\n" + sli),
       "f.yml:5:14: labels: label \"slo\" is reserved"},
      {"bad label name", "service: s\nlabels: {a-b: x}\nslos: []\n",
       "f.yml:2:10: labels: \"a-b\" is not a valid label name"},
      {"empty label value", Slo1("    objective: 99\n    labels: {a: \"\"}\n" + sli),
       "f.yml:5:17: labels.a: must not be empty"},
      {"unknown alerting field", Slo1("    objective: 99\n    alerting: {severity: x}\n" + sli),
       "f.yml:5:16: unknown field \"severity\" in alerting"},
      {"bad alert name", Slo1("    objective: 99\n    alerting: {name: my alert}\n" + sli),
       "f.yml:5:22: alerting.name: \"my alert\" is not a valid alert name"},
      {"unknown page field",
       Slo1("    objective: 99\n    alerting:\n      page: {for: 5m}\n" + sli),
       "f.yml:6:14: unknown field \"for\" in alerting.page"},
      {"disable not a bool",
       Slo1("    objective: 99\n    alerting:\n      ticket: {disable: maybe}\n" + sli),
       "f.yml:6:25: alerting.ticket.disable: expected a boolean"},
      {"bad annotation template",
       Slo1("    objective: 99\n    alerting:\n      annotations:\n        summary: \"{{ $value "
            "\"\n" +
            sli),
       "f.yml:7:18: alerting.annotations.summary: "},
      {"bad label template", Slo1("    objective: 99\n    labels: {owner: \"{{ .Nope\"}\n" + sli),
       "f.yml:5:21: labels.owner: "},
      {"invalid utf-8", Slo1("    objective: 99\n    description: \"\xff\"\n" + sli),
       "f.yml:5:18: description: not valid UTF-8"},
      {"sla without metric", "service: s\nslas:\n  - {name: x, threshold: 1}\n",
       "f.yml:3:5: SLA \"x\": missing field \"metric\""},
      {"sla without threshold", "service: s\nslas:\n  - {name: x, metric: m}\n",
       "f.yml:3:5: SLA \"x\": missing field \"threshold\""},
      {"sla bad promql", "service: s\nslas:\n  - {name: x, metric: \"rate(m)\", threshold: 1}\n",
       "f.yml:3:23: metric: could not parse the expression: "},
      {"sla scalar", "service: s\nslas:\n  - {name: x, metric: \"1 + 1\", threshold: 1}\n",
       "f.yml:3:23: metric: must be an instant vector expression, got scalar"},
      {"sla infinite threshold", "service: s\nslas:\n  - {name: x, metric: m, threshold: .inf}\n",
       "f.yml:3:37: threshold: must be a finite number"},
      {"sla bad duration",
       "service: s\nslas:\n  - {name: x, metric: m, threshold: 1, duration: 5 min}\n",
       "f.yml:3:50: duration: not a valid duration string"},
      {"sla page",
       "service: s\nslas:\n  - {name: x, metric: m, threshold: 1, alerting: {page: {}}}\n",
       "f.yml:3:51: unknown field \"page\" in SLA alerting"},
      {"SLO field in an SLA",
       "service: s\nslas:\n  - {name: x, metric: m, threshold: 1, objective: 9}\n",
       "f.yml:3:40: unknown field \"objective\" in SLA (SLOs"},
      {"duplicate field", Slo1("    objective: 99\n    objective: 98\n" + sli),
       "f.yml:5:5: duplicate field \"objective\" in SLO"},
  };
  for (const ErrorCase& c : cases) {
    EXPECT_THAT(ErrorOf(c.text), StartsWith(c.want)) << c.name << "\n" << c.text;
  }
}

TEST(SloErrorsTest, TemplatesAreCheckedOnlyWhenAsked) {
  const std::string text = Slo1(
                               "    objective: 99\n    alerting:\n      annotations:\n"
                               "        summary: \"{{ $value \"\n") +
                           kRatioSli;
  EXPECT_FALSE(ParseSloFile(text, "f.yml", WithTemplates()).ok());
  EXPECT_TRUE(ParseSloFile(text, "f.yml").ok());
}

TEST(SloErrorsTest, LoadNamesTheMissingFile) {
  auto f = LoadSloFile("/nonexistent/dir/x.slo.yml");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(std::string(f.status().message()), HasSubstr("/nonexistent/dir/x.slo.yml"));
}

// Truncations and byte flips of the example never crash the parser, and
// whatever it accepts generates a rule file that reads back.
TEST(SloErrorsTest, MangledInputNeverCrashes) {
  auto text = ReadFile(SourceDir() + "/tests/testdata/slo/inference.slo.yml");
  ASSERT_TRUE(text.ok());
  const std::string& base = *text;
  std::mt19937 rng(42);
  const std::string alphabet = "{}[]:,-'\"\\ \n\t#&*!|>%@`0123456789.abcxyz_{{.window}}\xc3\xff";
  int accepted = 0;
  const auto check = [&](const std::string& t) {
    auto f = ParseSloFile(t, "m.yml", WithTemplates());
    if (!f.ok()) {
      EXPECT_THAT(std::string(f.status().message()), StartsWith("m.yml")) << t;
      return;
    }
    ++accepted;
    SCOPED_TRACE(t);
    ExpectYamlRoundTrip(*f);
  };
  for (size_t n = 0; n <= base.size(); n += 7) check(base.substr(0, n));
  for (int i = 0; i < 1500; ++i) {
    std::string t = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % t.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          t[pos] = c;
          break;
        case 1:
          t.insert(pos, 1, c);
          break;
        default:
          t.erase(pos, 1);
      }
    }
    check(t);
  }
  EXPECT_GT(accepted, 10);  // some mutants are still valid files
}

}  // namespace
}  // namespace vigil::slo
