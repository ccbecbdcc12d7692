#include "alertmanager/nflog.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace vigil::alertmanager {
namespace {

using namespace std::chrono_literals;
const TimePoint kT0 = TimePoint(std::chrono::seconds(1'700'000'000));

TEST(NflogTest, LogQueryPersistAndExpire) {
  const auto path = std::filesystem::temp_directory_path() / "vigil_nflog_test.db";
  std::filesystem::remove(path);
  const std::string rk = ReceiverKey("team", "webhook", 0);
  EXPECT_EQ(rk, "team/webhook/0");
  {
    auto db = Db::Open(path.string());
    auto log = NotificationLog::Open(db->get());
    ASSERT_TRUE(log.ok());
    EXPECT_FALSE((*log)->Query("{}:{a=\"b\"}", rk).has_value());
    ASSERT_TRUE((*log)->Log("{}:{a=\"b\"}", rk, {3, 1}, {2}, kT0).ok());
  }
  auto db = Db::Open(path.string());
  auto log = NotificationLog::Open(db->get());
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  auto e = (*log)->Query("{}:{a=\"b\"}", rk);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->firing, (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(e->resolved, std::vector<uint64_t>{2});
  EXPECT_EQ(e->timestamp, kT0);
  ASSERT_TRUE((*log)->GC(kT0 + 119h).ok());
  EXPECT_EQ((*log)->size(), 1u);
  ASSERT_TRUE((*log)->GC(kT0 + 120h).ok());
  EXPECT_EQ((*log)->size(), 0u);
  auto again = NotificationLog::Open(db->get());
  EXPECT_EQ((*again)->size(), 0u);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace vigil::alertmanager
