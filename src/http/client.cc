#include "http/client.h"

#include <httplib.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "base/strings.h"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "dev"
#endif

namespace vigil::http {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct Origin {
  std::string scheme;
  std::string host;  // without brackets
  int port = 0;
};

Result<Origin> ParseOrigin(std::string_view origin) {
  Origin o;
  const size_t sep = origin.find("://");
  if (sep == std::string_view::npos) {
    return InvalidArgumentError("URL \"" + std::string(origin) +
                                "\" must start with http:// or https://");
  }
  o.scheme = std::string(origin.substr(0, sep));
  if (o.scheme != "http" && o.scheme != "https") {
    return InvalidArgumentError("URL \"" + std::string(origin) +
                                "\": unsupported scheme \"" + o.scheme +
                                "\" (http or https)");
  }
  std::string_view rest = origin.substr(sep + 3);
  if (rest.find_first_of("/?#@") != std::string_view::npos) {
    return InvalidArgumentError("URL \"" + std::string(origin) +
                                "\" must be scheme://host[:port] only");
  }
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgumentError("URL \"" + std::string(origin) +
                                  "\": unterminated [IPv6] host");
    }
    o.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return InvalidArgumentError("URL \"" + std::string(origin) +
                                    "\": junk after [IPv6] host");
      }
      port = rest.substr(1);
    }
  } else {
    const size_t colon = rest.rfind(':');
    o.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  if (o.host.empty()) {
    return InvalidArgumentError("URL \"" + std::string(origin) +
                                "\" has no host");
  }
  if (port.empty()) {
    o.port = o.scheme == "https" ? 443 : 80;
  } else {
    int v = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || v > 65535) {
        v = -1;
        break;
      }
      v = v * 10 + (c - '0');
    }
    if (v <= 0 || v > 65535) {
      return InvalidArgumentError("URL \"" + std::string(origin) +
                                  "\": bad port \"" + std::string(port) + "\"");
    }
    o.port = v;
  }
  return o;
}

std::string ErrorText(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
      return "connection failed (refused or unreachable)";
    case httplib::Error::BindIPAddress:
      return "cannot bind the local address";
    case httplib::Error::Read:
      return "error reading the response";
    case httplib::Error::Write:
      return "error writing the request";
    case httplib::Error::ExceedRedirectCount:
      return "too many redirects";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "cannot load TLS certificates";
    case httplib::Error::SSLServerVerification:
      return "TLS server certificate verification failed";
    case httplib::Error::Compression:
      return "cannot decompress the response body";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out";
    default:
      return httplib::to_string(e);
  }
}

}  // namespace

std::string_view DefaultUserAgent() { return "vigil/" VIGIL_VERSION; }

std::string Base64Encode(std::string_view in, bool url_safe) {
  static constexpr char kStd[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static constexpr char kUrl[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const char* alphabet = url_safe ? kUrl : kStd;
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(in[i]) << 16) |
                       (static_cast<uint8_t>(in[i + 1]) << 8) |
                       static_cast<uint8_t>(in[i + 2]);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    out.push_back(alphabet[n & 63]);
  }
  if (i + 1 == in.size()) {
    const uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.append("==");
  } else if (i + 2 == in.size()) {
    const uint32_t n = (static_cast<uint8_t>(in[i]) << 16) |
                       (static_cast<uint8_t>(in[i + 1]) << 8);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

std::string BasicAuthHeaderValue(std::string_view username,
                                 std::string_view password) {
  std::string in;
  in.reserve(username.size() + password.size() + 1);
  in.append(username).append(":").append(password);
  return "Basic " + Base64Encode(in, /*url_safe=*/false);
}

std::string QueryEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

struct Client::Impl {
  explicit Impl(std::unique_ptr<httplib::Client> c) : client(std::move(c)) {}
  std::unique_ptr<httplib::Client> client;
};

Client::Client(std::string origin, ClientOptions options,
               std::unique_ptr<Impl> impl)
    : origin_(std::move(origin)),
      options_(std::move(options)),
      impl_(std::move(impl)) {}

Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::Create(std::string origin,
                                               ClientOptions options) {
  Result<Origin> o = ParseOrigin(origin);
  if (!o.ok()) return o.status();
  if (options.timeout <= std::chrono::milliseconds(0)) {
    return InvalidArgumentError("HTTP client timeout must be positive");
  }
  const bool https = o->scheme == "https";
  std::unique_ptr<httplib::Client> c;
  try {
    if (https) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
      const TlsOptions& tls = options.tls;
      if (tls.cert_file.empty() != tls.key_file.empty()) {
        return InvalidArgumentError(
            "TLS client certificate and key must be given together");
      }
      c = std::make_unique<httplib::Client>(origin, tls.cert_file,
                                            tls.key_file);
      if (!c->is_valid()) {
        return InvalidArgumentError("cannot load TLS client certificate \"" +
                                    tls.cert_file + "\" / key \"" +
                                    tls.key_file + "\"");
      }
      if (!tls.ca_file.empty()) c->set_ca_cert_path(tls.ca_file);
      c->enable_server_certificate_verification(!tls.insecure_skip_verify);
#else
      return UnimplementedError("https is not supported by this build");
#endif
    } else {
      c = std::make_unique<httplib::Client>(origin);
    }
  } catch (const std::exception& e) {
    return InvalidArgumentError("URL \"" + origin + "\": " + e.what());
  }
  if (!c->is_valid()) {
    return InvalidArgumentError("URL \"" + origin + "\" is not usable");
  }
  c->set_keep_alive(true);
  // A POST goes out as two writes (headers, body); without this Nagle's
  // algorithm holds the second for the peer's delayed ACK (about 40 ms per
  // request on a kept-alive connection).
  c->set_tcp_nodelay(true);
  c->set_follow_location(options.follow_redirects);
  c->set_decompress(true);
  auto impl = std::make_unique<Impl>(std::move(c));
  return std::unique_ptr<Client>(
      new Client(std::move(origin), std::move(options), std::move(impl)));
}

void Client::Stop() {
  stopped_.store(true);
  impl_->client->stop();
}

Result<ClientResponse> Client::Get(std::string_view path_and_query,
                                   const Headers& headers) {
  return Do("GET", path_and_query, nullptr, {}, headers);
}

Result<ClientResponse> Client::Post(std::string_view path_and_query,
                                    std::string_view body,
                                    std::string_view content_type,
                                    const Headers& headers) {
  const std::string b(body);
  return Do("POST", path_and_query, &b, content_type, headers);
}

Result<ClientResponse> Client::Put(std::string_view path_and_query,
                                   std::string_view body,
                                   std::string_view content_type,
                                   const Headers& headers) {
  const std::string b(body);
  return Do("PUT", path_and_query, &b, content_type, headers);
}

Result<ClientResponse> Client::Delete(std::string_view path_and_query,
                                      const Headers& headers) {
  const std::string empty;
  return Do("DELETE", path_and_query, &empty, {}, headers);
}

Result<ClientResponse> Client::Do(std::string_view method,
                                  std::string_view path_and_query,
                                  const std::string* body,
                                  std::string_view content_type,
                                  const Headers& headers) {
  const std::string what =
      std::string(method) + " " + origin_ + std::string(path_and_query);
  if (stopped_.load()) return CancelledError(what + ": stopped");
  const auto timeout = options_.timeout;
  const auto start = SteadyClock::now();
  const auto deadline = start + timeout;

  httplib::Headers h;
  bool has_user_agent = false;
  bool has_authorization = false;
  bool has_content_type = false;
  for (const auto& [name, value] : headers) {
    if (EqualsIgnoreCase(name, "User-Agent")) has_user_agent = true;
    if (EqualsIgnoreCase(name, "Authorization")) has_authorization = true;
    if (EqualsIgnoreCase(name, "Content-Type")) has_content_type = true;
    h.emplace(name, value);
  }
  if (!has_user_agent) {
    h.emplace("User-Agent", options_.user_agent.empty()
                                ? std::string(DefaultUserAgent())
                                : options_.user_agent);
  }
  if (has_authorization) {
    // The request's own header wins.
  } else if (!options_.basic_auth_username.empty() ||
             !options_.basic_auth_password.empty()) {
    h.emplace("Authorization",
              BasicAuthHeaderValue(options_.basic_auth_username,
                                   options_.basic_auth_password));
  } else if (!options_.authorization_credentials.empty()) {
    h.emplace("Authorization", options_.authorization_type + " " +
                                   options_.authorization_credentials);
  }
  if (body != nullptr && !has_content_type && !content_type.empty()) {
    h.emplace("Content-Type", std::string(content_type));
  }

  httplib::Client& c = *impl_->client;
  c.set_connection_timeout(timeout);
  c.set_read_timeout(timeout);
  c.set_write_timeout(timeout);

  ClientResponse out;
  bool too_big = false;
  bool late = false;
  const size_t limit = options_.body_size_limit_bytes;
  auto on_response = [&](const httplib::Response& res) {
    // Called again after a followed redirect: keep the last answer only.
    out.headers.clear();
    out.content_type.clear();
    out.status = res.status;
    for (const auto& [name, value] : res.headers) {
      if (EqualsIgnoreCase(name, "Content-Type")) {
        out.content_type = value;
      } else {
        out.headers.emplace_back(name, value);
      }
    }
    return true;
  };
  auto on_body = [&](const char* data, size_t n) {
    if (stopped_.load()) return false;
    if (SteadyClock::now() > deadline) {
      late = true;
      return false;
    }
    if (limit != 0 && out.body.size() + n > limit) {
      too_big = true;
      return false;
    }
    out.body.append(data, n);
    return true;
  };

  httplib::Result res = [&] {
    try {
      if (body == nullptr) {
        return c.Get(std::string(path_and_query), h, on_response, on_body);
      }
      httplib::Request req;
      req.method = std::string(method);
      req.path = std::string(path_and_query);
      req.headers = std::move(h);
      req.body = *body;
      req.response_handler = on_response;
      req.content_receiver = [&](const char* data, size_t n, uint64_t,
                                 uint64_t) { return on_body(data, n); };
      return c.send(req);
    } catch (const std::exception&) {
      return httplib::Result(nullptr, httplib::Error::Unknown);
    }
  }();
  const auto elapsed = SteadyClock::now() - start;
  if (res.error() == httplib::Error::Success && !late) {
    // cpp-httplib skips the response handler for answers without a body
    // (204, 304): take the status and headers from the result.
    if (out.status == 0 && res) on_response(*res);
    return out;
  }
  if (too_big) {
    return ResourceExhaustedError(what + ": body size limit exceeded (" +
                                  std::to_string(limit) + " bytes)");
  }
  if (stopped_.load()) return CancelledError(what + ": stopped");
  if (late || elapsed >= timeout ||
      res.error() == httplib::Error::ConnectionTimeout) {
    return DeadlineExceededError(what + ": timeout after " +
                                 FormatSeconds(timeout));
  }
  std::string reason = ErrorText(res.error());
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  if (res.error() == httplib::Error::SSLServerVerification) {
    reason += " (OpenSSL verify result " +
              std::to_string(c.get_openssl_verify_result()) + ")";
  }
#endif
  return UnavailableError(what + ": " + reason);
}

}  // namespace vigil::http
