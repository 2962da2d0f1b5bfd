-- Clients and labels (issue 21), for tthub_admin; and which stores the current role
-- may read (tthub.reader_stores), which every view of tthub_reporting joins.

------------------------------------------------------------------------------
-- Names and labels: free text, but one line of it.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@._check_name(what text, value text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v constant text := btrim(value);
BEGIN
  IF v IS NULL OR v = '' OR length(v) > 100 OR v ~ '[[:cntrl:]]' THEN
    RAISE EXCEPTION 'invalid % "%"', what, coalesce(value, 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('A %s is 1 to 100 characters without control characters (outer spaces are trimmed).', what);
  END IF;
  RETURN v;
END
$$;
COMMENT ON FUNCTION @extschema@._check_name(text, text) IS
  'Internal: a client name or label, trimmed; raises 22023 when empty, over 100 characters or with a control character.';
REVOKE ALL ON FUNCTION @extschema@._check_name(text, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@._require_client(name text) RETURNS bigint
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  id bigint;
BEGIN
  SELECT c.client_id INTO id FROM @extschema@.clients c WHERE c.name = btrim(_require_client.name);
  IF id IS NULL THEN
    RAISE EXCEPTION 'client "%" does not exist', name
      USING ERRCODE = 'TH201', HINT = 'SELECT name FROM tthub.clients lists them; tthub_add_client adds one.';
  END IF;
  RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@._require_client(text) IS 'Internal: the id of an existing client, or TH201.';
REVOKE ALL ON FUNCTION @extschema@._require_client(text) FROM PUBLIC;

------------------------------------------------------------------------------
-- Clients
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_add_client(name text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v constant text := @extschema@._check_name('client name', name);
BEGIN
  INSERT INTO @extschema@.clients (name) VALUES (v);
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION 'client "%" already exists', v USING ERRCODE = 'TH202';
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_add_client(text) IS 'Add a client (an agency''s customer, who owns stores).';
REVOKE ALL ON FUNCTION @extschema@.tthub_add_client(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_add_client(text) TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_rename_client(name text, new_name text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  id constant bigint := @extschema@._require_client(name);
  v constant text := @extschema@._check_name('client name', new_name);
BEGIN
  UPDATE @extschema@.clients c SET name = v, updated_at = now() WHERE c.client_id = id;
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION 'client "%" already exists', v USING ERRCODE = 'TH202';
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_rename_client(text, text) IS
  'Rename a client; its stores and readers stay with it (reporting views show the new name).';
REVOKE ALL ON FUNCTION @extschema@.tthub_rename_client(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_rename_client(text, text) TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_remove_client(name text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  id constant bigint := @extschema@._require_client(name);
  stores_left integer;
  readers text[];
BEGIN
  SELECT array_agg(r.role_name::text ORDER BY r.role_name) INTO readers
    FROM @extschema@.client_readers r WHERE r.client_id = id;
  FOR i IN 1 .. coalesce(cardinality(readers), 0) LOOP
    PERFORM @extschema@._revoke_client_reader(readers[i], id);
  END LOOP;
  UPDATE @extschema@.stores s SET client_id = NULL, updated_at = now() WHERE s.client_id = id;
  GET DIAGNOSTICS stores_left = ROW_COUNT;
  DELETE FROM @extschema@.clients c WHERE c.client_id = id;
  IF stores_left > 0 OR readers IS NOT NULL THEN
    RAISE NOTICE 'client "%" removed: % store(s) now have no client, % reader role(s) lost it', btrim(name),
      stores_left, coalesce(cardinality(readers), 0)
      USING DETAIL = CASE WHEN readers IS NULL THEN 'No role read this client.'
                          ELSE 'Roles that read it: ' || array_to_string(readers, ', ') END;
  END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_remove_client(text) IS
  'Remove a client: its stores stay (with no client) with their data, and the roles that read it read nothing of it any more.';
REVOKE ALL ON FUNCTION @extschema@.tthub_remove_client(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_remove_client(text) TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_set_store_client(store_code text, client text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  id bigint;
BEGIN
  PERFORM @extschema@._require_store(store_code);
  IF client IS NOT NULL THEN
    id := @extschema@._require_client(client);
  END IF;
  UPDATE @extschema@.stores s SET client_id = id, updated_at = now()
   WHERE s.store_code = tthub_set_store_client.store_code;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_set_store_client(text, text) IS
  'Give a store to a client (a store belongs to at most one); NULL: to none.';
REVOKE ALL ON FUNCTION @extschema@.tthub_set_store_client(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_set_store_client(text, text) TO tthub_admin;

------------------------------------------------------------------------------
-- Labels: sorted, each once.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_label_store(store_code text, label text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v constant text := @extschema@._check_name('label', label);
BEGIN
  PERFORM @extschema@._require_store(store_code);
  UPDATE @extschema@.stores s
     SET labels = ARRAY(SELECT DISTINCT l FROM unnest(s.labels || v) l ORDER BY l), updated_at = now()
   WHERE s.store_code = tthub_label_store.store_code AND NOT v = ANY (s.labels);
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_label_store(text, text) IS
  'Label a store (free text: a campaign, a product line, a region); labelling it again with the same label changes nothing.';
REVOKE ALL ON FUNCTION @extschema@.tthub_label_store(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_label_store(text, text) TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_unlabel_store(store_code text, label text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@._require_store(store_code);
  UPDATE @extschema@.stores s SET labels = array_remove(s.labels, btrim(label)), updated_at = now()
   WHERE s.store_code = tthub_unlabel_store.store_code AND btrim(label) = ANY (s.labels);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'store "%" has no label "%"', store_code, label USING ERRCODE = 'TH203';
  END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_unlabel_store(text, text) IS 'Remove a label from a store (TH203 when it has no such label).';
REVOKE ALL ON FUNCTION @extschema@.tthub_unlabel_store(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_unlabel_store(text, text) TO tthub_admin;

-- A video is known once a snapshot of it exists (video_daily).
CREATE OR REPLACE FUNCTION @extschema@.tthub_label_video(store_code text, video_id text, label text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v constant text := @extschema@._check_name('label', label);
BEGIN
  PERFORM @extschema@._require_store(store_code);
  IF NOT EXISTS (SELECT 1 FROM @extschema@.video_daily d
                  WHERE d.store_code = tthub_label_video.store_code AND d.video_id = tthub_label_video.video_id) THEN
    RAISE EXCEPTION 'store "%" has no video "%"', store_code, video_id
      USING ERRCODE = 'TH204', HINT = 'A video is known once a sync has seen it (tthub.video_daily).';
  END IF;
  INSERT INTO @extschema@.video_labels AS l (store_code, video_id, labels)
  VALUES (store_code, video_id, ARRAY[v])
  ON CONFLICT ON CONSTRAINT video_labels_pkey DO UPDATE
     SET labels = ARRAY(SELECT DISTINCT x FROM unnest(l.labels || v) x ORDER BY x), updated_at = now()
   WHERE NOT v = ANY (l.labels);
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_label_video(text, text, text) IS
  'Label a video of a store (TH204 when no sync has seen it); labelling it again with the same label changes nothing.';
REVOKE ALL ON FUNCTION @extschema@.tthub_label_video(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_label_video(text, text, text) TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_unlabel_video(store_code text, video_id text, label text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v constant text := btrim(label);
BEGIN
  PERFORM @extschema@._require_store(store_code);
  -- Its last label: the row goes (a video without labels has none).
  DELETE FROM @extschema@.video_labels l
   WHERE l.store_code = tthub_unlabel_video.store_code AND l.video_id = tthub_unlabel_video.video_id
     AND l.labels = ARRAY[v];
  IF FOUND THEN
    RETURN;
  END IF;
  UPDATE @extschema@.video_labels l SET labels = array_remove(l.labels, v), updated_at = now()
   WHERE l.store_code = tthub_unlabel_video.store_code AND l.video_id = tthub_unlabel_video.video_id
     AND v = ANY (l.labels);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'video "%" of store "%" has no label "%"', video_id, store_code, label USING ERRCODE = 'TH203';
  END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_unlabel_video(text, text, text) IS 'Remove a label from a video (TH203 when it has no such label).';
REVOKE ALL ON FUNCTION @extschema@.tthub_unlabel_video(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_unlabel_video(text, text, text) TO tthub_admin;

------------------------------------------------------------------------------
-- Which stores a role reads. tthub_grant_client_reader (functions/90-client-readers.sql)
-- maps a role to clients; such a role, and every role that is a member of it, reads
-- those clients' stores only, even when it is also in tthub_reader. Superusers and
-- the other members of tthub_reader and tthub_admin read every store; any other role
-- none. Called by the views with CURRENT_USER (the reading role: a view does not
-- change it), so it needs the definer's rights to read client_readers.
--
-- who is an argument, so a role that may call it could ask about another role: on
-- Citus a client reader holds USAGE on tthub (its shard reads need it) and could call
-- it directly. The answer is never wider than what the session's own login reads
-- (session_user stays the login inside a SECURITY DEFINER function and across SET
-- ROLE; Citus connects to the shards as the reading role).
------------------------------------------------------------------------------
-- The clients granted to a role or a role it is a member of (client_readers); NULL:
-- none. The one statement of that rule: _clients_of here, and the row-level security
-- on Citus (_client_reader_client_ids, functions/90-client-readers.sql), read it. From
-- this node's copy: on Citus it may run inside a query on a shard.
CREATE OR REPLACE FUNCTION @extschema@._granted_clients(who name) RETURNS bigint[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ids bigint[];
BEGIN
  EXECUTE format('SELECT array_agg(DISTINCT m.client_id)
                    FROM %s m JOIN pg_catalog.pg_roles g ON g.rolname = m.role_name
                   WHERE pg_catalog.pg_has_role($1, g.oid, ''MEMBER'')',
                 @extschema@._local_copy('@extschema@.client_readers'))
    INTO ids USING who;
  RETURN ids;
END
$$;
COMMENT ON FUNCTION @extschema@._granted_clients(name) IS
  'Internal: the clients granted (tthub_grant_client_reader) to a role or a role it is a member of, from this node''s copy of client_readers; NULL: none.';
REVOKE ALL ON FUNCTION @extschema@._granted_clients(name) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@._clients_of(who name) RETURNS bigint[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  mine bigint[];
BEGIN
  IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = who) THEN
    RETURN NULL;
  END IF;
  mine := @extschema@._granted_clients(who);
  IF mine IS NOT NULL THEN
    RETURN mine;
  END IF;
  IF pg_catalog.pg_has_role(who, 'tthub_reader', 'MEMBER') OR pg_catalog.pg_has_role(who, 'tthub_admin', 'MEMBER') THEN
    RETURN NULL;
  END IF;
  RETURN '{}';
END
$$;
COMMENT ON FUNCTION @extschema@._clients_of(name) IS
  'Internal: the clients whose stores a role reads by its own grants (NULL: every store); _visible_clients also narrows it to the session''s login.';
REVOKE ALL ON FUNCTION @extschema@._clients_of(name) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@._visible_clients(who name) RETURNS bigint[]
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  mine constant bigint[] := @extschema@._clients_of(who);
  login bigint[];
BEGIN
  IF who = session_user THEN
    RETURN mine;
  END IF;
  login := @extschema@._clients_of(session_user);
  IF login IS NULL THEN
    RETURN mine;
  ELSIF mine IS NULL THEN
    RETURN login;
  END IF;
  RETURN ARRAY(SELECT unnest(mine) INTERSECT SELECT unnest(login));
END
$$;
COMMENT ON FUNCTION @extschema@._visible_clients(name) IS
  'Internal: the clients whose stores a role reads in tthub_reporting, never more than the session''s login reads; NULL: every store (superusers, tthub_reader, tthub_admin); empty: none.';
REVOKE ALL ON FUNCTION @extschema@._visible_clients(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._visible_clients(name) TO tthub_admin, tthub_reader, tthub_client_reader;

-- The helper every per-store view of tthub_reporting joins (one join gives a view the
-- reader's filter and the client and labels columns). A security barrier: a reader's
-- function in a WHERE on it, or on a view built on it, never sees a store it may not read.
CREATE OR REPLACE VIEW @extschema@.reader_stores WITH (security_barrier) AS
  SELECT s.store_code, c.name AS client, s.labels, @extschema@._day_zone(s.timezone) AS timezone
    FROM @extschema@.stores s
    -- Not a LEFT JOIN: Citus (on PG 15) refuses an outer join in a query that also has
    -- one-time filters, as the views built on this one do. Client ids start at 1.
    JOIN (SELECT k.client_id, k.name FROM @extschema@.clients k UNION ALL SELECT 0, NULL) c
      ON c.client_id = coalesce(s.client_id, 0)
   WHERE (SELECT @extschema@._visible_clients(CURRENT_USER)) IS NULL
      OR s.client_id = ANY ((SELECT @extschema@._visible_clients(CURRENT_USER))::bigint[]);
COMMENT ON VIEW @extschema@.reader_stores IS
  'The stores the current role may read, with their client, labels and time zone: every store for superusers, tthub_reader and tthub_admin; its clients'' stores for a client reader (tthub_grant_client_reader). Every per-store view of tthub_reporting joins it.';
COMMENT ON COLUMN @extschema@.reader_stores.store_code IS 'Store.';
COMMENT ON COLUMN @extschema@.reader_stores.client IS 'The client owning the store (NULL: none).';
COMMENT ON COLUMN @extschema@.reader_stores.labels IS 'The store''s labels, sorted.';
COMMENT ON COLUMN @extschema@.reader_stores.timezone IS 'The time zone of the store''s days (its own, else tthub.snapshot_timezone).';
GRANT SELECT ON @extschema@.reader_stores TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@._reads_all_stores(who name) RETURNS boolean
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
  RETURN @extschema@._visible_clients(who) IS NULL;
COMMENT ON FUNCTION @extschema@._reads_all_stores(name) IS
  'Internal: whether a role reads every store (superusers, tthub_reader, tthub_admin and not a client reader).';
REVOKE ALL ON FUNCTION @extschema@._reads_all_stores(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._reads_all_stores(name) TO tthub_admin, tthub_reader, tthub_client_reader;

CREATE OR REPLACE FUNCTION @extschema@._visible_store_codes(who name) RETURNS text[]
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ids constant bigint[] := @extschema@._visible_clients(who);
BEGIN
  RETURN ARRAY(SELECT s.store_code::text FROM @extschema@.stores s
                WHERE ids IS NULL OR s.client_id = ANY (ids) ORDER BY s.store_code);
END
$$;
COMMENT ON FUNCTION @extschema@._visible_store_codes(name) IS
  'Internal: the codes of the stores a role reads in tthub_reporting.';
REVOKE ALL ON FUNCTION @extschema@._visible_store_codes(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._visible_store_codes(name) TO tthub_admin, tthub_reader, tthub_client_reader;

------------------------------------------------------------------------------
-- Every per-store view of tthub_reporting is made by this function, from the query
-- over tthub it shows (with a store_code column; per video also video_id). adds:
-- 'store' appends client and labels, 'video' also video_labels (issue 21: every
-- per-store view carries them, so a BI filter on a client or label is one expression).
--
-- Two branches, one of which runs (the other's one-time filter is false, so it is
-- never executed):
--  * a role that reads every store gets the query as it is, and its filters go
--    down to the indexes as before;
--  * a client reader gets its stores' rows computed behind a fence (OFFSET 0): its
--    own filters, leak-proof or not, stay above it, so no function of its own sees
--    another store's row, and no plan node below the fence counts rows its filter
--    picked (EXPLAIN ANALYZE cannot be used to count another client's rows).
-- The view is a security barrier as well. Its cost for a client reader: the fenced
-- rows are all of its stores' rows of that view.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@._create_reporting_view(view_name text, query text, adds text) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cols text := ', rs.client, rs.labels';
  joins text := ' JOIN @extschema@.reader_stores rs ON rs.store_code = b.store_code';
BEGIN
  IF adds IS NULL OR adds NOT IN ('store', 'video') THEN
    RAISE EXCEPTION 'adds must be store or video' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF adds = 'video' THEN
    cols := cols || ', coalesce(vl.labels, ''{}''::text[]) AS video_labels';
    joins := joins || ' LEFT JOIN @extschema@.video_labels vl ON vl.store_code = b.store_code AND vl.video_id = b.video_id';
  END IF;
  EXECUTE format(
    'CREATE OR REPLACE VIEW tthub_reporting.%1$I WITH (security_barrier) AS '
    '  SELECT b.*%2$s FROM (%3$s) b%4$s '
    '   WHERE (SELECT @extschema@._reads_all_stores(CURRENT_USER)) '
    'UNION ALL '
    '  SELECT f.* FROM (SELECT b.*%2$s FROM (%3$s) b%4$s '
    '                    WHERE b.store_code::text = ANY ((SELECT @extschema@._visible_store_codes(CURRENT_USER))::text[]) '
    '                   OFFSET 0) f '
    '   WHERE NOT (SELECT @extschema@._reads_all_stores(CURRENT_USER))',
    view_name, cols, query, joins);
END
$$;
COMMENT ON FUNCTION @extschema@._create_reporting_view(text, text, text) IS
  'Internal: create or replace a per-store view of tthub_reporting over a query, with the reader''s store filter (tthub.reader_stores, a fence for client readers) and, per adds, the client, labels and video_labels columns.';
REVOKE ALL ON FUNCTION @extschema@._create_reporting_view(text, text, text) FROM PUBLIC;
