// Uses only the installed headers: registers metrics, serves them, stops.
#include <cstdio>

#include "vigil/exporter/exporter.h"
#include "vigil/metrics/registry.h"
#include "vigil/metrics/scoped_timer.h"

int main() {
  vigil::metrics::Registry registry({.prefix = "consumer"});
  auto* requests = registry.MustAddCounter(
      {.name = "requests_total", .help = "Requests.", .label_names = {"model"}});
  requests->WithLabelValues({"owlv2"}).Inc();
  auto* latency = registry.MustAddHistogram({.name = "latency_seconds", .help = "Latency."});
  { vigil::metrics::ScopedTimer t(latency->WithLabelValues({})); }
  auto exporter = vigil::exporter::Exporter::Create(
      {.listen_address = "127.0.0.1:0", .registry = &registry});
  if (!exporter.ok() || !(*exporter)->Start().ok() || (*exporter)->port() <= 0) {
    std::fprintf(stderr, "consumer: exporter failed\n");
    return 1;
  }
  (*exporter)->Stop();
  std::printf("consumer ok: %zu families\n", registry.Snapshot().size());
  return registry.Snapshot().size() == 2 ? 0 : 1;
}
