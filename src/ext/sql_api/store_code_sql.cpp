// tthub.check_store_code(text) RETURNS boolean: the stores table's CHECK constraint.
// It raises a clear 22023 error instead of returning false, so a DBA sees what a
// valid code looks like rather than a bare constraint name.
#include "core/store_code.h"
#include "ext/pg/sql_values.h"

TTHUB_SQL_FUNCTION(tthub_check_store_code) {
  tthub::require_valid_store_code(tthub::arg_bytes(fcinfo, 0));
  PG_RETURN_BOOL(true);
}
