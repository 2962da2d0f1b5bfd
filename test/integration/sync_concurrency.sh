#!/usr/bin/env bash
# One sync per store, and stopping: two syncs of one store never overlap (in the
# worker, or tthub_sync_now against the worker), a refresh token goes to TikTok at
# most once, a job that finds its store busy runs afterwards, and a cancel or SIGTERM
# ends a sync within seconds. (That store codes never change: test/pgtap/stores.sql.)
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh

itest_setup sync_concurrency "--accounts 8 --videos 45" || exit 1
TODAY="tthub.snapshot_today()"
Q() { q "$PORT" tthub "$1"; }
videos_on() { Q "SELECT count(*) FROM tthub.video_daily WHERE store_code = '$1' AND snapshot_date = $TODAY - $2"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# session NAME SQL...: one psql session in the background, one statement per argument,
# application_name NAME (so the test can find it in pg_stat_activity).
session() {
  local name=$1 args=()
  shift
  for s in "$@"; do args+=(-c "$s"); done
  PGAPPNAME=$name psql -X -qAt -h 127.0.0.1 -p "$PORT" -U postgres -d tthub -v VERBOSITY=sqlstate "${args[@]}" \
    >"$DIR/$name.out" 2>&1 &
}
# waits until session NAME runs a statement matching LIKE pattern
running() { wait_for "$PORT" "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1' AND state = 'active' AND query LIKE '$2'" 1 "${3:-20}"; }
max_refresh_uses() { sim_json "max_refresh_token_uses"; }
# queue_yesterday STORE: queues the store's job for yesterday, wakes the worker, prints the job's id
queue_yesterday() {
  Q "INSERT INTO tthub.sync_jobs (store_code, snapshot_date, job_type) VALUES ('$1', $TODAY - 1, 'daily_sync');
     SELECT tthub._wake_worker()" >/dev/null
  Q "SELECT job_id FROM tthub.sync_jobs WHERE store_code = '$1' AND snapshot_date = $TODAY - 1"
}

echo "# two jobs of one store queued together run one after the other"
sim_config '{"latency_ms": 150}'
import_account a1 1 60   # the access token expires within 5 minutes: a sync refreshes it first
Q "INSERT INTO tthub.sync_jobs (store_code, snapshot_date, job_type)
   VALUES ('a1', $TODAY - 1, 'daily_sync'), ('a1', $TODAY, 'daily_sync');
   SELECT tthub._wake_worker()" >/dev/null
wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE store_code = 'a1' AND state <> 'queued' AND state <> 'running'" 2 40
is "$(Q "SELECT string_agg(state::text, ',') FROM tthub.sync_jobs WHERE store_code = 'a1'")" "done,done" "both jobs are done"
is "$(Q "SELECT bool_and(NOT EXISTS (SELECT 1 FROM tthub.sync_jobs b WHERE b.store_code = 'a1' AND b.job_id <> a.job_id
                                      AND b.started_at < a.finished_at AND a.started_at < b.finished_at))
           FROM tthub.sync_jobs a WHERE a.store_code = 'a1'")" "t" "they never overlapped"
is "$(max_refresh_uses)" "1" "no refresh token was sent twice"
is "$(sim_json "accounts,sim-open-1,generation")" "2" "one refresh in all: the second job read the rotated tokens"
is "$(Q "SELECT status FROM tthub.store_accounts WHERE store_code = 'a1'")" "CONNECTED" "the account stays connected"
# Rows go under the day they were observed (README, "The snapshot day"): yesterday's
# job, run today, writes today's counts under today.
is "$(videos_on a1 1)/$(videos_on a1 0)" "0/45" "both jobs wrote under the day of observation, today; it is complete"

echo "# tthub_sync_now while the worker syncs the store: busy, and the queued job stays queued"
sim_config '{"videos": {"sim-open-2": 200}, "latency_ms": 150}'
import_account b1 2 60
Q "INSERT INTO tthub.sync_jobs (store_code, snapshot_date, job_type, run_after)
   VALUES ('b1', $TODAY - 1, 'daily_sync', now() - interval '1 second'), ('b1', $TODAY, 'daily_sync', now());
   SELECT tthub._wake_worker()" >/dev/null
wait_for "$PORT" "SELECT count(*) FROM tthub.sync_progress WHERE store_code = 'b1' AND pages_fetched >= 1" 1 20
is "$(Q "SELECT status || '|' || videos_written || '|' || pages FROM tthub.tthub_sync_now('b1')")" "busy|0|0" \
   "tthub_sync_now reports the store busy and syncs nothing"
is "$(Q "SELECT state || ' ' || attempts FROM tthub.sync_jobs WHERE store_code = 'b1' AND snapshot_date = $TODAY")" "queued 0" \
   "today's queued job stays queued, no attempt spent"
is "$(Q "SELECT count(*) FROM tthub.sync_logs WHERE store_code = 'b1' AND status = 'SKIPPED' AND job_type = 'manual_sync'")" "1" \
   "the refused tthub_sync_now is logged SKIPPED"
wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE store_code = 'b1' AND state = 'done'" 2 40
is "$(Q "SELECT min(finished_at) <= max(started_at) FROM tthub.sync_jobs WHERE store_code = 'b1'")" "t" \
   "then the worker ran both days, one after the other"
is "$(videos_on b1 1)/$(videos_on b1 0)" "0/200" "no video is missing from the day of observation"
is "$(max_refresh_uses)/$(Q "SELECT status FROM tthub.store_accounts WHERE store_code = 'b1'")" "1/CONNECTED" \
   "one use per refresh token; the account stays connected"

echo "# a job the worker claims while tthub_sync_now holds the store waits, then runs"
sim_config '{"videos": {"sim-open-3": 200}, "latency_ms": 150}'
import_account c1 3 60
session c1now "BEGIN" "SELECT status FROM tthub.tthub_sync_now('c1')" "SELECT pg_sleep(5)" "COMMIT"
c1now=$!
running c1now '%tthub_sync_now%'
JC=$(queue_yesterday c1)
wait_for "$PORT" "SELECT count(*) > 0 FROM tthub.sync_logs WHERE job_id = $JC AND status = 'SKIPPED'" "t" 20
is "$(Q "SELECT state || ' ' || attempts FROM tthub.sync_jobs WHERE job_id = $JC")" "queued 0" \
   "the worker found the store busy: the job is back in the queue, no attempt spent"
wait "$c1now"
is "$(cat "$DIR/c1now.out")" "done" "tthub_sync_now completes"
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $JC" "done" 40
is "$(Q "SELECT state || ' ' || attempts FROM tthub.sync_jobs WHERE job_id = $JC")" "done 1" \
   "the waiting job ran after tthub_sync_now's transaction ended, with one attempt"
is "$(videos_on c1 1)/$(videos_on c1 0)" "0/200" "no video is missing from the day of observation"
is "$(max_refresh_uses)/$(Q "SELECT status FROM tthub.store_accounts WHERE store_code = 'c1'")" "1/CONNECTED" \
   "one use per refresh token; the account stays connected"

echo "# tthub_sync_now holds the store until its transaction commits (the rotated tokens are not visible before)"
sim_config '{"latency_ms": 0}'
import_account c2 4 60
session c2now "BEGIN" "SELECT status FROM tthub.tthub_sync_now('c2')" "SELECT pg_sleep(7)" "COMMIT"
c2now=$!
running c2now 'SELECT pg_sleep%'
JC2=$(queue_yesterday c2)
wait "$c2now"
is "$(cat "$DIR/c2now.out")" "done" "tthub_sync_now synced the store"
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $JC2" "done" 40
is "$(max_refresh_uses)" "1" "the worker did not send the refresh token tthub_sync_now had already used"
is "$(Q "SELECT status FROM tthub.store_accounts WHERE store_code = 'c2'")" "CONNECTED" "the account stays connected"
is "$(videos_on c2 1)/$(videos_on c2 0)" "0/45" "and the day of observation is complete"

echo "# a cancel or statement timeout ends tthub_sync_now within a second or two"
import_account d1 5
sim_config '{"latency_ms": 8000}'
t0=$(now_ms)
st=$(PGOPTIONS="-c statement_timeout=1000" sqlstate "$PORT" tthub "SELECT * FROM tthub.tthub_sync_now('d1')")
took=$(( $(now_ms) - t0 ))
is "$st" "57014" "statement_timeout during a slow TikTok request: SQLSTATE 57014"
is "$(( took < 2500 ))" "1" "within 2.5 s (took ${took} ms)"
session d1cancel "SELECT * FROM tthub.tthub_sync_now('d1')"
bg=$!
running d1cancel '%tthub_sync_now%'
sleep 0.5
t0=$(now_ms)
Q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'd1cancel'" >/dev/null
wait "$bg"
took=$(( $(now_ms) - t0 ))
like "$(cat "$DIR/d1cancel.out")" "ERROR: +57014" "pg_cancel_backend during a slow TikTok request: SQLSTATE 57014"
is "$(( took < 2500 ))" "1" "within 2.5 s (took ${took} ms)"
sim_config '{"latency_ms": 0}'
is "$(Q "SELECT status FROM tthub.tthub_sync_now('d1')")" "done" "the store syncs normally afterwards"
is "$(psql -X -qAt -h 127.0.0.1 -p "$PORT" -U postgres -d tthub -c "BEGIN" -c "SELECT status FROM tthub.tthub_sync_now('d1')" \
        -c "SELECT status FROM tthub.tthub_sync_now('d1')" -c "COMMIT" 2>&1 | paste -sd,)" "done,done" \
   "two tthub_sync_now of one store in one transaction both run (one after the other)"
# A row lock held elsewhere: the sync waits inside one of its database steps.
session d1lock "BEGIN" "SELECT 1 FROM tthub.sync_ledger WHERE store_code = 'd1' FOR UPDATE" "SELECT pg_sleep(6)" "ROLLBACK"
lock_session=$!
running d1lock 'SELECT pg_sleep%'
t0=$(now_ms)
st=$(PGOPTIONS="-c statement_timeout=1000" sqlstate "$PORT" tthub "SELECT * FROM tthub.tthub_sync_now('d1')")
took=$(( $(now_ms) - t0 ))
is "$st" "57014" "statement_timeout while waiting on a row lock: SQLSTATE 57014, not a retry"
is "$(( took < 2500 ))" "1" "within 2.5 s (took ${took} ms)"
is "$(Q "SELECT count(*) FROM tthub.sync_jobs WHERE store_code = 'd1' AND state NOT IN ('done')")" "0" \
   "the cancelled syncs left no job behind"
wait "$lock_session"

echo "# SIGTERM reaches a worker waiting on a row lock"
import_account e1 6
session e1lock "BEGIN" "SELECT 1 FROM tthub.store_accounts WHERE store_code = 'e1' FOR UPDATE" "SELECT pg_sleep(60)" "ROLLBACK"
running e1lock 'SELECT pg_sleep%'
JE=$(Q "SELECT tthub.tthub_sync('e1')")
wait_for "$PORT" "SELECT wait_event_type FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'" "Lock" 20
WPID=$(Q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'")
is "$(Q "SELECT state || ' ' || attempts FROM tthub.sync_jobs WHERE job_id = $JE")" "running 1" "the worker waits on the lock"
t0=$(now_ms)
Q "SELECT pg_terminate_backend($WPID)" >/dev/null
wait_for "$PORT" "SELECT count(*) FROM pg_stat_activity WHERE pid = $WPID" 0 15
took=$(( $(now_ms) - t0 ))
is "$(( took < 5000 ))" "1" "the worker exits within 5 s (took ${took} ms)"
is "$(Q "SELECT state || ' ' || attempts || ' ' || coalesce(last_error, '') FROM tthub.sync_jobs WHERE job_id = $JE")" \
   "queued 0 the worker was stopped before the job finished" "its job is back in the queue, no attempt spent"
Q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'e1lock'" >/dev/null
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $JE" "done" 40
is "$(Q "SELECT state || ' ' || attempts FROM tthub.sync_jobs WHERE job_id = $JE")" "done 1" \
   "the restarted worker completes it with one attempt"
is "$(videos_on e1 0)" "45" "the day is complete"

echo "# SIGTERM while a token refresh is on the wire: its answer is saved"
# TikTok rotates the refresh token when it answers; dropping that answer would leave
# the old, spent token stored and the account needing a reconnect.
sim_config '{"latency_ms": 3000}'
import_account f1 7 60   # the access token expires within 5 minutes: the sync refreshes first
JF=$(Q "SELECT tthub.tthub_sync('f1')")
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $JF" "running" 20
sleep 1   # the refresh request is on the wire (3 s latency)
WPID=$(Q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'")
Q "SELECT pg_terminate_backend($WPID)" >/dev/null
wait_for "$PORT" "SELECT count(*) FROM pg_stat_activity WHERE pid = $WPID" 0 20
is "$(sim_json "accounts,sim-open-7,generation")" "2" "TikTok rotated the tokens once"
is "$(Q "SELECT tthub.tthub_decrypt_token(refresh_token_enc, tthub.token_context(store_code, open_id, 'refresh_token'))
           FROM tthub.store_accounts WHERE store_code = 'f1'")" "rft.sim-open-7.2" \
   "the worker saved the rotated refresh token before it exited"
sim_config '{"latency_ms": 0}'
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $JF" "done" 40
is "$(Q "SELECT status FROM tthub.store_accounts WHERE store_code = 'f1'")" "CONNECTED" \
   "after the restart the account syncs with the saved tokens (no reconnect)"

echo "# nothing leaked, nothing crashed"
is "$(max_refresh_uses)" "1" "no refresh token was ever sent twice"
is "$(Q "SELECT count(*) FROM tthub.sync_jobs WHERE state IN ('skipped', 'dead', 'failed')")" "0" "no job was skipped, failed or died"
unlike "$(cat "$DIR/pg/server.log")" "(act|rft)\.sim-open" "no token in the server log"
unlike "$(cat "$DIR/pg/server.log")" "terminated by signal|terminate called|std::|stopping after an error" \
       "no crash and no worker error in the server log"
tap_done
