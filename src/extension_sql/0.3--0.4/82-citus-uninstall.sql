------------------------------------------------------------------------------
-- Removing tthub, on one node or from a Citus cluster. On Citus a plain DROP
-- EXTENSION tthub is refused (the coordinator's reference shard of stores carries
-- the store-code CHECK, which is no extension member), and DROP ... CASCADE leaves
-- every shard behind on every node. Dropping the shards first, in the same
-- transaction as the extension, leaves nothing (test/citus/suite.sh).
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_uninstall() RETURNS text
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  role text := @extschema@._citus_node_role();
  r record;
  tables integer := 0;
  shards bigint := 0;
BEGIN
  IF role = 'worker' THEN
    RAISE EXCEPTION 'tthub_uninstall() must run on the Citus coordinator'
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Connect to the coordinator and call it there.';
  END IF;
  IF role = 'coordinator' THEN
    -- citus_drop_all_shards does nothing (returns -1) without DDL propagation.
    IF current_setting('citus.enable_ddl_propagation') <> 'on' THEN
      RAISE EXCEPTION 'tthub_uninstall() needs citus.enable_ddl_propagation on'
        USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'RESET citus.enable_ddl_propagation, then call it again.';
    END IF;
    -- A moved shard's old copy waits in pg_dist_cleanup for Citus to drop it, and
    -- would keep DROP EXTENSION from succeeding on its node.
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_cleanup WHERE object_name LIKE '@extschema@.%') THEN
      RAISE EXCEPTION 'shards of tthub tables are waiting for Citus to drop them'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'Old copies of moved shards stay until Citus cleans them up.',
              HINT = 'CALL citus_cleanup_orphaned_resources(); then call tthub_uninstall() again.';
    END IF;
    FOR r IN
      SELECT p.logicalrelid, c.relname::text AS name
        FROM pg_catalog.pg_dist_partition p JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
       WHERE c.relnamespace = '@extschema@'::regnamespace
       ORDER BY p.partmethod = 'n', c.relname  -- distributed tables before the reference tables they reference
    LOOP
      shards := shards + greatest(pg_catalog.citus_drop_all_shards(r.logicalrelid, '@extschema@', r.name), 0);
      tables := tables + 1;
    END LOOP;
  END IF;
  IF to_regnamespace('cron') IS NOT NULL THEN
    PERFORM @extschema@.tthub_unschedule_daily_sync();
  END IF;
  -- The extension goes with this function; the running call is not disturbed. On
  -- Citus the DROP reaches every node. Roles stay (they are cluster-wide).
  DROP EXTENSION tthub;
  -- CREATE EXTENSION made the schema but it is no member: it goes too when nothing
  -- else lives in it (on Citus the DROP SCHEMA reaches every node).
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend
                  WHERE refclassid = 'pg_catalog.pg_namespace'::regclass AND refobjid = '@extschema@'::regnamespace) THEN
    DROP SCHEMA @extschema@;
  END IF;
  RETURN CASE WHEN role = 'coordinator'
              THEN format('tthub removed from every node (%s shards of %s Citus tables dropped)', shards, tables)
              ELSE 'tthub removed' END;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_uninstall() IS
  'Remove tthub: unschedules the daily sync, on a Citus coordinator drops every shard of its tables on every node, then drops the extension (on every node). Data is lost: dump it first. Superusers only.';
REVOKE ALL ON FUNCTION @extschema@.tthub_uninstall() FROM PUBLIC;
