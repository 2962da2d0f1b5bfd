#!/usr/bin/env bash
# For DBAs: the upgrade path 0.1 -> 0.2 on a filled database, and a pg_dump /
# pg_restore round trip that keeps stores, encrypted tokens, snapshots and logs.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh

itest_setup dba "--accounts 2 --videos 25" || exit 1
# A database of its own, without pg_cron (which lives only in cron.database_name).
q "$PORT" postgres "CREATE DATABASE shop" >/dev/null
s() { q "$PORT" shop "$1"; }

echo "# the upgrade path"
s "CREATE EXTENSION tthub VERSION '0.1'" >/dev/null
is "$(s "SELECT extversion FROM pg_extension WHERE extname = 'tthub'")" "0.1" "version 0.1 installs"
is "$(s "SELECT to_regclass('tthub.store_summary') IS NULL")" "t" "0.1 has no reporting views"
s "INSERT INTO tthub.stores (store_code, store_name) VALUES ('old-1', 'Old One'), ('old-2', 'Old Two');
   SELECT tthub.tthub_import_account('old-1', 'sim-open-1', 'act.sim-open-1.1', 'rft.sim-open-1.1', 86400, 15552000,
                                     'user.info.basic,user.info.stats,video.list')" >/dev/null
is "$(s "SELECT status FROM tthub.tthub_sync_now('old-1')")" "done" "0.1 syncs"
before=$(s "SELECT (SELECT count(*) FROM tthub.video_daily) || '/' || (SELECT count(*) FROM tthub.user_daily) || '/' ||
                   (SELECT count(*) FROM tthub.sync_logs) || '/' || (SELECT count(*) FROM tthub.sync_jobs)")
is "$before" "25/1/1/1" "0.1 has the synced data"
s "ALTER EXTENSION tthub UPDATE" >/dev/null
is "$(s "SELECT extversion FROM pg_extension WHERE extname = 'tthub'")" "0.3" "ALTER EXTENSION tthub UPDATE reaches 0.3"
is "$(s "SELECT (SELECT count(*) FROM tthub.video_daily) || '/' || (SELECT count(*) FROM tthub.user_daily) || '/' ||
               (SELECT count(*) FROM tthub.sync_logs) || '/' || (SELECT count(*) FROM tthub.sync_jobs)")" "$before" \
   "every row is still there"
is "$(s "SELECT count(*) FILTER (WHERE disabled_at IS NULL) FROM tthub.stores")" "2" "existing stores are active (new column)"
is "$(s "SELECT store_code || ' ' || followers || ' ' || accounts_connected FROM tthub.store_summary WHERE store_code = 'old-1'")" \
   "old-1 1010 1" "the new views read the old data"
is "$(s "SELECT tthub.tthub_decrypt_token(access_token_enc, tthub.token_context(store_code, open_id, 'access_token')) FROM tthub.store_accounts")" \
   "act.sim-open-1.1" "tokens decrypt after the upgrade"
sim_config '{"day": 2}'
is "$(s "SELECT status || ' ' || videos_written FROM tthub.tthub_sync_now('old-1')")" "done 25" "syncing works after the upgrade"
is "$(s "SELECT count(*) || ' ' || max(follower_count) || ' ' || coalesce(max(follower_change)::text, 'none') FROM tthub.account_daily WHERE store_code = 'old-1'")" \
   "1 1020 none" "re-syncing the same day updates its row (day 2's 1020 followers), with no previous day to compare"
s "SELECT tthub.tthub_disable_store('old-2')" >/dev/null
is "$(s "SELECT count(*) FROM tthub.stores WHERE disabled_at IS NOT NULL")" "1" "0.2's store management works"

echo "# pg_dump and pg_restore"
s "INSERT INTO tthub.user_daily (store_code, open_id, snapshot_date, follower_count)
   VALUES ('old-1', 'sim-open-1', tthub.snapshot_today() - 1, 900)" >/dev/null
pg_dump -Fc -h 127.0.0.1 -p "$PORT" -U postgres -d shop -f "$DIR/shop.dump" 2>"$DIR/dump.err"
is "$?" "0" "pg_dump succeeds"
q "$PORT" postgres "CREATE DATABASE shop_restored" >/dev/null
pg_restore -h 127.0.0.1 -p "$PORT" -U postgres -d shop_restored "$DIR/shop.dump" 2>"$DIR/restore.err"
is "$?" "0" "pg_restore succeeds without errors"
[ -s "$DIR/restore.err" ] && sed 's/^/# /' "$DIR/restore.err" | head -5
digest() {  # digest DB TABLE: the table's content, in a stable order
  q "$PORT" "$1" "SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM tthub.$2 t"
}
for t in stores store_accounts user_daily video_daily sync_logs sync_jobs sync_ledger; do
  is "$(digest shop_restored "$t")" "$(digest shop "$t")" "tthub.$t comes back identical"
done
r() { q "$PORT" shop_restored "$1"; }
is "$(r "SELECT extversion FROM pg_extension WHERE extname = 'tthub'")" "0.3" "the restored database runs tthub 0.3"
is "$(r "SELECT tthub.tthub_decrypt_token(refresh_token_enc, tthub.token_context(store_code, open_id, 'refresh_token')) FROM tthub.store_accounts")" \
   "rft.sim-open-1.1" "the restored ciphertext decrypts (same key)"
is "$(r "INSERT INTO tthub.sync_logs (store_code, job_type, status) VALUES ('old-1', 'check', 'SUCCESS') RETURNING log_id > (SELECT max(log_id) FROM tthub.sync_logs WHERE job_type <> 'check')")" \
   "t" "sequences continue after the restored rows"
is "$(r "SELECT follower_change FROM tthub.account_daily WHERE store_code = 'old-1' AND snapshot_date = tthub.snapshot_today()")" \
   "120" "the views work on the restored data"
is "$(r "SELECT has_table_privilege('tthub_reader', 'tthub.video_daily', 'SELECT')::text || has_column_privilege('tthub_reader', 'tthub.store_accounts', 'access_token_enc', 'SELECT')::text")" \
   "truefalse" "privileges are restored with the extension"
tap_done
