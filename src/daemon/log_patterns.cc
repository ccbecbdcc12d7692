#include "daemon/log_patterns.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "base/file.h"
#include "base/status_macros.h"
#include "logging/patterns.h"
#include "logging/tailer.h"
#include "model/duration.h"

namespace vigil::daemon {
namespace {

int64_t ToMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Identity of a rule set: Apply keeps the running rules when it is unchanged.
std::string Fingerprint(const std::vector<LogPatternConfig>& rules) {
  std::string f;
  for (const auto& r : rules) {
    f += r.rule.name + '\0' + r.rule.pattern + '\0' + r.rule.severity + '\0' +
         std::to_string(r.rule.threshold) + '\0' + std::to_string(r.rule.window.count()) + '\0';
    for (const auto& s : r.rule.sources) f += s + '\1';
    for (const auto& l : r.labels) f += std::string(l.name) + '=' + std::string(l.value) + '\1';
    for (const auto& l : r.annotations) f += std::string(l.name) + '=' + std::string(l.value) + '\1';
    f += '\2';
  }
  return f;
}

}  // namespace

struct LogPatternAlerts::Running {
  std::vector<LogPatternConfig> rules;
  std::string fingerprint;
  std::unique_ptr<logging::PatternEngine> engine;
  std::unique_ptr<logging::Tailer> tailer;  // null when no rule tails files
  struct Sent {
    bool firing = false;
    std::chrono::system_clock::time_point last_sent{};
    model::Alert alert;
  };
  Mutex mu;
  std::vector<Sent> sent VIGIL_GUARDED_BY(mu);
};

class LogPatternAlerts::MetricsCollector final : public metrics::Collector {
 public:
  explicit MetricsCollector(LogPatternAlerts* owner) : owner_(owner) {}
  void Collect(std::vector<metrics::FamilySnapshot>* out) override {
    std::shared_ptr<Running> r;
    {
      MutexLock l(&owner_->mu_);
      r = owner_->running_;
    }
    if (r == nullptr || r->rules.empty()) return;
    using metrics::MetricType;
    auto family = [](const char* name, const char* help, MetricType type) {
      metrics::FamilySnapshot f;
      f.name = name;
      f.help = help;
      f.type = type;
      return f;
    };
    auto matches = family("vigil_log_pattern_matches_total",
                          "Log lines that matched each log-pattern rule.", MetricType::kCounter);
    auto window = family("vigil_log_pattern_window_matches",
                         "Matches inside each rule's window (at most its threshold).",
                         MetricType::kGauge);
    auto firing = family("vigil_log_pattern_firing",
                         "1 while a log-pattern rule's threshold is reached within its window.",
                         MetricType::kGauge);
    for (const auto& s : r->engine->Evaluate(ToMs(std::chrono::system_clock::now()))) {
      matches.metrics.push_back(metrics::MetricSnapshot{
          .labels = {{"pattern", s.name}, {"severity", s.severity}},
          .value = static_cast<double>(s.matches_total)});
      window.metrics.push_back(metrics::MetricSnapshot{
          .labels = {{"pattern", s.name}}, .value = static_cast<double>(s.matches_in_window)});
      firing.metrics.push_back(
          metrics::MetricSnapshot{.labels = {{"pattern", s.name}}, .value = s.firing ? 1.0 : 0.0});
    }
    out->push_back(std::move(matches));
    out->push_back(std::move(window));
    out->push_back(std::move(firing));
    if (r->tailer != nullptr) {
      const logging::TailerStats t = r->tailer->stats();
      auto counter = [&](const char* name, const char* help, uint64_t v) {
        auto f = family(name, help, MetricType::kCounter);
        f.metrics.push_back(metrics::MetricSnapshot{.value = static_cast<double>(v)});
        out->push_back(std::move(f));
      };
      counter("vigil_log_tail_lines_total", "Lines read from tailed log files.", t.lines);
      counter("vigil_log_tail_truncated_lines_total",
              "Tailed lines longer than the limit, delivered cut.", t.truncated_lines);
      counter("vigil_log_tail_rotations_total", "Rotations of tailed log files followed.",
              t.rotations);
    }
  }

 private:
  LogPatternAlerts* const owner_;
};

LogPatternAlerts::LogPatternAlerts(LogPatternAlertsOptions options)
    : options_(std::move(options)) {}

LogPatternAlerts::~LogPatternAlerts() { Stop(); }

std::shared_ptr<metrics::Collector> LogPatternAlerts::Collector() {
  return std::make_shared<MetricsCollector>(this);
}

Status LogPatternAlerts::Apply(const std::vector<LogPatternConfig>& rules) {
  const std::string fingerprint = Fingerprint(rules);
  std::shared_ptr<Running> old;
  {
    MutexLock l(&mu_);
    if (running_ != nullptr && running_->fingerprint == fingerprint) return Status::OK();
    old = running_;
  }
  auto next = std::make_shared<Running>();
  next->rules = rules;
  next->fingerprint = fingerprint;
  std::vector<logging::PatternRule> patterns;
  std::vector<std::string> paths;
  for (const auto& r : rules) {
    patterns.push_back(r.rule);
    for (const auto& s : r.rule.sources) {
      if (s == kSelfLogSource) continue;
      if (std::find(paths.begin(), paths.end(), s) == paths.end()) paths.push_back(s);
    }
  }
  VIGIL_ASSIGN_OR_RETURN(next->engine, logging::PatternEngine::Create(std::move(patterns)));
  {
    MutexLock l(&next->mu);
    next->sent.resize(rules.size());
  }
  // The old tailer saves its offsets before the new one reads them.
  if (old != nullptr && old->tailer != nullptr) {
    Status s = old->tailer->Stop();
    if (!s.ok() && options_.log) options_.log("log tailer: " + s.ToString());
  }
  if (!paths.empty()) {
    VIGIL_RETURN_IF_ERROR(MakeDirs(options_.state_dir));
    logging::TailerOptions to;
    to.paths = paths;
    to.state_file = options_.state_dir + "/offsets";
    logging::PatternEngine* engine = next->engine.get();
    to.on_line = [engine](std::string_view path, std::string_view line) {
      engine->Scan(path, line, ToMs(std::chrono::system_clock::now()));
    };
    to.log = options_.log;
    Result<std::unique_ptr<logging::Tailer>> tailer = logging::Tailer::Create(std::move(to));
    if (!tailer.ok()) {
      if (old != nullptr && old->tailer != nullptr) old->tailer->Start();
      return tailer.status();
    }
    next->tailer = std::move(tailer).value();
  }
  bool started;
  {
    MutexLock l(&thread_mu_);
    started = thread_.joinable();
  }
  if (started && next->tailer != nullptr) next->tailer->Start();
  MutexLock l(&mu_);
  if (old != nullptr) {
    MutexLock ol(&old->mu);
    for (const auto& s : old->sent) {
      if (s.firing) to_resolve_.push_back(s.alert);
    }
  }
  running_ = std::move(next);
  return Status::OK();
}

void LogPatternAlerts::ScanSelf(std::string_view line) {
  std::shared_ptr<Running> r;
  {
    MutexLock l(&mu_);
    r = running_;
  }
  if (r != nullptr) {
    r->engine->Scan(kSelfLogSource, line, ToMs(std::chrono::system_clock::now()));
  }
}

std::vector<LogPatternAlerts::RuleState> LogPatternAlerts::Rules(
    std::chrono::system_clock::time_point now) const {
  std::shared_ptr<Running> r;
  {
    MutexLock l(&mu_);
    r = running_;
  }
  std::vector<RuleState> out;
  if (r == nullptr) return out;
  std::vector<logging::RuleStatus> statuses = r->engine->Evaluate(ToMs(now));
  for (size_t i = 0; i < r->rules.size() && i < statuses.size(); ++i) {
    out.push_back({r->rules[i], std::move(statuses[i])});
  }
  return out;
}

void LogPatternAlerts::Evaluate(std::chrono::system_clock::time_point now) {
  std::shared_ptr<Running> r;
  std::vector<model::Alert> out;
  {
    MutexLock l(&mu_);
    r = running_;
    out.swap(to_resolve_);
  }
  for (auto& a : out) a.ends_at = now;
  if (r != nullptr) {
    const std::vector<logging::RuleStatus> statuses = r->engine->Evaluate(ToMs(now));
    MutexLock l(&r->mu);
    for (size_t i = 0; i < statuses.size() && i < r->sent.size(); ++i) {
      const logging::RuleStatus& st = statuses[i];
      Running::Sent& sent = r->sent[i];
      const LogPatternConfig& rule = r->rules[i];
      if (st.firing) {
        if (sent.firing && now - sent.last_sent < options_.resend_delay) continue;
        model::LabelsBuilder labels(rule.labels);
        labels.Set("alertname", rule.rule.name);
        if (!rule.rule.severity.empty()) labels.Set("severity", rule.rule.severity);
        model::LabelsBuilder annotations(rule.annotations);
        if (!rule.annotations.Has("summary")) {
          annotations.Set("summary", std::to_string(st.matches_in_window) +
                                         " log lines matched /" + rule.rule.pattern +
                                         "/ within " + model::FormatDuration(rule.rule.window));
        }
        annotations.Set("last_line", st.last_line);
        annotations.Set("source", st.last_source);
        model::Alert a;
        a.labels = labels.Build();
        a.annotations = annotations.Build();
        a.starts_at = std::chrono::system_clock::time_point(
            std::chrono::milliseconds(st.firing_since_ms));
        a.ends_at = now + 4 * options_.resend_delay;
        sent.firing = true;
        sent.last_sent = now;
        sent.alert = a;
        out.push_back(std::move(a));
      } else if (sent.firing) {
        sent.firing = false;
        model::Alert a = sent.alert;
        a.ends_at = now;
        out.push_back(std::move(a));
      }
    }
  }
  if (!out.empty() && options_.notify) options_.notify(std::move(out));
}

void LogPatternAlerts::Start() {
  {
    MutexLock l(&thread_mu_);
    if (thread_.joinable()) return;
    thread_ = std::jthread([this](std::stop_token stop) {
      while (!stop.stop_requested()) {
        Evaluate(std::chrono::system_clock::now());
        std::mutex m;
        std::unique_lock<std::mutex> lock(m);
        std::condition_variable_any().wait_for(lock, stop, options_.tick, [] { return false; });
      }
    });
  }
  std::shared_ptr<Running> r;
  {
    MutexLock l(&mu_);
    r = running_;
  }
  if (r != nullptr && r->tailer != nullptr) r->tailer->Start();
}

void LogPatternAlerts::Stop() {
  {
    MutexLock l(&thread_mu_);
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }
  std::shared_ptr<Running> r;
  {
    MutexLock l(&mu_);
    r = running_;
  }
  if (r != nullptr && r->tailer != nullptr) {
    Status s = r->tailer->Stop();
    if (!s.ok() && options_.log) options_.log("log tailer: " + s.ToString());
  }
}

}  // namespace vigil::daemon
