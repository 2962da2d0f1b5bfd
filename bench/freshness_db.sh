#!/usr/bin/env bash
# Refresh tiers (issue 19) through the real worker and database, against today's full
# daily sync measured in the same cluster. Each case: a throwaway cluster with tthub,
# pg_cron and the worker; the simulator in live mode (posts and deletions, launch
# curves); the tier settings compressed C times (fresh 48 h -> 144 s and 1 h -> 3 s at
# C = 1200). First tthub_sync_all() reads every catalogue once: that is the baseline
# (calls of today's daily sync, and what a 0.4 install holds). Then for T real seconds
# this script calls tthub.tthub_enqueue_due() every second (what pg_cron's entry does,
# faster) and the worker runs the refresh jobs. Measured from the database:
# tthub.video_observations (every gap between two observations of a video, in the tier
# the video is in when the gap ends, plus each video's open gap at the end),
# tthub_reporting.metrics_refresh_tiers, tthub.refresh_calls; from the simulator: calls
# and 429s per endpoint.
#   bash bench/freshness_db.sh [a|b|all]
#     a: a budget large enough for everything (requests_per_minute 100000)
#     b: one fifth of the baseline's calls per (compressed) day on each endpoint, the
#        simulator answering 429 above the same rate
# Sizes from the environment: FRDB_STORES [20] FRDB_VIDEOS [200] FRDB_C [1200]
#   FRDB_SECONDS_A [180] FRDB_SECONDS_B [240]; FRDB_SKIP_BUILD=1 uses the current build.
set -uo pipefail
cd "$(dirname "$0")/.."
source test/lib/install_deps.sh
source test/lib/build.sh
source test/lib/itest.sh

if [ "${FRDB_SKIP_BUILD:-0}" != 1 ]; then install_deps && build_all || exit 1; fi
WORK=$(mktemp -d /tmp/tthub-frdb.XXXXXX)
chmod 755 "$WORK"
export TTHUB_TEST_WORK=$WORK
cleanup() { itest_teardown 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

S=${FRDB_STORES:-20} V=${FRDB_VIDEOS:-200} C=${FRDB_C:-1200}
DAY=$(awk "BEGIN { print 86400 / $C }")          # real seconds per simulated day
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
n() { q "$PORT" tthub "$1"; }
calls() { local v; v=$(sim_json "requests,$1"); echo "${v:-0}"; }
throttled() { local v; v=$(sim_json "throttled,$1"); echo "${v:-0}"; }
EPS="video/list video/query user/info"

# case_run NAME SECONDS BUDGET(max|fifth)
case_run() {
  local name=$1 T=$2 budget=$3
  # Simulated time runs at real speed: the database's now() and TikTok's create_time
  # must agree, so the tiers are compressed instead. The catalogue spans 5 simulated
  # years, 1 post and 0.02 deletions per store per simulated day.
  itest_setup "$name" "--accounts $S --videos $V --live 1 --history-days $(calc "1825 / $C" 4) \
      --post-per-day $(calc "1 * $C" 2) --delete-per-day $(calc "0.02 * $C" 2)" \
    "tthub.requests_per_minute = 100000" \
    "tthub.fresh_video_age = '$(calc "172800 / $C" 0)s'" \
    "tthub.fresh_video_interval = '$(calc "3600 / $C" 0)s'" \
    "tthub.young_video_age = '$(calc "2592000 / $C" 0)s'" \
    "tthub.young_video_interval = '$(calc "86400 / $C" 0)s'" \
    "tthub.old_video_max_interval = '$(calc "604800 / $C" 0)s'" >/dev/null || exit 1
  trap cleanup EXIT
  n "INSERT INTO tthub.stores (store_code, store_name)
     SELECT 'b' || lpad(i::text, 4, '0'), 'bench ' || i FROM generate_series(1, $S) i;
     SELECT count(tthub.tthub_import_account('b' || lpad(i::text, 4, '0'), 'sim-open-' || i,
              'act.sim-open-' || i || '.1', 'rft.sim-open-' || i || '.1', 86400, 15552000,
              'user.info.basic,user.info.stats,video.list'))
       FROM generate_series(1, $S) i" >/dev/null
  echo "### ($name) $S stores x $V videos, tiers compressed ${C}x (a simulated day is $DAY real s), $T real s = $(calc "$T / $DAY" 2) simulated days, budget: $budget"

  # Baseline: today's full daily sync, through the same worker.
  local e b_list b_user b_total t0
  t0=$(date +%s.%N)
  n "SELECT tthub.tthub_sync_all()" >/dev/null
  wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE state IN ('queued', 'running')" 0 600 || exit 1
  b_list=$(calls video/list); b_user=$(calls user/info); b_total=$((b_list + b_user + $(calls video/query)))
  echo "baseline, today's full daily sync (tthub_sync_all): $b_total calls (video/list $b_list, user/info $b_user) in $(calc "$(date +%s.%N) - $t0" 1) s; jobs done $(n "SELECT count(*) FROM tthub.sync_jobs WHERE state = 'done'")/$S; videos $(n "SELECT count(*) FROM tthub.videos")"

  local rpm=100000
  if [ "$budget" = fifth ]; then
    # One fifth of the baseline per simulated day, on each endpoint, in real minutes.
    rpm=$(calc "$b_total / 5 * 60 / $DAY" 0)
    n "ALTER SYSTEM SET tthub.requests_per_minute = $rpm" >/dev/null; n "SELECT pg_reload_conf()" >/dev/null
    sim_config "{\"rate_limit\": $rpm}"
    sleep 1
    echo "budget: $rpm calls per real minute per endpoint = $(calc "$rpm * $DAY / 60" 0) per simulated day each (baseline / 5 = $(calc "$b_total / 5" 0))"
  fi

  declare -A c0 t0e
  for e in $EPS; do c0[$e]=$(calls "$e"); t0e[$e]=$(throttled "$e"); done
  local start queued=0 now
  start=$(n "SELECT now()")
  local t_end=$(( $(date +%s) + T ))
  while [ "$(date +%s)" -lt "$t_end" ]; do
    queued=$((queued + $(n "SELECT tthub.tthub_enqueue_due()")))
    sleep 1
  done
  local stop
  stop=$(n "SELECT now()")
  local -A d th
  local total=0 ttotal=0
  for e in $EPS; do
    d[$e]=$(( $(calls "$e") - ${c0[$e]} )); th[$e]=$(( $(throttled "$e") - ${t0e[$e]} ))
    total=$((total + ${d[$e]})); ttotal=$((ttotal + ${th[$e]}))
  done
  local days
  days=$(calc "$T / $DAY" 4)
  echo "refresh jobs queued by tthub_enqueue_due: $queued; done $(n "SELECT count(*) FROM tthub.sync_jobs WHERE job_type = 'refresh' AND state = 'done'"); failed or dead $(n "SELECT count(*) FROM tthub.sync_jobs WHERE state IN ('failed', 'dead')")"
  echo "videos posted while it ran (simulator): $(n "SELECT count(*) FROM tthub.videos WHERE create_time > '$start'"); removed seen: $(n "SELECT count(*) FROM tthub.videos WHERE removed_at IS NOT NULL")"
  echo
  echo "| calls per simulated day | video/list | video/query | user/info | all | / baseline |"
  echo "|---|---|---|---|---|---|"
  echo "| today's full sync (baseline, same run) | $b_list | 0 | $b_user | $b_total | 1.00 |"
  echo "| refresh tiers | $(calc "${d[video/list]} / $days" 0) | $(calc "${d[video/query]} / $days" 0) | $(calc "${d[user/info]} / $days" 0) | $(calc "$total / $days" 0) | $(calc "$total / $days / $b_total" 3) |"
  echo
  echo "429 answers: $ttotal of $total requests ($(calc "$ttotal * 100 / ($total > 0 ? $total : 1)" 2) %): list ${th[video/list]}, query ${th[video/query]}, user/info ${th[user/info]}"
  if [ "$budget" = fifth ]; then
    local cap
    cap=$(calc "$rpm * $T / 60" 0)
    echo "budget used over the whole run (calls / (rate x time)): list $(calc "${d[video/list]} / $cap" 2), query $(calc "${d[video/query]} / $cap" 2), user/info $(calc "${d[user/info]} / $cap" 2)"
  fi
  echo
  echo "calls the worker booked per tier (tthub.refresh_calls): $(n "SELECT string_agg(tier || ' ' || s, ', ' ORDER BY tier) FROM (SELECT tier, sum(calls) s FROM tthub.refresh_calls GROUP BY tier) x")"
  # Achieved intervals: every gap between two observations of a video inside the run
  # (the baseline's observation opens the first gap), in the tier at the gap's end,
  # and each live video's open gap at the end. Targets in compressed seconds.
  echo
  echo "| tier | gaps | p50 s | p95 s | max s | target s | over target | over 7 d | p50 / target | p95 / target |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  n "WITH o AS (
       SELECT o.store_code, o.video_id, o.observed_at,
              lag(o.observed_at) OVER (PARTITION BY o.store_code, o.video_id ORDER BY o.observed_at) AS prev
         FROM tthub.video_observations o),
     g AS (
       SELECT extract(epoch FROM o.observed_at - o.prev) AS gap, o.observed_at - v.create_time AS age
         FROM o JOIN tthub.videos v USING (store_code, video_id)
        WHERE o.prev IS NOT NULL AND o.observed_at > '$start'
       UNION ALL
       SELECT extract(epoch FROM '$stop'::timestamptz - coalesce(v.last_observed_at, v.first_seen_at)), '$stop'::timestamptz - v.create_time
         FROM tthub.videos v WHERE v.removed_at IS NULL),
     t AS (
       SELECT CASE WHEN age < interval '$(calc "172800 / $C" 0) s' THEN 'fresh'
                   WHEN age < interval '$(calc "2592000 / $C" 0) s' THEN 'young' ELSE 'old' END AS tier, gap
         FROM g)
     SELECT '| ' || tier || ' | ' || count(*) || ' | ' || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY gap)::numeric, 1)
            || ' | ' || round(percentile_cont(0.95) WITHIN GROUP (ORDER BY gap)::numeric, 1) || ' | ' || round(max(gap), 1)
            || ' | ' || tg || ' | ' || count(*) FILTER (WHERE gap > tg) || ' | ' || count(*) FILTER (WHERE gap > $(calc "604800 / $C" 0))
            || ' | ' || round((percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) / tg)::numeric, 2)
            || ' | ' || round((percentile_cont(0.95) WITHIN GROUP (ORDER BY gap) / tg)::numeric, 2) || ' |'
       FROM (SELECT tier, gap, CASE tier WHEN 'fresh' THEN $(calc "3600 / $C" 0) ELSE $(calc "86400 / $C" 0) END AS tg FROM t) x
      GROUP BY tier, tg ORDER BY CASE tier WHEN 'fresh' THEN 1 WHEN 'young' THEN 2 ELSE 3 END"
  echo
  echo "tthub_reporting.metrics_refresh_tiers at the end (age of each video's latest observation, s):"
  echo "| tier | videos | age p50 s | age p95 s | calls today |"
  echo "|---|---|---|---|---|"
  n "SELECT '| ' || tier || ' | ' || videos || ' | ' || round(age_p50_seconds::numeric, 1) || ' | ' || round(age_p95_seconds::numeric, 1) || ' | ' || calls_today || ' |'
       FROM tthub_reporting.metrics_refresh_tiers"
  echo
  itest_teardown
}

case "${1:-all}" in
  a) case_run a "${FRDB_SECONDS_A:-180}" max ;;
  b) case_run b "${FRDB_SECONDS_B:-240}" fifth ;;
  all) case_run a "${FRDB_SECONDS_A:-180}" max; case_run b "${FRDB_SECONDS_B:-240}" fifth ;;
  *) echo "usage: bash bench/freshness_db.sh [a|b|all]"; exit 2 ;;
esac
