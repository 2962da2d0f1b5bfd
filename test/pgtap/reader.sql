-- tthub_reader reads tthub_reporting and nothing else: no token column name, no
-- table it cannot read, no enum a JDBC client cannot compare with a string.
BEGIN;
SELECT plan(14);

SELECT ok(NOT has_schema_privilege('tthub_reader', 'tthub', 'USAGE'), 'readers cannot use the tthub schema');
SELECT is_empty($$
  SELECT c.oid::regclass::text FROM pg_class c
   WHERE c.relnamespace = 'tthub'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
     AND (has_table_privilege('tthub_reader', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
          OR (c.relkind <> 'S' AND has_any_column_privilege('tthub_reader', c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))) $$,
  'readers hold no table or column privilege in tthub');
SELECT ok(has_schema_privilege('tthub_reader', 'tthub_reporting', 'USAGE'), 'readers use tthub_reporting');
SELECT ok(NOT has_schema_privilege('public', 'tthub_reporting', 'USAGE'), 'PUBLIC does not');
SELECT views_are('tthub_reporting', ARRAY['stores', 'accounts', 'user_daily', 'video_daily', 'sync_logs', 'sync_jobs',
                                          'sync_ledger', 'sync_progress', 'job_queue', 'dead_jobs', 'account_daily',
                                          'video_daily_delta', 'video_latest', 'store_summary', 'health',
                                          'metrics_worker', 'metrics_jobs', 'metrics_stores', 'metrics_accounts',
                                          'metrics_account_status', 'metrics_requests', 'metrics_webhook_deliveries',
                                          'videos', 'video_observations', 'video_curve', 'video_cohorts',
                                          'refresh_freshness', 'metrics_refresh_tiers'],
                 'tthub_reporting holds the reader''s views');
SELECT tables_are('tthub_reporting', ARRAY[]::name[], 'and no table');
SELECT is_empty($$
  SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'tthub_reporting'::regnamespace
     AND NOT has_table_privilege('tthub_reader', c.oid, 'SELECT') $$,
  'readers read every view of tthub_reporting');
SELECT is_empty($$
  SELECT c.relname || '.' || a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
   WHERE c.relnamespace = 'tthub_reporting'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
     AND (a.atttypid = 'bytea'::regtype OR a.attname ~ '(token_enc|hash|secret)') $$,
  'no column of tthub_reporting holds or names a token, a hash or a secret');
SELECT is_empty($$
  SELECT c.relname || '.' || a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
    JOIN pg_type t ON t.oid = a.atttypid
   WHERE c.relnamespace = 'tthub_reporting'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
     AND t.typtype = 'e' $$,
  'no column of tthub_reporting is an enum (status values are text)');

INSERT INTO tthub.stores (store_code, store_name) VALUES ('rd', 'reader');
INSERT INTO tthub.store_accounts (store_code, open_id, status) VALUES ('rd', 'o1', 'NEED_RECONNECT');
CREATE TEMP TABLE health_as_superuser AS SELECT metric, value FROM tthub.health;
GRANT SELECT ON health_as_superuser TO tthub_reader;

SET LOCAL ROLE tthub_reader;
-- A JDBC client binding a string parameter (stringtype=varchar) sends exactly this.
PREPARE by_status(varchar) AS SELECT open_id FROM tthub_reporting.accounts WHERE status = $1;
SELECT results_eq('EXECUTE by_status(''NEED_RECONNECT'')', $$ VALUES ('o1'::varchar) $$,
                  'a status compares with a varchar parameter');
SELECT set_eq($$ SELECT metric, value FROM tthub_reporting.health $$, $$ SELECT metric, value FROM health_as_superuser $$,
              'readers see the health superusers see');
SELECT is(tthub_reporting.snapshot_today(), (now() AT TIME ZONE current_setting('tthub.snapshot_timezone'))::date,
          'readers get snapshot_today()');
RESET ROLE;

-- The worker here serves tthub.database, another database of the cluster.
SELECT is(tthub.worker_pid(), NULL, 'no worker serves this database');
SELECT is((SELECT value FROM tthub.health WHERE metric = 'tthub_worker_running'), 0::float8,
          'so tthub_worker_running is 0 here');

SELECT * FROM finish();
ROLLBACK;
