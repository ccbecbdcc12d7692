// Silences (Alertmanager 0.25's silence package): matchers plus a time
// range during which matching alerts are not notified. A silence is
// pending before starts_at, active until ends_at, then expired; expired
// silences are kept for `retention` (default 120h), then deleted. Every
// change is written to the database before it is acknowledged, so
// silences survive restarts and SIGKILL.
//
// Updating keeps the id when Alertmanager allows it (same matchers; an
// active silence may only move its end, not into the past; a pending one
// may not start in the past); otherwise the old silence is expired and a
// new one (new id) created, as Alertmanager does.
//
// Thread safety: thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "alertmanager/db.h"
#include "alertmanager/types.h"
#include "model/matcher.h"
#include "vigil/result.h"

namespace vigil::alertmanager {

enum class SilenceState : uint8_t { kPending, kActive, kExpired };
std::string_view SilenceStateName(SilenceState s);  // "pending", "active", "expired"

struct Silence {
  std::string id;  // empty: a new silence
  std::vector<model::Matcher> matchers;
  TimePoint starts_at{};
  TimePoint ends_at{};
  TimePoint updated_at{};
  std::string created_by;
  std::string comment;

  SilenceState StateAt(TimePoint now) const;
};

class Silences {
 public:
  // Loads the silences stored in `db` (null: memory only).
  static Result<std::unique_ptr<Silences>> Open(
      Db* db, std::chrono::milliseconds retention = std::chrono::hours(120));

  // Creates or updates; returns the (possibly new) id. kInvalidArgument
  // for no matchers, matchers that all match "", or ends_at <= starts_at;
  // kNotFound for an unknown id.
  Result<std::string> Set(Silence s, TimePoint now);
  // Ends a pending or active silence now; kFailedPrecondition if it has
  // already expired, kNotFound if unknown.
  Status Expire(std::string_view id, TimePoint now);
  Result<Silence> Get(std::string_view id) const;
  // All silences (expired ones within retention too), by id.
  std::vector<Silence> List() const;
  // The ids of the active silences whose matchers all match `labels`.
  std::vector<std::string> Mutes(const model::Labels& labels, TimePoint now) const;
  // Deletes silences expired longer than the retention ago.
  Status GC(TimePoint now);

 private:
  Silences(Db* db, std::chrono::milliseconds retention) : db_(db), retention_(retention) {}
  Status Store(const Silence& s);

  Db* const db_;
  const std::chrono::milliseconds retention_;
  mutable std::mutex mu_;
  std::map<std::string, Silence, std::less<>> silences_;  // guarded by mu_
};

// A random RFC 4122 version 4 UUID ("3f2b...-4...-8...").
std::string NewUuid();

}  // namespace vigil::alertmanager
