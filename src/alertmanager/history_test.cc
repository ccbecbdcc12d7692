#include "alertmanager/history.h"

#include <gtest/gtest.h>

namespace vigil::alertmanager {
namespace {

using namespace std::chrono_literals;
const TimePoint kT0 = TimePoint(std::chrono::seconds(1'700'000'000));

TEST(HistoryTest, RecordQueryFilterAndExpire) {
  auto db = Db::Open(":memory:");
  ASSERT_TRUE(db.ok());
  auto h = History::Open(db->get(), 24h);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  const auto a = model::Labels::FromPairs({{"alertname", "HighErrorRate"}, {"model", "v1"}});
  const auto b = model::Labels::FromPairs({{"alertname", "GpuHot"}, {"gpu", "0"}});
  ASSERT_TRUE((*h)->Record({{kT0, "fired", Fingerprint(a), a, "", ""},
                            {kT0 + 1min, "notified", Fingerprint(a), a, "team/webhook/0", "firing"},
                            {kT0 + 2min, "fired", Fingerprint(b), b, "", ""},
                            {kT0 + 3min, "resolved", Fingerprint(a), a, "", ""}})
                  .ok());
  auto all = (*h)->Query({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].event, "resolved");  // newest first
  EXPECT_EQ((*all)[0].labels.Get("model"), "v1");
  auto fired = (*h)->Query({.event = "fired"});
  EXPECT_EQ(fired->size(), 2u);
  auto of_a = (*h)->Query({.alertname = "HighErrorRate"});
  EXPECT_EQ(of_a->size(), 3u);
  auto by_fp = (*h)->Query({.fingerprint = FingerprintString(Fingerprint(b))});
  ASSERT_EQ(by_fp->size(), 1u);
  EXPECT_EQ((*by_fp)[0].fingerprint, Fingerprint(b));
  auto window = (*h)->Query({.since = kT0 + 1min, .until = kT0 + 2min});
  EXPECT_EQ(window->size(), 2u);
  auto limited = (*h)->Query({.limit = 1});
  EXPECT_EQ(limited->size(), 1u);
  ASSERT_TRUE((*h)->GC(kT0 + 24h + 90s).ok());
  EXPECT_EQ((*h)->Query({})->size(), 2u);
}

}  // namespace
}  // namespace vigil::alertmanager
