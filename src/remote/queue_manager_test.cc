#include "remote/queue_manager.h"

#include <gtest/gtest.h>

#include <thread>

#include "base/file.h"
#include "base/test_util.h"
#include "metrics/test_util.h"
#include "remote/fake_remote_test_util.h"

namespace vigil::remote {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;
using metrics::testing::SeriesValue;

Progress At(int segment, uint64_t offset) { return {{segment, offset}, 7}; }

TEST(AckTrackerTest, CommitsTheLongestAcknowledgedPrefix) {
  internal::AckTracker t(At(0, 0));
  const uint64_t a = t.Add(At(0, 10), 2);
  const uint64_t b = t.Add(At(0, 20), 0);  // a series record
  const uint64_t c = t.Add(At(0, 30), 1);
  EXPECT_EQ(b, a + 1);
  EXPECT_EQ(t.committed(), At(0, 0));
  std::pair<uint64_t, uint32_t> ack_c[] = {{c, 1}};
  t.Ack(ack_c);  // out of order: nothing commits yet
  EXPECT_EQ(t.committed(), At(0, 0));
  std::pair<uint64_t, uint32_t> ack_a1[] = {{a, 1}};
  t.Ack(ack_a1);
  EXPECT_EQ(t.committed(), At(0, 0));
  t.Ack(ack_a1);
  EXPECT_EQ(t.committed(), At(0, 30));  // a, b and c all done
  EXPECT_EQ(t.in_flight(), 0u);
  t.Add(At(1, 5), 0);
  EXPECT_EQ(t.committed(), At(1, 5));
  t.Reset(At(2, 0));
  EXPECT_EQ(t.committed(), At(2, 0));
}

class QueueManagerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(remote_.Start().ok()); }

  std::unique_ptr<QueueManager> Make(RemoteWriteConfig c) {
    if (c.url.empty()) c.url = remote_.url();
    auto m = QueueMetrics::Create(&registry_, "q", c.url);
    EXPECT_TRUE(m.ok());
    QueueManagerOptions o;
    o.name = "q";
    o.config = c;
    o.progress_path = tmp_.path() + "/q.progress";
    o.progress_save_interval = milliseconds(20);
    o.metrics = *m;
    o.log = [](std::string_view) {};
    auto qm = QueueManager::Create(o);
    EXPECT_TRUE(qm.ok()) << qm.status().ToString();
    return std::move(qm).value();
  }

  static RemoteWriteConfig Config() {
    RemoteWriteConfig c;
    c.remote_timeout = milliseconds(5000);
    c.queue_config.max_samples_per_send = 10;
    c.queue_config.batch_send_deadline = milliseconds(100);
    c.queue_config.min_backoff = milliseconds(5);
    c.queue_config.max_backoff = milliseconds(20);
    return c;
  }

  // Consumes n samples of one series as one record ending at `offset`.
  void Feed(QueueManager* qm, int n, uint64_t offset, int64_t t0 = 0) {
    auto series = std::make_shared<const LabelPairs>(
        LabelPairs{{"__name__", "m"}, {"s", "x"}});
    std::vector<WatchedSample> s;
    for (int i = 0; i < n; ++i) s.push_back({series, 1, t0 + i, 1.0 * i});
    ASSERT_TRUE(qm->Consume(s, At(0, offset), {}));
  }

  double Metric(const std::string& name) {
    return SeriesValue(registry_, name, {{"remote_name", "q"}});
  }

  vigil::testing::TempDir tmp_;
  metrics::Registry registry_;
  fake::FakeRemote remote_;
};

TEST_F(QueueManagerTest, BatchesBySizeThenByDeadline) {
  auto qm = Make(Config());
  qm->Start(At(0, 0));
  const auto start = SteadyClock::now();
  Feed(qm.get(), 25, 100);
  ASSERT_TRUE(remote_.WaitForSamples(20, milliseconds(2000)));
  EXPECT_LT(SteadyClock::now() - start, milliseconds(90));  // full batches
  ASSERT_TRUE(remote_.WaitForSamples(25, milliseconds(2000)));
  EXPECT_GE(SteadyClock::now() - start, milliseconds(95));  // the deadline
  EXPECT_EQ(remote_.requests(), 3u);
  const auto got = remote_.series().at("__name__=m,s=x");
  ASSERT_EQ(got.size(), 25u);
  for (int i = 0; i < 25; ++i) EXPECT_EQ(got[i], (WriteSample{i, 1.0 * i}));
  // Acknowledged: the committed position reaches the record's end and is
  // saved.
  const auto deadline = SteadyClock::now() + milliseconds(2000);
  while (qm->committed() != At(0, 100) && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(qm->committed(), At(0, 100));
  qm->Stop();
  auto p = ReadProgress(tmp_.path() + "/q.progress");
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_EQ(**p, At(0, 100));
  EXPECT_EQ(Metric("prometheus_remote_storage_samples_total"), 25);
  EXPECT_EQ(Metric("prometheus_remote_storage_samples_failed_total"), 0);
  EXPECT_GT(Metric("prometheus_remote_storage_bytes_total"), 0);
  EXPECT_EQ(Metric("prometheus_remote_storage_queue_highest_sent_timestamp_seconds"),
            0.024);
}

TEST_F(QueueManagerTest, Retries5xxAnd429ThenDelivers) {
  auto qm = Make(Config());
  qm->Start(At(0, 0));
  remote_.FailNext(2, 503);
  Feed(qm.get(), 10, 10);
  ASSERT_TRUE(remote_.WaitForSamples(10));
  remote_.FailNext(1, 429);
  Feed(qm.get(), 10, 20, 100);
  ASSERT_TRUE(remote_.WaitForSamples(20));
  EXPECT_EQ(Metric("prometheus_remote_storage_samples_retried_total"), 30);
  EXPECT_EQ(Metric("prometheus_remote_storage_samples_total"), 50);
  EXPECT_EQ(Metric("prometheus_remote_storage_samples_failed_total"), 0);
  EXPECT_EQ(remote_.series().at("__name__=m,s=x").size(), 20u);
}

TEST_F(QueueManagerTest, BadRequestDropsTheBatchAndMovesOn) {
  RemoteWriteConfig c = Config();
  c.queue_config.retry_on_http_429 = false;
  auto qm = Make(c);
  qm->Start(At(0, 0));
  remote_.SetStatus(400);
  Feed(qm.get(), 10, 10);
  const auto until = SteadyClock::now() + milliseconds(2000);
  while (Metric("prometheus_remote_storage_samples_failed_total") < 10 &&
         SteadyClock::now() < until) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  remote_.SetStatus(204);
  remote_.FailNext(1, 429);  // not retried here
  Feed(qm.get(), 10, 20, 100);
  Feed(qm.get(), 10, 30, 200);
  ASSERT_TRUE(remote_.WaitForSamples(10));
  const auto deadline = SteadyClock::now() + milliseconds(2000);
  while (qm->committed() != At(0, 30) && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(qm->committed(), At(0, 30));
  EXPECT_EQ(Metric("prometheus_remote_storage_samples_failed_total"), 20);
  EXPECT_EQ(Metric("prometheus_remote_storage_samples_retried_total"), 0);
  EXPECT_EQ(remote_.series().at("__name__=m,s=x").front().t, 200);
  EXPECT_TRUE(qm->stats().last_error.ok());  // the last send succeeded
}

TEST_F(QueueManagerTest, SendsProtocolHeadersAndReadsSecretFiles) {
  RemoteWriteConfig c = Config();
  c.headers = {{"X-Scope-OrgID", "tenant-1"}};
  const std::string pw = tmp_.path() + "/pw";
  ASSERT_TRUE(WriteFileAtomic(pw, "first\n").ok());
  c.http_client_config.basic_auth = http::BasicAuth{.username = "u", .password_file = pw};
  auto qm = Make(c);
  qm->Start(At(0, 0));
  Feed(qm.get(), 10, 10);
  ASSERT_TRUE(remote_.WaitForSamples(10));
  auto h = remote_.last_headers();
  EXPECT_EQ(h["Content-Encoding"], "snappy");
  EXPECT_EQ(h["Content-Type"], "application/x-protobuf");
  EXPECT_EQ(h["X-Prometheus-Remote-Write-Version"], "0.1.0");
  EXPECT_EQ(h["User-Agent"].substr(0, 6), "vigil/");
  EXPECT_EQ(h["X-Scope-OrgID"], "tenant-1");
  EXPECT_EQ(h["Authorization"], http::BasicAuthHeaderValue("u", "first"));
  // Rotated: read again for the next request.
  ASSERT_TRUE(WriteFileAtomic(pw, "second\n").ok());
  Feed(qm.get(), 10, 20);
  ASSERT_TRUE(remote_.WaitForSamples(20));
  EXPECT_EQ(remote_.last_headers()["Authorization"],
            http::BasicAuthHeaderValue("u", "second"));
}

TEST_F(QueueManagerTest, StopAbortsAHangingRemoteAndKeepsProgress) {
  RemoteWriteConfig c = Config();
  c.remote_timeout = milliseconds(60000);
  auto qm = Make(c);
  qm->Start(At(0, 0));
  remote_.Hold();
  Feed(qm.get(), 10, 10);
  const auto deadline = SteadyClock::now() + milliseconds(2000);
  while (remote_.held() == 0 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  ASSERT_EQ(remote_.held(), 1u);
  qm->BeginDrain();
  EXPECT_FALSE(qm->WaitDrained(SteadyClock::now() + milliseconds(100)));
  const auto before = SteadyClock::now();
  qm->Stop();
  EXPECT_LT(SteadyClock::now() - before, milliseconds(2000));
  EXPECT_EQ(qm->committed(), At(0, 0));  // nothing acknowledged
  remote_.Release();
}

TEST_F(QueueManagerTest, CreateRejectsBadConfig) {
  QueueManagerOptions o;
  o.config.url = "mailto:x";
  EXPECT_EQ(QueueManager::Create(o).status().code(),
            StatusCode::kInvalidArgument);
  o.config.url = "https://h:1/w";
  o.config.http_client_config.tls_config.ca_file = "/nonexistent/ca.pem";
  o.config.http_client_config.tls_config.cert_file = "/nonexistent/c.pem";
  o.config.http_client_config.tls_config.key_file = "/nonexistent/k.pem";
  EXPECT_FALSE(QueueManager::Create(o).ok());
}

}  // namespace
}  // namespace vigil::remote
