#include "remote/segment_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/file.h"
#include "base/test_util.h"
#include "tsdb/wal/wal.h"

namespace vigil::remote {
namespace {

using Outcome = SegmentReader::Outcome;

// Writes `records` with a real Wal and returns the frames' bytes: the
// segment file as the Wal wrote it.
std::string Frames(const std::string& dir, std::vector<std::string> records) {
  {
    auto wal = tsdb::wal::Wal::Open({}, dir);
    EXPECT_TRUE(wal.ok());
    std::vector<std::string_view> views(records.begin(), records.end());
    EXPECT_TRUE((*wal)->Log(views).ok());
    EXPECT_TRUE((*wal)->Close().ok());
  }
  Result<std::string> bytes = ReadFile(dir + "/00000000");
  EXPECT_TRUE(bytes.ok());
  return *bytes;
}

void Append(const std::string& path, std::string_view bytes) {
  Result<int> fd = OpenFile(path, O_WRONLY | O_CREAT | O_APPEND);
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(WriteAll(*fd, bytes, path).ok());
  ::close(*fd);
}

TEST(SegmentReaderTest, ReadsRecordsFromAnOffset) {
  vigil::testing::TempDir tmp;
  const std::string frames = Frames(tmp.path() + "/w", {"one", "two", "three"});
  const std::string path = tmp.path() + "/w/00000000";
  auto r = SegmentReader::Open(path, 0);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)->Next(), Outcome::kRecord);
  EXPECT_EQ((*r)->record(), "one");
  EXPECT_EQ((*r)->offset(), 9u + 3);
  const uint64_t second = (*r)->offset();
  ASSERT_EQ((*r)->Next(), Outcome::kRecord);
  EXPECT_EQ((*r)->record(), "two");
  ASSERT_EQ((*r)->Next(), Outcome::kRecord);
  EXPECT_EQ((*r)->record(), "three");
  EXPECT_EQ((*r)->Next(), Outcome::kEnd);
  EXPECT_EQ((*r)->offset(), frames.size());

  auto mid = SegmentReader::Open(path, second);
  ASSERT_TRUE(mid.ok());
  ASSERT_EQ((*mid)->Next(), Outcome::kRecord);
  EXPECT_EQ((*mid)->record(), "two");
}

// The live segment: the writer's write(2) is seen in pieces. Every prefix
// of a frame reads as kPartial at the same offset, never as a record and
// never as the end; once complete it is read.
TEST(SegmentReaderTest, HalfWrittenRecordIsNotYetAtEveryCut) {
  vigil::testing::TempDir tmp;
  const std::string frames =
      Frames(tmp.path() + "/w", {"first", std::string(3000, 'x')});
  const size_t first_len = 9 + 5;
  const std::string path = tmp.path() + "/live";
  Append(path, frames.substr(0, first_len));
  auto r = SegmentReader::Open(path, 0);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)->Next(), Outcome::kRecord);
  EXPECT_EQ((*r)->Next(), Outcome::kEnd);
  size_t written = first_len;
  for (size_t cut : {first_len + 1, first_len + 8, first_len + 9,
                     first_len + 100, frames.size() - 1}) {
    Append(path, frames.substr(written, cut - written));
    written = cut;
    EXPECT_EQ((*r)->Next(), Outcome::kPartial) << "cut at " << cut;
    EXPECT_EQ((*r)->offset(), first_len);
  }
  Append(path, frames.substr(written));
  ASSERT_EQ((*r)->Next(), Outcome::kRecord);
  EXPECT_EQ((*r)->record(), std::string(3000, 'x'));
  EXPECT_EQ((*r)->Next(), Outcome::kEnd);
}

TEST(SegmentReaderTest, CorruptRecordIsReported) {
  vigil::testing::TempDir tmp;
  std::string frames = Frames(tmp.path() + "/w", {"abc", "def"});
  frames[frames.size() - 1] ^= 1;  // flip a payload bit of "def"
  const std::string path = tmp.path() + "/seg";
  Append(path, frames);
  auto r = SegmentReader::Open(path, 0);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)->Next(), Outcome::kRecord);
  EXPECT_EQ((*r)->Next(), Outcome::kCorrupt);
  EXPECT_NE((*r)->reason().find("checksum mismatch"), std::string::npos);
  EXPECT_EQ((*r)->offset(), 12u);

  const std::string zeros = tmp.path() + "/zeros";
  Append(zeros, std::string(20, '\0'));
  auto z = SegmentReader::Open(zeros, 0);
  ASSERT_TRUE(z.ok());
  EXPECT_EQ((*z)->Next(), Outcome::kCorrupt);
}

TEST(SegmentReaderTest, Fingerprint) {
  vigil::testing::TempDir tmp;
  Frames(tmp.path() + "/a", {"one"});
  Frames(tmp.path() + "/b", {"two"});
  Result<uint64_t> a = SegmentFingerprint(tmp.path() + "/a/00000000");
  Result<uint64_t> b = SegmentFingerprint(tmp.path() + "/b/00000000");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, 0u);
  EXPECT_NE(*a, *b);
  Append(tmp.path() + "/short", "\x01\x00");
  EXPECT_EQ(*SegmentFingerprint(tmp.path() + "/short"), 0u);
  EXPECT_EQ(SegmentFingerprint(tmp.path() + "/none").status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace vigil::remote
