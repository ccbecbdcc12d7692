// vigil::Result<T> -- a value or the Status explaining why there is none.
//
// Mirrors absl::StatusOr<T>:
//
//   vigil::Result<std::unique_ptr<Exporter>> r = Exporter::Create(opts);
//   if (!r.ok()) return r.status();
//   std::unique_ptr<Exporter> exporter = std::move(r).value();
//
// Accessing value() of a failed Result aborts with the status message (a
// programmer error); check ok() first. Thread safety: thread-compatible.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>

#include "vigil/status.h"

namespace vigil {

template <typename T>
class [[nodiscard]] Result {
 public:
  // REQUIRES: !status.ok(). An OK status without a value becomes kInternal.
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit
    if (status_.ok()) {
      status_ = Status(StatusCode::kInternal, "Result built from an OK status without a value");
    }
  }
  Result(const T& value) : value_(value) {}       // NOLINT: implicit
  Result(T&& value) : value_(std::move(value)) {}  // NOLINT: implicit
  template <typename U,
            typename = std::enable_if_t<std::is_convertible_v<U&&, T> &&
                                        !std::is_same_v<std::decay_t<U>, T> &&
                                        !std::is_same_v<std::decay_t<U>, Status>>>
  Result(U&& value) : value_(std::forward<U>(value)) {}  // NOLINT: implicit

  bool ok() const { return value_.has_value(); }
  const Status& status() const& { return status_; }
  Status status() && { return std::move(status_); }

  const T& value() const& {
    CheckOk();
    return *value_;
  }
  T& value() & {
    CheckOk();
    return *value_;
  }
  T&& value() && {
    CheckOk();
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The value, or `fallback` when there is none.
  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void CheckOk() const {
    if (!value_.has_value()) {
      std::fprintf(stderr, "vigil: value() of a failed Result: %s\n",
                   status_.ToString().c_str());
      std::abort();
    }
  }

  Status status_;  // OK whenever value_ is set.
  std::optional<T> value_;
};

}  // namespace vigil
