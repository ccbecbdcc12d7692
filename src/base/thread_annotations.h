// Clang thread-safety annotations (no-ops on other compilers), and vigil::Mutex,
// a std::mutex marked as a capability so -Wthread-safety checks VIGIL_GUARDED_BY.
//
// Thread safety: Mutex is thread-safe (it is the lock).
#pragma once

#include <mutex>

#if defined(__clang__)
#define VIGIL_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define VIGIL_THREAD_ANNOTATION_(x)
#endif

#define VIGIL_CAPABILITY(x) VIGIL_THREAD_ANNOTATION_(capability(x))
#define VIGIL_SCOPED_CAPABILITY VIGIL_THREAD_ANNOTATION_(scoped_lockable)
#define VIGIL_GUARDED_BY(x) VIGIL_THREAD_ANNOTATION_(guarded_by(x))
#define VIGIL_PT_GUARDED_BY(x) VIGIL_THREAD_ANNOTATION_(pt_guarded_by(x))
#define VIGIL_REQUIRES(...) VIGIL_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#define VIGIL_ACQUIRE(...) VIGIL_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define VIGIL_RELEASE(...) VIGIL_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
#define VIGIL_EXCLUDES(...) VIGIL_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
#define VIGIL_NO_THREAD_SAFETY_ANALYSIS VIGIL_THREAD_ANNOTATION_(no_thread_safety_analysis)

namespace vigil {

class VIGIL_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  void Lock() VIGIL_ACQUIRE() { mu_.lock(); }
  void Unlock() VIGIL_RELEASE() { mu_.unlock(); }
  // For std::condition_variable_any and std::scoped_lock.
  void lock() VIGIL_ACQUIRE() { mu_.lock(); }
  void unlock() VIGIL_RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

class VIGIL_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) VIGIL_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() VIGIL_RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace vigil
