-- tthub_encrypt_token / tthub_decrypt_token as SQL functions. The errors a DBA reads:
-- sql/tokens.sql (pg_regress); the envelope itself: test/unit/token_crypto_test.cpp.
BEGIN;
SELECT plan(2);

SELECT is(tthub.tthub_decrypt_token(tthub.tthub_encrypt_token('act.example')), 'act.example',
          'without a context, a token decrypts under the default context');
SELECT is(tthub.tthub_encrypt_token(NULL, 'ctx'), NULL, 'NULL in, NULL out');

SELECT * FROM finish();
ROLLBACK;
