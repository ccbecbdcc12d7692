// Test helpers for the notify*_test.cc files: a fixed notification (two
// firing HighErrorRate alerts), a loopback HTTP receiver (cpp-httplib) and
// a loopback fake SMTP server. Everything listens on 127.0.0.1 only.
//
// Thread safety: the servers record requests under a mutex; accessors may
// be called from the test thread while the server threads run.
#pragma once

// The Debian cpp-httplib library is built with these; the header must see
// the same to agree with it on class layouts.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#endif
#ifndef CPPHTTPLIB_BROTLI_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#endif
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alertmanager/notify.h"
#include "alertmanager/types.h"

namespace vigil::alertmanager::testing {

// 2024-01-02T03:04:05.123456789Z and 2024-01-02T03:00:00Z.
inline TimePoint T(int64_t unix_seconds, int64_t nanos = 0) {
  return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(unix_seconds) +
                                                               std::chrono::nanoseconds(nanos)));
}
inline const TimePoint kStartA = T(1704164645, 123456789);
inline const TimePoint kStartB = T(1704164400);
inline const TimePoint kNow = T(1704164700);

inline Alert MakeAlert(
    std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
    std::initializer_list<std::pair<std::string_view, std::string_view>> annotations,
    TimePoint starts_at, TimePoint ends_at, std::string generator_url) {
  Alert a;
  a.labels = model::Labels::FromPairs(labels);
  a.annotations = model::Labels::FromPairs(annotations);
  a.starts_at = starts_at;
  a.ends_at = ends_at;
  a.generator_url = std::move(generator_url);
  return a;
}

// Two firing alerts sharing alertname and severity (job and instance
// differ), grouped by alertname.
inline std::vector<Alert> TwoFiringAlerts() {
  return {
      MakeAlert({{"alertname", "HighErrorRate"},
                 {"instance", "a:9090"},
                 {"job", "api"},
                 {"severity", "critical"}},
                {{"summary", "Error rate high on a"}, {"runbook", "http://wiki/r"}}, kStartA,
                kNow + std::chrono::minutes(5),  // still firing: the end is cleared
                "http://prom:9090/graph?g0.expr=rate%28x%29&g0.tab=1"),
      MakeAlert({{"alertname", "HighErrorRate"},
                 {"instance", "b:9090"},
                 {"job", "web"},
                 {"severity", "critical"}},
                {{"summary", "Error rate high on b"}, {"runbook", "http://wiki/r"}}, kStartB,
                TimePoint{}, "http://prom:9090/graph?g0.expr=y"),
  };
}

inline const std::string kGroupKey = R"({}:{alertname="HighErrorRate"})";

inline NotificationData TwoFiring() {
  return MakeNotificationData("team-ml", model::Labels::FromPairs({{"alertname", "HighErrorRate"}}),
                              TwoFiringAlerts(), "http://am.example:9093", kGroupKey, kNow);
}

// Both alerts resolved at kNow.
inline NotificationData AllResolved() {
  std::vector<Alert> alerts = TwoFiringAlerts();
  for (Alert& a : alerts) a.ends_at = kNow - std::chrono::minutes(1);
  return MakeNotificationData("team-ml", model::Labels::FromPairs({{"alertname", "HighErrorRate"}}),
                              alerts, "http://am.example:9093", kGroupKey, kNow);
}

inline NotifyContext Ctx(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  NotifyContext c;
  c.now = kNow;
  c.group_key = kGroupKey;
  c.timeout = timeout;
  return c;
}

// A loopback HTTP server recording POSTs. Any path answers `status` (200
// unless set) with `body`; "/status/<code>" answers <code>; "/slow" waits
// a second first.
class HttpReceiver {
 public:
  struct Request {
    std::string path;
    std::string body;
    std::string content_type;
    std::string authorization;
  };

  HttpReceiver() {
    server_.Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back({req.path, req.body, req.get_header_value("Content-Type"),
                             req.get_header_value("Authorization")});
      }
      if (req.path == "/slow") std::this_thread::sleep_for(std::chrono::seconds(1));
      int status = 200;
      std::string body;
      std::string type = "text/plain";
      {
        std::lock_guard<std::mutex> lock(mu_);
        status = status_;
        body = body_;
        type = type_;
      }
      if (req.path.rfind("/status/", 0) == 0) status = std::stoi(req.path.substr(8));
      res.status = status;
      res.set_content(body, type.c_str());
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~HttpReceiver() {
    server_.stop();
    thread_.join();
  }

  void Answer(int status, std::string body, std::string content_type = "text/plain") {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    body_ = std::move(body);
    type_ = std::move(content_type);
  }
  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Request> requests_;
  int status_ = 200;
  std::string body_ = "ok";
  std::string type_ = "text/plain";
};

// A port nothing listens on (bound, then closed).
inline int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Enough of RFC 5321 for libcurl to deliver one message per connection:
// EHLO (advertising AUTH PLAIN LOGIN when `auth` is set, never STARTTLS),
// AUTH PLAIN/LOGIN, MAIL, RCPT (answering `rcpt_code` for addresses
// starting with "reject"), DATA, RSET, NOOP, QUIT.
struct FakeSmtpOptions {
  bool auth = false;
  std::string username = "user";
  std::string password = "pass";
  int rcpt_reject_code = 550;
};

class FakeSmtpServer {
 public:
  using Options = FakeSmtpOptions;
  struct Session {
    std::string ehlo;
    std::string auth;  // the decoded PLAIN/LOGIN credentials, "user:pass"
    std::string mail_from;
    std::vector<std::string> rcpt_to;
    std::string data;  // as received, dot-stuffing removed, CRLF kept
    std::vector<std::string> commands;
  };

  FakeSmtpServer() : FakeSmtpServer(Options()) {}
  explicit FakeSmtpServer(Options opts) : opts_(std::move(opts)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(listen_fd_, 8);
    thread_ = std::thread([this] { Run(); });
  }
  ~FakeSmtpServer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }

  int port() const { return port_; }
  std::string smarthost() const { return "127.0.0.1:" + std::to_string(port_); }
  std::vector<Session> sessions() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sessions_;
  }
  // The sessions once `n` have ended (or after 5 s).
  std::vector<Session> WaitForSessions(size_t n) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (sessions_.size() >= n) return sessions_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return sessions();
  }

 private:
  static std::string Base64Decode(std::string_view in) {
    static const std::string kChars =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    int val = 0, bits = -8;
    for (char c : in) {
      const size_t p = kChars.find(c);
      if (p == std::string::npos) break;
      val = (val << 6) + static_cast<int>(p);
      bits += 6;
      if (bits >= 0) {
        out.push_back(static_cast<char>((val >> bits) & 0xFF));
        bits -= 8;
      }
    }
    return out;
  }

  void Run() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      Serve(fd);
      ::close(fd);
    }
  }

  // One line without its CRLF; false on EOF, error or stop.
  bool ReadLine(int fd, std::string* buf, std::string* line) {
    for (;;) {
      const size_t eol = buf->find("\r\n");
      if (eol != std::string::npos) {
        *line = buf->substr(0, eol);
        buf->erase(0, eol + 2);
        return true;
      }
      pollfd p{fd, POLLIN, 0};
      if (stop_) return false;
      const int r = ::poll(&p, 1, 50);
      if (r == 0) continue;
      if (r < 0) return false;
      char tmp[4096];
      const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf->append(tmp, static_cast<size_t>(n));
    }
  }
  static void Send(int fd, std::string_view s) {
    while (!s.empty()) {
      const ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      s.remove_prefix(static_cast<size_t>(n));
    }
  }
  static std::string Upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  }
  static std::string Angle(std::string_view arg) {
    const size_t lt = arg.find('<');
    const size_t gt = arg.find('>');
    if (lt == std::string_view::npos || gt == std::string_view::npos) return std::string(arg);
    return std::string(arg.substr(lt + 1, gt - lt - 1));
  }

  void Serve(int fd) {
    Session s;
    std::string buf, line;
    Send(fd, "220 fake.smtp ESMTP ready\r\n");
    while (ReadLine(fd, &buf, &line)) {
      s.commands.push_back(line);
      const std::string cmd = Upper(line.substr(0, line.find(' ')));
      const std::string arg =
          line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1);
      if (cmd == "EHLO" || cmd == "HELO") {
        s.ehlo = arg;
        if (opts_.auth) {
          Send(fd, "250-fake.smtp\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n");
        } else {
          Send(fd, "250-fake.smtp\r\n250 8BITMIME\r\n");
        }
      } else if (cmd == "AUTH") {
        std::string mech = Upper(arg.substr(0, arg.find(' ')));
        std::string initial =
            arg.find(' ') == std::string::npos ? "" : arg.substr(arg.find(' ') + 1);
        std::string user, pass;
        if (mech == "PLAIN") {
          if (initial.empty()) {
            Send(fd, "334 \r\n");
            if (!ReadLine(fd, &buf, &initial)) break;
          }
          const std::string dec = Base64Decode(initial);
          const size_t a = dec.find('\0');
          const size_t b = dec.find('\0', a + 1);
          if (a != std::string::npos && b != std::string::npos) {
            user = dec.substr(a + 1, b - a - 1);
            pass = dec.substr(b + 1);
          }
        } else if (mech == "LOGIN") {
          std::string l;
          if (initial.empty()) {
            Send(fd, "334 VXNlcm5hbWU6\r\n");
            if (!ReadLine(fd, &buf, &l)) break;
            user = Base64Decode(l);
          } else {
            user = Base64Decode(initial);
          }
          Send(fd, "334 UGFzc3dvcmQ6\r\n");
          if (!ReadLine(fd, &buf, &l)) break;
          pass = Base64Decode(l);
        }
        s.auth = user + ":" + pass;
        if (user == opts_.username && pass == opts_.password) {
          Send(fd, "235 2.7.0 Authentication successful\r\n");
        } else {
          Send(fd, "535 5.7.8 Authentication credentials invalid\r\n");
        }
      } else if (cmd == "MAIL") {
        s.mail_from = Angle(arg);
        Send(fd, "250 2.1.0 Ok\r\n");
      } else if (cmd == "RCPT") {
        const std::string to = Angle(arg);
        if (to.rfind("reject", 0) == 0) {
          Send(fd, std::to_string(opts_.rcpt_reject_code) + " 5.1.1 No such user\r\n");
        } else {
          s.rcpt_to.push_back(to);
          Send(fd, "250 2.1.5 Ok\r\n");
        }
      } else if (cmd == "DATA") {
        Send(fd, "354 End data with <CR><LF>.<CR><LF>\r\n");
        std::string l;
        while (ReadLine(fd, &buf, &l) && l != ".") {
          if (!l.empty() && l[0] == '.') l.erase(0, 1);
          s.data += l + "\r\n";
        }
        Send(fd, "250 2.0.0 Ok: queued\r\n");
      } else if (cmd == "QUIT") {
        Send(fd, "221 2.0.0 Bye\r\n");
        break;
      } else if (cmd == "RSET" || cmd == "NOOP") {
        Send(fd, "250 2.0.0 Ok\r\n");
      } else {
        Send(fd, "502 5.5.2 Command not recognized\r\n");
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.push_back(std::move(s));
  }

  const Options opts_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Session> sessions_;
};

}  // namespace vigil::alertmanager::testing
