// vigil::Status -- the error type of every fallible vigil call.
//
// A Status is either OK or carries a StatusCode and a human-readable message
// that says what failed and where (a file:line:column, a query position, a
// metric name). The shape mirrors absl::Status so a later move to abseil or
// std::expected is mechanical. Returned Status objects may not be ignored.
//
//   vigil::Status s = registry.Register(collector);
//   if (!s.ok()) std::cerr << s.ToString() << "\n";
//
// Thread safety: thread-compatible (const methods may be called concurrently;
// a Status is an immutable value once constructed).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace vigil {

// A small canonical set of codes, borrowed from absl::StatusCode.
enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kOutOfRange,
  kFailedPrecondition,
  kResourceExhausted,
  kDeadlineExceeded,
  kCancelled,
  kUnavailable,
  kDataLoss,
  kInternal,
  kUnimplemented,
};

// "InvalidArgument", "NotFound", ... ("OK" for kOk).
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  // An OK status. Cheap: OK holds no allocation.
  Status() = default;
  Status(StatusCode code, std::string_view message);

  static Status OK() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  // Empty for OK.
  std::string_view message() const {
    return rep_ ? std::string_view(rep_->message) : std::string_view();
  }
  // "OK" or "<CodeName>: <message>".
  std::string ToString() const;

  // Returns a status with the same code and "<prefix>: <message>".
  Status WithPrefix(std::string_view prefix) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  // Immutable once built, so sharing between copies is safe.
  std::shared_ptr<const Rep> rep_;
};

// Convenience constructors, one per code.
Status InvalidArgumentError(std::string_view message);
Status NotFoundError(std::string_view message);
Status AlreadyExistsError(std::string_view message);
Status OutOfRangeError(std::string_view message);
Status FailedPreconditionError(std::string_view message);
Status ResourceExhaustedError(std::string_view message);
Status DeadlineExceededError(std::string_view message);
Status CancelledError(std::string_view message);
Status UnavailableError(std::string_view message);
Status DataLossError(std::string_view message);
Status InternalError(std::string_view message);
Status UnimplementedError(std::string_view message);

}  // namespace vigil
