#include "alertmanager/history.h"

#include <charconv>

#include "base/status_macros.h"
#include "model/timestamp.h"

namespace vigil::alertmanager {

Result<std::unique_ptr<History>> History::Open(Db* db, std::chrono::milliseconds retention) {
  std::unique_ptr<History> h(new History(db, retention));
  if (db == nullptr) return h;
  VIGIL_RETURN_IF_ERROR(db->Exec(
      "CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY AUTOINCREMENT, "
      "time INTEGER NOT NULL, event TEXT NOT NULL, fingerprint TEXT NOT NULL, "
      "alertname TEXT NOT NULL, labels TEXT NOT NULL, receiver TEXT NOT NULL, "
      "detail TEXT NOT NULL);"
      "CREATE INDEX IF NOT EXISTS history_time ON history (time);"
      "CREATE INDEX IF NOT EXISTS history_fp ON history (fingerprint, time);"));
  return h;
}

Status History::Record(const std::vector<HistoryEvent>& events) {
  if (db_ == nullptr || events.empty()) return Status::OK();
  std::vector<std::pair<std::string, std::vector<Db::Value>>> stmts;
  stmts.reserve(events.size());
  for (const HistoryEvent& e : events) {
    stmts.push_back({"INSERT INTO history (time, event, fingerprint, alertname, labels, receiver, "
                     "detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     {model::FromTimePointNanos(e.time), e.event, FingerprintString(e.fingerprint),
                      std::string(e.labels.Get("alertname")), EncodeLabelsJson(e.labels), e.receiver,
                      e.detail}});
  }
  return db_->RunAll(stmts);
}

Result<std::vector<HistoryEvent>> History::Query(const HistoryQuery& q) const {
  std::vector<HistoryEvent> out;
  if (db_ == nullptr) return out;
  std::string sql =
      "SELECT time, event, fingerprint, labels, receiver, detail FROM history "
      "WHERE time >= ? AND time <= ?";
  std::vector<Db::Value> params = {model::FromTimePointNanos(q.since),
                                   q.until == TimePoint::max() ? INT64_MAX : model::FromTimePointNanos(q.until)};
  if (!q.event.empty()) {
    sql += " AND event = ?";
    params.push_back(q.event);
  }
  if (!q.alertname.empty()) {
    sql += " AND alertname = ?";
    params.push_back(q.alertname);
  }
  if (!q.fingerprint.empty()) {
    sql += " AND fingerprint = ?";
    params.push_back(q.fingerprint);
  }
  sql += " ORDER BY time DESC, id DESC LIMIT ?";
  params.push_back(static_cast<int64_t>(q.limit > 0 ? q.limit : 1000));
  VIGIL_ASSIGN_OR_RETURN(auto rows, db_->Query(sql, params));
  for (const auto& r : rows) {
    HistoryEvent e;
    e.time = model::ToTimePointNanos(AsInt(r[0]));
    e.event = AsText(r[1]);
    const std::string& fp = AsText(r[2]);
    std::from_chars(fp.data(), fp.data() + fp.size(), e.fingerprint, 16);  // 0 if garbage
    e.labels = DecodeLabelsJson(AsText(r[3]));
    e.receiver = AsText(r[4]);
    e.detail = AsText(r[5]);
    out.push_back(std::move(e));
  }
  return out;
}

Status History::GC(TimePoint now) {
  if (db_ == nullptr) return Status::OK();
  return db_->Run("DELETE FROM history WHERE time < ?", {model::FromTimePointNanos(now - retention_)});
}

}  // namespace vigil::alertmanager
