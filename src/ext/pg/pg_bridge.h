// The bridge between Postgres errors and C++ exceptions — the only one in tthub.
//
//  * pg_guard(fn): run Postgres calls from C++. An ereport(ERROR) inside fn is caught
//    at a sigsetjmp in this frame, copied out of ErrorContext, flushed, and rethrown
//    as tthub::PgError. fn itself must hold no C++ objects with destructors (the
//    longjmp would skip them): keep it to Postgres calls on plain data.
//  * TTHUB_SQL_FUNCTION(name): defines an `extern "C"` SQL entry point whose body may
//    throw anything; the wrapper catches everything, lets the C++ objects die, then
//    reports with ereport(ERROR) and the error's SQLSTATE.
//
// A Postgres error turned into PgError leaves the transaction aborted: let it reach
// an entry point (which re-raises it), or run the work inside a subtransaction.
#pragma once

#include <type_traits>

#include "core/error.h"
#include "ext/pg/postgres_headers.h"

namespace tthub {

class PgError : public Error {
 public:
  using Error::Error;
};

namespace bridge {
// Called in PG_CATCH: copies the error out of ErrorContext and flushes it.
ErrorData *take_error(MemoryContext caller_context);
// Turns a taken ErrorData into PgError (frees it first).
[[noreturn]] void throw_pg_error(ErrorData *edata);
// Reports a caught exception with ereport(ERROR). Call after the catch block ends.
[[noreturn]] void report(const ErrorReport &report);
}  // namespace bridge

template <typename F>
auto pg_guard(F &&fn) -> decltype(fn()) {
  using R = decltype(fn());
  static_assert(std::is_void_v<R> || std::is_scalar_v<R>,
                "pg_guard returns plain Postgres data only (Datum, pointer, number)");
  MemoryContext caller = CurrentMemoryContext;
  ErrorData *volatile edata = nullptr;
  if constexpr (std::is_void_v<R>) {
    PG_TRY();
    { fn(); }
    PG_CATCH();
    { edata = bridge::take_error(caller); }
    PG_END_TRY();
    if (edata) bridge::throw_pg_error(edata);
  } else {
    volatile R result{};  // set between sigsetjmp and a possible longjmp
    PG_TRY();
    { result = fn(); }
    PG_CATCH();
    { edata = bridge::take_error(caller); }
    PG_END_TRY();
    if (edata) bridge::throw_pg_error(edata);
    return result;
  }
}

namespace bridge {
void begin_subtransaction();
void end_subtransaction(bool commit, MemoryContext context, ResourceOwner owner);
}  // namespace bridge

// Runs fn inside an internal subtransaction: if fn throws (a C++ error, or a Postgres
// error turned into PgError), the subtransaction is rolled back, leaving the outer
// transaction usable, and the exception propagates.
template <typename F>
void with_subtransaction(F &&fn) {
  MemoryContext context = CurrentMemoryContext;
  ResourceOwner owner = CurrentResourceOwner;
  bridge::begin_subtransaction();
  try {
    fn();
  } catch (...) {
    bridge::end_subtransaction(false, context, owner);
    throw;
  }
  bridge::end_subtransaction(true, context, owner);
}

// Runs impl and turns any exception into ereport(ERROR). Used by TTHUB_SQL_FUNCTION.
Datum call_sql_function(FunctionCallInfo fcinfo, Datum (*impl)(FunctionCallInfo));

}  // namespace tthub

#define TTHUB_SQL_FUNCTION(name)                                                   \
  extern "C" {                                                                     \
  PG_FUNCTION_INFO_V1(name);                                                       \
  }                                                                                \
  static Datum name##_impl([[maybe_unused]] FunctionCallInfo fcinfo);                             \
  extern "C" Datum name(PG_FUNCTION_ARGS) {                                        \
    return tthub::call_sql_function(fcinfo, name##_impl);                          \
  }                                                                                \
  static Datum name##_impl([[maybe_unused]] FunctionCallInfo fcinfo)
