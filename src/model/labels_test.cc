#include "model/labels.h"

#include <gtest/gtest.h>

namespace vigil::model {
namespace {

TEST(LabelsTest, SortsDedupsAndDropsEmpty) {
  Labels l = Labels::FromPairs(
      {{"job", "a"}, {"__name__", "up"}, {"empty", ""}, {"job", "b"}});
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l.begin()->name, "__name__");
  EXPECT_EQ(l.Get("job"), "b");
  EXPECT_EQ(l.Get("empty"), "");
  EXPECT_FALSE(l.Has("missing"));
}

TEST(LabelsTest, WithDefaultsAddsOnlyMissingNames) {
  const Labels a = Labels::FromPairs({{"alertname", "X"}, {"cluster", "mine"}});
  const Labels ext = Labels::FromPairs({{"cluster", "eu"}, {"region", "west"}});
  EXPECT_EQ(WithDefaults(a, ext),
            Labels::FromPairs({{"alertname", "X"}, {"cluster", "mine"}, {"region", "west"}}));
  EXPECT_EQ(WithDefaults(a, Labels()), a);
}

TEST(LabelsTest, ToStringEscapes) {
  Labels l = Labels::FromPairs({{"__name__", "m"}, {"a", "x\"y\\z\n"}});
  EXPECT_EQ(l.ToString(), "m{a=\"x\\\"y\\\\z\\n\"}");
  EXPECT_EQ(Labels::FromPairs({{"__name__", "m"}}).ToString(), "m");
  EXPECT_EQ(Labels().ToString(), "{}");
  EXPECT_EQ(Labels::FromPairs({{"a", "1"}, {"b", "2"}}).ToString(),
            "{a=\"1\", b=\"2\"}");
}

TEST(LabelsTest, HashSeparatesNameValueBoundaries) {
  // "ab"="c" and "a"="bc" must not collide by construction.
  Labels x = Labels::FromPairs({{"ab", "c"}});
  Labels y = Labels::FromPairs({{"a", "bc"}});
  EXPECT_NE(x.Hash(), y.Hash());
  EXPECT_EQ(x.Hash(), Labels::FromPairs({{"ab", "c"}}).Hash());
}

TEST(LabelsTest, CompareIsLexicographicByPairs) {
  Labels a = Labels::FromPairs({{"a", "1"}});
  Labels b = Labels::FromPairs({{"a", "2"}});
  Labels c = Labels::FromPairs({{"a", "1"}, {"b", "1"}});
  EXPECT_LT(Compare(a, b), 0);
  EXPECT_LT(Compare(a, c), 0);
  EXPECT_GT(Compare(b, c), 0);
  EXPECT_EQ(Compare(a, Labels::FromPairs({{"a", "1"}})), 0);
}

TEST(LabelsTest, PackedRoundTripWithLongAndOddValues) {
  // Values past 127 and 16383 bytes take multi-byte lengths; bytes that
  // look like length prefixes must not confuse the walk.
  std::string long_value(200, 'v');
  std::string huge_value(20000, '\x80');
  Labels l = Labels::FromPairs({{"b", long_value},
                                {"a", std::string("\x01\x02\xff", 3)},
                                {"c", huge_value},
                                {std::string(130, 'n'), "x"}});
  std::vector<LabelRef> got(l.begin(), l.end());
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(l.size(), 4u);
  EXPECT_EQ(got[0].name, "a");
  EXPECT_EQ(got[0].value, std::string_view("\x01\x02\xff", 3));
  EXPECT_EQ(got[1].value, long_value);
  EXPECT_EQ(got[2].value, huge_value);
  EXPECT_EQ(got[3].name, std::string(130, 'n'));
  EXPECT_EQ(l.Get("c"), huge_value);
  // Rebuilt from views: the same bytes, hash and order.
  Labels again = Labels::FromSorted(std::span<const LabelRef>(got));
  EXPECT_EQ(again, l);
  EXPECT_EQ(again.Hash(), l.Hash());
  EXPECT_EQ(Compare(again, l), 0);
  const Labels none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.size(), 0u);
  EXPECT_TRUE(none.begin() == none.end());
}

TEST(LabelsTest, CompareMatchesPairOrderNotByteOrder) {
  // Packed bytes start with a length, so a byte compare would put "b"
  // before "aa"; Compare must still order by names, then values.
  Labels aa = Labels::FromPairs({{"aa", "1"}});
  Labels b = Labels::FromPairs({{"b", "1"}});
  EXPECT_LT(Compare(aa, b), 0);
  EXPECT_LT(aa, b);
  Labels v1 = Labels::FromPairs({{"a", "zz"}});
  Labels v2 = Labels::FromPairs({{"a", "zzz"}});
  EXPECT_LT(Compare(v1, v2), 0);
}

TEST(LabelsTest, WithoutDropsOneLabelWherever) {
  const std::string long_value(300, 'v');  // a two-byte length prefix
  Labels l = Labels::FromPairs({{"A", "1"}, {"__name__", "up"}, {"job", long_value}, {"z", "9"}});
  for (std::string_view name : {"A", "__name__", "job", "z"}) {
    LabelsBuilder b(l);
    b.Del(name);
    EXPECT_EQ(l.Without(name), b.Build()) << name;
  }
  EXPECT_EQ(l.Without("missing"), l);
  EXPECT_EQ(Labels().Without("a"), Labels());
  EXPECT_EQ(Labels::FromPairs({{"a", "1"}}).Without("a"), Labels());
}

TEST(LabelsBuilderTest, SetAndDelete) {
  LabelsBuilder b(Labels::FromPairs({{"a", "1"}, {"c", "3"}}));
  b.Set("b", "2").Set("a", "").Set("c", "4");
  Labels l = b.Build();
  EXPECT_EQ(l, Labels::FromPairs({{"b", "2"}, {"c", "4"}}));
}

TEST(LabelsTest, Validation) {
  EXPECT_TRUE(IsValidMetricName("a:b_c1"));
  EXPECT_FALSE(IsValidMetricName("1a"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_TRUE(IsValidLabelName("__meta"));
  EXPECT_TRUE(ValidateLabels(Labels::FromPairs({{"__name__", "x"}})).ok());
  Status s = ValidateLabels(Labels::FromPairs({{"__name__", "x"}, {"b-c", "1"}}));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("b-c"), std::string::npos);
  EXPECT_FALSE(ValidateLabels(Labels()).ok());
}

}  // namespace
}  // namespace vigil::model
