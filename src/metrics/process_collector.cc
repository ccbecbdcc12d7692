#include "vigil/metrics/process_collector.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace vigil::metrics {

namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

void AddOne(std::vector<FamilySnapshot>* out, const std::string& name, const char* help,
            MetricType type, double value) {
  FamilySnapshot f;
  f.name = name;
  f.help = help;
  f.type = type;
  MetricSnapshot m;
  m.value = value;
  f.metrics.push_back(std::move(m));
  out->push_back(std::move(f));
}

// Seconds since the epoch at which the system booted, from /proc/stat btime.
bool BootTime(const std::string& proc_root, double* btime) {
  std::string stat;
  if (!ReadFile(proc_root + "/stat", &stat)) return false;
  const size_t p = stat.find("btime ");
  if (p == std::string::npos) return false;
  *btime = std::strtod(stat.c_str() + p + 6, nullptr);
  return true;
}

}  // namespace

ProcessCollector::ProcessCollector(std::string proc_dir, std::string prefix)
    : proc_dir_(std::move(proc_dir)), prefix_(std::move(prefix)) {}

void ProcessCollector::Collect(std::vector<FamilySnapshot>* out) {
  const std::string p = prefix_.empty() ? "process_" : prefix_ + "_process_";
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));

  std::string stat;
  if (ReadFile(proc_dir_ + "/stat", &stat)) {
    // Fields after the command name, which is in parentheses and may hold spaces.
    const size_t close = stat.rfind(')');
    if (close != std::string::npos) {
      std::istringstream in(stat.substr(close + 2));
      std::vector<std::string> f;
      std::string tok;
      while (in >> tok) f.push_back(tok);
      // f[0] is field 3 (state); field N is f[N-3].
      if (f.size() >= 22) {
        const double utime = std::strtod(f[11].c_str(), nullptr);
        const double stime = std::strtod(f[12].c_str(), nullptr);
        AddOne(out, p + "cpu_seconds_total", "Total user and system CPU time spent in seconds.",
               MetricType::kCounter, (utime + stime) / ticks);
        AddOne(out, p + "threads", "Number of OS threads in the process.", MetricType::kGauge,
               std::strtod(f[17].c_str(), nullptr));
        AddOne(out, p + "virtual_memory_bytes", "Virtual memory size in bytes.",
               MetricType::kGauge, std::strtod(f[20].c_str(), nullptr));
        AddOne(out, p + "resident_memory_bytes", "Resident memory size in bytes.",
               MetricType::kGauge, std::strtod(f[21].c_str(), nullptr) * page);
        // The parent of proc_dir_ holds the system-wide stat with btime.
        const std::string root = proc_dir_.substr(0, proc_dir_.rfind('/'));
        double btime = 0;
        if (BootTime(root.empty() ? "/proc" : root, &btime)) {
          AddOne(out, p + "start_time_seconds",
                 "Start time of the process since unix epoch in seconds.", MetricType::kGauge,
                 btime + std::strtod(f[19].c_str(), nullptr) / ticks);
        }
      }
    }
  }

  if (DIR* d = opendir((proc_dir_ + "/fd").c_str())) {
    double n = 0;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(d);
    AddOne(out, p + "open_fds", "Number of open file descriptors.", MetricType::kGauge,
           n > 0 ? n - (proc_dir_ == "/proc/self" ? 1 : 0) : n);  // minus opendir's own fd
  }

  std::string limits;
  if (ReadFile(proc_dir_ + "/limits", &limits)) {
    const size_t pos = limits.find("Max open files");
    if (pos != std::string::npos) {
      std::istringstream in(limits.substr(pos + 14));
      std::string soft;
      in >> soft;
      if (!soft.empty() && soft != "unlimited") {
        AddOne(out, p + "max_fds", "Maximum number of open file descriptors.",
               MetricType::kGauge, std::strtod(soft.c_str(), nullptr));
      }
    }
  }
}

}  // namespace vigil::metrics
