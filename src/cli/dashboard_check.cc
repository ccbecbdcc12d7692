// `vigil dashboards check`: validates Grafana dashboard JSON against the
// fields and types of Grafana's dashboard model (schema version 39), the
// layout (gridPos within 24 columns, no overlaps), unique panel ids and
// refIds, known panel types and units, and every target's PromQL with
// vigil's parser after template variables are substituted (cli/dashboards.h).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cli/dashboards.h"
#include "cli/dashboard_internal.h"
#include "base/status_macros.h"
#include "model/duration.h"
#include "model/labels.h"
#include "promql/ast.h"
#include "promql/functions.h"
#include "promql/parser.h"

namespace vigil::cli {

namespace {

using CJson = nlohmann::json;
using internal::IsUidChar;
using internal::kGridColumns;
using internal::kMaxUidLength;

const std::set<std::string, std::less<>>& PanelTypes() {
  static const auto* types = new std::set<std::string, std::less<>>{
      "alertlist", "annolist",       "barchart",       "bargauge",  "candlestick", "canvas",
      "dashlist",  "datagrid",       "flamegraph",     "gauge",     "geomap",      "heatmap",
      "histogram", "logs",           "news",           "nodeGraph", "piechart",    "row",
      "stat",      "state-timeline", "status-history", "table",     "text",        "timeseries",
      "traces",    "trend",          "xychart"};
  return *types;
}

// Angular panels Grafana 11 no longer loads.
const std::set<std::string, std::less<>>& RemovedPanelTypes() {
  static const auto* types = new std::set<std::string, std::less<>>{
      "graph", "singlestat", "table-old", "grafana-piechart-panel", "grafana-worldmap-panel"};
  return *types;
}

const std::set<std::string, std::less<>>& Units() {
  static const auto* units = new std::set<std::string, std::less<>>{
      // misc
      "none", "short", "percent", "percentunit", "humidity", "dB", "hex0x", "hex", "sci", "locale",
      "pixel", "string", "bool", "bool_yes_no", "bool_on_off",
      // data
      "bytes", "decbytes", "bits", "decbits", "kbytes", "mbytes", "gbytes", "tbytes", "pbytes",
      "deckbytes", "decmbytes", "decgbytes", "dectbytes", "decpbytes",
      // data rate
      "pps", "binBps", "Bps", "binbps", "bps", "KiBs", "Kibits", "KBs", "Kbits", "MiBs", "Mibits",
      "MBs", "Mbits", "GiBs", "Gibits", "GBs", "Gbits",
      // throughput
      "cps", "ops", "reqps", "rps", "wps", "iops", "eps", "mps", "recps", "rowsps", "cpm", "opm",
      "reqpm", "rpm", "wpm", "epm", "mpm", "recpm", "rowspm",
      // time
      "hertz", "ns", "µs", "ms", "s", "m", "h", "d", "dtdurationms", "dtdurations", "dthms",
      "dtdhms", "timeticks", "clockms", "clocks",
      // date
      "dateTimeAsIso", "dateTimeAsIsoNoDateIfToday", "dateTimeAsUS", "dateTimeAsUSNoDateIfToday",
      "dateTimeAsLocal", "dateTimeAsLocalNoDateIfToday", "dateTimeAsSystem", "dateTimeFromNow",
      // energy, temperature
      "watt", "kwatt", "megwatt", "gwatt", "mwatt", "watth", "kwatth", "joule", "volt", "kvolt",
      "mvolt", "amp", "kamp", "mamp", "celsius", "fahrenheit", "kelvin",
      // currency
      "currencyUSD", "currencyEUR", "currencyGBP", "currencyJPY"};
  return *units;
}

bool KnownUnit(std::string_view u) {
  for (std::string_view custom : {"suffix:", "prefix:", "si:", "count:", "currency:", "time:"}) {
    if (u.starts_with(custom)) return true;
  }
  return Units().count(u) != 0;
}

const std::set<std::string, std::less<>> kDashboardFields = {"__elements",
                                                             "__inputs",
                                                             "__requires",
                                                             "annotations",
                                                             "description",
                                                             "editable",
                                                             "fiscalYearStartMonth",
                                                             "gnetId",
                                                             "graphTooltip",
                                                             "id",
                                                             "links",
                                                             "liveNow",
                                                             "panels",
                                                             "preload",
                                                             "refresh",
                                                             "revision",
                                                             "schemaVersion",
                                                             "snapshot",
                                                             "style",
                                                             "tags",
                                                             "templating",
                                                             "time",
                                                             "timepicker",
                                                             "timezone",
                                                             "title",
                                                             "uid",
                                                             "version",
                                                             "weekStart"};

const std::set<std::string, std::less<>> kPanelFields = {"cacheTimeout",
                                                         "collapsed",
                                                         "datasource",
                                                         "description",
                                                         "fieldConfig",
                                                         "gridPos",
                                                         "hideTimeOverride",
                                                         "id",
                                                         "interval",
                                                         "libraryPanel",
                                                         "links",
                                                         "maxDataPoints",
                                                         "maxPerRow",
                                                         "options",
                                                         "panels",
                                                         "pluginVersion",
                                                         "queryCachingTTL",
                                                         "repeat",
                                                         "repeatDirection",
                                                         "repeatPanelId",
                                                         "tags",
                                                         "targets",
                                                         "thresholds",
                                                         "timeFrom",
                                                         "timeRegions",
                                                         "timeShift",
                                                         "title",
                                                         "transformations",
                                                         "transparent",
                                                         "type"};

const std::set<std::string, std::less<>> kFieldConfigFields = {
    "color",      "custom",     "decimals", "description", "displayName", "displayNameFromDS",
    "filterable", "links",      "mappings", "max",         "min",         "noValue",
    "path",       "thresholds", "unit",     "writeable",   "fieldMinMax"};

const std::set<std::string, std::less<>> kVariableTypes = {"query",      "adhoc",    "constant",
                                                           "datasource", "interval", "textbox",
                                                           "custom",     "system",   "groupby"};

// Grafana's built-in variables and the values they stand for when an
// expression is parsed.
const std::map<std::string, std::string, std::less<>>& BuiltinVariables() {
  static const auto* vars =
      new std::map<std::string, std::string, std::less<>>{{"__rate_interval", "1m"},
                                                          {"__interval", "1m"},
                                                          {"__interval_ms", "60000"},
                                                          {"__range", "1h"},
                                                          {"__range_s", "3600"},
                                                          {"__range_ms", "3600000"},
                                                          {"__from", "0"},
                                                          {"__to", "3600000"},
                                                          {"__dashboard", "x"},
                                                          {"__org", "1"},
                                                          {"__user", "x"},
                                                          {"__rate_interval_ms", "60000"}};
  return *vars;
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

std::string TypeName(const CJson& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

class Checker {
 public:
  std::vector<std::string> Run(std::string_view text) {
    CJson d;
    // nlohmann::json throws on malformed input; this adapter turns it into
    // a problem (STYLE.md 1.5.4 a).
    try {
      d = CJson::parse(text);
    } catch (const CJson::exception& e) {
      problems_.push_back(std::string("not valid JSON: ") + e.what());
      return problems_;
    }
    if (!d.is_object()) {
      problems_.push_back("the dashboard must be a JSON object, not " + TypeName(d));
      return problems_;
    }
    CheckDashboardFields(d);
    CollectVariables(d);
    CheckVariables(d);
    CheckAnnotations(d);
    if (const CJson* panels = Find(d, "panels"); panels != nullptr && panels->is_array()) {
      std::vector<Placed> placed;
      for (size_t i = 0; i < panels->size(); ++i) CheckPanel((*panels)[i], i, false, &placed);
      CheckOverlaps(placed);
    }
    return problems_;
  }

 private:
  struct Placed {
    std::string where;
    int x, y, w, h;
  };

  void Problem(const std::string& where, const std::string& what) {
    problems_.push_back(where + ": " + what);
  }

  static const CJson* Find(const CJson& obj, std::string_view key) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
  }

  // Type checks of obj[key]; absent is a problem only when required.
  const CJson* String(const CJson& obj, std::string_view key, const std::string& where,
                      bool required, bool non_empty = false) {
    const CJson* v = Find(obj, key);
    if (v == nullptr) {
      if (required) Problem(where, std::string(key) + ": missing");
      return nullptr;
    }
    if (!v->is_string()) {
      Problem(where, std::string(key) + ": must be a string, not " + TypeName(*v));
      return nullptr;
    }
    if (non_empty && v->get_ref<const std::string&>().empty()) {
      Problem(where, std::string(key) + ": must not be empty");
    }
    return v;
  }

  void Bool(const CJson& obj, std::string_view key, const std::string& where) {
    const CJson* v = Find(obj, key);
    if (v != nullptr && !v->is_boolean()) {
      Problem(where, std::string(key) + ": must be a boolean, not " + TypeName(*v));
    }
  }

  // An integer in [min, max]; returns it when valid.
  std::optional<int64_t> Int(const CJson& obj, std::string_view key, const std::string& where,
                             bool required, int64_t min, int64_t max) {
    const CJson* v = Find(obj, key);
    if (v == nullptr) {
      if (required) Problem(where, std::string(key) + ": missing");
      return std::nullopt;
    }
    if (!v->is_number_integer()) {
      Problem(where, std::string(key) + ": must be an integer, not " +
                         (v->is_number() ? std::string("a fraction") : TypeName(*v)));
      return std::nullopt;
    }
    const int64_t i =
        v->is_number_unsigned() && v->get<uint64_t>() > INT64_MAX ? INT64_MAX : v->get<int64_t>();
    if (i < min || i > max) {
      Problem(where, std::string(key) + ": " + std::to_string(i) + " is out of range [" +
                         std::to_string(min) + ", " + std::to_string(max) + "]");
      return std::nullopt;
    }
    return i;
  }

  void Number(const CJson& obj, std::string_view key, const std::string& where) {
    const CJson* v = Find(obj, key);
    if (v != nullptr && !v->is_number() && !v->is_null()) {
      Problem(where, std::string(key) + ": must be a number, not " + TypeName(*v));
    }
  }

  const CJson* Object(const CJson& obj, std::string_view key, const std::string& where,
                      bool required) {
    return Typed(obj, key, where, required, &CJson::is_object, "an object");
  }

  const CJson* Array(const CJson& obj, std::string_view key, const std::string& where,
                     bool required) {
    return Typed(obj, key, where, required, &CJson::is_array, "an array");
  }

  // The field `key` when present and of the kind `is` accepts; a problem
  // (and null) when it is of another kind, or missing but required.
  const CJson* Typed(const CJson& obj, std::string_view key, const std::string& where,
                     bool required, bool (CJson::*is)() const noexcept, const char* kind) {
    const CJson* v = Find(obj, key);
    if (v == nullptr) {
      if (required) Problem(where, std::string(key) + ": missing");
      return nullptr;
    }
    if (!(v->*is)()) {
      Problem(where, std::string(key) + ": must be " + kind + ", not " + TypeName(*v));
      return nullptr;
    }
    return v;
  }

  void StringArray(const CJson& obj, std::string_view key, const std::string& where) {
    const CJson* a = Array(obj, key, where, false);
    if (a == nullptr) return;
    for (size_t i = 0; i < a->size(); ++i) {
      if (!(*a)[i].is_string()) {
        Problem(where, std::string(key) + "[" + std::to_string(i) + "]: must be a string, not " +
                           TypeName((*a)[i]));
      }
    }
  }

  void KnownFields(const CJson& obj, const std::set<std::string, std::less<>>& known,
                   const std::string& where, std::string_view prefix = {}) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      if (known.count(it.key()) == 0) {
        Problem(where, std::string(prefix) + it.key() + ": unknown field");
      }
    }
  }

  void CheckDashboardFields(const CJson& d) {
    const std::string where = "dashboard";
    KnownFields(d, kDashboardFields, where);
    String(d, "title", where, true, true);
    if (const CJson* uid = String(d, "uid", where, true, true); uid != nullptr) {
      const auto& s = uid->get_ref<const std::string&>();
      if (s.size() > kMaxUidLength || !std::all_of(s.begin(), s.end(), IsUidChar)) {
        Problem(where, "uid: \"" + s + "\" is not a Grafana UID (at most 40 of a-z A-Z 0-9 - _)");
      }
    }
    if (const CJson* id = Find(d, "id");
        id != nullptr && !id->is_null() && !id->is_number_integer()) {
      Problem(where, "id: must be null or an integer, not " + TypeName(*id));
    }
    Int(d, "schemaVersion", where, true, 36, 65535);
    Int(d, "version", where, false, 0, UINT32_MAX);
    String(d, "description", where, false);
    StringArray(d, "tags", where);
    String(d, "timezone", where, false);
    Bool(d, "editable", where);
    Bool(d, "liveNow", where);
    Int(d, "graphTooltip", where, false, 0, 2);
    Int(d, "fiscalYearStartMonth", where, false, 0, 11);
    String(d, "weekStart", where, false);
    if (const CJson* time = Object(d, "time", where, false); time != nullptr) {
      String(*time, "from", where + ": time", true, true);
      String(*time, "to", where + ": time", true, true);
    }
    Object(d, "timepicker", where, false);
    if (const CJson* refresh = Find(d, "refresh"); refresh != nullptr) {
      if (refresh->is_boolean()) {
        if (refresh->get<bool>()) Problem(where, "refresh: may be false or a duration, not true");
      } else if (!refresh->is_string()) {
        Problem(where, "refresh: must be a string or false, not " + TypeName(*refresh));
      } else if (const auto& r = refresh->get_ref<const std::string&>();
                 !r.empty() && !promql::ParseDurationMs(r).ok()) {
        Problem(where, "refresh: \"" + r + "\" is not a duration");
      }
    }
    Array(d, "panels", where, true);
    if (const CJson* t = Object(d, "templating", where, false); t != nullptr) {
      Array(*t, "list", where + ": templating", false);
    }
    if (const CJson* a = Object(d, "annotations", where, false); a != nullptr) {
      Array(*a, "list", where + ": annotations", false);
    }
    if (const CJson* links = Array(d, "links", where, false); links != nullptr) {
      for (size_t i = 0; i < links->size(); ++i) {
        const CJson& l = (*links)[i];
        const std::string lw = "links[" + std::to_string(i) + "]";
        if (!l.is_object()) {
          Problem(lw, "must be an object, not " + TypeName(l));
          continue;
        }
        String(l, "title", lw, true);
        if (const CJson* type = String(l, "type", lw, true);
            type != nullptr && *type != "link" && *type != "dashboards") {
          Problem(lw, "type: must be \"link\" or \"dashboards\"");
        }
        StringArray(l, "tags", lw);
        for (const char* b : {"asDropdown", "targetBlank", "includeVars", "keepTime"}) {
          Bool(l, b, lw);
        }
        String(l, "url", lw, false);
        String(l, "icon", lw, false);
        String(l, "tooltip", lw, false);
      }
    }
  }

  static const CJson* VariableList(const CJson& d) {
    const CJson* t = Find(d, "templating");
    const CJson* list = t == nullptr ? nullptr : Find(*t, "list");
    return list != nullptr && list->is_array() ? list : nullptr;
  }

  // The values variables stand for while expressions are parsed.
  void CollectVariables(const CJson& d) {
    const CJson* list = VariableList(d);
    if (list == nullptr) return;
    for (const CJson& v : *list) {
      const CJson* name = Find(v, "name");
      const CJson* type = Find(v, "type");
      if (name == nullptr || !name->is_string() || type == nullptr || !type->is_string()) continue;
      const std::string& t = type->get_ref<const std::string&>();
      std::string value = "x";
      const CJson* q = Find(v, "query");
      const std::string query = q != nullptr && q->is_string() ? q->get<std::string>() : "";
      if (t == "interval" || t == "custom") {
        value = query.substr(0, query.find(','));
        if (t == "interval" && value.empty()) value = "1m";
        if (value.empty()) value = "x";
      } else if (t == "constant" || t == "textbox") {
        if (!query.empty()) value = query;
      } else if (t == "datasource") {
        datasource_variables_.insert(name->get<std::string>());
      }
      variables_[name->get<std::string>()] = value;
    }
  }

  // `text` with every template variable replaced; an error names an
  // undefined one.
  Result<std::string> Interpolate(std::string_view text) const {
    std::string out;
    auto lookup = [&](std::string_view name) -> Result<std::string> {
      if (auto it = variables_.find(name); it != variables_.end()) return it->second;
      if (auto it = BuiltinVariables().find(name); it != BuiltinVariables().end()) {
        return it->second;
      }
      return InvalidArgumentError("undefined template variable $" + std::string(name));
    };
    for (size_t i = 0; i < text.size();) {
      if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
        const size_t close = text.find('}', i);
        if (close == std::string_view::npos) {
          return InvalidArgumentError("unterminated ${ at byte " + std::to_string(i));
        }
        std::string_view inner = text.substr(i + 2, close - i - 2);
        const std::string_view name = inner.substr(0, inner.find_first_of(":."));
        VIGIL_ASSIGN_OR_RETURN(std::string value, lookup(name));
        out += value;
        i = close + 1;
      } else if (text[i] == '$') {
        size_t j = i + 1;
        while (j < text.size() && IsWordChar(text[j])) ++j;
        const std::string_view name = text.substr(i + 1, j - i - 1);
        if (name.empty() || std::all_of(name.begin(), name.end(), [](char c) {
              return std::isdigit(static_cast<unsigned char>(c)) != 0;
            })) {
          out += text.substr(i, j - i);  // "$" alone, or a regex group ($1)
        } else {
          VIGIL_ASSIGN_OR_RETURN(std::string value, lookup(name));
          out += value;
        }
        i = j;
      } else if (text.substr(i, 2) == "[[") {
        const size_t close = text.find("]]", i);
        std::string_view inner =
            close == std::string_view::npos ? "" : text.substr(i + 2, close - i - 2);
        const std::string_view name = inner.substr(0, inner.find(':'));
        if (close == std::string_view::npos || name.empty() ||
            !std::all_of(name.begin(), name.end(), IsWordChar)) {
          out += "[[";  // not a variable: PromQL will judge it
          i += 2;
          continue;
        }
        VIGIL_ASSIGN_OR_RETURN(std::string value, lookup(name));
        out += value;
        i = close + 2;
      } else {
        out += text[i++];
      }
    }
    return out;
  }

  // Checks one PromQL expression of a panel target or an annotation.
  void CheckExpr(std::string_view expr, const std::string& where, bool heatmap_buckets) {
    Result<std::string> text = Interpolate(expr);
    if (!text.ok()) {
      Problem(where, std::string(text.status().message()));
      return;
    }
    Result<promql::ExprPtr> parsed = promql::ParseExpr(*text);
    if (!parsed.ok()) {
      Problem(where, std::string(parsed.status().message()) + " (in `" + *text + "`)");
      return;
    }
    const promql::Expr& e = **parsed;
    const promql::ValueType t = e.type();
    if (t != promql::ValueType::kVector && t != promql::ValueType::kScalar) {
      Problem(where, "gives a " + std::string(promql::ValueTypeName(t)) +
                         ", not an instant vector or scalar");
    }
    CheckHistogramQuantiles(e, where);
    if (heatmap_buckets) {
      const promql::Expr* top = Unparen(&e);
      bool by_le = false;
      if (top->kind == promql::ExprKind::kAggregate) {
        const auto& agg = static_cast<const promql::AggregateExpr&>(*top);
        by_le = !agg.without && std::count(agg.grouping.begin(), agg.grouping.end(), "le") > 0;
      }
      if (!ReadsBuckets(e) || !by_le) {
        Problem(where,
                "a heat map of buckets (format heatmap) needs _bucket series "
                "aggregated by (le)");
      }
    }
  }

  static const promql::Expr* Unparen(const promql::Expr* e) {
    while (e->kind == promql::ExprKind::kParen) {
      e = static_cast<const promql::ParenExpr*>(e)->expr.get();
    }
    return e;
  }

  // Calls f on e and every expression below it.
  template <typename F>
  static void Walk(const promql::Expr& e, const F& f) {
    f(e);
    using promql::ExprKind;
    switch (e.kind) {
      case ExprKind::kMatrixSelector:
        Walk(*static_cast<const promql::MatrixSelector&>(e).vector_selector, f);
        break;
      case ExprKind::kSubquery:
        Walk(*static_cast<const promql::SubqueryExpr&>(e).expr, f);
        break;
      case ExprKind::kParen:
        Walk(*static_cast<const promql::ParenExpr&>(e).expr, f);
        break;
      case ExprKind::kUnary:
        Walk(*static_cast<const promql::UnaryExpr&>(e).expr, f);
        break;
      case ExprKind::kBinary: {
        const auto& b = static_cast<const promql::BinaryExpr&>(e);
        Walk(*b.lhs, f);
        Walk(*b.rhs, f);
        break;
      }
      case ExprKind::kCall:
        for (const auto& a : static_cast<const promql::Call&>(e).args) Walk(*a, f);
        break;
      case ExprKind::kAggregate: {
        const auto& a = static_cast<const promql::AggregateExpr&>(e);
        if (a.param) Walk(*a.param, f);
        Walk(*a.expr, f);
        break;
      }
      default:
        break;
    }
  }

  static bool ReadsBuckets(const promql::Expr& e) {
    bool found = false;
    Walk(e, [&](const promql::Expr& x) {
      if (x.kind != promql::ExprKind::kVectorSelector) return;
      for (const model::Matcher& m : static_cast<const promql::VectorSelector&>(x).matchers) {
        if (m.name() == "__name__" && m.value().find("_bucket") != std::string::npos) found = true;
      }
    });
    return found;
  }

  // histogram_quantile(q, v): v must read _bucket series and, when it
  // aggregates, keep le.
  void CheckHistogramQuantiles(const promql::Expr& e, const std::string& where) {
    Walk(e, [&](const promql::Expr& x) {
      if (x.kind != promql::ExprKind::kCall) return;
      const auto& call = static_cast<const promql::Call&>(x);
      if (call.func == nullptr || call.func->name != "histogram_quantile" ||
          call.args.size() != 2) {
        return;
      }
      const promql::Expr* v = Unparen(call.args[1].get());
      if (!ReadsBuckets(*v)) {
        Problem(where, "histogram_quantile() reads no _bucket series");
      }
      if (v->kind == promql::ExprKind::kAggregate) {
        const auto& agg = static_cast<const promql::AggregateExpr&>(*v);
        const bool has_le = std::count(agg.grouping.begin(), agg.grouping.end(), "le") > 0;
        if (agg.without == has_le) {
          Problem(where,
                  "histogram_quantile() over an aggregation that drops the le label "
                  "(aggregate by (le, ...))");
        }
      }
    });
  }

  // A data source reference: {type, uid} strings; a uid naming a variable
  // must name a datasource variable.
  void CheckDatasource(const CJson& parent, const std::string& where) {
    const CJson* ds = Find(parent, "datasource");
    if (ds == nullptr || ds->is_null()) return;
    if (ds->is_string()) {
      Problem(where,
              "datasource: a data source name string is the pre-8.3 form; use "
              "{\"type\", \"uid\"}");
      return;
    }
    if (!ds->is_object()) {
      Problem(where, "datasource: must be an object, not " + TypeName(*ds));
      return;
    }
    String(*ds, "type", where + ": datasource", false);
    if (const CJson* uid = String(*ds, "uid", where + ": datasource", false); uid != nullptr) {
      const auto& u = uid->get_ref<const std::string&>();
      if (u.starts_with("$")) {
        std::string name =
            u.starts_with("${") ? u.substr(2, u.find_first_of(":}") - 2) : u.substr(1);
        if (datasource_variables_.count(name) == 0) {
          Problem(where, "datasource.uid: \"" + u + "\" names no datasource variable");
        }
      }
    }
  }

  void CheckThresholds(const CJson& t, const std::string& where) {
    if (!t.is_object()) {
      Problem(where, "must be an object, not " + TypeName(t));
      return;
    }
    if (const CJson* mode = String(t, "mode", where, true);
        mode != nullptr && *mode != "absolute" && *mode != "percentage") {
      Problem(where, "mode: must be \"absolute\" or \"percentage\"");
    }
    const CJson* steps = Array(t, "steps", where, true);
    if (steps == nullptr) return;
    std::optional<double> last;
    for (size_t i = 0; i < steps->size(); ++i) {
      const CJson& s = (*steps)[i];
      const std::string sw = where + ".steps[" + std::to_string(i) + "]";
      if (!s.is_object()) {
        Problem(sw, "must be an object, not " + TypeName(s));
        continue;
      }
      String(s, "color", sw, true, true);
      const CJson* v = Find(s, "value");
      if (i == 0) {
        if (v != nullptr && !v->is_null()) Problem(sw, "value: the first step's must be null");
        continue;
      }
      if (v == nullptr || !v->is_number()) {
        Problem(sw, "value: must be a number");
        continue;
      }
      const double x = v->get<double>();
      if (last.has_value() && x < *last) Problem(sw, "value: steps must be sorted by value");
      last = x;
    }
  }

  void CheckUnit(const CJson& v, const std::string& where) {
    if (!v.is_string()) {
      Problem(where, "must be a string, not " + TypeName(v));
    } else if (!KnownUnit(v.get_ref<const std::string&>())) {
      Problem(where, "\"" + v.get<std::string>() + "\" is not a Grafana unit");
    }
  }

  void CheckFieldConfig(const CJson& p, const std::string& where) {
    const CJson* fc = Object(p, "fieldConfig", where, true);
    if (fc == nullptr) return;
    const std::string fw = where + ": fieldConfig";
    KnownFields(*fc, {"defaults", "overrides"}, fw, "");
    if (const CJson* defaults = Object(*fc, "defaults", fw, true); defaults != nullptr) {
      const std::string dw = where + ": fieldConfig.defaults";
      KnownFields(*defaults, kFieldConfigFields, dw);
      if (const CJson* unit = Find(*defaults, "unit"); unit != nullptr) {
        CheckUnit(*unit, dw + ".unit");
      }
      for (const char* n : {"min", "max", "decimals"}) Number(*defaults, n, dw);
      for (const char* s : {"displayName", "noValue", "description"})
        String(*defaults, s, dw, false);
      if (const CJson* t = Find(*defaults, "thresholds"); t != nullptr) {
        CheckThresholds(*t, dw + ".thresholds");
      }
      if (const CJson* color = Object(*defaults, "color", dw, false); color != nullptr) {
        String(*color, "mode", dw + ".color", true, true);
      }
      Object(*defaults, "custom", dw, false);
      if (const CJson* mappings = Array(*defaults, "mappings", dw, false); mappings != nullptr) {
        for (size_t i = 0; i < mappings->size(); ++i) {
          const CJson& m = (*mappings)[i];
          const std::string mw = dw + ".mappings[" + std::to_string(i) + "]";
          if (const CJson* type = String(m, "type", mw, true);
              type != nullptr && *type != "value" && *type != "range" && *type != "regex" &&
              *type != "special") {
            Problem(mw, "type: must be value, range, regex or special");
          }
          Object(m, "options", mw, true);
        }
      }
    }
    if (const CJson* overrides = Array(*fc, "overrides", fw, true); overrides != nullptr) {
      for (size_t i = 0; i < overrides->size(); ++i) {
        const CJson& o = (*overrides)[i];
        const std::string ow = where + ": fieldConfig.overrides[" + std::to_string(i) + "]";
        if (!o.is_object()) {
          Problem(ow, "must be an object, not " + TypeName(o));
          continue;
        }
        if (const CJson* matcher = Object(o, "matcher", ow, true); matcher != nullptr) {
          String(*matcher, "id", ow + ".matcher", true, true);
        }
        const CJson* props = Array(o, "properties", ow, true);
        if (props == nullptr) continue;
        for (size_t j = 0; j < props->size(); ++j) {
          const CJson& prop = (*props)[j];
          const std::string pw = ow + ".properties[" + std::to_string(j) + "]";
          const CJson* id = String(prop, "id", pw, true, true);
          if (id == nullptr) continue;
          const CJson* value = Find(prop, "value");
          if (value == nullptr) continue;
          if (*id == "unit") CheckUnit(*value, pw + ".value");
          if (*id == "thresholds") CheckThresholds(*value, pw + ".value");
          if ((*id == "min" || *id == "max" || *id == "decimals") && !value->is_number()) {
            Problem(pw, "value: must be a number, not " + TypeName(*value));
          }
        }
      }
    }
  }

  void CheckTargets(const CJson& p, const std::string& where, bool heatmap_buckets) {
    const CJson* targets = Array(p, "targets", where, true);
    if (targets == nullptr) return;
    if (targets->empty()) Problem(where, "targets: a panel with no queries shows nothing");
    std::set<std::string> refs;
    for (size_t i = 0; i < targets->size(); ++i) {
      const CJson& t = (*targets)[i];
      const std::string tw = where + ": targets[" + std::to_string(i) + "]";
      if (!t.is_object()) {
        Problem(tw, "must be an object, not " + TypeName(t));
        continue;
      }
      if (const CJson* ref = String(t, "refId", tw, true, true); ref != nullptr) {
        if (!refs.insert(ref->get<std::string>()).second) {
          Problem(tw, "refId: \"" + ref->get<std::string>() + "\" is used twice in the panel");
        }
      }
      CheckDatasource(t, tw);
      String(t, "legendFormat", tw, false);
      String(t, "interval", tw, false);
      String(t, "editorMode", tw, false);
      for (const char* b : {"instant", "range", "hide", "exemplar"}) Bool(t, b, tw);
      const CJson* format = String(t, "format", tw, false);
      if (format != nullptr && *format != "time_series" && *format != "table" &&
          *format != "heatmap") {
        Problem(tw, "format: must be time_series, table or heatmap");
      }
      const CJson* expr = String(t, "expr", tw, true, true);
      if (expr == nullptr || expr->get_ref<const std::string&>().empty()) continue;
      const CJson* hide = Find(t, "hide");
      if (hide != nullptr && hide->is_boolean() && hide->get<bool>()) continue;
      const bool buckets = heatmap_buckets && format != nullptr && *format == "heatmap";
      if (heatmap_buckets && !buckets) {
        Problem(tw,
                "format: a heat map that does not calculate its buckets needs format "
                "\"heatmap\"");
      }
      CheckExpr(expr->get_ref<const std::string&>(), tw + ".expr", buckets);
    }
  }

  // `index` is the position in the enclosing panels array.
  void CheckPanel(const CJson& p, size_t index, bool nested, std::vector<Placed>* placed) {
    std::string where =
        (nested ? "row panel " : "panels[") + std::to_string(index) + (nested ? "" : "]");
    if (!p.is_object()) {
      Problem(where, "must be an object, not " + TypeName(p));
      return;
    }
    std::optional<int64_t> id = Int(p, "id", where, true, 0, UINT32_MAX);
    const CJson* title = Find(p, "title");
    if (id.has_value()) {
      where = "panel " + std::to_string(*id);
      if (title != nullptr && title->is_string()) where += " \"" + title->get<std::string>() + "\"";
      if (!ids_.insert(*id).second) Problem(where, "id: used by another panel");
    }
    KnownFields(p, kPanelFields, where);
    String(p, "title", where, false);
    String(p, "description", where, false);
    Bool(p, "transparent", where);
    String(p, "interval", where, false);
    Number(p, "maxDataPoints", where);
    const CJson* type = String(p, "type", where, true, true);
    std::string t = type == nullptr ? "" : type->get<std::string>();
    if (!t.empty() && RemovedPanelTypes().count(t) != 0) {
      Problem(where, "type: \"" + t +
                         "\" is a deprecated Angular panel (Grafana 11 runs no Angular panels)");
    } else if (!t.empty() && PanelTypes().count(t) == 0) {
      Problem(where, "type: \"" + t + "\" is not a known Grafana panel type");
    }
    if (const CJson* repeat = String(p, "repeat", where, false);
        repeat != nullptr && variables_.count(repeat->get<std::string>()) == 0) {
      Problem(where, "repeat: no variable \"" + repeat->get<std::string>() + "\"");
    }

    if (const CJson* g = Object(p, "gridPos", where, true); g != nullptr) {
      const std::string gw = where + ": gridPos";
      auto h = Int(*g, "h", gw, true, 1, 1000);
      auto w = Int(*g, "w", gw, true, 1, kGridColumns);
      auto x = Int(*g, "x", gw, true, 0, kGridColumns - 1);
      auto y = Int(*g, "y", gw, true, 0, 1000000);
      if (h && w && x && y) {
        if (*x + *w > kGridColumns) {
          Problem(gw, "x + w = " + std::to_string(*x + *w) + " is wider than 24 columns");
        } else if (!nested) {
          placed->push_back({where, static_cast<int>(*x), static_cast<int>(*y),
                             static_cast<int>(*w), static_cast<int>(*h)});
        }
      }
    }
    CheckDatasource(p, where);

    if (t == "row") {
      Bool(p, "collapsed", where);
      const CJson* collapsed = Find(p, "collapsed");
      const bool is_collapsed =
          collapsed != nullptr && collapsed->is_boolean() && collapsed->get<bool>();
      if (const CJson* children = Array(p, "panels", where, false); children != nullptr) {
        if (!is_collapsed && !children->empty()) {
          Problem(where, "panels: an expanded row keeps its panels at the top level");
        }
        for (size_t i = 0; i < children->size(); ++i) {
          if (is_collapsed) CheckPanel((*children)[i], i, true, placed);
        }
      }
      if (Find(p, "targets") != nullptr) Problem(where, "targets: a row has no queries");
      return;
    }
    if (Find(p, "panels") != nullptr) Problem(where, "panels: only rows hold panels");
    if (Find(p, "collapsed") != nullptr) Problem(where, "collapsed: only rows collapse");
    const CJson* options = Object(p, "options", where, true);
    CheckFieldConfig(p, where);
    if (const CJson* tr = Array(p, "transformations", where, false); tr != nullptr) {
      for (size_t i = 0; i < tr->size(); ++i) {
        const std::string tw = where + ": transformations[" + std::to_string(i) + "]";
        String((*tr)[i], "id", tw, true, true);
        Object((*tr)[i], "options", tw, false);
        Bool((*tr)[i], "disabled", tw);
      }
    }
    if (options != nullptr && (t == "stat" || t == "gauge" || t == "bargauge")) {
      if (const CJson* reduce = Object(*options, "reduceOptions", where + ": options", true);
          reduce != nullptr) {
        StringArray(*reduce, "calcs", where + ": options.reduceOptions");
      }
    }
    if (t == "text") return;
    bool heatmap_buckets = false;
    if (t == "heatmap" && options != nullptr) {
      const CJson* calculate = Find(*options, "calculate");
      heatmap_buckets =
          calculate == nullptr || (calculate->is_boolean() && !calculate->get<bool>());
      Bool(*options, "calculate", where + ": options");
    }
    CheckTargets(p, where, heatmap_buckets);
  }

  void CheckOverlaps(const std::vector<Placed>& placed) {
    for (size_t i = 0; i < placed.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        const Placed& a = placed[i];
        const Placed& b = placed[j];
        if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) {
          Problem(a.where, "gridPos: overlaps " + b.where);
        }
      }
    }
  }

  // label_values([selector, ]label), label_names(), metrics(re),
  // query_result(expr): Grafana's Prometheus variable queries.
  void CheckVariableQuery(std::string_view q, const std::string& where) {
    auto args_of = [&](std::string_view fn) -> std::optional<std::string_view> {
      if (!q.starts_with(fn) || !q.ends_with(")")) return std::nullopt;
      std::string_view rest = q.substr(fn.size());
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      if (rest.empty() || rest.front() != '(') return std::nullopt;
      return rest.substr(1, rest.size() - 2);
    };
    if (auto args = args_of("label_values"); args.has_value()) {
      const size_t comma = args->rfind(',');
      std::string_view label = comma == std::string_view::npos ? *args : args->substr(comma + 1);
      while (!label.empty() && label.front() == ' ') label.remove_prefix(1);
      while (!label.empty() && label.back() == ' ') label.remove_suffix(1);
      if (!model::IsValidLabelName(label)) {
        Problem(where, "query: label_values(): \"" + std::string(label) + "\" is not a label name");
      }
      if (comma == std::string_view::npos) return;
      Result<std::string> selector = Interpolate(args->substr(0, comma));
      if (!selector.ok()) {
        Problem(where, "query: " + std::string(selector.status().message()));
        return;
      }
      if (Result<std::vector<model::Matcher>> m = promql::ParseMetricSelector(*selector); !m.ok()) {
        Problem(where, "query: label_values() selector: " + std::string(m.status().message()));
      }
      return;
    }
    if (auto args = args_of("query_result"); args.has_value()) {
      CheckExpr(*args, where + ": query: query_result()", false);
      return;
    }
    if (args_of("label_names").has_value() || args_of("metrics").has_value()) return;
    Problem(where,
            "query: not a Prometheus variable query (label_values, label_names, "
            "metrics, query_result)");
  }

  void CheckVariables(const CJson& d) {
    const CJson* list = VariableList(d);
    if (list == nullptr) return;
    std::set<std::string> names;
    for (size_t i = 0; i < list->size(); ++i) {
      const CJson& v = (*list)[i];
      std::string where = "templating.list[" + std::to_string(i) + "]";
      if (!v.is_object()) {
        Problem(where, "must be an object, not " + TypeName(v));
        continue;
      }
      if (const CJson* name = String(v, "name", where, true, true); name != nullptr) {
        const std::string& n = name->get_ref<const std::string&>();
        where += " \"" + n + "\"";
        if (!std::all_of(n.begin(), n.end(), IsWordChar) || n.starts_with("__")) {
          Problem(where, "name: must be letters, digits and _, not starting with __");
        }
        if (!names.insert(n).second) Problem(where, "name: used by another variable");
      }
      const CJson* type = String(v, "type", where, true);
      const std::string t = type == nullptr ? "" : type->get<std::string>();
      if (type != nullptr && kVariableTypes.count(t) == 0) {
        Problem(where, "type: \"" + t + "\" is not a variable type");
      }
      String(v, "label", where, false);
      String(v, "description", where, false);
      String(v, "regex", where, false);
      String(v, "definition", where, false);
      Int(v, "hide", where, false, 0, 2);
      Int(v, "sort", where, false, 0, 8);
      for (const char* b : {"multi", "includeAll", "skipUrlSync"}) Bool(v, b, where);
      if (const CJson* all = Find(v, "allValue");
          all != nullptr && !all->is_null() && !all->is_string()) {
        Problem(where, "allValue: must be a string or null, not " + TypeName(*all));
      }
      Array(v, "options", where, false);
      if (const CJson* current = Find(v, "current"); current != nullptr && !current->is_object()) {
        Problem(where, "current: must be an object, not " + TypeName(*current));
      }
      CheckDatasource(v, where);
      const CJson* query = Find(v, "query");
      if (query != nullptr && !query->is_string() && !query->is_object()) {
        Problem(where, "query: must be a string or an object, not " + TypeName(*query));
        continue;
      }
      if (t == "query") {
        Int(v, "refresh", where, false, 0, 2);
        std::string q;
        if (query != nullptr && query->is_string()) q = query->get<std::string>();
        if (query != nullptr && query->is_object()) {
          if (const CJson* inner = String(*query, "query", where + ": query", true);
              inner != nullptr) {
            q = inner->get<std::string>();
          }
        }
        if (q.empty()) {
          Problem(where, "query: a query variable needs a query");
        } else {
          CheckVariableQuery(q, where);
        }
      } else if (t == "datasource" || t == "custom" || t == "interval") {
        if (query == nullptr || !query->is_string() ||
            query->get_ref<const std::string&>().empty()) {
          Problem(where, "query: a " + t + " variable needs a non-empty string query");
        } else if (t == "interval") {
          std::string_view rest = query->get_ref<const std::string&>();
          while (!rest.empty()) {
            const size_t comma = rest.find(',');
            std::string_view item = rest.substr(0, comma);
            while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
            if (!promql::ParseDurationMs(item).ok()) {
              Problem(where, "query: \"" + std::string(item) + "\" is not a duration");
            }
            rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
          }
        }
      }
    }
  }

  void CheckAnnotations(const CJson& d) {
    const CJson* a = Find(d, "annotations");
    const CJson* list = a == nullptr ? nullptr : Find(*a, "list");
    if (list == nullptr || !list->is_array()) return;
    for (size_t i = 0; i < list->size(); ++i) {
      const CJson& an = (*list)[i];
      std::string where = "annotations.list[" + std::to_string(i) + "]";
      if (!an.is_object()) {
        Problem(where, "must be an object, not " + TypeName(an));
        continue;
      }
      if (const CJson* name = String(an, "name", where, true, true); name != nullptr) {
        where += " \"" + name->get<std::string>() + "\"";
      }
      for (const char* b : {"enable", "hide", "useValueForTime"}) Bool(an, b, where);
      String(an, "iconColor", where, true, true);
      CheckDatasource(an, where);
      if (const CJson* expr = String(an, "expr", where, false); expr != nullptr) {
        CheckExpr(expr->get_ref<const std::string&>(), where + ": expr", false);
      }
    }
  }

  std::vector<std::string> problems_;
  std::map<std::string, std::string, std::less<>> variables_;
  std::set<std::string> datasource_variables_;
  std::set<int64_t> ids_;
};

}  // namespace

std::vector<std::string> CheckDashboard(std::string_view json) { return Checker().Run(json); }

Status ValidateDashboard(std::string_view json) {
  const std::vector<std::string> problems = CheckDashboard(json);
  if (problems.empty()) return Status::OK();
  std::string msg;
  for (const std::string& p : problems) {
    if (!msg.empty()) msg += "\n";
    msg += p;
  }
  return InvalidArgumentError(msg);
}

}  // namespace vigil::cli
