// The vigil binary. Subcommands:
//   vigil demo [--listen ADDR] [--duration SECONDS] [--dir DIR] [--cycle SECONDS]
//   vigil run --config FILE [--storage.path DIR] [--listen ADDR]
//   vigil tsdb import FILE --storage.path DIR
//   vigil tsdb dump --storage.path DIR [--min-time MS] [--max-time MS]
//   vigil promqltest [--verbose] FILE...
//   vigil test rules FILE...
//   vigil check rules FILE...
//   vigil check config FILE...
//   vigil query [--url URL] [--time T | --start T --end T] EXPR
//   vigil slo generate FILE [-o OUT]
//   vigil dashboards generate|check ...
//   vigil version
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <charconv>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli/dashboards.h"
#include "cli/demo.h"
#include "cli/nab.h"
#include "cli/promqltest.h"
#include "cli/query.h"
#include "cli/rule_tests.h"
#include "cli/slo.h"
#include "cli/tsdb_import.h"
#include "daemon/check.h"
#include "daemon/run.h"
#include "model/duration.h"

namespace {

constexpr const char* kUsage =
    "usage: vigil <command> [flags]\n"
    "\n"
    "commands:\n"
    "  demo [--listen ADDR] [--duration SECONDS] [--dir DIR] [--cycle SECONDS]\n"
    "        run a simulated inference service (ML metric sets) monitored by\n"
    "        an in-process vigil: rules, anomalies, an SLO, log patterns and\n"
    "        alerts to the log receiver, with the UI on ADDR (default\n"
    "        127.0.0.1:9464); incidents repeat every --cycle seconds (240);\n"
    "        files go to DIR (default a new /tmp/vigil-demo-*)\n"
    "  run --config FILE [--storage.path DIR] [--listen ADDR]\n"
    "      [--query.timeout DUR] [--query.max-samples N]\n"
    "      [--query.max-concurrency N] [--query.lookback-delta DUR]\n"
    "        scrape the configured targets and vigil itself into the\n"
    "        storage, serve /metrics, /health, /ready and Prometheus'\n"
    "        query API (/api/v1/...) on ADDR (default 127.0.0.1:9090);\n"
    "        the --query.* flags are Prometheus' (defaults 2m, 50000000,\n"
    "        20, 5m); SIGHUP reloads, SIGTERM stops cleanly\n"
    "      [--web.external-url URL] [--rules.alert.resend-delay DUR]\n"
    "      [--rules.alert.for-grace-period DUR]\n"
    "      [--rules.alert.for-outage-tolerance DUR]\n"
    "        evaluate the configuration's rule_files; the --rules.alert.*\n"
    "        flags are Prometheus' (defaults 1m, 10m, 1h); SIGHUP or\n"
    "        POST /-/reload reloads them\n"
    "  tsdb import FILE --storage.path DIR\n"
    "        backfill an OpenMetrics file whose samples carry timestamps\n"
    "        (as promtool tsdb create-blocks-from openmetrics reads)\n"
    "  tsdb dump --storage.path DIR [--min-time MS] [--max-time MS]\n"
    "        print every stored sample, as promtool tsdb dump does\n"
    "  promqltest [--verbose] FILE...\n"
    "        run PromQL test scripts (Prometheus' promql/testdata format)\n"
    "        against the engine; prints each failure and the totals, exits\n"
    "        1 if any statement fails or a file is malformed\n"
    "  nab DIR --out OUT [--detector ensemble|robust_z|ewma|cusum|seasonal]\n"
    "        score every NAB CSV under DIR with a streaming anomaly\n"
    "        detector, writing OUT/<category>/<file>.csv for NAB's scorer\n"
    "  test rules FILE...\n"
    "        run rule unit tests (promtool test rules' format); exits 1 if\n"
    "        any test fails\n"
    "  check config FILE...\n"
    "        load a vigil run configuration with everything it names (rule,\n"
    "        SLO, alert manager and web-config files) without starting;\n"
    "        errors name file:line:column; exits 1 on any error\n"
    "  query [--url URL] [--time T | --start T --end T [--step DUR]]\n"
    "        [--format text|json] [--user U:P] [--bearer-token-file F] EXPR\n"
    "        evaluate PromQL on a vigil or Prometheus-compatible server\n"
    "        (default http://127.0.0.1:9090)\n"
    "  check rules FILE...\n"
    "        check Prometheus rule files (as promtool check rules); exits 1\n"
    "        if any file has an error\n"
    "  slo generate FILE [-o OUT]\n"
    "        compile an SLO file (docs/formats/slo.md) to a Prometheus rule\n"
    "        file of SLI recording rules and multi-window, multi-burn-rate\n"
    "        alerts, written to OUT (default: standard output); exits 1 if\n"
    "        the SLO file has an error\n"
    "  dashboards generate [--out DIR] [--datasource UID] [--namespace NS]\n"
    "                      [--title-prefix TEXT] [--slo FILE]...\n"
    "        write Grafana dashboards (docs/dashboards.md) for the ML metric\n"
    "        sets, anomalies and SLOs to DIR (default: the current directory)\n"
    "  dashboards check FILE...\n"
    "        check Grafana dashboard JSON (fields, layout, PromQL); exits 1 if\n"
    "        any file has a problem\n"
    "  version\n"
    "        print the version\n";

int Usage(const char* error) {
  if (error != nullptr) std::fprintf(stderr, "vigil: %s\n\n", error);
  std::fputs(kUsage, error != nullptr ? stderr : stdout);
  return error != nullptr ? 2 : 0;
}

int Demo(int argc, char** argv) {
  vigil::cli::DemoOptions opts;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "vigil demo: %s needs a value\n", name);
        std::exit(2);
      }
      return argv[++i];
    };
    if (flag == "--listen") {
      opts.listen_address = value("--listen");
    } else if (flag.starts_with("--listen=")) {
      opts.listen_address = flag.substr(9);
    } else if (flag == "--duration") {
      char* end = nullptr;
      const char* v = value("--duration");
      opts.duration_s = std::strtod(v, &end);
      if (*end != '\0' || opts.duration_s < 0) {
        std::fprintf(stderr, "vigil demo: --duration \"%s\" must be a number of seconds >= 0\n", v);
        return 2;
      }
    } else if (flag == "--dir") {
      opts.dir = value("--dir");
    } else if (flag == "--cycle") {
      char* end = nullptr;
      const char* v = value("--cycle");
      opts.cycle_s = std::strtod(v, &end);
      if (*end != '\0' || !(opts.cycle_s >= 120)) {
        std::fprintf(stderr, "vigil demo: --cycle \"%s\" must be a number of seconds >= 120\n", v);
        return 2;
      }
    } else {
      std::fprintf(stderr, "vigil demo: unknown flag \"%s\"\n", flag.c_str());
      return 2;
    }
  }
  vigil::Status st = vigil::cli::RunDemo(opts);
  if (!st.ok()) {
    std::fprintf(stderr, "vigil demo: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}

// Flags of the form --name VALUE or --name=VALUE; positional arguments
// are collected in order. Unknown flags are errors.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
};

bool ParseArgs(const char* cmd, int argc, char** argv, int first,
               const std::set<std::string>& known, Args* out) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (!a.starts_with("--")) {
      out->positional.push_back(a);
      continue;
    }
    std::string name = a, value;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
    } else if (known.count(name)) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "vigil %s: %s needs a value\n", cmd, name.c_str());
        return false;
      }
      value = argv[++i];
    }
    if (!known.count(name)) {
      std::fprintf(stderr, "vigil %s: unknown flag \"%s\"\n", cmd, name.c_str());
      return false;
    }
    out->flags[name] = value;
  }
  return true;
}

bool ParseInt64(const std::string& s, int64_t* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

int RunDaemon(int argc, char** argv) {
  Args args;
  if (!ParseArgs("run", argc, argv, 2,
                 {"--config", "--config.file", "--storage.path", "--listen",
                  "--web.listen-address", "--duration", "--query.timeout",
                  "--query.max-samples", "--query.max-concurrency",
                  "--query.lookback-delta", "--web.external-url",
                  "--rules.alert.resend-delay", "--rules.alert.for-grace-period",
                  "--rules.alert.for-outage-tolerance"},
                 &args)) {
    return 2;
  }
  vigil::daemon::RunOptions opts;
  for (const auto& [k, v] : args.flags) {
    if (k == "--config" || k == "--config.file") opts.config_file = v;
    if (k == "--storage.path") opts.storage_path = v;
    if (k == "--listen" || k == "--web.listen-address") opts.listen_address = v;
    if (k == "--duration") opts.duration_s = std::atof(v.c_str());
    if (k == "--query.timeout" || k == "--query.lookback-delta") {
      auto d = vigil::model::ParseDuration(v);
      if (!d.ok() || d->count() <= 0) {
        std::fprintf(stderr, "vigil run: %s: \"%s\" is not a positive duration\n",
                     k.c_str(), v.c_str());
        return 2;
      }
      if (k == "--query.timeout") opts.query.timeout = *d;
      if (k == "--query.lookback-delta") opts.query.lookback_delta_ms = d->count();
    }
    if (k == "--web.external-url") opts.external_url = v;
    if (k.starts_with("--rules.alert.")) {
      auto d = vigil::model::ParseDuration(v);
      if (!d.ok()) {
        std::fprintf(stderr, "vigil run: %s: \"%s\" is not a duration\n", k.c_str(), v.c_str());
        return 2;
      }
      if (k == "--rules.alert.resend-delay") opts.rules_resend_delay = *d;
      if (k == "--rules.alert.for-grace-period") opts.rules_for_grace_period = *d;
      if (k == "--rules.alert.for-outage-tolerance") opts.rules_outage_tolerance = *d;
    }
    if (k == "--query.max-samples" || k == "--query.max-concurrency") {
      int64_t n = 0;
      if (!ParseInt64(v, &n) || n <= 0 || (k == "--query.max-concurrency" && n > 10000)) {
        std::fprintf(stderr, "vigil run: %s: \"%s\" is not a positive integer\n",
                     k.c_str(), v.c_str());
        return 2;
      }
      if (k == "--query.max-samples") opts.query.max_samples = n;
      if (k == "--query.max-concurrency") opts.query.max_concurrent_queries = static_cast<int>(n);
    }
  }
  if (opts.config_file.empty() || !args.positional.empty()) {
    std::fprintf(stderr, "usage: vigil run --config FILE [--storage.path DIR] "
                         "[--listen ADDR]\n");
    return 2;
  }
  vigil::Status st = vigil::daemon::Run(opts);
  if (!st.ok()) {
    std::fprintf(stderr, "vigil run: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}

int Tsdb(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "vigil tsdb: expected \"import\" or \"dump\"\n");
    return 2;
  }
  const std::string sub = argv[2];
  Args args;
  if (sub == "import") {
    if (!ParseArgs("tsdb import", argc, argv, 3, {"--storage.path"}, &args)) {
      return 2;
    }
    if (args.positional.size() != 1 || !args.flags.count("--storage.path")) {
      std::fprintf(stderr, "usage: vigil tsdb import FILE --storage.path DIR\n");
      return 2;
    }
    vigil::cli::ImportStats stats;
    vigil::Status st = vigil::cli::ImportOpenMetrics(
        args.positional[0], args.flags["--storage.path"], &stats);
    if (!st.ok()) {
      std::fprintf(stderr, "vigil tsdb import: %s\n", st.ToString().c_str());
      return 1;
    }
    std::printf("imported %llu samples of %llu series into %s "
                "(time range %lld to %lld ms; %llu rejected as out of order "
                "or duplicate)\n",
                static_cast<unsigned long long>(stats.samples),
                static_cast<unsigned long long>(stats.series),
                args.flags["--storage.path"].c_str(),
                static_cast<long long>(stats.min_t),
                static_cast<long long>(stats.max_t),
                static_cast<unsigned long long>(stats.rejected));
    return 0;
  }
  if (sub == "dump") {
    if (!ParseArgs("tsdb dump", argc, argv, 3,
                   {"--storage.path", "--min-time", "--max-time"}, &args)) {
      return 2;
    }
    if (!args.positional.empty() || !args.flags.count("--storage.path")) {
      std::fprintf(stderr, "usage: vigil tsdb dump --storage.path DIR "
                           "[--min-time MS] [--max-time MS]\n");
      return 2;
    }
    int64_t mint = INT64_MIN, maxt = INT64_MAX;
    if ((args.flags.count("--min-time") &&
         !ParseInt64(args.flags["--min-time"], &mint)) ||
        (args.flags.count("--max-time") &&
         !ParseInt64(args.flags["--max-time"], &maxt))) {
      std::fprintf(stderr, "vigil tsdb dump: --min-time and --max-time take "
                           "integer milliseconds\n");
      return 2;
    }
    std::string out;
    vigil::Status st = vigil::cli::DumpTsdb(args.flags["--storage.path"],
                                            mint, maxt, &out);
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (!st.ok()) {
      std::fprintf(stderr, "vigil tsdb dump: %s\n", st.ToString().c_str());
      return 1;
    }
    return 0;
  }
  std::fprintf(stderr, "vigil tsdb: unknown subcommand \"%s\"\n", sub.c_str());
  return 2;
}

int PromqlTest(int argc, char** argv) {
  std::vector<std::string> files;
  bool verbose = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--verbose" || a == "-v") {
      verbose = true;
    } else if (a.starts_with("-")) {
      std::fprintf(stderr, "vigil promqltest: unknown flag \"%s\"\n",
                   a.c_str());
      return 2;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: vigil promqltest [--verbose] FILE...\n");
    return 2;
  }
  auto run = vigil::cli::RunPromqlTests(files);
  const std::string report = run.Report(verbose);
  std::fwrite(report.data(), 1, report.size(), stdout);
  return run.ok() ? 0 : 1;
}

// `vigil nab DIR --out OUT [--detector NAME]`.
int Nab(int argc, char** argv) {
  vigil::cli::NabOptions o;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--out" || a == "--detector") && i + 1 < argc) {
      (a == "--out" ? o.out_dir : o.detector) = argv[++i];
    } else if (!a.starts_with("-") && o.data_dir.empty()) {
      o.data_dir = a;
    } else {
      std::fprintf(stderr, "vigil nab: unexpected argument \"%s\"\n", a.c_str());
      return 2;
    }
  }
  if (o.data_dir.empty() || o.out_dir.empty()) {
    std::fprintf(stderr, "usage: vigil nab DIR --out OUT [--detector ensemble|robust_z|ewma|cusum|seasonal]\n");
    return 2;
  }
  vigil::Status s = vigil::cli::RunNab(o, stderr);
  if (!s.ok()) {
    std::fprintf(stderr, "vigil nab: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}

// `vigil test rules FILE...` and `vigil check rules FILE...`.
int RulesCommand(const std::string& cmd, int argc, char** argv) {
  if (argc < 3 || std::string(argv[2]) != "rules") {
    std::fprintf(stderr, "usage: vigil %s rules FILE...\n", cmd.c_str());
    return 2;
  }
  std::vector<std::string> files;
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.starts_with("-")) {
      std::fprintf(stderr, "vigil %s rules: unknown flag \"%s\"\n", cmd.c_str(), a.c_str());
      return 2;
    }
    files.push_back(a);
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: vigil %s rules FILE...\n", cmd.c_str());
    return 2;
  }
  return cmd == "test" ? vigil::cli::RunRuleTests(files, stdout, stderr)
                       : vigil::cli::CheckRuleFiles(files, stdout, stderr);
}

// `vigil check config FILE...`: everything `vigil run` would load.
int CheckConfig(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: vigil check config FILE...\n");
    return 2;
  }
  int rc = 0;
  for (int i = 3; i < argc; ++i) {
    std::string report;
    vigil::Status st = vigil::daemon::CheckConfigFile(argv[i], &report);
    if (st.ok()) {
      std::printf("SUCCESS: %s", report.c_str());
    } else {
      std::fprintf(stderr, "FAILED: %s\n", st.ToString().c_str());
      rc = 1;
    }
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage("no command given");
  const std::string cmd = argv[1];
  if (cmd == "demo") return Demo(argc, argv);
  if (cmd == "tsdb") return Tsdb(argc, argv);
  if (cmd == "run") return RunDaemon(argc, argv);
  if (cmd == "promqltest") return PromqlTest(argc, argv);
  if (cmd == "check" && argc >= 3 && std::string(argv[2]) == "config") {
    return CheckConfig(argc, argv);
  }
  if (cmd == "test" || cmd == "check") return RulesCommand(cmd, argc, argv);
  if (cmd == "dashboards") {
    return vigil::cli::RunDashboardsCommand(std::vector<std::string>(argv + 2, argv + argc),
                                            stdout, stderr);
  }
  if (cmd == "query") {
    return vigil::cli::RunQueryCommand(std::vector<std::string>(argv + 2, argv + argc), stdout,
                                       stderr);
  }
  if (cmd == "nab") return Nab(argc, argv);
  if (cmd == "slo") {
    return vigil::cli::RunSloCommand(std::vector<std::string>(argv + 2, argv + argc), stdout,
                                     stderr);
  }
  if (cmd == "version" || cmd == "--version") {
    std::printf("vigil 0.1.0\n");
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") return Usage(nullptr);
  return Usage(("unknown command \"" + cmd + "\"").c_str());
}
