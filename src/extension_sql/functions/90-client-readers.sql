-- A BI login per client (issue 21): tthub_grant_client_reader gives an existing role
-- tthub_reporting with only one client's stores in it. Last in functions/: it grants
-- tthub_client_reader what every view and function of tthub_reporting needs, whichever
-- file defined them.

------------------------------------------------------------------------------
-- Client readers on Citus. A distributed query reads the shards with the reading
-- role's own rights (citusdata/citus#1683), not the view owner's: a client reader
-- needs SELECT on the tables behind tthub_reporting (and so holds it on their shards,
-- on every node), so the rows themselves must say who reads them. Row-level security
-- on each such table, and on every shard of it, lets a client reader's session see
-- its clients' stores' rows and nothing else, however it reads (through the views,
-- the tables, a shard on a worker node, or its own function in a WHERE clause, which
-- PostgreSQL never runs before the policy). Every other role reads as before: the
-- policy passes a role that is not in tthub_client_reader; superusers and the table
-- owner (the worker, SECURITY DEFINER functions, the views) are not subject to it.
--
-- The policies are on every install, one node too, where they cost nothing: the
-- views read as their owner and client readers hold no table there. So a dump of a
-- Citus coordinator (which carries tthub_client_reader's grants, but not the
-- extension's policies: CREATE EXTENSION makes them) restored anywhere is as safe.
-- The table grants are made on Citus only (tthub_distribute, or a grant there).
------------------------------------------------------------------------------

-- The policies' test, run for each row a client reader's query scans, on the node
-- holding the row. The codes of the stores `who` reads are computed once per query
-- (reference tables read through this node's copy), then each row is a comparison
-- (src/ext/sql_api/client_reader_sql.cpp): a PL/pgSQL test per row made a client
-- reader's scan of 300,000 rows take minutes.
CREATE OR REPLACE FUNCTION @extschema@._client_reader_store_codes(who name) RETURNS text[]
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  codes text[];
BEGIN
  -- Which clients `who` reads is _client_reader_client_ids' rule (it answers none for
  -- a role the session cannot act as); here only their stores are added.
  EXECUTE format('SELECT coalesce(array_agg(s.store_code::text), ''{}'') FROM %s s WHERE s.client_id = ANY ($1)',
                 @extschema@._local_copy('@extschema@.stores'))
    INTO codes USING @extschema@._client_reader_client_ids(who);
  RETURN codes;
END
$$;
COMMENT ON FUNCTION @extschema@._client_reader_store_codes(name) IS
  'Internal (row-level security on Citus): the codes of the stores of the clients a client reader (who) reads (_client_reader_client_ids), from this node''s copy of stores.';
-- Called by _client_reader_reads_store (C, through fmgr), by no role.
REVOKE ALL ON FUNCTION @extschema@._client_reader_store_codes(name) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@._client_reader_reads_store(who name, store_code text) RETURNS boolean
  LANGUAGE c STABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_client_reader_reads_store';
COMMENT ON FUNCTION @extschema@._client_reader_reads_store(name, text) IS
  'Internal (row-level security on Citus): whether a client reader (who) reads this store; its stores are looked up once per query (_client_reader_store_codes).';
-- Every role that reads the tables runs the policy, and PostgreSQL checks EXECUTE on
-- its functions for each of them before any row (whatever the OR before them says): so
-- every role may call it, a DBA's own ETL login with SELECT on a table included. It
-- answers only about the session's own roles.
GRANT EXECUTE ON FUNCTION @extschema@._client_reader_reads_store(name, text) TO PUBLIC;

-- The ids of the clients a client reader (who) reads (_granted_clients, from this
-- node's copy of client_readers), for the policies on the nodes (the stores above,
-- the clients below); SECURITY DEFINER, so only the roles that can be client readers'
-- sessions or read for them may call it. Asked about a role the session cannot act
-- as: none (as _visible_clients).
CREATE OR REPLACE FUNCTION @extschema@._client_reader_client_ids(who name) RETURNS bigint[]
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT pg_catalog.pg_has_role(session_user, who, 'MEMBER') THEN
    RETURN '{}';
  END IF;
  RETURN coalesce(@extschema@._granted_clients(who), '{}');
END
$$;
COMMENT ON FUNCTION @extschema@._client_reader_client_ids(name) IS
  'Internal (row-level security on Citus): the clients a client reader (who, the session''s role or one it acts as) reads, from this node''s copy of client_readers.';
REVOKE ALL ON FUNCTION @extschema@._client_reader_client_ids(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._client_reader_client_ids(name) TO tthub_reader, tthub_admin, tthub_client_reader;

-- The policy's test on clients (a small table: a lookup per row is enough). Not
-- SECURITY DEFINER, so open to every role, as _client_reader_reads_store is: only a
-- client reader's rows call it (the policy's first test passes everyone else), and a
-- client reader may call what it calls.
CREATE OR REPLACE FUNCTION @extschema@._client_reader_reads_client(who name, client_id bigint) RETURNS boolean
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
  RETURN client_id = ANY (@extschema@._client_reader_client_ids(who));
COMMENT ON FUNCTION @extschema@._client_reader_reads_client(name, bigint) IS
  'Internal (row-level security on Citus): whether a client reader (who) reads this client (_client_reader_client_ids).';
GRANT EXECUTE ON FUNCTION @extschema@._client_reader_reads_client(name, bigint) TO PUBLIC;

-- Row-level security for client readers on one table, made only where missing. On
-- a Citus table Citus carries ENABLE ROW LEVEL SECURITY and CREATE POLICY to every
-- shard, and copies them to a shard it moves or a node it adds; a table distributed
-- later gets them from its local table's.
CREATE OR REPLACE FUNCTION @extschema@._protect_from_client_readers(tbl regclass) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  per_store constant boolean := EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                                         WHERE a.attrelid = tbl AND a.attname = 'store_code' AND NOT a.attisdropped);
BEGIN
  IF NOT per_store AND tbl <> '@extschema@.clients'::regclass THEN
    RAISE EXCEPTION 'table % has no store_code: client readers cannot be given it', tbl
      USING ERRCODE = 'internal_error',
            DETAIL = 'Readers read it on Citus, and each row a client reader may read must name its store.';
  END IF;
  IF NOT (SELECT c.relrowsecurity FROM pg_catalog.pg_class c WHERE c.oid = tbl) THEN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = tbl AND p.polname = 'tthub_client_reader_rows') THEN
    EXECUTE format('CREATE POLICY tthub_client_reader_rows ON %s TO PUBLIC USING (%s)', tbl,
      'NOT pg_catalog.pg_has_role(''tthub_client_reader'', ''MEMBER'') OR '
      || CASE WHEN per_store THEN '@extschema@._client_reader_reads_store(CURRENT_USER, (store_code)::text)'
              ELSE '@extschema@._client_reader_reads_client(CURRENT_USER, client_id)' END);
    EXECUTE format('COMMENT ON POLICY tthub_client_reader_rows ON %s IS %L', tbl,
      'A client reader (tthub_grant_client_reader) reads its clients'' stores'' rows only; every other role as its grants say.');
  END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._protect_from_client_readers(regclass) IS
  'Internal: row-level security on a table readers read (the policy tthub_client_reader_rows), where missing.';
REVOKE ALL ON FUNCTION @extschema@._protect_from_client_readers(regclass) FROM PUBLIC;

-- Every install: the tables that are not Citus tables yet (all of them on one node).
-- A Citus table (distributed by an older tthub) is left to tthub_distribute and
-- tthub_grant_client_reader: DDL from an extension script does not reach its shards.
DO $protect$
DECLARE
  tbl regclass;
  on_citus boolean;
BEGIN
  FOREACH tbl IN ARRAY @extschema@._reader_tables() LOOP
    on_citus := false;
    IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
      EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid = $1)' INTO on_citus USING tbl;
    END IF;
    IF NOT on_citus THEN
      PERFORM @extschema@._protect_from_client_readers(tbl);
    END IF;
  END LOOP;
END
$protect$;

-- On Citus: called by tthub_distribute (after its grants to tthub_reader) and by
-- tthub_grant_client_reader on a distributed install. Each table gets the policy
-- before tthub_client_reader gets SELECT on it.
CREATE OR REPLACE FUNCTION @extschema@._citus_secure_client_readers() RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  tbl regclass;
BEGIN
  FOREACH tbl IN ARRAY @extschema@._reader_tables() LOOP
    PERFORM @extschema@._protect_from_client_readers(tbl);
    IF NOT pg_catalog.has_table_privilege('tthub_client_reader', tbl, 'SELECT') THEN
      EXECUTE format('GRANT SELECT ON %s TO tthub_client_reader', tbl);
    END IF;
  END LOOP;
  -- The shards' names are resolved in tthub on every node.
  GRANT USAGE ON SCHEMA @extschema@ TO tthub_client_reader;
END
$$;
COMMENT ON FUNCTION @extschema@._citus_secure_client_readers() IS
  'Internal (Citus): row-level security for client readers on every table readers read, and tthub_client_reader''s SELECT on them; adds only what is missing.';
REVOKE ALL ON FUNCTION @extschema@._citus_secure_client_readers() FROM PUBLIC;

-- The role and the client must agree with the rest: a role that reads every store
-- (superuser, tthub_reader, tthub_admin) cannot be narrowed by a grant.
CREATE OR REPLACE FUNCTION @extschema@.tthub_grant_client_reader(role regrole, client text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  id constant bigint := @extschema@._require_client(client);
  r pg_catalog.pg_roles;
BEGIN
  -- Grants are written on the coordinator (client_readers is a reference table there).
  PERFORM @extschema@._require_coordinator('tthub_grant_client_reader');
  SELECT * INTO r FROM pg_catalog.pg_roles g WHERE g.oid = role;
  IF r.rolname IS NULL THEN
    RAISE EXCEPTION 'role % does not exist', role USING ERRCODE = 'undefined_object';
  END IF;
  IF r.rolsuper OR r.rolbypassrls
     OR r.rolname IN ('tthub_reader', 'tthub_admin', 'tthub_client_reader', 'tthub_oauth')
     OR pg_catalog.pg_has_role(role, 'tthub_reader', 'MEMBER') OR pg_catalog.pg_has_role(role, 'tthub_admin', 'MEMBER') THEN
    RAISE EXCEPTION 'role "%" cannot be a client reader', r.rolname
      USING ERRCODE = 'TH206',
            DETAIL = 'It is a superuser, one of tthub''s own roles, or a member of tthub_reader or tthub_admin: it reads every store.',
            HINT = 'Create a login role of its own for the client (CREATE ROLE ... LOGIN) and grant that.';
  END IF;
  -- Distributed already (by tthub_distribute of an older version, say): the rows must
  -- check their reader before the role joins tthub_client_reader. Local tables on a
  -- coordinator are read through the views alone, as on one node, until
  -- tthub_distribute does the same.
  IF @extschema@._local_copy('@extschema@.stores') <> '@extschema@.stores'::regclass::text THEN
    PERFORM @extschema@._citus_secure_client_readers();
  END IF;
  INSERT INTO @extschema@.client_readers (role_name, client_id) VALUES (r.rolname, id)
  ON CONFLICT DO NOTHING;
  EXECUTE format('GRANT tthub_client_reader TO %I', r.rolname);
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_grant_client_reader(regrole, text) IS
  'Let an existing role read the stores of one client (more with more calls) through tthub_reporting, and no other store: every view there shows it only those stores'' rows.';
REVOKE ALL ON FUNCTION @extschema@.tthub_grant_client_reader(regrole, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_grant_client_reader(regrole, text) TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@._revoke_client_reader(role_name text, client_id bigint) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  DELETE FROM @extschema@.client_readers m
   WHERE m.role_name = _revoke_client_reader.role_name AND m.client_id = _revoke_client_reader.client_id;
  IF NOT EXISTS (SELECT 1 FROM @extschema@.client_readers m WHERE m.role_name = _revoke_client_reader.role_name)
     AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles g WHERE g.rolname = _revoke_client_reader.role_name) THEN
    EXECUTE format('REVOKE tthub_client_reader FROM %I', role_name);
  END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._revoke_client_reader(text, bigint) IS
  'Internal: drop a role''s grant of a client, and its tthub_client_reader membership with its last client.';
REVOKE ALL ON FUNCTION @extschema@._revoke_client_reader(text, bigint) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.tthub_revoke_client_reader(role regrole, client text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  id constant bigint := @extschema@._require_client(client);
  rname constant text := (SELECT g.rolname FROM pg_catalog.pg_roles g WHERE g.oid = role);
BEGIN
  IF NOT EXISTS (SELECT 1 FROM @extschema@.client_readers m WHERE m.role_name = rname AND m.client_id = id) THEN
    RAISE EXCEPTION 'role "%" does not read client "%"', rname, btrim(client) USING ERRCODE = 'TH207';
  END IF;
  PERFORM @extschema@._revoke_client_reader(rname, id);
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_revoke_client_reader(regrole, text) IS
  'Take one client away from a client reader; with its last client it leaves tthub_client_reader and reads nothing.';
REVOKE ALL ON FUNCTION @extschema@.tthub_revoke_client_reader(regrole, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_revoke_client_reader(regrole, text) TO tthub_admin;

-- What tthub_reader may read and call to read tthub_reporting, tthub_client_reader may
-- too: the views of tthub_reporting, its functions, and the functions of tthub those
-- views call (a view checks a function's EXECUTE as the reader). Never a table of
-- tthub on one node (on Citus, _citus_secure_client_readers above). Every view there joins tthub.reader_stores or shows a client reader nothing
-- (test/pgtap/client_readers.sql checks each one, whoever added it).
DO $grants$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT p.oid::regprocedure AS fn
      FROM pg_catalog.pg_proc p
     WHERE p.pronamespace IN ('@extschema@'::regnamespace, 'tthub_reporting'::regnamespace)
       AND pg_catalog.has_function_privilege('tthub_reader', p.oid, 'EXECUTE')
       AND EXISTS (SELECT 1 FROM pg_catalog.aclexplode(p.proacl) a
                    WHERE a.grantee = 'tthub_reader'::regrole AND a.privilege_type = 'EXECUTE')
  LOOP
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO tthub_client_reader', r.fn);
  END LOOP;
END
$grants$;
GRANT SELECT ON ALL TABLES IN SCHEMA tthub_reporting TO tthub_client_reader;

-- The columns issue 21 adds to reporting views, described once for every view that has them.
DO $comments$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT v.relname, a.attname
      FROM pg_catalog.pg_class v
      JOIN pg_catalog.pg_attribute a ON a.attrelid = v.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE v.relnamespace = 'tthub_reporting'::regnamespace AND v.relkind = 'v'
       AND a.attname IN ('client', 'labels', 'video_labels', 'timezone')
  LOOP
    EXECUTE format('COMMENT ON COLUMN tthub_reporting.%I.%I IS %L', r.relname, r.attname,
      CASE r.attname
        WHEN 'client' THEN 'The client owning the store (NULL: none; tthub_set_store_client).'
        WHEN 'labels' THEN 'The store''s labels, sorted (tthub_label_store); filter with ''x'' = ANY (labels).'
        WHEN 'video_labels' THEN 'The video''s labels, sorted (tthub_label_video); empty when none.'
        ELSE 'The time zone of the store''s snapshot days (its own, else tthub.snapshot_timezone).' END);
  END LOOP;
END
$comments$;
