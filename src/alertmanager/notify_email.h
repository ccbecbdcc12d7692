// The email integration (Alertmanager 0.25's notify/email): one SMTP
// delivery per notification, through libcurl.
//
// Connection: smtp://smarthost, upgraded with STARTTLS (required: the
// delivery fails when the server does not offer it) when require_tls is
// set; smtps:// (TLS from the first byte) when the smarthost's port is 465.
// EHLO names `hello`; AUTH (the mechanisms libcurl and the server share:
// PLAIN, LOGIN, CRAM-MD5 with auth_secret, ...) runs when auth_username is
// set and the server offers AUTH. Empty fields take the global smtp_*
// settings.
//
// The message is built as Alertmanager builds it: the headers (Subject,
// To and From by default, plus the configured ones, each a template,
// RFC 2047 Q-encoded when not plain ASCII) in name order, Message-Id, Date
// (RFC 1123Z), `Content-Type: multipart/alternative;  boundary=...`,
// MIME-Version, then a text/plain part (when `text` is set) and a text/html
// part (`html`, by default {{ template "email.default.html" . }}), both
// quoted-printable. MAIL FROM gets the one From address, RCPT TO every To
// address (RFC 5322 lists: `a@x, Name <b@y>`).
//
// Errors: kInvalidArgument for templates that fail and addresses that do
// not parse; kDeadlineExceeded when the delivery outlives ctx.timeout;
// kUnavailable for connection failures and 4xx (transient) SMTP answers;
// kFailedPrecondition for 5xx (permanent) answers, refused authentication,
// missing STARTTLS and TLS verification failures. Passwords and secrets
// appear in no message.
//
// Thread safety: the notifier is thread-safe (no mutable state; each
// delivery uses its own connection).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/notify.h"
#include "alertmanager/notify_templates.h"
#include "vigil/result.h"

namespace vigil::alertmanager {

struct EmailMessage {
  std::string from;             // the envelope sender (MAIL FROM)
  std::vector<std::string> to;  // the envelope recipients (RCPT TO)
  std::string data;             // headers and body, CRLF line ends
};

// The message for `data`, given `config` with global defaults applied.
// Empty `boundary` / `message_id`: random ones, as Alertmanager makes them
// (60 hex digits; "<unix nanos.random@hostname>").
Result<EmailMessage> BuildEmailMessage(const EmailConfig& config, const Templates& templates,
                                       const NotificationData& data, TimePoint now,
                                       std::string boundary = "", std::string message_id = "");

// kInvalidArgument when to, from or smarthost (here or global) is missing
// or the smarthost is not host:port.
Result<std::unique_ptr<Notifier>> NewEmailNotifier(const EmailConfig& config,
                                                   const GlobalConfig& global,
                                                   std::shared_ptr<const Templates> templates);

}  // namespace vigil::alertmanager
