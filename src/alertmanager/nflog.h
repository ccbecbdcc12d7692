// The notification log (Alertmanager's nflog): per aggregation group and
// receiver integration, which alerts the last successful notification
// reported as firing and as resolved, and when. The dedup stage reads it
// to send nothing twice; it is written to the database before a flush
// counts as done, so a restart neither re-sends nor forgets. Entries
// expire after `retention` (default 120h, Alertmanager's).
//
// Thread safety: thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "alertmanager/db.h"
#include "alertmanager/types.h"
#include "vigil/result.h"

namespace vigil::alertmanager {

struct NflogEntry {
  std::vector<uint64_t> firing;    // sorted fingerprints
  std::vector<uint64_t> resolved;  // sorted fingerprints
  TimePoint timestamp{};
  TimePoint expires_at{};
};

// Alertmanager's receiver key: "receiver/integration/index".
std::string ReceiverKey(std::string_view receiver, std::string_view integration, int index);

class NotificationLog {
 public:
  static Result<std::unique_ptr<NotificationLog>> Open(
      Db* db, std::chrono::milliseconds retention = std::chrono::hours(120));

  std::optional<NflogEntry> Query(const std::string& group_key,
                                  const std::string& receiver_key) const;
  Status Log(const std::string& group_key, const std::string& receiver_key,
             std::vector<uint64_t> firing, std::vector<uint64_t> resolved, TimePoint now);
  Status GC(TimePoint now);
  size_t size() const;

 private:
  NotificationLog(Db* db, std::chrono::milliseconds retention) : db_(db), retention_(retention) {}

  Db* const db_;
  const std::chrono::milliseconds retention_;
  mutable std::mutex mu_;
  std::map<std::string, NflogEntry> entries_;  // "group_key:receiver_key"; guarded by mu_
};

}  // namespace vigil::alertmanager
