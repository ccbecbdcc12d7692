#include "remote/wal_watcher.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <iostream>

#include "base/status_macros.h"
#include "tsdb/record.h"
#include "tsdb/wal/wal.h"

namespace vigil::remote {
namespace fs = std::filesystem;
namespace wal = tsdb::wal;
namespace record = tsdb::record;

namespace {

constexpr std::string_view kCheckpointPrefix = "checkpoint.";

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string ParentDir(const std::string& dir) {
  fs::path p(dir);
  while (!p.empty() && p.filename().empty()) p = p.parent_path();
  p = p.parent_path();
  return p.empty() ? std::string(".") : p.string();
}

// Series labels with the external labels a series lacks, sorted by name.
LabelPairs WithExternal(record::Labels labels, const LabelPairs& external) {
  std::sort(labels.begin(), labels.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  if (external.empty()) return labels;
  LabelPairs out;
  out.reserve(labels.size() + external.size());
  size_t i = 0, j = 0;
  while (i < labels.size() || j < external.size()) {
    if (j == external.size() ||
        (i < labels.size() && labels[i].first < external[j].first)) {
      out.push_back(std::move(labels[i++]));
    } else if (i == labels.size() || external[j].first < labels[i].first) {
      out.push_back(external[j++]);
    } else {  // same name: the series' own value wins
      out.push_back(std::move(labels[i++]));
      ++j;
    }
  }
  return out;
}

}  // namespace

WalWatcher::WalWatcher(WalWatcherOptions options, WalConsumer* consumer)
    : options_(std::move(options)),
      checkpoint_dir_(options_.checkpoint_dir.empty()
                          ? ParentDir(options_.wal_dir)
                          : options_.checkpoint_dir),
      external_labels_(options_.external_labels),
      consumer_(consumer),
      metrics_(options_.metrics) {
  std::sort(external_labels_.begin(), external_labels_.end());
  // Empty values mean "no label", as everywhere in vigil.
  std::erase_if(external_labels_,
                [](const auto& l) { return l.second.empty(); });
}

WalWatcher::~WalWatcher() { Stop(); }

void WalWatcher::Log(const std::string& msg) const {
  const std::string line = "remote write " + options_.name + ": " + msg;
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << line << "\n";
  }
}

std::string WalWatcher::SegmentPath(int index) const {
  return options_.wal_dir + "/" + wal::SegmentName(index);
}

void WalWatcher::SetReadPosition(WalPosition p) {
  MutexLock lock(&mu_);
  read_position_ = p;
}

WalPosition WalWatcher::read_position() const {
  MutexLock lock(&mu_);
  return read_position_;
}

size_t WalWatcher::num_series() const {
  return num_series_.load(std::memory_order_relaxed);
}

uint64_t WalWatcher::BacklogBytes() const {
  const WalPosition pos = read_position();
  uint64_t total = 0;
  for (int seg = pos.segment;; ++seg) {
    struct stat st;
    if (::stat(SegmentPath(seg).c_str(), &st) != 0) break;
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    total += seg == pos.segment ? size - std::min(size, pos.offset) : size;
  }
  return total;
}

void WalWatcher::Start(WatchStart start) {
  {
    MutexLock lock(&mu_);
    if (started_) return;
    started_ = true;
  }
  start_ = std::move(start);
  if (!start_.progress && !start_.from_beginning) {
    // "The end" is now, not when the thread gets going.
    Result<wal::SegmentRange> segs = wal::ListSegments(options_.wal_dir);
    if (segs.ok() && segs->first <= segs->last) {
      struct stat st;
      if (::stat(SegmentPath(segs->last).c_str(), &st) == 0) {
        start_end_ = WalPosition{segs->last, static_cast<uint64_t>(st.st_size)};
      }
    }
  }
  thread_ = std::jthread([this](std::stop_token st) { Run(st); });
}

void WalWatcher::RequestDrain() {
  drain_.store(true);
  MutexLock lock(&mu_);
  cv_.notify_all();
}

bool WalWatcher::WaitDone(std::chrono::steady_clock::time_point deadline) {
  MutexLock lock(&mu_);
  if (!started_) return true;
  return cv_.wait_until(mu_, deadline, [this]() VIGIL_NO_THREAD_SAFETY_ANALYSIS {
    return done_;
  });
}

void WalWatcher::Stop() {
  MutexLock stop_lock(&stop_mu_);
  if (thread_.joinable()) {
    thread_.request_stop();
    {
      MutexLock lock(&mu_);
      cv_.notify_all();
    }
    thread_.join();
  }
}

void WalWatcher::Sleep(std::stop_token stop, std::chrono::milliseconds d) {
  MutexLock lock(&mu_);
  cv_.wait_for(mu_, stop, d, [this]() { return drain_.load(); });
}

void WalWatcher::Run(std::stop_token stop) {
  bool ready = false;
  while (!stop.stop_requested()) {
    Status s = Init(stop);
    if (s.ok()) {
      ready = true;
      break;
    }
    if (stop.stop_requested()) break;
    Log(s.ToString() + "; retrying");
    if (drain_.load()) break;
    Sleep(stop, std::max(options_.poll_interval, std::chrono::milliseconds(1000)));
  }
  if (ready) Tail(stop);
  MutexLock lock(&mu_);
  done_ = true;
  cv_.notify_all();
}

std::vector<int> WalWatcher::ListCheckpoints() const {
  std::vector<int> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(checkpoint_dir_, ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() < kCheckpointPrefix.size() + 8 ||
        name.compare(0, kCheckpointPrefix.size(), kCheckpointPrefix) != 0) {
      continue;
    }
    const std::string_view digits =
        std::string_view(name).substr(kCheckpointPrefix.size());
    int idx = 0;
    auto [p, err] =
        std::from_chars(digits.data(), digits.data() + digits.size(), idx);
    if (err == std::errc() && p == digits.data() + digits.size()) {
      out.push_back(idx);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void WalWatcher::StoreSeries(std::string_view rec, int seen) {
  Result<std::vector<record::RefSeries>> series = record::DecodeSeries(rec);
  if (!series.ok()) {
    metrics_.decode_failures.Inc();
    Log("cannot decode a series record: " + series.status().ToString());
    return;
  }
  for (record::RefSeries& s : *series) {
    SeriesSlot& slot = series_[s.ref];
    auto labels = std::make_shared<const LabelPairs>(
        WithExternal(std::move(s.labels), external_labels_));
    if (slot.labels == nullptr || *slot.labels != *labels) {
      slot.labels = std::move(labels);
    }
    slot.last_seen = std::max(slot.last_seen, seen);
  }
  num_series_.store(series_.size(), std::memory_order_relaxed);
}

Status WalWatcher::ReadCheckpointSeries(int index) {
  const std::string dir =
      checkpoint_dir_ + "/" + std::string(kCheckpointPrefix) +
      wal::SegmentName(index);
  VIGIL_ASSIGN_OR_RETURN(wal::SegmentRange r, wal::ListSegments(dir));
  VIGIL_ASSIGN_OR_RETURN(auto reader, wal::Reader::Open(dir, r.first, r.last));
  while (reader->Next()) {
    if (record::GetType(reader->record()) == record::Type::kSeries) {
      StoreSeries(reader->record(), index);
    }
  }
  return reader->status();
}

Status WalWatcher::Init(std::stop_token stop) {
  VIGIL_ASSIGN_OR_RETURN(wal::SegmentRange segs,
                         wal::ListSegments(options_.wal_dir));
  if (segs.first > segs.last) {
    return UnavailableError("no WAL segments in " + options_.wal_dir);
  }
  WalPosition pos;
  bool quiet = false;
  std::optional<Progress> resume = start_.progress;
  if (!resume && start_end_) {
    resume = Progress{*start_end_, 0};
    quiet = true;
  }
  if (resume) {
    const Progress& p = *resume;
    if (p.position.segment < segs.first) {
      const int lost = segs.first - p.position.segment;
      Log("WAL segments " + wal::SegmentName(p.position.segment) + " to " +
          wal::SegmentName(segs.first - 1) +
          " were deleted by a checkpoint before they were sent; their "
          "samples are lost (" +
          std::to_string(lost) + " segments). Continuing at segment " +
          wal::SegmentName(segs.first));
      metrics_.segments_lost.Inc(static_cast<double>(lost));
      pos = {segs.first, 0};
    } else if (p.position.segment > segs.last) {
      Log("the saved position (" + PositionString(p.position) +
          ") is past the WAL's last segment " + wal::SegmentName(segs.last) +
          ": the WAL was replaced or repaired; sending it from segment " +
          wal::SegmentName(segs.first));
      pos = {segs.first, 0};
    } else {
      VIGIL_ASSIGN_OR_RETURN(uint64_t fp,
                             SegmentFingerprint(SegmentPath(p.position.segment)));
      if (p.position.offset > 0 && p.segment_fingerprint != 0 &&
          fp != p.segment_fingerprint) {
        Log("segment " + wal::SegmentName(p.position.segment) +
            " is not the one the saved position was taken in (the WAL was "
            "replaced); sending the WAL from segment " +
            wal::SegmentName(segs.first));
        pos = {segs.first, 0};
      } else {
        pos = p.position;
      }
    }
  } else if (start_.from_beginning) {
    pos = {segs.first, 0};
  } else {  // no WAL at Start(): everything is new
    pos = {segs.first, 0};
  }
  VIGIL_RETURN_IF_ERROR(LoadSeries(stop, &pos, quiet));
  segment_ = pos.segment;
  Result<uint64_t> fp = SegmentFingerprint(SegmentPath(segment_));
  fingerprint_ = fp.ok() ? *fp : 0;
  VIGIL_ASSIGN_OR_RETURN(reader_,
                         SegmentReader::Open(SegmentPath(segment_), pos.offset));
  SetReadPosition(pos);
  metrics_.current_segment.Set(segment_);
  Log("reading the WAL from " + PositionString(pos) + " (" +
      std::to_string(series_.size()) + " series known)");
  return Status::OK();
}

Status WalWatcher::LoadSeries(std::stop_token stop, WalPosition* pos,
                              bool quiet) {
  // The checkpoint: the newest at or before the start segment; failing
  // that (checkpointing is between writing a newer one and truncating the
  // WAL), the oldest there is.
  int ckpt = -1;
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::vector<int> cps = ListCheckpoints();
    ckpt = -1;
    for (int c : cps) {
      if (c <= pos->segment) ckpt = c;
    }
    if (ckpt < 0 && !cps.empty()) ckpt = cps.front();
    if (ckpt < 0) break;
    Status s = ReadCheckpointSeries(ckpt);
    if (s.ok()) break;
    Log("reading checkpoint " + wal::SegmentName(ckpt) + ": " + s.ToString() +
        (attempt < 4 ? "; trying again" : "; going on without it"));
    ckpt = -1;
  }
  if (ckpt >= 0 && ckpt <= pos->segment) gc_checkpoint_ = ckpt;

  VIGIL_ASSIGN_OR_RETURN(wal::SegmentRange segs,
                         wal::ListSegments(options_.wal_dir));
  int from = segs.first;
  if (ckpt >= 0 && ckpt <= pos->segment) from = std::max(from, ckpt);
  for (int seg = from; seg <= pos->segment; ++seg) {
    if (stop.stop_requested()) return CancelledError("stopped");
    Result<std::unique_ptr<SegmentReader>> r =
        SegmentReader::Open(SegmentPath(seg), 0);
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kNotFound) continue;  // truncated
      return r.status();
    }
    SegmentReader& reader = **r;
    const bool last = seg == pos->segment;
    uint64_t record_start = 0;
    while (true) {
      if (last && reader.offset() >= pos->offset) break;
      record_start = reader.offset();
      if (reader.Next() != SegmentReader::Outcome::kRecord) break;
      if (record::GetType(reader.record()) == record::Type::kSeries) {
        StoreSeries(reader.record(), seg);
      }
    }
    if (!last) continue;
    if (reader.offset() > pos->offset) {
      if (!quiet) {
        Log("the saved offset " + std::to_string(pos->offset) +
            " is inside a record of segment " + wal::SegmentName(seg) +
            "; resending from that record's start " +
            std::to_string(record_start));
      }
      pos->offset = record_start;
    } else if (reader.offset() < pos->offset) {
      if (!quiet) {
        Log("segment " + wal::SegmentName(seg) + " ends at " +
            std::to_string(reader.offset()) + ", before the saved offset " +
            std::to_string(pos->offset) +
            " (its tail was repaired away); continuing at its end");
      }
      pos->offset = reader.offset();
    }
  }
  return Status::OK();
}

void WalWatcher::MaybeCollectSeries() {
  int newest = -1;
  for (int c : ListCheckpoints()) {
    if (c <= segment_) newest = c;
  }
  if (newest <= gc_checkpoint_) return;
  Status s = ReadCheckpointSeries(newest);
  if (!s.ok()) {
    // Deleted by a newer checkpoint meanwhile: that one is used next time.
    Log("reading checkpoint " + wal::SegmentName(newest) + ": " +
        s.ToString());
    return;
  }
  gc_checkpoint_ = newest;
  std::erase_if(series_,
                [newest](const auto& kv) { return kv.second.last_seen < newest; });
  num_series_.store(series_.size(), std::memory_order_relaxed);
}

void WalWatcher::Advance() {
  reader_.reset();
  int next = segment_ + 1;
  if (!FileExists(SegmentPath(next))) {
    Result<wal::SegmentRange> segs = wal::ListSegments(options_.wal_dir);
    if (segs.ok() && segs->first > next) {
      const int lost = segs->first - next;
      Log("WAL segments " + wal::SegmentName(next) + " to " +
          wal::SegmentName(segs->first - 1) +
          " were deleted by a checkpoint before they were read; their "
          "samples are lost (" +
          std::to_string(lost) + " segments)");
      metrics_.segments_lost.Inc(static_cast<double>(lost));
      next = segs->first;
      // Series first logged in the lost segments are in the checkpoint.
      for (int c : ListCheckpoints()) {
        if (c <= next && ReadCheckpointSeries(c).ok()) gc_checkpoint_ = c;
      }
    }
  }
  segment_ = next;
  fingerprint_ = 0;
  SetReadPosition({segment_, 0});
  metrics_.current_segment.Set(segment_);
  MaybeCollectSeries();
}

bool WalWatcher::Process(std::string_view rec, std::stop_token stop) {
  if (fingerprint_ == 0) {
    Result<uint64_t> fp = SegmentFingerprint(SegmentPath(segment_));
    if (fp.ok()) fingerprint_ = *fp;
  }
  const Progress end{{segment_, reader_->offset()}, fingerprint_};
  buf_.clear();
  switch (record::GetType(rec)) {
    case record::Type::kSeries:
      metrics_.series_records.Inc();
      StoreSeries(rec, segment_);
      break;
    case record::Type::kSamples: {
      metrics_.samples_records.Inc();
      Result<std::vector<record::RefSample>> samples =
          record::DecodeSamples(rec);
      if (!samples.ok()) {
        metrics_.decode_failures.Inc();
        Log("cannot decode a samples record at " + PositionString(end.position) +
            ": " + samples.status().ToString());
        break;
      }
      buf_.reserve(samples->size());
      size_t unknown = 0;
      const SeriesSlot* last = nullptr;
      uint64_t last_ref = 0;
      for (const record::RefSample& s : *samples) {
        if (last == nullptr || last_ref != s.ref) {
          auto it = series_.find(s.ref);
          last = it == series_.end() ? nullptr : &it->second;
          last_ref = s.ref;
        }
        if (last == nullptr) {
          ++unknown;
          continue;
        }
        buf_.push_back({last->labels, s.ref, s.t, s.v});
      }
      if (unknown > 0) {
        metrics_.samples_dropped.Inc(static_cast<double>(unknown));
        if (unknown_logged_segment_ != static_cast<uint64_t>(segment_)) {
          unknown_logged_segment_ = static_cast<uint64_t>(segment_);
          Log("dropped " + std::to_string(unknown) +
              " samples of series with no series record at " +
              PositionString(end.position) +
              " (logged once per segment; counted in "
              "prometheus_remote_storage_samples_dropped_total)");
        }
      }
      break;
    }
    default:
      metrics_.unknown_records.Inc();
      break;
  }
  const bool ok = consumer_->Consume(buf_, end, stop);
  buf_.clear();
  SetReadPosition(end.position);
  return ok;
}

void WalWatcher::Tail(std::stop_token stop) {
  using Outcome = SegmentReader::Outcome;
  while (!stop.stop_requested()) {
    if (reader_ == nullptr) {
      Result<std::unique_ptr<SegmentReader>> r =
          SegmentReader::Open(SegmentPath(segment_), read_position().offset);
      if (!r.ok()) {
        Result<wal::SegmentRange> segs = wal::ListSegments(options_.wal_dir);
        if (r.status().code() == StatusCode::kNotFound && segs.ok() &&
            segs->first > segment_) {
          // Truncated before we opened it: Advance() handles the gap.
          --segment_;
          Advance();
          continue;
        }
        Log(r.status().ToString() + "; retrying");
        if (drain_.load()) return;
        Sleep(stop, std::chrono::milliseconds(1000));
        continue;
      }
      reader_ = std::move(r).value();
    }
    // Checked before reading: a segment is final once the next exists, or
    // once it was deleted (truncation only removes segments before the
    // one being written).
    const bool closed = FileExists(SegmentPath(segment_ + 1)) ||
                        !FileExists(SegmentPath(segment_));
    Outcome o;
    while ((o = reader_->Next()) == Outcome::kRecord) {
      if (!Process(reader_->record(), stop)) return;
      if (stop.stop_requested()) return;
    }
    switch (o) {
      case Outcome::kRecord:
        break;
      case Outcome::kEnd:
        if (closed) {
          Advance();
          continue;
        }
        break;
      case Outcome::kPartial:
      case Outcome::kCorrupt:
        if (closed) {
          Log("segment " + wal::SegmentName(segment_) + " is damaged at offset " +
              std::to_string(reader_->offset()) + ": " + reader_->reason() +
              "; skipping the rest of it");
          Advance();
          continue;
        }
        break;  // the writer is mid-record: retry at the next poll
      case Outcome::kError:
        Log(reader_->status().ToString() + "; reopening");
        reader_.reset();
        break;
    }
    if (drain_.load()) return;
    Sleep(stop, options_.poll_interval);
  }
}

}  // namespace vigil::remote
