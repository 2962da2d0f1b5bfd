-- Readers see snapshots (in tthub_reporting) but never a token; nobody but superusers decrypts.
BEGIN;
SELECT plan(20);

INSERT INTO tthub.stores (store_code, store_name) VALUES ('priv', 'privileges');
INSERT INTO tthub.store_accounts (store_code, open_id, access_token_enc, refresh_token_enc)
VALUES ('priv', 'o1', tthub.tthub_encrypt_token('act.priv', tthub.token_context('priv', 'o1', 'access_token')),
                      tthub.tthub_encrypt_token('rft.priv', tthub.token_context('priv', 'o1', 'refresh_token')));

SET LOCAL ROLE tthub_reader;
SELECT lives_ok($$ SELECT count(*) FROM tthub_reporting.user_daily $$, 'reader reads user_daily');
SELECT lives_ok($$ SELECT count(*) FROM tthub_reporting.video_daily $$, 'reader reads video_daily');
SELECT lives_ok($$ SELECT count(*) FROM tthub_reporting.sync_logs $$, 'reader reads sync_logs');
SELECT results_eq($$ SELECT open_id::text, status FROM tthub_reporting.accounts $$,
                  $$ VALUES ('o1', 'CONNECTED') $$, 'reader reads the accounts view');
SELECT throws_ok($$ SELECT store_code, open_id, status FROM tthub.store_accounts $$, '42501', NULL, 'reader reads nothing in tthub, not even non-token account columns');
SELECT throws_ok($$ SELECT access_token_enc FROM tthub.store_accounts $$, '42501', NULL, 'reader cannot read access_token_enc');
SELECT throws_ok($$ SELECT refresh_token_enc FROM tthub.store_accounts $$, '42501', NULL, 'reader cannot read refresh_token_enc');
SELECT throws_ok($$ SELECT * FROM tthub.store_accounts $$, '42501', NULL, 'reader cannot SELECT * from store_accounts');
SELECT throws_ok($$ SELECT tthub.tthub_decrypt_token('\x00'::bytea, '') $$, '42501', NULL, 'reader cannot decrypt');
SELECT throws_ok($$ SELECT tthub.tthub_rotate_token_key() $$, '42501', NULL, 'reader cannot rotate keys');
SELECT throws_ok($$ INSERT INTO tthub.stores (store_code, store_name) VALUES ('r', 'r') $$, '42501', NULL, 'reader cannot add stores');
SELECT throws_ok($$ SELECT current_setting('tthub.token_key_file') $$, '42501', NULL, 'reader cannot see the key file path');
RESET ROLE;

SET LOCAL ROLE tthub_admin;
SELECT lives_ok($$ INSERT INTO tthub.stores (store_code, store_name) VALUES ('admin-made', 'by admin') $$, 'admin adds stores');
SELECT throws_ok($$ INSERT INTO tthub.stores (store_code, store_name) VALUES ('Admin Made', 'x') $$, '22023', NULL, 'admin gets the store code rule');
SELECT lives_ok($$ SELECT tthub.tthub_encrypt_token('x', 'y') $$, 'admin may encrypt');
SELECT throws_ok($$ SELECT tthub.tthub_decrypt_token(access_token_enc, 'x') FROM tthub.store_accounts $$, '42501', NULL, 'admin cannot read tokens');
SELECT throws_ok($$ SELECT tthub.tthub_decrypt_token('\x00'::bytea, '') $$, '42501', NULL, 'admin cannot decrypt');
SELECT throws_ok($$ SELECT tthub.tthub_rotate_token_key() $$, '42501', NULL, 'admin cannot rotate keys');
RESET ROLE;

SELECT is(tthub.tthub_decrypt_token(access_token_enc, tthub.token_context(store_code, open_id, 'access_token')),
          'act.priv', 'superuser decrypts with the right context')
  FROM tthub.store_accounts WHERE store_code = 'priv';
SELECT ok(NOT has_function_privilege('public', 'tthub.tthub_decrypt_token(bytea, text)', 'EXECUTE'),
          'PUBLIC has no EXECUTE on tthub_decrypt_token');

SELECT * FROM finish();
ROLLBACK;
