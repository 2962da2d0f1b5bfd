#!/usr/bin/env bash
# A rotated refresh token is never dropped. TikTok retires the old refresh token the
# moment it answers a refresh, so the answer must reach the database whatever
# happens: a save that fails once (a serialization failure) is tried again in its own
# transaction, and an error that leaves the worker's loop (here a job's finish) first
# applies what TikTok answered, waiting for a refresh still on the wire; an answer that
# comes after tthub.http_timeout_ms (TikTok slow, or the worker busy in a lock wait
# while the answer sits unread) is still waited for. Each rotated token is presented to
# TikTok exactly once, and the account stays CONNECTED.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh

itest_setup token_rotation "--accounts 6 --videos 45" || exit 1
Q() { q "$PORT" tthub "$1"; }
uses() { sim_json "refresh_token_uses,$1"; }  # times TikTok was sent refresh token rft.<$1>
stored_refresh() {
  Q "SELECT tthub.tthub_decrypt_token(refresh_token_enc, tthub.token_context(store_code, open_id, 'refresh_token'))
       FROM tthub.store_accounts WHERE store_code = '$1'"
}
# sync_and_wait STORE: enqueues a sync and waits until its job has ended.
sync_and_wait() {
  local job
  job=$(Q "SELECT tthub.tthub_sync('$1')")
  wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $job" "done" "${2:-40}"
}
# Presents the stored refresh token once more: TikTok forgets the access token, the
# next sync refreshes with the stored refresh token.
refresh_again() { sim_config "{\"expire\": \"$2\"}" && sync_and_wait "$1"; }
worker_pid() { Q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'"; }

echo "# the save of a rotated pair fails once (serializable, a concurrent update): tried again, saved"
Q "ALTER SYSTEM SET default_transaction_isolation = 'serializable'" >/dev/null
Q "SELECT pg_reload_conf()" >/dev/null
sleep 1
import_account s1 1 60   # the access token expires within 5 minutes: the sync refreshes first
# An admin's transaction updates the account's row and commits as soon as the worker
# waits for it: the worker's save, whose snapshot is older, fails with 40001.
PGAPPNAME=concurrent psql -X -qAt -h 127.0.0.1 -p "$PORT" -U postgres -d tthub -v ON_ERROR_STOP=1 >"$DIR/concurrent.out" 2>&1 <<'SQL' &
BEGIN ISOLATION LEVEL READ COMMITTED;
UPDATE tthub.store_accounts SET updated_at = now() WHERE store_code = 's1';
SELECT 'holding';
DO $$
BEGIN
  FOR i IN 1..600 LOOP
    PERFORM pg_stat_clear_snapshot();
    EXIT WHEN EXISTS (SELECT 1 FROM pg_stat_activity
                       WHERE backend_type = 'tthub sync worker' AND wait_event_type = 'Lock');
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
COMMIT;
SELECT 'committed';
SQL
concurrent=$!
wait_for "$PORT" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'concurrent' AND state = 'active' AND query LIKE 'DO%'" 1 20
J1=$(Q "SELECT tthub.tthub_sync('s1')")
wait "$concurrent"
is "$(cat "$DIR/concurrent.out" | paste -sd,)" "holding,committed" "the concurrent update committed while the worker waited for the row"
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $J1" "done" 40
is "$(Q "SELECT state || ' ' || attempts FROM tthub.sync_jobs WHERE job_id = $J1")" "done 1" "the sync completed in its first attempt"
is "$(uses sim-open-1.1)" "1" "the imported refresh token went to TikTok once"
is "$(stored_refresh s1)" "rft.sim-open-1.2" "the rotated refresh token was saved after the failed save"
like "$(cat "$DIR/pg/server.log")" "store s1 account sim-open-1: saving the rotated tokens failed \(SQLSTATE 40001\)" \
     "the first save did fail, with a serialization failure"
Q "ALTER SYSTEM RESET default_transaction_isolation" >/dev/null
Q "SELECT pg_reload_conf()" >/dev/null
sleep 1
refresh_again s1 sim-open-1
is "$(uses sim-open-1.2)" "1" "the rotated refresh token was presented to TikTok exactly once"
is "$(Q "SELECT status FROM tthub.store_accounts WHERE store_code = 's1'")" "CONNECTED" "the account stays CONNECTED"

echo "# an error leaves the worker's loop (a job's finish) while a refresh is on the wire: its answer is saved"
import_account s2 2 60    # refreshes first
import_account s3 3       # a quick sync, no refresh
# The first finish of a job of s3 fails (a sequence: not undone by the error's rollback).
Q "CREATE SEQUENCE public.finish_failures;
   CREATE FUNCTION public.fail_first_finish() RETURNS trigger LANGUAGE plpgsql AS \$\$
   BEGIN
     IF NEW.store_code = 's3' AND OLD.state = 'running' AND NEW.state <> 'running'
        AND nextval('public.finish_failures') = 1 THEN
       RAISE EXCEPTION 'simulated failure of a job''s finish';
     END IF;
     RETURN NEW;
   END \$\$;
   CREATE TRIGGER fail_first_finish BEFORE UPDATE ON tthub.sync_jobs
     FOR EACH ROW EXECUTE FUNCTION public.fail_first_finish()" >/dev/null
OLD_PID=$(worker_pid)
sim_config '{"hold_next": {"oauth/token": 4000}, "reset_counters": true}'
J2=$(Q "SELECT tthub.tthub_sync('s2')")
# TikTok has rotated s2's tokens; its answer is on the wire for 4 s.
for _ in $(seq 1 50); do [ "$(sim_json 'accounts,sim-open-2,generation')" = 2 ] && break; sleep 0.1; done
is "$(sim_json 'accounts,sim-open-2,generation')" "2" "TikTok rotated s2's tokens (its answer is still on the wire)"
J3=$(Q "SELECT tthub.tthub_sync('s3')")
wait_for "$PORT" "SELECT count(*) FROM pg_stat_activity WHERE pid = $OLD_PID" 0 30
like "$(cat "$DIR/pg/server.log")" "stopping after an error .*simulated failure of a job's finish" \
     "the worker left its loop with the finish's error"
is "$(stored_refresh s2)" "rft.sim-open-2.2" "the refresh on the wire was waited for and saved before the worker exited"
wait_for "$PORT" "SELECT string_agg(state::text, ',' ORDER BY job_id) FROM tthub.sync_jobs WHERE job_id IN ($J2, $J3)" "done,done" 60
is "$(Q "SELECT string_agg(state::text, ',' ORDER BY job_id) FROM tthub.sync_jobs WHERE job_id IN ($J2, $J3)")" "done,done" \
   "the restarted worker completed both jobs"
is "$(uses sim-open-2.1)" "1" "s2's imported refresh token went to TikTok once"
refresh_again s2 sim-open-2
is "$(uses sim-open-2.2)" "1" "the rotated refresh token was presented to TikTok exactly once"
is "$(Q "SELECT string_agg(status::text, ',' ORDER BY store_code) FROM tthub.store_accounts WHERE store_code IN ('s2', 's3')")" \
   "CONNECTED,CONNECTED" "both accounts stay CONNECTED"

echo "# a refresh answer that comes after tthub.http_timeout_ms: waited for and saved (TikTok rotated when it answered)"
Q "ALTER SYSTEM SET tthub.http_timeout_ms = 1000" >/dev/null
Q "SELECT pg_reload_conf()" >/dev/null
sleep 1
import_account s4 4 60    # refreshes first
# TikTok takes 2.5 s to answer the refresh, past the 1 s every other request gets.
sim_config '{"hold_next": {"oauth/token": 2500}}'
J4=$(Q "SELECT tthub.tthub_sync('s4')")
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $J4" "done" 40
is "$(uses sim-open-4.1)" "1" "s4's imported refresh token went to TikTok once"
is "$(stored_refresh s4)" "rft.sim-open-4.2" "the late answer's rotated refresh token was saved"
is "$(Q "SELECT status FROM tthub.store_accounts WHERE store_code = 's4'")" "CONNECTED" "the account stays CONNECTED"

echo "# the worker is busy past tthub.http_timeout_ms (a write waiting for an admin's lock) while a refresh answer waits to be read: saved"
import_account s5 5       # a quick sync, no refresh: its page write waits for the lock
import_account s6 6 60    # refreshes first
# An admin holds video_daily for 6 s: every page write waits lock_timeout (2 s) for it.
psql -X -qAt -h 127.0.0.1 -p "$PORT" -U postgres -d tthub -c \
  "BEGIN; LOCK TABLE tthub.video_daily IN SHARE MODE; SELECT pg_sleep(6); COMMIT;" >/dev/null 2>&1 &
admin=$!
wait_for "$PORT" "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                   WHERE c.relname = 'video_daily' AND l.mode = 'ShareLock' AND l.granted" 1 20
# TikTok answers s6's refresh after 300 ms, while s5's first page write waits for the lock.
sim_config '{"hold_next": {"oauth/token": 300}}'
read -r J5 J6 <<<"$(Q "SELECT tthub.tthub_sync('s5') || ' ' || tthub.tthub_sync('s6')")"
wait "$admin"
wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE store_code IN ('s5', 's6') AND state <> 'done'" 0 60
is "$(uses sim-open-6.1)" "1" "s6's imported refresh token went to TikTok once"
is "$(stored_refresh s6)" "rft.sim-open-6.2" "the answer read after the lock wait was saved"
is "$(Q "SELECT string_agg(status::text, ',' ORDER BY store_code) FROM tthub.store_accounts WHERE store_code IN ('s5', 's6')")" \
   "CONNECTED,CONNECTED" "both accounts stay CONNECTED"
like "$(cat "$DIR/pg/server.log")" "store s5 job $J5 queued" "s5's page write did wait for the admin's lock (its job went back to the queue)"
Q "ALTER SYSTEM RESET tthub.http_timeout_ms" >/dev/null
Q "SELECT pg_reload_conf()" >/dev/null

echo "# nothing leaked"
is "$(sim_json max_refresh_token_uses)" "1" "no refresh token was ever sent twice"
unlike "$(cat "$DIR/pg/server.log")" "(act|rft)\.sim-open" "no token in the server log"
unlike "$(cat "$DIR/pg/server.log")" "terminated by signal|terminate called|std::" "no crash"
tap_done
