#include "alertmanager/db.h"

#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "base/status_macros.h"

namespace vigil::alertmanager {
namespace {

Status SqliteError(sqlite3* db, std::string_view what) {
  return InternalError(std::string(what) + ": " + sqlite3_errmsg(db));
}

}  // namespace

Result<std::unique_ptr<Db>> Db::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return UnavailableError("open " + path + ": " + msg);
  }
  sqlite3_busy_timeout(raw, 5000);
  std::unique_ptr<Db> db(new Db(raw, path));
  if (path != ":memory:") {
    VIGIL_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"));
  }
  return db;
}

Db::~Db() {
  for (auto& [sql, st] : statements_) sqlite3_finalize(st);
  sqlite3_close(db_);
}

Status Db::Exec(std::string_view sql) {
  std::lock_guard lock(mu_);
  char* err = nullptr;
  if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    return InternalError(path_ + ": " + msg);
  }
  return Status::OK();
}

Status Db::Step(std::string_view sql, const std::vector<Value>& params, std::vector<Row>* rows) {
  // Statements are prepared once and kept (the callers' SQL is a fixed
  // set of strings).
  sqlite3_stmt*& st = statements_[std::string(sql)];
  if (st == nullptr && sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &st,
                                          nullptr) != SQLITE_OK) {
    statements_.erase(std::string(sql));
    return SqliteError(db_, path_ + ": prepare");
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const int idx = static_cast<int>(i + 1);
    const Value& v = params[i];
    if (std::holds_alternative<std::nullptr_t>(v)) {
      sqlite3_bind_null(st, idx);
    } else if (const auto* n = std::get_if<int64_t>(&v)) {
      sqlite3_bind_int64(st, idx, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      sqlite3_bind_double(st, idx, *d);
    } else {
      const std::string& s = std::get<std::string>(v);
      sqlite3_bind_text(st, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
  }
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (rows == nullptr) continue;
    Row row;
    const int n = sqlite3_column_count(st);
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(st, c)) {
        case SQLITE_INTEGER:
          row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(st, c)));
          break;
        case SQLITE_FLOAT:
          row.emplace_back(sqlite3_column_double(st, c));
          break;
        case SQLITE_NULL:
          row.emplace_back(nullptr);
          break;
        default: {
          const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
          row.emplace_back(std::string(p, static_cast<size_t>(sqlite3_column_bytes(st, c))));
        }
      }
    }
    rows->push_back(std::move(row));
  }
  Status s = rc == SQLITE_DONE ? Status::OK() : SqliteError(db_, path_ + ": step");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return s;
}

Status Db::Checkpoint() {
  std::lock_guard lock(mu_);
  if (path_ == ":memory:") return Status::OK();
  if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) !=
      SQLITE_OK) {
    return SqliteError(db_, path_ + ": checkpoint");
  }
  return Status::OK();
}

Status Db::Run(std::string_view sql, const std::vector<Value>& params) {
  std::lock_guard lock(mu_);
  return Step(sql, params, nullptr);
}

Result<std::vector<Db::Row>> Db::Query(std::string_view sql, const std::vector<Value>& params) {
  std::lock_guard lock(mu_);
  std::vector<Row> rows;
  VIGIL_RETURN_IF_ERROR(Step(sql, params, &rows));
  return rows;
}

Status Db::RunAll(const std::vector<std::pair<std::string, std::vector<Value>>>& statements) {
  std::lock_guard lock(mu_);
  VIGIL_RETURN_IF_ERROR(Step("BEGIN IMMEDIATE", {}, nullptr));
  for (const auto& [sql, params] : statements) {
    Status s = Step(sql, params, nullptr);
    if (!s.ok()) {
      (void)Step("ROLLBACK", {}, nullptr);
      return s;
    }
  }
  Status s = Step("COMMIT", {}, nullptr);
  // A COMMIT that fails (busy, disk full, I/O error) may leave the
  // transaction open; every later BEGIN would fail.
  if (!s.ok() && sqlite3_get_autocommit(db_) == 0) (void)Step("ROLLBACK", {}, nullptr);
  return s;
}

std::string EncodeLabelsJson(const model::Labels& labels) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& l : labels) j[std::string(l.name)] = std::string(l.value);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

model::Labels DecodeLabelsJson(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  std::vector<std::pair<std::string, std::string>> pairs;
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) {
      if (v.is_string()) pairs.emplace_back(k, v.get<std::string>());
    }
  }
  return model::Labels::FromPairs(std::move(pairs));
}

int64_t AsInt(const Db::Value& v) {
  if (const auto* n = std::get_if<int64_t>(&v)) return *n;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  return 0;
}

const std::string& AsText(const Db::Value& v) {
  static const std::string kEmpty;
  const auto* s = std::get_if<std::string>(&v);
  return s != nullptr ? *s : kEmpty;
}

}  // namespace vigil::alertmanager
