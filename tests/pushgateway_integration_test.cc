// JobTracker and exporter::Pushgateway against a real Prometheus Pushgateway
// (Debian prometheus-pushgateway). Skipped unless VIGIL_TEST_PUSHGATEWAY_URL
// is set; tests/e2e/pushgateway.sh starts the gateway from the testbed and
// runs this binary. Every group this test writes carries the job name
// "vigil_e2e_<run id>" (VIGIL_TEST_RUN_ID) so reruns do not collide.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exposition/text_parser.h"
#include "http/client.h"
#include "vigil/exporter/push.h"
#include "vigil/ml/job_tracker.h"

namespace vigil {
namespace {

using Want = std::vector<std::pair<std::string, std::string>>;

class PushgatewayIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("VIGIL_TEST_PUSHGATEWAY_URL");
    if (url == nullptr || *url == '\0') {
      GTEST_SKIP() << "VIGIL_TEST_PUSHGATEWAY_URL is not set; tests/e2e/pushgateway.sh "
                      "runs this test against a real Pushgateway";
    }
    url_ = url;
    const char* run = std::getenv("VIGIL_TEST_RUN_ID");
    job_ = std::string("vigil_e2e_") + (run != nullptr ? run : "local");
  }

  exporter::PushOptions Options(metrics::Registry* registry, const std::string& instance) {
    exporter::PushOptions o;
    o.url = url_;
    o.job = job_;
    o.grouping = {{"instance", instance}};
    o.registry = registry;
    return o;
  }

  // The value of the first sample on the gateway's /metrics named `name`
  // whose labels include `want`.
  std::optional<double> Read(const std::string& name, const Want& want) {
    auto client = http::Client::Create(url_, {});
    EXPECT_TRUE(client.ok());
    if (!client.ok()) return std::nullopt;
    Result<http::ClientResponse> r = (*client)->Get("/metrics");
    EXPECT_TRUE(r.ok() && r->status == 200);
    if (!r.ok()) return std::nullopt;
    body_ = r->body;
    exposition::TextParser p(body_, exposition::ParseFormat::kPrometheusText);
    for (;;) {
      Result<exposition::TextParser::Entry> e = p.Next();
      EXPECT_TRUE(e.ok()) << e.status().ToString();
      if (!e.ok() || *e == exposition::TextParser::Entry::kEof) return std::nullopt;
      if (*e != exposition::TextParser::Entry::kSample) continue;
      const model::Labels labels = p.labels();
      if (labels.metric_name() != name) continue;
      bool all = true;
      for (const auto& [k, v] : want) all &= labels.Get(k) == v;
      if (all) return p.value();
    }
  }

  std::string url_, job_, body_;
};

TEST_F(PushgatewayIntegrationTest, JobTrackerPushesAtJobEnd) {
  metrics::Registry registry({.prefix = "reindex"});
  auto gateway = exporter::Pushgateway::Create(Options(&registry, "worker-1"));
  ASSERT_TRUE(gateway.ok()) << gateway.status().ToString();
  auto tracker = ml::JobTracker::Create(
      registry, {.job_type = "reindex", .on_job_end = [&] { return (*gateway)->Push(); }});
  ASSERT_TRUE(tracker.ok()) << tracker.status().ToString();
  ml::Job job = (*tracker)->Start();
  for (int i = 0; i < 3; ++i) {
    ml::ChunkScope chunk = job.Chunk(1500);
  }
  job.RecordRetry("timeout");
  Status pushed = job.Finish(ml::JobStatus::kCompleted);
  ASSERT_TRUE(pushed.ok()) << pushed.ToString();

  const Want group = {{"job", job_}, {"instance", "worker-1"}};
  Want completed = group;
  completed.emplace_back("status", "completed");
  EXPECT_EQ(Read("reindex_jobs_total", completed), 1.0) << body_;
  EXPECT_EQ(Read("reindex_job_records_processed_total", group), 4500.0);
  Want medium = group;
  medium.emplace_back("size", "medium");
  EXPECT_EQ(Read("reindex_job_chunk_duration_seconds_count", medium), 3.0);
  Want timeout = group;
  timeout.emplace_back("reason", "timeout");
  EXPECT_EQ(Read("reindex_job_retries_total", timeout), 1.0);
  EXPECT_EQ(Read("reindex_active_jobs", group), 0.0);
  EXPECT_GT(Read("reindex_job_last_success_timestamp_seconds", group).value_or(0), 1.6e9);
  // The gateway's own bookkeeping: when the group was last pushed.
  EXPECT_GT(Read("push_time_seconds", group).value_or(0), 1.6e9);
  EXPECT_EQ(Read("push_failure_time_seconds", group), 0.0);

  ASSERT_TRUE((*gateway)->Delete().ok());
  EXPECT_EQ(Read("reindex_jobs_total", completed), std::nullopt);
}

TEST_F(PushgatewayIntegrationTest, PutReplacesTheGroupPostReplacesByName) {
  metrics::Registry first;
  first.MustAddGauge({.name = "a", .help = "A."})->WithLabelValues({}).Set(1);
  first.MustAddGauge({.name = "b", .help = "B."})->WithLabelValues({}).Set(2);
  auto g1 = exporter::Pushgateway::Create(Options(&first, "semantics"));
  ASSERT_TRUE(g1.ok());
  ASSERT_TRUE((*g1)->Push().ok());
  const Want group = {{"job", job_}, {"instance", "semantics"}};
  EXPECT_EQ(Read("a", group), 1.0);
  EXPECT_EQ(Read("b", group), 2.0);

  // PUT with only "a": "b" is gone.
  metrics::Registry only_a;
  only_a.MustAddGauge({.name = "a", .help = "A."})->WithLabelValues({}).Set(10);
  auto g2 = exporter::Pushgateway::Create(Options(&only_a, "semantics"));
  ASSERT_TRUE(g2.ok());
  ASSERT_TRUE((*g2)->Push().ok());
  EXPECT_EQ(Read("a", group), 10.0);
  EXPECT_EQ(Read("b", group), std::nullopt);

  // POST with only "c": "a" stays.
  metrics::Registry only_c;
  only_c.MustAddGauge({.name = "c", .help = "C."})->WithLabelValues({}).Set(3);
  auto g3 = exporter::Pushgateway::Create(Options(&only_c, "semantics"));
  ASSERT_TRUE(g3.ok());
  ASSERT_TRUE((*g3)->Add().ok());
  EXPECT_EQ(Read("a", group), 10.0);
  EXPECT_EQ(Read("c", group), 3.0);

  ASSERT_TRUE((*g3)->Delete().ok());
  EXPECT_EQ(Read("a", group), std::nullopt);
  EXPECT_EQ(Read("c", group), std::nullopt);
}

TEST_F(PushgatewayIntegrationTest, GroupingValuesWithSlashesRoundTrip) {
  metrics::Registry registry;
  registry.MustAddCounter({.name = "rows_total", .help = "Rows."})->WithLabelValues({}).Inc(5);
  exporter::PushOptions o = Options(&registry, "host:9/replica a");
  o.grouping.emplace_back("path", "/data/set 1");
  auto g = exporter::Pushgateway::Create(o);
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE((*g)->Push().ok());
  EXPECT_EQ(Read("rows_total",
                 {{"job", job_}, {"instance", "host:9/replica a"}, {"path", "/data/set 1"}}),
            5.0)
      << body_;
  ASSERT_TRUE((*g)->Delete().ok());
}

TEST_F(PushgatewayIntegrationTest, InconsistentPushIsRejectedWithTheGatewaysMessage) {
  metrics::Registry counter;
  counter.MustAddCounter({.name = "clash_total", .help = "X."})->WithLabelValues({}).Inc();
  auto g1 = exporter::Pushgateway::Create(Options(&counter, "clash-1"));
  ASSERT_TRUE(g1.ok());
  ASSERT_TRUE((*g1)->Push().ok());
  // The same name as a gauge in another group: the gateway refuses it.
  metrics::Registry gauge;
  gauge.MustAddGauge({.name = "clash_total", .help = "X."})->WithLabelValues({}).Set(1);
  auto g2 = exporter::Pushgateway::Create(Options(&gauge, "clash-2"));
  ASSERT_TRUE(g2.ok());
  Status s = (*g2)->Push();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("HTTP 400"), std::string_view::npos) << s.ToString();
  ASSERT_TRUE((*g1)->Delete().ok());
  (void)(*g2)->Delete();
}

}  // namespace
}  // namespace vigil
