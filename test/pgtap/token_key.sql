-- The key never appears in a setting, a function result or an error. The runner
-- passes the key it generated as :'tthub_key' (psql variable) so it can be looked for.
BEGIN;
SELECT plan(8);

SELECT is_empty(format($$ SELECT name FROM pg_settings WHERE setting ILIKE %L $$, '%' || :'tthub_key' || '%'),
                'no setting holds the key');
SELECT is_empty(format($$ SELECT name FROM pg_settings WHERE reset_val ILIKE %L OR boot_val ILIKE %L $$,
                       '%' || :'tthub_key' || '%', '%' || :'tthub_key' || '%'),
                'no setting default holds the key');
SELECT isnt(current_setting('tthub.token_key_file'), '', 'the key is configured through a file');
SELECT set_eq($$ SELECT name FROM pg_settings WHERE name LIKE 'tthub.%key%' $$,
              ARRAY['tthub.client_key', 'tthub.token_key_file', 'tthub.token_key_previous_file'],
              'the settings about keys name files (and the client key), none holds a token key');
SELECT throws_ok($$ SET tthub.token_key_file = '/tmp/other' $$, '55P02', NULL, 'the key file is fixed at server start');
SELECT throws_ok($$ SET tthub.no_such_setting = 'x' $$, '42602', NULL, 'the tthub prefix is reserved');
SELECT is(position(decode(:'tthub_key', 'hex') IN tthub.tthub_encrypt_token(:'tthub_key', '')), 0,
          'the key bytes do not appear in an envelope');
SELECT throws_like(format($$ SELECT tthub.tthub_decrypt_token(%L::bytea, 'x') $$, '\x01' || :'tthub_key'),
                   'token ciphertext failed authentication', 'a bad envelope error says only that');

SELECT * FROM finish();
ROLLBACK;
