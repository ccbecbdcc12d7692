// A batch job that reports to a Prometheus Pushgateway when it ends: jobs by
// status, duration, chunk timing, retries, records, throughput and memory.
//
//   build/bin/example_job_tracker --pushgateway http://127.0.0.1:9091
//       [--job reindex] [--instance worker-1] [--records 20000] [--chunk 2500] [--fail]
//   build/bin/example_job_tracker --pushgateway URL --delete   # remove the group
//
// Without --pushgateway it prints what it would push.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>

#include "vigil/exporter/push.h"
#include "vigil/ml/job_tracker.h"

int main(int argc, char** argv) {
  std::string url, job_name = "reindex", instance = "worker-1";
  long records = 20000, chunk = 2500;
  bool fail = false, remove = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--pushgateway" && has_value) url = argv[++i];
    else if (a == "--job" && has_value) job_name = argv[++i];
    else if (a == "--instance" && has_value) instance = argv[++i];
    else if (a == "--records" && has_value) records = std::atol(argv[++i]);
    else if (a == "--chunk" && has_value) chunk = std::atol(argv[++i]);
    else if (a == "--fail") fail = true;
    else if (a == "--delete") remove = true;
    else {
      std::fprintf(stderr, "usage: %s [--pushgateway URL] [--job NAME] [--instance NAME] "
                   "[--records N] [--chunk N] [--fail] [--delete]\n", argv[0]);
      return 2;
    }
  }
  if (records < 0 || chunk <= 0) {
    std::fprintf(stderr, "--records must be >= 0 and --chunk > 0\n");
    return 2;
  }

  vigil::metrics::Registry registry({.prefix = "batch"});
  std::unique_ptr<vigil::exporter::Pushgateway> gateway;
  if (!url.empty()) {
    auto g = vigil::exporter::Pushgateway::Create(
        {.url = url, .job = job_name, .grouping = {{"instance", instance}}, .registry = &registry});
    if (!g.ok()) {
      std::fprintf(stderr, "%s\n", g.status().ToString().c_str());
      return 2;
    }
    gateway = std::move(*g);
    if (remove) {
      vigil::Status s = gateway->Delete();
      std::printf("delete: %s\n", s.ToString().c_str());
      return s.ok() ? 0 : 1;
    }
  }

  auto tracker = vigil::ml::JobTracker::Create(registry, {
      .job_type = job_name,
      // Push once the job's metrics are recorded; the status comes back from Finish().
      .on_job_end = [&]() -> vigil::Status {
        return gateway ? gateway->Push() : vigil::Status::OK();
      }});
  if (!tracker.ok()) {
    std::fprintf(stderr, "%s\n", tracker.status().ToString().c_str());
    return 2;
  }

  vigil::ml::Job job = (*tracker)->Start();
  std::mt19937 rng(7);
  for (long done = 0; done < records; done += chunk) {
    const long n = std::min(chunk, records - done);
    vigil::ml::ChunkScope scope = job.Chunk(static_cast<uint64_t>(n));
    std::this_thread::sleep_for(std::chrono::milliseconds(2 + rng() % 5));  // the work
    if (rng() % 10 == 0) job.RecordRetry("transient_io");
  }
  const vigil::Status pushed =
      job.Finish(fail ? vigil::ml::JobStatus::kFailed : vigil::ml::JobStatus::kCompleted);
  std::printf("job %s: %llu records in %.3f s, push: %s\n", fail ? "failed" : "completed",
              static_cast<unsigned long long>(job.records()), job.ElapsedSeconds(),
              pushed.ToString().c_str());
  if (!gateway) {
    std::printf("(no --pushgateway: metrics below were not pushed)\n");
    for (const auto& f : registry.Snapshot()) {
      for (const auto& m : f.metrics) {
        std::string labels;
        for (const auto& [k, v] : m.labels) labels += (labels.empty() ? "" : ",") + k + "=" + v;
        if (f.type == vigil::metrics::MetricType::kHistogram) {
          std::printf("%s{%s} count=%llu sum=%g\n", f.name.c_str(), labels.c_str(),
                      static_cast<unsigned long long>(m.count), m.sum);
        } else {
          std::printf("%s{%s} %g\n", f.name.c_str(), labels.c_str(), m.value);
        }
      }
    }
  }
  return pushed.ok() ? 0 : 1;
}
