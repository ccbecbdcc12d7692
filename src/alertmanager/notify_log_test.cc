#include "alertmanager/notify_log.h"

#include <gtest/gtest.h>

#include <mutex>

#include "alertmanager/notify_test_util.h"

namespace vigil::alertmanager {
namespace {

using testing::Ctx;
using testing::TwoFiring;

TEST(LogNotifierTest, OneLinePerNotification) {
  std::mutex mu;
  std::vector<std::string> lines;
  LogConfig c;
  Result<std::unique_ptr<Notifier>> n =
      NewLogNotifier(c, std::make_shared<const Templates>(Templates::Default()), "team-ml",
                     [&](std::string_view l) {
                       std::lock_guard<std::mutex> lock(mu);
                       lines.emplace_back(l);
                     });
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ((*n)->integration(), "log");
  EXPECT_TRUE((*n)->send_resolved());
  ASSERT_TRUE((*n)->Notify(Ctx(), TwoFiring()).ok());
  ASSERT_TRUE((*n)->Notify(Ctx(), testing::AllResolved()).ok());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            R"(ts=2024-01-02T03:05:00Z level=info integration=log receiver=team-ml status=firing )"
            R"(group_key="{}:{alertname=\"HighErrorRate\"}" alerts=2 firing=2 resolved=0 )"
            R"x(alertnames=HighErrorRate msg="[FIRING:2] HighErrorRate (critical)")x");
  EXPECT_NE(lines[1].find(" status=resolved "), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find(" firing=0 resolved=2 "), std::string::npos) << lines[1];
}

TEST(LogNotifierTest, CustomTextAndLevel) {
  LogConfig c;
  c.level = "warn";
  c.text = "{{ range .Alerts }}{{ .Labels.instance }};{{ end }}";
  Result<std::string> line = FormatLogLine(c, Templates::Default(), "a b", Ctx(), TwoFiring());
  ASSERT_TRUE(line.ok());
  EXPECT_NE(line->find(" level=warn "), std::string::npos) << *line;
  EXPECT_NE(line->find(R"( receiver="a b" )"), std::string::npos) << *line;
  EXPECT_NE(line->find(" msg=a:9090;b:9090;"), std::string::npos) << *line;

  c.text = "{{ .Missing.Field }}";
  EXPECT_EQ(FormatLogLine(c, Templates::Default(), "r", Ctx(), TwoFiring()).status().code(),
            StatusCode::kInvalidArgument);
  c.level = "verbose";
  EXPECT_EQ(NewLogNotifier(c, nullptr, "r", nullptr).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::alertmanager
