#!/usr/bin/env bash
# `make installcheck` as a DBA runs it: against a plain server that preloads tthub
# and pg_cron and has nothing else of tthub's (no token key, no tthub.* setting, no
# test-only extension used). It must pass on its own; the test that needs a key
# says it skipped. Then the same server gets a key, and that test runs in full.
set -u
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/tap.sh

DIR=${TTHUB_TEST_WORK:-$(mktemp -d)}/installcheck
PORT=$(free_port 56800)
mkdir -p "$DIR" && chmod 755 "$DIR"
[ "$(id -u)" = 0 ] && chown postgres: "$DIR"
as_postgres "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth=trust --no-instructions -E UTF8 \
  --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log"; exit 1; }
as_postgres sh -c "cat >> '$DIR/data/postgresql.conf'" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
shared_preload_libraries = 'pg_cron,tthub'
CONF
trap 'cluster_stop "$DIR"' EXIT
cluster_start "$DIR" || exit 1

# installcheck OUT: runs the standard target; the summary goes to OUT.
installcheck() {
  PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres make -s installcheck >"$1" 2>&1
}
regress_tests=$(ls sql/*.sql | wc -l)

echo "# a server with tthub preloaded, no key"
is "$(psql -X -qAt -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c "SHOW tthub.token_key_file")" "" \
   "the server has no token key file"
installcheck "$DIR/nokey.out"
tap_result "$?" "make installcheck passes" "$(cat "$DIR/nokey.out"; head -n 40 regression.diffs 2>/dev/null)"
is "$(grep -cE '\.\.\. ok' "$DIR/nokey.out")" "$regress_tests" "every one of the $regress_tests regression tests ran and passed"
like "$(cat results/tokens.out)" "^SKIPPED: this server has no token key" "the key-dependent test says it skipped"
like "$(cat results/tokens.out)" "^55000$" "and that encryption is refused with 55000"
unlike "$(cat sql/*.sql)" "CREATE EXTENSION tthub_bridge_test" "no regression test needs the test-only extension"

echo "# the same server with a key"
as_postgres sh -c "umask 077; openssl rand -hex 32 > '$DIR/token.key'"
as_postgres sh -c "echo \"tthub.token_key_file = '$DIR/token.key'\" >> '$DIR/data/postgresql.conf'"
cluster_stop "$DIR" && cluster_start "$DIR" || exit 1
installcheck "$DIR/key.out"
tap_result "$?" "make installcheck passes" "$(cat "$DIR/key.out"; head -n 40 regression.diffs 2>/dev/null)"
unlike "$(cat results/tokens.out)" "^SKIPPED" "the key-dependent test runs in full"
like "$(cat results/tokens.out)" "act.example" "and decrypts what it encrypted"
tap_done
