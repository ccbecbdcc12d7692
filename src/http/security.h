// The http server's request checks: Basic/Bearer authentication and a
// per-client rate limit (server.h's AuthOptions and RateLimitOptions).
// Internal to the http module; server.cc runs them before routing.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "base/thread_annotations.h"
#include "http/server.h"

namespace vigil::http::internal {

// Checks an Authorization header value against AuthOptions.
//
// Thread safety: thread-safe.
class Authenticator {
 public:
  explicit Authenticator(AuthOptions options);
  // True when `authorization` (the header's value, possibly empty) holds a
  // valid credential, or when no credentials are configured.
  bool Allow(std::string_view authorization);

 private:
  bool CheckBasic(std::string_view encoded);
  bool CheckBearer(std::string_view token) const;

  const AuthOptions options_;
  std::mutex mu_;
  // SHA-256 of user, NUL, password for pairs bcrypt has accepted.
  std::unordered_set<std::string> verified_ VIGIL_GUARDED_BY(mu_);
};

// A token bucket per client address. At most kMaxClients buckets are kept;
// past that, full buckets are dropped first (a full bucket is the same as
// no bucket).
//
// Thread safety: thread-safe.
class RateLimiter {
 public:
  static constexpr size_t kMaxClients = 10000;
  explicit RateLimiter(RateLimitOptions options);
  bool enabled() const { return rate_ > 0; }
  // Takes one token for `client` at `now`; false when the bucket is empty.
  bool Allow(const std::string& client, std::chrono::steady_clock::time_point now);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  const double rate_;
  const double burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_ VIGIL_GUARDED_BY(mu_);
};

}  // namespace vigil::http::internal
