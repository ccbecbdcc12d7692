#include "remote/progress.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/test_util.h"

namespace vigil::remote {
namespace {

TEST(ProgressTest, RoundTripsAndIsChecked) {
  vigil::testing::TempDir tmp;
  const std::string path = tmp.path() + "/q.progress";
  Result<std::optional<Progress>> none = ReadProgress(path);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  const Progress p{{12, 83886080}, 0x0000a1b200c3d4e5};
  ASSERT_TRUE(WriteProgress(path, p).ok());
  Result<std::optional<Progress>> back = ReadProgress(path);
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ(**back, p);
  const std::string text = *ReadFile(path);
  EXPECT_EQ(text.substr(0, text.rfind("checksum")),
            "vigil-remote-write-progress 1\nsegment 12\noffset 83886080\n"
            "fingerprint 0000a1b200c3d4e5\n");

  std::string bad = text;
  bad[bad.find("83886080")] = '9';  // the checksum no longer matches
  ASSERT_TRUE(WriteFileAtomic(path, bad).ok());
  EXPECT_EQ(ReadProgress(path).status().code(), StatusCode::kDataLoss);
  ASSERT_TRUE(WriteFileAtomic(path, "garbage").ok());
  EXPECT_EQ(ReadProgress(path).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(PositionString(p.position), "segment 00000012 offset 83886080");
}

}  // namespace
}  // namespace vigil::remote
