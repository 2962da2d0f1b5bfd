#!/usr/bin/env bash
# tthub.health tells every role whether the worker runs: a reader, from whom
# pg_stat_activity hides the worker, and an admin; and it follows the worker when it
# is stopped and when the postmaster restarts it. (That a database the worker does
# not serve says 0, and that readers cannot use the tthub schema: test/pgtap/reader.sql.)
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh

itest_setup health "--accounts 1 --videos 1" || exit 1

q "$PORT" tthub "CREATE ROLE bi LOGIN IN ROLE tthub_reader; CREATE ROLE ops LOGIN IN ROLE tthub_admin" >/dev/null
as() {  # as ROLE DB SQL
  psql -X -qAt -h 127.0.0.1 -p "$PORT" -U "$1" -d "$2" -v ON_ERROR_STOP=1 -c "$3" 2>&1
}
running="SELECT value FROM tthub_reporting.health WHERE metric = 'tthub_worker_running'"
is "$(as bi tthub "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'")" "0" \
   "pg_stat_activity hides the worker from a reader"
is "$(as bi tthub "$running")" "1" "yet a reader's health says the worker runs"
is "$(as ops tthub "SELECT value FROM tthub.health WHERE metric = 'tthub_worker_running'")" "1" "and so does an admin's"
q "$PORT" tthub "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'" >/dev/null
ok=1; for _ in $(seq 1 25); do [ "$(as bi tthub "$running")" = 0 ] && { ok=0; break; }; sleep 0.2; done
tap_result "$ok" "a reader sees 0 once the worker is stopped"
ok=1; for _ in $(seq 1 75); do [ "$(as bi tthub "$running")" = 1 ] && { ok=0; break; }; sleep 0.2; done
tap_result "$ok" "and 1 again once the postmaster restarted it"
tap_done
