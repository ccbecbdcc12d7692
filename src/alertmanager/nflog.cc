#include "alertmanager/nflog.h"

#include <algorithm>
#include <sstream>

#include "base/status_macros.h"
#include "model/timestamp.h"

namespace vigil::alertmanager {
namespace {

std::string Encode(const std::vector<uint64_t>& fps) {
  std::string out;
  for (uint64_t fp : fps) {
    if (!out.empty()) out += ',';
    out += FingerprintString(fp);
  }
  return out;
}

std::vector<uint64_t> Decode(const std::string& s) {
  std::vector<uint64_t> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(std::stoull(item, nullptr, 16));
  }
  return out;
}

std::string Key(const std::string& group_key, const std::string& receiver_key) {
  return group_key + ":" + receiver_key;
}

}  // namespace

std::string ReceiverKey(std::string_view receiver, std::string_view integration, int index) {
  return std::string(receiver) + "/" + std::string(integration) + "/" + std::to_string(index);
}

Result<std::unique_ptr<NotificationLog>> NotificationLog::Open(
    Db* db, std::chrono::milliseconds retention) {
  std::unique_ptr<NotificationLog> log(new NotificationLog(db, retention));
  if (db == nullptr) return log;
  VIGIL_RETURN_IF_ERROR(db->Exec(
      "CREATE TABLE IF NOT EXISTS nflog (key TEXT PRIMARY KEY, firing TEXT NOT NULL, "
      "resolved TEXT NOT NULL, timestamp INTEGER NOT NULL, expires_at INTEGER NOT NULL)"));
  VIGIL_ASSIGN_OR_RETURN(
      auto rows, db->Query("SELECT key, firing, resolved, timestamp, expires_at FROM nflog", {}));
  for (const auto& row : rows) {
    NflogEntry e;
    e.firing = Decode(AsText(row[1]));
    e.resolved = Decode(AsText(row[2]));
    e.timestamp = model::ToTimePointNanos(AsInt(row[3]));
    e.expires_at = model::ToTimePointNanos(AsInt(row[4]));
    log->entries_.emplace(AsText(row[0]), std::move(e));
  }
  return log;
}

std::optional<NflogEntry> NotificationLog::Query(const std::string& group_key,
                                                 const std::string& receiver_key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(Key(group_key, receiver_key));
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

Status NotificationLog::Log(const std::string& group_key, const std::string& receiver_key,
                            std::vector<uint64_t> firing, std::vector<uint64_t> resolved,
                            TimePoint now) {
  std::sort(firing.begin(), firing.end());
  std::sort(resolved.begin(), resolved.end());
  NflogEntry e{std::move(firing), std::move(resolved), now, now + retention_};
  const std::string key = Key(group_key, receiver_key);
  std::lock_guard lock(mu_);
  if (db_ != nullptr) {
    VIGIL_RETURN_IF_ERROR(db_->Run(
        "INSERT OR REPLACE INTO nflog (key, firing, resolved, timestamp, expires_at) "
        "VALUES (?, ?, ?, ?, ?)",
        {key, Encode(e.firing), Encode(e.resolved), model::FromTimePointNanos(e.timestamp), model::FromTimePointNanos(e.expires_at)}));
  }
  entries_[key] = std::move(e);
  return Status::OK();
}

Status NotificationLog::GC(TimePoint now) {
  std::lock_guard lock(mu_);
  if (db_ != nullptr) {
    VIGIL_RETURN_IF_ERROR(db_->Run("DELETE FROM nflog WHERE expires_at <= ?", {model::FromTimePointNanos(now)}));
  }
  std::erase_if(entries_, [&](const auto& kv) { return kv.second.expires_at <= now; });
  return Status::OK();
}

size_t NotificationLog::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace vigil::alertmanager
