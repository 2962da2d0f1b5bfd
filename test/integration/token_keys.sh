#!/usr/bin/env bash
# Token keys across server restarts: rotation with a previous key, a wrong key, a
# missing, malformed or too-open key file, no key from the environment, and no leaks.
set -u
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/tap.sh

DIR=${TTHUB_TEST_WORK:-$(mktemp -d)}/keys
PORT=$(free_port 56432)
cluster_init "$DIR" "$PORT" || exit 1
conf() { as_postgres sh -c "printf '%s\n' \"\$1\" >> '$DIR/data/postgresql.conf'" _ "$1"; }
newkey() { as_postgres sh -c "umask 077; openssl rand -hex 32 > '$DIR/$1'"; }
restart() { cluster_stop "$DIR"; cluster_start "$DIR"; }
trap 'cluster_stop "$DIR"' EXIT

cluster_start "$DIR" || exit 1
q "$PORT" postgres "CREATE DATABASE tthub" >/dev/null
q "$PORT" tthub "CREATE EXTENSION tthub" >/dev/null
DEC="SELECT string_agg(tthub.tthub_decrypt_token(access_token_enc, tthub.token_context(store_code, open_id, 'access_token'))
       || '/' || tthub.tthub_decrypt_token(refresh_token_enc, tthub.token_context(store_code, open_id, 'refresh_token')), ',' ORDER BY open_id)
       FROM tthub.store_accounts"
q "$PORT" tthub "INSERT INTO tthub.stores VALUES ('k1', 'keys');
  INSERT INTO tthub.store_accounts (store_code, open_id, access_token_enc, refresh_token_enc)
  SELECT 'k1', o, tthub.tthub_encrypt_token('act.' || o, tthub.token_context('k1', o, 'access_token')),
                  tthub.tthub_encrypt_token('rft.' || o, tthub.token_context('k1', o, 'refresh_token'))
    FROM unnest(ARRAY['o1', 'o2']) o" >/dev/null
is "$(q "$PORT" tthub "$DEC")" "act.o1/rft.o1,act.o2/rft.o2" "tokens decrypt under key A"

# New key B with A as previous: old tokens still decrypt; rotation rewrites all four.
as_postgres mv "$DIR/token.key" "$DIR/key_a"
newkey key_b
conf "tthub.token_key_file = '$DIR/key_b'"
conf "tthub.token_key_previous_file = '$DIR/key_a'"
restart
is "$(q "$PORT" tthub "$DEC")" "act.o1/rft.o1,act.o2/rft.o2" "previous key A decrypts after switching to key B"
is "$(q "$PORT" tthub "SELECT tthub.tthub_rotate_token_key()")" "4" "rotation rewrites all four tokens"
is "$(q "$PORT" tthub "SELECT tthub.tthub_rotate_token_key()")" "0" "a second rotation rewrites none"
is "$(q "$PORT" tthub "SELECT bool_and(tthub._token_key_is_current(access_token_enc) AND tthub._token_key_is_current(refresh_token_enc)) FROM tthub.store_accounts")" \
   "t" "every token is under key B"

# Without the previous key, rotated tokens still decrypt.
conf "tthub.token_key_previous_file = ''"
restart
is "$(q "$PORT" tthub "$DEC")" "act.o1/rft.o1,act.o2/rft.o2" "rotated tokens decrypt with key B alone"

# A wrong key: a clear TH001, never garbage.
newkey key_c
conf "tthub.token_key_file = '$DIR/key_c'"
restart
is "$(sqlstate "$PORT" tthub "$DEC")" "TH001" "a wrong key fails with TH001"
like "$(q "$PORT" tthub "$DEC")" "token ciphertext failed authentication" "and says the ciphertext failed authentication"

# No key at all: a warning at start, 55000 on use.
conf "tthub.token_key_file = ''"
restart
like "$(cat "$DIR/server.log")" "WARNING: +tthub: token encryption key not loaded" "a missing key is a warning at start"
is "$(sqlstate "$PORT" tthub "SELECT tthub.tthub_encrypt_token('x')")" "55000" "encrypting without a key fails with 55000"
like "$(q "$PORT" tthub "SELECT tthub.tthub_encrypt_token('x')")" "token encryption key is not configured" "and says the key is not configured"

# A malformed key file and a world-readable one are refused.
as_postgres sh -c "umask 077; echo 'not-a-key' > '$DIR/key_bad'"
conf "tthub.token_key_file = '$DIR/key_bad'"
restart
like "$(q "$PORT" tthub "SELECT tthub.tthub_encrypt_token('x')")" "exactly 64 hexadecimal" "a malformed key is refused with the reason"
as_postgres chmod 0644 "$DIR/key_b"
conf "tthub.token_key_file = '$DIR/key_b'"
restart
like "$(q "$PORT" tthub "SELECT tthub.tthub_encrypt_token('x')")" "group or world access" "a world-readable key file is refused"
as_postgres chmod 0600 "$DIR/key_b"

# Keys come from files only. A key in the environment would stay readable in
# /proc/<pid>/environ of every server process, so the old variable is refused, loudly.
conf "tthub.token_key_file = ''"
cluster_stop "$DIR"
as_postgres env TTHUB_TOKEN_KEY="$(cat "$DIR/key_b")" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w start >/dev/null
like "$(q "$PORT" tthub "$DEC" 2>&1)" "not configured" "TTHUB_TOKEN_KEY in the environment is not used as a key"
like "$(grep -F 'TTHUB_TOKEN_KEY is no longer read' "$DIR/server.log" | head -n 1)" "WARNING" \
     "the server log says the variable is no longer read and how to use a file instead"
conf "tthub.token_key_file = '$DIR/key_b'"
cluster_stop "$DIR"
cluster_start "$DIR"
is "$(q "$PORT" tthub "$DEC")" "act.o1/rft.o1,act.o2/rft.o2" "the key from the file decrypts"
# Every server process (postmaster, backends, the tthub worker, pg_cron): no key in its
# environment, whichever key files were configured.
found=0 procs=0
pm=$(head -n 1 "$DIR/data/postmaster.pid")
for pid in "$pm" $(pgrep -P "$pm"); do
  [ -r "/proc/$pid/environ" ] || continue
  procs=$((procs + 1))
  for k in key_a key_b key_c; do
    tr '\0' '\n' <"/proc/$pid/environ" | grep -qF "$(cat "$DIR/$k")" && found=$((found + 1))
  done
done
like "$procs" "^([5-9]|[1-9][0-9]+)$" "every server process was inspected (postmaster, worker, helpers: $procs)"
is "$found" "0" "no key is readable in /proc/<pid>/environ of any server process"

leaks=0
for k in key_a key_b key_c; do grep -qF "$(cat "$DIR/$k")" "$DIR/server.log" && leaks=$((leaks + 1)); done
is "$leaks" "0" "no key appears in the server log"
tap_done
