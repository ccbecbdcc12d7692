#include "model/yaml_reader.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vigil::model {
namespace {

TEST(YamlReaderTest, SyntaxErrorsCarryPositions) {
  YamlReader r("c.yml");
  auto doc = r.Load("a: [1, 2\nb: 3\n");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(std::string(doc.status().message()).rfind("c.yml:", 0), 0u);
  EXPECT_NE(std::string(doc.status().message()).find(":2:"), std::string::npos)
      << doc.status().message();
}

TEST(YamlReaderTest, FieldsRefuseDuplicatesAndNonStringKeys) {
  YamlReader r("c.yml");
  auto doc = r.Load("a: 1\nb: 2\na: 3\n");
  ASSERT_TRUE(doc.ok());
  std::vector<std::string> seen;
  Status s = r.Fields(*doc, *doc, "top", [&](const std::string& n, const YAML::Node&,
                                             const YAML::Node&) {
    seen.push_back(n);
    return Status::OK();
  });
  EXPECT_EQ(s.message(), "c.yml:3:1: duplicate field \"a\" in top");
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));

  auto seq_key = r.Load("? [1]\n: 2\n");
  ASSERT_TRUE(seq_key.ok());
  Status k = r.Fields(*seq_key, *seq_key, "top",
                      [](const std::string&, const YAML::Node&, const YAML::Node&) {
                        return Status::OK();
                      });
  EXPECT_NE(k.message().find("keys must be strings, got a sequence"), std::string_view::npos);

  auto list = r.Load("- 1\n");
  Status m = r.Fields(*list, *list, "top",
                      [](const std::string&, const YAML::Node&, const YAML::Node&) {
                        return Status::OK();
                      });
  EXPECT_EQ(m.message(), "c.yml:1:1: top: expected a mapping, got a sequence");
}

TEST(YamlReaderTest, ScalarsAndTheirErrors) {
  YamlReader r("c.yml");
  auto doc = r.Load(
      "s: text\nb: yes\nu: 42\nf: -2.5e3\ninf: -.inf\nnan: NaN\nd: 1h30m\n"
      "bad_b: maybe\nbad_u: -1\nbad_f: 1.2.3\nbad_d: 5 minutes\nnull_d:\nl: [a, b]\n");
  ASSERT_TRUE(doc.ok());
  const YAML::Node& n = *doc;
  auto key = [&](const char* k) { return n[k]; };
  EXPECT_EQ(*r.String("s", key("s"), n["s"]), "text");
  EXPECT_TRUE(*r.Bool("b", key("b"), n["b"]));
  EXPECT_EQ(*r.Uint("u", key("u"), n["u"]), 42u);
  EXPECT_EQ(*r.Float("f", key("f"), n["f"]), -2500);
  EXPECT_EQ(*r.Float("inf", key("inf"), n["inf"]), -INFINITY);
  EXPECT_TRUE(std::isnan(*r.Float("nan", key("nan"), n["nan"])));
  EXPECT_EQ(*r.Duration("d", key("d"), n["d"]), std::chrono::minutes(90));
  EXPECT_EQ(r.Bool("bad_b", n["bad_b"], n["bad_b"]).status().message(),
            "c.yml:8:8: bad_b: expected a boolean (true or false), got \"maybe\"");
  EXPECT_EQ(r.Uint("bad_u", n["bad_u"], n["bad_u"]).status().message(),
            "c.yml:9:8: bad_u: expected a non-negative integer, got \"-1\"");
  EXPECT_EQ(r.Float("bad_f", n["bad_f"], n["bad_f"]).status().message(),
            "c.yml:10:8: bad_f: expected a number, got \"1.2.3\"");
  EXPECT_FALSE(r.Duration("bad_d", n["bad_d"], n["bad_d"]).ok());
  EXPECT_FALSE(r.Duration("null_d", n["null_d"], n["null_d"]).ok());
  EXPECT_EQ(*r.StringList("l", n["l"], n["l"]), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.StringList("s", n["s"], n["s"]).status().message(),
            "c.yml:1:4: s: expected a list, got a scalar");
}

TEST(YamlReaderTest, LabelMaps) {
  YamlReader r("c.yml");
  auto doc = r.Load("ok: {b: \"2\", a: x}\nbad: {\"0x\": y}\nname: {__name__: up}\n");
  ASSERT_TRUE(doc.ok());
  const YAML::Node& n = *doc;
  auto ok = r.LabelMap("ok", n["ok"], n["ok"]);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->ToString(), "{a=\"x\", b=\"2\"}");
  EXPECT_EQ(r.LabelMap("bad", n["bad"], n["bad"]).status().message(),
            "c.yml:2:7: \"0x\" is not a valid label name");
  EXPECT_FALSE(r.LabelMap("name", n["name"], n["name"]).ok());
  EXPECT_TRUE(r.LabelMap("name", n["name"], n["name"], /*allow_metric_name=*/true).ok());
}

}  // namespace
}  // namespace vigil::model
