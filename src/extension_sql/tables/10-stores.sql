-- Stores: the table every other table's store_code refers to, and the two functions
-- its definition calls (a function a table's CHECK or trigger calls is part of the
-- table's definition: it is here, not in functions/).
------------------------------------------------------------------------------
-- Validation (C++)
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.check_store_code(store_code text) RETURNS boolean
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_check_store_code';
COMMENT ON FUNCTION @extschema@.check_store_code(text) IS
  'True for a valid store code (1-50 of a-z, 0-9, _ and -); raises 22023 with the rule otherwise.';

------------------------------------------------------------------------------
-- Tables. Every table holding store data is keyed by store_code and every key
-- includes it, so the tables can be distributed by store_code on Citus as they are.
------------------------------------------------------------------------------
CREATE TABLE @extschema@.stores (
  store_code  varchar(50) PRIMARY KEY CONSTRAINT stores_store_code_valid CHECK (@extschema@.check_store_code(store_code)),
  store_name  text        NOT NULL,
  pic_name    text,
  pic_contact text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz,
  timezone    text
);
COMMENT ON TABLE @extschema@.stores IS 'Stores (shops/brands) whose TikTok accounts tthub reports on.';
COMMENT ON COLUMN @extschema@.stores.store_code IS
  'Permanent store identifier: 1-50 of a-z, 0-9, _ and -; it cannot be changed (the tokens are encrypted under it). The distribution key on Citus.';
COMMENT ON COLUMN @extschema@.stores.store_name IS 'Display name of the store.';
COMMENT ON COLUMN @extschema@.stores.pic_name IS 'Person in charge of the store''s TikTok presence.';
COMMENT ON COLUMN @extschema@.stores.pic_contact IS 'How to reach the person in charge (e-mail, phone).';
COMMENT ON COLUMN @extschema@.stores.created_at IS 'When the store was added.';
COMMENT ON COLUMN @extschema@.stores.updated_at IS 'When the store row last changed.';
COMMENT ON COLUMN @extschema@.stores.disabled_at IS 'When the store was disabled (NULL: active). A disabled store is not synced; its data stays.';
COMMENT ON COLUMN @extschema@.stores.timezone IS
  'IANA time zone of the store''s day (tthub_set_store_timezone); NULL: tthub.snapshot_timezone. Its snapshot days, ledger and day-incomplete alert follow it from the day it is set; stored days are never rewritten.';
-- Keep data in pg_dump (extension-owned tables are otherwise dumped empty).
SELECT pg_catalog.pg_extension_config_dump('@extschema@.stores', '');
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.stores TO tthub_admin;

------------------------------------------------------------------------------
-- store_code names a store forever: it is in the encryption context (AAD) of the
-- store's tokens and in every key of its snapshots. Renaming it would make every
-- token undecryptable, so UPDATE refuses it and no foreign key cascades it (Citus
-- refuses ON UPDATE CASCADE on distributed tables too).
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@._refuse_store_code_change() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RAISE EXCEPTION 'the code of store "%" cannot be changed', OLD.store_code
    USING ERRCODE = 'TH002',
          DETAIL = 'A store code is permanent: it is part of the encryption context of the store''s tokens and of the key of every snapshot.',
          HINT = 'Change the store''s name with tthub.tthub_update_store(); a different code is a new store (tthub.tthub_add_store).';
END
$$;
COMMENT ON FUNCTION @extschema@._refuse_store_code_change() IS
  'Internal trigger function: refuses an UPDATE that changes stores.store_code (SQLSTATE TH002).';
REVOKE ALL ON FUNCTION @extschema@._refuse_store_code_change() FROM PUBLIC;

CREATE TRIGGER stores_store_code_immutable
  BEFORE UPDATE OF store_code ON @extschema@.stores
  FOR EACH ROW WHEN (OLD.store_code IS DISTINCT FROM NEW.store_code)
  EXECUTE FUNCTION @extschema@._refuse_store_code_change();
COMMENT ON TRIGGER stores_store_code_immutable ON @extschema@.stores IS
  'A store code never changes (SQLSTATE TH002): the store''s tokens are encrypted under it.';
