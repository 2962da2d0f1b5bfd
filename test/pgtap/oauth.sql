-- OAuth's SQL surface: connect links (invites) and what the shim's role may do.
-- The shim, the callback and TikTok's pages: test/integration/oauth.sh.
BEGIN;
SELECT plan(27);

INSERT INTO tthub.stores (store_code, store_name) VALUES ('oa-1', 'OAuth one');

-- Connect links.
CREATE TEMP TABLE link AS SELECT tthub.tthub_connect_link('oa-1') AS path;
CREATE TEMP TABLE inv AS SELECT substring(path FROM 'invite=(.*)$') AS invite FROM link;
SELECT matches((SELECT path FROM link), '^/auth/login\?invite=[A-Za-z0-9_-]{43}$',
               'tthub_connect_link returns /auth/login?invite= and a 256-bit invite');
SELECT is((SELECT count(*)::int FROM tthub.oauth_invites, inv
            WHERE invite_hash = sha256(convert_to(invite, 'UTF8')) AND store_code = 'oa-1' AND created_by = current_user
              AND expires_at BETWEEN now() + interval '7 days' - interval '1 minute' AND now() + interval '7 days'), 1,
          'only its SHA-256 is stored, for the store, valid 7 days by default');
SELECT is((SELECT count(*)::int FROM tthub.oauth_invites i, inv WHERE strpos(i::text, inv.invite) > 0), 0, 'the invite itself is not');
SELECT matches(tthub.tthub_connect_link('oa-1', '1 hour'), 'invite=', 'valid_for sets another lifetime');
SELECT is((SELECT count(*)::int FROM tthub.oauth_invites WHERE store_code = 'oa-1' AND expires_at < now() + interval '61 minutes'), 1,
          'of one hour');
SELECT throws_ok($$ SELECT tthub.tthub_connect_link('nosuch') $$, 'P0002', NULL, 'a link for an unknown store is refused (P0002)');
SELECT throws_ok($$ SELECT tthub.tthub_connect_link('Bad Code') $$, '22023', NULL, 'an invalid store code is refused (22023)');
SELECT throws_ok($$ SELECT tthub.tthub_connect_link('oa-1', '0') $$, '22023', NULL, 'a lifetime of zero is refused');
SELECT throws_ok($$ SELECT tthub.tthub_connect_link('oa-1', '91 days') $$, '22023', NULL, 'a lifetime over 90 days is refused');

-- Who may issue and read them.
SET LOCAL ROLE tthub_admin;
SELECT matches(tthub.tthub_connect_link('oa-1'), 'invite=', 'tthub_admin issues links');
SELECT ok((SELECT count(*) > 0 FROM (SELECT store_code, expires_at, used_at, open_id FROM tthub.oauth_invites) i),
          'and sees them (without the hashes)');
SELECT throws_ok($$ SELECT invite_hash FROM tthub.oauth_invites $$, '42501', NULL, 'admins cannot read the hashes');
RESET ROLE;
SET LOCAL ROLE tthub_reader;
SELECT throws_ok($$ SELECT tthub.tthub_connect_link('oa-1') $$, '42501', NULL, 'tthub_reader cannot issue links');
RESET ROLE;
SET LOCAL ROLE tthub_oauth;
SELECT throws_ok($$ SELECT tthub.tthub_connect_link('oa-1') $$, '42501', NULL, 'tthub_oauth cannot issue links');
SELECT throws_ok($$ SELECT tthub.tthub_oauth_begin('oa-1', 'https://x.test/cb') $$, 'TH106', NULL,
                 'a store code is no longer enough to begin an authorization (TH106 invalid invite)');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM tthub.oauth_states WHERE store_code = 'oa-1'), 0, 'and no state was created');

-- The shim's role reads no table and calls only the OAuth functions.
SET LOCAL ROLE tthub_oauth;
SELECT throws_ok(format('SELECT 1 FROM tthub.%I LIMIT 1', t), '42501', NULL, 'tthub_oauth cannot read tthub.' || t)
  FROM unnest(ARRAY['stores', 'store_accounts', 'user_daily', 'video_daily', 'sync_logs', 'sync_jobs',
                    'oauth_states', 'oauth_invites']) AS t;
SELECT throws_ok($$ SELECT tthub.tthub_sync('oa-1') $$, '42501', NULL, 'tthub_oauth cannot enqueue syncs');
SELECT throws_ok($$ SELECT tthub.tthub_decrypt_token('\x00', '') $$, '42501', NULL, 'tthub_oauth cannot decrypt');
SELECT throws_ok($$ SELECT tthub.tthub_disconnect('oa-1') $$, '42501', NULL, 'tthub_oauth cannot disconnect');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
