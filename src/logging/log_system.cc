#include "logging/log_system.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <thread>

#include "logging/record.h"
#include "logging/ring.h"

namespace vigil::logging {
namespace internal {

// The calling thread's context fields, already encoded (record.h). The hot
// path reads only the trivially initialised pointers (no TLS guard).
std::string& ContextStore() {
  thread_local std::string store;
  return store;
}
thread_local const char* tl_ctx_data = nullptr;
thread_local uint32_t tl_ctx_size = 0;
thread_local uint32_t tl_ctx_count = 0;

// The queues this thread owns, one per LogSystem it has logged to; closed
// when the thread exits so the back end frees them once drained.
struct ThreadRings {
  std::vector<std::pair<uint64_t, std::shared_ptr<Ring>>> rings;
  ~ThreadRings() {
    for (auto& r : rings) r.second->Close();
  }
};
thread_local ThreadRings tl_rings;
// The last (system id, queue) this thread used: the hot path's lookup.
thread_local uint64_t tl_cached_id = 0;
thread_local Ring* tl_cached_ring = nullptr;
// Set on back-end threads: their own lines never wait for a queue.
thread_local bool tl_is_backend = false;
thread_local std::string tl_scratch;

}  // namespace internal

namespace {
std::atomic<uint64_t> next_system_id{1};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

#if defined(__x86_64__)
constexpr bool kHaveTicks = true;
inline uint64_t Ticks() { return __builtin_ia32_rdtsc(); }
#else
constexpr bool kHaveTicks = false;
inline uint64_t Ticks() { return 0; }
#endif

// Converts time-stamp-counter ticks to wall-clock ns: a reference pair
// (ticks, ns) re-taken by the back end at most every second (following
// clock adjustments), and a rate measured over the whole time since start.
class TickClock {
 public:
  TickClock() {
    Pair(&base_ticks_, &base_ns_);
    // A first rate over ~2 ms; Recalibrate refines it.
    uint64_t t;
    int64_t n;
    do {
      Pair(&t, &n);
    } while (n - base_ns_ < 2000000);
    ns_per_tick_ = static_cast<double>(n - base_ns_) / static_cast<double>(t - base_ticks_);
    ref_ticks_ = t;
    ref_ns_ = n;
  }
  int64_t ToNs(uint64_t ticks) const {
    const auto delta = static_cast<int64_t>(ticks - ref_ticks_);
    return ref_ns_ + static_cast<int64_t>(static_cast<double>(delta) * ns_per_tick_);
  }
  void Recalibrate() {
    uint64_t t;
    int64_t n;
    Pair(&t, &n);
    if (n - ref_ns_ < 1000000000) return;
    if (t > base_ticks_ && n > base_ns_) {
      ns_per_tick_ = static_cast<double>(n - base_ns_) / static_cast<double>(t - base_ticks_);
    }
    ref_ticks_ = t;
    ref_ns_ = n;
  }

 private:
  static void Pair(uint64_t* ticks, int64_t* ns) {
    const uint64_t a = Ticks();
    *ns = NowNs();
    const uint64_t b = Ticks();
    *ticks = a + (b - a) / 2;
  }
  uint64_t base_ticks_ = 0;
  int64_t base_ns_ = 0;
  uint64_t ref_ticks_ = 0;
  int64_t ref_ns_ = 0;
  double ns_per_tick_ = 1;
};
}  // namespace

struct LogSystem::Backend {
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  bool wake = false;
  bool stop = false;
  std::atomic<bool> async{false};
  // Set while the back end sleeps longer than backend_poll (nothing to do
  // lately): a producer that drops a line wakes it.
  std::atomic<bool> idle{false};
  size_t max_record = 0;
  // Back-end thread only.
  std::vector<std::shared_ptr<internal::Ring>> snapshot;
  std::vector<uint64_t> ends;
  std::vector<std::pair<int64_t, const char*>> items;
  std::unique_ptr<TickClock> ticks;  // async with a TSC only
};

LogSystem::LogSystem(Options options)
    : id_(next_system_id.fetch_add(1)), options_(std::move(options)),
      backend_(std::make_unique<Backend>()) {
  {
    MutexLock l(&sink_mu_);
    sinks_.push_back(ConsoleSink::Stderr());
    service_name_ = options_.service_name;
  }
  if (options_.queue_bytes < 4096) options_.queue_bytes = 4096;
  internal::Ring probe(options_.queue_bytes);
  backend_->max_record = probe.capacity() / 2;
  if (options_.async) {
    if (kHaveTicks) backend_->ticks = std::make_unique<TickClock>();
    backend_->async.store(true);
    backend_->thread = std::thread([this] { BackendLoop(); });
  }
}

LogSystem::~LogSystem() { Shutdown(); }

void LogSystem::Shutdown() {
  {
    std::lock_guard<std::mutex> l(backend_->mu);
    if (backend_->stop) return;
    backend_->stop = true;
    backend_->wake = true;
  }
  backend_->cv.notify_all();
  if (backend_->thread.joinable()) backend_->thread.join();
  backend_->async.store(false);
  // Lines queued while the back end stopped.
  while (DrainOnce() > 0) {
  }
  MutexLock l(&sink_mu_);
  FlushSinks();
}

Level LogSystem::LevelFor(std::string_view name) const {
  Level level = default_level_;
  size_t best = 0;
  for (const auto& [prefix, l] : overrides_) {
    const bool match = name == prefix || (name.size() > prefix.size() &&
                                          name.substr(0, prefix.size()) == prefix &&
                                          name[prefix.size()] == '.');
    if (match && prefix.size() >= best) {
      best = prefix.size();
      level = l;
    }
  }
  return level;
}

Logger& LogSystem::GetLogger(std::string_view name) {
  MutexLock l(&loggers_mu_);
  auto it = loggers_.find(name);
  if (it != loggers_.end()) return *it->second;
  auto logger = std::unique_ptr<Logger>(new Logger(this, std::string(name), LevelFor(name)));
  Logger& ref = *logger;
  loggers_.emplace(std::string(name), std::move(logger));
  return ref;
}

void LogSystem::SetLevels(Level default_level,
                          std::vector<std::pair<std::string, Level>> overrides) {
  MutexLock l(&loggers_mu_);
  default_level_ = default_level;
  overrides_ = std::move(overrides);
  for (auto& [name, logger] : loggers_) {
    logger->level_.store(LevelFor(name), std::memory_order_relaxed);
  }
}

void LogSystem::SetSinks(std::vector<std::shared_ptr<Sink>> sinks) {
  MutexLock l(&sink_mu_);
  for (auto& s : sinks_) s->Flush();
  sinks_ = std::move(sinks);
}

void LogSystem::AddSink(std::shared_ptr<Sink> sink) {
  MutexLock l(&sink_mu_);
  sinks_.push_back(std::move(sink));
}

void LogSystem::SetServiceName(std::string name) {
  MutexLock l(&sink_mu_);
  service_name_ = std::move(name);
}

internal::Ring* LogSystem::ThreadRing() {
  if (internal::tl_cached_id == id_) return internal::tl_cached_ring;
  return RegisterThread();
}

internal::Ring* LogSystem::RegisterThread() {
  internal::Ring* ring = nullptr;
  for (auto& [id, r] : internal::tl_rings.rings) {
    if (id == id_) ring = r.get();
  }
  if (ring == nullptr) {
    auto r = std::make_shared<internal::Ring>(options_.queue_bytes);
    ring = r.get();
    {
      MutexLock l(&rings_mu_);
      rings_.push_back(r);
    }
    // Forget queues of systems that are gone (their back end closed them).
    auto& mine = internal::tl_rings.rings;
    mine.erase(std::remove_if(mine.begin(), mine.end(),
                              [](const auto& e) { return e.second.use_count() == 1; }),
               mine.end());
    mine.emplace_back(id_, std::move(r));
  }
  internal::tl_cached_id = id_;
  internal::tl_cached_ring = ring;
  return ring;
}

void LogSystem::Submit(const Logger& logger, Level level, std::string_view message,
                       Fields fields) {
  const std::string_view context(internal::tl_ctx_data, internal::tl_ctx_size);
  const auto context_count = static_cast<uint16_t>(internal::tl_ctx_count);
  const size_t size = internal::RecordSize(message, context.size(), fields);
  Backend& b = *backend_;
  if (b.async.load(std::memory_order_relaxed) && size <= b.max_record) {
    const uint64_t ticks = b.ticks != nullptr ? Ticks() : 0;
    const int64_t time = b.ticks != nullptr ? static_cast<int64_t>(ticks) : NowNs();
    internal::Ring* ring = ThreadRing();
    char* p = ring->Reserve(size);
    if (p == nullptr) {
      if (options_.overflow == Overflow::kDrop || internal::tl_is_backend) {
        ring->AddDrop();
        if (b.idle.load(std::memory_order_relaxed) && !internal::tl_is_backend) Wake();
        return;
      }
      Wake();
      for (int spins = 0; p == nullptr; ++spins) {
        if (!b.async.load(std::memory_order_acquire)) break;  // shutting down
        if (spins < 64) {
          std::this_thread::yield();
        } else {
          std::this_thread::sleep_for(std::chrono::microseconds(50));
          Wake();
        }
        p = ring->Reserve(size);
      }
    }
    if (p != nullptr) {
      internal::EncodeRecord(p, size, time, &logger, level, message, context, context_count,
                             fields, b.ticks != nullptr ? internal::kTimeIsTicks : 0);
      ring->Commit();
      // Warnings and errors are not left waiting for an idle back end's
      // next poll (the logger's flush-on-error). The fence pairs with the
      // back end's after it sets `idle`: either it drains this record, or
      // this thread sees `idle` and wakes it.
      if (level >= Level::kWarn) {
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (b.idle.load(std::memory_order_relaxed)) Wake();
      }
      return;
    }
  }
  // Synchronous: format and write on this thread.
  std::string& scratch = internal::tl_scratch;
  scratch.resize(size);
  internal::EncodeRecord(scratch.data(), size, NowNs(), &logger, level, message, context,
                         context_count, fields);
  WriteDirect(scratch.data());
}

// In this file so that Submit is inlined into the one call a log line costs.
void SubmitToSystem(LogSystem* system, const Logger& logger, Level level,
                    std::string_view message, Fields fields) {
  system->Submit(logger, level, message, fields);
}

void LogSystem::WriteDirect(const char* record) {
  MutexLock l(&sink_mu_);
  FormatAndWrite(record);
  FlushSinks();
}

void LogSystem::FlushSinks() {
  uint64_t errors = 0;
  for (auto& s : sinks_) {
    s->Flush();
    errors += s->errors();
  }
  sink_errors_.store(errors, std::memory_order_relaxed);
}

void LogSystem::FormatAndWrite(const char* record) {
  line_.clear();
  internal::FormatRecord(record, service_name_, &line_);
  const Level level = internal::RecordLevel(record);
  for (auto& s : sinks_) s->Write(level, line_);
  written_.fetch_add(1, std::memory_order_relaxed);
}

uint64_t LogSystem::TotalDrops() const {
  uint64_t total = retired_drops_.load(std::memory_order_relaxed);
  MutexLock l(&rings_mu_);
  for (const auto& r : rings_) total += r->dropped();
  return total;
}

void LogSystem::ReportDrops(uint64_t total) {
  if (total <= reported_drops_) return;
  const uint64_t delta = total - reported_drops_;
  reported_drops_ = total;
  Logger& self = GetLogger("vigil.logging");
  const Fields fields = {{"log.dropped", delta}, {"log.dropped_total", total}};
  const std::string_view msg = "log lines dropped: a logging queue was full";
  const size_t size = internal::RecordSize(msg, 0, fields);
  std::string buf(size, '\0');
  internal::EncodeRecord(buf.data(), size, NowNs(), &self, Level::kWarn, msg, {}, 0, fields);
  FormatAndWrite(buf.data());
}

void LogSystem::Wake() {
  {
    std::lock_guard<std::mutex> l(backend_->mu);
    backend_->wake = true;
  }
  backend_->cv.notify_one();
}

size_t LogSystem::DrainOnce() {
  Backend& b = *backend_;
  if (b.ticks != nullptr) b.ticks->Recalibrate();
  {
    MutexLock l(&rings_mu_);
    b.snapshot = rings_;
  }
  b.items.clear();
  b.ends.assign(b.snapshot.size(), 0);
  for (size_t i = 0; i < b.snapshot.size(); ++i) {
    internal::Ring& r = *b.snapshot[i];
    const uint64_t head = r.head();
    uint64_t pos = r.tail();
    while (pos < head) {
      char* rec = r.RecordAt(&pos);
      if (internal::RecordFlags(rec) & internal::kTimeIsTicks) {
        internal::SetRecordTime(
            rec, b.ticks != nullptr ? b.ticks->ToNs(static_cast<uint64_t>(internal::RecordTime(rec)))
                                    : NowNs());
      }
      b.items.emplace_back(internal::RecordTime(rec), rec);
    }
    b.ends[i] = pos;
  }
  std::stable_sort(b.items.begin(), b.items.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  const uint64_t drops = TotalDrops();
  {
    MutexLock l(&sink_mu_);
    for (const auto& item : b.items) FormatAndWrite(item.second);
    ReportDrops(drops);
    if (!b.items.empty()) FlushSinks();
  }
  bool any_closed = false;
  for (size_t i = 0; i < b.snapshot.size(); ++i) {
    b.snapshot[i]->Release(b.ends[i]);
    any_closed = any_closed || b.snapshot[i]->closed();
  }
  if (any_closed) {
    MutexLock l(&rings_mu_);
    auto drained_and_closed = [this](const std::shared_ptr<internal::Ring>& r) {
      if (!r->closed() || r->head() != r->tail()) return false;
      retired_drops_.fetch_add(r->dropped(), std::memory_order_relaxed);
      return true;
    };
    rings_.erase(std::remove_if(rings_.begin(), rings_.end(), drained_and_closed), rings_.end());
  }
  b.snapshot.clear();
  return b.items.size();
}

void LogSystem::BackendLoop() {
  internal::tl_is_backend = true;
  Backend& b = *backend_;
  const auto idle_poll = std::max(options_.backend_poll, options_.backend_idle_poll);
  auto poll = options_.backend_poll;
  for (;;) {
    if (DrainOnce() > 0) {
      if (poll != options_.backend_poll) {
        poll = options_.backend_poll;
        b.idle.store(false, std::memory_order_relaxed);
      }
      continue;
    }
    std::unique_lock<std::mutex> l(b.mu);
    if (b.stop) break;
    b.cv.wait_for(l, poll, [&b] { return b.wake || b.stop; });
    poll = b.wake ? options_.backend_poll : std::min(poll * 2, idle_poll);
    b.idle.store(poll > options_.backend_poll, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // see the producer's
    b.wake = false;
  }
  while (DrainOnce() > 0) {
  }
}

void LogSystem::Flush() {
  if (!backend_->async.load(std::memory_order_acquire)) {
    MutexLock l(&sink_mu_);
    FlushSinks();
    return;
  }
  std::vector<std::pair<std::shared_ptr<internal::Ring>, uint64_t>> targets;
  {
    MutexLock l(&rings_mu_);
    for (const auto& r : rings_) targets.emplace_back(r, r->head());
  }
  for (;;) {
    bool done = true;
    for (const auto& [r, head] : targets) done = done && r->tail() >= head;
    if (done || !backend_->async.load(std::memory_order_acquire)) break;
    Wake();
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

LogStats LogSystem::Stats() const {
  LogStats s;
  s.lines_written = written_.load(std::memory_order_relaxed);
  s.lines_dropped = TotalDrops();
  s.sink_errors = sink_errors_.load(std::memory_order_relaxed);
  return s;
}

LogSystem& DefaultLogSystem() {
  static LogSystem* system = [] {
    auto* s = new LogSystem();  // never destroyed: loggers outlive static destructors
    std::atexit([] { DefaultLogSystem().Shutdown(); });
    return s;
  }();
  return *system;
}

// --- ScopedContext -------------------------------------------------------

ScopedContext::ScopedContext(Fields fields)
    : saved_size_(internal::tl_ctx_size), saved_count_(internal::tl_ctx_count) {
  std::string& store = internal::ContextStore();
  size_t add = 0;
  for (const Field& f : fields) add += internal::EncodedFieldSize(f);
  store.resize(saved_size_ + add);
  char* p = store.data() + saved_size_;
  for (const Field& f : fields) p = internal::EncodeField(f, p);
  internal::tl_ctx_data = store.data();
  internal::tl_ctx_size = static_cast<uint32_t>(store.size());
  internal::tl_ctx_count += static_cast<uint32_t>(fields.size());
}

ScopedContext::~ScopedContext() {
  std::string& store = internal::ContextStore();
  store.resize(saved_size_);
  internal::tl_ctx_data = store.data();
  internal::tl_ctx_size = static_cast<uint32_t>(saved_size_);
  internal::tl_ctx_count = saved_count_;
}

}  // namespace vigil::logging
