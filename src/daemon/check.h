// Loading and checking a whole `vigil run` configuration: the file, its rule
// and SLO files (with anomaly rules' detectors built), the embedded alert
// manager's configuration with its receivers, and the web-config file.
// `vigil check config` and the agent share these.
//
//   std::string report;
//   Status st = CheckConfigFile("vigil.yml", &report);   // report: what was found
//
// Thread safety: pure functions (they read files).
#pragma once

#include <string>
#include <vector>

#include "daemon/config.h"
#include "rules/rule_file.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::daemon {

// Rule groups of the configuration's rule files and the rules its SLO files
// compile to.
Result<std::vector<rules::GroupNode>> LoadAllRules(const Config& config);

// Everything `vigil run` would load, without opening the storage or any
// port. On success `report` lists what was checked, one line each.
Status CheckConfigFile(const std::string& path, std::string* report);

}  // namespace vigil::daemon
