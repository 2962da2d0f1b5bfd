------------------------------------------------------------------------------
-- The schema guard: the first statement of both built scripts (Makefile), the fresh
-- install and the update. CREATE EXTENSION adopts a schema named tthub that exists
-- already, and an update runs in whatever the schema has become since; one that a
-- role other than a superuser owns, or may CREATE in, could hold that role's overloads
-- of tthub's functions, which superuser code (the script itself, the worker, SECURITY
-- DEFINER functions) would then call. Refused before anything else runs, by a block
-- that names only pg_catalog's functions and operators (the schema is on the script's
-- search_path).
------------------------------------------------------------------------------
DO $schema$
DECLARE
  owner_name name;
  owner_super boolean;
  creators text;
BEGIN
  SELECT r.rolname, r.rolsuper INTO owner_name, owner_super
    FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
   WHERE n.nspname OPERATOR(pg_catalog.=) '@extschema@'::name;
  SELECT pg_catalog.string_agg(DISTINCT coalesce(r.rolname::text, 'PUBLIC'), ', ') INTO creators
    FROM pg_catalog.pg_namespace n CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
    LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
   WHERE n.nspname OPERATOR(pg_catalog.=) '@extschema@'::name
     AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'::text AND NOT coalesce(r.rolsuper, false);
  IF NOT owner_super OR creators IS NOT NULL THEN
    RAISE EXCEPTION 'schema "@extschema@" is open to a role that is not a superuser'
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = CASE WHEN NOT owner_super THEN pg_catalog.format('It is owned by %I.', owner_name)
                          ELSE pg_catalog.format('CREATE on it is granted to %s.', creators) END,
            HINT = 'Whoever can create objects in it could put functions there that tthub''s superuser code would '
                   'call. Look at what it holds, then drop it (or make a superuser its owner and revoke CREATE), '
                   'and create or update the extension again.';
  END IF;
END
$schema$;
