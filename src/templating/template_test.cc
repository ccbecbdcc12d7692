#include "templating/template.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "model/labels.h"

namespace vigil::templating {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Parses `text` as template "t" and runs it.
Result<std::string> RunText(std::string_view text, const Value& dot = Value(),
                            const ExecOptions& opts = {}) {
  Result<Template> t = Template::Parse("t", text);
  if (!t.ok()) return t.status();
  return t->Execute(dot, opts);
}

std::string Out(std::string_view text, const Value& dot = Value(),
                const ExecOptions& opts = {}) {
  Result<std::string> r = RunText(text, dot, opts);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : "<error>";
}

std::string Err(std::string_view text, const Value& dot = Value(),
                const ExecOptions& opts = {}) {
  Result<std::string> r = RunText(text, dot, opts);
  EXPECT_FALSE(r.ok()) << text << " gave " << (r.ok() ? *r : "");
  return r.ok() ? "<ok>" : std::string(r.status().message());
}

Value Floats(std::vector<double> v) {
  std::vector<Value> items;
  for (double d : v) items.push_back(Value::Float(d));
  return Value::List(std::move(items));
}
Value Ints(std::vector<int64_t> v) {
  std::vector<Value> items;
  for (int64_t i : v) items.push_back(Value::Int(i));
  return Value::List(std::move(items));
}
Value Strings(std::vector<std::string> v) {
  std::vector<Value> items;
  for (auto& s : v) items.push_back(Value::String(s));
  return Value::List(std::move(items));
}

Value AlertData(double value = 0.5) {
  return AlertTemplateData(
      model::Labels::FromPairs({{"instance", "host:9100"}, {"job", "node"}}),
      model::Labels::FromPairs({{"cluster", "eu1"}}), "http://prom:9090",
      value);
}

QueryFn FixedQuery(std::vector<QuerySample> samples) {
  return [samples](std::string_view) -> Result<std::vector<QuerySample>> {
    return samples;
  };
}

// ---------------------------------------------------------------- text

TEST(TemplateTest, TextCommentsAndTrimMarkers) {
  EXPECT_EQ(Out("plain text"), "plain text");
  EXPECT_EQ(Out(""), "");
  EXPECT_EQ(Out("{{ 1 }}"), "1");
  EXPECT_EQ(Out("a{{/* a comment */}}b"), "ab");
  EXPECT_EQ(Out("a {{- /* c */ -}} b"), "ab");
  EXPECT_EQ(Out("a  \n {{- 1 -}} \n\t b"), "a1b");
  EXPECT_EQ(Out("a {{- 1 }} b"), "a1 b");
  EXPECT_EQ(Out("a {{ 1 -}} b"), "a 1b");
  EXPECT_EQ(Out("x {{-3}}"), "x -3");  // no space: a negative number
  EXPECT_EQ(Out("{{-\n1\n-}}"), "1");  // any space after the marker
  EXPECT_EQ(Out("{{ \"a\" }}\n{{ `b\\n` }}"), "a\nb\\n");
  EXPECT_EQ(Out("{{\n  1\n}}"), "1");  // newlines inside actions
}

TEST(TemplateTest, Literals) {
  EXPECT_EQ(Out("{{ \"a\\tb\\u00e9\" }}"), "a\tb\xC3\xA9");
  EXPECT_EQ(Out("{{ 42 }} {{ -7 }} {{ 0x1F }} {{ 0o17 }} {{ 1_000 }}"),
            "42 -7 31 15 1000");
  EXPECT_EQ(Out("{{ 1.5 }} {{ 1e6 }} {{ 3.0 }} {{ .5 }} {{ 1e-7 }}"),
            "1.5 1e+06 3 0.5 1e-07");
  EXPECT_EQ(Out("{{ 'a' }} {{ '\\n' }}"), "97 10");
  EXPECT_EQ(Out("{{ true }} {{ false }}"), "true false");
  EXPECT_EQ(Out("{{ printf \"%T %T %T\" 1 1.0 'x' }}"), "int float64 int");
}

// ---------------------------------------------------------------- data

TEST(TemplateTest, DotFieldsAndMaps) {
  const Value data = AlertData();
  EXPECT_EQ(Out("{{ .Labels.instance }}", data), "host:9100");
  EXPECT_EQ(Out("{{ .Labels.nope }}|", data), "|");  // map[string]string
  EXPECT_EQ(Out("{{ .ExternalLabels.cluster }}", data), "eu1");
  EXPECT_EQ(Out("{{ .Value }}", data), "0.5");
  EXPECT_EQ(Out("{{ . }}", data),
            "{map[instance:host:9100 job:node] map[cluster:eu1] "
            "http://prom:9090 0.5}");
  EXPECT_EQ(Out("{{ printf \"%+v\" .Labels }}", data),
            "map[instance:host:9100 job:node]");
  // Nil data: fields of nothing are nothing.
  EXPECT_EQ(Out("{{ .Foo }}"), "<no value>");
  EXPECT_EQ(Out("{{ .Foo.Bar }}"), "<no value>");
  // A missing key of a map[string]interface {} reads as nil.
  const Value m = Value::Map({{"a", Value::Int(1)}});
  EXPECT_EQ(Out("{{ .a }} {{ .b }}", m), "1 <no value>");
  EXPECT_EQ(Out("{{ print .b }}", m), "<nil>");
}

TEST(TemplateTest, FieldErrors) {
  EXPECT_EQ(Err("{{ .Foo }}", AlertData()),
            "template: t:1:3: executing \"t\" at <.Foo>: can't evaluate "
            "field Foo in type struct { Labels map[string]string; "
            "ExternalLabels map[string]string; ExternalURL string; Value "
            "float64 }");
  EXPECT_EQ(Err("{{ $x := 1 }}{{ $x.foo }}"),
            "template: t:1:18: executing \"t\" at <$x.foo>: can't evaluate "
            "field foo in type int");
  EXPECT_EQ(Err("{{ .Labels.job.x }}", AlertData()),
            "template: t:1:10: executing \"t\" at <.Labels.job.x>: can't "
            "evaluate field x in type string");
  EXPECT_EQ(Err("{{ .a.b }}", Value::Map({})),
            "template: t:1:5: executing \"t\" at <.a.b>: nil pointer "
            "evaluating interface {}.b");
  EXPECT_EQ(Err("{{ .Labels.job 1 }}", AlertData()),
            "template: t:1:10: executing \"t\" at <.Labels.job>: job is not "
            "a method but has arguments");
  EXPECT_EQ(Err("{{ .Value 1 }}", AlertData()),
            "template: t:1:3: executing \"t\" at <.Value>: Value has "
            "arguments but cannot be invoked as function");
}

TEST(TemplateTest, ListsWithNamedFields) {
  const Value alerts = Value::List(
      {Value::String("a1"), Value::String("a2"), Value::String("a3")},
      {{"Firing", Value::List({Value::String("a1"), Value::String("a3")})},
       {"Resolved", Value::List({Value::String("a2")})}});
  const Value data = Value::Map({{"Alerts", alerts}});
  EXPECT_EQ(Out("{{ len .Alerts }} {{ len .Alerts.Firing }} "
                "{{ range .Alerts.Resolved }}{{ . }}{{ end }}",
                data),
            "3 2 a2");
  EXPECT_EQ(Out("{{ range .Alerts }}{{ . }},{{ end }}", data), "a1,a2,a3,");
  EXPECT_EQ(Err("{{ .Alerts.Pending }}", data),
            "template: t:1:10: executing \"t\" at <.Alerts.Pending>: can't "
            "evaluate field Pending in type []interface {}");
}

TEST(TemplateTest, MethodsAndStringers) {
  static const TypeInfo* const kType = [] {
    auto* t = new TypeInfo{"main.Person", {}};
    t->methods["Greet"] = Method{
        {"string"},
        false,
        [](const Value& self, std::span<const Value> args) -> Result<Value> {
          return Value::String("hi " + args[0].string_value() + ", I am " +
                               self.Find("Name")->string_value());
        }};
    t->methods["String"] = Method{
        {},
        false,
        [](const Value& self, std::span<const Value>) -> Result<Value> {
          return Value::String("<" + self.Find("Name")->string_value() + ">");
        }};
    return t;
  }();
  const Value p = Value::Struct(kType, {{"Name", Value::String("ann")}});
  EXPECT_EQ(Out("{{ .Greet \"bob\" }}", p), "hi bob, I am ann");
  EXPECT_EQ(Out("{{ \"bob\" | .Greet }}", p), "hi bob, I am ann");
  EXPECT_EQ(Out("{{ . }} {{ printf \"%s|%v|%d\" . . . }}", p),
            "<ann> <ann>|<ann>|{%!d(string=ann)}");
  EXPECT_EQ(Out("{{ .Name }}", p), "ann");
  EXPECT_EQ(Err("{{ .Greet }}", p),
            "template: t:1:3: executing \"t\" at <.Greet>: wrong number of "
            "args for Greet: want 1 got 0");
}

// ---------------------------------------------------------------- control

TEST(TemplateTest, VariablesAndScopes) {
  EXPECT_EQ(Out("{{ $x := 1 }}{{ $x }}"), "1");
  EXPECT_EQ(Out("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}"),
            "2");
  EXPECT_EQ(Out("{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}"
                "{{ $x }}"),
            "21");
  EXPECT_EQ(Out("{{ with $x := 5 }}{{ $x }}{{ . }}{{ end }}"), "55");
  EXPECT_EQ(Out("{{ $ }}", Value::Int(7)), "7");
  EXPECT_EQ(Out("{{ with 3 }}{{ $ }}{{ . }}{{ end }}", Value::Int(7)), "73");
  EXPECT_EQ(Out("{{ $.Value }}", AlertData()), "0.5");
  EXPECT_EQ(Out("{{ $v := .Labels }}{{ $v.job }}", AlertData()), "node");
  // Templates see only $, their own dot.
  EXPECT_EQ(Out("{{ define \"a\" }}{{ $ }}{{ end }}{{ $x := 1 }}"
                "{{ template \"a\" 5 }}"),
            "5");
  EXPECT_EQ(Err("{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}"),
            "template: t:1: undefined variable \"$y\"");
  EXPECT_EQ(Err("{{ $x = 1 }}"),
            "template: t:1:8: executing \"t\" at <1>: undefined variable: "
            "$x");
}

TEST(TemplateTest, IfElseWith) {
  EXPECT_EQ(Out("{{ if 1 }}a{{ end }}"), "a");
  EXPECT_EQ(Out("{{ if 0 }}a{{ else }}b{{ end }}"), "b");
  EXPECT_EQ(Out("{{ if 0 }}a{{ else if \"\" }}b{{ else if 1 }}c{{ else }}d"
                "{{ end }}"),
            "c");
  EXPECT_EQ(Out("{{ with .Labels.job }}{{ . }}{{ end }}", AlertData()), "node");
  EXPECT_EQ(Out("{{ with .Labels.nope }}x{{ else }}y{{ end }}", AlertData()),
            "y");
  EXPECT_EQ(Out("{{ with \"\" }}x{{ else with 5 }}{{ . }}{{ end }}"), "5");
  // Go's truth: zero values and empty collections are false.
  const Value data = Value::Map({{"f", Value::Bool(false)},
                                 {"i", Value::Int(0)},
                                 {"d", Value::Float(0)},
                                 {"s", Value::String("")},
                                 {"l", Value::List({})},
                                 {"m", Value::Map({})},
                                 {"n", Value()},
                                 {"t", Value::Float(0.1)},
                                 {"ll", Value::List({Value()})}});
  EXPECT_EQ(Out("{{ range $k, $v := . }}{{ $k }}={{ if $v }}T{{ else }}F"
                "{{ end }} {{ end }}",
                data),
            "d=F f=F i=F l=F ll=T m=F n=F s=F t=T ");
}

TEST(TemplateTest, Range) {
  EXPECT_EQ(Out("{{ range . }}[{{ . }}]{{ end }}", Strings({"a", "b"})),
            "[a][b]");
  EXPECT_EQ(Out("{{ range $i, $e := . }}{{ $i }}={{ $e }};{{ end }}",
                Strings({"a", "b"})),
            "0=a;1=b;");
  EXPECT_EQ(Out("{{ range $e := . }}{{ $e }}{{ end }}", Strings({"a", "b"})),
            "ab");
  // Maps range in key order.
  const Value m =
      Value::StringMap({{"zeta", "1"}, {"alpha", "2"}, {"mid", "3"}});
  EXPECT_EQ(Out("{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}", m),
            "alpha=2;mid=3;zeta=1;");
  EXPECT_EQ(Out("{{ range . }}x{{ else }}empty{{ end }}", Strings({})),
            "empty");
  EXPECT_EQ(Out("{{ range .Nope }}x{{ else }}nil{{ end }}"), "nil");
  // Assigning to outer variables.
  EXPECT_EQ(Out("{{ $k := \"\" }}{{ $v := \"\" }}{{ range $k, $v = . }}"
                "{{ end }}{{ $k }}{{ $v }}",
                Strings({"a", "b"})),
            "1b");
  EXPECT_EQ(Out("{{ $n := 0 }}{{ range . }}{{ $n = . }}{{ end }}{{ $n }}",
                Ints({3, 4})),
            "4");
  EXPECT_EQ(Err("{{ range 5 }}{{ end }}"),
            "template: t:1:9: executing \"t\" at <5>: range can't iterate "
            "over 5");
  EXPECT_EQ(Err("{{ range . }}{{ end }}", AlertData(0.5)),
            "template: t:1:9: executing \"t\" at <.>: range can't iterate "
            "over {map[instance:host:9100 job:node] map[cluster:eu1] "
            "http://prom:9090 0.5}");
}

TEST(TemplateTest, BreakAndContinue) {
  EXPECT_EQ(Out("{{ range . }}{{ if eq . 3 }}{{ continue }}{{ end }}"
                "{{ if eq . 5 }}{{ break }}{{ end }}{{ . }}{{ end }}",
                Ints({1, 2, 3, 4, 5, 6})),
            "124");
  EXPECT_EQ(Out("{{ range $i, $x := . }}{{ range . }}{{ break }}{{ end }}"
                "{{ $i }}{{ end }}",
                Value::List({Ints({1, 2}), Ints({3})})),
            "01");
  EXPECT_EQ(
      Out("{{ range . }}{{ break }}{{ else }}never{{ end }}done", Ints({1})),
      "done");
  EXPECT_EQ(Err("{{ break }}"), "template: t:1: {{break}} outside {{range}}");
  EXPECT_EQ(Err("{{ range . }}{{ end }}{{ continue }}"),
            "template: t:1: {{continue}} outside {{range}}");
  EXPECT_EQ(Err("{{ range . }}{{ break 1 }}{{ end }}"),
            "template: t:1: unexpected \"1\" in {{break}}");
}

TEST(TemplateTest, DefineTemplateBlock) {
  EXPECT_EQ(Out("{{ define \"x\" }}{{ .arg0 }} {{ .arg1 }}{{ end }}"
                "{{ template \"x\" (args 1 \"2\") }}"),
            "1 2");
  EXPECT_EQ(Out("{{ define \"x\" }}[{{ . }}]{{ end }}{{ template \"x\" }}"
                "{{ template \"x\" 3 }}"),
            "[<no value>][3]");
  EXPECT_EQ(Out("{{ block \"b\" . }}default {{ . }}{{ end }}!", Value::Int(1)),
            "default 1!");
  EXPECT_EQ(Err("{{ template \"x\" }}"),
            "template: t:1:12: executing \"t\" at <{{template \"x\"}}>: "
            "template \"x\" not defined");
  EXPECT_EQ(Err("{{ define \"a\" }}x{{ end }}{{ define \"a\" }}y{{ end }}"),
            "template: t:1: template: multiple definition of template "
            "\"a\"");
  // Errors inside a called template name it and point into its text.
  EXPECT_EQ(Err("{{ define \"a\" }}\n{{ .x.y }}{{ end }}{{ template \"a\" "
                "1 }}"),
            "template: t:2:5: executing \"a\" at <.x.y>: can't evaluate "
            "field x in type int");
}

TEST(TemplateTest, AddDefinitionsAndExecuteTemplate) {
  Result<Template> t = Template::Parse(
      "main", "{{ template \"a\" . }}|{{ block \"b\" . }}B{{ end }}");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_FALSE(t->Execute(Value()).ok());  // "a" is not defined yet
  ASSERT_TRUE(
      t->AddDefinitions("defaults", "{{ define \"a\" }}A{{ end }}").ok());
  EXPECT_EQ(*t->Execute(Value()), "A|B");
  ASSERT_TRUE(t->AddDefinitions("user",
                                "{{ define \"a\" }}A2{{ end }}"
                                "{{ define \"b\" }}B2 {{ . }}{{ end }}")
                  .ok());
  EXPECT_EQ(*t->Execute(Value::Int(1)), "A2|B2 1");
  // An empty definition does not replace a real one.
  ASSERT_TRUE(t->AddDefinitions("empty", "{{ define \"a\" }} {{ end }}").ok());
  EXPECT_EQ(*t->Execute(Value::Int(1)), "A2|B2 1");
  // A failed parse changes nothing.
  Status bad = t->AddDefinitions("bad", "{{ define \"a\" }}{{ end");
  EXPECT_EQ(bad.message(), "template: bad:1: unclosed action");
  EXPECT_EQ(*t->Execute(Value::Int(1)), "A2|B2 1");
  EXPECT_TRUE(t->HasTemplate("b"));
  EXPECT_EQ(*t->ExecuteTemplate("b", Value::Int(2)), "B2 2");
  EXPECT_EQ(t->ExecuteTemplate("zzz", Value()).status().message(),
            "template: no template \"zzz\" associated with template "
            "\"main\"");
  // A body becomes the template named by the call.
  ASSERT_TRUE(t->AddDefinitions("file.tmpl", "body {{ . }}").ok());
  EXPECT_EQ(*t->ExecuteTemplate("file.tmpl", Value::Int(3)), "body 3");
}

// ---------------------------------------------------------------- builtins

TEST(TemplateTest, AndOrNot) {
  EXPECT_EQ(Out("{{ and 1 0 2 }} {{ and 1 2 }} {{ or 0 \"\" \"x\" }} "
                "{{ or 0 \"\" }}| {{ not 0 }} {{ not 1 }} {{ not .X }}"),
            "0 2 x | true false true");
  // Short circuit: the failing argument is never evaluated.
  EXPECT_EQ(Out("{{ or 1 (index nil 1) }} {{ and 0 (index nil 1) }}"), "1 0");
  EXPECT_EQ(Out("{{ 0 | or 5 }} {{ 1 | and 5 }}"), "5 1");
  EXPECT_EQ(Err("{{ and }}"),
            "template: t:1:3: executing \"t\" at <and>: wrong number of args "
            "for and: want at least 1 got 0");
}

TEST(TemplateTest, LenIndexSlice) {
  const Value data = Value::Map({{"l", Strings({"a", "b", "c"})},
                                 {"m", Value::StringMap({{"k", "v"}})},
                                 {"n", Value::List({Strings({"x", "y"})})}});
  EXPECT_EQ(Out("{{ len .l }} {{ len .m }} {{ len \"héllo\" }}", data),
            "3 1 6");
  EXPECT_EQ(Out("{{ index .l 1 }} {{ index .m \"k\" }}|{{ index .m \"no\" }}|"
                "{{ index .n 0 1 }} {{ index \"abc\" 1 }}",
                data),
            "b v||y 98");
  EXPECT_EQ(Out("{{ slice \"abcdef\" 1 3 }} {{ slice .l 1 }} {{ slice .l }} "
                "{{ slice .l 0 1 2 }}",
                data),
            "bc [b c] [a b c] [a]");
  EXPECT_EQ(Err("{{ len 3 }}"),
            "template: t:1:3: executing \"t\" at <len 3>: error calling len: "
            "len of type int");
  EXPECT_EQ(Err("{{ index .l 5 }}", data),
            "template: t:1:3: executing \"t\" at <index .l 5>: error calling "
            "index: index out of range: 5");
  EXPECT_EQ(Err("{{ index .l 3 }}", data),
            "template: t:1:3: executing \"t\" at <index .l 3>: error calling "
            "index: reflect: slice index out of range");
  EXPECT_EQ(Err("{{ index .l \"x\" }}", data),
            "template: t:1:3: executing \"t\" at <index .l \"x\">: error "
            "calling index: cannot index slice/array with type string");
  EXPECT_EQ(Err("{{ index .m 1 }}", data),
            "template: t:1:3: executing \"t\" at <index .m 1>: error calling "
            "index: value has type int; should be string");
  EXPECT_EQ(Err("{{ index nil 1 }}"),
            "template: t:1:3: executing \"t\" at <index nil 1>: error calling "
            "index: index of untyped nil");
  EXPECT_EQ(Err("{{ slice .l 2 1 }}", data),
            "template: t:1:3: executing \"t\" at <slice .l 2 1>: error "
            "calling slice: invalid slice index: 2 > 1");
  EXPECT_EQ(Err("{{ slice \"abc\" 0 1 2 }}"),
            "template: t:1:3: executing \"t\" at <slice \"abc\" 0 1 2>: error "
            "calling slice: cannot 3-index slice a string");
}

TEST(TemplateTest, PrintFunctions) {
  EXPECT_EQ(Out("{{ print 1 2 \"a\" \"b\" 3 }}"), "1 2ab3");
  EXPECT_EQ(Out("{{ println 1 \"a\" }}"), "1 a\n");
  EXPECT_EQ(Out("{{ printf \"%s=%d\" \"x\" 5 }}"), "x=5");
  EXPECT_EQ(Out("{{ printf \"%.2f\" 3.14159 }}|{{ printf \"%5.1f\" 2.25 }}|"
                "{{ printf \"%-10s|\" \"abc\" }}{{ printf \"%03d\" 7 }}"),
            "3.14|  2.2|abc       |007");
  EXPECT_EQ(Out("{{ printf \"%e %g %v %x %X %q %t %%\" 1234.5678 0.000012 1e6 "
                "255 \"hi\" \"q\" true }}"),
            "1.234568e+03 1.2e-05 1e+06 ff 6869 \"q\" true %");
  EXPECT_EQ(Out("{{ printf \"%d\" \"x\" }} {{ printf \"%s\" 5 }} "
                "{{ printf \"%d\" }} {{ printf \"%d\" 1 2 }}"),
            "%!d(string=x) %!s(int=5) %!d(MISSING) 1%!(EXTRA int=2)");
  EXPECT_EQ(Out("{{ printf \"%v %s\" nil .X }}"), "<nil> %!s(<nil>)");
  EXPECT_EQ(Out("{{ .Value | printf \"%.1f%%\" }}", AlertData(12.34)), "12.3%");
  EXPECT_EQ(Out("{{ printf \"%v\" . }}", Floats({0.5, 1e21, -0.0})),
            "[0.5 1e+21 -0]");
}

TEST(TemplateTest, Escapers) {
  EXPECT_EQ(Out("{{ html \"<a href='x'>&\\\"</a>\" }}"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;");
  EXPECT_EQ(Out("{{ js \"a'b\\\"c<>=\\\\\" }}"),
            "a\\'b\\\"c\\u003C\\u003E\\u003D\\\\");
  EXPECT_EQ(Out("{{ urlquery \"a b&c=d/\xC3\xA9\" }}"), "a+b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(Out("{{ html .Missing }} {{ urlquery 1 2 }}"),
            "&lt;no value&gt; 1+2");
  EXPECT_EQ(Out("{{ \"<b>\" | html }}"), "&lt;b&gt;");
}

TEST(TemplateTest, Comparisons) {
  EXPECT_EQ(
      Out("{{ eq 1 1 }} {{ eq 1 2 }} {{ eq 1 2 3 1 }} {{ eq \"a\" \"a\" }}"
          " {{ eq 1.5 1.5 }} {{ eq true false }}"),
      "true false true true true false");
  EXPECT_EQ(
      Out("{{ ne 1 2 }} {{ lt 1 2 }} {{ lt 2 1 }} {{ le 2 2 }} "
          "{{ gt 3 2 }} {{ ge 2 3 }} {{ lt \"a\" \"b\" }} {{ lt 1.5 2.5 }}"),
      "true true false true true false true true");
  EXPECT_EQ(Out("{{ eq .Missing \"x\" }} {{ eq .Missing nil }}"), "false true");
  EXPECT_EQ(Out("{{ if eq $.Labels.job \"node\" }}yes{{ end }}", AlertData()),
            "yes");
  EXPECT_EQ(Out("{{ if gt .Value 0.4 }}high{{ end }}", AlertData()), "high");
  EXPECT_EQ(Err("{{ eq 1 1.0 }}"),
            "template: t:1:3: executing \"t\" at <eq 1 1.0>: error calling "
            "eq: incompatible types for comparison: int and float64");
  EXPECT_EQ(Err("{{ gt .Value 1 }}", AlertData()),
            "template: t:1:3: executing \"t\" at <gt .Value 1>: error calling "
            "gt: incompatible types for comparison: float64 and int");
  EXPECT_EQ(Err("{{ lt true false }}"),
            "template: t:1:3: executing \"t\" at <lt true false>: error "
            "calling lt: invalid type for comparison");
  EXPECT_EQ(Err("{{ eq 1 }}"),
            "template: t:1:3: executing \"t\" at <eq 1>: error calling eq: "
            "missing argument for comparison");
  EXPECT_EQ(Err("{{ eq .Labels .Labels }}", AlertData()),
            "template: t:1:3: executing \"t\" at <eq .Labels .Labels>: error "
            "calling eq: non-comparable type map[instance:host:9100 "
            "job:node]: map[string]string");
}

TEST(TemplateTest, CallErrors) {
  EXPECT_EQ(Err("{{ humanize }}"),
            "template: t:1:3: executing \"t\" at <humanize>: wrong number of "
            "args for humanize: want 1 got 0");
  EXPECT_EQ(Err("{{ humanize 1 2 }}"),
            "template: t:1:3: executing \"t\" at <humanize>: wrong number of "
            "args for humanize: want 1 got 2");
  EXPECT_EQ(Err("{{ toUpper 1 }}"),
            "template: t:1:11: executing \"t\" at <1>: expected string; "
            "found 1");
  EXPECT_EQ(Err("{{ .Value | toUpper }}", AlertData()),
            "template: t:1:12: executing \"t\" at <toUpper>: wrong type for "
            "value; expected string; got float64");
  EXPECT_EQ(Err("{{ toUpper .Nope }}"),
            "template: t:1:11: executing \"t\" at <.Nope>: invalid value; "
            "expected string");
  EXPECT_EQ(Err("{{ toUpper nil }}"),
            "template: t:1:11: executing \"t\" at <nil>: cannot assign nil to "
            "string");
  EXPECT_EQ(Err("{{ humanize true }}"),
            "template: t:1:3: executing \"t\" at <humanize true>: error "
            "calling humanize: can't convert bool to float");
  EXPECT_EQ(Err("{{ label \"x\" 1 }}"),
            "template: t:1:13: executing \"t\" at <1>: can't handle 1 for arg "
            "of type *template.sample");
  EXPECT_EQ(Err("{{ nil }}"),
            "template: t:1:3: executing \"t\" at <nil>: nil is not a command");
  EXPECT_EQ(Err("{{ 1 2 }}"),
            "template: t:1:3: executing \"t\" at <1>: can't give argument to "
            "non-function 1");
  EXPECT_EQ(Err("{{ $x := 1 }}{{ $x 2 }}"),
            "template: t:1:16: executing \"t\" at <$x>: can't give argument "
            "to non-function $x");
  EXPECT_EQ(Err("{{ 99999999999999999999 }}"),
            "template: t:1: integer overflow: \"99999999999999999999\"");
  EXPECT_EQ(Err("{{ 18446744073709551615 }}"),
            "template: t:1:3: executing \"t\" at <18446744073709551615>: "
            "18446744073709551615 overflows int");
  EXPECT_EQ(Err("{{ \"x\" | safeHtml | toUpper }}"),
            "template: t:1:20: executing \"t\" at <toUpper>: wrong type for "
            "value; expected string; got template.HTML");
}

// ---------------------------------------------------------------- parse

TEST(TemplateTest, ParseErrors) {
  const struct {
    std::string text;
    std::string want;
  } cases[] = {
      {"{{", "template: t:1: unclosed action"},
      {"{{ \xC2\xA0}}",
       "template: t:1: unrecognized character in action: "
       "U+00A0"},
      {"{{ .A }x}}", "template: t:1: unexpected \"}\" in operand"},
      {"{{.Foo}", "template: t:1: bad character U+007D '}'"},
      {"{{ end }}", "template: t:1: unexpected {{end}}"},
      {"{{ else }}", "template: t:1: unexpected {{else}}"},
      {"{{ if true }}", "template: t:1: unexpected EOF"},
      {"{{ range . }}{{ else }}{{ else }}{{ end }}",
       "template: t:1: expected end; found {{else}}"},
      {"{{ $x }}", "template: t:1: undefined variable \"$x\""},
      {"{{ nofunc }}", "template: t:1: function \"nofunc\" not defined"},
      {"{{ call 1 }}", "template: t:1: function \"call\" not defined"},
      {"{{ 1 | 2 }}",
       "template: t:1: non executable command in pipeline "
       "stage 2"},
      {"{{ }}", "template: t:1: missing value for command"},
      {"{{ if }}{{ end }}", "template: t:1: missing value for if"},
      {"{{ (1 }}", "template: t:1: unclosed left paren"},
      {"{{ 1) }}", "template: t:1: unexpected right paren"},
      {"{{ \"abc }}", "template: t:1: unterminated quoted string"},
      {"{{ `abc }}", "template: t:1: unterminated raw quoted string"},
      {"{{ 'ab' }}", "template: t:1: malformed character constant: 'ab'"},
      {"{{ 0x }}", "template: t:1: illegal number syntax: \"0x\""},
      {"{{ 3k }}", "template: t:1: bad number syntax: \"3k\""},
      {"{{ 1i }}", "template: t:1: complex number \"1i\" is not supported"},
      {"{{/* unclosed", "template: t:1: unclosed comment"},
      {"{{/* c */ }}",
       "template: t:1: comment ends before closing "
       "delimiter"},
      {"a\nb\n{{ if\n\n", "template: t:5: unclosed action started at t:3"},
      {"{{ $x := 1 := 2 }}", "template: t:1: unexpected \":=\" in operand"},
      {"{{ $a, $b := 1 }}",
       "template: t:1: too many declarations in "
       "command"},
      {"{{ range $a, 1 }}{{ end }}",
       "template: t:1: range can only "
       "initialize variables"},
      {"{{ \"x\".y }}", "template: t:1: unexpected . after term \"\\\"x\\\"\""},
      {"{{ define 1 }}{{ end }}",
       "template: t:1: unexpected \"1\" in define "
       "clause"},
      {"{{ define \"a\" }}", "template: t:1: unexpected EOF"},
      {"{{ template x }}",
       "template: t:1: unexpected \"x\" in template "
       "clause"},
      {"{{ template 1 }}",
       "template: t:1: unexpected \"1\" in template "
       "clause"},
      {"{{ if 1 }}{{ define \"a\" }}{{ end }}{{ end }}",
       "template: t:1: unexpected <define> in command"},
      {"{{ $x = }}", "template: t:1: missing value for command"},
      {"{{ printf \"a long string literal\" | nofunc }}",
       "template: t:1: function \"nofunc\" not defined"},
      {"{{ 1 | \"a long string here\" }}",
       "template: t:1: non executable command in pipeline stage 2"},
      {"{{ with }}", "template: t:1: missing value for with"},
      {"x\n{{ |", "template: t:2: unexpected \"|\" in command"},
      {"{{ 1 ! }}", "template: t:1: unexpected \"!\" in operand"},
      {"{{ ( ) }}",
       "template: t:1: missing value for parenthesized "
       "pipeline"},
      {"{{ if true }}{{ \"abcdefghijklm\" 1 2 3 ",
       "template: t:1: unclosed "
       "action"},
  };
  for (const auto& c : cases) {
    Result<Template> t = Template::Parse("t", c.text);
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_EQ(t.status().message(), c.want) << c.text;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(TemplateTest, ItemsInErrorsAreQuotedAndShortened) {
  Result<Template> t =
      Template::Parse("t", "{{ if 1 }}{{ \"abcdefghijklm\" | 1 }}{{ end }}");
  EXPECT_EQ(t.status().message(),
            "template: t:1: non executable command in pipeline stage 2");
  t = Template::Parse("t", "{{ if 1 }}{{ end \"abcdefghijklmnop\" }}");
  EXPECT_EQ(t.status().message(),
            "template: t:1: unexpected \"\\\"abcdefghi\"... in end");
}

// ---------------------------------------------------------------- Prometheus

TEST(PrometheusFuncsTest, Humanize) {
  EXPECT_EQ(Out("{{ range . }}{{ humanize . }}:{{ end }}",
                Floats({0.0, 1.0, 1234567.0, .12})),
            "0:1:1.235M:120m:");
  EXPECT_EQ(Out("{{ range . }}{{ humanize . }}:{{ end }}",
                Strings({"0.0", "1.0", "1234567.0", ".12"})),
            "0:1:1.235M:120m:");
  EXPECT_EQ(Out("{{ range . }}{{ humanize . }}:{{ end }}",
                Ints({0, -1, 1, 1234567, std::numeric_limits<int64_t>::max()})),
            "0:-1:1:1.235M:9.223E:");
  EXPECT_EQ(Out("{{ humanize 0.00123 }} {{ humanize -1234 }} {{ humanize 1e30 "
                "}} {{ humanize 1e-30 }}"),
            "1.23m -1.234k 1e+06Y 1e-06y");
  EXPECT_EQ(Err("{{ humanize \"one\" }}"),
            "template: t:1:3: executing \"t\" at <humanize \"one\">: error "
            "calling humanize: strconv.ParseFloat: parsing \"one\": invalid "
            "syntax");
}

TEST(PrometheusFuncsTest, Humanize1024) {
  EXPECT_EQ(Out("{{ range . }}{{ humanize1024 . }}:{{ end }}",
                Floats({0.0, 1.0, 1048576.0, .12})),
            "0:1:1Mi:0.12:");
  EXPECT_EQ(Out("{{ range . }}{{ humanize1024 . }}:{{ end }}",
                Strings({"0.0", "1.0", "1048576.0", ".12"})),
            "0:1:1Mi:0.12:");
  EXPECT_EQ(Out("{{ range . }}{{ humanize1024 . }}:{{ end }}",
                Ints({0, -1, 1, 1234567, std::numeric_limits<int64_t>::max()})),
            "0:-1:1:1.177Mi:8Ei:");
  EXPECT_EQ(Err("{{ humanize1024 \"one\" }}"),
            "template: t:1:3: executing \"t\" at <humanize1024 \"one\">: "
            "error calling humanize1024: strconv.ParseFloat: parsing \"one\": "
            "invalid syntax");
}

TEST(PrometheusFuncsTest, HumanizeDuration) {
  EXPECT_EQ(Out("{{ range . }}{{ humanizeDuration . }}:{{ end }}",
                Floats({0, 1, 60, 3600, 86400, 86400 + 3600,
                        -(86400 * 2 + 3600 * 3 + 60 * 4 + 5), 899.99})),
            "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:"
            "14m 59s:");
  EXPECT_EQ(Out("{{ range . }}{{ humanizeDuration . }}:{{ end }}",
                Strings({"0", "1", "60", "3600", "86400"})),
            "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:");
  EXPECT_EQ(Out("{{ range . }}{{ humanizeDuration . }}:{{ end }}",
                Floats({.1, .0001, .12345, 60.1, 60.5, 1.2345, 12.345})),
            "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:");
  EXPECT_EQ(Out("{{ range . }}{{ humanizeDuration . }}:{{ end }}",
                Strings({".1", ".0001", ".12345", "60.1", "60.5", "1.2345",
                         "12.345"})),
            "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:");
  EXPECT_EQ(Out("{{ range . }}{{ humanizeDuration . }}:{{ end }}",
                Ints({0, -1, 1, 1234567})),
            "0s:-1s:1s:14d 6h 56m 7s:");
  EXPECT_EQ(Out("{{ humanizeDuration 90061 }}"), "1d 1h 1m 1s");
  EXPECT_EQ(Err("{{ humanizeDuration \"one\" }}"),
            "template: t:1:3: executing \"t\" at <humanizeDuration \"one\">: "
            "error calling humanizeDuration: strconv.ParseFloat: parsing "
            "\"one\": invalid syntax");
}

TEST(PrometheusFuncsTest, HumanizeInfAndNaN) {
  const std::string text =
      "{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:"
      "{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}";
  const std::string want =
      "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:";
  EXPECT_EQ(Out(text, Floats({kInf, -kInf, std::nan("")})), want);
  EXPECT_EQ(Out(text, Strings({"+Inf", "-Inf", "NaN"})), want);
}

TEST(PrometheusFuncsTest, HumanizePercentage) {
  EXPECT_EQ(Out("{{ -0.22222 | humanizePercentage }}:{{ 0.0 | "
                "humanizePercentage }}:{{ 0.1234567 | humanizePercentage }}:"
                "{{ 1.23456 | humanizePercentage }}"),
            "-22.22%:0%:12.35%:123.5%");
  EXPECT_EQ(Out("{{ range . }}{{ humanizePercentage . }}:{{ end }}",
                Ints({0, -1, 1, 1234567, std::numeric_limits<int64_t>::max()})),
            "0%:-100%:100%:1.235e+08%:9.223e+20%:");
  EXPECT_EQ(Out("{{ \"-0.22222\" | humanizePercentage }}:{{ \"0.0\" | "
                "humanizePercentage }}:{{ \"0.1234567\" | humanizePercentage "
                "}}:{{ \"1.23456\" | humanizePercentage }}"),
            "-22.22%:0%:12.35%:123.5%");
  EXPECT_EQ(Out("{{ humanizePercentage 0.1234 }}"), "12.34%");
  EXPECT_EQ(Err("{{ \"one\" | humanizePercentage }}"),
            "template: t:1:11: executing \"t\" at <humanizePercentage>: error "
            "calling humanizePercentage: strconv.ParseFloat: parsing "
            "\"one\": invalid syntax");
}

TEST(PrometheusFuncsTest, HumanizeTimestampAndToTime) {
  EXPECT_EQ(Out("{{ range . }}{{ humanizeTimestamp . }}:{{ end }}",
                Ints({0, -1, 1, 1234567, 9223372036})),
            "1970-01-01 00:00:00 +0000 UTC:1969-12-31 23:59:59 +0000 UTC:"
            "1970-01-01 00:00:01 +0000 UTC:1970-01-15 06:56:07 +0000 UTC:"
            "2262-04-11 23:47:16 +0000 UTC:");
  EXPECT_EQ(Err("{{ range . }}{{ humanizeTimestamp . }}:{{ end }}",
                Ints({std::numeric_limits<int64_t>::min(),
                      std::numeric_limits<int64_t>::max()})),
            "template: t:1:16: executing \"t\" at <humanizeTimestamp .>: "
            "error calling humanizeTimestamp: -9.223372036854776e+18 cannot "
            "be represented as a nanoseconds timestamp since it overflows "
            "int64");
  EXPECT_EQ(Out("{{ 1435065584.128 | humanizeTimestamp }}"),
            "2015-06-23 13:19:44.128 +0000 UTC");
  EXPECT_EQ(Out("{{ \"1435065584.128\" | humanizeTimestamp }}"),
            "2015-06-23 13:19:44.128 +0000 UTC");
  EXPECT_EQ(Out("{{ (1435065584.128 | toTime).Format \"2006\" }}"), "2015");
  EXPECT_EQ(Out("{{ (\"1435065584.128\" | toTime).Format \"2006\" }}"), "2015");
  EXPECT_EQ(Out("{{ toTime 1435065584.128 }}"),
            "2015-06-23 13:19:44.128 +0000 UTC");
  EXPECT_EQ(Out("{{ with toTime 1435065584.128 }}{{ .Unix }} {{ .UnixMilli }}"
                " {{ .Year }} {{ .Month }} {{ .Day }} {{ .Weekday }} "
                "{{ .Format \"2006-01-02T15:04:05.000Z07:00\" }}{{ end }}"),
            "1435065584 1435065584128 2015 June 23 Tuesday "
            "2015-06-23T13:19:44.128Z");
  EXPECT_EQ(Err("{{ toTime \"NaN\" }}"),
            "template: t:1:3: executing \"t\" at <toTime \"NaN\">: error "
            "calling toTime: value is NaN or Inf");
}

TEST(PrometheusFuncsTest, Strings) {
  EXPECT_EQ(Out("{{ \"aa bb CC\" | title }}"), "Aa Bb CC");
  EXPECT_EQ(Out("{{ \"aa bb CC\" | toUpper }}"), "AA BB CC");
  EXPECT_EQ(Out("{{ \"aA bB CC\" | toLower }}"), "aa bb cc");
  EXPECT_EQ(Out("{{ match \"a+\" \"aa\" }} {{ match \"a+\" \"b\" }}"),
            "true false");
  EXPECT_EQ(Out("{{ match \"^a\" \"ba\" }}"), "false");
  EXPECT_EQ(Out("{{ reReplaceAll \"(a)b\" \"x$1\" \"ab\" }}"), "xa");
  EXPECT_EQ(Out("{{ reReplaceAll \"(?P<host>[^:]+):(\\\\d+)\" "
                "\"${host} port $2 $$ $9 ${nope}\" \"web:80\" }}"),
            "web port 80 $  ");
  EXPECT_EQ(Out("{{ reReplaceAll \"a*\" \"-\" \"baaac\" }}"), "-b-c-");
  EXPECT_EQ(Out("{{ reReplaceAll \"\" \"-\" \"h\xC3\xA9\" }}"), "-h-\xC3\xA9-");
  EXPECT_EQ(Out("{{ reReplaceAll \"^\" \">\" \"ab\" }}"), ">ab");
  EXPECT_EQ(Out("{{ reReplaceAll \"(a)\" \"$1x\" \"a\" }}"), "");  // $1x
  EXPECT_EQ(Out("{{ \"<b>\" | safeHtml }}"), "<b>");
  EXPECT_EQ(Out("{{ graphLink \"up\" }}"), "/graph?g0.expr=up&g0.tab=0");
  EXPECT_EQ(Out("{{ tableLink \"rate(x[5m]) > 1\" }}"),
            "/graph?g0.expr=rate%28x%5B5m%5D%29+%3E+1&g0.tab=1");
  EXPECT_EQ(Err("{{ reReplaceAll \"(\" \"\" \"x\" }}"),
            "template: t:1:3: executing \"t\" at <reReplaceAll \"(\" \"\" "
            "\"x\">: error calling reReplaceAll: regexp: Compile(`(`): error "
            "parsing regexp: missing closing ): `(`");
  EXPECT_EQ(Err("{{ match \"a**\" \"x\" }}"),
            "template: t:1:3: executing \"t\" at <match \"a**\" \"x\">: error "
            "calling match: error parsing regexp: invalid nested repetition "
            "operator: `**`");
}

TEST(PrometheusFuncsTest, StripPort) {
  const struct {
    std::string in, want;
  } cases[] = {
      {"foo.example.com", "foo.example.com"},
      {"foo.example.com:12345", "foo.example.com"},
      {"192.0.2.1", "192.0.2.1"},
      {"192.0.2.1:12345", "192.0.2.1"},
      {"2001:0DB8::1", "2001:0DB8::1"},
      {"[2001:0DB8::1]:12345", "2001:0DB8::1"},
      {"[2001:0DB8::1]::12345", "[2001:0DB8::1]::12345"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Out("{{ \"" + c.in + "\" | stripPort }}"), c.want) << c.in;
  }
}

TEST(PrometheusFuncsTest, UrlsDurationsAndArgs) {
  ExecOptions opts;
  opts.external_url = "http://testhost:9090/path/prefix";
  EXPECT_EQ(Out("{{ pathPrefix }}", Value(), opts), "/path/prefix");
  EXPECT_EQ(Out("{{ externalURL }}", Value(), opts),
            "http://testhost:9090/path/prefix");
  EXPECT_EQ(Out("{{ pathPrefix }}|"), "|");
  EXPECT_EQ(Out("{{ printf \"%0.2f\" (parseDuration \"1h2m10ms\") }}"),
            "3720.01");
  EXPECT_EQ(Out("{{ parseDuration \"90s\" }}"), "90");
  EXPECT_EQ(Err("{{ parseDuration \"x\" }}"),
            "template: t:1:3: executing \"t\" at <parseDuration \"x\">: error "
            "calling parseDuration: not a valid duration string: \"x\"");
  EXPECT_EQ(Out("{{ $a := args 1 \"x\" }}{{ $a.arg0 }}{{ $a.arg1 }}"
                "{{ $a.arg2 }}"),
            "1x<no value>");
}

TEST(PrometheusFuncsTest, Query) {
  ExecOptions opts;
  opts.query = FixedQuery(
      {{model::Labels::FromPairs({{"__name__", "metric"}, {"instance", "b"}}),
        21},
       {model::Labels::FromPairs(
            {{"__name__", "metric"}, {"instance", "a"}, {"__value__", "v"}}),
        11}});
  EXPECT_EQ(Out("{{ query \"metric\" | first | value }}", Value(), opts), "21");
  EXPECT_EQ(
      Out("{{ query \"metric\" | first | label \"instance\" }}", Value(), opts),
      "b");
  EXPECT_EQ(
      Out("{{ query \"metric\" | first | label \"foo\" }}|", Value(), opts),
      "|");
  EXPECT_EQ(Out("{{ $x := query \"metric\" | first }}{{ $x.Labels.foo }}|",
                Value(), opts),
            "|");
  EXPECT_EQ(Out("{{ range query \"metric\" | sortByLabel \"instance\" }}"
                "{{ .Labels.instance }}:{{ .Value }}: {{ end }}",
                Value(), opts),
            "a:11: b:21: ");
  EXPECT_EQ(Out("{{ range query \"metric\" }}{{ strvalue . }};{{ end }}",
                Value(), opts),
            ";v;");
  EXPECT_EQ(
      Out("{{ with query \"metric\" }}{{ len . }}{{ end }}", Value(), opts),
      "2");
  EXPECT_EQ(Out("{{ query \"metric\" | first }}", Value(), opts),
            "&{map[__name__:metric instance:b] 21}");

  opts.query = FixedQuery({});
  EXPECT_EQ(Err("{{ query \"missing\" | first }}", Value(), opts),
            "template: t:1:21: executing \"t\" at <first>: error calling "
            "first: first() called on vector with no elements");
  EXPECT_EQ(Err("{{ (query \"missing\").banana }}", Value(), opts),
            "template: t:1:10: executing \"t\" at <\"missing\">: can't "
            "evaluate field banana in type template.queryResult");
  EXPECT_EQ(Err("{{ first .Alerts }}",
                Value::Map({{"Alerts", Value::List({})}}), opts),
            "template: t:1:9: executing \"t\" at <.Alerts>: wrong type for "
            "value; expected template.queryResult; got []interface {}");

  opts.query = [](std::string_view q) -> Result<std::vector<QuerySample>> {
    return UnavailableError("engine down for " + std::string(q));
  };
  Result<std::string> r = RunText("{{ query \"up\" }}", Value(), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(),
            "template: t:1:3: executing \"t\" at <query \"up\">: error calling "
            "query: engine down for up");
  EXPECT_EQ(Err("{{ query \"up\" }}"),
            "template: t:1:3: executing \"t\" at <query \"up\">: error calling "
            "query: no query function set");
}

TEST(PrometheusFuncsTest, CustomFuncMap) {
  auto funcs = std::make_shared<FuncMap>(*PrometheusFuncs());
  (*funcs)["double"] = Function{
      {"int"},
      false,
      [](std::span<const Value> a, const ExecOptions&) -> Result<Value> {
        return Value::Int(a[0].int_value() * 2);
      }};
  Result<Template> t =
      Template::Parse("t", "{{ double 21 }} {{ humanize 1e3 }}", funcs);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t->Execute(Value()), "42 1k");
  EXPECT_EQ(Template::Parse("t", "{{ double 1 }}").status().message(),
            "template: t:1: function \"double\" not defined");
  t = Template::Parse("t", "{{ double 1.5 }}", funcs);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Execute(Value()).status().message(),
            "template: t:1:10: executing \"t\" at <1.5>: expected integer; "
            "found 1.5");
}

// ---------------------------------------------------------------- alerts

TEST(ExpandAlertTemplateTest, ProvidesPrometheusVariables) {
  const model::Labels labels = model::Labels::FromPairs(
      {{"__name__", "up"}, {"instance", "host:9100"}, {"job", "node"}});
  const model::Labels ext = model::Labels::FromPairs({{"cluster", "eu1"}});
  ExecOptions opts;
  opts.external_url = "http://prom:9090/prom";
  const auto expand = [&](std::string_view text, double value) {
    return ExpandAlertTemplate("__alert_HighLoad", text, labels, value, ext,
                               "http://prom:9090/prom", opts);
  };
  EXPECT_EQ(*expand("{{ $labels.instance }} of {{ $labels.job }} = "
                    "{{ $value }}",
                    0.5),
            "host:9100 of node = 0.5");
  EXPECT_EQ(*expand("{{ $value }}", 1e6), "1e+06");
  EXPECT_EQ(*expand("{{ $value }}", 3), "3");
  EXPECT_EQ(*expand("{{ $value | humanize }}", 1234567), "1.235M");
  EXPECT_EQ(*expand("{{ $externalLabels.cluster }} {{ $externalURL }} "
                    "{{ pathPrefix }}",
                    0),
            "eu1 http://prom:9090/prom /prom");
  EXPECT_EQ(*expand("[{{ $labels.nope }}]", 0), "[]");
  EXPECT_EQ(*expand("{{ .Labels.__name__ }} {{ .Value }}", 2.5), "up 2.5");
  EXPECT_EQ(*expand("plain", 0), "plain");

  Result<std::string> r = expand("{{ $labels.instance", 0);
  EXPECT_EQ(r.status().message(),
            "error parsing template __alert_HighLoad: template: "
            "__alert_HighLoad:1: unclosed action");
  // Columns count the 112-byte preamble, as in Prometheus.
  r = expand("{{ humanize \"x\" }}", 0);
  EXPECT_EQ(r.status().message(),
            "error executing template __alert_HighLoad: template: "
            "__alert_HighLoad:1:115: executing \"__alert_HighLoad\" at "
            "<humanize \"x\">: error calling humanize: strconv.ParseFloat: "
            "parsing \"x\": invalid syntax");
}

TEST(ExpandAlertTemplateTest, ParseOnceExecuteMany) {
  Result<Template> t = ParseAlertTemplate(
      "__alert_X", "{{ $labels.job }} {{ $value | humanizePercentage }}");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  for (double v : {0.1234, 0.5}) {
    const Value data = AlertTemplateData(
        model::Labels::FromPairs({{"job", "node"}}), model::Labels(), "", v);
    EXPECT_EQ(*t->Execute(data), v == 0.5 ? "node 50%" : "node 12.34%");
  }
  EXPECT_EQ(ParseAlertTemplate("__alert_X", "{{").status().message(),
            "template: __alert_X:1: unclosed action");
}

TEST(ValueTest, Builders) {
  const Value m = Value::StringMap({{"b", "1"}, {"a", "2"}, {"b", "3"}});
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.entries()[0].first, "a");
  EXPECT_EQ(m.Find("b")->string_value(), "3");
  EXPECT_EQ(m.type_name(), "map[string]string");
  EXPECT_TRUE(m.string_elems());
  const Value l = Value::StringMap(
      model::Labels::FromPairs({{"job", "x"}, {"__name__", "up"}}));
  EXPECT_EQ(l.entries()[0].first, "__name__");
  EXPECT_EQ(Value::Map({}).type_name(), "map[string]interface {}");
  EXPECT_EQ(Value::List({}).type_name(), "[]interface {}");
  EXPECT_EQ(Value().type_name(), "<nil>");
  EXPECT_EQ(Value::Time(0).type_name(), "*time.Time");
  static const TypeInfo kT{"my.T", {}};
  EXPECT_EQ(Value::Int(1).WithType(&kT).type_name(), "my.T");
}

// ---------------------------------------------------------------- limits

TEST(LimitsTest, OutputCap) {
  ExecOptions opts;
  opts.max_output_bytes = 50;
  EXPECT_EQ(
      Out("{{ range . }}xxxxxxxxxx{{ end }}", Ints({1, 2, 3, 4, 5}), opts),
      std::string(50, 'x'));
  Result<std::string> r = RunText("{{ range . }}xxxxxxxxxx{{ end }}",
                                  Ints({1, 2, 3, 4, 5, 6}), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(),
            "template: t:1:13: executing \"t\" at <xxxxxxxxxx>: output "
            "exceeds 50 bytes");
  // Results of functions are capped too.
  EXPECT_EQ(Err("{{ printf \"%100d\" 1 | len }}", Value(), opts),
            "template: t:1:3: executing \"t\" at <printf \"%100d\" 1>: result "
            "of printf exceeds 50 bytes");
  // Doubling a string in a loop stops at the cap instead of exhausting
  // memory.
  std::vector<int64_t> many(64, 1);
  r = RunText(
      "{{ $x := \"ab\" }}{{ range . }}{{ $x = print $x $x }}{{ end }}"
      "{{ len $x }}",
      Ints(many));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  // So does printing a value that shares structure exponentially.
  r = RunText(
      "{{ $x := args 1 2 }}{{ range . }}{{ $x = args $x $x }}{{ end }}"
      "{{ $x }}",
      Ints(many));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
}

TEST(LimitsTest, TemplateRecursionDepth) {
  Result<std::string> r = RunText(
      "{{ define \"a\" }}{{ template \"a\" }}{{ end }}{{ template \"a\" }}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(),
            "template: t:1:28: executing \"a\" at <{{template \"a\"}}>: "
            "exceeded maximum template depth (100)");
  // Bounded recursion is fine.
  EXPECT_EQ(Out("{{ define \"count\" }}{{ if gt (len .) 0 }}{{ index . 0 }}"
                "{{ template \"count\" (slice . 1) }}{{ end }}{{ end }}"
                "{{ template \"count\" . }}",
                Ints({1, 2, 3})),
            "123");
}

TEST(LimitsTest, StepBudgetStopsExponentialWork) {
  ExecOptions opts;
  opts.max_steps = 10000;
  Result<std::string> r = RunText(
      "{{ define \"a\" }}{{ if lt (len .) 40 }}{{ template \"a\" (print . "
      "\"x\") }}{{ template \"a\" (print . \"y\") }}{{ end }}{{ end }}"
      "{{ template \"a\" \"\" }}",
      Value(), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("execution exceeded 10000 steps"),
            std::string::npos)
      << r.status().message();
}

TEST(LimitsTest, NestingDepth) {
  const auto nested_parens = [](int n) {
    return "{{ " + std::string(static_cast<size_t>(n), '(') + "1" +
           std::string(static_cast<size_t>(n), ')') + " }}";
  };
  EXPECT_EQ(Out(nested_parens(199)), "1");
  EXPECT_EQ(Err(nested_parens(201)),
            "template: t:1: max expression depth exceeded");
  std::string ifs;
  for (int i = 0; i < 199; ++i) ifs += "{{ if 1 }}";
  ifs += "x";
  for (int i = 0; i < 199; ++i) ifs += "{{ end }}";
  EXPECT_EQ(Out(ifs), "x");
  EXPECT_EQ(Err("{{ if 1 }}{{ if 1 }}" + ifs + "{{ end }}{{ end }}"),
            "template: t:1: max expression depth exceeded");
  // Deep templates calling each other hit the executor's own bound.
  std::string deep = "{{ define \"d\" }}";
  for (int i = 0; i < 150; ++i) deep += "{{ if 1 }}";
  deep += "{{ template \"d\" }}";
  for (int i = 0; i < 150; ++i) deep += "{{ end }}";
  deep += "{{ end }}{{ template \"d\" }}";
  ExecOptions opts;
  opts.max_template_depth = 1000000;
  Result<std::string> r = RunText(deep, Value(), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("exceeded maximum nesting depth"),
            std::string::npos)
      << r.status().message();
}

TEST(LimitsTest, ConcurrentExecution) {
  Result<Template> t = Template::Parse(
      "t",
      "{{ range $k, $v := .Labels }}{{ $k }}={{ $v | toUpper }} "
      "{{ end }}{{ humanize .Value }}");
  ASSERT_TRUE(t.ok());
  const Value data = AlertData(1234);
  std::vector<std::thread> threads;
  std::vector<std::string> outs(4);
  for (size_t i = 0; i < outs.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 200; ++n) outs[i] = *t->Execute(data);
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& o : outs) {
    EXPECT_EQ(o, "instance=HOST:9100 job=NODE 1.234k");
  }
}

// Random and garbled templates must parse or fail cleanly, and execute or
// fail cleanly, within the limits.
TEST(LimitsTest, RandomTemplatesNeverCrash) {
  const std::vector<std::string> tokens = {"{{",
                                           "}}",
                                           "{{-",
                                           "-}}",
                                           " ",
                                           "\n",
                                           "(",
                                           ")",
                                           "|",
                                           ".",
                                           "$",
                                           "$x",
                                           ":=",
                                           "=",
                                           ",",
                                           "\"s\"",
                                           "`r`",
                                           "'c'",
                                           "1",
                                           "-2",
                                           "3.5",
                                           "1e3",
                                           "0x1f",
                                           "nil",
                                           "true",
                                           "if",
                                           "else",
                                           "end",
                                           "range",
                                           "with",
                                           "define",
                                           "template",
                                           "block",
                                           "break",
                                           "continue",
                                           ".Labels",
                                           ".Labels.job",
                                           ".Value",
                                           "$labels",
                                           "$value",
                                           "humanize",
                                           "printf",
                                           "\"%d %s %v\"",
                                           "len",
                                           "index",
                                           "slice",
                                           "eq",
                                           "lt",
                                           "and",
                                           "or",
                                           "not",
                                           "print",
                                           "query",
                                           "first",
                                           "args",
                                           "toTime",
                                           ".Format",
                                           "reReplaceAll",
                                           "\"(a)\"",
                                           "/*",
                                           "*/",
                                           "{{/* c */}}",
                                           "text",
                                           "\xC2\xA0",
                                           "\xff",
                                           "{{ template \"x\" . }}",
                                           "{{ define \"x\" }}",
                                           "{{ end }}",
                                           "{{ range $i, $e := . }}",
                                           "{{ if . }}",
                                           "{{ else }}",
                                           "\"x\"",
                                           "5"};
  std::mt19937 rng(12345);
  ExecOptions opts;
  opts.max_steps = 20000;
  opts.max_output_bytes = 4096;
  opts.query = FixedQuery({{model::Labels::FromPairs({{"a", "b"}}), 1}});
  const Value data = AlertData();
  int parsed = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text;
    const int n = 1 + static_cast<int>(rng() % 24);
    for (int i = 0; i < n; ++i) text += tokens[rng() % tokens.size()];
    if (iter % 5 == 0 && !text.empty()) {  // byte-level garbling
      text[rng() % text.size()] = static_cast<char>(rng() % 256);
    }
    Result<Template> t = Template::Parse("fuzz", text);
    if (!t.ok()) {
      EXPECT_TRUE(t.status().message().starts_with("template: fuzz:"))
          << text << " -> " << t.status().message();
      continue;
    }
    ++parsed;
    Result<std::string> out = t->Execute(data, opts);
    if (out.ok()) {
      EXPECT_LE(out->size(), opts.max_output_bytes);
    } else {
      EXPECT_TRUE(out.status().message().starts_with("template: "))
          << text << " -> " << out.status().message();
    }
  }
  EXPECT_GT(parsed, 100);
}

}  // namespace
}  // namespace vigil::templating
