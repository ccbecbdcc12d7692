#include "logging/log_system.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "base/test_util.h"

namespace vigil::logging {
namespace {

// Collects lines; can hold the back end inside Write until released.
class CaptureSink : public Sink {
 public:
  void Write(Level, std::string_view line) override {
    std::unique_lock<std::mutex> l(mu_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(l, [this] { return !held_; });
    lines_.emplace_back(line);
  }
  void Flush() override {}
  void Hold() {
    std::lock_guard<std::mutex> l(mu_);
    held_ = true;
  }
  // Waits until the back end is inside Write.
  void WaitEntered() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [this] { return entered_; });
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu_);
    held_ = false;
    cv_.notify_all();
  }
  std::vector<nlohmann::json> Json() {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<nlohmann::json> out;
    for (const auto& line : lines_) out.push_back(nlohmann::json::parse(line));
    return out;
  }
  size_t size() {
    std::lock_guard<std::mutex> l(mu_);
    return lines_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  bool entered_ = false;
  std::vector<std::string> lines_;
};

struct Fixture {
  explicit Fixture(LogSystem::Options o) : system(std::move(o)) {
    system.SetSinks({sink});
  }
  std::shared_ptr<CaptureSink> sink = std::make_shared<CaptureSink>();
  LogSystem system;
};

TEST(LogSystemTest, AsyncLinesAreEcsJsonInOrder) {
  Fixture f(LogSystem::Options{.service_name = "detector"});
  Logger& log = f.system.GetLogger("api");
  for (int i = 0; i < 100; ++i) log.Info("request", {{"i", i}, {"path", "/predict"}});
  f.system.Flush();
  const auto lines = f.sink->Json();
  ASSERT_EQ(lines.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(lines[i]["i"], i);
    EXPECT_EQ(lines[i]["message"], "request");
    EXPECT_EQ(lines[i]["log.level"], "info");
    EXPECT_EQ(lines[i]["log.logger"], "api");
    EXPECT_EQ(lines[i]["service.name"], "detector");
    EXPECT_EQ(lines[i]["path"], "/predict");
    EXPECT_TRUE(lines[i].contains("@timestamp"));
  }
  EXPECT_EQ(f.system.Stats().lines_written, 100u);
  EXPECT_EQ(f.system.Stats().lines_dropped, 0u);
}

TEST(LogSystemTest, PerLoggerLevelsFollowTheLongestPrefix) {
  Fixture f(LogSystem::Options{.async = false});
  Logger& before = f.system.GetLogger("vigil.rules.group");
  f.system.SetLevels(Level::kWarn, {{"vigil.rules", Level::kDebug},
                                    {"vigil.rules.group", Level::kError},
                                    {"vram", Level::kTrace}});
  EXPECT_EQ(before.level(), Level::kError);
  EXPECT_EQ(f.system.GetLogger("vigil.rules").level(), Level::kDebug);
  EXPECT_EQ(f.system.GetLogger("vigil.rules.manager").level(), Level::kDebug);
  EXPECT_EQ(f.system.GetLogger("vigil.rulesx").level(), Level::kWarn);  // not a dot prefix
  EXPECT_EQ(f.system.GetLogger("vram").level(), Level::kTrace);
  EXPECT_EQ(f.system.GetLogger("api").level(), Level::kWarn);

  Logger& api = f.system.GetLogger("api");
  api.Info("hidden");
  api.Warn("shown");
  int evaluated = 0;
  auto count = [&evaluated] { return ++evaluated; };
  VIGIL_LOG(api, Debug, "hidden too", {"n", count()});
  VIGIL_LOG(api, Error, "shown too", {"n", count()});
  EXPECT_EQ(evaluated, 1);  // fields of disabled lines are never built
  const auto lines = f.sink->Json();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["message"], "shown");
  EXPECT_EQ(lines[1]["message"], "shown too");
  EXPECT_EQ(lines[1]["n"], 1);
}

TEST(LogSystemTest, ParseLevelNamesAndErrors) {
  EXPECT_EQ(ParseLevel("WARNING").value(), Level::kWarn);
  EXPECT_EQ(ParseLevel("debug").value(), Level::kDebug);
  EXPECT_EQ(ParseLevel("fatal").value(), Level::kCritical);
  const auto bad = ParseLevel("loud");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("\"loud\""), std::string_view::npos);
}

TEST(LogSystemTest, ContextFieldsAreCarriedInScopeOnly) {
  Fixture f(LogSystem::Options{});
  Logger& log = f.system.GetLogger("inference");
  {
    ScopedContext request({{"http.request.id", "r-1"}, {"model.version", "v3"},
                           {"trace.id", "t-1"}});
    log.Info("start");
    {
      ScopedContext span({{"span.id", "s-9"}, {"model.version", "v4"}});
      log.Info("inner", {{"trace.id", "override"}});
    }
    log.Info("end");
  }
  log.Info("outside");
  // Another thread does not see this thread's context.
  ScopedContext mine({{"http.request.id", "main"}});
  std::thread([&log] { log.Info("other thread"); }).join();
  f.system.Flush();
  const auto lines = f.sink->Json();
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0]["http.request.id"], "r-1");
  EXPECT_EQ(lines[0]["model.version"], "v3");
  EXPECT_EQ(lines[1]["model.version"], "v4");
  EXPECT_EQ(lines[1]["span.id"], "s-9");
  EXPECT_EQ(lines[1]["trace.id"], "override");
  EXPECT_EQ(lines[1]["http.request.id"], "r-1");
  EXPECT_EQ(lines[2]["model.version"], "v3");
  EXPECT_FALSE(lines[2].contains("span.id"));
  EXPECT_FALSE(lines[3].contains("http.request.id"));
  EXPECT_FALSE(lines[4].contains("http.request.id"));
}

TEST(LogSystemTest, DropPolicyCountsAndReportsEveryLostLine) {
  Fixture f(LogSystem::Options{.queue_bytes = 4096, .overflow = Overflow::kDrop});
  Logger& log = f.system.GetLogger("hot");
  f.sink->Hold();
  log.Info("first");  // the back end takes it and waits inside the sink
  f.sink->WaitEntered();
  constexpr int kLines = 2000;
  for (int i = 0; i < kLines; ++i) log.Info("burst", {{"i", i}});
  const uint64_t dropped = f.system.Stats().lines_dropped;
  EXPECT_GT(dropped, 0u);
  f.sink->Release();
  f.system.Flush();
  const auto lines = f.sink->Json();
  int bursts = 0;
  uint64_t reported = 0;
  std::set<int> seen;
  for (const auto& j : lines) {
    if (j["message"] == "burst") {
      ++bursts;
      seen.insert(j["i"].get<int>());
    }
    if (j["log.logger"] == "vigil.logging") {
      EXPECT_EQ(j["log.level"], "warn");
      reported += j["log.dropped"].get<uint64_t>();
    }
  }
  EXPECT_EQ(static_cast<uint64_t>(bursts) + dropped, static_cast<uint64_t>(kLines));
  EXPECT_EQ(reported, dropped);
  EXPECT_EQ(seen.size(), static_cast<size_t>(bursts));
  EXPECT_EQ(f.system.Stats().lines_dropped, dropped);
}

TEST(LogSystemTest, BlockPolicyWaitsAndLosesNothing) {
  Fixture f(LogSystem::Options{.queue_bytes = 4096, .overflow = Overflow::kBlock});
  Logger& log = f.system.GetLogger("hot");
  f.sink->Hold();
  constexpr int kLines = 3000;
  std::thread producer([&log] {
    for (int i = 0; i < kLines; ++i) log.Info("burst", {{"i", i}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  f.sink->Release();
  producer.join();
  f.system.Flush();
  const auto lines = f.sink->Json();
  ASSERT_EQ(lines.size(), static_cast<size_t>(kLines));
  for (int i = 0; i < kLines; ++i) ASSERT_EQ(lines[i]["i"], i);
  EXPECT_EQ(f.system.Stats().lines_dropped, 0u);
}

TEST(LogSystemTest, ManyThreadsComeAndGoWithoutLoss) {
  Fixture f(LogSystem::Options{.queue_bytes = 8192});
  constexpr int kThreads = 8, kPerThread = 500;
  for (int round = 0; round < 3; ++round) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&f, t] {
        Logger& log = f.system.GetLogger("worker");
        for (int i = 0; i < kPerThread; ++i) log.Info("work", {{"t", t}, {"i", i}});
      });
    }
    for (auto& th : threads) th.join();
  }
  f.system.Flush();
  const auto lines = f.sink->Json();
  ASSERT_EQ(lines.size(), static_cast<size_t>(3 * kThreads * kPerThread));
  // Lines of one thread keep their order; lines are ordered by time overall
  // within each batch.
  std::vector<int> last(kThreads, -1);
  int rounds_seen = 0;
  for (const auto& j : lines) {
    const int t = j["t"], i = j["i"];
    if (i == 0) {
      last[t] = -1;
      ++rounds_seen;
    }
    EXPECT_EQ(i, last[t] + 1);
    last[t] = i;
  }
  EXPECT_EQ(rounds_seen, 3 * kThreads);
}

TEST(LogSystemTest, OversizedRecordsAreWrittenSynchronously) {
  Fixture f(LogSystem::Options{.queue_bytes = 4096});
  std::string big(10000, 'x');
  f.system.GetLogger("big").Info(big, {{"tail", big}});
  f.system.Flush();
  const auto lines = f.sink->Json();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["message"].get<std::string>().size(), 10000u);
}

TEST(LogSystemTest, SamplingMacroLogsEveryNth) {
  Fixture f(LogSystem::Options{.async = false});
  Logger& log = f.system.GetLogger("hot");
  for (int i = 0; i < 25; ++i) VIGIL_LOG_EVERY_N(log, Info, 10, "sampled", {"i", i});
  const auto lines = f.sink->Json();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1]["i"], 10);
  EXPECT_EQ(lines[2]["log.sampling.every"], 10);
}

TEST(LogSystemTest, ShutdownWritesQueuedLinesThenWritesSynchronously) {
  Fixture f(LogSystem::Options{});
  Logger& log = f.system.GetLogger("x");
  for (int i = 0; i < 50; ++i) log.Info("queued");
  f.system.Shutdown();
  EXPECT_EQ(f.sink->size(), 50u);
  log.Info("after");
  EXPECT_EQ(f.sink->size(), 51u);
}

using vigil::testing::TempDir;

TEST(RotatingFileSinkTest, RotatesBySizeAndKeepsCount) {
  TempDir dir;
  const std::string path = dir.path() + "/app.log";
  auto sink = RotatingFileSink::Create(path, 1000, 3);
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  {
    LogSystem system(LogSystem::Options{.async = false});
    system.SetSinks({*sink});
    Logger& log = system.GetLogger("app");
    for (int i = 0; i < 100; ++i) log.Info("line", {{"i", i}});  // ~150 bytes each
  }
  sink->reset();
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    files.push_back(e.path().filename().string());
    EXPECT_LE(std::filesystem::file_size(e.path()), 1000u) << e.path();
  }
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"app.1.log", "app.2.log", "app.3.log", "app.log"}));
  // The newest lines are in app.log and end with i = 99; every line is JSON.
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line)) {
    EXPECT_TRUE(nlohmann::json::accept(line)) << line;
    last = line;
  }
  EXPECT_EQ(nlohmann::json::parse(last)["i"], 99);
}

TEST(RotatingFileSinkTest, BadPathAndSizeAreErrors) {
  auto bad = RotatingFileSink::Create("/proc/vigil-no/app.log", 1000, 3);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("/proc/vigil-no/app.log"), std::string_view::npos);
  EXPECT_FALSE(RotatingFileSink::Create("/tmp/x.log", 0, 3).ok());
}

TEST(ConsoleSinkTest, WritesLinesToTheDescriptor) {
  TempDir dir;
  const std::string path = dir.path() + "/out";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  {
    LogSystem system(LogSystem::Options{});
    system.SetSinks({std::make_shared<ConsoleSink>(fileno(f))});
    system.GetLogger("c").Error("boom", {{"code", 7}});
  }
  std::fclose(f);
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(nlohmann::json::parse(line)["code"], 7);
  EXPECT_FALSE(std::getline(in, line));
}

}  // namespace
}  // namespace vigil::logging
