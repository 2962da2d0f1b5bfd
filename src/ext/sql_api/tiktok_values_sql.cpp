// tthub._check_tiktok_account(open_id text, access_token text, refresh_token text)
// RETURNS void: what tthub_import_account takes from a DBA is held to the rule a
// token endpoint's answer is (core/tiktok_api.h), so no CR, LF or space reaches the
// Authorization header the worker builds. The error names the argument, never its value.
#include <string>

#include "core/error.h"
#include "core/tiktok_api.h"
#include "ext/pg/sql_values.h"

namespace {

void require(FunctionCallInfo fcinfo, int n, const char *name, bool (*valid)(std::string_view), const char *rule) {
  if (PG_ARGISNULL(n) || !valid(tthub::arg_bytes(fcinfo, n)))
    throw tthub::Error(tthub::sqlstate::kInvalidParameterValue,
                       std::string(name) + " must be " + rule + ", as TikTok issues them");
}

}  // namespace

TTHUB_SQL_FUNCTION(tthub_check_tiktok_account) {
  require(fcinfo, 0, "open_id", tthub::tiktok::is_tiktok_open_id, tthub::tiktok::kOpenIdRule);
  require(fcinfo, 1, "access_token", tthub::tiktok::is_tiktok_token, tthub::tiktok::kTokenRule);
  require(fcinfo, 2, "refresh_token", tthub::tiktok::is_tiktok_token, tthub::tiktok::kTokenRule);
  PG_RETURN_VOID();
}
