#!/usr/bin/env bash
# A rotated refresh token is never dropped. TikTok retires the old refresh token the
# moment it answers a refresh, so the answer must reach the database whatever
# happens: a save that fails once (a serialization failure) is tried again in its own
# transaction, and an error that leaves the worker's loop (here a job's finish) first
# applies what TikTok answered, waiting for a refresh still on the wire. Each rotated
# token is presented to TikTok exactly once, and the account stays CONNECTED.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh

itest_setup token_rotation "--accounts 4 --videos 45" || exit 1
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

echo "# nothing leaked"
is "$(sim_json max_refresh_token_uses)" "1" "no refresh token was ever sent twice"
unlike "$(cat "$DIR/pg/server.log")" "(act|rft)\.sim-open" "no token in the server log"
unlike "$(cat "$DIR/pg/server.log")" "terminated by signal|terminate called|std::" "no crash"
tap_done
