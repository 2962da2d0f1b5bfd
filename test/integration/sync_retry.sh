#!/usr/bin/env bash
# The sync engine finishing what it starts: an idle worker that issues no query,
# statistics that reach Postgres, a request retried in place, an attempt that resumes
# from the ledger's checkpoint, a 429 storm within the rate window, and the snapshot day.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh

itest_setup sync_retry "--accounts 8 --videos 45" "autovacuum = off" || exit 1
Q() { q "$PORT" tthub "$1"; }
TODAY="tthub.snapshot_today()"
set_conf() { Q "ALTER SYSTEM SET $1" >/dev/null; Q "SELECT pg_reload_conf()" >/dev/null; sleep 0.5; }
WPID=$(Q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'")
cpu_ticks() { awk '{print $14 + $15}' "/proc/$WPID/stat"; }
worker_query_start() { Q "SELECT query_start FROM pg_stat_activity WHERE pid = $WPID"; }

echo "# an idle worker sleeps: no query for 10 s"
# First in the suite: the worker ran its maintenance when CREATE EXTENSION woke it,
# and the next is a minute away. (autovacuum is off so that only the worker and this
# script could commit in the database.)
sleep 1
qs0=$(worker_query_start); cpu0=$(cpu_ticks)
x0=$(Q "SELECT xact_commit FROM pg_stat_database WHERE datname = 'tthub'")
sleep 10
qs1=$(worker_query_start); cpu1=$(cpu_ticks)
x1=$(Q "SELECT xact_commit FROM pg_stat_database WHERE datname = 'tthub'")
is "$qs1" "$qs0" "the worker started no transaction in 10 s idle (pg_stat_activity.query_start)"
is "$(( x1 - x0 <= 5 ))" "1" "the database committed no transaction but this script's probes ($((x1 - x0)))"
is "$(( cpu1 - cpu0 <= 5 ))" "1" "the worker used at most 50 ms of CPU in 10 s ($((cpu1 - cpu0)) ticks)"

echo "# a request retried in place, then success"
import_account s1 1
sim_config '{"reset_counters": true, "fail_next": {"video/list": 2}}'
J1=$(Q "SELECT tthub.tthub_sync('s1')")
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $J1" "done" 40
is "$(Q "SELECT attempts FROM tthub.sync_jobs WHERE job_id = $J1")" "1" "one attempt: the failures were retried in place"
is "$(Q "SELECT string_agg(status || ':' || request_retries, ',') FROM tthub.sync_logs WHERE job_id = $J1")" "SUCCESS:2" \
   "sync_logs counts the two retries"
is "$(Q "SELECT count(*) FROM tthub.video_daily WHERE store_code = 's1'")" "45" "every video written"
is "$(sim_json "requests,video/list")" "5" "three pages and two retries: five video/list requests"

echo "# statistics reach Postgres while the worker lives"
# The worker's writes so far: 45 video rows and the rest. Without pgstat_report_stat
# they show only when it exits.
wait_for "$PORT" "SELECT n_tup_ins >= 45 FROM pg_stat_user_tables WHERE relid = 'tthub.video_daily'::regclass" "t" 10
is "$(Q "SELECT n_tup_ins >= 45 AND n_mod_since_analyze >= 45 FROM pg_stat_user_tables WHERE relid = 'tthub.video_daily'::regclass")" "t" \
   "pg_stat_user_tables (and so autovacuum) sees the worker's inserts"
is "$(Q "SELECT n_tup_upd > 0 FROM pg_stat_user_tables WHERE relid = 'tthub.sync_ledger'::regclass")" "t" \
   "and its updates of the ledger"
is "$(( $(Q "SELECT xact_commit FROM pg_stat_database WHERE datname = 'tthub'") - x1 > 8 ))" "1" \
   "pg_stat_database counts its transactions"

echo "# a failure burst longer than the retries fails the attempt; the next resumes from the checkpoint"
set_conf "tthub.request_retries = 1"
sim_config '{"reset_counters": true, "videos": {"sim-open-2": 100}, "fail_skip": {"video/list": 2}, "fail_next": {"video/list": 2}}'
import_account s2 2
J2=$(Q "SELECT tthub.tthub_sync('s2')")
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $J2" "done" 40
is "$(Q "SELECT attempts FROM tthub.sync_jobs WHERE job_id = $J2")" "2" "the burst failed the first attempt; the second finished"
is "$(Q "SELECT string_agg(status || ':' || request_retries, ',' ORDER BY log_id) FROM tthub.sync_logs WHERE job_id = $J2")" \
   "FAILED:1,SUCCESS:0" "sync_logs: the failed attempt spent its retry"
is "$(sim_json "first_page_requests")" "1" "page 1 was requested once: the second attempt resumed"
is "$(sim_json "max_page_requests")" "3" "the failed page was requested three times (try, retry, resumed), no other twice"
is "$(sim_json "requests,video/list")" "7" "5 pages + 2 failures: 7 video/list requests in all"
is "$(Q "SELECT pages_fetched || ' ' || videos_seen || ' ' || complete || ' ' || (next_cursor IS NULL)
           FROM tthub.sync_ledger WHERE store_code = 's2' AND snapshot_date = $TODAY")" "5 100 true true" \
   "the ledger: five pages, 100 videos, complete, no checkpoint left"
is "$(Q "SELECT count(*) FROM tthub.video_daily WHERE store_code = 's2' AND snapshot_date = $TODAY")" "100" "every video of the day"
set_conf "tthub.request_retries TO DEFAULT"

echo "# a checkpoint of an earlier day is not resumed; complete needs has_more = false"
# A day whose checkpoint is from an earlier attempt ends complete only by paging to the end.
Q "UPDATE tthub.sync_ledger SET complete = false, next_cursor = 1767000000000, pages_fetched = 2
    WHERE store_code = 's2' AND snapshot_date = $TODAY" >/dev/null
sim_config '{"reset_counters": true}'
J2b=$(Q "SELECT tthub.tthub_sync('s2')")
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $J2b" "done" 40
is "$(sim_json "first_page_requests")" "0" "an incomplete day with a checkpoint continues from it"
is "$(Q "SELECT complete::text FROM tthub.sync_ledger WHERE store_code = 's2' AND snapshot_date = $TODAY")" "true" \
   "and is complete once paging reached the end"

echo "# the snapshot day is the day the numbers were seen"
import_account s3 3
# A job enqueued for yesterday (before midnight) that runs today, and yesterday's
# ledger line left incomplete with a checkpoint by an attempt before midnight.
Q "INSERT INTO tthub.sync_ledger (store_code, open_id, snapshot_date, pages_fetched, videos_seen, complete, next_cursor)
   VALUES ('s3', 'sim-open-3', $TODAY - 1, 1, 20, false, 1767000000000)" >/dev/null
sim_config '{"reset_counters": true}'
Q "BEGIN; SELECT tthub.tthub_sync('s3');
   UPDATE tthub.sync_jobs SET snapshot_date = snapshot_date - 1 WHERE store_code = 's3' AND state = 'queued'; COMMIT" >/dev/null
wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE store_code = 's3' AND state = 'done'" "1" 40
is "$(Q "SELECT snapshot_date = $TODAY - 1 FROM tthub.sync_jobs WHERE store_code = 's3'")" "t" "the job was for yesterday"
is "$(Q "SELECT count(*) FILTER (WHERE snapshot_date = $TODAY) || '/' || count(*) FILTER (WHERE snapshot_date = $TODAY - 1)
           FROM tthub.video_daily WHERE store_code = 's3'")" "45/0" "today's counts are written under today, none under yesterday"
is "$(Q "SELECT count(*) FROM tthub.user_daily WHERE store_code = 's3' AND snapshot_date = $TODAY")" "1" "so is the account row"
is "$(Q "SELECT string_agg(complete::text, ',' ORDER BY snapshot_date) FROM tthub.sync_ledger WHERE store_code = 's3'")" "false,true" \
   "the ledger says yesterday is incomplete and today complete"
is "$(sim_json "first_page_requests")" "1" "today started from the first page, not from yesterday's checkpoint"

echo "# a 429 storm: every request stays within TikTok's window"
# The simulator enforces 10 requests per minute per endpoint and tthub is told the
# same; four injected 429s on video/list count in tthub's window, so the last pages
# wait for it to slide (about a minute).
set_conf "tthub.requests_per_minute = 10"
sim_config '{"reset_counters": true, "rate_limit": 10, "videos": {"sim-open-4": 100, "sim-open-5": 100}, "throttle_next": {"video/list": 4}}'
import_account s4 4
import_account s5 5
Q "SELECT tthub.tthub_sync('s4'), tthub.tthub_sync('s5')" >/dev/null
wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE store_code IN ('s4', 's5') AND state = 'done'" "2" 150
is "$(sim_json "throttled,video/list")" "4" "the simulator answered only the four injected 429s"
is "$(sim_json "over_limit")" "{}" "no request ever exceeded the simulator's 10/min window"
is "$(Q "SELECT count(*) FROM tthub.video_daily WHERE store_code IN ('s4', 's5') AND snapshot_date = $TODAY")" "200" \
   "both stores complete"
is "$(Q "SELECT max(attempts) FROM tthub.sync_jobs WHERE store_code IN ('s4', 's5')")" "1" "no attempt spent on 429s"
set_conf "tthub.requests_per_minute TO DEFAULT"

unlike "$(cat "$DIR/pg/server.log")" "terminated by signal 6|terminate called|std::" "no C++ exception ever reached the server"
tap_done
