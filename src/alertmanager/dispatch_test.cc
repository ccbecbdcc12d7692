#include "alertmanager/dispatch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace vigil::alertmanager {
namespace {

using namespace std::chrono_literals;
using model::Labels;

model::Matcher M(std::string_view name, std::string_view value,
                 model::MatchType t = model::MatchType::kEqual) {
  return *model::Matcher::Make(t, name, value);
}

const TimePoint kT0 = TimePoint(std::chrono::seconds(1'700'000'000));

Alert MakeAlert(Labels labels, TimePoint starts, TimePoint ends = {}) {
  Alert a;
  a.labels = std::move(labels);
  a.starts_at = starts;
  a.ends_at = ends;
  a.updated_at = starts;
  return a;
}

// Records every flush.
struct Recorder {
  struct Call {
    TimePoint now;
    std::string receiver;
    std::string group_key;
    std::vector<std::string> alerts;  // alertname:status
  };
  std::vector<Call> calls;
  bool result = true;
  NotifyFunc Func() {
    return [this](const FlushContext& ctx, const std::vector<Alert>& alerts) {
      Call c{ctx.now, ctx.receiver, ctx.group_key, {}};
      for (const auto& a : alerts) {
        c.alerts.push_back(std::string(a.labels.Get("alertname")) + ":" + a.StatusAt(ctx.now));
      }
      calls.push_back(std::move(c));
      return result;
    };
  }
};

Route Tree() {
  Route root;
  root.receiver = "default";
  root.group_by = {"alertname"};
  root.group_wait = 30s;
  root.group_interval = 5min;
  root.repeat_interval = 4h;
  Route page = root;
  page.receiver = "pager";
  page.matchers = {M("severity", "critical")};
  page.continue_matching = true;
  Route team = root;
  team.receiver = "ml-team";
  team.matchers = {M("team", "ml|vision", model::MatchType::kRegexMatch)};
  team.group_by_all = true;
  team.group_by.clear();
  Route nested = team;
  nested.receiver = "ml-gpu";
  nested.matchers = {M("component", "gpu")};
  team.routes = {nested};
  root.routes = {page, team};
  return root;
}

TEST(DispatchTest, MatchRoutesFollowsContinueAndDepth) {
  Route root = Tree();
  auto names = [&](Labels l) {
    std::vector<std::string> out;
    for (const Route* r : MatchRoutes(root, l)) out.push_back(r->receiver);
    return out;
  };
  EXPECT_EQ(names(Labels::FromPairs({{"alertname", "A"}})), std::vector<std::string>{"default"});
  EXPECT_EQ(names(Labels::FromPairs({{"severity", "critical"}, {"team", "ml"}})),
            (std::vector<std::string>{"pager", "ml-team"}));
  EXPECT_EQ(names(Labels::FromPairs({{"team", "vision"}, {"component", "gpu"}})),
            std::vector<std::string>{"ml-gpu"});
  // Regexes are anchored.
  EXPECT_EQ(names(Labels::FromPairs({{"team", "mlops"}})), std::vector<std::string>{"default"});
}

TEST(DispatchTest, RouteKeysAndGroupKeysAreAlertmanagers) {
  Route root = Tree();
  Recorder rec;
  Dispatcher d(&root, rec.Func());
  EXPECT_EQ(d.RouteKey(&root), "{}");
  EXPECT_EQ(d.RouteKey(&root.routes[0]), "{}/{severity=\"critical\"}");
  EXPECT_EQ(d.RouteKey(&root.routes[1].routes[0]), "{}/{team=~\"ml|vision\"}/{component=\"gpu\"}");
  d.Process(MakeAlert(Labels::FromPairs({{"alertname", "HighLatency"}, {"severity", "critical"}}),
                      kT0),
            kT0);
  d.RunDue(kT0 + 30s);
  ASSERT_EQ(rec.calls.size(), 1u);
  EXPECT_EQ(rec.calls[0].group_key, "{}/{severity=\"critical\"}:{alertname=\"HighLatency\"}");
}

TEST(DispatchTest, GroupWaitThenGroupInterval) {
  Route root = Tree();
  Recorder rec;
  Dispatcher d(&root, rec.Func());
  d.Process(MakeAlert(Labels::FromPairs({{"alertname", "A"}, {"i", "1"}}), kT0), kT0);
  EXPECT_EQ(d.RunDue(kT0 + 29s), kT0 + 30s);  // next due: group_wait
  EXPECT_TRUE(rec.calls.empty());
  // A second alert of the group joins the first flush.
  d.Process(MakeAlert(Labels::FromPairs({{"alertname", "A"}, {"i", "2"}}), kT0 + 10s), kT0 + 10s);
  d.RunDue(kT0 + 30s);
  ASSERT_EQ(rec.calls.size(), 1u);
  EXPECT_EQ(rec.calls[0].alerts, (std::vector<std::string>{"A:firing", "A:firing"}));
  // Nothing until group_interval has passed.
  d.Process(MakeAlert(Labels::FromPairs({{"alertname", "A"}, {"i", "3"}}), kT0 + 60s), kT0 + 60s);
  d.RunDue(kT0 + 5min + 29s);
  EXPECT_EQ(rec.calls.size(), 1u);
  d.RunDue(kT0 + 5min + 30s);
  ASSERT_EQ(rec.calls.size(), 2u);
  EXPECT_EQ(rec.calls[1].alerts.size(), 3u);
  EXPECT_EQ(rec.calls[1].now, kT0 + 5min + 30s);
}

TEST(DispatchTest, OldAlertsSkipGroupWait) {
  Route root = Tree();
  Recorder rec;
  Dispatcher d(&root, rec.Func());
  // Started a minute before it reached us: flush at once.
  d.Process(MakeAlert(Labels::FromPairs({{"alertname", "A"}}), kT0 - 60s), kT0);
  d.RunDue(kT0);
  EXPECT_EQ(rec.calls.size(), 1u);
}

TEST(DispatchTest, ResolvedAlertsLeaveAfterASuccessfulFlush) {
  Route root = Tree();
  Recorder rec;
  Dispatcher d(&root, rec.Func());
  Labels l = Labels::FromPairs({{"alertname", "A"}});
  d.Process(MakeAlert(l, kT0), kT0);
  d.RunDue(kT0 + 30s);
  Alert resolved = MakeAlert(l, kT0, kT0 + 60s);
  resolved.updated_at = kT0 + 60s;
  d.Process(resolved, kT0 + 60s);
  // Fails first: the resolved alert stays for the next flush.
  rec.result = false;
  d.RunDue(kT0 + 5min + 30s);
  ASSERT_EQ(rec.calls.size(), 2u);
  EXPECT_EQ(rec.calls[1].alerts, std::vector<std::string>{"A:resolved"});
  rec.result = true;
  d.RunDue(kT0 + 10min + 30s);
  ASSERT_EQ(rec.calls.size(), 3u);
  d.RunDue(kT0 + 15min + 30s);  // empty now: no further flush
  EXPECT_EQ(rec.calls.size(), 3u);
  EXPECT_TRUE(d.Groups().empty());
  // Maintenance drops the empty group; a new alert starts a new group_wait.
  d.RunDue(kT0 + 16min);
  EXPECT_EQ(d.num_groups(), 0u);
  d.Process(MakeAlert(l, kT0 + 17min), kT0 + 17min);
  d.RunDue(kT0 + 17min + 29s);
  EXPECT_EQ(rec.calls.size(), 3u);
  d.RunDue(kT0 + 17min + 30s);
  EXPECT_EQ(rec.calls.size(), 4u);
}

TEST(DispatchTest, EndsAtDecidesTheStatusAtTheFlush) {
  Route root = Tree();
  Recorder rec;
  Dispatcher d(&root, rec.Func());
  // An ends_at that has passed by the flush resolves the alert (its
  // sender stopped renewing it); one still ahead is sent as firing.
  Alert a = MakeAlert(Labels::FromPairs({{"alertname", "A"}}), kT0, kT0 + 10s);
  d.Process(a, kT0);
  d.RunDue(kT0 + 30s);
  ASSERT_EQ(rec.calls.size(), 1u);
  EXPECT_EQ(rec.calls[0].alerts, std::vector<std::string>{"A:resolved"});
  Alert b = MakeAlert(Labels::FromPairs({{"alertname", "B"}}), kT0, kT0 + 1h);
  d.Process(b, kT0);
  d.RunDue(kT0 + 60s);
  ASSERT_EQ(rec.calls.size(), 2u);
  EXPECT_EQ(rec.calls[1].alerts, std::vector<std::string>{"B:firing"});
}

TEST(DispatchTest, AlertOrderIsAlertmanagers) {
  auto a = [](std::initializer_list<std::pair<std::string_view, std::string_view>> l) {
    return MakeAlert(Labels::FromPairs(l), kT0);
  };
  // job first, then instance, alerts having them first; then fewer labels.
  EXPECT_TRUE(AlertBefore(a({{"job", "a"}}), a({{"job", "b"}})));
  EXPECT_TRUE(AlertBefore(a({{"job", "a"}, {"x", "1"}}), a({{"x", "0"}})));
  EXPECT_TRUE(AlertBefore(a({{"instance", "1"}}), a({{"instance", "2"}})));
  EXPECT_TRUE(AlertBefore(a({{"z", "1"}}), a({{"a", "1"}, {"b", "1"}})));
  EXPECT_TRUE(AlertBefore(a({{"a", "1"}, {"c", "1"}}), a({{"a", "1"}, {"b", "1"}})));
  EXPECT_FALSE(AlertBefore(a({{"a", "1"}}), a({{"a", "1"}})));
}

TEST(DispatchTest, ManyGroupsOnOneExecutor) {
  Route root = Tree();
  Recorder rec;
  std::vector<std::function<void()>> queued;
  Dispatcher d(&root, rec.Func(), [&](std::function<void()> f) { queued.push_back(std::move(f)); });
  for (int g = 0; g < 50; ++g) {
    for (int i = 0; i < 20; ++i) {
      d.Process(MakeAlert(Labels::FromPairs({{"alertname", "A" + std::to_string(g)},
                                             {"i", std::to_string(i)}}),
                          kT0),
                kT0);
    }
  }
  EXPECT_EQ(d.num_groups(), 50u);
  d.RunDue(kT0 + 30s);
  EXPECT_EQ(queued.size(), 50u);
  // A group whose flush is still running is not flushed again.
  d.RunDue(kT0 + 6min);
  EXPECT_EQ(queued.size(), 50u);
  for (auto& f : queued) f();
  ASSERT_EQ(rec.calls.size(), 50u);
  for (const auto& c : rec.calls) EXPECT_EQ(c.alerts.size(), 20u);
}

}  // namespace
}  // namespace vigil::alertmanager
