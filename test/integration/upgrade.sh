#!/usr/bin/env bash
# A database carried across versions and servers: the upgrade path 0.1 -> current on a
# filled database, a fresh install of the current version with the same catalog as
# every released version upgraded to it, and a pg_dump / pg_restore round trip that
# keeps stores, encrypted tokens, snapshots and logs.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
V=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" tthub.control)  # the version under work

itest_setup upgrade "--accounts 2 --videos 25" || exit 1
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
is "$(s "SELECT extversion FROM pg_extension WHERE extname = 'tthub'")" "$V" "ALTER EXTENSION tthub UPDATE reaches $V"
is "$(s "SELECT (SELECT count(*) FROM tthub.video_daily) || '/' || (SELECT count(*) FROM tthub.user_daily) || '/' ||
               (SELECT count(*) FROM tthub.sync_logs) || '/' || (SELECT count(*) FROM tthub.sync_jobs)")" "$before" \
   "every row is still there"
is "$(s "SELECT count(*) FILTER (WHERE disabled_at IS NULL) FROM tthub.stores")" "2" "existing stores are active (new column)"
is "$(s "SELECT count(*) FILTER (WHERE client_id IS NULL AND timezone IS NULL AND labels = '{}') FROM tthub.stores")" "2" \
   "existing stores have no client, no label and no zone of their own (0.5's columns)"
is "$(s "SELECT tthub.store_today('old-1') = tthub.snapshot_today() AND
                (SELECT timezone FROM tthub_reporting.stores WHERE store_code = 'old-1') = current_setting('tthub.snapshot_timezone')")" \
   "t" "so their day is tthub.snapshot_timezone's, as before"
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

echo "# a token_expiring warning 0.4 sent is not sent again after the update"
q "$PORT" postgres "CREATE DATABASE warned" >/dev/null
w() { q "$PORT" warned "$1"; }
w "CREATE EXTENSION tthub VERSION '0.4'" >/dev/null
w "INSERT INTO tthub.stores (store_code, store_name) VALUES ('exp-1', 'Expiring');
   SELECT tthub.tthub_import_account('exp-1', 'sim-open-1', 'act.x', 'rft.x', 86400, 2 * 86400, 'video.list')" >/dev/null
is "$(w "SELECT tthub._scan_alert_events(interval '7 days', -1)")" "1" "0.4 sends account.token_expiring"
w "ALTER EXTENSION tthub UPDATE" >/dev/null
is "$(w "SELECT tthub._scan_alert_events(interval '7 days', -1)")" "0" "after the update it is remembered with the account"
q "$PORT" postgres "DROP DATABASE warned" >/dev/null

echo "# a fresh install of $V and every released version upgraded to it have the same catalog"
ext_dir=$(pg_config --sharedir)/extension
is "$(ls "$ext_dir"/tthub--$V.sql 2>/dev/null | wc -l)" "1" "$V has an install script of its own"
q "$PORT" postgres "CREATE DATABASE fresh" >/dev/null
is "$(q "$PORT" fresh "CREATE EXTENSION tthub; SELECT extversion FROM pg_extension WHERE extname = 'tthub'")" "$V" \
   "CREATE EXTENSION tthub installs $V"
catalog() {  # catalog DB FILE
  psql -X -qAt -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d "$1" -f test/lib/extension_catalog.sql >"$2"
}
catalog fresh "$DIR/fresh.catalog" && catalog shop "$DIR/upgraded.catalog"
like "$(grep -c '^member ' "$DIR/fresh.catalog")" "^[1-9][0-9]+$" "the catalog lists the extension's objects"
tap_result "$(cmp -s "$DIR/fresh.catalog" "$DIR/upgraded.catalog"; echo $?)" \
  "fresh and upgraded from 0.1 with data: identical tables, columns, views, functions, settings, comments and privileges" \
  "$(diff "$DIR/fresh.catalog" "$DIR/upgraded.catalog" | head -n 20)"
# Every released version (src/extension_sql/released/), installed as it shipped and
# updated by ALTER EXTENSION tthub UPDATE, reaches the same catalog as a fresh install:
# tables/ and upgrade/ agree, and functions/ redefines everything the chain defined.
released=$(q "$PORT" postgres "SELECT string_agg(version, ' ' ORDER BY string_to_array(version, '.')::int[])
                                 FROM pg_available_extension_versions WHERE name = 'tthub' AND version <> '$V'")
is "$released" "$(ls src/extension_sql/released/ | sed -n 's/^tthub--\(.*--\)\{0,1\}\([0-9.]*\)\.sql$/\2/p' | sort -t. -k1,1n -k2,2n | xargs)" \
   "every released version can be installed: $released"
for r in $released; do
  db="from_${r//./_}"
  q "$PORT" postgres "CREATE DATABASE $db" >/dev/null
  q "$PORT" "$db" "CREATE EXTENSION tthub VERSION '$r'; ALTER EXTENSION tthub UPDATE" >/dev/null
  catalog "$db" "$DIR/$db.catalog"
  tap_result "$(cmp -s "$DIR/fresh.catalog" "$DIR/$db.catalog"; echo $?)" \
    "$r, then ALTER EXTENSION tthub UPDATE: the same catalog as a fresh $V" \
    "$(diff "$DIR/fresh.catalog" "$DIR/$db.catalog" | head -n 20)"
done
# The comparison sees a comment, a function's settings and a privilege.
q "$PORT" fresh "COMMENT ON COLUMN tthub.stores.pic_name IS 'changed'" >/dev/null
catalog fresh "$DIR/fresh2.catalog"
like "$(diff "$DIR/fresh2.catalog" "$DIR/upgraded.catalog")" "column tthub.stores .* pic_name .*comment changed" \
   "a changed comment would show"
q "$PORT" fresh "ALTER FUNCTION tthub.snapshot_today() RESET search_path;
                 GRANT SELECT ON tthub.sync_logs TO tthub_reader" >/dev/null
catalog fresh "$DIR/fresh3.catalog"
is "$(diff "$DIR/fresh3.catalog" "$DIR/fresh2.catalog" | grep -cE '^[<>] (function tthub.snapshot_today|relation tthub.sync_logs)')" "2" \
   "so would a function's search_path and a grant"
q "$PORT" fresh "ALTER TABLE tthub.sync_jobs ALTER COLUMN attempts SET DEFAULT 1;
                 ALTER TABLE tthub.webhooks DROP CONSTRAINT webhooks_format_known;
                 DROP INDEX tthub.sync_jobs_finished_idx;
                 CREATE OR REPLACE FUNCTION tthub.token_context(store_code text, open_id text, token_kind text)
                   RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
                   RETURN store_code || ':' || open_id || '/' || token_kind;
                 CREATE OR REPLACE VIEW tthub.dead_jobs AS
                   SELECT store_code, job_id, job_type, snapshot_date, attempts, last_error, last_http_status,
                          created_at, finished_at FROM tthub.sync_jobs WHERE state = 'failed'" >/dev/null
catalog fresh "$DIR/fresh4.catalog"
changes=$(diff "$DIR/fresh4.catalog" "$DIR/fresh3.catalog")
like "$changes" "< column tthub.sync_jobs #6 attempts integer notnull t default 1 " "and a column default"
like "$changes" "> constraint webhooks_format_known on tthub.webhooks" "and a constraint"
like "$changes" "> index CREATE INDEX sync_jobs_finished_idx" "and an index"
like "$changes" "< RETURN \(\(\(\(store_code \|\| ':'::text\)" "and a function body"
like "$changes" "<   WHERE \(sync_jobs.state = 'failed'::tthub.job_state\);" "and a view definition"

echo "# pg_dump and pg_restore"
s "INSERT INTO tthub.user_daily (store_code, open_id, snapshot_date, follower_count)
   VALUES ('old-1', 'sim-open-1', tthub.snapshot_today() - 1, 900)" >/dev/null
# 0.5's clients, labels, zones and a client reader (the role itself is cluster-wide:
# pg_dumpall --globals-only carries it to another cluster).
s "SELECT tthub.tthub_add_client('Old Client'); SELECT tthub.tthub_set_store_client('old-1', 'Old Client');
   SELECT tthub.tthub_label_store('old-1', 'spring'); SELECT tthub.tthub_set_store_timezone('old-2', 'Asia/Jakarta');
   SELECT tthub.tthub_label_video('old-1', (SELECT min(video_id) FROM tthub.video_daily), 'hero');
   CREATE ROLE dba_old_client_bi; SELECT tthub.tthub_grant_client_reader('dba_old_client_bi', 'Old Client')" >/dev/null 2>&1
pg_dump -Fc -h 127.0.0.1 -p "$PORT" -U postgres -d shop -f "$DIR/shop.dump" 2>"$DIR/dump.err"
is "$?" "0" "pg_dump succeeds"
q "$PORT" postgres "CREATE DATABASE shop_restored" >/dev/null
pg_restore -h 127.0.0.1 -p "$PORT" -U postgres -d shop_restored "$DIR/shop.dump" 2>"$DIR/restore.err"
is "$?" "0" "pg_restore succeeds without errors"
[ -s "$DIR/restore.err" ] && sed 's/^/# /' "$DIR/restore.err" | head -5
digest() {  # digest DB TABLE: the table's content, in a stable order
  q "$PORT" "$1" "SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM tthub.$2 t"
}
for t in stores store_accounts user_daily video_daily sync_logs sync_jobs sync_ledger clients video_labels client_readers; do
  is "$(digest shop_restored "$t")" "$(digest shop "$t")" "tthub.$t comes back identical"
done
r() { q "$PORT" shop_restored "$1"; }
is "$(r "SELECT extversion FROM pg_extension WHERE extname = 'tthub'")" "$V" "the restored database runs tthub $V"
is "$(r "SELECT tthub.tthub_decrypt_token(refresh_token_enc, tthub.token_context(store_code, open_id, 'refresh_token')) FROM tthub.store_accounts")" \
   "rft.sim-open-1.1" "the restored ciphertext decrypts (same key)"
is "$(r "INSERT INTO tthub.sync_logs (store_code, job_type, status) VALUES ('old-1', 'check', 'SUCCESS') RETURNING log_id > (SELECT max(log_id) FROM tthub.sync_logs WHERE job_type <> 'check')")" \
   "t" "sequences continue after the restored rows"
is "$(r "SELECT follower_change FROM tthub.account_daily WHERE store_code = 'old-1' AND snapshot_date = tthub.snapshot_today()")" \
   "120" "the views work on the restored data"
is "$(r "SELECT has_table_privilege('tthub_reader', 'tthub_reporting.video_daily', 'SELECT')::text || has_column_privilege('tthub_reader', 'tthub.store_accounts', 'access_token_enc', 'SELECT')::text")" \
   "truefalse" "privileges are restored with the extension"

is "$(r "SELECT count(*) FROM pg_policy WHERE polname = 'tthub_client_reader_rows'")" \
   "$(s "SELECT cardinality(tthub._reader_tables())")" "the client reader policies come back with the extension (pg_dump leaves them out)"
is "$(r "SET ROLE dba_old_client_bi; SELECT string_agg(DISTINCT store_code || ' ' || client || ' ' || labels::text, ',') FROM tthub_reporting.video_daily")" \
   "old-1 Old Client {spring}" "the restored client reader reads its client's store only"
is "$(r "SELECT count(*) FROM tthub_reporting.video_daily WHERE video_labels = '{hero}'")" "1" "video labels come back"
tap_done
