#include "scrape/self_scraper.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <span>
#include <string>
#include <utility>

#include "base/coding.h"
#include "exposition/encoder.h"
#include "model/timestamp.h"

namespace vigil::scrape {
namespace {

using SteadyClock = std::chrono::steady_clock;

// The cache key of a sample: its metric name, then each label's name and
// value, every part length-prefixed so that any bytes round-trip.
void AppendKeyPart(std::string_view part, std::string* key) {
  PutLengthPrefixed(key, part);
}

// The exposed labels a key was built from.
model::Labels LabelsOfKey(std::string_view key) {
  model::LabelsBuilder b;
  std::string_view name, value;
  if (!GetLengthPrefixed(&key, &name)) return model::Labels();
  b.Set(model::kMetricName, name);
  while (GetLengthPrefixed(&key, &name) && GetLengthPrefixed(&key, &value)) {
    b.Set(name, value);
  }
  return b.Build();
}

}  // namespace

model::Labels SelfScraper::FinalLabels(const model::Labels& exposed) const {
  return internal::MutateSampleLabels(exposed, target_labels_,
                                      /*honor_labels=*/false);
}

// Turns collected families into samples on one appender, caching each
// series' labels and ref under a key built from name and label pairs.
class SelfScraper::Sink final : public metrics::MetricSink {
 public:
  Sink(SelfScraper* owner, storage::Appender* app, int64_t t)
      : owner_(owner), app_(app), t_(t) {}

  void BeginFamily(const metrics::MetricFamilyDesc& desc) override {
    name_.assign(desc.name);
    type_ = desc.type;
  }

  void AddMetric(const metrics::MetricPoint& p) override {
    if (!err_.ok()) return;
    const bool own_ts = p.timestamp_ms != metrics::kNoTimestamp;
    const int64_t t = own_ts ? p.timestamp_ms : t_;
    switch (type_) {
      case metrics::MetricType::kHistogram: {
        const std::string bucket = name_ + "_bucket";
        for (size_t i = 0; i < p.bucket_counts.size(); ++i) {
          le_.clear();
          if (i < p.bucket_bounds.size()) {
            exposition::AppendFloat(p.bucket_bounds[i], false, &le_);
          } else {
            le_ = "+Inf";
          }
          Emit(bucket, p.labels, "le", le_,
               static_cast<double>(p.bucket_counts[i]), t, own_ts);
        }
        Emit(name_ + "_sum", p.labels, {}, {}, p.sum, t, own_ts);
        Emit(name_ + "_count", p.labels, {}, {}, static_cast<double>(p.count),
             t, own_ts);
        break;
      }
      case metrics::MetricType::kSummary: {
        const size_t n = std::min(p.quantiles.size(), p.quantile_values.size());
        for (size_t i = 0; i < n; ++i) {
          le_.clear();
          exposition::AppendFloat(p.quantiles[i], false, &le_);
          Emit(name_, p.labels, "quantile", le_, p.quantile_values[i], t,
               own_ts);
        }
        Emit(name_ + "_sum", p.labels, {}, {}, p.sum, t, own_ts);
        Emit(name_ + "_count", p.labels, {}, {}, static_cast<double>(p.count),
             t, own_ts);
        break;
      }
      default:
        Emit(name_, p.labels, {}, {}, p.value, t, own_ts);
        break;
    }
  }

  void EndFamily() override {}

  // Ends the collection: staleness markers for vanished series when it
  // succeeded. Returns the first error.
  Status Finish() {
    internal::ScrapeCache& cache = owner_->cache_;
    if (err_.ok()) {
      const double stale = internal::StaleNaN();
      cache.ForEachStale([&](std::string_view key, storage::SeriesRef ref) {
        Result<storage::SeriesRef> r = internal::AppendByRef(
            *app_, ref, t_, stale, [&]() -> Result<model::Labels> {
              return owner_->FinalLabels(LabelsOfKey(key));
            });
        if (r.ok() || internal::IsSampleRejection(r.status())) return true;
        err_ = r.status();
        return false;
      });
    }
    if (err_.ok()) {
      cache.IterDone(total_ > 0);
    } else {
      cache.AbortIter();
    }
    return err_;
  }

  size_t total() const { return total_; }
  size_t series_added() const { return series_added_; }

 private:
  void Emit(std::string_view name, std::span<const metrics::LabelPair> labels,
            std::string_view extra_name, std::string_view extra_value, double v,
            int64_t t, bool own_ts) {
    if (!err_.ok()) return;
    ++total_;
    key_.clear();
    AppendKeyPart(name, &key_);
    for (const metrics::LabelPair& l : labels) {
      AppendKeyPart(l.name, &key_);
      AppendKeyPart(l.value, &key_);
    }
    if (!extra_name.empty()) {
      AppendKeyPart(extra_name, &key_);
      AppendKeyPart(extra_value, &key_);
    }
    internal::ScrapeCache& cache = owner_->cache_;
    internal::ScrapeCache::Entry* e = cache.Get(key_);
    // A cached ref needs no labels; an unknown one falls back to them.
    const storage::SeriesRef ref = e != nullptr ? e->ref : 0;
    model::Labels lset;  // set when the append needed the labels
    Result<storage::SeriesRef> r = internal::AppendByRef(
        *app_, ref, t, v, [&]() -> Result<model::Labels> {
          lset = owner_->FinalLabels(LabelsOfKey(key_));
          return lset;
        });
    if (!r.ok() && !internal::IsSampleRejection(r.status())) {
      err_ = lset.empty() ? r.status() : r.status().WithPrefix(lset.ToString());
      return;
    }
    if (e != nullptr) {
      if (r.ok()) e->ref = *r;
    } else {
      e = cache.Add(key_, r.ok() ? *r : 0);
      if (r.ok()) ++series_added_;
    }
    if (!own_ts) cache.TrackStaleness(*e);
  }

  SelfScraper* const owner_;
  storage::Appender* const app_;
  const int64_t t_;
  std::string name_;
  metrics::MetricType type_ = metrics::MetricType::kUntyped;
  std::string key_;  // reused across samples
  std::string le_;
  size_t total_ = 0;
  size_t series_added_ = 0;
  Status err_;
};

SelfScraper::SelfScraper(const metrics::Registry* registry,
                         storage::Appendable* appendable,
                         SelfScraperOptions options)
    : registry_(registry),
      appendable_(appendable),
      options_(std::move(options)),
      target_labels_(model::Labels::FromPairs(
          {{"job", options_.job}, {"instance", options_.instance}})),
      report_(target_labels_) {}

SelfScraper::~SelfScraper() { Stop(); }

Status SelfScraper::ScrapeOnce(std::chrono::system_clock::time_point start) {
  const auto mono_start = SteadyClock::now();
  const int64_t t = model::FromTimePoint(start);
  std::unique_ptr<storage::Appender> app = appendable_->NewAppender();
  Sink sink(this, app.get(), t);
  registry_->Collect(sink);
  Status err = sink.Finish();
  if (!err.ok()) {
    app->Rollback();
    app = appendable_->NewAppender();
    // As a failed scrape: every series of the previous collection is stale.
    Sink empty(this, app.get(), t);
    if (!empty.Finish().ok()) {
      app->Rollback();
      app = appendable_->NewAppender();
    }
  }
  scraped_ = true;
  last_t_ = t;
  internal::ReportValues values;
  values.up = err.ok() ? 1 : 0;
  values.duration_seconds =
      std::chrono::duration<double>(SteadyClock::now() - mono_start).count();
  values.samples_scraped = static_cast<double>(sink.total());
  values.samples_post_relabeling = static_cast<double>(sink.total());
  values.series_added = static_cast<double>(sink.series_added());
  Status result = err;
  if (Status s = report_.Append(*app, t, values); !s.ok()) {
    app->Rollback();
    if (result.ok()) result = s;
  } else if (Status c = app->Commit(); !c.ok() && result.ok()) {
    result = c;
  }
  MutexLock lock(&mu_);
  last_error_ = result;
  last_scrape_ = start;
  last_duration_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(values.duration_seconds));
  return result;
}

TargetStatus SelfScraper::target_status() const {
  TargetStatus t;
  t.scrape_pool = options_.job;
  t.labels = target_labels_;
  t.discovered_labels = target_labels_;
  t.scrape_url = "in-process://" + options_.job;
  t.scrape_interval = options_.interval;
  t.scrape_timeout = options_.interval;
  t.metadata = std::make_shared<const std::vector<MetricMetadata>>();
  MutexLock lock(&mu_);
  t.last_scrape = last_scrape_;
  t.last_scrape_duration = last_duration_;
  if (last_scrape_.time_since_epoch().count() == 0) {
    t.health = TargetHealth::kUnknown;
  } else if (last_error_.ok()) {
    t.health = TargetHealth::kUp;
  } else {
    t.health = TargetHealth::kDown;
    t.last_error = std::string(last_error_.message());
  }
  return t;
}

Status SelfScraper::WriteStaleMarkers(std::chrono::system_clock::time_point t) {
  if (!scraped_) return Status::OK();
  const int64_t ts = std::max(model::FromTimePoint(t), last_t_ + 1);
  std::unique_ptr<storage::Appender> app = appendable_->NewAppender();
  Sink empty(this, app.get(), ts);
  Status s = empty.Finish();
  if (s.ok()) s = report_.AppendStale(*app, ts);
  if (!s.ok()) {
    app->Rollback();
    return s;
  }
  return app->Commit();
}

void SelfScraper::Start() {
  MutexLock lock(&mu_);
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void SelfScraper::Stop() {
  std::jthread thread;
  {
    MutexLock lock(&mu_);
    thread = std::move(thread_);
  }
  if (thread.joinable()) {
    thread.request_stop();
    thread.join();
  }
}

Status SelfScraper::last_error() const {
  MutexLock lock(&mu_);
  return last_error_;
}

void SelfScraper::Run(std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  const std::chrono::milliseconds interval =
      std::max(options_.interval, std::chrono::milliseconds(1));
  auto next = SteadyClock::now();
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_until(lock, stop, next, [] { return false; });
    }
    if (stop.stop_requested()) return;
    // The error is kept for last_error() and reported as up=0.
    (void)ScrapeOnce(std::chrono::system_clock::now());
    next += interval;
    const auto now = SteadyClock::now();
    if (next <= now) next += ((now - next) / interval + 1) * interval;
  }
}

}  // namespace vigil::scrape
