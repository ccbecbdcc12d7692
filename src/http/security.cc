#include "http/security.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <vector>

namespace vigil::http::internal {
namespace {

std::string Sha256(std::string_view a, std::string_view b) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const char nul = '\0';
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), &nul, 1) != 1 ||
      EVP_DigestUpdate(ctx.get(), b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

bool EqualConstantTime(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// bcrypt through libcrypt (libxcrypt), which reads $2a$, $2b$ and $2y$.
bool BcryptMatches(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* out = crypt_r(password.c_str(), hash.c_str(), data.get());
  if (out == nullptr || out[0] == '*') return false;
  return EqualConstantTime(out, hash);
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with optional padding; false on anything else.
bool Base64Decode(std::string_view in, std::string* out) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = Base64Value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

// A bcrypt hash to spend the same time on for unknown users, so that a
// response's timing does not tell which user names exist.
constexpr const char* kDummyHash =
    "$2b$10$pabhDrXjysMX2guGtB1us.f8GKnJBupf2355PRoChk5nmyTIkRAPW";

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

Authenticator::Authenticator(AuthOptions options) : options_(std::move(options)) {}

bool Authenticator::Allow(std::string_view authorization) {
  if (!options_.enabled()) return true;
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  if (StartsWithNoCase(authorization, "basic ")) {
    return !options_.basic_auth_users.empty() && CheckBasic(authorization.substr(6));
  }
  if (StartsWithNoCase(authorization, "bearer ")) {
    std::string_view token = authorization.substr(7);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    return CheckBearer(token);
  }
  return false;
}

bool Authenticator::CheckBasic(std::string_view encoded) {
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  std::string decoded;
  if (!Base64Decode(encoded, &decoded)) return false;
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  const std::string user = decoded.substr(0, colon);
  const std::string password = decoded.substr(colon + 1);
  const std::string key = Sha256(user, password);
  if (key.empty()) return false;
  {
    std::lock_guard lock(mu_);
    if (verified_.count(key) != 0) return true;
  }
  auto it = options_.basic_auth_users.find(user);
  if (it == options_.basic_auth_users.end()) {
    BcryptMatches(password, kDummyHash);
    return false;
  }
  if (!BcryptMatches(password, it->second)) return false;
  std::lock_guard lock(mu_);
  // Bounded: a changed password set needs a new server anyway.
  if (verified_.size() < 4096) verified_.insert(key);
  return true;
}

bool Authenticator::CheckBearer(std::string_view token) const {
  bool ok = false;
  for (const std::string& t : options_.bearer_tokens) ok |= EqualConstantTime(token, t);
  return ok && !token.empty();
}

RateLimiter::RateLimiter(RateLimitOptions options)
    : rate_(options.requests_per_second),
      burst_(options.burst > 0 ? options.burst : std::max(1.0, options.requests_per_second)) {}

bool RateLimiter::Allow(const std::string& client, std::chrono::steady_clock::time_point now) {
  if (rate_ <= 0) return true;
  std::lock_guard lock(mu_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxClients) {
      // Refill everything and drop the buckets that are full again.
      for (auto b = buckets_.begin(); b != buckets_.end();) {
        const double dt = std::chrono::duration<double>(now - b->second.last).count();
        if (b->second.tokens + dt * rate_ >= burst_) {
          b = buckets_.erase(b);
        } else {
          ++b;
        }
      }
      // Still full of busy clients: the newcomer shares no bucket and waits.
      if (buckets_.size() >= kMaxClients) return false;
    }
    it = buckets_.emplace(client, Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  const double dt = std::chrono::duration<double>(now - b.last).count();
  b.tokens = std::min(burst_, b.tokens + std::max(0.0, dt) * rate_);
  b.last = now;
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

}  // namespace vigil::http::internal
