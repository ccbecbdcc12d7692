// Per-thread cell arena: the storage behind every Counter, Histogram and
// Summary count/sum, and the reason their hot path is lock-free, free of
// read-modify-write instructions, and immune to false sharing.
//
// Design (RocksDB's per-core statistics and the kernel's percpu counters,
// applied across series):
//  - A series owns a contiguous range of "cell indices" (a counter: integer
//    and fractional increments; a histogram: sequence, sum and buckets; then
//    one reference cell for its handles, see series.h), handed out by
//    AllocateCells().
//  - Every thread that writes a metric owns one ThreadSlab: a directory of
//    8 KiB chunks, lazily allocated, in which cell i lives at
//    chunks[i >> kChunkShift][i & kChunkMask]. The value of cell i is the sum
//    of cell i over all slabs.
//  - Only the owning thread writes its slab, so an update is a relaxed load
//    plus a relaxed store (no lock prefix). Different threads never write the
//    same cache line: their cells live in different chunks.
//  - When a thread exits, its slab (values included) goes to a free list and
//    the next new thread adopts it, so no count is lost and the number of
//    slabs is bounded by the peak number of concurrent writer threads.
//
// Invariants:
//  - A chunk pointer, once published in a slab, never changes; chunks and
//    slabs are never freed (they live as long as the process).
//  - A cell is written only by the thread that currently owns the slab.
//    Ownership moves only through AdoptSlab/ReleaseSlab, which synchronise
//    through the arena mutex, so the new owner sees the old owner's writes.
//  - FreeCells(i, n) zeroes cells [i, i+n) in every slab; it is called only
//    when no handle to the owning series exists any more, so no thread can be
//    writing those cells.
//  - Multi-cell records (histograms) start with a sequence cell: odd while
//    the owning thread is writing (a seqlock with a single writer), so a
//    reader gets a consistent view of each slab's buckets and sum.
//
// Thread safety: thread-safe. Cell updates must be made through CellAt() by
// the calling thread only; reads (Sum*) may come from any thread.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>

namespace vigil::metrics::internal {

inline constexpr uint32_t kChunkShift = 10;
inline constexpr uint32_t kChunkCells = 1u << kChunkShift;  // 8 KiB a chunk
inline constexpr uint32_t kChunkMask = kChunkCells - 1;
inline constexpr uint32_t kMaxChunks = 4096;  // 4 Mi cells in all
inline constexpr uint32_t kNoCell = 0xffffffffu;

using Cell = std::atomic<uint64_t>;

struct ThreadSlab {
  std::atomic<Cell*> chunks[kMaxChunks];
  std::atomic<uint32_t> reading{0};  // see family.cc: big-reader lock
  ThreadSlab* next = nullptr;        // list of all slabs; set before publish
};

// The calling thread's slab, or null before its first metric write.
extern thread_local constinit ThreadSlab* tls_slab
    __attribute__((tls_model("initial-exec")));

// Slow path of CellAt: adopts a slab for this thread and/or allocates the
// chunk. Never fails (allocation failure is fatal).
Cell* SlowChunk(uint32_t chunk);
// The calling thread's slab, adopting one if needed.
ThreadSlab* CurrentSlab();

// The calling thread's cell for `index`. REQUIRES: index < kMaxChunks*kChunkCells.
inline Cell* CellAt(uint32_t index) {
  ThreadSlab* slab = tls_slab;
  Cell* chunk = nullptr;
  if (slab != nullptr) [[likely]] {
    chunk = slab->chunks[index >> kChunkShift].load(std::memory_order_relaxed);
  }
  if (chunk == nullptr) [[unlikely]] chunk = SlowChunk(index >> kChunkShift);
  return chunk + (index & kChunkMask);
}

inline void AddDouble(Cell* c, double v) {
  const double old = std::bit_cast<double>(c->load(std::memory_order_relaxed));
  c->store(std::bit_cast<uint64_t>(old + v), std::memory_order_relaxed);
}
inline void AddOne(Cell* c) {
  c->store(c->load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

// Head of the list of all slabs (acquire), for readers.
ThreadSlab* FirstSlab();

// Reserves n contiguous cells inside one chunk (n <= kChunkCells), zeroed.
// Returns kNoCell when the arena is full.
uint32_t AllocateCells(uint32_t n);
// Returns cells to the arena. See the invariant above.
void FreeCells(uint32_t index, uint32_t n);

// A counter's value: cells [index] (integer increments) and [index+1]
// (fractional increments) summed over all slabs. Inc() adds to the integer
// cell, whose load-add-store chain is shorter than a floating-point add.
double SumCounter(uint32_t index);

// Reads a seqlock-protected record [seq][sum][counts...] of `n_counts`
// counts from every slab and adds them to `counts` and `*sum`.
void SumRecord(uint32_t index, uint32_t n_counts, uint64_t* counts, double* sum);

// Sums cell `index` over all slabs as a signed 64-bit count and zeroes it.
// REQUIRES: no thread can be writing the cell (after a grace period).
int64_t FoldCell(uint32_t index);

// Number of slabs ever created (for tests and memory accounting).
uint32_t SlabCount();

// Asymmetric fences for the families' big-reader lock (a Dekker handshake on
// ThreadSlab::reading and a family's writer flag). Readers, on every lookup,
// pay only a compiler barrier; the rare writer (a new or removed series)
// pays a membarrier(2) system call that makes every running thread of the
// process execute a full fence. Where membarrier's private expedited
// command is unavailable, both sides use a full fence instead.
// REQUIRES: the calling thread has called CurrentSlab() (which decides the
// mode once per process) before ReaderFence().
enum class FenceMode : int { kFull = 0, kAsymmetric = 1 };
extern std::atomic<int> g_fence_mode;
inline void ReaderFence() {
  if (g_fence_mode.load(std::memory_order_relaxed) == static_cast<int>(FenceMode::kAsymmetric)) {
    std::atomic_signal_fence(std::memory_order_seq_cst);
  } else {
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
}
void WriterFence();

}  // namespace vigil::metrics::internal
