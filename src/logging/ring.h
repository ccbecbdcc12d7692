// Internal: a bounded single-producer, single-consumer byte queue of records
// (record.h), one per logging thread.
//
// The producer reserves a contiguous block, writes a record and commits it;
// a record that would straddle the end is preceded by a wrap marker and
// written at the start. Positions grow without bound (64-bit) and are
// reduced modulo the power-of-2 capacity.
//
// Thread safety: one producer thread (Reserve/Commit/AddDrop) and one
// consumer thread (Peek/Release) at a time; closed() and dropped() from any.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>

namespace vigil::logging::internal {

inline constexpr uint32_t kWrapMarker = 0xffffffffu;

class Ring {
 public:
  explicit Ring(size_t capacity) {
    size_t c = 4096;
    while (c < capacity) c <<= 1;
    capacity_ = c;
    mask_ = c - 1;
    buf_ = std::make_unique<char[]>(c);
  }

  size_t capacity() const { return capacity_; }

  // Producer: a block of `n` bytes (a multiple of 8, at most capacity/2), or
  // nullptr when the queue is full.
  char* Reserve(size_t n) {
    uint64_t h = head_.load(std::memory_order_relaxed);
    const size_t pos = h & mask_;
    const size_t to_end = capacity_ - pos;
    const size_t need = to_end < n ? to_end + n : n;
    if (h + need - cached_tail_ > capacity_) {
      cached_tail_ = tail_.load(std::memory_order_acquire);
      if (h + need - cached_tail_ > capacity_) return nullptr;
    }
    if (to_end < n) {
      std::memcpy(buf_.get() + pos, &kWrapMarker, 4);
      h += to_end;
    }
    pending_ = h + n;
    return buf_.get() + (h & mask_);
  }
  void Commit() { head_.store(pending_, std::memory_order_release); }
  void AddDrop() {
    dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // Consumer: the committed range [tail, head).
  uint64_t head() const { return head_.load(std::memory_order_acquire); }
  uint64_t tail() const { return tail_.load(std::memory_order_relaxed); }
  // The record at position `pos` (skipping a wrap marker), and the position
  // after it.
  char* RecordAt(uint64_t* pos) {
    size_t off = *pos & mask_;
    uint32_t size;
    std::memcpy(&size, buf_.get() + off, 4);
    if (size == kWrapMarker) {
      *pos += capacity_ - off;
      off = 0;
      std::memcpy(&size, buf_.get(), 4);
    }
    char* r = buf_.get() + off;
    *pos += size;
    return r;
  }
  void Release(uint64_t pos) { tail_.store(pos, std::memory_order_release); }

  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  void Close() { closed_.store(true, std::memory_order_release); }

 private:
  size_t capacity_;
  size_t mask_;
  std::unique_ptr<char[]> buf_;
  alignas(64) std::atomic<uint64_t> head_{0};
  uint64_t pending_ = 0;      // producer only
  uint64_t cached_tail_ = 0;  // producer only
  std::atomic<uint64_t> dropped_{0};
  alignas(64) std::atomic<uint64_t> tail_{0};
  std::atomic<bool> closed_{false};
};

}  // namespace vigil::logging::internal
