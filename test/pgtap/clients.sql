-- Clients, labels and store time zones (issue 21): each admin function and each of
-- its errors (their exact texts: sql/clients.sql, pg_regress).
BEGIN;
SELECT plan(50);

INSERT INTO tthub.stores (store_code, store_name) VALUES ('cl-a', 'A'), ('cl-b', 'B');
INSERT INTO tthub.video_daily (store_code, video_id, snapshot_date, open_id) VALUES ('cl-a', 'v1', current_date, 'o1');

-- clients
SELECT lives_ok($$ SELECT tthub.tthub_add_client('  Acme Foods ') $$, 'tthub_add_client adds a client');
SELECT is((SELECT name FROM tthub.clients), 'Acme Foods', 'its name is trimmed');
SELECT throws_ok($$ SELECT tthub.tthub_add_client('Acme Foods') $$, 'TH202', NULL,
                 'a second client of the same name: TH202');
SELECT throws_ok($$ SELECT tthub.tthub_add_client('  ') $$, '22023', NULL, 'an empty name: 22023');
SELECT throws_ok($$ SELECT tthub.tthub_add_client(NULL) $$, '22023', NULL, 'no name: 22023');
SELECT throws_ok($$ SELECT tthub.tthub_add_client(E'bad\nname') $$, '22023', NULL, 'a control character: 22023');
SELECT throws_ok($$ SELECT tthub.tthub_add_client(repeat('x', 101)) $$, '22023', NULL, 'over 100 characters: 22023');
SELECT lives_ok($$ SELECT tthub.tthub_add_client('Globex') $$, 'a second client');
SELECT throws_ok($$ SELECT tthub.tthub_rename_client('Nobody', 'X') $$, 'TH201', NULL,
                 'renaming an unknown client: TH201');
SELECT throws_ok($$ SELECT tthub.tthub_rename_client('Globex', 'Acme Foods') $$, 'TH202', NULL,
                 'renaming onto another client''s name: TH202');
SELECT lives_ok($$ SELECT tthub.tthub_rename_client('Globex', 'Globex Corp') $$, 'tthub_rename_client renames');
SELECT is((SELECT array_agg(name ORDER BY name) FROM tthub.clients), ARRAY['Acme Foods', 'Globex Corp'], 'to the new name');

-- stores of clients
SELECT throws_ok($$ SELECT tthub.tthub_set_store_client('cl-zz', 'Acme Foods') $$, 'P0002', NULL,
                 'an unknown store: P0002');
SELECT throws_ok($$ SELECT tthub.tthub_set_store_client('cl-a', 'Nobody') $$, 'TH201', NULL,
                 'an unknown client: TH201');
SELECT lives_ok($$ SELECT tthub.tthub_set_store_client('cl-a', 'Acme Foods'); SELECT tthub.tthub_set_store_client('cl-b', 'Globex Corp') $$,
                'tthub_set_store_client gives stores to clients');
SELECT is((SELECT client FROM tthub_reporting.stores WHERE store_code = 'cl-a'), 'Acme Foods', 'reporting views show the client');
SELECT lives_ok($$ SELECT tthub.tthub_rename_client('Acme Foods', 'Acme') $$, 'a client with stores is renamed');
SELECT is((SELECT client FROM tthub_reporting.stores WHERE store_code = 'cl-a'), 'Acme', 'its stores follow');
SELECT lives_ok($$ SELECT tthub.tthub_set_store_client('cl-b', NULL) $$, 'NULL takes a store from its client');
SELECT is((SELECT client FROM tthub_reporting.stores WHERE store_code = 'cl-b'), NULL, 'it has none');

-- store labels
SELECT lives_ok($$ SELECT tthub.tthub_label_store('cl-a', 'spring'); SELECT tthub.tthub_label_store('cl-a', ' autumn ');
                   SELECT tthub.tthub_label_store('cl-a', 'spring') $$, 'tthub_label_store labels, twice is once');
SELECT is((SELECT labels FROM tthub_reporting.store_summary WHERE store_code = 'cl-a'), ARRAY['autumn', 'spring'],
          'labels are sorted, each once, trimmed');
SELECT is((SELECT count(*) FROM tthub_reporting.video_daily WHERE 'spring' = ANY (labels)), 1::bigint,
          'a filter on one label is one expression');
SELECT throws_ok($$ SELECT tthub.tthub_label_store('cl-a', '') $$, '22023', NULL, 'an empty label: 22023');
SELECT throws_ok($$ SELECT tthub.tthub_label_store('cl-zz', 'x') $$, 'P0002', NULL, 'labelling an unknown store: P0002');
SELECT throws_ok($$ SELECT tthub.tthub_unlabel_store('cl-a', 'winter') $$, 'TH203', NULL,
                 'removing a label it does not have: TH203');
SELECT lives_ok($$ SELECT tthub.tthub_unlabel_store('cl-a', 'spring') $$, 'tthub_unlabel_store removes one');
SELECT is((SELECT labels FROM tthub.stores WHERE store_code = 'cl-a'), ARRAY['autumn'], 'the other stays');

-- video labels
SELECT throws_ok($$ SELECT tthub.tthub_label_video('cl-a', 'v9', 'hero') $$, 'TH204', NULL,
                 'labelling a video no sync has seen: TH204');
SELECT throws_ok($$ SELECT tthub.tthub_label_video('cl-b', 'v1', 'hero') $$, 'TH204', NULL, 'nor another store''s video');
SELECT lives_ok($$ SELECT tthub.tthub_label_video('cl-a', 'v1', 'hero'); SELECT tthub.tthub_label_video('cl-a', 'v1', 'ad');
                   SELECT tthub.tthub_label_video('cl-a', 'v1', 'hero') $$, 'tthub_label_video labels, twice is once');
SELECT is((SELECT video_labels FROM tthub_reporting.video_latest WHERE video_id = 'v1'), ARRAY['ad', 'hero'],
          'video_labels in per-video views, sorted');
SELECT is((SELECT labels FROM tthub_reporting.video_daily_delta WHERE video_id = 'v1'), ARRAY['autumn'],
          'with the store''s labels');
SELECT throws_ok($$ SELECT tthub.tthub_unlabel_video('cl-a', 'v1', 'promo') $$, 'TH203', NULL,
                 'removing a label the video does not have: TH203');
SELECT lives_ok($$ SELECT tthub.tthub_unlabel_video('cl-a', 'v1', 'ad'); SELECT tthub.tthub_unlabel_video('cl-a', 'v1', 'hero') $$,
                'tthub_unlabel_video removes them');
SELECT is((SELECT video_labels FROM tthub_reporting.video_daily WHERE video_id = 'v1'), '{}'::text[],
          'a video without labels shows an empty array (and has no row)');

-- time zones
SELECT throws_ok($$ SELECT tthub.tthub_set_store_timezone('cl-a', 'Mars/Olympus_Mons') $$, 'TH205',
                 NULL, 'an unknown zone: TH205');
SELECT throws_ok($$ SELECT tthub.tthub_set_store_timezone('cl-a', 'UTC+7') $$, 'TH205', NULL,
                 'a POSIX zone string (signs reversed) is refused too');
SELECT throws_ok($$ SELECT tthub.tthub_set_store_timezone('cl-zz', 'UTC') $$, 'P0002', NULL, 'an unknown store: P0002');
SET LOCAL client_min_messages = notice;
SELECT lives_ok($$ SELECT tthub.tthub_set_store_timezone('cl-a', 'Pacific/Kiritimati') $$, 'a real zone is set');
SELECT is(tthub.store_today('cl-a'), (now() AT TIME ZONE 'Pacific/Kiritimati')::date, 'the store''s day is in it');
SELECT is(tthub.store_today('cl-b'), tthub.snapshot_today(), 'a store without one keeps tthub.snapshot_timezone''s day');
SELECT is((SELECT timezone FROM tthub_reporting.stores WHERE store_code = 'cl-a'), 'Pacific/Kiritimati', 'reporting shows the zone');
SELECT is(tthub_reporting.store_today('cl-a'), (now() AT TIME ZONE 'Pacific/Kiritimati')::date,
          'tthub_reporting.store_today(store_code)');
SELECT lives_ok($$ SELECT tthub.tthub_set_store_timezone('cl-a', NULL) $$, 'NULL returns it to the default');
SELECT is(tthub.store_today('cl-a'), tthub.snapshot_today(), 'the default day again');

-- removing
SELECT throws_ok($$ SELECT tthub.tthub_remove_client('Nobody') $$, 'TH201', NULL, 'removing an unknown client: TH201');
SELECT lives_ok($$ SELECT tthub.tthub_remove_client('Acme') $$, 'tthub_remove_client removes a client with stores');

-- every per-store and per-video view, whoever adds it (metrics_stores and
-- metrics_accounts lacked them)
SELECT is_empty($$
  SELECT v.relname FROM pg_catalog.pg_class v
   WHERE v.relnamespace = 'tthub_reporting'::regnamespace AND v.relkind = 'v'
     AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = v.oid AND a.attname = 'store_code')
     AND (SELECT count(*) FROM pg_catalog.pg_attribute a
           WHERE a.attrelid = v.oid AND NOT a.attisdropped AND a.attname IN ('client', 'labels')) < 2 $$,
  'every view of tthub_reporting with a store_code carries client and labels');
SELECT is_empty($$
  SELECT v.relname FROM pg_catalog.pg_class v
   WHERE v.relnamespace = 'tthub_reporting'::regnamespace AND v.relkind = 'v'
     AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = v.oid AND a.attname = 'video_id')
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = v.oid AND a.attname = 'video_labels') $$,
  'every view of tthub_reporting with a video_id carries video_labels');

SELECT * FROM finish();
ROLLBACK;
