// logging::PatternEngine: the matching engine behind log-pattern alert rules
// ("fire when ERROR|FATAL|CRITICAL appears 5 times within 5 minutes").
//
//   auto engine = logging::PatternEngine::Create({
//       {.name = "error_pattern", .pattern = "ERROR|FATAL|CRITICAL",
//        .severity = "warning", .threshold = 5,
//        .window = std::chrono::minutes(5)}}).value();
//   engine->Scan("/var/log/app.log", line, now_ms);      // the tailer's thread
//   engine->ScanBuffer("vigil", chunk, now_ms);          // '\n'-separated lines
//   for (const logging::RuleStatus& s : engine->Evaluate(now_ms)) {
//     if (s.firing) ...;  // raise an alert annotated with s.last_line
//   }
//
// Every pattern is compiled once, at Create. Per source, all rules applying
// to it are compiled into one RE2::Set, so a line is matched against every
// rule in one unanchored pass whatever the number of rules; lines that match
// nothing (nearly all of them) touch no shared state at all.
//
// Sources are exact names: the path given to the tailer, or "vigil" for
// vigil's own log. A rule with no sources applies to every source, named or
// not. A rule listing several sources keeps one count across them.
//
// Window semantics. Times are ms since the epoch, stamped by the caller when
// it scans a line (not parsed from the line). A match at time t is inside
// the window ending at `now` iff t > now - window: the window is left-open,
// so a match exactly `window` old has aged out, and matches stamped after
// `now` (another thread's clock ran ahead) count as inside. A rule fires at
// `now` iff at least `threshold` of its matches are inside that window. Only
// the `threshold` most recent match times are kept per rule, so memory is
// bounded by the threshold, not by the match rate; RuleStatus::
// matches_in_window is therefore exact up to `threshold` and saturates there.
// Match times arriving out of order (several scanning threads) are kept
// sorted; one older than all kept times is counted in matches_total only.
//
// Thread safety: thread-safe. Scan, ScanBuffer and Evaluate may be called
// concurrently from any threads. The compiled sets are immutable after
// Create; each rule's counts have their own mutex, taken only when the rule
// matched, and held only to copy at most kMaxLastLineBytes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::logging {

struct PatternRule {
  std::string name;
  // RE2 syntax, matched unanchored against one line (without its '\n').
  // ^ and $ mean the start and end of the line.
  std::string pattern;
  // Carried through to RuleStatus for the alert; not interpreted here.
  std::string severity;
  // Matches inside `window` needed to fire. 1 .. kMaxThreshold.
  uint64_t threshold = 1;
  // > 0.
  std::chrono::milliseconds window{std::chrono::minutes(5)};
  // Exact source names the rule applies to; empty: every source.
  std::vector<std::string> sources;
};

// One rule's state as of Evaluate's `now`.
struct RuleStatus {
  std::string name;
  std::string severity;
  // Every match since Create (a counter: <prefix>_matches_total).
  uint64_t matches_total = 0;
  // Matches inside the window ending at now, exact up to the threshold and
  // capped at it (only that many times are kept).
  uint64_t matches_in_window = 0;
  bool firing = false;
  // When firing: the time of the match that made the rule fire, the rule
  // having fired continuously since. 0 when not firing.
  int64_t firing_since_ms = 0;
  // The most recent match (by its time stamp); 0 and empty when none yet.
  int64_t last_match_ms = 0;
  std::string last_source;
  // Truncated to PatternEngine::kMaxLastLineBytes (at a byte boundary).
  std::string last_line;
};

class PatternEngine {
 public:
  static constexpr size_t kMaxLastLineBytes = 1024;
  // Bounds the per-rule memory (8 bytes per kept match time).
  static constexpr uint64_t kMaxThreshold = uint64_t{1} << 20;

  // Compiles every rule. Errors (kInvalidArgument) name the rule:
  //   log pattern "error_pattern": invalid regular expression: missing ): (
  // and are also returned for an empty or duplicate name, an empty pattern,
  // a threshold of 0 or above kMaxThreshold, and a window <= 0.
  static Result<std::unique_ptr<PatternEngine>> Create(std::vector<PatternRule> rules);

  ~PatternEngine();
  PatternEngine(const PatternEngine&) = delete;
  PatternEngine& operator=(const PatternEngine&) = delete;

  // Matches one line (without its '\n') from `source` against every rule
  // applying to that source and counts a match at `t_ms` for each rule that
  // matched.
  void Scan(std::string_view source, std::string_view line, int64_t t_ms);
  // Scan for each '\n'-separated line of `data`; a final line without '\n'
  // is scanned too. Looks the source up once.
  void ScanBuffer(std::string_view source, std::string_view data, int64_t t_ms);

  // Every rule's status, in the order the rules were given.
  std::vector<RuleStatus> Evaluate(int64_t now_ms) const;

  const std::vector<PatternRule>& rules() const { return rules_; }
  // Lines that RE2's DFA could not match within its memory budget and that
  // were matched rule by rule instead (slower, same result). Should stay 0.
  uint64_t slow_path_lines() const { return slow_path_lines_.load(std::memory_order_relaxed); }

 private:
  struct Matcher;    // compiled patterns of one source (RE2 behind it)
  struct RuleState;  // one rule's counts and window

  explicit PatternEngine(std::vector<PatternRule> rules);
  const Matcher* MatcherFor(std::string_view source) const;
  void ScanWith(const Matcher& m, std::string_view source, std::string_view line, int64_t t_ms);
  void Record(size_t rule, std::string_view source, std::string_view line, int64_t t_ms);

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  // Constant after Create.
  const std::vector<PatternRule> rules_;
  // For sources no rule names: the rules without sources. May be empty.
  std::unique_ptr<Matcher> any_source_;
  // For each source some rule names: those rules plus the rules without
  // sources.
  std::unordered_map<std::string, std::unique_ptr<Matcher>, StringHash, std::equal_to<>>
      by_source_;
  // One per rule, each guarded by its own mutex.
  std::vector<std::unique_ptr<RuleState>> states_;

  std::atomic<uint64_t> slow_path_lines_{0};
};

}  // namespace vigil::logging
