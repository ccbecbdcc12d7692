// Rule generation: SLOs and SLAs to Prometheus recording and alerting
// rules, and the rule file's YAML text.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "model/duration.h"
#include "promql/parser.h"
#include "slo/internal.h"
#include "slo/slo.h"

namespace vigil::slo {
namespace {

using Millis = std::chrono::milliseconds;

constexpr int64_t kMinuteMs = 60 * 1000;
constexpr int64_t kDayMs = 24 * 60 * kMinuteMs;
constexpr int64_t kBaseWindowMs = 30 * kDayMs;

// The workbook's table for a 30d SLO window, in minutes.
struct BaseWindow {
  bool page;
  int64_t long_minutes;
  int64_t short_minutes;
  double factor;
};
constexpr BaseWindow kBaseWindows[] = {
    {true, 60, 5, 14.4},
    {true, 6 * 60, 30, 6},
    {false, 24 * 60, 2 * 60, 3},
    {false, 3 * 24 * 60, 6 * 60, 1},
};

Millis Scale(int64_t base_minutes, Millis slo_window) {
  if (slo_window.count() == kBaseWindowMs) return Millis(base_minutes * kMinuteMs);
  const double scaled =
      static_cast<double>(base_minutes) * (static_cast<double>(slo_window.count()) / kBaseWindowMs);
  const auto minutes = static_cast<int64_t>(std::llround(scaled));
  return Millis(std::max<int64_t>(1, minutes) * kMinuteMs);
}

// {slo_service="svc", slo="name"}: selects one SLO's generated series.
std::string IdentitySelector(const std::string& service, const std::string& name) {
  std::string s = "{slo_service=";
  model::AppendQuoted(service, &s);
  s += ", slo=";
  model::AppendQuoted(name, &s);
  s += "}";
  return s;
}

std::string Trim(std::string_view s) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

// `expr` in parentheses. PromQL comments run to the end of the line, so
// text with a '#' (a comment, or one inside a string) gets its closing
// parenthesis on a line of its own.
std::string Parenthesised(std::string_view expr) {
  const std::string e = Trim(expr);
  return e.find('#') == std::string::npos ? "(" + e + ")" : "(" + e + "\n)";
}

// `expr` as the left operand of a comparison: parenthesised when it is a
// binary operation (which could bind looser than the comparison) or holds
// a '#'.
std::string Operand(std::string_view expr) {
  std::string e = Trim(expr);
  auto parsed = promql::ParseExpr(e);
  if (parsed.ok() && (*parsed)->kind != promql::ExprKind::kBinary &&
      e.find('#') == std::string::npos) {
    return e;
  }
  return Parenthesised(e);
}

// The SLI's error ratio over `window`.
std::string SliExpr(const Slo& slo, Millis window) {
  const std::string w = model::FormatDuration(window);
  if (slo.kind == SliKind::kErrorRatio) {
    // Validated: both queries hold a placeholder and nothing else.
    auto errors = internal::SubstituteWindow(slo.errors_query, w);
    auto total = internal::SubstituteWindow(slo.total_query, w);
    return Parenthesised(errors.value_or(std::string())) + "\n/\n" +
           Parenthesised(total.value_or(std::string()));
  }
  const std::string& sel = slo.selector;
  const std::string bucket_sel = sel.empty()
                                     ? internal::LeMatcher(slo.threshold_seconds)
                                     : sel + ", " + internal::LeMatcher(slo.threshold_seconds);
  std::string out = "1 - (\n  sum(rate(" + slo.histogram_metric + "_bucket{" + bucket_sel + "}[" +
                    w + "]))\n  /\n  sum(rate(" + slo.histogram_metric + "_count";
  if (!sel.empty()) out += "{" + sel + "}";
  out += "[" + w + "]))\n)";
  return out;
}

// Go text/template text that prints `s` literally.
std::string TemplateLiteral(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.substr(i, 2) == "{{") {
      out += "{{ \"{{\" }}";
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string Percent(double percent) { return internal::FormatNumber(percent) + "%"; }

model::Labels Merge(const model::Labels& base, const model::Labels& over) {
  model::LabelsBuilder b(base);
  for (const auto& l : over) b.Set(l.name, l.value);
  return b.Build();
}

GeneratedRule Record(std::string name, std::string expr, const model::Labels& labels) {
  GeneratedRule r;
  r.name = std::move(name);
  r.expr = std::move(expr);
  r.labels = labels;
  return r;
}

// "14.4x (1h and 5m windows) or 6x (6h and 30m windows)".
std::string WindowsText(const std::vector<BurnWindow>& ws, bool page) {
  std::string out;
  for (const auto& w : ws) {
    if (w.page != page) continue;
    if (!out.empty()) out += " or ";
    out += internal::FormatNumber(w.factor) + "x (" + model::FormatDuration(w.long_window) +
           " and " + model::FormatDuration(w.short_window) + " windows)";
  }
  return out;
}

GeneratedRule BurnAlert(const std::string& service, const Slo& slo, bool page,
                        const std::vector<BurnWindow>& windows, const std::string& budget,
                        const model::Labels& labels) {
  const AlertOptions& opts = page ? slo.page : slo.ticket;
  const std::string sel = IdentitySelector(service, slo.name);
  GeneratedRule r;
  r.alerting = true;
  r.name = opts.name;
  for (const auto& w : windows) {
    if (w.page != page) continue;
    const std::string threshold = " > (" + internal::FormatNumber(w.factor) + " * " + budget + ")";
    if (!r.expr.empty()) r.expr += "\nor\n";
    r.expr += "(\n  " + internal::SliRecordName(w.long_window) + sel + threshold + "\n  and\n  " +
              internal::SliRecordName(w.short_window) + sel + threshold + "\n)";
  }
  model::LabelsBuilder b(Merge(labels, opts.labels));
  if (b.Get("severity").empty()) b.Set("severity", page ? "page" : "ticket");
  b.Set("slo_service", service);
  b.Set("slo", slo.name);
  b.Set("slo_severity", page ? "page" : "ticket");
  r.labels = b.Build();

  model::LabelsBuilder a(opts.annotations);
  if (a.Get("summary").empty()) {
    // Names written out: $labels are the series' labels, before the rule's
    // own are added.
    a.Set("summary", TemplateLiteral(service) + ": SLO " + TemplateLiteral(slo.name) +
                         " is burning its error budget " + (page ? "fast" : "slowly"));
  }
  if (a.Get("description").empty()) {
    std::string d;
    if (!slo.description.empty()) d = TemplateLiteral(Trim(slo.description)) + "\n";
    d += "Error ratio {{ $value | humanizePercentage }} over the long window: the error budget "
         "of the " +
         Percent(slo.objective_percent) + " objective over " + model::FormatDuration(slo.window) +
         " burns faster than " + WindowsText(windows, page) + ".";
    a.Set("description", d);
  }
  r.annotations = a.Build();
  return r;
}

}  // namespace

std::vector<BurnWindow> AlertWindows(Millis slo_window) {
  std::vector<BurnWindow> out;
  for (const auto& b : kBaseWindows) {
    out.push_back(
        {b.page, Scale(b.long_minutes, slo_window), Scale(b.short_minutes, slo_window), b.factor});
  }
  return out;
}

std::vector<Millis> SliWindows(Millis slo_window) {
  std::set<Millis> s;
  for (const auto& w : AlertWindows(slo_window)) {
    s.insert(w.long_window);
    s.insert(w.short_window);
  }
  return {s.begin(), s.end()};
}

namespace internal {

std::string SliRecordName(Millis window) {
  return "slo:sli_error:ratio_rate" + model::FormatDuration(window);
}

GeneratedGroup GenerateSloGroup(const std::string& service, const Slo& slo) {
  GeneratedGroup g;
  g.name = "slo:" + service + ":" + slo.name;
  model::LabelsBuilder lb(slo.labels);
  lb.Set("slo_service", service);
  lb.Set("slo", slo.name);
  const model::Labels labels = lb.Build();
  const std::string sel = IdentitySelector(service, slo.name);

  const auto objective = FormatObjective(slo.objective_percent);
  const std::string ratio = objective.ok() ? objective->objective_ratio : "0";
  const std::string budget = objective.ok() ? objective->budget_ratio : "1";

  // 1. The SLI's error ratio over each alert window.
  const std::vector<Millis> windows = SliWindows(slo.window);
  for (Millis w : windows) g.rules.push_back(Record(SliRecordName(w), SliExpr(slo, w), labels));

  // 2. Over the whole SLO window: the mean of the shortest window's ratio,
  // as Sloth computes it (a rate over 30d would need 30d of raw samples at
  // every evaluation and would hide resets of the recorded ratios).
  const std::string shortest = SliRecordName(windows.front()) + sel;
  const std::string period = model::FormatDuration(slo.window);
  g.rules.push_back(Record(SliRecordName(slo.window),
                           "sum_over_time(" + shortest + "[" + period + "])\n/\ncount_over_time(" +
                               shortest + "[" + period + "])",
                           labels));

  // 3. Metadata and error budget.
  g.rules.push_back(Record("slo:objective:ratio", "vector(" + ratio + ")", labels));
  g.rules.push_back(Record("slo:error_budget:ratio", "vector(" + budget + ")", labels));
  g.rules.push_back(Record(
      "slo:time_period:days",
      "vector(" + FormatNumber(static_cast<double>(slo.window.count()) / kDayMs) + ")", labels));
  g.rules.push_back(Record("slo:current_burn_rate:ratio", shortest + " / " + budget, labels));
  g.rules.push_back(Record("slo:period_burn_rate:ratio",
                           SliRecordName(slo.window) + sel + " / " + budget, labels));
  g.rules.push_back(Record("slo:period_error_budget_remaining:ratio",
                           "1 - slo:period_burn_rate:ratio" + sel, labels));

  // 4. Multi-window, multi-burn-rate alerts.
  const std::vector<BurnWindow> alert_windows = AlertWindows(slo.window);
  if (slo.page.enabled) {
    g.rules.push_back(BurnAlert(service, slo, true, alert_windows, budget, slo.labels));
  }
  if (slo.ticket.enabled) {
    g.rules.push_back(BurnAlert(service, slo, false, alert_windows, budget, slo.labels));
  }
  return g;
}

GeneratedGroup GenerateSlaGroup(const std::string& service, const Sla& sla) {
  GeneratedGroup g;
  g.name = "sla:" + service + ":" + sla.name;
  model::LabelsBuilder lb(sla.labels);
  lb.Set("slo_service", service);
  lb.Set("slo", sla.name);
  const model::Labels labels = lb.Build();
  const std::string threshold = FormatNumber(sla.threshold);
  const std::string expr = Operand(sla.expr);
  g.rules.push_back(Record("slo:sla_violation:bool", expr + " > bool " + threshold, labels));
  if (sla.alert.enabled) {
    GeneratedRule r;
    r.alerting = true;
    r.name = sla.alert.name;
    r.expr = expr + " > " + threshold;
    r.for_duration = sla.for_duration;
    model::LabelsBuilder b(Merge(sla.labels, sla.alert.labels));
    if (b.Get("severity").empty()) b.Set("severity", "page");
    b.Set("slo_service", service);
    b.Set("slo", sla.name);
    r.labels = b.Build();
    model::LabelsBuilder a(sla.alert.annotations);
    if (a.Get("summary").empty()) {
      a.Set("summary",
            TemplateLiteral(service) + ": SLA " + TemplateLiteral(sla.name) + " is violated");
    }
    if (a.Get("description").empty()) {
      std::string d;
      if (!sla.description.empty()) d = TemplateLiteral(Trim(sla.description)) + "\n";
      d += "The value {{ $value }} is above the threshold " + TemplateLiteral(threshold);
      if (sla.for_duration.count() > 0) {
        d += " for " + model::FormatDuration(sla.for_duration);
      }
      d += ".";
      a.Set("description", d);
    }
    r.annotations = a.Build();
    g.rules.push_back(std::move(r));
  }
  return g;
}

}  // namespace internal

std::vector<GeneratedGroup> GenerateRules(const SloFile& file) {
  std::vector<GeneratedGroup> out;
  for (const Slo& s : file.slos) out.push_back(internal::GenerateSloGroup(file.service, s));
  for (const Sla& s : file.slas) out.push_back(internal::GenerateSlaGroup(file.service, s));
  return out;
}

// --- YAML output -----------------------------------------------------------

namespace {

// A YAML double-quoted scalar: \\, \", and escapes for every character a
// YAML document may not hold raw (control characters, DEL).
// YAML 1.1 (yaml-cpp) also breaks lines at NEL, LS and PS; they are
// escaped too. REQUIRES: valid UTF-8.
constexpr std::string_view kUnicodeBreaks[] = {"\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9"};

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      bool escaped = false;
      for (std::string_view br : kUnicodeBreaks) {
        if (s.substr(i, br.size()) == br) {
          out += br.size() == 2 ? "\\u0085" : br.back() == '\xa8' ? "\\u2028" : "\\u2029";
          i += br.size() - 1;
          escaped = true;
          break;
        }
      }
      if (escaped) continue;
    }
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += "\"";
  return out;
}

// A literal block holds any text whose lines are free of control
// characters other than tabs, that does not start or end with whitespace
// (the indentation of the first line sets the block's) and has no
// carriage returns.
bool FitsLiteralBlock(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.front() == '\t' || s.back() == ' ' || s.back() == '\t' ||
      s.back() == '\n') {
    return false;
  }
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
  }
  for (std::string_view br : kUnicodeBreaks) {
    if (s.find(br) != std::string_view::npos) return false;
  }
  return true;
}

void AppendScalar(std::string_view key, std::string_view value, const std::string& indent,
                  std::string* out) {
  *out += indent;
  *out += key;
  *out += ": ";
  if (value.find('\n') != std::string_view::npos && FitsLiteralBlock(value)) {
    *out += "|-\n";
    size_t start = 0;
    while (start <= value.size()) {
      size_t nl = value.find('\n', start);
      if (nl == std::string_view::npos) nl = value.size();
      std::string_view line = value.substr(start, nl - start);
      if (!line.empty()) {
        *out += indent;
        *out += "  ";
        *out += line;
      }
      *out += "\n";
      start = nl + 1;
    }
    return;
  }
  *out += Quote(value);
  *out += "\n";
}

// A label name as a mapping key: plain, unless YAML 1.1 would read it as
// a boolean or null (yes, on, null, ...).
std::string Key(std::string_view name) {
  std::string lower;
  for (char c : name) lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  static const std::set<std::string> kSpecial = {"null", "true", "false", "yes", "no",
                                                 "on",   "off",  "y",     "n"};
  return kSpecial.count(lower) != 0 ? Quote(name) : std::string(name);
}

void AppendMap(std::string_view key, const model::Labels& m, const std::string& indent,
               std::string* out) {
  if (m.empty()) return;
  *out += indent;
  *out += key;
  *out += ":\n";
  for (const auto& l : m) {
    AppendScalar(Key(l.name), l.value, indent + "  ", out);
  }
}

// File names in the header comment: one line of printable ASCII (a file
// name need not be UTF-8).
std::string CommentSafe(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    out += (c < 0x20 || c >= 0x7f) ? '?' : ch;
  }
  return out;
}

}  // namespace

std::string GenerateRuleFile(const SloFile& file) {
  std::string out;
  out += "# Generated by `vigil slo generate` from " +
         CommentSafe(file.filename.empty() ? "an SLO file" : file.filename) +
         ": do not edit, regenerate.\n";
  out += "# Service " + CommentSafe(file.service) + ": " + std::to_string(file.slos.size()) +
         " SLO(s), " + std::to_string(file.slas.size()) +
         " SLA(s). Series and labels: docs/formats/slo.md.\n";
  out += "groups:\n";
  for (const GeneratedGroup& g : GenerateRules(file)) {
    out += "  - name: " + Quote(g.name) + "\n";
    out += "    rules:\n";
    for (const GeneratedRule& r : g.rules) {
      const std::string indent = "        ";
      // The rule's first key carries the sequence dash.
      out += "      - ";
      // Record names are ours (slo:...); alert names may be any metric
      // name, "null" or "yes" included, so they are quoted.
      out += r.alerting ? "alert: " + Quote(r.name) : "record: " + r.name;
      out += "\n";
      AppendScalar("expr", r.expr, indent, &out);
      if (r.alerting && r.for_duration.count() > 0) {
        out += indent + "for: " + model::FormatDuration(r.for_duration) + "\n";
      }
      AppendMap("labels", r.labels, indent, &out);
      AppendMap("annotations", r.annotations, indent, &out);
    }
  }
  return out;
}

}  // namespace vigil::slo
