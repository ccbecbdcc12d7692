#include "daemon/anomaly_scorers.h"

#include <cstdio>

#include "anomaly/monitor.h"
#include "base/file.h"
#include "base/strings.h"

namespace vigil::daemon {
namespace {

constexpr int64_t kSaveEveryMs = 5 * 60 * 1000;

class MonitorScorer final : public rules::AnomalyScorer {
 public:
  MonitorScorer(std::unique_ptr<anomaly::Monitor> monitor, std::string dir, std::string path,
                const std::function<void(const std::string&)>& log)
      : monitor_(std::move(monitor)), dir_(std::move(dir)), path_(std::move(path)), log_(log) {}

  ~MonitorScorer() override {
    if (dirty_) Save();
  }

  Result<Verdict> Score(const model::Labels& series, int64_t t_ms, double value) override {
    if (!loaded_ && !dir_.empty()) {
      loaded_ = true;
      Result<anomaly::LoadReport> r = monitor_->Load(path_);
      if (!r.ok() && r.status().code() != StatusCode::kNotFound) {
        log_("anomaly baselines " + path_ + " not restored, relearning: " + r.status().ToString());
      }
      last_save_ms_ = t_ms;
    }
    Result<std::vector<anomaly::Finding>> f = monitor_->Observe(series, t_ms, value);
    if (!f.ok()) return f.status();
    dirty_ = !dir_.empty();
    if (dirty_ && t_ms - last_save_ms_ >= kSaveEveryMs) {
      Save();
      last_save_ms_ = t_ms;
    }
    const anomaly::Finding& first = f.value().front();
    Verdict v{.score = first.score, .confidence = first.confidence};
    if (first.severity != anomaly::Severity::kNone) {
      v.severity = std::string(anomaly::SeverityName(first.severity));
    }
    return v;
  }

  void ForgetIdle(int64_t before_ms) override { monitor_->ForgetIdle(before_ms); }

 private:
  void Save() {
    Status s = MakeDirs(dir_);
    if (s.ok()) s = monitor_->Save(path_);
    if (!s.ok()) log_("anomaly baselines not saved: " + s.ToString());
    dirty_ = false;
  }

  std::unique_ptr<anomaly::Monitor> monitor_;
  const std::string dir_, path_;
  const std::function<void(const std::string&)> log_;
  bool loaded_ = false, dirty_ = false;
  int64_t last_save_ms_ = 0;
};

}  // namespace

AnomalyScorers::AnomalyScorers(std::string dir, metrics::Registry* metrics,
                               std::function<void(const std::string&)> log)
    : dir_(std::move(dir)), metrics_(metrics), log_(std::move(log)) {}

rules::AnomalyScorerFactory AnomalyScorers::Factory() {
  return [this](const rules::RuleNode& rule) -> Result<std::unique_ptr<rules::AnomalyScorer>> {
    anomaly::MonitorOptions o;
    o.detectors = {{rule.detector, anomaly::Options(rule.params)}};
    for (const auto& [k, v] : rule.severity) {
      (k == "low" ? o.thresholds.low
                  : k == "medium" ? o.thresholds.medium
                                  : k == "high" ? o.thresholds.high : o.thresholds.critical) = v;
    }
    o.metrics = metrics_;
    if (registry_.KindOf(rule.detector) == anomaly::DetectorKind::kVector) {
      return InvalidArgumentError("detector " + rule.detector +
                                  " takes vectors; a rule's series are single values");
    }
    Result<std::unique_ptr<anomaly::Monitor>> m = anomaly::Monitor::Make(registry_, std::move(o));
    if (!m.ok()) return m.status();
    // Numbers exactly (%.17g): parameters that differ give different files.
    std::string id = rule.expr_text + "\n" + rule.detector;
    for (const auto* m : {&rule.params, &rule.severity}) {
      for (const auto& [k, v] : *m) {
        char num[32];
        snprintf(num, sizeof num, "%.17g", v);
        id += "\n" + k + "=" + num;
      }
    }
    char hash[17];
    snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(Fnv1a(id)));
    return std::unique_ptr<rules::AnomalyScorer>(std::make_unique<MonitorScorer>(
        std::move(m).value(), dir_, dir_ + "/" + rule.name + "-" + hash + ".baselines", log_));
  };
}

}  // namespace vigil::daemon
