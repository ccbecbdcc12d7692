// ParseMatchers: Alertmanager's pkg/labels matcher syntax, as the `matchers`
// fields of routes and inhibit rules (and amtool) write it.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/config_internal.h"

namespace vigil::alertmanager {
namespace {

// Go's regexp \s plus \v (strings.TrimSpace also trims it).
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

std::string At(size_t pos, std::string_view token) {
  return " at position " + std::to_string(pos + 1) + ": \"" + std::string(token) + "\"";
}

// One `name op value` (labels.ParseMatcher). `pos` is the token's offset
// in the whole input, for messages.
Result<model::Matcher> ParseOne(std::string_view token, size_t pos) {
  size_t i = 0;
  while (i < token.size() && IsSpace(token[i])) ++i;
  pos += i;
  std::string_view shown = token.substr(i);
  while (!shown.empty() && IsSpace(shown.back())) shown.remove_suffix(1);
  const Status bad = InvalidArgumentError("bad matcher format" + At(pos, shown));

  const size_t name_start = i;
  if (i >= token.size() || !IsNameStart(token[i])) return bad;
  while (i < token.size() && IsNameChar(token[i])) ++i;
  const std::string_view name = token.substr(name_start, i - name_start);
  while (i < token.size() && IsSpace(token[i])) ++i;

  model::MatchType type;
  std::string_view rest = token.substr(i);
  if (rest.starts_with("=~")) {
    type = model::MatchType::kRegexMatch;
  } else if (rest.starts_with("=")) {
    type = model::MatchType::kEqual;
  } else if (rest.starts_with("!=")) {
    type = model::MatchType::kNotEqual;
  } else if (rest.starts_with("!~")) {
    type = model::MatchType::kRegexNoMatch;
  } else {
    return bad;
  }
  i += type == model::MatchType::kEqual ? 1 : 2;
  while (i < token.size() && IsSpace(token[i])) ++i;
  std::string_view raw = token.substr(i);
  while (!raw.empty() && IsSpace(raw.back())) raw.remove_suffix(1);

  bool expect_trailing_quote = false;
  if (!raw.empty() && raw.front() == '"') {
    raw.remove_prefix(1);
    expect_trailing_quote = true;
  }
  if (!IsValidUtf8(raw)) {
    return InvalidArgumentError("matcher value not valid UTF-8" + At(pos, shown));
  }
  const Status unescaped_quote =
      InvalidArgumentError("matcher value contains unescaped double quote" + At(pos, shown));
  std::string value;
  bool escaped = false;
  for (size_t k = 0; k < raw.size(); ++k) {
    const char c = raw[k];
    if (escaped) {
      escaped = false;
      if (c == 'n') {
        value += '\n';
      } else if (c == '"' || c == '\\') {
        value += c;
      } else {
        // A spurious escape: the backslash is literal.
        value += '\\';
        value += c;
      }
      continue;
    }
    if (c == '\\') {
      if (k + 1 < raw.size()) {
        escaped = true;
        continue;
      }
      value += '\\';  // a trailing backslash is literal
    } else if (c == '"') {
      if (!expect_trailing_quote || k + 1 < raw.size()) return unescaped_quote;
      expect_trailing_quote = false;
    } else {
      value += c;
    }
  }
  if (expect_trailing_quote) return unescaped_quote;

  Result<model::Matcher> m = internal::MakeMatcher(type, name, value);
  if (!m.ok()) {
    return InvalidArgumentError(std::string(m.status().message()) + " (matcher" + At(pos, shown) +
                                ")");
  }
  return m;
}

}  // namespace

Result<std::vector<model::Matcher>> ParseMatchers(std::string_view s) {
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end && IsSpace(s[begin])) ++begin;
  while (end > begin && IsSpace(s[end - 1])) --end;
  if (begin < end && s[begin] == '{') ++begin;
  if (end > begin && s[end - 1] == '}') --end;

  // Commas split matchers except inside double quotes; \" does not toggle
  // quoting. Every token before the last must be a matcher; the last may
  // be blank (a trailing comma).
  std::vector<std::pair<std::string_view, size_t>> tokens;
  bool inside_quotes = false;
  bool escaped = false;
  size_t start = begin;
  for (size_t i = begin; i < end; ++i) {
    const char c = s[i];
    if (c == ',') {
      if (!inside_quotes) {
        tokens.emplace_back(s.substr(start, i - start), start);
        start = i + 1;
      }
    } else if (c == '"') {
      if (!escaped) {
        inside_quotes = !inside_quotes;
      } else {
        escaped = false;
      }
    } else if (c == '\\') {
      escaped = !escaped;
    } else {
      escaped = false;
    }
  }
  std::string_view last = s.substr(start, end - start);
  bool blank = std::all_of(last.begin(), last.end(), IsSpace);
  if (!blank) tokens.emplace_back(last, start);

  std::vector<model::Matcher> out;
  out.reserve(tokens.size());
  for (const auto& [token, pos] : tokens) {
    Result<model::Matcher> m = ParseOne(token, pos);
    if (!m.ok()) return std::move(m).status();
    out.push_back(*std::move(m));
  }
  return out;
}

namespace internal {

void SortMatchers(std::vector<model::Matcher>* ms) {
  std::stable_sort(ms->begin(), ms->end(), [](const model::Matcher& a, const model::Matcher& b) {
    if (int c = a.name().compare(b.name()); c != 0) return c < 0;
    if (int c = a.value().compare(b.value()); c != 0) return c < 0;
    return a.type() < b.type();
  });
}

Result<model::Matcher> MakeMatcher(model::MatchType type, std::string_view name,
                                   std::string_view value) {
  Result<model::Matcher> m = model::Matcher::Make(type, name, value);
  if (m.ok()) return m;
  std::string msg(m.status().message());
  const std::string anchored = "^(?:" + std::string(value) + ")$";
  if (const size_t at = msg.rfind(anchored); at != std::string::npos) {
    msg.replace(at, anchored.size(), value);
  }
  return Status(m.status().code(), msg);
}

}  // namespace internal
}  // namespace vigil::alertmanager
