-- CREATE EXTENSION builds the documented catalog; DROP EXTENSION ... CASCADE removes
-- it and CREATE EXTENSION works again (in this transaction, rolled back). The tables,
-- columns and what pg_dump keeps: schema.sql; tthub_reporting: reader.sql.
BEGIN;
SELECT plan(11);

SELECT is((SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'tthub'), 'tthub',
          'the extension lives in schema tthub');
SELECT views_are('tthub', ARRAY['account_daily', 'accounts', 'dead_jobs', 'health', 'job_queue', 'store_summary',
                                'sync_progress', 'video_daily_delta', 'video_latest', 'webhook_deliveries',
                                'video_curve', 'video_cohorts', 'refresh_freshness', 'reader_stores',
                                '_claimable_jobs'],
                 'tthub holds the documented views (and the claim''s internal one)');
-- Every primary key and unique constraint of a store-data table includes store_code
-- (Citus distributes by it).
SELECT set_eq($$ SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) FROM pg_constraint
                  WHERE connamespace = 'tthub'::regnamespace AND contype IN ('p', 'u') $$,
              $$ VALUES ('tthub.stores', 'stores_pkey', 'PRIMARY KEY (store_code)'),
                        ('tthub.store_accounts', 'store_accounts_pkey', 'PRIMARY KEY (store_code, open_id)'),
                        ('tthub.user_daily', 'user_daily_pkey', 'PRIMARY KEY (store_code, open_id, snapshot_date)'),
                        ('tthub.video_daily', 'video_daily_pkey', 'PRIMARY KEY (store_code, video_id, snapshot_date)'),
                        ('tthub.sync_logs', 'sync_logs_pkey', 'PRIMARY KEY (store_code, log_id)'),
                        ('tthub.sync_jobs', 'sync_jobs_pkey', 'PRIMARY KEY (store_code, job_id)'),
                        ('tthub.sync_ledger', 'sync_ledger_pkey', 'PRIMARY KEY (store_code, open_id, snapshot_date)'),
                        ('tthub.oauth_states', 'oauth_states_pkey', 'PRIMARY KEY (state_hash)'),
                        ('tthub.oauth_invites', 'oauth_invites_pkey', 'PRIMARY KEY (invite_hash)'),
                        ('tthub.webhooks', 'webhooks_pkey', 'PRIMARY KEY (webhook_id)'),
                        ('tthub.events', 'events_pkey', 'PRIMARY KEY (store_code, event_id)'),
                        ('tthub.deliveries', 'deliveries_pkey', 'PRIMARY KEY (store_code, delivery_id)'),
                        ('tthub.clients', 'clients_pkey', 'PRIMARY KEY (client_id)'),
                        ('tthub.clients', 'clients_name_key', 'UNIQUE (name)'),
                        ('tthub.video_labels', 'video_labels_pkey', 'PRIMARY KEY (store_code, video_id)'),
                        ('tthub.client_readers', 'client_readers_pkey', 'PRIMARY KEY (role_name, client_id)'),
                        ('tthub.videos', 'videos_pkey', 'PRIMARY KEY (store_code, video_id)'),
                        ('tthub.account_refresh', 'account_refresh_pkey', 'PRIMARY KEY (store_code, open_id)'),
                        ('tthub.refresh_calls', 'refresh_calls_pkey', 'PRIMARY KEY (store_code, call_date, tier)'),
                        ('tthub.tiktok_events', 'tiktok_events_pkey', 'PRIMARY KEY (event_id)'),
                        ('tthub.tiktok_events', 'tiktok_events_key_unique', 'UNIQUE (event_key)') $$,
              'the primary and unique keys of tthub''s tables');
-- The exceptions: oauth_states and oauth_invites are looked up by a random token
-- alone, webhooks by their id, TikTok's events by their key, clients and client_readers
-- by client and role (Citus reference tables).
SELECT set_eq($$ SELECT conrelid::regclass::text FROM pg_constraint
                  WHERE connamespace = 'tthub'::regnamespace AND contype IN ('p', 'u')
                    AND NOT EXISTS (SELECT 1 FROM unnest(conkey) k
                                      JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k
                                     WHERE a.attname = 'store_code') $$,
              ARRAY['tthub.oauth_states', 'tthub.oauth_invites', 'tthub.webhooks', 'tthub.tiktok_events', 'tthub.clients',
                    'tthub.client_readers'],
              'every key includes store_code but those of the reference tables');

SELECT lives_ok('DROP EXTENSION tthub CASCADE', 'DROP EXTENSION tthub CASCADE');
SELECT is((SELECT count(*)::int FROM pg_class WHERE relnamespace = to_regnamespace('tthub')), 0, 'it leaves no relation in tthub');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE pronamespace = to_regnamespace('tthub')), 0, 'and no function');
SELECT ok(to_regnamespace('tthub_reporting') IS NULL, 'and drops tthub_reporting');
SELECT ok(to_regnamespace('tthub_observations') IS NULL, 'and tthub_observations with the partitions');
SELECT lives_ok('CREATE EXTENSION tthub', 'CREATE EXTENSION tthub works again');
SELECT set_eq($$ SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'tthub\_%' $$,
              ARRAY['tthub_admin', 'tthub_oauth', 'tthub_reader', 'tthub_client_reader'], 'the extension''s roles exist, and no other tthub_ role');

SELECT * FROM finish();
ROLLBACK;
