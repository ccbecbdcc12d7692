// `vigil slo generate` and what slo/ cannot test itself under the module
// layering: its output loads with vigil's rule loader (rules::ParseRuleFile)
// rule for rule, and alert templates are checked by the real template
// engine.
#include "cli/slo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/test_util.h"
#include "rules/rule_file.h"
#include "slo/slo.h"
#include "templating/template.h"

namespace vigil::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string SourceDir() {
  const char* d = std::getenv("VIGIL_SOURCE_DIR");
  return d != nullptr ? d : ".";
}

std::string Example() { return SourceDir() + "/tests/testdata/slo/inference.slo.yml"; }

slo::ParseOptions RealTemplates() {
  slo::ParseOptions o;
  o.check_template = [](std::string_view name, std::string_view text) -> Status {
    return templating::ParseAlertTemplate(std::string(name), text).status();
  };
  return o;
}

using vigil::testing::Capture;

class SloCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-slo-cli-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int Run(const std::vector<std::string>& args) {
    Capture out, err;
    const int rc = RunSloCommand(args, out.get(), err.get());
    out_ = out.Text();
    err_ = err.Text();
    return rc;
  }

  std::string dir_;
  std::string out_;
  std::string err_;
};

// The rule loader reads back every rule exactly as generated.
void ExpectLoadsBack(const slo::SloFile& f) {
  const std::string text = slo::GenerateRuleFile(f);
  auto loaded = rules::ParseRuleFile(text, "gen.yml");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString() << "\n" << text;
  const auto groups = slo::GenerateRules(f);
  ASSERT_EQ(loaded->size(), groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    const rules::GroupNode& got = (*loaded)[i];
    EXPECT_EQ(got.name, groups[i].name);
    EXPECT_EQ(got.interval.count(), 0);
    ASSERT_EQ(got.rules.size(), groups[i].rules.size()) << got.name;
    for (size_t j = 0; j < got.rules.size(); ++j) {
      const rules::RuleNode& r = got.rules[j];
      const slo::GeneratedRule& want = groups[i].rules[j];
      EXPECT_EQ(r.alerting, want.alerting);
      EXPECT_EQ(r.name, want.name);
      EXPECT_EQ(r.expr_text, want.expr);
      EXPECT_EQ(r.for_duration, want.for_duration);
      EXPECT_EQ(r.labels, want.labels) << r.labels.ToString() << " vs " << want.labels.ToString();
      EXPECT_EQ(r.annotations, want.annotations) << r.name;
    }
  }
}

TEST_F(SloCommandTest, WritesARuleFileThatLoads) {
  const std::string out = dir_ + "/inference.rules.yml";
  ASSERT_EQ(Run({"generate", Example(), "-o", out}), 0) << err_;
  EXPECT_EQ(err_, "");
  EXPECT_EQ(out_, out + ": 34 rules in 3 groups from " + Example() + "\n");
  auto text = ReadFile(out);
  ASSERT_TRUE(text.ok());
  auto f = slo::LoadSloFile(Example(), RealTemplates());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(*text, slo::GenerateRuleFile(*f));
  ExpectLoadsBack(*f);
}

TEST_F(SloCommandTest, WritesToStandardOutputByDefault) {
  ASSERT_EQ(Run({"generate", Example()}), 0) << err_;
  auto f = slo::LoadSloFile(Example());
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(out_, slo::GenerateRuleFile(*f));
  EXPECT_EQ(err_, "");
  const std::string out = dir_ + "/b.yml";
  ASSERT_EQ(Run({"generate", "--output=" + out, Example()}), 0) << err_;
  EXPECT_EQ(ReadFile(out).value_or(""), slo::GenerateRuleFile(*f));
}

TEST_F(SloCommandTest, UsageErrors) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},
           {"check", "x"},
           {"generate"},
           {"generate", "a.yml", "b.yml"},
           {"generate", "a.yml", "-x"},
           {"generate", "a.yml", "-o"},
           {"generate", "a.yml", "--output="},
       }) {
    EXPECT_EQ(Run(args), 2) << ::testing::PrintToString(args);
    EXPECT_THAT(err_, HasSubstr("usage: vigil slo generate FILE [-o OUT]"));
  }
}

TEST_F(SloCommandTest, AnInvalidFileIsRefusedWithItsPosition) {
  const std::string in = dir_ + "/bad.slo.yml";
  ASSERT_TRUE(WriteFileSync(in,
                            "service: s\n"
                            "slos:\n"
                            "  - name: a\n"
                            "    objective: 99\n"
                            "    alerting:\n"
                            "      labels:\n"
                            "        owner: \"{{ nosuchfunction }}\"\n"
                            "    sli: {latency: {metric: d, threshold: 1}}\n")
                  .ok());
  const std::string out = dir_ + "/bad.rules.yml";
  EXPECT_EQ(Run({"generate", in, "-o", out}), 1);
  EXPECT_THAT(err_, StartsWith("vigil slo generate: " + in + ":7:16: alerting.labels.owner: "));
  EXPECT_THAT(err_, HasSubstr("nosuchfunction"));
  EXPECT_FALSE(std::filesystem::exists(out));

  EXPECT_EQ(Run({"generate", dir_ + "/missing.yml"}), 1);
  EXPECT_THAT(err_, HasSubstr("missing.yml"));
}

TEST(SloRuleLoaderTest, AwkwardValuesLoad) {
  auto f = slo::ParseSloFile(R"yaml(service: s
labels:
  "yes": "on"
  quote: "a \"b\" \\ c"
  unicode: "Grüße ✓"
  breaks: "nel\u0085ls\u2028ps\u2029"
  ctl: "a\x01b\x7fc"
slos:
  - name: a.b_c-d
    objective: 99.99
    window: 28d
    description: "  leading spaces\nsecond line\ttab {{ x }}"
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
        total: 'sum(rate(requests_total[{{.window}}])) # every request'
slas:
  - name: b
    description: "{{ not a template"
    metric: "avg_job_duration # seconds"
    threshold: -1e-7
    duration: 1h30m
)yaml",
                             "awkward.yml", RealTemplates());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ExpectLoadsBack(*f);
}

// Whatever the parser accepts, however mangled, loads as a rule file.
TEST(SloRuleLoaderTest, MangledInputsThatParseAlsoLoad) {
  auto text = ReadFile(Example());
  ASSERT_TRUE(text.ok());
  const std::string& base = *text;
  std::mt19937 rng(7);
  const std::string alphabet = "{}[]:,-'\"\\ \n\t#&*!|>%@`0123456789.abcxyz_{{.window}}$";
  int accepted = 0;
  for (int i = 0; i < 1000; ++i) {
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
    auto f = slo::ParseSloFile(t, "m.yml", RealTemplates());
    if (!f.ok()) continue;
    ++accepted;
    auto loaded = rules::ParseRuleFile(slo::GenerateRuleFile(*f), "gen.yml");
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString() << "\nfrom:\n" << t;
  }
  EXPECT_GT(accepted, 10);
}

}  // namespace
}  // namespace vigil::cli
