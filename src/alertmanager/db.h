// alertmanager::Db: the alert manager's embedded SQLite database (alerts,
// silences, the notification log, alert history). A thin wrapper:
// statements with positional bindings (each prepared once and kept), rows
// as strings/ints/doubles.
//
// Durability: WAL mode with synchronous=NORMAL. A committed change is in
// the WAL file before the call returns, so it survives SIGKILL; the WAL is
// fsynced at checkpoints (Checkpoint(), which the manager runs every 30 s,
// and SQLite's own every 1000 pages), so a machine crash or power loss
// loses at most the changes since the last one -- the trade the TSDB's
// wal_fsync_interval makes. (synchronous=FULL, an fsync per commit, cost
// about a quarter of the notification throughput and tens of milliseconds
// of dispatch latency in tools/alertmanager_bench.py.)
//
//   VIGIL_ASSIGN_OR_RETURN(auto db, Db::Open(dir + "/alertmanager.db"));
//   VIGIL_RETURN_IF_ERROR(db->Exec("CREATE TABLE IF NOT EXISTS t (k TEXT)"));
//   VIGIL_RETURN_IF_ERROR(db->Run("INSERT INTO t VALUES (?)", {Db::Text("x")}));
//   VIGIL_ASSIGN_OR_RETURN(auto rows, db->Query("SELECT k FROM t", {}));
//
// Thread safety: thread-safe (one connection, serialized by a mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "model/labels.h"
#include "vigil/result.h"
#include "vigil/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace vigil::alertmanager {

class Db {
 public:
  using Value = std::variant<std::nullptr_t, int64_t, double, std::string>;
  using Row = std::vector<Value>;
  static Value Text(std::string_view s) { return std::string(s); }
  static Value Int(int64_t v) { return v; }

  // `path` ":memory:" keeps everything in memory (tests).
  static Result<std::unique_ptr<Db>> Open(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // One or more statements without parameters.
  Status Exec(std::string_view sql);
  // One statement with bound parameters, no rows.
  Status Run(std::string_view sql, const std::vector<Value>& params);
  Result<std::vector<Row>> Query(std::string_view sql, const std::vector<Value>& params);
  // Several Run()s in one transaction (all or nothing).
  Status RunAll(const std::vector<std::pair<std::string, std::vector<Value>>>& statements);

  // Copies the WAL into the database file, fsyncing both (a no-op in
  // memory).
  Status Checkpoint();

  const std::string& path() const { return path_; }

 private:
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status Step(std::string_view sql, const std::vector<Value>& params, std::vector<Row>* rows);

  std::mutex mu_;
  sqlite3* db_;  // guarded by mu_
  std::unordered_map<std::string, sqlite3_stmt*> statements_;  // guarded by mu_
  const std::string path_;
};

// A label set as a JSON object, as the tables store them; decoding skips
// anything that is not a string member (and reads garbage as no labels).
std::string EncodeLabelsJson(const model::Labels& labels);
model::Labels DecodeLabelsJson(std::string_view json);

// Value accessors for rows (0 / "" for NULL or another type).
int64_t AsInt(const Db::Value& v);
const std::string& AsText(const Db::Value& v);

}  // namespace vigil::alertmanager
