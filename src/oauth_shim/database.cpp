#include "database.h"

#include <libpq-fe.h>

#include <memory>
#include <vector>

namespace shim {
namespace {

struct ConnCloser {
  void operator()(PGconn *c) const { PQfinish(c); }
};
struct ResultCloser {
  void operator()(PGresult *r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnCloser>;
using Result = std::unique_ptr<PGresult, ResultCloser>;

// One connection per request: the shim sees a few requests per connected store, and
// a fresh connection never carries state from a previous request.
Conn connect(const std::string &url, DbError *err) {
  const char *keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char *values[] = {url.c_str(), "5", "tthub-oauth", nullptr};
  Conn c(PQconnectdbParams(keys, values, 1));
  if (!c || PQstatus(c.get()) != CONNECTION_OK) {
    err->sqlstate.clear();
    err->message = "the database is unavailable";
    return nullptr;
  }
  return c;
}

Result call(PGconn *c, const char *sql, const std::vector<std::string> &args, DbError *err) {
  std::vector<const char *> values;
  for (const auto &a : args) values.push_back(a.c_str());
  Result r(PQexecParams(c, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    const char *state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    const char *msg = r ? PQresultErrorField(r.get(), PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    err->sqlstate = state ? state : "XX000";
    err->message = msg ? msg : "database error";
    return nullptr;
  }
  return r;
}

std::string value(PGresult *r, int col) { return PQgetisnull(r, 0, col) ? "" : PQgetvalue(r, 0, col); }

}  // namespace

BeginResult Database::begin(const std::string &store_code, const std::string &redirect_uri) const {
  BeginResult out;
  Conn c = connect(url_, &out.error);
  if (!c) return out;
  Result r = call(c.get(), "SELECT tthub.tthub_oauth_begin($1, $2)", {store_code, redirect_uri}, &out.error);
  if (!r) return out;
  out.authorize_url = value(r.get(), 0);
  out.ok = true;
  return out;
}

CompleteResult Database::complete(const std::string &state, const std::string &code) const {
  CompleteResult out;
  Conn c = connect(url_, &out.error);
  if (!c) return out;
  Result r = call(c.get(), "SELECT store_code, display_name, status, status_reason FROM tthub.tthub_oauth_complete($1, $2)",
                  {state, code}, &out.error);
  if (!r) return out;
  out.store_code = value(r.get(), 0);
  out.display_name = value(r.get(), 1);
  out.status = value(r.get(), 2);
  out.status_reason = value(r.get(), 3);
  out.ok = true;
  return out;
}

bool Database::reachable() const {
  DbError err;
  Conn c = connect(url_, &err);
  if (!c) return false;
  Result r(PQexec(c.get(), "SELECT 1"));
  return r && PQresultStatus(r.get()) == PGRES_TUPLES_OK;
}

}  // namespace shim
