#!/usr/bin/env bash
# tthub's test command (README): installs what it needs, builds, starts throwaway
# clusters, runs every suite, and ends with one line "N passed, N failed" (", N
# skipped" is added when a suite was skipped: the Citus suite where there is no Citus).
# Run as root on Debian 12:   bash test/run.sh
#
# Suites that share no cluster and no port run side by side, TTHUB_TEST_JOBS at a time
# (default 3; 1 runs them one by one): every integration script starts a cluster, a
# simulator and ports of its own, the Citus suite its three nodes, and pg_regress and
# pgTAP share the main cluster in one job. packaging.sh and demo.sh install into
# PostgreSQL's own directories (dpkg, make install), so they run first, with nothing
# beside them but the Citus build (which adds only Citus's files there, and holds one
# place until its suite can start). Each suite's output goes to a file of its own and
# is summarised when the suite ends; a suite that exits non-zero without a failed test
# counts as one failure, as before. TTHUB_TEST_EXCLUDE="a.sh b.sh" leaves integration
# scripts out (reported as skipped).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source test/lib/install_deps.sh
source test/lib/build.sh
source test/lib/cluster.sh

JOBS=${TTHUB_TEST_JOBS:-3}
# Integration scripts left out of this run (e.g. "packaging.sh" on a shared machine):
# reported as skipped, never silently.
EXCLUDE=" ${TTHUB_TEST_EXCLUDE:-} "
# Installing into PostgreSQL's directories: nothing else may start a server meanwhile.
EXCLUSIVE="packaging.sh demo.sh"
T0=$(date +%s)

PASSED=0
FAILED=0
SKIPPED=0
declare -A G_PASS=() G_FAIL=() G_SKIP=()
add() {  # add GROUP PASSED FAILED [SKIPPED]: a suite's counts, recorded at the end
  G_PASS[$1]=$(( ${G_PASS[$1]:-0} + $2 ))
  G_FAIL[$1]=$(( ${G_FAIL[$1]:-0} + $3 ))
  G_SKIP[$1]=$(( ${G_SKIP[$1]:-0} + ${4:-0} ))
}
record() {  # record GROUP: prints its line and adds it to the totals
  local p=${G_PASS[$1]:-0} f=${G_FAIL[$1]:-0} s=${G_SKIP[$1]:-0}
  if [ "$s" != 0 ]; then
    printf '== %-12s %d passed, %d failed, %d skipped\n' "$1" "$p" "$f" "$s"
  else
    printf '== %-12s %d passed, %d failed\n' "$1" "$p" "$f"
  fi
  PASSED=$((PASSED + p))
  FAILED=$((FAILED + f))
  SKIPPED=$((SKIPPED + s))
}
totals() {
  if [ "$SKIPPED" != 0 ]; then echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"; else echo "$PASSED passed, $FAILED failed"; fi
}

install_deps || { echo "0 passed, 1 failed"; exit 1; }
echo "== building"
build_all || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

WORK=$(mktemp -d /tmp/tthub-test.XXXXXX)
chmod 755 "$WORK"
export TTHUB_TEST_WORK=$WORK
OUT=$WORK/out
mkdir -p "$OUT"
declare -A JOB_NAME=() JOB_START=()
cleanup() {  # on any way out; jobs still running (an interrupted run) are stopped first
  local pid f
  # The suite a job runs, so that its own EXIT trap stops its cluster and simulator.
  for pid in "${!JOB_NAME[@]}"; do pkill -TERM -P "$pid" 2>/dev/null; done
  wait 2>/dev/null
  while read -r f; do cluster_stop "$(dirname "$(dirname "$f")")"; done \
    < <(find "$WORK" -path '*/data/postmaster.pid' 2>/dev/null)
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- jobs: a suite in the background, its output in $OUT/NAME.log, its exit status in
# $OUT/NAME.rc (written when it ends: bash's own `wait -n` misses jobs that ended before
# it is called) -------------------------------------------------------------------------
start() {  # start NAME COMMAND...
  local name=$1
  shift
  ( "$@" >"$OUT/$name.log" 2>&1; echo $? >"$OUT/$name.rc" ) &
  JOB_NAME[$!]=$name
  JOB_START[$name]=$(date +%s)
}
# finish [PID]: waits for that job (or the first to end), then summarises it with
# report_NAME, or report_tap for an integration script.
finish() {
  local pid= p name rc
  while [ -z "$pid" ]; do
    for p in "${!JOB_NAME[@]}"; do
      [ -n "${1:-}" ] && [ "$p" != "$1" ] && continue
      if [ -s "$OUT/${JOB_NAME[$p]}.rc" ] || ! kill -0 "$p" 2>/dev/null; then pid=$p; break; fi
    done
    [ -n "$pid" ] || sleep 0.5
  done
  name=${JOB_NAME[$pid]}
  unset "JOB_NAME[$pid]"
  wait "$pid" 2>/dev/null
  rc=$(cat "$OUT/$name.rc" 2>/dev/null)
  [ -n "$rc" ] || { rc=1; echo "not ok - $name ended without an exit status (killed?)"; }
  if declare -F "report_$name" >/dev/null; then "report_$name" "$rc"; else report_tap "$name" "$rc"; fi
}
took() { echo "$(( $(date +%s) - ${JOB_START[$1]} )) s"; }

# report_tap NAME RC: an integration script's TAP output.
report_tap() {
  local name=$1 rc=$2 out=$OUT/$1.log p f
  grep -E '^(not ok|#   |# waited)' "$out" || true
  p=$(grep -cE '^ok [0-9]+' "$out")
  f=$(grep -cE '^not ok [0-9]+' "$out")
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; echo "not ok - test/integration/$name exited $rc"; tail -n 20 "$out"; fi
  printf '   %-40s %d passed, %d failed (%s)\n' "$name" "$p" "$f" "$(took "$name")"
  add integration "$p" "$f"
}

# --- GoogleTest units ---------------------------------------------------------
echo "== unit (GoogleTest)"
build/tthub_unit_tests --gtest_brief=1 >"$WORK/unit.out" 2>&1
unit_rc=$?
tail -n 40 "$WORK/unit.out" | grep -E "FAILED|PASSED|Failure" || true
u_pass=$(grep -oE '^\[  PASSED  \] [0-9]+' "$WORK/unit.out" | grep -oE '[0-9]+$' || echo 0)
u_fail=$(grep -oE '^\[  FAILED  \] [0-9]+ test' "$WORK/unit.out" | grep -oE '[0-9]+' || echo 0)
[ "$unit_rc" != 0 ] && [ "${u_fail:-0}" = 0 ] && u_fail=1
add unit "${u_pass:-0}" "${u_fail:-0}"

# --- first: what installs into PostgreSQL's directories, one at a time; beside it,
# Citus is found or built (it only adds Citus's own files there) --------------------
echo "== integration (installing into PostgreSQL, one at a time) and the Citus build"
start citus_prepare bash test/citus/run.sh --prepare
QUEUE=()
# When Citus is there (or known to be missing), its suite is the next to start; when
# its build failed, that failure is the suite's result (running it would rebuild).
report_citus_prepare() {
  if [ "$1" = 1 ]; then
    JOB_START[citus]=${JOB_START[citus_prepare]}
    cp "$OUT/citus_prepare.log" "$OUT/citus.log"
    echo "not ok 1 - Citus is found or built (test/citus/run.sh --prepare, above)" >>"$OUT/citus.log"
    report_citus 1
  else
    QUEUE=("citus:bash test/citus/run.sh" ${QUEUE[@]+"${QUEUE[@]}"})
  fi
}
excluded() {  # excluded SCRIPT: reports it skipped when TTHUB_TEST_EXCLUDE names it
  [[ "$EXCLUDE" == *" $1 "* ]] || return 1
  printf '   %-40s skipped (TTHUB_TEST_EXCLUDE)\n' "$1"
  add integration 0 0 1
}
for s in $EXCLUSIVE; do
  excluded "$s" && continue
  start "$s" bash "test/integration/$s"
  finish "$!"
done

# --- the shared cluster: pg_regress, then pgTAP ---------------------------------------
PORT=$(free_port 55432)
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres
MAIN=$WORK/main
cluster_init "$MAIN" "$PORT" && cluster_start "$MAIN" ||
  { echo "cannot start the test cluster"; add main 0 1; for g in unit integration main; do record "$g"; done; totals; exit 1; }
psql -X -q -d postgres -c "CREATE DATABASE tthub" && psql -X -q -d tthub -c "CREATE EXTENSION pg_cron"

main_suites() {
  # pg_regress writes its results beside sql/ unless told otherwise, and
  # integration/installcheck.sh runs it there at the same time.
  make -s installcheck EXTRA_REGRESS_OPTS="--outputdir=$WORK/regress" >"$WORK/regress.out" 2>&1
  echo $? >"$WORK/regress.rc"
  psql -X -q -d postgres -c "CREATE DATABASE tthub_tap" &&
    psql -X -q -d tthub_tap -c "CREATE EXTENSION pgtap; CREATE EXTENSION tthub"
  pg_prove --verbose -d tthub_tap --set "tthub_key=$(cat "$MAIN/token.key")" \
    test/pgtap/*.sql >"$WORK/pgtap.out" 2>&1
  echo $? >"$WORK/pgtap.rc"
}
report_main() {
  local regress_rc pgtap_rc r_pass r_fail t_pass t_fail
  regress_rc=$(cat "$WORK/regress.rc" 2>/dev/null || echo 1)
  pgtap_rc=$(cat "$WORK/pgtap.rc" 2>/dev/null || echo 1)
  echo "== regress (pg_regress) ($(took main) with pgTAP)"
  grep -E '^(ok|not ok|test )|\.\.\. (ok|FAILED)' "$WORK/regress.out" || true
  r_pass=$(grep -cE '\.\.\. ok' "$WORK/regress.out")
  r_fail=$(grep -cE '\.\.\. FAILED' "$WORK/regress.out")
  if [ "$r_fail" != 0 ]; then head -n 80 "$WORK/regress/regression.diffs" 2>/dev/null; fi
  [ "$regress_rc" != 0 ] && [ "$r_fail" = 0 ] && { r_fail=1; tail -n 20 "$WORK/regress.out"; }
  add regress "$r_pass" "$r_fail"
  echo "== pgtap (pg_prove)"
  grep -E '^\s*not ok|^Result|Failed' "$WORK/pgtap.out" || true
  t_pass=$(grep -cE '^\s*ok [0-9]+' "$WORK/pgtap.out")
  t_fail=$(grep -cE '^\s*not ok [0-9]+' "$WORK/pgtap.out")
  [ "$pgtap_rc" != 0 ] && [ "$t_fail" = 0 ] && { t_fail=1; tail -n 20 "$WORK/pgtap.out"; }
  add pgtap "$t_pass" "$t_fail"
}

# --- Citus: a coordinator and two workers ---------------------------------------------
report_citus() {
  local rc=$1 out=$OUT/citus.log p f s=0
  echo "== citus ($(took citus))"
  grep -E '^(not ok|#   |# waited|== )' "$out" || true
  p=$(grep -cE '^ok [0-9]+' "$out")
  f=$(grep -cE '^not ok [0-9]+' "$out")
  if grep -qE '^1\.\.0 # SKIP' "$out"; then
    s=1
    sed -nE 's/^1\.\.0 # SKIP (.*)/   skipped: \1/p' "$out"
  fi
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; tail -n 20 "$out"; fi
  add citus "$p" "$f" "$s"
}

# --- then everything else, side by side (the Citus build, if still running, holds one
# place): the main cluster's job first, then the integration scripts, the largest
# first (the longest, roughly), so that the places empty together -----------------------
QUEUE+=("main:main_suites")
while read -r _ s; do
  [[ " $EXCLUSIVE " == *" $s "* ]] || excluded "$s" || QUEUE+=("$s:bash test/integration/$s")
done < <(cd test/integration && wc -c -- *.sh | grep -v ' total$' | sort -rn)
echo "== integration and the rest, $JOBS at a time"
while [ ${#QUEUE[@]} -gt 0 ] || [ ${#JOB_NAME[@]} -gt 0 ]; do
  if [ ${#QUEUE[@]} -gt 0 ] && [ ${#JOB_NAME[@]} -lt "$JOBS" ]; then
    job=${QUEUE[0]}
    QUEUE=("${QUEUE[@]:1}")
    # shellcheck disable=SC2086
    start "${job%%:*}" ${job#*:}
  else
    finish
  fi
done

# Last: nothing any suite did may have put the key into the server log.
if grep -qF "$(cat "$MAIN/token.key")" "$MAIN/server.log"; then
  echo "not ok - the token key appears in the server log"
  add secrets 0 1
else
  add secrets 1 0
fi

for g in unit regress pgtap integration citus secrets; do record "$g"; done
echo "== took $(( $(date +%s) - T0 )) s"
totals
[ "$FAILED" = 0 ]
