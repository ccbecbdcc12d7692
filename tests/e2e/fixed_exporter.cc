// fixed_exporter: serves a fixed metric set whose values are known by heart,
// for the end-to-end tests in this directory (promtool, a real Prometheus).
//
//   fixed_exporter --listen 127.0.0.1:PORT [--duration SECONDS] [--ignore-stdin]
//
// Serves until stdin reaches end of file (the test script holds a pipe open;
// the server goes away with the script), SIGINT/SIGTERM, or --duration
// seconds. Prints "fixed_exporter: listening on ADDR" once it serves.
//
// The metric set (no registry prefix, no const labels):
//
//   e2e_requests_total{model="a"}           42   (42 x Inc())
//   e2e_requests_total{model="b"}           7.5  (Inc(7.5))
//   e2e_temperature_celsius{sensor="plain"} -3.25
//   e2e_temperature_celsius{sensor="inf"}   +Inf
//   e2e_temperature_celsius{sensor=<kEscapedLabel>} 1
//   e2e_temperature_celsius{sensor=<kUtf8Label>}    2
//   e2e_latency_seconds  buckets {0.1, 0.2, 0.5, 1} observed kLatencies:
//       le=0.1: 1, le=0.2: 3, le=0.5: 7, le=1: 9, +Inf: 10; sum 5.25
//       histogram_quantile(0.5): rank 5 lies in (0.2, 0.5] holding ranks 4..7,
//       so 0.2 + (0.5 - 0.2) * (5 - 3) / (7 - 3) = 0.35
//   e2e_payload_bytes    summary, quantiles {0.5, 0.9}, observed
//       100 200 300 400 500: count 5, sum 1500, 0.5 -> ~300 (within 1/256)
//
// Keep these numbers in sync with prometheus_scrape.sh.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "vigil/exporter/exporter.h"
#include "vigil/metrics/registry.h"

namespace {

// A quote, a backslash and a newline: all three must be escaped in the text
// format and come back unescaped from Prometheus' API.
constexpr std::string_view kEscapedLabel = "quote\"back\\slash\nnewline";
constexpr std::string_view kUtf8Label = "caf\xc3\xa9 \xe2\x9c\x93";  // "café ✓"
constexpr double kLatencies[] = {0.05, 0.15, 0.15, 0.3, 0.3, 0.3, 0.4, 0.7, 0.9, 2.0};

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int Usage(const char* error) {
  std::fprintf(stderr,
               "fixed_exporter: %s\n"
               "usage: fixed_exporter --listen HOST:PORT [--duration SECONDS] [--ignore-stdin]\n",
               error);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen;
  double duration_s = 0;  // 0: no limit
  bool watch_stdin = true;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if ((flag == "--listen" || flag == "--duration") && i + 1 >= argc) {
      return Usage((flag + " needs a value").c_str());
    }
    if (flag == "--listen") {
      listen = argv[++i];
    } else if (flag == "--duration") {
      const char* v = argv[++i];
      char* end = nullptr;
      duration_s = std::strtod(v, &end);
      if (end == v || *end != '\0' || !(duration_s >= 0)) {
        return Usage("--duration must be a number of seconds >= 0");
      }
    } else if (flag == "--ignore-stdin") {
      watch_stdin = false;
    } else {
      return Usage(("unknown flag \"" + flag + "\"").c_str());
    }
  }
  if (listen.empty()) return Usage("--listen is required");

  vigil::metrics::Registry registry;
  const std::span<const std::string_view> no_labels;

  auto* requests = registry.MustAddCounter({.name = "e2e_requests_total",
                                            .help = "Requests served, by model (fixed values).",
                                            .label_names = {"model"}});
  vigil::metrics::Counter a = requests->WithLabelValues({"a"});
  for (int i = 0; i < 42; ++i) a.Inc();
  requests->WithLabelValues({"b"}).Inc(7.5);

  auto* temperature = registry.MustAddGauge({.name = "e2e_temperature_celsius",
                                             .help = "A gauge with awkward label values.",
                                             .label_names = {"sensor"}});
  temperature->WithLabelValues({"plain"}).Set(-3.25);
  temperature->WithLabelValues({"inf"}).Set(std::numeric_limits<double>::infinity());
  temperature->WithLabelValues({kEscapedLabel}).Set(1);
  temperature->WithLabelValues({kUtf8Label}).Set(2);

  auto* latency = registry.MustAddHistogram(
      {.name = "e2e_latency_seconds", .help = "Latency with hand-checkable buckets."},
      {0.1, 0.2, 0.5, 1});
  vigil::metrics::Histogram h = latency->WithLabelValues(no_labels);
  for (double v : kLatencies) h.Observe(v);

  auto* payload = registry.MustAddSummary(
      {.name = "e2e_payload_bytes", .help = "Payload sizes (summary)."},
      {.quantiles = {0.5, 0.9}, .max_age = std::chrono::seconds(600), .age_buckets = 5});
  vigil::metrics::Summary s = payload->WithLabelValues(no_labels);
  for (double v : {100.0, 200.0, 300.0, 400.0, 500.0}) s.Observe(v);

  vigil::exporter::ExporterOptions eo;
  eo.listen_address = listen;
  eo.registry = &registry;
  auto ex = vigil::exporter::Exporter::Create(eo);
  if (!ex.ok()) {
    std::fprintf(stderr, "fixed_exporter: %s\n", ex.status().ToString().c_str());
    return 1;
  }
  vigil::Status st = (*ex)->Start();
  if (!st.ok()) {
    std::fprintf(stderr, "fixed_exporter: %s\n", st.ToString().c_str());
    return 1;
  }
  std::printf("fixed_exporter: listening on %s (port %d)\n", listen.c_str(), (*ex)->port());
  std::fflush(stdout);

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(duration_s * 1000));
  while (g_stop == 0 && (duration_s <= 0 || std::chrono::steady_clock::now() < deadline)) {
    if (!watch_stdin) {
      ::usleep(100 * 1000);
      continue;
    }
    pollfd p{.fd = STDIN_FILENO, .events = POLLIN, .revents = 0};
    const int n = ::poll(&p, 1, 100);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (n == 0) continue;
    if ((p.revents & (POLLNVAL | POLLERR)) != 0) break;
    char buf[256];
    const ssize_t got = ::read(STDIN_FILENO, buf, sizeof(buf));  // input is ignored
    if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) break;  // EOF
  }
  (*ex)->Stop();
  return 0;
}
