#!/usr/bin/env bash
# test/run.sh itself, on fake suites (no build, no cluster: seconds): suites run side by
# side yet packaging.sh and demo.sh run with no other suite beside them; the
# per-suite and final counts are those of the suites' TAP; a failing suite, or one that
# exits non-zero without a failed test, fails the run; a skipped Citus suite says so
# and adds ", 1 skipped" to the last line, as do scripts TTHUB_TEST_EXCLUDE leaves
# out; TTHUB_TEST_JOBS=1 counts the same.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
R=$T/repo
mkdir -p "$R/test/lib" "$R/test/integration" "$R/test/citus" "$R/test/pgtap" "$R/build" "$T/bin"
cp test/run.sh "$R/test/run.sh"
echo 'install_deps() { :; }' >"$R/test/lib/install_deps.sh"
echo 'build_all() { :; }' >"$R/test/lib/build.sh"
cat >"$R/test/lib/cluster.sh" <<'SH'
free_port() { echo 1; }
cluster_init() { mkdir -p "$1"; echo k3y >"$1/token.key"; : >"$1/server.log"; }
cluster_start() { :; }
cluster_stop() { :; }
SH
printf '#!/bin/sh\necho "[  PASSED  ] 3 tests."\n' >"$R/build/tthub_unit_tests"
printf '#!/bin/sh\nexit 0\n' >"$T/bin/psql"
printf '#!/bin/sh\necho "ok 1 - a"; echo "ok 2 - b"\n' >"$T/bin/pg_prove"
printf '#!/bin/sh\necho "test one ... ok"; echo "test two ... ok"\n' >"$T/bin/make"
chmod 755 "$R/build/tthub_unit_tests" "$T/bin"/*
# Each fake integration script logs when it runs: NAME start|end EPOCH-NANOSECONDS.
suite() {  # suite NAME SECONDS EXIT TAP-LINES...
  local name=$1 secs=$2 rc=$3
  shift 3
  { echo "echo \"$name start \$(date +%s%N)\" >>'$T/times'"
    echo "sleep $secs"
    printf 'echo "%s"\n' "$@"
    echo "echo \"$name end \$(date +%s%N)\" >>'$T/times'"
    echo "exit $rc"; } >"$R/test/integration/$name.sh"
}
suite packaging 1 0 "ok 1 - p"
suite demo 1 0 "ok 1 - d"
suite a 2 0 "ok 1 - a1" "ok 2 - a2"
suite b 2 1 "ok 1 - b1" "not ok 2 - b2"
suite c 2 0 "ok 1 - c1"
suite d 2 0 "ok 1 - d1"
# The settings of the run this test is part of are not this test's.
run() { (cd "$R" && env -u TTHUB_TEST_EXCLUDE -u TTHUB_TEST_JOBS -u CI PATH="$T/bin:$PATH" "$@" bash test/run.sh 2>&1); }
most_at_once() {  # how many scripts ran at the same time, at most
  awk '{ print $3, ($2 == "start" ? 1 : -1) }' "$T/times" | sort -n -k1,1 -k2,2 |
    awk '{ n += $2; if (n > m) m = n } END { print m + 0 }'
}
overlaps() {  # overlaps A B: whether the two scripts ran at the same time
  awk -v a="$1" -v b="$2" '{ t[$1 " " $2] = $3 }
    END { exit !(t[a " start"] < t[b " end"] && t[b " start"] < t[a " end"]) }' "$T/times"
}

echo "# a failing suite, Citus skipped"
printf '#!/bin/sh\n[ "${1:-}" = --prepare ] && exit 2\necho "1..0 # SKIP no Citus for this PostgreSQL: get one"\n' >"$R/test/citus/run.sh"
out=$(run TTHUB_TEST_JOBS=3)
is "$?" "1" "a failed test fails the run"
is "$(printf '%s\n' "$out" | tail -n 1)" "15 passed, 1 failed, 1 skipped" \
   "the last line counts every suite's tests and the skipped suite"
like "$out" "== integration +7 passed, 1 failed" "the integration line adds up every script"
like "$out" "== citus +0 passed, 0 failed, 1 skipped" "the Citus suite is reported skipped"
like "$out" "skipped: no Citus for this PostgreSQL: get one" "with its reason"
like "$out" "not ok 2 - b2" "a failed test is shown"
for s in a b c d; do
  for x in packaging demo; do
    overlaps "$x" "$s" && tap_result 1 "$x.sh ran alone, but beside $s.sh" || tap_result 0 "$x.sh did not run beside $s.sh"
  done
done
is "$(most_at_once)" "3" "TTHUB_TEST_JOBS=3: three scripts ran side by side, never more"

echo "# one at a time, and a script that dies without a failed test"
: >"$T/times"
suite c 0 3 "ok 1 - c1"
printf '#!/bin/sh\n[ "${1:-}" = --prepare ] && exit 0\necho "ok 1 - citus"\n' >"$R/test/citus/run.sh"
out=$(run TTHUB_TEST_JOBS=1)
is "$?" "1" "the run fails"
is "$(printf '%s\n' "$out" | tail -n 1)" "16 passed, 2 failed" "no skipped suite: the last line is N passed, N failed"
like "$out" "c.sh exited 3" "the script that exited 3 counts as a failure and is named"
is "$(most_at_once)" "1" "TTHUB_TEST_JOBS=1 runs scripts one at a time"

echo "# all green"
suite b 0 0 "ok 1 - b1" "ok 2 - b2"
suite c 0 0 "ok 1 - c1"
: >"$T/times"
cat >"$R/test/citus/run.sh" <<SH
#!/bin/sh
if [ "\${1:-}" = --prepare ]; then sleep 5; echo "prepared \$(date +%s%N)" >>'$T/citus_times'; exit 0; fi
echo "suite \$(date +%s%N)" >>'$T/citus_times'
echo "ok 1 - citus"
SH
out=$(run)
is "$?" "0" "the run succeeds"
is "$(printf '%s\n' "$out" | tail -n 1)" "17 passed, 0 failed" "and says so"
prepared=$(awk '$1 == "prepared" { print $2 }' "$T/citus_times")
awk -v p="$prepared" '$1 != "packaging" && $1 != "demo" && $2 == "start" && $3 < p { found = 1 } END { exit !found }' "$T/times"
tap_result $? "integration scripts start while Citus is still being built"
awk -v p="$prepared" '$1 == "suite" && $2 > p { found = 1 } END { exit !found }' "$T/citus_times"
tap_result $? "and the Citus suite once it is built"
: >"$T/times"
out=$(run TTHUB_TEST_EXCLUDE="packaging.sh c.sh")
is "$(printf '%s\n' "$out" | tail -n 1)" "15 passed, 0 failed, 2 skipped" "TTHUB_TEST_EXCLUDE leaves scripts out, counted as skipped"
like "$out" "packaging.sh +skipped \(TTHUB_TEST_EXCLUDE\)" "and named"
is "$(grep -cE '^(packaging|c) ' "$T/times")" "0" "they did not run"
echo "# an interrupted run stops the suites it started"
cat >"$R/test/integration/long.sh" <<SH
trap 'kill \$!; echo "long stopped" >>"$T/times"' EXIT
echo "long start \$(date +%s%N)" >>"$T/times"
sleep 60 &
wait
SH
: >"$T/times"
(cd "$R" && exec env -u TTHUB_TEST_EXCLUDE -u TTHUB_TEST_JOBS -u CI PATH="$T/bin:$PATH" bash test/run.sh >/dev/null 2>&1) &
runner=$!
for _ in $(seq 1 100); do grep -q '^long start' "$T/times" && break; sleep 0.1; done
kill -TERM "$runner"
wait "$runner"
for _ in $(seq 1 50); do grep -q '^long stopped' "$T/times" && break; sleep 0.1; done
like "$(cat "$T/times")" "long stopped" "killing test/run.sh ends a suite it started, through the suite's own EXIT trap"
tap_done
