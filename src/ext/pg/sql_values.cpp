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

text *make_text(std::string_view s) { return make_bytea(s.data(), s.size()); }

Datum make_record(FunctionCallInfo fcinfo, Datum *values, bool *nulls) {
  return pg_guard([&] {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
      elog(ERROR, "tthub: the function must be declared to return a record");
    return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls));
  });
}

}  // namespace tthub
