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
