#include "vigil/collectors/node_collector.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <map>
#include <optional>
#include <regex>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "base/strings.h"
#include "base/thread_annotations.h"
#include "collectors/statfs_runner.h"
#include "vigil/metrics/registry.h"
#include "vigil/status.h"

namespace vigil::collectors {

using metrics::FamilySnapshot;
using metrics::MetricSnapshot;
using metrics::MetricType;

namespace {

// /proc/stat's per-CPU columns, in order, as node_exporter names the modes.
// guest and guest_nice follow them in the file; they are already counted in
// user and nice and are not exported here.
constexpr size_t kCpuModes = 8;
constexpr std::array<const char*, kCpuModes> kCpuModeNames = {
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};
constexpr size_t kIdle = 3;
// node_exporter's "jumpBackSeconds": a larger drop in idle time is taken for
// a CPU that went offline and came back, and its counters start over.
constexpr double kJumpBackSeconds = 3.0;
// CPU numbers above this are taken for a corrupt line.
constexpr uint64_t kMaxCpuId = 1 << 16;
// /proc/diskstats counts standard UNIX 512-byte sectors whatever the
// device's own sector size (Documentation/block/stat.rst).
constexpr double kSectorBytes = 512;
// A filter cache larger than this (devices that come and go, such as veth
// pairs) is dropped and rebuilt.
constexpr size_t kMaxFilterCache = 4096;
constexpr size_t kInitialReadBuffer = 16 * 1024;
constexpr size_t kMaxFileBytes = 64 << 20;

// Reads all of `path` with read(2) into `buf`, whose storage is kept (and
// never shrunk) between calls; `content` views the bytes read.
bool ReadInto(const std::string& path, std::string* buf, std::string_view* content) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return false;
  if (buf->size() < kInitialReadBuffer) buf->resize(kInitialReadBuffer);
  size_t len = 0;
  bool ok = true;
  for (;;) {
    if (len == buf->size()) {
      if (buf->size() >= kMaxFileBytes) {
        ok = false;
        break;
      }
      buf->resize(buf->size() * 2);
    }
    const ssize_t n = ::read(fd, buf->data() + len, buf->size() - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      ok = false;
      break;
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  ::close(fd);
  if (!ok) return false;
  *content = std::string_view(buf->data(), len);
  return true;
}

bool NextLine(std::string_view* text, std::string_view* line) {
  if (text->empty()) return false;
  const size_t nl = text->find('\n');
  if (nl == std::string_view::npos) {
    *line = *text;
    *text = {};
  } else {
    *line = text->substr(0, nl);
    text->remove_prefix(nl + 1);
  }
  return true;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// The next whitespace-separated field of `line`, consumed.
bool NextField(std::string_view* line, std::string_view* field) {
  size_t b = 0;
  while (b < line->size() && IsSpace((*line)[b])) ++b;
  size_t e = b;
  while (e < line->size() && !IsSpace((*line)[e])) ++e;
  if (b == e) {
    *line = {};
    return false;
  }
  *field = line->substr(b, e - b);
  line->remove_prefix(e);
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool ParseU64(std::string_view s, uint64_t* v) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
}

bool ParseDouble(std::string_view s, double* v) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
}

// /proc/mounts escapes space, tab, newline and backslash in paths as \ooo
// (fstab(5)); node_exporter decodes \040 and \011, this decodes any.
void DecodeMountPath(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 3 < in.size()) {
      const char a = in[i + 1], b = in[i + 2], c = in[i + 3];
      if (a >= '0' && a <= '3' && b >= '0' && b <= '7' && c >= '0' && c <= '7') {
        out->push_back(static_cast<char>((a - '0') * 64 + (b - '0') * 8 + (c - '0')));
        i += 3;
        continue;
      }
    }
    out->push_back(in[i]);
  }
}

FamilySnapshot NewFamily(const char* name, const char* help, MetricType type) {
  FamilySnapshot f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

void AddSeries(FamilySnapshot& f, double value,
               std::initializer_list<std::pair<std::string_view, std::string_view>> labels) {
  MetricSnapshot& m = f.metrics.emplace_back();
  m.labels.reserve(labels.size());
  for (const auto& [k, v] : labels) m.labels.emplace_back(k, v);
  m.value = value;
}

void MoveIfAny(FamilySnapshot& f, std::vector<FamilySnapshot>* out) {
  if (!f.metrics.empty()) out->push_back(std::move(f));
}

Result<std::optional<std::regex>> CompileFilter(const std::string& pattern, const char* what) {
  if (pattern.empty()) return std::optional<std::regex>();
  try {
    return std::optional<std::regex>(
        std::regex(pattern, std::regex::ECMAScript | std::regex::optimize));
  } catch (const std::regex_error& e) {
    return InvalidArgumentError(std::string(what) + ": invalid regular expression \"" + pattern +
                                "\": " + e.what());
  }
}

bool StatVfs(const std::string& path, FilesystemUsage* usage) {
  struct statvfs st;
  if (::statvfs(path.c_str(), &st) != 0) return false;
  // POSIX counts blocks in f_frsize units (node_exporter multiplies by
  // statfs' f_bsize, which is the same number on Linux unless a file
  // system, FUSE for one, sets them apart).
  const double unit = static_cast<double>(st.f_frsize != 0 ? st.f_frsize : st.f_bsize);
  usage->size_bytes = static_cast<double>(st.f_blocks) * unit;
  usage->free_bytes = static_cast<double>(st.f_bfree) * unit;
  usage->avail_bytes = static_cast<double>(st.f_bavail) * unit;
  return true;
}

struct CpuRow {
  uint32_t id = 0;
  std::array<double, kCpuModes> seconds{};
};

// Per-collection buffers, reused through a small pool so repeated scrapes
// do not reallocate them.
struct Scratch {
  std::string file;   // the file being parsed
  std::string path;   // a decoded mount point
  std::vector<CpuRow> cpus;
  std::unordered_set<uint64_t> mounts_seen;
  // The mounts kept, in /proc/mounts order: (device, fstype) viewing
  // `file`, the decoded mount point, and what statvfs said.
  std::vector<std::pair<std::string_view, std::string_view>> mount_meta;
  std::vector<std::string> mount_paths;
  std::vector<std::optional<FilesystemUsage>> mount_usage;
  // The network and FUSE mounts among them, asked on the worker thread.
  std::vector<size_t> remote_index;
  std::vector<std::string> remote_paths;
  std::vector<std::optional<FilesystemUsage>> remote_usage;
};

// File systems whose statvfs waits on another machine or a user-space
// daemon and so may never return: network file systems and FUSE. Local
// ones answer from the kernel's superblock and are asked inline (a hand-off
// to the worker thread would cost more than the call).
bool MayBlock(std::string_view fstype) {
  static constexpr std::string_view kRemote[] = {
      "nfs",  "nfs4",   "cifs",  "smb3",      "smbfs",  "ncpfs",   "ceph",    "glusterfs",
      "9p",   "afs",    "lustre", "gpfs",     "beegfs", "davfs",   "fuse",    "fuseblk",
      "virtiofs", "orangefs", "ocfs2", "gfs2", "cvfs", "pvfs2", "coda", "sshfs"};
  if (fstype.starts_with("fuse.")) return true;
  return std::find(std::begin(kRemote), std::end(kRemote), fstype) != std::end(kRemote);
}

// One exclusion filter and the verdicts it has given.
struct Filter {
  std::optional<std::regex> re;  // constant after construction
  std::map<std::string, bool, std::less<>> verdicts;  // guarded by Impl::mu_
};

}  // namespace

struct NodeCollector::Impl {
  Impl(NodeCollectorOptions opts, std::array<std::optional<std::regex>, 4> filters)
      : options(std::move(opts)),
        user_hz(sysconf(_SC_CLK_TCK) > 0 ? static_cast<double>(sysconf(_SC_CLK_TCK)) : 100.0),
        stat_path(options.proc_dir + "/stat"),
        loadavg_path(options.proc_dir + "/loadavg"),
        meminfo_path(options.proc_dir + "/meminfo"),
        mounts_path(options.proc_dir + "/mounts"),
        diskstats_path(options.proc_dir + "/diskstats"),
        netdev_path(options.proc_dir + "/net/dev"),
        statfs_fn(options.statfs ? options.statfs : StatVfs),
        statfs(statfs_fn, options.mount_timeout) {
    mount_points.re = std::move(filters[0]);
    fs_types.re = std::move(filters[1]);
    disks.re = std::move(filters[2]);
    netdevs.re = std::move(filters[3]);
  }

  void Collect(std::vector<FamilySnapshot>* out);
  void CollectCpu(std::string_view text, Scratch& s, std::vector<FamilySnapshot>* out);
  void CollectLoad(std::string_view text, std::vector<FamilySnapshot>* out);
  void CollectMemory(std::string_view text, std::vector<FamilySnapshot>* out);
  void CollectFilesystems(std::string_view text, Scratch& s, std::vector<FamilySnapshot>* out);
  void CollectDisks(std::string_view text, std::vector<FamilySnapshot>* out);
  void CollectNetwork(std::string_view text, std::vector<FamilySnapshot>* out);

  bool Excluded(Filter& filter, std::string_view name) VIGIL_EXCLUDES(mu);
  // Holds each CPU counter at its highest value so far (see the header).
  void MakeMonotonic(std::vector<CpuRow>& rows) VIGIL_EXCLUDES(mu);
  std::unique_ptr<Scratch> TakeScratch() VIGIL_EXCLUDES(mu);
  void GiveBack(std::unique_ptr<Scratch> s) VIGIL_EXCLUDES(mu);

  // Constant after construction.
  const NodeCollectorOptions options;
  const double user_hz;
  const std::string stat_path, loadavg_path, meminfo_path, mounts_path, diskstats_path,
      netdev_path;
  const internal::StatfsRunner::StatfsFn statfs_fn;
  internal::StatfsRunner statfs;  // network and FUSE mounts; thread-safe

  Mutex mu;
  // Filters' regexes are constant; their verdict caches are guarded by mu.
  Filter mount_points, fs_types, disks, netdevs;
  std::vector<std::array<double, kCpuModes>> cpu_seen VIGIL_GUARDED_BY(mu);
  std::vector<std::unique_ptr<Scratch>> pool VIGIL_GUARDED_BY(mu);
};

bool NodeCollector::Impl::Excluded(Filter& filter, std::string_view name) {
  if (!filter.re) return false;
  MutexLock lock(&mu);
  if (auto it = filter.verdicts.find(name); it != filter.verdicts.end()) return it->second;
  bool excluded = false;
  try {
    excluded = std::regex_search(name.begin(), name.end(), *filter.re);
  } catch (const std::regex_error&) {
    excluded = false;  // too complex for std::regex on this name: keep it
  }
  if (filter.verdicts.size() >= kMaxFilterCache) filter.verdicts.clear();
  filter.verdicts.emplace(std::string(name), excluded);
  return excluded;
}

void NodeCollector::Impl::MakeMonotonic(std::vector<CpuRow>& rows) {
  MutexLock lock(&mu);
  for (CpuRow& row : rows) {
    if (row.id >= cpu_seen.size()) cpu_seen.resize(row.id + 1, std::array<double, kCpuModes>{});
    std::array<double, kCpuModes>& seen = cpu_seen[row.id];
    if (seen[kIdle] - row.seconds[kIdle] >= kJumpBackSeconds) seen.fill(0);
    for (size_t i = 0; i < kCpuModes; ++i) {
      if (row.seconds[i] >= seen[i]) {
        seen[i] = row.seconds[i];
      } else {
        row.seconds[i] = seen[i];
      }
    }
  }
}

std::unique_ptr<Scratch> NodeCollector::Impl::TakeScratch() {
  {
    MutexLock lock(&mu);
    if (!pool.empty()) {
      std::unique_ptr<Scratch> s = std::move(pool.back());
      pool.pop_back();
      return s;
    }
  }
  return std::make_unique<Scratch>();
}

void NodeCollector::Impl::GiveBack(std::unique_ptr<Scratch> s) {
  MutexLock lock(&mu);
  if (pool.size() < 2) pool.push_back(std::move(s));
}

void NodeCollector::Impl::Collect(std::vector<FamilySnapshot>* out) {
  std::unique_ptr<Scratch> s = TakeScratch();
  std::string_view text;
  if (ReadInto(stat_path, &s->file, &text)) CollectCpu(text, *s, out);
  if (ReadInto(loadavg_path, &s->file, &text)) CollectLoad(text, out);
  if (ReadInto(meminfo_path, &s->file, &text)) CollectMemory(text, out);
  if (ReadInto(mounts_path, &s->file, &text)) CollectFilesystems(text, *s, out);
  if (ReadInto(diskstats_path, &s->file, &text)) CollectDisks(text, out);
  if (ReadInto(netdev_path, &s->file, &text)) CollectNetwork(text, out);
  GiveBack(std::move(s));
}

// /proc/stat: "cpuN user nice system idle iowait irq softirq steal guest
// guest_nice" in USER_HZ ticks; the aggregate "cpu" line is not exported.
void NodeCollector::Impl::CollectCpu(std::string_view text, Scratch& s,
                                     std::vector<FamilySnapshot>* out) {
  s.cpus.clear();
  std::string_view line, tok;
  while (NextLine(&text, &line)) {
    if (!NextField(&line, &tok) || tok.size() <= 3 || !tok.starts_with("cpu")) continue;
    uint64_t id = 0;
    if (!ParseU64(tok.substr(3), &id) || id >= kMaxCpuId) continue;
    CpuRow row;
    row.id = static_cast<uint32_t>(id);
    size_t n = 0;
    for (; n < kCpuModes && NextField(&line, &tok); ++n) {
      uint64_t ticks = 0;
      if (!ParseU64(tok, &ticks)) break;
      row.seconds[n] = static_cast<double>(ticks) / user_hz;
    }
    if (n == kCpuModes) s.cpus.push_back(row);
  }
  // A repeated CPU number would make duplicate series: keep the first.
  std::stable_sort(s.cpus.begin(), s.cpus.end(),
                   [](const CpuRow& a, const CpuRow& b) { return a.id < b.id; });
  s.cpus.erase(std::unique(s.cpus.begin(), s.cpus.end(),
                           [](const CpuRow& a, const CpuRow& b) { return a.id == b.id; }),
               s.cpus.end());
  if (s.cpus.empty()) return;
  MakeMonotonic(s.cpus);

  FamilySnapshot f = NewFamily("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.",
                               MetricType::kCounter);
  f.metrics.reserve(s.cpus.size() * kCpuModes);
  for (const CpuRow& row : s.cpus) {
    const std::string cpu = std::to_string(row.id);
    for (size_t i = 0; i < kCpuModes; ++i) {
      AddSeries(f, row.seconds[i], {{"cpu", cpu}, {"mode", kCpuModeNames[i]}});
    }
  }
  out->push_back(std::move(f));
}

// /proc/loadavg: "0.19 0.77 0.90 1/234 5678".
void NodeCollector::Impl::CollectLoad(std::string_view text, std::vector<FamilySnapshot>* out) {
  static constexpr std::array<std::pair<const char*, const char*>, 3> kLoads = {{
      {"node_load1", "1m load average."},
      {"node_load5", "5m load average."},
      {"node_load15", "15m load average."},
  }};
  std::array<double, 3> v{};
  std::string_view tok;
  for (double& x : v) {
    if (!NextField(&text, &tok) || !ParseDouble(tok, &x)) return;
  }
  for (size_t i = 0; i < kLoads.size(); ++i) {
    FamilySnapshot f = NewFamily(kLoads[i].first, kLoads[i].second, MetricType::kGauge);
    AddSeries(f, v[i], {});
    out->push_back(std::move(f));
  }
}

// /proc/meminfo: "MemTotal:       24684092 kB". node_exporter exports every
// field as node_memory_<field>[_bytes], multiplying by 1024 when a unit is
// given; this exports the five below.
void NodeCollector::Impl::CollectMemory(std::string_view text, std::vector<FamilySnapshot>* out) {
  struct Field {
    std::string_view key;
    const char* name;
    const char* help;
  };
  static constexpr std::array<Field, 5> kFields = {{
      {"MemTotal", "node_memory_MemTotal_bytes", "Memory information field MemTotal_bytes."},
      {"MemFree", "node_memory_MemFree_bytes", "Memory information field MemFree_bytes."},
      {"MemAvailable", "node_memory_MemAvailable_bytes",
       "Memory information field MemAvailable_bytes."},
      {"Buffers", "node_memory_Buffers_bytes", "Memory information field Buffers_bytes."},
      {"Cached", "node_memory_Cached_bytes", "Memory information field Cached_bytes."},
  }};
  std::array<std::optional<double>, kFields.size()> values;
  std::string_view line, tok;
  while (NextLine(&text, &line)) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    const auto it = std::find_if(kFields.begin(), kFields.end(),
                                 [&](const Field& f) { return f.key == key; });
    if (it == kFields.end()) continue;
    std::string_view rest = line.substr(colon + 1);
    double v = 0;
    if (!NextField(&rest, &tok) || !ParseDouble(tok, &v)) continue;
    if (NextField(&rest, &tok)) v *= 1024;  // the unit, always kB
    values[static_cast<size_t>(it - kFields.begin())] = v;
  }
  for (size_t i = 0; i < kFields.size(); ++i) {
    if (!values[i]) continue;
    FamilySnapshot f = NewFamily(kFields[i].name, kFields[i].help, MetricType::kGauge);
    AddSeries(f, *values[i], {});
    out->push_back(std::move(f));
  }
}

// /proc/mounts: "device mountpoint fstype options dump pass".
void NodeCollector::Impl::CollectFilesystems(std::string_view text, Scratch& s,
                                             std::vector<FamilySnapshot>* out) {
  FamilySnapshot size = NewFamily("node_filesystem_size_bytes", "Filesystem size in bytes.",
                                  MetricType::kGauge);
  FamilySnapshot free = NewFamily("node_filesystem_free_bytes",
                                  "Filesystem free space in bytes.", MetricType::kGauge);
  FamilySnapshot avail =
      NewFamily("node_filesystem_avail_bytes",
                "Filesystem space available to non-root users in bytes.", MetricType::kGauge);
  s.mounts_seen.clear();
  s.mount_meta.clear();
  s.mount_paths.clear();
  std::string_view line, device, raw_mount, fstype;
  while (NextLine(&text, &line)) {
    if (!NextField(&line, &device) || !NextField(&line, &raw_mount) ||
        !NextField(&line, &fstype)) {
      continue;
    }
    DecodeMountPath(raw_mount, &s.path);
    if (Excluded(mount_points, s.path) || Excluded(fs_types, fstype)) continue;
    if (!metrics::IsValidUtf8(device) || !metrics::IsValidUtf8(s.path)) continue;
    // The same mount listed twice (stacked bind mounts) would repeat a series.
    constexpr std::string_view kSep("\0", 1);
    const uint64_t key = Fnv1a(s.path, Fnv1a(kSep, Fnv1a(fstype, Fnv1a(kSep, Fnv1a(device)))));
    if (!s.mounts_seen.insert(key).second) continue;
    s.mount_meta.emplace_back(device, fstype);
    s.mount_paths.push_back(s.path);
  }
  s.mount_usage.assign(s.mount_paths.size(), std::nullopt);
  s.remote_index.clear();
  s.remote_paths.clear();
  for (size_t i = 0; i < s.mount_paths.size(); ++i) {
    if (MayBlock(s.mount_meta[i].second)) {
      s.remote_index.push_back(i);
      s.remote_paths.push_back(s.mount_paths[i]);
      continue;
    }
    FilesystemUsage usage;
    if (statfs_fn(s.mount_paths[i], &usage)) s.mount_usage[i] = usage;
  }
  if (!s.remote_paths.empty()) {
    statfs.Run(s.remote_paths, &s.remote_usage);
    for (size_t k = 0; k < s.remote_index.size(); ++k) {
      s.mount_usage[s.remote_index[k]] = s.remote_usage[k];
    }
  }
  for (size_t i = 0; i < s.mount_paths.size(); ++i) {
    if (!s.mount_usage[i]) continue;
    const FilesystemUsage& usage = *s.mount_usage[i];
    const std::initializer_list<std::pair<std::string_view, std::string_view>> labels = {
        {"device", s.mount_meta[i].first},
        {"fstype", s.mount_meta[i].second},
        {"mountpoint", s.mount_paths[i]}};
    AddSeries(size, usage.size_bytes, labels);
    AddSeries(free, usage.free_bytes, labels);
    AddSeries(avail, usage.avail_bytes, labels);
  }
  MoveIfAny(avail, out);
  MoveIfAny(free, out);
  MoveIfAny(size, out);
}

// /proc/diskstats: "major minor name reads reads_merged sectors_read
// read_ms writes writes_merged sectors_written write_ms in_flight io_ms ...".
void NodeCollector::Impl::CollectDisks(std::string_view text, std::vector<FamilySnapshot>* out) {
  FamilySnapshot reads =
      NewFamily("node_disk_reads_completed_total",
                "The total number of reads completed successfully.", MetricType::kCounter);
  FamilySnapshot read_bytes =
      NewFamily("node_disk_read_bytes_total", "The total number of bytes read successfully.",
                MetricType::kCounter);
  FamilySnapshot writes =
      NewFamily("node_disk_writes_completed_total",
                "The total number of writes completed successfully.", MetricType::kCounter);
  FamilySnapshot written =
      NewFamily("node_disk_written_bytes_total",
                "The total number of bytes written successfully.", MetricType::kCounter);
  FamilySnapshot io_time = NewFamily("node_disk_io_time_seconds_total",
                                     "Total seconds spent doing I/Os.", MetricType::kCounter);
  constexpr size_t kStats = 10;  // up to io_ms
  std::string_view line, tok, name;
  while (NextLine(&text, &line)) {
    if (!NextField(&line, &tok) || !NextField(&line, &tok) || !NextField(&line, &name)) continue;
    std::array<uint64_t, kStats> st{};
    size_t n = 0;
    for (; n < kStats && NextField(&line, &tok); ++n) {
      if (!ParseU64(tok, &st[n])) break;
    }
    if (n < kStats) continue;
    if (Excluded(disks, name) || !metrics::IsValidUtf8(name)) continue;
    const std::initializer_list<std::pair<std::string_view, std::string_view>> labels = {
        {"device", name}};
    AddSeries(reads, static_cast<double>(st[0]), labels);
    AddSeries(read_bytes, static_cast<double>(st[2]) * kSectorBytes, labels);
    AddSeries(writes, static_cast<double>(st[4]), labels);
    AddSeries(written, static_cast<double>(st[6]) * kSectorBytes, labels);
    AddSeries(io_time, static_cast<double>(st[9]) * 0.001, labels);
  }
  for (FamilySnapshot* f : {&reads, &read_bytes, &writes, &written, &io_time}) MoveIfAny(*f, out);
}

// /proc/net/dev, after two header lines: "name: rx_bytes rx_packets rx_errs
// rx_drop rx_fifo rx_frame rx_compressed rx_multicast tx_bytes tx_packets
// tx_errs ...".
void NodeCollector::Impl::CollectNetwork(std::string_view text,
                                         std::vector<FamilySnapshot>* out) {
  struct Column {
    size_t index;
    const char* name;
    const char* help;
  };
  static constexpr std::array<Column, 6> kColumns = {{
      {0, "node_network_receive_bytes_total", "Network device statistic receive_bytes."},
      {1, "node_network_receive_packets_total", "Network device statistic receive_packets."},
      {2, "node_network_receive_errs_total", "Network device statistic receive_errs."},
      {8, "node_network_transmit_bytes_total", "Network device statistic transmit_bytes."},
      {9, "node_network_transmit_packets_total", "Network device statistic transmit_packets."},
      {10, "node_network_transmit_errs_total", "Network device statistic transmit_errs."},
  }};
  std::array<FamilySnapshot, kColumns.size()> families;
  for (size_t i = 0; i < kColumns.size(); ++i) {
    families[i] = NewFamily(kColumns[i].name, kColumns[i].help, MetricType::kCounter);
  }
  constexpr size_t kNeeded = 11;  // through tx_errs
  std::string_view line, tok;
  while (NextLine(&text, &line)) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // the headers
    const std::string_view name = Trim(line.substr(0, colon));
    std::string_view rest = line.substr(colon + 1);
    std::array<uint64_t, kNeeded> v{};
    size_t n = 0;
    for (; n < kNeeded && NextField(&rest, &tok); ++n) {
      if (!ParseU64(tok, &v[n])) break;
    }
    if (n < kNeeded || name.empty()) continue;
    if (Excluded(netdevs, name) || !metrics::IsValidUtf8(name)) continue;
    for (size_t i = 0; i < kColumns.size(); ++i) {
      AddSeries(families[i], static_cast<double>(v[kColumns[i].index]), {{"device", name}});
    }
  }
  for (FamilySnapshot& f : families) MoveIfAny(f, out);
}

Result<std::unique_ptr<NodeCollector>> NodeCollector::Create(NodeCollectorOptions options) {
  if (options.mount_timeout <= std::chrono::milliseconds(0)) {
    return InvalidArgumentError("node collector: mount_timeout must be positive, got " +
                                std::to_string(options.mount_timeout.count()) + "ms");
  }
  std::array<std::optional<std::regex>, 4> filters;
  const std::array<std::pair<const std::string*, const char*>, 4> patterns = {{
      {&options.mount_points_exclude, "mount_points_exclude"},
      {&options.fs_types_exclude, "fs_types_exclude"},
      {&options.disk_devices_exclude, "disk_devices_exclude"},
      {&options.netdev_devices_exclude, "netdev_devices_exclude"},
  }};
  for (size_t i = 0; i < patterns.size(); ++i) {
    auto re = CompileFilter(*patterns[i].first, patterns[i].second);
    if (!re.ok()) return re.status();
    filters[i] = std::move(re).value();
  }
  return std::unique_ptr<NodeCollector>(
      new NodeCollector(std::make_unique<Impl>(std::move(options), std::move(filters))));
}

NodeCollector::NodeCollector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

NodeCollector::~NodeCollector() = default;

void NodeCollector::Collect(std::vector<FamilySnapshot>* out) { impl_->Collect(out); }

}  // namespace vigil::collectors
