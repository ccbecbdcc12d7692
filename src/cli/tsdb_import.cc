#include "cli/tsdb_import.h"

#include <unordered_map>
#include <vector>

#include "base/file.h"
#include "base/status_macros.h"
#include "exposition/encoder.h"
#include "exposition/text_parser.h"
#include "tsdb/db.h"

namespace vigil::cli {
namespace {

struct Pending {
  uint32_t series;  // index into `labels`
  int64_t t;
  double v;
};

}  // namespace

Status ImportOpenMetrics(const std::string& file,
                         const std::string& storage_dir, ImportStats* stats) {
  *stats = ImportStats();
  VIGIL_ASSIGN_OR_RETURN(std::string input, ReadFile(file));

  // Parse everything first: a file that fails half way imports nothing.
  exposition::TextParser parser(input, exposition::ParseFormat::kOpenMetrics);
  std::unordered_map<std::string_view, uint32_t> index;
  std::vector<model::Labels> labels;
  std::vector<Pending> samples;
  for (;;) {
    auto entry = parser.Next();
    if (!entry.ok()) {
      return InvalidArgumentError(file + ": " +
                                  std::string(entry.status().message()));
    }
    if (entry.value() == exposition::TextParser::Entry::kEof) break;
    if (entry.value() != exposition::TextParser::Entry::kSample) continue;
    auto ts = parser.timestamp_ms();
    if (!ts.has_value()) {
      return InvalidArgumentError(
          file + ":" + std::to_string(parser.line()) +
          ": sample without a timestamp (every sample of an import needs "
          "one)");
    }
    auto [it, inserted] = index.try_emplace(
        parser.series(), static_cast<uint32_t>(labels.size()));
    if (inserted) labels.push_back(parser.labels());
    samples.push_back({it->second, *ts, parser.value()});
  }

  tsdb::DbOptions opts;
  // Backfilled data can be old: retention must not drop it on the way in.
  opts.retention = std::chrono::milliseconds(0);
  opts.checkpoint_interval = std::chrono::milliseconds(0);
  opts.retention_interval = std::chrono::milliseconds(0);
  VIGIL_ASSIGN_OR_RETURN(auto db, tsdb::Db::Open(opts, storage_dir));
  std::vector<storage::SeriesRef> refs(labels.size(), 0);
  auto app = db->NewAppender();
  const tsdb::HeadStats before = db->head().stats();
  stats->min_t = INT64_MAX;
  stats->max_t = INT64_MIN;
  for (size_t i = 0; i < samples.size(); ++i) {
    const Pending& p = samples[i];
    auto r = app->Append(refs[p.series], labels[p.series], p.t, p.v);
    if (r.ok()) {
      refs[p.series] = r.value();
      stats->min_t = std::min(stats->min_t, p.t);
      stats->max_t = std::max(stats->max_t, p.t);
    } else if (r.status().code() != StatusCode::kOutOfRange &&
               r.status().code() != StatusCode::kAlreadyExists) {
      return InvalidArgumentError(file + ": " + labels[p.series].ToString() +
                                  ": " + r.status().ToString());
    }
    if (i % 50000 == 49999) VIGIL_RETURN_IF_ERROR(app->Commit());
  }
  VIGIL_RETURN_IF_ERROR(app->Commit());
  // Out-of-order samples within one batch are only found at commit; the
  // head counts both kinds.
  const tsdb::HeadStats after = db->head().stats();
  stats->samples = after.samples_appended - before.samples_appended;
  stats->rejected = (after.out_of_order - before.out_of_order) +
                    (after.duplicates - before.duplicates);
  stats->series = labels.size();
  if (stats->samples == 0) stats->min_t = stats->max_t = 0;
  // Leave the data in chunk files, not only in the WAL.
  VIGIL_RETURN_IF_ERROR(db->Checkpoint());
  return db->Close();
}

}  // namespace vigil::cli

namespace vigil::cli {

Status DumpTsdb(const std::string& storage_dir, int64_t mint, int64_t maxt,
                std::string* out) {
  tsdb::DbOptions opts;
  opts.retention = std::chrono::milliseconds(0);
  opts.checkpoint_interval = std::chrono::milliseconds(0);
  opts.retention_interval = std::chrono::milliseconds(0);
  VIGIL_ASSIGN_OR_RETURN(auto db, tsdb::Db::Open(opts, storage_dir));
  VIGIL_ASSIGN_OR_RETURN(auto q, db->NewQuerier(mint, maxt));
  auto set = q->Select({});
  while (set->Next()) {
    const model::Labels& l = set->At().labels();
    std::string prefix = "{";
    bool first = true;
    for (model::LabelRef p : l) {
      if (!first) prefix += ", ";
      first = false;
      prefix += p.name;
      prefix += '=';
      model::AppendQuoted(p.value, &prefix);
    }
    prefix += "} ";
    auto it = set->At().NewIterator();
    while (it->Next()) {
      auto [t, v] = it->At();
      *out += prefix;
      exposition::AppendFloat(v, /*open_metrics=*/false, out);
      *out += ' ';
      *out += std::to_string(t);
      *out += '\n';
    }
    VIGIL_RETURN_IF_ERROR(it->status());
  }
  VIGIL_RETURN_IF_ERROR(set->status());
  return db->Close();
}

}  // namespace vigil::cli
