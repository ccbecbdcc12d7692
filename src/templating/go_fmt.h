// Internal: the parts of Go's unicode/utf8, strconv, strings and fmt that
// text/template relies on, re-implemented so that template output matches
// Go's byte for byte (float formatting, %q quoting, %!verb(...) errors).
//
// Unicode tables are approximated: case mapping covers ASCII, Latin-1,
// Latin Extended-A, Greek and Cyrillic; IsPrint/IsLetter use range
// heuristics rather than Go's full tables.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/go_text.h"
#include "templating/value.h"
#include "vigil/result.h"

namespace vigil::templating::internal {

// Go's utf8 decoding and strconv.UnquoteChar live in base/go_text.h (PromQL
// reads string literals with them too).
using ::vigil::AppendRune;
using ::vigil::DecodedRune;
using ::vigil::DecodeRune;
using ::vigil::kMaxRune;
using ::vigil::kRuneError;
using ::vigil::UnquoteChar;

size_t RuneCount(std::string_view s);

bool IsPrint(char32_t r);   // unicode.IsPrint (approximate above Latin-1)
bool IsSpace(char32_t r);   // unicode.IsSpace
bool IsLetter(char32_t r);  // unicode.IsLetter (approximate above ASCII)
bool IsDigit(char32_t r);   // ASCII digits only

// strings.ToUpper / ToLower / Title (the deprecated word-capitaliser).
std::string ToUpper(std::string_view s);
std::string ToLower(std::string_view s);
std::string Title(std::string_view s);

// strconv.FormatFloat(v, fmt, prec, 64) for fmt in "eEfgG"; prec < 0 asks
// for the shortest representation that reads back as v.
std::string FormatFloat(double v, char fmt, int prec);
// strconv.Quote / QuoteToASCII / QuoteRune / CanBackquote.
std::string Quote(std::string_view s, bool ascii_only = false);
std::string QuoteRune(char32_t r, bool ascii_only = false);
bool CanBackquote(std::string_view s);
// strconv.Unquote for "..." and `...` literals; nullopt on a syntax error.
std::optional<std::string> Unquote(std::string_view s);
// strconv.ParseFloat(s, 64). Errors read like Go's:
//   strconv.ParseFloat: parsing "one": invalid syntax
// Out of range values give ±Inf and "...: value out of range".
struct ParsedFloat {
  double value = 0;
  bool ok = false;
  bool out_of_range = false;
};
ParsedFloat ParseFloatSyntax(std::string_view s);
Result<double> ParseFloat(std::string_view s);
// strconv.ParseUint(s, 0, 64) / ParseInt(s, 0, 64): base prefixes 0x 0o 0b,
// a leading 0 for octal, and underscores between digits.
std::optional<uint64_t> ParseUint0(std::string_view s);
std::optional<int64_t> ParseInt0(std::string_view s);

// fmt.Sprint / Sprintln / Sprintf of template values, appended to *out.
// They stop early once *out is longer than `limit` bytes; the caller checks
// the size and reports the overflow.
void Sprint(std::span<const Value> args, size_t limit, std::string* out);
void Sprintln(std::span<const Value> args, size_t limit, std::string* out);
void Sprintf(std::string_view format, std::span<const Value> args, size_t limit,
             std::string* out);
// fmt.Sprint(v) of one value (%v); "<nil>" for null.
std::string FormatValue(const Value& v, size_t limit = SIZE_MAX);

}  // namespace vigil::templating::internal
