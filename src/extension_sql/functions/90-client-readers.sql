-- A BI login per client (issue 21): tthub_grant_client_reader gives an existing role
-- tthub_reporting with only one client's stores in it. Last in functions/: it grants
-- tthub_client_reader what every view and function of tthub_reporting needs, whichever
-- file defined them.

-- The role and the client must agree with the rest: a role that reads every store
-- (superuser, tthub_reader, tthub_admin) cannot be narrowed by a grant, and on Citus
-- tthub_reader holds the tables themselves.
CREATE OR REPLACE FUNCTION @extschema@.tthub_grant_client_reader(role regrole, client text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  id constant bigint := @extschema@._require_client(client);
  r pg_catalog.pg_roles;
BEGIN
  -- On Citus a reader reads the shards with its own rights (citusdata/citus#1683), and
  -- a client reader holds none: until the shards filter rows themselves, refuse.
  IF @extschema@._citus_node_role() <> 'none' THEN
    RAISE EXCEPTION 'client readers are not supported on a Citus cluster yet'
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'Citus checks a reader''s rights on the shards, and a client reader may hold none of another client''s rows.',
            HINT = 'Keep the client''s stores in a database on one node, or give the client a login in tthub_reader on a database of its own.';
  END IF;
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
-- tthub. Every view there joins tthub.reader_stores or shows a client reader nothing
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
