#include "daemon/check.h"

#include "alertmanager/config.h"
#include "alertmanager/manager.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "daemon/anomaly_scorers.h"
#include "daemon/web_config.h"
#include "rules/anomaly_rule.h"
#include "rules/manager.h"
#include "slo/slo.h"
#include "templating/template.h"
#include "vigil/metrics/registry.h"

namespace vigil::daemon {

Result<std::vector<rules::GroupNode>> LoadAllRules(const Config& config) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<rules::GroupNode> groups,
                         rules::LoadRuleFiles(config.rule_files));
  slo::ParseOptions po;
  po.check_template = [](std::string_view name, std::string_view text) -> Status {
    return templating::ParseAlertTemplate(std::string(name), text).status();
  };
  for (const std::string& pattern : config.slo_files) {
    Result<std::vector<std::string>> files_or = ExpandGlob(pattern);
    if (!files_or.ok()) return files_or.status().WithPrefix("slo_files");
    for (const std::string& file : files_or.value()) {
      VIGIL_ASSIGN_OR_RETURN(slo::SloFile slos, slo::LoadSloFile(file, po));
      VIGIL_ASSIGN_OR_RETURN(std::vector<rules::GroupNode> generated,
                             rules::ParseRuleFile(slo::GenerateRuleFile(slos),
                                                  file + " (generated rules)"));
      for (auto& g : generated) groups.push_back(std::move(g));
    }
  }
  return groups;
}

Status CheckConfigFile(const std::string& path, std::string* report) {
  VIGIL_ASSIGN_OR_RETURN(Config config, LoadConfigFile(path));
  std::string out = path + ": " + std::to_string(config.scrape_configs.size()) +
                    " scrape configs, " + std::to_string(config.log_patterns.size()) +
                    " log patterns\n";
  VIGIL_ASSIGN_OR_RETURN(std::vector<rules::GroupNode> groups, LoadAllRules(config));
  // Anomaly rules build their detectors now (in memory, nothing saved).
  metrics::Registry scratch;
  AnomalyScorers scorers("", &scratch, [](const std::string&) {});
  VIGIL_RETURN_IF_ERROR(rules::CheckAnomalyRules(groups, scorers.Factory()));
  size_t n_rules = 0;
  for (const rules::GroupNode& g : groups) n_rules += g.rules.size();
  out += "  rules: " + std::to_string(groups.size()) + " groups, " + std::to_string(n_rules) +
         " rules (rule_files and slo_files)\n";
  if (config.alertmanager.enabled) {
    VIGIL_ASSIGN_OR_RETURN(alertmanager::Config amc,
                           alertmanager::LoadConfigFile(config.alertmanager.config_file));
    Result<alertmanager::ReceiverMap> receivers = alertmanager::BuildReceivers(amc);
    if (!receivers.ok()) {
      return Status(receivers.status().code(), config.alertmanager.config_file + ": " +
                                                   std::string(receivers.status().message()));
    }
    out += "  alertmanager: " + config.alertmanager.config_file + ", " +
           std::to_string(amc.receivers.size()) + " receivers\n";
  }
  if (!config.web.config_file.empty()) {
    VIGIL_ASSIGN_OR_RETURN(WebConfig wc, LoadWebConfigFile(config.web.config_file));
    out += "  web config: " + config.web.config_file + (wc.tls ? ", TLS" : ", plain HTTP") +
           (wc.auth.enabled() ? ", authentication on\n" : "\n");
  }
  if (report != nullptr) *report = std::move(out);
  return Status::OK();
}

}  // namespace vigil::daemon
