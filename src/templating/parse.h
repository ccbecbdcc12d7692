// Internal: the lexer and parser of Go's text/template language
// (text/template/parse), producing immutable trees that template.cc
// executes.
//
// Every node knows its byte offset in the parsed text and prints back as
// template source (Node::String), which execution errors quote as Go does:
// `executing "x" at <humanize "one">`.
//
// Thread safety: Parse is a pure function; trees are immutable once built.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/status.h"

namespace vigil::templating::internal {

enum class NodeType : uint8_t {
  kText,
  kAction,
  kBool,
  kChain,
  kCommand,
  kDot,
  kField,
  kIdentifier,
  kIf,
  kList,
  kNil,
  kNumber,
  kPipe,
  kRange,
  kString,
  kTemplate,
  kVariable,
  kWith,
  kBreak,
  kContinue,
  kElse,  // parse-time only: {{else}}
  kEnd,   // parse-time only: {{end}}
};

// One node of a parse tree. Which members are used depends on `type`:
//   kText        text
//   kString      text (the value), quoted (as written)
//   kNumber      quoted (as written) and the number fields
//   kIdentifier  text (the function name)
//   kBool        boolean
//   kField       idents (".a.b" -> {"a", "b"})
//   kVariable    idents ("$x.a" -> {"$x", "a"})
//   kChain       chain (the term) and idents (the fields after it)
//   kTemplate    text (the template name) and pipe (may be null)
//   kAction      pipe
//   kIf/kRange/kWith  pipe, list, else_list (may be null)
//   kList        nodes
//   kCommand     nodes (the words)
//   kPipe        nodes (the commands), decls (kVariable), is_assign
struct Node {
  NodeType type = NodeType::kList;
  int pos = 0;  // byte offset in the parsed text
  std::string text;
  std::string quoted;
  std::vector<std::string> idents;
  bool boolean = false;
  bool is_int = false;
  bool is_uint = false;
  bool is_float = false;
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  double float_value = 0;
  bool is_assign = false;
  std::vector<std::unique_ptr<Node>> decls;
  std::vector<std::unique_ptr<Node>> nodes;
  std::unique_ptr<Node> pipe;
  std::unique_ptr<Node> list;
  std::unique_ptr<Node> else_list;
  std::unique_ptr<Node> chain;

  // The node as template source, as Go's parse.Node.String() writes it.
  std::string String() const;
};

// One named template: a {{define}}d block or the body of a parsed text.
struct Tree {
  std::string name;
  std::string parse_name;                   // the text's name, for errors
  std::shared_ptr<const std::string> text;  // the whole parsed text
  std::unique_ptr<Node> root;               // a kList
};

using TreeSet = std::map<std::string, std::shared_ptr<const Tree>, std::less<>>;

// Nesting limit for parenthesised pipelines and control structures; deeper
// input fails with "max expression depth exceeded" (Go allows 10000
// parentheses; we bound the recursion of parser and executor).
inline constexpr int kMaxParseDepth = 200;

// Parses `text` as template `name` into `out`: the body under `name` and
// every {{define}}/{{block}} under its own name. `has_function` says which
// identifiers are callable (Go checks this at parse time). Errors read like
// Go's: `template: NAME:LINE: unexpected "}" in operand`.
Status Parse(std::string_view name, std::shared_ptr<const std::string> text,
             const std::function<bool(std::string_view)>& has_function,
             TreeSet* out);

// Go's parse.IsEmptyTree: only space and comments.
bool IsEmptyTree(const Node* n);

}  // namespace vigil::templating::internal
