#include "alertmanager/manager.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace vigil::alertmanager {
namespace {

using namespace std::chrono_literals;
using model::Labels;

const TimePoint kT0 = TimePoint(std::chrono::seconds(1'700'000'000));

// Counts deliveries per receiver, across managers (restarts).
struct Deliveries {
  std::mutex mu;
  std::vector<std::string> sent;  // "receiver:status:n"
};

class CountingNotifier : public Notifier {
 public:
  CountingNotifier(std::string receiver, Deliveries* d) : receiver_(std::move(receiver)), d_(d) {}
  std::string_view integration() const override { return "webhook"; }
  bool send_resolved() const override { return true; }
  Status Notify(const NotifyContext&, const NotificationData& data) override {
    std::lock_guard lock(d_->mu);
    d_->sent.push_back(receiver_ + ":" + data.status + ":" + std::to_string(data.alerts.size()));
    return Status::OK();
  }

 private:
  std::string receiver_;
  Deliveries* d_;
};

Config TestConfig() {
  Config c;
  c.global.resolve_timeout = 5min;
  c.route.receiver = "default";
  c.route.group_by = {"alertname"};
  Route page;
  page.receiver = "pager";
  page.group_by = {"alertname"};
  page.matchers = {*model::Matcher::Make(model::MatchType::kEqual, "severity", "critical")};
  c.route.routes = {page};
  c.receivers = {{.name = "default"}, {.name = "pager"}};
  return c;
}

class ManagerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Manager> Make(const std::string& dir = "", TimePoint now = kT0) {
    ManagerOptions o;
    o.clock = [now] { return now; };
    o.data_dir = dir;
    o.run = false;
    o.log = [](std::string_view) {};
    o.build_receivers = [this](const Config& c) -> Result<ReceiverMap> {
      ReceiverMap m;
      for (const auto& r : c.receivers) {
        m[r.name].push_back(std::make_unique<CountingNotifier>(r.name, &deliveries_));
      }
      return m;
    };
    auto m = Manager::Create(std::move(o), TestConfig());
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return std::move(*m);
  }
  static Alert A(std::string name, std::string severity = "warning") {
    Alert a;
    a.labels = Labels::FromPairs({{"alertname", name}, {"severity", severity}});
    a.annotations = Labels::FromPairs({{"summary", name + " happened"}});
    return a;
  }
  Deliveries deliveries_;
};

TEST_F(ManagerTest, PutAlertsAppliesDefaultsAndValidates) {
  auto m = Make();
  ASSERT_TRUE(m->PutAlerts({A("X")}, kT0).ok());
  auto all = m->Alerts(kT0);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].alert.starts_at, kT0);
  EXPECT_EQ(all[0].alert.ends_at, kT0 + 5min);  // resolve_timeout
  EXPECT_TRUE(all[0].alert.timeout);
  EXPECT_EQ(all[0].state, "active");
  EXPECT_EQ(all[0].receivers, std::vector<std::string>{"default"});
  EXPECT_TRUE(m->Alerts(kT0 + 5min).empty());  // timed out

  Alert empty;
  Alert backwards = A("Y");
  backwards.starts_at = kT0;
  backwards.ends_at = kT0 - 1s;
  Status s = m->PutAlerts({empty, backwards, A("Z")}, kT0);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("at least one label pair required"), std::string_view::npos);
  EXPECT_NE(s.message().find("start time must be before end time"), std::string_view::npos);
  EXPECT_EQ(m->Alerts(kT0).size(), 2u);  // X and the valid Z
}

TEST_F(ManagerTest, RoutesGroupsNotifiesAndRecordsHistory) {
  auto m = Make();
  ASSERT_TRUE(m->PutAlerts({A("Down", "critical"), A("Slow")}, kT0).ok());
  m->RunDue(kT0 + 30s);
  {
    std::lock_guard lock(deliveries_.mu);
    std::sort(deliveries_.sent.begin(), deliveries_.sent.end());
    EXPECT_EQ(deliveries_.sent, (std::vector<std::string>{"default:firing:1", "pager:firing:1"}));
  }
  ASSERT_EQ(m->Groups().size(), 2u);
  Alert resolved = A("Down", "critical");
  resolved.starts_at = kT0;
  resolved.ends_at = kT0 + 1min;
  ASSERT_TRUE(m->PutAlerts({resolved}, kT0 + 1min).ok());
  m->RunDue(kT0 + 5min + 30s);
  {
    // Down was resolved explicitly; Slow timed out (resolve_timeout 5m).
    std::lock_guard lock(deliveries_.mu);
    ASSERT_EQ(deliveries_.sent.size(), 4u);
    std::vector<std::string> second(deliveries_.sent.begin() + 2, deliveries_.sent.end());
    std::sort(second.begin(), second.end());
    EXPECT_EQ(second, (std::vector<std::string>{"default:resolved:1", "pager:resolved:1"}));
  }
  auto events = m->history().Query({.alertname = "Down"});
  ASSERT_TRUE(events.ok());
  std::vector<std::string> kinds;
  for (const auto& e : *events) kinds.push_back(e.event);
  EXPECT_EQ(kinds, (std::vector<std::string>{"notified", "resolved", "notified", "fired"}));
}

TEST_F(ManagerTest, SilencedAlertsAreSuppressedAndNotSent) {
  auto m = Make();
  Silence s;
  s.matchers = {*model::Matcher::Make(model::MatchType::kEqual, "alertname", "Noisy")};
  s.starts_at = kT0;
  s.ends_at = kT0 + 1h;
  auto id = m->silences().Set(s, kT0);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(m->PutAlerts({A("Noisy")}, kT0).ok());
  auto all = m->Alerts(kT0);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].state, "suppressed");
  EXPECT_EQ(all[0].silenced_by, std::vector<std::string>{*id});
  m->RunDue(kT0 + 30s);
  EXPECT_TRUE(deliveries_.sent.empty());
}

TEST_F(ManagerTest, ReloadKeepsAlertsAndDoesNotResend) {
  auto m = Make();
  ASSERT_TRUE(m->PutAlerts({A("X")}, kT0).ok());
  m->RunDue(kT0 + 30s);
  ASSERT_EQ(deliveries_.sent.size(), 1u);
  ASSERT_TRUE(m->ApplyConfig(TestConfig(), kT0 + 1min).ok());
  EXPECT_EQ(m->Alerts(kT0 + 1min).size(), 1u);
  // The new groups flush, but the notification log knows the receiver
  // heard of X already.
  m->RunDue(kT0 + 2min);
  EXPECT_EQ(deliveries_.sent.size(), 1u);
}

TEST_F(ManagerTest, RestartNeitherResendsNorForgets) {
  const auto dir = std::filesystem::temp_directory_path() / "vigil_am_manager_test";
  std::filesystem::remove_all(dir);
  std::string silence_id;
  {
    auto m = Make(dir.string());
    ASSERT_TRUE(m->PutAlerts({A("X")}, kT0).ok());
    m->RunDue(kT0 + 30s);
    Silence s;
    s.matchers = {*model::Matcher::Make(model::MatchType::kEqual, "alertname", "Y")};
    s.starts_at = kT0;
    s.ends_at = kT0 + 1h;
    silence_id = *m->silences().Set(s, kT0);
  }
  ASSERT_EQ(deliveries_.sent.size(), 1u);
  auto m = Make(dir.string());
  // Prometheus re-sends the firing alert to the restarted alert manager.
  ASSERT_TRUE(m->PutAlerts({A("X")}, kT0 + 1min).ok());
  m->RunDue(kT0 + 2min);
  EXPECT_EQ(deliveries_.sent.size(), 1u);  // not again
  EXPECT_TRUE(m->silences().Get(silence_id).ok());
  EXPECT_EQ(m->history().Query({.event = "notified"})->size(), 1u);
  // After repeat_interval it is sent again, as Alertmanager would.
  ASSERT_TRUE(m->PutAlerts({A("X")}, kT0 + 4h + 9min).ok());
  m->RunDue(kT0 + 4h + 10min);
  EXPECT_EQ(deliveries_.sent.size(), 2u);
  m.reset();
  std::filesystem::remove_all(dir);
}

TEST_F(ManagerTest, ResolvedAlertsOutliveMaintenanceUntilTheirGroupsFlushed) {
  auto m = Make();
  Alert x = A("X");
  x.starts_at = kT0;
  x.ends_at = kT0 + 1h;
  ASSERT_TRUE(m->PutAlerts({x}, kT0).ok());
  m->RunDue(kT0 + 30s);
  ASSERT_EQ(deliveries_.sent.size(), 1u);
  x.ends_at = kT0 + 1min;
  ASSERT_TRUE(m->PutAlerts({x}, kT0 + 1min).ok());
  // Maintenance runs, then a reload rebuilds the groups from the store
  // before the old group flushed the resolution.
  m->Maintain(kT0 + 2min);
  ASSERT_TRUE(m->ApplyConfig(TestConfig(), kT0 + 2min).ok());
  m->RunDue(kT0 + 3min);
  ASSERT_EQ(deliveries_.sent.size(), 2u);
  EXPECT_EQ(deliveries_.sent[1], "default:resolved:1");
  // Long after, maintenance drops it.
  m->Maintain(kT0 + 2h);
  EXPECT_TRUE(m->Alerts(kT0 + 2h).empty());
}

TEST_F(ManagerTest, AcknowledgedAlertsSurviveACrashAndResolveAfterIt) {
  const auto dir = std::filesystem::temp_directory_path() / "vigil_am_manager_crash_test";
  std::filesystem::remove_all(dir);
  // One group (group_by alertname), two alerts.
  Alert x = A("X");
  x.labels = Labels::FromPairs({{"alertname", "X"}, {"instance", "a"}, {"severity", "warning"}});
  Alert y = A("X");
  y.labels = Labels::FromPairs({{"alertname", "X"}, {"instance", "b"}, {"severity", "warning"}});
  x.starts_at = kT0;
  x.ends_at = kT0 + 4min;
  y.starts_at = kT0;
  y.ends_at = kT0 + 1h;  // as Prometheus sets it: valid well past the test
  {
    auto m = Make(dir.string());
    ASSERT_TRUE(m->PutAlerts({x, y}, kT0).ok());
    m->RunDue(kT0 + 30s);  // both notified firing
    // The resolution arrives and is acknowledged; then the process dies
    // before the group's next flush.
    x.ends_at = kT0 + 1min;
    ASSERT_TRUE(m->PutAlerts({x}, kT0 + 1min).ok());
  }
  ASSERT_EQ(deliveries_.sent.size(), 1u);
  EXPECT_EQ(deliveries_.sent[0], "default:firing:2");
  auto m = Make(dir.string(), kT0 + 2min);
  // Nobody re-sends anything, yet vigil still knows both alerts...
  auto all = m->Alerts(kT0 + 2min);
  ASSERT_EQ(all.size(), 1u);  // y fires, x has resolved
  EXPECT_EQ(all[0].alert.labels.Get("instance"), "b");
  EXPECT_EQ(all[0].alert.annotations.Get("summary"), "X happened");
  // ...and tells the receiver that X resolved (in the group's next flush,
  // group_interval after the restart: the notification log still has the
  // group as notified).
  m->RunDue(kT0 + 2min);
  m->RunDue(kT0 + 7min);
  ASSERT_EQ(deliveries_.sent.size(), 2u) << ::testing::PrintToString(deliveries_.sent);
  EXPECT_EQ(deliveries_.sent[1], "default:firing:2");  // y firing, x resolved: one message
  auto resolved = m->history().Query({.event = "resolved"});
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->size(), 1u);
  m.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil::alertmanager
