// Facts of Grafana's dashboard model shared by the generator
// (cli/dashboards.cc) and the checker (cli/dashboard_check.cc).
#pragma once

#include <cctype>
#include <cstddef>

namespace vigil::cli::internal {

inline constexpr int kGridColumns = 24;       // gridPos.x + w stays within
inline constexpr size_t kMaxUidLength = 40;   // Grafana's limit

// Characters Grafana accepts in a dashboard uid.
inline bool IsUidChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

}  // namespace vigil::cli::internal
