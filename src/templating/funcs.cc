// Go's builtin template functions (text/template/funcs.go) and Prometheus'
// template functions (template/template.go), re-implemented.
#include "templating/funcs.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "model/duration.h"
#include "templating/go_fmt.h"
#include "templating/go_time.h"

namespace vigil::templating {
namespace internal {
namespace {

using Args = std::span<const Value>;

Status Error(std::string msg) { return InvalidArgumentError(msg); }

// ---------------------------------------------------------------- compare

enum class BasicKind { kInvalid, kBool, kInt, kFloat, kString };

BasicKind KindOf(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kBool:
      return BasicKind::kBool;
    case Value::Kind::kInt:
      return BasicKind::kInt;
    case Value::Kind::kFloat:
      return BasicKind::kFloat;
    case Value::Kind::kString:
      return BasicKind::kString;
    default:
      return BasicKind::kInvalid;
  }
}

bool Comparable(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kList:
    case Value::Kind::kMap:
      return false;
    case Value::Kind::kStruct:
      return std::all_of(
          v.entries().begin(), v.entries().end(),
          [](const Value::Entry& e) { return Comparable(e.second); });
    default:
      return true;
  }
}

bool DeepEqual(const Value& a, const Value& b) {
  if (a.kind() != b.kind() || a.type_name() != b.type_name()) return false;
  switch (a.kind()) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kBool:
    case Value::Kind::kInt:
    case Value::Kind::kTime:
      return a.int_value() == b.int_value();
    case Value::Kind::kFloat:
      return a.float_value() == b.float_value();
    case Value::Kind::kString:
      return a.string_value() == b.string_value();
    case Value::Kind::kStruct: {
      const auto ea = a.entries();
      const auto eb = b.entries();
      if (ea.size() != eb.size()) return false;
      for (size_t i = 0; i < ea.size(); ++i) {
        if (!DeepEqual(ea[i].second, eb[i].second)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

std::string TypeOf(const Value& v) { return std::string(v.type_name()); }

Result<bool> Eq(const Value& arg1, Args rest) {
  if (rest.empty()) return Error("missing argument for comparison");
  const BasicKind k1 = KindOf(arg1);
  for (const Value& arg : rest) {
    const BasicKind k2 = KindOf(arg);
    bool truth = false;
    if (k1 != k2) {
      if (!arg1.is_null() && !arg.is_null()) {
        return Error("incompatible types for comparison: " + TypeOf(arg1) +
                     " and " + TypeOf(arg));
      }
    } else {
      switch (k1) {
        case BasicKind::kBool:
          truth = arg1.bool_value() == arg.bool_value();
          break;
        case BasicKind::kInt:
          truth = arg1.int_value() == arg.int_value();
          break;
        case BasicKind::kFloat:
          truth = arg1.float_value() == arg.float_value();
          break;
        case BasicKind::kString:
          truth = arg1.string_value() == arg.string_value();
          break;
        case BasicKind::kInvalid:
          if (arg1.kind() != arg.kind() && !arg1.is_null() && !arg.is_null()) {
            return Error("non-comparable types " + FormatValue(arg1) + ": " +
                         TypeOf(arg1) + ", " + TypeOf(arg) + ": " +
                         FormatValue(arg));
          }
          if (arg1.is_null() || arg.is_null()) {
            truth = arg1.is_null() == arg.is_null();
          } else {
            if (!Comparable(arg)) {
              return Error("non-comparable type " + FormatValue(arg) + ": " +
                           TypeOf(arg));
            }
            truth = DeepEqual(arg1, arg);
          }
          break;
      }
    }
    if (truth) return true;
  }
  return false;
}

Result<bool> Lt(const Value& a, const Value& b) {
  const BasicKind k1 = KindOf(a);
  const BasicKind k2 = KindOf(b);
  if (k1 == BasicKind::kInvalid || k2 == BasicKind::kInvalid) {
    return Error("invalid type for comparison");
  }
  if (k1 != k2) {
    return Error("incompatible types for comparison: " + TypeOf(a) + " and " +
                 TypeOf(b));
  }
  switch (k1) {
    case BasicKind::kFloat:
      return a.float_value() < b.float_value();
    case BasicKind::kInt:
      return a.int_value() < b.int_value();
    case BasicKind::kString:
      return a.string_value() < b.string_value();
    default:
      return Error("invalid type for comparison");
  }
}

Result<bool> Le(const Value& a, const Value& b) {
  Result<bool> lt = Lt(a, b);
  if (!lt.ok() || *lt) return lt;
  const Value rest[] = {b};
  return Eq(a, rest);
}

Result<Value> BoolResult(Result<bool> r, bool negate) {
  if (!r.ok()) return r.status();
  return Value::Bool(*r != negate);
}

// ---------------------------------------------------------------- index

std::string Deref(std::string_view type) {
  if (!type.empty() && type[0] == '*') type.remove_prefix(1);
  return std::string(type);
}

Result<int64_t> IndexArg(const Value& index, size_t cap) {
  if (index.is_null()) return Error("cannot index slice/array with nil");
  if (index.kind() != Value::Kind::kInt) {
    return Error("cannot index slice/array with type " + TypeOf(index));
  }
  const int64_t x = index.int_value();
  if (x < 0 || static_cast<uint64_t>(x) > cap) {
    return Error("index out of range: " + std::to_string(x));
  }
  return x;
}

const TypeInfo& Uint8Type() {
  static const TypeInfo* const t = new TypeInfo{"uint8", {}};
  return *t;
}

Result<Value> Index(Args args, const ExecOptions&) {
  Value item = args[0];
  if (item.is_null()) return Error("index of untyped nil");
  for (const Value& index : args.subspan(1)) {
    if (item.is_null()) return Error("index of nil pointer");
    switch (item.kind()) {
      case Value::Kind::kList:
      case Value::Kind::kString: {
        const bool is_string = item.kind() == Value::Kind::kString;
        const size_t len =
            is_string ? item.string_value().size() : item.items().size();
        Result<int64_t> x = IndexArg(index, len);
        if (!x.ok()) return x.status();
        if (static_cast<size_t>(*x) == len) {
          return Error(is_string ? "reflect: string index out of range"
                                 : "reflect: slice index out of range");
        }
        if (is_string) {
          item = Value::Int(static_cast<uint8_t>(
                                item.string_value()[static_cast<size_t>(*x)]))
                     .WithType(&Uint8Type());
        } else {
          Value next = item.items()[static_cast<size_t>(*x)];
          item = std::move(next);
        }
        break;
      }
      case Value::Kind::kMap: {
        if (index.is_null()) {
          return Error("value is nil; should be of type string");
        }
        if (index.kind() != Value::Kind::kString) {
          return Error("value has type " + TypeOf(index) +
                       "; should be string");
        }
        const Value* v = item.Find(index.string_value());
        if (v != nullptr) {
          Value next = *v;
          item = std::move(next);
        } else {
          item = item.string_elems() ? Value::String("") : Value();
        }
        break;
      }
      default:
        return Error("can't index item of type " + Deref(item.type_name()));
    }
  }
  return item;
}

Result<Value> Slice(Args args, const ExecOptions&) {
  const Value& item = args[0];
  Args indexes = args.subspan(1);
  if (item.is_null()) return Error("slice of untyped nil");
  if (indexes.size() > 3) {
    return Error("too many slice indexes: " + std::to_string(indexes.size()));
  }
  size_t cap = 0;
  if (item.kind() == Value::Kind::kString) {
    if (indexes.size() == 3) return Error("cannot 3-index slice a string");
    cap = item.string_value().size();
  } else if (item.kind() == Value::Kind::kList) {
    cap = item.items().size();
  } else {
    return Error("can't slice item of type " + TypeOf(item));
  }
  int64_t idx[3] = {0, static_cast<int64_t>(cap), 0};
  for (size_t i = 0; i < indexes.size(); ++i) {
    Result<int64_t> x = IndexArg(indexes[i], cap);
    if (!x.ok()) return x.status();
    idx[i] = *x;
  }
  if (idx[0] > idx[1]) {
    return Error("invalid slice index: " + std::to_string(idx[0]) + " > " +
                 std::to_string(idx[1]));
  }
  if (indexes.size() == 3 && idx[1] > idx[2]) {
    return Error("invalid slice index: " + std::to_string(idx[1]) + " > " +
                 std::to_string(idx[2]));
  }
  const auto lo = static_cast<size_t>(idx[0]);
  const auto hi = static_cast<size_t>(idx[1]);
  if (item.kind() == Value::Kind::kString) {
    return Value::String(item.string_value().substr(lo, hi - lo))
        .WithType(item.type());
  }
  std::vector<Value> out(item.items().begin() + static_cast<ptrdiff_t>(lo),
                         item.items().begin() + static_cast<ptrdiff_t>(hi));
  return Value::List(std::move(out)).WithType(item.type());
}

Result<Value> Len(Args args, const ExecOptions&) {
  const Value& v = args[0];
  switch (v.kind()) {
    case Value::Kind::kNull:
      return Error("reflect: call of reflect.Value.Type on zero Value");
    case Value::Kind::kString:
      return Value::Int(static_cast<int64_t>(v.string_value().size()));
    case Value::Kind::kList:
    case Value::Kind::kMap:
      return Value::Int(static_cast<int64_t>(v.size()));
    default:
      return Error("len of type " + Deref(v.type_name()));
  }
}

// ---------------------------------------------------------------- escapers

// Go's evalArgs: the lone string argument, or fmt.Sprint of the arguments
// with nil printed as "<no value>".
std::string EvalArgs(Args args, size_t limit) {
  if (args.size() == 1 && args[0].kind() == Value::Kind::kString) {
    return args[0].string_value();
  }
  std::vector<Value> printable(args.begin(), args.end());
  for (Value& v : printable) {
    if (v.is_null()) v = Value::String("<no value>");
  }
  std::string out;
  Sprint(printable, limit, &out);
  return out;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\0':
        out.append("\xEF\xBF\xBD");
        break;
      case '"':
        out.append("&#34;");
        break;
      case '\'':
        out.append("&#39;");
        break;
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string JsEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  char buf[16];
  while (!s.empty()) {
    const auto c = static_cast<uint8_t>(s[0]);
    if (c < 0x80) {
      s.remove_prefix(1);
      switch (c) {
        case '\\':
          out.append("\\\\");
          break;
        case '\'':
          out.append("\\'");
          break;
        case '"':
          out.append("\\\"");
          break;
        case '<':
          out.append("\\u003C");
          break;
        case '>':
          out.append("\\u003E");
          break;
        case '&':
          out.append("\\u0026");
          break;
        case '=':
          out.append("\\u003D");
          break;
        default:
          if (c < ' ') {
            std::snprintf(buf, sizeof(buf), "\\u00%02X", c);
            out.append(buf);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      continue;
    }
    const DecodedRune d = DecodeRune(s);
    if (IsPrint(d.r)) {
      out.append(s.substr(0, static_cast<size_t>(d.width)));
    } else {
      std::snprintf(buf, sizeof(buf), "\\u%04X", static_cast<unsigned>(d.r));
      out.append(buf);
    }
    s.remove_prefix(static_cast<size_t>(d.width));
  }
  return out;
}

// url.QueryEscape.
std::string QueryEscape(std::string_view s) {
  std::string out;
  char buf[4];
  for (char ch : s) {
    const auto c = static_cast<uint8_t>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out.push_back(ch);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out.append(buf);
    }
  }
  return out;
}

FuncMap* MakeBuiltins() {
  auto* m = new FuncMap;
  const std::vector<std::string> any1 = {"reflect.Value"};
  const std::vector<std::string> any2 = {"reflect.Value", "reflect.Value"};
  // and/or are evaluated lazily by the executor; the impls are unused.
  const auto unreachable = [](Args, const ExecOptions&) -> Result<Value> {
    return InternalError("and/or are evaluated by the executor");
  };
  (*m)["and"] = Function{any2, true, unreachable};
  (*m)["or"] = Function{any2, true, unreachable};
  (*m)["not"] =
      Function{any1, false, [](Args a, const ExecOptions&) -> Result<Value> {
                 return Value::Bool(!IsTrue(a[0]));
               }};
  (*m)["len"] = Function{any1, false, Len};
  (*m)["index"] = Function{any2, true, Index};
  (*m)["slice"] = Function{any2, true, Slice};
  (*m)["print"] = Function{{"interface {}"},
                           true,
                           [](Args a, const ExecOptions& o) -> Result<Value> {
                             std::string s;
                             Sprint(a, o.max_output_bytes, &s);
                             return Value::String(std::move(s));
                           }};
  (*m)["println"] = Function{{"interface {}"},
                             true,
                             [](Args a, const ExecOptions& o) -> Result<Value> {
                               std::string s;
                               Sprintln(a, o.max_output_bytes, &s);
                               return Value::String(std::move(s));
                             }};
  (*m)["printf"] = Function{{"string", "interface {}"},
                            true,
                            [](Args a, const ExecOptions& o) -> Result<Value> {
                              std::string s;
                              Sprintf(a[0].string_value(), a.subspan(1),
                                      o.max_output_bytes, &s);
                              return Value::String(std::move(s));
                            }};
  (*m)["html"] = Function{
      {"interface {}"},
      true,
      [](Args a, const ExecOptions& o) -> Result<Value> {
        return Value::String(HtmlEscape(EvalArgs(a, o.max_output_bytes)));
      }};
  (*m)["js"] = Function{
      {"interface {}"},
      true,
      [](Args a, const ExecOptions& o) -> Result<Value> {
        return Value::String(JsEscape(EvalArgs(a, o.max_output_bytes)));
      }};
  (*m)["urlquery"] = Function{
      {"interface {}"},
      true,
      [](Args a, const ExecOptions& o) -> Result<Value> {
        return Value::String(QueryEscape(EvalArgs(a, o.max_output_bytes)));
      }};
  (*m)["eq"] =
      Function{any2, true, [](Args a, const ExecOptions&) -> Result<Value> {
                 return BoolResult(Eq(a[0], a.subspan(1)), false);
               }};
  (*m)["ne"] =
      Function{any2, false, [](Args a, const ExecOptions&) -> Result<Value> {
                 return BoolResult(Eq(a[0], a.subspan(1)), true);
               }};
  (*m)["lt"] =
      Function{any2, false, [](Args a, const ExecOptions&) -> Result<Value> {
                 return BoolResult(Lt(a[0], a[1]), false);
               }};
  (*m)["le"] =
      Function{any2, false, [](Args a, const ExecOptions&) -> Result<Value> {
                 return BoolResult(Le(a[0], a[1]), false);
               }};
  (*m)["gt"] =
      Function{any2, false, [](Args a, const ExecOptions&) -> Result<Value> {
                 return BoolResult(Le(a[0], a[1]), true);
               }};
  (*m)["ge"] =
      Function{any2, false, [](Args a, const ExecOptions&) -> Result<Value> {
                 return BoolResult(Lt(a[0], a[1]), true);
               }};
  return m;
}

}  // namespace

bool IsTrue(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return false;
    case Value::Kind::kBool:
      return v.bool_value();
    case Value::Kind::kInt:
      return v.int_value() != 0;
    case Value::Kind::kFloat:
      return v.float_value() != 0;
    case Value::Kind::kString:
      return !v.string_value().empty();
    case Value::Kind::kList:
    case Value::Kind::kMap:
      return v.size() > 0;
    case Value::Kind::kStruct:
    case Value::Kind::kTime:
      return true;
  }
  return false;
}

const FuncMap& Builtins() {
  static const FuncMap* const m = MakeBuiltins();
  return *m;
}

const TypeInfo& NilInterfaceType() {
  static const TypeInfo* const t = new TypeInfo{"interface {}", {}};
  return *t;
}

}  // namespace internal

// ---------------------------------------------------------------- Prometheus

namespace {

using Args = std::span<const Value>;
using internal::FormatFloat;

Status Error(std::string msg) { return InvalidArgumentError(msg); }

const TypeInfo& SampleType() {
  static const TypeInfo* const t = new TypeInfo{"*template.sample", {}};
  return *t;
}
const TypeInfo& QueryResultType() {
  static const TypeInfo* const t = new TypeInfo{"template.queryResult", {}};
  return *t;
}
const TypeInfo& HtmlType() {
  static const TypeInfo* const t = new TypeInfo{"template.HTML", {}};
  return *t;
}

// Prometheus' convertToFloat: float64, string, int, uint, int64, uint64.
Result<double> ConvertToFloat(const Value& v) {
  const std::string_view t = v.type_name();
  if (v.kind() == Value::Kind::kFloat && t == "float64") return v.float_value();
  if (v.kind() == Value::Kind::kString && t == "string") {
    return internal::ParseFloat(v.string_value());
  }
  if (v.kind() == Value::Kind::kInt &&
      (t == "int" || t == "int64" || t == "uint" || t == "uint64")) {
    return static_cast<double>(v.int_value());
  }
  return Error("can't convert " + std::string(t) + " to float");
}

std::string G4(double v) { return FormatFloat(v, 'g', 4); }

// Go's int64(f) on amd64: out-of-range conversions give MinInt64.
int64_t GoInt64(double f) {
  if (!(f > -9223372036854775808.0 && f < 9223372036854775808.0)) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(f);
}

Result<Value> Humanize(Args a, const ExecOptions&) {
  Result<double> r = ConvertToFloat(a[0]);
  if (!r.ok()) return r.status();
  double v = *r;
  if (v == 0 || std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  std::string prefix;
  if (std::fabs(v) >= 1) {
    for (const char* p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
      if (std::fabs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return Value::String(G4(v) + prefix);
}

Result<Value> Humanize1024(Args a, const ExecOptions&) {
  Result<double> r = ConvertToFloat(a[0]);
  if (!r.ok()) return r.status();
  double v = *r;
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) {
    return Value::String(G4(v));
  }
  std::string prefix;
  for (const char* p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return Value::String(G4(v) + prefix);
}

Result<Value> HumanizeDuration(Args a, const ExecOptions&) {
  Result<double> r = ConvertToFloat(a[0]);
  if (!r.ok()) return r.status();
  double v = *r;
  if (std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  if (v == 0) return Value::String(G4(v) + "s");
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    const int64_t duration = GoInt64(v);
    const int64_t seconds = duration % 60;
    const int64_t minutes = (duration / 60) % 60;
    const int64_t hours = (duration / 60 / 60) % 24;
    const int64_t days = duration / 60 / 60 / 24;
    const auto s = [](int64_t n) { return std::to_string(n); };
    if (days != 0) {
      return Value::String(sign + s(days) + "d " + s(hours) + "h " +
                           s(minutes) + "m " + s(seconds) + "s");
    }
    if (hours != 0) {
      return Value::String(sign + s(hours) + "h " + s(minutes) + "m " +
                           s(seconds) + "s");
    }
    if (minutes != 0) {
      return Value::String(sign + s(minutes) + "m " + s(seconds) + "s");
    }
    return Value::String(sign + G4(v) + "s");
  }
  std::string prefix;
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return Value::String(G4(v) + prefix + "s");
}

Result<Value> HumanizePercentage(Args a, const ExecOptions&) {
  Result<double> r = ConvertToFloat(a[0]);
  if (!r.ok()) return r.status();
  return Value::String(G4(*r * 100) + "%");
}

// Prometheus' floatToTime: seconds to a time truncated to milliseconds
// (model.TimeFromUnixNano).
Result<int64_t> FloatToTime(double v) {
  if (std::isnan(v) || std::isinf(v)) return Error("value is NaN or Inf");
  const double ns = v * 1e9;
  if (ns > 9223372036854775807.0 || ns < -9223372036854775808.0) {
    return Error(internal::FormatValue(Value::Float(v)) +
                 " cannot be represented as a nanoseconds timestamp since it "
                 "overflows int64");
  }
  const int64_t ms = GoInt64(ns) / 1000000;
  return ms * 1000000;
}

Result<Value> HumanizeTimestamp(Args a, const ExecOptions&) {
  Result<double> r = ConvertToFloat(a[0]);
  if (!r.ok()) return r.status();
  if (std::isnan(*r) || std::isinf(*r)) return Value::String(G4(*r));
  Result<int64_t> t = FloatToTime(*r);
  if (!t.ok()) return t.status();
  return Value::String(internal::TimeString(*t));
}

Result<Value> ToTime(Args a, const ExecOptions&) {
  Result<double> r = ConvertToFloat(a[0]);
  if (!r.ok()) return r.status();
  Result<int64_t> t = FloatToTime(*r);
  if (!t.ok()) return t.status();
  return Value::Time(*t);
}

Result<Value> ParseDurationFn(Args a, const ExecOptions&) {
  Result<std::chrono::milliseconds> d =
      model::ParseDuration(a[0].string_value());
  if (!d.ok()) return d.status();
  const int64_t ns = d->count() * 1000000;
  return Value::Float(static_cast<double>(ns) / 1e9);
}

// net.SplitHostPort's host, or the input when it does not split.
std::string StripPort(std::string_view hp) {
  const size_t i = hp.rfind(':');
  if (i == std::string_view::npos) return std::string(hp);
  std::string_view host;
  size_t j = 0;
  size_t k = 0;
  if (!hp.empty() && hp[0] == '[') {
    const size_t end = hp.find(']');
    if (end == std::string_view::npos) return std::string(hp);
    if (end + 1 != i) return std::string(hp);  // missing or extra port
    host = hp.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    host = hp.substr(0, i);
    if (host.find(':') != std::string_view::npos) return std::string(hp);
  }
  if (hp.substr(j).find('[') != std::string_view::npos) return std::string(hp);
  if (hp.substr(k).find(']') != std::string_view::npos) return std::string(hp);
  return std::string(host);
}

// url.Parse(url).Path: the path, percent-decoded.
std::string UrlPath(std::string_view url) {
  std::string_view rest = url;
  const size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    rest = url.substr(scheme + 3);
    const size_t slash = rest.find_first_of("/?#");
    rest = slash == std::string_view::npos ? std::string_view()
                                           : rest.substr(slash);
  }
  rest = rest.substr(0, rest.find_first_of("?#"));
  const auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '%' && i + 2 < rest.size()) {
      const int h = hex(rest[i + 1]);
      const int l = hex(rest[i + 2]);
      if (h >= 0 && l >= 0) {
        out.push_back(static_cast<char>(h * 16 + l));
        i += 2;
        continue;
      }
    }
    out.push_back(rest[i]);
  }
  return out;
}

// Go's regexp error texts for RE2's error codes.
std::string_view RegexpErrorText(RE2::ErrorCode code) {
  switch (code) {
    case RE2::ErrorBadEscape:
      return "invalid escape sequence";
    case RE2::ErrorBadCharClass:
      return "invalid character class";
    case RE2::ErrorBadCharRange:
      return "invalid character class range";
    case RE2::ErrorMissingBracket:
      return "missing closing ]";
    case RE2::ErrorMissingParen:
      return "missing closing )";
    case RE2::ErrorUnexpectedParen:
      return "unexpected )";
    case RE2::ErrorTrailingBackslash:
      return "trailing backslash at end of expression";
    case RE2::ErrorRepeatArgument:
      return "missing argument to repetition operator";
    case RE2::ErrorRepeatSize:
      return "invalid repeat count";
    case RE2::ErrorRepeatOp:
      return "invalid nested repetition operator";
    case RE2::ErrorBadPerlOp:
      return "invalid or unsupported Perl syntax";
    case RE2::ErrorBadUTF8:
      return "invalid UTF-8";
    case RE2::ErrorBadNamedCapture:
      return "invalid named capture";
    case RE2::ErrorPatternTooLarge:
      return "expression too large";
    default:
      return "regexp/syntax: internal error";
  }
}

// Compiles a Go regexp; the error reads as regexp.Compile's.
Result<std::unique_ptr<RE2>> Compile(std::string_view pattern) {
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_unique<RE2>(
      re2::StringPiece(pattern.data(), pattern.size()), opts);
  if (!re->ok()) {
    return Error("error parsing regexp: " +
                 std::string(RegexpErrorText(re->error_code())) + ": `" +
                 re->error_arg() + "`");
  }
  return re;
}

// Go's Regexp.ReplaceAllString with $-expansion of `repl`.
std::string ReplaceAll(const RE2& re, std::string_view src,
                       std::string_view repl, size_t limit) {
  const int ngroups = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> m(static_cast<size_t>(ngroups));
  const std::map<std::string, int>& names = re.NamedCapturingGroups();
  const re2::StringPiece text(src.data(), src.size());
  std::string out;
  size_t last_end = 0;
  size_t search = 0;
  while (search <= src.size() && out.size() <= limit) {
    if (!re.Match(text, search, src.size(), RE2::UNANCHORED, m.data(),
                  ngroups)) {
      break;
    }
    const auto a0 = static_cast<size_t>(m[0].data() - src.data());
    const size_t a1 = a0 + m[0].size();
    out.append(src.substr(last_end, a0 - last_end));
    if (a1 > last_end || a0 == 0) {
      // Expand $1, ${1}, $name, ${name}; $$ is a literal $.
      std::string_view t = repl;
      while (!t.empty()) {
        const size_t d = t.find('$');
        if (d == std::string_view::npos) break;
        out.append(t.substr(0, d));
        t.remove_prefix(d + 1);
        if (!t.empty() && t[0] == '$') {
          out.push_back('$');
          t.remove_prefix(1);
          continue;
        }
        bool brace = false;
        std::string_view s = t;
        if (!s.empty() && s[0] == '{') {
          brace = true;
          s.remove_prefix(1);
        }
        size_t i = 0;
        while (i < s.size()) {
          const internal::DecodedRune r = internal::DecodeRune(s.substr(i));
          if (!internal::IsLetter(r.r) && !internal::IsDigit(r.r) &&
              r.r != '_') {
            break;
          }
          i += static_cast<size_t>(r.width);
        }
        if (i == 0 || (brace && (i >= s.size() || s[i] != '}'))) {
          out.push_back('$');  // malformed: the $ is literal
          continue;
        }
        const std::string_view name = s.substr(0, i);
        t = s.substr(i + (brace ? 1 : 0));
        int num = 0;
        for (char c : name) {
          if (c < '0' || c > '9' || num >= 100000000) {
            num = -1;
            break;
          }
          num = num * 10 + (c - '0');
        }
        if (name[0] == '0' && name.size() > 1) num = -1;
        if (num < 0) {
          auto it = names.find(std::string(name));
          num = it == names.end() ? -1 : it->second;
        }
        if (num >= 0 && num < ngroups &&
            m[static_cast<size_t>(num)].data() != nullptr) {
          out.append(m[static_cast<size_t>(num)].data(),
                     m[static_cast<size_t>(num)].size());
        }
      }
      out.append(t);
    }
    last_end = a1;
    size_t width = 0;
    if (search < src.size()) {
      width =
          static_cast<size_t>(internal::DecodeRune(src.substr(search)).width);
    }
    if (search + width > a1) {
      search += width;
    } else if (search + 1 > a1) {
      ++search;
    } else {
      search = a1;
    }
  }
  out.append(src.substr(std::min(last_end, src.size())));
  return out;
}

std::string QuoteRegexp(std::string_view s) {
  if (internal::CanBackquote(s)) return "`" + std::string(s) + "`";
  return internal::Quote(s);
}

Value SampleValue(const QuerySample& s) {
  return Value::Struct(&SampleType(), {{"Labels", Value::StringMap(s.labels)},
                                       {"Value", Value::Float(s.value)}});
}

std::string SampleLabel(const Value& sample, std::string_view name) {
  const Value* labels = sample.Find("Labels");
  if (labels == nullptr) return "";
  const Value* v = labels->Find(name);
  return v != nullptr && v->kind() == Value::Kind::kString ? v->string_value()
                                                           : "";
}

FuncMap* MakePrometheusFuncs() {
  auto* m = new FuncMap;
  const std::string kSample = SampleType().name;
  const std::string kResult = QueryResultType().name;
  (*m)["query"] = Function{
      {"string"}, false, [](Args a, const ExecOptions& o) -> Result<Value> {
        if (!o.query) return FailedPreconditionError("no query function set");
        Result<std::vector<QuerySample>> r = o.query(a[0].string_value());
        if (!r.ok()) return r.status();
        std::vector<Value> items;
        items.reserve(r->size());
        for (const QuerySample& s : *r) items.push_back(SampleValue(s));
        return Value::List(std::move(items)).WithType(&QueryResultType());
      }};
  (*m)["first"] = Function{
      {kResult}, false, [](Args a, const ExecOptions&) -> Result<Value> {
        if (a[0].items().empty()) {
          return Error("first() called on vector with no elements");
        }
        return a[0].items()[0];
      }};
  (*m)["label"] =
      Function{{"string", kSample},
               false,
               [](Args a, const ExecOptions&) -> Result<Value> {
                 return Value::String(SampleLabel(a[1], a[0].string_value()));
               }};
  (*m)["value"] = Function{
      {kSample}, false, [](Args a, const ExecOptions&) -> Result<Value> {
        const Value* v = a[0].Find("Value");
        return v != nullptr ? *v : Value::Float(0);
      }};
  (*m)["strvalue"] = Function{
      {kSample}, false, [](Args a, const ExecOptions&) -> Result<Value> {
        return Value::String(SampleLabel(a[0], "__value__"));
      }};
  (*m)["args"] = Function{
      {"interface {}"}, true, [](Args a, const ExecOptions&) -> Result<Value> {
        std::vector<Value::Entry> entries;
        for (size_t i = 0; i < a.size(); ++i) {
          entries.emplace_back("arg" + std::to_string(i), a[i]);
        }
        return Value::Map(std::move(entries));
      }};
  (*m)["reReplaceAll"] = Function{
      {"string", "string", "string"},
      false,
      [](Args a, const ExecOptions& o) -> Result<Value> {
        Result<std::unique_ptr<RE2>> re = Compile(a[0].string_value());
        if (!re.ok()) {
          return Error("regexp: Compile(" + QuoteRegexp(a[0].string_value()) +
                       "): " + std::string(re.status().message()));
        }
        return Value::String(ReplaceAll(**re, a[2].string_value(),
                                        a[1].string_value(),
                                        o.max_output_bytes));
      }};
  (*m)["match"] = Function{{"string", "string"},
                           false,
                           [](Args a, const ExecOptions&) -> Result<Value> {
                             Result<std::unique_ptr<RE2>> re =
                                 Compile(a[0].string_value());
                             if (!re.ok()) return re.status();
                             const std::string& s = a[1].string_value();
                             return Value::Bool(RE2::PartialMatch(
                                 re2::StringPiece(s.data(), s.size()), **re));
                           }};
  (*m)["safeHtml"] = Function{
      {"string"}, false, [](Args a, const ExecOptions&) -> Result<Value> {
        return Value::String(a[0].string_value()).WithType(&HtmlType());
      }};
  const auto string_fn = [](std::string (*f)(std::string_view)) {
    return Function{
        {"string"}, false, [f](Args a, const ExecOptions&) -> Result<Value> {
          return Value::String(f(a[0].string_value()));
        }};
  };
  (*m)["title"] = string_fn(internal::Title);
  (*m)["toUpper"] = string_fn(internal::ToUpper);
  (*m)["toLower"] = string_fn(internal::ToLower);
  (*m)["stripPort"] = string_fn(StripPort);
  (*m)["graphLink"] = string_fn([](std::string_view e) {
    return "/graph?g0.expr=" + internal::QueryEscape(e) + "&g0.tab=0";
  });
  (*m)["tableLink"] = string_fn([](std::string_view e) {
    return "/graph?g0.expr=" + internal::QueryEscape(e) + "&g0.tab=1";
  });
  (*m)["sortByLabel"] = Function{
      {"string", kResult},
      false,
      [](Args a, const ExecOptions&) -> Result<Value> {
        const std::string& label = a[0].string_value();
        std::vector<Value> items(a[1].items().begin(), a[1].items().end());
        std::stable_sort(items.begin(), items.end(),
                         [&label](const Value& x, const Value& y) {
                           return SampleLabel(x, label) < SampleLabel(y, label);
                         });
        return Value::List(std::move(items)).WithType(a[1].type());
      }};
  (*m)["humanize"] = Function{{"interface {}"}, false, Humanize};
  (*m)["humanize1024"] = Function{{"interface {}"}, false, Humanize1024};
  (*m)["humanizeDuration"] =
      Function{{"interface {}"}, false, HumanizeDuration};
  (*m)["humanizePercentage"] =
      Function{{"interface {}"}, false, HumanizePercentage};
  (*m)["humanizeTimestamp"] =
      Function{{"interface {}"}, false, HumanizeTimestamp};
  (*m)["toTime"] = Function{{"interface {}"}, false, ToTime};
  (*m)["parseDuration"] = Function{{"string"}, false, ParseDurationFn};
  (*m)["pathPrefix"] =
      Function{{}, false, [](Args, const ExecOptions& o) -> Result<Value> {
                 return Value::String(UrlPath(o.external_url));
               }};
  (*m)["externalURL"] =
      Function{{}, false, [](Args, const ExecOptions& o) -> Result<Value> {
                 return Value::String(o.external_url);
               }};
  return m;
}

}  // namespace

std::shared_ptr<const FuncMap> PrometheusFuncs() {
  static const std::shared_ptr<const FuncMap> m(MakePrometheusFuncs());
  return m;
}

}  // namespace vigil::templating
