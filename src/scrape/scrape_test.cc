#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "scrape/config.h"
#include "scrape/manager.h"
#include "scrape/scrape_cache.h"
#include "scrape/scrape_loop.h"
#include "scrape/target.h"
#include "scrape/test_storage.h"
#include "vigil/metrics/registry.h"

namespace vigil::scrape {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;
using testing::IsStale;
using testing::RecordedSample;
using testing::RecordingStorage;

constexpr std::string_view kText = "text/plain; version=0.0.4; charset=utf-8";

system_clock::time_point At(int64_t ms) {
  return system_clock::time_point(milliseconds(ms));
}

std::string Gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
               Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// A local exposition endpoint on 127.0.0.1 with a settable answer; it
// records the request headers it receives.
class TestServer {
 public:
  // With cert/key: HTTPS.
  explicit TestServer(const std::string& cert = "",
                      const std::string& key = "") {
    if (cert.empty()) {
      server_ = std::make_unique<httplib::Server>();
    } else {
      server_ = std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str());
    }
    server_->Get("/metrics",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   Handle(req, res);
                 });
    server_->Get("/other",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   Handle(req, res);
                 });
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) {
      std::this_thread::sleep_for(milliseconds(1));
    }
  }
  ~TestServer() {
    Release();
    server_->stop();
    thread_.join();
  }

  void Set(std::string body, std::string content_type = std::string(kText),
           int status = 200) {
    std::lock_guard<std::mutex> lock(mu_);
    body_ = std::move(body);
    content_type_ = std::move(content_type);
    status_ = status;
  }
  void SetGzip(bool on) {
    std::lock_guard<std::mutex> lock(mu_);
    gzip_ = on;
  }
  // Requests wait until Release() (a target that does not answer).
  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      hold_ = false;
    }
    cv_.notify_all();
  }
  std::string Header(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = headers_.find(name);
    return it == headers_.end() ? "" : it->second;
  }
  std::string query() const {
    std::lock_guard<std::mutex> lock(mu_);
    return query_;
  }
  int requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    std::unique_lock<std::mutex> lock(mu_);
    ++requests_;
    headers_.clear();
    for (const auto& [k, v] : req.headers) headers_[k] = v;
    query_.clear();
    for (const auto& [k, v] : req.params) query_ += k + "=" + v + ";";
    cv_.wait(lock, [this] { return !hold_; });
    res.status = status_;
    if (gzip_) {
      // A type httplib does not compress by itself, so the body is
      // compressed exactly once.
      res.set_header("Content-Encoding", "gzip");
      res.set_content(Gzip(body_), "application/octet-stream");
    } else {
      res.set_content(body_, content_type_.c_str());
    }
  }

  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string body_;
  std::string content_type_ = std::string(kText);
  int status_ = 200;
  bool gzip_ = false;
  bool hold_ = false;
  std::map<std::string, std::string> headers_;
  std::string query_;
  int requests_ = 0;
};

ScrapeConfig Job(const std::string& address) {
  ScrapeConfig c;
  c.job_name = "test";
  c.scrape_interval = milliseconds(1000);
  c.scrape_timeout = milliseconds(500);
  c.static_configs.push_back({.targets = {address}});
  return c;
}

std::unique_ptr<ScrapeLoop> MakeLoop(
    const ScrapeConfig& config, RecordingStorage* storage,
    std::shared_ptr<ScrapeMetrics> metrics = nullptr) {
  auto targets = TargetsFromConfig(config);
  EXPECT_TRUE(targets.ok()) << targets.status().ToString();
  EXPECT_EQ(targets->size(), 1u);
  auto scraper = NewHttpScraper(config, *(*targets)[0]);
  EXPECT_TRUE(scraper.ok()) << scraper.status().ToString();
  return std::make_unique<ScrapeLoop>((*targets)[0], std::move(scraper).value(),
                                      storage, LoopOptions::FromConfig(config),
                                      std::move(metrics));
}

double Value(const RecordingStorage& s, std::string_view name,
             std::vector<std::pair<std::string, std::string>> with = {}) {
  auto sample = s.Last(name, std::move(with));
  EXPECT_TRUE(sample.has_value()) << "no series " << name;
  return sample ? sample->v : std::nan("");
}

class ScrapeLoopTest : public ::testing::Test {
 protected:
  TestServer server_;
  RecordingStorage storage_;
};

TEST_F(ScrapeLoopTest, AppendsSamplesWithTargetLabelsAndReports) {
  server_.Set("# TYPE a counter\na_total 3\nb{x=\"1\"} 2.5\n");
  auto loop = MakeLoop(Job(server_.address()), &storage_);
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());

  const std::string inst = server_.address();
  auto a = storage_.Last("a_total");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->labels, model::Labels::FromPairs({{"__name__", "a_total"},
                                                 {"instance", inst},
                                                 {"job", "test"}}));
  EXPECT_EQ(a->t, 1000);
  EXPECT_EQ(a->v, 3);
  EXPECT_EQ(Value(storage_, "b", {{"x", "1"}, {"job", "test"}}), 2.5);
  auto up = storage_.Last("up");
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->labels,
            model::Labels::FromPairs(
                {{"__name__", "up"}, {"instance", inst}, {"job", "test"}}));
  EXPECT_EQ(up->v, 1);
  EXPECT_EQ(up->t, 1000);
  EXPECT_EQ(Value(storage_, "scrape_samples_scraped"), 2);
  EXPECT_EQ(Value(storage_, "scrape_samples_post_metric_relabeling"), 2);
  EXPECT_EQ(Value(storage_, "scrape_series_added"), 2);
  EXPECT_GE(Value(storage_, "scrape_duration_seconds"), 0);
  EXPECT_EQ(storage_.commits(), 1);
  EXPECT_EQ(storage_.rollbacks(), 0);

  TargetStatus st = loop->target()->status();
  EXPECT_EQ(st.health, TargetHealth::kUp);
  EXPECT_EQ(st.last_error, "");
  EXPECT_EQ(st.last_scrape, At(1000));
  EXPECT_EQ(st.scrape_url, "http://" + inst + "/metrics");
  EXPECT_EQ(st.scrape_pool, "test");

  // Steady state: no new series, cached refs handed to storage.
  ASSERT_TRUE(loop->ScrapeAndReport(At(2000)).ok());
  EXPECT_EQ(Value(storage_, "scrape_series_added"), 0);
  auto a2 = storage_.Last("a_total");
  ASSERT_TRUE(a2.has_value());
  EXPECT_EQ(a2->t, 2000);
  EXPECT_NE(a2->ref_in, 0u);
  EXPECT_NE(storage_.Last("up")->ref_in, 0u);
}

TEST_F(ScrapeLoopTest, SendsPrometheusHeaders) {
  server_.Set("a 1\n");
  auto loop = MakeLoop(Job(server_.address()), &storage_);
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  EXPECT_EQ(server_.Header("Accept"), kScrapeAcceptHeader);
  EXPECT_EQ(server_.Header("X-Prometheus-Scrape-Timeout-Seconds"), "0.5");
  EXPECT_EQ(server_.Header("User-Agent").rfind("vigil/", 0), 0u);
  EXPECT_NE(server_.Header("Accept-Encoding").find("gzip"), std::string::npos);
  EXPECT_EQ(server_.Header("Authorization"), "");
}

TEST_F(ScrapeLoopTest, ParamsAndMetricsPathMakeTheUrl) {
  server_.Set("a 1\n");
  ScrapeConfig c = Job(server_.address());
  c.metrics_path = "/other";
  c.params = {{"module", {"if mib"}}, {"target", {"a", "b"}}};
  auto loop = MakeLoop(c, &storage_);
  EXPECT_EQ(loop->target()->url(),
            "http://" + server_.address() +
                "/other?module=if%20mib&target=a&target=b");
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  EXPECT_EQ(server_.query(), "module=if mib;target=a;target=b;");
}

TEST_F(ScrapeLoopTest, DisappearingSeriesGetStaleMarkers) {
  server_.Set("a 1\nb 2\n");
  auto loop = MakeLoop(Job(server_.address()), &storage_);
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  server_.Set("a 1\n");
  ASSERT_TRUE(loop->ScrapeAndReport(At(2000)).ok());

  auto b = storage_.Last("b");
  ASSERT_TRUE(b.has_value());
  EXPECT_TRUE(IsStale(b->v));
  EXPECT_EQ(b->t, 2000);
  auto a = storage_.Last("a");
  EXPECT_EQ(a->v, 1);
  EXPECT_EQ(a->t, 2000);

  // Gone for good: no second marker.
  ASSERT_TRUE(loop->ScrapeAndReport(At(3000)).ok());
  EXPECT_EQ(storage_.Last("b")->t, 2000);
}

TEST_F(ScrapeLoopTest, SteadyScrapesAppendByRefAndSurviveCollectedRefs) {
  server_.Set("a{x=\"1\"} 1\nb 2\n");
  auto loop = MakeLoop(Job(server_.address()), &storage_);
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  ASSERT_TRUE(loop->ScrapeAndReport(At(2000)).ok());
  // The second scrape passed the refs the first one got back.
  auto a = storage_.Series(
      "a{instance=\"" + server_.address() + "\", job=\"test\", x=\"1\"}");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].ref_in, 0u);
  EXPECT_NE(a[1].ref_in, 0u);

  // Storage forgets every ref (as a head collecting series would): the
  // cache re-resolves the labels from the series text, both for samples
  // and for staleness markers.
  storage_.CollectAllSeries();
  server_.Set("a{x=\"1\"} 3\n");
  ASSERT_TRUE(loop->ScrapeAndReport(At(3000)).ok());
  auto last_a = storage_.Last("a");
  ASSERT_TRUE(last_a.has_value());
  EXPECT_EQ(last_a->v, 3);
  EXPECT_EQ(last_a->labels, a[0].labels);
  auto b = storage_.Last("b");
  ASSERT_TRUE(b.has_value());
  EXPECT_TRUE(IsStale(b->v));
  EXPECT_EQ(b->t, 3000);
  EXPECT_EQ(b->labels.Get("job"), "test");
  EXPECT_EQ(b->labels.Get("instance"), server_.address());
}

TEST_F(ScrapeLoopTest, FailedScrapeMarksEverySeriesStale) {
  server_.Set("a 1\nb 2\n");
  auto loop = MakeLoop(Job(server_.address()), &storage_);
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  server_.Set("oops", std::string(kText), 500);
  Status s = loop->ScrapeAndReport(At(2000));
  EXPECT_EQ(s.message(),
            "server returned HTTP status 500 Internal Server Error");
  EXPECT_TRUE(IsStale(storage_.Last("a")->v));
  EXPECT_TRUE(IsStale(storage_.Last("b")->v));
  EXPECT_EQ(Value(storage_, "up"), 0);
  EXPECT_EQ(Value(storage_, "scrape_samples_scraped"), 0);
  TargetStatus st = loop->target()->status();
  EXPECT_EQ(st.health, TargetHealth::kDown);
  EXPECT_EQ(st.last_error,
            "server returned HTTP status 500 Internal Server Error");

  // Back again: fresh samples, no duplicate markers.
  server_.Set("a 5\n");
  ASSERT_TRUE(loop->ScrapeAndReport(At(3000)).ok());
  EXPECT_EQ(storage_.Last("a")->v, 5);
  EXPECT_EQ(storage_.Last("b")->t, 2000);
  EXPECT_EQ(Value(storage_, "up"), 1);
  EXPECT_EQ(loop->target()->status().health, TargetHealth::kUp);
}

TEST_F(ScrapeLoopTest, SampleLimitFailsTheWholeScrape) {
  server_.Set("a 1\n");
  ScrapeConfig c = Job(server_.address());
  c.sample_limit = 2;
  auto metrics_registry = std::make_unique<metrics::Registry>();
  auto loop =
      MakeLoop(c, &storage_, ScrapeMetrics::Create(metrics_registry.get()));
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());

  server_.Set("a 2\nb 2\nc 3\n");
  Status s = loop->ScrapeAndReport(At(2000));
  EXPECT_EQ(s.message(), "sample limit exceeded");
  EXPECT_EQ(storage_.rollbacks(), 1);
  EXPECT_TRUE(storage_.Series("b").empty());
  EXPECT_FALSE(storage_.Last("b").has_value());
  // The previous scrape's series are stale, not half-updated.
  EXPECT_TRUE(IsStale(storage_.Last("a")->v));
  EXPECT_EQ(Value(storage_, "up"), 0);
  EXPECT_EQ(Value(storage_, "scrape_samples_scraped"), 3);
  EXPECT_EQ(loop->target()->status().last_error, "sample limit exceeded");
  EXPECT_EQ(loop->target()->status().health, TargetHealth::kDown);

  bool counted = false;
  for (const auto& f : metrics_registry->Snapshot()) {
    if (f.name == "vigil_scrape_exceeded_sample_limit_total") {
      ASSERT_EQ(f.metrics.size(), 1u);
      EXPECT_EQ(f.metrics[0].value, 1);
      counted = true;
    }
  }
  EXPECT_TRUE(counted);
}

TEST_F(ScrapeLoopTest, LabelLimitsFailTheScrape) {
  server_.Set("a{x=\"1\",y=\"2\"} 1\n");
  ScrapeConfig c = Job(server_.address());
  c.label_limit = 4;  // __name__, instance, job, x, y = 5
  auto loop = MakeLoop(c, &storage_);
  Status s = loop->ScrapeAndReport(At(1000));
  EXPECT_EQ(s.message(),
            "label_limit exceeded (metric: a, number of labels: 5, limit: 4)");
  EXPECT_FALSE(storage_.Last("a").has_value());
  EXPECT_EQ(Value(storage_, "up"), 0);

  ScrapeConfig v = Job(server_.address());
  v.label_value_length_limit = 1;
  server_.Set("b{x=\"long\"} 1\n");
  RecordingStorage other;
  auto loop2 = MakeLoop(v, &other);
  s = loop2->ScrapeAndReport(At(1000));
  // The instance label is checked too; it comes first.
  EXPECT_NE(s.message().find("label_value_length_limit exceeded (metric: b"),
            std::string::npos)
      << s.message();
}

TEST_F(ScrapeLoopTest, MalformedExpositionIsAnErrorKeptInTheTarget) {
  server_.Set("a 1\n");
  auto loop = MakeLoop(Job(server_.address()), &storage_);
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  server_.Set("a 1\nb{ 2\n");
  Status s = loop->ScrapeAndReport(At(2000));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("line 2"), std::string::npos) << s.message();
  EXPECT_EQ(storage_.rollbacks(), 1);
  EXPECT_TRUE(IsStale(storage_.Last("a")->v));
  EXPECT_EQ(Value(storage_, "up"), 0);
  TargetStatus st = loop->target()->status();
  EXPECT_EQ(st.health, TargetHealth::kDown);
  EXPECT_EQ(st.last_error, s.message());
  EXPECT_EQ(st.last_scrape, At(2000));
}

TEST_F(ScrapeLoopTest, ConflictingLabelsAreExportedUnlessHonored) {
  server_.Set("m{job=\"other\",instance=\"x\",exported_job=\"e\"} 1\n");
  auto loop = MakeLoop(Job(server_.address()), &storage_);
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  auto m = storage_.Last("m");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->labels,
            model::Labels::FromPairs({{"__name__", "m"},
                                      {"instance", server_.address()},
                                      {"job", "test"},
                                      {"exported_instance", "x"},
                                      {"exported_job", "e"},
                                      {"exported_exported_job", "other"}}));

  ScrapeConfig honor = Job(server_.address());
  honor.honor_labels = true;
  server_.Set("m{job=\"other\"} 1\n");
  RecordingStorage other;
  auto loop2 = MakeLoop(honor, &other);
  ASSERT_TRUE(loop2->ScrapeAndReport(At(1000)).ok());
  EXPECT_EQ(other.Last("m")->labels,
            model::Labels::FromPairs({{"__name__", "m"},
                                      {"instance", server_.address()},
                                      {"job", "other"}}));
  // Report series always carry the target's labels.
  EXPECT_EQ(other.Last("up")->labels.Get("job"), "test");
}

TEST_F(ScrapeLoopTest, StaticLabelsAreTargetLabels) {
  server_.Set("m{zone=\"exposed\"} 1\n");
  ScrapeConfig c = Job(server_.address());
  c.static_configs[0].labels =
      model::Labels::FromPairs({{"zone", "eu"}, {"team", "a"}});
  auto loop = MakeLoop(c, &storage_);
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  auto m = storage_.Last("m");
  EXPECT_EQ(m->labels.Get("zone"), "eu");
  EXPECT_EQ(m->labels.Get("exported_zone"), "exposed");
  EXPECT_EQ(m->labels.Get("team"), "a");
  EXPECT_EQ(storage_.Last("up")->labels.Get("team"), "a");
}

TEST_F(ScrapeLoopTest, BasicAuthIsSent) {
  server_.Set("a 1\n");
  ScrapeConfig c = Job(server_.address());
  c.http_client_config.basic_auth = http::BasicAuth{.username = "user", .password = "pass"};
  auto loop = MakeLoop(c, &storage_);
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  EXPECT_EQ(server_.Header("Authorization"), "Basic dXNlcjpwYXNz");

  // From a file, re-read at every scrape.
  const auto file = std::filesystem::temp_directory_path() /
                    ("vigil_scrape_pw_" + std::to_string(::getpid()));
  std::ofstream(file) << "secret\n";
  c.http_client_config.basic_auth = http::BasicAuth{.username = "u", .password_file = file.string()};
  auto loop2 = MakeLoop(c, &storage_);
  ASSERT_TRUE(loop2->ScrapeAndReport(At(2000)).ok());
  EXPECT_EQ(server_.Header("Authorization"), "Basic dTpzZWNyZXQ=");
  std::filesystem::remove(file);
  Status s = loop2->ScrapeAndReport(At(3000));
  EXPECT_NE(s.message().find("unable to read basic auth password file"),
            std::string::npos)
      << s.message();
}

TEST_F(ScrapeLoopTest, BearerTokenAndAuthorizationAreSent) {
  server_.Set("a 1\n");
  ScrapeConfig c = Job(server_.address());
  c.http_client_config.authorization = http::Authorization{.credentials = "abc"};
  ASSERT_TRUE(MakeLoop(c, &storage_)->ScrapeAndReport(At(1000)).ok());
  EXPECT_EQ(server_.Header("Authorization"), "Bearer abc");

  const auto file = std::filesystem::temp_directory_path() /
                    ("vigil_scrape_cred_" + std::to_string(::getpid()));
  std::ofstream(file) << "  xyz \n";
  ScrapeConfig a = Job(server_.address());
  a.http_client_config.authorization =
      http::Authorization{.type = "Token", .credentials_file = file.string()};
  ASSERT_TRUE(MakeLoop(a, &storage_)->ScrapeAndReport(At(2000)).ok());
  EXPECT_EQ(server_.Header("Authorization"), "Token xyz");
  std::filesystem::remove(file);
}

TEST_F(ScrapeLoopTest, ExpositionTimestampsAreHonoured) {
  server_.Set("a 1 1500\nb 2\n");
  auto loop = MakeLoop(Job(server_.address()), &storage_);
  ASSERT_TRUE(loop->ScrapeAndReport(At(2000)).ok());
  EXPECT_EQ(storage_.Last("a")->t, 1500);
  EXPECT_EQ(storage_.Last("b")->t, 2000);
  // Series with their own timestamps are not marked stale by vigil.
  server_.Set("");
  ASSERT_TRUE(loop->ScrapeAndReport(At(3000)).ok());
  EXPECT_EQ(storage_.Last("a")->v, 1);
  EXPECT_TRUE(IsStale(storage_.Last("b")->v));

  ScrapeConfig c = Job(server_.address());
  c.honor_timestamps = false;
  server_.Set("a 1 1500\n");
  RecordingStorage other;
  ASSERT_TRUE(MakeLoop(c, &other)->ScrapeAndReport(At(2000)).ok());
  EXPECT_EQ(other.Last("a")->t, 2000);
}

TEST_F(ScrapeLoopTest, RejectedSamplesAreCountedNotFatal) {
  auto registry = std::make_unique<metrics::Registry>();
  auto loop = MakeLoop(Job(server_.address()), &storage_,
                       ScrapeMetrics::Create(registry.get()));
  server_.Set("a 1 5000\n");
  ASSERT_TRUE(loop->ScrapeAndReport(At(6000)).ok());
  server_.Set("a 1 4000\nb 1\n");  // older than what storage has
  ASSERT_TRUE(loop->ScrapeAndReport(At(7000)).ok());
  EXPECT_EQ(Value(storage_, "up"), 1);
  EXPECT_EQ(storage_.Last("a")->t, 5000);
  EXPECT_EQ(Value(storage_, "b"), 1);
  double out_of_order = -1;
  for (const auto& f : registry->Snapshot()) {
    if (f.name == "vigil_scrape_samples_out_of_order_total") {
      out_of_order = f.metrics.at(0).value;
    }
  }
  EXPECT_EQ(out_of_order, 1);
}

TEST_F(ScrapeLoopTest, OpenMetricsIsChosenByContentType) {
  server_.Set("# TYPE a counter\na_total 1 1.5\n# EOF\n",
              "application/openmetrics-text; version=1.0.0; charset=utf-8");
  auto loop = MakeLoop(Job(server_.address()), &storage_);
  ASSERT_TRUE(loop->ScrapeAndReport(At(2000)).ok());
  EXPECT_EQ(storage_.Last("a_total")->t, 1500);

  // The same body as the text format is malformed (no "# EOF" needed, but
  // the timestamp is not an integer).
  server_.Set("a_total 1 1.5\n", std::string(kText));
  EXPECT_FALSE(loop->ScrapeAndReport(At(3000)).ok());
}

TEST_F(ScrapeLoopTest, GzipBodiesAreDecompressed) {
  server_.Set("a 7\n");
  server_.SetGzip(true);
  auto loop = MakeLoop(Job(server_.address()), &storage_);
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  EXPECT_EQ(Value(storage_, "a"), 7);
}

TEST_F(ScrapeLoopTest, BodySizeLimit) {
  server_.Set("a_long_metric_name 1\n");
  ScrapeConfig c = Job(server_.address());
  c.body_size_limit_bytes = 8;
  auto loop = MakeLoop(c, &storage_);
  Status s = loop->ScrapeAndReport(At(1000));
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("body size limit exceeded"), std::string::npos);
  EXPECT_EQ(Value(storage_, "up"), 0);
}

TEST_F(ScrapeLoopTest, TimeoutIsUpZero) {
  server_.Set("a 1\n");
  server_.Hold();
  ScrapeConfig c = Job(server_.address());
  c.scrape_timeout = milliseconds(200);
  auto loop = MakeLoop(c, &storage_);
  Status s = loop->ScrapeAndReport(At(1000));
  server_.Release();
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  EXPECT_NE(s.message().find("timeout"), std::string::npos);
  EXPECT_EQ(Value(storage_, "up"), 0);
  EXPECT_EQ(loop->target()->status().health, TargetHealth::kDown);
}

TEST_F(ScrapeLoopTest, UnreachableTargetIsUnavailable) {
  // A port that was free a moment ago: bind, remember, close.
  int port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port = ntohs(addr.sin_port);
    ::close(fd);
  }
  auto loop = MakeLoop(Job("127.0.0.1:" + std::to_string(port)), &storage_);
  Status s = loop->ScrapeAndReport(At(1000));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("127.0.0.1:" + std::to_string(port)),
            std::string::npos);
  EXPECT_EQ(Value(storage_, "up"), 0);
}

TEST_F(ScrapeLoopTest, StaleMarkersForARemovedTarget) {
  server_.Set("a 1\n");
  auto loop = MakeLoop(Job(server_.address()), &storage_);
  ASSERT_TRUE(loop->WriteStaleMarkers(At(500)).ok());  // never scraped
  EXPECT_EQ(storage_.commits(), 0);
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  ASSERT_TRUE(loop->WriteStaleMarkers(At(1500)).ok());
  for (std::string_view name :
       {"a", "up", "scrape_duration_seconds", "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling", "scrape_series_added"}) {
    auto s = storage_.Last(name);
    ASSERT_TRUE(s.has_value()) << name;
    EXPECT_TRUE(IsStale(s->v)) << name;
    EXPECT_EQ(s->t, 1500) << name;
  }
}

TEST_F(ScrapeLoopTest, SeriesChurnAcrossFailures) {
  auto loop = MakeLoop(Job(server_.address()), &storage_);
  const auto stale_at = [&](std::string_view name) -> int64_t {
    auto s = storage_.Last(name);
    return s.has_value() && IsStale(s->v) ? s->t : -1;
  };
  server_.Set("a 1\nb 1\n");
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  server_.Set("a 1\nc 1\n");
  ASSERT_TRUE(loop->ScrapeAndReport(At(2000)).ok());
  EXPECT_EQ(stale_at("b"), 2000);
  server_.Set("a 1\nc{ 1\n");  // malformed
  EXPECT_FALSE(loop->ScrapeAndReport(At(3000)).ok());
  EXPECT_EQ(stale_at("a"), 3000);
  EXPECT_EQ(stale_at("c"), 3000);
  server_.Set("d 1\n");
  ASSERT_TRUE(loop->ScrapeAndReport(At(4000)).ok());
  EXPECT_EQ(storage_.Last("d")->v, 1);
  // a and c went stale with the failure, not again now.
  EXPECT_EQ(stale_at("a"), 3000);
  EXPECT_EQ(stale_at("c"), 3000);
  server_.Set("a 2\nd 1\n");
  ASSERT_TRUE(loop->ScrapeAndReport(At(5000)).ok());
  EXPECT_EQ(storage_.Last("a")->v, 2);
  ASSERT_TRUE(loop->WriteStaleMarkers(At(6000)).ok());
  EXPECT_EQ(stale_at("a"), 6000);
  EXPECT_EQ(stale_at("d"), 6000);
  EXPECT_EQ(stale_at("b"), 2000);
}

TEST_F(ScrapeLoopTest, StaleMarkersComeAfterTheLastScrape) {
  server_.Set("a 1\n");
  auto loop = MakeLoop(Job(server_.address()), &storage_);
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  ASSERT_TRUE(loop->WriteStaleMarkers(At(1000)).ok());
  auto a = storage_.Last("a");
  EXPECT_TRUE(IsStale(a->v));
  EXPECT_EQ(a->t, 1001);
}

// --- Metric metadata -------------------------------------------------------

MetricMetadata Meta(std::string family, std::string type, std::string help,
                    std::string unit = "") {
  return {std::move(family), std::move(type), std::move(help),
          std::move(unit)};
}

TEST(ScrapeCacheTest, MetadataSnapshotChangesOnlyWithTheMetadata) {
  internal::ScrapeCache cache;
  ASSERT_NE(cache.metadata(), nullptr);
  EXPECT_TRUE(cache.metadata()->empty());

  cache.SetHelp("b", "B.");
  cache.SetType("a", "counter");
  cache.SetHelp("a", "A.");
  cache.IterDone(true);
  const MetadataSnapshot first = cache.metadata();
  EXPECT_EQ(*first, (std::vector<MetricMetadata>{Meta("a", "counter", "A."),
                                                 Meta("b", "unknown", "B.")}));

  // The same lines again: the same snapshot.
  cache.SetType("a", "counter");
  cache.SetHelp("a", "A.");
  cache.SetHelp("b", "B.");
  cache.IterDone(true);
  EXPECT_EQ(cache.metadata(), first);

  // A change undone within one iteration is no change.
  cache.SetType("a", "gauge");
  cache.SetType("a", "counter");
  cache.SetHelp("a", "A.");
  cache.SetHelp("b", "B.");
  cache.IterDone(true);
  EXPECT_EQ(cache.metadata(), first);

  // A failed iteration (nothing seen) keeps everything.
  cache.IterDone(false);
  EXPECT_EQ(cache.metadata(), first);

  // A successful one drops unseen families and unsaid fields.
  cache.SetType("a", "counter");
  cache.IterDone(true);
  EXPECT_EQ(*cache.metadata(),
            (std::vector<MetricMetadata>{Meta("a", "counter", "")}));

  // ForgetSeries keeps the metadata.
  cache.ForgetSeries();
  EXPECT_EQ(cache.metadata()->size(), 1u);
}

TEST_F(ScrapeLoopTest, MetadataFromTheTextFormat) {
  server_.Set(
      "# HELP a_total Requests\\nserved, \\\\ escaped.\n"
      "# TYPE a_total counter\n"
      "a_total 3\n"
      "# TYPE g gauge\n"
      "g 1\n"
      "# HELP u An untyped one.\n"
      "# TYPE u untyped\n"
      "u 1\n"
      "# TYPE h histogram\n"
      "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"
      "# TYPE s summary\n"
      "s_sum 1\ns_count 1\n"
      "# A comment, not metadata.\n"
      "plain 1\n");
  auto loop = MakeLoop(Job(server_.address()), &storage_);
  EXPECT_TRUE(loop->target()->metadata()->empty());
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  EXPECT_EQ(*loop->target()->metadata(),
            (std::vector<MetricMetadata>{
                Meta("a_total", "counter", "Requests\nserved, \\ escaped."),
                Meta("g", "gauge", ""), Meta("h", "histogram", ""),
                Meta("s", "summary", ""),
                Meta("u", "unknown", "An untyped one.")}));
  EXPECT_EQ(*loop->target()->status().metadata, *loop->target()->metadata());
}

TEST_F(ScrapeLoopTest, MetadataFromOpenMetricsWithUnits) {
  server_.Set(
      "# TYPE req_seconds histogram\n"
      "# UNIT req_seconds seconds\n"
      "# HELP req_seconds Request \\\"latency\\\".\n"
      "req_seconds_bucket{le=\"+Inf\"} 1\n"
      "req_seconds_sum 0.5\n"
      "req_seconds_count 1\n"
      "# TYPE c counter\n"
      "# HELP c Things.\n"
      "c_total 1\n"
      "c_created 1.5\n"
      "# TYPE b info\n"
      "b_info{version=\"1\"} 1\n"
      "# TYPE st stateset\n"
      "st{st=\"on\"} 1\n"
      "# TYPE gh gaugehistogram\n"
      "gh_bucket{le=\"+Inf\"} 1\n"
      "gh_gcount 1\n"
      "gh_gsum 1\n"
      "# TYPE x unknown\n"
      "x 1\n"
      "# EOF\n",
      "application/openmetrics-text; version=1.0.0; charset=utf-8");
  auto loop = MakeLoop(Job(server_.address()), &storage_);
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  EXPECT_EQ(*loop->target()->metadata(),
            (std::vector<MetricMetadata>{
                Meta("b", "info", ""), Meta("c", "counter", "Things."),
                Meta("gh", "gaugehistogram", ""),
                Meta("req_seconds", "histogram", "Request \"latency\".",
                     "seconds"),
                Meta("st", "stateset", ""), Meta("x", "unknown", "")}));
}

TEST_F(ScrapeLoopTest, MetadataFollowsSuccessfulScrapesOnly) {
  server_.Set(
      "# HELP a A.\n# TYPE a counter\na 1\n"
      "# HELP b B.\n# TYPE b gauge\nb 1\n");
  auto loop = MakeLoop(Job(server_.address()), &storage_);
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  const MetadataSnapshot first = loop->target()->metadata();
  EXPECT_EQ(*first, (std::vector<MetricMetadata>{Meta("a", "counter", "A."),
                                                 Meta("b", "gauge", "B.")}));

  // Unchanged: the target keeps the very same snapshot.
  ASSERT_TRUE(loop->ScrapeAndReport(At(2000)).ok());
  EXPECT_EQ(loop->target()->metadata(), first);

  // HELP changed.
  server_.Set(
      "# HELP a A, again.\n# TYPE a counter\na 1\n"
      "# HELP b B.\n# TYPE b gauge\nb 1\n");
  ASSERT_TRUE(loop->ScrapeAndReport(At(3000)).ok());
  EXPECT_EQ(*loop->target()->metadata(),
            (std::vector<MetricMetadata>{Meta("a", "counter", "A, again."),
                                         Meta("b", "gauge", "B.")}));

  // Failed scrapes (an HTTP error, a malformed exposition) keep it all.
  const MetadataSnapshot before_failures = loop->target()->metadata();
  server_.Set("oops", std::string(kText), 500);
  EXPECT_FALSE(loop->ScrapeAndReport(At(4000)).ok());
  EXPECT_EQ(loop->target()->metadata(), before_failures);
  server_.Set("# TYPE a counter\na{ 1\n");
  EXPECT_FALSE(loop->ScrapeAndReport(At(5000)).ok());
  EXPECT_EQ(loop->target()->metadata(), before_failures);

  // A successful scrape without b, and without a's HELP line: b is gone,
  // a's help with it.
  server_.Set("# TYPE a counter\na 1\nb 1\n");
  ASSERT_TRUE(loop->ScrapeAndReport(At(6000)).ok());
  EXPECT_EQ(*loop->target()->metadata(),
            (std::vector<MetricMetadata>{Meta("a", "counter", "")}));

  // Nothing at all any more.
  server_.Set("a 1\n");
  ASSERT_TRUE(loop->ScrapeAndReport(At(7000)).ok());
  EXPECT_TRUE(loop->target()->metadata()->empty());
}

TEST_F(ScrapeLoopTest, MetadataMovesWithTheCache) {
  server_.Set("# HELP a A.\n# TYPE a counter\na 1\n");
  ScrapeConfig c = Job(server_.address());
  auto loop = MakeLoop(c, &storage_);
  ASSERT_TRUE(loop->ScrapeAndReport(At(1000)).ok());
  auto targets = TargetsFromConfig(c);
  ASSERT_TRUE(targets.ok());
  auto scraper = NewHttpScraper(c, *(*targets)[0]);
  ASSERT_TRUE(scraper.ok());
  ScrapeLoop next((*targets)[0], std::move(scraper).value(), &storage_,
                  LoopOptions::FromConfig(c), nullptr, loop->ReleaseCache());
  // Before the new loop has scraped.
  EXPECT_EQ(*next.target()->metadata(),
            (std::vector<MetricMetadata>{Meta("a", "counter", "A.")}));
}

std::string TestData(const std::string& name) {
  const char* dir = std::getenv("VIGIL_SOURCE_DIR");
  return std::string(dir ? dir : ".") + "/src/scrape/testdata/" + name;
}

TEST(HttpsScrapeTest, VerifiesTheServerCertificate) {
  TestServer server(TestData("server.pem"), TestData("server.key"));
  server.Set("a 1\n");
  ScrapeConfig c = Job(server.address());
  c.scheme = "https";
  c.http_client_config.tls_config.ca_file = TestData("ca.pem");
  RecordingStorage storage;
  auto loop = MakeLoop(c, &storage);
  EXPECT_EQ(loop->target()->url(), "https://" + server.address() + "/metrics");
  Status s = loop->ScrapeAndReport(At(1000));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Value(storage, "a"), 1);

  // Without the CA the certificate is refused...
  ScrapeConfig untrusted = Job(server.address());
  untrusted.scheme = "https";
  s = MakeLoop(untrusted, &storage)->ScrapeAndReport(At(2000));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  // ...unless verification is off.
  untrusted.http_client_config.tls_config.insecure_skip_verify = true;
  s = MakeLoop(untrusted, &storage)->ScrapeAndReport(At(3000));
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(TargetTest, LabelsAndUrlFromStaticConfig) {
  ScrapeConfig c;
  c.job_name = "node";
  c.scrape_interval = milliseconds(15000);
  c.scrape_timeout = milliseconds(10000);
  c.static_configs.push_back(
      {.targets = {"host-a", "host-b:9100", "[::1]:9100"},
       .labels = model::Labels::FromPairs({{"env", "prod"}})});
  c.static_configs.push_back(
      {.targets = {"host-c:1"},
       .labels = model::Labels::FromPairs({{"instance", "named"},
                                           {"__metrics_path__", "/m"},
                                           {"__param_x", "y"}})});
  auto targets = TargetsFromConfig(c);
  ASSERT_TRUE(targets.ok()) << targets.status().ToString();
  ASSERT_EQ(targets->size(), 4u);
  const Target& a = *(*targets)[0];
  EXPECT_EQ(a.labels(),
            model::Labels::FromPairs(
                {{"env", "prod"}, {"instance", "host-a:80"}, {"job", "node"}}));
  EXPECT_EQ(a.url(), "http://host-a:80/metrics");
  EXPECT_EQ(a.discovered_labels().Get("__address__"), "host-a");
  EXPECT_EQ(a.discovered_labels().Get("__scrape_interval__"), "15s");
  EXPECT_EQ(a.discovered_labels().Get("__scrape_timeout__"), "10s");
  EXPECT_EQ((*targets)[1]->url(), "http://host-b:9100/metrics");
  EXPECT_EQ((*targets)[2]->labels().Get("instance"), "[::1]:9100");
  const Target& d = *(*targets)[3];
  EXPECT_EQ(d.labels().Get("instance"), "named");
  EXPECT_EQ(d.url(), "http://host-c:1/m?x=y");
  EXPECT_EQ(d.interval(), milliseconds(15000));

  // Deterministic spreading within the interval.
  const auto now = At(123456789);
  const auto off = a.Offset(milliseconds(15000), 0, now);
  EXPECT_EQ(off, a.Offset(milliseconds(15000), 0, now));
  EXPECT_GE(off.count(), 0);
  EXPECT_LE(off, milliseconds(15000));
  // The slot is a fixed phase of the interval, whatever "now" is.
  const auto phase = [&](system_clock::time_point t) {
    return (t.time_since_epoch() + a.Offset(milliseconds(15000), 7, t)) %
           milliseconds(15000);
  };
  EXPECT_EQ(phase(now), phase(now + milliseconds(4321)));
}

TEST(TargetTest, InvalidConfigsAreRefused) {
  ScrapeConfig c;
  c.job_name = "j";
  c.static_configs.push_back({.targets = {"http://x:1"}});
  EXPECT_FALSE(ValidateScrapeConfig(c).ok());
  c.static_configs[0].targets = {"x:port"};
  EXPECT_FALSE(ValidateScrapeConfig(c).ok());
  c.static_configs[0].targets = {"x:1"};
  EXPECT_TRUE(ValidateScrapeConfig(c).ok());
  c.scrape_timeout = c.scrape_interval + milliseconds(1);
  EXPECT_EQ(ValidateScrapeConfig(c).message(),
            "job \"j\": scrape timeout greater than scrape interval");
}

// --- ScrapeManager ---------------------------------------------------------

// Polls `cond` (the manager runs on its own threads); gives up after 10 s
// so a broken build fails instead of hanging.
template <typename F>
bool Eventually(F cond) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return cond();
}

// Short enough for quick tests, long enough that a loaded machine does not
// time scrapes out (which would mark series stale and fail assertions).
ScrapeConfig FastJob(const std::string& name, const std::string& address) {
  ScrapeConfig c = Job(address);
  c.job_name = name;
  c.scrape_interval = milliseconds(300);
  c.scrape_timeout = milliseconds(300);
  return c;
}

TEST(ScrapeManagerTest, RunsTargetsAndReportsThem) {
  TestServer server;
  server.Set("a 1\n");
  RecordingStorage storage;
  ScrapeManager manager({.appendable = &storage});
  ASSERT_TRUE(manager.ApplyConfig({FastJob("j1", server.address())}).ok());
  ASSERT_TRUE(Eventually([&] {
    auto up = storage.Last("up", {{"job", "j1"}});
    return up.has_value() && up->v == 1;
  }));
  std::vector<TargetStatus> targets = manager.Targets();
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].scrape_pool, "j1");
  EXPECT_EQ(targets[0].health, TargetHealth::kUp);
  EXPECT_EQ(targets[0].scrape_url, "http://" + server.address() + "/metrics");
  EXPECT_EQ(targets[0].labels.Get("instance"), server.address());
  EXPECT_EQ(targets[0].scrape_interval, milliseconds(300));

  // Duplicate job names: refused, nothing changes.
  Status dup = manager.ApplyConfig(
      {FastJob("j1", server.address()), FastJob("j1", server.address())});
  EXPECT_EQ(dup.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(manager.Targets().size(), 1u);

  manager.Stop();
  // Shutdown writes no staleness markers.
  EXPECT_FALSE(IsStale(storage.Last("a")->v));
  EXPECT_EQ(manager.ApplyConfig({}).code(), StatusCode::kFailedPrecondition);
}

TEST(ScrapeManagerTest, ReloadKeepsUnchangedStopsRemovedAndRestartsChanged) {
  TestServer server;
  server.Set("a 1\n");
  RecordingStorage storage;
  ScrapeManager manager({.appendable = &storage});
  ScrapeConfig j1 = FastJob("j1", server.address());
  ScrapeConfig j2 = FastJob("j2", server.address());
  ASSERT_TRUE(manager.ApplyConfig({j1, j2}).ok());
  ASSERT_TRUE(Eventually([&] {
    return storage.Last("a", {{"job", "j1"}}).has_value() &&
           storage.Last("a", {{"job", "j2"}}).has_value();
  }));

  // j2 removed: all its series, report ones included, go stale at once.
  ASSERT_TRUE(manager.ApplyConfig({j1}).ok());
  for (std::string_view name : {"a", "up", "scrape_series_added"}) {
    auto s = storage.Last(name, {{"job", "j2"}});
    ASSERT_TRUE(s.has_value()) << name;
    EXPECT_TRUE(IsStale(s->v)) << name;
  }
  ASSERT_EQ(manager.Targets().size(), 1u);
  EXPECT_EQ(manager.Targets()[0].scrape_pool, "j1");
  // j1 kept running and was not marked stale.
  const size_t before =
      storage.Series(storage.Last("a", {{"job", "j1"}})->labels.ToString())
          .size();
  ASSERT_TRUE(Eventually([&] {
    auto a = storage.Last("a", {{"job", "j1"}});
    return storage.Series(a->labels.ToString()).size() > before + 1;
  }));
  for (const RecordedSample& s :
       storage.Series(storage.Last("a", {{"job", "j1"}})->labels.ToString())) {
    EXPECT_FALSE(IsStale(s.v));
  }

  // j1 changed (a new label limit): restarted with its cache, no markers,
  // no series counted as new again.
  ScrapeConfig j1b = j1;
  j1b.label_limit = 100;
  ASSERT_TRUE(manager.ApplyConfig({j1b}).ok());
  const int commits = storage.commits();
  ASSERT_TRUE(Eventually([&] { return storage.commits() > commits + 1; }));
  EXPECT_EQ(storage.Last("scrape_series_added", {{"job", "j1"}})->v, 0);
  for (const RecordedSample& s :
       storage.Series(storage.Last("a", {{"job", "j1"}})->labels.ToString())) {
    EXPECT_FALSE(IsStale(s.v));
  }
  EXPECT_EQ(manager.Targets()[0].health, TargetHealth::kUp);
}

TEST(ScrapeManagerTest, TargetsCarryMetadataAcrossReloads) {
  TestServer server;
  server.Set("# HELP a A.\n# TYPE a counter\na 1\n");
  TestServer other;
  other.Set("# HELP a Other A.\n# TYPE a gauge\na 1\n# TYPE o gauge\no 1\n");
  RecordingStorage storage;
  ScrapeManager manager({.appendable = &storage});
  ScrapeConfig j1 = FastJob("j1", server.address());
  ScrapeConfig j2 = FastJob("j2", other.address());
  ASSERT_TRUE(manager.ApplyConfig({j1, j2}).ok());
  const auto metadata_of = [&](const std::string& job) {
    for (const TargetStatus& t : manager.Targets()) {
      if (t.scrape_pool == job) return *t.metadata;
    }
    return std::vector<MetricMetadata>{};
  };
  const std::vector<MetricMetadata> want1 = {Meta("a", "counter", "A.")};
  const std::vector<MetricMetadata> want2 = {Meta("a", "gauge", "Other A."),
                                             Meta("o", "gauge", "")};
  ASSERT_TRUE(Eventually([&] {
    return metadata_of("j1") == want1 && metadata_of("j2") == want2;
  }));
  // Every target's snapshot is there, never null.
  for (const TargetStatus& t : manager.Targets()) {
    ASSERT_NE(t.metadata, nullptr);
  }

  // Restarted targets (another label limit; another honor_labels) show
  // their metadata at once, before their first scrape.
  server.Hold();
  other.Hold();
  ScrapeConfig j1b = j1;
  j1b.label_limit = 100;
  ScrapeConfig j2b = j2;
  j2b.honor_labels = true;
  ASSERT_TRUE(manager.ApplyConfig({j1b, j2b}).ok());
  EXPECT_EQ(metadata_of("j1"), want1);
  EXPECT_EQ(metadata_of("j2"), want2);
  server.Release();
  other.Release();

  // A removed target's metadata goes with it.
  ASSERT_TRUE(manager.ApplyConfig({j1b}).ok());
  ASSERT_EQ(manager.Targets().size(), 1u);
  EXPECT_EQ(metadata_of("j1"), want1);
  manager.Stop();
}

TEST(ScrapeManagerTest, ApplyConfigValidatesEverythingFirst) {
  RecordingStorage storage;
  ScrapeManager manager({.appendable = &storage});
  ScrapeConfig bad = FastJob("bad", "127.0.0.1:1");
  bad.scrape_timeout = milliseconds(301);
  Status s = manager.ApplyConfig({FastJob("ok", "127.0.0.1:1"), bad});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(manager.Targets().empty());
}

TEST_F(ScrapeLoopTest, AbortStopsAHangingScrapeAndRecordsNothing) {
  server_.Set("a 1\n");
  server_.Hold();
  ScrapeConfig c = Job(server_.address());
  c.scrape_interval = milliseconds(60000);
  c.scrape_timeout = milliseconds(60000);
  auto loop = MakeLoop(c, &storage_);
  Status result;
  std::thread t([&] { result = loop->ScrapeAndReport(At(1000)); });
  ASSERT_TRUE(Eventually([&] { return server_.requests() == 1; }));
  loop->Abort();
  t.join();
  server_.Release();
  EXPECT_EQ(result.code(), StatusCode::kCancelled) << result.ToString();
  EXPECT_EQ(storage_.commits(), 0);
  EXPECT_EQ(loop->target()->status().health, TargetHealth::kUnknown);
}

}  // namespace
}  // namespace vigil::scrape
