-- Clients, labels, store time zones and client readers (issue 21), as a DBA reads
-- their refusals: every message, DETAIL and HINT exactly. (What each function does,
-- and each SQLSTATE: test/pgtap/clients.sql and test/pgtap/client_readers.sql.)
-- Runs first (sorted): it installs tthub and drops it again for store_codes.
CREATE EXTENSION tthub;
\set SHOW_CONTEXT never
INSERT INTO tthub.stores (store_code, store_name) VALUES ('rc-a', 'A');
INSERT INTO tthub.video_daily (store_code, video_id, snapshot_date, open_id)
VALUES ('rc-a', 'v1', '2026-01-01', 'o1');
SELECT tthub.tthub_add_client('Acme');
-- names: trimmed, 1 to 100 characters, one line
SELECT tthub.tthub_add_client(' Acme ');
SELECT tthub.tthub_add_client('  ');
SELECT tthub.tthub_add_client(NULL);
SELECT tthub.tthub_add_client(E'two\nlines');
SELECT tthub.tthub_add_client(repeat('x', 101));
-- unknown names
SELECT tthub.tthub_rename_client('Nobody', 'X');
SELECT tthub.tthub_set_store_client('rc-zz', 'Acme');
SELECT tthub.tthub_set_store_client('rc-a', 'Nobody');
SELECT tthub.tthub_remove_client('Nobody');
-- labels
SELECT tthub.tthub_label_store('rc-a', '');
SELECT tthub.tthub_unlabel_store('rc-a', 'winter');
SELECT tthub.tthub_label_video('rc-a', 'v9', 'hero');
SELECT tthub.tthub_unlabel_video('rc-a', 'v1', 'promo');
-- time zones: IANA names only
SELECT tthub.tthub_set_store_timezone('rc-a', 'Mars/Olympus_Mons');
SELECT tthub.tthub_set_store_timezone('rc-a', 'UTC+7');
SELECT tthub.tthub_set_store_timezone('rc-zz', 'UTC');
-- client readers
CREATE ROLE regress_tthub_bi LOGIN;
CREATE ROLE regress_tthub_all_bi LOGIN IN ROLE tthub_reader;
SELECT tthub.tthub_grant_client_reader('regress_tthub_all_bi', 'Acme');
SELECT tthub.tthub_grant_client_reader('regress_tthub_bi', 'Nobody');
SELECT tthub.tthub_revoke_client_reader('regress_tthub_bi', 'Acme');
SELECT tthub.tthub_grant_client_reader('regress_tthub_bi', 'Acme');
-- removing a client tells what it took away
SELECT tthub.tthub_set_store_client('rc-a', 'Acme');
SELECT tthub.tthub_remove_client('Acme');
SELECT count(*) AS readers_left FROM tthub.client_readers;
SELECT store_code, client_id FROM tthub.stores WHERE store_code = 'rc-a';
DROP ROLE regress_tthub_bi;
DROP ROLE regress_tthub_all_bi;
DELETE FROM tthub.video_daily WHERE store_code = 'rc-a';
DELETE FROM tthub.stores WHERE store_code = 'rc-a';
DROP EXTENSION tthub;
