// Converting between Postgres datums and C++ values, every allocation guarded so
// that an out-of-memory ERROR becomes an exception instead of skipping destructors.
#pragma once

#include <cstddef>
#include <string_view>

#include "ext/pg/pg_bridge.h"

namespace tthub {

// A view of a text/bytea argument (detoasted in the function's memory context,
// which outlives the call).
std::string_view arg_bytes(FunctionCallInfo fcinfo, int n);

// Text in the database encoding; throws Error (22021) on invalid bytes or a NUL.
text *make_text(std::string_view s);

// The composite result of a function declared with OUT parameters (values[i] is
// ignored where nulls[i]); both arrays have one entry per OUT parameter.
Datum make_record(FunctionCallInfo fcinfo, Datum *values, bool *nulls);
bytea *make_bytea(const void *data, size_t size);

}  // namespace tthub
