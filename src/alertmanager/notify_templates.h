// Templates: the notification template set of Alertmanager 0.25 — its
// template functions, its default templates (default.tmpl: __subject,
// __alertmanagerURL, __text_alert_list, slack.default.*, pagerduty.default.*,
// email.default.subject, email.default.html) and the user's template files
// (the configuration's `templates` globs) parsed on top, so that a template
// a user wrote for Alertmanager renders the same text here.
//
//   VIGIL_ASSIGN_OR_RETURN(Templates t, Templates::FromGlobs(config.templates));
//   templating::Value dot = TemplateValue(data);
//   Result<std::string> title = t.ExecuteText(slack.title, dot);
//
// ExecuteText is Alertmanager's ExecuteTextString: the text is parsed as an
// extra template of a copy of the set (its {{define}}s do not leak), and an
// empty text gives "". ExecuteHtml is ExecuteHTMLString, approximated: vigil
// has no html/template, so the caller passes HtmlTemplateValue(data), whose
// strings are already HTML-escaped; literal text in the template and
// function results are not escaped again (safeHtml is then a no-op).
//
// Functions (Alertmanager's template.DefaultFuncs): toUpper, toLower, title
// (x/text/cases.Title: "hello wORLD" -> "Hello World"), trimSpace, join (sep first: `.Values | join
// ", "`), match, safeHtml, reReplaceAll, stringSlice; plus Go's builtins.
//
// Thread safety: thread-compatible — the Execute* methods are const and may
// run concurrently; Add* need exclusive access (build the set, then share it
// as std::shared_ptr<const Templates>).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "templating/template.h"
#include "templating/value.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::alertmanager {

// Alertmanager 0.25's template functions.
std::shared_ptr<const templating::FuncMap> AlertmanagerFuncs();

// Go's []string, as .Names, .Values, stringSlice and join use it.
const templating::TypeInfo& StringSliceType();

// The default templates (vigil's rendition of default.tmpl; the texts they
// produce are Alertmanager's, the email HTML is a simpler layout of ours).
// Besides Alertmanager's names it defines "log.default.text" (the log
// integration's line text).
std::string_view DefaultTemplateText();

class Templates {
 public:
  // The default templates only.
  static Templates Default();
  // The defaults, then every file matching each glob, in order (Go's
  // template.FromGlobs: a file's {{define}}s replace earlier ones; a glob
  // matching nothing is not an error). Errors: kInvalidArgument for a bad
  // glob or a template that does not parse ("template: FILE:LINE: ..."),
  // the file's read error otherwise.
  static Result<Templates> FromGlobs(const std::vector<std::string>& globs);

  // Parses `text` as template `name` on top of the set; nothing changes on
  // error.
  Status Add(std::string_view name, std::string_view text);
  // Adds every file matching `pattern` (named by its base name).
  Status AddGlob(const std::string& pattern);

  Result<std::string> ExecuteText(std::string_view text, const templating::Value& dot) const;
  // REQUIRES: `html_dot` comes from HtmlTemplateValue.
  Result<std::string> ExecuteHtml(std::string_view text, const templating::Value& html_dot) const;
  // Runs the template `name` ({{ template "name" . }}).
  Result<std::string> ExecuteTemplate(std::string_view name, const templating::Value& dot) const;
  bool HasTemplate(std::string_view name) const { return tmpl_.HasTemplate(name); }

 private:
  explicit Templates(templating::Template t) : tmpl_(std::move(t)) {}

  templating::Template tmpl_;
};

}  // namespace vigil::alertmanager
