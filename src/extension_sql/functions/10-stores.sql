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

------------------------------------------------------------------------------
-- The snapshot day: the one home of the rule. A store's day is the calendar day in
-- its own time zone (stores.timezone), or in tthub.snapshot_timezone when it has
-- none. The worker (src/ext/sync/snapshot_writer.cpp), the queue, the ledger's
-- alerts and health all ask these functions.
--
-- These day functions, and snapshot_today() built on them, have SQL-standard bodies
-- (RETURN ...) and no SET search_path: such a body is parsed when it is created, so
-- what it calls is fixed then and no search_path at call time can change it (the
-- schema guard vouches for the schema at that moment). Without a SET clause the
-- planner inlines them: an analyst's "snapshot_date > snapshot_today() - 90" above a
-- window (video_daily_delta) is evaluated per row, and the three nested calls with a
-- search_path to set and restore each time made that query 10-20x slower.
-- (test/pgtap/search_path.sql holds every other function to a pinned search_path.)
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@._day_zone(timezone text) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  RETURN coalesce(timezone, nullif(current_setting('tthub.snapshot_timezone', true), ''), 'UTC');
COMMENT ON FUNCTION @extschema@._day_zone(text) IS
  'Internal: the time zone of a day: the store''s own (stores.timezone), else tthub.snapshot_timezone, else UTC.';

CREATE OR REPLACE FUNCTION @extschema@._day_in(timezone text) RETURNS date
  LANGUAGE sql STABLE PARALLEL SAFE
  RETURN (now() AT TIME ZONE @extschema@._day_zone(timezone))::date;
COMMENT ON FUNCTION @extschema@._day_in(text) IS
  'Internal: today in a store''s time zone (stores.timezone; NULL: tthub.snapshot_timezone).';

------------------------------------------------------------------------------
-- Each store's own day (issue 21). The zone is an IANA name PostgreSQL knows
-- (pg_timezone_names); abbreviations and POSIX strings are refused, since their
-- meaning is easy to get wrong (POSIX signs are reversed).
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_set_store_timezone(store_code text, timezone text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  old_zone text;
  old_day date;
  tz constant text := btrim(timezone);
BEGIN
  PERFORM @extschema@._require_store(store_code);
  IF timezone IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names z WHERE z.name = tz) THEN
    RAISE EXCEPTION 'unknown time zone "%"', timezone
      USING ERRCODE = 'TH205',
            HINT = 'Use an IANA name such as Asia/Jakarta or America/New_York (SELECT name FROM pg_timezone_names); NULL returns the store to tthub.snapshot_timezone.';
  END IF;
  SELECT s.timezone INTO old_zone FROM @extschema@.stores s WHERE s.store_code = tthub_set_store_timezone.store_code;
  old_day := @extschema@._day_in(old_zone);
  UPDATE @extschema@.stores s SET timezone = tz, updated_at = now()
   WHERE s.store_code = tthub_set_store_timezone.store_code;
  RAISE NOTICE 'store "%" now has its days in %: today is % there (it was % in %)', store_code,
    @extschema@._day_zone(tz), @extschema@._day_in(tz), old_day, @extschema@._day_zone(old_zone)
    USING DETAIL = 'Snapshot days from now on follow the new zone; days already stored keep their dates.';
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_set_store_timezone(text, text) IS
  'Set the IANA time zone of a store''s snapshot days (NULL: tthub.snapshot_timezone). Days from now on follow it; stored days keep their dates.';
REVOKE ALL ON FUNCTION @extschema@.tthub_set_store_timezone(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_set_store_timezone(text, text) TO tthub_admin;
