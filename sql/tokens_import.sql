-- Importing an account, as a DBA reads its refusals: open_id and tokens are held to
-- the rule TikTok's own are (visible ASCII, bounded), as a token goes into an
-- Authorization header. The error names the argument, never its value. (SQLSTATEs:
-- test/pgtap/sync_sql.sql; the rule: test/unit/tiktok_api_test.cpp.)
\set VERBOSITY terse
INSERT INTO tthub.stores (store_code, store_name) VALUES ('imp-01', 'Import');
SELECT tthub.tthub_import_account('imp-01', 'open-1', E'act.x\r\nX-Injected: 1', 'rft.x', 3600, 86400, 'video.list');
SELECT tthub.tthub_import_account('imp-01', 'open-1', 'act.x', E'rft.x\n', 3600, 86400, 'video.list');
SELECT tthub.tthub_import_account('imp-01', E'open\t1', 'act.x', 'rft.x', 3600, 86400, 'video.list');
SELECT count(*) AS accounts FROM tthub.store_accounts WHERE store_code = 'imp-01';
DELETE FROM tthub.stores WHERE store_code = 'imp-01';
