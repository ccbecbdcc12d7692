#include "alertmanager/pipeline.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "vigil/metrics/registry.h"

namespace vigil::alertmanager {
namespace {

using namespace std::chrono_literals;
using model::Labels;

const TimePoint kT0 = TimePoint(std::chrono::seconds(1'700'000'000));

model::Matcher M(std::string_view name, std::string_view value) {
  return *model::Matcher::Make(model::MatchType::kEqual, name, value);
}

// An integration that records what it was asked to send and fails on
// demand.
class FakeNotifier : public Notifier {
 public:
  explicit FakeNotifier(bool send_resolved) : send_resolved_(send_resolved) {}
  std::string_view integration() const override { return "webhook"; }
  bool send_resolved() const override { return send_resolved_; }
  Status Notify(const NotifyContext&, const NotificationData& d) override {
    ++attempts;
    if (fail_times > 0) {
      --fail_times;
      return fail_status;
    }
    std::vector<std::string> s;
    for (const auto& a : d.alerts) s.push_back(std::string(a.labels.Get("i")) + ":" + a.status);
    sent.push_back(s);
    statuses.push_back(d.status);
    return Status::OK();
  }
  std::vector<std::vector<std::string>> sent;
  std::vector<std::string> statuses;
  int attempts = 0;
  int fail_times = 0;
  Status fail_status = UnavailableError("connection refused");

 private:
  bool send_resolved_;
};

class PipelineTest : public ::testing::Test {
 protected:
  void Build(bool send_resolved, std::vector<InhibitRule> rules = {}) {
    route_.receiver = "team";
    route_.group_interval = 5min;
    route_.repeat_interval = 4h;
    db_ = Db::Open(":memory:").value();
    nflog_ = NotificationLog::Open(db_.get()).value();
    silences_ = Silences::Open(db_.get()).value();
    history_ = History::Open(db_.get()).value();
    inhibitor_ = std::make_unique<Inhibitor>(std::move(rules));
    auto n = std::make_unique<FakeNotifier>(send_resolved);
    fake_ = n.get();
    ReceiverMap rm;
    rm["team"].push_back(std::move(n));
    PipelineOptions o;
    o.inhibitor = inhibitor_.get();
    o.silences = silences_.get();
    o.nflog = nflog_.get();
    o.history = history_.get();
    o.metrics = NotificationMetrics::Create(&registry_);
    o.retry.initial = 1ms;
    o.retry.max = 2ms;
    o.retry.min_budget = 2s;
    o.log = [](std::string_view) {};
    pipeline_ = std::make_unique<Pipeline>(std::move(o), std::move(rm));
  }
  Alert A(std::string i, TimePoint ends = {}) {
    Alert a;
    a.labels = Labels::FromPairs({{"alertname", "X"}, {"i", i}});
    a.starts_at = kT0;
    a.ends_at = ends;
    return a;
  }
  bool Flush(TimePoint now, std::vector<Alert> alerts) {
    FlushContext ctx{.now = now, .route = &route_, .receiver = "team",
                     .group_key = "{}:{alertname=\"X\"}",
                     .group_labels = Labels::FromPairs({{"alertname", "X"}})};
    return pipeline_->Notify(ctx, alerts);
  }

  Route route_;
  metrics::Registry registry_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<NotificationLog> nflog_;
  std::unique_ptr<Silences> silences_;
  std::unique_ptr<History> history_;
  std::unique_ptr<Inhibitor> inhibitor_;
  std::unique_ptr<Pipeline> pipeline_;
  FakeNotifier* fake_ = nullptr;
};

TEST_F(PipelineTest, DedupSendsOnlyChangesAndRepeats) {
  Build(/*send_resolved=*/true);
  EXPECT_TRUE(Flush(kT0, {A("1")}));
  EXPECT_TRUE(Flush(kT0 + 5min, {A("1")}));  // nothing new: nothing sent
  EXPECT_EQ(fake_->sent.size(), 1u);
  EXPECT_TRUE(Flush(kT0 + 10min, {A("1"), A("2")}));  // a new firing alert
  ASSERT_EQ(fake_->sent.size(), 2u);
  EXPECT_EQ(fake_->sent[1], (std::vector<std::string>{"1:firing", "2:firing"}));
  EXPECT_TRUE(Flush(kT0 + 15min, {A("1"), A("2", kT0 + 12min)}));  // one resolved
  ASSERT_EQ(fake_->sent.size(), 3u);
  EXPECT_EQ(fake_->sent[2], (std::vector<std::string>{"1:firing", "2:resolved"}));
  EXPECT_EQ(fake_->statuses[2], "firing");
  EXPECT_TRUE(Flush(kT0 + 20min, {A("1")}));
  EXPECT_EQ(fake_->sent.size(), 3u);
  // repeat_interval after the last notification: again.
  EXPECT_TRUE(Flush(kT0 + 15min + 4h + 1s, {A("1")}));
  EXPECT_EQ(fake_->sent.size(), 4u);
  EXPECT_TRUE(Flush(kT0 + 5h, {A("1", kT0 + 5h - 1s)}));  // all resolved
  ASSERT_EQ(fake_->sent.size(), 5u);
  EXPECT_EQ(fake_->statuses[4], "resolved");
  EXPECT_TRUE(Flush(kT0 + 5h + 5min, {A("1", kT0 + 5h - 1s)}));
  EXPECT_EQ(fake_->sent.size(), 5u);  // once
}

TEST_F(PipelineTest, WithoutSendResolvedResolvedAlertsAreLeftOut) {
  Build(/*send_resolved=*/false);
  EXPECT_TRUE(Flush(kT0, {A("1"), A("2")}));
  EXPECT_TRUE(Flush(kT0 + 5min, {A("1"), A("2", kT0 + 4min)}));
  EXPECT_EQ(fake_->sent.size(), 1u);  // only a resolution: not sent
  EXPECT_TRUE(Flush(kT0 + 10min, {A("1", kT0 + 9min), A("2", kT0 + 4min)}));
  EXPECT_EQ(fake_->sent.size(), 1u);  // all resolved: logged, not sent
  EXPECT_TRUE(Flush(kT0 + 15min, {A("3")}));
  ASSERT_EQ(fake_->sent.size(), 2u);
  EXPECT_EQ(fake_->sent[1], std::vector<std::string>{"3:firing"});
}

TEST_F(PipelineTest, RetriesRetryableErrorsOnly) {
  Build(true);
  fake_->fail_times = 3;
  EXPECT_TRUE(Flush(kT0, {A("1")}));
  EXPECT_EQ(fake_->attempts, 4);
  EXPECT_EQ(fake_->sent.size(), 1u);
  fake_->fail_times = 1;
  fake_->fail_status = InvalidArgumentError("400 Bad Request");
  EXPECT_FALSE(Flush(kT0 + 5min, {A("1"), A("2")}));
  EXPECT_EQ(fake_->attempts, 5);  // not retried
  // Not logged as sent: the next flush tries again.
  EXPECT_TRUE(Flush(kT0 + 10min, {A("1"), A("2")}));
  EXPECT_EQ(fake_->sent.size(), 2u);
  auto snap = registry_.Snapshot();
  double total = 0, failed = 0;
  for (const auto& f : snap) {
    for (const auto& s : f.metrics) {
      if (f.name == "vigil_notifications_total") total += s.value;
      if (f.name == "vigil_notifications_failed_total") failed += s.value;
    }
  }
  EXPECT_EQ(total, 6);
  EXPECT_EQ(failed, 4);
  auto failed_events = history_->Query({.event = "failed"});
  EXPECT_EQ(failed_events->size(), 2u);
}

TEST_F(PipelineTest, GivesUpWhenTheBudgetRunsOut) {
  Build(true);
  route_.group_interval = 1s;  // the budget: max(group_interval, min_budget 2s)
  fake_->fail_times = 1'000'000;
  EXPECT_FALSE(Flush(kT0, {A("1")}));
  EXPECT_GT(fake_->attempts, 3);
  EXPECT_EQ(history_->Query({.event = "failed"})->size(), 1u);
}

TEST_F(PipelineTest, SilencedAndInhibitedAlertsAreLeftOutAndRecordedOnce) {
  Build(true, {InhibitRule{{M("severity", "critical")}, {M("i", "2")}, {}}});
  Silence s;
  s.matchers = {M("i", "1")};
  s.starts_at = kT0;
  s.ends_at = kT0 + 1h;
  ASSERT_TRUE(silences_->Set(s, kT0).ok());
  Alert crit;
  crit.labels = Labels::FromPairs({{"alertname", "Down"}, {"severity", "critical"}});
  crit.starts_at = kT0;
  inhibitor_->Observe(crit);
  EXPECT_TRUE(Flush(kT0 + 1min, {A("1"), A("2"), A("3")}));
  ASSERT_EQ(fake_->sent.size(), 1u);
  EXPECT_EQ(fake_->sent[0], std::vector<std::string>{"3:firing"});
  EXPECT_TRUE(Flush(kT0 + 6min, {A("1"), A("2"), A("3")}));
  EXPECT_EQ(history_->Query({.event = "silenced"})->size(), 1u);
  EXPECT_EQ(history_->Query({.event = "inhibited"})->size(), 1u);
  // The silence ends: alert 1 is new to the receiver.
  EXPECT_TRUE(Flush(kT0 + 61min, {A("1"), A("2"), A("3")}));
  ASSERT_EQ(fake_->sent.size(), 2u);
  EXPECT_EQ(fake_->sent[1], (std::vector<std::string>{"1:firing", "3:firing"}));
}

TEST_F(PipelineTest, MuteAndActiveTimeIntervals) {
  Build(true);
  // Rebuild with a mute interval covering kT0's hour.
  const auto tt = Clock::to_time_t(kT0);
  std::tm utc{};
  gmtime_r(&tt, &utc);
  TimeInterval ti;
  ti.times = {{utc.tm_hour * 60, utc.tm_hour * 60 + 60}};
  PipelineOptions o;
  o.nflog = nflog_.get();
  o.time_intervals["maintenance"] = {ti};
  auto n = std::make_unique<FakeNotifier>(true);
  FakeNotifier* fake = n.get();
  ReceiverMap rm;
  rm["team"].push_back(std::move(n));
  Pipeline p(std::move(o), std::move(rm));
  route_.mute_time_intervals = {"maintenance"};
  FlushContext ctx{.now = kT0, .route = &route_, .receiver = "team", .group_key = "g",
                   .group_labels = {}};
  EXPECT_TRUE(p.Notify(ctx, {A("1")}));
  EXPECT_TRUE(fake->sent.empty());
  ctx.now = kT0 + 2h;
  EXPECT_TRUE(p.Notify(ctx, {A("1")}));
  EXPECT_EQ(fake->sent.size(), 1u);
  route_.mute_time_intervals.clear();
  route_.active_time_intervals = {"maintenance"};
  ctx.group_key = "g2";
  EXPECT_TRUE(p.Notify(ctx, {A("1")}));  // outside the active interval
  EXPECT_EQ(fake->sent.size(), 1u);
  ctx.now = kT0;
  EXPECT_TRUE(p.Notify(ctx, {A("1")}));
  EXPECT_EQ(fake->sent.size(), 2u);
}

}  // namespace
}  // namespace vigil::alertmanager
