#!/usr/bin/env bash
# Freshness benchmark, engine level (issue 19): the refresh planner, discovery and
# video/query (src/core) driven by bench/freshness_drive.cpp against the simulator in
# live mode with compressed time, against today's full daily sync measured in the same
# run. No database: the worker's part is played in memory (the database-level figures
# come from bench/run.sh soak once the worker runs the planner).
#   bash bench/freshness.sh            all cases
#   bash bench/freshness.sh full|a|b|c one case (a and b run "full" first: their baseline)
# Sizes (environment): FR_STORES [100] FR_VIDEOS [1000] FR_SPEED [1440 simulated s per s]
#   FR_POST_PER_DAY [0.2] FR_DELETE_PER_DAY [0.02] FR_HISTORY_DAYS [1825]
#   FR_DAYS_FULL [3] FR_DAYS_A [3] FR_DAYS_B [8] FR_C_STORES [10000] FR_C_VIDEOS [20]
set -uo pipefail
cd "$(dirname "$0")/.."
source test/lib/sim.sh

S=${FR_STORES:-100} V=${FR_VIDEOS:-1000} SPEED=${FR_SPEED:-1440}
POST=${FR_POST_PER_DAY:-0.2} DEL=${FR_DELETE_PER_DAY:-0.02} HIST=${FR_HISTORY_DAYS:-1825}
WORK=$(mktemp -d /tmp/tthub-freshness.XXXXXX)
trap 'sim_stop; rm -rf "$WORK"' EXIT
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build build -j2 --target tiktok_sim freshness_drive >/dev/null || exit 1

calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
# jget FILE KEY.PATH: one number from the driver's JSON (no jq on a bare Debian: sed).
jget() { grep -oE "\"$2\":[-0-9.e+]+" "$1" | head -1 | sed 's/.*://'; }
# jtier FILE TIER KEY
jtier() { grep -oE "\"$2\":\{[^}]*\}" "$1" | grep -oE "\"$3\":[-0-9.e+]+" | head -1 | sed 's/.*://'; }

# drive NAME STORES VIDEOS DAYS MODE RPM [sim rate limit] [gaps]: one run on a new simulator.
drive() {
  local name=$1 stores=$2 videos=$3 days=$4 mode=$5 rpm=$6 limit=${7:-0} gaps=${8:-1}
  sim_start "$WORK/$name" --accounts "$stores" --videos "$videos" --live 1 --speed "$SPEED" \
    --history-days "$HIST" --post-per-day "$POST" --delete-per-day "$DEL" || exit 1
  [ "$limit" != 0 ] && sim_config "{\"rate_limit\": $limit}"
  build/freshness_drive --sim "http://127.0.0.1:$SIM_PORT" --stores "$stores" --mode "$mode" --sim-days "$days" \
    --warmup-days 0 --list-rpm "$rpm" --query-rpm "$rpm" --user-rpm "$rpm" --gaps "$gaps" >"$WORK/$name.json"
  sim_stop
}

gap_table() {  # gap_table FILE
  local f=$1
  echo "| tier | gaps | p50 s | p95 s | p99 s | max s | target s | over target | over 7 d |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for t in fresh young old; do
    echo "| $t | $(jtier "$f" "$t" gaps) | $(jtier "$f" "$t" p50_s) | $(jtier "$f" "$t" p95_s) | $(jtier "$f" "$t" p99_s) | $(jtier "$f" "$t" max_s) | $(jtier "$f" "$t" target_s) | $(jtier "$f" "$t" over_target) | $(jtier "$f" "$t" over_old_max) |"
  done
  echo "discovery latency (posted -> first observation): p50 $(jtier "$f" discovery_latency p50_s) s, p95 $(jtier "$f" discovery_latency p95_s) s, max $(jtier "$f" discovery_latency max_s) s over $(jtier "$f" discovery_latency videos) videos"
}

FULL_PER_DAY=
case_full() {
  echo "### today's full daily sync: $S stores x $V videos, ${FR_DAYS_FULL:-3} simulated days at ${SPEED}x"
  drive full "$S" "$V" "${FR_DAYS_FULL:-3}" full 1000000
  FULL_PER_DAY=$(jtier "$WORK/full.json" calls_per_day total)
  echo "calls per simulated day: $FULL_PER_DAY (video/list $(jtier "$WORK/full.json" calls_per_day list), user/info $(jtier "$WORK/full.json" calls_per_day user_info))"
  gap_table "$WORK/full.json"
}

case_a() {
  [ -n "$FULL_PER_DAY" ] || case_full
  echo "### (a) a budget large enough for everything: $S x $V, ${FR_DAYS_A:-3} simulated days"
  drive a "$S" "$V" "${FR_DAYS_A:-3}" tiered 100000
  local f=$WORK/a.json total fresh
  total=$(jtier "$f" calls_per_day total)
  fresh=$(calc "$(jtier "$f" fresh_calls_per_day query_with_fresh) + $(jtier "$f" fresh_calls_per_day discovery) + $(jtier "$f" fresh_calls_per_day user_info_fresh)" 1)
  echo "| measure | per simulated day |"
  echo "|---|---|"
  echo "| today's full sync (baseline, same run) | $FULL_PER_DAY |"
  echo "| tiered, all endpoints | $total (list $(jtier "$f" calls_per_day list), query $(jtier "$f" calls_per_day query), user/info $(jtier "$f" calls_per_day user_info)) |"
  echo "| of which the fresh tier's: hourly discovery (list, or user/info standing in), query calls carrying a fresh video, hourly user/info of stores with one | $fresh |"
  echo "| bound: full sync + fresh tier | $(calc "$FULL_PER_DAY + $fresh" 1) |"
  echo "| tiered / bound | $(calc "$total / ($FULL_PER_DAY + $fresh)" 3) |"
  gap_table "$f"
}

case_b() {
  [ -n "$FULL_PER_DAY" ] || case_full
  # One fifth of today's daily sync per simulated day, on each endpoint (TikTok's limit
  # is per endpoint), as calls per real minute; the simulator enforces the same.
  local rpm
  rpm=$(calc "$FULL_PER_DAY / 5 * $SPEED / 1440" 0)
  echo "### (b) a budget of one fifth of today's full sync: $rpm calls/min per endpoint ($(calc "$FULL_PER_DAY / 5" 0) per simulated day), $S x $V, ${FR_DAYS_B:-8} simulated days"
  drive b "$S" "$V" "${FR_DAYS_B:-8}" tiered "$rpm" "$rpm"
  local f=$WORK/b.json
  echo "| measure | value |"
  echo "|---|---|"
  echo "| calls per simulated day | $(jtier "$f" calls_per_day total) (list $(jtier "$f" calls_per_day list), query $(jtier "$f" calls_per_day query), user/info $(jtier "$f" calls_per_day user_info)) |"
  echo "| budget used while work was due (list / query / user/info) | $(jtier "$f" budget_use_while_due list) / $(jtier "$f" budget_use_while_due query) / $(jtier "$f" budget_use_while_due user_info) |"
  echo "| requests answered 429 | $(jget "$f" sim_429) of $(jget "$f" sim_requests) ($(calc "100 * $(jget "$f" sim_429) / $(jget "$f" sim_requests)" 2) %) |"
  gap_table "$f"
}

case_c() {
  local small=$(( ${FR_C_STORES:-10000} / 10 )) large=${FR_C_STORES:-10000} cv=${FR_C_VIDEOS:-20}
  echo "### (c) the planner's own cost: $small and $large stores x $cv videos, 1 simulated day, 600 calls/min per endpoint"
  drive c1 "$small" "$cv" 1 tiered 600 0 0
  drive c2 "$large" "$cv" 1 tiered 600 0 0
  echo "| stores | plans | due videos planned over | planner CPU s | µs per due video | steps per due video |"
  echo "|---|---|---|---|---|---|"
  for n in c1 c2; do
    local f=$WORK/$n.json
    echo "| $(jget "$f" stores) | $(jtier "$f" planner plans) | $(jtier "$f" planner due_videos) | $(jtier "$f" planner cpu_s) | $(jtier "$f" planner us_per_due_video) | $(jtier "$f" planner steps_per_due_video) |"
  done
  echo "ratio (10x stores) of µs per due video: $(calc "$(jtier "$WORK/c2.json" planner us_per_due_video) / $(jtier "$WORK/c1.json" planner us_per_due_video)" 2), of steps per due video: $(calc "$(jtier "$WORK/c2.json" planner steps_per_due_video) / $(jtier "$WORK/c1.json" planner steps_per_due_video)" 2)"
}

case "${1:-all}" in
  full) case_full ;;
  a) case_a ;;
  b) case_b ;;
  c) case_c ;;
  all) case_full; case_a; case_b; case_c ;;
  *) echo "usage: bash bench/freshness.sh [full|a|b|c|all]"; exit 2 ;;
esac
