#!/usr/bin/env bash
# Tokens handed to tthub_import_account stay out of the server log when the call
# fails, with log_min_error_statement = error (PostgreSQL's default): passed as
# literals in psql, and passed as bind parameters the way the README tells
# applications to.
set -u
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/tap.sh

cluster_up token_logging "log_min_error_statement = error" || exit 1
q "$PORT" postgres "CREATE DATABASE tthub" >/dev/null
q "$PORT" tthub "CREATE EXTENSION tthub; CREATE ROLE importer LOGIN IN ROLE tthub_admin;
                 INSERT INTO tthub.stores (store_code, store_name) VALUES ('s1', 'One')" >/dev/null
PQ="$PWD/build/pq_params"
CONN="host=127.0.0.1 port=$PORT dbname=tthub user=importer"
in_log() { grep -cF "$1" "$DIR/server.log"; }

# Control: the log does record a failing statement's text, literals included.
q "$PORT" tthub "SELECT 1 / 0, 'canary-3b9f'" >/dev/null
is "$(in_log "canary-3b9f")" "1" "a failing statement is logged with its literals (the threat is real)"

echo "# a failing import with the tokens as literals"
out=$(psql -X -qAt -h 127.0.0.1 -p "$PORT" -U importer -d tthub -c \
  "SELECT tthub.tthub_import_account('no-such-store', 'open-1', 'act.literal-7f3a', 'rft.literal-9c1d', 3600, 86400, 'video.list')" 2>&1)
like "$out" "store \"no-such-store\" does not exist" "the import fails (no such store)"
like "$(grep -c 'ERROR:  store "no-such-store" does not exist' "$DIR/server.log")" "^[1-9]" "the failure is in the server log"
is "$(in_log "act.literal-7f3a")$(in_log "rft.literal-9c1d")" "00" "neither token is in the server log"

echo "# a failing connection with the invite as a literal"
out=$(psql -X -qAt -h 127.0.0.1 -p "$PORT" -U importer -d tthub -c \
  "SELECT tthub.tthub_oauth_begin('invite-literal-5e7c', 'http://127.0.0.1/cb')" 2>&1)
like "$out" "invalid invite" "tthub_oauth_begin refuses the unknown invite"
is "$(in_log "invite-literal-5e7c")" "0" "the invite is not in the server log"

echo "# a failing import with the tokens as bind parameters"
out=$("$PQ" "$CONN" "SELECT tthub.tthub_import_account(\$1, \$2, \$3, \$4, \$5, \$6, \$7)" \
        "s1" "open-2" "act.bound-51e2" "rft.bound-0d4b" "-5" "86400" "video.list")
like "$out" "^ERROR 22023" "the import fails (negative expires_in)"
is "$(in_log "act.bound-51e2")$(in_log "rft.bound-0d4b")" "00" "neither token is in the server log"

echo "# a successful import as bind parameters"
"$PQ" "$CONN" "SELECT tthub.tthub_import_account(\$1, \$2, \$3, \$4, \$5, \$6, \$7)" \
  "s1" "open-3" "act.ok-8e21" "rft.ok-44a0" "3600" "86400" "video.list" >/dev/null
is "$(q "$PORT" tthub "SELECT status FROM tthub.store_accounts WHERE open_id = 'open-3'")" "CONNECTED" "the account is stored"
is "$(in_log "act.ok-8e21")$(in_log "rft.ok-44a0")" "00" "no token in the server log"
# The threshold is raised for the import's own call only.
q "$PORT" tthub "SELECT 1 / 0, 'canary-after-import'" >/dev/null
is "$(in_log "canary-after-import")" "1" "statements after it are logged as before"
tap_done
