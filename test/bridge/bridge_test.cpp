#include <new>
#include <stdexcept>
#include <string>

#include "ext/pg/pg_bridge.h"
#include "ext/pg/sql_values.h"

extern "C" {
PG_MODULE_MAGIC;
}

namespace {

int g_destructors = 0;

// Lives across a Postgres error; its destructor must run.
struct Witness {
  std::string payload = std::string(64, 'w');  // owns heap memory, like real code
  ~Witness() { ++g_destructors; }
};

std::string text_arg(FunctionCallInfo fcinfo, int n) {
  char *s = tthub::pg_guard([&] { return text_to_cstring(PG_GETARG_TEXT_PP(n)); });
  return s;
}

}  // namespace

TTHUB_SQL_FUNCTION(bridge_catch_pg_error) {
  std::string sql = text_arg(fcinfo, 0);
  std::string outcome = "no error";
  try {
    Witness w;
    tthub::with_subtransaction([&] {
      tthub::pg_guard([] { SPI_connect(); });
      tthub::pg_guard([&] { SPI_execute(sql.c_str(), false, 0); });
      tthub::pg_guard([] { SPI_finish(); });
    });
  } catch (const tthub::PgError &e) {
    outcome = "PgError " + e.sqlstate() + ": " + e.what();
  }
  // The outer transaction must still work after the subtransaction rolled back.
  int64 one = tthub::pg_guard([] {
    SPI_connect();
    SPI_execute("SELECT 1", true, 1);
    bool isnull;
    int64 v = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    SPI_finish();
    return v;
  });
  outcome += "; outer transaction usable: " + std::string(one == 1 ? "yes" : "no");
  text *t = tthub::pg_guard([&] { return cstring_to_text(outcome.c_str()); });
  PG_RETURN_TEXT_P(t);
}

TTHUB_SQL_FUNCTION(bridge_throw) {
  std::string kind = text_arg(fcinfo, 0);
  Witness w;
  if (kind == "tthub") throw tthub::Error("22023", "a tthub error", "its detail", "its hint");
  if (kind == "std") throw std::runtime_error("a standard exception");
  if (kind == "alloc") throw std::bad_alloc();
  if (kind == "unknown") throw 7;
  if (kind == "pg")  // a Postgres error raised under the guard, reported with its own SQLSTATE
    tthub::pg_guard([] { DirectFunctionCall1(int4in, CStringGetDatum("not a number")); });
  PG_RETURN_VOID();
}

// Builds a text from arbitrary bytes the way tthub builds every text it stores.
TTHUB_SQL_FUNCTION(bridge_make_text) { PG_RETURN_TEXT_P(tthub::make_text(tthub::arg_bytes(fcinfo, 0))); }

TTHUB_SQL_FUNCTION(bridge_destructor_count) { PG_RETURN_INT32(g_destructors); }
