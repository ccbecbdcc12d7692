#include "alertmanager/inhibit.h"

#include <gtest/gtest.h>

namespace vigil::alertmanager {
namespace {

using namespace std::chrono_literals;
using model::Labels;

const TimePoint kT0 = TimePoint(std::chrono::seconds(1'700'000'000));

model::Matcher M(std::string_view name, std::string_view value) {
  return *model::Matcher::Make(model::MatchType::kEqual, name, value);
}

Alert A(Labels l, TimePoint ends = {}) {
  Alert a;
  a.labels = std::move(l);
  a.starts_at = kT0;
  a.ends_at = ends;
  return a;
}

TEST(InhibitTest, CriticalInhibitsWarningWithEqualLabels) {
  Inhibitor ih({InhibitRule{{M("severity", "critical")}, {M("severity", "warning")}, {"model"}}});
  const Labels warn_v1 = Labels::FromPairs({{"alertname", "Slow"}, {"severity", "warning"}, {"model", "v1"}});
  const Labels warn_v2 = Labels::FromPairs({{"alertname", "Slow"}, {"severity", "warning"}, {"model", "v2"}});
  EXPECT_FALSE(ih.Mutes(warn_v1, kT0).has_value());
  Alert crit = A(Labels::FromPairs({{"alertname", "Down"}, {"severity", "critical"}, {"model", "v1"}}),
                 kT0 + 10min);
  ih.Observe(crit);
  ASSERT_TRUE(ih.Mutes(warn_v1, kT0).has_value());
  EXPECT_EQ(*ih.Mutes(warn_v1, kT0), crit.fingerprint());
  EXPECT_FALSE(ih.Mutes(warn_v2, kT0).has_value());  // model differs
  EXPECT_FALSE(ih.Mutes(warn_v1, kT0 + 10min).has_value());  // source resolved
  ih.GC(kT0 + 10min);
  EXPECT_FALSE(ih.Mutes(warn_v1, kT0).has_value());
}

TEST(InhibitTest, AnAlertMatchingBothSidesDoesNotInhibitItsKind) {
  // source: team=ml; target: team=ml — alerts matching both never inhibit
  // each other, but one matching only the source side does.
  Inhibitor ih({InhibitRule{{M("team", "ml")}, {M("team", "ml")}, {}}});
  Alert a = A(Labels::FromPairs({{"alertname", "A"}, {"team", "ml"}}));
  ih.Observe(a);
  EXPECT_FALSE(ih.Mutes(a.labels, kT0).has_value());
  EXPECT_FALSE(ih.Mutes(Labels::FromPairs({{"alertname", "B"}, {"team", "ml"}}), kT0).has_value());
}

}  // namespace
}  // namespace vigil::alertmanager
