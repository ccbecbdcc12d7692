#include "cli/nab.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

#include "anomaly/registry.h"
#include "model/rfc3339.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;

// A fresh detector of the registry's (every scalar one: ensemble, robust_z,
// ewma, cusum, seasonal), with its default parameters.
Result<std::unique_ptr<anomaly::Detector>> MakeScorer(const std::string& name) {
  static const anomaly::Registry* registry = new anomaly::Registry();
  return registry->Make(name, {});
}

// "2014-07-01 00:00:00" (NAB's form, UTC) in milliseconds.
bool ParseNabTime(std::string_view s, int64_t* t_ms) {
  if (s.size() < 19 || s[10] != ' ') return false;
  std::string rfc(s);
  rfc[10] = 'T';
  rfc += 'Z';
  int64_t secs = 0;
  int32_t nanos = 0;
  if (!model::ParseRfc3339(rfc, &secs, &nanos)) return false;
  *t_ms = secs * 1000 + nanos / 1'000'000;
  return true;
}

bool ParseValue(std::string_view s, double* v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

Status ScoreFile(const fs::path& in, const fs::path& out, const std::string& detector,
                 size_t* rows) {
  std::ifstream f(in);
  if (!f) return UnavailableError(in.string() + ": cannot open");
  std::string line;
  // Lines may end in CRLF (some NAB files do).
  auto next = [&f, &line] {
    if (!std::getline(f, line)) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  };
  if (!next() || line.rfind("timestamp,value", 0) != 0) {
    return InvalidArgumentError(in.string() + ":1: expected the header \"timestamp,value\"");
  }
  auto scorer = MakeScorer(detector);
  if (!scorer.ok()) return scorer.status();
  std::error_code ec;
  fs::create_directories(out.parent_path(), ec);
  if (ec) return UnavailableError("create " + out.parent_path().string() + ": " + ec.message());
  std::ofstream o(out);
  if (!o) return UnavailableError(out.string() + ": cannot create");
  o << "timestamp,value,anomaly_score\n";
  size_t lineno = 1;
  char buf[32];
  while (next()) {
    ++lineno;
    if (line.empty()) continue;
    const size_t comma = line.find(',');
    const std::string where = in.string() + ":" + std::to_string(lineno) + ": ";
    int64_t t_ms = 0;
    double v = 0;
    if (comma == std::string::npos || !ParseNabTime(std::string_view(line).substr(0, comma), &t_ms)) {
      return InvalidArgumentError(where + "bad timestamp in \"" + line + "\"");
    }
    if (!ParseValue(std::string_view(line).substr(comma + 1), &v)) {
      return InvalidArgumentError(where + "bad value in \"" + line + "\"");
    }
    auto score = (*scorer)->Update(t_ms, v);
    if (!score.ok()) return InvalidArgumentError(where + std::string(score.status().message()));
    std::snprintf(buf, sizeof buf, "%.6f", score.value().score);
    o << std::string_view(line).substr(0, comma) << ',' << std::string_view(line).substr(comma + 1)
      << ',' << buf << '\n';
    ++*rows;
  }
  if (!o) return UnavailableError(out.string() + ": write failed");
  return Status::OK();
}

}  // namespace

Status RunNab(const NabOptions& options, std::FILE* log) {
  if (auto s = MakeScorer(options.detector); !s.ok()) return s.status();
  std::error_code ec;
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(options.data_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".csv") files.push_back(it->path());
  }
  if (ec) return UnavailableError(options.data_dir + ": " + ec.message());
  if (files.empty()) return NotFoundError(options.data_dir + ": no .csv files");
  std::sort(files.begin(), files.end());
  size_t rows = 0;
  for (const fs::path& in : files) {
    const fs::path out = fs::path(options.out_dir) / fs::relative(in, options.data_dir);
    if (Status s = ScoreFile(in, out, options.detector, &rows); !s.ok()) return s;
  }
  std::fprintf(log, "vigil nab: %s scored %zu files, %zu rows, into %s\n",
               options.detector.c_str(), files.size(), rows, options.out_dir.c_str());
  return Status::OK();
}

}  // namespace vigil::cli
