#!/usr/bin/env bash
# tthub on a Citus cluster (a coordinator and two workers, all on this machine) beside
# tthub on one PostgreSQL, in one run, with the same simulator and the same data:
#   1. a sync of CB_STORES stores x CB_VIDEOS videos by the worker (enqueue to an empty queue),
#      no latency and no rate limit: the database side of a sync;
#   2. the 90-day single-store analyst queries on CB_VIEW_STORES stores x CB_VIEW_VIDEOS
#      videos x CB_VIEW_DAYS days of generated snapshots (best of 5, client-side, all rows
#      fetched).
# Each figure is reported with its ratio Citus / one node.
#   bash bench/citus.sh        (as root on Debian 12, like the tests; builds Citus once)
# Sizes [defaults]: CB_STORES [100] CB_VIDEOS [200] CB_VIEW_STORES [50] CB_VIEW_VIDEOS [200]
#                   CB_VIEW_DAYS [120] CB_SHARDS [32]
set -uo pipefail
cd "$(dirname "$0")/.."
source test/lib/install_deps.sh
source test/lib/build.sh
source test/lib/itest.sh
source test/citus/build_citus.sh
source test/citus/cluster.sh

S=${CB_STORES:-100} V=${CB_VIDEOS:-200}
VS=${CB_VIEW_STORES:-50} VV=${CB_VIEW_VIDEOS:-200} VD=${CB_VIEW_DAYS:-120} SHARDS=${CB_SHARDS:-32}

install_deps && build_all && citus_install || exit 1
WORK=$(mktemp -d /tmp/tthub-bench-citus.XXXXXX)
chmod 755 "$WORK"
export TTHUB_TEST_WORK=$WORK
trap 'citus_cluster_down 2>/dev/null; itest_teardown 2>/dev/null; rm -rf "$WORK"' EXIT

now_s() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }

# The same stores and accounts on either setup: store bNNNN <- simulator account NNNN.
add_stores() {
  q "$PORT" tthub "INSERT INTO tthub.stores (store_code, store_name)
                   SELECT 'b' || lpad(i::text, 4, '0'), 'bench ' || i FROM generate_series(1, $S) i;
                   SELECT count(tthub.tthub_import_account('b' || lpad(i::text, 4, '0'), 'sim-open-' || i,
                            'act.sim-open-' || i || '.1', 'rft.sim-open-' || i || '.1', 86400, 15552000,
                            'user.info.basic,user.info.stats,video.list'))
                     FROM generate_series(1, $S) i" >/dev/null
}

sync_seconds() {  # enqueue every store, wait for an empty queue
  local t0
  t0=$(now_s)
  q "$PORT" tthub "SELECT tthub.tthub_sync_all()" >/dev/null
  while [ "$(q "$PORT" tthub "SELECT count(*) FROM tthub.sync_jobs WHERE state IN ('queued', 'running')")" != 0 ]; do sleep 0.2; done
  calc "$(now_s) - $t0" 2
}

# Snapshots of stores vNNNN for the analyst queries (the shape of bench/run.sh views).
generate_history() {
  q "$PORT" tthub "INSERT INTO tthub.stores (store_code, store_name)
                   SELECT 'v' || lpad(s::text, 4, '0'), 'store ' || s FROM generate_series(1, $VS) s;
                   INSERT INTO tthub.user_daily (store_code, open_id, snapshot_date, follower_count, following_count, likes_count, video_count)
                   SELECT 'v' || lpad(s::text, 4, '0'), 'o' || s, tthub.snapshot_today() - d, 100000 - d * 50 + s, 100, 500000 - d * 100, $VV
                     FROM generate_series(1, $VS) s, generate_series(1, $VD) d;
                   INSERT INTO tthub.video_daily (store_code, video_id, snapshot_date, open_id, title, view_count, like_count, comment_count, share_count)
                   SELECT 'v' || lpad(s::text, 4, '0'), s || '-' || v, tthub.snapshot_today() - d, 'o' || s, 'video ' || v,
                          (v * 1000 + ($VD - d) * (v % 50 + 1) * 10), (v * 50 + ($VD - d)), v + ($VD - d) / 10, v / 2
                     FROM generate_series(1, $VS) s, generate_series(1, $VV) v, generate_series(1, $VD) d" >/dev/null
  q "$PORT" tthub "ANALYZE tthub.video_daily; ANALYZE tthub.user_daily" >/dev/null
}

STORE="v$(printf '%04d' $((VS / 2)))"
NAMES=("raw video_daily, one store, 90 days"
       "video_daily_delta, one store, 90 days"
       "account_daily, one store, 90 days"
       "store_summary, one store")
QUERIES=("SELECT * FROM tthub.video_daily WHERE store_code = '$STORE' AND snapshot_date > tthub.snapshot_today() - 90"
         "SELECT * FROM tthub.video_daily_delta WHERE store_code = '$STORE' AND snapshot_date > tthub.snapshot_today() - 90"
         "SELECT * FROM tthub.account_daily WHERE store_code = '$STORE' AND snapshot_date > tthub.snapshot_today() - 90"
         "SELECT * FROM tthub.store_summary WHERE store_code = '$STORE'")

best_ms() {  # best of 5 client-side timings of a query, all rows fetched
  { echo '\timing on'; echo '\o /dev/null'; for _ in 1 2 3 4 5; do echo "$1;"; done; } |
    psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d tthub 2>&1 |
    grep -oE '^Time: [0-9.]+' | grep -oE '[0-9.]+$' | sort -n | head -n 1
}

declare -A RESULT
measure() {  # measure SETUP
  local setup=$1 i
  add_stores
  RESULT[$setup,sync]=$(sync_seconds)
  RESULT[$setup,rows]=$(q "$PORT" tthub "SELECT count(*) FROM tthub.video_daily")
  generate_history
  for i in "${!QUERIES[@]}"; do
    RESULT[$setup,q$i]=$(best_ms "${QUERIES[$i]}")
    RESULT[$setup,n$i]=$(q "$PORT" tthub "SELECT count(*) FROM (${QUERIES[$i]}) x")
  done
  RESULT[$setup,plan]=$(q "$PORT" tthub "EXPLAIN ${QUERIES[0]}" | grep -E 'Task Count|Custom Scan' | tr -s ' ' | paste -sd ';' -)
}

echo "## one node: PostgreSQL 15 + tthub"
NO_LIMIT="tthub.requests_per_minute = 1000000"
itest_setup single "--accounts $S --videos $V" "$NO_LIMIT" >/dev/null || exit 1
measure single
itest_teardown
trap 'citus_cluster_down 2>/dev/null; rm -rf "$WORK"' EXIT

echo "## Citus: a coordinator and 2 workers, $SHARDS shards"
citus_cluster_up citus 2 "--accounts $S --videos $V" "$NO_LIMIT" >/dev/null || exit 1
q "$PORT" tthub "CREATE EXTENSION tthub" >/dev/null
wait_for_worker
q "$PORT" tthub "SELECT tthub.tthub_distribute($SHARDS)" >/dev/null || exit 1
measure citus
echo "plan of the raw 90-day query on Citus: ${RESULT[citus,plan]}"
citus_cluster_down

echo
echo "$S stores x $V videos synced; analyst queries on store $STORE of $VS stores x $VV videos x $VD days"
echo "| measure | rows | one node | Citus (3 nodes) | Citus / one node |"
echo "|---|---|---|---|---|"
echo "| sync of $S stores, enqueue to empty queue (s) | ${RESULT[single,rows]} / ${RESULT[citus,rows]} | ${RESULT[single,sync]} | ${RESULT[citus,sync]} | $(calc "${RESULT[citus,sync]} / ${RESULT[single,sync]}" 2) |"
for i in "${!QUERIES[@]}"; do
  echo "| ${NAMES[$i]} (ms, best of 5) | ${RESULT[single,n$i]} | ${RESULT[single,q$i]} | ${RESULT[citus,q$i]} | $(calc "${RESULT[citus,q$i]} / ${RESULT[single,q$i]}" 2) |"
done
