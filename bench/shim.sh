#!/usr/bin/env bash
# The OAuth shim under hostile and heavy load, against the shim as it was before
# (SHIM_BASELINE_REV) in the same run, on one cluster:
#   1. SHIM_HOLD connections held open by slow clients (a request line, then a header
#      line every 2 s, never finished; reopened whenever the shim closes one), while
#      /healthz is probed every 100 ms for SHIM_PROBE seconds, each probe on a new
#      connection. Target: every probe answered 200 in under 1 s.
#   2. SHIM_CLIENTS keep-alive clients requesting /healthz in a closed loop for
#      SHIM_SECONDS on loopback. Target: 0 errors, p99 under 50 ms.
# Environment (defaults in brackets): SHIM_HOLD [64] SHIM_PROBE [15] SHIM_CLIENTS [64]
# SHIM_SECONDS [30] SHIM_BASELINE_REV [936edf6, the last revision with cpp-httplib's
# own server; empty: no baseline].
set -uo pipefail
cd "$(dirname "$0")/.."
source test/lib/install_deps.sh
source test/lib/build.sh
source test/lib/itest.sh
source test/lib/shim.sh

HOLD=${SHIM_HOLD:-64} PROBE=${SHIM_PROBE:-15} CLIENTS=${SHIM_CLIENTS:-64} SECONDS_=${SHIM_SECONDS:-30}
BASELINE_REV=${SHIM_BASELINE_REV-936edf6}
LOAD=$PWD/build/shim_load

install_deps && build_all || exit 1
WORK=$(mktemp -d /tmp/tthub-bench.XXXXXX)
chmod 755 "$WORK"
export TTHUB_TEST_WORK=$WORK
cleanup() { shim_stop 2>/dev/null; itest_teardown 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

bins=("current=$PWD/build/tthub-oauth")
if [ -n "$BASELINE_REV" ]; then
  echo "building the baseline shim ($BASELINE_REV)"
  mkdir -p "$WORK/base"
  git archive "$BASELINE_REV" | tar -x -C "$WORK/base" &&
    cmake -S "$WORK/base" -B "$WORK/base/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
    cmake --build "$WORK/base/build" -j"$(nproc)" --target tthub-oauth >/dev/null || exit 1
  bins=("baseline ($BASELINE_REV)=$WORK/base/build/tthub-oauth" "${bins[@]}")
fi

# The benchmark measures capacity with every client on loopback, one address: the
# per-address limits (tested in test/integration/oauth.sh) would refuse most of it.
export TTHUB_MAX_CONNECTIONS_PER_CLIENT=1000000 TTHUB_HEALTHZ_RATE_PER_MINUTE=1000000

itest_setup shimbench "--accounts 1 --videos 1" >/dev/null || exit 1
trap cleanup EXIT
q "$PORT" tthub "ALTER ROLE tthub_oauth LOGIN" >/dev/null

# shim_stats PID: peak resident memory and threads of the shim.
shim_stats() { awk '/^VmHWM/ { m = $2 } /^Threads/ { t = $2 } END { printf "%d MB, %d threads", m / 1024, t }' "/proc/$1/status"; }

rows=()
for entry in "${bins[@]}"; do
  name=${entry%%=*} bin=${entry#*=}
  echo "== $name"
  SHIM_BIN=$bin shim_start "$DIR/shim-${name%% *}" "$PORT" || exit 1
  "$LOAD" "$SHIM_PORT" hold "$HOLD" $((PROBE + 4)) >"$DIR/hold.out" &
  holder=$!
  sleep 3
  probe=$("$LOAD" "$SHIM_PORT" probe "$PROBE" 100 /healthz)
  wait "$holder"
  echo "   $HOLD slow connections held: $(cat "$DIR/hold.out")"
  echo "   /healthz probes meanwhile:   $probe"
  load=$("$LOAD" "$SHIM_PORT" load "$CLIENTS" "$SECONDS_" /healthz)
  echo "   $CLIENTS clients, ${SECONDS_} s:          $load"
  stats=$(shim_stats "$SHIM_PID")
  shim_stop
  # requests N errors N slow N p50 X p99 X max X rps N
  f() { printf '%s' "$1" | awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
  rows+=("| $name | $(f "$probe" requests) | $(f "$probe" errors) | $(f "$probe" slow) | $(f "$probe" max) | $(f "$load" requests) | $(f "$load" errors) | $(f "$load" p50) | $(f "$load" p99) | $(f "$load" max) | $(f "$load" rps) | $stats |")
done

echo
echo "| shim | probes | errors | over 1 s | max ms | requests | errors | p50 ms | p99 ms | max ms | req/s | peak memory, threads |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo "(probes: /healthz every 100 ms for ${PROBE} s with $HOLD slow connections held; then $CLIENTS keep-alive clients for ${SECONDS_} s; a request unanswered after 5 s is an error)"
