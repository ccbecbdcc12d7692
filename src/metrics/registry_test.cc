#include "vigil/metrics/registry.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "metrics/test_util.h"

namespace vigil::metrics {
namespace {

TEST(NamesTest, MetricNames) {
  for (const char* ok : {"a", "_a", "a:b", "http_requests_total", "A9_:z"}) {
    EXPECT_TRUE(ValidateMetricName(ok).ok()) << ok;
  }
  for (const char* bad : {"", "9a", "a-b", "a b", "é", "__reserved"}) {
    EXPECT_FALSE(ValidateMetricName(bad).ok()) << bad;
  }
  EXPECT_NE(ValidateMetricName("a-b").message().find("character 2"), std::string_view::npos);
}

TEST(NamesTest, LabelNames) {
  for (const char* ok : {"a", "_a", "model_version", "A9"}) {
    EXPECT_TRUE(ValidateLabelName(ok).ok()) << ok;
  }
  for (const char* bad : {"", "9a", "a:b", "a-b", "__name__"}) {
    EXPECT_FALSE(ValidateLabelName(bad).ok()) << bad;
  }
}

TEST(NamesTest, Utf8) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
}

TEST(RegistryTest, PrefixSubsystemAndConstLabels) {
  Registry r({.prefix = "vision", .const_labels = {{"service", "det"}}});
  auto* f = r.MustAddCounter({.name = "frames_total", .help = "F.", .subsystem = "camera",
                              .label_names = {"model"}, .const_labels = {{"zone", "a"}}});
  EXPECT_EQ(f->name(), "vision_camera_frames_total");
  f->WithLabelValues({"owlv2"}).Inc();
  auto snap = r.Snapshot();
  const MetricSnapshot* m = testing::FindSeries(
      snap, "vision_camera_frames_total", {{"model", "owlv2"}, {"zone", "a"}, {"service", "det"}});
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->value, 1);
}

TEST(RegistryTest, SameRegistrationReturnsTheSameFamily) {
  Registry r;
  auto a = r.AddCounter({.name = "x_total", .help = "X.", .label_names = {"k"}});
  auto b = r.AddCounter({.name = "x_total", .help = "X.", .label_names = {"k"}});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(RegistryTest, ConflictingRegistrationNamesBoth) {
  Registry r;
  r.MustAddCounter({.name = "x_total", .help = "X.", .label_names = {"k"}});
  auto g = r.AddGauge({.name = "x_total", .help = "X.", .label_names = {"k"}});
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kAlreadyExists);
  const std::string msg(g.status().message());
  EXPECT_NE(msg.find("counter with labels [k]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gauge with labels [k]"), std::string::npos) << msg;
  auto c = r.AddCounter({.name = "x_total", .help = "X.", .label_names = {"k", "j"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("[k,j]"), std::string::npos);
}

TEST(RegistryTest, ExposedNameClashesAreErrors) {
  Registry r;
  r.MustAddHistogram({.name = "latency", .help = "L."});
  auto g = r.AddGauge({.name = "latency_count", .help = "C."});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(std::string(g.status().message()).find("latency_count"), std::string::npos);
}

TEST(RegistryTest, InvalidOptionsAreRejected) {
  Registry r;
  EXPECT_FALSE(r.AddCounter({.name = "bad-name"}).ok());
  EXPECT_FALSE(r.AddCounter({.name = "x", .label_names = {"a", "a"}}).ok());
  EXPECT_FALSE(r.AddCounter({.name = "x", .label_names = {"__a"}}).ok());
  EXPECT_FALSE(r.AddHistogram({.name = "h", .label_names = {"le"}}).ok());
  EXPECT_FALSE(r.AddCounter({.name = "x", .const_labels = {{"1a", "v"}}}).ok());
  EXPECT_FALSE(r.AddCounter({.name = "x", .max_series = 0}).ok());
  // OpenMetrics units: the name must end with the unit.
  EXPECT_FALSE(r.AddGauge({.name = "latency", .unit = "seconds"}).ok());
  EXPECT_TRUE(r.AddGauge({.name = "latency_seconds", .unit = "seconds"}).ok());
  EXPECT_TRUE(r.AddCounter({.name = "sent_bytes_total", .unit = "bytes"}).ok());
}

TEST(RegistryTest, FamiliesAreSortedAndEmptyLabelledFamiliesHidden) {
  Registry r;
  r.MustAddGauge({.name = "b", .help = "B."});
  r.MustAddGauge({.name = "a", .help = "A."});
  r.MustAddCounter({.name = "c_total", .help = "C.", .label_names = {"k"}});  // no series yet
  auto snap = r.Snapshot();
  ASSERT_EQ(snap.size(), 2u);
  EXPECT_EQ(snap[0].name, "a");
  EXPECT_EQ(snap[1].name, "b");
}

class FixedCollector : public Collector {
 public:
  explicit FixedCollector(std::string name) : name_(std::move(name)) {}
  void Collect(std::vector<FamilySnapshot>* out) override {
    FamilySnapshot f;
    f.name = name_;
    f.help = "From a collector.";
    f.type = MetricType::kGauge;
    MetricSnapshot m;
    m.labels = {{"k", "v"}};
    m.value = 7;
    f.metrics.push_back(m);
    out->push_back(f);
  }

 private:
  std::string name_;
};

TEST(RegistryTest, CollectorsAreMergedInOrder) {
  Registry r;
  r.MustAddGauge({.name = "a", .help = "A."});
  r.MustAddGauge({.name = "z", .help = "Z."});
  auto c = std::make_shared<FixedCollector>("m");
  ASSERT_TRUE(r.Register(c).ok());
  EXPECT_EQ(r.Register(c).code(), StatusCode::kAlreadyExists);
  auto snap = r.Snapshot();
  ASSERT_EQ(snap.size(), 3u);
  EXPECT_EQ(snap[1].name, "m");
  EXPECT_EQ(snap[1].metrics[0].value, 7);
  EXPECT_TRUE(r.Unregister(c.get()));
  EXPECT_FALSE(r.Unregister(c.get()));
  EXPECT_EQ(r.Snapshot().size(), 2u);
}

TEST(RegistryTest, BadCollectorOutputIsSkippedAndCounted) {
  Registry r;
  ASSERT_TRUE(r.Register(std::make_shared<FixedCollector>("bad name")).ok());
  auto snap = r.Snapshot();
  EXPECT_EQ(testing::FindFamily(snap, "bad name"), nullptr);
  EXPECT_EQ(testing::SeriesValue(r, "vigil_metrics_rejected_updates_total",
                                 {{"reason", "bad_collector_output"}}),
            2);  // once per collection: the two Snapshot() calls
}

TEST(RegistryTest, RemoveFamily) {
  Registry r;
  r.MustAddGauge({.name = "a", .help = "A."});
  EXPECT_TRUE(r.RemoveFamily("a"));
  EXPECT_FALSE(r.RemoveFamily("a"));
  EXPECT_TRUE(r.Snapshot().empty());
  EXPECT_TRUE(r.AddCounter({.name = "a", .help = "A."}).ok());
}

}  // namespace
}  // namespace vigil::metrics
