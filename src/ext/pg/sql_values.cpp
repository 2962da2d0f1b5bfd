#include "ext/pg/sql_values.h"

#include <cstring>

namespace tthub {

std::string_view arg_bytes(FunctionCallInfo fcinfo, int n) {
  struct varlena *v = pg_guard([&] { return PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(n)); });
  return {VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v)};
}

bytea *make_bytea(const void *data, size_t size) {
  bytea *b = pg_guard([&] { return static_cast<bytea *>(palloc(VARHDRSZ + size)); });
  SET_VARSIZE(b, VARHDRSZ + size);
  std::memcpy(VARDATA(b), data, size);
  return b;
}

// Postgres checks the encoding of text it parses, not of datums built in C: bytes that
// are not valid in the database encoding (or a NUL) would be stored as they are, and
// then pg_dump writes a COPY that pg_restore rejects, losing the whole table. Refuse
// them here, where every text tthub builds passes, without echoing the bytes.
text *make_text(std::string_view s) {
  if (s.size() > static_cast<size_t>(MaxAllocSize - VARHDRSZ))
    throw Error(sqlstate::kProgramLimitExceeded, "tthub: text value is too long");
  bool valid = pg_guard([&] { return pg_verifymbstr(s.data(), static_cast<int>(s.size()), true); });
  if (!valid)
    throw Error(sqlstate::kCharacterNotInRepertoire,
                "tthub: refusing to store text that is not valid in the database encoding or contains a NUL byte",
                std::string("database encoding: ") + pg_guard([] { return GetDatabaseEncodingName(); }));
  return make_bytea(s.data(), s.size());
}

Datum make_record(FunctionCallInfo fcinfo, Datum *values, bool *nulls) {
  return pg_guard([&] {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
      elog(ERROR, "tthub: the function must be declared to return a record");
    return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls));
  });
}

}  // namespace tthub
