#!/usr/bin/env bash
# The error bridge's own pg_regress suite (test/bridge), through the test-only
# extension tthub_bridge_test that the runner builds and installs (build_all). Kept
# out of tthub's installcheck, which must pass on a server with tthub alone.
set -u
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/tap.sh

cluster_up bridge || exit 1

PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres make -s -C test/bridge installcheck >"$DIR/regress.out" 2>&1
tap_result "$?" "make -C test/bridge installcheck passes" \
  "$(cat "$DIR/regress.out"; head -n 60 test/bridge/regression.diffs 2>/dev/null)"
like "$(cat "$DIR/regress.out")" "test bridge +\.\.\. ok" "the bridge test ran"
tap_done
