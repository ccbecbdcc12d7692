#include "http/certificate_store.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <utility>

namespace vigil::http::internal {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct ChainFree {
  void operator()(STACK_OF(X509)* s) const { sk_X509_pop_free(s, X509_free); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

CertificateStore::FileId Identify(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {.dev = static_cast<uint64_t>(st.st_dev),
          .ino = static_cast<uint64_t>(st.st_ino),
          .size = static_cast<uint64_t>(st.st_size),
          .mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

}  // namespace

std::string OpenSslError() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown error" : out;
}

struct CertificateStore::Pair {
  std::unique_ptr<X509, X509Free> leaf;
  std::unique_ptr<STACK_OF(X509), ChainFree> chain;
  std::unique_ptr<EVP_PKEY, KeyFree> key;
};

CertificateStore::CertificateStore(std::string cert_file, std::string key_file, Log log)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)), log_(std::move(log)) {}

CertificateStore::~CertificateStore() = default;

// Reads and checks the pair; no lock held (files may be slow).
Result<std::shared_ptr<const CertificateStore::Pair>> CertificateStore::LoadPair() const {
  ERR_clear_error();
  auto next = std::make_shared<Pair>();
  {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_file(cert_file_.c_str(), "r"));
    if (bio == nullptr) {
      return InvalidArgumentError("tls cert_file " + cert_file_ + ": " + OpenSslError());
    }
    next->leaf.reset(PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr));
    if (next->leaf == nullptr) {
      return InvalidArgumentError("tls cert_file " + cert_file_ + ": " + OpenSslError());
    }
    next->chain.reset(sk_X509_new_null());
    while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      sk_X509_push(next->chain.get(), ca);
    }
    ERR_clear_error();  // the end of the file ends the chain
  }
  {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_file(key_file_.c_str(), "r"));
    if (bio != nullptr) {
      next->key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    }
    if (next->key == nullptr) {
      return InvalidArgumentError("tls key_file " + key_file_ + ": " + OpenSslError());
    }
  }
  if (X509_check_private_key(next->leaf.get(), next->key.get()) != 1) {
    ERR_clear_error();
    return InvalidArgumentError("tls key_file " + key_file_ + " does not match cert_file " +
                                cert_file_ + " (key values mismatch)");
  }
  return std::shared_ptr<const Pair>(std::move(next));
}

Status CertificateStore::Load() {
  const FileId cert_id = Identify(cert_file_);
  const FileId key_id = Identify(key_file_);
  Result<std::shared_ptr<const Pair>> pair = LoadPair();
  if (!pair.ok()) return pair.status();
  MutexLock l(&mu_);
  pair_ = std::move(pair).value();
  cert_id_ = cert_id;
  key_id_ = key_id;
  return Status::OK();
}

bool CertificateStore::Install(SSL* ssl) {
  const FileId cert_id = Identify(cert_file_);
  const FileId key_id = Identify(key_file_);
  std::shared_ptr<const Pair> pair;
  bool reload = false;
  {
    MutexLock l(&mu_);
    pair = pair_;
    const bool changed = cert_id != cert_id_ || key_id != key_id_;
    const bool known_bad = cert_id == failed_cert_id_ && key_id == failed_key_id_;
    reload = changed && !known_bad;
  }
  if (reload) {
    // Outside the lock: other handshakes go on with the current pair.
    Result<std::shared_ptr<const Pair>> next = LoadPair();
    std::string report;
    {
      MutexLock l(&mu_);
      if (next.ok()) {
        if (cert_id != cert_id_ || key_id != key_id_) ++reloads_;
        pair_ = *next;
        cert_id_ = cert_id;
        key_id_ = key_id;
        pair = pair_;
      } else if (cert_id != failed_cert_id_ || key_id != failed_key_id_) {
        failed_cert_id_ = cert_id;
        failed_key_id_ = key_id;
        report = "TLS certificate not reloaded, serving the previous one: " +
                 std::string(next.status().message());
      }
    }
    if (!report.empty() && log_) log_(report);
  }
  if (pair == nullptr) return false;
  return SSL_use_cert_and_key(ssl, pair->leaf.get(), pair->key.get(), pair->chain.get(),
                              /*override=*/1) == 1;
}

uint64_t CertificateStore::reloads() const {
  MutexLock l(&mu_);
  return reloads_;
}

int CertificateStore::CertCallback(SSL* ssl, void* arg) {
  return static_cast<CertificateStore*>(arg)->Install(ssl) ? 1 : 0;
}

}  // namespace vigil::http::internal
