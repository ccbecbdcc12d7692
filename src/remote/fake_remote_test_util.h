// Test helper: a remote-write receiver on 127.0.0.1 (vigil::http::Server)
// that decodes each request (snappy + protobuf) and keeps every sample, and
// answers as a test tells it (fail the next n requests with a status, hold
// requests until released); and OpenQuietDb, a database for WAL tests.
//
// Thread safety: thread-safe (handlers run on the server's threads).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "http/server.h"
#include "remote/codec.h"
#include "tsdb/db.h"

namespace vigil::remote::fake {

// "a=1,b=2": a label set as one string.
inline std::string LabelsKey(const LabelPairs& labels) {
  std::string out;
  for (const auto& [n, v] : labels) {
    if (!out.empty()) out += ",";
    out += n + "=" + v;
  }
  return out;
}

class FakeRemote {
 public:
  // Port 0 picks a free one.
  explicit FakeRemote(int port = 0) {
    auto s = http::Server::Create(
        {.listen_address = "127.0.0.1:" + std::to_string(port),
         .max_body_bytes = 64 << 20,
         .worker_threads = 16});
    server_ = std::move(s).value();
    server_->Handle("POST", "/api/v1/write",
                    [this](const http::Request& req, http::Response* res) {
                      Handle(req, res);
                    });
  }
  ~FakeRemote() {
    Release();
    server_->Stop();
  }

  Status Start() { return server_->Start(); }
  void Stop() { server_->Stop(); }
  int port() const { return server_->port(); }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port()) + "/api/v1/write";
  }

  // The next n requests are answered `status` (not stored).
  void FailNext(int n, int status) {
    std::lock_guard lock(mu_);
    fail_next_ = n;
    fail_status_ = status;
  }
  // Every request is answered `status`; 204 stores.
  void SetStatus(int status) {
    std::lock_guard lock(mu_);
    status_ = status;
  }
  // Every request takes at least `d` to answer.
  void SetDelay(std::chrono::milliseconds d) {
    std::lock_guard lock(mu_);
    delay_ = d;
  }
  // Requests wait in the handler until Release().
  void Hold() {
    std::lock_guard lock(mu_);
    hold_ = true;
  }
  void Release() {
    std::lock_guard lock(mu_);
    hold_ = false;
    cv_.notify_all();
  }

  size_t samples() const {
    std::lock_guard lock(mu_);
    return samples_;
  }
  size_t requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  size_t held() const {
    std::lock_guard lock(mu_);
    return held_;
  }
  // Samples per label set, in arrival order.
  std::map<std::string, std::vector<WriteSample>> series() const {
    std::lock_guard lock(mu_);
    return series_;
  }
  std::map<std::string, std::string> last_headers() const {
    std::lock_guard lock(mu_);
    return headers_;
  }
  std::vector<std::string> errors() const {
    std::lock_guard lock(mu_);
    return errors_;
  }

  bool WaitForSamples(size_t n, std::chrono::milliseconds limit =
                                    std::chrono::seconds(30)) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (samples() < n) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

 private:
  void Handle(const http::Request& req, http::Response* res) {
    std::chrono::milliseconds delay;
    {
      std::lock_guard lock(mu_);
      delay = delay_;
    }
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    std::unique_lock lock(mu_);
    ++requests_;
    if (hold_) {
      ++held_;
      cv_.wait(lock, [this] { return !hold_; });
      --held_;
    }
    for (const char* h : {"Content-Encoding", "Content-Type",
                          "X-Prometheus-Remote-Write-Version", "User-Agent",
                          "Authorization", "X-Scope-OrgID"}) {
      headers_[h] = req.header(h);
    }
    if (fail_next_ > 0) {
      --fail_next_;
      res->status = fail_status_;
      res->body = "injected failure";
      return;
    }
    if (status_ != 204) {
      res->status = status_;
      res->body = "injected status";
      return;
    }
    Result<WriteRequest> wr = DecodeWriteRequest(req.body);
    if (!wr.ok()) {
      errors_.push_back(wr.status().ToString());
      res->status = 400;
      res->body = wr.status().ToString();
      return;
    }
    for (const WriteTimeSeries& ts : wr->timeseries) {
      auto& v = series_[LabelsKey(ts.labels)];
      v.insert(v.end(), ts.samples.begin(), ts.samples.end());
      samples_ += ts.samples.size();
    }
    res->status = 204;
    res->body.clear();
  }

  std::unique_ptr<http::Server> server_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int fail_next_ = 0;
  int fail_status_ = 500;
  int status_ = 204;
  bool hold_ = false;
  std::chrono::milliseconds delay_{0};
  size_t held_ = 0;
  size_t requests_ = 0;
  size_t samples_ = 0;
  std::map<std::string, std::vector<WriteSample>> series_;
  std::map<std::string, std::string> headers_;
  std::vector<std::string> errors_;
};

// A test database in `dir` that never checkpoints, truncates or expires
// on its own, so the WAL stays as the test wrote it.
inline Result<std::unique_ptr<tsdb::Db>> OpenQuietDb(const std::string& dir) {
  tsdb::DbOptions o;
  o.checkpoint_interval = std::chrono::milliseconds(0);
  o.retention_interval = std::chrono::milliseconds(0);
  o.retention = std::chrono::milliseconds(0);
  o.warning_sink = [](std::string_view) {};
  return tsdb::Db::Open(o, dir);
}

}  // namespace vigil::remote::fake
