// http::internal::CertificateStore: a TLS server's certificate chain and
// private key, read again when either file changes, so that a rotated
// certificate (cert-manager, certbot, a renewed internal CA) is served
// without a restart, as Prometheus' web-config does.
//
//   auto store = std::make_shared<CertificateStore>(cert_file, key_file, log);
//   VIGIL_RETURN_IF_ERROR(store->Load());        // at start: errors name the file
//   SSL_CTX_set_cert_cb(ctx, CertificateStore::CertCallback, store.get());
//
// At each handshake the callback compares both files' identity (device,
// inode, size, modification time) with what was loaded; when either changed
// it loads the pair and, when it is readable and the key matches, serves it
// from then on. The files are read outside the lock, so other handshakes go
// on meanwhile. A pair that fails keeps the previous one, and `log` is told
// once per change of the files (a half-written rotation is retried when the
// second file lands).
//
// Thread safety: thread-safe (handshakes run on many worker threads).
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/thread_annotations.h"
#include "vigil/result.h"
#include "vigil/status.h"

namespace vigil::http::internal {

// The errors OpenSSL queued on this thread, joined with "; " (and cleared).
std::string OpenSslError();

class CertificateStore {
 public:
  using Log = std::function<void(std::string_view)>;
  CertificateStore(std::string cert_file, std::string key_file, Log log);
  ~CertificateStore();
  CertificateStore(const CertificateStore&) = delete;
  CertificateStore& operator=(const CertificateStore&) = delete;

  // Loads the pair now; kInvalidArgument naming the file that failed (or
  // saying the key does not match).
  Status Load();
  // Reloads the pair if its files changed, then puts the current one on
  // `ssl`. False only when no pair was ever loaded.
  bool Install(SSL* ssl);
  // How many times a changed pair was loaded (tests, metrics).
  uint64_t reloads() const;

  // For SSL_CTX_set_cert_cb: `arg` is the store. 1 on success, 0 aborts the
  // handshake.
  static int CertCallback(SSL* ssl, void* arg);

  struct FileId {
    uint64_t dev = 0, ino = 0, size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileId&) const = default;
  };
  struct Pair;

 private:
  Result<std::shared_ptr<const Pair>> LoadPair() const;

  const std::string cert_file_;
  const std::string key_file_;
  const Log log_;
  mutable Mutex mu_;
  std::shared_ptr<const Pair> pair_ VIGIL_GUARDED_BY(mu_);  // null until Load()
  FileId cert_id_ VIGIL_GUARDED_BY(mu_);
  FileId key_id_ VIGIL_GUARDED_BY(mu_);
  // The identities of a pair that failed to load, so it is reported once.
  FileId failed_cert_id_ VIGIL_GUARDED_BY(mu_);
  FileId failed_key_id_ VIGIL_GUARDED_BY(mu_);
  uint64_t reloads_ VIGIL_GUARDED_BY(mu_) = 0;
};

}  // namespace vigil::http::internal
