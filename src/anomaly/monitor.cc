#include "anomaly/monitor.h"

#include <zlib.h>

#include <chrono>
#include <cstdio>

#include "anomaly/spatial.h"
#include "base/file.h"

namespace vigil::anomaly {
namespace {

constexpr std::string_view kMagic = "VIGILANOM";
constexpr uint32_t kVersion = 1;

uint32_t Crc(std::string_view data) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

std::string SpecIdOf(const DetectorSpec& spec) {
  std::string id = spec.name + "(";
  for (const auto& [k, v] : spec.options.values()) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", v);
    id += k + "=" + buf + ",";
  }
  return id + ")";
}

}  // namespace

Result<std::unique_ptr<Monitor>> Monitor::Make(const Registry& registry, MonitorOptions options) {
  if (Status s = options.thresholds.Validate(); !s.ok()) return s;
  if (options.max_keys == 0) return InvalidArgumentError("max_keys must be positive");
  if (options.detectors.empty() && options.vector_detectors.empty() &&
      options.location_detectors.empty()) {
    return InvalidArgumentError("no detectors configured");
  }
  for (const DetectorSpec& d : options.location_detectors) {
    Result<std::unique_ptr<VectorDetector>> v = registry.MakeVector(d.name, d.options);
    if (!v.ok()) return v.status();
    if (v.value()->dim() != 2 && v.value()->dim() != 3) {
      return InvalidArgumentError("location detector " + d.name +
                                  " must take 2-D or 3-D points");
    }
  }
  auto m = std::unique_ptr<Monitor>(new Monitor(registry, std::move(options)));
  // Every spec must build: a bad one is an error now, not at the first point.
  Result<Baseline> probe = m->NewBaseline();
  if (!probe.ok()) return probe.status();
  if (metrics::Registry* r = m->options_.metrics; r != nullptr) {
    const std::string& p = m->options_.metric_prefix;
    Result<metrics::Family<metrics::Counter>*> detected = r->AddCounter(
        {.name = p + "anomalies_detected_total",
         .help = "Anomalies found, by type and severity.",
         .label_names = {"type", "severity"}});
    if (!detected.ok()) return detected.status();
    Result<metrics::Family<metrics::Histogram>*> confidence = r->AddHistogram(
        {.name = p + "anomaly_confidence", .help = "Confidence of the anomalies found."},
        {0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 0.9999, 1});
    if (!confidence.ok()) return confidence.status();
    Result<metrics::Family<metrics::Histogram>*> duration = r->AddHistogram(
        {.name = p + "anomaly_detection_duration_seconds",
         .help = "Time to run the detectors on one observation."},
        {1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1});
    if (!duration.ok()) return duration.status();
    m->detected_ = detected.value();
    m->confidence_ = confidence.value()->WithLabelValues({});
    m->duration_ = duration.value()->WithLabelValues({});
    m->have_metrics_ = true;
  }
  return m;
}

Monitor::Monitor(const Registry& registry, MonitorOptions options)
    : registry_(registry), options_(std::move(options)) {}

Result<Monitor::Baseline> Monitor::NewBaseline() const {
  Baseline b;
  for (const DetectorSpec& d : options_.detectors) {
    Result<std::unique_ptr<Detector>> v = registry_.Make(d.name, d.options);
    if (!v.ok()) return v.status();
    b.scalar.push_back(std::move(v).value());
  }
  for (const DetectorSpec& d : options_.vector_detectors) {
    Result<std::unique_ptr<VectorDetector>> v = registry_.MakeVector(d.name, d.options);
    if (!v.ok()) return v.status();
    b.vector.push_back(std::move(v).value());
  }
  for (const DetectorSpec& d : options_.location_detectors) {
    Result<std::unique_ptr<VectorDetector>> v = registry_.MakeVector(d.name, d.options);
    if (!v.ok()) return v.status();
    b.location.push_back(std::move(v).value());
  }
  return b;
}

Result<Monitor::Baseline*> Monitor::BaselineFor(const model::Labels& key) {
  auto it = baselines_.find(key);
  if (it != baselines_.end()) return &it->second;
  if (baselines_.size() >= options_.max_keys) {
    return ResourceExhaustedError("anomaly monitor holds its limit of " +
                                  std::to_string(options_.max_keys) + " keys; " + key.ToString() +
                                  " was not observed");
  }
  Result<Baseline> b = NewBaseline();
  if (!b.ok()) return b.status();
  return &baselines_.emplace(key, std::move(b).value()).first->second;
}

template <typename D, typename X>
Result<std::vector<Finding>> Monitor::Run(const model::Labels& key, int64_t t_ms, Kind kind, X x,
                                          const Location* where) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<Finding> out;
  {
    std::lock_guard lock(mu_);
    const bool existed = baselines_.contains(key);
    Result<Baseline*> b = BaselineFor(key);
    if (!b.ok()) return b.status();
    std::vector<std::unique_ptr<D>>* dets;
    if constexpr (std::is_same_v<D, Detector>) {
      dets = &b.value()->scalar;
    } else {
      dets = kind == Kind::kVector ? &b.value()->vector : &b.value()->location;
      for (const auto& d : *dets) {  // no detector learns from a vector any refuses
        if (Status s = CheckVector(x, d->dim()); !s.ok()) {
          s = s.WithPrefix("detector " + std::string(d->name()));
          if (!existed) baselines_.erase(key);  // bad input creates no key
          return s;
        }
      }
    }
    for (const auto& d : *dets) {
      Result<Score> s = d->Update(t_ms, x);
      if (!s.ok()) return s.status().WithPrefix("detector " + std::string(d->name()));
      Finding f{.detector = std::string(d->name()),
                .type = std::string(s.value().type),
                .score = s.value().score,
                .confidence = s.value().confidence,
                .severity = options_.thresholds.Classify(s.value().score),
                .timestamp_ms = t_ms,
                .labels = key};
      if (where != nullptr) f.location = *where;
      out.push_back(std::move(f));
    }
    b.value()->last_seen_ms = std::max(b.value()->last_seen_ms, t_ms);
  }
  Count(out, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return out;
}

void Monitor::Count(const std::vector<Finding>& findings, double seconds) {
  if (!have_metrics_) return;
  duration_.Observe(seconds);
  for (const Finding& f : findings) {
    if (f.severity == Severity::kNone) continue;
    detected_->WithLabelValues({f.type, SeverityName(f.severity)}).Inc();
    confidence_.Observe(f.confidence);
  }
}

Result<std::vector<Finding>> Monitor::Observe(const model::Labels& key, int64_t t_ms, double x) {
  if (Status s = CheckFinite(x); !s.ok()) return s;
  if (options_.detectors.empty()) {
    return FailedPreconditionError("no detectors for single values are configured");
  }
  return Run<Detector>(key, t_ms, Kind::kScalar, x, nullptr);
}

Result<std::vector<Finding>> Monitor::ObserveVector(const model::Labels& key, int64_t t_ms,
                                                    std::span<const double> x) {
  if (Status s = CheckVector(x, 0); !s.ok()) return s;
  if (options_.vector_detectors.empty()) {
    return FailedPreconditionError("no detectors for feature vectors are configured");
  }
  return Run<VectorDetector>(key, t_ms, Kind::kVector, x, nullptr);
}

Result<std::vector<Finding>> Monitor::ObserveLocation(const model::Labels& key, int64_t t_ms,
                                                      const Location& where) {
  if (where.dims != 2 && where.dims != 3) {
    return InvalidArgumentError("a location has 2 or 3 dimensions, not " +
                                std::to_string(where.dims));
  }
  std::span<const double> x(where.xyz.data(), static_cast<size_t>(where.dims));
  if (Status s = CheckVector(x, 0); !s.ok()) return s.WithPrefix("location");
  if (options_.location_detectors.empty()) {
    return FailedPreconditionError("no detectors for locations are configured");
  }
  return Run<VectorDetector>(key, t_ms, Kind::kLocation, x, &where);
}

void Monitor::Forget(const model::Labels& key) {
  std::lock_guard lock(mu_);
  baselines_.erase(key);
}

size_t Monitor::ForgetIdle(int64_t before_ms) {
  std::lock_guard lock(mu_);
  return std::erase_if(baselines_, [&](const auto& kv) { return kv.second.last_seen_ms < before_ms; });
}

size_t Monitor::size() const {
  std::lock_guard lock(mu_);
  return baselines_.size();
}

std::optional<HeatMap> Monitor::HeatMapOf(const model::Labels& key) const {
  std::lock_guard lock(mu_);
  auto it = baselines_.find(key);
  if (it == baselines_.end()) return std::nullopt;
  for (const auto& d : it->second.location) {
    if (const auto* s = dynamic_cast<const SpatialDetector*>(d.get())) return s->heat_map();
  }
  return std::nullopt;
}

std::string Monitor::SpecId(Kind kind, size_t i) const {
  switch (kind) {
    case Kind::kScalar: return "s:" + SpecIdOf(options_.detectors[i]);
    case Kind::kVector: return "v:" + SpecIdOf(options_.vector_detectors[i]);
    case Kind::kLocation: return "l:" + SpecIdOf(options_.location_detectors[i]);
  }
  return "";
}

Status Monitor::Save(const std::string& path) const {
  StateWriter w;
  {
    std::lock_guard lock(mu_);
    w.U64(baselines_.size());
    for (const auto& [key, b] : baselines_) {
      w.U64(key.size());
      for (const auto& l : key) {
        w.Str(l.name);
        w.Str(l.value);
      }
      w.I64(b.last_seen_ms);
      w.U64(b.scalar.size() + b.vector.size() + b.location.size());
      auto put = [&](Kind kind, size_t i, const auto& d) {
        StateWriter blob;
        d->Save(blob);
        w.Str(SpecId(kind, i));
        w.Str(blob.Take());
      };
      for (size_t i = 0; i < b.scalar.size(); ++i) put(Kind::kScalar, i, b.scalar[i]);
      for (size_t i = 0; i < b.vector.size(); ++i) put(Kind::kVector, i, b.vector[i]);
      for (size_t i = 0; i < b.location.size(); ++i) put(Kind::kLocation, i, b.location[i]);
    }
  }
  std::string body = w.Take();
  std::string file(kMagic);
  StateWriter head;
  head.U32(kVersion);
  head.U32(Crc(body));
  file += head.Take();
  file += body;
  return WriteFileAtomic(path, file);
}

Result<LoadReport> Monitor::Load(const std::string& path) {
  Result<std::string> file = ReadFile(path);
  if (!file.ok()) return file.status();
  std::string_view in = file.value();
  auto corrupt = [&](std::string_view why) {
    return DataLossError(path + ": " + std::string(why));
  };
  if (!in.starts_with(kMagic)) return corrupt("not an anomaly baselines file");
  in.remove_prefix(kMagic.size());
  StateReader head(in.substr(0, 8));
  Result<uint32_t> version = head.U32("version");
  Result<uint32_t> crc = head.U32("checksum");
  if (!crc.ok()) return corrupt("truncated header");
  if (version.value() != kVersion) {
    return corrupt("version " + std::to_string(version.value()) + " is not supported");
  }
  std::string_view body = in.substr(8);
  if (Crc(body) != crc.value()) return corrupt("checksum mismatch");

  // Everything is parsed into new baselines first: a bad file restores nothing.
  StateReader r(body);
  LoadReport report;
  std::map<model::Labels, Baseline> loaded;
  Result<uint64_t> keys = r.U64("key count");
  if (!keys.ok()) return keys.status().WithPrefix(path);
  for (uint64_t k = 0; k < keys.value(); ++k) {
    const std::string where = path + ": key " + std::to_string(k);
    Result<uint64_t> nlabels = r.U64("label count");
    if (!nlabels.ok()) return nlabels.status().WithPrefix(where);
    if (nlabels.value() > r.remaining()) return corrupt("label count out of range");
    std::vector<std::pair<std::string, std::string>> pairs;
    for (uint64_t i = 0; i < nlabels.value(); ++i) {
      Result<std::string> name = r.Str("label name");
      Result<std::string> value = r.Str("label value");
      if (!value.ok()) return value.status().WithPrefix(where);
      pairs.emplace_back(name.value(), value.value());
    }
    Result<int64_t> last_seen = r.I64("last seen");
    Result<uint64_t> ndet = r.U64("detector count");
    if (!ndet.ok()) return ndet.status().WithPrefix(where);
    Result<Baseline> b = NewBaseline();
    if (!b.ok()) return b.status();
    b.value().last_seen_ms = last_seen.value();
    std::vector<bool> done(b.value().scalar.size() + b.value().vector.size() +
                           b.value().location.size());
    for (uint64_t j = 0; j < ndet.value(); ++j) {
      Result<std::string> spec = r.Str("detector spec");
      Result<std::string> blob = r.Str("detector state");
      if (!blob.ok()) return blob.status().WithPrefix(where);
      // The first detector of the same spec not yet restored.
      bool restored = false;
      size_t slot = 0;
      auto try_load = [&](Kind kind, auto& dets) -> Status {
        for (size_t i = 0; i < dets.size(); ++i, ++slot) {
          if (restored || done[slot] || SpecId(kind, i) != spec.value()) continue;
          StateReader br(blob.value());
          Status s = dets[i]->Load(br);
          if (s.ok()) s = br.Finish();
          if (!s.ok()) return s.WithPrefix(where + " detector " + spec.value());
          done[slot] = restored = true;
        }
        return Status::OK();
      };
      for (Status s : {try_load(Kind::kScalar, b.value().scalar),
                       try_load(Kind::kVector, b.value().vector),
                       try_load(Kind::kLocation, b.value().location)}) {
        if (!s.ok()) return s;
      }
      restored ? ++report.restored : ++report.skipped;
    }
    loaded.insert_or_assign(model::Labels::FromPairs(std::move(pairs)), std::move(b).value());
  }
  if (Status s = r.Finish(); !s.ok()) return s.WithPrefix(path);

  std::lock_guard lock(mu_);
  for (auto& [key, b] : loaded) {
    if (!baselines_.contains(key) && baselines_.size() >= options_.max_keys) {
      report.skipped += b.scalar.size() + b.vector.size() + b.location.size();
      continue;
    }
    baselines_.insert_or_assign(key, std::move(b));
  }
  return report;
}

}  // namespace vigil::anomaly
