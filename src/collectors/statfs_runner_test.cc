#include "collectors/statfs_runner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace vigil::collectors::internal {
namespace {

using std::chrono::milliseconds;

// A statvfs stand-in: every path answers its length in bytes, except
// "hang", which waits until released, and "fail", which fails.
class FakeStatfs {
 public:
  StatfsRunner::StatfsFn Fn() {
    return [this](const std::string& path, FilesystemUsage* u) {
      std::unique_lock<std::mutex> l(mu_);
      ++calls_[path];
      if (path == "fail") return false;
      if (path == "hang") cv_.wait(l, [&] { return released_; });
      *u = {static_cast<double>(path.size()), 0, 0};
      return true;
    };
  }
  void Release() {
    {
      std::lock_guard<std::mutex> l(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }
  int calls(const std::string& path) {
    std::lock_guard<std::mutex> l(mu_);
    return calls_[path];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  std::map<std::string, int> calls_;
};

TEST(StatfsRunnerTest, AnswersInOrderAndLeavesOutFailures) {
  FakeStatfs fake;
  StatfsRunner runner(fake.Fn(), milliseconds(5000));
  std::vector<std::optional<FilesystemUsage>> r;
  runner.Run({"/", "fail", "/data"}, &r);
  ASSERT_EQ(r.size(), 3u);
  ASSERT_TRUE(r[0].has_value());
  EXPECT_EQ(r[0]->size_bytes, 1);
  EXPECT_FALSE(r[1].has_value());
  ASSERT_TRUE(r[2].has_value());
  EXPECT_EQ(r[2]->size_bytes, 5);
  runner.Run({}, &r);
  EXPECT_TRUE(r.empty());
  EXPECT_TRUE(runner.Stuck().empty());
}

// The hung call is abandoned after the timeout; the paths after it are still
// answered (by a new worker); the stuck path is skipped until its call
// returns, then asked again.
TEST(StatfsRunnerTest, HungCallIsAbandonedAndRetriedOnceItReturns) {
  FakeStatfs fake;
  {
    StatfsRunner runner(fake.Fn(), milliseconds(200));
    std::vector<std::optional<FilesystemUsage>> r;
    runner.Run({"a", "hang", "bb", "ccc"}, &r);
    ASSERT_EQ(r.size(), 4u);
    EXPECT_TRUE(r[0].has_value());
    EXPECT_FALSE(r[1].has_value());
    ASSERT_TRUE(r[2].has_value() && r[3].has_value());
    EXPECT_EQ(r[3]->size_bytes, 3);
    EXPECT_EQ(runner.Stuck(), std::vector<std::string>{"hang"});

    runner.Run({"hang", "a"}, &r);
    EXPECT_FALSE(r[0].has_value());
    EXPECT_TRUE(r[1].has_value());
    EXPECT_EQ(fake.calls("hang"), 1);  // not asked while stuck

    fake.Release();
    for (int i = 0; i < 500 && !runner.Stuck().empty(); ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    EXPECT_TRUE(runner.Stuck().empty());
    runner.Run({"hang", "a"}, &r);
    ASSERT_TRUE(r[0].has_value());
    EXPECT_EQ(r[0]->size_bytes, 4);
    EXPECT_EQ(fake.calls("hang"), 2);
  }
  EXPECT_EQ(fake.calls("a"), 3);
}

}  // namespace
}  // namespace vigil::collectors::internal
