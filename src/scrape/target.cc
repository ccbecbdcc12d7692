#include "scrape/target.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "base/strings.h"
#include "http/client.h"
#include "model/duration.h"

namespace vigil::scrape {
namespace {

constexpr std::string_view kAddressLabel = "__address__";
constexpr std::string_view kSchemeLabel = "__scheme__";
constexpr std::string_view kMetricsPathLabel = "__metrics_path__";
constexpr std::string_view kScrapeIntervalLabel = "__scrape_interval__";
constexpr std::string_view kScrapeTimeoutLabel = "__scrape_timeout__";
constexpr std::string_view kParamPrefix = "__param_";
constexpr std::string_view kJobLabel = "job";
constexpr std::string_view kInstanceLabel = "instance";

// FNV-1a: stable across runs and platforms (the spreading of targets over
// the interval must not change on restart).
uint64_t TargetHash(const model::Labels& labels, std::string_view url) {
  const uint64_t lh = labels.Hash();
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(lh >> (8 * i));
  return Fnv1a(url, Fnv1a(std::string_view(buf, sizeof(buf))));
}

// Adds the scheme's default port when the address has none.
std::string AddressWithPort(std::string_view address, std::string_view scheme) {
  const std::string_view port = scheme == "https" ? "443" : "80";
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find(']');
    if (close != std::string_view::npos && close + 1 < address.size()) {
      return std::string(address);
    }
    return std::string(address) + ":" + std::string(port);
  }
  const size_t colons = std::count(address.begin(), address.end(), ':');
  if (colons == 1) return std::string(address);
  if (colons > 1) {  // a bare IPv6 address
    return "[" + std::string(address) + "]:" + std::string(port);
  }
  return std::string(address) + ":" + std::string(port);
}

// Shared by every target that has no metadata yet.
const MetadataSnapshot& EmptyMetadata() {
  static const MetadataSnapshot* const empty =
      new MetadataSnapshot(std::make_shared<std::vector<MetricMetadata>>());
  return *empty;
}

}  // namespace

std::string_view TargetHealthName(TargetHealth health) {
  switch (health) {
    case TargetHealth::kUp:
      return "up";
    case TargetHealth::kDown:
      return "down";
    case TargetHealth::kUnknown:
      break;
  }
  return "unknown";
}

Target::Target(std::string scrape_pool, model::Labels labels,
               model::Labels discovered_labels, std::string scheme,
               std::string address, std::string path_and_query,
               std::chrono::milliseconds interval,
               std::chrono::milliseconds timeout)
    : scrape_pool_(std::move(scrape_pool)),
      labels_(std::move(labels)),
      discovered_labels_(std::move(discovered_labels)),
      origin_(std::move(scheme) + "://" + std::move(address)),
      path_and_query_(std::move(path_and_query)),
      interval_(interval),
      timeout_(timeout),
      hash_(TargetHash(labels_, origin_ + path_and_query_)),
      metadata_(EmptyMetadata()) {}

std::chrono::nanoseconds Target::Offset(
    std::chrono::nanoseconds interval, uint64_t jitter_seed,
    std::chrono::system_clock::time_point now) const {
  const int64_t iv = interval.count();
  if (iv <= 0) return std::chrono::nanoseconds(0);
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             now.time_since_epoch())
                             .count();
  // Time to the next multiple of the interval, plus this target's slot.
  const int64_t base = iv - now_ns % iv;
  const int64_t offset =
      static_cast<int64_t>((hash_ ^ jitter_seed) % static_cast<uint64_t>(iv));
  int64_t next = base + offset;
  if (next > iv) next -= iv;
  return std::chrono::nanoseconds(next);
}

void Target::Report(std::chrono::system_clock::time_point start,
                    std::chrono::nanoseconds duration, const Status& error) {
  MutexLock lock(&mu_);
  health_ = error.ok() ? TargetHealth::kUp : TargetHealth::kDown;
  last_error_ = std::string(error.message());
  last_scrape_ = start;
  last_duration_ = duration;
}

void Target::CopyHealthFrom(const Target& other) {
  if (&other == this) return;
  TargetHealth health;
  std::string last_error;
  std::chrono::system_clock::time_point last_scrape;
  std::chrono::nanoseconds last_duration;
  {
    MutexLock lock(&other.mu_);
    health = other.health_;
    last_error = other.last_error_;
    last_scrape = other.last_scrape_;
    last_duration = other.last_duration_;
  }
  MutexLock lock(&mu_);
  health_ = health;
  last_error_ = std::move(last_error);
  last_scrape_ = last_scrape;
  last_duration_ = last_duration;
}

TargetStatus Target::status() const {
  TargetStatus s;
  s.scrape_pool = scrape_pool_;
  s.labels = labels_;
  s.discovered_labels = discovered_labels_;
  s.scrape_url = url();
  s.scrape_interval = interval_;
  s.scrape_timeout = timeout_;
  MutexLock lock(&mu_);
  s.health = health_;
  s.last_error = last_error_;
  s.last_scrape = last_scrape_;
  s.last_scrape_duration = last_duration_;
  s.metadata = metadata_;
  return s;
}

void Target::SetMetadata(MetadataSnapshot metadata) {
  if (metadata == nullptr) metadata = EmptyMetadata();
  MutexLock lock(&mu_);
  metadata_.swap(metadata);
  // The old snapshot is released after the lock, by `metadata`'s destructor.
}

MetadataSnapshot Target::metadata() const {
  MutexLock lock(&mu_);
  return metadata_;
}

Result<std::vector<std::shared_ptr<Target>>> TargetsFromConfig(
    const ScrapeConfig& config) {
  std::vector<std::shared_ptr<Target>> out;
  std::set<std::pair<model::Labels, std::string>> seen;
  for (const StaticConfig& sc : config.static_configs) {
    for (const std::string& address : sc.targets) {
      // Discovered labels: the group's labels, then the address.
      model::LabelsBuilder b(sc.labels);
      b.Set(kAddressLabel, address);
      const model::Labels group = b.Build();
      // Defaults for what the target did not set itself.
      const auto set_default = [&](std::string_view name,
                                   std::string_view value) {
        if (group.Get(name).empty()) b.Set(name, value);
      };
      set_default(kJobLabel, config.job_name);
      set_default(kSchemeLabel, config.scheme);
      set_default(kMetricsPathLabel, config.metrics_path);
      set_default(kScrapeIntervalLabel, model::FormatDuration(config.scrape_interval));
      set_default(kScrapeTimeoutLabel, model::FormatDuration(config.scrape_timeout));
      for (const auto& [name, values] : config.params) {
        if (!values.empty()) {
          set_default(std::string(kParamPrefix) + name, values.front());
        }
      }
      const model::Labels discovered = b.Build();

      const std::string scheme(discovered.Get(kSchemeLabel));
      if (scheme != "http" && scheme != "https") {
        return InvalidArgumentError("job \"" + config.job_name + "\": target " +
                                    address + ": unsupported scheme \"" +
                                    scheme + "\"");
      }
      const std::string addr =
          AddressWithPort(discovered.Get(kAddressLabel), scheme);
      if (Status s = ValidateTargetAddress(addr); !s.ok()) {
        return s.WithPrefix("job \"" + config.job_name + "\"");
      }
      Result<std::chrono::milliseconds> interval =
          model::ParseDuration(discovered.Get(kScrapeIntervalLabel));
      Result<std::chrono::milliseconds> timeout =
          model::ParseDuration(discovered.Get(kScrapeTimeoutLabel));
      if (!interval.ok() || !timeout.ok()) {
        return InvalidArgumentError(
            "job \"" + config.job_name + "\": target " + address +
            ": bad __scrape_interval__ or __scrape_timeout__");
      }
      if (interval->count() <= 0 || timeout->count() <= 0 ||
          *timeout > *interval) {
        return InvalidArgumentError(
            "job \"" + config.job_name + "\": target " + address +
            ": scrape timeout must be positive and not greater than the "
            "scrape interval");
      }

      // Query: configured params, each __param_<name> label replacing the
      // first value of <name>.
      std::map<std::string, std::vector<std::string>> params = config.params;
      for (model::LabelRef l : discovered) {
        if (l.name.rfind(kParamPrefix, 0) != 0) continue;
        std::vector<std::string>& vs =
            params[std::string(l.name.substr(kParamPrefix.size()))];
        if (vs.empty()) {
          vs.emplace_back(l.value);
        } else {
          vs[0] = l.value;
        }
      }
      std::string path(discovered.Get(kMetricsPathLabel));
      if (path.empty() || path.front() != '/') path.insert(0, "/");
      char sep = path.find('?') == std::string::npos ? '?' : '&';
      for (const auto& [name, values] : params) {
        for (const std::string& v : values) {
          path += sep;
          path += http::QueryEscape(name);
          path += '=';
          path += http::QueryEscape(v);
          sep = '&';
        }
      }

      // Public labels: drop "__" ones, default instance to the address.
      model::LabelsBuilder pub(discovered);
      for (model::LabelRef l : discovered) {
        if (l.name.rfind("__", 0) == 0) pub.Del(l.name);
      }
      if (discovered.Get(kInstanceLabel).empty()) {
        pub.Set(kInstanceLabel, addr);
      }
      model::Labels labels = pub.Build();
      std::string url = scheme + "://" + addr + path;
      if (!seen.emplace(labels, url).second) continue;
      out.push_back(std::make_shared<Target>(
          config.job_name, std::move(labels), discovered, scheme, addr,
          std::move(path), *interval, *timeout));
    }
  }
  return out;
}

}  // namespace vigil::scrape
