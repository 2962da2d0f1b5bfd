// tthub.worker_pid() RETURNS integer: the sync worker serving this database, from
// shared memory. tthub.health reports it, so that every role reading health sees
// whether the worker runs (pg_stat_activity shows other roles' backends only to
// superusers and pg_read_all_stats).
#include "ext/pg/pg_bridge.h"
#include "ext/sync/shared_state.h"

TTHUB_SQL_FUNCTION(tthub_worker_pid) {
  int pid = tthub::shared::worker_pid_for_this_database();
  if (pid == 0) PG_RETURN_NULL();
  PG_RETURN_INT32(pid);
}

// tthub._worker_heartbeat_age() RETURNS float8: seconds since the sync worker of this
// database last passed its loop (NULL: no worker). A worker that runs but has not
// passed its loop for minutes is stuck (health, tthub_worker_heartbeat_age_seconds).
TTHUB_SQL_FUNCTION(tthub_worker_heartbeat_age) {
  double age = tthub::shared::worker_heartbeat_age_seconds();
  if (age < 0) PG_RETURN_NULL();
  PG_RETURN_FLOAT8(age);
}
