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
  DELETE FROM @extschema@.sync_jobs j WHERE j.store_code = tthub_disable_store.store_code AND j.state = 'queued';
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_disable_store(text) IS 'Stop syncing a store (queued jobs are dropped); its accounts and snapshots stay.';
REVOKE ALL ON FUNCTION @extschema@.tthub_disable_store(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_disable_store(text) TO tthub_admin;
