#include "vigil/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/status_macros.h"
#include "vigil/result.h"

namespace vigil {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_TRUE(s.message().empty());
}

TEST(StatusTest, CarriesCodeAndMessage) {
  const struct {
    Status status;
    StatusCode code;
    const char* name;
  } cases[] = {
      {InvalidArgumentError("m"), StatusCode::kInvalidArgument, "InvalidArgument"},
      {NotFoundError("m"), StatusCode::kNotFound, "NotFound"},
      {AlreadyExistsError("m"), StatusCode::kAlreadyExists, "AlreadyExists"},
      {OutOfRangeError("m"), StatusCode::kOutOfRange, "OutOfRange"},
      {FailedPreconditionError("m"), StatusCode::kFailedPrecondition, "FailedPrecondition"},
      {ResourceExhaustedError("m"), StatusCode::kResourceExhausted, "ResourceExhausted"},
      {DeadlineExceededError("m"), StatusCode::kDeadlineExceeded, "DeadlineExceeded"},
      {CancelledError("m"), StatusCode::kCancelled, "Cancelled"},
      {UnavailableError("m"), StatusCode::kUnavailable, "Unavailable"},
      {DataLossError("m"), StatusCode::kDataLoss, "DataLoss"},
      {InternalError("m"), StatusCode::kInternal, "Internal"},
      {UnimplementedError("m"), StatusCode::kUnimplemented, "Unimplemented"},
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(c.status.ok());
    EXPECT_EQ(c.status.code(), c.code);
    EXPECT_EQ(c.status.message(), "m");
    EXPECT_EQ(c.status.ToString(), std::string(c.name) + ": m");
  }
}

TEST(StatusTest, WithPrefixKeepsCode) {
  Status s = NotFoundError("no such file").WithPrefix("rules.yml:3:1");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "rules.yml:3:1: no such file");
  EXPECT_TRUE(Status().WithPrefix("x").ok());
}

TEST(StatusTest, OkCodeWithMessageIsOk) {
  Status s(StatusCode::kOk, "ignored");
  EXPECT_TRUE(s.ok());
}

Result<int> Half(int v) {
  if (v % 2 != 0) return InvalidArgumentError("odd");
  return v / 2;
}

Status UseMacros(int v, int* out) {
  VIGIL_ASSIGN_OR_RETURN(int h, Half(v));
  VIGIL_RETURN_IF_ERROR(h > 100 ? OutOfRangeError("big") : Status::OK());
  *out = h;
  return Status::OK();
}

TEST(ResultTest, ValueOrError) {
  Result<int> ok = Half(4);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  Result<int> bad = Half(3);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(ResultTest, OkStatusWithoutValueBecomesInternal) {
  Result<int> r{Status::OK()};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(ResultTest, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

TEST(ResultTest, MacrosPropagate) {
  int out = 0;
  EXPECT_TRUE(UseMacros(8, &out).ok());
  EXPECT_EQ(out, 4);
  EXPECT_EQ(UseMacros(3, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(UseMacros(400, &out).code(), StatusCode::kOutOfRange);
}

TEST(ResultDeathTest, ValueOfFailedResultAborts) {
  Result<int> bad = Half(1);
  EXPECT_DEATH((void)bad.value(), "odd");
}

}  // namespace
}  // namespace vigil
