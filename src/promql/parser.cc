#include "promql/parser.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "base/status_macros.h"
#include "model/duration.h"
#include "promql/functions.h"
#include "promql/lexer.h"

// How this parser maps onto Prometheus' yacc grammar
// (promql/parser/generated_parser.y):
//
//   - Binary operators by precedence climbing, lowest first: or; and,
//     unless; == != <= < >= >; + -; * / % atan2; ^ (right associative).
//   - A unary + or - takes an operand in which only ^ binds (the grammar
//     gives the unary rule the precedence of *): -a ^ b is -(a ^ b),
//     -a * b is (-a) * b. A sign directly on a number literal is folded
//     into the literal.
//   - `[...]`, `offset` and `@` bind to the closest operand, tighter than
//     any operator (the grammar always shifts them).
//   - Syntax errors name the token the way yacc's error productions do:
//     "unexpected <token>[ in <context>][, expected <what>]", where the
//     context is that of the innermost error production: label matching,
//     grouping opts, offset, @, subquery selector / subquery or range,
//     and otherwise "aggregation" while inside an aggregation's operands.
//   - A lexer error is reported as such, never as an unexpected token.
//   - Errors found while parsing (durations, numbers, regexes, offsets, @,
//     ranges, aggregation arity, unknown functions) come first, in text
//     order; the type checks of checkAST (Check below) run only on a
//     tree that parsed. Only the first error is returned, as Prometheus'
//     ParseErrors.Error() does.

namespace vigil::promql {
namespace {

// The offset/@ of a selector, range selector or subquery; null otherwise.
TimeModifiers* ModifiersOf(Expr* e) {
  switch (e->kind) {
    case ExprKind::kVectorSelector:
      return &static_cast<VectorSelector*>(e)->time;
    case ExprKind::kMatrixSelector:
      return &static_cast<VectorSelector&>(
                  *static_cast<MatrixSelector*>(e)->vector_selector)
                  .time;
    case ExprKind::kSubquery:
      return &static_cast<SubqueryExpr*>(e)->time;
    default:
      return nullptr;
  }
}


// Bounds on nesting, so that a hostile query cannot overflow the stack:
// kMaxParseDepth bounds the parser's own recursion (parentheses, signs,
// call arguments, right operands), kMaxDepth the depth of the tree that
// everything else walks recursively (checks, printing, evaluation,
// destruction); a long chain such as a + b + c + ... is deep but does not
// nest. Prometheus has no such bounds (Go stacks grow); no real query
// comes near them.
constexpr int kMaxParseDepth = 1000;
constexpr int kMaxDepth = 5000;

bool IsSpaceByte(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool IsLabelName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha =
        c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// 0 when `t` is not a binary operator.
int Precedence(TokenType t) {
  switch (t) {
    case TokenType::kLor: return 1;
    case TokenType::kLand:
    case TokenType::kLunless: return 2;
    case TokenType::kEqlc:
    case TokenType::kNeq:
    case TokenType::kLte:
    case TokenType::kLss:
    case TokenType::kGte:
    case TokenType::kGtr: return 3;
    case TokenType::kAdd:
    case TokenType::kSub: return 4;
    case TokenType::kMul:
    case TokenType::kDiv:
    case TokenType::kMod:
    case TokenType::kAtan2: return 5;
    case TokenType::kPow: return 6;
    default: return 0;
  }
}
constexpr int kPowPrecedence = 6;

Op BinaryOp(TokenType t) {
  switch (t) {
    case TokenType::kLor: return Op::kOr;
    case TokenType::kLand: return Op::kAnd;
    case TokenType::kLunless: return Op::kUnless;
    case TokenType::kEqlc: return Op::kEql;
    case TokenType::kNeq: return Op::kNeq;
    case TokenType::kLte: return Op::kLte;
    case TokenType::kLss: return Op::kLss;
    case TokenType::kGte: return Op::kGte;
    case TokenType::kGtr: return Op::kGtr;
    case TokenType::kAdd: return Op::kAdd;
    case TokenType::kSub: return Op::kSub;
    case TokenType::kMul: return Op::kMul;
    case TokenType::kDiv: return Op::kDiv;
    case TokenType::kMod: return Op::kMod;
    case TokenType::kAtan2: return Op::kAtan2;
    default: return Op::kPow;
  }
}

Op AggregateOp(TokenType t) {
  switch (t) {
    case TokenType::kAvg: return Op::kAvg;
    case TokenType::kBottomk: return Op::kBottomk;
    case TokenType::kCount: return Op::kCount;
    case TokenType::kCountValues: return Op::kCountValues;
    case TokenType::kGroup: return Op::kGroup;
    case TokenType::kMax: return Op::kMax;
    case TokenType::kMin: return Op::kMin;
    case TokenType::kQuantile: return Op::kQuantile;
    case TokenType::kStddev: return Op::kStddev;
    case TokenType::kStdvar: return Op::kStdvar;
    case TokenType::kTopk: return Op::kTopk;
    default: return Op::kSum;
  }
}

// The grammar's metric_identifier: tokens that name a metric when an
// expression starts with them.
bool IsMetricIdentifierToken(TokenType t) {
  switch (t) {
    case TokenType::kIdentifier:
    case TokenType::kMetricIdentifier:
    case TokenType::kBy:
    case TokenType::kLand:
    case TokenType::kLor:
    case TokenType::kLunless:
    case TokenType::kOffset:
    case TokenType::kWithout:
    case TokenType::kStart:
    case TokenType::kEnd: return true;
    default: return IsAggregatorToken(t);
  }
}

// The grammar's maybe_label: tokens that may name a label in a grouping
// list (`without` is not one of them).
bool IsMaybeLabelToken(TokenType t) {
  switch (t) {
    case TokenType::kIdentifier:
    case TokenType::kMetricIdentifier:
    case TokenType::kBool:
    case TokenType::kBy:
    case TokenType::kGroupLeft:
    case TokenType::kGroupRight:
    case TokenType::kIgnoring:
    case TokenType::kLand:
    case TokenType::kLor:
    case TokenType::kLunless:
    case TokenType::kOffset:
    case TokenType::kOn:
    case TokenType::kStart:
    case TokenType::kEnd:
    case TokenType::kAtan2: return true;
    default: return IsAggregatorToken(t);
  }
}

// Go's ParseInt(s, 0, 64) for what the lexer lets through: decimal, 0x hex
// and 0-prefixed octal. Empty when Go would fail (syntax or range).
std::optional<int64_t> ParseGoInt(std::string_view s) {
  int base = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() >= 2 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  const auto [ptr, ec] =
      std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// Go's %f, which prints infinities as +Inf/-Inf and NaN as NaN.
std::string GoFormatF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%f", v);
  return buf;
}

// Prometheus' timestamp.FromFloatSeconds: int64(math.Round(s * 1000)),
// with the conversion of an out-of-range value as amd64 does it.
int64_t FromFloatSeconds(double s) {
  const double ms = std::round(s * 1000);
  if (!(ms >= -9223372036854775808.0 && ms < 9223372036854775808.0)) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(ms);
}

// The raw value type names Prometheus prints in one message ("matrix").
std::string_view RawTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNone: return "none";
    case ValueType::kScalar: return "scalar";
    case ValueType::kVector: return "vector";
    case ValueType::kMatrix: return "matrix";
    case ValueType::kString: return "string";
  }
  return "none";
}

// One parse of one input: a recursive-descent parser over a Lexer with a
// single token of lookahead. Not thread-safe; build one per parse.
class Parser {
 public:
  explicit Parser(std::string_view input) : input_(input), lexer_(input) {}

  Result<ExprPtr> ParseTopLevelExpr();
  Result<std::vector<model::Matcher>> ParseTopLevelSelector();

 private:
  // Keeps the recursion depth for ParseExpr.
  class DepthGuard {
   public:
    explicit DepthGuard(int* depth) : depth_(depth) { ++*depth_; }
    ~DepthGuard() { --*depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    int* depth_;
  };

  // The next token, comments skipped.
  const Token& Peek();
  Token Take();
  void Skip() {
    Peek();
    has_lookahead_ = false;
  }

  // The parser, and Check() after it, recurse as deep as the query nests.
  // Only the functions on that recursion keep their frames lean; all the
  // token, string and error work is in helpers that must not be inlined
  // into them (sanitizer builds otherwise grow the frames to kilobytes).
  //
  // Recursive: ParseExpr, ParseUnary, ParsePrimary, ParseNameOrCall,
  // ParseParen, ParseCallBody, ParseFunctionCall, ParseAggregate, Check.

  // kInvalidArgument "<line>:<col>: parse error: <msg>".
  [[gnu::noinline]] Status ErrorAt(int pos, std::string_view msg) const;
  [[gnu::noinline]] Status Unexpected(const Token& t, std::string_view context,
                                      std::string_view expected) const;
  // A syntax error outside any specific context.
  [[gnu::noinline]] Status UnexpectedHere(const Token& t) const {
    return Unexpected(t, agg_depth_ > 0 ? "aggregation" : "", "");
  }
  [[gnu::noinline]] Status NestingError();
  // Records the depth of a new node with the given children.
  [[gnu::noinline]] Status TrackDepth(
      const Expr& node, std::initializer_list<const Expr*> children);

  Result<ExprPtr> ParseExpr(int min_prec);
  // After the operator: a node with its bool/on/ignoring/group modifiers.
  [[gnu::noinline]] Result<std::unique_ptr<BinaryExpr>> StartBinary(
      TokenType op);
  [[gnu::noinline]] Result<ExprPtr> FinishBinary(
      std::unique_ptr<BinaryExpr> bin, ExprPtr lhs, ExprPtr rhs);
  Result<ExprPtr> ParseUnary();
  [[gnu::noinline]] Result<ExprPtr> FinishUnary(TokenType op, int op_pos,
                                                ExprPtr operand);
  Result<ExprPtr> ParsePrimary();
  [[gnu::noinline]] Result<ExprPtr> ParseNumberLiteral();
  [[gnu::noinline]] Result<ExprPtr> ParseStringLiteral();
  // An identifier or keyword that starts a selector, call or aggregation.
  Result<ExprPtr> ParseNameOrCall();
  [[gnu::noinline]] Result<ExprPtr> ParsePostfix(ExprPtr e);
  Result<ExprPtr> ParseParen();
  [[gnu::noinline]] Result<ExprPtr> FinishParen(int start, ExprPtr inner);
  // After the name (or with none, at `{`).
  [[gnu::noinline]] Result<ExprPtr> ParseVectorSelector(const Token* name);
  // After `{`.
  Status ParseLabelMatchers(VectorSelector* vs, int* end);
  // At `(`.
  Result<std::vector<ExprPtr>> ParseCallBody(int* end);
  // After an argument: true when `)` closed the list (*end set), false
  // after a comma.
  [[gnu::noinline]] Result<bool> AfterCallArgument(int* end);
  Result<ExprPtr> ParseFunctionCall(const Token& name);
  [[gnu::noinline]] Result<ExprPtr> FinishCall(const Token& name,
                                               std::vector<ExprPtr> args,
                                               int end);
  // After the aggregation operator.
  Result<ExprPtr> ParseAggregate(const Token& op);
  // Before the operands: the by/without clause, then `(` must follow.
  [[gnu::noinline]] Status ParseAggregatePrefix(AggregateExpr* agg, int* end);
  // After the operands: the by/without clause, if any.
  [[gnu::noinline]] Status ParseAggregateSuffix(AggregateExpr* agg, int* end);
  [[gnu::noinline]] Result<ExprPtr> FinishAggregate(
      int op_pos, std::unique_ptr<AggregateExpr> agg, std::vector<ExprPtr> args,
      int end);
  Status ParseAggregateModifier(AggregateExpr* agg, int* end);
  // At `(` of a label list.
  Result<std::vector<std::string>> ParseGroupingLabels(int* end);
  Status ParseBinModifiers(BinaryExpr* b);
  Result<ExprPtr> ParseRangeOrSubquery(ExprPtr e);
  Status ParseOffset(Expr* e);
  Status ParseAt(Expr* e);
  Result<TimeModifiers*> AtModifierTarget(Expr* e);

  Result<double> ParseNumber(const Token& t) const;
  Result<int64_t> ParseDurationToken(const Token& t) const;
  Result<std::string> Unquote(const Token& t) const;

  // Prometheus' checkAST: type checks of a parsed tree; sets *type.
  Status Check(Expr& e, ValueType* type);
  [[gnu::noinline]] Status CheckSelectorNode(const VectorSelector& vs) const;
  [[gnu::noinline]] Status CheckSubqueryNode(const Expr& e,
                                             ValueType inner) const;
  [[gnu::noinline]] Status CheckUnaryNode(const Expr& e, ValueType inner) const;
  static ValueType AggregateParamType(Op op);
  [[gnu::noinline]] Status CheckAggregateExpr(const AggregateExpr& agg,
                                              ValueType t) const;
  [[gnu::noinline]] Status CheckAggregateParam(const AggregateExpr& agg,
                                               ValueType t) const;
  // Sets *type; may drop or adjust the vector matching, as checkAST does.
  [[gnu::noinline]] Status CheckBinaryNode(BinaryExpr& b, ValueType lt,
                                           ValueType rt, ValueType* type) const;
  [[gnu::noinline]] Status CheckCallArity(const Call& c) const;
  [[gnu::noinline]] Status CheckCallArgument(const Call& c, size_t i,
                                             ValueType t) const;

  const std::string_view input_;
  Lexer lexer_;
  Token lookahead_;
  bool has_lookahead_ = false;
  int agg_depth_ = 0;    // aggregations whose operands are being parsed
  int parse_depth_ = 0;  // ParseExpr recursion
  std::unordered_map<const Expr*, int> node_depth_;
};

const Token& Parser::Peek() {
  if (!has_lookahead_) {
    do {
      lookahead_ = lexer_.Next();
    } while (lookahead_.type == TokenType::kComment);
    has_lookahead_ = true;
  }
  return lookahead_;
}

Token Parser::Take() {
  Peek();
  has_lookahead_ = false;
  return std::move(lookahead_);
}

Status Parser::ErrorAt(int pos, std::string_view msg) const {
  int line = 1;
  int last_newline = -1;
  for (int i = 0; i < pos && i < static_cast<int>(input_.size()); ++i) {
    if (input_[i] == '\n') {
      ++line;
      last_newline = i;
    }
  }
  return InvalidArgumentError(std::to_string(line) + ":" +
                              std::to_string(pos - last_newline) +
                              ": parse error: " + std::string(msg));
}

Status Parser::Unexpected(const Token& t, std::string_view context,
                          std::string_view expected) const {
  if (t.type == TokenType::kError) return ErrorAt(t.pos, t.error);
  std::string msg = "unexpected " + TokenDescription(t);
  if (!context.empty()) {
    msg += " in ";
    msg += context;
  }
  if (!expected.empty()) {
    msg += ", expected ";
    msg += expected;
  }
  return ErrorAt(t.pos, msg);
}

Status Parser::TrackDepth(const Expr& node,
                          std::initializer_list<const Expr*> children) {
  int depth = 1;
  for (const Expr* c : children) {
    if (c == nullptr) continue;
    auto it = node_depth_.find(c);
    depth = std::max(depth, 1 + (it == node_depth_.end() ? 1 : it->second));
  }
  if (depth > kMaxDepth) {
    return ErrorAt(node.pos.start, "expression nested too deeply");
  }
  node_depth_[&node] = depth;
  return Status::OK();
}

Status Parser::NestingError() {
  return ErrorAt(Peek().pos, "expression nested too deeply");
}

// ---------------------------------------------------------------------------
// Expressions.

Result<ExprPtr> Parser::ParseTopLevelExpr() {
  if (Peek().type == TokenType::kEof) {
    return ErrorAt(0, "no expression found in input");
  }
  VIGIL_ASSIGN_OR_RETURN(ExprPtr e, ParseExpr(0));
  if (Peek().type != TokenType::kEof) return Unexpected(Peek(), "", "");
  ValueType type = ValueType::kNone;
  VIGIL_RETURN_IF_ERROR(Check(*e, &type));
  return e;
}

Result<ExprPtr> Parser::ParseExpr(int min_prec) {
  DepthGuard guard(&parse_depth_);
  if (parse_depth_ > kMaxParseDepth) return NestingError();
  Result<ExprPtr> lhs = ParseUnary();
  while (lhs.ok()) {
    const TokenType t = Peek().type;
    const int prec = Precedence(t);
    if (prec == 0 || prec < min_prec) break;
    Skip();
    Result<std::unique_ptr<BinaryExpr>> bin = StartBinary(t);
    if (!bin.ok()) return std::move(bin).status();
    // ^ is right associative; everything else left associative.
    Result<ExprPtr> rhs = ParseExpr(t == TokenType::kPow ? prec : prec + 1);
    if (!rhs.ok()) return rhs;
    lhs = FinishBinary(std::move(bin).value(), std::move(lhs).value(),
                       std::move(rhs).value());
  }
  return lhs;
}

Result<std::unique_ptr<BinaryExpr>> Parser::StartBinary(TokenType op) {
  auto bin = std::make_unique<BinaryExpr>();
  bin->op = BinaryOp(op);
  bin->matching = VectorMatching{};
  VIGIL_RETURN_IF_ERROR(ParseBinModifiers(bin.get()));
  return bin;
}

Result<ExprPtr> Parser::FinishBinary(std::unique_ptr<BinaryExpr> bin,
                                     ExprPtr lhs, ExprPtr rhs) {
  bin->pos = {lhs->pos.start, rhs->pos.end};
  bin->lhs = std::move(lhs);
  bin->rhs = std::move(rhs);
  VIGIL_RETURN_IF_ERROR(TrackDepth(*bin, {bin->lhs.get(), bin->rhs.get()}));
  return ExprPtr(std::move(bin));
}

Result<ExprPtr> Parser::ParseUnary() {
  const TokenType t = Peek().type;
  if (t != TokenType::kAdd && t != TokenType::kSub) {
    Result<ExprPtr> e = ParsePrimary();
    if (!e.ok()) return e;
    return ParsePostfix(std::move(e).value());
  }
  const int op_pos = Peek().pos;
  Skip();
  Result<ExprPtr> operand = ParseExpr(kPowPrecedence);
  if (!operand.ok()) return operand;
  return FinishUnary(t, op_pos, std::move(operand).value());
}

Result<ExprPtr> Parser::FinishUnary(TokenType op, int op_pos, ExprPtr operand) {
  if (operand->kind == ExprKind::kNumber) {
    auto& n = static_cast<NumberLiteral&>(*operand);
    if (op == TokenType::kSub) n.value = -n.value;
    n.pos.start = op_pos;
    return operand;
  }
  auto u = std::make_unique<UnaryExpr>();
  u->op = op == TokenType::kSub ? Op::kSub : Op::kAdd;
  u->pos = {op_pos, operand->pos.end};
  u->expr = std::move(operand);
  VIGIL_RETURN_IF_ERROR(TrackDepth(*u, {u->expr.get()}));
  return ExprPtr(std::move(u));
}

Result<ExprPtr> Parser::ParsePrimary() {
  const TokenType t = Peek().type;
  switch (t) {
    case TokenType::kNumber: return ParseNumberLiteral();
    case TokenType::kString: return ParseStringLiteral();
    case TokenType::kLeftParen: return ParseParen();
    case TokenType::kLeftBrace: return ParseVectorSelector(nullptr);
    default: break;
  }
  if (IsMetricIdentifierToken(t)) return ParseNameOrCall();
  return UnexpectedHere(Peek());
}

Result<ExprPtr> Parser::ParseNumberLiteral() {
  const Token tok = Take();
  VIGIL_ASSIGN_OR_RETURN(double v, ParseNumber(tok));
  auto n = std::make_unique<NumberLiteral>();
  n->value = v;
  n->pos = {tok.pos, tok.end()};
  return ExprPtr(std::move(n));
}

Result<ExprPtr> Parser::ParseStringLiteral() {
  const Token tok = Take();
  VIGIL_ASSIGN_OR_RETURN(std::string v, Unquote(tok));
  auto s = std::make_unique<StringLiteral>();
  s->value = std::move(v);
  s->pos = {tok.pos, tok.end()};
  return ExprPtr(std::move(s));
}

Result<ExprPtr> Parser::ParseNameOrCall() {
  const Token name = Take();
  const TokenType next = Peek().type;
  if (name.type == TokenType::kIdentifier) {
    if (next == TokenType::kLeftParen) return ParseFunctionCall(name);
  } else if (IsAggregatorToken(name.type)) {
    // `sum` alone (or before `{`, `[`, an operator, ...) names a metric.
    if (next == TokenType::kLeftParen || next == TokenType::kBy ||
        next == TokenType::kWithout) {
      return ParseAggregate(name);
    }
  }
  return ParseVectorSelector(&name);
}

Result<ExprPtr> Parser::ParsePostfix(ExprPtr e) {
  while (true) {
    const TokenType t = Peek().type;
    if (t == TokenType::kLeftBracket) {
      VIGIL_ASSIGN_OR_RETURN(e, ParseRangeOrSubquery(std::move(e)));
    } else if (t == TokenType::kOffset) {
      VIGIL_RETURN_IF_ERROR(ParseOffset(e.get()));
    } else if (t == TokenType::kAt) {
      VIGIL_RETURN_IF_ERROR(ParseAt(e.get()));
    } else {
      return e;
    }
  }
}

Result<ExprPtr> Parser::ParseParen() {
  const int start = Peek().pos;
  Skip();
  Result<ExprPtr> inner = ParseExpr(0);
  if (!inner.ok()) return inner;
  return FinishParen(start, std::move(inner).value());
}

Result<ExprPtr> Parser::FinishParen(int start, ExprPtr inner) {
  if (Peek().type != TokenType::kRightParen) return UnexpectedHere(Peek());
  auto p = std::make_unique<ParenExpr>();
  p->pos = {start, Peek().end()};
  Skip();
  p->expr = std::move(inner);
  VIGIL_RETURN_IF_ERROR(TrackDepth(*p, {p->expr.get()}));
  return ExprPtr(std::move(p));
}

// ---------------------------------------------------------------------------
// Selectors.

Result<ExprPtr> Parser::ParseVectorSelector(const Token* name) {
  auto vs = std::make_unique<VectorSelector>();
  int start = 0;
  int end = 0;
  if (name != nullptr) {
    vs->name = std::string(name->text);
    start = name->pos;
    end = name->end();
  }
  if (Peek().type == TokenType::kLeftBrace) {
    const Token lb = Take();
    if (name == nullptr) start = lb.pos;
    VIGIL_RETURN_IF_ERROR(ParseLabelMatchers(vs.get(), &end));
  }
  if (name != nullptr) {
    // As Prometheus does, the name matcher goes after the braces' ones.
    VIGIL_ASSIGN_OR_RETURN(
        model::Matcher m,
        model::Matcher::Make(model::MatchType::kEqual, "__name__", vs->name));
    vs->matchers.push_back(std::move(m));
  }
  vs->pos = {start, end};
  return ExprPtr(std::move(vs));
}

Status Parser::ParseLabelMatchers(VectorSelector* vs, int* end) {
  constexpr std::string_view kContext = "label matching";
  if (Peek().type == TokenType::kRightBrace) {
    *end = Take().end();
    return Status::OK();
  }
  while (true) {
    if (Peek().type != TokenType::kIdentifier) {
      return Unexpected(Peek(), kContext, "identifier or \"}\"");
    }
    const Token label = Take();
    model::MatchType type;
    switch (Peek().type) {
      case TokenType::kAssign: type = model::MatchType::kEqual; break;
      case TokenType::kNeq: type = model::MatchType::kNotEqual; break;
      case TokenType::kEqlRegex: type = model::MatchType::kRegexMatch; break;
      case TokenType::kNeqRegex: type = model::MatchType::kRegexNoMatch; break;
      default: return Unexpected(Peek(), kContext, "label matching operator");
    }
    Take();
    if (Peek().type != TokenType::kString) {
      return Unexpected(Peek(), kContext, "string");
    }
    const Token value_tok = Take();
    VIGIL_ASSIGN_OR_RETURN(std::string value, Unquote(value_tok));
    Result<model::Matcher> m = model::Matcher::Make(type, label.text, value);
    if (!m.ok()) return ErrorAt(label.pos, m.status().message());
    vs->matchers.push_back(std::move(m).value());

    const TokenType next = Peek().type;
    if (next == TokenType::kComma) {
      Take();
      if (Peek().type == TokenType::kRightBrace) {
        *end = Take().end();
        return Status::OK();
      }
      continue;
    }
    if (next == TokenType::kRightBrace) {
      *end = Take().end();
      return Status::OK();
    }
    return Unexpected(Peek(), kContext, "\",\" or \"}\"");
  }
}

Result<ExprPtr> Parser::ParseRangeOrSubquery(ExprPtr e) {
  const Token lb = Take();
  if (Peek().type != TokenType::kDuration) {
    return Unexpected(Peek(), "subquery selector", "duration");
  }
  const Token range_tok = Take();
  VIGIL_ASSIGN_OR_RETURN(int64_t range, ParseDurationToken(range_tok));

  if (Peek().type == TokenType::kRightBracket) {
    const Token rb = Take();
    std::string_view err;
    if (e->kind != ExprKind::kVectorSelector) {
      err = "ranges only allowed for vector selectors";
    } else {
      const auto& vs = static_cast<const VectorSelector&>(*e);
      if (vs.time.offset_ms != 0) {
        err = "no offset modifiers allowed before range";
      } else if (vs.time.at_ms.has_value()) {
        err = "no @ modifiers allowed before range";
      }
    }
    if (!err.empty()) return ErrorAt(lb.pos, err);
    auto ms = std::make_unique<MatrixSelector>();
    ms->range_ms = range;
    ms->pos = {e->pos.start, rb.end()};
    ms->vector_selector = std::move(e);
    VIGIL_RETURN_IF_ERROR(TrackDepth(*ms, {ms->vector_selector.get()}));
    return ExprPtr(std::move(ms));
  }

  if (Peek().type != TokenType::kColon) {
    return Unexpected(Peek(), "subquery or range", "\":\" or \"]\"");
  }
  Take();
  int64_t step = 0;
  if (Peek().type == TokenType::kDuration) {
    const Token step_tok = Take();
    VIGIL_ASSIGN_OR_RETURN(step, ParseDurationToken(step_tok));
    if (Peek().type != TokenType::kRightBracket) {
      return Unexpected(Peek(), "subquery selector", "\"]\"");
    }
  } else if (Peek().type != TokenType::kRightBracket) {
    return Unexpected(Peek(), "subquery selector", "duration or \"]\"");
  }
  const Token rb = Take();
  auto sq = std::make_unique<SubqueryExpr>();
  sq->range_ms = range;
  sq->step_ms = step;
  sq->pos = {e->pos.start, rb.pos + 1};
  sq->expr = std::move(e);
  VIGIL_RETURN_IF_ERROR(TrackDepth(*sq, {sq->expr.get()}));
  return ExprPtr(std::move(sq));
}

Status Parser::ParseOffset(Expr* e) {
  Take();  // offset
  bool negative = false;
  if (Peek().type == TokenType::kSub) {
    Take();
    negative = true;
  }
  if (Peek().type != TokenType::kDuration) {
    return Unexpected(Peek(), "offset", "duration");
  }
  const Token dur = Take();
  VIGIL_ASSIGN_OR_RETURN(int64_t offset, ParseDurationToken(dur));
  if (negative) offset = -offset;

  TimeModifiers* tm = ModifiersOf(e);
  if (tm == nullptr) {
    return ErrorAt(e->pos.start,
                   "offset modifier must be preceded by an instant vector "
                   "selector or range vector selector or a subquery");
  }
  if (tm->offset_ms != 0) {
    return ErrorAt(e->pos.start, "offset may not be set multiple times");
  }
  tm->offset_ms = offset;
  e->pos.end = dur.end();
  return Status::OK();
}

Result<TimeModifiers*> Parser::AtModifierTarget(Expr* e) {
  TimeModifiers* tm = ModifiersOf(e);
  if (tm == nullptr) {
    return ErrorAt(e->pos.start,
                   "@ modifier must be preceded by an instant vector "
                   "selector or range vector selector or a subquery");
  }
  if (tm->at_ms.has_value() || tm->at_modifier != AtModifier::kNone) {
    return ErrorAt(e->pos.start, "@ <timestamp> may not be set multiple times");
  }
  return tm;
}

Status Parser::ParseAt(Expr* e) {
  constexpr std::string_view kContext = "@";
  Take();  // @
  const TokenType t = Peek().type;
  if (t == TokenType::kStart || t == TokenType::kEnd) {
    Take();
    if (Peek().type != TokenType::kLeftParen) {
      return Unexpected(Peek(), kContext, "timestamp");
    }
    Take();
    if (Peek().type != TokenType::kRightParen) {
      return Unexpected(Peek(), kContext, "timestamp");
    }
    const Token rp = Take();
    VIGIL_ASSIGN_OR_RETURN(TimeModifiers * tm, AtModifierTarget(e));
    tm->at_modifier =
        t == TokenType::kStart ? AtModifier::kStart : AtModifier::kEnd;
    e->pos.end = rp.end();
    return Status::OK();
  }
  double sign = 1;
  if (t == TokenType::kAdd || t == TokenType::kSub) {
    Take();
    if (t == TokenType::kSub) sign = -1;
  }
  if (Peek().type != TokenType::kNumber) {
    return Unexpected(Peek(), kContext, "timestamp");
  }
  const Token num = Take();
  VIGIL_ASSIGN_OR_RETURN(double ts, ParseNumber(num));
  ts *= sign;
  if (std::isinf(ts) || std::isnan(ts) || ts >= 9223372036854775808.0 ||
      ts <= -9223372036854775808.0) {
    return ErrorAt(e->pos.start,
                   "timestamp out of bounds for @ modifier: " + GoFormatF(ts));
  }
  VIGIL_ASSIGN_OR_RETURN(TimeModifiers * tm, AtModifierTarget(e));
  tm->at_ms = FromFloatSeconds(ts);
  e->pos.end = num.end();
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Calls, aggregations, modifiers.

Result<std::vector<ExprPtr>> Parser::ParseCallBody(int* end) {
  Skip();  // (
  std::vector<ExprPtr> args;
  if (Peek().type == TokenType::kRightParen) {
    *end = Peek().end();
    Skip();
    return args;
  }
  while (true) {
    Result<ExprPtr> arg = ParseExpr(0);
    if (!arg.ok()) return std::move(arg).status();
    args.push_back(std::move(arg).value());
    Result<bool> closed = AfterCallArgument(end);
    if (!closed.ok()) return std::move(closed).status();
    if (*closed) return args;
  }
}

Result<bool> Parser::AfterCallArgument(int* end) {
  const TokenType t = Peek().type;
  if (t == TokenType::kComma) {
    const int comma_pos = Peek().pos;
    Skip();
    const TokenType next = Peek().type;
    if (next == TokenType::kRightParen || next == TokenType::kComma) {
      return ErrorAt(comma_pos,
                     "trailing commas not allowed in function call args");
    }
    return false;
  }
  if (t == TokenType::kRightParen) {
    *end = Peek().end();
    Skip();
    return true;
  }
  return UnexpectedHere(Peek());
}

Result<ExprPtr> Parser::ParseFunctionCall(const Token& name) {
  int end = 0;
  Result<std::vector<ExprPtr>> args = ParseCallBody(&end);
  if (!args.ok()) return std::move(args).status();
  return FinishCall(name, std::move(args).value(), end);
}

Result<ExprPtr> Parser::FinishCall(const Token& name, std::vector<ExprPtr> args,
                                   int end) {
  const Function* f = LookupFunction(name.text);
  if (f == nullptr) {
    return ErrorAt(name.pos,
                   "unknown function with name " + GoQuote(name.text));
  }
  auto call = std::make_unique<Call>();
  call->func = f;
  call->args = std::move(args);
  call->pos = {name.pos, end};
  int depth = 1;
  for (const ExprPtr& a : call->args) {
    auto it = node_depth_.find(a.get());
    depth = std::max(depth, 1 + (it == node_depth_.end() ? 1 : it->second));
  }
  if (depth > kMaxDepth)
    return ErrorAt(name.pos, "expression nested too deeply");
  node_depth_[call.get()] = depth;
  return ExprPtr(std::move(call));
}

Result<ExprPtr> Parser::ParseAggregate(const Token& op) {
  auto agg = std::make_unique<AggregateExpr>();
  agg->op = AggregateOp(op.type);
  int end = 0;
  ++agg_depth_;
  const bool modifier_first =
      Peek().type == TokenType::kBy || Peek().type == TokenType::kWithout;
  if (modifier_first) {
    Status s = ParseAggregatePrefix(agg.get(), &end);
    if (!s.ok()) return s;
  }
  Result<std::vector<ExprPtr>> args = ParseCallBody(&end);
  if (!args.ok()) return std::move(args).status();
  if (!modifier_first) {
    Status s = ParseAggregateSuffix(agg.get(), &end);
    if (!s.ok()) return s;
  }
  --agg_depth_;
  return FinishAggregate(op.pos, std::move(agg), std::move(args).value(), end);
}

Status Parser::ParseAggregatePrefix(AggregateExpr* agg, int* end) {
  VIGIL_RETURN_IF_ERROR(ParseAggregateModifier(agg, end));
  if (Peek().type != TokenType::kLeftParen) return UnexpectedHere(Peek());
  return Status::OK();
}

Status Parser::ParseAggregateSuffix(AggregateExpr* agg, int* end) {
  // Prometheus reads the next token before it builds the aggregation, so a
  // lexer error there comes first.
  const Token& next = Peek();
  if (next.type == TokenType::kError) return Unexpected(next, "", "");
  if (next.type == TokenType::kBy || next.type == TokenType::kWithout) {
    return ParseAggregateModifier(agg, end);
  }
  return Status::OK();
}

Result<ExprPtr> Parser::FinishAggregate(int op_pos,
                                        std::unique_ptr<AggregateExpr> agg,
                                        std::vector<ExprPtr> args, int end) {
  agg->pos = {op_pos, end};
  if (args.empty()) {
    return ErrorAt(op_pos, "no arguments for aggregate expression provided");
  }
  const size_t want = AggregationTakesParam(agg->op) ? 2 : 1;
  if (args.size() != want) {
    return ErrorAt(op_pos,
                   "wrong number of arguments for aggregate expression "
                   "provided, expected " +
                       std::to_string(want) + ", got " +
                       std::to_string(args.size()));
  }
  if (want == 2) agg->param = std::move(args[0]);
  agg->expr = std::move(args[want - 1]);
  VIGIL_RETURN_IF_ERROR(TrackDepth(*agg, {agg->param.get(), agg->expr.get()}));
  return ExprPtr(std::move(agg));
}

Status Parser::ParseAggregateModifier(AggregateExpr* agg, int* end) {
  const Token kw = Take();
  agg->without = kw.type == TokenType::kWithout;
  VIGIL_ASSIGN_OR_RETURN(agg->grouping, ParseGroupingLabels(end));
  return Status::OK();
}

Result<std::vector<std::string>> Parser::ParseGroupingLabels(int* end) {
  constexpr std::string_view kContext = "grouping opts";
  if (Peek().type != TokenType::kLeftParen) {
    return Unexpected(Peek(), kContext, "\"(\"");
  }
  Take();
  std::vector<std::string> labels;
  if (Peek().type == TokenType::kRightParen) {
    *end = Take().end();
    return labels;
  }
  while (true) {
    const Token& label = Peek();
    if (!IsMaybeLabelToken(label.type) || !IsLabelName(label.text)) {
      return Unexpected(label, kContext, "label");
    }
    labels.emplace_back(Take().text);
    const TokenType next = Peek().type;
    if (next == TokenType::kComma) {
      Take();
      if (Peek().type == TokenType::kRightParen) {
        *end = Take().end();
        return labels;
      }
      continue;
    }
    if (next == TokenType::kRightParen) {
      *end = Take().end();
      return labels;
    }
    return Unexpected(Peek(), kContext, "\",\" or \")\"");
  }
}

Status Parser::ParseBinModifiers(BinaryExpr* b) {
  if (Peek().type == TokenType::kBool) {
    Take();
    b->return_bool = true;
  }
  const TokenType t = Peek().type;
  if (t != TokenType::kOn && t != TokenType::kIgnoring) return Status::OK();
  Take();
  VectorMatching& vm = *b->matching;
  vm.on = t == TokenType::kOn;
  int end = 0;
  VIGIL_ASSIGN_OR_RETURN(vm.matching_labels, ParseGroupingLabels(&end));
  const TokenType g = Peek().type;
  if (g != TokenType::kGroupLeft && g != TokenType::kGroupRight) {
    return Status::OK();
  }
  Take();
  vm.card = g == TokenType::kGroupLeft ? Cardinality::kManyToOne
                                       : Cardinality::kOneToMany;
  if (Peek().type == TokenType::kLeftParen) {
    VIGIL_ASSIGN_OR_RETURN(vm.include, ParseGroupingLabels(&end));
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Literals.

Result<double> Parser::ParseNumber(const Token& t) const {
  const std::string_view s = t.text;
  if (std::optional<int64_t> i = ParseGoInt(s)) return static_cast<double>(*i);
  const auto fail = [&](std::string_view why) {
    return ErrorAt(t.pos, "error parsing number: strconv.ParseFloat: parsing " +
                              GoQuote(s) + ": " + std::string(why));
  };
  std::string lower(s);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (lower == "inf") return std::numeric_limits<double>::infinity();
  if (lower == "nan") return std::numeric_limits<double>::quiet_NaN();
  // Go wants a 'p' exponent in hexadecimal floats; the lexer never makes
  // one, so a hex number that is no int64 is a syntax error.
  if (lower.starts_with("0x")) return fail("invalid syntax");
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v,
                                         std::chars_format::general);
  if (ptr != s.data() + s.size()) return fail("invalid syntax");
  if (ec == std::errc::result_out_of_range) {
    // Overflow is an error in Go, underflow is not (it gives the nearest
    // double). The wider long double tells them apart.
    long double wide = 0;
    std::from_chars(s.data(), s.data() + s.size(), wide,
                    std::chars_format::general);
    if (std::fabs(wide) > 1) return fail("value out of range");
    return static_cast<double>(wide);
  }
  if (ec != std::errc()) return fail("invalid syntax");
  return v;
}

Result<int64_t> Parser::ParseDurationToken(const Token& t) const {
  Result<std::chrono::milliseconds> d = model::ParseDuration(t.text);
  if (!d.ok()) {
    std::string_view msg = d.status().message();
    if (msg.starts_with("duration out of range")) msg = "duration out of range";
    return ErrorAt(t.pos, msg);
  }
  if (d->count() == 0) return ErrorAt(t.pos, "duration must be greater than 0");
  return static_cast<int64_t>(d->count());
}

Result<std::string> Parser::Unquote(const Token& t) const {
  Result<std::string> s = UnquoteString(t.text);
  if (!s.ok()) {
    return ErrorAt(t.pos, "error unquoting string " + GoQuote(t.text) + ": " +
                              std::string(s.status().message()));
  }
  return s;
}

// ---------------------------------------------------------------------------
// Type checks (Prometheus' checkAST). The order of the checks is the order
// in which Prometheus records its errors, so the first one is the same.
//
// Check() recurses over the whole tree, so it only dispatches; the checks
// of one node, and the building of error messages, live in the non-
// recursive Check*Node helpers to keep each recursion step's stack small.

Status Parser::Check(Expr& e, ValueType* type) {
  ValueType a = ValueType::kNone;
  ValueType b = ValueType::kNone;
  switch (e.kind) {
    case ExprKind::kNumber: *type = ValueType::kScalar; return Status::OK();
    case ExprKind::kString: *type = ValueType::kString; return Status::OK();
    case ExprKind::kVectorSelector:
      *type = ValueType::kVector;
      return CheckSelectorNode(static_cast<const VectorSelector&>(e));
    case ExprKind::kMatrixSelector:
      *type = ValueType::kMatrix;
      return Check(*static_cast<MatrixSelector&>(e).vector_selector, &a);
    case ExprKind::kSubquery: {
      Status s = Check(*static_cast<SubqueryExpr&>(e).expr, &a);
      if (!s.ok()) return s;
      *type = ValueType::kMatrix;
      return CheckSubqueryNode(e, a);
    }
    case ExprKind::kParen: return Check(*static_cast<ParenExpr&>(e).expr, type);
    case ExprKind::kUnary: {
      Status s = Check(*static_cast<UnaryExpr&>(e).expr, type);
      if (!s.ok()) return s;
      return CheckUnaryNode(e, *type);
    }
    case ExprKind::kBinary: {
      auto& bin = static_cast<BinaryExpr&>(e);
      Status s = Check(*bin.lhs, &a);
      if (s.ok()) s = Check(*bin.rhs, &b);
      if (s.ok()) s = CheckBinaryNode(bin, a, b, type);
      return s;
    }
    case ExprKind::kCall: {
      auto& call = static_cast<Call&>(e);
      Status s = CheckCallArity(call);
      for (size_t i = 0; s.ok() && i < call.args.size(); ++i) {
        s = Check(*call.args[i], &a);
        if (s.ok()) s = CheckCallArgument(call, i, a);
      }
      *type = call.func->return_type;
      return s;
    }
    case ExprKind::kAggregate: {
      auto& agg = static_cast<AggregateExpr&>(e);
      *type = ValueType::kVector;
      Status s = Check(*agg.expr, &a);
      if (s.ok()) s = CheckAggregateExpr(agg, a);
      if (s.ok() && agg.param != nullptr &&
          AggregateParamType(agg.op) != ValueType::kNone) {
        s = Check(*agg.param, &b);
        if (s.ok()) s = CheckAggregateParam(agg, b);
      }
      return s;
    }
  }
  *type = ValueType::kNone;
  return Status::OK();
}

Status Parser::CheckSelectorNode(const VectorSelector& vs) const {
  if (!vs.name.empty()) {
    // The last matcher is the one for the written name.
    for (size_t i = 0; i + 1 < vs.matchers.size(); ++i) {
      if (vs.matchers[i].name() == "__name__") {
        return ErrorAt(vs.pos.start, "metric name must not be set twice: " +
                                         GoQuote(vs.name) + " or " +
                                         GoQuote(vs.matchers[i].value()));
      }
    }
    return Status::OK();
  }
  for (const model::Matcher& m : vs.matchers) {
    if (!m.MatchesEmpty()) return Status::OK();
  }
  return ErrorAt(vs.pos.start,
                 "vector selector must contain at least one non-empty "
                 "matcher");
}

Status Parser::CheckSubqueryNode(const Expr& e, ValueType inner) const {
  if (inner == ValueType::kVector) return Status::OK();
  return ErrorAt(e.pos.start,
                 "subquery is only allowed on instant vector, got " +
                     std::string(RawTypeName(inner)) + " instead");
}

Status Parser::CheckUnaryNode(const Expr& e, ValueType inner) const {
  if (inner == ValueType::kScalar || inner == ValueType::kVector) {
    return Status::OK();
  }
  return ErrorAt(e.pos.start,
                 "unary expression only allowed on expressions of type "
                 "scalar or instant vector, got " +
                     GoQuote(ValueTypeName(inner)));
}

ValueType Parser::AggregateParamType(Op op) {
  switch (op) {
    case Op::kTopk:
    case Op::kBottomk:
    case Op::kQuantile: return ValueType::kScalar;
    case Op::kCountValues: return ValueType::kString;
    default: return ValueType::kNone;
  }
}

Status Parser::CheckAggregateExpr(const AggregateExpr& agg, ValueType t) const {
  if (t == ValueType::kVector) return Status::OK();
  return ErrorAt(agg.expr->pos.start,
                 "expected type instant vector in aggregation expression, "
                 "got " +
                     std::string(ValueTypeName(t)));
}

Status Parser::CheckAggregateParam(const AggregateExpr& agg,
                                   ValueType t) const {
  const ValueType want = AggregateParamType(agg.op);
  if (t == want) return Status::OK();
  return ErrorAt(agg.param->pos.start, "expected type " +
                                           std::string(ValueTypeName(want)) +
                                           " in aggregation parameter, got " +
                                           std::string(ValueTypeName(t)));
}

Status Parser::CheckBinaryNode(BinaryExpr& b, ValueType lt, ValueType rt,
                               ValueType* type) const {
  // Where the operator starts: the first non-space after the left side.
  const auto op_pos = [&] {
    size_t p = static_cast<size_t>(b.lhs->pos.end);
    while (p < input_.size() && IsSpaceByte(input_[p])) ++p;
    return static_cast<int>(p);
  };
  const std::string op_quoted = GoQuote(OpString(b.op));

  if (b.return_bool && !IsComparison(b.op)) {
    return ErrorAt(op_pos(),
                   "bool modifier can only be used on comparison operators");
  }
  if (IsComparison(b.op) && !b.return_bool && lt == ValueType::kScalar &&
      rt == ValueType::kScalar) {
    return ErrorAt(op_pos(),
                   "comparisons between scalars must use BOOL modifier");
  }
  if (!b.matching.has_value()) b.matching = VectorMatching{};
  {
    VectorMatching& vm = *b.matching;
    if (IsSetOperator(b.op) && vm.card == Cardinality::kOneToOne) {
      vm.card = Cardinality::kManyToMany;
    }
    if (vm.on) {
      for (const std::string& l1 : vm.matching_labels) {
        for (const std::string& l2 : vm.include) {
          if (l1 == l2) {
            return ErrorAt(op_pos(), "label " + GoQuote(l1) +
                                         " must not occur in ON and GROUP "
                                         "clause at once");
          }
        }
      }
    }
  }
  constexpr std::string_view kOperandTypes =
      "binary expression must contain only scalar and instant vector types";
  if (lt != ValueType::kScalar && lt != ValueType::kVector) {
    return ErrorAt(b.lhs->pos.start, kOperandTypes);
  }
  if (rt != ValueType::kScalar && rt != ValueType::kVector) {
    return ErrorAt(b.rhs->pos.start, kOperandTypes);
  }
  if (lt != ValueType::kVector || rt != ValueType::kVector) {
    if (!b.matching->matching_labels.empty()) {
      return ErrorAt(b.pos.start,
                     "vector matching only allowed between instant vectors");
    }
    b.matching.reset();
  } else if (IsSetOperator(b.op)) {
    const Cardinality card = b.matching->card;
    if (card == Cardinality::kOneToMany || card == Cardinality::kManyToOne) {
      return ErrorAt(b.pos.start,
                     "no grouping allowed for " + op_quoted + " operation");
    }
    if (card != Cardinality::kManyToMany) {
      return ErrorAt(b.pos.start, "set operations must always be many-to-many");
    }
  }
  if ((lt == ValueType::kScalar || rt == ValueType::kScalar) &&
      IsSetOperator(b.op)) {
    return ErrorAt(b.pos.start, "set operator " + op_quoted +
                                    " not allowed in binary scalar expression");
  }
  *type = lt == ValueType::kScalar && rt == ValueType::kScalar
              ? ValueType::kScalar
              : ValueType::kVector;
  return Status::OK();
}

Status Parser::CheckCallArity(const Call& c) const {
  const Function& f = *c.func;
  const int nargs = static_cast<int>(f.arg_types.size());
  const int got = static_cast<int>(c.args.size());
  const auto error = [&](std::string_view what, int n) {
    return ErrorAt(c.pos.start,
                   "expected " + std::string(what) + std::to_string(n) +
                       " argument(s) in call to " + GoQuote(f.name) + ", got " +
                       std::to_string(got));
  };
  if (f.variadic == 0) {
    if (nargs != got) return error("", nargs);
    return Status::OK();
  }
  const int min_args = nargs - 1;
  if (min_args > got) return error("at least ", min_args);
  if (f.variadic > 0 && min_args + f.variadic < got) {
    return error("at most ", min_args + f.variadic);
  }
  return Status::OK();
}

Status Parser::CheckCallArgument(const Call& c, size_t i, ValueType t) const {
  const Function& f = *c.func;
  // Extra arguments of a variadic function have the last argument's type.
  // (Extra arguments of other functions were refused by CheckCallArity.)
  const size_t idx = std::min(i, f.arg_types.size() - 1);
  const ValueType want = f.arg_types[idx];
  if (t == want) return Status::OK();
  return ErrorAt(c.args[i]->pos.start,
                 "expected type " + std::string(ValueTypeName(want)) +
                     " in call to function " + GoQuote(f.name) + ", got " +
                     std::string(ValueTypeName(t)));
}

Result<std::vector<model::Matcher>> Parser::ParseTopLevelSelector() {
  const Token& t = Peek();
  ExprPtr e;
  if (t.type == TokenType::kLeftBrace) {
    VIGIL_ASSIGN_OR_RETURN(e, ParseVectorSelector(nullptr));
  } else if (IsMetricIdentifierToken(t.type)) {
    const Token name = Take();
    VIGIL_ASSIGN_OR_RETURN(e, ParseVectorSelector(&name));
  } else {
    return Unexpected(t, "", "");
  }
  if (Peek().type != TokenType::kEof) return Unexpected(Peek(), "", "");
  return std::move(static_cast<VectorSelector&>(*e).matchers);
}

}  // namespace

Result<ExprPtr> ParseExpr(std::string_view input) {
  Parser p(input);
  return p.ParseTopLevelExpr();
}

Result<std::vector<model::Matcher>> ParseMetricSelector(
    std::string_view input) {
  Parser p(input);
  return p.ParseTopLevelSelector();
}

Result<int64_t> ParseDurationMs(std::string_view input) {
  VIGIL_ASSIGN_OR_RETURN(std::chrono::milliseconds d,
                         model::ParseDuration(input));
  return static_cast<int64_t>(d.count());
}

}  // namespace vigil::promql
