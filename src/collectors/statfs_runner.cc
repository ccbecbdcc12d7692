#include "collectors/statfs_runner.h"

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

namespace vigil::collectors::internal {

struct StatfsRunner::Shared {
  explicit Shared(StatfsFn f) : fn(std::move(f)) {}
  const StatfsFn fn;
  Mutex mu;
  std::set<std::string> stuck VIGIL_GUARDED_BY(mu);
};

// Guarded by mu: the request (paths, from `next` on still to do), its
// results, and the flags.
struct StatfsRunner::Worker {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> paths;
  std::vector<std::optional<FilesystemUsage>> results;
  size_t next = 0;
  bool busy = false;       // a request is in progress; cleared (and notified) when done
  bool abandoned = false;  // stop, or left behind in a stuck call
};

namespace {

void WorkerLoop(const std::shared_ptr<StatfsRunner::Shared>& shared,
                const std::shared_ptr<StatfsRunner::Worker>& w) {
  std::unique_lock<std::mutex> l(w->mu);
  for (;;) {
    w->cv.wait(l, [&] { return w->abandoned || (w->busy && w->next < w->paths.size()); });
    if (w->abandoned) return;
    const std::string path = w->paths[w->next];
    l.unlock();
    FilesystemUsage usage;
    const bool ok = shared->fn(path, &usage);
    l.lock();
    if (w->abandoned) {
      // The collector gave up on this call and marked the mount stuck: it
      // has answered, so later collections ask it again.
      MutexLock s(&shared->mu);
      shared->stuck.erase(path);
      return;
    }
    if (ok) w->results[w->next] = usage;
    if (++w->next == w->paths.size()) {
      w->busy = false;
      w->cv.notify_all();
    }
  }
}

}  // namespace

StatfsRunner::StatfsRunner(StatfsFn fn, std::chrono::milliseconds timeout)
    : shared_(std::make_shared<Shared>(std::move(fn))), timeout_(timeout) {}

StatfsRunner::~StatfsRunner() {
  MutexLock run(&run_mu_);
  if (worker_ == nullptr) return;
  std::lock_guard<std::mutex> l(worker_->mu);
  worker_->abandoned = true;
  worker_->cv.notify_all();
}

void StatfsRunner::Run(const std::vector<std::string>& paths,
                       std::vector<std::optional<FilesystemUsage>>* results) {
  results->assign(paths.size(), std::nullopt);
  MutexLock run(&run_mu_);
  std::vector<size_t> todo;  // indexes of the paths not stuck
  {
    MutexLock s(&shared_->mu);
    for (size_t i = 0; i < paths.size(); ++i) {
      if (shared_->stuck.count(paths[i]) == 0) todo.push_back(i);
    }
  }
  for (size_t pos = 0; pos < todo.size();) {
    if (worker_ == nullptr) {
      worker_ = std::make_shared<Worker>();
      // Detached: a worker stuck in statvfs cannot be joined (docs/adr/0005).
      std::thread(WorkerLoop, shared_, worker_).detach();
    }
    Worker& w = *worker_;
    std::unique_lock<std::mutex> l(w.mu);
    w.paths.clear();
    for (size_t k = pos; k < todo.size(); ++k) w.paths.push_back(paths[todo[k]]);
    w.results.assign(w.paths.size(), std::nullopt);
    w.next = 0;
    w.busy = true;
    w.cv.notify_all();
    // The worker notifies once, when done; each timeout checks that it
    // moved on meanwhile, so only one call making no progress for
    // `timeout` counts as stuck.
    bool stuck = false;
    for (size_t seen = 0; w.busy;) {
      if (!w.cv.wait_for(l, timeout_, [&] { return !w.busy; }) && w.next == seen) {
        stuck = true;
        break;
      }
      seen = w.next;
    }
    const size_t done = w.next;
    for (size_t k = 0; k < done; ++k) (*results)[todo[pos + k]] = w.results[k];
    if (!stuck) break;
    {
      MutexLock s(&shared_->mu);
      shared_->stuck.insert(w.paths[done]);
    }
    w.abandoned = true;  // its thread exits when the call returns
    l.unlock();
    worker_.reset();
    pos += done + 1;
  }
}

std::vector<std::string> StatfsRunner::Stuck() const {
  MutexLock s(&shared_->mu);
  return {shared_->stuck.begin(), shared_->stuck.end()};
}

}  // namespace vigil::collectors::internal
