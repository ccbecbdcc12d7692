// The vigil binary. Subcommands:
//   vigil demo [--listen ADDR] [--duration SECONDS]
//   vigil version
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cli/demo.h"

namespace {

constexpr const char* kUsage =
    "usage: vigil <command> [flags]\n"
    "\n"
    "commands:\n"
    "  demo [--listen ADDR] [--duration SECONDS]\n"
    "        run a simulated, instrumented inference service and serve its\n"
    "        metrics on ADDR (default 127.0.0.1:9464) until SIGINT/SIGTERM\n"
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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage("no command given");
  const std::string cmd = argv[1];
  if (cmd == "demo") return Demo(argc, argv);
  if (cmd == "version" || cmd == "--version") {
    std::printf("vigil 0.1.0\n");
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") return Usage(nullptr);
  return Usage(("unknown command \"" + cmd + "\"").c_str());
}
