// Alert history (the seeds' "alert history"): what happened to each alert,
// kept in the alert manager's SQLite database and queryable over the API:
// fired, resolved (as received), notified (per receiver integration),
// silenced and inhibited (when a flush left it out), failed (a
// notification that gave up). Entries older than the retention are
// deleted by GC.
//
// Thread safety: thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "alertmanager/db.h"
#include "alertmanager/types.h"
#include "vigil/result.h"

namespace vigil::alertmanager {

struct HistoryEvent {
  TimePoint time{};
  std::string event;  // fired, resolved, notified, silenced, inhibited, failed
  uint64_t fingerprint = 0;
  model::Labels labels;
  std::string receiver;  // notified/failed: "receiver/integration/index"
  std::string detail;    // silence ids, the inhibiting alert, an error
};

struct HistoryQuery {
  TimePoint since{};
  TimePoint until = TimePoint::max();
  std::string event;      // empty: any
  std::string alertname;  // empty: any
  std::string fingerprint;  // %016x; empty: any
  int limit = 1000;       // newest first
};

class History {
 public:
  // null db: history is not kept (Record does nothing, Query is empty).
  static Result<std::unique_ptr<History>> Open(
      Db* db, std::chrono::milliseconds retention = std::chrono::hours(24 * 30));

  // Appends events in one transaction.
  Status Record(const std::vector<HistoryEvent>& events);
  Result<std::vector<HistoryEvent>> Query(const HistoryQuery& q) const;
  Status GC(TimePoint now);

 private:
  History(Db* db, std::chrono::milliseconds retention) : db_(db), retention_(retention) {}
  Db* const db_;
  const std::chrono::milliseconds retention_;
};

}  // namespace vigil::alertmanager
