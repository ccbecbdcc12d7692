// Internal: Go's builtin template functions and the shared truth test.
// Thread safety: pure functions; Builtins() is an immutable static.
#pragma once

#include "templating/template.h"
#include "templating/value.h"

namespace vigil::templating::internal {

// Go's template truth: false, 0, nil and empty strings, lists and maps are
// false; everything else is true.
bool IsTrue(const Value& v);

// and, or, not, len, index, slice, print, printf, println, html, js,
// urlquery, eq, ne, lt, le, gt, ge. Parameters typed "reflect.Value" take
// any value, nil included. `and`/`or` short-circuit in the executor.
const FuncMap& Builtins();

// The type of the "typed nil" a missing key of a map[string]interface {}
// yields inside a field chain (Go's zero interface value).
const TypeInfo& NilInterfaceType();

}  // namespace vigil::templating::internal
