#!/usr/bin/env bash
# Every ```sql block of README.md, in order, on a cluster set up as the README says
# (database "reports", pg_cron and the worker there), with the simulator as TikTok.
set -u
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/sim.sh
source test/lib/tap.sh

DIR=${TTHUB_TEST_WORK:-$(mktemp -d)}/readme
mkdir -p "$DIR" && chmod 755 "$DIR"
sim_start "$DIR/sim" --accounts 2 --videos 25 || exit 1
PORT=$(free_port 56700)
cluster_init "$DIR/pg" "$PORT" "cron.database_name = 'reports'" "tthub.database = 'reports'" \
  "tthub.api_base_url = 'http://127.0.0.1:$SIM_PORT'" || exit 1
trap 'cluster_stop "$DIR/pg"; sim_stop' EXIT
cluster_start "$DIR/pg" || exit 1
q "$PORT" postgres "CREATE DATABASE reports" >/dev/null

# Split the README into its sql blocks: block_N.sql, with the line each starts on.
awk -v dir="$DIR" '
  /^```sql$/ { n++; file = sprintf("%s/block_%02d.sql", dir, n); print NR > (file ".line"); inside = 1; next }
  /^```/ && inside { inside = 0; close(file); next }
  inside { print > file }
' README.md
blocks=$(ls "$DIR"/block_*.sql | wc -l)
like "$blocks" "^[0-9]+$" "README.md has $blocks sql blocks"
for f in "$DIR"/block_*.sql; do
  line=$(cat "$f.line")
  first=$(grep -m1 -vE '^\s*(--|$)' "$f" | cut -c1-60)
  out=$(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d reports -f "$f" 2>&1 >/dev/null)
  rc=$?
  tap_result "$rc" "README line $line runs: $first" "$out"
done

echo "# the README's steps did what it says"
r() { q "$PORT" reports "$1"; }
is "$(r "SELECT string_agg(jobname, ',' ORDER BY jobname) FROM cron.job")" "tthub-daily-sync,tthub-prune-snapshots" "the two pg_cron jobs exist"
is "$(r "SELECT pg_has_role('metabase', 'tthub_reader', 'MEMBER') AND pg_has_role('alice', 'tthub_admin', 'MEMBER')")" "t" "the BI and admin roles are granted"
is "$(r "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'tthub_oauth'")" "t" "the shim's role can log in"
is "$(r "SELECT store_code || ' ' || pic_contact || ' ' || (disabled_at IS NULL) FROM tthub.stores")" "jkt-01 +62 811 000 000 true" \
   "the store was added, updated, disabled and enabled"
is "$(r "SELECT status FROM tthub.store_accounts")" "DISABLED" "and its imported account disconnected"
is "$(r "SELECT n_tup_ins || ' issued, ' || n_tup_del || ' withdrawn, ' || (SELECT count(*) FROM tthub.oauth_invites) || ' left'
           FROM pg_stat_user_tables WHERE relid = 'tthub.oauth_invites'::regclass")" "2 issued, 2 withdrawn, 0 left" \
   "two connect links were issued, then withdrawn"
tap_done
