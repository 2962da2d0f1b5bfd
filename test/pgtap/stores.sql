-- Store codes never change: they are in the encryption context of the store's tokens
-- and in the key of every snapshot. (The error as a DBA reads it: sql/store_codes.sql.)
BEGIN;
SELECT plan(6);

INSERT INTO tthub.stores (store_code, store_name) VALUES ('st-1', 'with an account'), ('st-lonely', 'nothing refers to it');
INSERT INTO tthub.store_accounts (store_code, open_id) VALUES ('st-1', 'o1');
SELECT throws_ok($$ UPDATE tthub.stores SET store_code = 'st-1-renamed' WHERE store_code = 'st-1' $$, 'TH002', NULL,
                 'renaming a store code fails with TH002');
SELECT throws_ok($$ UPDATE tthub.stores SET store_code = 'st-lonely-2' WHERE store_code = 'st-lonely' $$, 'TH002', NULL,
                 'even a store nothing refers to keeps its code');
WITH u AS (UPDATE tthub.stores SET store_name = 'Still st-1' WHERE store_code = 'st-1' RETURNING store_name)
SELECT is((SELECT store_name FROM u), 'Still st-1', 'its other columns change as before');
SELECT is((SELECT count(*)::int FROM pg_constraint WHERE contype = 'f' AND confupdtype = 'c'
             AND confrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'tthub'::regnamespace)), 0,
          'no foreign key to a tthub table cascades updates');
SELECT is((SELECT string_agg(conrelid::regclass::text || ':' || confdeltype::text, ',' ORDER BY conrelid::regclass::text)
             FROM pg_constraint WHERE contype = 'f' AND confrelid = 'tthub.stores'::regclass
              AND conrelid::regclass::text IN ('tthub.store_accounts', 'tthub.user_daily', 'tthub.video_daily',
                                               'tthub.sync_jobs', 'tthub.sync_ledger', 'tthub.oauth_states')),
          'tthub.oauth_states:c,tthub.store_accounts:c,tthub.sync_jobs:c,tthub.sync_ledger:c,tthub.user_daily:a,tthub.video_daily:a',
          'the six foreign keys to stores are there, ON DELETE as before');
SELECT throws_ok($$ INSERT INTO tthub.user_daily (store_code, open_id, snapshot_date) VALUES ('nosuch', 'x', tthub.snapshot_today()) $$,
                 '23503', NULL, 'and still enforced');

SELECT * FROM finish();
ROLLBACK;
