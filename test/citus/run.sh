#!/usr/bin/env bash
# tthub on a Citus cluster: builds Citus from the vendored source once (cached, see
# build_citus.sh), then runs suite.sh (TAP) against a coordinator and two workers on
# loopback. test/run.sh runs it as its own suite; alone, after building and
# installing tthub (make && make install, cmake --build build):
#   bash test/citus/run.sh
# The source is ../shared/vendor/citus-13.0.5.tar.gz beside the repository (sha256
# checked); CITUS_TARBALL names another copy, CITUS_CACHE_ROOT another cache
# (default /var/cache/tthub).
set -u
cd "$(dirname "$0")/../.."
source test/citus/build_citus.sh

if ! citus_install; then
  echo "not ok 1 - Citus builds and installs from $(basename "$CITUS_TARBALL")"
  echo "1..1"
  exit 1
fi
exec bash test/citus/suite.sh
