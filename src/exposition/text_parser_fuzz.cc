// libFuzzer target for exposition::TextParser: runs the input through both
// formats to the end or the first error, calling every accessor on the way,
// and traps when an invariant of the parser's contract breaks. Built with
// -DVIGIL_BUILD_FUZZERS=ON under Clang; run by scripts/fuzz.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exposition/text_parser.h"

namespace {

using vigil::exposition::ParseFormat;
using vigil::exposition::TextParser;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

bool Within(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() &&
          part.data() + part.size() <= whole.data() + whole.size());
}

void Run(std::string_view in, ParseFormat format) {
  TextParser p(in, format);
  // Each entry consumes at least one byte, so more entries than bytes (plus
  // the final kEof) means a loop that does not advance.
  for (size_t n = 0; n <= in.size() + 1; ++n) {
    vigil::Result<TextParser::Entry> e = p.Next();
    if (!e.ok()) {
      Check(e.status().code() == vigil::StatusCode::kInvalidArgument);
      Check(e.status().message().starts_with("line "));
      vigil::Result<TextParser::Entry> again = p.Next();
      Check(!again.ok() && again.status() == e.status());
      Check(p.labels().empty() && p.series().empty());
      return;
    }
    Check(p.line() >= 1);
    switch (*e) {
      case TextParser::Entry::kSample: {
        Check(Within(p.series(), in) && !p.series().empty());
        vigil::model::Labels l = p.labels();
        Check(!l.metric_name().empty());
        Check(p.series().starts_with(l.metric_name()));
        std::string_view prev;
        bool first = true;
        for (vigil::model::LabelRef r : l) {
          Check(first || prev < r.name);
          prev = r.name;
          first = false;
        }
        (void)p.value();
        (void)p.timestamp_ms();
        if (p.has_exemplar()) {
          Check(format == ParseFormat::kOpenMetrics);
          (void)p.exemplar();
        }
        break;
      }
      case TextParser::Entry::kHelp:
        (void)p.help();
        Check(Within(p.family(), in) && !p.family().empty());
        break;
      case TextParser::Entry::kType:
        (void)vigil::exposition::ParsedTypeName(p.type());
        Check(Within(p.family(), in) && !p.family().empty());
        break;
      case TextParser::Entry::kUnit:
        Check(format == ParseFormat::kOpenMetrics);
        Check(Within(p.unit(), in) && Within(p.family(), in));
        break;
      case TextParser::Entry::kComment:
        Check(format == ParseFormat::kPrometheusText);
        break;
      case TextParser::Entry::kEof: {
        vigil::Result<TextParser::Entry> again = p.Next();
        Check(again.ok() && *again == TextParser::Entry::kEof);
        return;
      }
    }
  }
  Check(false);  // no progress
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  Run(in, ParseFormat::kPrometheusText);
  Run(in, ParseFormat::kOpenMetrics);
  return 0;
}
