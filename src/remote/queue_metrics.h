// remote::QueueMetrics: the metric handles of one remote-write queue, under
// Prometheus' own names (storage/remote/queue_manager.go and
// tsdb/wlog/watcher.go of Prometheus 2.42) so its dashboards and alerts
// apply unchanged. Labels: remote_name and url (the queue), consumer (the
// watcher, = remote_name).
//
//   prometheus_remote_storage_samples_total           samples in send
//       attempts (each retry counts again, as in Prometheus)
//   prometheus_remote_storage_samples_failed_total    samples dropped on a
//       non-recoverable answer (4xx other than 429)
//   prometheus_remote_storage_samples_retried_total   samples in attempts
//       that failed recoverably and were retried
//   prometheus_remote_storage_samples_dropped_total   samples of series the
//       watcher had no labels for (never sent)
//   prometheus_remote_storage_samples_pending         samples in shards
//   prometheus_remote_storage_bytes_total             compressed bytes sent
//   prometheus_remote_storage_enqueue_retries_total   times the watcher
//       waited for a full shard (backpressure; Prometheus retries there)
//   prometheus_remote_storage_sent_batch_duration_seconds  histogram of one
//       send attempt (each retry observed again, as in Prometheus)
//   prometheus_remote_storage_queue_highest_sent_timestamp_seconds
//   prometheus_remote_storage_highest_timestamp_in_seconds (no labels)
//   prometheus_remote_storage_shards, _shards_min, _shards_max,
//       _shards_desired, _shard_capacity, _max_samples_per_send
//   prometheus_wal_watcher_records_read_total{consumer,type}
//   prometheus_wal_watcher_record_decode_failures_total{consumer}
//   prometheus_wal_watcher_current_segment{consumer}
//   vigil_remote_storage_wal_segments_lost_total      WAL segments deleted
//       (checkpoint truncation) before the watcher read them
//
// Thread safety: the handles are thread-safe; Create and Remove are
// thread-safe (the registry is).
#pragma once

#include <string>

#include "vigil/metrics/registry.h"
#include "vigil/result.h"

namespace vigil::remote {

struct QueueMetrics {
  metrics::Counter samples_total;
  metrics::Counter samples_failed;
  metrics::Counter samples_retried;
  metrics::Counter samples_dropped;
  metrics::Counter bytes_total;
  metrics::Counter enqueue_retries;
  metrics::Gauge samples_pending;
  metrics::Histogram sent_batch_duration;
  metrics::Gauge highest_sent_timestamp;
  metrics::Gauge highest_timestamp_in;  // shared by all queues
  metrics::Gauge shards;
  metrics::Gauge shards_min;
  metrics::Gauge shards_max;
  metrics::Gauge shards_desired;
  metrics::Gauge shard_capacity;
  metrics::Gauge max_samples_per_send;
  metrics::Counter series_records;
  metrics::Counter samples_records;
  metrics::Counter unknown_records;
  metrics::Counter decode_failures;
  metrics::Gauge current_segment;
  metrics::Counter segments_lost;

  // Registers the families (idempotent) and takes this queue's series.
  static Result<QueueMetrics> Create(metrics::Registry* registry,
                                     const std::string& remote_name,
                                     const std::string& url);
  // Deletes this queue's series from the families (a queue removed by a
  // reload). The handles keep working but are no longer exported.
  static void Remove(metrics::Registry* registry,
                     const std::string& remote_name, const std::string& url);
};

}  // namespace vigil::remote
