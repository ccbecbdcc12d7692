#include "logging/patterns.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>
#include <utility>

#include "base/thread_annotations.h"

namespace vigil::logging {
namespace {

// RE2's default is 8 MiB per regexp; a set of tens of patterns gets more so
// that its DFA cache rarely resets (memory is taken only as states are
// built).
constexpr int64_t kSetMaxMem = int64_t{64} << 20;

re2::RE2::Options PatternOptions(int64_t max_mem = 8 << 20) {
  re2::RE2::Options o;
  o.set_log_errors(false);  // errors are returned, not printed
  o.set_never_capture(true);
  o.set_max_mem(max_mem);
  return o;
}

int64_t SubSat(int64_t a, int64_t b) {  // b >= 0
  return a < std::numeric_limits<int64_t>::min() + b ? std::numeric_limits<int64_t>::min()
                                                     : a - b;
}
int64_t AddSat(int64_t a, int64_t b) {  // b >= 0
  return a > std::numeric_limits<int64_t>::max() - b ? std::numeric_limits<int64_t>::max()
                                                     : a + b;
}

// The `capacity` largest times added, sorted oldest first, in a ring that
// grows to `capacity` entries and then overwrites its oldest.
// Thread safety: thread-compatible.
class RecentTimes {
 public:
  explicit RecentTimes(size_t capacity) : capacity_(capacity) {}

  // Returns false when t was not kept (full, and t <= every kept time).
  bool Add(int64_t t) {
    if (buf_.size() < capacity_) {  // growing: head_ == 0
      buf_.push_back(t);
      for (size_t i = buf_.size() - 1; i > 0 && buf_[i - 1] > buf_[i]; --i) {
        std::swap(buf_[i - 1], buf_[i]);
      }
      return true;
    }
    if (t <= buf_[head_]) return false;
    buf_[head_] = t;  // the oldest is dropped; t becomes the logical last
    head_ = (head_ + 1) % capacity_;
    for (size_t i = capacity_ - 1; i > 0 && At(i - 1) > At(i); --i) {
      std::swap(At(i - 1), At(i));
    }
    return true;
  }

  size_t size() const { return buf_.size(); }
  bool full() const { return buf_.size() == capacity_; }
  // REQUIRES: size() > 0.
  int64_t oldest() const { return At(0); }
  int64_t newest() const { return At(buf_.size() - 1); }

  // How many kept times are > bound.
  size_t CountAfter(int64_t bound) const {
    size_t lo = 0, hi = buf_.size();  // first index with At(i) > bound
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (At(mid) > bound) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return buf_.size() - lo;
  }

 private:
  int64_t& At(size_t i) { return buf_[(head_ + i) % buf_.size()]; }
  const int64_t& At(size_t i) const { return buf_[(head_ + i) % buf_.size()]; }

  const size_t capacity_;
  std::vector<int64_t> buf_;
  size_t head_ = 0;
};

}  // namespace

struct PatternEngine::Matcher {
  re2::RE2::Set set{PatternOptions(kSetMaxMem), re2::RE2::UNANCHORED};
  // Set index -> rule index.
  std::vector<size_t> rules;
  // Set index -> the rule's own regexp, for lines the DFA gives up on.
  std::vector<std::shared_ptr<const re2::RE2>> regexps;
};

// Cache-line aligned: rules matching on different threads do not share a
// line.
struct alignas(64) PatternEngine::RuleState {
  RuleState(uint64_t threshold, int64_t window_ms)
      : window_ms(window_ms), times(static_cast<size_t>(threshold)) {}

  const int64_t window_ms;
  mutable Mutex mu;
  uint64_t total VIGIL_GUARDED_BY(mu) = 0;
  RecentTimes times VIGIL_GUARDED_BY(mu);
  // Start of the latest firing streak (if any) and when that streak ends
  // unless more matches come: oldest kept time + window.
  bool fired VIGIL_GUARDED_BY(mu) = false;
  int64_t firing_since_ms VIGIL_GUARDED_BY(mu) = 0;
  int64_t firing_until_ms VIGIL_GUARDED_BY(mu) = 0;
  int64_t last_match_ms VIGIL_GUARDED_BY(mu) = 0;
  bool any_match VIGIL_GUARDED_BY(mu) = false;
  std::string last_source VIGIL_GUARDED_BY(mu);
  std::string last_line VIGIL_GUARDED_BY(mu);
};

PatternEngine::PatternEngine(std::vector<PatternRule> rules) : rules_(std::move(rules)) {}
PatternEngine::~PatternEngine() = default;

Result<std::unique_ptr<PatternEngine>> PatternEngine::Create(std::vector<PatternRule> rules) {
  // Validate and compile each rule alone first, so errors name the rule.
  std::vector<std::shared_ptr<const re2::RE2>> compiled;
  std::set<std::string_view> names;
  std::set<std::string> sources;
  for (const PatternRule& r : rules) {
    const std::string prefix = "log pattern \"" + r.name + "\": ";
    if (r.name.empty()) return InvalidArgumentError("log pattern with an empty name");
    if (!names.insert(r.name).second) return InvalidArgumentError(prefix + "duplicate name");
    if (r.pattern.empty()) return InvalidArgumentError(prefix + "empty pattern");
    if (r.threshold == 0) return InvalidArgumentError(prefix + "threshold must be at least 1");
    if (r.threshold > kMaxThreshold) {
      return InvalidArgumentError(prefix + "threshold " + std::to_string(r.threshold) +
                                  " is above the maximum " + std::to_string(kMaxThreshold));
    }
    if (r.window.count() <= 0) return InvalidArgumentError(prefix + "window must be positive");
    for (const std::string& s : r.sources) {
      if (s.empty()) return InvalidArgumentError(prefix + "empty source name");
      sources.insert(s);
    }
    auto re = std::make_shared<const re2::RE2>(r.pattern, PatternOptions());
    if (!re->ok()) {
      return InvalidArgumentError(prefix + "invalid regular expression: " + re->error());
    }
    compiled.push_back(std::move(re));
  }

  std::unique_ptr<PatternEngine> engine(new PatternEngine(std::move(rules)));
  const std::vector<PatternRule>& rs = engine->rules_;
  auto build = [&](const std::string* source) -> Result<std::unique_ptr<Matcher>> {
    auto m = std::make_unique<Matcher>();
    for (size_t i = 0; i < rs.size(); ++i) {
      const auto& src = rs[i].sources;
      const bool applies = src.empty() || (source != nullptr &&
                                           std::find(src.begin(), src.end(), *source) != src.end());
      if (!applies) continue;
      std::string error;
      if (m->set.Add(rs[i].pattern, &error) < 0) {  // RE2 accepted it alone
        return InternalError("log pattern \"" + rs[i].name + "\": " + error);
      }
      m->rules.push_back(i);
      m->regexps.push_back(compiled[i]);
    }
    if (m->rules.empty()) return std::unique_ptr<Matcher>();
    if (!m->set.Compile()) {
      return ResourceExhaustedError("log patterns" +
                                    std::string(source ? " for source \"" + *source + "\"" : "") +
                                    ": the combined regular expression is too large");
    }
    return m;
  };
  {
    Result<std::unique_ptr<Matcher>> any = build(nullptr);
    if (!any.ok()) return any.status();
    engine->any_source_ = std::move(any).value();
  }
  for (const std::string& s : sources) {
    Result<std::unique_ptr<Matcher>> m = build(&s);
    if (!m.ok()) return m.status();
    engine->by_source_.emplace(s, std::move(m).value());
  }
  for (const PatternRule& r : rs) {
    engine->states_.push_back(std::make_unique<RuleState>(r.threshold, r.window.count()));
  }
  return engine;
}

const PatternEngine::Matcher* PatternEngine::MatcherFor(std::string_view source) const {
  if (!by_source_.empty()) {
    auto it = by_source_.find(source);
    if (it != by_source_.end()) return it->second.get();
  }
  return any_source_.get();
}

void PatternEngine::Scan(std::string_view source, std::string_view line, int64_t t_ms) {
  if (const Matcher* m = MatcherFor(source)) ScanWith(*m, source, line, t_ms);
}

void PatternEngine::ScanBuffer(std::string_view source, std::string_view data, int64_t t_ms) {
  const Matcher* m = MatcherFor(source);
  if (m == nullptr) return;
  while (!data.empty()) {
    const void* nl = std::memchr(data.data(), '\n', data.size());
    const size_t n = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data.data())
                        : data.size();
    ScanWith(*m, source, data.substr(0, n), t_ms);
    data.remove_prefix(nl ? n + 1 : n);
  }
}

void PatternEngine::ScanWith(const Matcher& m, std::string_view source, std::string_view line,
                             int64_t t_ms) {
  const re2::StringPiece text(line.data(), line.size());
  re2::RE2::Set::ErrorInfo error{re2::RE2::Set::kNoError};
  // Without an output vector the DFA stops at the first match and allocates
  // nothing: the common no-match case costs one pass over the line.
  if (!m.set.Match(text, nullptr, &error) && error.kind == re2::RE2::Set::kNoError) return;
  if (error.kind == re2::RE2::Set::kNoError) {
    thread_local std::vector<int> hits;
    if (m.set.Match(text, &hits, &error)) {
      for (int i : hits) Record(m.rules[static_cast<size_t>(i)], source, line, t_ms);
      return;
    }
    if (error.kind == re2::RE2::Set::kNoError) return;  // cannot happen: it matched above
  }
  // The DFA ran out of memory on this line: match rule by rule.
  slow_path_lines_.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < m.regexps.size(); ++i) {
    if (re2::RE2::PartialMatch(text, *m.regexps[i])) Record(m.rules[i], source, line, t_ms);
  }
}

void PatternEngine::Record(size_t rule, std::string_view source, std::string_view line,
                           int64_t t_ms) {
  RuleState& s = *states_[rule];
  MutexLock lock(&s.mu);
  ++s.total;
  if (!s.any_match || t_ms >= s.last_match_ms) {
    s.any_match = true;
    s.last_match_ms = t_ms;
    s.last_source.assign(source);
    s.last_line.assign(line.substr(0, kMaxLastLineBytes));
  }
  if (!s.times.Add(t_ms) || !s.times.full()) return;
  const int64_t newest = s.times.newest();
  const int64_t until = AddSat(s.times.oldest(), s.window_ms);
  if (newest >= until) return;  // the kept matches span more than the window
  // Firing as of `newest`. The previous streak held for times before
  // firing_until_ms; if it lasted up to now, this continues it.
  if (!s.fired || s.firing_until_ms < newest) s.firing_since_ms = newest;
  s.fired = true;
  s.firing_until_ms = until;
}

std::vector<RuleStatus> PatternEngine::Evaluate(int64_t now_ms) const {
  std::vector<RuleStatus> out;
  out.reserve(rules_.size());
  for (size_t i = 0; i < rules_.size(); ++i) {
    const PatternRule& r = rules_[i];
    RuleStatus st;
    st.name = r.name;
    st.severity = r.severity;
    const RuleState& s = *states_[i];
    MutexLock lock(&s.mu);
    st.matches_total = s.total;
    st.matches_in_window = s.times.CountAfter(SubSat(now_ms, s.window_ms));
    st.firing = st.matches_in_window >= r.threshold;
    if (st.firing) st.firing_since_ms = s.firing_since_ms;
    if (s.any_match) {
      st.last_match_ms = s.last_match_ms;
      st.last_source = s.last_source;
      st.last_line = s.last_line;
    }
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace vigil::logging
