#include "alertmanager/notify_email.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <utility>

#include "alertmanager/notify_util.h"
#include "base/status_macros.h"

namespace vigil::alertmanager {
namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

// textproto.CanonicalMIMEHeaderKey: "content-type" -> "Content-Type"; keys
// with bytes outside the token set stay as they are.
std::string CanonicalHeaderKey(std::string_view key) {
  for (char c : key) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= ' ' || b >= 0x7f || c == ':') return std::string(key);
  }
  std::string out(key);
  bool upper = true;
  for (char& c : out) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    upper = c == '-';
  }
  return out;
}

// mime.QEncoding.Encode("utf-8", s): unchanged when every byte is
// printable ASCII (or a tab), else encoded-words of at most 75 bytes,
// never splitting a UTF-8 sequence.
std::string QEncode(std::string_view s) {
  bool needs = false;
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    needs = needs || ((b < ' ' || b > '~') && b != '\t');
  }
  if (!needs) return std::string(s);
  constexpr size_t kMaxContent = 75 - std::char_traits<char>::length("=?UTF-8?q?") - 2;
  std::string out = "=?utf-8?q?";
  size_t current = 0;
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t rune_len = 1;
    size_t enc_len = 1;
    if (!(b >= ' ' && b <= '~' && b != '=' && b != '?' && b != '_')) {
      // The width of this UTF-8 sequence (1 for an invalid byte).
      size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
      if (n > 1) {
        if (i + n > s.size()) n = 1;
        for (size_t k = 1; k < n; ++k) {
          if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) n = 1;
        }
      }
      rune_len = n;
      enc_len = 3 * n;
    }
    if (current + enc_len > kMaxContent) {
      out += "?= =?utf-8?q?";
      current = 0;
    }
    for (size_t k = 0; k < rune_len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if (c == ' ') {
        out += '_';
      } else if (c >= '!' && c <= '~' && c != '=' && c != '?' && c != '_') {
        out += static_cast<char>(c);
      } else {
        out += '=';
        out += kUpperHex[c >> 4];
        out += kUpperHex[c & 0xF];
      }
    }
    current += enc_len;
    i += rune_len;
  }
  out += "?=";
  return out;
}

// Go's mime/quotedprintable.Writer (text mode: line breaks become CRLF,
// lines at most 76 bytes with "=" soft breaks, trailing blanks encoded).
// Not thread-safe.
class QuotedPrintable {
 public:
  explicit QuotedPrintable(std::string* out) : out_(out) {}

  void Write(std::string_view p) {
    for (char c : p) {
      const auto b = static_cast<unsigned char>(c);
      if ((b >= '!' && b <= '~' && b != '=') || b == ' ' || b == '\t' || b == '\n' || b == '\r') {
        Raw(b);
      } else {
        Encode(b);
      }
    }
  }
  void Close() {
    CheckLastByte();
    Flush();
  }

 private:
  static constexpr int kLineMax = 76;

  void Raw(unsigned char b) {
    if (b == '\n' || b == '\r') {
      if (cr_ && b == '\n') {
        cr_ = false;
        return;
      }
      if (b == '\r') cr_ = true;
      CheckLastByte();
      InsertCrlf();
      return;
    }
    if (static_cast<int>(line_.size()) == kLineMax - 1) SoftBreak();
    line_.push_back(static_cast<char>(b));
    cr_ = false;
  }
  void Encode(unsigned char b) {
    if (kLineMax - 1 - static_cast<int>(line_.size()) < 3) SoftBreak();
    line_ += '=';
    line_ += kUpperHex[b >> 4];
    line_ += kUpperHex[b & 0xF];
  }
  void CheckLastByte() {
    if (line_.empty()) return;
    const auto b = static_cast<unsigned char>(line_.back());
    if (b == ' ' || b == '\t') {
      line_.pop_back();
      Encode(b);
    }
  }
  void SoftBreak() {
    line_ += '=';
    InsertCrlf();
  }
  void InsertCrlf() {
    line_ += "\r\n";
    Flush();
  }
  void Flush() {
    *out_ += line_;
    line_.clear();
  }

  std::string* out_;
  std::string line_;
  bool cr_ = false;
};

std::string Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// The addresses of an RFC 5322 address list ("a@x, Name <b@y>, \"Q, R\"
// <c@z>"), as net/mail.ParseAddressList finds them (groups and obsolete
// forms aside).
Result<std::vector<std::string>> ParseAddressList(std::string_view list) {
  std::vector<std::string> tokens;
  std::string cur;
  bool quoted = false;
  int angle = 0, paren = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const char c = list[i];
    if (quoted) {
      if (c == '\\' && i + 1 < list.size()) {
        cur += c;
        cur += list[++i];
        continue;
      }
      if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      ++angle;
    } else if (c == '>') {
      --angle;
    } else if (c == '(') {
      ++paren;
    } else if (c == ')') {
      --paren;
    } else if (c == ',' && angle == 0 && paren == 0) {
      tokens.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (quoted || angle != 0 || paren != 0)
    return InvalidArgumentError("mail: unclosed quote or bracket");
  tokens.push_back(cur);
  std::vector<std::string> out;
  for (const std::string& t : tokens) {
    std::string addr;
    const size_t lt = t.rfind('<');
    if (lt != std::string::npos) {
      const size_t gt = t.find('>', lt);
      if (gt == std::string::npos) return InvalidArgumentError("mail: unclosed angle-addr");
      addr = Trim(std::string_view(t).substr(lt + 1, gt - lt - 1));
    } else {
      // Drop (comments).
      std::string plain;
      int depth = 0;
      for (char c : t) {
        if (c == '(') ++depth;
        if (depth == 0) plain += c;
        if (c == ')' && depth > 0) --depth;
      }
      addr = Trim(plain);
    }
    if (addr.empty()) return InvalidArgumentError("mail: no address");
    const size_t at = addr.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == addr.size()) {
      return InvalidArgumentError("mail: missing @ in addr-spec");
    }
    for (char c : addr) {
      if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == ',') {
        return InvalidArgumentError("mail: invalid address");
      }
    }
    out.push_back(std::move(addr));
  }
  return out;
}

// net.SplitHostPort for "host:port" and "[v6]:port".
bool SplitHostPort(std::string_view hp, std::string* host, std::string* port) {
  if (!hp.empty() && hp.front() == '[') {
    const size_t close = hp.find(']');
    if (close == std::string_view::npos || close + 1 >= hp.size() || hp[close + 1] != ':') {
      return false;
    }
    *host = std::string(hp.substr(1, close - 1));
    *port = std::string(hp.substr(close + 2));
  } else {
    const size_t colon = hp.rfind(':');
    if (colon == std::string_view::npos) return false;
    *host = std::string(hp.substr(0, colon));
    if (host->find(':') != std::string::npos) return false;
    *port = std::string(hp.substr(colon + 1));
  }
  return !port->empty();
}

std::string RandomHex(size_t bytes) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    const auto b = static_cast<unsigned char>(rng());
    out += "0123456789abcdef"[b >> 4];
    out += "0123456789abcdef"[b & 0xF];
  }
  return out;
}

std::string Hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

EmailConfig WithGlobals(EmailConfig c, const GlobalConfig& g) {
  if (c.from.empty()) c.from = g.smtp_from;
  if (c.hello.empty()) c.hello = g.smtp_hello;
  if (c.smarthost.empty()) c.smarthost = g.smtp_smarthost;
  if (c.auth_username.empty()) c.auth_username = g.smtp_auth_username;
  if (c.auth_password.empty()) c.auth_password = g.smtp_auth_password;
  if (c.auth_secret.empty()) c.auth_secret = g.smtp_auth_secret;
  if (c.auth_identity.empty()) c.auth_identity = g.smtp_auth_identity;
  return c;
}

// ------------------------------------------------------------- delivery

size_t ReadCallback(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* rest = static_cast<std::string_view*>(userdata);
  const size_t n = std::min(size * nitems, rest->size());
  std::memcpy(buffer, rest->data(), n);
  rest->remove_prefix(n);
  return n;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

Status CurlError(CURLcode code, long smtp_code, const char* errbuf, const EmailConfig& c) {
  std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(code);
  const std::string msg = "email: " + c.smarthost + ": " + detail;
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return DeadlineExceededError(msg);
    case CURLE_LOGIN_DENIED:
      return FailedPreconditionError("email: " + c.smarthost +
                                     ": authentication failed: " + detail);
    case CURLE_USE_SSL_FAILED:
      return FailedPreconditionError("email: require_tls is set, but " +
                                     templating::GoQuote(c.smarthost) +
                                     " does not advertise the STARTTLS extension");
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return InvalidArgumentError(msg);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ISSUER_ERROR:
      return FailedPreconditionError(msg);
    default:
      break;
  }
  if (smtp_code >= 500 && smtp_code < 600) {
    return FailedPreconditionError(msg + " (SMTP " + std::to_string(smtp_code) + ")");
  }
  if (smtp_code >= 400 && smtp_code < 500) {
    return UnavailableError(msg + " (SMTP " + std::to_string(smtp_code) + ")");
  }
  return UnavailableError(msg);
}

Status Send(const EmailConfig& c, const EmailMessage& m, std::chrono::milliseconds timeout) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::string host, port;
  if (!SplitHostPort(c.smarthost, &host, &port)) {
    return InvalidArgumentError("email: invalid smarthost address " +
                                templating::GoQuote(c.smarthost));
  }
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (curl == nullptr) return InternalError("email: curl_easy_init failed");
  CURL* h = curl.get();
  const bool implicit_tls = port == "465";
  std::string url = (implicit_tls ? "smtps://" : "smtp://") + c.smarthost + "/";
  if (!c.hello.empty()) {
    char* esc = curl_easy_escape(h, c.hello.data(), static_cast<int>(c.hello.size()));
    if (esc != nullptr) {
      url += esc;
      curl_free(esc);
    }
  }
  char errbuf[CURL_ERROR_SIZE] = {};
  std::string_view rest = m.data;
  std::unique_ptr<curl_slist, SlistDeleter> rcpt;
  for (const std::string& to : m.to) {
    curl_slist* l = curl_slist_append(rcpt.get(), ("<" + to + ">").c_str());
    if (l == nullptr) return InternalError("email: out of memory");
    rcpt.release();
    rcpt.reset(l);
  }
  const std::string from = "<" + m.from + ">";
  const long timeout_ms = std::max<long>(1, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadCallback);
  curl_easy_setopt(h, CURLOPT_READDATA, &rest);
  curl_easy_setopt(h, CURLOPT_USE_SSL,
                   implicit_tls    ? static_cast<long>(CURLUSESSL_ALL)
                   : c.require_tls ? static_cast<long>(CURLUSESSL_ALL)
                                   : static_cast<long>(CURLUSESSL_NONE));
  if (!c.tls_ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, c.tls_ca_file.c_str());
  if (!c.tls_cert_file.empty()) curl_easy_setopt(h, CURLOPT_SSLCERT, c.tls_cert_file.c_str());
  if (!c.tls_key_file.empty()) curl_easy_setopt(h, CURLOPT_SSLKEY, c.tls_key_file.c_str());
  if (c.tls_insecure_skip_verify) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!c.auth_username.empty()) {
    // Without a password, CRAM-MD5's secret is what libcurl gets.
    const std::string& password =
        c.auth_password.empty() ? c.auth_secret.value : c.auth_password.value;
    curl_easy_setopt(h, CURLOPT_USERNAME, c.auth_username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, password.c_str());
    if (!c.auth_identity.empty()) {
      curl_easy_setopt(h, CURLOPT_SASL_AUTHZID, c.auth_identity.c_str());
    }
  }
  const CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) return Status::OK();
  long smtp_code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &smtp_code);
  return CurlError(rc, smtp_code, errbuf, c);
}

// One email_configs entry. Thread-safe: its state is constant and every
// delivery uses its own libcurl handle.
class EmailNotifier final : public Notifier {
 public:
  EmailNotifier(EmailConfig config, std::shared_ptr<const Templates> templates)
      : config_(std::move(config)), templates_(std::move(templates)) {}

  std::string_view integration() const override { return "email"; }
  bool send_resolved() const override { return config_.send_resolved; }

  Status Notify(const NotifyContext& ctx, const NotificationData& data) override {
    const TimePoint now = ctx.now == TimePoint{} ? Clock::now() : ctx.now;
    VIGIL_ASSIGN_OR_RETURN(EmailMessage m, BuildEmailMessage(config_, *templates_, data, now));
    return Send(config_, m, ctx.timeout);
  }

 private:
  // Constant after construction.
  const EmailConfig config_;
  const std::shared_ptr<const Templates> templates_;
};

}  // namespace

Result<EmailMessage> BuildEmailMessage(const EmailConfig& config, const Templates& templates,
                                       const NotificationData& data, TimePoint now,
                                       std::string boundary, std::string message_id) {
  static const std::string kSubject = R"({{ template "email.default.subject" . }})";
  static const std::string kHtml = R"({{ template "email.default.html" . }})";
  const templating::Value dot = TemplateValue(data);
  const auto text = [&](const std::string& t, std::string_view what) -> Result<std::string> {
    Result<std::string> r = templates.ExecuteText(t, dot);
    if (!r.ok()) {
      return InvalidArgumentError("email: executing " + std::string(what) +
                                  " template: " + std::string(r.status().message()));
    }
    return r;
  };

  EmailMessage m;
  VIGIL_ASSIGN_OR_RETURN(std::string from, text(config.from, "'from'"));
  VIGIL_ASSIGN_OR_RETURN(std::string to, text(config.to, "'to'"));
  Result<std::vector<std::string>> from_addrs = ParseAddressList(from);
  if (!from_addrs.ok()) {
    return InvalidArgumentError("email: parsing from addresses: " +
                                std::string(from_addrs.status().message()));
  }
  if (from_addrs->size() != 1)
    return InvalidArgumentError("email: must be exactly one from address");
  m.from = (*from_addrs)[0];
  Result<std::vector<std::string>> to_addrs = ParseAddressList(to);
  if (!to_addrs.ok()) {
    return InvalidArgumentError("email: parsing to addresses: " +
                                std::string(to_addrs.status().message()));
  }
  m.to = std::move(*to_addrs);

  std::map<std::string, std::string> headers;
  for (const auto& [k, v] : config.headers) headers[CanonicalHeaderKey(k)] = v;
  headers.try_emplace("Subject", kSubject);
  headers.try_emplace("To", config.to);
  headers.try_emplace("From", config.from);
  std::string& out = m.data;
  for (const auto& [name, tmpl] : headers) {
    VIGIL_ASSIGN_OR_RETURN(std::string value, text(tmpl, templating::GoQuote(name) + " header"));
    out += name + ": " + QEncode(value) + "\r\n";
  }
  if (headers.find("Message-Id") == headers.end()) {
    if (message_id.empty()) {
      const auto nanos =
          std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
      static thread_local std::mt19937_64 rng{std::random_device{}()};
      message_id =
          "<" + std::to_string(nanos) + "." + std::to_string(rng()) + "@" + Hostname() + ">";
    }
    out += "Message-Id: " + message_id + "\r\n";
  }
  if (boundary.empty()) boundary = RandomHex(30);
  out += "Date: " + internal::FormatRfc1123Z(now) + "\r\n";
  out += "Content-Type: multipart/alternative;  boundary=" + boundary + "\r\n";
  out += "MIME-Version: 1.0\r\n\r\n";

  bool first_part = true;
  const auto part = [&](std::string_view content_type, const std::string& body) {
    out += first_part ? "--" : "\r\n--";
    first_part = false;
    out += boundary + "\r\n";
    out += "Content-Transfer-Encoding: quoted-printable\r\n";
    out += "Content-Type: " + std::string(content_type) + "\r\n\r\n";
    QuotedPrintable qp(&out);
    qp.Write(body);
    qp.Close();
  };
  if (!config.text.empty()) {
    VIGIL_ASSIGN_OR_RETURN(std::string body, text(config.text, "email text"));
    part("text/plain; charset=UTF-8", body);
  }
  {
    Result<std::string> html =
        templates.ExecuteHtml(config.html.empty() ? kHtml : config.html, HtmlTemplateValue(data));
    if (!html.ok()) {
      return InvalidArgumentError("email: executing email html template: " +
                                  std::string(html.status().message()));
    }
    part("text/html; charset=UTF-8", *html);
  }
  out += "\r\n--" + boundary + "--\r\n";
  return m;
}

Result<std::unique_ptr<Notifier>> NewEmailNotifier(const EmailConfig& config,
                                                   const GlobalConfig& global,
                                                   std::shared_ptr<const Templates> templates) {
  EmailConfig c = WithGlobals(config, global);
  if (c.to.empty()) return InvalidArgumentError("email: missing to address");
  if (c.from.empty())
    return InvalidArgumentError("email: missing from address (nor global smtp_from)");
  if (c.smarthost.empty()) {
    return InvalidArgumentError("email: missing smarthost (nor global smtp_smarthost)");
  }
  std::string host, port;
  if (!SplitHostPort(c.smarthost, &host, &port)) {
    return InvalidArgumentError("email: invalid smarthost address " +
                                templating::GoQuote(c.smarthost) + " (want host:port)");
  }
  return std::unique_ptr<Notifier>(
      std::make_unique<EmailNotifier>(std::move(c), std::move(templates)));
}

}  // namespace vigil::alertmanager
