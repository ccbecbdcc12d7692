#include "alertmanager/silences.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace vigil::alertmanager {
namespace {

using namespace std::chrono_literals;
using model::Labels;

const TimePoint kT0 = TimePoint(std::chrono::seconds(1'700'000'000));

model::Matcher M(std::string_view name, std::string_view value,
                 model::MatchType t = model::MatchType::kEqual) {
  return *model::Matcher::Make(t, name, value);
}

Silence Make(TimePoint start, TimePoint end) {
  Silence s;
  s.matchers = {M("alertname", "GpuMemoryHigh"), M("instance", "gpu-.*", model::MatchType::kRegexMatch)};
  s.starts_at = start;
  s.ends_at = end;
  s.created_by = "oncall";
  s.comment = "driver upgrade";
  return s;
}

TEST(SilencesTest, LifecycleAndMutes) {
  auto sil = Silences::Open(nullptr);
  ASSERT_TRUE(sil.ok());
  Silences& s = **sil;
  auto id = s.Set(Make(kT0 + 1h, kT0 + 2h), kT0);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->size(), 36u);
  const Labels hit = Labels::FromPairs({{"alertname", "GpuMemoryHigh"}, {"instance", "gpu-3"}});
  const Labels miss = Labels::FromPairs({{"alertname", "GpuMemoryHigh"}, {"instance", "cpu-3"}});
  EXPECT_TRUE(s.Mutes(hit, kT0).empty());  // pending
  EXPECT_EQ(s.Mutes(hit, kT0 + 90min), std::vector<std::string>{*id});
  EXPECT_TRUE(s.Mutes(miss, kT0 + 90min).empty());
  EXPECT_TRUE(s.Mutes(hit, kT0 + 2h).empty());  // expired by itself
  EXPECT_EQ(s.Get(*id)->StateAt(kT0 + 2h), SilenceState::kExpired);
}

TEST(SilencesTest, UpdatesKeepTheIdOnlyWhenAlertmanagerWould) {
  auto sil = Silences::Open(nullptr);
  Silences& s = **sil;
  Silence a = Make(kT0, kT0 + 1h);
  std::string id = *s.Set(a, kT0);
  // Extending an active silence keeps its id.
  a.id = id;
  a.ends_at = kT0 + 2h;
  EXPECT_EQ(*s.Set(a, kT0 + 10min), id);
  EXPECT_EQ(s.Get(id)->ends_at, kT0 + 2h);
  // New matchers: the old one expires, a new one takes over.
  a.matchers = {M("alertname", "Other")};
  std::string id2 = *s.Set(a, kT0 + 20min);
  EXPECT_NE(id2, id);
  EXPECT_EQ(s.Get(id)->StateAt(kT0 + 20min), SilenceState::kExpired);
  EXPECT_EQ(s.Get(id2)->StateAt(kT0 + 20min), SilenceState::kActive);
  // Unknown ids, bad silences.
  a.id = "nope";
  EXPECT_EQ(s.Set(a, kT0).status().code(), StatusCode::kNotFound);
  Silence empty = Make(kT0, kT0 + 1h);
  empty.matchers = {M("x", ".*", model::MatchType::kRegexMatch)};
  EXPECT_EQ(s.Set(empty, kT0).status().code(), StatusCode::kInvalidArgument);
  Silence backwards = Make(kT0 + 1h, kT0);
  EXPECT_EQ(s.Set(backwards, kT0).status().code(), StatusCode::kInvalidArgument);
  // Expire, twice.
  EXPECT_TRUE(s.Expire(id2, kT0 + 30min).ok());
  EXPECT_EQ(s.Expire(id2, kT0 + 31min).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.List().size(), 2u);
  EXPECT_TRUE(s.GC(kT0 + 30min + 120h).ok());
  EXPECT_TRUE(s.List().empty());
}

TEST(SilencesTest, SurviveReopening) {
  const auto path = std::filesystem::temp_directory_path() / "vigil_silences_test.db";
  std::filesystem::remove(path);
  std::string id;
  {
    auto db = Db::Open(path.string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto s = Silences::Open(db->get());
    ASSERT_TRUE(s.ok());
    id = *(*s)->Set(Make(kT0, kT0 + 1h), kT0);
  }
  auto db = Db::Open(path.string());
  auto s = Silences::Open(db->get());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto got = (*s)->Get(id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->comment, "driver upgrade");
  EXPECT_EQ(got->matchers.size(), 2u);
  EXPECT_EQ(got->matchers[1].type(), model::MatchType::kRegexMatch);
  EXPECT_EQ(got->ends_at, kT0 + 1h);
  EXPECT_EQ((*s)->Mutes(Labels::FromPairs({{"alertname", "GpuMemoryHigh"}, {"instance", "gpu-0"}}),
                        kT0 + 1min).size(),
            1u);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace vigil::alertmanager
