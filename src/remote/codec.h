// The remote-write 1.0 wire format: a prometheus.WriteRequest protobuf
// (remote/remote.proto) compressed as one snappy block. Neither protobuf nor
// snappy types appear here; byte layout in docs/formats/remote-write.md.
//
//   RequestEncoder enc;
//   int s = enc.AddSeries(labels);           // sorted (name, value) pairs
//   enc.AddSample(s, t, v);
//   std::string body;
//   enc.Finish(&body);                       // POST it; enc is empty again
//
//   VIGIL_ASSIGN_OR_RETURN(WriteRequest req, DecodeWriteRequest(body));
//
// Thread safety: the free functions are thread-safe; a RequestEncoder is
// not thread-safe (one per sending thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigil/result.h"

namespace vigil::remote {

using LabelPairs = std::vector<std::pair<std::string, std::string>>;

struct WriteSample {
  int64_t t = 0;  // milliseconds since the epoch
  double v = 0;
  // Values compare by bits, so NaN payloads (the staleness marker) count.
  friend bool operator==(const WriteSample& a, const WriteSample& b) {
    return a.t == b.t && std::memcmp(&a.v, &b.v, sizeof(double)) == 0;
  }
};

struct WriteTimeSeries {
  LabelPairs labels;
  std::vector<WriteSample> samples;
  friend bool operator==(const WriteTimeSeries&,
                         const WriteTimeSeries&) = default;
};

// The parts of prometheus.WriteRequest vigil sends and reads back.
struct WriteRequest {
  std::vector<WriteTimeSeries> timeseries;
  friend bool operator==(const WriteRequest&, const WriteRequest&) = default;
};

// Protobuf-serialises and snappy-compresses `req`. Cannot fail.
std::string EncodeWriteRequest(const WriteRequest& req);

// The inverse: kInvalidArgument when `body` is not a snappy block or does
// not parse as a WriteRequest (receivers and tests).
Result<WriteRequest> DecodeWriteRequest(std::string_view body);

// Builds one request at a time, reusing its protobuf objects and buffers
// from one request to the next (the sender's hot path).
class RequestEncoder {
 public:
  RequestEncoder();
  ~RequestEncoder();
  RequestEncoder(const RequestEncoder&) = delete;
  RequestEncoder& operator=(const RequestEncoder&) = delete;

  // Adds a time series; returns its index for AddSample.
  int AddSeries(std::span<const std::pair<std::string, std::string>> labels);
  // REQUIRES: series was returned by AddSeries since the last Finish.
  void AddSample(int series, int64_t t, double v);
  size_t num_series() const;
  size_t num_samples() const { return samples_; }

  // Replaces *out with the compressed request and starts an empty one.
  // Returns the uncompressed protobuf size in bytes.
  size_t Finish(std::string* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t samples_ = 0;
};

}  // namespace vigil::remote
