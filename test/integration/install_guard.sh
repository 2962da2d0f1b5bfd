#!/usr/bin/env bash
# CREATE EXTENSION tthub on a server that did not preload it: a plain ERROR (55000)
# that says what to do, and the session goes on.
set -u
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/tap.sh

cluster_up install_guard "shared_preload_libraries = ''" || exit 1

out=$(psql -X -At -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v VERBOSITY=verbose 2>&1 <<'SQL'
CREATE EXTENSION tthub;
SELECT 'still here ' || count(*) FROM pg_extension WHERE extname = 'tthub';
SQL
)
like "$out" "ERROR:  55000: tthub must be loaded via shared_preload_libraries" "CREATE EXTENSION fails with SQLSTATE 55000 and says why"
like "$out" "HINT:  Add tthub to shared_preload_libraries" "the hint says what to change"
like "$out" "still here 0" "the session goes on, and nothing was created"
unlike "$out" "FATAL|server closed the connection" "no FATAL"
is "$(grep -c 'FATAL' "$DIR/server.log")" "0" "the server log has no FATAL"
tap_done
