#!/usr/bin/env bash
# Refresh tiers (issue 19) through the real worker and database, against today's full
# daily sync measured in the same cluster. Each case: a throwaway cluster with tthub,
# pg_cron and the worker; the simulator in live mode (posts and deletions, launch
# curves); the tier settings compressed C times (fresh 48 h -> 144 s and 1 h -> 3 s at
# C = 1200). First tthub_sync_all() reads every catalogue once: that is the baseline
# (calls of today's daily sync, and what a 0.4 install holds). Then for T real seconds
# this script calls tthub.tthub_enqueue_due() every FRDB_POLL s (what pg_cron's default
# entry does every 5 minutes, compressed C times) and the worker runs the refresh jobs. Measured from the database:
# tthub.video_observations (every gap between two observations of a video, in the tier
# the video is in when the gap ends, plus each video's open gap at the end),
# tthub_reporting.metrics_refresh_tiers, tthub.refresh_calls; from the simulator: calls
# and 429s per endpoint.
#   bash bench/freshness_db.sh [a|b|c|all]
#     a: a budget large enough for everything (requests_per_minute 100000)
#     b: one fifth (FRDB_B_DIV) of the baseline's calls per (compressed) day on each endpoint, the
#        simulator answering 429 above the same rate
#     c: the planner's own cost at 1,000 and 10,000 stores x 20 videos: per due video
#        and per API request, the worker's CPU (/proc) and statements (pg_stat_statements,
#        preloaded in the throwaway cluster), tthub_enqueue_due()'s time per call and per
#        store queued, and the plans (auto_explain) of the candidate, claim and enqueue
#        queries; ratios 10,000 vs 1,000 (details at case_c_size below)
# Sizes from the environment: FRDB_STORES [20] FRDB_VIDEOS [200] FRDB_POSTS [1: posts per
#   store per simulated day] FRDB_C [1200] FRDB_B_DIV [5: case b's budget is the baseline over this]
#   FRDB_SECONDS_A [180] FRDB_SECONDS_B [240] FRDB_POLL [300 / FRDB_C s, at least 0.1]; case c: FRDB_C_STORES ["1000 10000"]
#   FRDB_C_VIDEOS [20] FRDB_C_C [12] FRDB_SECONDS_C [150]; FRDB_SKIP_BUILD=1 uses the
#   current build.
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

S=${FRDB_STORES:-20} V=${FRDB_VIDEOS:-200} C=${FRDB_C:-1200} POSTS=${FRDB_POSTS:-1} DIV=${FRDB_B_DIV:-5}
DAY=$(awk "BEGIN { print 86400 / $C }")          # real seconds per simulated day
# (a) and (b) call tthub_enqueue_due() as pg_cron's default entry does (every 5
# minutes), compressed like the tiers: every 0.25 s at C = 1200. A video is due at 11/12
# of its interval, which leaves that period as slack (55 minutes of the hour): a poll
# left uncompressed against compressed tiers measured the poll, not tthub.
POLL=${FRDB_POLL:-$(awk "BEGIN { p = 300 / $C; print (p < 0.1 ? 0.1 : p) }")}
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
  # years, FRDB_POSTS posts and 0.02 deletions per store per simulated day.
  itest_setup "$name" "--accounts $S --videos $V --live 1 --history-days $(calc "1825 / $C" 4) \
      --post-per-day $(calc "$POSTS * $C" 2) --delete-per-day $(calc "0.02 * $C" 2)" \
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
  echo "### ($name) $S stores x $V videos, $POSTS posts a store a simulated day, tiers compressed ${C}x (a simulated day is $DAY real s), $T real s = $(calc "$T / $DAY" 2) simulated days, budget: $( [ "$budget" = fifth ] && echo "baseline / $DIV" || echo "$budget" ), tthub_enqueue_due() every $POLL s"

  # Baseline: today's full daily sync, through the same worker.
  local e b_list b_user b_total t0
  t0=$(date +%s.%N)
  n "SELECT tthub.tthub_sync_all()" >/dev/null
  wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE state IN ('queued', 'running')" 0 600 || exit 1
  b_list=$(calls video/list); b_user=$(calls user/info); b_total=$((b_list + b_user + $(calls video/query)))
  echo "baseline, today's full daily sync (tthub_sync_all): $b_total calls (video/list $b_list, user/info $b_user) in $(calc "$(date +%s.%N) - $t0" 1) s; jobs done $(n "SELECT count(*) FROM tthub.sync_jobs WHERE state = 'done'")/$S; videos $(n "SELECT count(*) FROM tthub.videos")"

  local rpm=100000
  if [ "$budget" = fifth ]; then
    # One fifth (1 / FRDB_B_DIV) of the baseline per simulated day, on each endpoint, in real minutes.
    rpm=$(calc "$b_total / $DIV * 60 / $DAY" 0)
    n "ALTER SYSTEM SET tthub.requests_per_minute = $rpm" >/dev/null; n "SELECT pg_reload_conf()" >/dev/null
    sim_config "{\"rate_limit\": $rpm}"
    sleep 1
    echo "budget: $rpm calls per real minute per endpoint = $(calc "$rpm * $DAY / 60" 0) per simulated day each (baseline / $DIV = $(calc "$b_total / $DIV" 0))"
  fi

  declare -A c0 t0e
  for e in $EPS; do c0[$e]=$(calls "$e"); t0e[$e]=$(throttled "$e"); done
  local start queued=0 now
  start=$(n "SELECT now()")
  local t_end=$(( $(date +%s) + T ))
  while [ "$(date +%s)" -lt "$t_end" ]; do
    queued=$((queued + $(n "SELECT tthub.tthub_enqueue_due()")))
    sleep "$POLL"
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
  # The issue's bound for (a): today's full sync plus what the fresh tier needs (its
  # booked calls: hourly discovery of every store, its query calls, the hourly account
  # reads of stores with a fresh video).
  local fresh_day
  fresh_day=$(calc "$(n "SELECT coalesce(sum(calls), 0) FROM tthub.refresh_calls WHERE tier = 'fresh'") / $days" 0)
  echo "bound, today's full sync + the fresh tier: $b_total + $fresh_day = $((b_total + fresh_day)) calls a simulated day; refresh tiers / bound: $(calc "$total / $days / ($b_total + $fresh_day)" 3)"
  # Achieved intervals: every gap between two observations of a video inside the run
  # (the baseline's observation opens the first gap), in the tier at the gap's end,
  # and each live video's open gap at the end. Targets in compressed seconds.
  echo
  # Each observation beside the one before it of the same video (prev): both gap queries read it.
  local GAPS="WITH o AS (
       SELECT o.store_code, o.video_id, o.observed_at,
              lag(o.observed_at) OVER (PARTITION BY o.store_code, o.video_id ORDER BY o.observed_at) AS prev
         FROM tthub.video_observations o)"
  echo "| tier | gaps | p50 s | p95 s | max s | target s | over target | over 7 d | p50 / target | p95 / target |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  n "$GAPS,
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
  if [ "${FRDB_DETAIL:-0}" = 1 ]; then
    echo
    echo "the longest fresh gaps between two observations (FRDB_DETAIL=1; a video's open gap at the end is in the table above only): store, video, gap s, its end and the video's post time (s after the start), the video's observations"
    n "$GAPS
       SELECT o.store_code || ' ' || o.video_id || ' ' || round(extract(epoch FROM o.observed_at - o.prev)::numeric, 1)
              || ' ' || round(extract(epoch FROM o.observed_at - '$start')::numeric, 1)
              || ' ' || round(extract(epoch FROM v.create_time - '$start')::numeric, 1)
              || ' ' || (SELECT count(*) FROM tthub.video_observations x WHERE x.store_code = o.store_code AND x.video_id = o.video_id)
         FROM o JOIN tthub.videos v USING (store_code, video_id)
        WHERE o.prev IS NOT NULL AND o.observed_at > '$start' AND o.observed_at - v.create_time < interval '$(calc "172800 / $C" 0) s'
        ORDER BY o.observed_at - o.prev DESC LIMIT 25"
  fi
  echo
  echo "tthub_reporting.metrics_refresh_tiers at the end (age of each video's latest observation, s):"
  echo "| tier | videos | age p50 s | age p95 s | calls today |"
  echo "|---|---|---|---|---|"
  n "SELECT '| ' || tier || ' | ' || videos || ' | ' || round(age_p50_seconds::numeric, 1) || ' | ' || round(age_p95_seconds::numeric, 1) || ' | ' || calls_today || ' |'
       FROM tthub_reporting.metrics_refresh_tiers"
  echo
  itest_teardown
}

# --- (c) the planner's own cost at 1,000 and 10,000 stores ----------------------------
CS=${FRDB_C_STORES:-"1000 10000"} CV=${FRDB_C_VIDEOS:-20} CC=${FRDB_C_C:-12} CT=${FRDB_SECONDS_C:-150}
declare -A CR  # per size and measure: the totals the ratios are taken of
TICK=$(getconf CLK_TCK)
# bq SQL: as the role frdb_bench, so that pg_stat_statements tells this script's
# statements (tthub_enqueue_due() above all) from the worker's (the bootstrap superuser).
bq() { psql -X -qAt -h 127.0.0.1 -p "$PORT" -U frdb_bench -d tthub -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
# "video/list video/query user/info" requests so far, from one /_sim/stats, piped to
# psql: with 10,000 accounts the answer is too long for a command-line argument.
sim_calls() {
  { echo "SELECT concat_ws(' ', coalesce(j #>> '{requests,video/list}', '0'), coalesce(j #>> '{requests,video/query}', '0'),
                             coalesce(j #>> '{requests,user/info}', '0')) FROM (SELECT \$j\$"
    sim_stats
    echo "\$j\$::jsonb AS j) x"; } | psql -X -qAt -h 127.0.0.1 -p "$PORT" -U frdb_bench -d tthub -v ON_ERROR_STOP=1 -f -
}
# proc_cpu PID: user + system CPU of a process so far, in clock ticks (/proc/PID/stat
# fields 14 and 15, counted after the ")" that ends the command name).
proc_cpu() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# plan_of PORT "SQL": the plans auto_explain logs (ANALYZE, BUFFERS) for the statements
# the SQL runs, nested ones included (the query inside a plpgsql function), after the
# same call ran 6 times so that the session's plan cache is where a long-lived worker's is.
plan_of() {
  { echo "LOAD 'auto_explain';"
    for _ in 1 2 3 4 5 6; do echo "$2;"; done
    echo "SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; SET auto_explain.log_buffers = on;
          SET auto_explain.log_timing = off; SET auto_explain.log_nested_statements = on; SET client_min_messages = log;"
    echo "$2;"; } | psql -X -qAt -h 127.0.0.1 -p "$1" -U postgres -d tthub -f - 2>&1 >/dev/null
}

# plan_body REGEX: from plan_of's log, the plan (without the query text) of the
# statement whose text starts as REGEX says.
plan_body() {
  awk -v re="$1" '$0 ~ re { p = 1; next } p == 1 && /\(cost=/ { p = 2 }
                  p == 2 && (/LOG:  duration/ || /^[0-9][0-9][0-9][0-9]-/) { exit } p == 2 { print }' | sed 's/^\t//'
}

# tac_plans REGEX: the last plan in a log for the statement whose text starts as REGEX says.
tac_plans() {
  awk -v re="$1" '$0 ~ re { n++; p = 1; next } p == 1 && /\(cost=/ { p = 2 }
                  p == 2 && (/LOG:  duration/ || /^[0-9][0-9][0-9][0-9]-/) { p = 0 } p == 2 { plan[n] = plan[n] $0 "\n" }
                  END { printf "%s", plan[n] }' | sed 's/^\t//'
}

# case_c_size STORES: one cluster; prints its block and fills CR[STORES,*].
# The catalogues come from one tthub_sync_all() through the worker (today's daily path,
# 2 calls a store). The tiers are compressed CC times (12: the fresh interval is 300 s,
# a day 7,200 s), so that every store's hourly discovery fits the shared machine at
# 10,000 stores (33 jobs a second). For CT seconds tthub_enqueue_due() is called every
# second, then the queue drains. Counted, from pg_stat_statements_reset() to the drain:
# the worker's statements are the top-level statements of the bootstrap superuser (its
# SPI statements; what a function runs inside counts in its caller's time and blocks,
# not as statements of its own); this script runs as frdb_bench, so its
# tthub_enqueue_due() calls are counted apart. Due videos are the rows the worker's
# candidate query (tthub._due_videos) returned; API requests are the simulator's.
case_c_size() {
  local S=$1 FI DAYC
  FI=$(calc "3600 / $CC" 0); DAYC=$(calc "86400 / $CC" 0)
  itest_setup "c$S" "--accounts $S --videos $CV --live 1 --history-days $(calc "1825 / $CC" 4) \
      --post-per-day $(calc "1 * $CC" 2) --delete-per-day $(calc "0.02 * $CC" 2)" \
    "shared_preload_libraries = 'pg_cron,tthub,pg_stat_statements,auto_explain'" \
    "pg_stat_statements.track = top" \
    "tthub.requests_per_minute = 100000" \
    "tthub.fresh_video_age = '$(calc "172800 / $CC" 0)s'" \
    "tthub.fresh_video_interval = '${FI}s'" \
    "tthub.young_video_age = '$(calc "2592000 / $CC" 0)s'" \
    "tthub.young_video_interval = '${DAYC}s'" \
    "tthub.old_video_max_interval = '$(calc "604800 / $CC" 0)s'" >/dev/null || exit 1
  trap cleanup EXIT
  n "CREATE EXTENSION pg_stat_statements; CREATE ROLE frdb_bench SUPERUSER LOGIN" >/dev/null
  n "INSERT INTO tthub.stores (store_code, store_name)
     SELECT 'c' || lpad(i::text, 5, '0'), 'bench ' || i FROM generate_series(1, $S) i;
     SELECT count(tthub.tthub_import_account('c' || lpad(i::text, 5, '0'), 'sim-open-' || i,
              'act.sim-open-' || i || '.1', 'rft.sim-open-' || i || '.1', 86400, 15552000,
              'user.info.basic,user.info.stats,video.list'))
       FROM generate_series(1, $S) i" >/dev/null
  echo "### (c) $S stores x $CV videos, tiers compressed ${CC}x (fresh interval $FI s, a simulated day $DAYC s), tthub_enqueue_due() every second for $CT s"

  # The catalogues: one tthub_sync_all(), through the worker.
  local t0 l0 q0 u0 l1 q1 u1
  t0=$(date +%s.%N)
  bq "SELECT tthub.tthub_sync_all()" >/dev/null
  wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE state IN ('queued', 'running')" 0 1800 || exit 1
  read -r l0 q0 u0 <<<"$(sim_calls)"
  echo "load: one tthub_sync_all(): $((l0 + q0 + u0)) calls in $(calc "$(date +%s.%N) - $t0" 1) s; jobs done $(n "SELECT count(*) FROM tthub.sync_jobs WHERE state = 'done'")/$S; videos $(n "SELECT count(*) FROM tthub.videos")"
  # A hub that has run for a while: each account's last discovery and user/info read
  # spread evenly over the last fresh interval, its last full pass over the last
  # (compressed) day (a pass reads from the top: it discovers too), and its videos last
  # observed by that pass (which reads them all).
  # Due work then arrives at a steady rate, the same per store at every size, instead
  # of every store at once. Evenly, not at random: with random times the passes due in
  # the run (20 due videos each) varied by 10 % at 1,000 stores, and the ratios with them.
  n "INSERT INTO tthub.account_refresh AS r (store_code, open_id, discovered_at, listed_at, user_info_at, updated_at)
     SELECT a.store_code, a.open_id, greatest(now() - a.f1 * interval '$FI s', a.pass), a.pass,
            now() - a.f2 * interval '$FI s', now()
       FROM (SELECT store_code, open_id, now() - (n + 0.5) / $S * interval '$DAYC s' AS pass,
                    ((n * 7919) % $S + 0.5) / $S AS f1, ((n * 104729) % $S + 0.5) / $S AS f2
               FROM (SELECT store_code, open_id, row_number() OVER (ORDER BY store_code, open_id) - 1 AS n
                       FROM tthub.store_accounts) x) a
     ON CONFLICT (store_code, open_id) DO UPDATE
       SET discovered_at = EXCLUDED.discovered_at, listed_at = EXCLUDED.listed_at,
           user_info_at = EXCLUDED.user_info_at, updated_at = EXCLUDED.updated_at;
     UPDATE tthub.videos v SET last_observed_at = r.listed_at
       FROM tthub.account_refresh r WHERE r.store_code = v.store_code AND r.open_id = v.open_id" >/dev/null
  n "VACUUM ANALYZE tthub.videos" >/dev/null; n "ANALYZE tthub.account_refresh" >/dev/null; n "ANALYZE tthub.sync_jobs" >/dev/null

  local pid pid_end cpu0 cpu1 start queued=0 t_end td drain
  pid=$(bq "SELECT pid FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'")
  read -r l0 q0 u0 <<<"$(sim_calls)"
  bq "SELECT pg_stat_statements_reset()" >/dev/null
  cpu0=$(proc_cpu "$pid")
  start=$(bq "SELECT now()")
  t_end=$(( $(date +%s) + CT ))
  while [ "$(date +%s)" -lt "$t_end" ]; do
    queued=$((queued + $(bq "SELECT tthub.tthub_enqueue_due()")))
    sleep 1
  done
  # Every job queued in the window runs to its end: the counts and the costs cover
  # the same work.
  td=$(date +%s.%N)
  while [ "$(bq "SELECT count(*) FROM tthub.sync_jobs WHERE state IN ('queued', 'running')")" != 0 ]; do
    sleep 0.5
    [ "$(calc "($(date +%s.%N) - $td > 900) ? 1 : 0" 0)" = 1 ] && { echo "# the queue did not drain in 900 s"; break; }
  done
  drain=$(calc "$(date +%s.%N) - $td" 1)
  cpu1=$(proc_cpu "$pid")
  pid_end=$(bq "SELECT pid FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'")
  read -r l1 q1 u1 <<<"$(sim_calls)"
  # The statements' figures as they stood, before this script's queries below add theirs.
  n "CREATE TABLE public.frdb_pgss AS
       SELECT s.*, s.userid = 'postgres'::regrole AS worker FROM pg_stat_statements s" >/dev/null
  local jobs reqs due plans observed cpu_ms wst wms wblk ecalls ems eblk
  jobs=$(n "SELECT count(*) FROM tthub.sync_jobs WHERE job_type = 'refresh' AND state = 'done' AND finished_at >= '$start'")
  reqs=$(( l1 - l0 + q1 - q0 + u1 - u0 ))
  read -r plans due <<<"$(n "SELECT coalesce(sum(calls), 0) || ' ' || coalesce(sum(rows), 0) FROM public.frdb_pgss
                              WHERE worker AND query LIKE '%tthub._due_videos(%'")"
  observed=$(n "SELECT count(*) FROM tthub.video_observations WHERE observed_at >= '$start'")
  cpu_ms=$(calc "($cpu1 - $cpu0) * 1000 / $TICK" 0)
  read -r wst wms wblk <<<"$(n "SELECT sum(calls) || ' ' || round(sum(total_exec_time)::numeric, 1) || ' ' || sum(shared_blks_hit + shared_blks_read)
                                 FROM public.frdb_pgss WHERE worker")"
  read -r ecalls ems eblk <<<"$(n "SELECT sum(calls) || ' ' || round(sum(total_exec_time)::numeric, 1) || ' ' || sum(shared_blks_hit + shared_blks_read)
                                    FROM public.frdb_pgss WHERE NOT worker AND query = 'SELECT tthub.tthub_enqueue_due()'")"
  echo "run: tthub_enqueue_due() called $ecalls times, queued $queued stores; refresh jobs done $jobs (the queue drained $drain s after the last call); API requests $reqs (video/list $((l1 - l0)), video/query $((q1 - q0)), user/info $((u1 - u0))); due videos (rows of the candidate query) $due over $plans account plans; videos observed $observed; worker process $pid -> $pid_end"
  echo
  local dd=$(( due > 0 ? due : 1 )) rr=$(( reqs > 0 ? reqs : 1 )) jj=$(( jobs > 0 ? jobs : 1 )) qq=$(( queued > 0 ? queued : 1 ))
  echo "| measure | total | per due video | per API request | per refresh job |"
  echo "|---|---|---|---|---|"
  echo "| worker CPU, ms (/proc: utime + stime) | $cpu_ms | $(calc "$cpu_ms / $dd" 3) | $(calc "$cpu_ms / $rr" 3) | $(calc "$cpu_ms / $jj" 3) |"
  echo "| worker statements (top-level, pg_stat_statements) | $wst | $(calc "$wst / $dd" 3) | $(calc "$wst / $rr" 3) | $(calc "$wst / $jj" 3) |"
  echo "| their execution time, ms | $wms | $(calc "$wms / $dd" 4) | $(calc "$wms / $rr" 4) | $(calc "$wms / $jj" 4) |"
  echo "| their shared blocks (hit + read) | $wblk | $(calc "$wblk / $dd" 1) | $(calc "$wblk / $rr" 1) | $(calc "$wblk / $jj" 1) |"
  echo
  echo "tthub_enqueue_due(): $ecalls calls, $(calc "$ems / $ecalls" 2) ms and $(calc "$eblk / $ecalls" 0) shared blocks per call; per store it queued: $(calc "$ems / $qq" 3) ms, $(calc "$eblk / $qq" 1) blocks"
  echo
  echo "worker statements by execution time (calls per refresh job; mean ms; shared blocks and rows per call):"
  echo "| statement | calls | per job | total ms | mean ms | blocks / call | rows / call |"
  echo "|---|---|---|---|---|---|---|"
  n "SELECT '| ' || left(regexp_replace(query, '\s+', ' ', 'g'), 90) || ' | ' || calls || ' | ' || round(calls::numeric / $jj, 2)
            || ' | ' || round(total_exec_time::numeric, 0) || ' | ' || round(mean_exec_time::numeric, 3)
            || ' | ' || round((shared_blks_hit + shared_blks_read)::numeric / calls, 1) || ' | ' || round(rows::numeric / calls, 1) || ' |'
       FROM public.frdb_pgss WHERE worker ORDER BY total_exec_time DESC LIMIT ${FRDB_C_TOP:-14}"
  echo
  CR[$S,due]=$due; CR[$S,reqs]=$reqs; CR[$S,jobs]=$jobs; CR[$S,cpu]=$cpu_ms; CR[$S,wst]=$wst; CR[$S,wms]=$wms
  CR[$S,wblk]=$wblk; CR[$S,ecalls]=$ecalls; CR[$S,ems]=$ems; CR[$S,eblk]=$eblk; CR[$S,queued]=$queued

  # The worker's own plans of its queue statements: auto_explain (loaded, off until
  # now) logs them while the jobs of one more tthub_enqueue_due() run.
  echo "sync_jobs now: $(n "SELECT n_live_tup || ' live and ' || n_dead_tup || ' dead rows, autovacuumed ' || autovacuum_count || ' times, autoanalyzed ' || autoanalyze_count || ' times' FROM pg_stat_user_tables WHERE relid = 'tthub.sync_jobs'::regclass")"
  local mark
  n "ALTER SYSTEM SET auto_explain.log_min_duration = 0" >/dev/null; n "ALTER SYSTEM SET auto_explain.log_analyze = on" >/dev/null
  n "ALTER SYSTEM SET auto_explain.log_buffers = on" >/dev/null; n "ALTER SYSTEM SET auto_explain.log_timing = off" >/dev/null
  n "ALTER SYSTEM SET auto_explain.log_nested_statements = on" >/dev/null; n "SELECT pg_reload_conf()" >/dev/null
  sleep 1
  mark=$(stat -c %s "$DIR/pg/server.log")
  echo "one more tthub_enqueue_due(), its jobs run with auto_explain on: queued $(bq "SELECT tthub.tthub_enqueue_due()")"
  sleep 3
  n "ALTER SYSTEM RESET auto_explain.log_min_duration" >/dev/null; n "SELECT pg_reload_conf()" >/dev/null
  echo "the worker's plan of its next-due query (job_queue.cpp next_due_ms), the last one logged:"
  echo '```'
  tail -c +"$((mark + 1))" "$DIR/pg/server.log" | tac_plans 'Query Text: SELECT ceil\(extract\(epoch FROM q.run_after'
  echo '```'
  echo "the worker's plan of the claim's candidate query (tthub._claim_jobs), the last one logged:"
  echo '```'
  tail -c +"$((mark + 1))" "$DIR/pg/server.log" | tac_plans 'Query Text: SELECT q.store_code, q.job_id'
  echo '```'

  # The candidate query as the worker runs it (a store in the middle), and the
  # enqueue's scan (rolled back: nothing is queued).
  local mid=$(( (S + 1) / 2 ))
  echo "plan of the candidate query (tthub._due_videos, one account of store c$(printf %05d $mid)), auto_explain ANALYZE BUFFERS:"
  echo '```'
  plan_of "$PORT" "SELECT count(*) FROM tthub._due_videos('c$(printf %05d $mid)', 'sim-open-$mid', 1000000)" |
    plan_body 'Query Text: +SELECT v.video_id'
  echo '```'
  echo "plan of tthub_enqueue_due()'s statement:"
  echo '```'
  plan_of "$PORT" "BEGIN; SELECT tthub.tthub_enqueue_due(); ROLLBACK" |
    plan_body 'Query Text: +WITH due AS'
  echo '```'
  echo
  itest_teardown
}

case_c() {
  local S first=""
  for S in $CS; do case_c_size "$S"; first=${first:-$S}; done
  for S in $CS; do
    [ "$S" = "$first" ] && continue
    local f=$first x
    echo "ratios, $S vs $f stores ($(calc "$S / $f" 1)x the stores; due videos $(calc "${CR[$S,due]} / ${CR[$f,due]}" 2)x, API requests $(calc "${CR[$S,reqs]} / ${CR[$f,reqs]}" 2)x):"
    echo "| measure | per due video | per API request | per refresh job |"
    echo "|---|---|---|---|"
    for x in "worker CPU:cpu" "worker statements:wst" "their execution time:wms" "their shared blocks:wblk"; do
      local k=${x#*:}
      echo "| ${x%%:*} | $(calc "(${CR[$S,$k]} / ${CR[$S,due]}) / (${CR[$f,$k]} / ${CR[$f,due]})" 2) | $(calc "(${CR[$S,$k]} / ${CR[$S,reqs]}) / (${CR[$f,$k]} / ${CR[$f,reqs]})" 2) | $(calc "(${CR[$S,$k]} / ${CR[$S,jobs]}) / (${CR[$f,$k]} / ${CR[$f,jobs]})" 2) |"
    done
    echo "| tthub_enqueue_due() time, per store queued | $(calc "(${CR[$S,ems]} / ${CR[$S,queued]}) / (${CR[$f,ems]} / ${CR[$f,queued]})" 2) | | |"
    echo "| tthub_enqueue_due() time, per call | $(calc "(${CR[$S,ems]} / ${CR[$S,ecalls]}) / (${CR[$f,ems]} / ${CR[$f,ecalls]})" 2) | | |"
    echo
  done
}

case "${1:-all}" in
  a) case_run a "${FRDB_SECONDS_A:-180}" max ;;
  b) case_run b "${FRDB_SECONDS_B:-240}" fifth ;;
  c) case_c ;;
  all) case_run a "${FRDB_SECONDS_A:-180}" max; case_run b "${FRDB_SECONDS_B:-240}" fifth; case_c ;;
  *) echo "usage: bash bench/freshness_db.sh [a|b|c|all]"; exit 2 ;;
esac
