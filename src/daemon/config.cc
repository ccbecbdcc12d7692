#include "daemon/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "base/file.h"
#include "base/status_macros.h"
#include "http/server.h"
#include "httpconfig/reader.h"
#include "model/duration.h"
#include "model/yaml_reader.h"

namespace vigil::daemon {
namespace {

using Millis = std::chrono::milliseconds;

// Prometheus fields (and sections) that vigil does not implement yet: an
// error that says so, never silently ignored.
bool IsKnownUnsupported(std::string_view section, std::string_view key) {
  static const std::map<std::string_view, std::set<std::string_view>>
      kUnsupported = {
          {"config",
           {"remote_read", "tracing"}},
          {"global", {"query_log_file"}},
          {"alerting", {"alert_relabel_configs"}},
          {"alertmanager_config", {"relabel_configs", "oauth2", "proxy_url"}},
          {"scrape_config",
           {"relabel_configs", "metric_relabel_configs", "target_limit",
            "oauth2", "proxy_url", "no_proxy", "proxy_from_environment",
            "proxy_connect_header", "native_histogram_bucket_limit",
            "scrape_classic_histograms"}},
          {"storage", {"exemplars"}},
          {"tsdb", {"out_of_order_time_window"}},
      };
  if ((section == "scrape_config" || section == "alertmanager_config") && key.size() > 11 &&
      key.substr(key.size() - 11) == "_sd_configs") {
    return true;
  }
  auto it = kUnsupported.find(section);
  return it != kUnsupported.end() && it->second.count(key) != 0;
}

std::string_view KindName(const YAML::Node& n) { return model::YamlKindName(n); }

class Loader {
 public:
  Loader(std::string filename, std::filesystem::path dir)
      : filename_(filename), dir_(std::move(dir)), r_(std::move(filename)) {}

  Result<Config> Load(std::string_view text);

 private:
  using FieldFn = model::YamlReader::FieldFn;

  std::string Pos(const YAML::Mark& m) const { return r_.Pos(m); }
  Status Error(const YAML::Mark& m, std::string_view msg) const { return r_.Error(m, msg); }
  Status Error(const YAML::Node& key, const YAML::Node& value,
               std::string_view msg) const {
    return r_.Error(key, value, msg);
  }

  // Walks a mapping (null counts as empty), refusing duplicate keys and
  // passing each field to `fn`; `section` names it in messages.
  Status Fields(const YAML::Node& key, const YAML::Node& map,
                std::string_view section, const FieldFn& fn) const {
    return r_.Fields(key, map, section, fn);
  }
  Status Unknown(const YAML::Node& key_node, const std::string& key,
                 std::string_view section) const {
    if (IsKnownUnsupported(section, key)) {
      return Error(key_node.Mark(), "\"" + key +
                                        "\" is not supported yet (in " +
                                        std::string(section) + ")");
    }
    return Error(key_node.Mark(),
                 "unknown field \"" + key + "\" in " + std::string(section));
  }

  Result<std::string> String(const std::string& field, const YAML::Node& key,
                             const YAML::Node& v) const {
    return r_.String(field, key, v);
  }
  Result<bool> Bool(const std::string& field, const YAML::Node& key,
                    const YAML::Node& v) const {
    return r_.Bool(field, key, v);
  }
  Result<uint64_t> Uint(const std::string& field, const YAML::Node& key,
                        const YAML::Node& v) const {
    return r_.Uint(field, key, v);
  }
  Result<Millis> Duration(const std::string& field, const YAML::Node& key,
                          const YAML::Node& v) const {
    return r_.Duration(field, key, v);
  }
  Result<uint64_t> ByteSize(const std::string& field, const YAML::Node& key,
                            const YAML::Node& v) const;
  Result<model::Labels> LabelMap(const std::string& field,
                                 const YAML::Node& key,
                                 const YAML::Node& v) const {
    return r_.LabelMap(field, key, v, /*allow_metric_name=*/true);
  }
  Result<std::vector<std::string>> StringList(const std::string& field,
                                              const YAML::Node& key,
                                              const YAML::Node& v) const {
    return r_.StringList(field, key, v);
  }
  std::string File(const std::string& name) const {
    if (name.empty()) return name;
    const std::filesystem::path p(name);
    if (p.is_absolute() || dir_.empty()) return name;
    return (dir_ / p).string();
  }

  Status Global(const YAML::Node& key, const YAML::Node& v, Config* c);
  Status Storage(const YAML::Node& key, const YAML::Node& v, Config* c);
  Status Retention(const YAML::Node& k, const YAML::Node& v, StorageConfig* st,
                   bool* time_set, bool* size_set);
  Status ScrapeConfigs(const YAML::Node& key, const YAML::Node& v, Config* c);
  Status Alerting(const YAML::Node& key, const YAML::Node& v, Config* c);
  Status EmbeddedAlertmanager(const YAML::Node& key, const YAML::Node& v, Config* c);
  Status Alertmanager(const YAML::Node& node, Config* c);
  Status Logging(const YAML::Node& key, const YAML::Node& v, Config* c);
  Status LogPatterns(const YAML::Node& key, const YAML::Node& v, Config* c);
  Status Web(const YAML::Node& key, const YAML::Node& v, Config* c);
  Status Collectors(const YAML::Node& key, const YAML::Node& v, Config* c);
  // Where a job's fields were, for messages raised after the walk.
  struct JobMarks {
    YAML::Mark job_name;
    bool has_job_name = false;
    Millis interval{0};
    Millis timeout{0};
    YAML::Mark timeout_key;
  };
  Status JobScalar(const std::string& name, const YAML::Node& k,
                   const YAML::Node& v, scrape::ScrapeConfig* job,
                   JobMarks* marks, bool* known);
  Status Params(const YAML::Node& k, const YAML::Node& v,
                scrape::ScrapeConfig* job);
  Status StaticConfigs(const YAML::Node& k, const YAML::Node& v,
                       scrape::ScrapeConfig* job);
  Status Job(const YAML::Node& node, const GlobalConfig& global,
             scrape::ScrapeConfig* job, YAML::Mark* job_name_mark);

  const std::string filename_;
  const std::filesystem::path dir_;
  const model::YamlReader r_;
};

Result<uint64_t> Loader::ByteSize(const std::string& field,
                                  const YAML::Node& key,
                                  const YAML::Node& v) const {
  if (!v.IsScalar()) {
    return Error(key, v,
                 field + ": expected a size such as 512MB, got " +
                     std::string(KindName(v)));
  }
  Result<uint64_t> n = model::ParseByteSize(v.Scalar());
  if (!n.ok())
    return Error(key, v, field + ": " + std::string(n.status().message()));
  return n;
}

Status Loader::Global(const YAML::Node& key, const YAML::Node& v, Config* c) {
  GlobalConfig& g = c->global;
  Millis interval{0}, timeout{0}, eval{0};
  YAML::Mark timeout_mark = key.Mark();
  VIGIL_RETURN_IF_ERROR(Fields(
      key, v, "global",
      [&](const std::string& name, const YAML::Node& k,
          const YAML::Node& value) -> Status {
        Millis* d = name == "scrape_interval"       ? &interval
                    : name == "scrape_timeout"      ? &timeout
                    : name == "evaluation_interval" ? &eval
                                                    : nullptr;
        if (d != nullptr) {
          VIGIL_ASSIGN_OR_RETURN(*d, Duration(name, k, value));
          if (d == &timeout) timeout_mark = k.Mark();
          return Status::OK();
        }
        if (name == "external_labels") {
          VIGIL_ASSIGN_OR_RETURN(g.external_labels, LabelMap(name, k, value));
          return Status::OK();
        }
        return Unknown(k, name, "global");
      }));
  // Prometheus' GlobalConfig defaults: 0 means unset.
  const GlobalConfig defaults;
  g.scrape_interval =
      interval.count() > 0 ? interval : defaults.scrape_interval;
  if (timeout > g.scrape_interval) {
    return Error(timeout_mark,
                 "global scrape timeout greater than scrape interval");
  }
  g.scrape_timeout = timeout.count() > 0
                         ? timeout
                         : std::min(defaults.scrape_timeout, g.scrape_interval);
  g.evaluation_interval =
      eval.count() > 0 ? eval : defaults.evaluation_interval;
  return Status::OK();
}

Status Loader::Retention(const YAML::Node& k, const YAML::Node& v,
                         StorageConfig* st, bool* time_set, bool* size_set) {
  return Fields(
      k, v, "retention",
      [&](const std::string& r, const YAML::Node& rk,
          const YAML::Node& rv) -> Status {
        if (r == "time") {
          VIGIL_ASSIGN_OR_RETURN(st->retention_time, Duration(r, rk, rv));
          *time_set = true;
          return Status::OK();
        }
        if (r == "size") {
          VIGIL_ASSIGN_OR_RETURN(st->retention_size_bytes, ByteSize(r, rk, rv));
          *size_set = true;
          return Status::OK();
        }
        return Unknown(rk, r, "retention");
      });
}

Status Loader::Storage(const YAML::Node& key, const YAML::Node& v, Config* c) {
  StorageConfig& st = c->storage;
  bool time_set = false;
  bool size_set = false;
  const auto tsdb = [&](const std::string& f, const YAML::Node& fk,
                        const YAML::Node& fv) -> Status {
    if (f == "path") {
      VIGIL_ASSIGN_OR_RETURN(std::string path, String(f, fk, fv));
      if (path.empty()) return Error(fk, fv, "path: must not be empty");
      st.path = File(path);
      return Status::OK();
    }
    if (f == "wal_fsync_interval") {
      VIGIL_ASSIGN_OR_RETURN(st.wal_fsync_interval, Duration(f, fk, fv));
      return Status::OK();
    }
    if (f == "retention") return Retention(fk, fv, &st, &time_set, &size_set);
    return Unknown(fk, f, "tsdb");
  };
  VIGIL_RETURN_IF_ERROR(Fields(key, v, "storage",
                               [&](const std::string& name, const YAML::Node& k,
                                   const YAML::Node& value) -> Status {
                                 if (name != "tsdb") {
                                   return Unknown(k, name, "storage");
                                 }
                                 return Fields(k, value, "tsdb", tsdb);
                               }));
  // As Prometheus: the 15d default applies only when neither is set.
  if (size_set && !time_set) st.retention_time = Millis(0);
  return Status::OK();
}

Status Loader::EmbeddedAlertmanager(const YAML::Node& key, const YAML::Node& v, Config* c) {
  EmbeddedAlertmanagerConfig& am = c->alertmanager;
  am.enabled = true;
  VIGIL_RETURN_IF_ERROR(Fields(key, v, "alertmanager",
                               [&](const std::string& f, const YAML::Node& fk,
                                   const YAML::Node& fv) -> Status {
                                 if (f == "config_file" || f == "storage_path") {
                                   VIGIL_ASSIGN_OR_RETURN(std::string path, String(f, fk, fv));
                                   if (path.empty()) {
                                     return Error(fk, fv, f + ": must not be empty");
                                   }
                                   (f == "config_file" ? am.config_file : am.storage_path) =
                                       File(path);
                                   return Status::OK();
                                 }
                                 return Unknown(fk, f, "alertmanager");
                               }));
  if (am.config_file.empty()) return Error(key.Mark(), "alertmanager: config_file is required");
  return Status::OK();
}

Status Loader::Web(const YAML::Node& key, const YAML::Node& v, Config* c) {
  WebSection& w = c->web;
  return Fields(key, v, "web", [&](const std::string& f, const YAML::Node& fk,
                                   const YAML::Node& fv) -> Status {
    if (f == "listen_address") {
      VIGIL_ASSIGN_OR_RETURN(w.listen_address, String(f, fk, fv));
      std::string host;
      int port = 0;
      Status st = http::ParseListenAddress(w.listen_address, &host, &port);
      if (!st.ok()) return Error(fk, fv, st.message());
      return Status::OK();
    }
    if (f == "config_file") {
      VIGIL_ASSIGN_OR_RETURN(std::string path, String(f, fk, fv));
      if (path.empty()) return Error(fk, fv, "config_file: must not be empty");
      w.config_file = File(path);
      return Status::OK();
    }
    if (f == "external_url") {
      VIGIL_ASSIGN_OR_RETURN(w.external_url, String(f, fk, fv));
      if (!w.external_url.starts_with("http://") && !w.external_url.starts_with("https://")) {
        return Error(fk, fv, "external_url \"" + w.external_url +
                                 "\" must start with http:// or https://");
      }
      return Status::OK();
    }
    if (f == "max_request_bytes") {
      VIGIL_ASSIGN_OR_RETURN(w.max_request_bytes, ByteSize(f, fk, fv));
      if (w.max_request_bytes < 1024) {
        return Error(fk, fv, "max_request_bytes must be at least 1KB");
      }
      return Status::OK();
    }
    if (f == "rate_limit") {
      return Fields(fk, fv, "rate_limit", [&](const std::string& g, const YAML::Node& gk,
                                              const YAML::Node& gv) -> Status {
        if (g != "requests_per_second" && g != "burst") return Unknown(gk, g, "rate_limit");
        VIGIL_ASSIGN_OR_RETURN(double x, r_.Float(g, gk, gv));
        if (!(x >= 0) || x > 1e9) {
          return Error(gk, gv, g + " must be a number in [0, 1e9]");
        }
        (g == "burst" ? w.rate_limit_burst : w.rate_limit_rps) = x;
        return Status::OK();
      });
    }
    return Unknown(fk, f, "web");
  });
}

Status Loader::Collectors(const YAML::Node& key, const YAML::Node& v, Config* c) {
  CollectorsSection& cs = c->collectors;
  return Fields(key, v, "collectors", [&](const std::string& f, const YAML::Node& fk,
                                          const YAML::Node& fv) -> Status {
    if (f == "node") {
      VIGIL_ASSIGN_OR_RETURN(cs.node, Bool(f, fk, fv));
      return Status::OK();
    }
    if (f == "gpu") {
      VIGIL_ASSIGN_OR_RETURN(cs.gpu, Bool(f, fk, fv));
      return Status::OK();
    }
    if (f == "nvml_library") {
      VIGIL_ASSIGN_OR_RETURN(cs.nvml_library, String(f, fk, fv));
      if (cs.nvml_library.empty()) return Error(fk, fv, "nvml_library: must not be empty");
      return Status::OK();
    }
    return Unknown(fk, f, "collectors");
  });
}

Status Loader::Logging(const YAML::Node& key, const YAML::Node& v, Config* c) {
  LoggingConfig& lc = c->logging;
  auto level = [&](const YAML::Node& k, const YAML::Node& n) -> Result<logging::Level> {
    VIGIL_ASSIGN_OR_RETURN(std::string s, String("level", k, n));
    Result<logging::Level> l = logging::ParseLevel(s);
    if (!l.ok()) return Error(k, n, l.status().message());
    return l;
  };
  return Fields(key, v, "logging", [&](const std::string& f, const YAML::Node& fk,
                                        const YAML::Node& fv) -> Status {
    if (f == "level") {
      VIGIL_ASSIGN_OR_RETURN(lc.level, level(fk, fv));
      return Status::OK();
    }
    if (f == "levels") {
      return Fields(fk, fv, "logging.levels", [&](const std::string& name, const YAML::Node& nk,
                                                   const YAML::Node& nv) -> Status {
        if (name.empty()) return Error(nk.Mark(), "logging.levels: empty logger name");
        VIGIL_ASSIGN_OR_RETURN(logging::Level l, level(nk, nv));
        lc.levels.emplace_back(name, l);
        return Status::OK();
      });
    }
    if (f == "console") {
      VIGIL_ASSIGN_OR_RETURN(lc.console, String(f, fk, fv));
      if (lc.console != "stderr" && lc.console != "stdout" && lc.console != "none") {
        return Error(fk, fv, "logging.console: want stderr, stdout or none, got \"" +
                                 lc.console + "\"");
      }
      return Status::OK();
    }
    if (f == "file") {
      return Fields(fk, fv, "logging.file", [&](const std::string& g, const YAML::Node& gk,
                                                 const YAML::Node& gv) -> Status {
        if (g == "path") {
          VIGIL_ASSIGN_OR_RETURN(std::string path, String(g, gk, gv));
          if (path.empty()) return Error(gk, gv, "logging.file.path: must not be empty");
          lc.file = File(path);
          return Status::OK();
        }
        if (g == "max_size") {
          VIGIL_ASSIGN_OR_RETURN(lc.file_max_bytes, ByteSize(g, gk, gv));
          if (lc.file_max_bytes == 0) return Error(gk, gv, "logging.file.max_size: must be positive");
          return Status::OK();
        }
        if (g == "max_files") {
          VIGIL_ASSIGN_OR_RETURN(uint64_t n, Uint(g, gk, gv));
          if (n > 1000) return Error(gk, gv, "logging.file.max_files: at most 1000");
          lc.file_max_files = static_cast<uint32_t>(n);
          return Status::OK();
        }
        return Unknown(gk, g, "logging.file");
      });
    }
    if (f == "async") {
      VIGIL_ASSIGN_OR_RETURN(lc.async, Bool(f, fk, fv));
      return Status::OK();
    }
    if (f == "queue_size") {
      VIGIL_ASSIGN_OR_RETURN(lc.queue_bytes, ByteSize(f, fk, fv));
      if (lc.queue_bytes < 4096 || lc.queue_bytes > (1ull << 30)) {
        return Error(fk, fv, "logging.queue_size: must be between 4KB and 1GB");
      }
      return Status::OK();
    }
    if (f == "overflow") {
      VIGIL_ASSIGN_OR_RETURN(std::string o, String(f, fk, fv));
      if (o == "block") {
        lc.overflow = logging::Overflow::kBlock;
      } else if (o == "drop") {
        lc.overflow = logging::Overflow::kDrop;
      } else {
        return Error(fk, fv, "logging.overflow: want block or drop, got \"" + o + "\"");
      }
      return Status::OK();
    }
    if (f == "service_name") {
      VIGIL_ASSIGN_OR_RETURN(lc.service_name, String(f, fk, fv));
      return Status::OK();
    }
    return Unknown(fk, f, "logging");
  });
}

Status Loader::LogPatterns(const YAML::Node& key, const YAML::Node& v, Config* c) {
  if (v.IsNull()) return Status::OK();
  if (!v.IsSequence()) {
    return Error(key, v, "log_patterns: expected a list, got " + std::string(KindName(v)));
  }
  for (const YAML::Node& item : v) {
    LogPatternConfig pc;
    logging::PatternRule& rule = pc.rule;
    bool self = false;
    std::vector<std::string> files;
    YAML::Node pattern_node;
    VIGIL_RETURN_IF_ERROR(Fields(item, item, "log_pattern", [&](const std::string& f,
                                                                const YAML::Node& fk,
                                                                const YAML::Node& fv) -> Status {
      if (f == "name") {
        VIGIL_ASSIGN_OR_RETURN(rule.name, String(f, fk, fv));
        if (rule.name.empty()) return Error(fk, fv, "log_pattern: name must not be empty");
        return Status::OK();
      }
      if (f == "pattern") {
        VIGIL_ASSIGN_OR_RETURN(rule.pattern, String(f, fk, fv));
        pattern_node.reset(fv);
        return Status::OK();
      }
      if (f == "severity") {
        VIGIL_ASSIGN_OR_RETURN(rule.severity, String(f, fk, fv));
        return Status::OK();
      }
      if (f == "threshold") {
        VIGIL_ASSIGN_OR_RETURN(rule.threshold, Uint(f, fk, fv));
        if (rule.threshold == 0 || rule.threshold > logging::PatternEngine::kMaxThreshold) {
          return Error(fk, fv, "log_pattern: threshold must be between 1 and " +
                                   std::to_string(logging::PatternEngine::kMaxThreshold));
        }
        return Status::OK();
      }
      if (f == "window") {
        VIGIL_ASSIGN_OR_RETURN(rule.window, Duration(f, fk, fv));
        if (rule.window.count() <= 0) return Error(fk, fv, "log_pattern: window must be positive");
        return Status::OK();
      }
      if (f == "files") {
        VIGIL_ASSIGN_OR_RETURN(files, StringList(f, fk, fv));
        for (auto& file : files) {
          if (file.empty()) return Error(fk, fv, "log_pattern: empty file name");
          file = File(file);
        }
        return Status::OK();
      }
      if (f == "self") {
        VIGIL_ASSIGN_OR_RETURN(self, Bool(f, fk, fv));
        return Status::OK();
      }
      if (f == "labels" || f == "annotations") {
        VIGIL_ASSIGN_OR_RETURN(model::Labels l, r_.LabelMap(f, fk, fv, false));
        (f == "labels" ? pc.labels : pc.annotations) = std::move(l);
        return Status::OK();
      }
      return Unknown(fk, f, "log_pattern");
    }));
    if (rule.name.empty()) return Error(item.Mark(), "log_pattern: name is required");
    if (rule.pattern.empty()) {
      return Error(item.Mark(), "log pattern \"" + rule.name + "\": pattern is required");
    }
    if (files.empty() && !self) {
      return Error(item.Mark(), "log pattern \"" + rule.name +
                                    "\": needs files to tail or self: true (vigil's own log)");
    }
    for (const auto& other : c->log_patterns) {
      if (other.rule.name == rule.name) {
        return Error(item.Mark(), "log pattern \"" + rule.name + "\": duplicate name");
      }
    }
    rule.sources = files;
    if (self) rule.sources.emplace_back(kSelfLogSource);
    // Compile now so a bad pattern is reported at its place in the file.
    Result<std::unique_ptr<logging::PatternEngine>> probe = logging::PatternEngine::Create({rule});
    if (!probe.ok()) return Error(pattern_node.Mark(), probe.status().message());
    c->log_patterns.push_back(std::move(pc));
  }
  return Status::OK();
}

// Scalar fields of a scrape_config; false in *known when `name` is none.
Status Loader::JobScalar(const std::string& name, const YAML::Node& k,
                         const YAML::Node& v, scrape::ScrapeConfig* job,
                         JobMarks* marks, bool* known) {
  *known = true;
  if (name == "job_name") {
    VIGIL_ASSIGN_OR_RETURN(job->job_name, String(name, k, v));
    marks->job_name = v.Mark().is_null() ? k.Mark() : v.Mark();
    marks->has_job_name = true;
    return Status::OK();
  }
  if (name == "scrape_interval") {
    VIGIL_ASSIGN_OR_RETURN(marks->interval, Duration(name, k, v));
    return Status::OK();
  }
  if (name == "scrape_timeout") {
    VIGIL_ASSIGN_OR_RETURN(marks->timeout, Duration(name, k, v));
    marks->timeout_key = k.Mark();
    return Status::OK();
  }
  if (name == "metrics_path") {
    VIGIL_ASSIGN_OR_RETURN(std::string path, String(name, k, v));
    if (path.empty()) return Status::OK();
    if (path.front() != '/') {
      return Error(k, v, "metrics_path: must start with \"/\"");
    }
    job->metrics_path = std::move(path);
    return Status::OK();
  }
  if (name == "scheme") {
    VIGIL_ASSIGN_OR_RETURN(std::string scheme, String(name, k, v));
    if (scheme.empty()) return Status::OK();
    if (scheme != "http" && scheme != "https") {
      return Error(
          k, v,
          "scheme: must be \"http\" or \"https\", not \"" + scheme + "\"");
    }
    job->scheme = std::move(scheme);
    return Status::OK();
  }
  if (name == "honor_labels") {
    VIGIL_ASSIGN_OR_RETURN(job->honor_labels, Bool(name, k, v));
    return Status::OK();
  }
  if (name == "honor_timestamps") {
    VIGIL_ASSIGN_OR_RETURN(job->honor_timestamps, Bool(name, k, v));
    return Status::OK();
  }
  size_t* limit =
      name == "sample_limit"               ? &job->sample_limit
      : name == "label_limit"              ? &job->label_limit
      : name == "label_name_length_limit"  ? &job->label_name_length_limit
      : name == "label_value_length_limit" ? &job->label_value_length_limit
                                           : nullptr;
  if (limit != nullptr) {
    VIGIL_ASSIGN_OR_RETURN(uint64_t n, Uint(name, k, v));
    *limit = static_cast<size_t>(n);
    return Status::OK();
  }
  if (name == "body_size_limit") {
    VIGIL_ASSIGN_OR_RETURN(job->body_size_limit_bytes, ByteSize(name, k, v));
    return Status::OK();
  }
  *known = false;
  return Status::OK();
}

Status Loader::Params(const YAML::Node& k, const YAML::Node& v,
                      scrape::ScrapeConfig* job) {
  return Fields(k, v, "params",
                [&](const std::string& p, const YAML::Node& pk,
                    const YAML::Node& pv) -> Status {
                  VIGIL_ASSIGN_OR_RETURN(job->params[p],
                                         StringList("params." + p, pk, pv));
                  return Status::OK();
                });
}

Status Loader::StaticConfigs(const YAML::Node& k, const YAML::Node& v,
                             scrape::ScrapeConfig* job) {
  if (v.IsNull()) return Status::OK();
  if (!v.IsSequence()) {
    return Error(
        k, v,
        "static_configs: expected a list, got " + std::string(KindName(v)));
  }
  for (const YAML::Node& item : v) {
    scrape::StaticConfig sc;
    VIGIL_RETURN_IF_ERROR(Fields(
        item, item, "static_config",
        [&](const std::string& f, const YAML::Node& fk,
            const YAML::Node& fv) -> Status {
          if (f == "labels") {
            VIGIL_ASSIGN_OR_RETURN(sc.labels, LabelMap("labels", fk, fv));
            return Status::OK();
          }
          if (f != "targets") return Unknown(fk, f, "static_config");
          if (fv.IsNull()) return Status::OK();
          if (!fv.IsSequence()) {
            return Error(
                fk, fv,
                "targets: expected a list, got " + std::string(KindName(fv)));
          }
          for (const YAML::Node& t : fv) {
            if (!t.IsScalar()) {
              return Error(t.Mark(), "targets: expected a string, got " +
                                         std::string(KindName(t)));
            }
            Status valid = scrape::ValidateTargetAddress(t.Scalar());
            if (!valid.ok()) return Error(t.Mark(), valid.message());
            sc.targets.push_back(t.Scalar());
          }
          return Status::OK();
        }));
    job->static_configs.push_back(std::move(sc));
  }
  return Status::OK();
}

Status Loader::Job(const YAML::Node& node, const GlobalConfig& global,
                   scrape::ScrapeConfig* job, YAML::Mark* job_name_mark) {
  JobMarks marks;
  marks.job_name = node.Mark();
  marks.timeout_key = node.Mark();
  YAML::Mark static_mark = node.Mark();
  httpconfig::HttpClientConfigReader http(r_, dir_.string());
  VIGIL_RETURN_IF_ERROR(Fields(node, node, "scrape_config",
                               [&](const std::string& name, const YAML::Node& k,
                                   const YAML::Node& v) -> Status {
                                 bool known = false;
                                 VIGIL_RETURN_IF_ERROR(JobScalar(
                                     name, k, v, job, &marks, &known));
                                 if (known) return Status::OK();
                                 VIGIL_ASSIGN_OR_RETURN(
                                     known, http.Field(name, k, v, &job->http_client_config));
                                 if (known) return Status::OK();
                                 if (name == "params") return Params(k, v, job);
                                 if (name == "static_configs") {
                                   static_mark = k.Mark();
                                   return StaticConfigs(k, v, job);
                                 }
                                 return Unknown(k, name, "scrape_config");
                               }));
  *job_name_mark = marks.job_name;
  if (!marks.has_job_name || job->job_name.empty()) {
    return Error(node.Mark(), "scrape_config: job_name is empty");
  }
  // Prometheus' ScrapeConfig.Validate: interval from global, then a
  // timeout no greater than it.
  job->scrape_interval =
      marks.interval.count() > 0 ? marks.interval : global.scrape_interval;
  if (marks.timeout > job->scrape_interval) {
    return Error(marks.timeout_key,
                 "scrape timeout greater than scrape interval for scrape "
                 "config with job name \"" +
                     job->job_name + "\"");
  }
  job->scrape_timeout =
      marks.timeout.count() > 0
          ? marks.timeout
          : std::min(global.scrape_timeout, job->scrape_interval);
  VIGIL_RETURN_IF_ERROR(http.Finish(node.Mark(), &job->http_client_config));
  // Anything the field checks above missed (the rules live in one place,
  // for programmatic callers too).
  if (Status v = scrape::ValidateScrapeConfig(*job); !v.ok()) {
    return Error(static_mark, v.message());
  }
  return Status::OK();
}

Status Loader::ScrapeConfigs(const YAML::Node& key, const YAML::Node& v,
                             Config* c) {
  if (v.IsNull()) return Status::OK();
  if (!v.IsSequence()) {
    return Error(
        key, v,
        "scrape_configs: expected a list, got " + std::string(KindName(v)));
  }
  std::set<std::string> names;
  for (const YAML::Node& item : v) {
    if (!item.IsMap()) {
      return Error(item.Mark(), "scrape_config: expected a mapping, got " +
                                    std::string(KindName(item)));
    }
    scrape::ScrapeConfig job;
    YAML::Mark name_mark;
    if (Status s = Job(item, c->global, &job, &name_mark); !s.ok()) return s;
    if (!names.insert(job.job_name).second) {
      return Error(name_mark, "found multiple scrape configs with job name \"" +
                                  job.job_name + "\"");
    }
    c->scrape_configs.push_back(std::move(job));
  }
  return Status::OK();
}

Status Loader::Alerting(const YAML::Node& key, const YAML::Node& v, Config* c) {
  return Fields(key, v, "alerting",
                [&](const std::string& f, const YAML::Node& fk, const YAML::Node& fv) -> Status {
                  if (f != "alertmanagers") return Unknown(fk, f, "alerting");
                  if (fv.IsNull()) return Status::OK();
                  if (!fv.IsSequence()) {
                    return Error(fk, fv,
                                 "alertmanagers: expected a list, got " +
                                     std::string(KindName(fv)));
                  }
                  for (const YAML::Node& am : fv) VIGIL_RETURN_IF_ERROR(Alertmanager(am, c));
                  return Status::OK();
                });
}

// One `alertmanagers` entry: one notifier endpoint per static target, all
// with the entry's scheme, path prefix, timeout and HTTP client config.
Status Loader::Alertmanager(const YAML::Node& node, Config* c) {
  std::string scheme = "http";
  http::HttpClientConfig client;
  httpconfig::HttpClientConfigReader http(r_, dir_.string());
  std::string path_prefix;
  Millis timeout{10000};
  std::vector<std::string> targets;
  VIGIL_RETURN_IF_ERROR(Fields(
      node, node, "alertmanager_config",
      [&](const std::string& f, const YAML::Node& fk, const YAML::Node& fv) -> Status {
        if (f == "scheme") {
          VIGIL_ASSIGN_OR_RETURN(scheme, String(f, fk, fv));
          if (scheme != "http" && scheme != "https") {
            return Error(fk, fv, "unsupported scheme \"" + scheme +
                                     "\" for alertmanager (http or https)");
          }
          return Status::OK();
        }
        if (f == "path_prefix") {
          VIGIL_ASSIGN_OR_RETURN(path_prefix, String(f, fk, fv));
          return Status::OK();
        }
        if (f == "timeout") {
          VIGIL_ASSIGN_OR_RETURN(timeout, Duration(f, fk, fv));
          if (timeout.count() <= 0) return Error(fk, fv, "timeout must be positive");
          return Status::OK();
        }
        if (f == "api_version") {
          VIGIL_ASSIGN_OR_RETURN(std::string version, String(f, fk, fv));
          if (version != "v2" && !version.empty()) {
            return Error(fk, fv, "api_version \"" + version +
                                     "\" is not supported: only v2 (Alertmanager >= 0.16)");
          }
          return Status::OK();
        }
        if (f == "static_configs") {
          scrape::ScrapeConfig tmp;
          VIGIL_RETURN_IF_ERROR(StaticConfigs(fk, fv, &tmp));
          for (const auto& sc : tmp.static_configs) {
            for (const auto& t : sc.targets) targets.push_back(t);
          }
          return Status::OK();
        }
        VIGIL_ASSIGN_OR_RETURN(bool read, http.Field(f, fk, fv, &client));
        if (read) return Status::OK();
        return Unknown(fk, f, "alertmanager_config");
      }));
  VIGIL_RETURN_IF_ERROR(http.Finish(node.Mark(), &client));
  for (const auto& t : targets) {
    notifier::AlertmanagerConfig am;
    am.url = scheme + "://" + t;
    am.path_prefix = path_prefix;
    am.timeout = timeout;
    am.http_client_config = client;
    Status valid = notifier::ValidateAlertmanagerConfig(am);
    if (!valid.ok()) return Error(node.Mark(), valid.message());
    c->alertmanagers.push_back(std::move(am));
  }
  return Status::OK();
}

Result<Config> Loader::Load(std::string_view text) {
  Config c;
  c.filename = filename_;
  c.storage.path = File(c.storage.path);
  YAML::Node root = YAML::Load(std::string(text));
  if (!root.IsDefined() || root.IsNull()) return c;  // empty file
  if (!root.IsMap()) {
    return Error(root.Mark(), "the configuration must be a mapping, got " +
                                  std::string(KindName(root)));
  }
  // global first: jobs inherit from it wherever it is written.
  bool has_global = false;
  bool has_scrape = false;
  YAML::Node global_key, global_value;
  YAML::Node scrape_key, scrape_value;
  Status s = Fields(root, root, "config",
                    [&](const std::string& name, const YAML::Node& k,
                        const YAML::Node& v) -> Status {
                      if (name == "global") {
                        has_global = true;
                        global_key.reset(k);
                        global_value.reset(v);
                        return Status::OK();
                      }
                      if (name == "scrape_configs") {
                        has_scrape = true;
                        scrape_key.reset(k);
                        scrape_value.reset(v);
                        return Status::OK();
                      }
                      if (name == "storage") return Storage(k, v, &c);
                      if (name == "alerting") return Alerting(k, v, &c);
                      if (name == "alertmanager") return EmbeddedAlertmanager(k, v, &c);
                      if (name == "logging") return Logging(k, v, &c);
                      if (name == "log_patterns") return LogPatterns(k, v, &c);
                      if (name == "remote_write") {
                        if (!v.IsNull() && !v.IsSequence()) {
                          return Error(k, v, "remote_write must be a list");
                        }
                        for (const YAML::Node& item : v) {
                          VIGIL_ASSIGN_OR_RETURN(
                              remote::RemoteWriteConfig rw,
                              remote::ParseRemoteWriteConfig(r_, item, dir_.string()));
                          c.remote_write.push_back(std::move(rw));
                        }
                        Status valid = remote::ValidateRemoteWriteConfigs(c.remote_write);
                        if (!valid.ok()) return Error(k, v, valid.message());
                        return Status::OK();
                      }
                      if (name == "web") return Web(k, v, &c);
                      if (name == "collectors") return Collectors(k, v, &c);
                      if (name == "slo_files") {
                        VIGIL_ASSIGN_OR_RETURN(c.slo_files, StringList(name, k, v));
                        for (auto& f : c.slo_files) {
                          if (f.empty()) return Error(k, v, "slo_files: empty file name");
                          f = File(f);
                        }
                        return Status::OK();
                      }
                      if (name == "rule_files") {
                        VIGIL_ASSIGN_OR_RETURN(c.rule_files, StringList(name, k, v));
                        for (auto& f : c.rule_files) {
                          if (f.empty()) return Error(k, v, "rule_files: empty file name");
                          f = File(f);
                        }
                        return Status::OK();
                      }
                      return Unknown(k, name, "config");
                    });
  if (!s.ok()) return s;
  if (has_global) {
    VIGIL_RETURN_IF_ERROR(Global(global_key, global_value, &c));
  }
  if (has_scrape) {
    VIGIL_RETURN_IF_ERROR(ScrapeConfigs(scrape_key, scrape_value, &c));
  }
  return c;
}

}  // namespace

Result<Config> LoadConfig(std::string_view text, std::string_view filename) {
  const std::string name(filename);
  std::filesystem::path dir = std::filesystem::path(name).parent_path();
  Loader loader(name, dir);
  try {
    return loader.Load(text);
  } catch (const YAML::Exception& e) {
    // Syntax errors carry the position; msg is yaml-cpp's text.
    if (e.mark.is_null()) {
      return InvalidArgumentError(name + ": yaml: " + e.msg);
    }
    return InvalidArgumentError(name + ":" + std::to_string(e.mark.line + 1) +
                                ":" + std::to_string(e.mark.column + 1) +
                                ": yaml: " + e.msg);
  } catch (const std::exception& e) {
    return InvalidArgumentError(name + ": " + e.what());
  }
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string msg =
        "cannot read config file " + path + ": " + std::strerror(err);
    return err == ENOENT ? NotFoundError(msg) : UnavailableError(msg);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    return UnavailableError("cannot read config file " + path);
  }
  return LoadConfig(ss.str(), path);
}

}  // namespace vigil::daemon
