#include "scrape/scrape_loop.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

#include "base/status_macros.h"
#include "base/strings.h"
#include "exposition/text_parser.h"
#include "http/client.h"
#include "http/client_config.h"
#include "model/timestamp.h"

namespace vigil::scrape {
namespace {

using SteadyClock = std::chrono::steady_clock;

metrics::Counter MakeCounter(metrics::Registry* registry,
                             const std::string& name, const std::string& help) {
  if (registry == nullptr) return metrics::Counter();
  Result<metrics::Family<metrics::Counter>*> f =
      registry->AddCounter({.name = name, .help = help});
  if (!f.ok()) {
    registry->Report("scrape: cannot register " + name + ": " +
                     f.status().ToString());
    return metrics::Counter();
  }
  return (*f)->WithLabelValues({});
}

// Reads a secret file as Prometheus does: whole file, surrounding
// whitespace trimmed.
std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

class HttpScraper final : public Scraper {
 public:
  HttpScraper(ScrapeConfig config, std::string path_and_query,
              std::chrono::milliseconds timeout,
              std::unique_ptr<http::Client> client)
      : config_(std::move(config)),
        path_and_query_(std::move(path_and_query)),
        timeout_(timeout),
        client_(std::move(client)) {}

  Result<ScrapeResponse> Scrape() override {
    http::Headers headers = {
        {"Accept", std::string(kScrapeAcceptHeader)},
        {"Accept-Encoding", "gzip"},
        {"X-Prometheus-Scrape-Timeout-Seconds", FormatSeconds(timeout_)},
    };
    Result<std::string> auth = http::AuthorizationHeaderValue(config_.http_client_config);
    if (!auth.ok()) return auth.status();
    if (!auth->empty()) headers.emplace_back("Authorization", *auth);
    Result<http::ClientResponse> r = client_->Get(path_and_query_, headers);
    if (!r.ok()) return r.status();
    if (r->status != 200) {
      std::string msg =
          "server returned HTTP status " + std::to_string(r->status);
      if (std::string_view reason = ReasonPhrase(r->status); !reason.empty()) {
        msg += " ";
        msg += reason;
      }
      return UnavailableError(msg);
    }
    return ScrapeResponse{std::move(r->content_type), std::move(r->body)};
  }

  void Stop() override { client_->Stop(); }

 private:
  const ScrapeConfig config_;
  const std::string path_and_query_;
  const std::chrono::milliseconds timeout_;
  const std::unique_ptr<http::Client> client_;
};

double Seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

std::shared_ptr<ScrapeMetrics> ScrapeMetrics::Create(
    metrics::Registry* registry) {
  auto m = std::make_shared<ScrapeMetrics>();
  m->samples_out_of_order = MakeCounter(
      registry, "vigil_scrape_samples_out_of_order_total",
      "Scraped samples rejected by storage as out of order or out of "
      "bounds.");
  m->samples_duplicate = MakeCounter(
      registry, "vigil_scrape_samples_duplicate_timestamp_total",
      "Scraped samples rejected by storage for a duplicate timestamp with "
      "a different value.");
  m->exceeded_sample_limit =
      MakeCounter(registry, "vigil_scrape_exceeded_sample_limit_total",
                  "Scrapes that failed because they exceeded sample_limit.");
  m->exceeded_label_limits =
      MakeCounter(registry, "vigil_scrape_exceeded_label_limits_total",
                  "Scrapes that failed because a label limit was exceeded.");
  m->exceeded_body_size_limit = MakeCounter(
      registry, "vigil_scrape_exceeded_body_size_limit_total",
      "Scrapes that failed because the body exceeded body_size_limit.");
  m->cache_flush_forced = MakeCounter(
      registry, "vigil_scrape_cache_flush_forced_total",
      "Scrape caches flushed because failed scrapes made them grow.");
  return m;
}

Result<std::unique_ptr<Scraper>> NewHttpScraper(const ScrapeConfig& config,
                                                const Target& target) {
  http::ClientOptions opts;
  opts.timeout = target.timeout();
  opts.user_agent = std::string(http::DefaultUserAgent());
  opts.body_size_limit_bytes = config.body_size_limit_bytes;
  http::ApplyClientConfig(config.http_client_config, &opts);
  Result<std::unique_ptr<http::Client>> client =
      http::Client::Create(target.origin(), std::move(opts));
  if (!client.ok()) return client.status();
  return std::unique_ptr<Scraper>(
      new HttpScraper(config, target.path_and_query(), target.timeout(),
                      std::move(client).value()));
}

LoopOptions LoopOptions::FromConfig(const ScrapeConfig& config) {
  LoopOptions o;
  o.honor_labels = config.honor_labels;
  o.honor_timestamps = config.honor_timestamps;
  o.sample_limit = config.sample_limit;
  o.label_limits.label_limit = config.label_limit;
  o.label_limits.label_name_length_limit = config.label_name_length_limit;
  o.label_limits.label_value_length_limit = config.label_value_length_limit;
  return o;
}

ScrapeLoop::ScrapeLoop(std::shared_ptr<Target> target,
                       std::unique_ptr<Scraper> scraper,
                       storage::Appendable* appendable, LoopOptions options,
                       std::shared_ptr<ScrapeMetrics> metrics,
                       std::unique_ptr<internal::ScrapeCache> cache)
    : target_(std::move(target)),
      scraper_(std::move(scraper)),
      appendable_(appendable),
      options_(options),
      metrics_(metrics ? std::move(metrics) : ScrapeMetrics::Create(nullptr)),
      cache_(cache ? std::move(cache)
                   : std::make_unique<internal::ScrapeCache>()),
      report_(target_->labels()),
      published_metadata_(cache_->metadata()) {
  // A cache carried over a reload brings its metadata to the new target.
  target_->SetMetadata(published_metadata_);
}

ScrapeLoop::~ScrapeLoop() = default;

void ScrapeLoop::Abort() { scraper_->Stop(); }

std::unique_ptr<internal::ScrapeCache> ScrapeLoop::ReleaseCache() {
  return std::move(cache_);
}

ScrapeLoop::AppendResult ScrapeLoop::Append(storage::Appender& app,
                                            std::string_view body,
                                            std::string_view content_type,
                                            int64_t default_t) {
  AppendResult r;
  exposition::TextParser parser(
      body, exposition::ParseFormatFromContentType(content_type));
  const uint64_t forced_before = cache_->forced_flushes();
  size_t appended = 0;  // non-stale samples offered to storage
  bool over_sample_limit = false;
  Status err;
  for (;;) {
    Result<exposition::TextParser::Entry> e = parser.Next();
    if (!e.ok()) {
      err = e.status();
      break;
    }
    if (*e == exposition::TextParser::Entry::kEof) break;
    switch (*e) {
      case exposition::TextParser::Entry::kSample:
        break;
      case exposition::TextParser::Entry::kType:
        cache_->SetType(parser.family(),
                        exposition::ParsedTypeName(parser.type()));
        continue;
      case exposition::TextParser::Entry::kHelp:
        // help() unescapes into a new string; the cache copies it only
        // when it differs.
        cache_->SetHelp(parser.family(), parser.help());
        continue;
      case exposition::TextParser::Entry::kUnit:
        cache_->SetUnit(parser.family(), parser.unit());
        continue;
      case exposition::TextParser::Entry::kComment:
      case exposition::TextParser::Entry::kEof:
        continue;
    }
    ++r.total;

    std::optional<int64_t> ts;
    if (options_.honor_timestamps) ts = parser.timestamp_ms();
    const int64_t t = ts.value_or(default_t);
    const double v = parser.value();

    if (options_.sample_limit > 0 && !internal::IsStaleNaN(v) &&
        ++appended > options_.sample_limit) {
      // Keep parsing so that scrape_samples_scraped is the full count.
      over_sample_limit = true;
      ++r.added;
      continue;
    }

    const std::string_view series = parser.series();
    internal::ScrapeCache::Entry* cached = cache_->Get(series);
    storage::SeriesRef ref = cached != nullptr ? cached->ref : 0;
    // A cached ref needs no labels; one that storage no longer knows (its
    // series was collected) falls back to the labels, like a new series.
    bool over_label_limits = false;
    Result<storage::SeriesRef> appended_ref = internal::AppendByRef(
        app, ref, t, v, [&]() -> Result<model::Labels> {
          model::Labels built = internal::MutateSampleLabels(
              parser.labels(), target_->labels(), options_.honor_labels);
          Status limits =
              internal::VerifyLabelLimits(built, options_.label_limits);
          if (!limits.ok()) {
            over_label_limits = true;
            return limits;
          }
          return built;
        });
    if (over_label_limits) {
      metrics_->exceeded_label_limits.Inc();
      err = appended_ref.status();
      break;
    }
    bool sample_added = false;
    if (appended_ref.ok()) {
      ref = *appended_ref;
      sample_added = true;
    } else if (appended_ref.status().code() == StatusCode::kOutOfRange) {
      metrics_->samples_out_of_order.Inc();
    } else if (appended_ref.status().code() == StatusCode::kAlreadyExists) {
      metrics_->samples_duplicate.Inc();
    } else {
      err = appended_ref.status();
      break;
    }
    if (cached != nullptr) {
      if (sample_added) cached->ref = ref;
    } else {
      cached = cache_->Add(series, sample_added ? ref : 0);
      if (sample_added) ++r.series_added;
    }
    // Series with their own timestamp are not tracked for staleness: the
    // exposer decides when they end.
    if (!ts.has_value()) cache_->TrackStaleness(*cached);
    ++r.added;
  }
  if (err.ok() && over_sample_limit) {
    metrics_->exceeded_sample_limit.Inc();
    err = ResourceExhaustedError("sample limit exceeded");
  }
  if (err.ok()) {
    const double stale = internal::StaleNaN();
    cache_->ForEachStale([&](std::string_view series, storage::SeriesRef ref) {
      Result<storage::SeriesRef> s = internal::AppendByRef(
          app, ref, default_t, stale, [&] { return LabelsOfSeries(series); });
      if (s.ok() || internal::IsSampleRejection(s.status())) return true;
      err = s.status();
      return false;
    });
  }
  if (err.ok()) {
    cache_->IterDone(!body.empty());
    if (cache_->forced_flushes() != forced_before) {
      metrics_->cache_flush_forced.Inc();
    }
  } else {
    cache_->AbortIter();
  }
  r.status = std::move(err);
  return r;
}

Result<model::Labels> ScrapeLoop::LabelsOfSeries(
    std::string_view series) const {
  std::string line(series);
  line += " 0\n";
  exposition::TextParser parser(line, exposition::ParseFormat::kPrometheusText);
  for (;;) {
    VIGIL_ASSIGN_OR_RETURN(exposition::TextParser::Entry e, parser.Next());
    if (e == exposition::TextParser::Entry::kEof) {
      return InternalError("cached series text has no sample: " + line);
    }
    if (e == exposition::TextParser::Entry::kSample) break;
  }
  return internal::MutateSampleLabels(parser.labels(), target_->labels(),
                                      options_.honor_labels);
}

Status ScrapeLoop::ScrapeAndReport(
    std::chrono::system_clock::time_point start) {
  const auto mono_start = SteadyClock::now();
  Result<ScrapeResponse> response = scraper_->Scrape();
  if (!response.ok() && response.status().code() == StatusCode::kCancelled) {
    return response.status();  // stopping: record nothing
  }
  Status scrape_err = response.ok() ? Status::OK() : response.status();
  if (scrape_err.code() == StatusCode::kResourceExhausted) {
    metrics_->exceeded_body_size_limit.Inc();
  }
  const std::chrono::nanoseconds duration = SteadyClock::now() - mono_start;
  const int64_t t = model::FromTimePoint(start);

  std::unique_ptr<storage::Appender> app = appendable_->NewAppender();
  AppendResult r;
  if (response.ok()) {
    r = Append(*app, response->body, response->content_type, t);
  } else {
    // A failed scrape is an empty one: every series goes stale.
    r = Append(*app, {}, {}, t);
  }
  if (!r.status.ok()) {
    app->Rollback();
    app = appendable_->NewAppender();
    // The samples are gone; write the staleness markers of an empty scrape.
    AppendResult empty = Append(*app, {}, {}, t);
    if (!empty.status.ok()) {
      app->Rollback();
      app = appendable_->NewAppender();
    }
    if (scrape_err.ok()) scrape_err = r.status;
  }
  scraped_ = true;
  last_t_ = t;
  if (cache_->metadata() != published_metadata_) {
    published_metadata_ = cache_->metadata();
    target_->SetMetadata(published_metadata_);
  }
  target_->Report(start, duration, scrape_err);
  internal::ReportValues values;
  values.up = scrape_err.ok() ? 1 : 0;
  values.duration_seconds = Seconds(duration);
  values.samples_scraped = static_cast<double>(r.total);
  values.samples_post_relabeling = static_cast<double>(r.added);
  values.series_added = static_cast<double>(r.series_added);
  if (Status s = report_.Append(*app, t, values); !s.ok()) {
    app->Rollback();
    return scrape_err.ok() ? s : scrape_err;
  }
  Status committed = app->Commit();
  if (!scrape_err.ok()) return scrape_err;
  return committed;
}

Status ScrapeLoop::WriteStaleMarkers(std::chrono::system_clock::time_point t) {
  if (!scraped_ || cache_ == nullptr) return Status::OK();
  const int64_t ts = std::max(model::FromTimePoint(t), last_t_ + 1);
  std::unique_ptr<storage::Appender> app = appendable_->NewAppender();
  AppendResult r = Append(*app, {}, {}, ts);
  if (!r.status.ok()) {
    app->Rollback();
    return r.status;
  }
  if (Status s = report_.AppendStale(*app, ts); !s.ok()) {
    app->Rollback();
    return s;
  }
  return app->Commit();
}

}  // namespace vigil::scrape
