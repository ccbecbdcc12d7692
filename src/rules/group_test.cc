// Alert state transitions, recording, ALERTS series, staleness, sending,
// restoring `for` state and reloads, on in-memory storage with the real
// PromQL engine; the group is driven by explicit timestamps.
#include "rules/group.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <variant>

#include "model/timestamp.h"
#include "rules/manager.h"
#include "storage/memory_storage.h"

namespace vigil::rules {
namespace {

using model::Labels;
constexpr int64_t kMin = 60 * 1000;

class GroupTest : public ::testing::Test {
 protected:
  void Set(std::string_view metric, std::vector<std::pair<std::string, std::string>> labels,
           int64_t t, double v) {
    labels.emplace_back("__name__", std::string(metric));
    auto app = db_.NewAppender();
    ASSERT_TRUE(app->Append(0, Labels::FromPairs(labels), t, v).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  std::unique_ptr<Group> Make(std::string_view yaml, bool restored = true) {
    auto groups = ParseRuleFile(yaml, "t.yml");
    EXPECT_TRUE(groups.ok()) << groups.status().ToString();
    GroupOptions o;
    o.appendable = &db_;
    o.queryable = &db_;
    o.ctx = MakeEvalContext(&engine_, &db_, Labels::FromPairs({{"region", "eu"}}),
                            "http://vigil:9090");
    o.notify = [this](std::vector<model::Alert> a) {
      for (auto& x : a) sent_.push_back(std::move(x));
    };
    o.for_grace_period = std::chrono::minutes(2);
    return std::make_unique<Group>(std::move((*groups)[0]), std::chrono::minutes(1), o,
                                   restored);
  }
  // Instant query result as "labels => value" lines.
  std::vector<std::string> Query(std::string_view q, int64_t t) {
    auto v = engine_.InstantQuery(&db_, q, t);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    std::vector<std::string> out;
    if (!v.ok()) return out;
    for (const auto& s : std::get<promql::Vector>(*v)) {
      out.push_back(s.metric.ToString() + " => " + std::to_string(s.v));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  static const AlertingRule& Alerting(const Group& g, size_t i) {
    return static_cast<const AlertingRule&>(*g.rules()[i]);
  }

  storage::MemoryStorage db_;
  promql::Engine engine_;
  std::vector<model::Alert> sent_;
};

constexpr std::string_view kRules = R"(groups:
  - name: g
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels: {source: rule}
      - alert: InstanceDown
        expr: up == 0
        for: 3m
        labels:
          severity: page
          instance_copy: "{{ $labels.instance }}"
        annotations:
          summary: "{{ $labels.instance }} of {{ $labels.job }} down ({{ $value }}) in {{ $externalLabels.region }}"
)";

TEST_F(GroupTest, PendingFiringResolvedAndAlertsSeries) {
  auto g = Make(kRules);
  for (int64_t m = 0; m <= 20; ++m) {
    // Down from minute 2 to minute 9.
    Set("up", {{"job", "api"}, {"instance", "a"}}, m * kMin, m >= 2 && m < 9 ? 0 : 1);
  }
  const auto& rule = Alerting(*g, 1);
  g->Eval(1 * kMin);
  EXPECT_TRUE(rule.Alerts().empty());
  EXPECT_EQ(Query("job:up:sum", 1 * kMin),
            std::vector<std::string>{"job:up:sum{job=\"api\", source=\"rule\"} => 1.000000"});

  g->Eval(2 * kMin);  // pending
  ASSERT_EQ(rule.Alerts().size(), 1u);
  auto a = rule.Alerts()[0];
  EXPECT_EQ(a.state, AlertState::kPending);
  EXPECT_EQ(a.active_at, 2 * kMin);
  EXPECT_EQ(a.labels.ToString(),
            "{alertname=\"InstanceDown\", instance=\"a\", instance_copy=\"a\", job=\"api\", "
            "severity=\"page\"}");
  EXPECT_EQ(a.annotations.Get("summary"), "a of api down (0) in eu");
  EXPECT_TRUE(sent_.empty());  // pending alerts are not sent
  EXPECT_EQ(Query("ALERTS", 2 * kMin).size(), 1u);
  EXPECT_NE(Query("ALERTS", 2 * kMin)[0].find("alertstate=\"pending\""), std::string::npos);

  g->Eval(4 * kMin);  // 2m < 3m: still pending
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kPending);
  g->Eval(5 * kMin);  // 3m: firing, sent
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kFiring);
  EXPECT_EQ(rule.Alerts()[0].fired_at, 5 * kMin);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].starts_at, model::ToTimePoint(5 * kMin));
  EXPECT_EQ(sent_[0].ends_at, model::ToTimePoint(5 * kMin + 4 * kMin));  // 4 x resend delay
  EXPECT_NE(sent_[0].generator_url.find("http://vigil:9090/graph?g0.expr=up+%3D%3D+0"),
            std::string::npos);
  EXPECT_EQ(Query("ALERTS{alertstate=\"firing\"}", 5 * kMin).size(), 1u);
  EXPECT_EQ(Query("ALERTS_FOR_STATE", 5 * kMin),
            std::vector<std::string>{
                "ALERTS_FOR_STATE{alertname=\"InstanceDown\", instance=\"a\", "
                "instance_copy=\"a\", job=\"api\", severity=\"page\"} => 120.000000"});

  g->Eval(6 * kMin);  // resend delay (1m) not passed since 5m: not re-sent
  EXPECT_EQ(sent_.size(), 1u);
  g->Eval(7 * kMin);  // > 1m since last send: re-sent
  EXPECT_EQ(sent_.size(), 2u);

  g->Eval(9 * kMin);  // recovered: resolved, sent once with ends_at = now
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kInactive);
  ASSERT_EQ(sent_.size(), 3u);
  EXPECT_EQ(sent_[2].ends_at, model::ToTimePoint(9 * kMin));
  EXPECT_TRUE(sent_[2].Resolved(model::ToTimePoint(9 * kMin)));
  // ALERTS ended with a staleness marker: gone at once, not after 5m.
  EXPECT_TRUE(Query("ALERTS", 9 * kMin).empty());
  g->Eval(10 * kMin);
  g->Eval(12 * kMin);
  EXPECT_EQ(sent_.size(), 3u);  // resolved alerts are sent once
  EXPECT_EQ(rule.Alerts().size(), 1u);  // kept 15 minutes
  g->Eval(25 * kMin);
  EXPECT_TRUE(rule.Alerts().empty());
  EXPECT_EQ(g->rules()[1]->status().health, RuleHealth::kGood);
}

TEST_F(GroupTest, PendingThatRecoversIsDroppedAndNeverSent) {
  auto g = Make(kRules);
  Set("up", {{"job", "api"}, {"instance", "a"}}, 0, 0);
  Set("up", {{"job", "api"}, {"instance", "a"}}, 2 * kMin, 1);
  g->Eval(1 * kMin);
  EXPECT_EQ(Alerting(*g, 1).Alerts().size(), 1u);
  g->Eval(2 * kMin);
  EXPECT_TRUE(Alerting(*g, 1).Alerts().empty());
  EXPECT_TRUE(sent_.empty());
}

TEST_F(GroupTest, KeepFiringFor) {
  auto g = Make(R"(groups:
  - name: g
    rules:
      - alert: Hot
        expr: temp > 90
        keep_firing_for: 3m
)");
  Set("temp", {}, 0, 95);
  Set("temp", {}, 1 * kMin, 50);
  g->Eval(0);  // for 0: fires at once
  EXPECT_EQ(Alerting(*g, 0).Alerts()[0].state, AlertState::kFiring);
  g->Eval(1 * kMin);
  g->Eval(3 * kMin);
  EXPECT_EQ(Alerting(*g, 0).Alerts()[0].state, AlertState::kFiring);  // kept firing
  g->Eval(4 * kMin);  // 3m since it stopped matching
  EXPECT_EQ(Alerting(*g, 0).Alerts()[0].state, AlertState::kInactive);
}

TEST_F(GroupTest, ErrorsMarkTheRuleBadAndLimitsApply) {
  auto g = Make(R"(groups:
  - name: g
    limit: 1
    rules:
      - alert: Many
        expr: up
      - record: dup
        expr: up
        labels: {instance: same}
      - alert: Tmpl
        expr: up
        annotations: {s: "{{ humanize \"x\" }}"}
)");
  Set("up", {{"instance", "a"}}, 0, 1);
  Set("up", {{"instance", "b"}}, 0, 1);
  g->Eval(0);
  auto s0 = g->rules()[0]->status();
  EXPECT_EQ(s0.health, RuleHealth::kBad);
  EXPECT_EQ(s0.last_error, "exceeded limit of 1 with 2 alerts");
  EXPECT_TRUE(Alerting(*g, 0).Alerts().empty());
  auto s1 = g->rules()[1]->status();
  EXPECT_EQ(s1.health, RuleHealth::kBad);
  EXPECT_EQ(s1.last_error,
            "vector contains metrics with the same labelset after applying rule labels");
  EXPECT_EQ(g->status().failures, 3u);  // the third exceeds the limit too
  EXPECT_EQ(g->status().evaluations, 1u);
}

TEST_F(GroupTest, TemplateErrorsBecomeTheText) {
  auto g = Make(R"(groups:
  - name: g
    rules:
      - alert: Tmpl
        expr: up
        annotations: {s: "{{ humanize \"x\" }}", ok: "v={{ $value }}"}
)");
  Set("up", {}, 0, 1);
  g->Eval(0);
  auto a = Alerting(*g, 0).Alerts();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].annotations.Get("s").substr(0, 27), "<error expanding template: ");
  EXPECT_EQ(a[0].annotations.Get("ok"), "v=1");
}

TEST_F(GroupTest, RecordingSeriesThatVanishGetAStaleMarker) {
  auto g = Make("groups: [{name: g, rules: [{record: r, expr: 'x > 0'}]}]");
  Set("x", {{"i", "1"}}, 0, 1);
  Set("x", {{"i", "1"}}, 1 * kMin, -1);
  g->Eval(0);
  EXPECT_EQ(Query("r", 0).size(), 1u);
  g->Eval(1 * kMin);
  // Without the marker r would still answer for 5 minutes of lookback.
  EXPECT_TRUE(Query("r", 2 * kMin).empty());
}

TEST_F(GroupTest, RestoreForStateKeepsProgressAndFiring) {
  constexpr std::string_view kFor = R"(groups:
  - name: g
    rules:
      - alert: Slow
        expr: latency > 1
        for: 10m
      - alert: Quick
        expr: latency > 1
        for: 1m
)";
  for (int64_t m = 0; m <= 60; ++m) Set("latency", {{"i", "a"}}, m * kMin, 2);
  {
    auto before = Make(kFor);
    for (int64_t m = 0; m <= 4; ++m) before->Eval(m * kMin);  // pending since 0, 4m in
    EXPECT_EQ(Alerting(*before, 0).Alerts()[0].state, AlertState::kPending);
  }
  // "Restart" 3 minutes later: two evaluations, then restore.
  auto after = Make(kFor, /*restored=*/false);
  after->Eval(7 * kMin);
  after->Eval(8 * kMin);
  // Not restored yet: no ALERTS written, so only the firing Quick from
  // before the restart shows (a pending Quick would be new).
  EXPECT_EQ(Query("ALERTS{alertname=\"Quick\"}", 8 * kMin),
            std::vector<std::string>{"ALERTS{alertname=\"Quick\", alertstate=\"firing\", "
                                     "i=\"a\"} => 1.000000"});
  after->RestoreForState(8 * kMin);
  auto a = Alerting(*after, 0).Alerts()[0];
  // 4m pending before going down at 4m, 4m of downtime do not count: the
  // alert now counts as active since 4m (0 + 4m of downtime).
  EXPECT_EQ(a.active_at, 4 * kMin);
  after->Eval(13 * kMin);
  EXPECT_EQ(Alerting(*after, 0).Alerts()[0].state, AlertState::kPending);  // 9m < 10m
  after->Eval(14 * kMin);
  EXPECT_EQ(Alerting(*after, 0).Alerts()[0].state, AlertState::kFiring);
  // `for` below the grace period (2m here): not restored, waits again.
  EXPECT_EQ(Alerting(*after, 1).Alerts()[0].active_at, 7 * kMin);
}

TEST_F(GroupTest, RestoreBringsBackAFiringAlertAtOnce) {
  constexpr std::string_view kFor = R"(groups:
  - name: g
    rules:
      - alert: Slow
        expr: latency > 1
        for: 5m
)";
  for (int64_t m = 0; m <= 60; ++m) Set("latency", {}, m * kMin, 2);
  {
    auto before = Make(kFor);
    for (int64_t m = 0; m <= 6; ++m) before->Eval(m * kMin);
    EXPECT_EQ(Alerting(*before, 0).Alerts()[0].state, AlertState::kFiring);
  }
  auto after = Make(kFor, /*restored=*/false);
  after->Eval(10 * kMin);
  after->Eval(11 * kMin);
  after->RestoreForState(11 * kMin);
  EXPECT_EQ(Alerting(*after, 0).Alerts()[0].active_at, 0);
  after->Eval(12 * kMin);
  EXPECT_EQ(Alerting(*after, 0).Alerts()[0].state, AlertState::kFiring);
}

TEST_F(GroupTest, RestoreLeavesAtLeastTheGracePeriod) {
  constexpr std::string_view kFor = R"(groups:
  - name: g
    rules:
      - alert: Slow
        expr: latency > 1
        for: 5m
)";
  for (int64_t m = 0; m <= 60; ++m) Set("latency", {}, m * kMin, 2);
  {
    auto before = Make(kFor);
    for (int64_t m = 0; m <= 4; ++m) before->Eval(m * kMin);  // 1m left when it went down
  }
  auto after = Make(kFor, /*restored=*/false);
  after->Eval(30 * kMin);
  after->Eval(31 * kMin);
  after->RestoreForState(31 * kMin);
  // Fires one grace period (2m) after the restore, not after 1m.
  EXPECT_EQ(Alerting(*after, 0).Alerts()[0].active_at, 31 * kMin + 2 * kMin - 5 * kMin);
}

TEST_F(GroupTest, EvalTimestampsAreAlignedSlots) {
  auto g = Make(kRules);
  const int64_t t = g->EvalTimestamp(1700000000123);
  EXPECT_LE(t, 1700000000123);
  EXPECT_GT(t, 1700000000123 - kMin);
  EXPECT_EQ(g->EvalTimestamp(t + kMin), t + kMin);
  EXPECT_EQ(g->EvalTimestamp(t + kMin - 1), t);
}

TEST_F(GroupTest, ManagerReloadKeepsStateOfUnchangedAndChangedRules) {
  ManagerOptions mo;
  mo.appendable = &db_;
  mo.queryable = &db_;
  mo.engine = &engine_;
  mo.run = false;
  Manager m(mo);
  auto load = [&](std::string_view yaml) {
    auto groups = ParseRuleFile(yaml, "t.yml");
    ASSERT_TRUE(groups.ok()) << groups.status().ToString();
    m.Apply(std::chrono::minutes(1), std::move(*groups));
  };
  const int64_t t0 = model::NowMillis() - 2 * kMin;
  Set("up", {{"instance", "a"}}, t0, 0);
  load(R"(groups:
  - {name: keep, rules: [{alert: Down, expr: up == 0, for: 5m}]}
  - {name: change, rules: [{alert: Down, expr: up == 0, for: 5m}]}
  - {name: gone, rules: [{record: gone, expr: up}]}
)");
  auto groups = m.Groups();
  ASSERT_EQ(groups.size(), 3u);
  for (auto& g : groups) g->Eval(t0);
  EXPECT_EQ(Query("gone", model::NowMillis()).size(), 1u);
  load(R"(groups:
  - {name: keep, rules: [{alert: Down, expr: up == 0, for: 5m}]}
  - {name: change, rules: [{alert: Down, expr: up == 0, for: 6m, labels: {}}]}
)");
  auto after = m.Groups();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0], groups[0]);  // unchanged: the same object
  EXPECT_NE(after[1], groups[1]);  // changed: a new group...
  ASSERT_EQ(Alerting(*after[1], 0).Alerts().size(), 1u);  // ...with the alert
  EXPECT_EQ(Alerting(*after[1], 0).Alerts()[0].active_at, t0);
  EXPECT_EQ(after[1]->rules()[0]->node().for_duration, std::chrono::minutes(6));
  // The removed group's series were ended (else 2m-old samples still show).
  EXPECT_TRUE(Query("gone", model::NowMillis() + 1).empty());
  // A file that does not load keeps the loaded set.
  const auto bad = std::filesystem::temp_directory_path() / "vigil_group_test_bad.yml";
  std::ofstream(bad) << "groups: [{name: x, rules: [{record: x, expr: 'sum('}]}]\n";
  EXPECT_FALSE(m.Update(std::chrono::minutes(1), {bad.string()}).ok());
  EXPECT_EQ(m.Groups().size(), 2u);
  std::filesystem::remove(bad);
}

TEST_F(GroupTest, ReloadWithNewExternalLabelsReplacesGroupsKeepingState) {
  ManagerOptions mo;
  mo.appendable = &db_;
  mo.queryable = &db_;
  mo.engine = &engine_;
  mo.external_labels = model::Labels::FromPairs({{"cluster", "eu1"}});
  mo.run = false;
  Manager m(mo);
  constexpr std::string_view kRules = R"(groups:
  - name: g
    rules:
      - alert: Down
        expr: up == 0
        for: 5m
        annotations: {where: "{{ $externalLabels.cluster }} {{ $externalURL }}"}
)";
  auto apply = [&] {
    auto groups = ParseRuleFile(kRules, "t.yml");
    ASSERT_TRUE(groups.ok()) << groups.status().ToString();
    m.Apply(std::chrono::minutes(1), std::move(*groups));
  };
  const int64_t t0 = model::NowMillis() - 2 * kMin;
  Set("up", {{"instance", "a"}}, t0, 0);
  apply();
  auto before = m.Groups();
  before[0]->Eval(t0);
  EXPECT_EQ(Alerting(*before[0], 0).Alerts()[0].annotations.Get("where"), "eu1 ");

  m.SetExternal(model::Labels::FromPairs({{"cluster", "us2"}}), "http://vigil:9090");
  apply();  // the same rules, new external labels: replaced, state kept
  auto after = m.Groups();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(after[0], before[0]);
  after[0]->Eval(t0 + kMin);
  ASSERT_EQ(Alerting(*after[0], 0).Alerts().size(), 1u);
  EXPECT_EQ(Alerting(*after[0], 0).Alerts()[0].active_at, t0);
  EXPECT_EQ(Alerting(*after[0], 0).Alerts()[0].annotations.Get("where"),
            "us2 http://vigil:9090");

  m.SetExternal(model::Labels::FromPairs({{"cluster", "us2"}}), "http://vigil:9090");
  apply();  // nothing changed: the group keeps running untouched
  EXPECT_EQ(m.Groups()[0], after[0]);
}


// Scores value / 100, "critical" at 1 or more; remembers the series it saw.
class FakeScorer final : public AnomalyScorer {
 public:
  explicit FakeScorer(std::vector<std::string>* seen) : seen_(seen) {}
  Result<Verdict> Score(const model::Labels& series, int64_t, double value) override {
    seen_->push_back(series.ToString());
    const double s = std::min(1.0, value / 100);
    return Verdict{.score = s, .confidence = s, .severity = s >= 1 ? "critical" : ""};
  }
  void ForgetIdle(int64_t) override {}

 private:
  std::vector<std::string>* seen_;
};

TEST_F(GroupTest, AnomalyRulesWriteScoresAndSeverities) {
  Set("latency", {{"job", "api"}}, 0, 50);
  Set("latency", {{"job", "db"}}, 0, 300);
  Set("latency", {{"job", "nan"}}, 0, std::nan(""));
  auto groups = ParseRuleFile(R"(groups:
  - name: g
    rules:
      - anomaly: lat
        expr: latency
        labels: {team: ml}
)",
                              "t.yml");
  ASSERT_TRUE(groups.ok());
  std::vector<std::string> seen;
  int built = 0;
  GroupOptions o;
  o.appendable = &db_;
  o.queryable = &db_;
  o.ctx = MakeEvalContext(&engine_, &db_, Labels(), "");
  o.anomaly_scorers = [&](const RuleNode& n) -> Result<std::unique_ptr<AnomalyScorer>> {
    EXPECT_EQ(n.detector, "ensemble");
    ++built;
    return std::unique_ptr<AnomalyScorer>(std::make_unique<FakeScorer>(&seen));
  };
  Group g(std::move((*groups)[0]), std::chrono::minutes(1), o, true);
  g.Eval(kMin);
  EXPECT_EQ(built, 1);
  EXPECT_EQ(g.rules()[0]->status().health, RuleHealth::kGood);
  // The NaN series is not scored; the others by their labels without __name__.
  EXPECT_EQ(seen, (std::vector<std::string>{"{job=\"api\"}", "{job=\"db\"}"}));
  EXPECT_EQ(Query("vigil_anomaly_score", kMin),
            (std::vector<std::string>{
                "vigil_anomaly_score{anomaly=\"lat\", job=\"api\", team=\"ml\"} => 0.500000",
                "vigil_anomaly_score{anomaly=\"lat\", job=\"db\", team=\"ml\"} => 1.000000"}));
  EXPECT_EQ(Query("vigil_anomaly", kMin),
            (std::vector<std::string>{"vigil_anomaly{anomaly=\"lat\", job=\"db\", "
                                      "severity=\"critical\", team=\"ml\"} => 1.000000"}));

  // Without a factory the rule fails each evaluation, saying why.
  auto again = ParseRuleFile("groups:\n  - name: g\n    rules:\n      - anomaly: lat\n"
                             "        expr: latency\n",
                             "t.yml");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(CheckAnomalyRules(*again, nullptr).ok());
  EXPECT_EQ(CheckAnomalyRules(*again,
                              [](const RuleNode&) -> Result<std::unique_ptr<AnomalyScorer>> {
                                return InvalidArgumentError("unknown detector \"x\"");
                              })
                .message(),
            "t.yml:4:9: group \"g\", anomaly rule \"lat\": unknown detector \"x\"");
  o.anomaly_scorers = nullptr;
  Group bare(std::move((*again)[0]), std::chrono::minutes(1), o, true);
  bare.Eval(kMin);
  EXPECT_EQ(bare.rules()[0]->status().health, RuleHealth::kBad);
}

}  // namespace
}  // namespace vigil::rules
