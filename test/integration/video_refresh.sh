#!/usr/bin/env bash
# The refresh (issue 19) end to end: tthub_enqueue_due and the worker's refresh jobs
# against the simulator's live catalogues: the first refresh lists everything,
# discovery reads only down to the first known video, fresh videos are observed again
# through video/query while older ones are not, deletions are noticed by the full pass
# whatever video/query does with a missing id (both behaviours), covers expire,
# tthub_sync and the daily run keep working beside it, and pg_cron gets one entry.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh

# Compressed fresh interval: a fresh video is due again after 3 s; young and old ones
# only daily, so any old video observed again in this test was observed by design.
itest_setup video_refresh "--accounts 3 --videos 45 --live 1 --history-days 60" \
  "tthub.fresh_video_interval = '3s'" || exit 1

calls() { sim_json "requests,$1"; }
n() { q "$PORT" tthub "$1"; }
refresh() {  # refresh STORE: one refresh job of the store, run to its end by the worker
  local before
  before=$(n "SELECT count(*) FROM tthub.sync_jobs WHERE store_code = '$1' AND job_type = 'refresh' AND state = 'done'")
  is "$(n "SELECT tthub.tthub_enqueue_due()")" "1" "tthub_enqueue_due() queues the store ($2)"
  wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE store_code = '$1' AND job_type = 'refresh' AND state = 'done'" \
    "$((before + 1))" 30
}

echo "# nothing to do without stores"
is "$(n "SELECT tthub.tthub_enqueue_due()")" "0" "no store, nothing queued"

echo "# the first refresh reads the whole catalogue once"
import_account s1 1
is "$(n "SELECT tthub.tthub_enqueue_due()")" "1" "a new store is due at once"
is "$(n "SELECT tthub.tthub_enqueue_due()")" "0" "calling again queues nothing while its job is pending"
is "$(n "SELECT job_type || '/' || coalesce(snapshot_date::text, 'none') FROM tthub.sync_jobs WHERE store_code = 's1'")" \
   "refresh/none" "a refresh job is for no snapshot day"
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE store_code = 's1' AND job_type = 'refresh'" "done" 30
is "$(n "SELECT count(*) FROM tthub.videos WHERE store_code = 's1'")" "45" "45 videos known"
is "$(n "SELECT count(*) FROM tthub.video_observations WHERE store_code = 's1'")" "45" "each observed once"
is "$(n "SELECT count(*) FROM tthub.video_daily WHERE store_code = 's1' AND snapshot_date = tthub.snapshot_today()")" "45" \
   "video_daily has the day's row of each"
is "$(n "SELECT (listed_at IS NOT NULL) || '/' || (discovered_at IS NOT NULL) || '/' || (user_info_at IS NOT NULL) || '/' || (list_cursor IS NULL)
          FROM tthub.account_refresh WHERE store_code = 's1'")" "true/true/true/true" \
   "the full pass, discovery and the account's counters are recorded"
is "$(n "SELECT count(*) FROM tthub.user_daily WHERE store_code = 's1'")" "1" "the account's day row is written"
is "$(n "SELECT count(*) FROM tthub.videos WHERE store_code = 's1' AND (title IS NULL OR create_time IS NULL OR share_url IS NULL)")" "0" \
   "metadata is stored once per video"
is "$(n "SELECT count(*) FROM tthub.sync_logs WHERE store_code = 's1' AND status = 'SUCCESS'")" "0" \
   "a refresh writes no sync_logs line per success (it runs every few minutes)"
is "$(n "SELECT count(*) >= 4 FROM pg_inherits WHERE inhparent = 'tthub.video_observations'::regclass")" "t" \
   "the worker made today's and the coming days' partitions"

echo "# tthub_sync and the daily run are not in a refresh's way"
import_account s2 2
is "$(n "SELECT tthub.tthub_enqueue_due()")" "1" "s2's first refresh is queued"
J=$(n "SELECT tthub.tthub_sync('s2')")
is "$(n "SELECT count(DISTINCT job_id) FROM tthub.sync_jobs WHERE store_code = 's2' AND state IN ('queued', 'running', 'done')")" "2" \
   "tthub_sync beside a pending refresh makes its own job"
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $J" "done" 30
wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE store_code = 's2' AND state = 'done'" "2" 30
is "$(n "SELECT count(*) FROM tthub.videos WHERE store_code = 's2'")" "45" "the manual sync writes videos too"
is "$(n "SELECT count(*) = count(DISTINCT (video_id, observed_at)) FROM tthub.video_observations WHERE store_code = 's2'")" "t" \
   "and observations, never twice the same"
# The rest follows s1 alone: s2 stays out of the refresh until the daily run.
n "SELECT tthub.tthub_disable_store('s2')" >/dev/null
is "$(n "SELECT tthub.tthub_enqueue_due()")" "0" "a disabled store is not refreshed"

echo "# discovery reads down to the first known video"
sim_config '{"post": {"sim-open-1": 2}}'
sleep 3
list_before=$(calls video/list)
refresh s1 "new videos and fresh ones due"
is "$(n "SELECT count(*) FROM tthub.videos WHERE store_code = 's1'")" "47" "the two new videos are found"
is "$(( $(calls video/list) - list_before ))" "1" "with one video/list call, not the whole catalogue"
is "$(n "SELECT count(*) FROM tthub.videos WHERE store_code = 's1' AND create_time > now() - interval '1 hour' AND removed_at IS NULL")" "2" \
   "both are fresh"

echo "# fresh videos are observed again, older ones are not"
FRESH=$(n "SELECT video_id FROM tthub.videos WHERE store_code = 's1' ORDER BY create_time DESC LIMIT 1")
OLD=$(n "SELECT video_id FROM tthub.videos WHERE store_code = 's1' ORDER BY create_time LIMIT 1")
obs() { n "SELECT count(*) FROM tthub.video_observations WHERE store_code = 's1' AND video_id = '$1'"; }
fresh_before=$(obs "$FRESH"); old_before=$(obs "$OLD"); query_before=$(calls video/query)
sleep 3
refresh s1 "fresh videos due again"
is "$(( $(obs "$FRESH") - fresh_before ))" "1" "the fresh video has a new observation"
is "$(( $(obs "$OLD") - old_before ))" "0" "the 60-day-old video does not (observed today already)"
is "$(( $(calls video/query) - query_before ))" "0" \
   "no video/query call: discovery's first page carried the fresh videos (the newest)"
is "$(n "SELECT calls_today > 0 FROM tthub_reporting.refresh_freshness WHERE store_code = 's1' AND tier = 'fresh'")" "t" \
   "refresh_freshness counts the calls spent on the fresh tier"
is "$(n "SELECT videos FROM tthub_reporting.refresh_freshness WHERE store_code = 's1' AND tier = 'fresh'")" \
   "$(n "SELECT count(*) FROM tthub.videos WHERE store_code = 's1' AND removed_at IS NULL AND tthub.video_tier(create_time) = 'fresh'")" \
   "and the fresh videos"
is "$(n "SELECT count(*) FROM tthub_reporting.metrics_refresh_tiers")" "3" "the metrics have the three tiers"

echo "# a video left out of video/query is not deleted until the full pass says so"
GONE=$(n "SELECT video_id FROM tthub.videos WHERE store_code = 's1' ORDER BY create_time LIMIT 1 OFFSET 3")
sim_config "{\"delete\": {\"sim-open-1\": [\"$GONE\"]}}"
# Its latest observation is made older than the old tier's maximum: it is due first.
n "UPDATE tthub.videos SET last_observed_at = now() - interval '8 days' WHERE store_code = 's1' AND video_id = '$GONE'" >/dev/null
missing_before=$(sim_json "query,missing_ids")
sleep 3
refresh s1 "the overdue video"
is "$(( $(sim_json "query,missing_ids") - missing_before ))" "1" "video/query left the deleted id out"
is "$(n "SELECT removed_at IS NULL FROM tthub.videos WHERE store_code = 's1' AND video_id = '$GONE'")" "t" \
   "left out is no proof: removed_at stays empty"
is "$(n "SELECT listed_at IS NULL FROM tthub.account_refresh WHERE store_code = 's1'")" "t" "a full pass is due at once"
sleep 3
refresh s1 "the full pass"
is "$(n "SELECT removed_at IS NOT NULL FROM tthub.videos WHERE store_code = 's1' AND video_id = '$GONE'")" "t" \
   "the full pass did not list it: removed_at is set"
is "$(n "SELECT count(*) FROM tthub.videos WHERE store_code = 's1' AND removed_at IS NOT NULL")" "1" "and nothing else is removed"

echo "# the same when video/query refuses the whole request for a missing id"
sim_config '{"query_missing": "error"}'
GONE2=$(n "SELECT video_id FROM tthub.videos WHERE store_code = 's1' AND removed_at IS NULL ORDER BY create_time LIMIT 1 OFFSET 5")
KEPT=$(n "SELECT string_agg(video_id, ',' ORDER BY video_id) FROM (SELECT video_id FROM tthub.videos
          WHERE store_code = 's1' AND removed_at IS NULL AND video_id <> '$GONE2' ORDER BY create_time LIMIT 3) k")
sim_config "{\"delete\": {\"sim-open-1\": [\"$GONE2\"]}}"
n "UPDATE tthub.videos SET last_observed_at = now() - interval '8 days'
    WHERE store_code = 's1' AND (video_id = '$GONE2' OR video_id = ANY (string_to_array('$KEPT', ',')))" >/dev/null
sleep 3
refresh s1 "a batch with a refused id"
is "$(n "SELECT count(*) FROM tthub.videos WHERE store_code = 's1' AND video_id = ANY (string_to_array('$KEPT', ','))
          AND last_observed_at > now() - interval '1 minute'")" "3" "the other ids of the refused batch are observed"
is "$(n "SELECT state FROM tthub.sync_jobs WHERE store_code = 's1' ORDER BY job_id DESC LIMIT 1")" "done" \
   "the refusal does not fail the job"
is "$(n "SELECT (v.removed_at IS NULL) || '/' || (r.listed_at IS NULL) FROM tthub.videos v
          JOIN tthub.account_refresh r ON r.store_code = v.store_code AND r.open_id = v.open_id
         WHERE v.store_code = 's1' AND v.video_id = '$GONE2'")" "true/true" "not removed yet; a full pass is due"
sleep 3
refresh s1 "the full pass"
is "$(n "SELECT removed_at IS NOT NULL FROM tthub.videos WHERE store_code = 's1' AND video_id = '$GONE2'")" "t" \
   "the full pass marks it removed"
sim_config '{"query_missing": "omit"}'

echo "# covers: shown while they work"
is "$(n "SELECT count(*) FROM tthub_reporting.videos WHERE store_code = 's1' AND cover_image_url IS NOT NULL")" \
   "$(n "SELECT count(*) FROM tthub.videos WHERE store_code = 's1' AND cover_image_url IS NOT NULL")" \
   "every cover fetched within 6 hours is shown"
n "UPDATE tthub.videos SET cover_fetched_at = now() - interval '6 hours 1 minute' WHERE store_code = 's1' AND video_id = '$OLD'" >/dev/null
is "$(n "SELECT cover_image_url IS NULL FROM tthub_reporting.videos WHERE store_code = 's1' AND video_id = '$OLD'")" "t" \
   "an expired cover is not shown"
is "$(n "SELECT count(*) FROM tthub_reporting.video_daily WHERE store_code = 's1' AND cover_image_url IS NOT NULL
          AND updated_at < now() - interval '6 hours'")" "0" "nor in video_daily"

echo "# the daily full run keeps working"
n "SELECT tthub.tthub_enable_store('s2')" >/dev/null
is "$(n "SELECT tthub.tthub_sync_all()")" "2" "tthub_sync_all() enqueues both stores"
wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE job_type = 'daily_sync' AND state = 'done'" "2" 30
is "$(n "SELECT complete FROM tthub.sync_ledger WHERE store_code = 's1' AND snapshot_date = tthub.snapshot_today()")" "t" \
   "the day is complete in the ledger"
is "$(n "SELECT count(*) FROM tthub.video_daily WHERE store_code = 's1' AND snapshot_date = tthub.snapshot_today()")" "47" \
   "video_daily keeps one row per video observed today"

echo "# pg_cron: one entry"
is "$(n "SELECT tthub.tthub_schedule_refresh() = tthub.tthub_schedule_refresh('*/5 * * * *')")" "t" "scheduling twice keeps one job"
is "$(n "SELECT count(*) || '/' || max(schedule) || '/' || max(command) FROM cron.job WHERE jobname = 'tthub-refresh'")" \
   "1/*/5 * * * */SELECT tthub.tthub_enqueue_due()" "cron.job has one entry calling tthub_enqueue_due()"
is "$(n "SELECT tthub.tthub_unschedule_refresh()")" "t" "and it can be removed"

echo "# a short budget: fresh first, then the longest unobserved, within the calls it affords"
set_conf() { n "ALTER SYSTEM SET $1" >/dev/null; n "SELECT pg_reload_conf()" >/dev/null; sleep 1; }
# A fresh interval of a minute or more: a job plans a minute of the budget, which is
# one video/query call.
set_conf "tthub.fresh_video_interval = '72s'"
set_conf "tthub.requests_per_minute = 1"
n "SELECT tthub.tthub_disable_store('s2')" >/dev/null
n "UPDATE tthub.account_refresh SET discovered_at = now() + interval '1 hour' WHERE store_code = 's1';
   UPDATE tthub.videos SET last_observed_at = now() - interval '2 days' - make_interval(secs => length(video_id) + ascii(right(video_id, 1)))
    WHERE store_code = 's1' AND removed_at IS NULL;
   UPDATE tthub.videos SET last_observed_at = now() - interval '100 seconds'
    WHERE store_code = 's1' AND create_time > now() - interval '1 hour'" >/dev/null
DUE=$(n "SELECT count(*) FROM tthub.videos WHERE store_code = 's1' AND removed_at IS NULL")
FIRST20=$(n "SELECT string_agg(video_id, ',' ORDER BY video_id) FROM tthub._due_videos('s1', 'sim-open-1', 20)")
query_before=$(calls video/query)
refresh s1 "videos due in every tier"
is "$(( $(calls video/query) - query_before ))" "1" "the budget buys one video/query call"
is "$(n "SELECT count(*) FROM tthub.videos WHERE store_code = 's1' AND create_time > now() - interval '1 hour'
          AND last_observed_at > now() - interval '5 seconds'")" "2" "it carries both fresh videos"
is "$(n "SELECT count(*) FROM tthub.videos WHERE store_code = 's1' AND removed_at IS NULL
          AND last_observed_at > now() - interval '5 seconds'")" "20" "and 18 more, 20 in all"
is "$(n "SELECT count(*) FROM tthub.videos WHERE store_code = 's1' AND removed_at IS NULL AND last_observed_at < now() - interval '1 day'")" \
   "$((DUE - 20))" "the rest waits for the next round (the old tier stretches)"
is "$(n "SELECT string_agg(video_id, ',' ORDER BY video_id) FROM tthub.videos WHERE store_code = 's1' AND removed_at IS NULL
          AND last_observed_at > now() - interval '5 seconds'")" "$FIRST20" \
   "exactly the 20 the priority names: fresh, then young, then old, the longest unobserved first"

echo "# a fresh interval under a minute: a job plans that interval's part of the budget"
# A job runs about as long as its plan's calls take on a spent budget, and a store's
# fresh videos are observed once per job: a minute's plan would stretch a 6 s tier.
# 6 s is 5.5 s as planned (less a twelfth), so 20 calls a minute buy 1.83 a job.
set_conf "tthub.fresh_video_interval = '6s'"
set_conf "tthub.requests_per_minute = 20"
n "UPDATE tthub.videos SET last_observed_at = now() - interval '2 days' WHERE store_code = 's1' AND removed_at IS NULL" >/dev/null
query_before=$(calls video/query)
refresh s1 "all $DUE videos due (3 video/query calls)"
spent=$(( $(calls video/query) - query_before ))
is "$(( spent >= 1 && spent <= 2 ))" "1" "the job spends 1 or 2 video/query calls, not the 3 a minute's budget buys (spent $spent)"
is "$(n "SELECT count(*) FROM tthub.videos WHERE store_code = 's1' AND removed_at IS NULL AND last_observed_at > now() - interval '1 day'")" \
   "$((spent * 20))" "20 videos a call; the rest waits for the next job"
n "ALTER SYSTEM RESET tthub.requests_per_minute" >/dev/null; n "ALTER SYSTEM RESET tthub.fresh_video_interval" >/dev/null
n "SELECT pg_reload_conf()" >/dev/null

is "$(sim_json "max_refresh_token_uses")" "0" "no refresh token was presented (none expired)"
is "$(n "SELECT count(*) FROM tthub.sync_jobs WHERE state IN ('dead', 'failed')")" "0" "no job failed or died"
tap_done
