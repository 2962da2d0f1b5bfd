// pq_params CONNINFO SQL [ARG...]: runs SQL once with ARG... as bind parameters
// ($1, $2, ...) through libpq's extended protocol and prints the first column of each
// row, or the error. Tests use it to call functions the way applications should:
// with secrets as parameters, never spliced into the statement text.
#include <libpq-fe.h>

#include <cstdio>
#include <vector>

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: pq_params CONNINFO SQL [ARG...]\n");
    return 2;
  }
  PGconn *conn = PQconnectdb(argv[1]);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::fprintf(stderr, "%s", PQerrorMessage(conn));
    PQfinish(conn);
    return 2;
  }
  std::vector<const char *> values(argv + 3, argv + argc);
  PGresult *res = PQexecParams(conn, argv[2], static_cast<int>(values.size()), nullptr, values.data(),
                               nullptr, nullptr, 0);
  int rc = 0;
  if (PQresultStatus(res) == PGRES_TUPLES_OK) {
    for (int i = 0; i < PQntuples(res); ++i) std::printf("%s\n", PQgetvalue(res, i, 0));
  } else if (PQresultStatus(res) != PGRES_COMMAND_OK) {
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    std::printf("ERROR %s: %s", state ? state : "?????", PQresultErrorMessage(res));
    rc = 1;
  }
  PQclear(res);
  PQfinish(conn);
  return rc;
}
