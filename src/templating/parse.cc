#include "templating/parse.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "templating/go_fmt.h"

namespace vigil::templating::internal {
namespace {

// ---------------------------------------------------------------- lexer

enum class ItemType : uint8_t {
  kError,
  kBool,
  kChar,
  kCharConstant,
  kComplex,
  kAssign,
  kDeclare,
  kEOF,
  kField,
  kIdentifier,
  kLeftDelim,
  kLeftParen,
  kNumber,
  kPipe,
  kRawString,
  kRightDelim,
  kRightParen,
  kSpace,
  kString,
  kText,
  kVariable,
  kKeyword,  // keywords follow
  kBlock,
  kBreak,
  kContinue,
  kDot,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kNil,
  kRange,
  kTemplate,
  kWith,
};

struct Item {
  ItemType type = ItemType::kEOF;
  int pos = 0;
  std::string val;
  int line = 1;

  // Go's item.String(), used in "unexpected X in Y".
  std::string String() const {
    if (type == ItemType::kEOF) return "EOF";
    if (type == ItemType::kError) return val;
    if (type > ItemType::kKeyword) return "<" + val + ">";
    if (RuneCount(val) > 10) {
      std::string_view v = val;
      size_t i = 0;
      for (int n = 0; n < 10; ++n) {
        i += static_cast<size_t>(DecodeRune(v.substr(i)).width);
      }
      return Quote(v.substr(0, i)) + "...";
    }
    return Quote(val);
  }
};

constexpr std::string_view kLeftDelim = "{{";
constexpr std::string_view kRightDelim = "}}";
constexpr std::string_view kLeftComment = "/*";
constexpr std::string_view kRightComment = "*/";
constexpr char kTrimMarker = '-';
constexpr size_t kTrimMarkerLen = 2;  // the marker and one space

bool IsSpaceByte(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool IsSpaceRune(char32_t r) {
  return r == ' ' || r == '\t' || r == '\r' || r == '\n';
}
bool IsAlphaNumeric(char32_t r) {
  return r == '_' || IsLetter(r) || IsDigit(r);
}
bool HasLeftTrimMarker(std::string_view s) {
  return s.size() >= 2 && s[0] == kTrimMarker && IsSpaceByte(s[1]);
}
bool HasRightTrimMarker(std::string_view s) {
  return s.size() >= 2 && IsSpaceByte(s[0]) && s[1] == kTrimMarker;
}

// Go's %#U: "U+0041 'A'" (the character only when printable).
std::string SharpU(char32_t r) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "U+%04X", static_cast<unsigned>(r));
  std::string s = buf;
  if (IsPrint(r)) {
    s += " '";
    AppendRune(r, &s);
    s += "'";
  }
  return s;
}

constexpr int kEofRune = -1;

// A port of Go's state-function lexer, run to completion up front. The
// item list ends with kEOF or kError. Not thread-safe: one per Parse.
class Lexer {
 public:
  Lexer(std::string_view input, bool break_ok, bool continue_ok)
      : in_(input), break_ok_(break_ok), continue_ok_(continue_ok) {
    for (size_t i = 0; i < in_.size(); ++i) {
      if (in_[i] == '\n') newlines_.push_back(i);
    }
  }

  std::vector<Item> Run() {
    State state = State::kText;
    while (state != State::kDone) {
      switch (state) {
        case State::kText:
          state = LexText();
          break;
        case State::kLeftDelim:
          state = LexLeftDelim();
          break;
        case State::kComment:
          state = LexComment();
          break;
        case State::kRightDelim:
          state = LexRightDelim();
          break;
        case State::kInsideAction:
          state = LexInsideAction();
          break;
        case State::kDone:
          break;
      }
    }
    return std::move(items_);
  }

 private:
  enum class State {
    kText,
    kLeftDelim,
    kComment,
    kRightDelim,
    kInsideAction,
    kDone
  };

  int LineAt(size_t pos) const {
    return 1 + static_cast<int>(
                   std::lower_bound(newlines_.begin(), newlines_.end(), pos) -
                   newlines_.begin());
  }

  int Next() {
    if (pos_ >= in_.size()) {
      width_ = 0;
      return kEofRune;
    }
    const DecodedRune d = DecodeRune(in_.substr(pos_));
    width_ = static_cast<size_t>(d.width);
    pos_ += width_;
    return static_cast<int>(d.r);
  }
  int Peek() {
    const int r = Next();
    Backup();
    return r;
  }
  void Backup() { pos_ -= width_; }

  void Emit(ItemType t) {
    items_.push_back(Item{t, static_cast<int>(start_),
                          std::string(in_.substr(start_, pos_ - start_)),
                          LineAt(start_)});
    start_ = pos_;
  }
  void Ignore() { start_ = pos_; }
  State Errorf(std::string msg) {
    items_.push_back(Item{ItemType::kError, static_cast<int>(start_),
                          std::move(msg), LineAt(start_)});
    return State::kDone;
  }

  bool Accept(std::string_view valid) {
    const int r = Next();
    if (r != kEofRune && r < 0x80 &&
        valid.find(static_cast<char>(r)) != std::string_view::npos) {
      return true;
    }
    Backup();
    return false;
  }
  void AcceptRun(std::string_view valid) {
    while (Accept(valid)) {
    }
  }

  // atRightDelim: at "}}" or " -}}".
  bool AtRightDelim(bool* trim) const {
    std::string_view rest = in_.substr(pos_);
    if (HasRightTrimMarker(rest) &&
        rest.substr(kTrimMarkerLen).starts_with(kRightDelim)) {
      *trim = true;
      return true;
    }
    *trim = false;
    return rest.starts_with(kRightDelim);
  }

  bool AtTerminator() {
    const int r = Peek();
    if (r != kEofRune && IsSpaceRune(static_cast<char32_t>(r))) return true;
    switch (r) {
      case kEofRune:
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
        return true;
      default:
        return in_.substr(pos_).starts_with(kRightDelim);
    }
  }

  State LexText() {
    const size_t x = in_.find(kLeftDelim, pos_);
    if (x != std::string_view::npos) {
      if (x > pos_) {
        pos_ = x;
        size_t trim = 0;
        if (HasLeftTrimMarker(in_.substr(pos_ + kLeftDelim.size()))) {
          std::string_view text = in_.substr(start_, pos_ - start_);
          size_t n = text.size();
          while (n > 0 && IsSpaceByte(text[n - 1])) --n;
          trim = text.size() - n;
        }
        pos_ -= trim;
        if (pos_ > start_) {
          Emit(ItemType::kText);
        }
        pos_ += trim;
        Ignore();
      }
      return State::kLeftDelim;
    }
    pos_ = in_.size();
    if (pos_ > start_) Emit(ItemType::kText);
    Emit(ItemType::kEOF);
    return State::kDone;
  }

  State LexLeftDelim() {
    pos_ += kLeftDelim.size();
    const bool trim = HasLeftTrimMarker(in_.substr(pos_));
    const size_t after = trim ? kTrimMarkerLen : 0;
    if (in_.substr(pos_ + after).starts_with(kLeftComment)) {
      pos_ += after;
      Ignore();
      return State::kComment;
    }
    Emit(ItemType::kLeftDelim);
    pos_ += after;
    Ignore();
    paren_depth_ = 0;
    return State::kInsideAction;
  }

  State LexComment() {
    pos_ += kLeftComment.size();
    const size_t x = in_.find(kRightComment, pos_);
    if (x == std::string_view::npos) return Errorf("unclosed comment");
    pos_ = x + kRightComment.size();
    bool trim = false;
    if (!AtRightDelim(&trim)) {
      return Errorf("comment ends before closing delimiter");
    }
    if (trim) pos_ += kTrimMarkerLen;
    pos_ += kRightDelim.size();
    if (trim) {
      while (pos_ < in_.size() && IsSpaceByte(in_[pos_])) ++pos_;
    }
    Ignore();
    return State::kText;
  }

  State LexRightDelim() {
    bool trim = false;
    AtRightDelim(&trim);
    if (trim) {
      pos_ += kTrimMarkerLen;
      Ignore();
    }
    pos_ += kRightDelim.size();
    Emit(ItemType::kRightDelim);
    if (trim) {
      while (pos_ < in_.size() && IsSpaceByte(in_[pos_])) ++pos_;
      Ignore();
    }
    return State::kText;
  }

  State LexInsideAction() {
    bool trim = false;
    if (AtRightDelim(&trim)) {
      if (paren_depth_ == 0) return State::kRightDelim;
      return Errorf("unclosed left paren");
    }
    const int r = Next();
    if (r == kEofRune) return Errorf("unclosed action");
    const auto rr = static_cast<char32_t>(r);
    if (IsSpaceRune(rr)) {
      Backup();
      return LexSpace();
    }
    switch (r) {
      case '=':
        Emit(ItemType::kAssign);
        return State::kInsideAction;
      case ':':
        if (Next() != '=') return Errorf("expected :=");
        Emit(ItemType::kDeclare);
        return State::kInsideAction;
      case '|':
        Emit(ItemType::kPipe);
        return State::kInsideAction;
      case '"':
        return LexQuote();
      case '`':
        return LexRawQuote();
      case '$':
        return LexVariable();
      case '\'':
        return LexChar();
      case '.':
        if (pos_ < in_.size() && (in_[pos_] < '0' || in_[pos_] > '9')) {
          return LexFieldOrVariable(ItemType::kField);
        }
        Backup();
        return LexNumber();
      case '(':
        ++paren_depth_;
        Emit(ItemType::kLeftParen);
        return State::kInsideAction;
      case ')':
        --paren_depth_;
        if (paren_depth_ < 0) return Errorf("unexpected right paren");
        Emit(ItemType::kRightParen);
        return State::kInsideAction;
      default:
        break;
    }
    if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
      Backup();
      return LexNumber();
    }
    if (IsAlphaNumeric(rr)) {
      Backup();
      return LexIdentifier();
    }
    if (r < 0x80 && IsPrint(rr)) {
      Emit(ItemType::kChar);
      return State::kInsideAction;
    }
    return Errorf("unrecognized character in action: " + SharpU(rr));
  }

  State LexSpace() {
    int num_spaces = 0;
    while (true) {
      const int r = Peek();
      if (r == kEofRune || !IsSpaceRune(static_cast<char32_t>(r))) break;
      Next();
      ++num_spaces;
    }
    // A trim-marked right delimiter starts with a space: leave it.
    std::string_view last = in_.substr(pos_ - 1);
    if (HasRightTrimMarker(last) &&
        last.substr(kTrimMarkerLen).starts_with(kRightDelim)) {
      Backup();
      if (num_spaces == 1) return State::kRightDelim;
    }
    Emit(ItemType::kSpace);
    return State::kInsideAction;
  }

  State LexIdentifier() {
    while (true) {
      const int r = Next();
      if (r != kEofRune && IsAlphaNumeric(static_cast<char32_t>(r))) continue;
      Backup();
      const std::string_view word = in_.substr(start_, pos_ - start_);
      if (!AtTerminator()) {
        return Errorf("bad character " +
                      SharpU(static_cast<char32_t>(r == kEofRune ? 0 : r)));
      }
      ItemType t = ItemType::kIdentifier;
      if (word == "block") t = ItemType::kBlock;
      if (word == "break" && break_ok_) t = ItemType::kBreak;
      if (word == "continue" && continue_ok_) t = ItemType::kContinue;
      if (word == "define") t = ItemType::kDefine;
      if (word == "else") t = ItemType::kElse;
      if (word == "end") t = ItemType::kEnd;
      if (word == "if") t = ItemType::kIf;
      if (word == "range") t = ItemType::kRange;
      if (word == "nil") t = ItemType::kNil;
      if (word == "template") t = ItemType::kTemplate;
      if (word == "with") t = ItemType::kWith;
      if (word == "true" || word == "false") t = ItemType::kBool;
      Emit(t);
      return State::kInsideAction;
    }
  }

  State LexVariable() {
    if (AtTerminator()) {
      Emit(ItemType::kVariable);
      return State::kInsideAction;
    }
    return LexFieldOrVariable(ItemType::kVariable);
  }

  // The '.' or '$' has been consumed.
  State LexFieldOrVariable(ItemType t) {
    if (AtTerminator()) {
      Emit(t == ItemType::kVariable ? ItemType::kVariable : ItemType::kDot);
      return State::kInsideAction;
    }
    int r;
    while (true) {
      r = Next();
      if (r == kEofRune || !IsAlphaNumeric(static_cast<char32_t>(r))) {
        Backup();
        break;
      }
    }
    if (!AtTerminator()) {
      return Errorf("bad character " +
                    SharpU(static_cast<char32_t>(r == kEofRune ? 0 : r)));
    }
    Emit(t);
    return State::kInsideAction;
  }

  State LexChar() {
    while (true) {
      int r = Next();
      if (r == '\\') {
        r = Next();
        if (r != kEofRune && r != '\n') continue;
        return Errorf("unterminated character constant");
      }
      if (r == kEofRune || r == '\n') {
        return Errorf("unterminated character constant");
      }
      if (r == '\'') break;
    }
    Emit(ItemType::kCharConstant);
    return State::kInsideAction;
  }

  bool ScanNumber() {
    Accept("+-");
    std::string_view digits = "0123456789_";
    if (Accept("0")) {
      if (Accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (Accept("oO")) {
        digits = "01234567_";
      } else if (Accept("bB")) {
        digits = "01_";
      }
    }
    AcceptRun(digits);
    if (Accept(".")) AcceptRun(digits);
    if (digits.size() == 11 && Accept("eE")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    if (digits.size() == 23 && Accept("pP")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    Accept("i");
    const int r = Peek();
    if (r != kEofRune && IsAlphaNumeric(static_cast<char32_t>(r))) {
      Next();
      return false;
    }
    return true;
  }

  State LexNumber() {
    if (!ScanNumber()) {
      return Errorf("bad number syntax: " +
                    Quote(in_.substr(start_, pos_ - start_)));
    }
    const int sign = Peek();
    if (sign == '+' || sign == '-') {
      if (!ScanNumber() || in_[pos_ - 1] != 'i') {
        return Errorf("bad number syntax: " +
                      Quote(in_.substr(start_, pos_ - start_)));
      }
      Emit(ItemType::kComplex);
    } else {
      Emit(ItemType::kNumber);
    }
    return State::kInsideAction;
  }

  State LexQuote() {
    while (true) {
      int r = Next();
      if (r == '\\') {
        r = Next();
        if (r != kEofRune && r != '\n') continue;
        return Errorf("unterminated quoted string");
      }
      if (r == kEofRune || r == '\n') {
        return Errorf("unterminated quoted string");
      }
      if (r == '"') break;
    }
    Emit(ItemType::kString);
    return State::kInsideAction;
  }

  State LexRawQuote() {
    while (true) {
      const int r = Next();
      if (r == kEofRune) return Errorf("unterminated raw quoted string");
      if (r == '`') break;
    }
    Emit(ItemType::kRawString);
    return State::kInsideAction;
  }

  std::string_view in_;
  bool break_ok_;
  bool continue_ok_;
  std::vector<size_t> newlines_;
  size_t pos_ = 0;
  size_t start_ = 0;
  size_t width_ = 0;
  int paren_depth_ = 0;
  std::vector<Item> items_;
};

// ---------------------------------------------------------------- parser

std::unique_ptr<Node> MakeNode(NodeType t, int pos) {
  auto n = std::make_unique<Node>();
  n->type = t;
  n->pos = pos;
  return n;
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t i = s.find(sep, start);
    out.emplace_back(s.substr(start, i - start));
    if (i == std::string_view::npos) break;
    start = i + 1;
  }
  return out;
}

// State shared by the parsers of one text: the token stream, the output
// set and the nesting depth.
struct Shared {
  std::vector<Item> items;
  size_t cursor = 0;
  std::string_view parse_name;
  std::shared_ptr<const std::string> text;
  const std::function<bool(std::string_view)>* has_function;
  TreeSet* set;
  int depth = 0;
  Status error;
};

// Parses one tree (the body or one {{define}}), as Go's parse.Tree does.
// Errors stop parsing: the first sets shared->error and every function
// returns (nullptr/false) up the stack. Not thread-safe: one per tree.
class Parser {
 public:
  Parser(Shared* shared, std::string name)
      : s_(shared), name_(std::move(name)) {}

  bool ParseTop() {
    root_ = MakeNode(NodeType::kList, Peek().pos);
    while (Peek().type != ItemType::kEOF) {
      if (Peek().type == ItemType::kLeftDelim) {
        const Item delim = Next();
        if (NextNonSpace().type == ItemType::kDefine) {
          Parser def(s_, "definition");
          if (!def.ParseDefinition()) return false;
          continue;
        }
        Backup2(delim);
      }
      std::unique_ptr<Node> n = TextOrAction();
      if (!n) return false;
      if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
        return Errorf("unexpected " + n->String());
      }
      root_->nodes.push_back(std::move(n));
    }
    return Add();
  }

 private:
  bool failed() const { return !s_->error.ok(); }

  bool Errorf(const std::string& msg) {
    if (failed()) return false;
    s_->error =
        InvalidArgumentError("template: " + std::string(s_->parse_name) + ":" +
                             std::to_string(token_[0].line) + ": " + msg);
    return false;
  }

  // Token stream with three tokens of lookahead (Go's next/backup/peek).
  Item ReadItem() {
    if (s_->cursor < s_->items.size()) return s_->items[s_->cursor++];
    Item eof;
    eof.type = ItemType::kEOF;
    eof.pos = static_cast<int>(s_->text->size());
    eof.line = s_->items.empty() ? 1 : s_->items.back().line;
    return eof;
  }
  Item Next() {
    if (peek_count_ > 0) {
      --peek_count_;
    } else {
      token_[0] = ReadItem();
    }
    return token_[peek_count_];
  }
  void Backup() { ++peek_count_; }
  void Backup2(const Item& t1) {
    token_[1] = t1;
    peek_count_ = 2;
  }
  void Backup3(const Item& t2, const Item& t1) {
    token_[1] = t1;
    token_[2] = t2;
    peek_count_ = 3;
  }
  Item Peek() {
    if (peek_count_ > 0) return token_[peek_count_ - 1];
    peek_count_ = 1;
    token_[0] = ReadItem();
    return token_[0];
  }
  Item NextNonSpace() {
    Item t;
    do {
      t = Next();
    } while (t.type == ItemType::kSpace);
    return t;
  }
  Item PeekNonSpace() {
    Item t = NextNonSpace();
    Backup();
    return t;
  }

  bool Unexpected(const Item& token, std::string_view context) {
    if (token.type == ItemType::kError) {
      std::string extra;
      if (action_line_ != 0 && action_line_ != token.line) {
        extra = " in action started at " + std::string(s_->parse_name) + ":" +
                std::to_string(action_line_);
        if (token.val.ends_with(" action")) {
          extra = extra.substr(std::string_view(" in action").size());
        }
      }
      return Errorf(token.String() + extra);
    }
    return Errorf("unexpected " + token.String() + " in " +
                  std::string(context));
  }

  std::optional<Item> Expect(ItemType t, std::string_view context) {
    Item token = NextNonSpace();
    if (token.type != t) {
      Unexpected(token, context);
      return std::nullopt;
    }
    return token;
  }

  bool Add() {
    std::shared_ptr<Tree> tree = std::make_shared<Tree>();
    tree->name = name_;
    tree->parse_name = std::string(s_->parse_name);
    tree->text = s_->text;
    tree->root = std::move(root_);
    auto it = s_->set->find(name_);
    if (it == s_->set->end() || IsEmptyTree(it->second->root.get())) {
      (*s_->set)[name_] = std::move(tree);
      return true;
    }
    if (!IsEmptyTree(tree->root.get())) {
      return Errorf("template: multiple definition of template " +
                    Quote(name_));
    }
    return true;
  }

  bool ParseDefinition() {
    constexpr std::string_view kContext = "define clause";
    Item name = NextNonSpace();
    if (name.type != ItemType::kString && name.type != ItemType::kRawString) {
      return Unexpected(name, kContext);
    }
    std::optional<std::string> unquoted = Unquote(name.val);
    if (!unquoted) return Errorf("invalid syntax");
    name_ = *unquoted;
    if (!Expect(ItemType::kRightDelim, kContext)) return false;
    std::unique_ptr<Node> end;
    root_ = ItemList(&end);
    if (!root_) return false;
    if (end->type != NodeType::kEnd) {
      return Errorf("unexpected " + end->String() + " in " +
                    std::string(kContext));
    }
    return Add();
  }

  // textOrAction* up to {{end}} or {{else}}, returned in *next.
  std::unique_ptr<Node> ItemList(std::unique_ptr<Node>* next) {
    auto list = MakeNode(NodeType::kList, PeekNonSpace().pos);
    while (PeekNonSpace().type != ItemType::kEOF) {
      std::unique_ptr<Node> n = TextOrAction();
      if (!n) return nullptr;
      if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
        *next = std::move(n);
        return list;
      }
      list->nodes.push_back(std::move(n));
    }
    Errorf("unexpected EOF");
    return nullptr;
  }

  std::unique_ptr<Node> TextOrAction() {
    Item token = NextNonSpace();
    switch (token.type) {
      case ItemType::kText: {
        auto n = MakeNode(NodeType::kText, token.pos);
        n->text = token.val;
        return n;
      }
      case ItemType::kLeftDelim: {
        action_line_ = token.line;
        std::unique_ptr<Node> n = Action();
        action_line_ = 0;
        return n;
      }
      default:
        Unexpected(token, "input");
        return nullptr;
    }
  }

  std::unique_ptr<Node> Action() {
    Item token = NextNonSpace();
    switch (token.type) {
      case ItemType::kBlock:
        return BlockControl();
      case ItemType::kBreak:
      case ItemType::kContinue:
        return BreakOrContinue(token);
      case ItemType::kElse:
        return ElseControl();
      case ItemType::kEnd:
        return EndControl();
      case ItemType::kIf:
        return Control(NodeType::kIf, "if");
      case ItemType::kRange:
        return Control(NodeType::kRange, "range");
      case ItemType::kTemplate:
        return TemplateControl();
      case ItemType::kWith:
        return Control(NodeType::kWith, "with");
      default:
        break;
    }
    Backup();
    token = Peek();
    auto action = MakeNode(NodeType::kAction, token.pos);
    action->pipe = Pipeline("command", ItemType::kRightDelim);
    if (!action->pipe) return nullptr;
    return action;
  }

  std::unique_ptr<Node> BreakOrContinue(const Item& keyword) {
    const bool is_break = keyword.type == ItemType::kBreak;
    const std::string context = is_break ? "{{break}}" : "{{continue}}";
    Item token = NextNonSpace();
    if (token.type != ItemType::kRightDelim) {
      Unexpected(token, context);
      return nullptr;
    }
    if (range_depth_ == 0) {
      Errorf(context + " outside {{range}}");
      return nullptr;
    }
    return MakeNode(is_break ? NodeType::kBreak : NodeType::kContinue,
                    keyword.pos);
  }

  std::unique_ptr<Node> Pipeline(std::string_view context, ItemType end) {
    Item token = PeekNonSpace();
    auto pipe = MakeNode(NodeType::kPipe, token.pos);
    // Declarations or assignments: "$x :=", "$x =", "$i, $e :=".
    while (true) {
      Item v = PeekNonSpace();
      if (v.type != ItemType::kVariable) break;
      Next();
      Item after = Peek();
      Item next = PeekNonSpace();
      if (next.type == ItemType::kAssign || next.type == ItemType::kDeclare) {
        pipe->is_assign = next.type == ItemType::kAssign;
        NextNonSpace();
        pipe->decls.push_back(NewVariable(v.pos, v.val));
        vars_.push_back(v.val);
        break;
      }
      if (next.type == ItemType::kChar && next.val == ",") {
        NextNonSpace();
        pipe->decls.push_back(NewVariable(v.pos, v.val));
        vars_.push_back(v.val);
        if (context == "range" && pipe->decls.size() < 2) {
          const ItemType t = PeekNonSpace().type;
          if (t == ItemType::kVariable || t == ItemType::kRightDelim ||
              t == ItemType::kRightParen) {
            continue;  // the second variable of a range
          }
          Errorf("range can only initialize variables");
          return nullptr;
        }
        Errorf("too many declarations in " + std::string(context));
        return nullptr;
      }
      if (after.type == ItemType::kSpace) {
        Backup3(v, after);
      } else {
        Backup2(v);
      }
      break;
    }
    while (true) {
      token = NextNonSpace();
      if (token.type == end) {
        if (!CheckPipeline(*pipe, context)) return nullptr;
        return pipe;
      }
      switch (token.type) {
        case ItemType::kBool:
        case ItemType::kCharConstant:
        case ItemType::kComplex:
        case ItemType::kDot:
        case ItemType::kField:
        case ItemType::kIdentifier:
        case ItemType::kNumber:
        case ItemType::kNil:
        case ItemType::kRawString:
        case ItemType::kString:
        case ItemType::kVariable:
        case ItemType::kLeftParen: {
          Backup();
          std::unique_ptr<Node> cmd = Command();
          if (!cmd) return nullptr;
          pipe->nodes.push_back(std::move(cmd));
          break;
        }
        default:
          Unexpected(token, context);
          return nullptr;
      }
    }
  }

  bool CheckPipeline(const Node& pipe, std::string_view context) {
    if (pipe.nodes.empty()) {
      return Errorf("missing value for " + std::string(context));
    }
    for (size_t i = 1; i < pipe.nodes.size(); ++i) {
      switch (pipe.nodes[i]->nodes[0]->type) {
        case NodeType::kBool:
        case NodeType::kDot:
        case NodeType::kNil:
        case NodeType::kNumber:
        case NodeType::kString:
          return Errorf("non executable command in pipeline stage " +
                        std::to_string(i + 1));
        default:
          break;
      }
    }
    return true;
  }

  bool Enter() {
    if (s_->depth >= kMaxParseDepth) {
      return Errorf("max expression depth exceeded");
    }
    ++s_->depth;
    return true;
  }
  void Leave() { --s_->depth; }

  // if/range/with: pipeline, list, optional else list.
  std::unique_ptr<Node> Control(NodeType type, std::string_view context) {
    if (!Enter()) return nullptr;
    std::unique_ptr<Node> n = ParseControl(type, context);
    Leave();
    return n;
  }

  std::unique_ptr<Node> ParseControl(NodeType type, std::string_view context) {
    const size_t saved_vars = vars_.size();
    auto node = MakeNode(type, 0);
    node->pipe = Pipeline(context, ItemType::kRightDelim);
    if (!node->pipe) return nullptr;
    node->pos = node->pipe->pos;
    if (type == NodeType::kRange) ++range_depth_;
    std::unique_ptr<Node> next;
    node->list = ItemList(&next);
    if (type == NodeType::kRange) --range_depth_;
    if (!node->list) return nullptr;
    if (next->type == NodeType::kElse) {
      // "{{else if x}}" and "{{else with x}}" nest a control that shares
      // the outer {{end}}.
      if (type == NodeType::kIf && Peek().type == ItemType::kIf) {
        Next();
        node->else_list = MakeNode(NodeType::kList, next->pos);
        std::unique_ptr<Node> inner = Control(NodeType::kIf, "if");
        if (!inner) return nullptr;
        node->else_list->nodes.push_back(std::move(inner));
      } else if (type == NodeType::kWith && Peek().type == ItemType::kWith) {
        Next();
        node->else_list = MakeNode(NodeType::kList, next->pos);
        std::unique_ptr<Node> inner = Control(NodeType::kWith, "with");
        if (!inner) return nullptr;
        node->else_list->nodes.push_back(std::move(inner));
      } else {
        std::unique_ptr<Node> end;
        node->else_list = ItemList(&end);
        if (!node->else_list) return nullptr;
        if (end->type != NodeType::kEnd) {
          Errorf("expected end; found " + end->String());
          return nullptr;
        }
      }
    }
    vars_.resize(saved_vars);
    return node;
  }

  std::unique_ptr<Node> EndControl() {
    std::optional<Item> t = Expect(ItemType::kRightDelim, "end");
    if (!t) return nullptr;
    return MakeNode(NodeType::kEnd, t->pos);
  }

  std::unique_ptr<Node> ElseControl() {
    Item peek = PeekNonSpace();
    if (peek.type == ItemType::kIf || peek.type == ItemType::kWith) {
      return MakeNode(NodeType::kElse, peek.pos);
    }
    std::optional<Item> t = Expect(ItemType::kRightDelim, "else");
    if (!t) return nullptr;
    return MakeNode(NodeType::kElse, t->pos);
  }

  std::optional<std::string> TemplateName(const Item& token,
                                          std::string_view context) {
    if (token.type != ItemType::kString && token.type != ItemType::kRawString) {
      Unexpected(token, context);
      return std::nullopt;
    }
    std::optional<std::string> s = Unquote(token.val);
    if (!s) Errorf("invalid syntax");
    return s;
  }

  std::unique_ptr<Node> BlockControl() {
    constexpr std::string_view kContext = "block clause";
    Item token = NextNonSpace();
    std::optional<std::string> name = TemplateName(token, kContext);
    if (!name) return nullptr;
    auto node = MakeNode(NodeType::kTemplate, token.pos);
    node->text = *name;
    node->pipe = Pipeline(kContext, ItemType::kRightDelim);
    if (!node->pipe) return nullptr;
    if (!Enter()) return nullptr;
    Parser block(s_, *name);
    std::unique_ptr<Node> end;
    block.root_ = block.ItemList(&end);
    Leave();
    if (!block.root_) return nullptr;
    if (end->type != NodeType::kEnd) {
      Errorf("unexpected " + end->String() + " in " + std::string(kContext));
      return nullptr;
    }
    if (!block.Add()) return nullptr;
    return node;
  }

  std::unique_ptr<Node> TemplateControl() {
    constexpr std::string_view kContext = "template clause";
    Item token = NextNonSpace();
    std::optional<std::string> name = TemplateName(token, kContext);
    if (!name) return nullptr;
    auto node = MakeNode(NodeType::kTemplate, token.pos);
    node->text = *name;
    if (NextNonSpace().type != ItemType::kRightDelim) {
      Backup();
      node->pipe = Pipeline(kContext, ItemType::kRightDelim);
      if (!node->pipe) return nullptr;
    }
    return node;
  }

  // operand (space operand)*, up to "|", "}}" or ")".
  std::unique_ptr<Node> Command() {
    auto cmd = MakeNode(NodeType::kCommand, PeekNonSpace().pos);
    while (true) {
      PeekNonSpace();
      std::unique_ptr<Node> operand = Operand();
      if (failed()) return nullptr;
      if (operand) cmd->nodes.push_back(std::move(operand));
      Item token = Next();
      if (token.type == ItemType::kSpace) continue;
      if (token.type == ItemType::kRightDelim ||
          token.type == ItemType::kRightParen) {
        Backup();
      } else if (token.type != ItemType::kPipe) {
        Unexpected(token, "operand");
        return nullptr;
      }
      break;
    }
    if (cmd->nodes.empty()) {
      Errorf("empty command");
      return nullptr;
    }
    return cmd;
  }

  // term .Field*; nullptr (without an error) when no operand follows.
  std::unique_ptr<Node> Operand() {
    std::unique_ptr<Node> node = Term();
    if (!node) return nullptr;
    if (Peek().type == ItemType::kField) {
      auto chain = MakeNode(NodeType::kChain, Peek().pos);
      while (Peek().type == ItemType::kField) {
        const Item f = Next();
        chain->idents.push_back(f.val.substr(1));
      }
      switch (node->type) {
        case NodeType::kField:
        case NodeType::kVariable: {
          node->idents.insert(node->idents.end(), chain->idents.begin(),
                              chain->idents.end());
          node->pos = chain->pos;
          return node;
        }
        case NodeType::kBool:
        case NodeType::kString:
        case NodeType::kNumber:
        case NodeType::kNil:
        case NodeType::kDot:
          Errorf("unexpected . after term " + Quote(node->String()));
          return nullptr;
        default:
          chain->chain = std::move(node);
          return chain;
      }
    }
    return node;
  }

  std::unique_ptr<Node> Term() {
    Item token = NextNonSpace();
    switch (token.type) {
      case ItemType::kIdentifier: {
        if (!(*s_->has_function)(token.val)) {
          Errorf("function " + Quote(token.val) + " not defined");
          return nullptr;
        }
        auto n = MakeNode(NodeType::kIdentifier, token.pos);
        n->text = token.val;
        return n;
      }
      case ItemType::kDot:
        return MakeNode(NodeType::kDot, token.pos);
      case ItemType::kNil:
        return MakeNode(NodeType::kNil, token.pos);
      case ItemType::kVariable: {
        std::unique_ptr<Node> v = NewVariable(token.pos, token.val);
        if (std::find(vars_.begin(), vars_.end(), v->idents[0]) ==
            vars_.end()) {
          Errorf("undefined variable " + Quote(v->idents[0]));
          return nullptr;
        }
        return v;
      }
      case ItemType::kField: {
        auto n = MakeNode(NodeType::kField, token.pos);
        n->idents = Split(std::string_view(token.val).substr(1), '.');
        return n;
      }
      case ItemType::kBool: {
        auto n = MakeNode(NodeType::kBool, token.pos);
        n->boolean = token.val == "true";
        return n;
      }
      case ItemType::kCharConstant:
      case ItemType::kComplex:
      case ItemType::kNumber:
        return NewNumber(token);
      case ItemType::kLeftParen: {
        if (!Enter()) return nullptr;
        std::unique_ptr<Node> p =
            Pipeline("parenthesized pipeline", ItemType::kRightParen);
        Leave();
        return p;
      }
      case ItemType::kString:
      case ItemType::kRawString: {
        std::optional<std::string> s = Unquote(token.val);
        if (!s) {
          Errorf("invalid syntax");
          return nullptr;
        }
        auto n = MakeNode(NodeType::kString, token.pos);
        n->quoted = token.val;
        n->text = std::move(*s);
        return n;
      }
      default:
        Backup();
        return nullptr;
    }
  }

  static std::unique_ptr<Node> NewVariable(int pos, std::string_view ident) {
    auto n = MakeNode(NodeType::kVariable, pos);
    n->idents = Split(ident, '.');
    return n;
  }

  // Go's newNumber: which of int, uint and float the literal can be.
  std::unique_ptr<Node> NewNumber(const Item& token) {
    auto n = MakeNode(NodeType::kNumber, token.pos);
    n->quoted = token.val;
    const std::string& text = token.val;
    if (token.type == ItemType::kCharConstant) {
      std::string_view rest = std::string_view(text).substr(1);
      char32_t r = 0;
      bool multibyte = false;
      if (!UnquoteChar(&rest, '\'', &r, &multibyte)) {
        Errorf("invalid syntax");
        return nullptr;
      }
      if (rest != "'") {
        Errorf("malformed character constant: " + text);
        return nullptr;
      }
      n->is_int = n->is_uint = n->is_float = true;
      n->int_value = r;
      n->uint_value = r;
      n->float_value = r;
      return n;
    }
    if (token.type == ItemType::kComplex ||
        (!text.empty() && text.back() == 'i')) {
      Errorf("complex number " + Quote(text) + " is not supported");
      return nullptr;
    }
    if (std::optional<uint64_t> u = ParseUint0(text)) {
      n->is_uint = true;
      n->uint_value = *u;
    }
    if (std::optional<int64_t> i = ParseInt0(text)) {
      n->is_int = true;
      n->int_value = *i;
      if (*i == 0) {  // "-0"
        n->is_uint = true;
        n->uint_value = 0;
      }
    }
    if (n->is_int) {
      n->is_float = true;
      n->float_value = static_cast<double>(n->int_value);
    } else if (n->is_uint) {
      n->is_float = true;
      n->float_value = static_cast<double>(n->uint_value);
    } else {
      const ParsedFloat f = ParseFloatSyntax(text);
      if (f.ok && !f.out_of_range) {
        if (text.find_first_of(".eEpP") == std::string::npos) {
          Errorf("integer overflow: " + Quote(text));
          return nullptr;
        }
        n->is_float = true;
        n->float_value = f.value;
        // An integral float also serves as an integer.
        if (std::abs(f.value) < 9.2e18 &&
            static_cast<double>(static_cast<int64_t>(f.value)) == f.value) {
          n->is_int = true;
          n->int_value = static_cast<int64_t>(f.value);
        }
        if (f.value >= 0 && f.value < 1.8e19 &&
            static_cast<double>(static_cast<uint64_t>(f.value)) == f.value) {
          n->is_uint = true;
          n->uint_value = static_cast<uint64_t>(f.value);
        }
      }
    }
    if (!n->is_int && !n->is_uint && !n->is_float) {
      Errorf("illegal number syntax: " + Quote(text));
      return nullptr;
    }
    return n;
  }

  Shared* s_;
  std::string name_;
  std::unique_ptr<Node> root_;
  Item token_[3];
  int peek_count_ = 0;
  std::vector<std::string> vars_ = {"$"};
  int range_depth_ = 0;
  int action_line_ = 0;
};

// ---------------------------------------------------------------- String

void WriteNode(const Node& n, std::string* out);

void WritePipe(const Node& p, std::string* out) {
  if (!p.decls.empty()) {
    for (size_t i = 0; i < p.decls.size(); ++i) {
      if (i > 0) out->append(", ");
      WriteNode(*p.decls[i], out);
    }
    out->append(p.is_assign ? " = " : " := ");
  }
  for (size_t i = 0; i < p.nodes.size(); ++i) {
    if (i > 0) out->append(" | ");
    WriteNode(*p.nodes[i], out);
  }
}

void WriteBranch(std::string_view name, const Node& n, std::string* out) {
  out->append("{{");
  out->append(name);
  out->push_back(' ');
  WritePipe(*n.pipe, out);
  out->append("}}");
  WriteNode(*n.list, out);
  if (n.else_list) {
    out->append("{{else}}");
    WriteNode(*n.else_list, out);
  }
  out->append("{{end}}");
}

void WriteNode(const Node& n, std::string* out) {
  switch (n.type) {
    case NodeType::kText:
      out->append(n.text);
      return;
    case NodeType::kAction:
      out->append("{{");
      WritePipe(*n.pipe, out);
      out->append("}}");
      return;
    case NodeType::kBool:
      out->append(n.boolean ? "true" : "false");
      return;
    case NodeType::kChain:
      if (n.chain->type == NodeType::kPipe) {
        out->push_back('(');
        WritePipe(*n.chain, out);
        out->push_back(')');
      } else {
        WriteNode(*n.chain, out);
      }
      for (const std::string& f : n.idents) {
        out->push_back('.');
        out->append(f);
      }
      return;
    case NodeType::kCommand:
      for (size_t i = 0; i < n.nodes.size(); ++i) {
        if (i > 0) out->push_back(' ');
        if (n.nodes[i]->type == NodeType::kPipe) {
          out->push_back('(');
          WritePipe(*n.nodes[i], out);
          out->push_back(')');
        } else {
          WriteNode(*n.nodes[i], out);
        }
      }
      return;
    case NodeType::kDot:
      out->push_back('.');
      return;
    case NodeType::kField:
      for (const std::string& f : n.idents) {
        out->push_back('.');
        out->append(f);
      }
      return;
    case NodeType::kIdentifier:
      out->append(n.text);
      return;
    case NodeType::kIf:
      WriteBranch("if", n, out);
      return;
    case NodeType::kRange:
      WriteBranch("range", n, out);
      return;
    case NodeType::kWith:
      WriteBranch("with", n, out);
      return;
    case NodeType::kList:
      for (const auto& c : n.nodes) WriteNode(*c, out);
      return;
    case NodeType::kNil:
      out->append("nil");
      return;
    case NodeType::kNumber:
    case NodeType::kString:
      out->append(n.quoted);
      return;
    case NodeType::kPipe:
      WritePipe(n, out);
      return;
    case NodeType::kTemplate:
      out->append("{{template ");
      out->append(Quote(n.text));
      if (n.pipe) {
        out->push_back(' ');
        WritePipe(*n.pipe, out);
      }
      out->append("}}");
      return;
    case NodeType::kVariable:
      for (size_t i = 0; i < n.idents.size(); ++i) {
        if (i > 0) out->push_back('.');
        out->append(n.idents[i]);
      }
      return;
    case NodeType::kBreak:
      out->append("{{break}}");
      return;
    case NodeType::kContinue:
      out->append("{{continue}}");
      return;
    case NodeType::kElse:
      out->append("{{else}}");
      return;
    case NodeType::kEnd:
      out->append("{{end}}");
      return;
  }
}

}  // namespace

std::string Node::String() const {
  std::string out;
  WriteNode(*this, &out);
  return out;
}

bool IsEmptyTree(const Node* n) {
  if (n == nullptr) return true;
  switch (n->type) {
    case NodeType::kList:
      return std::all_of(n->nodes.begin(), n->nodes.end(),
                         [](const auto& c) { return IsEmptyTree(c.get()); });
    case NodeType::kText:
      return std::all_of(n->text.begin(), n->text.end(), [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
               c == '\f';
      });
    default:
      return false;
  }
}

Status Parse(std::string_view name, std::shared_ptr<const std::string> text,
             const std::function<bool(std::string_view)>& has_function,
             TreeSet* out) {
  Shared shared;
  shared.items =
      Lexer(*text, !has_function("break"), !has_function("continue")).Run();
  shared.parse_name = name;
  shared.text = std::move(text);
  shared.has_function = &has_function;
  TreeSet set;
  shared.set = &set;
  Parser top(&shared, std::string(name));
  if (!top.ParseTop()) return shared.error;
  *out = std::move(set);
  return Status::OK();
}

}  // namespace vigil::templating::internal
