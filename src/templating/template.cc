// Template execution: a port of the walk/eval structure of Go's
// text/template/exec.go, so that values, errors and even the node an error
// is reported at match Go's.
#include "templating/template.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "base/status_macros.h"
#include "templating/funcs.h"
#include "templating/go_fmt.h"
#include "templating/parse.h"

namespace vigil::templating {
namespace {

using internal::Node;
using internal::NodeType;
using internal::Tree;
using Args = std::span<const std::unique_ptr<Node>>;

// Bound on the executor's recursion (walks into nested bodies, templates
// and parenthesised pipelines), so that no template overflows the stack:
// at the bound a debug build uses under 512 KiB of stack (about 1 MiB with
// ASan). Real templates nest a few dozen levels.
constexpr int kMaxExecNesting = 1000;

bool IsTypedNil(const Value& v) {
  return v.is_null() && v.type() == &internal::NilInterfaceType();
}

// A function or method with its signature.
struct Callable {
  const std::vector<std::string>* params;
  bool variadic;
  const Function* fn = nullptr;
  const Method* method = nullptr;
  const Value* receiver = nullptr;
};

// The state of one execution (Go's exec.go `state`): variables, output,
// counters. Not thread-safe: one per Execute call, over shared immutable
// trees.
class Executor {
 public:
  using Trees = std::map<std::string, std::shared_ptr<const Tree>, std::less<>>;

  Executor(const Trees& trees, const FuncMap& funcs, const ExecOptions& opts)
      : trees_(trees), funcs_(funcs), opts_(opts) {}

  Result<std::string> Run(const Tree* tree, const Value& dot) {
    tree_ = tree;
    vars_.push_back({"$", dot});
    Status s = Walk(dot, tree->root.get());
    if (!s.ok()) return s;
    return std::move(out_);
  }

 private:
  struct Var {
    std::string name;
    Value value;
  };
  enum class Flow { kNormal, kBreak, kContinue };

  // Go's state.errorf: "template: LOC: executing "NAME" at <NODE>: MSG".
  Status Errorf(std::string_view msg,
                StatusCode code = StatusCode::kInvalidArgument) {
    std::string text = "template: ";
    if (node_ == nullptr) {
      text += tree_->name;
      text += ": ";
    } else {
      const std::string& src = *tree_->text;
      const size_t pos = std::min(static_cast<size_t>(node_->pos), src.size());
      const size_t nl = src.rfind('\n', pos == 0 ? std::string::npos : pos - 1);
      const size_t col =
          (pos == 0 || nl == std::string::npos) ? pos : pos - (nl + 1);
      const auto line =
          1 + std::count(src.begin(), src.begin() + static_cast<ptrdiff_t>(pos),
                         '\n');
      text += tree_->parse_name + ":" + std::to_string(line) + ":" +
              std::to_string(col) + ": executing " +
              internal::Quote(tree_->name) + " at <" + node_->String() + ">: ";
    }
    text.append(msg);
    return Status(code, text);
  }

  void At(const Node* n) { node_ = n; }

  Status Step() {
    if (++steps_ > opts_.max_steps) {
      return Errorf(
          "execution exceeded " + std::to_string(opts_.max_steps) + " steps",
          StatusCode::kResourceExhausted);
    }
    return Status::OK();
  }

  // RAII guard on the recursion depth.
  class Nest {
   public:
    explicit Nest(Executor* e) : e_(e) { ++e_->nesting_; }
    ~Nest() { --e_->nesting_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;
    bool ok() const { return e_->nesting_ <= kMaxExecNesting; }

   private:
    Executor* e_;
  };
  Status NestingError() {
    return Errorf("exceeded maximum nesting depth (" +
                      std::to_string(kMaxExecNesting) + ")",
                  StatusCode::kResourceExhausted);
  }

  Status Write(std::string_view s) {
    if (out_.size() + s.size() > opts_.max_output_bytes) {
      return Errorf(
          "output exceeds " + std::to_string(opts_.max_output_bytes) + " bytes",
          StatusCode::kResourceExhausted);
    }
    out_.append(s);
    return Status::OK();
  }

  // ------------------------------------------------------------ variables

  Result<Value> VarValue(const std::string& name) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->name == name) return it->value;
    }
    return Errorf("undefined variable: " + name);
  }
  Status SetVar(const std::string& name, const Value& v) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->name == name) {
        it->value = v;
        return Status::OK();
      }
    }
    return Errorf("undefined variable: " + name);
  }
  void SetTopVar(size_t n, const Value& v) {
    vars_[vars_.size() - n].value = v;
  }

  // ------------------------------------------------------------ walk

  Status Walk(const Value& dot, const Node* node) {
    Nest nest(this);
    if (!nest.ok()) return NestingError();
    At(node);
    VIGIL_RETURN_IF_ERROR(Step());
    switch (node->type) {
      case NodeType::kAction: {
        Result<Value> v = EvalPipeline(dot, node->pipe.get());
        if (!v.ok()) return v.status();
        if (node->pipe->decls.empty()) return PrintValue(node, *v);
        return Status::OK();
      }
      case NodeType::kBreak:
        flow_ = Flow::kBreak;
        return Status::OK();
      case NodeType::kContinue:
        flow_ = Flow::kContinue;
        return Status::OK();
      case NodeType::kIf:
      case NodeType::kWith:
        return WalkIfOrWith(node->type, dot, *node);
      case NodeType::kList:
        for (const auto& n : node->nodes) {
          VIGIL_RETURN_IF_ERROR(Walk(dot, n.get()));
          if (flow_ != Flow::kNormal) break;
        }
        return Status::OK();
      case NodeType::kRange:
        return WalkRange(dot, *node);
      case NodeType::kTemplate:
        return WalkTemplate(dot, *node);
      case NodeType::kText:
        return Write(node->text);
      default:
        return Errorf("unknown node: " + node->String());
    }
  }

  Status WalkIfOrWith(NodeType type, const Value& dot, const Node& n) {
    const size_t mark = vars_.size();
    Result<Value> val = EvalPipeline(dot, n.pipe.get());
    if (!val.ok()) return val.status();
    Status s;
    if (internal::IsTrue(*val)) {
      s = Walk(type == NodeType::kWith ? *val : dot, n.list.get());
    } else if (n.else_list) {
      s = Walk(dot, n.else_list.get());
    }
    vars_.resize(mark);
    return s;
  }

  Status WalkRange(const Value& dot, const Node& r) {
    At(&r);
    const size_t outer = vars_.size();
    Result<Value> val = EvalPipeline(dot, r.pipe.get());
    if (!val.ok()) return val.status();
    const size_t mark = vars_.size();
    const auto& decls = r.pipe->decls;
    bool iterated = false;
    const auto one = [&](const Value& index, const Value& elem) -> Status {
      if (!decls.empty()) {
        if (r.pipe->is_assign) {
          VIGIL_RETURN_IF_ERROR(
              SetVar(decls[0]->idents[0], decls.size() > 1 ? index : elem));
        } else {
          SetTopVar(1, elem);
        }
      }
      if (decls.size() > 1) {
        if (r.pipe->is_assign) {
          VIGIL_RETURN_IF_ERROR(SetVar(decls[1]->idents[0], elem));
        } else {
          SetTopVar(2, index);
        }
      }
      Status s = Walk(elem, r.list.get());
      vars_.resize(mark);
      return s;
    };
    Status s;
    switch (val->kind()) {
      case Value::Kind::kList: {
        const auto items = val->items();
        for (size_t i = 0; i < items.size(); ++i) {
          iterated = true;
          s = one(Value::Int(static_cast<int64_t>(i)), items[i]);
          if (!s.ok() || ConsumeFlow()) break;
        }
        break;
      }
      case Value::Kind::kMap:
        for (const Value::Entry& e : val->entries()) {
          iterated = true;
          s = one(Value::String(e.first), e.second);
          if (!s.ok() || ConsumeFlow()) break;
        }
        break;
      case Value::Kind::kNull:
        break;
      default:
        s = Errorf("range can't iterate over " +
                   internal::FormatValue(*val, opts_.max_output_bytes));
    }
    if (s.ok() && !iterated && r.else_list) s = Walk(dot, r.else_list.get());
    vars_.resize(outer);
    return s;
  }

  // After one range iteration: true when the loop must stop ({{break}}).
  bool ConsumeFlow() {
    const Flow f = flow_;
    flow_ = Flow::kNormal;
    return f == Flow::kBreak;
  }

  Status WalkTemplate(const Value& dot, const Node& t) {
    At(&t);
    auto it = trees_.find(t.text);
    if (it == trees_.end()) {
      return Errorf("template " + internal::Quote(t.text) + " not defined");
    }
    if (depth_ >= opts_.max_template_depth) {
      return Errorf("exceeded maximum template depth (" +
                        std::to_string(opts_.max_template_depth) + ")",
                    StatusCode::kResourceExhausted);
    }
    Value new_dot;  // without a pipeline the callee's dot is nil
    if (t.pipe) {
      Result<Value> v = EvalPipeline(dot, t.pipe.get());
      if (!v.ok()) return v.status();
      new_dot = std::move(*v);
    }
    // No dynamic scoping: the callee sees only $.
    std::vector<Var> saved_vars = std::move(vars_);
    vars_.clear();
    vars_.push_back({"$", new_dot});
    const Tree* saved_tree = tree_;
    const Node* saved_node = node_;
    tree_ = it->second.get();
    ++depth_;
    Status s = Walk(new_dot, tree_->root.get());
    --depth_;
    tree_ = saved_tree;
    node_ = saved_node;
    vars_ = std::move(saved_vars);
    return s;
  }

  Status PrintValue(const Node* n, const Value& v) {
    At(n);
    if (v.is_null()) return Write("<no value>");
    const size_t room =
        opts_.max_output_bytes - std::min(opts_.max_output_bytes, out_.size());
    return Write(internal::FormatValue(v, room));
  }

  // ------------------------------------------------------------ eval

  Result<Value> EvalPipeline(const Value& dot, const Node* pipe) {
    if (pipe == nullptr) return Value();
    Nest nest(this);
    if (!nest.ok()) return NestingError();
    At(pipe);
    std::optional<Value> value;
    for (const auto& cmd : pipe->nodes) {
      Result<Value> v = EvalCommand(dot, *cmd, value);
      if (!v.ok()) return v.status();
      value = IsTypedNil(*v) ? Value() : std::move(*v);
    }
    for (const auto& var : pipe->decls) {
      if (pipe->is_assign) {
        VIGIL_RETURN_IF_ERROR(SetVar(var->idents[0], *value));
      } else {
        vars_.push_back({var->idents[0], *value});
      }
    }
    return std::move(*value);
  }

  Status NotAFunction(const Node& cmd, const std::optional<Value>& final) {
    if (cmd.nodes.size() > 1 || final) {
      return Errorf("can't give argument to non-function " +
                    cmd.nodes[0]->String());
    }
    return Status::OK();
  }

  Result<Value> EvalCommand(const Value& dot, const Node& cmd,
                            const std::optional<Value>& final) {
    VIGIL_RETURN_IF_ERROR(Step());
    const Node& first = *cmd.nodes[0];
    const Args rest = Args(cmd.nodes).subspan(1);
    switch (first.type) {
      case NodeType::kField:
        return EvalFieldNode(dot, first, rest, final);
      case NodeType::kChain:
        return EvalChainNode(dot, first, rest, final);
      case NodeType::kIdentifier:
        return EvalFunction(dot, first, &cmd, rest, final);
      case NodeType::kPipe:
        VIGIL_RETURN_IF_ERROR(NotAFunction(cmd, final));
        return EvalPipeline(dot, &first);
      case NodeType::kVariable:
        return EvalVariableNode(dot, first, rest, final);
      default:
        break;
    }
    At(&first);
    VIGIL_RETURN_IF_ERROR(NotAFunction(cmd, final));
    switch (first.type) {
      case NodeType::kBool:
        return Value::Bool(first.boolean);
      case NodeType::kDot:
        return dot;
      case NodeType::kNil:
        return Errorf("nil is not a command");
      case NodeType::kNumber:
        return IdealConstant(first);
      case NodeType::kString:
        return Value::String(first.text);
      default:
        return Errorf("can't evaluate command " +
                      internal::Quote(first.String()));
    }
  }

  // A number literal where no type is expected: float64 when written as
  // one, else int.
  Result<Value> IdealConstant(const Node& n) {
    At(&n);
    const std::string& t = n.quoted;
    const bool hex_int = t.size() > 2 && t[0] == '0' && (t[1] | 0x20) == 'x' &&
                         t.find_first_of("pP") == std::string::npos;
    const bool rune = !t.empty() && t[0] == '\'';
    if (n.is_float && !hex_int && !rune &&
        t.find_first_of(".eEpP") != std::string::npos) {
      return Value::Float(n.float_value);
    }
    if (n.is_int) return Value::Int(n.int_value);
    if (n.is_uint) return Errorf(t + " overflows int");
    return Value();
  }

  Result<Value> EvalFieldNode(const Value& dot, const Node& field, Args rest,
                              const std::optional<Value>& final) {
    At(&field);
    return EvalFieldChain(dot, dot, field, field.idents, rest, final);
  }

  Result<Value> EvalChainNode(const Value& dot, const Node& chain, Args rest,
                              const std::optional<Value>& final) {
    At(&chain);
    if (chain.chain->type == NodeType::kNil) {
      return Errorf("indirection through explicit nil in " + chain.String());
    }
    Result<Value> pipe = EvalArg(dot, "", *chain.chain);
    if (!pipe.ok()) return pipe;
    return EvalFieldChain(dot, *pipe, chain, chain.idents, rest, final);
  }

  Result<Value> EvalVariableNode(const Value& dot, const Node& var, Args rest,
                                 const std::optional<Value>& final) {
    At(&var);
    Result<Value> value = VarValue(var.idents[0]);
    if (!value.ok()) return value;
    if (var.idents.size() == 1) {
      if (!rest.empty() || final) {
        return Errorf("can't give argument to non-function " + var.String());
      }
      return value;
    }
    return EvalFieldChain(dot, *value, var,
                          std::span<const std::string>(var.idents).subspan(1),
                          rest, final);
  }

  Result<Value> EvalFieldChain(const Value& dot, Value receiver,
                               const Node& node,
                               std::span<const std::string> idents, Args rest,
                               const std::optional<Value>& final) {
    const size_t n = idents.size();
    for (size_t i = 0; i + 1 < n; ++i) {
      Result<Value> r =
          EvalField(dot, idents[i], node, {}, std::nullopt, receiver);
      if (!r.ok()) return r;
      receiver = std::move(*r);
    }
    return EvalField(dot, idents[n - 1], node, rest, final, receiver);
  }

  Result<Value> EvalFunction(const Value& dot, const Node& ident,
                             const Node* cmd, Args rest,
                             const std::optional<Value>& final) {
    At(&ident);
    const std::string& name = ident.text;
    bool builtin = false;
    auto it = funcs_.find(name);
    if (it == funcs_.end()) {
      it = internal::Builtins().find(name);
      if (it == internal::Builtins().end()) {
        return Errorf(internal::Quote(name) + " is not a defined function");
      }
      builtin = true;
    }
    const Function& fn = it->second;
    return EvalCall(dot, Callable{&fn.params, fn.variadic, &fn}, builtin, cmd,
                    name, rest, final);
  }

  Result<Value> EvalField(const Value& dot, const std::string& name,
                          const Node& node, Args rest,
                          const std::optional<Value>& final,
                          const Value& receiver) {
    if (IsTypedNil(receiver)) {
      return Errorf("nil pointer evaluating interface {}." + name);
    }
    if (receiver.is_null()) return Value();  // missing data reads as nil
    if (const TypeInfo* type = receiver.type(); type != nullptr) {
      auto m = type->methods.find(name);
      if (m != type->methods.end()) {
        return EvalCall(dot,
                        Callable{&m->second.params, m->second.variadic, nullptr,
                                 &m->second, &receiver},
                        false, &node, name, rest, final);
      }
    }
    const bool has_args = !rest.empty() || final.has_value();
    switch (receiver.kind()) {
      case Value::Kind::kStruct:
      case Value::Kind::kList:
        if (const Value* f = receiver.Find(name); f != nullptr) {
          if (has_args) {
            return Errorf(name +
                          " has arguments but cannot be invoked as function");
          }
          return *f;
        }
        break;
      case Value::Kind::kMap: {
        if (has_args) {
          return Errorf(name + " is not a method but has arguments");
        }
        if (const Value* f = receiver.Find(name); f != nullptr) return *f;
        if (receiver.string_elems()) return Value::String("");
        return Value().WithType(&internal::NilInterfaceType());
      }
      default:
        break;
    }
    return Errorf("can't evaluate field " + name + " in type " +
                  std::string(receiver.type_name()));
  }

  Result<Value> EvalCall(const Value& dot, const Callable& fn, bool builtin,
                         const Node* node, const std::string& name, Args args,
                         const std::optional<Value>& final) {
    const std::vector<std::string>& params = *fn.params;
    const size_t num_in = args.size() + (final ? 1 : 0);
    size_t num_fixed = args.size();
    if (fn.variadic) {
      num_fixed = params.size() - 1;
      if (num_in < num_fixed) {
        return Errorf("wrong number of args for " + name + ": want at least " +
                      std::to_string(params.size() - 1) + " got " +
                      std::to_string(args.size()));
      }
    } else if (num_in != params.size()) {
      return Errorf("wrong number of args for " + name + ": want " +
                    std::to_string(params.size()) + " got " +
                    std::to_string(num_in));
    }

    if (builtin && (name == "and" || name == "or")) {
      Value v;
      for (const auto& arg : args) {
        Result<Value> r = EvalArg(dot, "reflect.Value", *arg);
        if (!r.ok()) return r;
        v = std::move(*r);
        if (internal::IsTrue(v) == (name == "or")) return v;
      }
      if (final) {
        Result<Value> r = ValidateType(*final, "reflect.Value");
        if (!r.ok()) return r;
        v = std::move(*r);
      }
      return v;
    }

    std::vector<Value> argv;
    argv.reserve(num_in);
    size_t i = 0;
    for (; i < num_fixed && i < args.size(); ++i) {
      Result<Value> r = EvalArg(dot, params[i], *args[i]);
      if (!r.ok()) return r;
      argv.push_back(std::move(*r));
    }
    if (fn.variadic) {
      for (; i < args.size(); ++i) {
        Result<Value> r = EvalArg(dot, params.back(), *args[i]);
        if (!r.ok()) return r;
        argv.push_back(std::move(*r));
      }
    }
    if (final) {
      std::string_view t = params.back();
      if (fn.variadic && num_in - 1 < num_fixed) t = params[num_in - 1];
      Result<Value> r = ValidateType(*final, t);
      if (!r.ok()) return r;
      argv.push_back(std::move(*r));
    }
    Result<Value> result = fn.fn != nullptr
                               ? fn.fn->impl(argv, opts_)
                               : fn.method->impl(*fn.receiver, argv);
    if (!result.ok()) {
      At(node);
      const StatusCode code = result.status().code();
      return Errorf("error calling " + name + ": " +
                        std::string(result.status().message()),
                    code == StatusCode::kOk ? StatusCode::kInternal : code);
    }
    if (result->kind() == Value::Kind::kString &&
        result->string_value().size() > opts_.max_output_bytes) {
      At(node);
      return Errorf("result of " + name + " exceeds " +
                        std::to_string(opts_.max_output_bytes) + " bytes",
                    StatusCode::kResourceExhausted);
    }
    return result;
  }

  static bool CanBeNil(std::string_view type) {
    return type == "interface {}" || type == "reflect.Value" ||
           type.starts_with("*") || type.starts_with("[]") ||
           type.starts_with("map[");
  }

  // Go's validateType: the value must have the parameter's type exactly.
  Result<Value> ValidateType(const Value& value, std::string_view type) {
    if (type.empty()) return value;
    const bool any = type == "interface {}" || type == "reflect.Value";
    if (value.is_null()) {
      if (IsTypedNil(value)) {
        if (any) return Value();
        return Errorf("wrong type for value; expected " + std::string(type) +
                      "; got interface {}");
      }
      if (CanBeNil(type)) return Value();
      return Errorf("invalid value; expected " + std::string(type));
    }
    if (any || value.type_name() == type) return value;
    return Errorf("wrong type for value; expected " + std::string(type) +
                  "; got " + std::string(value.type_name()));
  }

  Result<Value> EvalArg(const Value& dot, std::string_view type,
                        const Node& n) {
    At(&n);
    switch (n.type) {
      case NodeType::kDot:
        return ValidateType(dot, type);
      case NodeType::kNil:
        if (CanBeNil(type)) return Value();
        return Errorf("cannot assign nil to " + std::string(type));
      case NodeType::kField: {
        Result<Value> v = EvalFieldNode(dot, n, {}, std::nullopt);
        if (!v.ok()) return v;
        return ValidateType(*v, type);
      }
      case NodeType::kVariable: {
        Result<Value> v = EvalVariableNode(dot, n, {}, std::nullopt);
        if (!v.ok()) return v;
        return ValidateType(*v, type);
      }
      case NodeType::kPipe: {
        Result<Value> v = EvalPipeline(dot, &n);
        if (!v.ok()) return v;
        return ValidateType(*v, type);
      }
      case NodeType::kIdentifier: {
        Result<Value> v = EvalFunction(dot, n, &n, {}, std::nullopt);
        if (!v.ok()) return v;
        return ValidateType(*v, type);
      }
      case NodeType::kChain: {
        Result<Value> v = EvalChainNode(dot, n, {}, std::nullopt);
        if (!v.ok()) return v;
        return ValidateType(*v, type);
      }
      default:
        break;
    }
    if (type == "bool") {
      if (n.type == NodeType::kBool) return Value::Bool(n.boolean);
      return Errorf("expected bool; found " + n.String());
    }
    if (type == "float64") {
      if (n.type == NodeType::kNumber && n.is_float) {
        return Value::Float(n.float_value);
      }
      return Errorf("expected float; found " + n.String());
    }
    if (type == "int" || type == "int64") {
      if (n.type == NodeType::kNumber && n.is_int) {
        return Value::Int(n.int_value);
      }
      return Errorf("expected integer; found " + n.String());
    }
    if (type == "string") {
      if (n.type == NodeType::kString) return Value::String(n.text);
      return Errorf("expected string; found " + n.String());
    }
    if (type == "interface {}" || type == "reflect.Value") {
      return EvalEmptyInterface(n);
    }
    return Errorf("can't handle " + n.String() + " for arg of type " +
                  std::string(type));
  }

  Result<Value> EvalEmptyInterface(const Node& n) {
    At(&n);
    switch (n.type) {
      case NodeType::kBool:
        return Value::Bool(n.boolean);
      case NodeType::kNumber:
        return IdealConstant(n);
      case NodeType::kString:
        return Value::String(n.text);
      default:
        return Errorf("can't handle assignment of " + n.String() +
                      " to empty interface argument");
    }
  }

  const Trees& trees_;
  const FuncMap& funcs_;
  const ExecOptions& opts_;
  const Tree* tree_ = nullptr;
  const Node* node_ = nullptr;
  std::vector<Var> vars_;
  std::string out_;
  Flow flow_ = Flow::kNormal;
  int depth_ = 0;
  int nesting_ = 0;
  int64_t steps_ = 0;
};

}  // namespace

Result<Template> Template::Parse(std::string name, std::string_view text,
                                 std::shared_ptr<const FuncMap> funcs) {
  Template t;
  t.name_ = std::move(name);
  t.funcs_ = funcs ? std::move(funcs) : PrometheusFuncs();
  Status s = t.AddDefinitions(t.name_, text);
  if (!s.ok()) return s;
  return t;
}

Status Template::AddDefinitions(std::string_view name, std::string_view text) {
  const FuncMap& funcs = *funcs_;
  const auto has_function = [&funcs](std::string_view f) {
    return funcs.find(f) != funcs.end() ||
           internal::Builtins().find(f) != internal::Builtins().end();
  };
  internal::TreeSet parsed;
  Status s = internal::Parse(name, std::make_shared<const std::string>(text),
                             has_function, &parsed);
  if (!s.ok()) return s;
  for (auto& [tree_name, tree] : parsed) {
    auto it = trees_.find(tree_name);
    // An empty definition does not replace a non-empty one (Go's
    // associate).
    if (it != trees_.end() && internal::IsEmptyTree(tree->root.get())) {
      continue;
    }
    trees_[tree_name] = tree;
  }
  return Status::OK();
}

bool Template::HasTemplate(std::string_view name) const {
  return trees_.find(name) != trees_.end();
}

Result<std::string> Template::Execute(const Value& dot,
                                      const ExecOptions& opts) const {
  return ExecuteTemplate(name_, dot, opts);
}

Result<std::string> Template::ExecuteTemplate(std::string_view name,
                                              const Value& dot,
                                              const ExecOptions& opts) const {
  auto it = trees_.find(name);
  if (it == trees_.end()) {
    return InvalidArgumentError(
        "template: no template " + internal::Quote(name) +
        " associated with template " + internal::Quote(name_));
  }
  Executor exec(trees_, *funcs_, opts);
  return exec.Run(it->second.get(), dot);
}

Value AlertTemplateData(const model::Labels& labels,
                        const model::Labels& external_labels,
                        std::string_view external_url, double value) {
  static const TypeInfo* const kType = new TypeInfo{
      "struct { Labels map[string]string; ExternalLabels map[string]string; "
      "ExternalURL string; Value float64 }",
      {}};
  return Value::Struct(
      kType, {{"Labels", Value::StringMap(labels)},
              {"ExternalLabels", Value::StringMap(external_labels)},
              {"ExternalURL", Value::String(std::string(external_url))},
              {"Value", Value::Float(value)}});
}

Result<std::string> Expand(std::string_view name, std::string_view text,
                           const Value& dot, const ExecOptions& opts) {
  Result<Template> t = Template::Parse(std::string(name), text);
  if (!t.ok()) {
    return t.status().WithPrefix("error parsing template " + std::string(name));
  }
  Result<std::string> out = t->Execute(dot, opts);
  if (!out.ok()) {
    return out.status().WithPrefix("error executing template " +
                                   std::string(name));
  }
  return out;
}

namespace {

constexpr std::string_view kAlertDefs =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}"
    "{{$externalURL := .ExternalURL}}{{$value := .Value}}";

}  // namespace

Result<Template> ParseAlertTemplate(std::string name, std::string_view text) {
  std::string full(kAlertDefs);
  full.append(text);
  return Template::Parse(std::move(name), full);
}

Result<std::string> ExpandAlertTemplate(
    std::string_view name, std::string_view text, const model::Labels& labels,
    double value, const model::Labels& external_labels,
    std::string_view external_url, const ExecOptions& opts) {
  std::string full(kAlertDefs);
  full.append(text);
  return Expand(name, full,
                AlertTemplateData(labels, external_labels, external_url, value),
                opts);
}

std::string GoQuote(std::string_view s) { return internal::Quote(s); }

}  // namespace vigil::templating
