// collectors::StatfsRunner: statvfs(3) (or a replacement) for a list of
// mount points on a worker thread, so that a mount that never answers (a
// dead NFS server, a hung FUSE daemon) cannot hang a scrape. As
// node_exporter's filesystem collector: a call that makes no progress for
// `timeout` leaves its mount out and marks it stuck, and a stuck mount is
// not asked again until that call returns. The worker left in the kernel is
// abandoned (it exits when the call returns) and a new one serves the
// remaining mounts.
//
//   StatfsRunner runner(StatVfs, std::chrono::seconds(5));
//   std::vector<std::optional<FilesystemUsage>> usage;
//   runner.Run({"/", "/mnt/nfs"}, &usage);   // usage[1] empty if it hung
//
// Thread safety: thread-safe; concurrent Run() calls take turns.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/thread_annotations.h"
#include "vigil/collectors/node_collector.h"

namespace vigil::collectors::internal {

class StatfsRunner {
 public:
  using StatfsFn = std::function<bool(const std::string& mount_point, FilesystemUsage* usage)>;
  StatfsRunner(StatfsFn fn, std::chrono::milliseconds timeout);
  // Stops the idle worker; a stuck one exits when its call returns.
  ~StatfsRunner();
  StatfsRunner(const StatfsRunner&) = delete;
  StatfsRunner& operator=(const StatfsRunner&) = delete;

  // (*results)[i]: the usage of paths[i], or empty when the call failed,
  // timed out, or the mount is stuck from an earlier call.
  void Run(const std::vector<std::string>& paths,
           std::vector<std::optional<FilesystemUsage>>* results);
  // The mount points whose call has not returned yet.
  std::vector<std::string> Stuck() const;

  struct Shared;  // the function and the stuck set; outlives abandoned workers
  struct Worker;  // one worker thread's request and results

 private:
  const std::shared_ptr<Shared> shared_;
  const std::chrono::milliseconds timeout_;
  Mutex run_mu_;
  std::shared_ptr<Worker> worker_ VIGIL_GUARDED_BY(run_mu_);  // null: none running
};

}  // namespace vigil::collectors::internal
