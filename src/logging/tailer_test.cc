#include "logging/tailer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/file.h"

namespace vigil::logging {
namespace {

using std::chrono::milliseconds;

void Append(const std::string& path, std::string_view text) {
  Result<int> fd = OpenFile(path, O_WRONLY | O_CREAT | O_APPEND);
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  ASSERT_TRUE(WriteAll(*fd, text, path).ok());
  ::close(*fd);
}

class TailerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-tailer-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    log_ = dir_ + "/app.log";
    state_ = dir_ + "/tailer.state";
  }
  void TearDown() override {
    tailer_.reset();
    std::system(("rm -rf " + dir_).c_str());
  }

  // Options collecting lines into lines_ and messages into messages_.
  TailerOptions Options() {
    TailerOptions o;
    o.paths = {log_};
    o.state_file = state_;
    o.save_interval = milliseconds(0);
    o.rotate_wait = milliseconds(0);
    o.on_line = [this](std::string_view path, std::string_view line) {
      std::lock_guard<std::mutex> lock(mu_);
      EXPECT_EQ(path, log_);
      lines_.emplace_back(line);
    };
    o.log = [this](std::string_view m) {
      std::lock_guard<std::mutex> lock(mu_);
      messages_.emplace_back(m);
    };
    return o;
  }

  void Make(TailerOptions o) {
    Result<std::unique_ptr<Tailer>> t = Tailer::Create(std::move(o));
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    tailer_ = std::move(t).value();
  }
  void Make() { Make(Options()); }

  void Poll() {
    Status s = tailer_->PollOnce();
    EXPECT_TRUE(s.ok()) << s.ToString();
  }

  // The lines delivered since the last call.
  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(lines_, {});
  }
  size_t CountMessages(std::string_view needle) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (const std::string& m : messages_) n += m.find(needle) != std::string::npos;
    return n;
  }

  using Lines = std::vector<std::string>;

  std::string dir_, log_, state_;
  std::unique_ptr<Tailer> tailer_;
  std::mutex mu_;
  std::vector<std::string> lines_;
  std::vector<std::string> messages_;
};

TEST_F(TailerTest, ExistingFileStartsAtItsEndThenFollowsAppends) {
  Append(log_, "old 1\nold 2\n");
  Make();
  Poll();
  EXPECT_EQ(Take(), Lines{});
  Append(log_, "a\nb\npart");
  Poll();
  EXPECT_EQ(Take(), (Lines{"a", "b"}));  // the partial line waits
  Poll();
  EXPECT_EQ(Take(), Lines{});
  Append(log_, "ial\n\nc\n");
  Poll();
  EXPECT_EQ(Take(), (Lines{"partial", "", "c"}));
  const TailerStats st = tailer_->stats();
  EXPECT_EQ(st.lines, 5u);
  EXPECT_EQ(st.bytes, 15u);
  EXPECT_EQ(st.open_files, 1u);
}

TEST_F(TailerTest, StartAtEndBeginsWithTheUnfinishedLastLine) {
  Append(log_, "old 1\nold 2\nhalf");
  Make();
  Poll();
  Append(log_, " a line\n");
  Poll();
  EXPECT_EQ(Take(), Lines{"half a line"});
}

TEST_F(TailerTest, StartAtBeginningReadsEverything) {
  Append(log_, "old 1\nold 2\n");
  TailerOptions o = Options();
  o.start_at_end = false;
  Make(std::move(o));
  Poll();
  EXPECT_EQ(Take(), (Lines{"old 1", "old 2"}));
}

TEST_F(TailerTest, MissingFileIsWaitedForAndReadFromTheStart) {
  Make();
  for (int i = 0; i < 5; ++i) Poll();
  EXPECT_EQ(CountMessages("does not exist"), 1u);  // once, not per poll
  Append(log_, "first\nsecond\n");
  Poll();
  EXPECT_EQ(Take(), (Lines{"first", "second"}));
  EXPECT_EQ(CountMessages("appeared"), 1u);
}

TEST_F(TailerTest, RotationByRenameFinishesTheOldFileFirst) {
  TailerOptions o = Options();
  o.rotate_wait = std::chrono::hours(1);  // keep the old file open
  Make(std::move(o));
  Poll();  // does not exist yet
  Result<int> writer = OpenFile(log_, O_WRONLY | O_CREAT | O_APPEND);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(WriteAll(*writer, "1\n2\n", log_).ok());
  Poll();
  EXPECT_EQ(Take(), (Lines{"1", "2"}));

  ASSERT_EQ(::rename(log_.c_str(), (log_ + ".1").c_str()), 0);
  ASSERT_TRUE(WriteAll(*writer, "3\n", log_).ok());  // the writer has not reopened yet
  Append(log_, "4\n");                               // the new file
  Poll();
  EXPECT_EQ(Take(), (Lines{"3", "4"}));
  EXPECT_EQ(tailer_->stats().rotations, 1u);
  EXPECT_EQ(tailer_->stats().open_files, 2u);

  // Still written to after the switch: read within rotate_wait.
  ASSERT_TRUE(WriteAll(*writer, "5\n", log_).ok());
  Append(log_, "6\n");
  Poll();
  EXPECT_EQ(Take(), (Lines{"5", "6"}));
  ::close(*writer);
}

TEST_F(TailerTest, RotatedFileIsClosedAfterRotateWaitWithItsLastLine) {
  Make();  // rotate_wait 0
  Poll();
  Append(log_, "1\nno newline");
  Poll();
  EXPECT_EQ(Take(), Lines{"1"});
  ASSERT_EQ(::rename(log_.c_str(), (log_ + ".1").c_str()), 0);
  Poll();  // gone: the old file is finished as a rotated one
  EXPECT_EQ(CountMessages("does not exist"), 2u);  // before it appeared, and now
  Poll();  // not grown for rotate_wait: closed, last line delivered
  EXPECT_EQ(Take(), Lines{"no newline"});
  EXPECT_EQ(tailer_->stats().open_files, 0u);
  Append(log_, "2\n");
  Poll();
  EXPECT_EQ(Take(), Lines{"2"});
  EXPECT_EQ(tailer_->stats().rotations, 1u);
}

TEST_F(TailerTest, TruncationStartsAgainFromTheBeginning) {
  Make();
  Poll();
  Append(log_, "aaaa\nbbbb\n");
  Poll();
  EXPECT_EQ(Take(), (Lines{"aaaa", "bbbb"}));
  ASSERT_EQ(::truncate(log_.c_str(), 0), 0);
  Append(log_, "c\n");
  Poll();
  EXPECT_EQ(Take(), Lines{"c"});
  EXPECT_EQ(tailer_->stats().truncations, 1u);
  EXPECT_EQ(tailer_->stats().rotations, 0u);
}

TEST_F(TailerTest, CopyTruncate) {
  Make();
  Poll();
  Append(log_, "line 1\nline 2\n");
  Poll();
  EXPECT_EQ(Take(), (Lines{"line 1", "line 2"}));
  // logrotate copytruncate: copy aside, truncate in place; the writer
  // keeps its descriptor (O_APPEND) and goes on at the new end.
  ASSERT_TRUE(WriteFileSync(log_ + ".1", *ReadFile(log_)).ok());
  ASSERT_EQ(::truncate(log_.c_str(), 0), 0);
  Poll();
  Append(log_, "line 3\n");
  Poll();
  EXPECT_EQ(Take(), Lines{"line 3"});

  // Truncated and already grown past our offset before the next poll: the
  // fingerprint of the first bytes tells.
  ASSERT_EQ(::truncate(log_.c_str(), 0), 0);
  Append(log_, "LINE 4 is longer than before\nline 5\n");
  Poll();
  EXPECT_EQ(Take(), (Lines{"LINE 4 is longer than before", "line 5"}));
  EXPECT_EQ(tailer_->stats().truncations, 2u);
}

TEST_F(TailerTest, LongLinesAreDeliveredTruncatedAndCounted) {
  TailerOptions o = Options();
  o.max_line_bytes = 10;
  Make(std::move(o));
  Poll();
  Append(log_, "0123456789ABCDEF\nshort\n0123456789\n");
  Poll();
  EXPECT_EQ(Take(), (Lines{"0123456789", "short", "0123456789"}));
  EXPECT_EQ(tailer_->stats().truncated_lines, 1u);
  // A long line arriving in pieces: cut as soon as it is too long, the
  // rest skipped up to its newline.
  Append(log_, "abcdefgh");
  Poll();
  EXPECT_EQ(Take(), Lines{});
  Append(log_, "ijklmn");
  Poll();
  EXPECT_EQ(Take(), Lines{"abcdefghij"});
  Append(log_, "opq");
  Poll();
  Append(log_, "rst\nnext\n");
  Poll();
  EXPECT_EQ(Take(), Lines{"next"});
  EXPECT_EQ(tailer_->stats().truncated_lines, 2u);
}

TEST_F(TailerTest, LargeBacklogIsReadInSlicesOldFileFirst) {
  Make();
  Poll();
  Append(log_, "a\n");
  Poll();
  EXPECT_EQ(Take(), Lines{"a"});
  // More than one poll's budget (16 MiB) in the file that is then rotated.
  constexpr int kLines = 180000;
  std::string big;
  for (int i = 0; i < kLines; ++i) big += std::to_string(i) + std::string(93, '.') + "\n";
  Append(log_, big);
  ASSERT_EQ(::rename(log_.c_str(), (log_ + ".1").c_str()), 0);
  Append(log_, "new\n");
  Poll();
  Lines first = Take();
  EXPECT_GT(first.size(), 0u);
  EXPECT_LT(first.size(), size_t{kLines});
  Poll();
  Lines rest = Take();
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back(), "new");  // only after the old file's backlog
  EXPECT_EQ(first.size() + rest.size(), size_t{kLines} + 1);
  EXPECT_EQ(rest[rest.size() - 2].substr(0, 6), std::to_string(kLines - 1));
}

TEST_F(TailerTest, StateSurvivesARestart) {
  Make();
  Poll();
  Append(log_, "1\n2\n3\npart");
  Poll();
  EXPECT_EQ(Take(), (Lines{"1", "2", "3"}));
  ASSERT_TRUE(tailer_->Stop().ok());
  tailer_.reset();

  Append(log_, "ial\n4\n");  // written while not running
  Make();
  Poll();
  EXPECT_EQ(Take(), (Lines{"partial", "4"}));  // no duplicates, no gaps
  Append(log_, "5\n");
  Poll();
  EXPECT_EQ(Take(), Lines{"5"});
}

TEST_F(TailerTest, RestartRereadsOnlySinceTheLastSave) {
  // A crash after the last save: the lines since are delivered again.
  Make();
  Poll();
  Append(log_, "1\n2\n");
  Poll();
  Take();
  const std::string saved = *ReadFile(state_);
  Append(log_, "3\n4\n");
  Poll();
  EXPECT_EQ(Take(), (Lines{"3", "4"}));
  tailer_.reset();
  ASSERT_TRUE(WriteFileAtomic(state_, saved).ok());  // as if killed before saving
  Append(log_, "5\n");
  Make();
  Poll();
  EXPECT_EQ(Take(), (Lines{"3", "4", "5"}));
}

TEST_F(TailerTest, RotationWhileNotRunningIsFollowed) {
  Make();
  Poll();
  Append(log_, "1\n");
  Poll();
  EXPECT_EQ(Take(), Lines{"1"});
  tailer_.reset();  // saves

  Append(log_, "2\n");
  ASSERT_EQ(::rename(log_.c_str(), (log_ + ".1").c_str()), 0);
  Append(log_, "3\n");
  Make();
  Poll();
  EXPECT_EQ(Take(), (Lines{"2", "3"}));
  EXPECT_EQ(CountMessages("rotated while not running"), 1u);
}

TEST_F(TailerTest, AnotherFileAtThePathIsReadFromTheStart) {
  Make();
  Poll();
  Append(log_, "first file\n");
  Poll();
  Take();
  tailer_.reset();
  // Replaced while not running (the inode may well be reused).
  ASSERT_EQ(::unlink(log_.c_str()), 0);
  Append(log_, "second file, other content\n");
  Make();
  Poll();
  EXPECT_EQ(Take(), Lines{"second file, other content"});
}

TEST_F(TailerTest, CorruptStateFileIsReportedAndIgnored) {
  Append(log_, "old\n");
  ASSERT_TRUE(WriteFileSync(state_, "garbage\x01\x02").ok());
  Make();
  EXPECT_EQ(CountMessages("is corrupt"), 1u);
  Poll();
  EXPECT_EQ(Take(), Lines{});  // a fresh start: from the end
  Append(log_, "new\n");
  Poll();
  EXPECT_EQ(Take(), Lines{"new"});
  tailer_.reset();

  // A flipped digit fails the checksum.
  std::string s = *ReadFile(state_);
  const size_t at = s.find(" 8 ");  // the offset after "old\nnew\n"
  ASSERT_NE(at, std::string::npos) << s;
  s[at + 1] = '0';
  ASSERT_TRUE(WriteFileSync(state_, s).ok());
  Make();
  EXPECT_EQ(CountMessages("checksum mismatch"), 1u);
}

TEST_F(TailerTest, UnreadableStateFileIsAnError) {
  ASSERT_EQ(::mkdir(state_.c_str(), 0755), 0);  // a directory
  Result<std::unique_ptr<Tailer>> t = Tailer::Create(Options());
  EXPECT_FALSE(t.ok());
}

TEST_F(TailerTest, InvalidOptions) {
  TailerOptions o = Options();
  o.paths = {};
  EXPECT_EQ(Tailer::Create(o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.paths = {log_, log_};
  EXPECT_EQ(Tailer::Create(o).status().message(),
            "log tailer: path \"" + log_ + "\" given twice");
  o = Options();
  o.on_line = nullptr;
  EXPECT_FALSE(Tailer::Create(o).ok());
  o = Options();
  o.poll_interval = milliseconds(0);
  EXPECT_FALSE(Tailer::Create(o).ok());
}

TEST_F(TailerTest, PathsWithSpacesRoundTripThroughTheState) {
  log_ = dir_ + "/my app%20.log";
  Make();
  Poll();
  Append(log_, "1\n");
  Poll();
  EXPECT_EQ(Take(), Lines{"1"});
  tailer_.reset();
  Append(log_, "2\n");
  Make();
  Poll();
  EXPECT_EQ(Take(), Lines{"2"});
}

TEST_F(TailerTest, ThreadFollowsAndStopSaves) {
  TailerOptions o = Options();
  o.poll_interval = milliseconds(5);
  o.save_interval = std::chrono::hours(1);  // only Stop saves
  Make(std::move(o));
  Poll();  // the file is missing at first look, so it is read from the start
  tailer_->Start();
  tailer_->Start();  // idempotent
  EXPECT_EQ(tailer_->PollOnce().code(), StatusCode::kFailedPrecondition);
  Append(log_, "x\ny\n");
  for (int i = 0; i < 2000 && tailer_->stats().lines < 2; ++i) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_TRUE(tailer_->Stop().ok());
  EXPECT_TRUE(tailer_->Stop().ok());
  EXPECT_EQ(Take(), (Lines{"x", "y"}));
  tailer_.reset();
  Append(log_, "z\n");
  Make();
  Poll();
  EXPECT_EQ(Take(), Lines{"z"});
}

// A process killed with SIGKILL at an arbitrary point: every line is
// delivered at least once across the restart, in order, with duplicates
// only for the lines after the last save.
TEST_F(TailerTest, SigkillLosesNoLines) {
  const std::string out = dir_ + "/delivered";
  Append(log_, "");
  constexpr int kLines = 3000;
  auto line = [](int i) { return "line " + std::to_string(i) + " " + std::string(40, 'x'); };
  // slow: the child lags behind the writer, so the kill lands in the middle
  // of a poll's deliveries, after the last save.
  auto make_options = [&](int out_fd, bool slow) {
    TailerOptions o;
    o.paths = {log_};
    o.state_file = state_;
    o.save_interval = milliseconds(0);
    o.start_at_end = false;
    o.on_line = [out_fd, slow](std::string_view, std::string_view l) {
      std::string rec(l);
      rec += '\n';
      (void)!::write(out_fd, rec.data(), rec.size());
      if (slow) ::usleep(50);
    };
    return o;
  };
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    auto t = Tailer::Create(make_options(fd, true));
    if (!t.ok()) ::_exit(1);
    for (;;) {
      (void)(*t)->PollOnce();
      ::usleep(200);
    }
  }
  int written = 0;
  for (; written < kLines / 2; written += 10) {
    std::string batch;
    for (int i = written; i < written + 10; ++i) batch += line(i) + "\n";
    Append(log_, batch);
    ::usleep(300);
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  for (; written < kLines; written += 10) {
    std::string batch;
    for (int i = written; i < written + 10; ++i) batch += line(i) + "\n";
    Append(log_, batch);
  }
  {
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ASSERT_GE(fd, 0);
    auto t = Tailer::Create(make_options(fd, false));
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    ASSERT_TRUE((*t)->PollOnce().ok());
    ::close(fd);
  }
  // Every line, in order; a replay goes back, never forward past a gap.
  const std::string got = *ReadFile(out);
  std::vector<int> seq;
  for (size_t pos = 0; pos < got.size();) {
    const size_t nl = got.find('\n', pos);
    ASSERT_NE(nl, std::string::npos);
    const std::string l = got.substr(pos, nl - pos);
    ASSERT_EQ(l.rfind("line ", 0), 0u) << l;
    const int n = std::atoi(l.c_str() + 5);
    ASSERT_EQ(l, line(n));
    seq.push_back(n);
    pos = nl + 1;
  }
  int next = 0;  // the first line never delivered so far
  for (int n : seq) {
    ASSERT_LE(n, next) << "gap before line " << n;
    if (n == next) ++next;
  }
  EXPECT_EQ(next, kLines);
  EXPECT_LT(seq.size(), size_t{2} * kLines);
  RecordProperty("duplicates", static_cast<int>(seq.size()) - kLines);
}

}  // namespace
}  // namespace vigil::logging
