#include "promql/promqltest.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>

#include "base/file.h"
#include "base/go_text.h"
#include "base/status_macros.h"
#include "model/duration.h"
#include "promql/functions.h"
#include "promql/parser.h"
#include "storage/memory_storage.h"
#include "storage/series_iterator.h"

namespace vigil::promql::promqltest {
namespace {

// More values than this on one line is a typo (x1000000000), not a test.
constexpr uint64_t kMaxValuesPerLine = 10'000'000;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' ||
         c == '\n';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string Quote(std::string_view s) {
  std::string out;
  model::AppendQuoted(s, &out);
  return out;
}

// Go's strconv.ParseInt(s, 0, 64) without underscores: optional sign, then
// 0x/0o/0b prefixes or a leading 0 for octal.
std::optional<int64_t> ParseGoInt(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() >= 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x') base = 16;
    if (p == 'o') base = 8;
    if (p == 'b') base = 2;
    if (base != 10) {
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  if (neg) {
    if (v > uint64_t{1} << 63) return std::nullopt;
    return static_cast<int64_t>(0 - v);
  }
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return std::nullopt;
  }
  return static_cast<int64_t>(v);
}

// Go's strconv.ParseFloat(s, 64) for the forms test files use: decimal
// with optional fraction and exponent, "inf"/"infinity"/"nan" in any case,
// optional sign. Out-of-range magnitudes become +-Inf, as in Go.
std::optional<double> ParseGoFloat(std::string_view s) {
  bool neg = false;
  std::string_view body = s;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  auto lower_eq = [&](std::string_view word) {
    if (body.size() != word.size()) return false;
    for (size_t i = 0; i < word.size(); ++i) {
      if (static_cast<char>(body[i] | 0x20) != word[i]) return false;
    }
    return true;
  };
  if (lower_eq("inf") || lower_eq("infinity")) {
    return neg ? -std::numeric_limits<double>::infinity()
               : std::numeric_limits<double>::infinity();
  }
  if (lower_eq("nan")) return std::numeric_limits<double>::quiet_NaN();
  if (body.empty() || !(IsDigit(body[0]) || body[0] == '.')) {
    return std::nullopt;
  }
  for (char c : body) {
    if (!(IsDigit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' ||
          c == '-')) {
      return std::nullopt;
    }
  }
  double v = 0;
  auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (p != body.data() + body.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // Overflow gives Inf; underflow gives 0 (Go returns the rounded value).
    std::string tmp(body);
    v = std::strtod(tmp.c_str(), nullptr);
  } else if (ec != std::errc()) {
    return std::nullopt;
  }
  return neg ? -v : v;
}

// --- Series descriptions ---------------------------------------------------

struct DescError {
  size_t pos = 0;  // byte offset into the parsed text
  std::string message;
};

// Parses one series description (see ParseSeriesDesc). Single use; not
// thread-safe.
class DescParser {
 public:
  explicit DescParser(std::string_view s) : s_(s) {}

  bool Parse(SeriesDesc* out, DescError* err) {
    err_ = err;
    std::vector<std::pair<std::string, std::string>> pairs;
    std::string name;
    SkipSpace();
    if (AtEnd()) return Fail(pos_, "expected a metric name or a label set");
    if (IsAlpha(s_[pos_]) || s_[pos_] == ':') {
      size_t start = pos_;
      while (!AtEnd() && (IsAlnum(s_[pos_]) || s_[pos_] == ':')) ++pos_;
      name = std::string(s_.substr(start, pos_ - start));
      if (!AtEnd() && s_[pos_] == '{' && !ParseLabelSet(&pairs)) return false;
    } else if (s_[pos_] == '{') {
      if (!ParseLabelSet(&pairs)) return false;
    } else {
      return Fail(pos_, "expected a metric name or a label set, found " +
                            Quote(s_.substr(pos_, 1)));
    }
    // The metric name written before the braces wins over __name__ inside.
    if (!name.empty())
      pairs.emplace_back(std::string(model::kMetricName), name);
    out->labels = model::Labels::FromPairs(std::move(pairs));
    out->values.clear();
    while (!AtEnd()) {
      if (!IsSpace(s_[pos_])) {
        return Fail(pos_,
                    "expected white space before " + Quote(s_.substr(pos_, 1)));
      }
      SkipSpace();
      if (AtEnd()) break;
      size_t start = pos_;
      while (!AtEnd() && !IsSpace(s_[pos_])) ++pos_;
      if (!ParseItem(s_.substr(start, pos_ - start), start, &out->values)) {
        return false;
      }
    }
    return true;
  }

 private:
  bool AtEnd() const { return pos_ >= s_.size(); }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(s_[pos_])) ++pos_;
  }
  bool Fail(size_t pos, std::string message) {
    err_->pos = pos;
    err_->message = std::move(message);
    return false;
  }

  // At '{'.
  bool ParseLabelSet(std::vector<std::pair<std::string, std::string>>* out) {
    size_t open = pos_++;
    for (;;) {
      SkipSpace();
      if (AtEnd()) return Fail(open, "unclosed label set");
      if (s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      if (!IsAlpha(s_[pos_])) {
        return Fail(
            pos_, "expected a label name, found " + Quote(s_.substr(pos_, 1)));
      }
      size_t start = pos_;
      while (!AtEnd() && IsAlnum(s_[pos_])) ++pos_;
      std::string label(s_.substr(start, pos_ - start));
      SkipSpace();
      if (!AtEnd() && s_[pos_] == '!') {
        return Fail(pos_, "only \"=\" is allowed in a series label set");
      }
      if (AtEnd() || s_[pos_] != '=') {
        return Fail(pos_, "expected \"=\" after label name " + Quote(label));
      }
      ++pos_;
      if (!AtEnd() && (s_[pos_] == '~' || s_[pos_] == '=')) {
        return Fail(pos_ - 1, "only \"=\" is allowed in a series label set");
      }
      SkipSpace();
      std::string value;
      if (!ParseString(&value)) return false;
      out->emplace_back(std::move(label), std::move(value));
      SkipSpace();
      if (AtEnd()) return Fail(open, "unclosed label set");
      if (s_[pos_] == ',') {
        ++pos_;
      } else if (s_[pos_] != '}') {
        return Fail(pos_, "expected \",\" or \"}\" in label set, found " +
                              Quote(s_.substr(pos_, 1)));
      }
    }
  }

  bool ParseString(std::string* out) {
    if (AtEnd() || (s_[pos_] != '"' && s_[pos_] != '\'' && s_[pos_] != '`')) {
      return Fail(pos_, "expected a quoted label value");
    }
    const char q = s_[pos_];
    const size_t open = pos_++;
    while (!AtEnd() && s_[pos_] != q) {
      if (s_[pos_] != '\\' || q == '`') {
        out->push_back(s_[pos_++]);
        continue;
      }
      // An escape, read as Go's strconv does (PromQL's string literals).
      const size_t esc = pos_;
      std::string_view rest = s_.substr(pos_);
      char32_t r;
      bool multibyte;
      if (!UnquoteChar(&rest, q, &r, &multibyte)) {
        static constexpr std::string_view kEscapes = "abfnrtv\\'\"xuU01234567";
        const char e = esc + 1 < s_.size() ? s_[esc + 1] : '\0';
        if (e != '\0' && kEscapes.find(e) == std::string_view::npos) {
          return Fail(esc, "unknown escape sequence \\" + std::string(1, e) + " in label value");
        }
        return Fail(esc, "invalid escape sequence in label value");
      }
      pos_ = s_.size() - rest.size();
      if (r < 0x80 || !multibyte) {
        out->push_back(static_cast<char>(r));
      } else {
        AppendRune(r, out);
      }
    }
    if (AtEnd()) return Fail(open, "unterminated label value");
    ++pos_;  // closing quote
    return true;
  }

  // A number as the series lexer reads one: digits with an optional
  // fraction and exponent, or Inf / NaN in any case; no sign. Advances *i.
  bool ScanNumber(std::string_view item, size_t base, size_t* i, double* v) {
    const size_t start = *i;
    if (*i < item.size() && IsAlpha(item[*i])) {
      while (*i < item.size() && IsAlnum(item[*i])) ++*i;
      std::string_view word = item.substr(start, *i - start);
      auto f = ParseGoFloat(word);
      if (!f.has_value() || EqualsWord(word, "infinity")) {
        return Fail(base + start, "invalid value " + Quote(word) +
                                      " (expected a number, Inf, NaN, "
                                      "_ or stale)");
      }
      *v = *f;
      return true;
    }
    bool digits = false;
    while (*i < item.size() && IsDigit(item[*i])) ++*i, digits = true;
    if (*i < item.size() && item[*i] == '.') {
      ++*i;
      while (*i < item.size() && IsDigit(item[*i])) ++*i, digits = true;
    }
    if (digits && *i < item.size() && (item[*i] == 'e' || item[*i] == 'E')) {
      ++*i;
      if (*i < item.size() && (item[*i] == '+' || item[*i] == '-')) ++*i;
      while (*i < item.size() && IsDigit(item[*i])) ++*i;
    }
    std::string_view tok = item.substr(start, *i - start);
    if (!digits) {
      return Fail(base + start, "invalid value " + Quote(item) +
                                    " (expected a number, Inf, NaN, _ or "
                                    "stale)");
    }
    if (*i < item.size() && item[*i] != 'x' && IsAlnum(item[*i])) {
      return Fail(base + *i, "invalid value " + Quote(item));
    }
    auto f = ParseNumber(tok);
    if (!f.has_value()) {
      return Fail(base + start, "invalid number " + Quote(tok));
    }
    *v = *f;
    return true;
  }

  static bool EqualsWord(std::string_view a, std::string_view lower) {
    if (a.size() != lower.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (static_cast<char>(a[i] | 0x20) != lower[i]) return false;
    }
    return true;
  }

  // `x<N>` at *i: decimal digits only.
  bool ScanRepeat(std::string_view item, size_t base, size_t* i, uint64_t* n) {
    const size_t x = *i;
    ++*i;  // 'x'
    const size_t start = *i;
    while (*i < item.size() && IsDigit(item[*i])) ++*i;
    std::string_view digits = item.substr(start, *i - start);
    if (digits.empty() || *i != item.size()) {
      return Fail(base + x, "invalid repetition " + Quote(item.substr(x)) +
                                " (expected x followed by a whole number)");
    }
    auto [p, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), *n);
    if (ec != std::errc() || *n >= kMaxValuesPerLine) {
      return Fail(base + start,
                  "repetition count " + Quote(digits) + " is too large");
    }
    return true;
  }

  bool Add(std::vector<SequenceValue>* out, size_t count, SequenceValue v,
           size_t pos) {
    if (out->size() + count > kMaxValuesPerLine) {
      return Fail(pos, "more than " + std::to_string(kMaxValuesPerLine) +
                           " values on one line");
    }
    out->insert(out->end(), count, v);
    return true;
  }

  bool ParseItem(std::string_view item, size_t base,
                 std::vector<SequenceValue>* out) {
    if (item == "_") return Add(out, 1, {0, true}, base);
    if (item.starts_with("_x")) {
      size_t i = 1;
      uint64_t n = 0;
      if (!ScanRepeat(item, base, &i, &n)) return false;
      return Add(out, n, {0, true}, base);
    }
    if (item == "stale") {
      return Add(out, 1, {std::bit_cast<double>(storage::kStaleNaNBits), false},
                 base);
    }
    if (item.starts_with("stale")) {
      return Fail(base, "invalid value " + Quote(item) +
                            " (stale cannot be repeated or combined)");
    }
    size_t i = 0;
    bool neg = false;
    if (item[0] == '+' || item[0] == '-') {
      neg = item[0] == '-';
      ++i;
    }
    double a = 0;
    if (!ScanNumber(item, base, &i, &a)) return false;
    if (neg) a = -a;
    if (i == item.size()) return Add(out, 1, {a, false}, base);
    if (item[i] == 'x') {  // axN: N+1 copies
      uint64_t n = 0;
      if (!ScanRepeat(item, base, &i, &n)) return false;
      return Add(out, n + 1, {a, false}, base);
    }
    if (item[i] == '+' || item[i] == '-') {  // a+bxN / a-bxN
      const bool minus = item[i] == '-';
      ++i;
      double b = 0;
      if (!ScanNumber(item, base, &i, &b)) return false;
      if (minus) b = -b;
      if (i == item.size() || item[i] != 'x') {
        return Fail(base + i, "expected xN after " + Quote(item.substr(0, i)) +
                                  " (a+bxN or a-bxN)");
      }
      uint64_t n = 0;
      if (!ScanRepeat(item, base, &i, &n)) return false;
      if (out->size() + n + 1 > kMaxValuesPerLine) {
        return Fail(base, "too many values on one line");
      }
      // Accumulating, not a + j*b: the float results must be the ones
      // Prometheus' parser produces.
      for (uint64_t j = 0; j <= n; ++j) {
        out->push_back({a, false});
        a += b;
      }
      return true;
    }
    return Fail(base + i, "invalid value " + Quote(item));
  }

  std::string_view s_;
  size_t pos_ = 0;
  DescError* err_ = nullptr;
};

bool ParseDesc(std::string_view s, SeriesDesc* out, DescError* err) {
  return DescParser(s).Parse(out, err);
}

// --- Test files --------------------------------------------------------------

// Splits a test file into trimmed lines (comments blanked) and parses its
// commands. Single use; not thread-safe.
class FileParser {
 public:
  FileParser(std::string_view name, std::string_view text) : name_(name) {
    size_t start = 0;
    for (;;) {
      size_t nl = text.find('\n', start);
      std::string_view raw = text.substr(start, nl == std::string_view::npos
                                                    ? std::string_view::npos
                                                    : nl - start);
      raw_.push_back(raw);
      std::string_view t = Trim(raw);
      if (t.starts_with("#")) t = {};
      lines_.push_back(t);
      if (nl == std::string_view::npos) break;
      start = nl + 1;
    }
  }

  Result<TestFile> Parse() {
    TestFile file;
    file.name = std::string(name_);
    for (i_ = 0; i_ < lines_.size();) {
      std::string_view l = lines_[i_];
      if (l.empty()) {
        ++i_;
        continue;
      }
      std::string_view cmd = l.substr(0, FindSpace(l, 0));
      if (cmd == "clear") {
        if (cmd.size() != l.size()) {
          return Error(i_, "clear takes no arguments");
        }
        file.commands.push_back(ClearCommand{static_cast<int>(i_ + 1)});
        ++i_;
      } else if (cmd == "load") {
        LoadCommand load;
        VIGIL_RETURN_IF_ERROR(ParseLoad(&load));
        file.commands.push_back(std::move(load));
      } else if (cmd == "eval" || cmd == "eval_ordered" || cmd == "eval_fail") {
        EvalCommand eval;
        VIGIL_RETURN_IF_ERROR(ParseEval(&eval));
        file.commands.push_back(std::move(eval));
      } else {
        return Error(i_, "unknown command " + Quote(cmd) +
                             " (expected load, clear, eval, eval_ordered "
                             "or eval_fail)");
      }
    }
    return file;
  }

 private:
  static size_t FindSpace(std::string_view s, size_t from) {
    while (from < s.size() && !IsSpace(s[from])) ++from;
    return from;
  }
  static size_t SkipSpace(std::string_view s, size_t from) {
    while (from < s.size() && IsSpace(s[from])) ++from;
    return from;
  }

  Status Error(size_t line, std::string_view message) const {
    return InvalidArgumentError(std::string(name_) + ":" +
                                std::to_string(line + 1) + ": " +
                                std::string(message));
  }
  // `pos` is an offset into the trimmed line lines_[line].
  Status ErrorAt(size_t line, size_t pos, std::string_view message) const {
    size_t lead = static_cast<size_t>(lines_[line].data() - raw_[line].data());
    return InvalidArgumentError(
        std::string(name_) + ":" + std::to_string(line + 1) + ":" +
        std::to_string(lead + pos + 1) + ": " + std::string(message));
  }

  Status ParseLoad(LoadCommand* load) {
    std::string_view l = lines_[i_];
    load->line = static_cast<int>(i_ + 1);
    std::string_view step = Trim(l.substr(4));
    if (step.empty()) return Error(i_, "load needs a step: load <duration>");
    auto d = model::ParseDuration(step);
    if (!d.ok()) {
      return Error(i_, "invalid load step " + Quote(step) + ": " +
                           std::string(d.status().message()));
    }
    load->step_ms = d.value().count();
    if (load->step_ms <= 0) {
      return Error(i_, "the load step must be positive");
    }
    std::map<model::Labels, size_t> index;
    for (++i_; i_ < lines_.size() && !lines_[i_].empty(); ++i_) {
      SeriesDesc desc;
      DescError err;
      if (!ParseDesc(lines_[i_], &desc, &err)) {
        return ErrorAt(i_, err.pos, err.message);
      }
      if (desc.labels.empty()) {
        return Error(i_, "a loaded series needs a metric name or labels");
      }
      LoadCommand::Series s;
      s.line = static_cast<int>(i_ + 1);
      s.labels = desc.labels;
      int64_t t = 0;
      for (const auto& v : desc.values) {
        if (!v.omitted) s.samples.emplace_back(t, v.value);
        t += load->step_ms;
      }
      auto [it, inserted] = index.try_emplace(s.labels, load->series.size());
      if (inserted) {
        load->series.push_back(std::move(s));
      } else {
        load->series[it->second] = std::move(s);  // the last one wins
      }
    }
    return Status::OK();
  }

  Status ParseEval(EvalCommand* eval) {
    const std::string_view l = lines_[i_];
    const size_t line = i_;
    eval->line = static_cast<int>(i_ + 1);
    constexpr std::string_view kUsage =
        " (eval[_ordered|_fail] instant at <time> <expr>)";
    size_t p = FindSpace(l, 0);
    std::string_view cmd = l.substr(0, p);
    eval->mode = cmd == "eval_ordered" ? EvalMode::kOrdered
                 : cmd == "eval_fail"  ? EvalMode::kFail
                                       : EvalMode::kUnordered;
    auto word = [&](std::string_view* out) {
      size_t s = SkipSpace(l, p);
      p = FindSpace(l, s);
      *out = l.substr(s, p - s);
      return s;
    };
    std::string_view w;
    size_t at = word(&w);
    if (w != "instant") {
      return ErrorAt(line, at,
                     "expected \"instant\" after " + std::string(cmd) +
                         (w == "range" ? "; range evaluation is not part of "
                                         "this format"
                                       : "") +
                         std::string(kUsage));
    }
    at = word(&w);
    if (w != "at") {
      return ErrorAt(line, at, "expected \"at <time>\"" + std::string(kUsage));
    }
    at = word(&w);
    if (w.empty())
      return ErrorAt(line, at, "missing time" + std::string(kUsage));
    auto d = model::ParseDuration(w);
    if (!d.ok()) {
      return ErrorAt(line, at,
                     "invalid time " + Quote(w) + ": " +
                         std::string(d.status().message()));
    }
    eval->t_ms = d.value().count();
    size_t e = SkipSpace(l, p);
    eval->expr = std::string(Trim(l.substr(e)));
    if (eval->expr.empty()) {
      return ErrorAt(line, e, "missing expression" + std::string(kUsage));
    }

    std::map<model::Labels, int> seen;
    for (++i_; i_ < lines_.size() && !lines_[i_].empty(); ++i_) {
      std::string_view el = lines_[i_];
      if (eval->mode == EvalMode::kFail) {
        return Error(i_, "eval_fail takes no expected results");
      }
      if (eval->scalar.has_value()) {
        return Error(i_, "a scalar result must be the only expected line");
      }
      if (auto f = ParseNumber(el); f.has_value()) {
        if (!eval->samples.empty()) {
          return Error(i_, "cannot expect both a scalar and series");
        }
        eval->scalar = *f;
        continue;
      }
      SeriesDesc desc;
      DescError err;
      if (!ParseDesc(el, &desc, &err)) return ErrorAt(i_, err.pos, err.message);
      if (desc.values.size() != 1 || desc.values[0].omitted) {
        return Error(i_, "an expected series needs exactly one value, got " +
                             std::to_string(desc.values.size()) +
                             " (only instant evaluation exists)");
      }
      auto [it, inserted] =
          seen.try_emplace(desc.labels, static_cast<int>(i_ + 1));
      if (!inserted) {
        return Error(i_, "series " + desc.labels.ToString() +
                             " is already expected on line " +
                             std::to_string(it->second));
      }
      eval->samples.push_back(ExpectedSample{static_cast<int>(i_ + 1),
                                             std::move(desc.labels),
                                             desc.values[0].value});
    }
    return Status::OK();
  }

  std::string_view name_;
  std::vector<std::string_view> raw_;
  std::vector<std::string_view> lines_;  // trimmed; comments emptied
  size_t i_ = 0;
};

// --- Running ---------------------------------------------------------------

constexpr int64_t kRangeStepMs = 60 * 1000;

bool IsAtUnsafe(std::string_view fn) {
  static constexpr std::string_view kUnsafe[] = {
      "day_of_month", "day_of_week", "day_of_year", "days_in_month",
      "hour",         "minute",      "month",       "predict_linear",
      "time",         "timestamp",   "year"};
  for (auto u : kUnsafe) {
    if (u == fn) return true;
  }
  return false;
}

void PinTime(TimeModifiers* tm, int64_t t) {
  if (tm->at_ms.has_value()) return;
  tm->at_ms = t;
  tm->at_modifier = AtModifier::kNone;
}

void Pin(Expr* e, int64_t t, bool* unsafe) {
  if (e == nullptr) return;
  switch (e->kind) {
    case ExprKind::kNumber:
    case ExprKind::kString:
      return;
    case ExprKind::kVectorSelector:
      PinTime(&static_cast<VectorSelector*>(e)->time, t);
      return;
    case ExprKind::kMatrixSelector: {
      Expr* vs = static_cast<MatrixSelector*>(e)->vector_selector.get();
      if (vs != nullptr && vs->kind == ExprKind::kVectorSelector) {
        PinTime(&static_cast<VectorSelector*>(vs)->time, t);
      }
      return;
    }
    case ExprKind::kSubquery:
      // Pinned, the subquery's inside no longer depends on the evaluation
      // time; Prometheus leaves it (and its function calls) alone.
      PinTime(&static_cast<SubqueryExpr*>(e)->time, t);
      return;
    case ExprKind::kParen:
      Pin(static_cast<ParenExpr*>(e)->expr.get(), t, unsafe);
      return;
    case ExprKind::kUnary:
      Pin(static_cast<UnaryExpr*>(e)->expr.get(), t, unsafe);
      return;
    case ExprKind::kBinary: {
      auto* b = static_cast<BinaryExpr*>(e);
      Pin(b->lhs.get(), t, unsafe);
      Pin(b->rhs.get(), t, unsafe);
      return;
    }
    case ExprKind::kCall: {
      auto* c = static_cast<Call*>(e);
      if (c->func != nullptr && IsAtUnsafe(c->func->name)) *unsafe = true;
      for (auto& a : c->args) Pin(a.get(), t, unsafe);
      return;
    }
    case ExprKind::kAggregate: {
      auto* a = static_cast<AggregateExpr*>(e);
      Pin(a->param.get(), t, unsafe);
      Pin(a->expr.get(), t, unsafe);
      return;
    }
  }
}

std::string Indent(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out += "    ";
    out.append(text, start, nl - start);
    out += '\n';
    start = nl + 1;
  }
  return out;
}

std::string DescribeCheck(const StatementResult& r) {
  const std::string at = FormatTime(r.check_time_ms);
  const std::string range =
      "range query " + FormatTime(r.check_time_ms - kRangeStepMs) + ".." +
      FormatTime(r.check_time_ms + kRangeStepMs) + " step 1m, step at " + at;
  switch (r.check) {
    case Check::kNone:
      return "none";
    case Check::kParse:
      return "parse";
    case Check::kInstant:
      return "instant query at " + at;
    case Check::kRange:
      return range;
    case Check::kAtInstant:
      return "@ pinning at " + FormatTime(r.t_ms) + ", instant query at " + at;
    case Check::kAtRange:
      return "@ pinning at " + FormatTime(r.t_ms) + ", " + range;
  }
  return "?";
}

// Runs the checks of one eval statement and records the first failure in
// *result. Single use; not thread-safe.
class StatementRunner {
 public:
  StatementRunner(const EvalCommand& cmd, const Evaluator& evaluator,
                  storage::Queryable* queryable, StatementResult* result)
      : cmd_(cmd), eval_(evaluator), queryable_(queryable), r_(result) {}

  void Run() {
    auto parsed = ParseExpr(cmd_.expr);
    if (!parsed.ok()) {
      Fail(Check::kParse, cmd_.t_ms, cmd_.expr,
           "the expression does not parse: " +
               std::string(parsed.status().message()),
           "");
      return;
    }
    if (!RunCase(*parsed.value(), cmd_.expr, cmd_.t_ms, false)) return;

    auto pinned = ParseExpr(cmd_.expr);  // a fresh tree to mutate
    if (!pinned.ok()) return;
    if (!PinAtModifiers(pinned.value().get(), cmd_.t_ms)) {
      r_->passed = true;  // exempt from @ pinning
      return;
    }
    const std::string pinned_text = ToString(*pinned.value());
    for (int64_t t : AtModifierEvalTimes(cmd_.t_ms)) {
      if (!RunCase(*pinned.value(), pinned_text, t, true)) return;
    }
    r_->passed = true;
  }

 private:
  bool Fail(Check check, int64_t t, const std::string& expr,
            std::string message, std::string got) {
    r_->passed = false;
    r_->check = check;
    r_->check_time_ms = t;
    r_->check_expr = expr;
    r_->message = std::move(message);
    r_->expected = cmd_.mode == EvalMode::kFail ? "(an evaluation error)"
                                                : FormatExpected(cmd_);
    r_->got = std::move(got);
    return false;
  }

  bool RunCase(const Expr& expr, const std::string& text, int64_t t,
               bool pinned) {
    const Check instant_check = pinned ? Check::kAtInstant : Check::kInstant;
    const Check range_check = pinned ? Check::kAtRange : Check::kRange;
    Result<Value> instant = eval_.instant(queryable_, expr, t);
    if (cmd_.mode == EvalMode::kFail) {
      if (instant.ok()) {
        return Fail(instant_check, t, text,
                    "expected the evaluation to fail, but it succeeded",
                    FormatValue(instant.value()));
      }
      return true;
    }
    if (!instant.ok()) {
      return Fail(instant_check, t, text, "the evaluation failed",
                  "error: " + instant.status().ToString());
    }
    if (auto why = CompareResult(cmd_, instant.value())) {
      return Fail(instant_check, t, text, *why, FormatValue(instant.value()));
    }

    Result<Value> range = eval_.range(queryable_, expr, t - kRangeStepMs,
                                      t + kRangeStepMs, kRangeStepMs);
    if (!range.ok()) {
      return Fail(range_check, t, text, "the range evaluation failed",
                  "error: " + range.status().ToString());
    }
    if (cmd_.mode == EvalMode::kOrdered) return true;  // order undefined
    const bool scalar = std::holds_alternative<Scalar>(instant.value());
    Result<Value> step = ValueAtStep(range.value(), t, scalar);
    if (!step.ok()) {
      return Fail(range_check, t, text, std::string(step.status().message()),
                  FormatValue(range.value()));
    }
    if (auto why = CompareResult(cmd_, step.value())) {
      return Fail(range_check, t, text, *why, FormatValue(step.value()));
    }
    return true;
  }

  const EvalCommand& cmd_;
  const Evaluator& eval_;
  storage::Queryable* const queryable_;
  StatementResult* const r_;
};

std::string Location(const std::string& file, int line) {
  return file + ":" + std::to_string(line);
}

}  // namespace

// --- Public API --------------------------------------------------------------

Result<SeriesDesc> ParseSeriesDesc(std::string_view line) {
  SeriesDesc desc;
  DescError err;
  if (!ParseDesc(line, &desc, &err)) {
    return InvalidArgumentError("column " + std::to_string(err.pos + 1) + ": " +
                                err.message);
  }
  return desc;
}

std::optional<double> ParseNumber(std::string_view s) {
  if (auto i = ParseGoInt(s); i.has_value()) return static_cast<double>(*i);
  return ParseGoFloat(s);
}

std::string_view EvalModeName(EvalMode m) {
  switch (m) {
    case EvalMode::kUnordered:
      return "eval";
    case EvalMode::kOrdered:
      return "eval_ordered";
    case EvalMode::kFail:
      return "eval_fail";
  }
  return "eval";
}

size_t TestFile::num_evals() const {
  size_t n = 0;
  for (const auto& c : commands) n += std::holds_alternative<EvalCommand>(c);
  return n;
}

Result<TestFile> ParseTestFile(std::string_view name, std::string_view text) {
  return FileParser(name, text).Parse();
}

Result<TestFile> ReadTestFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseTestFile(path, text.value());
}

bool AlmostEqual(double a, double b) {
  constexpr double kEpsilon = 1e-6;
  const double min_normal = std::numeric_limits<double>::min();
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  const double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || diff < min_normal) {
    return diff < kEpsilon * min_normal;
  }
  return diff / (std::fabs(a) + std::fabs(b)) < kEpsilon;
}

std::optional<std::string> CompareResult(const EvalCommand& cmd,
                                         const Value& got) {
  if (std::holds_alternative<Matrix>(got)) {
    return "received a range vector (matrix) from an instant evaluation";
  }
  if (std::holds_alternative<String>(got)) {
    return "received a string, which this format cannot expect";
  }
  if (const auto* s = std::get_if<Scalar>(&got)) {
    if (!cmd.scalar.has_value()) {
      return "expected a vector but got the scalar " + FormatFloat(s->v);
    }
    if (!AlmostEqual(*cmd.scalar, s->v)) {
      return "expected scalar " + FormatFloat(*cmd.scalar) + " but got " +
             FormatFloat(s->v);
    }
    return std::nullopt;
  }
  const Vector& vec = std::get<Vector>(got);
  if (cmd.scalar.has_value()) {
    return "expected the scalar " + FormatFloat(*cmd.scalar) +
           " but got a vector of " + std::to_string(vec.size()) + " series";
  }
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < cmd.samples.size(); ++i) {
    index.emplace(cmd.samples[i].labels.bytes(), i);
  }
  std::vector<bool> seen(cmd.samples.size(), false);
  for (size_t pos = 0; pos < vec.size(); ++pos) {
    const Sample& s = vec[pos];
    auto it = index.find(s.metric.bytes());
    if (it == index.end()) {
      return "unexpected series " + s.metric.ToString() + " " +
             FormatFloat(s.v) + " in the result";
    }
    const size_t want = it->second;
    if (seen[want]) {
      return "series " + s.metric.ToString() +
             " appears more than once in the result";
    }
    if (cmd.mode == EvalMode::kOrdered && want != pos) {
      return "expected series " + s.metric.ToString() + " at position " +
             std::to_string(want + 1) + " but it is at position " +
             std::to_string(pos + 1);
    }
    if (!AlmostEqual(cmd.samples[want].value, s.v)) {
      return "expected " + FormatFloat(cmd.samples[want].value) + " for " +
             s.metric.ToString() + " but got " + FormatFloat(s.v);
    }
    seen[want] = true;
  }
  for (size_t i = 0; i < cmd.samples.size(); ++i) {
    if (!seen[i]) {
      return "expected series " + cmd.samples[i].labels.ToString() + " " +
             FormatFloat(cmd.samples[i].value) + " is not in the result";
    }
  }
  return std::nullopt;
}

Result<Value> ValueAtStep(const Value& range_result, int64_t t_ms,
                          bool as_scalar) {
  if (const auto* s = std::get_if<Scalar>(&range_result)) {
    if (as_scalar) return Value(Scalar{t_ms, s->v});
    return Value(Vector{Sample{model::Labels(), t_ms, s->v}});
  }
  const auto* m = std::get_if<Matrix>(&range_result);
  if (m == nullptr) {
    return InvalidArgumentError(
        std::string("the range query returned a ") +
        (std::holds_alternative<String>(range_result) ? "string" : "vector") +
        ", not a matrix");
  }
  Vector vec;
  for (const auto& series : *m) {
    for (const auto& p : series.points) {
      if (p.t == t_ms) {
        vec.push_back(Sample{series.metric, p.t, p.v});
        break;
      }
    }
  }
  if (as_scalar) {
    if (vec.empty()) {
      return NotFoundError("the range query has no point at " +
                           FormatTime(t_ms));
    }
    return Value(Scalar{t_ms, vec[0].v});
  }
  return Value(std::move(vec));
}

std::string FormatFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return std::to_string(v);
  return std::string(buf, p);
}

std::string FormatValue(const Value& v) {
  if (const auto* s = std::get_if<Scalar>(&v)) return FormatFloat(s->v);
  if (const auto* s = std::get_if<String>(&v)) return "string " + Quote(s->v);
  std::string out;
  if (const auto* vec = std::get_if<Vector>(&v)) {
    if (vec->empty()) return "(empty vector)";
    for (const auto& s : *vec) {
      if (!out.empty()) out += '\n';
      out += s.metric.ToString() + " " + FormatFloat(s.v);
    }
    return out;
  }
  const Matrix& m = std::get<Matrix>(v);
  if (m.empty()) return "(empty matrix)";
  for (const auto& s : m) {
    if (!out.empty()) out += '\n';
    out += s.metric.ToString();
    for (const auto& p : s.points) {
      out += " " + FormatFloat(p.v) + "@" + FormatTime(p.t);
    }
  }
  return out;
}

std::string FormatExpected(const EvalCommand& cmd) {
  if (cmd.mode == EvalMode::kFail) return "(an evaluation error)";
  if (cmd.scalar.has_value()) return FormatFloat(*cmd.scalar);
  if (cmd.samples.empty()) return "(empty vector)";
  std::string out;
  for (const auto& s : cmd.samples) {
    if (!out.empty()) out += '\n';
    out += s.labels.ToString() + " " + FormatFloat(s.value);
  }
  return out;
}

std::string FormatTime(int64_t t_ms) {
  return model::FormatDuration(std::chrono::milliseconds(t_ms));
}

bool PinAtModifiers(Expr* expr, int64_t t_ms) {
  bool unsafe = false;
  Pin(expr, t_ms, &unsafe);
  return !unsafe;
}

std::vector<int64_t> AtModifierEvalTimes(int64_t t_ms) {
  if (t_ms == 0) return {-1000, 0, 1000};
  return {-10 * t_ms, 0, t_ms / 5, t_ms, 10 * t_ms};
}

EngineOptions TestEngineOptions() {
  EngineOptions o;
  o.timeout = std::chrono::seconds(100);
  o.max_samples = 10000;
  o.lookback_delta_ms = 5 * 60 * 1000;
  o.default_subquery_step_ms = 60 * 1000;
  return o;
}

StorageFactory MemoryStorageFactory() {
  return []() -> Result<TestStorage> {
    auto db = std::make_shared<storage::MemoryStorage>();
    TestStorage s;
    s.appendable = db.get();
    s.queryable = db.get();
    s.owner = std::move(db);
    return s;
  };
}

std::string_view CheckName(Check c) {
  switch (c) {
    case Check::kNone:
      return "none";
    case Check::kParse:
      return "parse";
    case Check::kInstant:
      return "instant";
    case Check::kRange:
      return "range";
    case Check::kAtInstant:
      return "@ pinning (instant)";
    case Check::kAtRange:
      return "@ pinning (range)";
  }
  return "?";
}

size_t RunResult::passed() const {
  return static_cast<size_t>(
      std::count_if(statements.begin(), statements.end(),
                    [](const StatementResult& s) { return s.passed; }));
}

size_t RunResult::failed() const { return statements.size() - passed(); }

void RunResult::Merge(RunResult other) {
  files.insert(files.end(), std::make_move_iterator(other.files.begin()),
               std::make_move_iterator(other.files.end()));
  statements.insert(statements.end(),
                    std::make_move_iterator(other.statements.begin()),
                    std::make_move_iterator(other.statements.end()));
  errors.insert(errors.end(), std::make_move_iterator(other.errors.begin()),
                std::make_move_iterator(other.errors.end()));
}

std::string RunResult::Report(bool verbose) const {
  std::string out;
  for (const auto& s : statements) {
    const std::string head =
        Location(s.file, s.line) + ": " + std::string(EvalModeName(s.mode)) +
        " instant at " + FormatTime(s.t_ms) + " " + s.expr + "\n";
    if (s.passed) {
      if (verbose) out += "ok   " + head;
      continue;
    }
    out += "FAIL " + head;
    out += "  check:    " + DescribeCheck(s) + "\n";
    if (s.check_expr != s.expr && !s.check_expr.empty()) {
      out += "  as:       " + s.check_expr + "\n";
    }
    out += "  problem:  " + s.message + "\n";
    if (s.check != Check::kParse) {
      out += "  expected:\n" + Indent(s.expected);
      out += "  got:\n" + Indent(s.got);
    }
  }
  for (const auto& e : errors) out += "ERROR " + e.text + "\n";
  // One line per file, then the totals.
  if (files.size() > 1 || verbose) {
    for (const auto& f : files) {
      size_t n = 0, bad = 0, errs = 0;
      for (const auto& s : statements) {
        if (s.file != f) continue;
        ++n;
        bad += !s.passed;
      }
      for (const auto& e : errors) errs += e.file == f;
      out += (bad == 0 && errs == 0 ? "ok   " : "FAIL ") + f + ": " +
             std::to_string(n - bad) + " passed, " + std::to_string(bad) +
             " failed" +
             (errs > 0 ? ", " + std::to_string(errs) + " errors" : "") + "\n";
    }
  }
  out += std::to_string(passed()) + " passed, " + std::to_string(failed()) +
         " failed\n";
  if (!errors.empty()) out += std::to_string(errors.size()) + " errors\n";
  return out;
}

Evaluator EngineEvaluator(Engine* engine) {
  Evaluator e;
  e.instant = [engine](storage::Queryable* q, const Expr& expr, int64_t t) {
    return engine->Instant(q, expr, t);
  };
  e.range = [engine](storage::Queryable* q, const Expr& expr, int64_t start,
                     int64_t end, int64_t step) {
    return engine->Range(q, expr, start, end, step);
  };
  return e;
}

RunResult RunTestFile(const TestFile& file, Engine* engine,
                      const StorageFactory& storage_factory) {
  return RunTestFile(file, EngineEvaluator(engine), storage_factory);
}

RunResult RunTestFiles(const std::vector<std::string>& paths, Engine* engine,
                       const StorageFactory& storage_factory) {
  return RunTestFiles(paths, EngineEvaluator(engine), storage_factory);
}

RunResult RunTestFile(const TestFile& file, const Evaluator& evaluator,
                      const StorageFactory& storage_factory) {
  RunResult out;
  out.files.push_back(file.name);
  Result<TestStorage> storage = storage_factory();
  if (!storage.ok()) {
    out.errors.push_back({file.name, file.name + ": creating the storage: " +
                                         storage.status().ToString()});
  }
  for (const auto& command : file.commands) {
    if (const auto* clear = std::get_if<ClearCommand>(&command)) {
      storage = Result<TestStorage>(InternalError("released"));
      storage = storage_factory();  // the old one is gone first
      if (!storage.ok()) {
        out.errors.push_back({file.name, Location(file.name, clear->line) +
                                             ": creating the storage: " +
                                             storage.status().ToString()});
      }
      continue;
    }
    if (const auto* load = std::get_if<LoadCommand>(&command)) {
      if (!storage.ok()) {
        out.errors.push_back({file.name, Location(file.name, load->line) +
                                             ": load skipped: no storage"});
        continue;
      }
      auto app = storage->appendable->NewAppender();
      bool failed = false;
      for (const auto& series : load->series) {
        storage::SeriesRef ref = 0;
        for (const auto& [t, v] : series.samples) {
          auto r = app->Append(ref, series.labels, t, v);
          if (!r.ok()) {
            out.errors.push_back(
                {file.name, Location(file.name, series.line) + ": loading " +
                                series.labels.ToString() + " at " +
                                FormatTime(t) + ": " + r.status().ToString() +
                                " (the whole load block was dropped)"});
            failed = true;
            break;
          }
          ref = r.value();
        }
        if (failed) break;
      }
      if (failed) {
        app->Rollback();
        continue;
      }
      Status st = app->Commit();
      if (!st.ok()) {
        out.errors.push_back(
            {file.name, Location(file.name, load->line) +
                            ": committing the load: " + st.ToString()});
      }
      continue;
    }
    const auto& eval = std::get<EvalCommand>(command);
    StatementResult r;
    r.file = file.name;
    r.line = eval.line;
    r.mode = eval.mode;
    r.t_ms = eval.t_ms;
    r.expr = eval.expr;
    if (!storage.ok()) {
      r.check = Check::kInstant;
      r.check_time_ms = eval.t_ms;
      r.message = "not run: no storage";
      r.expected = FormatExpected(eval);
    } else {
      StatementRunner(eval, evaluator, storage->queryable, &r).Run();
    }
    out.statements.push_back(std::move(r));
  }
  return out;
}

RunResult RunTestFiles(const std::vector<std::string>& paths,
                       const Evaluator& evaluator,
                       const StorageFactory& storage_factory) {
  RunResult all;
  for (const auto& path : paths) {
    auto file = ReadTestFile(path);
    if (!file.ok()) {
      all.files.push_back(path);
      // Parse errors start with the path already; read errors may not.
      std::string text(file.status().message());
      if (!text.starts_with(path + ":")) text = path + ": " + text;
      all.errors.push_back({path, std::move(text)});
      continue;
    }
    all.Merge(RunTestFile(file.value(), evaluator, storage_factory));
  }
  return all;
}

}  // namespace vigil::promql::promqltest
