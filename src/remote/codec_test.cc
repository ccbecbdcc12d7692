#include "remote/codec.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <bit>
#include <cmath>
#include <limits>

namespace vigil::remote {
namespace {

WriteRequest Sample() {
  WriteRequest req;
  req.timeseries.push_back(
      {{{"__name__", "up"}, {"instance", "a:1"}, {"job", "node"}},
       {{1000, 1}, {2000, 0}, {3000, -0.0}}});
  req.timeseries.push_back(
      {{{"__name__", "x"}, {"bytes", std::string("\xff\x00z", 3)}},
       {{std::numeric_limits<int64_t>::min(),
         std::bit_cast<double>(uint64_t{0x7ff0000000000002})},  // stale NaN
        {std::numeric_limits<int64_t>::max(),
         std::numeric_limits<double>::infinity()}}});
  return req;
}

TEST(CodecTest, RoundTripsBitForBit) {
  const WriteRequest req = Sample();
  const std::string body = EncodeWriteRequest(req);
  Result<WriteRequest> back = DecodeWriteRequest(body);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, req);
  // -0.0 and the staleness marker keep their bits.
  EXPECT_TRUE(std::signbit(back->timeseries[0].samples[2].v));
  EXPECT_EQ(std::bit_cast<uint64_t>(back->timeseries[1].samples[0].v),
            uint64_t{0x7ff0000000000002});
}

TEST(CodecTest, BodyIsOneSnappyBlockOfTheProtobuf) {
  WriteRequest req;
  req.timeseries.push_back({{{"a", "b"}}, {{5, 1.5}}});
  const std::string body = EncodeWriteRequest(req);
  std::string raw;
  ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw));
  // prometheus.WriteRequest{timeseries: [{labels: [{a, b}], samples:
  // [{value: 1.5, timestamp: 5}]}]}, written out by hand from the .proto
  // field numbers: 0x0a = field 1 (timeseries), length-delimited.
  const std::string want(
      "\x0a\x15"                          // timeseries, 21 bytes
      "\x0a\x06\x0a\x01" "a" "\x12\x01" "b"  // labels {name: a, value: b}
      "\x12\x0b\x09\x00\x00\x00\x00\x00\x00\xf8\x3f\x10\x05",  // sample
      23);
  EXPECT_EQ(raw, want);
}

TEST(CodecTest, EncoderIsReusable) {
  RequestEncoder enc;
  std::string body;
  for (int round = 0; round < 3; ++round) {
    const int a = enc.AddSeries(LabelPairs{{"s", "a"}});
    const int b = enc.AddSeries(LabelPairs{{"s", "b"}});
    enc.AddSample(a, round, 1);
    enc.AddSample(b, round, 2);
    enc.AddSample(a, round + 10, 3);
    EXPECT_EQ(enc.num_samples(), 3u);
    enc.Finish(&body);
    EXPECT_EQ(enc.num_series(), 0u);
    Result<WriteRequest> r = DecodeWriteRequest(body);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->timeseries.size(), 2u);
    EXPECT_EQ(r->timeseries[0].samples,
              (std::vector<WriteSample>{{round, 1}, {round + 10, 3}}));
    EXPECT_EQ(r->timeseries[1].samples, (std::vector<WriteSample>{{round, 2}}));
  }
}

TEST(CodecTest, DecodeRejectsWhatIsNotSnappyProtobuf) {
  EXPECT_EQ(DecodeWriteRequest("plain text").status().code(),
            StatusCode::kInvalidArgument);
  std::string compressed;
  const std::string junk = "\xff\xff\xff";
  snappy::Compress(junk.data(), junk.size(), &compressed);
  EXPECT_EQ(DecodeWriteRequest(compressed).status().code(),
            StatusCode::kInvalidArgument);
  // An empty request is valid.
  std::string empty;
  snappy::Compress("", 0, &empty);
  Result<WriteRequest> r = DecodeWriteRequest(empty);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timeseries.empty());
}

}  // namespace
}  // namespace vigil::remote
