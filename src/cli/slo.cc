#include "cli/slo.h"

#include <string_view>

#include "base/file.h"
#include "rules/rule_file.h"
#include "slo/slo.h"
#include "templating/template.h"

namespace vigil::cli {
namespace {

constexpr const char* kSloUsage = "usage: vigil slo generate FILE [-o OUT]\n";

int Usage(std::FILE* err, const std::string& problem) {
  std::fprintf(err, "vigil slo: %s\n%s", problem.c_str(), kSloUsage);
  return 2;
}

}  // namespace

int RunSloCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  if (args.empty()) return Usage(err, "expected a subcommand (generate)");
  if (args[0] != "generate") return Usage(err, "unknown subcommand \"" + args[0] + "\"");
  std::string input, output;
  bool has_output = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-o" || a == "--output") {
      if (i + 1 >= args.size()) return Usage(err, a + " needs a value");
      output = args[++i];
      has_output = true;
    } else if (a.starts_with("--output=")) {
      output = a.substr(9);
      has_output = true;
    } else if (a.starts_with("-")) {
      return Usage(err, "unknown flag \"" + a + "\"");
    } else if (input.empty()) {
      input = a;
    } else {
      return Usage(err, "unexpected argument \"" + a + "\"");
    }
  }
  if (input.empty()) return Usage(err, "no SLO file given");
  if (has_output && output.empty()) return Usage(err, "-o needs a file name");

  slo::ParseOptions options;
  options.check_template = [](std::string_view name, std::string_view text) -> Status {
    return templating::ParseAlertTemplate(std::string(name), text).status();
  };
  Result<slo::SloFile> file = slo::LoadSloFile(input, options);
  if (!file.ok()) {
    std::fprintf(err, "vigil slo generate: %s\n", std::string(file.status().message()).c_str());
    return 1;
  }
  const std::string text = slo::GenerateRuleFile(*file);
  // Belt and braces: what we write must load as a rule file.
  auto groups = rules::ParseRuleFile(text, has_output ? output : "<generated>");
  if (!groups.ok()) {
    std::fprintf(err, "vigil slo generate: internal error, the generated rules do not load: %s\n",
                 std::string(groups.status().message()).c_str());
    return 1;
  }
  if (!has_output) {
    std::fwrite(text.data(), 1, text.size(), out);
    return std::fflush(out) == 0 ? 0 : 1;
  }
  if (Status s = WriteFileAtomic(output, text); !s.ok()) {
    std::fprintf(err, "vigil slo generate: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  size_t rules = 0;
  for (const auto& g : *groups) rules += g.rules.size();
  std::fprintf(out, "%s: %zu rules in %zu groups from %s\n", output.c_str(), rules, groups->size(),
               input.c_str());
  return 0;
}

}  // namespace vigil::cli
