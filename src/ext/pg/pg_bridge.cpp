#include "ext/pg/pg_bridge.h"

#include <string>

namespace tthub {
namespace bridge {

ErrorData *take_error(MemoryContext caller_context) {
  // CopyErrorData refuses to run in ErrorContext, where PG_CATCH leaves us.
  MemoryContextSwitchTo(caller_context);
  ErrorData *edata = CopyErrorData();
  FlushErrorState();
  return edata;
}

void throw_pg_error(ErrorData *edata) {
  char state[6];
  const char *unpacked = unpack_sql_state(edata->sqlerrcode);
  for (int i = 0; i < 6; ++i) state[i] = unpacked[i];
  // Copy into C++ strings, then free the Postgres copy before throwing.
  std::string message = edata->message ? edata->message : "unknown Postgres error";
  std::string detail = edata->detail ? edata->detail : "";
  std::string hint = edata->hint ? edata->hint : "";
  FreeErrorData(edata);
  throw PgError(state, message, detail, hint);
}

void begin_subtransaction() {
  pg_guard([] { BeginInternalSubTransaction(nullptr); });
}

void end_subtransaction(bool commit, MemoryContext context, ResourceOwner owner) {
  pg_guard([&] {
    if (commit)
      ReleaseCurrentSubTransaction();
    else
      RollbackAndReleaseCurrentSubTransaction();
    MemoryContextSwitchTo(context);
    CurrentResourceOwner = owner;
  });
}

void report(const ErrorReport &r) {
  int code = MAKE_SQLSTATE(r.sqlstate[0], r.sqlstate[1], r.sqlstate[2], r.sqlstate[3],
                           r.sqlstate[4]);
  ereport(ERROR, (errcode(code), errmsg("%s", r.message),
                  r.detail[0] ? errdetail("%s", r.detail) : 0,
                  r.hint[0] ? errhint("%s", r.hint) : 0));
  pg_unreachable();
}

}  // namespace bridge

Datum call_sql_function(FunctionCallInfo fcinfo, Datum (*impl)(FunctionCallInfo)) {
  ErrorReport failure;
  try {
    return impl(fcinfo);
  } catch (...) {
    failure = describe_current_exception();
  }
  // Every C++ object of impl is destroyed by now; ereport may longjmp freely.
  bridge::report(failure);
}

}  // namespace tthub
