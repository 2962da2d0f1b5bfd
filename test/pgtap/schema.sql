-- Schema contract analysts and Citus rely on.
BEGIN;
SELECT plan(31);

SELECT has_schema('tthub');
SELECT has_schema('tthub_reporting');
SELECT tables_are('tthub', ARRAY['stores', 'store_accounts', 'user_daily', 'video_daily', 'sync_logs',
                                'sync_jobs', 'sync_ledger', 'oauth_states', 'oauth_invites', 'webhooks', 'events',
                                'deliveries', 'videos', 'video_observations', 'account_refresh', 'refresh_calls',
                                'tiktok_events', 'clients', 'video_labels', 'client_readers']);
SELECT col_is_pk('tthub', 'stores', 'store_code', 'stores keyed by store_code');
SELECT col_is_pk('tthub', 'store_accounts', ARRAY['store_code', 'open_id'], 'one row per (store, account)');
SELECT col_is_pk('tthub', 'user_daily', ARRAY['store_code', 'open_id', 'snapshot_date'], 'user_daily natural key');
SELECT col_is_pk('tthub', 'video_daily', ARRAY['store_code', 'video_id', 'snapshot_date'], 'video_daily natural key');
SELECT col_is_pk('tthub', 'sync_logs', ARRAY['store_code', 'log_id'], 'sync_logs key includes store_code');
SELECT fk_ok('tthub', 'store_accounts', 'store_code', 'tthub', 'stores', 'store_code');
SELECT col_type_is('tthub', 'video_daily', 'video_id', 'character varying(64)', 'video ids are text (they exceed bigint)');
SELECT col_type_is('tthub', 'store_accounts', 'access_token_enc', 'bytea', 'access token stored as ciphertext');
SELECT col_type_is('tthub', 'store_accounts', 'refresh_token_enc', 'bytea', 'refresh token stored as ciphertext');
SELECT enum_has_labels('tthub', 'account_status', ARRAY['CONNECTED', 'NEED_RECONNECT', 'ERROR', 'DISABLED']);
SELECT enum_has_labels('tthub', 'sync_status', ARRAY['RUNNING', 'SUCCESS', 'FAILED', 'SKIPPED']);
SELECT is_empty($$
  SELECT attrelid::regclass || '.' || attname FROM pg_attribute
   WHERE attrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'tthub'::regnamespace AND relkind = 'r')
     AND attnum > 0 AND NOT attisdropped AND attname LIKE '%count%'
     AND atttypid <> 'bigint'::regtype $$, 'every counter is bigint');
SELECT is_empty($$
  SELECT attrelid::regclass || '.' || attname FROM pg_attribute
   WHERE attrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'tthub'::regnamespace AND relkind = 'r')
     AND attnum > 0 AND NOT attisdropped AND attname LIKE '%\_at'
     AND atttypid <> 'timestamptz'::regtype $$, 'every *_at column is timestamptz');
-- Every object of the extension, whoever's fragment added it, says what it is: in
-- psql (\d+), in pgAdmin and in BI tools, which show comments as descriptions.
SELECT is_empty($$
  SELECT c.relnamespace::regnamespace || '.' || c.relname FROM pg_class c
   WHERE c.relnamespace IN ('tthub'::regnamespace, 'tthub_reporting'::regnamespace)
     AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND obj_description(c.oid, 'pg_class') IS NULL $$,
  'every table and view has a comment');
SELECT is_empty($$
  SELECT c.relnamespace::regnamespace || '.' || c.relname || '.' || a.attname
    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
   WHERE c.relnamespace IN ('tthub'::regnamespace, 'tthub_reporting'::regnamespace)
     AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0
     AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL $$,
  'every table and view column has a comment');
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
   WHERE p.pronamespace IN ('tthub'::regnamespace, 'tthub_reporting'::regnamespace)
     AND obj_description(p.oid, 'pg_proc') IS NULL $$,
  'every function has a comment');
SELECT is_empty($$
  SELECT t.oid::regtype::text FROM pg_type t
   WHERE t.typnamespace IN ('tthub'::regnamespace, 'tthub_reporting'::regnamespace)
     AND t.typtype IN ('e', 'd', 'r') AND obj_description(t.oid, 'pg_type') IS NULL $$,
  'every type has a comment');
SELECT is_empty($$
  SELECT c.relnamespace::regnamespace || '.' || c.relname || '.' || a.attname
    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
   WHERE c.relnamespace IN ('tthub'::regnamespace, 'tthub_reporting'::regnamespace)
     AND c.relkind IN ('v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
     AND a.atttypid = 'numeric'::regtype AND a.atttypmod < 0 $$,
  'no view column is a numeric without precision and scale (BI tools type columns from them)');
SELECT has_index('tthub', 'video_daily', 'video_daily_store_date_idx', ARRAY['store_code', 'snapshot_date']);
SELECT set_eq($$ SELECT unnest(extconfig)::regclass::text FROM pg_extension WHERE extname = 'tthub' $$,
  ARRAY['tthub.stores', 'tthub.store_accounts', 'tthub.user_daily', 'tthub.video_daily',
        'tthub.sync_logs', 'tthub.sync_logs_log_id_seq', 'tthub.sync_jobs',
        'tthub.sync_jobs_job_id_seq', 'tthub.sync_ledger', 'tthub.oauth_invites',
        'tthub.webhooks', 'tthub.webhooks_webhook_id_seq', 'tthub.events', 'tthub.events_event_id_seq',
        'tthub.deliveries', 'tthub.deliveries_delivery_id_seq', 'tthub.videos', 'tthub.account_refresh',
        'tthub.refresh_calls', 'tthub.tiktok_events', 'tthub.tiktok_events_event_id_seq', 'tthub.clients',
        'tthub.clients_client_id_seq', 'tthub.video_labels', 'tthub.client_readers'],
  'pg_dump keeps the data of every table');
SELECT has_role('tthub_admin');
SELECT has_role('tthub_reader');
SELECT has_role('tthub_oauth');
SELECT has_role('tthub_client_reader');
SELECT hasnt_column('tthub', 'accounts', 'access_token_enc', 'the accounts view has no token column');
SELECT hasnt_column('tthub', 'accounts', 'refresh_token_enc', 'the accounts view has no refresh token column');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'tthub'), false, 'not relocatable');
SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'tthub'), '0.5', 'CREATE EXTENSION installs 0.5');
SELECT * FROM finish();
ROLLBACK;
