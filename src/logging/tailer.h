// logging::Tailer: follows log files as `tail -F` does and hands each
// complete line to a callback, remembering its place across restarts.
//
//   auto tailer = logging::Tailer::Create({
//       .paths = {"/var/log/app.log"},
//       .state_file = "/var/lib/vigil/tailer.state",
//       .on_line = [&](std::string_view path, std::string_view line) {
//         engine->Scan(path, line, NowMs());
//       },
//       .log = [](std::string_view msg) { /* vigil's logger */ }}).value();
//   tailer->Start();   // its own thread, polling every poll_interval
//   ...
//   tailer->Stop();    // joins and saves the state file
//
// What it does, per path:
// - Lines: delivers complete lines (without the '\n'); a partial last line
//   waits for its newline. A line longer than max_line_bytes is delivered
//   cut to its first max_line_bytes bytes and counted in truncated_lines;
//   the rest of it up to the newline is skipped.
// - Rotation (the path names another inode, or no longer exists): the old
//   file stays open and is read to its end, and keeps being read until it
//   has not grown for rotate_wait (writers that still hold it open), then
//   its final unterminated line, if any, is delivered and it is closed. The
//   new file is read from offset 0. Old-file lines come first.
// - Truncation and copytruncate (size below our offset, or the first bytes
//   of the file no longer hash to the fingerprint we took): start again from
//   offset 0; a pending partial line is dropped.
// - Missing files are waited for; one message when a path goes missing and
//   one when it appears, never one per poll.
// - Where a file starts: a file that exists when the tailer first looks at
//   it, and that the state file knows nothing about, starts at its end
//   (Options::start_at_end, default true), at the start of its last partial
//   line. Every other file starts at offset 0: files appearing later,
//   files replacing a rotated one, a file at a path whose saved file is
//   gone. Why not the beginning, as Filebeat and Fluent Bit's database mode
//   do: lines feed alert rules that count matches by the time they are read,
//   so replaying a log's history at first start would fire alerts now for
//   errors of last week. A shipper that must store every line would choose
//   the beginning; set start_at_end = false for that.
// - State (docs/formats/tailer-state.md): per path, each open file's
//   device, inode, committed offset and a fingerprint (FNV-1a of its first
//   up to 1 KiB). The committed offset only ever covers lines already
//   returned from on_line, and the file is replaced atomically, so a process
//   killed at any point re-reads at most the lines since the last save
//   (at-least-once) and skips none. On restart a saved file is found at its
//   path or, if it was rotated away meanwhile, by inode in the same
//   directory, and resumed when its fingerprint matches. A corrupt state
//   file is reported through `log` and treated as absent (so files start as
//   described above); it is overwritten by the next save. A state file that
//   exists but cannot be read is an error from Create.
//
// Counters (stats()) are atomics readable from any thread, for metrics.
//
// Thread safety: thread-safe for Start, Stop, stats and the destructor.
// PollOnce is for tests and tools: it fails with kFailedPrecondition while
// the tailer's own thread runs, and must not be called from several
// threads at once. Callbacks run on the polling thread without any tailer
// lock held; on_line must not call Stop.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/thread_annotations.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::logging {

struct TailerOptions {
  // Files to follow (exact paths, no globs). Non-empty, no duplicates.
  std::vector<std::string> paths;
  // Where offsets are kept across restarts; empty: not kept.
  std::string state_file;
  std::chrono::milliseconds poll_interval{250};
  // At least this long between state saves while running (every poll that
  // delivered lines saves once it has passed); Stop always saves. 0: every
  // poll that moved an offset.
  std::chrono::milliseconds save_interval{std::chrono::seconds(1)};
  // How long a rotated-away file is kept open after it last grew.
  std::chrono::milliseconds rotate_wait{std::chrono::seconds(5)};
  // Longer lines are delivered truncated to this many bytes. >= 1.
  size_t max_line_bytes = 64 * 1024;
  // See "Where a file starts" above.
  bool start_at_end = true;
  // Required. Called for every line, in file order per file.
  std::function<void(std::string_view path, std::string_view line)> on_line;
  // Problems and transitions (file missing/appeared, rotated, truncated,
  // state unreadable). Optional.
  std::function<void(std::string_view message)> log;
};

// Totals since Create, for vigil_log_tailer_*_total counters.
struct TailerStats {
  uint64_t lines = 0;            // lines delivered (including truncated ones)
  uint64_t bytes = 0;            // bytes consumed from files, newlines included
  uint64_t truncated_lines = 0;  // lines cut to max_line_bytes
  uint64_t rotations = 0;        // a path moved on to a new file
  uint64_t truncations = 0;      // a file shrank or was rewritten in place
  uint64_t read_errors = 0;      // failed stat/open/read calls (retried next poll)
  uint64_t state_saves = 0;
  uint64_t state_save_errors = 0;
  uint64_t open_files = 0;       // now: current plus rotated files still open
};

class Tailer {
 public:
  // Checks the options and reads the state file (see above).
  static Result<std::unique_ptr<Tailer>> Create(TailerOptions options);
  ~Tailer();  // Stop()
  Tailer(const Tailer&) = delete;
  Tailer& operator=(const Tailer&) = delete;

  // Starts the polling thread. Idempotent.
  void Start();
  // Stops and joins the thread, then saves the state. Idempotent. Returns
  // the save's status.
  Status Stop();

  // One round over every path: read what was appended, follow rotations
  // and truncations, then save the state if due. Per-file problems are
  // logged and retried on the next poll, not returned; the status is the
  // state save's. kFailedPrecondition while the thread runs.
  Status PollOnce();
  // Saves the state now. Same precondition as PollOnce.
  Status SaveState();

  TailerStats stats() const;

 private:
  struct File;
  struct Path;
  struct SavedFile;

  explicit Tailer(TailerOptions options);
  Status LoadState();
  // The body of PollOnce; `more` is set when some file still had data to
  // read past the per-poll budget.
  Status Poll(bool* more);
  void Resume(Path& p);
  void PollPath(Path& p, bool* more);
  // Reads what is available (up to the per-poll budget); false on error.
  bool ReadAvailable(Path& p, File& f, bool* more);
  bool CheckTruncation(Path& p, File& f);
  void UpdateFingerprint(File& f);
  void Deliver(Path& p, File& f, std::string_view line, uint64_t end_offset, bool truncated);
  void CloseRotated(Path& p, File& f);
  std::unique_ptr<File> OpenAt(const std::string& path, std::string* error);
  Status SaveNow();
  void Log(std::string_view message) const;
  void Run(std::stop_token stop);

  // Constant after Create.
  const TailerOptions options_;

  // Owned by the polling thread (or the PollOnce caller).
  std::vector<std::unique_ptr<Path>> paths_;
  std::vector<SavedFile> saved_;  // from the state file, until resumed
  bool resumed_ = false;
  bool dirty_ = false;            // offsets moved since the last save
  std::chrono::steady_clock::time_point last_save_{};
  std::string buf_;               // read buffer

  std::atomic<uint64_t> lines_{0}, bytes_{0}, truncated_lines_{0}, rotations_{0},
      truncations_{0}, read_errors_{0}, state_saves_{0}, state_save_errors_{0}, open_files_{0};

  Mutex mu_;  // Start/Stop
  std::jthread thread_ VIGIL_GUARDED_BY(mu_);
  std::atomic<bool> running_{false};
};

}  // namespace vigil::logging
