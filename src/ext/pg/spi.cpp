#include "ext/pg/spi.h"

#include <cstring>

#include "ext/pg/sql_values.h"

namespace tthub::spi {
namespace {

// Plain static storage (exit() runs static destructors): sql address -> kept plan.
struct CachedPlan {
  const char *sql;
  SPIPlanPtr plan;
};
constexpr int kMaxPlans = 48;
CachedPlan g_plans[kMaxPlans];
int g_plan_count = 0;

SPIPlanPtr plan_for(const char *sql, const std::vector<Param> &params) {
  for (int i = 0; i < g_plan_count; ++i)
    if (g_plans[i].sql == sql) return g_plans[i].plan;
  if (g_plan_count == kMaxPlans) throw Error(sqlstate::kInternalError, "tthub: too many cached statements");
  std::vector<Oid> types;
  for (const Param &p : params) types.push_back(p.type);
  SPIPlanPtr plan = pg_guard([&] {
    SPIPlanPtr p = SPI_prepare(sql, static_cast<int>(types.size()), types.data());
    if (!p) elog(ERROR, "tthub: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
    if (SPI_keepplan(p) != 0) elog(ERROR, "tthub: SPI_keepplan failed");
    return p;
  });
  g_plans[g_plan_count++] = {sql, plan};
  return plan;
}

template <typename T, typename Make>
Param array_of(const std::vector<std::optional<T>> &values, Oid elem, int16 len, bool byval, char align,
               Oid array_type, Make make) {
  size_t n = values.size();
  Datum *elems = static_cast<Datum *>(pg_guard([&] { return palloc0(sizeof(Datum) * (n ? n : 1)); }));
  bool *nulls = static_cast<bool *>(pg_guard([&] { return palloc0(sizeof(bool) * (n ? n : 1)); }));
  for (size_t i = 0; i < n; ++i) {
    nulls[i] = !values[i].has_value();
    if (values[i]) elems[i] = make(*values[i]);
  }
  int dims[1] = {static_cast<int>(n)};
  int lbs[1] = {1};
  ArrayType *a = pg_guard([&] {
    return construct_md_array(elems, nulls, 1, dims, lbs, elem, len, byval, align);
  });
  return {array_type, PointerGetDatum(a), false};
}

Datum column(uint64_t row, int col, bool *isnull) {
  return pg_guard([&] {
    if (!SPI_tuptable || row >= SPI_processed) elog(ERROR, "tthub: no row %lu in the result", static_cast<unsigned long>(row));
    return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
  });
}

}  // namespace

// Text parameters (and array elements) are built by make_text, which refuses bytes
// invalid in the database encoding and NULs: such a row would not survive pg_restore.
Param text(std::string_view s) { return {TEXTOID, PointerGetDatum(make_text(s)), false}; }
Param text(const std::string &s) { return text(std::string_view(s)); }
Param text(const char *s) { return text(std::string_view(s)); }
Param text(const std::optional<std::string> &s) { return s ? text(*s) : Param{TEXTOID, 0, true}; }
Param int8(int64_t v) { return {INT8OID, Int64GetDatum(v), false}; }
Param int8(const std::optional<int64_t> &v) { return v ? int8(*v) : Param{INT8OID, 0, true}; }
Param int4(int32_t v) { return {INT4OID, Int32GetDatum(v), false}; }
Param my_pid() { return int4(MyProcPid); }
Param date(int32_t d) { return {DATEOID, Int32GetDatum(d)  /* DateADT is an int32 */, false}; }
Param bytea(const std::vector<uint8_t> &b) { return {BYTEAOID, PointerGetDatum(make_bytea(b.data(), b.size())), false}; }

Param text_array(const std::vector<std::optional<std::string>> &values) {
  return array_of<std::string>(values, TEXTOID, -1, false, TYPALIGN_INT, TEXTARRAYOID,
                               [](const std::string &s) { return PointerGetDatum(make_text(s)); });
}

Param int8_array(const std::vector<std::optional<int64_t>> &values) {
  return array_of<int64_t>(values, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, INT8ARRAYOID,
                           [](int64_t v) { return Int64GetDatum(v); });
}

uint64_t exec(const char *sql, const std::vector<Param> &params) {
  SPIPlanPtr plan = plan_for(sql, params);
  std::vector<Datum> values;
  std::vector<char> nulls;
  for (const Param &p : params) {
    values.push_back(p.value);
    nulls.push_back(p.isnull ? 'n' : ' ');
  }
  return pg_guard([&] {
    int rc = SPI_execute_plan(plan, values.data(), nulls.data(), false, 0);
    if (rc < 0) elog(ERROR, "tthub: SPI_execute_plan failed: %s", SPI_result_code_string(rc));
    return static_cast<uint64>(SPI_processed);
  });
}

std::optional<std::string> get_text(uint64_t row, int col) {
  bool isnull = false;
  Datum d = column(row, col, &isnull);
  if (isnull) return std::nullopt;
  struct varlena *v = pg_guard([&] { return PG_DETOAST_DATUM_PACKED(d); });
  return std::string(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
}

std::optional<std::vector<uint8_t>> get_bytea(uint64_t row, int col) {
  bool isnull = false;
  Datum d = column(row, col, &isnull);
  if (isnull) return std::nullopt;
  struct varlena *v = pg_guard([&] { return PG_DETOAST_DATUM_PACKED(d); });
  const uint8_t *p = reinterpret_cast<const uint8_t *>(VARDATA_ANY(v));
  return std::vector<uint8_t>(p, p + VARSIZE_ANY_EXHDR(v));
}

std::optional<int64_t> get_int8(uint64_t row, int col) {
  bool isnull = false;
  Datum d = column(row, col, &isnull);
  if (isnull) return std::nullopt;
  return DatumGetInt64(d);
}

std::optional<int32_t> get_int4(uint64_t row, int col) {
  bool isnull = false;
  Datum d = column(row, col, &isnull);
  if (isnull) return std::nullopt;
  return DatumGetInt32(d);
}

}  // namespace tthub::spi
