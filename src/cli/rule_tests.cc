#include "cli/rule_tests.h"

#include <glob.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <chrono>
#include <cinttypes>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "base/file.h"
#include "base/status_macros.h"
#include "daemon/anomaly_scorers.h"
#include "model/duration.h"
#include "model/yaml_reader.h"
#include "promql/engine.h"
#include "promql/lexer.h"
#include "promql/parser.h"
#include "promql/promqltest.h"
#include "rules/group.h"
#include "rules/manager.h"
#include "rules/rule_file.h"
#include "storage/memory_storage.h"

namespace vigil::cli {
namespace {

using Millis = std::chrono::milliseconds;
// A label set as Go's labels.FromMap keeps it: sorted by name, empty
// values included (exp_labels: {a: ""} must not match an alert without a).
using LabelList = std::vector<std::pair<std::string, std::string>>;

// ---------------------------------------------------------------------------
// The file.

struct InputSeries {
  std::string series;
  std::string values;
  YAML::Mark mark;
};

struct ExpAlert {
  LabelList labels;
  LabelList annotations;
};

struct AlertTest {
  Millis eval_time{0};
  std::string alertname;
  std::vector<ExpAlert> exp_alerts;
};

struct ExpSample {
  std::string labels;
  double value = 0;
};

struct ExprTest {
  std::string expr;
  Millis eval_time{0};
  std::vector<ExpSample> exp_samples;
};

struct TestGroup {
  Millis interval{0};
  std::vector<InputSeries> input_series;
  std::vector<AlertTest> alert_tests;
  std::vector<ExprTest> expr_tests;
  model::Labels external_labels;
  std::string external_url;
  std::string name;
};

struct UnitTestFile {
  std::vector<std::string> rule_files;
  Millis evaluation_interval{0};
  std::vector<std::string> group_eval_order;
  std::vector<TestGroup> tests;
};

LabelList SortedList(std::map<std::string, std::string> m) {
  return LabelList(m.begin(), m.end());  // std::map iterates in name order
}

LabelList ToList(const model::Labels& l) {
  LabelList out;
  for (const auto& ref : l) out.emplace_back(std::string(ref.name), std::string(ref.value));
  return out;
}

// Reads the unit-test YAML, refusing unknown fields as promtool's strict
// decoding does.
class FileParser {
 public:
  explicit FileParser(std::string filename) : r_(std::move(filename)) {}

  Result<UnitTestFile> Parse(std::string_view text) const {
    VIGIL_ASSIGN_OR_RETURN(YAML::Node root, r_.Load(text));
    UnitTestFile f;
    if (!root.IsDefined() || root.IsNull()) return f;
    VIGIL_RETURN_IF_ERROR(r_.Fields(root, root, "unit-test file",
                                    [&](const std::string& name, const YAML::Node& k,
                                        const YAML::Node& v) -> Status {
      if (name == "rule_files") {
        VIGIL_ASSIGN_OR_RETURN(f.rule_files, r_.StringList(name, k, v));
      } else if (name == "evaluation_interval") {
        VIGIL_ASSIGN_OR_RETURN(f.evaluation_interval, Duration(name, k, v));
      } else if (name == "group_eval_order") {
        VIGIL_ASSIGN_OR_RETURN(f.group_eval_order, r_.StringList(name, k, v));
      } else if (name == "tests") {
        return Sequence(name, k, v, [&](const YAML::Node& item) -> Status {
          f.tests.emplace_back();
          return Group(k, item, &f.tests.back());
        });
      } else {
        return r_.Unknown(k, name, "unit-test file");
      }
      return Status::OK();
    }));
    return f;
  }

 private:
  template <typename Fn>
  Status Sequence(std::string_view field, const YAML::Node& k, const YAML::Node& v,
                  Fn&& fn) const {
    if (!v.IsDefined() || v.IsNull()) return Status::OK();
    if (!v.IsSequence()) {
      return r_.Error(k, v, std::string(field) + ": expected a list, got " +
                                std::string(model::YamlKindName(v)));
    }
    for (const YAML::Node& item : v) VIGIL_RETURN_IF_ERROR(fn(item));
    return Status::OK();
  }

  // model.Duration: empty or null is 0.
  Result<Millis> Duration(std::string_view field, const YAML::Node& k,
                          const YAML::Node& v) const {
    if (!v.IsDefined() || v.IsNull()) return Millis(0);
    return r_.Duration(field, k, v);
  }

  // map[string]string, names unchecked (promtool takes any key).
  Result<LabelList> StringMap(std::string_view field, const YAML::Node& k,
                              const YAML::Node& v) const {
    std::map<std::string, std::string> m;
    VIGIL_RETURN_IF_ERROR(r_.Fields(k, v, field,
                                    [&](const std::string& name, const YAML::Node& key,
                                        const YAML::Node& val) -> Status {
      VIGIL_ASSIGN_OR_RETURN(m[name], r_.String(std::string(field) + "." + name, key, val));
      return Status::OK();
    }));
    return SortedList(std::move(m));
  }

  Status Group(const YAML::Node& key, const YAML::Node& node, TestGroup* g) const {
    if (!node.IsMap()) {
      return r_.Error(key, node, "tests: each item must be a mapping, got " +
                                     std::string(model::YamlKindName(node)));
    }
    return r_.Fields(key, node, "test group",
                     [&](const std::string& name, const YAML::Node& k,
                         const YAML::Node& v) -> Status {
      if (name == "interval") {
        VIGIL_ASSIGN_OR_RETURN(g->interval, Duration(name, k, v));
      } else if (name == "name") {
        VIGIL_ASSIGN_OR_RETURN(g->name, r_.String(name, k, v));
      } else if (name == "external_url") {
        VIGIL_ASSIGN_OR_RETURN(g->external_url, r_.String(name, k, v));
      } else if (name == "external_labels") {
        VIGIL_ASSIGN_OR_RETURN(g->external_labels, r_.LabelMap(name, k, v));
      } else if (name == "input_series") {
        return Sequence(name, k, v, [&](const YAML::Node& item) -> Status {
          InputSeries s;
          s.mark = r_.At(k, item);
          VIGIL_RETURN_IF_ERROR(r_.Fields(k, item, "input_series item",
                                          [&](const std::string& f, const YAML::Node& fk,
                                              const YAML::Node& fv) -> Status {
            if (f == "series") {
              VIGIL_ASSIGN_OR_RETURN(s.series, r_.String(f, fk, fv));
            } else if (f == "values") {
              VIGIL_ASSIGN_OR_RETURN(s.values, r_.String(f, fk, fv));
            } else {
              return r_.Unknown(fk, f, "input_series item");
            }
            return Status::OK();
          }));
          g->input_series.push_back(std::move(s));
          return Status::OK();
        });
      } else if (name == "alert_rule_test") {
        return Sequence(name, k, v, [&](const YAML::Node& item) -> Status {
          AlertTest t;
          VIGIL_RETURN_IF_ERROR(AlertTestItem(k, item, &t));
          g->alert_tests.push_back(std::move(t));
          return Status::OK();
        });
      } else if (name == "promql_expr_test") {
        return Sequence(name, k, v, [&](const YAML::Node& item) -> Status {
          ExprTest t;
          VIGIL_RETURN_IF_ERROR(ExprTestItem(k, item, &t));
          g->expr_tests.push_back(std::move(t));
          return Status::OK();
        });
      } else {
        return r_.Unknown(k, name, "test group");
      }
      return Status::OK();
    });
  }

  Status AlertTestItem(const YAML::Node& key, const YAML::Node& item, AlertTest* t) const {
    return r_.Fields(key, item, "alert_rule_test item",
                     [&](const std::string& f, const YAML::Node& k,
                         const YAML::Node& v) -> Status {
      if (f == "eval_time") {
        VIGIL_ASSIGN_OR_RETURN(t->eval_time, Duration(f, k, v));
      } else if (f == "alertname") {
        VIGIL_ASSIGN_OR_RETURN(t->alertname, r_.String(f, k, v));
      } else if (f == "exp_alerts") {
        return Sequence(f, k, v, [&](const YAML::Node& a) -> Status {
          ExpAlert e;
          VIGIL_RETURN_IF_ERROR(r_.Fields(k, a, "exp_alerts item",
                                          [&](const std::string& af, const YAML::Node& ak,
                                              const YAML::Node& av) -> Status {
            if (af == "exp_labels") {
              VIGIL_ASSIGN_OR_RETURN(e.labels, StringMap(af, ak, av));
            } else if (af == "exp_annotations") {
              VIGIL_ASSIGN_OR_RETURN(e.annotations, StringMap(af, ak, av));
            } else {
              return r_.Unknown(ak, af, "exp_alerts item");
            }
            return Status::OK();
          }));
          t->exp_alerts.push_back(std::move(e));
          return Status::OK();
        });
      } else {
        return r_.Unknown(k, f, "alert_rule_test item");
      }
      return Status::OK();
    });
  }

  Status ExprTestItem(const YAML::Node& key, const YAML::Node& item, ExprTest* t) const {
    return r_.Fields(key, item, "promql_expr_test item",
                     [&](const std::string& f, const YAML::Node& k,
                         const YAML::Node& v) -> Status {
      if (f == "expr") {
        VIGIL_ASSIGN_OR_RETURN(t->expr, r_.String(f, k, v));
      } else if (f == "eval_time") {
        VIGIL_ASSIGN_OR_RETURN(t->eval_time, Duration(f, k, v));
      } else if (f == "exp_samples") {
        return Sequence(f, k, v, [&](const YAML::Node& s) -> Status {
          ExpSample e;
          VIGIL_RETURN_IF_ERROR(r_.Fields(k, s, "exp_samples item",
                                          [&](const std::string& sf, const YAML::Node& sk,
                                              const YAML::Node& sv) -> Status {
            if (sf == "labels") {
              VIGIL_ASSIGN_OR_RETURN(e.labels, r_.String(sf, sk, sv));
            } else if (sf == "value") {
              if (sv.IsDefined() && !sv.IsNull()) {
                VIGIL_ASSIGN_OR_RETURN(e.value, r_.Float(sf, sk, sv));
              }
            } else {
              return r_.Unknown(sk, sf, "exp_samples item");
            }
            return Status::OK();
          }));
          t->exp_samples.push_back(std::move(e));
          return Status::OK();
        });
      } else {
        return r_.Unknown(k, f, "promql_expr_test item");
      }
      return Status::OK();
    });
  }

  const model::YamlReader r_;
};

// ---------------------------------------------------------------------------
// promtool's wording.

// Go's time.Duration.String for whole milliseconds: 0s, 500ms, 1.5s,
// 1m30s, 1h0m0s.
std::string GoDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string sign = ms < 0 ? "-" : "";
  uint64_t u = ms < 0 ? static_cast<uint64_t>(-(ms + 1)) + 1 : static_cast<uint64_t>(ms);
  if (u < 1000) return sign + std::to_string(u) + "ms";
  const uint64_t h = u / 3'600'000, m = (u / 60'000) % 60, s = (u / 1000) % 60, frac = u % 1000;
  std::string out = sign;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  out += std::to_string(s);
  if (frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03" PRIu64, frac);
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "s";
}

// Go's labels.Labels.String: {a="b", c="d"}.
std::string LabelsString(const LabelList& l) {
  std::string out = "{";
  for (size_t i = 0; i < l.size(); ++i) {
    if (i > 0) out += ", ";
    out += l[i].first + "=" + promql::GoQuote(l[i].second);
  }
  return out + "}";
}

// Prefixes every line but the first with `indent`.
std::string IndentLines(std::string_view lines, std::string_view indent) {
  std::string out;
  size_t start = 0;
  while (true) {
    const size_t nl = lines.find('\n', start);
    if (start > 0) out += indent;
    out += lines.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (nl == std::string_view::npos) break;
    out += '\n';
    start = nl + 1;
  }
  return out;
}

struct LabelsAndAnnotations {
  LabelList labels;
  LabelList annotations;
  friend bool operator==(const LabelsAndAnnotations&, const LabelsAndAnnotations&) = default;
  friend bool operator<(const LabelsAndAnnotations& a, const LabelsAndAnnotations& b) {
    if (a.labels != b.labels) return a.labels < b.labels;
    return a.annotations < b.annotations;
  }
  std::string String() const {
    return "Labels:" + LabelsString(labels) + "\nAnnotations:" + LabelsString(annotations);
  }
};

std::string AlertListString(const std::vector<LabelsAndAnnotations>& la) {
  if (la.empty()) return "[]";
  std::string s = "[\n0:" + IndentLines("\n" + la[0].String(), "  ");
  for (size_t i = 1; i < la.size(); ++i) {
    s += ",\n" + std::to_string(i) + ":" + IndentLines("\n" + la[i].String(), "  ");
  }
  return s + "\n]";
}

// Go's strconv.FormatFloat(v, 'E', -1, 64): 1E+01, 2.5E-03, +Inf, NaN.
std::string FormatE(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string out(buf, ec == std::errc() ? end : buf);
  for (char& c : out) {
    if (c == 'e') c = 'E';
  }
  return out;
}

struct ParsedSample {
  LabelList labels;
  double value = 0;
  std::string String() const {
    return LabelsString(labels) + " " + FormatE(value);
  }
};

std::string SamplesString(const std::vector<ParsedSample>& s) {
  if (s.empty()) return "nil";
  std::string out = s[0].String();
  for (size_t i = 1; i < s.size(); ++i) out += ", " + s[i].String();
  return out;
}

// ---------------------------------------------------------------------------
// Running one test group.

// The input series with their samples, appended up to each evaluation.
class LazyLoader {
 public:
  Status Init(const std::string& file, const TestGroup& tg) {
    std::map<model::Labels, size_t> index;
    for (const InputSeries& in : tg.input_series) {
      // promtool joins both into one line of a `load` command.
      const std::string line = in.series + " " + in.values;
      auto desc = promql::promqltest::ParseSeriesDesc(line);
      if (!desc.ok()) {
        return InvalidArgumentError(model::YamlReader(file).Pos(in.mark) + ": input_series \"" +
                                    line + "\": " + std::string(desc.status().message()));
      }
      Series s;
      s.labels = desc->labels;
      int64_t t = 0;
      for (const auto& v : desc->values) {
        // Samples at one timestamp (interval 0) keep the first, as
        // Prometheus' storage refuses the later ones.
        if (!v.omitted && (s.samples.empty() || t > s.samples.back().first)) {
          s.samples.emplace_back(t, v.value);
        }
        t += tg.interval.count();
      }
      // A label set given twice keeps its last definition.
      auto [it, fresh] = index.emplace(s.labels, series_.size());
      if (fresh) {
        series_.push_back(std::move(s));
      } else {
        series_[it->second] = std::move(s);
      }
    }
    return Status::OK();
  }

  Status AppendTill(storage::Appendable* db, int64_t t) {
    auto app = db->NewAppender();
    for (Series& s : series_) {
      while (s.next < s.samples.size() && s.samples[s.next].first <= t) {
        auto r = app->Append(s.ref, s.labels, s.samples[s.next].first, s.samples[s.next].second);
        if (!r.ok()) {
          app->Rollback();
          return r.status();
        }
        s.ref = *r;
        ++s.next;
      }
    }
    return app->Commit();
  }

 private:
  struct Series {
    model::Labels labels;
    std::vector<std::pair<int64_t, double>> samples;
    size_t next = 0;
    storage::SeriesRef ref = 0;
  };
  std::vector<Series> series_;
};

class GroupRunner {
 public:
  GroupRunner(const std::string& file, const UnitTestFile& f, const TestGroup& tg,
              Millis eval_interval, std::vector<std::string>* failures)
      : file_(file), f_(f), tg_(tg), eval_interval_(eval_interval), failures_(failures) {}

  void Run();

 private:
  void Fail(std::string msg) { failures_->push_back(std::move(msg)); }
  void CheckAlerts(Millis t, const std::vector<const AlertTest*>& tests);
  void CheckExpr(const ExprTest& t);

  const std::string& file_;
  const UnitTestFile& f_;
  const TestGroup& tg_;
  const Millis eval_interval_;
  std::vector<std::string>* failures_;

  storage::MemoryStorage db_;
  std::unique_ptr<promql::Engine> engine_;
  // Anomaly rules' detectors, in memory only; declared before the groups
  // that use them.
  daemon::AnomalyScorers anomaly_{"", nullptr, [](const std::string&) {}};
  std::vector<std::unique_ptr<rules::Group>> groups_;
};

void GroupRunner::Run() {
  promql::EngineOptions eo = promql::promqltest::TestEngineOptions();
  eo.default_subquery_step_ms = eval_interval_.count();
  engine_ = std::make_unique<promql::Engine>(eo);

  LazyLoader loader;
  if (Status s = loader.Init(file_, tg_); !s.ok()) return Fail(std::string(s.message()));

  // The rules, with this group's interval as the default group interval.
  auto nodes = rules::LoadRuleFiles(f_.rule_files);
  if (!nodes.ok()) return Fail(std::string(nodes.status().message()));
  const rules::AnomalyScorerFactory anomaly_scorers = anomaly_.Factory();
  if (Status s = rules::CheckAnomalyRules(*nodes, anomaly_scorers); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  std::map<std::string, size_t> order;
  for (size_t i = 0; i < f_.group_eval_order.size(); ++i) {
    order.emplace(f_.group_eval_order[i], i);
  }
  std::stable_sort(nodes->begin(), nodes->end(),
                   [&](const rules::GroupNode& a, const rules::GroupNode& b) {
                     auto rank = [&](const std::string& n) {
                       auto it = order.find(n);
                       return it == order.end() ? size_t{0} : it->second;
                     };
                     return rank(a.name) < rank(b.name);
                   });
  rules::GroupOptions go;
  go.appendable = &db_;
  go.queryable = &db_;
  go.ctx = rules::MakeEvalContext(engine_.get(), &db_, tg_.external_labels, tg_.external_url);
  go.anomaly_scorers = anomaly_scorers;
  for (rules::GroupNode& n : *nodes) {
    const Millis iv = n.interval.count() > 0 ? n.interval : tg_.interval;
    // Restored from the start, so ALERTS series are written at once.
    groups_.push_back(std::make_unique<rules::Group>(std::move(n), iv, go, /*restored=*/true));
  }

  // Alert expectations by eval_time.
  std::map<Millis, std::vector<const AlertTest*>> alert_tests;
  Millis maxt{0};
  for (const AlertTest& t : tg_.alert_tests) {
    if (t.alertname.empty()) {
      std::string where = tg_.name.empty() ? "" : " (in TestGroup " + tg_.name + ")";
      return Fail("an item under alert_rule_test misses required attribute alertname at "
                  "eval_time " + model::FormatDuration(t.eval_time) + where);
    }
    alert_tests[t.eval_time].push_back(&t);
    maxt = std::max(maxt, t.eval_time);
  }
  for (const ExprTest& t : tg_.expr_tests) maxt = std::max(maxt, t.eval_time);

  auto next_check = alert_tests.begin();
  for (Millis ts{0}; ts <= maxt; ts += eval_interval_) {
    if (Status s = loader.AppendTill(&db_, ts.count()); !s.ok()) {
      Fail(std::string(s.message()));
    } else {
      std::vector<std::string> eval_errors;
      for (auto& g : groups_) {
        g->Eval(ts.count());
        for (const auto& r : g->rules()) {
          const rules::RuleStatus st = r->status();
          if (st.health == rules::RuleHealth::kBad) {
            eval_errors.push_back("    rule: " + r->name() + ", time: " + GoDuration(ts.count()) +
                                  ", err: " + st.last_error);
          }
        }
      }
      if (!eval_errors.empty()) {
        for (auto& e : eval_errors) Fail(std::move(e));
        return;  // promtool stops the group at an evaluation error
      }
    }
    // Expectations for eval times in [ts, ts + interval) see this evaluation.
    while (next_check != alert_tests.end() && next_check->first >= ts &&
           next_check->first < ts + eval_interval_) {
      CheckAlerts(next_check->first, next_check->second);
      ++next_check;
    }
  }

  for (const ExprTest& t : tg_.expr_tests) CheckExpr(t);
}

void GroupRunner::CheckAlerts(Millis t, const std::vector<const AlertTest*>& tests) {
  // The firing alerts of every rule so named, across groups.
  std::map<std::string, std::vector<LabelsAndAnnotations>> got;
  std::set<std::string> wanted;
  for (const AlertTest* at : tests) wanted.insert(at->alertname);
  for (const auto& g : groups_) {
    for (const auto& r : g->rules()) {
      if (!r->alerting() || wanted.count(r->name()) == 0) continue;
      const auto* ar = static_cast<const rules::AlertingRule*>(r.get());
      auto& list = got[r->name()];
      for (const rules::ActiveAlert& a : ar->Alerts()) {
        if (a.state != rules::AlertState::kFiring) continue;
        list.push_back({ToList(a.labels), ToList(a.annotations)});
      }
    }
  }
  for (const AlertTest* at : tests) {
    std::vector<LabelsAndAnnotations> got_alerts = got[at->alertname];
    std::vector<LabelsAndAnnotations> exp_alerts;
    for (const ExpAlert& e : at->exp_alerts) {
      // alertname is implied, as Prometheus adds it.
      std::map<std::string, std::string> m(e.labels.begin(), e.labels.end());
      m["alertname"] = at->alertname;
      exp_alerts.push_back({SortedList(std::move(m)), e.annotations});
    }
    std::sort(got_alerts.begin(), got_alerts.end());
    std::sort(exp_alerts.begin(), exp_alerts.end());
    if (got_alerts == exp_alerts) continue;
    std::string name = tg_.name.empty() ? "" : "    name: " + tg_.name + ",\n";
    Fail(name + "    alertname: " + at->alertname + ", time: " + model::FormatDuration(t) +
         ", \n        exp:" + IndentLines(AlertListString(exp_alerts), "            ") +
         ", \n        got:" + IndentLines(AlertListString(got_alerts), "            "));
  }
}

void GroupRunner::CheckExpr(const ExprTest& t) {
  const std::string head = "    expr: " + promql::GoQuote(t.expr) +
                           ", time: " + model::FormatDuration(t.eval_time);
  auto res = engine_->InstantQuery(&db_, t.expr, t.eval_time.count());
  if (!res.ok()) return Fail(head + ", err: " + std::string(res.status().message()));
  std::vector<ParsedSample> got;
  if (const auto* vec = std::get_if<promql::Vector>(&*res)) {
    for (const auto& s : *vec) got.push_back({ToList(s.metric), s.v});
  } else if (const auto* sc = std::get_if<promql::Scalar>(&*res)) {
    got.push_back({{}, sc->v});
  } else {
    return Fail(head + ", err: rule result is not a vector or scalar");
  }
  std::vector<ParsedSample> exp;
  for (const ExpSample& e : t.exp_samples) {
    // parser.ParseMetric: a metric name and/or a label set, no values.
    // An empty string is the empty label set (a scalar's result).
    if (e.labels.find_first_not_of(" \t\r\n") == std::string::npos) {
      exp.push_back({{}, e.value});
      continue;
    }
    auto desc = promql::promqltest::ParseSeriesDesc(e.labels);
    if (!desc.ok() || !desc->values.empty()) {
      // The PromQL parser words syntax errors as Prometheus does.
      auto sel = promql::ParseMetricSelector(e.labels);
      const std::string why = !sel.ok()    ? std::string(sel.status().message())
                              : desc.ok() ? "unexpected values after the labels"
                                          : std::string(desc.status().message());
      return Fail(head + ", err: labels " + promql::GoQuote(e.labels) + ": " + why);
    }
    exp.push_back({ToList(desc->labels), e.value});
  }
  auto by_labels = [](const ParsedSample& a, const ParsedSample& b) { return a.labels < b.labels; };
  std::stable_sort(exp.begin(), exp.end(), by_labels);
  std::stable_sort(got.begin(), got.end(), by_labels);
  bool equal = exp.size() == got.size();
  for (size_t i = 0; equal && i < exp.size(); ++i) {
    // Exact, as promtool's reflect.DeepEqual (NaN never equals).
    equal = exp[i].labels == got[i].labels && exp[i].value == got[i].value;
  }
  if (equal) return;
  Fail(head + ",\n        exp: " + SamplesString(exp) + "\n        got: " + SamplesString(got));
}

// Resolves rule_files against the test file's directory and expands globs.
std::vector<std::string> ResolveRuleFiles(const std::string& test_file,
                                          const std::vector<std::string>& patterns,
                                          std::vector<std::string>* warnings) {
  const std::filesystem::path dir = std::filesystem::path(test_file).parent_path();
  std::vector<std::string> out;
  for (const std::string& p : patterns) {
    std::string full = p;
    if (!p.empty() && std::filesystem::path(p).is_relative()) full = (dir / p).string();
    glob_t g{};
    const int rc = ::glob(full.c_str(), 0, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
    } else {
      warnings->push_back("no file match pattern " + full);
    }
    ::globfree(&g);
  }
  return out;
}

}  // namespace

RuleTestFileResult RunRuleTestFile(const std::string& path) {
  RuleTestFileResult result;
  auto text = ReadFile(path);
  if (!text.ok()) {
    result.failures.push_back(std::string(text.status().message()));
    return result;
  }
  auto file = FileParser(path).Parse(*text);
  if (!file.ok()) {
    result.failures.push_back(std::string(file.status().message()));
    return result;
  }
  file->rule_files = ResolveRuleFiles(path, file->rule_files, &result.warnings);
  const Millis eval_interval =
      file->evaluation_interval.count() > 0 ? file->evaluation_interval : Millis(60'000);
  std::set<std::string> seen;
  for (const std::string& g : file->group_eval_order) {
    if (!seen.insert(g).second) {
      result.failures.push_back("group name repeated in evaluation order: " + g);
      return result;
    }
  }
  for (const TestGroup& tg : file->tests) {
    GroupRunner(path, *file, tg, eval_interval, &result.failures).Run();
  }
  return result;
}

int RunRuleTests(const std::vector<std::string>& files, std::FILE* out, std::FILE* err) {
  bool failed = false;
  for (const std::string& f : files) {
    std::fprintf(out, "Unit Testing:  %s\n", f.c_str());
    std::fflush(out);
    RuleTestFileResult r = RunRuleTestFile(f);
    for (const auto& w : r.warnings) std::fprintf(err, "  WARNING: %s\n", w.c_str());
    if (r.ok()) {
      std::fputs("  SUCCESS\n", out);
    } else {
      failed = true;
      std::fputs("  FAILED:\n", err);
      // As promtool: each failure on `err`, a blank line on `out`.
      for (const auto& e : r.failures) {
        std::fprintf(err, "%s\n", e.c_str());
        std::fflush(err);
        std::fputs("\n", out);
      }
    }
    std::fputs("\n", out);
    std::fflush(out);
    std::fflush(err);
  }
  return failed ? 1 : 0;
}

int CheckRuleFiles(const std::vector<std::string>& files, std::FILE* out, std::FILE* err) {
  bool failed = false;
  for (const std::string& f : files) {
    std::fprintf(out, "Checking %s\n", f.c_str());
    std::fflush(out);
    auto text = ReadFile(f);
    auto groups = text.ok() ? rules::ParseRuleFile(*text, f)
                            : Result<std::vector<rules::GroupNode>>(text.status());
    if (!groups.ok()) {
      failed = true;
      std::fprintf(err, "  FAILED:\n%s\n\n", std::string(groups.status().message()).c_str());
      continue;
    }
    size_t n = 0;
    for (const auto& g : *groups) n += g.rules.size();
    std::fprintf(out, "  SUCCESS: %zu rules found\n\n", n);
  }
  return failed ? 1 : 0;
}

}  // namespace vigil::cli
