// The pure half of the error bridge: every exception becomes a plain report with a
// valid SQLSTATE (the Postgres half is exercised by the tthub_bridge_test extension).
#include "core/error.h"

#include <gtest/gtest.h>

#include <cstring>
#include <new>
#include <stdexcept>

using tthub::describe_current_exception;
using tthub::Error;
using tthub::ErrorReport;

namespace {
template <typename E>
ErrorReport report_of(E e) {
  try {
    throw e;
  } catch (...) {
    return describe_current_exception();
  }
}
}  // namespace

TEST(ErrorReport, KeepsSqlstateMessageDetailAndHint) {
  ErrorReport r = report_of(Error("22023", "invalid store code", "the detail", "the hint"));
  EXPECT_STREQ(r.sqlstate, "22023");
  EXPECT_STREQ(r.message, "invalid store code");
  EXPECT_STREQ(r.detail, "the detail");
  EXPECT_STREQ(r.hint, "the hint");
}

TEST(ErrorReport, BadAllocIsOutOfMemory) {
  ErrorReport r = report_of(std::bad_alloc());
  EXPECT_STREQ(r.sqlstate, "53200");
}

TEST(ErrorReport, StandardExceptionIsInternalErrorWithItsText) {
  ErrorReport r = report_of(std::out_of_range("vector index"));
  EXPECT_STREQ(r.sqlstate, "XX000");
  EXPECT_STREQ(r.message, "tthub internal error");
  EXPECT_STREQ(r.detail, "vector index");
}

TEST(ErrorReport, UnknownExceptionIsInternalError) {
  ErrorReport r = report_of(42);
  EXPECT_STREQ(r.sqlstate, "XX000");
  EXPECT_STREQ(r.detail, "unknown exception");
}

TEST(ErrorReport, InvalidSqlstateBecomesInternalError) {
  EXPECT_STREQ(report_of(Error("bad", "m")).sqlstate, "XX000");
  EXPECT_STREQ(report_of(Error("2202a", "m")).sqlstate, "XX000");
}

TEST(ErrorReport, LongMessagesAreTruncatedAndTerminated) {
  std::string big(5000, 'x');
  ErrorReport r = report_of(Error("22000", big, big, big));
  EXPECT_EQ(std::strlen(r.message), sizeof r.message - 1);
  EXPECT_EQ(std::strlen(r.detail), sizeof r.detail - 1);
  EXPECT_EQ(std::strlen(r.hint), sizeof r.hint - 1);
}
