-- Stores: adding, changing, disabling and enabling them (tthub_admin).

------------------------------------------------------------------------------
-- Every function pins its search_path (every file in functions/ and tables/).
--
-- tthub's functions run as a superuser (SECURITY DEFINER, or called by the worker
-- and by DBAs). A function that resolves names through the caller's search_path
-- lets any role that can CREATE a schema or a function there put its own code in
-- place of a built-in: an operator `=(varchar, text)` or a `to_timestamp(numeric)`
-- matches more exactly than pg_catalog's and wins. Pinned to pg_catalog, pg_temp,
-- names resolve to built-ins only (pg_temp last: no function or operator is ever
-- looked up there), and tthub's own objects are always written @extschema@.x.
-- test/integration/search_path.sh plants such shadows and runs every path.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._require_store(store_code text) RETURNS void
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@.check_store_code(store_code);
  IF NOT EXISTS (SELECT 1 FROM @extschema@.stores s WHERE s.store_code = _require_store.store_code) THEN
    RAISE EXCEPTION 'store "%" does not exist', store_code USING ERRCODE = 'no_data_found';
  END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._require_store(text) IS 'Internal: a valid code of an existing store, or a clear error.';

------------------------------------------------------------------------------
-- Store management (tthub_admin)
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_add_store(store_code text, store_name text, pic_name text DEFAULT NULL,
                                            pic_contact text DEFAULT NULL) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@.check_store_code(store_code);
  IF coalesce(btrim(store_name), '') = '' THEN
    RAISE EXCEPTION 'a store needs a name' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO @extschema@.stores (store_code, store_name, pic_name, pic_contact)
  VALUES (store_code, btrim(store_name), nullif(btrim(pic_name), ''), nullif(btrim(pic_contact), ''));
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION 'store "%" already exists', store_code USING ERRCODE = 'unique_violation';
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_add_store(text, text, text, text) IS 'Add a store (code: 1-50 of a-z, 0-9, _ and -).';
REVOKE ALL ON FUNCTION @extschema@.tthub_add_store(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_add_store(text, text, text, text) TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_update_store(store_code text, store_name text DEFAULT NULL,
                                               pic_name text DEFAULT NULL, pic_contact text DEFAULT NULL) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@._require_store(store_code);
  IF store_name IS NOT NULL AND btrim(store_name) = '' THEN
    RAISE EXCEPTION 'a store needs a name' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  UPDATE @extschema@.stores s
     SET store_name = coalesce(btrim(tthub_update_store.store_name), s.store_name),
         pic_name = coalesce(tthub_update_store.pic_name, s.pic_name),
         pic_contact = coalesce(tthub_update_store.pic_contact, s.pic_contact),
         updated_at = now()
   WHERE s.store_code = tthub_update_store.store_code;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_update_store(text, text, text, text) IS 'Change a store''s name or contact (NULL arguments keep the current value).';
REVOKE ALL ON FUNCTION @extschema@.tthub_update_store(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_update_store(text, text, text, text) TO tthub_admin;

------------------------------------------------------------------------------
-- Citus: disabling a store without now() inside COALESCE (Citus refuses it in an
-- UPDATE of its tables). The first disable sets disabled_at; a repeated one only
-- touches updated_at, as before.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_disable_store(store_code text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@._require_store(store_code);
  UPDATE @extschema@.stores s SET disabled_at = now(), updated_at = now()
   WHERE s.store_code = tthub_disable_store.store_code AND s.disabled_at IS NULL;
  IF NOT FOUND THEN
    UPDATE @extschema@.stores s SET updated_at = now() WHERE s.store_code = tthub_disable_store.store_code;
  END IF;
  -- Jobs not started yet are dropped; a running one finishes.
  PERFORM @extschema@._drop_queued_jobs(store_code);
  -- Its connect links not spent yet, and the authorizations in progress, are withdrawn
  -- (enabling the store again revives none: the admin issues new links). A connection
  -- that completes regardless gets no sync: the claim skips a disabled store.
  DELETE FROM @extschema@.oauth_states o
   WHERE o.store_code = tthub_disable_store.store_code AND o.used_at IS NULL;
  DELETE FROM @extschema@.oauth_invites i
   WHERE i.store_code = tthub_disable_store.store_code AND i.used_at IS NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_disable_store(text) IS 'Stop syncing a store (queued jobs are dropped, its connect links withdrawn); its accounts and snapshots stay.';
REVOKE ALL ON FUNCTION @extschema@.tthub_disable_store(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_disable_store(text) TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_enable_store(store_code text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@._require_store(store_code);
  UPDATE @extschema@.stores s SET disabled_at = NULL, updated_at = now()
   WHERE s.store_code = tthub_enable_store.store_code;
  PERFORM @extschema@._wake_worker();  -- a job left queued while it was disabled can run now
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_enable_store(text) IS 'Sync a disabled store again.';
REVOKE ALL ON FUNCTION @extschema@.tthub_enable_store(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_enable_store(text) TO tthub_admin;
