-- Store codes: 1-50 of a-z, 0-9, '_' and '-', with a clear error otherwise.
CREATE EXTENSION tthub;
INSERT INTO tthub.stores (store_code, store_name) VALUES ('jkt-01', 'Jakarta 1'), ('store_2', 'Second');
SELECT store_code, store_name FROM tthub.stores ORDER BY 1;
INSERT INTO tthub.stores (store_code, store_name) VALUES ('Jkt 01', 'upper case and a space');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO tthub.stores (store_code, store_name) VALUES ('', 'empty');
INSERT INTO tthub.stores (store_code, store_name) VALUES ('a''; DROP TABLE tthub.stores; --', 'injection');
INSERT INTO tthub.stores (store_code, store_name) VALUES (repeat('a', 51), 'too long');
UPDATE tthub.stores SET store_code = 'toko.id' WHERE store_code = 'store_2';
SELECT tthub.check_store_code('ok_code-1');
SELECT count(*) AS stores_intact FROM tthub.stores;
-- Accounts cascade with their store; snapshots keep a store from being deleted.
INSERT INTO tthub.store_accounts (store_code, open_id) VALUES ('store_2', 'open-a');
INSERT INTO tthub.store_accounts (store_code, open_id) VALUES ('no-such-store', 'open-b');
INSERT INTO tthub.user_daily (store_code, open_id, snapshot_date, follower_count)
VALUES ('jkt-01', 'open-c', '2026-01-01', 5);
\set VERBOSITY terse
INSERT INTO tthub.user_daily (store_code, open_id, snapshot_date, follower_count)
VALUES ('jkt-01', 'open-c', '2026-01-02', -1);
\set VERBOSITY default
DELETE FROM tthub.stores WHERE store_code = 'store_2';
SELECT count(*) AS accounts_left FROM tthub.store_accounts;
DELETE FROM tthub.stores WHERE store_code = 'jkt-01';
