-- The catalog of the tthub extension as text, one line per fact, sorted: every member
-- object and, per kind, what defines it (columns and their types, defaults, comments
-- and privileges; constraints, indexes, triggers, view and function definitions with
-- their settings; enum labels in order; sequences; the schemas' privileges; what
-- pg_dump keeps). Names only, never an OID, so two databases compare with diff.
-- test/integration/upgrade.sh compares a fresh install with an upgraded one.
WITH ext AS (
  SELECT oid, extversion, extconfig, extcondition FROM pg_catalog.pg_extension WHERE extname = 'tthub'
), members AS (
  SELECT d.classid, d.objid
    FROM pg_catalog.pg_depend d, ext
   WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
), rels AS (
  SELECT c.* FROM pg_catalog.pg_class c
   WHERE c.oid IN (SELECT objid FROM members WHERE classid = 'pg_catalog.pg_class'::regclass)
), procs AS (
  SELECT p.* FROM pg_catalog.pg_proc p
   WHERE p.oid IN (SELECT objid FROM members WHERE classid = 'pg_catalog.pg_proc'::regclass)
), facts(line) AS (
  SELECT 'extension version ' || extversion FROM ext
  UNION ALL
  SELECT 'extension keeps data of ' || c::regclass::text || ' where ' || coalesce(w, '')
    FROM ext, unnest(extconfig, extcondition) AS k(c, w)
  UNION ALL
  SELECT 'member ' || pg_catalog.pg_describe_object(classid, objid, 0) FROM members
  UNION ALL
  SELECT format('schema %s acl %s comment %s', n.nspname, n.nspacl, pg_catalog.obj_description(n.oid, 'pg_namespace'))
    FROM pg_catalog.pg_namespace n
   WHERE n.nspname = 'tthub' OR n.oid IN (SELECT objid FROM members WHERE classid = 'pg_catalog.pg_namespace'::regclass)
  UNION ALL
  SELECT format('relation %s kind %s persistence %s rls %s options %s acl %s comment %s', c.oid::regclass, c.relkind,
                c.relpersistence, c.relrowsecurity, c.reloptions, c.relacl, pg_catalog.obj_description(c.oid, 'pg_class'))
    FROM rels c
  UNION ALL
  SELECT format('column %s #%s %s %s notnull %s default %s identity %s generated %s collation %s acl %s comment %s',
                c.oid::regclass,
                row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), a.attname,
                pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
                pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated,
                CASE WHEN a.attcollation <> 0 THEN a.attcollation::regcollation::text END, a.attacl,
                pg_catalog.col_description(c.oid, a.attnum))
    FROM rels c
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
  UNION ALL
  SELECT format('view %s: %s', c.oid::regclass, pg_catalog.pg_get_viewdef(c.oid))
    FROM rels c WHERE c.relkind IN ('v', 'm')
  UNION ALL
  SELECT format('constraint %s on %s: %s deferrable %s comment %s', co.conname, co.conrelid::regclass,
                pg_catalog.pg_get_constraintdef(co.oid), co.condeferrable,
                pg_catalog.obj_description(co.oid, 'pg_constraint'))
    FROM pg_catalog.pg_constraint co WHERE co.conrelid IN (SELECT oid FROM rels)
  UNION ALL
  SELECT format('index %s comment %s', pg_catalog.pg_get_indexdef(i.indexrelid),
                pg_catalog.obj_description(i.indexrelid, 'pg_class'))
    FROM pg_catalog.pg_index i WHERE i.indrelid IN (SELECT oid FROM rels)
  UNION ALL
  SELECT format('trigger %s enabled %s comment %s', pg_catalog.pg_get_triggerdef(t.oid), t.tgenabled,
                pg_catalog.obj_description(t.oid, 'pg_trigger'))
    FROM pg_catalog.pg_trigger t WHERE t.tgrelid IN (SELECT oid FROM rels) AND NOT t.tgisinternal
  UNION ALL
  SELECT format('sequence %s: %s %s %s %s %s cycle %s owned by %s', s.seqrelid::regclass, s.seqtypid::regtype,
                s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcycle,
                (SELECT d.refobjid::regclass || '.' || a.attname FROM pg_catalog.pg_depend d
                   JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = s.seqrelid AND d.deptype = 'a'))
    FROM pg_catalog.pg_sequence s WHERE s.seqrelid IN (SELECT oid FROM rels)
  UNION ALL
  SELECT format('function %s acl %s comment %s: %s', p.oid::regprocedure, p.proacl,
                pg_catalog.obj_description(p.oid, 'pg_proc'),
                CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_catalog.pg_get_functiondef(p.oid) END)
    FROM procs p
  UNION ALL
  SELECT format('type %s kind %s acl %s comment %s labels %s', t.oid::regtype, t.typtype, t.typacl,
                pg_catalog.obj_description(t.oid, 'pg_type'),
                (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e
                  WHERE e.enumtypid = t.oid))
    FROM pg_catalog.pg_type t
   WHERE t.oid IN (SELECT objid FROM members WHERE classid = 'pg_catalog.pg_type'::regclass)
)
SELECT line FROM facts ORDER BY line COLLATE "C";
