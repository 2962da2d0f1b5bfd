#!/usr/bin/env bash
# No lock can freeze the worker. An admin's open transaction holds one store's rows
# (SELECT ... FROM tthub.stores ... FOR UPDATE, tthub_import_account or
# tthub_remove_webhook left uncommitted): every other store still syncs on time, the
# held store's job waits without spending an attempt and completes after the
# release, and the worker's heartbeat stays fresh in tthub.health.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh

itest_setup worker_locks "--accounts 8 --videos 45" || exit 1
Q() { q "$PORT" tthub "$1"; }
Q "CREATE ROLE ops LOGIN IN ROLE tthub_admin" >/dev/null
for i in 1 2 3; do import_account "o$i" "$i"; done
import_account h1 4
import_account h2 5
import_account h3 6
WPID=$(Q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'")
HOOK=$(Q "SELECT tthub.tthub_add_webhook('http://127.0.0.1:1/hook', 'a-signing-secret-of-some-length', allow_http => true)")

# hold NAME SECONDS SQL: an admin's session (role ops, in tthub_admin) runs SQL in a
# transaction and keeps it open SECONDS before rolling back.
hold() {
  PGAPPNAME=$1 psql -X -qAt -h 127.0.0.1 -p "$PORT" -U ops -d tthub -v ON_ERROR_STOP=1 \
    -c "BEGIN" -c "$3" -c "SELECT pg_sleep($2)" -c "ROLLBACK" >"$DIR/$1.out" 2>&1 &
  HOLD_PID=$!
  wait_for "$PORT" "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1' AND query LIKE 'SELECT pg_sleep%'" 1 10
}
holding() { Q "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1' AND query LIKE 'SELECT pg_sleep%'"; }
heartbeat_age() { Q "SELECT value < 10 FROM tthub.health WHERE metric = 'tthub_worker_heartbeat_age_seconds'"; }
job_state() { Q "SELECT state || ' ' || attempts FROM tthub.sync_jobs WHERE job_id = $1"; }

# scenario NAME HELD_STORE SQL END_STATE
scenario() {
  local name=$1 held=$2 sql=$3 end_state=$4 jh jobs others
  # The held store's job is queued first (enqueuing takes a key-share lock on the
  # store's row, which a FOR UPDATE would block), due once the admin holds the row.
  jh=$(Q "INSERT INTO tthub.sync_jobs (store_code, snapshot_date, job_type, run_after)
          VALUES ('$held', tthub.snapshot_today(), 'daily_sync', now() + interval '3 seconds') RETURNING job_id")
  Q "SELECT tthub._wake_worker()" >/dev/null
  hold "$name" 25 "$sql"
  wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $jh" "running" 10  # the worker reaches the held row first
  jobs=$(Q "SELECT string_agg(tthub.tthub_sync(s)::text, ',') FROM unnest(ARRAY['o1', 'o2', 'o3']) s")
  wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE job_id IN ($jobs) AND state = 'done'" 3 12
  # In that order: done first, then still held (so done while held).
  others=$(Q "SELECT count(*) FROM tthub.sync_jobs WHERE job_id IN ($jobs) AND state = 'done'")
  is "$others/$(holding "$name")" "3/1" "$name: every other store synced on time, while the admin's transaction holds the row"
  is "$(heartbeat_age)" "t" "$name: health shows a fresh worker heartbeat (tthub_worker_heartbeat_age_seconds < 10)"
  like "$(job_state "$jh")" "^(queued|running) [01]$" "$name: the held store's job waits, no attempt spent"
  like "$(Q "SELECT coalesce(last_error, '') FROM tthub.sync_jobs WHERE job_id = $jh")" "waited too long for a lock" \
       "$name: it was put back for a lock another transaction holds"
  wait "$HOLD_PID"
  wait_for "$PORT" "SELECT state::text FROM tthub.sync_jobs WHERE job_id = $jh" "$end_state" 40
  is "$(job_state "$jh")" "$end_state 1" "$name: the held store's job completes after the release, in one attempt"
}

echo "# SELECT ... FROM tthub.stores ... FOR UPDATE"
scenario stores_row h1 "SELECT 1 FROM tthub.stores WHERE store_code = 'h1' FOR UPDATE" done
is "$(Q "SELECT count(*) FROM tthub.video_daily WHERE store_code = 'h1' AND snapshot_date = tthub.snapshot_today()")" "45" \
   "h1's day is complete"

echo "# tthub_import_account left uncommitted"
scenario import h2 "SELECT tthub.tthub_import_account('h2', 'sim-open-5', 'act.sim-open-5.1', 'rft.sim-open-5.1', 86400, 15552000,
                                                      'user.info.basic,user.info.stats,video.list')" done
is "$(Q "SELECT status FROM tthub.store_accounts WHERE store_code = 'h2'")" "CONNECTED" "h2's account is CONNECTED"

echo "# tthub_remove_webhook left uncommitted (the held store's sync has an event to send)"
sim_config '{"revoke": "sim-open-6"}'   # h3's owner revoked the app: its sync reports need_reconnect
scenario remove_webhook h3 "SELECT tthub.tthub_remove_webhook($HOOK)" failed
is "$(Q "SELECT status FROM tthub.store_accounts WHERE store_code = 'h3'")" "NEED_RECONNECT" \
   "h3's account is NEED_RECONNECT, once (after the release)"
is "$(Q "SELECT count(*) FROM tthub.events WHERE store_code = 'h3' AND event = 'account.need_reconnect'")" "1" \
   "one account.need_reconnect event"

echo "# the worker's heartbeat in health and in the metrics"
is "$(Q "SELECT value IS NOT NULL AND value < 70 FROM tthub.health WHERE metric = 'tthub_worker_heartbeat_age_seconds'")" "t" \
   "tthub_worker_heartbeat_age_seconds is in tthub.health"
is "$(q "$PORT" tthub "SET ROLE tthub_reader; SELECT heartbeat_age_seconds < 70 FROM tthub_reporting.metrics_worker")" "t" \
   "and in the metrics (tthub_reporting.metrics_worker, for tthub_reader)"
is "$(Q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'")" "$WPID" "the same worker ran throughout"
unlike "$(cat "$DIR/pg/server.log")" "terminated by signal|terminate called|std::|stopping after an error" "no crash, no worker error"
tap_done
