#!/usr/bin/env bash
# README.md, followed as written, block by block, on a cluster set up like Debian's
# (peer authentication on the socket, passwords over TCP), with the simulator as TikTok.
#
#   ```sql  runs in the database "reports", as postgres, or as the role a
#           "<!-- readme.sh: as ROLE -->" line right before the block names (SET ROLE);
#   ```sh   runs as root, or as postgres after "<!-- readme.sh: as postgres -->";
#   ```     after "<!-- readme.sh: postgresql.conf -->" is appended to the server's
#           configuration, which then restarts;
#   any block after "<!-- readme.sh: skip, REASON -->" is skipped, and the reason shown.
# Other blocks (systemd drop-ins, a statement with bind parameters) are listed as not
# run. Paths under /etc/tthub become $DIR/etc/tthub; the server's port, socket and the
# simulator's URL are the only settings added to the README's.
set -u
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/sim.sh
source test/lib/tap.sh

DIR=${TTHUB_TEST_WORK:-$(mktemp -d)}/readme
mkdir -p "$DIR/etc" "$DIR/root" "$DIR/pg" "$DIR/home" && chmod 755 "$DIR" "$DIR/etc"
[ "$(id -u)" = 0 ] && chown postgres: "$DIR/pg" "$DIR/home"
sim_start "$DIR/sim" --accounts 2 --videos 25 --client-key YOUR-CLIENT-KEY --client-secret YOUR-CLIENT-SECRET || exit 1
PORT=$(free_port 56700)
trap 'cluster_stop "$DIR/pg"; sim_stop' EXIT
as_postgres "$PGBIN/initdb" -D "$DIR/pg/data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
  --no-instructions -E UTF8 --locale=C.UTF-8 >"$DIR/pg/initdb.log" 2>&1 || { cat "$DIR/pg/initdb.log"; exit 1; }
as_postgres sh -c "cat >> '$DIR/pg/data/postgresql.conf'" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR/pg'
log_line_prefix = '%m [%p] %q%a '
CONF
cluster_start "$DIR/pg" || exit 1

# psql as the postgres OS user over the socket (peer), as Debian's DBA does.
db_psql() { as_postgres "$PGBIN/psql" -X -h "$DIR/pg" -p "$PORT" "$@"; }
r() { db_psql -qAt -v ON_ERROR_STOP=1 -d reports -c "$1" 2>&1; }

# Split README.md into blocks: block_NN.body, and block_NN.meta = line, language, marker.
awk -v dir="$DIR" '
  inside && /^```$/ { inside = 0; close(body); next }
  inside { print > body; next }
  /^```/ {
    n++; base = sprintf("%s/block_%02d", dir, n); body = base ".body"; printf "" > body
    lang = substr($0, 4); marker = ""
    if (prev ~ /^<!-- readme\.sh: .* -->$/) { marker = prev; sub(/^<!-- readme\.sh: /, "", marker); sub(/ -->$/, "", marker) }
    printf "%d\t%s\t%s\n", NR, (lang == "" ? "-" : lang), (marker == "" ? "-" : marker) > (base ".meta")
    close(base ".meta"); inside = 1; next
  }
  { prev = $0 }
' README.md
chmod 644 "$DIR"/block_*
like "$(ls "$DIR"/block_*.meta | wc -l)" "^[1-9][0-9]*$" "README.md has code blocks"

run_sql() {  # run_sql ROLE FILE
  local set_role=()
  [ "$1" != postgres ] && set_role=(-c "SET ROLE $1")
  db_psql -q -v ON_ERROR_STOP=1 -d reports "${set_role[@]}" -f "$2" 2>&1 >/dev/null
}
run_sh() {  # run_sh USER FILE
  sed "s#/etc/tthub#$DIR/etc/tthub#g" "$2" >"$2.run" && chmod 644 "$2.run"
  if [ "$1" = postgres ]; then
    (cd "$DIR/home" && as_postgres env PGHOST="$DIR/pg" PGPORT="$PORT" bash -e -o pipefail "$2.run" 2>&1)
  else
    (cd "$DIR/root" && bash -e -o pipefail "$2.run" 2>&1)
  fi
}
apply_conf() {  # apply_conf LINE FILE: the README's lines, then this test's, and a restart
  { echo "# README.md line $1"; sed "s#/etc/tthub#$DIR/etc/tthub#g" "$2"
    echo "# readme.sh: TikTok is the simulator"
    echo "tthub.api_base_url = 'http://127.0.0.1:$SIM_PORT'"; } |
    as_postgres sh -c "cat >> '$DIR/pg/data/postgresql.conf'"
  cluster_stop "$DIR/pg" && cluster_start "$DIR/pg" 2>&1
}

probe_scheduled=no
for meta in "$DIR"/block_*.meta; do
  base=${meta%.meta}
  IFS=$'\t' read -r line lang marker <"$meta"
  first=$(grep -m1 -vE '^\s*(--|#|$)' "$base.body" | cut -c1-60)
  case "$marker" in
    skip,*) echo "# skipped: README line $line: ${marker#skip, }"; continue ;;
  esac
  who=""
  case "$lang" in
    sql)
      role=postgres; [[ $marker == "as "* ]] && role=${marker#as }
      who=" as $role"; out=$(run_sql "$role" "$base.body"); rc=$? ;;
    sh)
      user=root; [ "$marker" = "as postgres" ] && user=postgres
      who=" as $user"; out=$(run_sh "$user" "$base.body"); rc=$? ;;
    -)
      if [ "$marker" != postgresql.conf ]; then echo "# not run: README line $line, a plain block: $first"; continue; fi
      who=" (postgresql.conf, then a restart)"; out=$(apply_conf "$line" "$base.body"); rc=$? ;;
    *)
      echo "# not run: README line $line, a $lang block: $first"; continue ;;
  esac
  tap_result "$rc" "README line $line runs$who: $first" "$out"
  # pg_cron schedules by the minute: a job that runs every minute, scheduled as soon as
  # pg_cron exists, shows by the end whether the README's pg_cron can run jobs at all.
  if [ "$probe_scheduled" = no ] && [ "$(r "SELECT to_regnamespace('cron') IS NOT NULL")" = t ]; then
    r "SELECT cron.schedule('readme-probe', '* * * * *', 'SELECT 1')" >/dev/null && probe_scheduled=yes
  fi
done

echo "# the README's steps did what it says"
is "$(r "SHOW cron.use_background_workers")" "on" "pg_cron runs its jobs in background workers"
ran=""
for _ in $(seq 1 75); do
  ran=$(r "SELECT string_agg(DISTINCT status, ',') FROM cron.job_run_details d JOIN cron.job j USING (jobid)
            WHERE j.jobname = 'readme-probe' AND d.status IN ('succeeded', 'failed')")
  [ -n "$ran" ] && break
  sleep 1
done
is "$ran" "succeeded" "with Debian's authentication, a pg_cron job runs (peer on the socket, passwords over TCP)"
r "SELECT cron.unschedule('readme-probe')" >/dev/null
is "$(r "SELECT string_agg(jobname, ',' ORDER BY jobname) FROM cron.job")" "tthub-daily-sync,tthub-prune-snapshots,tthub-refresh" "the three pg_cron jobs exist (the daily run, pruning, the refresh)"
is "$(r "SELECT current_setting('tthub.token_key_file') = '$DIR/etc/tthub/token.key' AND tthub.tthub_decrypt_token(tthub.tthub_encrypt_token('x')) = 'x'")" "t" \
   "the key made as the README says is loaded"
is "$(r "SELECT pg_has_role('metabase', 'tthub_reader', 'MEMBER') AND pg_has_role('alice', 'tthub_admin', 'MEMBER')")" "t" "the BI and admin roles are granted"
is "$(r "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'tthub_oauth'")" "t" "the shim's role can log in"
is "$(r "SELECT store_code || ' ' || pic_contact || ' ' || (disabled_at IS NULL) FROM tthub.stores")" "jkt-01 +62 811 000 000 true" \
   "the store was added, updated, disabled and enabled"
is "$(r "SELECT status FROM tthub.store_accounts")" "DISABLED" "and its imported account disconnected"
copy() { db_psql -qAt -v ON_ERROR_STOP=1 -d reports_copy -c "$1" 2>&1; }
is "$(copy "SELECT extversion || ' ' || (SELECT count(*) FROM tthub.stores) || ' ' || (to_regnamespace('cron') IS NULL)
            FROM pg_extension WHERE extname = 'tthub'")" "0.5 1 true" "the restore made a copy with tthub's data and without pg_cron"
is "$(r "SELECT n_tup_ins || ' issued, ' || n_tup_del || ' withdrawn, ' || (SELECT count(*) FROM tthub.oauth_invites) || ' left'
           FROM pg_stat_user_tables WHERE relid = 'tthub.oauth_invites'::regclass")" "2 issued, 2 withdrawn, 0 left" \
   "two connect links were issued, then withdrawn"
tap_done
