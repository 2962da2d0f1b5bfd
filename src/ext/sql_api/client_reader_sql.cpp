// tthub._client_reader_reads_store(who name, store_code text) RETURNS boolean: the
// row-level security check of client readers on Citus (functions/90-client-readers.sql),
// run for every row a client reader's query scans on a shard. The store codes `who`
// reads come from tthub._client_reader_store_codes(who) (PL/pgSQL, SECURITY DEFINER:
// it reads this node's copy of stores and client_readers) once per query, kept with
// the call site (fn_extra, in fn_mcxt), so each row costs a comparison, not a query.
#include <cstring>

#include "ext/pg/sql_values.h"

namespace {

struct ReaderStores {
  NameData who;  // the role the codes were computed for
  int count;
  Datum *codes;  // text, in fn_mcxt
};

// The codes function lives in the schema of this function (the extension's).
Oid codes_function(Oid self) {
  return tthub::pg_guard([self]() -> Oid {
    char *schema = get_namespace_name(get_func_namespace(self));
    Oid argtypes[1] = {NAMEOID};
    List *name = list_make2(makeString(schema), makeString(pstrdup("_client_reader_store_codes")));
    return LookupFuncName(name, 1, argtypes, false);
  });
}

ReaderStores *load(FunctionCallInfo fcinfo, Name who) {
  FmgrInfo *flinfo = fcinfo->flinfo;
  Oid fn = codes_function(flinfo->fn_oid);
  return tthub::pg_guard([flinfo, fn, who]() -> ReaderStores * {
    Datum array = OidFunctionCall1(fn, NameGetDatum(who));
    MemoryContext old = MemoryContextSwitchTo(flinfo->fn_mcxt);
    auto *cache = static_cast<ReaderStores *>(palloc0(sizeof(ReaderStores)));
    namestrcpy(&cache->who, NameStr(*who));
    bool *nulls = nullptr;
    deconstruct_array(DatumGetArrayTypePCopy(array), TEXTOID, -1, false, TYPALIGN_INT, &cache->codes,
                      &nulls, &cache->count);
    MemoryContextSwitchTo(old);
    return cache;
  });
}

}  // namespace

TTHUB_SQL_FUNCTION(tthub_client_reader_reads_store) {
  Name who = PG_GETARG_NAME(0);
  auto *cache = static_cast<ReaderStores *>(fcinfo->flinfo->fn_extra);
  if (cache == nullptr || std::strcmp(NameStr(cache->who), NameStr(*who)) != 0) {
    cache = load(fcinfo, who);
    fcinfo->flinfo->fn_extra = cache;
  }
  std::string_view code = tthub::arg_bytes(fcinfo, 1);
  for (int i = 0; i < cache->count; ++i) {
    text *t = reinterpret_cast<text *>(DatumGetPointer(cache->codes[i]));  // not toasted: copied whole
    if (VARSIZE_ANY_EXHDR(t) == code.size() && std::memcmp(VARDATA_ANY(t), code.data(), code.size()) == 0) {
      PG_RETURN_BOOL(true);
    }
  }
  PG_RETURN_BOOL(false);
}
