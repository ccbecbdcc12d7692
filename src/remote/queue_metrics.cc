#include "remote/queue_metrics.h"

#include <vector>

#include "base/status_macros.h"

namespace vigil::remote {
namespace {

const std::vector<std::string> kQueueLabels = {"remote_name", "url"};

std::vector<double> SendBuckets() {
  std::vector<double> b = metrics::DefaultBuckets();
  for (double v : {25.0, 60.0, 120.0, 300.0}) b.push_back(v);
  return b;
}

struct Families {
  metrics::Family<metrics::Counter>* samples_total;
  metrics::Family<metrics::Counter>* samples_failed;
  metrics::Family<metrics::Counter>* samples_retried;
  metrics::Family<metrics::Counter>* samples_dropped;
  metrics::Family<metrics::Counter>* bytes_total;
  metrics::Family<metrics::Counter>* enqueue_retries;
  metrics::Family<metrics::Gauge>* samples_pending;
  metrics::Family<metrics::Histogram>* sent_batch_duration;
  metrics::Family<metrics::Gauge>* highest_sent_timestamp;
  metrics::Family<metrics::Gauge>* highest_timestamp_in;
  metrics::Family<metrics::Gauge>* shards;
  metrics::Family<metrics::Gauge>* shards_min;
  metrics::Family<metrics::Gauge>* shards_max;
  metrics::Family<metrics::Gauge>* shards_desired;
  metrics::Family<metrics::Gauge>* shard_capacity;
  metrics::Family<metrics::Gauge>* max_samples_per_send;
  metrics::Family<metrics::Counter>* records_read;
  metrics::Family<metrics::Counter>* decode_failures;
  metrics::Family<metrics::Gauge>* current_segment;
  metrics::Family<metrics::Counter>* segments_lost;
};

Result<Families> Register(metrics::Registry* r) {
  Families f;
  auto counter = [&](const char* name, const char* help,
                     std::vector<std::string> labels = kQueueLabels) {
    return r->AddCounter({.name = name, .help = help, .label_names = labels});
  };
  auto gauge = [&](const char* name, const char* help,
                   std::vector<std::string> labels = kQueueLabels) {
    return r->AddGauge({.name = name, .help = help, .label_names = labels});
  };
  VIGIL_ASSIGN_OR_RETURN(
      f.samples_total,
      counter("prometheus_remote_storage_samples_total",
              "Total number of samples sent to remote storage."));
  VIGIL_ASSIGN_OR_RETURN(
      f.samples_failed,
      counter("prometheus_remote_storage_samples_failed_total",
              "Total number of samples which failed on send to remote "
              "storage, non-recoverable errors."));
  VIGIL_ASSIGN_OR_RETURN(
      f.samples_retried,
      counter("prometheus_remote_storage_samples_retried_total",
              "Total number of samples which failed on send to remote "
              "storage but were retried because the send error was "
              "recoverable."));
  VIGIL_ASSIGN_OR_RETURN(
      f.samples_dropped,
      counter("prometheus_remote_storage_samples_dropped_total",
              "Total number of samples which were dropped after being read "
              "from the WAL before being sent via remote write, either via "
              "relabelling or unintentionally because of an unknown "
              "reference ID."));
  VIGIL_ASSIGN_OR_RETURN(
      f.bytes_total,
      counter("prometheus_remote_storage_bytes_total",
              "The total number of bytes of data (not metadata) sent by the "
              "queue after compression."));
  VIGIL_ASSIGN_OR_RETURN(
      f.enqueue_retries,
      counter("prometheus_remote_storage_enqueue_retries_total",
              "Total number of times enqueue has failed because a shards "
              "queue was full."));
  VIGIL_ASSIGN_OR_RETURN(
      f.samples_pending,
      gauge("prometheus_remote_storage_samples_pending",
            "The number of samples pending in the queues shards to be sent "
            "to the remote storage."));
  VIGIL_ASSIGN_OR_RETURN(
      f.sent_batch_duration,
      r->AddHistogram(
          {.name = "prometheus_remote_storage_sent_batch_duration_seconds",
           .help = "Duration of send calls to the remote storage.",
           .label_names = kQueueLabels},
          SendBuckets()));
  VIGIL_ASSIGN_OR_RETURN(
      f.highest_sent_timestamp,
      gauge("prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
            "Timestamp from a WAL sample, the highest timestamp successfully "
            "sent by this queue, in seconds since epoch."));
  VIGIL_ASSIGN_OR_RETURN(
      f.highest_timestamp_in,
      gauge("prometheus_remote_storage_highest_timestamp_in_seconds",
            "Highest timestamp that has come into the remote storage via "
            "the WAL, in seconds since epoch.",
            {}));
  VIGIL_ASSIGN_OR_RETURN(
      f.shards, gauge("prometheus_remote_storage_shards",
                      "The number of shards used for parallel sending to the "
                      "remote storage."));
  VIGIL_ASSIGN_OR_RETURN(
      f.shards_min, gauge("prometheus_remote_storage_shards_min",
                          "The minimum number of shards that the queue is "
                          "allowed to run."));
  VIGIL_ASSIGN_OR_RETURN(
      f.shards_max, gauge("prometheus_remote_storage_shards_max",
                          "The maximum number of shards that the queue is "
                          "allowed to run."));
  VIGIL_ASSIGN_OR_RETURN(
      f.shards_desired,
      gauge("prometheus_remote_storage_shards_desired",
            "The number of shards that the queues shard calculation wants "
            "to run based on the rate of samples in vs. samples out."));
  VIGIL_ASSIGN_OR_RETURN(
      f.shard_capacity,
      gauge("prometheus_remote_storage_shard_capacity",
            "The capacity of each shard of the queue used for parallel "
            "sending to the remote storage."));
  VIGIL_ASSIGN_OR_RETURN(
      f.max_samples_per_send,
      gauge("prometheus_remote_storage_max_samples_per_send",
            "The maximum number of samples to be sent, in a single request, "
            "to the remote storage."));
  VIGIL_ASSIGN_OR_RETURN(
      f.records_read,
      counter("prometheus_wal_watcher_records_read_total",
              "Number of records read by the WAL watcher from the WAL.",
              {"consumer", "type"}));
  VIGIL_ASSIGN_OR_RETURN(
      f.decode_failures,
      counter("prometheus_wal_watcher_record_decode_failures_total",
              "Number of records read by the WAL watcher that resulted in an "
              "error when decoding.",
              {"consumer"}));
  VIGIL_ASSIGN_OR_RETURN(
      f.current_segment,
      gauge("prometheus_wal_watcher_current_segment",
            "Current segment the WAL watcher is reading records from.",
            {"consumer"}));
  VIGIL_ASSIGN_OR_RETURN(
      f.segments_lost,
      counter("vigil_remote_storage_wal_segments_lost_total",
              "WAL segments deleted by checkpointing before the remote-write "
              "watcher read them; their samples were never sent."));
  return f;
}

}  // namespace

Result<QueueMetrics> QueueMetrics::Create(metrics::Registry* registry,
                                          const std::string& remote_name,
                                          const std::string& url) {
  VIGIL_ASSIGN_OR_RETURN(Families f, Register(registry));
  QueueMetrics m;
  const std::string_view q[] = {remote_name, url};
  const std::span<const std::string_view> qs(q);
  m.samples_total = f.samples_total->WithLabelValues(qs);
  m.samples_failed = f.samples_failed->WithLabelValues(qs);
  m.samples_retried = f.samples_retried->WithLabelValues(qs);
  m.samples_dropped = f.samples_dropped->WithLabelValues(qs);
  m.bytes_total = f.bytes_total->WithLabelValues(qs);
  m.enqueue_retries = f.enqueue_retries->WithLabelValues(qs);
  m.samples_pending = f.samples_pending->WithLabelValues(qs);
  m.sent_batch_duration = f.sent_batch_duration->WithLabelValues(qs);
  m.highest_sent_timestamp = f.highest_sent_timestamp->WithLabelValues(qs);
  m.highest_timestamp_in = f.highest_timestamp_in->WithLabelValues(
      std::span<const std::string_view>());
  m.shards = f.shards->WithLabelValues(qs);
  m.shards_min = f.shards_min->WithLabelValues(qs);
  m.shards_max = f.shards_max->WithLabelValues(qs);
  m.shards_desired = f.shards_desired->WithLabelValues(qs);
  m.shard_capacity = f.shard_capacity->WithLabelValues(qs);
  m.max_samples_per_send = f.max_samples_per_send->WithLabelValues(qs);
  m.series_records = f.records_read->WithLabelValues({remote_name, "series"});
  m.samples_records =
      f.records_read->WithLabelValues({remote_name, "samples"});
  m.unknown_records =
      f.records_read->WithLabelValues({remote_name, "unknown"});
  m.decode_failures = f.decode_failures->WithLabelValues({remote_name});
  m.current_segment = f.current_segment->WithLabelValues({remote_name});
  m.segments_lost = f.segments_lost->WithLabelValues(qs);
  return m;
}

void QueueMetrics::Remove(metrics::Registry* registry,
                          const std::string& remote_name,
                          const std::string& url) {
  Result<Families> f = Register(registry);
  if (!f.ok()) return;
  for (auto* fam : {f->samples_total, f->samples_failed, f->samples_retried,
                    f->samples_dropped, f->bytes_total, f->enqueue_retries,
                    f->segments_lost}) {
    fam->Remove({remote_name, url});
  }
  for (auto* fam : {f->samples_pending, f->highest_sent_timestamp, f->shards,
                    f->shards_min, f->shards_max, f->shards_desired,
                    f->shard_capacity, f->max_samples_per_send}) {
    fam->Remove({remote_name, url});
  }
  f->sent_batch_duration->Remove({remote_name, url});
  for (const char* type : {"series", "samples", "unknown"}) {
    f->records_read->Remove({remote_name, type});
  }
  f->decode_failures->Remove({remote_name});
  f->current_segment->Remove({remote_name});
}

}  // namespace vigil::remote
