// WAL record payloads: what the head logs and replays. Prometheus'
// tsdb/record in C++: a Series record introduces series by reference, a
// Samples record appends float samples to referenced series. The first byte
// of every record is its Type; the byte layout is in docs/formats/wal.md.
//
//   std::string rec = record::EncodeSamples(samples);
//   std::string_view recs[] = {rec};
//   VIGIL_RETURN_IF_ERROR(wal.Log(recs));
//   ...
//   switch (record::GetType(reader.record())) {
//     case record::Type::kSamples: {
//       VIGIL_ASSIGN_OR_RETURN(auto s, record::DecodeSamples(reader.record()));
//       ...
//
// Values round-trip bit for bit (NaN payloads, the staleness marker, -0.0,
// infinities); refs and timestamps are any 64-bit value (deltas wrap).
// Decoders never read out of bounds and answer kDataLoss, naming the byte
// position, for anything that does not decode exactly: a wrong type, a
// truncated field, an overlong varint, trailing bytes.
//
// Labels are a plain vector of (name, value) pairs so this file does not
// depend on the model module; the head converts from and to model::Labels.
// They are written and read back in the order given (the head passes them
// sorted by name); decoding does not re-sort or check order.
//
// Thread safety: free functions over values; safe to call concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigil/result.h"

namespace vigil::tsdb::record {

// The first byte of a record. Numbers match Prometheus' record.Type so the
// two formats stay easy to compare; 3 and up are reserved (tombstones,
// exemplars, histograms, ...).
enum class Type : uint8_t {
  kUnknown = 0,
  kSeries = 1,
  kSamples = 2,
};

using Labels = std::vector<std::pair<std::string, std::string>>;

// A series introduced to the head under a reference.
struct RefSeries {
  uint64_t ref = 0;
  Labels labels;

  friend bool operator==(const RefSeries&, const RefSeries&) = default;
};

// One float sample of a referenced series. Compare values by bits (NaN).
struct RefSample {
  uint64_t ref = 0;
  int64_t t = 0;  // milliseconds since the epoch
  double v = 0;
};

// The type of an encoded record; kUnknown for an empty record or a type
// byte this version does not know.
Type GetType(std::string_view rec);

std::string EncodeSeries(std::span<const RefSeries> series);
// EncodeSeries piece by piece, for callers that hold labels in another
// shape (the head): StartSeriesRecord once, then per series
// AppendSeriesHeader with its label count followed by that many
// AppendSeriesLabel calls, in order.
void StartSeriesRecord(std::string* rec);
void AppendSeriesHeader(uint64_t ref, size_t label_count, std::string* rec);
void AppendSeriesLabel(std::string_view name, std::string_view value,
                       std::string* rec);
Result<std::vector<RefSeries>> DecodeSeries(std::string_view rec);

std::string EncodeSamples(std::span<const RefSample> samples);
Result<std::vector<RefSample>> DecodeSamples(std::string_view rec);

}  // namespace vigil::tsdb::record
