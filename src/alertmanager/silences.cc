#include "alertmanager/silences.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include <nlohmann/json.hpp>

#include "base/status_macros.h"
#include "model/timestamp.h"

namespace vigil::alertmanager {
namespace {

std::string EncodeMatchers(const std::vector<model::Matcher>& ms) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& m : ms) {
    j.push_back({{"name", m.name()},
                 {"type", std::string(model::MatchTypeString(m.type()))},
                 {"value", m.value()}});
  }
  return j.dump();
}

Result<std::vector<model::Matcher>> DecodeMatchers(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return DataLossError("silence matchers: not a JSON array");
  std::vector<model::Matcher> out;
  for (const auto& m : j) {
    if (!m.is_object() || !m["name"].is_string() || !m["type"].is_string() ||
        !m["value"].is_string()) {
      return DataLossError("silence matchers: malformed entry");
    }
    const std::string type = m["type"];
    model::MatchType t = type == "=" ? model::MatchType::kEqual
                         : type == "!=" ? model::MatchType::kNotEqual
                         : type == "=~" ? model::MatchType::kRegexMatch
                                        : model::MatchType::kRegexNoMatch;
    VIGIL_ASSIGN_OR_RETURN(auto matcher, model::Matcher::Make(t, m["name"].get<std::string>(),
                                                              m["value"].get<std::string>()));
    out.push_back(std::move(matcher));
  }
  return out;
}

bool SameMatchers(const std::vector<model::Matcher>& a, const std::vector<model::Matcher>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name() != b[i].name() || a[i].type() != b[i].type() || a[i].value() != b[i].value()) {
      return false;
    }
  }
  return true;
}

// Alertmanager's canUpdate.
bool CanUpdate(const Silence& a, const Silence& b, TimePoint now) {
  if (!SameMatchers(a.matchers, b.matchers)) return false;
  switch (a.StateAt(now)) {
    case SilenceState::kActive:
      return b.starts_at == a.starts_at && !(b.ends_at < now);
    case SilenceState::kPending:
      return !(b.starts_at < now);
    case SilenceState::kExpired:
      return false;
  }
  return false;
}

Status Validate(const Silence& s) {
  if (s.matchers.empty()) return InvalidArgumentError("silence has no matchers");
  bool all_empty = true;
  for (const auto& m : s.matchers) all_empty = all_empty && m.MatchesEmpty();
  if (all_empty) {
    return InvalidArgumentError("at least one matcher must not match the empty string");
  }
  if (s.starts_at == TimePoint{}) return InvalidArgumentError("invalid zero start timestamp");
  if (s.ends_at == TimePoint{}) return InvalidArgumentError("invalid zero end timestamp");
  if (s.ends_at < s.starts_at) return InvalidArgumentError("end time must not be before start time");
  return Status::OK();
}

}  // namespace

std::string_view SilenceStateName(SilenceState s) {
  switch (s) {
    case SilenceState::kPending:
      return "pending";
    case SilenceState::kActive:
      return "active";
    case SilenceState::kExpired:
      return "expired";
  }
  return "expired";
}

SilenceState Silence::StateAt(TimePoint now) const {
  if (now < starts_at) return SilenceState::kPending;
  if (now < ends_at) return SilenceState::kActive;
  return SilenceState::kExpired;
}

std::string NewUuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t hi = (rng() & ~0xf000ull) | 0x4000ull;                 // version 4
  const uint64_t lo = (rng() & ~(0xc000ull << 48)) | (0x8000ull << 48);  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32), static_cast<unsigned>((hi >> 16) & 0xffff),
                static_cast<unsigned>(hi & 0xffff), static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffull));
  return buf;
}

Result<std::unique_ptr<Silences>> Silences::Open(Db* db, std::chrono::milliseconds retention) {
  std::unique_ptr<Silences> s(new Silences(db, retention));
  if (db == nullptr) return s;
  VIGIL_RETURN_IF_ERROR(db->Exec(
      "CREATE TABLE IF NOT EXISTS silences (id TEXT PRIMARY KEY, matchers TEXT NOT NULL, "
      "starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, "
      "created_by TEXT NOT NULL, comment TEXT NOT NULL)"));
  VIGIL_ASSIGN_OR_RETURN(auto rows, db->Query("SELECT id, matchers, starts_at, ends_at, "
                                              "updated_at, created_by, comment FROM silences",
                                              {}));
  for (const auto& row : rows) {
    Silence sil;
    sil.id = AsText(row[0]);
    auto ms = DecodeMatchers(AsText(row[1]));
    if (!ms.ok()) return DataLossError("silence " + sil.id + ": " + std::string(ms.status().message()));
    sil.matchers = *std::move(ms);
    sil.starts_at = model::ToTimePointNanos(AsInt(row[2]));
    sil.ends_at = model::ToTimePointNanos(AsInt(row[3]));
    sil.updated_at = model::ToTimePointNanos(AsInt(row[4]));
    sil.created_by = AsText(row[5]);
    sil.comment = AsText(row[6]);
    s->silences_.emplace(sil.id, std::move(sil));
  }
  return s;
}

Status Silences::Store(const Silence& s) {
  if (db_ == nullptr) return Status::OK();
  return db_->Run(
      "INSERT OR REPLACE INTO silences (id, matchers, starts_at, ends_at, updated_at, "
      "created_by, comment) VALUES (?, ?, ?, ?, ?, ?, ?)",
      {s.id, EncodeMatchers(s.matchers), model::FromTimePointNanos(s.starts_at), model::FromTimePointNanos(s.ends_at),
       model::FromTimePointNanos(s.updated_at), s.created_by, s.comment});
}

Result<std::string> Silences::Set(Silence s, TimePoint now) {
  VIGIL_RETURN_IF_ERROR(Validate(s));
  std::lock_guard lock(mu_);
  if (!s.id.empty()) {
    auto it = silences_.find(s.id);
    if (it == silences_.end()) return NotFoundError("silence " + s.id + " not found");
    if (CanUpdate(it->second, s, now)) {
      s.updated_at = now;
      VIGIL_RETURN_IF_ERROR(Store(s));
      it->second = s;
      return s.id;
    }
    // Cannot update in place: expire the old one, create a new one.
    if (it->second.StateAt(now) != SilenceState::kExpired) {
      Silence old = it->second;
      if (old.StateAt(now) == SilenceState::kPending) old.starts_at = now;
      old.ends_at = now;
      old.updated_at = now;
      VIGIL_RETURN_IF_ERROR(Store(old));
      it->second = std::move(old);
    }
  }
  s.id = NewUuid();
  if (s.starts_at < now) s.starts_at = now;
  if (s.ends_at < s.starts_at) return InvalidArgumentError("end time must not be before start time");
  s.updated_at = now;
  VIGIL_RETURN_IF_ERROR(Store(s));
  silences_.emplace(s.id, s);
  return s.id;
}

Status Silences::Expire(std::string_view id, TimePoint now) {
  std::lock_guard lock(mu_);
  auto it = silences_.find(id);
  if (it == silences_.end()) return NotFoundError("silence " + std::string(id) + " not found");
  Silence s = it->second;
  switch (s.StateAt(now)) {
    case SilenceState::kExpired:
      return FailedPreconditionError("silence " + std::string(id) + " already expired");
    case SilenceState::kPending:
      s.starts_at = now;
      s.ends_at = now;
      break;
    case SilenceState::kActive:
      s.ends_at = now;
      break;
  }
  s.updated_at = now;
  VIGIL_RETURN_IF_ERROR(Store(s));
  it->second = std::move(s);
  return Status::OK();
}

Result<Silence> Silences::Get(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = silences_.find(id);
  if (it == silences_.end()) return NotFoundError("silence " + std::string(id) + " not found");
  return it->second;
}

std::vector<Silence> Silences::List() const {
  std::lock_guard lock(mu_);
  std::vector<Silence> out;
  out.reserve(silences_.size());
  for (const auto& [id, s] : silences_) out.push_back(s);
  return out;
}

std::vector<std::string> Silences::Mutes(const model::Labels& labels, TimePoint now) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> ids;
  for (const auto& [id, s] : silences_) {
    if (s.StateAt(now) == SilenceState::kActive && MatchesAll(s.matchers, labels)) {
      ids.push_back(id);
    }
  }
  return ids;
}

Status Silences::GC(TimePoint now) {
  std::lock_guard lock(mu_);
  for (auto it = silences_.begin(); it != silences_.end();) {
    if (it->second.ends_at + retention_ <= now) {
      if (db_ != nullptr) VIGIL_RETURN_IF_ERROR(db_->Run("DELETE FROM silences WHERE id = ?", {it->first}));
      it = silences_.erase(it);
    } else {
      ++it;
    }
  }
  return Status::OK();
}

}  // namespace vigil::alertmanager
