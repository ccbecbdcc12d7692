// Monitoring feature extraction: timed scopes per input type, quality scores,
// errors and a custom metric, served on /metrics and exported as JSON with a
// 24-hour retention window.
//
//   build/bin/example_feature_logger [--seconds 5] [--port 9464] [--export features.json]
//       [--jsonl features.jsonl]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>

#include "vigil/exporter/exporter.h"
#include "vigil/ml/feature_logger.h"

int main(int argc, char** argv) {
  double seconds = 5;
  int port = 9464;
  std::string export_path = "features.json", jsonl;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (a == "--port") port = std::atoi(argv[i + 1]);
    else if (a == "--export") export_path = argv[i + 1];
    else if (a == "--jsonl") jsonl = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: %s [--seconds S] [--port P] [--export FILE] [--jsonl FILE]\n",
                   argv[0]);
      return 2;
    }
  }

  vigil::metrics::Registry registry({.prefix = "spatial"});
  auto created = vigil::ml::FeatureLogger::Create(registry, {.buffer_size = 256,
                                                             .jsonl_path = jsonl});
  if (!created.ok()) {
    std::fprintf(stderr, "%s\n", created.status().ToString().c_str());
    return 1;
  }
  vigil::ml::FeatureLogger& features = **created;
  auto exporter = vigil::exporter::Exporter::Create(
      {.listen_address = "127.0.0.1:" + std::to_string(port), .registry = &registry});
  if (!exporter.ok() || !(*exporter)->Start().ok()) {
    std::fprintf(stderr, "cannot serve metrics on 127.0.0.1:%d\n", port);
    return 1;
  }

  const char* kTypes[] = {"margherita", "pepperoni", "hawaii"};
  std::mt19937 rng(3);
  std::normal_distribution<double> quality(0.85, 0.07);
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int n = 0;
  while (std::chrono::steady_clock::now() < end) {
    const char* type = kTypes[rng() % 3];
    {
      vigil::ml::ExtractionScope scope = features.Extraction(type, 512 * 512);
      std::this_thread::sleep_for(std::chrono::milliseconds(2 + rng() % 6));  // extract
      if (rng() % 40 == 0) {
        scope.Fail("decode_error");
      } else {
        scope.SetQuality(std::min(1.0, std::max(0.0, quality(rng))));
      }
    }
    (void)features.LogCustomMetric("custom_feature_count", static_cast<double>(rng() % 100),
                                   {{"pizza_type", type}});
    ++n;
  }

  const vigil::ml::FeatureSummary summary = features.GetSummary();
  std::printf("%d extractions, %llu records retained\n", n,
              static_cast<unsigned long long>(summary.records));
  for (const auto& [type, s] : summary.by_input_type) {
    std::printf("  %-11s extractions=%llu errors=%llu mean=%.4fs quality=%.3f\n", type.c_str(),
                static_cast<unsigned long long>(s.extractions),
                static_cast<unsigned long long>(s.errors), s.mean_duration_s, s.mean_quality);
  }
  const vigil::Status s = features.ExportJsonFile(export_path);
  std::printf("export %s: %s\n", export_path.c_str(), s.ToString().c_str());
  return s.ok() ? 0 : 1;
}
