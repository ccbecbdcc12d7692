#include "scrape/config.h"

#include <cctype>
#include <string>

#include "base/strings.h"

namespace vigil::scrape {
namespace {

}  // namespace

Status ValidateTargetAddress(std::string_view address) {
  const std::string quoted = "target \"" + std::string(address) + "\"";
  if (address.empty()) return InvalidArgumentError("empty target address");
  if (address.find("://") != std::string_view::npos) {
    return InvalidArgumentError(quoted +
                                " must be host:port without a scheme (set "
                                "scheme: instead)");
  }
  for (char c : address) {
    if (c == '/' || c == '?' || c == '#' || c == '@' ||
        std::isspace(static_cast<unsigned char>(c)) ||
        static_cast<unsigned char>(c) < 0x20) {
      return InvalidArgumentError(quoted + " is not a valid host:port");
    }
  }
  std::string_view host = address;
  std::string_view port;
  if (address.front() == '[') {
    const size_t close = address.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgumentError(quoted + ": unterminated [IPv6] host");
    }
    host = address.substr(1, close - 1);
    std::string_view rest = address.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return InvalidArgumentError(quoted + " is not a valid host:port");
      }
      port = rest.substr(1);
      if (port.empty()) {
        return InvalidArgumentError(quoted + ": empty port");
      }
    }
  } else {
    const size_t colon = address.find(':');
    if (colon != std::string_view::npos) {
      if (address.find(':', colon + 1) != std::string_view::npos) {
        return InvalidArgumentError(
            quoted + ": an IPv6 address must be written [addr]:port");
      }
      host = address.substr(0, colon);
      port = address.substr(colon + 1);
      if (port.empty()) {
        return InvalidArgumentError(quoted + ": empty port");
      }
    }
  }
  if (host.empty()) return InvalidArgumentError(quoted + ": empty host");
  if (!port.empty()) {
    int v = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || v > 65535) {
        return InvalidArgumentError(quoted + ": port \"" + std::string(port) +
                                    "\" is not a number in [1, 65535]");
      }
      v = v * 10 + (c - '0');
    }
    if (v < 1 || v > 65535) {
      return InvalidArgumentError(quoted + ": port \"" + std::string(port) +
                                  "\" is not a number in [1, 65535]");
    }
  }
  return Status::OK();
}

Status ValidateScrapeConfig(const ScrapeConfig& c) {
  if (c.job_name.empty()) {
    return InvalidArgumentError("scrape config has an empty job_name");
  }
  const std::string job = "job \"" + c.job_name + "\": ";
  if (c.scrape_interval.count() <= 0) {
    return InvalidArgumentError(job + "scrape_interval must be positive");
  }
  if (c.scrape_timeout.count() <= 0) {
    return InvalidArgumentError(job + "scrape_timeout must be positive");
  }
  if (c.scrape_timeout > c.scrape_interval) {
    return InvalidArgumentError(job +
                                "scrape timeout greater than scrape interval");
  }
  if (c.scheme != "http" && c.scheme != "https") {
    return InvalidArgumentError(job + "scheme must be http or https, not \"" +
                                c.scheme + "\"");
  }
  if (c.metrics_path.empty() || c.metrics_path.front() != '/') {
    return InvalidArgumentError(job + "metrics_path must start with \"/\"");
  }
  if (Status s = http::ValidateHttpClientConfig(c.http_client_config); !s.ok()) {
    return InvalidArgumentError(job + std::string(s.message()));
  }
  for (const StaticConfig& sc : c.static_configs) {
    for (const std::string& t : sc.targets) {
      if (Status s = ValidateTargetAddress(t); !s.ok()) {
        return InvalidArgumentError(job + std::string(s.message()));
      }
    }
    for (model::LabelRef l : sc.labels) {
      if (!model::IsValidLabelName(l.name)) {
        return InvalidArgumentError(job + "invalid label name \"" + std::string(l.name) +
                                    "\" in static_configs");
      }
    }
  }
  for (const auto& [name, values] : c.params) {
    if (name.empty()) {
      return InvalidArgumentError(job + "empty parameter name in params");
    }
  }
  return Status::OK();
}

}  // namespace vigil::scrape
