#!/usr/bin/env bash
# The sync engine end to end: a real cluster with tthub and pg_cron, the worker, and
# the TikTok simulator on loopback. (What tthub_sync refuses before anything runs:
# test/pgtap/sync_sql.sql.)
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh

itest_setup sync "--accounts 8 --videos 45" || exit 1
TODAY="tthub.snapshot_today()"
videos_of() { q "$PORT" tthub "SELECT count(*) FROM tthub.video_daily WHERE store_code = '$1' AND snapshot_date = $TODAY"; }
sync_now() { q "$PORT" tthub "SELECT status || '|' || videos_written || '|' || pages FROM tthub.tthub_sync_now('$1')"; }
# ALTER SYSTEM cannot share a transaction (one psql -c) with anything else.
set_conf() { q "$PORT" tthub "ALTER SYSTEM SET $1" >/dev/null; q "$PORT" tthub "SELECT pg_reload_conf()" >/dev/null; sleep 0.5; }
idle_queue() { wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE state IN ('queued', 'running')" 0 "$1"; }

echo "# first sync: every page, every video, the account row"
import_account s1 1
is "$(sync_now s1)" "done|45|3" "tthub_sync_now writes 45 videos in 3 pages (20+20+5)"
is "$(videos_of s1)" "45" "45 video rows for the day"
is "$(q "$PORT" tthub "SELECT follower_count || '/' || video_count FROM tthub.user_daily WHERE store_code = 's1'")" "1010/45" \
   "the account snapshot matches the simulator (day 1)"
is "$(q "$PORT" tthub "SELECT view_count FROM tthub.video_daily WHERE store_code = 's1' AND video_id = '91000000000010000007'")" \
   "3000009019" "a viral view count past 2^31 is stored exactly"
is "$(q "$PORT" tthub "SELECT complete || '/' || pages_fetched || '/' || videos_seen FROM tthub.sync_ledger WHERE store_code = 's1'")" \
   "true/3/45" "the ledger says the day is complete"
is "$(q "$PORT" tthub "SELECT display_name || '/' || (last_sync_at IS NOT NULL) FROM tthub.store_accounts WHERE store_code = 's1'")" \
   "Sim Account 1/true" "the account row is kept current"
is "$(q "$PORT" tthub "SELECT status || '/' || records_processed FROM tthub.sync_logs WHERE store_code = 's1' ORDER BY log_id DESC LIMIT 1")" \
   "SUCCESS/46" "the attempt is logged with its record count"

echo "# re-running the day updates, never duplicates"
sim_config '{"day": 2}'
is "$(sync_now s1)" "done|45|3" "a second sync of the day succeeds"
is "$(videos_of s1)" "45" "still 45 rows for the day"
is "$(q "$PORT" tthub "SELECT view_count FROM tthub.video_daily WHERE store_code = 's1' AND video_id = '91000000000010000007'")" \
   "3000009119" "the metrics are the simulator's day-2 values"
is "$(q "$PORT" tthub "SELECT bool_and(updated_at > created_at) FROM tthub.video_daily WHERE store_code = 's1'")" "t" \
   "updated_at shows the re-run"

echo "# the worker: enqueue, wake-up, idempotence"
import_account s2 2
# (That enqueuing twice returns the pending job: test/pgtap/sync_sql.sql.)
J2=$(q "$PORT" tthub "SELECT tthub.tthub_sync('s2')")
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $J2" "done" 20
is "$(videos_of s2)" "45" "the worker synced the store"
is "$(q "$PORT" tthub "SELECT started_at - created_at < interval '2 seconds' FROM tthub.sync_jobs WHERE job_id = $J2")" "t" \
   "the worker was woken at commit, not by polling"
like "$(q "$PORT" tthub "SELECT backend_type FROM pg_stat_activity WHERE backend_type LIKE 'tthub%'")" "tthub sync worker" \
   "the worker shows in pg_stat_activity"

echo "# a 5xx is retried in place and counted"
import_account s3 3
sim_config '{"fail_next": {"video/list": 1}}'
J3=$(q "$PORT" tthub "SELECT tthub.tthub_sync('s3')")
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $J3" "done" 30
is "$(q "$PORT" tthub "SELECT attempts FROM tthub.sync_jobs WHERE job_id = $J3")" "1" "the job succeeded on its first attempt"
is "$(q "$PORT" tthub "SELECT string_agg(status || ':' || coalesce(http_status, 0) || ':' || request_retries, ',' ORDER BY log_id) FROM tthub.sync_logs WHERE job_id = $J3")" \
   "SUCCESS:200:1" "sync_logs counts the request retried in place"
is "$(videos_of s3)" "45" "and the day is complete"

echo "# a 429 is honoured without spending an attempt"
before=$(sim_json "throttled,video/list")
sim_config '{"throttle_next": {"video/list": 2}}'
is "$(sync_now s1)" "done|45|3" "the sync waits out two 429s and completes"
is "$(( $(sim_json "throttled,video/list") - ${before:-0} ))" "2" "the simulator answered 429 twice"
is "$(q "$PORT" tthub "SELECT attempts FROM tthub.sync_jobs WHERE store_code = 's1' ORDER BY job_id DESC LIMIT 1")" "1" \
   "no attempt was spent on the 429s"

echo "# Retry-After is honoured"
sim_config '{"throttle_next": {"user/info": 1}, "retry_after": 2}'
like "$(q "$PORT" tthub "SELECT status || ' ' || (duration_ms >= 2000) FROM tthub.tthub_sync_now('s1')")" "^done true$" \
     "a 429 with Retry-After: 2 delays the request by at least 2 seconds"
sim_config '{"retry_after": 0}'

echo "# a revoked token: NEED_RECONNECT for that store, the others go on"
import_account s4 4
sim_config '{"revoke": "sim-open-4"}'
is "$(q "$PORT" tthub "SELECT tthub.tthub_sync_all()")" "4" "tthub_sync_all enqueues the four connected stores"
idle_queue 30
is "$(q "$PORT" tthub "SELECT status FROM tthub.store_accounts WHERE store_code = 's4'")" "NEED_RECONNECT" "the revoked account needs a reconnect"
like "$(q "$PORT" tthub "SELECT status_reason FROM tthub.store_accounts WHERE store_code = 's4'")" "invalid_grant" "with TikTok's reason"
is "$(q "$PORT" tthub "SELECT string_agg(store_code || ':' || state, ',' ORDER BY store_code) FROM tthub.sync_jobs j
      WHERE job_type = 'daily_sync'")" "s1:done,s2:done,s3:done,s4:failed" "the other stores synced; the revoked one failed without retries"
is "$(q "$PORT" tthub "SELECT attempts FROM tthub.sync_jobs WHERE store_code = 's4' AND job_type = 'daily_sync'")" "1" "a revoked token is not retried"
is "$(sqlstate "$PORT" tthub "SELECT tthub.tthub_sync('s4')")" "55000" "a store whose only account needs a reconnect cannot be synced"

echo "# an expiring token is refreshed first and both tokens are persisted"
import_account s5 5 60
is "$(sync_now s5)" "done|45|3" "the sync with a token expiring in 60 s succeeds"
is "$(sim_json "accounts,sim-open-5,generation")" "2" "the simulator issued one refresh"
is "$(q "$PORT" tthub "SELECT tthub.tthub_decrypt_token(access_token_enc, tthub.token_context(store_code, open_id, 'access_token')) || ' ' ||
                                tthub.tthub_decrypt_token(refresh_token_enc, tthub.token_context(store_code, open_id, 'refresh_token'))
                           FROM tthub.store_accounts WHERE store_code = 's5'")" "act.sim-open-5.2 rft.sim-open-5.2" \
   "the rotated access and refresh tokens are stored (encrypted)"
is "$(q "$PORT" tthub "SELECT token_expires_at > now() + interval '1 hour' FROM tthub.store_accounts WHERE store_code = 's5'")" "t" \
   "the new expiry comes from expires_in"
sim_config '{"expire": "sim-open-5"}'
is "$(sync_now s5)" "done|45|3" "an access token TikTok rejects is refreshed and the request retried"
is "$(sim_json "accounts,sim-open-5,generation")" "3" "after exactly one more refresh"

echo "# a missing scope"
import_account s7 7 86400 "user.info.basic,user.info.stats"
like "$(sync_now s7)" "^failed\|0\|0$" "a sync without video.list fails at once"
is "$(q "$PORT" tthub "SELECT status || ': ' || status_reason FROM tthub.store_accounts WHERE store_code = 's7'")" \
   "NEED_RECONNECT: scope video.list not granted" "and asks for a reconnect naming the scope"

echo "# two syncs of one store: the second is told the store is busy"
sim_config '{"latency_ms": 300}'
q "$PORT" tthub "SELECT status FROM tthub.tthub_sync_now('s1')" >"$DIR/first.out" 2>&1 &
first=$!
sleep 1
is "$(sync_now s1)" "busy|0|0" "a second sync of the same store reports it busy and syncs nothing"
wait "$first"
is "$(cat "$DIR/first.out")" "done" "the first one completes"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.sync_logs WHERE store_code = 's1' AND status = 'SKIPPED'")" "1" "the refusal is logged as SKIPPED"
sim_config '{"latency_ms": 0}'

echo "# malformed responses: a clear error, a retry, never a partial row"
# Without in-place retries (tested in sync_retry.sh), so that the attempt fails.
set_conf "tthub.request_retries = 0"
for kind in truncated negative badutf8 wrongtype oversize; do  # a NUL in a title is stored sanitised: sync_hostile_responses.sh
  idle_queue 30 >/dev/null
  sim_config "{\"malformed_next\": 1, \"malformed_kind\": \"$kind\"}"
  like "$(q "$PORT" tthub "SELECT status || ': ' || coalesce(message, '') FROM tthub.tthub_sync_now('s2')")" "^queued: (malformed|response body exceeds)" \
     "a $kind response fails the attempt and requeues the job"
  is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.video_daily WHERE video_id = '1'")" "0" "nothing of the $kind response was written"
done
idle_queue 30 >/dev/null
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.sync_jobs WHERE state = 'dead'")" "0" "the requeued jobs then completed"

echo "# a timeout"
set_conf "tthub.http_timeout_ms = 1000"
sim_config '{"slow_next": 1, "slow_ms": 3000}'
like "$(q "$PORT" tthub "SELECT status || ': ' || coalesce(message, '') FROM tthub.tthub_sync_now('s2')")" "^queued: network error: Timeout" \
   "a response slower than tthub.http_timeout_ms is a retryable timeout"
set_conf "tthub.http_timeout_ms TO DEFAULT"
idle_queue 30 >/dev/null

echo "# retries run out: a dead job, then tthub_retry_job"
set_conf "tthub.max_attempts = 2"
sim_config '{"fail_next": {"user/info": 2}}'
JD=$(q "$PORT" tthub "SELECT tthub.tthub_sync('s3')")
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $JD" "dead" 30
is "$(q "$PORT" tthub "SELECT job_id || ' ' || attempts FROM tthub.dead_jobs")" "$JD 2" "the job is dead after tthub.max_attempts"
like "$(q "$PORT" tthub "SELECT last_error FROM tthub.dead_jobs")" "gave up after 2 attempts" "dead_jobs says why"
is "$(q "$PORT" tthub "SELECT tthub.tthub_retry_job($JD)")" "$JD" "tthub_retry_job puts it back"
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $JD" "done" 30
is "$(q "$PORT" tthub "SELECT state FROM tthub.sync_jobs WHERE job_id = $JD")" "done" "and it completes"
is "$(sqlstate "$PORT" tthub "SELECT tthub.tthub_retry_job($JD)")" "55000" "a done job cannot be retried"
set_conf "tthub.max_attempts TO DEFAULT"
set_conf "tthub.request_retries TO DEFAULT"

echo "# the worker stopped with SIGTERM: the job goes back to the queue"
sim_config '{"videos": {"sim-open-8": 200}, "latency_ms": 100}'
import_account s8 8
JT=$(q "$PORT" tthub "SELECT tthub.tthub_sync('s8')")
wait_for "$PORT" "SELECT pages_fetched >= 2 FROM tthub.sync_progress WHERE job_id = $JT" "t" 30
q "$PORT" tthub "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'" >/dev/null
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $JT" "done" 60
is "$(q "$PORT" tthub "SELECT state || ' ' || attempts FROM tthub.sync_jobs WHERE job_id = $JT")" "done 1" \
   "the restarted worker finished the job; the interrupted attempt was not counted"
is "$(videos_of s8)" "200" "all 200 videos are there"

echo "# the worker killed with SIGKILL mid-sync: the job is taken again"
sim_config '{"videos": {"sim-open-6": 400}, "latency_ms": 100}'
import_account s6 6
JK=$(q "$PORT" tthub "SELECT tthub.tthub_sync('s6')")
wait_for "$PORT" "SELECT pages_fetched >= 3 FROM tthub.sync_progress WHERE job_id = $JK" "t" 30
kill -9 "$(q "$PORT" tthub "SELECT pid FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'")"
sleep 2  # the postmaster restarts every backend after a crash
for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p "$PORT" && break; sleep 0.5; done
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $JK" "done" 90
is "$(q "$PORT" tthub "SELECT state || ' ' || attempts FROM tthub.sync_jobs WHERE job_id = $JK")" "done 2" "the job was taken again after the crash"
is "$(videos_of s6)" "400" "the day has all 400 videos, none twice"
is "$(q "$PORT" tthub "SELECT complete FROM tthub.sync_ledger WHERE store_code = 's6'")" "t" "and the ledger says complete"
sim_config '{"latency_ms": 0}'

echo "# pg_cron"
is "$(q "$PORT" tthub "SELECT tthub.tthub_schedule_daily_sync('0 3 * * *') = tthub.tthub_schedule_daily_sync()")" "t" \
   "scheduling twice updates one named job"
is "$(q "$PORT" tthub "SELECT schedule || ' ' || command FROM cron.job WHERE jobname = 'tthub-daily-sync'")" \
   "0 2 * * * SELECT tthub.tthub_sync_all()" "the job runs tthub_sync_all() at the default 02:00 GMT"
q "$PORT" tthub "SELECT tthub.tthub_schedule_daily_sync('* * * * *')" >/dev/null
wait_for "$PORT" "SELECT count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                   WHERE j.jobname = 'tthub-daily-sync' AND d.status = 'succeeded'" "t" 75
is "$(q "$PORT" tthub "SELECT return_message FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE j.jobname = 'tthub-daily-sync' LIMIT 1")" \
   "SELECT 1" "pg_cron ran tthub_sync_all()"
is "$(q "$PORT" tthub "SELECT count(*) > 0 FROM tthub.sync_jobs WHERE job_type = 'daily_sync' AND created_at > now() - interval '2 minutes'")" "t" \
   "and it enqueued daily_sync jobs"
is "$(q "$PORT" tthub "SELECT tthub.tthub_unschedule_daily_sync()")" "t" "tthub_unschedule_daily_sync removes it"
is "$(q "$PORT" tthub "SELECT tthub.tthub_unschedule_daily_sync()")" "f" "and says so when there is none"
idle_queue 60 >/dev/null

echo "# no token anywhere it should not be"
unlike "$(cat "$DIR/pg/server.log")" "(act|rft)\.sim-open" "no token in the server log"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.sync_logs WHERE message ~ '(act|rft)\.'")" "0" "no token in sync_logs"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.sync_jobs WHERE last_error ~ '(act|rft)\.'")" "0" "no token in sync_jobs"
unlike "$(cat "$DIR/pg/server.log")" "terminated by signal 6|terminate called|std::" "no C++ exception ever reached the server"
tap_done
