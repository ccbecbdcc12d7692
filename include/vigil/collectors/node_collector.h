// NodeCollector: host metrics read from /proc at collection time, named,
// labelled, typed and computed as node_exporter 1.5 does, so dashboards and
// alerts written for node_exporter work unchanged. The subset (see
// docs/collectors.md for details and differences):
//
//   node_cpu_seconds_total{cpu,mode}        counter  /proc/stat, per CPU
//   node_load1, node_load5, node_load15     gauge    /proc/loadavg
//   node_memory_{MemTotal,MemFree,MemAvailable,Buffers,Cached}_bytes
//                                           gauge    /proc/meminfo
//   node_filesystem_{size,free,avail}_bytes{device,fstype,mountpoint}
//                                           gauge    /proc/mounts + statvfs(3)
//   node_disk_{reads_completed,writes_completed,read_bytes,written_bytes,
//              io_time_seconds}_total{device}
//                                           counter  /proc/diskstats
//   node_network_{receive,transmit}_{bytes,packets,errs}_total{device}
//                                           counter  /proc/net/dev
//
//   auto node = vigil::collectors::NodeCollector::Create();
//   if (node.ok()) registry.Register(std::move(*node));
//
// A file that cannot be read leaves its families out; a malformed line is
// skipped. CPU counters are kept monotonic as node_exporter keeps them (a
// value lower than the last one reported is held, and a CPU whose idle time
// drops by 3 s or more, a hot-plug, starts over). statvfs(3) runs on the
// scraping thread: a hung network mount blocks the scrape, so exclude such
// file system types if that can happen (node_exporter times them out).
//
// Cost: each Collect() reads six small files with read(2) into buffers kept
// between calls and parses them in place; the device filters' regular
// expressions run once per new name (results are cached).
//
// Thread safety: thread-safe. Concurrent Collect() calls share only the
// CPU-counter cache, the filter caches and the read buffers, each taken
// briefly under one mutex (never across I/O).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "vigil/metrics/collector.h"
#include "vigil/result.h"

namespace vigil::collectors {

// What statvfs(3) reports for one mount, in bytes.
struct FilesystemUsage {
  double size_bytes = 0;   // f_blocks * f_frsize
  double free_bytes = 0;   // f_bfree * f_frsize
  double avail_bytes = 0;  // f_bavail * f_frsize (what non-root users can use)
};

struct NodeCollectorOptions {
  // Root of the proc file system; tests pass a fake tree.
  std::string proc_dir = "/proc";

  // Exclusion filters: ECMAScript regular expressions (std::regex) searched
  // anywhere in the name, as Go's MatchString does; empty excludes nothing.
  // The defaults are node_exporter 1.5's own (upstream; Debian's package
  // additionally excludes /run, /mnt and /media mounts and the lo device).
  std::string mount_points_exclude =
      "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)";
  std::string fs_types_exclude =
      "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|"
      "iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|"
      "sysfs|tracefs)$";
  // Partitions, RAM disks, loop and floppy devices.
  std::string disk_devices_exclude = "^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$";
  std::string netdev_devices_exclude;

  // Replaces statvfs(3) (tests); returns false when the mount cannot be
  // queried, which leaves it out. REQUIRES: it captures nothing that dies
  // with the collector: a call that hung may return after the collector is
  // gone (docs/adr/0005).
  std::function<bool(const std::string& mount_point, FilesystemUsage* usage)> statfs;
  // statvfs runs on a worker thread: a mount whose call makes no progress
  // for this long (a dead NFS server) is left out and not asked again until
  // that call returns, so a collection never hangs (node_exporter's
  // --collector.filesystem.mount-timeout, same default). Must be positive.
  std::chrono::milliseconds mount_timeout{5000};
};

class NodeCollector : public metrics::Collector {
 public:
  // kInvalidArgument when a filter does not compile or mount_timeout is not
  // positive.
  static Result<std::unique_ptr<NodeCollector>> Create(NodeCollectorOptions options = {});
  ~NodeCollector() override;
  NodeCollector(const NodeCollector&) = delete;
  NodeCollector& operator=(const NodeCollector&) = delete;

  void Collect(std::vector<metrics::FamilySnapshot>* out) override;

 private:
  struct Impl;
  explicit NodeCollector(std::unique_ptr<Impl> impl);
  const std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::collectors
