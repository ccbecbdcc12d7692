// remote_write_driver: the test driver of tests/e2e/remote_write_vm.sh.
// Opens a tsdb in --data, runs a remote::WriteStorage against --url (a
// real receiver such as VictoriaMetrics), appends samples, waits until the
// remote has acknowledged everything in the WAL, and optionally dumps the
// tsdb's samples so the script can compare them with what the receiver
// holds.
//
//   remote_write_driver --data D --url http://127.0.0.1:8428/api/v1/write
//       --series 100 --samples 600 --t0 1700000000000 --step-ms 1000
//       [--rate-hz 50] [--start-after-write] [--send-existing]
//       [--min-shards 1] [--max-shards 200] [--max-samples-per-send 2000]
//       [--capacity 2500] [--wal-segment-bytes N] [--wait-s 120]
//       [--external-label k=v] [--dump FILE] [--metric NAME]
//       [--batch-send-deadline-ms 5000]
//
// Series are NAME{series="<i>"} (NAME default rw_e2e), sample j of series
// i has timestamp t0 + j*step and value i*1000 + j + 0.25 (exact in binary
// and decimal, so nothing is lost to formatting). One commit per
// timestamp; --rate-hz spaces the commits (0: as fast as possible).
//
// Prints "key=value" lines: written, seconds_to_ack, sent (samples the
// remote acknowledged), samples_per_second (sent over the time from the
// storage's start, or from the end of writing with --start-after-write, to
// the last acknowledgement), samples_per_second_95 (95% of what was
// written over the time it took to send that much: the sustained rate,
// without the last partial batches' wait for batch_send_deadline),
// retried, failed. Exit 0 when everything was
// acknowledged within --wait-s, 1 otherwise, 2 for bad usage.
//
// Thread safety: a program (single main thread plus the storage's).
#include <sys/stat.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "metrics/test_util.h"
#include "model/matcher.h"
#include "remote/write_storage.h"
#include "tsdb/db.h"
#include "tsdb/wal/wal.h"
#include "vigil/metrics/registry.h"

namespace {

using namespace vigil;  // NOLINT: a small program
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

struct Flags {
  std::string data, url, dump, metric = "rw_e2e";
  int series = 10;
  int samples = 10;
  int64_t t0 = 0;
  int64_t step_ms = 1000;
  double rate_hz = 0;
  bool start_after_write = false;
  bool send_existing = false;
  int min_shards = 1, max_shards = 200, max_per_send = 2000, capacity = 2500;
  uint64_t segment_bytes = uint64_t{128} << 20;
  int wait_s = 120;
  int64_t batch_send_deadline_ms = 5000;
  std::vector<std::pair<std::string, std::string>> external;
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--data") f->data = next();
    else if (a == "--url") f->url = next();
    else if (a == "--dump") f->dump = next();
    else if (a == "--metric") f->metric = next();
    else if (a == "--series") f->series = std::atoi(next().c_str());
    else if (a == "--samples") f->samples = std::atoi(next().c_str());
    else if (a == "--t0") f->t0 = std::strtoll(next().c_str(), nullptr, 10);
    else if (a == "--step-ms") f->step_ms = std::strtoll(next().c_str(), nullptr, 10);
    else if (a == "--rate-hz") f->rate_hz = std::atof(next().c_str());
    else if (a == "--start-after-write") f->start_after_write = true;
    else if (a == "--send-existing") f->send_existing = true;
    else if (a == "--min-shards") f->min_shards = std::atoi(next().c_str());
    else if (a == "--max-shards") f->max_shards = std::atoi(next().c_str());
    else if (a == "--max-samples-per-send") f->max_per_send = std::atoi(next().c_str());
    else if (a == "--capacity") f->capacity = std::atoi(next().c_str());
    else if (a == "--wal-segment-bytes") f->segment_bytes = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--wait-s") f->wait_s = std::atoi(next().c_str());
    else if (a == "--batch-send-deadline-ms") f->batch_send_deadline_ms = std::strtoll(next().c_str(), nullptr, 10);
    else if (a == "--external-label") {
      const std::string kv = next();
      const size_t eq = kv.find('=');
      if (eq == std::string::npos) return false;
      f->external.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      return false;
    }
  }
  return !f->data.empty() && !f->url.empty();
}

// WAL bytes after `p`: zero once everything written was acknowledged.
uint64_t BytesAfter(const std::string& wal_dir, const remote::WalPosition& p) {
  uint64_t total = 0;
  auto segs = tsdb::wal::ListSegments(wal_dir);
  if (!segs.ok()) return UINT64_MAX;
  for (int s = std::max(p.segment, segs->first); s <= segs->last; ++s) {
    struct stat st;
    const std::string path = wal_dir + "/" + tsdb::wal::SegmentName(s);
    if (::stat(path.c_str(), &st) != 0) continue;
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    total += s == p.segment ? size - std::min<uint64_t>(size, p.offset) : size;
  }
  return total;
}

int Dump(tsdb::Db* db, const Flags& f) {
  std::ofstream out(f.dump);
  auto q = db->NewQuerier(INT64_MIN, INT64_MAX);
  if (!q.ok()) return 1;
  auto m = model::Matcher::Make(model::MatchType::kEqual, "__name__", f.metric);
  if (!m.ok()) return 1;
  std::vector<model::Matcher> ms{*m};
  auto set = (*q)->Select(ms);
  uint64_t n = 0;
  while (set->Next()) {
    const auto& s = set->At();
    auto it = s.NewIterator();
    while (it->Next()) {
      auto [t, v] = it->At();
      out << s.labels().ToString() << " " << t << " ";
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.17g", v);
      out << buf << "\n";
      ++n;
    }
  }
  std::printf("dumped=%" PRIu64 "\n", n);
  return set->status().ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  if (!ParseFlags(argc, argv, &f)) {
    std::fprintf(stderr, "usage: see the comment at the top of remote_write_driver.cc\n");
    return 2;
  }
  tsdb::DbOptions dbo;
  dbo.checkpoint_interval = milliseconds(0);
  dbo.retention = milliseconds(0);
  dbo.wal_segment_size_bytes = f.segment_bytes;
  auto db = tsdb::Db::Open(dbo, f.data);
  if (!db.ok()) {
    std::fprintf(stderr, "open tsdb: %s\n", db.status().ToString().c_str());
    return 1;
  }
  metrics::Registry registry;
  remote::WriteStorageOptions wo;
  wo.send_existing_wal = f.send_existing;
  wo.log = [](std::string_view m) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(m.size()), m.data());
  };
  auto rw = remote::WriteStorage::Create(wo, f.data + "/wal",
                                         f.data + "/remote_write", &registry);
  if (!rw.ok()) {
    std::fprintf(stderr, "%s\n", rw.status().ToString().c_str());
    return 1;
  }
  remote::RemoteWriteConfig c;
  c.url = f.url;
  c.name = "vm";
  c.queue_config.min_shards = f.min_shards;
  c.queue_config.max_shards = f.max_shards;
  c.queue_config.max_samples_per_send = f.max_per_send;
  c.queue_config.capacity = f.capacity;
  c.queue_config.batch_send_deadline = milliseconds(f.batch_send_deadline_ms);
  Status s = (*rw)->ApplyConfig({c}, model::Labels::FromPairs(f.external));
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  auto start = SteadyClock::now();
  if (!f.start_after_write) (*rw)->Start();

  // Write.
  std::vector<model::Labels> labels;
  for (int i = 0; i < f.series; ++i) {
    labels.push_back(model::Labels::FromPairs(
        {{"__name__", f.metric}, {"series", std::to_string(i)}}));
  }
  std::vector<storage::SeriesRef> refs(labels.size(), 0);
  const auto write_start = SteadyClock::now();
  for (int j = 0; j < f.samples; ++j) {
    if (f.rate_hz > 0) {
      std::this_thread::sleep_until(
          write_start + std::chrono::duration_cast<SteadyClock::duration>(
                            std::chrono::duration<double>(j / f.rate_hz)));
    }
    auto app = (*db)->NewAppender();
    const int64_t t = f.t0 + j * f.step_ms;
    for (int i = 0; i < f.series; ++i) {
      auto r = app->Append(refs[i], labels[i], t, i * 1000.0 + j + 0.25);
      if (!r.ok()) {
        std::fprintf(stderr, "append: %s\n", r.status().ToString().c_str());
        return 1;
      }
      refs[i] = *r;
    }
    Status cs = app->Commit();
    if (!cs.ok()) {
      std::fprintf(stderr, "commit: %s\n", cs.ToString().c_str());
      return 1;
    }
  }
  const uint64_t written = static_cast<uint64_t>(f.series) * f.samples;
  std::printf("written=%" PRIu64 "\n", written);
  std::printf("write_seconds=%.3f\n",
              std::chrono::duration<double>(SteadyClock::now() - write_start).count());
  std::fflush(stdout);
  if (f.start_after_write) {
    start = SteadyClock::now();
    (*rw)->Start();
  }

  // Wait for the acknowledgements, noting when 95% of what was written had
  // been sent: the sustained rate, without the last partial batches'
  // batch_send_deadline wait.
  auto value = [&](const char* name) {
    return metrics::testing::SeriesValue(registry, name, {{"remote_name", "vm"}});
  };
  auto sent_now = [&] {
    return value("prometheus_remote_storage_samples_total") -
           value("prometheus_remote_storage_samples_retried_total") -
           value("prometheus_remote_storage_samples_failed_total");
  };
  const std::string wal_dir = f.data + "/wal";
  const auto deadline = start + std::chrono::seconds(f.wait_s);
  bool acked = false;
  SteadyClock::time_point acked_at, at95;
  bool seen95 = false;
  while (SteadyClock::now() < deadline) {
    if (!seen95 && sent_now() >= 0.95 * static_cast<double>(written)) {
      seen95 = true;
      at95 = SteadyClock::now();
    }
    auto queues = (*rw)->Queues();
    if (!queues.empty() &&
        BytesAfter(wal_dir, queues[0].queue.committed.position) == 0) {
      acked = true;
      acked_at = SteadyClock::now();
      break;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  if (seen95 && written > 0) {
    std::printf("samples_per_second_95=%.0f\n",
                0.95 * static_cast<double>(written) /
                    std::chrono::duration<double>(at95 - start).count());
  }
  const double total = value("prometheus_remote_storage_samples_total");
  const double retried = value("prometheus_remote_storage_samples_retried_total");
  const double failed = value("prometheus_remote_storage_samples_failed_total");
  const double sent = total - retried - failed;
  const double secs =
      std::chrono::duration<double>((acked ? acked_at : SteadyClock::now()) - start)
          .count();
  std::printf("acked=%d\nseconds_to_ack=%.3f\nsent=%.0f\nretried=%.0f\nfailed=%.0f\n",
              acked ? 1 : 0, secs, sent, retried, failed);
  std::printf("samples_per_second=%.0f\n", secs > 0 ? sent / secs : 0);
  std::printf("shards=%d\n", (*rw)->Queues().at(0).queue.shards);
  std::fflush(stdout);
  (*rw)->Stop(std::chrono::seconds(10));
  if (!f.dump.empty() && Dump(db->get(), f) != 0) return 1;
  return acked ? 0 : 1;
}
