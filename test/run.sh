#!/usr/bin/env bash
# tthub's test command (README): installs what it needs, builds, starts a throwaway
# cluster, runs every suite, and ends with one line "N passed, N failed".
# Run as root on Debian 12:   bash test/run.sh
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source test/lib/install_deps.sh
source test/lib/build.sh
source test/lib/cluster.sh

PASSED=0
FAILED=0
record() {  # record SUITE PASSED FAILED
  printf '== %-12s %d passed, %d failed\n' "$1" "$2" "$3"
  PASSED=$((PASSED + $2))
  FAILED=$((FAILED + $3))
}

install_deps || { echo "0 passed, 1 failed"; exit 1; }
echo "== building"
build_all || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

WORK=$(mktemp -d /tmp/tthub-test.XXXXXX)
chmod 755 "$WORK"
export TTHUB_TEST_WORK=$WORK
cleanup() {
  for d in "$WORK"/*/; do [ -d "$d/data" ] && cluster_stop "$d"; done
  [ -n "${SIM_PID:-}" ] && kill "$SIM_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- GoogleTest units ---------------------------------------------------------
echo "== unit (GoogleTest)"
build/tthub_unit_tests --gtest_brief=1 >"$WORK/unit.out" 2>&1
unit_rc=$?
tail -n 40 "$WORK/unit.out" | grep -E "FAILED|PASSED|Failure" || true
u_pass=$(grep -oE '^\[  PASSED  \] [0-9]+' "$WORK/unit.out" | grep -oE '[0-9]+$' || echo 0)
u_fail=$(grep -oE '^\[  FAILED  \] [0-9]+ test' "$WORK/unit.out" | grep -oE '[0-9]+' || echo 0)
[ "$unit_rc" != 0 ] && [ "${u_fail:-0}" = 0 ] && u_fail=1
record unit "${u_pass:-0}" "${u_fail:-0}"

# --- the shared cluster ---------------------------------------------------------
PORT=$(free_port 55432)
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres
MAIN=$WORK/main
cluster_init "$MAIN" "$PORT" && cluster_start "$MAIN" ||
  { echo "cannot start the test cluster"; echo "$PASSED passed, $((FAILED + 1)) failed"; exit 1; }
psql -X -q -d postgres -c "CREATE DATABASE tthub" && psql -X -q -d tthub -c "CREATE EXTENSION pg_cron"

# --- pg_regress ---------------------------------------------------------------
echo "== regress (pg_regress)"
make -s installcheck >"$WORK/regress.out" 2>&1
regress_rc=$?
grep -E '^(ok|not ok|test )|\.\.\. (ok|FAILED)' "$WORK/regress.out" || true
r_pass=$(grep -cE '\.\.\. ok' "$WORK/regress.out")
r_fail=$(grep -cE '\.\.\. FAILED' "$WORK/regress.out")
if [ "$r_fail" != 0 ]; then cat regression.diffs 2>/dev/null | head -n 80; fi
[ "$regress_rc" != 0 ] && [ "$r_fail" = 0 ] && r_fail=1
record regress "$r_pass" "$r_fail"

# --- pgTAP --------------------------------------------------------------------
echo "== pgtap (pg_prove)"
psql -X -q -d postgres -c "CREATE DATABASE tthub_tap" &&
  psql -X -q -d tthub_tap -c "CREATE EXTENSION pgtap; CREATE EXTENSION tthub"
pg_prove --verbose -d tthub_tap --set "tthub_key=$(cat "$MAIN/token.key")" \
  test/pgtap/*.sql >"$WORK/pgtap.out" 2>&1
pgtap_rc=$?
grep -E '^\s*not ok|^Result|Failed' "$WORK/pgtap.out" || true
t_pass=$(grep -cE '^\s*ok [0-9]+' "$WORK/pgtap.out")
t_fail=$(grep -cE '^\s*not ok [0-9]+' "$WORK/pgtap.out")
[ "$pgtap_rc" != 0 ] && [ "$t_fail" = 0 ] && { t_fail=1; tail -n 20 "$WORK/pgtap.out"; }
record pgtap "$t_pass" "$t_fail"

# --- integration (real cluster(s), simulator, worker, pg_cron) ----------------
echo "== integration"
i_pass=0
i_fail=0
for t in test/integration/*.sh; do
  out=$WORK/$(basename "$t" .sh).tap
  TTHUB_MAIN_DIR=$MAIN bash "$t" >"$out" 2>&1
  rc=$?
  grep -E '^(not ok|#   |# waited)' "$out" || true
  p=$(grep -cE '^ok [0-9]+' "$out")
  f=$(grep -cE '^not ok [0-9]+' "$out")
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; echo "not ok - $t exited $rc"; tail -n 20 "$out"; fi
  printf '   %-40s %d passed, %d failed\n' "$(basename "$t")" "$p" "$f"
  i_pass=$((i_pass + p))
  i_fail=$((i_fail + f))
done
record integration "$i_pass" "$i_fail"

# --- Citus: a coordinator and two workers (builds Citus once, then cached) -----
echo "== citus"
bash test/citus/run.sh >"$WORK/citus.tap" 2>&1
citus_rc=$?
grep -E '^(not ok|#   |# waited|== )' "$WORK/citus.tap" || true
c_pass=$(grep -cE '^ok [0-9]+' "$WORK/citus.tap")
c_fail=$(grep -cE '^not ok [0-9]+' "$WORK/citus.tap")
if [ "$citus_rc" != 0 ] && [ "$c_fail" = 0 ]; then c_fail=1; tail -n 20 "$WORK/citus.tap"; fi
record citus "$c_pass" "$c_fail"

# Last: nothing any suite did may have put the key into the server log.
if grep -qF "$(cat "$MAIN/token.key")" "$MAIN/server.log"; then
  echo "not ok - the token key appears in the server log"
  record secrets 0 1
else
  record secrets 1 0
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
