#include "remote/codec.h"

#include <snappy.h>

#include "remote/remote.pb.h"

namespace vigil::remote {

struct RequestEncoder::Impl {
  prometheus::WriteRequest req;
  std::string raw;  // the serialised protobuf, reused
};

RequestEncoder::RequestEncoder() : impl_(std::make_unique<Impl>()) {}
RequestEncoder::~RequestEncoder() = default;

int RequestEncoder::AddSeries(
    std::span<const std::pair<std::string, std::string>> labels) {
  prometheus::TimeSeries* ts = impl_->req.add_timeseries();
  for (const auto& [name, value] : labels) {
    prometheus::Label* l = ts->add_labels();
    l->set_name(name);
    l->set_value(value);
  }
  return impl_->req.timeseries_size() - 1;
}

void RequestEncoder::AddSample(int series, int64_t t, double v) {
  prometheus::Sample* s = impl_->req.mutable_timeseries(series)->add_samples();
  s->set_timestamp(t);
  s->set_value(v);
  ++samples_;
}

size_t RequestEncoder::num_series() const {
  return static_cast<size_t>(impl_->req.timeseries_size());
}

size_t RequestEncoder::Finish(std::string* out) {
  impl_->raw.clear();
  impl_->req.SerializeToString(&impl_->raw);
  out->clear();
  snappy::Compress(impl_->raw.data(), impl_->raw.size(), out);
  // Clear() keeps the repeated fields' element objects for reuse.
  impl_->req.Clear();
  samples_ = 0;
  return impl_->raw.size();
}

std::string EncodeWriteRequest(const WriteRequest& req) {
  RequestEncoder enc;
  for (const WriteTimeSeries& ts : req.timeseries) {
    const int s = enc.AddSeries(ts.labels);
    for (const WriteSample& smp : ts.samples) enc.AddSample(s, smp.t, smp.v);
  }
  std::string out;
  enc.Finish(&out);
  return out;
}

Result<WriteRequest> DecodeWriteRequest(std::string_view body) {
  std::string raw;
  if (!snappy::Uncompress(body.data(), body.size(), &raw)) {
    return InvalidArgumentError("remote write: body is not a snappy block (" +
                                std::to_string(body.size()) + " bytes)");
  }
  prometheus::WriteRequest req;
  if (!req.ParseFromString(raw)) {
    return InvalidArgumentError(
        "remote write: body does not parse as prometheus.WriteRequest");
  }
  WriteRequest out;
  out.timeseries.reserve(static_cast<size_t>(req.timeseries_size()));
  for (const prometheus::TimeSeries& ts : req.timeseries()) {
    WriteTimeSeries& o = out.timeseries.emplace_back();
    o.labels.reserve(static_cast<size_t>(ts.labels_size()));
    for (const prometheus::Label& l : ts.labels()) {
      o.labels.emplace_back(l.name(), l.value());
    }
    o.samples.reserve(static_cast<size_t>(ts.samples_size()));
    for (const prometheus::Sample& s : ts.samples()) {
      o.samples.push_back({s.timestamp(), s.value()});
    }
  }
  return out;
}

}  // namespace vigil::remote
