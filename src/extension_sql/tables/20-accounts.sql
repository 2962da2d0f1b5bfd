-- Accounts: the TikTok accounts connected to stores (with their encrypted tokens), and
-- the connect links (invites) and pending OAuth authorizations that connect them.
CREATE TYPE @extschema@.account_status AS ENUM ('CONNECTED', 'NEED_RECONNECT', 'ERROR', 'DISABLED');
COMMENT ON TYPE @extschema@.account_status IS
  'CONNECTED: synced daily. NEED_RECONNECT: token revoked/expired or scope missing; the owner must reconnect. ERROR: last sync failed. DISABLED: disconnected by an admin.';

CREATE TABLE @extschema@.store_accounts (
  store_code               varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE,
  open_id                  varchar(128) NOT NULL,
  display_name             text,
  avatar_url               text,
  access_token_enc         bytea,
  refresh_token_enc        bytea,
  token_expires_at         timestamptz,
  refresh_token_expires_at timestamptz,
  scope                    text,
  status                   @extschema@.account_status NOT NULL DEFAULT 'CONNECTED',
  status_reason            text,
  last_sync_at             timestamptz,
  connected_at             timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now(),
  token_expiry_warned_for  timestamptz,
  PRIMARY KEY (store_code, open_id)
);
COMMENT ON TABLE @extschema@.store_accounts IS 'TikTok accounts connected to a store, with their encrypted tokens. Token columns are readable by no tthub role.';
COMMENT ON COLUMN @extschema@.store_accounts.store_code IS 'Store the account belongs to.';
COMMENT ON COLUMN @extschema@.store_accounts.open_id IS 'TikTok''s id of the user within this app (stable account key).';
COMMENT ON COLUMN @extschema@.store_accounts.display_name IS 'Profile display name, refreshed at each sync.';
COMMENT ON COLUMN @extschema@.store_accounts.avatar_url IS 'Profile avatar URL, refreshed at each sync (TikTok CDN links expire).';
COMMENT ON COLUMN @extschema@.store_accounts.access_token_enc IS 'Access token, AES-256-GCM envelope (context tthub.token_context(store_code, open_id, ''access_token'')).';
COMMENT ON COLUMN @extschema@.store_accounts.refresh_token_enc IS 'Refresh token, AES-256-GCM envelope (context tthub.token_context(store_code, open_id, ''refresh_token'')).';
COMMENT ON COLUMN @extschema@.store_accounts.token_expires_at IS 'When the access token expires (now + expires_in of the last token response).';
COMMENT ON COLUMN @extschema@.store_accounts.refresh_token_expires_at IS 'When the refresh token expires (now + refresh_expires_in); after it the owner must reconnect.';
COMMENT ON COLUMN @extschema@.store_accounts.scope IS 'Comma-separated scopes the user granted.';
COMMENT ON COLUMN @extschema@.store_accounts.status IS 'Connection state; only CONNECTED accounts are synced.';
COMMENT ON COLUMN @extschema@.store_accounts.status_reason IS 'Why the account left CONNECTED (never contains a token).';
COMMENT ON COLUMN @extschema@.store_accounts.last_sync_at IS 'When a sync of this account last succeeded.';
COMMENT ON COLUMN @extschema@.store_accounts.connected_at IS 'When the account was (re)connected.';
COMMENT ON COLUMN @extschema@.store_accounts.updated_at IS 'When the row last changed.';
COMMENT ON COLUMN @extschema@.store_accounts.token_expiry_warned_for IS
  'The refresh_token_expires_at that account.token_expiring was sent for (kept with the account: its event is pruned).';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.store_accounts', '');
REVOKE ALL ON @extschema@.store_accounts FROM PUBLIC;
-- Admins see accounts but never a token column.
GRANT SELECT (store_code, open_id, display_name, avatar_url, token_expires_at, refresh_token_expires_at,
              scope, status, status_reason, last_sync_at, connected_at, updated_at)
   ON @extschema@.store_accounts TO tthub_admin;

------------------------------------------------------------------------------
-- Connecting a store only by invitation. A store code is printed on receipts, so
-- knowing one must not be enough to attach a TikTok account to the store: an
-- admin issues a connect link carrying a random invite, and tthub_oauth_begin
-- takes that invite instead of a store code.
------------------------------------------------------------------------------
-- Looked up by the invite alone (the link carries nothing else): like oauth_states,
-- a reference table on Citus rather than one distributed by store_code.
CREATE TABLE @extschema@.oauth_invites (
  invite_hash bytea       PRIMARY KEY,
  store_code  varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  name        NOT NULL,
  expires_at  timestamptz NOT NULL,
  open_id     varchar(128),
  used_at     timestamptz,
  CONSTRAINT oauth_invites_expiry_after_creation CHECK (expires_at > created_at)
);
CREATE INDEX oauth_invites_store_idx ON @extschema@.oauth_invites (store_code);
COMMENT ON TABLE @extschema@.oauth_invites IS
  'Connect links issued by tthub_connect_link: one store each, valid until expires_at, spent once an account is connected through it. Only SHA-256 hashes are stored. Delete a row to withdraw its link.';
COMMENT ON COLUMN @extschema@.oauth_invites.invite_hash IS 'SHA-256 of the invite in the link (the invite itself is never stored).';
COMMENT ON COLUMN @extschema@.oauth_invites.store_code IS 'Store the link connects an account to.';
COMMENT ON COLUMN @extschema@.oauth_invites.created_at IS 'When the link was issued.';
COMMENT ON COLUMN @extschema@.oauth_invites.created_by IS 'Session user who issued the link.';
COMMENT ON COLUMN @extschema@.oauth_invites.expires_at IS 'After this the link is refused (SQLSTATE TH107).';
COMMENT ON COLUMN @extschema@.oauth_invites.open_id IS 'TikTok account first connected through the link; no other account can use it afterwards.';
COMMENT ON COLUMN @extschema@.oauth_invites.used_at IS 'When an account was connected through the link with every scope; the link is spent (SQLSTATE TH108).';
-- Invites live for days: pg_dump keeps them, so a restore does not void links already sent.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.oauth_invites', '');
-- Admins see and withdraw links; the hash is of no use to them.
GRANT SELECT (store_code, created_at, created_by, expires_at, open_id, used_at), DELETE
  ON @extschema@.oauth_invites TO tthub_admin;

-- Looked up by state alone (the callback carries nothing else): on Citus, a
-- reference table rather than one distributed by store_code. Every pending
-- authorization comes from an invite.
CREATE TABLE @extschema@.oauth_states (
  state_hash   bytea       PRIMARY KEY,
  store_code   varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE,
  redirect_uri text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz,
  invite_hash  bytea       NOT NULL REFERENCES @extschema@.oauth_invites (invite_hash) ON DELETE CASCADE
);
CREATE INDEX oauth_states_expires_idx ON @extschema@.oauth_states (expires_at);
CREATE INDEX oauth_states_invite_idx ON @extschema@.oauth_states (invite_hash);
-- Counting a store's pending authorizations (the cap in tthub_oauth_begin).
CREATE INDEX oauth_states_store_idx ON @extschema@.oauth_states (store_code, expires_at);
REVOKE ALL ON @extschema@.oauth_states FROM PUBLIC;
COMMENT ON TABLE @extschema@.oauth_states IS 'Pending OAuth authorizations: single-use, 10-minute states, stored only as SHA-256 hashes.';
COMMENT ON COLUMN @extschema@.oauth_states.state_hash IS 'SHA-256 of the state parameter (the state itself is never stored).';
COMMENT ON COLUMN @extschema@.oauth_states.store_code IS 'Store being connected.';
COMMENT ON COLUMN @extschema@.oauth_states.redirect_uri IS 'redirect_uri of the authorize request; the code exchange must repeat it.';
COMMENT ON COLUMN @extschema@.oauth_states.created_at IS 'When the authorization began.';
COMMENT ON COLUMN @extschema@.oauth_states.expires_at IS 'After this the state is refused.';
COMMENT ON COLUMN @extschema@.oauth_states.used_at IS 'When the callback used it (a state works once).';
COMMENT ON COLUMN @extschema@.oauth_states.invite_hash IS 'Invite the authorization began with; withdrawing the invite cancels it.';
