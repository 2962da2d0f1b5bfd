------------------------------------------------------------------------------
-- Citus: where am I? On a Citus cluster every tthub write, sync, claim, store lock
-- and token operation happens on the coordinator: advisory locks and process ids
-- are node-local, and worker nodes hold no token key (README: Running on Citus).
-- The C++ side asks the same question in src/ext/citus/node_role.cpp.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@._citus_node_role() RETURNS text
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  grp integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
    RETURN 'none';
  END IF;
  -- Dynamic: pg_dist_local_group exists only where Citus is installed.
  EXECUTE 'SELECT groupid FROM pg_catalog.pg_dist_local_group' INTO grp;
  RETURN CASE WHEN grp = 0 THEN 'coordinator' ELSE 'worker' END;
END
$$;
COMMENT ON FUNCTION @extschema@._citus_node_role() IS
  'Internal: none (no Citus in this database), coordinator, or worker (a Citus worker node, where tthub only stores shards).';

CREATE OR REPLACE FUNCTION @extschema@._require_coordinator(what text) RETURNS void
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF @extschema@._citus_node_role() = 'worker' THEN
    RAISE EXCEPTION '% must run on the Citus coordinator, not on a worker node', what
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Syncs, claims, store locks and tokens are the coordinator''s: its locks and processes are not visible from other nodes, and worker nodes hold no token key.',
            HINT = 'Connect to the coordinator and run it there.';
  END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._require_coordinator(text) IS
  'Internal: raises 55000 when called on a Citus worker node (what names the refused operation).';
