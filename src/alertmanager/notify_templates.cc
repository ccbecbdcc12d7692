#include "alertmanager/notify_templates.h"

#include <glob.h>

#include <cstdio>
#include <cstdlib>
#include <span>

#include "base/file.h"
#include "base/status_macros.h"
#include "templating/go_fmt.h"

namespace vigil::alertmanager {
namespace {

using templating::FuncMap;
using templating::Function;
using templating::Value;
using Args = std::span<const Value>;

// The default templates. Each definition produces exactly the text its
// namesake in Alertmanager 0.25's template/default.tmpl produces (the
// notification texts users and tests compare); only email.default.html is
// a layout of our own.
constexpr std::string_view kDefaultTemplates = R"TMPL(
{{/* Names and links. */}}
{{ define "__alertmanager" }}Alertmanager{{ end }}
{{ define "__alertmanagerURL" }}{{ .ExternalURL }}/#/alerts?receiver={{ urlquery .Receiver }}{{ end }}

{{/* "[FIRING:2] <group label values> (<other common label values>)". */}}
{{ define "__subject" -}}
[{{ toUpper .Status }}{{ if eq .Status "firing" }}:{{ len .Alerts.Firing }}{{ end }}]
{{- " " }}{{ join " " .GroupLabels.SortedPairs.Values }}{{ " " }}
{{- if gt (len .CommonLabels) (len .GroupLabels) -}}
({{ with .CommonLabels.Remove .GroupLabels.Names }}{{ join " " .Values }}{{ end }})
{{- end }}
{{- end }}
{{ define "__description" }}{{ end }}

{{/* One block per alert: its labels, annotations and source. */}}
{{ define "__text_alert_list" }}{{ range $a := . }}Labels:
{{ range $a.Labels.SortedPairs }} - {{ .Name }} = {{ .Value }}
{{ end }}Annotations:
{{ range $a.Annotations.SortedPairs }} - {{ .Name }} = {{ .Value }}
{{ end }}Source: {{ $a.GeneratorURL }}
{{ end }}{{ end }}

{{/* Slack. */}}
{{ define "slack.default.title" }}{{ template "__subject" . }}{{ end }}
{{ define "slack.default.username" }}{{ template "__alertmanager" . }}{{ end }}
{{ define "slack.default.fallback" -}}
{{ template "slack.default.title" . }} | {{ template "slack.default.titlelink" . }}
{{- end }}
{{ define "slack.default.callbackid" }}{{ end }}
{{ define "slack.default.pretext" }}{{ end }}
{{ define "slack.default.titlelink" }}{{ template "__alertmanagerURL" . }}{{ end }}
{{ define "slack.default.iconemoji" }}{{ end }}
{{ define "slack.default.iconurl" }}{{ end }}
{{ define "slack.default.text" }}{{ end }}
{{ define "slack.default.footer" }}{{ end }}

{{/* PagerDuty. */}}
{{ define "pagerduty.default.description" }}{{ template "__subject" . }}{{ end }}
{{ define "pagerduty.default.client" }}{{ template "__alertmanager" . }}{{ end }}
{{ define "pagerduty.default.clientURL" }}{{ template "__alertmanagerURL" . }}{{ end }}
{{ define "pagerduty.default.instances" }}{{ template "__text_alert_list" . }}{{ end }}

{{/* vigil's log integration. */}}
{{ define "log.default.text" }}{{ template "__subject" . }}{{ end }}

{{/* Email. */}}
{{ define "email.default.subject" }}{{ template "__subject" . }}{{ end }}
{{ define "__email_alert_list" }}{{ range . }}
<tr><td style="padding: 0 0 20px; vertical-align: top;">
<strong>Labels</strong><br />
{{ range .Labels.SortedPairs }}{{ .Name }} = {{ .Value }}<br />
{{ end }}{{ if .Annotations }}<strong>Annotations</strong><br />
{{ range .Annotations.SortedPairs }}{{ .Name }} = {{ .Value }}<br />
{{ end }}{{ end }}<a href="{{ .GeneratorURL }}" style="color: #348eda;">Source</a><br />
</td></tr>
{{ end }}{{ end }}
{{ define "email.default.html" -}}
<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta name="viewport" content="width=device-width" />
<title>{{ template "__subject" . }}</title>
</head>
<body style="margin: 0; padding: 20px; background-color: #f6f6f6; font-family: 'Helvetica Neue', Helvetica, Arial, sans-serif; font-size: 14px; line-height: 1.6em;">
<table width="100%" cellpadding="0" cellspacing="0" style="max-width: 600px; margin: 0 auto; background-color: #fff; border: 1px solid #e9e9e9; border-radius: 3px;">
<tr><td style="padding: 20px; text-align: center; color: #fff; font-size: 16px; font-weight: 500; background-color: {{ if .Alerts.Firing }}#E6522C{{ else }}#68B90F{{ end }};">
{{ len .Alerts }} alert{{ if gt (len .Alerts) 1 }}s{{ end }} for {{ range .GroupLabels.SortedPairs }}{{ .Name }}={{ .Value }} {{ end }}
</td></tr>
<tr><td style="padding: 10px;">
<table width="100%" cellpadding="0" cellspacing="0">
<tr><td style="padding: 0 0 20px;"><a href="{{ template "__alertmanagerURL" . }}" style="display: inline-block; padding: 10px 20px; color: #fff; background-color: #348eda; border-radius: 5px; font-weight: bold; text-decoration: none;">View in {{ template "__alertmanager" . }}</a></td></tr>
{{- if .Alerts.Firing }}
<tr><td style="padding: 0 0 20px;"><strong>[{{ len .Alerts.Firing }}] Firing</strong></td></tr>
{{- template "__email_alert_list" .Alerts.Firing }}
{{- end }}
{{- if .Alerts.Resolved }}
{{- if .Alerts.Firing }}
<tr><td style="padding: 0 0 20px;"><hr /></td></tr>
{{- end }}
<tr><td style="padding: 0 0 20px;"><strong>[{{ len .Alerts.Resolved }}] Resolved</strong></td></tr>
{{- template "__email_alert_list" .Alerts.Resolved }}
{{- end }}
</table>
</td></tr>
</table>
<p style="text-align: center; font-size: 12px; color: #999;"><a href="{{ .ExternalURL }}" style="color: #999;">Sent by {{ template "__alertmanager" . }}</a></p>
</body>
</html>
{{ end }}
)TMPL";

// strings.TrimSpace (Unicode white space).
std::string TrimSpace(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    const auto r = templating::internal::DecodeRune(s.substr(begin));
    if (!templating::internal::IsSpace(r.r)) break;
    begin += static_cast<size_t>(r.width);
  }
  size_t end = s.size();
  while (end > begin) {
    // Step back to the start of the last rune.
    size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 &&
           end - start < 4) {
      --start;
    }
    const auto r = templating::internal::DecodeRune(s.substr(start, end - start));
    if (static_cast<size_t>(r.width) != end - start || !templating::internal::IsSpace(r.r)) {
      break;
    }
    end = start;
  }
  return std::string(s.substr(begin, end - begin));
}

// golang.org/x/text/cases.Title(language.AmericanEnglish), which
// Alertmanager 0.25's `title` uses (not the deprecated strings.Title): the
// first cased letter of each word upper case, the word's other letters
// lower case. Words are approximated as UAX #29 has them: letters, digits
// and '_' continue a word, one of ' . : between them too; anything else
// ends it.
std::string Title(std::string_view s) {
  namespace ti = templating::internal;
  std::string out;
  bool mid_word = false;
  bool prev_mid = false;
  for (size_t i = 0; i < s.size();) {
    const ti::DecodedRune r = ti::DecodeRune(s.substr(i));
    const std::string_view ch = s.substr(i, static_cast<size_t>(r.width));
    i += static_cast<size_t>(r.width);
    const std::string upper = ti::ToUpper(ch);
    const std::string lower = ti::ToLower(ch);
    const bool cased = upper != ch || lower != ch;
    const bool mid = r.r == '\'' || r.r == '.' || r.r == ':' || r.r == 0x2019;
    if (cased) {
      out += mid_word ? lower : upper;
      mid_word = true;
    } else {
      out.append(ch);
      const bool word_char = ti::IsLetter(r.r) || ti::IsDigit(r.r) || r.r == '_';
      if (!word_char && !mid) mid_word = false;
      if (mid && prev_mid) mid_word = false;
    }
    prev_mid = mid;
  }
  return out;
}

FuncMap* MakeFuncs() {
  const auto prometheus = templating::PrometheusFuncs();
  auto* m = new FuncMap;
  // Same semantics as Prometheus' (both are Go's strings/regexp functions).
  for (const char* name : {"toUpper", "toLower", "match", "safeHtml", "reReplaceAll"}) {
    (*m)[name] = prometheus->at(name);
  }
  (*m)["title"] =
      Function{{"string"}, false, [](Args a, const templating::ExecOptions&) -> Result<Value> {
                 return Value::String(Title(a[0].string_value()));
               }};
  (*m)["trimSpace"] =
      Function{{"string"}, false, [](Args a, const templating::ExecOptions&) -> Result<Value> {
                 return Value::String(TrimSpace(a[0].string_value()));
               }};
  (*m)["join"] = Function{{"string", StringSliceType().name},
                          false,
                          [](Args a, const templating::ExecOptions&) -> Result<Value> {
                            std::string out;
                            bool first = true;
                            for (const Value& v : a[1].items()) {
                              if (!first) out += a[0].string_value();
                              first = false;
                              if (v.kind() == Value::Kind::kString) out += v.string_value();
                            }
                            return Value::String(std::move(out));
                          }};
  (*m)["stringSlice"] =
      Function{{"string"}, true, [](Args a, const templating::ExecOptions&) -> Result<Value> {
                 std::vector<Value> items(a.begin(), a.end());
                 for (Value& v : items)
                   v = Value::String(v.string_value());  // drop named string types
                 return Value::List(std::move(items)).WithType(&StringSliceType());
               }};
  return m;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::shared_ptr<const FuncMap> AlertmanagerFuncs() {
  static const std::shared_ptr<const FuncMap> m(MakeFuncs());
  return m;
}

const templating::TypeInfo& StringSliceType() {
  static const templating::TypeInfo t{"[]string", {}};
  return t;
}

std::string_view DefaultTemplateText() { return kDefaultTemplates; }

Templates Templates::Default() {
  // Parsed once; copies share the parsed trees.
  static const templating::Template* const kDefault = [] {
    Result<templating::Template> t =
        templating::Template::Parse("default.tmpl", kDefaultTemplates, AlertmanagerFuncs());
    if (!t.ok()) {
      // A programming error in kDefaultTemplates, caught by every test run.
      std::fprintf(stderr, "default notification templates do not parse: %s\n",
                   t.status().ToString().c_str());
      std::abort();
    }
    return new templating::Template(std::move(*t));
  }();
  return Templates(*kDefault);
}

Result<Templates> Templates::FromGlobs(const std::vector<std::string>& globs) {
  Templates t = Default();
  for (const std::string& g : globs) VIGIL_RETURN_IF_ERROR(t.AddGlob(g));
  return t;
}

Status Templates::Add(std::string_view name, std::string_view text) {
  return tmpl_.AddDefinitions(name, text);
}

Status Templates::AddGlob(const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
  std::vector<std::string> paths;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  if (rc == GLOB_NOSPACE) return ResourceExhaustedError("glob " + pattern + ": out of memory");
  if (rc == GLOB_ABORTED) return InvalidArgumentError("glob " + pattern + ": read error");
  // GLOB_NOMATCH: templates may appear later; Alertmanager accepts it too.
  for (const std::string& path : paths) {
    VIGIL_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    VIGIL_RETURN_IF_ERROR(tmpl_.AddDefinitions(BaseName(path), text));
  }
  return Status::OK();
}

Result<std::string> Templates::ExecuteText(std::string_view text,
                                           const templating::Value& dot) const {
  if (text.empty()) return std::string();
  // Go clones the set and parses the text as template "" into the clone.
  templating::Template t = tmpl_;
  VIGIL_RETURN_IF_ERROR(t.AddDefinitions("", text));
  return t.ExecuteTemplate("", dot);
}

Result<std::string> Templates::ExecuteHtml(std::string_view text,
                                           const templating::Value& html_dot) const {
  return ExecuteText(text, html_dot);
}

Result<std::string> Templates::ExecuteTemplate(std::string_view name,
                                               const templating::Value& dot) const {
  return tmpl_.ExecuteTemplate(name, dot);
}

}  // namespace vigil::alertmanager
