// Per-thread cell arena; see include/vigil/metrics/internal/cells.h for the
// design and its invariants.
#include "vigil/metrics/internal/cells.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

namespace vigil::metrics::internal {

thread_local constinit ThreadSlab* tls_slab __attribute__((tls_model("initial-exec"))) = nullptr;

std::atomic<int> g_fence_mode{static_cast<int>(FenceMode::kFull)};

namespace {

// Decides the fence mode once: asymmetric when the kernel offers
// MEMBARRIER_CMD_PRIVATE_EXPEDITED and registration succeeds.
void InitFenceMode() {
  static std::once_flag once;
  std::call_once(once, [] {
    const long cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0);
    if (cmds < 0 || (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return;
    if (syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0) != 0) return;
    g_fence_mode.store(static_cast<int>(FenceMode::kAsymmetric), std::memory_order_relaxed);
  });
}

struct Arena {
  std::mutex mu;
  std::atomic<ThreadSlab*> all{nullptr};  // list of every slab, newest first
  std::atomic<uint32_t> n_slabs{0};
  std::vector<ThreadSlab*> free_slabs;    // guarded by mu
  uint32_t next_cell = 0;                 // guarded by mu; bump pointer
  std::map<uint32_t, std::vector<uint32_t>> free_cells;  // guarded by mu; by size
};

Arena& GetArena() {
  static Arena* arena = new Arena();  // never destroyed: slabs outlive statics
  return *arena;
}

void ReleaseSlab(ThreadSlab* slab) {
  Arena& a = GetArena();
  std::lock_guard<std::mutex> lock(a.mu);
  a.free_slabs.push_back(slab);
}

// Returns the slab to the arena when its thread exits.
struct SlabReleaser {
  ThreadSlab* slab = nullptr;
  ~SlabReleaser() {
    if (slab != nullptr) {
      tls_slab = nullptr;
      ReleaseSlab(slab);
    }
  }
};

ThreadSlab* AdoptSlab() {
  InitFenceMode();
  Arena& a = GetArena();
  ThreadSlab* slab = nullptr;
  {
    std::lock_guard<std::mutex> lock(a.mu);
    if (!a.free_slabs.empty()) {
      slab = a.free_slabs.back();
      a.free_slabs.pop_back();
    }
  }
  if (slab == nullptr) {
    slab = new ThreadSlab();
    for (auto& c : slab->chunks) c.store(nullptr, std::memory_order_relaxed);
    ThreadSlab* head = a.all.load(std::memory_order_relaxed);
    do {
      slab->next = head;
    } while (!a.all.compare_exchange_weak(head, slab, std::memory_order_release,
                                          std::memory_order_relaxed));
    a.n_slabs.fetch_add(1, std::memory_order_relaxed);
  }
  thread_local SlabReleaser releaser;
  releaser.slab = slab;
  tls_slab = slab;
  return slab;
}

}  // namespace

ThreadSlab* CurrentSlab() {
  ThreadSlab* slab = tls_slab;
  return slab != nullptr ? slab : AdoptSlab();
}

Cell* SlowChunk(uint32_t chunk) {
  ThreadSlab* slab = CurrentSlab();
  Cell* c = slab->chunks[chunk].load(std::memory_order_relaxed);
  if (c == nullptr) {
    void* mem = std::calloc(kChunkCells, sizeof(Cell));
    if (mem == nullptr) {
      std::fprintf(stderr, "vigil: out of memory allocating a metrics chunk\n");
      std::abort();
    }
    c = static_cast<Cell*>(mem);  // zeroed atomics: valid for uint64_t
    slab->chunks[chunk].store(c, std::memory_order_release);
  }
  return c;
}

void WriterFence() {
  InitFenceMode();
  if (g_fence_mode.load(std::memory_order_relaxed) == static_cast<int>(FenceMode::kAsymmetric) &&
      syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0) == 0) {
    return;
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

ThreadSlab* FirstSlab() { return GetArena().all.load(std::memory_order_acquire); }

uint32_t SlabCount() { return GetArena().n_slabs.load(std::memory_order_relaxed); }

uint32_t AllocateCells(uint32_t n) {
  if (n == 0 || n > kChunkCells) return kNoCell;
  Arena& a = GetArena();
  std::lock_guard<std::mutex> lock(a.mu);
  auto it = a.free_cells.find(n);
  if (it != a.free_cells.end() && !it->second.empty()) {
    uint32_t idx = it->second.back();
    it->second.pop_back();
    return idx;
  }
  uint32_t start = a.next_cell;
  // A record never straddles two chunks, so one chunk pointer covers it.
  if ((start & kChunkMask) + n > kChunkCells) start = (start | kChunkMask) + 1;
  if (static_cast<uint64_t>(start) + n > static_cast<uint64_t>(kMaxChunks) * kChunkCells) {
    return kNoCell;
  }
  a.next_cell = start + n;
  return start;
}

void FreeCells(uint32_t index, uint32_t n) {
  if (index == kNoCell || n == 0) return;
  Arena& a = GetArena();
  for (ThreadSlab* s = FirstSlab(); s != nullptr; s = s->next) {
    Cell* chunk = s->chunks[index >> kChunkShift].load(std::memory_order_acquire);
    if (chunk == nullptr) continue;
    for (uint32_t i = 0; i < n; ++i) {
      chunk[(index & kChunkMask) + i].store(0, std::memory_order_relaxed);
    }
  }
  std::lock_guard<std::mutex> lock(a.mu);
  a.free_cells[n].push_back(index);
}

int64_t FoldCell(uint32_t index) {
  uint64_t sum = 0;  // wrapping: one thread's -1 cancels another's +1
  for (ThreadSlab* s = FirstSlab(); s != nullptr; s = s->next) {
    Cell* chunk = s->chunks[index >> kChunkShift].load(std::memory_order_acquire);
    if (chunk == nullptr) continue;
    sum += chunk[index & kChunkMask].exchange(0, std::memory_order_relaxed);
  }
  return static_cast<int64_t>(sum);
}

double SumCounter(uint32_t index) {
  uint64_t ones = 0;
  double sum = 0;
  for (ThreadSlab* s = FirstSlab(); s != nullptr; s = s->next) {
    Cell* chunk = s->chunks[index >> kChunkShift].load(std::memory_order_acquire);
    if (chunk == nullptr) continue;
    Cell* c = chunk + (index & kChunkMask);
    ones += c[0].load(std::memory_order_relaxed);
    sum += std::bit_cast<double>(c[1].load(std::memory_order_relaxed));
  }
  return static_cast<double>(ones) + sum;
}

void SumRecord(uint32_t index, uint32_t n_counts, uint64_t* counts, double* sum) {
  // Small records are read into a stack buffer; histograms rarely exceed it.
  constexpr uint32_t kStack = 64;
  uint64_t stack_buf[kStack];
  std::vector<uint64_t> heap_buf;
  uint64_t* buf = stack_buf;
  if (n_counts > kStack) {
    heap_buf.resize(n_counts);
    buf = heap_buf.data();
  }
  for (ThreadSlab* s = FirstSlab(); s != nullptr; s = s->next) {
    Cell* chunk = s->chunks[index >> kChunkShift].load(std::memory_order_acquire);
    if (chunk == nullptr) continue;
    Cell* c = chunk + (index & kChunkMask);
    double slab_sum;
    for (int spins = 0;; ++spins) {
      const uint64_t s1 = c[0].load(std::memory_order_acquire);
      if ((s1 & 1) == 0) {
        slab_sum = std::bit_cast<double>(c[1].load(std::memory_order_relaxed));
        for (uint32_t i = 0; i < n_counts; ++i) buf[i] = c[2 + i].load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (c[0].load(std::memory_order_relaxed) == s1) break;
      }
      // The writer finishes within nanoseconds; yield if it was descheduled
      // in the middle of an update.
      if (spins > 64) std::this_thread::yield();
    }
    *sum += slab_sum;
    for (uint32_t i = 0; i < n_counts; ++i) counts[i] += buf[i];
  }
}

}  // namespace vigil::metrics::internal
