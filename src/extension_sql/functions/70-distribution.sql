-- Citus: where am I, table sizes, distributing, uninstalling.

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

-- This node's copy of a table's rows, as a name to put in a query: the table itself,
-- or on Citus the local placement of a reference table (every node holds one). Code
-- that may run inside a query on a shard (a row-level security policy, a function
-- pushed down with a filter) reads a reference table there: through the table, Citus
-- would plan a distributed query inside a shard's query, which it refuses.
CREATE OR REPLACE FUNCTION @extschema@._local_copy(tbl regclass) RETURNS text
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  shard bigint;
  method "char";
BEGIN
  IF @extschema@._citus_node_role() <> 'none' THEN
    EXECUTE 'SELECT p.partmethod, (SELECT min(s.shardid) FROM pg_catalog.pg_dist_shard s WHERE s.logicalrelid = p.logicalrelid)
               FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1'
      INTO method, shard USING tbl;
  END IF;
  IF method IS NULL THEN
    RETURN tbl::text;
  ELSIF method <> 'n' THEN
    RAISE EXCEPTION '% is distributed: no node holds all its rows', tbl USING ERRCODE = 'feature_not_supported';
  END IF;
  RETURN (SELECT format('%I.%I', n.nspname, c.relname || '_' || shard)
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = tbl);
END
$$;
COMMENT ON FUNCTION @extschema@._local_copy(regclass) IS
  'Internal: the relation holding this node''s copy of a table (on Citus, a reference table''s local shard), for code that may run inside a query on a shard.';
REVOKE ALL ON FUNCTION @extschema@._local_copy(regclass) FROM PUBLIC;

-- Table sizes. Citus's citus_tables and citus_shards list no table that belongs to an
-- extension, so on Citus the sizes come from pg_dist_shard and citus_shard_sizes()
-- (every placement, every node); on one node from pg_total_relation_size().
CREATE OR REPLACE FUNCTION @extschema@.tthub_table_sizes()
  RETURNS TABLE (table_name text, citus_table_type text, shards integer, nodes integer, total_bytes bigint)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF @extschema@._citus_node_role() = 'none' THEN
    RETURN QUERY
      SELECT c.relname::text, 'local'::text, 0, 1, pg_catalog.pg_total_relation_size(c.oid)
        FROM pg_catalog.pg_class c
       WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r'
       ORDER BY 1;
    RETURN;
  END IF;
  RETURN QUERY EXECUTE $q$
    WITH tables AS (
      SELECT c.oid, c.relname::text AS relname,
             CASE p.partmethod WHEN 'h' THEN 'distributed' WHEN 'n' THEN 'reference' ELSE 'local' END AS kind
        FROM pg_catalog.pg_class c
        LEFT JOIN pg_catalog.pg_dist_partition p ON p.logicalrelid = c.oid
       WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r'),
    placements AS (
      SELECT s.logicalrelid AS oid, count(DISTINCT s.shardid)::integer AS shards,
             count(DISTINCT pl.groupid)::integer AS nodes
        FROM pg_catalog.pg_dist_shard s
        JOIN pg_catalog.pg_dist_placement pl ON pl.shardid = s.shardid
       GROUP BY s.logicalrelid),
    sizes AS (  -- one row per placement: a reference table counts once per node
      SELECT s.logicalrelid AS oid, sum(z.size)::bigint AS bytes
        FROM pg_catalog.pg_dist_shard s
        JOIN pg_catalog.citus_shard_sizes() z ON z.shard_id = s.shardid
       GROUP BY s.logicalrelid)
    SELECT t.relname, t.kind, coalesce(pl.shards, 0), coalesce(pl.nodes, 1),
           coalesce(z.bytes, pg_catalog.pg_total_relation_size(t.oid))
      FROM tables t LEFT JOIN placements pl ON pl.oid = t.oid LEFT JOIN sizes z ON z.oid = t.oid
     ORDER BY 1 $q$;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_table_sizes() IS
  'Size of every tthub table: on Citus, summed over all shard placements on all nodes (Citus''s citus_tables hides extension tables), with its Citus table type, shards and nodes; on one node its local size.';
REVOKE ALL ON FUNCTION @extschema@.tthub_table_sizes() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_table_sizes() TO tthub_admin;

-- The tables behind tthub_reporting's views, which readers read themselves on Citus
-- (tthub_distribute grants them to tthub_reader; client readers read them behind
-- row-level security, functions/90-client-readers.sql). None holds a secret.
CREATE OR REPLACE FUNCTION @extschema@._reader_tables() RETURNS regclass[]
  LANGUAGE sql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
  RETURN ARRAY['@extschema@.stores', '@extschema@.clients', '@extschema@.user_daily', '@extschema@.video_daily',
               '@extschema@.video_labels', '@extschema@.videos', '@extschema@.video_observations',
               '@extschema@.refresh_calls', '@extschema@.sync_logs', '@extschema@.sync_jobs',
               '@extschema@.sync_ledger']::regclass[];
COMMENT ON FUNCTION @extschema@._reader_tables() IS
  'Internal: the tables behind the reporting views, which readers read with their own rights on Citus.';
REVOKE ALL ON FUNCTION @extschema@._reader_tables() FROM PUBLIC;

------------------------------------------------------------------------------
-- Citus: tthub_distribute() turns an install on a Citus coordinator into a
-- distributed one, in one transaction. Tables looked up without store_code
-- (stores, the OAuth tables: every table whose primary key lacks store_code) become
-- reference tables, copied to every node; every table keyed by store_code is
-- distributed by store_code and colocated with store_accounts, so that one store's
-- rows of every table live in one shard group and a single-store query goes to one
-- node. Idempotent: a table an update added later is distributed by the next call.
-- Distribution of extension tables cannot be undone (Citus refuses
-- undistribute_table on them); tthub_uninstall() removes the shards.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_distribute(shard_count integer DEFAULT 32) RETURNS text
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ext_oid oid := (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'tthub');
  my_version text := (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'tthub');
  anchor constant regclass := '@extschema@.store_accounts'::regclass;
  bad text;
  r record;
  progress boolean;
  new_reference text[] := '{}';
  new_distributed text[] := '{}';
  citus_tables integer;
  placement_summary text;
  quiet text;
BEGIN
  ---------------------------------------------------------------- preconditions
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
    RAISE EXCEPTION 'Citus is not installed in database "%"', current_database()
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'On every node put citus first in shared_preload_libraries and CREATE EXTENSION citus; add the workers with citus_add_node() on the coordinator; then call tthub_distribute() there (README: Running on Citus).';
  END IF;
  IF @extschema@._citus_node_role() <> 'coordinator' THEN
    RAISE EXCEPTION 'tthub_distribute() must run on the Citus coordinator'
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Connect to the coordinator and call it there.';
  END IF;
  IF shard_count IS NULL OR shard_count < 1 OR shard_count > 64000 THEN
    RAISE EXCEPTION 'shard_count must be between 1 and 64000' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_node n
                  WHERE n.isactive AND n.noderole = 'primary' AND (n.groupid <> 0 OR n.shouldhaveshards)) THEN
    RAISE EXCEPTION 'this Citus cluster has no node to hold shards'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Add the workers with SELECT citus_add_node(host, port); for single-node Citus, SELECT citus_set_coordinator_host(host, port) and SELECT citus_set_node_property(host, port, ''shouldhaveshards'', true).';
  END IF;
  -- Citus ran CREATE EXTENSION tthub (and every update) on the workers; a worker that
  -- missed one has other tables than ours.
  SELECT string_agg(format('%s:%s has %s', w.nodename, w.nodeport,
                           CASE WHEN w.success THEN 'tthub ' || w.result ELSE 'an error: ' || w.result END), '; ')
    INTO bad
    FROM pg_catalog.run_command_on_workers(
           $q$SELECT coalesce((SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'tthub'), 'not installed')$q$) w
   WHERE NOT w.success OR w.result IS DISTINCT FROM my_version;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'every worker node needs tthub %, as the coordinator has', my_version
      USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = bad,
            HINT = 'Install the same tthub package on every node, then ALTER EXTENSION tthub UPDATE on the coordinator (Citus runs it on the workers).';
  END IF;
  -- Workers preload tthub (its settings exist only then) with the sync worker off.
  SELECT string_agg(format('%s:%s %s', w.nodename, w.nodeport,
                           CASE WHEN NOT w.success THEN 'does not preload tthub'
                                WHEN split_part(w.result, '/', 1) <> 'off' THEN 'has tthub.worker_enabled on'
                                ELSE 'runs a tthub sync worker' END), '; ')
    INTO bad
    FROM pg_catalog.run_command_on_workers(
           $q$SELECT current_setting('tthub.worker_enabled') || '/' ||
                     (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE backend_type = 'tthub sync worker')$q$) w
   WHERE NOT w.success OR w.result <> 'off/0';
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'every worker node must preload tthub with its sync worker off'
      USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = bad,
            HINT = 'On each worker node set shared_preload_libraries = ''citus,tthub'' and tthub.worker_enabled = off, then restart it. Only the coordinator syncs.';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_object d JOIN pg_catalog.pg_extension e ON e.oid = d.objid
              WHERE d.classid = 'pg_catalog.pg_extension'::regclass AND e.extname = 'pg_cron') THEN
    RAISE EXCEPTION 'pg_cron was created with Citus DDL propagation on'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Citus would create pg_cron on every node it adds, and that fails where pg_cron is not preloaded.',
            HINT = 'Note your cron jobs, then: DROP EXTENSION pg_cron; SET citus.enable_ddl_propagation = off; CREATE EXTENSION pg_cron; RESET citus.enable_ddl_propagation; and schedule them again.';
  END IF;
  -- One connection per node from here on: a multi-shard query run in parallel would
  -- forbid the DDL below (FKs, grants) in this transaction.
  PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
  -- The worker's next claim waits for this transaction; a running job would write
  -- to the local tables while they are copied into shards.
  LOCK TABLE @extschema@.sync_jobs IN EXCLUSIVE MODE;
  IF EXISTS (SELECT 1 FROM @extschema@.sync_jobs WHERE state = 'running') THEN
    RAISE EXCEPTION 'a sync job is running'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Wait until tthub.sync_progress is empty, then call tthub_distribute() again.';
  END IF;

  ---------------------------------------------------------------- distribution
  -- Extension tables reference stores from the start: keep Citus from turning them
  -- into Citus local tables. The store-code trigger on stores (TH002) only raises, so
  -- it is safe on every shard.
  PERFORM set_config('citus.enable_local_reference_table_foreign_keys', 'off', true);
  PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
  -- Citus notices every copy and, when the local copies are truncated below, every
  -- table the TRUNCATE cascades to (local copies only): the summary says what matters.
  quiet := current_setting('client_min_messages');
  PERFORM set_config('client_min_messages', 'warning', true);

  -- Passes in foreign-key order: a table is taken once every table it references is a
  -- Citus table. Reference tables first, then store_accounts (the colocation group),
  -- then the rest.
  FOR pass IN 1..3 LOOP
    LOOP
      progress := false;
      FOR r IN
        SELECT c.oid::regclass AS tbl, c.relname::text AS name,
               c.relname <> 'stores' AND EXISTS (
                 SELECT 1 FROM pg_catalog.pg_constraint k
                   JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
                  WHERE k.conrelid = c.oid AND k.contype = 'p' AND a.attname = 'store_code')
               -- A partitioned table's key is its partitions' (video_observations).
               OR (c.relkind = 'p' AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                                                WHERE a.attrelid = c.oid AND a.attname = 'store_code'
                                                  AND NOT a.attisdropped)) AS by_store
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                                     AND d.refclassid = 'pg_catalog.pg_extension'::regclass
                                     AND d.refobjid = ext_oid AND d.deptype = 'e'
         WHERE c.relkind IN ('r', 'p')
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = c.oid)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint f
                            WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid
                              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p
                                               WHERE p.logicalrelid = f.confrelid))
         ORDER BY c.relname
      LOOP
        IF pass = 1 AND NOT r.by_store THEN
          PERFORM pg_catalog.create_reference_table(r.tbl);
          new_reference := new_reference || r.name;
        ELSIF pass = 2 AND r.tbl = anchor THEN
          PERFORM pg_catalog.create_distributed_table(r.tbl, 'store_code', colocate_with => 'none',
                                                      shard_count => shard_count);
          new_distributed := new_distributed || r.name;
        ELSIF pass = 3 AND r.by_store THEN
          PERFORM pg_catalog.create_distributed_table(r.tbl, 'store_code', colocate_with => anchor::text);
          new_distributed := new_distributed || r.name;
        ELSE
          CONTINUE;
        END IF;
        progress := true;
      END LOOP;
      EXIT WHEN NOT progress;
    END LOOP;
  END LOOP;

  SELECT string_agg(c.relname, ', ' ORDER BY c.relname) INTO bad
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                               AND d.refobjid = ext_oid AND d.deptype = 'e'
   WHERE c.relkind IN ('r', 'p') AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = c.oid);
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'could not distribute: %', bad
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Each references a table that is neither distributed nor a reference table.';
  END IF;

  -- A 0.4 install updated on Citus has stores.client_id without its foreign key
  -- (upgrade/0.4--0.5/15-clients.sql): clients is a reference table now, so it can go on.
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                  WHERE conrelid = '@extschema@.stores'::regclass AND conname = 'stores_client_id_fkey') THEN
    ALTER TABLE @extschema@.stores ADD CONSTRAINT stores_client_id_fkey
      FOREIGN KEY (client_id) REFERENCES @extschema@.clients (client_id) ON DELETE SET NULL;
  END IF;

  -- The rows were copied into the shards; the coordinator's local copies go.
  FOR r IN SELECT unnest(new_reference || new_distributed) AS name LOOP
    PERFORM pg_catalog.truncate_local_data_after_distributing_table(format('@extschema@.%I', r.name)::regclass);
  END LOOP;
  PERFORM set_config('client_min_messages', quiet, true);

  -- Citus checks the privileges of whoever reads a view on the shards themselves
  -- (citusdata/citus#1683), not the view owner's: readers of tthub_reporting need the
  -- schema and the tables behind its views, and nothing more. None of them holds a
  -- secret; accounts reach the views through _accounts_without_tokens(), webhook
  -- deliveries (admins' business) only as counts through _delivery_counts().
  GRANT USAGE ON SCHEMA @extschema@ TO tthub_reader;
  FOR r IN SELECT unnest(@extschema@._reader_tables()) AS tbl LOOP
    EXECUTE format('GRANT SELECT ON %s TO tthub_reader', r.tbl);
  END LOOP;
  REVOKE SELECT ON @extschema@.deliveries FROM tthub_reader;  -- granted by 0.4's tthub_distribute
  -- Admins read webhook_deliveries (the webhooks' URLs come through _webhook_urls()).
  GRANT SELECT ON @extschema@.deliveries TO tthub_admin;
  -- Client readers read the same tables, each row checked by row-level security on
  -- every shard (functions/90-client-readers.sql): distributing with or without them,
  -- before or after a grant, ends the same.
  PERFORM @extschema@._citus_secure_client_readers();

  ---------------------------------------------------------------- summary
  SELECT count(*) INTO citus_tables
    FROM pg_catalog.pg_dist_partition p JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
   WHERE c.relnamespace = '@extschema@'::regnamespace;
  SELECT string_agg(format('%s:%s %s', n.nodename, n.nodeport, x.placements), ', ' ORDER BY n.groupid, n.nodeport)
    INTO placement_summary
    FROM (SELECT pl.groupid, count(*) AS placements
            FROM pg_catalog.pg_dist_placement pl
            JOIN pg_catalog.pg_dist_shard s ON s.shardid = pl.shardid
            JOIN pg_catalog.pg_class c ON c.oid = s.logicalrelid
           WHERE c.relnamespace = '@extschema@'::regnamespace
           GROUP BY pl.groupid) x
    JOIN pg_catalog.pg_dist_node n ON n.groupid = x.groupid AND n.noderole = 'primary';
  IF cardinality(new_reference) + cardinality(new_distributed) = 0 THEN
    RETURN format('nothing to distribute: all %s tthub tables are Citus tables already; shard placements per node: %s',
                  citus_tables, placement_summary);
  END IF;
  RETURN format('reference tables: %s; distributed by store_code: %s; %s tthub tables are Citus tables now; shard placements per node: %s',
                coalesce(nullif(array_to_string(ARRAY(SELECT unnest(new_reference) ORDER BY 1), ', '), ''), 'none new'),
                coalesce(nullif(array_to_string(ARRAY(SELECT unnest(new_distributed) ORDER BY 1), ', '), ''), 'none new'),
                citus_tables, placement_summary);
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_distribute(integer) IS
  'On a Citus coordinator: make stores and the tables looked up without store_code reference tables, and distribute every table keyed by store_code by store_code, colocated (shard_count shards). One transaction; a second call distributes only what is missing. Returns a summary. Superusers only.';
REVOKE ALL ON FUNCTION @extschema@.tthub_distribute(integer) FROM PUBLIC;

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
