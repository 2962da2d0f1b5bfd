#!/usr/bin/env bash
# tthub benchmarks. Each measures tthub against a baseline in the same run.
#   bash bench/run.sh api      API-bound: wall time against the rate-limit bound, default settings
#                              (100 stores x 100 videos at 1,000 ms and 600/min, then API_* below)
#   bash bench/run.sh flaky    one account x 10,000 videos, 2 % of requests failing: requests vs the minimum
#   bash bench/run.sh idle     60 s with nothing queued: worker CPU and transactions
#   bash bench/run.sh queue    one tthub_sync_all() of 10,000 stores: the drain with the worker's plans
#                              made on an empty queue's statistics against a full queue's
#   bash bench/run.sh db       DB-bound: snapshot rows/s and CPU s per 1 M rows against set-based SQL from psql
#   bash bench/run.sh memory   worker memory syncing one account with many videos
#   bash bench/run.sh views    reporting queries for one store over 90 days, on years of data
#   bash bench/run.sh freshness  refresh tiers, engine level (bench/freshness.sh: planner, discovery,
#                              video/query against the live simulator, vs today's full daily sync)
#   bash bench/run.sh freshness-db  refresh tiers through the real worker and database
#                              (bench/freshness_db.sh a, b and c: tthub_enqueue_due,
#                              video_observations; c: the planner's cost at 10,000 stores)
#   bash bench/run.sh soak     minutes of compressed days under faults: random worker kills, 5xx,
#                              429s, latency spikes, an admin's long transaction (SOAK_* below)
#   bash bench/run.sh all
# Sizes come from the environment (defaults in brackets):
#   API_STORES [200] API_VIDEOS [1000] API_LATENCY_MS [50] API_RPM [3000]
#   SLOW_STORES [100] SLOW_VIDEOS [100] SLOW_LATENCY_MS [1000] SLOW_RPM [600]
#   FLAKY_VIDEOS [10000] FLAKY_RATE [0.02]  IDLE_SECONDS [60]  QUEUE_STORES [10000] QUEUE_MAX_SECONDS [900]
#   DB_STORES [100] DB_VIDEOS [1000]   MEM_VIDEOS [100000]
#   VIEW_STORES [100] VIEW_VIDEOS [500] VIEW_DAYS [365]
#   SOAK_SECONDS [300] SOAK_STORES [20] SOAK_VIDEOS [300] SOAK_SPEED [1440 simulated s per s]
#   SOAK_STEADY_SECONDS [SOAK_SECONDS / 2: no termination, one worker's memory] SOAK_KEEP [a dir for the evidence]
set -uo pipefail
cd "$(dirname "$0")/.."
source test/lib/install_deps.sh
source test/lib/build.sh
source test/lib/itest.sh

install_deps && build_all || exit 1
WORK=$(mktemp -d /tmp/tthub-bench.XXXXXX)
chmod 755 "$WORK"
export TTHUB_TEST_WORK=$WORK
cleanup() { itest_teardown 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

now_s() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }

# A cluster + simulator with N stores (store bNNN <- sim account NNN).
setup() {  # setup NAME STORES VIDEOS [conf lines...]
  local name=$1 stores=$2 videos=$3
  shift 3
  itest_setup "$name" "--accounts $stores --videos $videos ${SETUP_SIM_OPTS:-}" "$@" >/dev/null || exit 1
  trap cleanup EXIT  # itest_setup installed its own
  q "$PORT" tthub "INSERT INTO tthub.stores (store_code, store_name)
                   SELECT 'b' || lpad(i::text, 5, '0'), 'bench ' || i FROM generate_series(1, $stores) i;
                   SELECT count(tthub.tthub_import_account('b' || lpad(i::text, 5, '0'), 'sim-open-' || i,
                            'act.sim-open-' || i || '.1', 'rft.sim-open-' || i || '.1', 86400, 15552000,
                            'user.info.basic,user.info.stats,video.list'))
                     FROM generate_series(1, $stores) i" >/dev/null
}

# drain SQL [CAP]: runs SQL (which queues jobs), then waits for an empty queue; prints
# the seconds, or "> CAP (N left)" after CAP seconds, or the error a probe met.
drain() {
  local t0 left
  t0=$(now_s)
  q "$PORT" tthub "$1" >/dev/null
  while left=$(q "$PORT" tthub "SELECT count(*) FROM tthub.sync_jobs WHERE state IN ('queued', 'running')"); [ "$left" != 0 ]; do
    [[ $left =~ ^[0-9]+$ ]] || { echo "error: $left"; return; }
    if [ -n "${2:-}" ] && awk "BEGIN { exit !($(now_s) - $t0 > $2) }"; then echo "> $2 ($left left)"; return; fi
    sleep 0.2
  done
  calc "$(now_s) - $t0" 2
}

sync_all_and_wait() { drain "SELECT tthub.tthub_sync_all()"; }  # seconds from enqueue to an empty queue

# api_case STORES VIDEOS LATENCY_MS RPM: tthub with its default concurrency settings,
# the simulator enforcing RPM per endpoint and tthub told the same.
api_case() {
  local S=$1 V=$2 L=$3 R=$4
  echo "### $S stores x $V videos, ${L} ms latency, $R requests/minute per endpoint, default settings"
  setup "api$S-$L" "$S" "$V" "tthub.requests_per_minute = $R"
  sim_config "{\"latency_ms\": $L, \"rate_limit\": $R}"
  local secs stats list users throttled over bound in_flight
  secs=$(sync_all_and_wait)
  stats=$(sim_stats)
  list=$(q "$PORT" tthub "SELECT (\$j\$$stats\$j\$::jsonb) #>> '{requests,video/list}'")
  users=$(q "$PORT" tthub "SELECT (\$j\$$stats\$j\$::jsonb) #>> '{requests,user/info}'")
  throttled=$(q "$PORT" tthub "SELECT coalesce((\$j\$$stats\$j\$::jsonb) #>> '{throttled,video/list}', '0')")
  over=$(q "$PORT" tthub "SELECT coalesce((SELECT sum(value::int) FROM jsonb_each_text((\$j\$$stats\$j\$::jsonb) -> 'over_limit')), 0)")
  in_flight=$(q "$PORT" tthub "SELECT (\$j\$$stats\$j\$::jsonb) ->> 'max_in_flight'")
  local rows done_jobs
  rows=$(q "$PORT" tthub "SELECT count(*) FROM tthub.video_daily")
  done_jobs=$(q "$PORT" tthub "SELECT count(*) FROM tthub.sync_jobs WHERE state = 'done'")
  # Each endpoint has its own limit; video/list dominates. Two bounds: the steady rate
  # (requests / R), and the exact minimum under a 60 s sliding window, where the first
  # R requests may go at once: floor((Q - 1) / R) minutes.
  local q exact
  q=$(( list > users ? list : users ))
  bound=$(calc "$q * 60 / $R" 1)
  exact=$(( (q - 1) / R * 60 ))
  echo "requests: video/list $list, user/info $users; 429s: $throttled (over the window: $over); most in flight: $in_flight; jobs done: $done_jobs/$S; rows: $rows"
  echo "| measure | seconds | bound / tthub |"
  echo "|---|---|---|"
  echo "| bound: requests / R | $bound | $(calc "$bound / $secs" 2) |"
  echo "| bound: sliding-window minimum, floor((Q-1)/R) min | $exact | $(calc "$exact / $secs" 2) |"
  echo "| tthub, enqueue to last job done | $secs | |"
  itest_teardown
}

bench_api() {
  echo "## API-bound: wall time against the rate-limit bound"
  api_case "${SLOW_STORES:-100}" "${SLOW_VIDEOS:-100}" "${SLOW_LATENCY_MS:-1000}" "${SLOW_RPM:-600}"
  api_case "${API_STORES:-200}" "${API_VIDEOS:-1000}" "${API_LATENCY_MS:-50}" "${API_RPM:-3000}"
}

# One account behind a flaky API: 2 % of requests fail at random (HTTP 500, a timeout,
# a truncated body). The least any client can send is one user/info and one request
# per 20-video page.
bench_flaky() {
  local V=${FLAKY_VIDEOS:-10000} E=${FLAKY_RATE:-0.02}
  echo "## Flaky API: one account x $V videos, $E of requests failing (500, timeout, truncated)"
  setup flaky 1 "$V" "tthub.requests_per_minute = 1000000" "tthub.http_timeout_ms = 1000"
  sim_config "{\"error_rate\": $E, \"error_mix\": [\"500\", \"timeout\", \"truncated\"], \"timeout_ms\": 1500}"
  local secs stats sent failed minimum state ledger rows retries
  secs=$(sync_all_and_wait)
  stats=$(sim_stats)
  sent=$(q "$PORT" tthub "SELECT ((\$j\$$stats\$j\$::jsonb) #>> '{requests,video/list}')::int + ((\$j\$$stats\$j\$::jsonb) #>> '{requests,user/info}')::int")
  failed=$(q "$PORT" tthub "SELECT coalesce((SELECT sum(value::int) FROM jsonb_each_text((\$j\$$stats\$j\$::jsonb) -> 'failed')), 0)")
  minimum=$(( (V + 19) / 20 + 1 ))
  state=$(q "$PORT" tthub "SELECT string_agg(state::text || ' after ' || attempts || ' attempt(s)', ',') FROM tthub.sync_jobs")
  ledger=$(q "$PORT" tthub "SELECT string_agg(complete::text, ',') FROM tthub.sync_ledger")
  rows=$(q "$PORT" tthub "SELECT count(*) FROM tthub.video_daily")
  retries=$(q "$PORT" tthub "SELECT sum(request_retries) FROM tthub.sync_logs")
  echo "| measure | value |"
  echo "|---|---|"
  echo "| job | $state |"
  echo "| ledger complete | $ledger |"
  echo "| rows | $rows of $V |"
  echo "| requests failed by the simulator | $failed |"
  echo "| request retries in sync_logs | $retries |"
  echo "| requests sent / minimum ($minimum) | $sent / $minimum = $(calc "$sent / $minimum" 3) |"
  echo "| seconds | $secs |"
  itest_teardown
}

# CPU of a cluster: the postmaster, its live children, and the children it has
# reaped (cutime/cstime), in seconds. The simulator and psql are outside it.
cluster_cpu() {
  local pm ticks=0 p
  pm=$(head -1 "$DIR/pg/data/postmaster.pid")
  ticks=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
  for p in $(ps --ppid "$pm" -o pid=); do
    ticks=$(( ticks + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0) ))
  done
  calc "$ticks / $(getconf CLK_TCK)" 2
}

bench_idle() {
  local T=${IDLE_SECONDS:-60}
  echo "## Idle: $T s with nothing queued"
  setup idle 1 1 "autovacuum = off"
  sleep 2
  local wpid c0 c1 x0 x1
  wpid=$(q "$PORT" tthub "SELECT pid FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'")
  c0=$(awk '{print $14 + $15}' "/proc/$wpid/stat")
  x0=$(q "$PORT" tthub "SELECT xact_commit FROM pg_stat_database WHERE datname = 'tthub'")
  sleep "$T"
  c1=$(awk '{print $14 + $15}' "/proc/$wpid/stat")
  x1=$(q "$PORT" tthub "SELECT xact_commit FROM pg_stat_database WHERE datname = 'tthub'")
  echo "| measure | value |"
  echo "|---|---|"
  echo "| worker CPU seconds in $T s | $(calc "($c1 - $c0) / $(getconf CLK_TCK)" 2) |"
  echo "| transactions committed in the database (worker, and 2 of this script's probes) | $((x1 - x0)) |"
  itest_teardown
}

# The queue's drain against the statistics the worker planned it with. The worker keeps
# its plans until an ANALYZE of the table replaces them; tthub_sync_all() fills
# sync_jobs from empty in seconds, before autoanalyze runs. (1) The worker's plans made
# on statistics of an empty queue (as after an install: ANALYZE, then a new worker);
# (2) the baseline: the same jobs queued again for the same day (updates, not inserts,
# on a warm cache), ANALYZE, then a new worker. The ratio is how much the drain depends
# on when the worker planned.
bench_queue() {
  local S=${QUEUE_STORES:-10000} cap=${QUEUE_MAX_SECONDS:-900} d1 d2
  echo "## The queue's drain: one tthub_sync_all() of $S stores x 1 video, against the statistics the worker planned with"
  setup queue "$S" 1 "tthub.requests_per_minute = 100000"
  new_worker() {  # the worker restarted: another process, which plans anew
    local old
    old=$(q "$PORT" tthub "SELECT pid FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'")
    q "$PORT" tthub "SELECT pg_terminate_backend($old)" >/dev/null
    wait_for "$PORT" "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'tthub sync worker' AND pid <> $old" 1 30 >/dev/null ||
      exit 1
    sleep 2
  }
  q "$PORT" tthub "ANALYZE tthub.sync_jobs" >/dev/null; new_worker
  d1=$(drain "SELECT tthub.tthub_sync_all()" "$cap")
  q "$PORT" tthub "DELETE FROM tthub.sync_jobs" >/dev/null
  # Queued, not claimable yet: the worker must not start before the statistics are taken.
  q "$PORT" tthub "SELECT tthub.tthub_sync_all(); UPDATE tthub.sync_jobs SET run_after = now() + interval '1 day'; ANALYZE tthub.sync_jobs" >/dev/null
  new_worker
  d2=$(drain "UPDATE tthub.sync_jobs SET run_after = now() WHERE state = 'queued'; SELECT tthub._wake_worker()" "$cap")
  local ratio="-"
  [[ $d1 =~ ^[0-9.]+$ && $d2 =~ ^[0-9.]+$ ]] && ratio=$(calc "$d1 / $d2" 2)
  echo "| the worker planned on statistics of | drain, s | ÷ full queue |"
  echo "|---|---|---|"
  echo "| an empty queue (as after an install) | $d1 | $ratio |"
  echo "| a full queue (baseline) | $d2 | 1.00 |"
  itest_teardown
}

gen_page_sql() {  # gen_page_sql FILE STORES VIDEOS MODE(set|row): 20-row pages, one transaction each
  awk -v S="$2" -v V="$3" -v mode="$4" 'BEGIN {
    up = " ON CONFLICT (store_code, video_id, snapshot_date) DO UPDATE SET open_id = EXCLUDED.open_id, title = EXCLUDED.title, description = EXCLUDED.description, cover_image_url = EXCLUDED.cover_image_url, share_url = EXCLUDED.share_url, create_time = EXCLUDED.create_time, duration = EXCLUDED.duration, view_count = EXCLUDED.view_count, like_count = EXCLUDED.like_count, comment_count = EXCLUDED.comment_count, share_count = EXCLUDED.share_count, updated_at = EXCLUDED.updated_at;";
    cols = "INSERT INTO tthub.video_daily (store_code, video_id, snapshot_date, open_id, title, description, cover_image_url, share_url, create_time, duration, view_count, like_count, comment_count, share_count, created_at, updated_at) ";
    for (s = 1; s <= S; s++) {
      store = sprintf("x%04d", s);
      for (p = 0; p < V; p += 20) {
        n = (V - p < 20) ? V - p : 20;
        print "BEGIN;";
        if (mode == "set") {
          ids = ""; t = ""; v = "";
          for (j = p; j < p + n; j++) {
            sep = (j == p) ? "" : ",";
            ids = ids sep "\"" s "-" j "\""; t = t sep "\"Video " j "\""; v = v sep (1000 + j);
          }
          print cols "SELECT \x27" store "\x27, p.id, current_date, \x27o" s "\x27, p.title, \x27desc\x27, \x27https://c\x27, \x27https://s\x27, to_timestamp(1767225600), 15, p.views, p.views / 20, p.views / 200, p.views / 500, now(), now() FROM unnest(\x27{" ids "}\x27::text[], \x27{" t "}\x27::text[], \x27{" v "}\x27::int8[]) AS p(id, title, views)" up;
        } else {
          for (j = p; j < p + n; j++)
            print cols "VALUES (\x27" store "\x27, \x27" s "-" j "\x27, current_date, \x27o" s "\x27, \x27Video " j "\x27, \x27desc\x27, \x27https://c\x27, \x27https://s\x27, to_timestamp(1767225600), 15, " 1000 + j ", " int((1000 + j) / 20) ", " int((1000 + j) / 200) ", " int((1000 + j) / 500) ", now(), now())" up;
        }
        print "COMMIT;";
      }
    }
  }' >"$1"
}

bench_db() {
  local S=${DB_STORES:-100} V=${DB_VIDEOS:-1000}
  local rows=$((S * V))
  echo "## DB-bound: $S stores x $V videos = $rows rows, no latency, no rate limit"
  setup db "$S" "$V" "tthub.requests_per_minute = 1000000" "autovacuum = off"
  local t_tthub t_set t_row t0 wpid mem_before mem_after cpu0 cpu_tthub cpu_set
  wpid=$(q "$PORT" tthub "SELECT pid FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'")
  mem_before=$(awk '/RssAnon/ {print $2}' "/proc/$wpid/status")
  cpu0=$(cluster_cpu)
  t_tthub=$(sync_all_and_wait)
  cpu_tthub=$(calc "$(cluster_cpu) - $cpu0" 2)
  mem_after=$(awk '/RssAnon/ {print $2}' "/proc/$wpid/status")
  # A second round of the same jobs: memory that keeps growing would be a leak.
  sync_all_and_wait >/dev/null
  local mem_again
  mem_again=$(awk '/RssAnon/ {print $2}' "/proc/$wpid/status")
  local written
  written=$(q "$PORT" tthub "SELECT count(*) FROM tthub.video_daily")
  q "$PORT" tthub "INSERT INTO tthub.stores SELECT 'x' || lpad(i::text, 4, '0'), 'baseline' FROM generate_series(1, $S) i" >/dev/null
  gen_page_sql "$WORK/set.sql" "$S" "$V" set
  gen_page_sql "$WORK/row.sql" "$S" "$V" row
  cpu0=$(cluster_cpu)
  t0=$(now_s); cluster_psql "$PORT" tthub -f "$WORK/set.sql" >/dev/null; t_set=$(calc "$(now_s) - $t0" 2)
  cpu_set=$(calc "$(cluster_cpu) - $cpu0" 2)
  q "$PORT" tthub "DELETE FROM tthub.video_daily WHERE store_code LIKE 'x%'" >/dev/null
  t0=$(now_s); cluster_psql "$PORT" tthub -f "$WORK/row.sql" >/dev/null; t_row=$(calc "$(now_s) - $t0" 2)
  local r_tthub r_set r_row
  r_tthub=$(calc "$written / $t_tthub" 0); r_set=$(calc "$rows / $t_set" 0); r_row=$(calc "$rows / $t_row" 0)
  echo "| writer | seconds | rows/s | vs set-based baseline |"
  echo "|---|---|---|---|"
  echo "| psql, INSERT ... SELECT FROM unnest() ON CONFLICT, 20-row pages (baseline) | $t_set | $r_set | 1.00 |"
  echo "| tthub worker (HTTP + JSON + upsert, 20-row pages) | $t_tthub | $r_tthub | $(calc "$r_tthub / $r_set" 2) |"
  echo "| psql, one INSERT ... ON CONFLICT per row, 20-row transactions | $t_row | $r_row | $(calc "$r_row / $r_set" 2) |"
  local per_tthub per_set
  per_tthub=$(calc "$cpu_tthub * 1000000 / $written" 1); per_set=$(calc "$cpu_set * 1000000 / $rows" 1)
  echo
  echo "| CPU of the cluster (worker + backends + background) | CPU s | CPU s per 1 M rows | vs baseline |"
  echo "|---|---|---|---|"
  echo "| psql set-based baseline | $cpu_set | $per_set | 1.00 |"
  echo "| tthub worker | $cpu_tthub | $per_tthub | $(calc "$per_tthub / $per_set" 2) |"
  echo "(tthub wrote $written of $rows rows; worker private memory (RssAnon) before the $S jobs ${mem_before} kB, after ${mem_after} kB, after $S more ${mem_again} kB)"
  itest_teardown
}

bench_memory() {
  local V=${MEM_VIDEOS:-100000}
  echo "## Memory: one account with $V videos"
  setup mem 1 "$V" "tthub.requests_per_minute = 1000000"
  local pid peak=0 at_tenth=0 cur pages
  pid=$(q "$PORT" tthub "SELECT pid FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'")
  local before
  before=$(awk '/RssAnon/ {print $2}' "/proc/$pid/status")
  local t0
  t0=$(now_s)
  q "$PORT" tthub "SELECT tthub.tthub_sync('b00001')" >/dev/null
  while :; do
    cur=$(awk '/RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${cur:-0}" -gt "$peak" ] && peak=$cur
    pages=$(q "$PORT" tthub "SELECT coalesce(max(pages_fetched), 0) FROM tthub.sync_progress")
    [ "$at_tenth" = 0 ] && [ "$pages" -ge $((V / 200)) ] && at_tenth=$peak
    [ "$(q "$PORT" tthub "SELECT count(*) FROM tthub.sync_jobs WHERE state IN ('queued', 'running')")" = 0 ] && break
    sleep 0.1
  done
  local secs written
  secs=$(calc "$(now_s) - $t0" 1)
  written=$(q "$PORT" tthub "SELECT count(*) FROM tthub.video_daily")
  echo "worker private memory (RssAnon): idle $((before / 1024)) MB, peak after 10% of the videos $((at_tenth / 1024)) MB, peak over the whole sync $((peak / 1024)) MB"
  echo "$written videos in $secs s"
  itest_teardown
}

bench_views() {
  local S=${VIEW_STORES:-100} V=${VIEW_VIDEOS:-500} D=${VIEW_DAYS:-365}
  echo "## Reporting queries: $S stores x $V videos x $D days = $((S * V * D)) video snapshots"
  setup views 1 1 "shared_buffers = '2GB'" "work_mem = '64MB'" "maintenance_work_mem = '1GB'" "max_wal_size = '8GB'"
  local t0
  t0=$(now_s)
  q "$PORT" tthub "INSERT INTO tthub.stores (store_code, store_name)
                   SELECT 'v' || lpad(s::text, 4, '0'), 'store ' || s FROM generate_series(1, $S) s" >/dev/null
  q "$PORT" tthub "INSERT INTO tthub.user_daily (store_code, open_id, snapshot_date, follower_count, following_count, likes_count, video_count)
                   SELECT 'v' || lpad(s::text, 4, '0'), 'o' || s, tthub.snapshot_today() - d, 100000 - d * 50 + s, 100, 500000 - d * 100, $V
                     FROM generate_series(1, $S) s, generate_series(0, $D - 1) d" >/dev/null
  q "$PORT" tthub "INSERT INTO tthub.video_daily (store_code, video_id, snapshot_date, open_id, title, view_count, like_count, comment_count, share_count)
                   SELECT 'v' || lpad(s::text, 4, '0'), s || '-' || v, tthub.snapshot_today() - d, 'o' || s, 'video ' || v,
                          (v * 1000 + ($D - d) * (v % 50 + 1) * 10), (v * 50 + ($D - d)), v + ($D - d) / 10, v / 2
                     FROM generate_series(1, $S) s, generate_series(1, $V) v, generate_series(0, $D - 1) d" >/dev/null
  q "$PORT" tthub "VACUUM ANALYZE tthub.video_daily" >/dev/null
  q "$PORT" tthub "VACUUM ANALYZE tthub.user_daily" >/dev/null
  echo "data generated in $(calc "$(now_s) - $t0" 0) s; video_daily: $(q "$PORT" tthub "SELECT pg_size_pretty(pg_total_relation_size('tthub.video_daily'))") with indexes"
  # The shapes the shipped views replaced, measured beside them on the same data.
  q "$PORT" tthub "CREATE SCHEMA alt" >/dev/null
  q "$PORT" tthub "CREATE VIEW alt.delta_window AS
    SELECT store_code, video_id, snapshot_date, view_count, previous_snapshot_date,
           snapshot_date - previous_snapshot_date AS days_since_previous, view_count - prev_views AS views_change
      FROM (SELECT v.*, lag(snapshot_date) OVER w AS previous_snapshot_date, lag(view_count) OVER w AS prev_views
              FROM tthub.video_daily v WINDOW w AS (PARTITION BY store_code, video_id ORDER BY snapshot_date)) d" >/dev/null
  local store
  store="v$(printf '%04d' $((S / 2)))"
  local -a names=(
    "video_daily_delta, one store, 90 days"
    "top 10 videos of a store by views gained, 7 days (README)"
    "account_daily, one store, 90 days (README follower curve)"
    "video_latest, one store"
    "store_summary, one store"
    "raw video_daily, one store, 90 days"
    "alternative: deltas with lag() window, one store, 90 days"
    "alternative: top 10 gained, 7 days, with lag() window"
  )
  local -a queries=(
    "SELECT * FROM tthub.video_daily_delta WHERE store_code = '$store' AND snapshot_date > tthub.snapshot_today() - 90"
    "SELECT video_id, sum(views_change) AS g FROM tthub.video_daily_delta WHERE store_code = '$store' AND snapshot_date > tthub.snapshot_today() - 7 GROUP BY video_id ORDER BY g DESC NULLS LAST LIMIT 10"
    "SELECT snapshot_date, sum(follower_count), sum(follower_change) FROM tthub.account_daily WHERE store_code = '$store' AND snapshot_date > tthub.snapshot_today() - 90 GROUP BY 1 ORDER BY 1"
    "SELECT * FROM tthub.video_latest WHERE store_code = '$store'"
    "SELECT * FROM tthub.store_summary WHERE store_code = '$store'"
    "SELECT * FROM tthub.video_daily WHERE store_code = '$store' AND snapshot_date > tthub.snapshot_today() - 90"
    "SELECT * FROM alt.delta_window WHERE store_code = '$store' AND snapshot_date > tthub.snapshot_today() - 90"
    "SELECT video_id, sum(views_change) AS g FROM alt.delta_window WHERE store_code = '$store' AND snapshot_date > tthub.snapshot_today() - 7 GROUP BY video_id ORDER BY g DESC NULLS LAST LIMIT 10"
  )
  echo "| query | rows | ms (best of 3) |"
  echo "|---|---|---|"
  local i best ms rows
  for i in "${!queries[@]}"; do
    best=""
    for _ in 1 2 3; do
      ms=$(q "$PORT" tthub "EXPLAIN (ANALYZE, FORMAT JSON) ${queries[$i]}" | tr -d '\n' | grep -oE '"Execution Time": [0-9.]+' | grep -oE '[0-9.]+$')
      if [ -z "$best" ] || [ "$(calc "$ms < $best ? 1 : 0" 0)" = 1 ]; then best=$ms; fi
    done
    rows=$(q "$PORT" tthub "SELECT count(*) FROM (${queries[$i]}) x")
    echo "| ${names[$i]} | $rows | $(calc "$best" 1) |"
  done
  echo
  for i in "${!queries[@]}"; do
    echo "### plan: ${names[$i]}"
    echo '```'
    q "$PORT" tthub "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ${queries[$i]}"
    echo '```'
  done
  itest_teardown
}

# Soak: live simulator (posts, deletions, launch curves, 2 simulated days a real minute
# at the default speed), access tokens living 20 s so refreshes happen all the time,
# and faults throughout: 3 % of requests failing (500, timeout, truncated), a
# rate limit that answers 429, latency spikes, the worker terminated at random, and
# an admin's transaction holding a SHARE lock on video_daily for 40 s. The daily path
# (tthub_sync_all) runs every few seconds; the refresh path (tthub_enqueue_due) too
# when this build has it. Then a steady phase (SOAK_STEADY_SECONDS) with the same
# work and faults but no termination: one worker process lives through it and its
# private memory is sampled. At the end: refresh tokens presented twice, accounts that
# left CONNECTED, the server's start time and crash lines, the memory series, and
# every observation the simulator served against what was stored (soak_check below).
# SOAK_KEEP=DIR keeps the evidence (simulator and server logs, served answers, faults).
bench_soak() {
  local T=${SOAK_SECONDS:-300} S=${SOAK_STORES:-20} V=${SOAK_VIDEOS:-300} SPD=${SOAK_SPEED:-1440}
  local TS=${SOAK_STEADY_SECONDS:-$((T / 2))} TIMEOUT_MS=1000
  echo "## Soak: $T s with worker terminations, then $TS s without; $S stores x $V videos, $SPD simulated seconds a second ($(calc "($T + $TS) * $SPD / 86400" 1) simulated days)"
  SETUP_SIM_OPTS="--live 1 --speed $SPD --history-days 365 --post-per-day 2 --delete-per-day 0.5 --served-log $WORK/served.jsonl" \
    setup soak "$S" "$V" "tthub.requests_per_minute = 1200" "tthub.http_timeout_ms = $TIMEOUT_MS"
  sim_config '{"access_ttl": 20, "error_rate": 0.03, "error_mix": ["500", "timeout", "truncated"], "timeout_ms": 1500, "rate_limit": 900}'
  local refresh=0
  [ "$(q "$PORT" tthub "SELECT count(*) FROM pg_proc WHERE proname = 'tthub_enqueue_due'")" = 1 ] && refresh=1
  local started wpid t0 now next_kill next_spike admin_pid=
  started=$(q "$PORT" tthub "SELECT pg_postmaster_start_time()")
  t0=$(date +%s); next_kill=$((t0 + 20 + RANDOM % 30)); next_spike=$((t0 + 10))
  local kills=0 spikes=0 mem=() steady=() steady_pids=""
  local admin_at=$((t0 + T / 3))
  : >"$WORK/faults.txt"  # one line per fault the check may blame: kind, epoch ms, duration ms
  while now=$(date +%s); [ $((now - t0)) -lt $((T + TS)) ]; do
    q "$PORT" tthub "SELECT tthub.tthub_sync_all()" >/dev/null
    sim_config "{\"expire\": \"sim-open-$((RANDOM % S + 1))\"}"  # a 401: refresh, rotate
    [ "$refresh" = 1 ] && q "$PORT" tthub "SELECT tthub.tthub_enqueue_due()" >/dev/null
    if [ $((now - t0)) -lt "$T" ] && [ "$now" -ge "$next_kill" ]; then
      echo "kill $(date +%s%3N) 0" >>"$WORK/faults.txt"
      q "$PORT" tthub "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'" >/dev/null
      kills=$((kills + 1)); next_kill=$((now + 20 + RANDOM % 40))
    fi
    if [ "$now" -ge "$next_spike" ]; then
      sim_config '{"slow_next": 5, "slow_ms": 2500, "latency_ms": 300}'; spikes=$((spikes + 1)); next_spike=$((now + 15 + RANDOM % 20))
    elif [ $((now % 7)) = 0 ]; then
      sim_config '{"latency_ms": 0}'
    fi
    if [ -n "$admin_at" ] && [ "$now" -ge "$admin_at" ]; then
      echo "admin_lock $(date +%s%3N) 40000" >>"$WORK/faults.txt"
      cluster_psql "$PORT" tthub -c "BEGIN; LOCK TABLE tthub.video_daily IN SHARE MODE; SELECT pg_sleep(40); COMMIT;" >/dev/null 2>&1 &
      admin_pid=$!; admin_at=
    fi
    wpid=$(q "$PORT" tthub "SELECT pid FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'")
    if [ $((now - t0)) -lt "$T" ]; then
      [ $(( (now - t0) % 30 )) -lt 3 ] && [ -n "$wpid" ] && mem+=("$(( $(date +%s) - t0 ))s:$(awk '/RssAnon/ {print $2}' "/proc/$wpid/status" 2>/dev/null)")
    elif [ -n "$wpid" ]; then  # steady phase: every round, one process
      steady+=("$(( $(date +%s) - t0 - T ))s:$(awk '/RssAnon/ {print $2}' "/proc/$wpid/status" 2>/dev/null)")
      case " $steady_pids " in *" $wpid "*) ;; *) steady_pids="$steady_pids $wpid" ;; esac
    fi
    sleep 3
  done
  [ -n "$admin_pid" ] && wait "$admin_pid"
  # Faults off; the queue drains; one last clean round.
  sim_config '{"error_rate": 0, "latency_ms": 0, "rate_limit": 0, "slow_next": 0}'
  local waited=0
  while [ "$(q "$PORT" tthub "SELECT count(*) FROM tthub.sync_jobs WHERE state IN ('queued', 'running')")" != 0 ] && [ $waited -lt 300 ]; do
    sleep 2; waited=$((waited + 2))
  done
  local stats max_uses restarted crashes dead
  stats=$(sim_stats)
  max_uses=$(q "$PORT" tthub "SELECT (\$j\$$stats\$j\$::jsonb) ->> 'max_refresh_token_uses'")
  restarted=$([ "$(q "$PORT" tthub "SELECT pg_postmaster_start_time()")" = "$started" ] && echo no || echo YES)
  crashes=$(grep -cE "terminated by signal|server process .* was terminated|all server processes terminated" "$DIR/pg/server.log")
  dead=$(q "$PORT" tthub "SELECT count(*) FROM tthub.sync_jobs WHERE state = 'dead'")
  echo "| measure | value |"
  echo "|---|---|"
  echo "| worker terminations / latency spikes / admin lock of 40 s | $kills / $spikes / 1 |"
  echo "| requests (sim) / failed on purpose / answered 429 | $(q "$PORT" tthub "SELECT (SELECT sum(value::int) FROM jsonb_each_text((\$j\$$stats\$j\$::jsonb) -> 'requests')) || ' / ' || coalesce((SELECT sum(value::int) FROM jsonb_each_text((\$j\$$stats\$j\$::jsonb) -> 'failed')), 0) || ' / ' || coalesce((SELECT sum(value::int) FROM jsonb_each_text((\$j\$$stats\$j\$::jsonb) -> 'throttled')), 0)") |"
  echo "| refresh tokens presented / most times one was presented | $(grep -c '^refresh: ' "$DIR/sim/sim.log") / $max_uses |"
  echo "| accounts not CONNECTED at the end | $(q "$PORT" tthub "SELECT count(*) || coalesce(': ' || string_agg(DISTINCT status || ' (' || left(status_reason, 60) || ')', '; '), '') FROM tthub.store_accounts WHERE status <> 'CONNECTED'") |"
  echo "| server restarted | $restarted (crash lines in the log: $crashes) |"
  echo "| jobs dead at the end | $dead |"
  echo "| worker RssAnon kB, faulted phase (each termination restarts the worker) | ${mem[*]} |"
  echo "| worker RssAnon kB, steady phase (worker pids:$steady_pids) | ${steady[*]} |"
  if [ "$(q "$PORT" tthub "SELECT to_regclass('tthub.video_observations') IS NOT NULL")" = t ]; then
    soak_check "$TIMEOUT_MS"
  else
    echo "| observations served by the simulator (200 answers) | $(wc -l <"$WORK/served.jsonl"); not checked: this build has no tthub.video_observations (issue 19's database half) |"
  fi
  if [ -n "${SOAK_KEEP:-}" ]; then  # the evidence, for whoever diagnoses a miss
    mkdir -p "$SOAK_KEEP"
    cp "$WORK/served.jsonl" "$WORK/faults.txt" "$DIR/sim/sim.log" "$DIR/pg/server.log" "$SOAK_KEEP/" 2>/dev/null
    cluster_psql "$PORT" tthub -c "\\copy (SELECT * FROM tthub.sync_logs ORDER BY 1) TO '$SOAK_KEEP/sync_logs.csv' CSV HEADER" >/dev/null 2>&1
    cluster_psql "$PORT" tthub -c "\\copy (SELECT store_code, open_id, status, status_reason FROM tthub.store_accounts ORDER BY 1) TO '$SOAK_KEEP/accounts.csv' CSV HEADER" >/dev/null 2>&1
    cluster_psql "$PORT" tthub -c "\\copy (SELECT store_code, video_id, observed_at, view_count FROM tthub.video_observations) TO '$SOAK_KEEP/observations.csv' CSV HEADER" >/dev/null 2>&1
  fi
  itest_teardown
}

# Every observation the simulator served (a 200 answer: video id and view count, with
# the request that carried it, when it arrived and when its answer was ready) against
# tthub.video_observations. An observation is stored when a row of that video has the
# same view count and was observed between the answer and the arrival of the next
# request for the same account (one request of an account is on the wire at a time,
# so its answer is applied before the next is sent; a retry's rows come after it).
# What is not stored is split by its answer (one request):
#   - a fault explains it: none of the answer's observations is stored (tthub never
#     committed the answer), the request meets a recorded fault (a worker termination
#     at most 3 s after its answer was ready and not before it arrived; the admin's
#     lock, held when the answer was ready, whose writes time out so the answer is
#     fetched again; an answer slower than the worker's http timeout); then the retry
#     replaced it with newer
#     counters, unless a video of it was not observed again (deleted since, or the run
#     ended: shown apart);
#   - anything else is a loss: part of an answer stored (rows dropped inside one
#     write), or an answer dropped with no fault to explain it.
soak_check() {
  local timeout_ms=$1
  cluster_psql "$PORT" tthub -qAt -F ' | ' -v ON_ERROR_STOP=1 <<SQL
CREATE TEMP TABLE served_raw (j jsonb);
\copy served_raw FROM '$WORK/served.jsonl' WITH (FORMAT text)
CREATE TEMP TABLE faults (kind text, at_ms bigint, dur_ms bigint);
\copy faults FROM '$WORK/faults.txt' WITH (FORMAT text, DELIMITER ' ')
CREATE TEMP TABLE served AS
  SELECT (j->>'req')::bigint AS req, j->>'open_id' AS open_id, j->>'video_id' AS video_id,
         (j->>'view_count')::bigint AS views, (j->>'arrived_ms')::bigint AS arrived_ms,
         (j->>'answered_ms')::bigint AS answered_ms FROM served_raw;
-- Each answer, and when the next request for its account arrived: an account has one
-- request on the wire at a time, so its answer is applied before that.
CREATE TEMP TABLE answers AS
  SELECT req, open_id, arrived_ms, answered_ms,
         lead(arrived_ms) OVER (PARTITION BY open_id ORDER BY req) AS next_arrived_ms
    FROM (SELECT req, open_id, min(arrived_ms) AS arrived_ms, max(answered_ms) AS answered_ms
            FROM served GROUP BY req, open_id) r;
-- What was stored, indexed by video (the table's keys lead with store_code).
CREATE TEMP TABLE obs AS SELECT video_id, view_count, observed_at FROM tthub.video_observations;
CREATE INDEX ON obs (video_id, observed_at);
ANALYZE obs;
CREATE TEMP TABLE checked AS
  SELECT s.*,
         EXISTS (SELECT 1 FROM obs o
                  WHERE o.video_id = s.video_id AND o.view_count = s.views
                    AND o.observed_at BETWEEN to_timestamp(a.answered_ms / 1000.0)
                                          AND to_timestamp(coalesce(a.next_arrived_ms, 9e12) / 1000.0)) AS stored,
         EXISTS (SELECT 1 FROM obs o
                  WHERE o.video_id = s.video_id AND o.observed_at > to_timestamp(a.answered_ms / 1000.0)) AS seen_later
    FROM served s JOIN answers a USING (req, open_id);
CREATE TEMP TABLE per_answer AS
  SELECT req, min(arrived_ms) AS arrived_ms, max(answered_ms) AS answered_ms, count(*) AS n,
         count(*) FILTER (WHERE stored) AS stored, bool_and(stored OR seen_later) AS all_seen_later
    FROM checked GROUP BY req;
CREATE TEMP TABLE unstored AS
  SELECT a.*,
         CASE WHEN a.stored > 0 THEN 'loss: part of an answer stored'
              WHEN EXISTS (SELECT 1 FROM faults f WHERE f.kind = 'kill' AND f.at_ms >= a.arrived_ms - 500
                             AND f.at_ms <= a.answered_ms + 3000) THEN 'explained: worker terminated'
              WHEN EXISTS (SELECT 1 FROM faults f WHERE f.kind = 'admin_lock' AND a.answered_ms >= f.at_ms
                             AND a.arrived_ms <= f.at_ms + f.dur_ms + 3000) THEN 'explained: admin lock'
              WHEN a.answered_ms - a.arrived_ms >= $timeout_ms THEN 'explained: answer past the http timeout'
              ELSE 'loss: answer dropped, no fault recorded' END
         || CASE WHEN a.stored = 0 AND NOT a.all_seen_later THEN ', a video not observed again' ELSE '' END AS verdict
    FROM per_answer a WHERE a.stored < a.n;
SELECT '| observations served (in 200 answers) / stored', (SELECT count(*) FROM checked) || ' (' || (SELECT count(*) FROM per_answer) || ') / '
       || (SELECT count(*) FILTER (WHERE stored) FROM checked) || ' |';
SELECT '| not stored: ' || verdict, sum(n - stored) || ' observations in ' || count(*) || ' answers |'
  FROM unstored GROUP BY verdict ORDER BY verdict;
SELECT '| observations lost (not stored, no fault to explain it)', coalesce(sum(n - stored), 0) || ' |'
  FROM unstored WHERE verdict LIKE 'loss%';
SQL
}

case "${1:-all}" in
  api) bench_api ;;
  flaky) bench_flaky ;;
  idle) bench_idle ;;
  queue) bench_queue ;;
  db) bench_db ;;
  memory) bench_memory ;;
  views) bench_views ;;
  freshness) bash bench/freshness.sh all ;;
  freshness-db) bash bench/freshness_db.sh all ;;
  soak) bench_soak ;;
  all) bench_api; bench_flaky; bench_idle; bench_queue; bench_db; bench_memory; bench_views ;;
  *) echo "usage: bash bench/run.sh [api|flaky|idle|queue|db|memory|views|freshness|freshness-db|soak|all]"; exit 2 ;;
esac
