-- Clients and labels (issue 21): an agency's customers own stores (a store belongs to
-- at most one client), free-text labels on stores and on videos, and the roles that
-- read one client's stores only (tthub_grant_client_reader). Nothing here is secret.
-- upgrade/0.4--0.5/15-clients.sql is the same change for an existing install.

------------------------------------------------------------------------------
-- tthub_client_reader: the group of every role granted a client. It may read
-- tthub_reporting, whose views show such a role its clients' stores only
-- (tthub.reader_stores). On one node it never gets a table of tthub; on Citus it
-- reads the shards itself, each row behind row-level security (tthub_distribute,
-- functions/90-client-readers.sql).
------------------------------------------------------------------------------
DO $roles$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tthub_client_reader') THEN
    CREATE ROLE tthub_client_reader NOLOGIN;
  END IF;
END
$roles$;
GRANT USAGE ON SCHEMA tthub_reporting TO tthub_client_reader;

CREATE TABLE @extschema@.clients (
  client_id  bigserial   PRIMARY KEY,
  name       text        NOT NULL UNIQUE CONSTRAINT clients_name_valid
               CHECK (name = btrim(name) AND length(name) BETWEEN 1 AND 100 AND name !~ '[[:cntrl:]]'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.clients IS
  'Clients (an agency''s customers): each owns stores (stores.client_id). Managed with tthub_add_client, tthub_rename_client, tthub_remove_client.';
COMMENT ON COLUMN @extschema@.clients.client_id IS 'Internal key (stores refer to it, so a rename touches one row).';
COMMENT ON COLUMN @extschema@.clients.name IS 'The client''s name, unique: 1-100 characters, no control character, no outer spaces.';
COMMENT ON COLUMN @extschema@.clients.created_at IS 'When the client was added.';
COMMENT ON COLUMN @extschema@.clients.updated_at IS 'When the client was last renamed.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.clients', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.clients_client_id_seq', '');
GRANT SELECT ON @extschema@.clients TO tthub_admin;

ALTER TABLE @extschema@.stores
  ADD COLUMN client_id bigint REFERENCES @extschema@.clients (client_id) ON DELETE SET NULL,
  ADD COLUMN labels text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN @extschema@.stores.client_id IS 'The client owning the store (tthub_set_store_client); NULL: none.';
COMMENT ON COLUMN @extschema@.stores.labels IS
  'Free-text labels of the store (tthub_label_store: a campaign, a product line, a region), sorted, each once.';

CREATE TABLE @extschema@.video_labels (
  store_code varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE,
  video_id   varchar(64) NOT NULL,
  labels     text[]      NOT NULL CONSTRAINT video_labels_not_empty CHECK (cardinality(labels) > 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_code, video_id)
);
COMMENT ON TABLE @extschema@.video_labels IS
  'Free-text labels of videos (tthub_label_video), one row per labelled video; reporting views show them as video_labels.';
COMMENT ON COLUMN @extschema@.video_labels.store_code IS 'Store of the video.';
COMMENT ON COLUMN @extschema@.video_labels.video_id IS 'TikTok video id.';
COMMENT ON COLUMN @extschema@.video_labels.labels IS 'The video''s labels, sorted, each once (a video without labels has no row).';
COMMENT ON COLUMN @extschema@.video_labels.updated_at IS 'When a label was last added or removed.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.video_labels', '');
GRANT SELECT ON @extschema@.video_labels TO tthub_admin;

-- By role name, not oid: a pg_dump restored elsewhere (other oids) keeps the grant.
CREATE TABLE @extschema@.client_readers (
  role_name  name        NOT NULL,
  client_id  bigint      NOT NULL REFERENCES @extschema@.clients (client_id) ON DELETE CASCADE,
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (role_name, client_id)
);
COMMENT ON TABLE @extschema@.client_readers IS
  'Roles that read one client''s stores only (tthub_grant_client_reader): through tthub_reporting they see the rows of these clients'' stores and nothing else.';
COMMENT ON COLUMN @extschema@.client_readers.role_name IS 'The reading role (a role that is a member of it reads the same).';
COMMENT ON COLUMN @extschema@.client_readers.client_id IS 'The client whose stores it reads.';
COMMENT ON COLUMN @extschema@.client_readers.granted_at IS 'When the grant was made.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.client_readers', '');
GRANT SELECT ON @extschema@.client_readers TO tthub_admin;
