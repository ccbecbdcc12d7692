#include "alertmanager/notify_email.h"

#include <gtest/gtest.h>

#include "alertmanager/notify_test_util.h"

namespace vigil::alertmanager {
namespace {

using testing::Ctx;
using testing::FakeSmtpServer;
using testing::TwoFiring;

const Templates& Defaults() {
  static const Templates t = Templates::Default();
  return t;
}

EmailConfig Config(std::string smarthost = "127.0.0.1:25") {
  EmailConfig c;
  c.to = "ops@example.com";
  c.from = "Alertmanager <am@example.com>";
  c.smarthost = std::move(smarthost);
  c.hello = "vigil.test";
  c.require_tls = false;
  return c;
}

EmailMessage MustBuild(const EmailConfig& c, const NotificationData& d = TwoFiring()) {
  Result<EmailMessage> m =
      BuildEmailMessage(c, Defaults(), d, testing::kNow, "BOUNDARY", "<1.2@host>");
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : EmailMessage{};
}

TEST(EmailMessageTest, ExactMessage) {
  EmailConfig c = Config();
  c.text = "{{ template \"__subject\" . }}\nline two";
  c.html = "<b>{{ .Status }}</b>";
  const EmailMessage m = MustBuild(c);
  EXPECT_EQ(m.from, "am@example.com");
  EXPECT_EQ(m.to, std::vector<std::string>{"ops@example.com"});
  EXPECT_EQ(m.data,
            "From: Alertmanager <am@example.com>\r\n"
            "Subject: [FIRING:2] HighErrorRate (critical)\r\n"
            "To: ops@example.com\r\n"
            "Message-Id: <1.2@host>\r\n"
            "Date: Tue, 02 Jan 2024 03:05:00 +0000\r\n"
            "Content-Type: multipart/alternative;  boundary=BOUNDARY\r\n"
            "MIME-Version: 1.0\r\n"
            "\r\n"
            "--BOUNDARY\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n"
            "\r\n"
            "[FIRING:2] HighErrorRate (critical)\r\n"
            "line two\r\n"
            "--BOUNDARY\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n"
            "Content-Type: text/html; charset=UTF-8\r\n"
            "\r\n"
            "<b>firing</b>\r\n"
            "--BOUNDARY--\r\n");
}

TEST(EmailMessageTest, DefaultsToTheHtmlTemplateOnly) {
  const EmailMessage m = MustBuild(Config());
  EXPECT_EQ(m.data.find("text/plain"), std::string::npos);
  EXPECT_NE(m.data.find("Content-Type: text/html; charset=UTF-8\r\n\r\n<!DOCTYPE html>"),
            std::string::npos);
  // Quoted-printable: '=' is escaped, lines stay within 76 bytes.
  EXPECT_NE(m.data.find("http-equiv=3D\"Content-Type\""), std::string::npos);
  size_t start = 0;
  while (start < m.data.size()) {
    const size_t eol = m.data.find("\r\n", start);
    ASSERT_NE(eol, std::string::npos);
    EXPECT_LE(eol - start, 76u) << m.data.substr(start, eol - start);
    start = eol + 2;
  }
}

TEST(EmailMessageTest, QuotedPrintable) {
  EmailConfig c = Config();
  c.html = "x";
  c.text = std::string("caf\xC3\xA9 = 1 \n") + std::string(100, 'y') + "\r\n\ttab\t";
  const EmailMessage m = MustBuild(c);
  EXPECT_NE(m.data.find("\r\n\r\ncaf=C3=A9 =3D 1=20\r\n" + std::string(75, 'y') + "=\r\n" +
                        std::string(25, 'y') + "\r\n\ttab=09\r\n--BOUNDARY"),
            std::string::npos)
      << m.data;
}

TEST(EmailMessageTest, HeadersAreTemplatedAndQEncoded) {
  EmailConfig c = Config();
  c.to = "a@x.org, Bob <b@y.org>";
  c.headers = {
      {"subject", "\xC3\x9Cn\xC3\xAF {{ .Status }}"},
      {"X-Long", std::string(12 * 2, 'x') + std::string("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                                                        "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                                                        "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9")},
      {"Reply-To", "{{ .CommonLabels.severity }}@example.com"}};
  const EmailMessage m = MustBuild(c);
  EXPECT_EQ(m.to, (std::vector<std::string>{"a@x.org", "b@y.org"}));
  EXPECT_NE(m.data.find("Subject: =?utf-8?q?=C3=9Cn=C3=AF_firing?=\r\n"), std::string::npos)
      << m.data;
  EXPECT_NE(m.data.find("Reply-To: critical@example.com\r\n"), std::string::npos);
  EXPECT_NE(m.data.find("To: a@x.org, Bob <b@y.org>\r\n"), std::string::npos);
  // Words of at most 75 bytes, UTF-8 sequences never split.
  EXPECT_NE(m.data.find("X-Long: =?utf-8?q?" + std::string(24, 'x') +
                        "=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9?= =?utf-8?q?=C3=A9=C3=A9=C3=A9=C3=A9"
                        "=C3=A9=C3=A9?=\r\n"),
            std::string::npos)
      << m.data;
  // Headers come in name order.
  EXPECT_LT(m.data.find("From:"), m.data.find("Reply-To:"));
  EXPECT_LT(m.data.find("Reply-To:"), m.data.find("Subject:"));
}

TEST(EmailMessageTest, AddressErrors) {
  EmailConfig c = Config();
  c.from = "a@x, b@y";
  EXPECT_EQ(BuildEmailMessage(c, Defaults(), TwoFiring(), testing::kNow).status().code(),
            StatusCode::kInvalidArgument);
  c = Config();
  c.to = "not an address";
  EXPECT_EQ(BuildEmailMessage(c, Defaults(), TwoFiring(), testing::kNow).status().code(),
            StatusCode::kInvalidArgument);
  c = Config();
  c.html = "{{ .Broken";
  EXPECT_EQ(BuildEmailMessage(c, Defaults(), TwoFiring(), testing::kNow).status().code(),
            StatusCode::kInvalidArgument);
}

std::unique_ptr<Notifier> MustEmail(const EmailConfig& c, const GlobalConfig& g = {}) {
  Result<std::unique_ptr<Notifier>> n =
      NewEmailNotifier(c, g, std::make_shared<const Templates>(Templates::Default()));
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.ok() ? std::move(*n) : nullptr;
}

TEST(EmailNotifierTest, DeliversOverSmtp) {
  FakeSmtpServer server;
  EmailConfig c = Config(server.smarthost());
  c.to = "a@x.org, Bob <b@y.org>";
  c.text = ".leading dot\n..two dots";
  auto n = MustEmail(c);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->integration(), "email");
  EXPECT_FALSE(n->send_resolved());
  const Status s = n->Notify(Ctx(), TwoFiring());
  ASSERT_TRUE(s.ok()) << s.ToString();
  const auto sessions = server.WaitForSessions(1);
  ASSERT_EQ(sessions.size(), 1u);
  const auto& sess = sessions[0];
  EXPECT_EQ(sess.ehlo, "vigil.test");
  EXPECT_EQ(sess.auth, "");
  EXPECT_EQ(sess.mail_from, "am@example.com");
  EXPECT_EQ(sess.rcpt_to, (std::vector<std::string>{"a@x.org", "b@y.org"}));
  EXPECT_EQ(sess.data.rfind("From: Alertmanager <am@example.com>\r\n"
                            "Subject: [FIRING:2] HighErrorRate (critical)\r\n"
                            "To: a@x.org, Bob <b@y.org>\r\n"
                            "Message-Id: <",
                            0),
            0u)
      << sess.data;
  EXPECT_NE(sess.data.find("Date: Tue, 02 Jan 2024 03:05:00 +0000\r\n"), std::string::npos);
  EXPECT_NE(sess.data.find("\r\n\r\n.leading dot\r\n..two dots\r\n--"), std::string::npos)
      << sess.data;
  EXPECT_NE(sess.data.find("Content-Type: text/html; charset=UTF-8"), std::string::npos);
  const size_t b = sess.data.find("boundary=");
  ASSERT_NE(b, std::string::npos);
  const std::string boundary = sess.data.substr(b + 9, sess.data.find("\r\n", b) - b - 9);
  EXPECT_EQ(boundary.size(), 60u);
  EXPECT_EQ(sess.data.substr(sess.data.size() - boundary.size() - 8),
            "\r\n--" + boundary + "--\r\n");
}

TEST(EmailNotifierTest, GlobalSettingsAndAuth) {
  FakeSmtpServer server({.auth = true});
  GlobalConfig g;
  g.smtp_from = "global@example.com";
  g.smtp_smarthost = server.smarthost();
  g.smtp_hello = "global.hello";
  g.smtp_auth_username = "user";
  g.smtp_auth_password.value = "pass";
  EmailConfig c;
  c.to = "ops@example.com";
  c.require_tls = false;
  ASSERT_TRUE(MustEmail(c, g)->Notify(Ctx(), TwoFiring()).ok());

  c.auth_password.value = "wrong-secret";
  const Status s = MustEmail(c, g)->Notify(Ctx(), TwoFiring());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(s.message().find("wrong-secret"), std::string::npos) << s.message();

  const auto sessions = server.WaitForSessions(2);
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[0].ehlo, "global.hello");
  EXPECT_EQ(sessions[0].auth, "user:pass");
  EXPECT_EQ(sessions[0].mail_from, "global@example.com");
  EXPECT_EQ(sessions[1].auth, "user:wrong-secret");
  EXPECT_TRUE(sessions[1].data.empty());
}

TEST(EmailNotifierTest, RejectedRecipients) {
  {
    FakeSmtpServer server;
    EmailConfig c = Config(server.smarthost());
    c.to = "reject@example.com";
    const Status s = MustEmail(c)->Notify(Ctx(), TwoFiring());
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
    EXPECT_NE(s.message().find("550"), std::string::npos) << s.message();
  }
  {
    FakeSmtpServer server({.rcpt_reject_code = 450});
    EmailConfig c = Config(server.smarthost());
    c.to = "reject@example.com";
    const Status s = MustEmail(c)->Notify(Ctx(), TwoFiring());
    EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  }
}

TEST(EmailNotifierTest, RequireTlsWithoutStartTls) {
  FakeSmtpServer server;
  EmailConfig c = Config(server.smarthost());
  c.require_tls = true;
  const Status s = MustEmail(c)->Notify(Ctx(), TwoFiring());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("STARTTLS"), std::string::npos) << s.message();
  EXPECT_TRUE(server.WaitForSessions(1)[0].data.empty());
}

TEST(EmailNotifierTest, ConnectionFailuresAndTimeouts) {
  const Status refused = MustEmail(Config("127.0.0.1:" + std::to_string(testing::ClosedPort())))
                             ->Notify(Ctx(), TwoFiring());
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable) << refused.ToString();

  // A server that accepts connections but never greets.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ASSERT_EQ(::listen(fd, 4), 0);
  const Status late = MustEmail(Config("127.0.0.1:" + std::to_string(ntohs(addr.sin_port))))
                          ->Notify(Ctx(std::chrono::milliseconds(300)), TwoFiring());
  ::close(fd);
  EXPECT_EQ(late.code(), StatusCode::kDeadlineExceeded) << late.ToString();
}

TEST(EmailNotifierTest, RejectsIncompleteConfigs) {
  EmailConfig c = Config();
  c.to.clear();
  EXPECT_EQ(NewEmailNotifier(c, {}, nullptr).status().code(), StatusCode::kInvalidArgument);
  c = Config();
  c.from.clear();
  EXPECT_EQ(NewEmailNotifier(c, {}, nullptr).status().code(), StatusCode::kInvalidArgument);
  c = Config("localhost");
  EXPECT_EQ(NewEmailNotifier(c, {}, nullptr).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(NewEmailNotifier(Config("[::1]:25"), {}, nullptr).ok());
}

}  // namespace
}  // namespace vigil::alertmanager
