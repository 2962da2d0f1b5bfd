#!/usr/bin/env bash
# tthub on a Citus cluster: finds Citus or builds it once (cached, see build_citus.sh),
# then runs suite.sh (TAP) against a coordinator and two workers on loopback.
# test/run.sh runs it as its own suite; alone, after building and installing tthub
# (make && make install, cmake --build build):
#   bash test/citus/run.sh
# Citus comes from the pinned build (cached, or built from ../shared/vendor/citus-13.0.5.tar.gz,
# sha256 checked; CITUS_TARBALL names another copy, CITUS_CACHE_ROOT another cache,
# default /var/cache/tthub), else from a Citus installed in pg_config's PostgreSQL. With
# none, the suite is skipped ("1..0 # SKIP" and how to get one), and fails under CI=true.
#   bash test/citus/run.sh --discover   prints where Citus would come from, and stops
#   bash test/citus/run.sh --prepare    only installs it (exit 0), or exits 2 (none) or 1
set -u
cd "$(dirname "$0")/../.."
source test/citus/build_citus.sh

if [ "${1:-}" = --discover ]; then
  citus_find
  echo "$CITUS_FROM"
  exit 0
fi

citus_install
rc=$?
[ "${1:-}" = --prepare ] && exit "$rc"
if [ "$rc" = 2 ]; then
  if [ "${CI:-}" = true ]; then
    echo "not ok 1 - a Citus to test on (CI=true: the Citus suite must run): $CITUS_HOW_TO"
    echo "1..1"
    exit 1
  fi
  echo "1..0 # SKIP no Citus for this PostgreSQL: $CITUS_HOW_TO"
  exit 0
fi
if [ "$rc" != 0 ]; then
  echo "not ok 1 - Citus builds and installs from $(basename "$CITUS_TARBALL")"
  echo "1..1"
  exit 1
fi
exec bash test/citus/suite.sh
