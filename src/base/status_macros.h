// Propagation macros for vigil::Status and vigil::Result<T>.
//
//   VIGIL_RETURN_IF_ERROR(file.Sync());
//   VIGIL_ASSIGN_OR_RETURN(auto fd, OpenFile(path));
//
// Thread safety: macros only.
#pragma once

#include "vigil/result.h"
#include "vigil/status.h"

#define VIGIL_STATUS_CONCAT_INNER_(a, b) a##b
#define VIGIL_STATUS_CONCAT_(a, b) VIGIL_STATUS_CONCAT_INNER_(a, b)

#define VIGIL_RETURN_IF_ERROR(expr)            \
  do {                                         \
    ::vigil::Status vigil_status_ = (expr);    \
    if (!vigil_status_.ok()) return vigil_status_; \
  } while (0)

#define VIGIL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()

#define VIGIL_ASSIGN_OR_RETURN(lhs, expr) \
  VIGIL_ASSIGN_OR_RETURN_IMPL_(VIGIL_STATUS_CONCAT_(vigil_result_, __LINE__), lhs, expr)
