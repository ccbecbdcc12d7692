#include "tsdb/db.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "base/coding.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "tsdb/record.h"
#include "tsdb/wal/wal.h"

namespace vigil::tsdb {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kChunkMagic = "VGCHUNK1";
constexpr std::string_view kCheckpointPrefix = "checkpoint.";
// Records in a checkpoint hold at most this many series or samples.
constexpr size_t kRecordBatch = 8192;
// Bytes a checkpoint buffers before it writes them out.
constexpr size_t kFlushBytes = 1 << 20;

std::string Num8(int n) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08d", n);
  return buf;
}

// Parses the 8-digit index at the end of a name with the given prefix.
bool ParseIndex(std::string_view name, std::string_view prefix, int* out) {
  if (name.substr(0, prefix.size()) != prefix) return false;
  name.remove_prefix(prefix.size());
  if (name.size() != 8) return false;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), *out);
  return ec == std::errc() && p == name.data() + name.size();
}

uint32_t Crc(std::string_view data) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(data.data()),
            static_cast<uInt>(data.size())));
}

// Appends `labels` as one series of a Series record.
void AppendSeries(uint64_t ref, const model::Labels& labels, std::string* rec) {
  record::AppendSeriesHeader(ref, labels.size(), rec);
  for (model::LabelRef l : labels) {
    record::AppendSeriesLabel(l.name, l.value, rec);
  }
}

model::Labels FromRecordLabels(record::Labels l) {
  return model::Labels::FromPairs(std::move(l));
}

// Writes a chunk file in pieces: entries are buffered up to kFlushBytes,
// the file is created on the first entry as <path>.tmp, and Finish() syncs
// it and renames it into place. An unfinished file is removed.
class ChunkFileWriter {
 public:
  explicit ChunkFileWriter(std::string path)
      : path_(std::move(path)), tmp_(path_ + ".tmp") {}
  ChunkFileWriter(const ChunkFileWriter&) = delete;
  ChunkFileWriter& operator=(const ChunkFileWriter&) = delete;
  ~ChunkFileWriter() {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(tmp_.c_str());
    }
  }

  Status Add(uint64_t ref, std::span<const uint8_t> chunk) {
    if (fd_ < 0) {
      VIGIL_ASSIGN_OR_RETURN(fd_, OpenFile(tmp_, O_WRONLY | O_CREAT | O_TRUNC));
      buf_.assign(kChunkMagic);
    }
    const size_t start = buf_.size();
    PutUvarint(&buf_, ref);
    PutLengthPrefixed(&buf_, std::string_view(reinterpret_cast<const char*>(
                                                  chunk.data()),
                                              chunk.size()));
    PutFixed32(&buf_, Crc(std::string_view(buf_).substr(start)));
    ++entries_;
    if (buf_.size() >= kFlushBytes) {
      VIGIL_RETURN_IF_ERROR(WriteAll(fd_, buf_, tmp_));
      buf_.clear();
    }
    return Status::OK();
  }

  bool empty() const { return entries_ == 0; }

  // REQUIRES: !empty().
  Status Finish() {
    VIGIL_RETURN_IF_ERROR(WriteAll(fd_, buf_, tmp_));
    buf_ = std::string();
    VIGIL_RETURN_IF_ERROR(FsyncFile(fd_, tmp_));
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
      const int err = errno;
      ::unlink(tmp_.c_str());
      return ErrnoError("close", tmp_, err);
    }
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp_.c_str());
      return ErrnoError("rename", tmp_, err);
    }
    return SyncDir(fs::path(path_).parent_path().string());
  }

 private:
  const std::string path_;
  const std::string tmp_;
  int fd_ = -1;
  std::string buf_;
  size_t entries_ = 0;
};

uint64_t DirBytes(const std::string& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code ec2;
    if (it->is_regular_file(ec2)) total += it->file_size(ec2);
  }
  return total;
}

}  // namespace

// The head's CommitLog: series and samples records into the WAL.
class Db::WalLog final : public CommitLog {
 public:
  explicit WalLog(wal::Wal* wal) : wal_(wal) {}

  Status Log(std::span<const MemSeries* const> new_series,
             std::span<const Sample> samples) override {
    std::string recs[2];
    std::string_view views[2];
    size_t n = 0;
    if (!new_series.empty()) {
      size_t bytes = 1;
      for (const MemSeries* s : new_series) {
        bytes += 12 + s->labels.bytes().size() + s->labels.size() * 2;
      }
      recs[n].reserve(bytes);
      record::StartSeriesRecord(&recs[n]);
      for (const MemSeries* s : new_series) {
        AppendSeries(s->ref, s->labels, &recs[n]);
      }
      views[n] = recs[n];
      ++n;
    }
    if (!samples.empty()) {
      recs[n] = record::EncodeSamples(samples);
      views[n] = recs[n];
      ++n;
    }
    if (n == 0) return Status::OK();
    return wal_->Log(std::span<const std::string_view>(views, n));
  }

 private:
  wal::Wal* const wal_;
};

Db::Db(const DbOptions& options, std::string dir)
    : options_(options), dir_(std::move(dir)) {}

Db::~Db() {
  Status s = Close();
  if (!s.ok()) Warn("tsdb: close: " + s.ToString());
}

void Db::Warn(std::string_view msg) const {
  if (options_.warning_sink) {
    options_.warning_sink(msg);
  } else {
    std::cerr << msg << "\n";
  }
}

Result<std::unique_ptr<Db>> Db::Open(const DbOptions& options,
                                     std::string dir) {
  if (options.retention.count() < 0 || options.wal_fsync_interval.count() < 0 ||
      options.checkpoint_interval.count() < 0 ||
      options.retention_interval.count() < 0) {
    return InvalidArgumentError("tsdb: durations must not be negative");
  }
  if (options.samples_per_chunk < 2) {
    return InvalidArgumentError("tsdb: samples_per_chunk must be at least 2");
  }
  std::unique_ptr<Db> db(new Db(options, std::move(dir)));
  VIGIL_RETURN_IF_ERROR(db->Recover());
  // Chunk files may hold chunks that expired since they were written.
  VIGIL_RETURN_IF_ERROR(db->ApplyRetention());
  if (options.checkpoint_interval.count() > 0 ||
      options.retention_interval.count() > 0) {
    db->background_ =
        std::jthread([p = db.get()](std::stop_token st) { p->Background(st); });
  }
  return db;
}

Status Db::Recover() {
  const auto start = std::chrono::steady_clock::now();
  VIGIL_RETURN_IF_ERROR(MakeDirs(dir_ + "/chunks"));

  // Leftovers of an interrupted checkpoint are incomplete by construction.
  int checkpoint = -1;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    std::string name = e.path().filename().string();
    int idx;
    if (name.size() > 4 && name.ends_with(".tmp")) {
      fs::remove_all(e.path(), ec);
    } else if (ParseIndex(name, kCheckpointPrefix, &idx)) {
      checkpoint = std::max(checkpoint, idx);
    }
  }
  if (ec) return InternalError("tsdb: list " + dir_ + ": " + ec.message());
  std::vector<int> chunk_files;
  for (const auto& e : fs::directory_iterator(dir_ + "/chunks", ec)) {
    std::string name = e.path().filename().string();
    int idx;
    if (name.ends_with(".tmp")) {
      fs::remove(e.path(), ec);
    } else if (ParseIndex(name, "", &idx)) {
      chunk_files.push_back(idx);
    }
  }
  std::sort(chunk_files.begin(), chunk_files.end());
  next_chunk_file_ = chunk_files.empty() ? 0 : chunk_files.back() + 1;

  wal::WalOptions wo;
  wo.fsync_interval = options_.wal_fsync_interval;
  wo.segment_size_bytes = options_.wal_segment_size_bytes;
  wo.warning_sink = [this](std::string_view m) { Warn(m); };
  VIGIL_ASSIGN_OR_RETURN(wal_, wal::Wal::Open(wo, dir_ + "/wal"));
  log_ = std::make_unique<WalLog>(wal_.get());
  head_ = std::make_unique<Head>(
      HeadOptions{.samples_per_chunk = options_.samples_per_chunk},
      log_.get());

  // Segments to replay: from the checkpoint's index on.
  wal::SegmentRange segs = wal_->Segments();
  int from = segs.first;
  if (checkpoint >= 0) {
    if (checkpoint > segs.first) from = checkpoint;
    if (segs.first > checkpoint) {
      Warn("tsdb: WAL segments " + Num8(checkpoint) + " to " +
           Num8(segs.first - 1) +
           " after the checkpoint are missing; their samples are lost");
    }
  }
  const std::string ckpt_dir =
      checkpoint >= 0 ? dir_ + "/" + std::string(kCheckpointPrefix) +
                            Num8(checkpoint)
                      : "";
  recovery_.checkpoint = checkpoint;

  // Reads every record of the checkpoint, then of the WAL, into fn.
  auto for_each_record = [&](const std::function<Status(std::string_view)>&
                                 fn) -> Status {
    if (!ckpt_dir.empty()) {
      VIGIL_ASSIGN_OR_RETURN(wal::SegmentRange cr,
                             wal::ListSegments(ckpt_dir));
      VIGIL_ASSIGN_OR_RETURN(auto r,
                             wal::Reader::Open(ckpt_dir, cr.first, cr.last));
      while (r->Next()) VIGIL_RETURN_IF_ERROR(fn(r->record()));
      if (!r->status().ok()) {
        return DataLossError("tsdb: checkpoint " + ckpt_dir + ": " +
                             r->status().ToString());
      }
    }
    if (from <= segs.last) {
      VIGIL_ASSIGN_OR_RETURN(auto r,
                             wal::Reader::Open(dir_ + "/wal", from, segs.last));
      while (r->Next()) VIGIL_RETURN_IF_ERROR(fn(r->record()));
      // Open repaired the tail, so a failure here is real damage.
      VIGIL_RETURN_IF_ERROR(r->status());
    }
    return Status::OK();
  };

  // Pass 1: series, so chunk files can be attached to them.
  VIGIL_RETURN_IF_ERROR(for_each_record([&](std::string_view rec) -> Status {
    ++recovery_.wal_records;
    if (record::GetType(rec) != record::Type::kSeries) return Status::OK();
    VIGIL_ASSIGN_OR_RETURN(auto series, record::DecodeSeries(rec));
    for (auto& s : series) {
      auto r = head_->RestoreSeries(s.ref, FromRecordLabels(std::move(s.labels)));
      if (!r.ok()) Warn("tsdb: replay: " + r.status().ToString());
    }
    return Status::OK();
  }));

  // Pass 2: chunk files, oldest first.
  uint64_t unknown_chunks = 0;
  for (int idx : chunk_files) {
    const std::string path = dir_ + "/chunks/" + Num8(idx);
    VIGIL_ASSIGN_OR_RETURN(std::string data, ReadFile(path));
    std::string_view in = data;
    if (in.substr(0, kChunkMagic.size()) != kChunkMagic) {
      Warn("tsdb: " + path + ": not a chunk file (bad magic); skipped");
      continue;
    }
    in.remove_prefix(kChunkMagic.size());
    int64_t file_maxt = INT64_MIN;
    while (!in.empty()) {
      const size_t offset = data.size() - in.size();
      std::string_view entry_start = in;
      uint64_t ref = 0;
      std::string_view bytes;
      uint32_t crc = 0;
      bool ok = GetUvarint(&in, &ref) && GetLengthPrefixed(&in, &bytes);
      size_t body = entry_start.size() - in.size();
      ok = ok && GetFixed32(&in, &crc) && crc == Crc(entry_start.substr(0, body));
      auto chunk = ok ? chunkenc::XorChunk::FromBytes(
                            std::vector<uint8_t>(bytes.begin(), bytes.end()))
                      : Result<chunkenc::XorChunk>(DataLossError("entry"));
      if (!chunk.ok()) {
        Warn("tsdb: " + path + ": corrupt chunk entry at offset " +
             std::to_string(offset) + "; the rest of the file is skipped");
        break;
      }
      file_maxt = std::max(file_maxt, chunk.value().max_time());
      auto s = head_->Lookup(ref);
      if (s == nullptr) {
        ++unknown_chunks;
        continue;
      }
      Status st = head_->RestoreChunk(s.get(), std::move(chunk).value(),
                                      /*persisted=*/true);
      if (!st.ok()) {
        Warn("tsdb: " + path + ": " + st.ToString());
        continue;
      }
      ++recovery_.chunks;
    }
    chunk_files_[idx] = ChunkFile{file_maxt};
  }
  if (unknown_chunks > 0) {
    Warn("tsdb: " + std::to_string(unknown_chunks) +
         " chunks in chunk files belong to series no longer known; skipped");
  }

  // Pass 3: samples.
  uint64_t unknown = 0;
  VIGIL_RETURN_IF_ERROR(for_each_record([&](std::string_view rec) -> Status {
    if (record::GetType(rec) != record::Type::kSamples) return Status::OK();
    VIGIL_ASSIGN_OR_RETURN(auto samples, record::DecodeSamples(rec));
    std::shared_ptr<MemSeries> s;
    for (const auto& smp : samples) {
      if (s == nullptr || s->ref != smp.ref) s = head_->Lookup(smp.ref);
      if (s == nullptr) {
        ++unknown;
        continue;
      }
      // Overlaps between checkpoint, chunk files and WAL are expected: a
      // sample at or before the series' newest is already there.
      if (head_->RestoreSample(s.get(), smp.t, smp.v).ok()) {
        ++recovery_.samples;
      } else {
        ++recovery_.skipped_samples;
      }
    }
    return Status::OK();
  }));
  if (unknown > 0) {
    recovery_.skipped_samples += unknown;
    Warn("tsdb: replay: " + std::to_string(unknown) +
         " samples reference unknown series; skipped");
  }
  head_->FinishRestore();
  recovery_.series = head_->num_series();
  recovery_.seconds = std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - start)
                          .count();
  return Status::OK();
}

std::unique_ptr<storage::Appender> Db::NewAppender() {
  return head_->NewAppender();
}

Result<std::unique_ptr<storage::Querier>> Db::NewQuerier(int64_t mint,
                                                         int64_t maxt) {
  return head_->NewQuerier(mint, maxt);
}

Status Db::Checkpoint() {
  std::lock_guard maint(maintenance_mu_);
  int cut;
  {
    // Every commit that logged before the cut has also been applied once
    // commits are blocked, so the snapshot below covers segments < cut.
    auto block = head_->BlockCommits();
    VIGIL_ASSIGN_OR_RETURN(cut, wal_->NextSegment());
  }

  // Both outputs stream: full chunks into a new chunk file, series and
  // open-chunk samples into the checkpoint, each written in pieces of
  // about kFlushBytes so that a checkpoint never holds the head twice.
  const int chunk_idx = next_chunk_file_;
  ChunkFileWriter chunks(dir_ + "/chunks/" + Num8(chunk_idx));
  int64_t chunk_maxt = INT64_MIN;
  std::vector<std::pair<std::shared_ptr<MemSeries>, int64_t>> newly_persisted;

  const std::string final_dir =
      dir_ + "/" + std::string(kCheckpointPrefix) + Num8(cut);
  const std::string tmp_dir = final_dir + ".tmp";
  std::error_code ec;
  fs::remove_all(tmp_dir, ec);
  wal::WalOptions wo;
  wo.fsync_interval = std::chrono::milliseconds(0);
  wo.warning_sink = [this](std::string_view m) { Warn(m); };
  VIGIL_ASSIGN_OR_RETURN(auto w, wal::Wal::Open(wo, tmp_dir));
  std::string series_rec;
  std::vector<record::RefSample> sample_batch;
  std::vector<std::string> pending;  // encoded records not yet logged
  size_t pending_bytes = 0;
  auto log_pending = [&]() -> Status {
    if (pending.empty()) return Status::OK();
    std::vector<std::string_view> views(pending.begin(), pending.end());
    VIGIL_RETURN_IF_ERROR(w->Log(views));
    pending.clear();
    pending_bytes = 0;
    return Status::OK();
  };
  // Series records must precede the samples that use them: the series
  // gathered so far go out before the samples gathered with them.
  auto seal = [&]() {
    if (series_rec.size() > 1) {
      pending_bytes += series_rec.size();
      pending.push_back(std::move(series_rec));
    }
    series_rec.clear();
    if (!sample_batch.empty()) {
      pending.push_back(record::EncodeSamples(sample_batch));
      pending_bytes += pending.back().size();
      sample_batch.clear();
    }
  };
  Status failed;
  head_->ForEachSeries([&](const std::shared_ptr<MemSeries>& series) {
    if (!failed.ok()) return;
    MemSeries& s = *series;
    {
      std::lock_guard lock(s.mu);
      if (s.removed) return;
      if (series_rec.empty()) record::StartSeriesRecord(&series_rec);
      AppendSeries(s.ref, s.labels, &series_rec);
      int64_t newest = s.persisted_max_t;
      for (const auto& c : s.full) {
        if (c->max_time() <= s.persisted_max_t) continue;
        failed = chunks.Add(s.ref, c->bytes());
        if (!failed.ok()) return;
        chunk_maxt = std::max(chunk_maxt, c->max_time());
        newest = c->max_time();
      }
      if (newest != s.persisted_max_t) {
        newly_persisted.emplace_back(series, newest);
      }
      if (s.open.num_samples() > 0) {
        auto it = s.open.NewIterator();
        while (it->Next()) {
          auto [t, v] = it->At();
          sample_batch.push_back({s.ref, t, v});
        }
      }
    }
    if (sample_batch.size() >= kRecordBatch || series_rec.size() >= kFlushBytes) {
      seal();
    }
    // Logged outside the series lock: appends to it are not held up by IO.
    if (pending_bytes >= kFlushBytes) failed = log_pending();
  });
  VIGIL_RETURN_IF_ERROR(failed);
  seal();
  VIGIL_RETURN_IF_ERROR(log_pending());

  // Chunk file first: the checkpoint that drops these chunks' samples from
  // the WAL must never be on disk without them.
  if (!chunks.empty()) {
    VIGIL_RETURN_IF_ERROR(chunks.Finish());
    next_chunk_file_ = chunk_idx + 1;
    chunk_files_[chunk_idx] = ChunkFile{chunk_maxt};
    for (auto& [ps, t] : newly_persisted) {
      std::lock_guard lock(ps->mu);
      ps->persisted_max_t = std::max(ps->persisted_max_t, t);
    }
  }
  VIGIL_RETURN_IF_ERROR(w->Close());
  w.reset();
  fs::remove_all(final_dir, ec);
  fs::rename(tmp_dir, final_dir, ec);
  if (ec) {
    return InternalError("tsdb: rename " + tmp_dir + ": " + ec.message());
  }
  VIGIL_RETURN_IF_ERROR(SyncDir(dir_));

  // Now the older checkpoints and the WAL before the cut are redundant.
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    int idx;
    if (ParseIndex(e.path().filename().string(), kCheckpointPrefix, &idx) &&
        idx < cut) {
      std::error_code ec2;
      fs::remove_all(e.path(), ec2);
    }
  }
  return wal_->Truncate(cut);
}

Status Db::ApplyRetention() {
  std::lock_guard maint(maintenance_mu_);
  const int64_t newest = head_->max_time();
  if (newest == INT64_MIN) return Status::OK();
  // Deletes the chunk files older than cutoff; returns the bytes freed.
  auto delete_files_before = [&](int64_t cutoff) -> Result<uint64_t> {
    uint64_t freed = 0;
    for (auto it = chunk_files_.begin(); it != chunk_files_.end();) {
      if (it->second.maxt >= cutoff) {
        ++it;
        continue;
      }
      const std::string path = dir_ + "/chunks/" + Num8(it->first);
      std::error_code ec;
      const uint64_t size = fs::file_size(path, ec);
      if (!ec) freed += size;
      fs::remove(path, ec);
      if (ec) return InternalError("tsdb: remove " + path + ": " + ec.message());
      it = chunk_files_.erase(it);
    }
    return freed;
  };
  if (options_.retention.count() > 0) {
    const int64_t cutoff = newest - options_.retention.count();
    head_->Truncate(cutoff);
    VIGIL_RETURN_IF_ERROR(delete_files_before(cutoff).status());
  }
  if (options_.retention_size_bytes > 0) {
    // One walk of the directory; then subtract what is deleted.
    uint64_t bytes = DiskBytes();
    while (bytes > options_.retention_size_bytes && !chunk_files_.empty()) {
      const int64_t cutoff = chunk_files_.begin()->second.maxt + 1;
      head_->Truncate(cutoff);
      VIGIL_ASSIGN_OR_RETURN(uint64_t freed, delete_files_before(cutoff));
      bytes -= std::min(bytes, freed);
    }
  }
  return Status::OK();
}

Status Db::Sync() { return wal_->Sync(); }

uint64_t Db::DiskBytes() const { return DirBytes(dir_); }

void Db::Background(std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  auto next_checkpoint = Clock::now() + options_.checkpoint_interval;
  auto next_retention = Clock::now();
  for (;;) {
    auto wake = Clock::time_point::max();
    if (options_.checkpoint_interval.count() > 0) {
      wake = std::min(wake, next_checkpoint);
    }
    if (options_.retention_interval.count() > 0) {
      wake = std::min(wake, next_retention);
    }
    {
      std::unique_lock lock(wake_mu_);
      wake_.wait_until(lock, stop, wake, [] { return false; });
    }
    if (stop.stop_requested()) return;
    auto now = Clock::now();
    if (options_.retention_interval.count() > 0 && now >= next_retention) {
      Status s = ApplyRetention();
      if (!s.ok()) Warn("tsdb: retention: " + s.ToString());
      next_retention = now + options_.retention_interval;
    }
    if (options_.checkpoint_interval.count() > 0 && now >= next_checkpoint) {
      Status s = Checkpoint();
      if (!s.ok()) Warn("tsdb: checkpoint: " + s.ToString());
      next_checkpoint = now + options_.checkpoint_interval;
    }
  }
}

Status Db::Close() {
  std::lock_guard lock(close_mu_);
  if (closed_) return Status::OK();
  closed_ = true;
  if (background_.joinable()) {
    background_.request_stop();
    background_.join();
  }
  return wal_ != nullptr ? wal_->Close() : Status::OK();
}

}  // namespace vigil::tsdb
