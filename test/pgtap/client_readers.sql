-- A BI login per client (issue 21): a role granted one client reads, through every
-- view and function of tthub_reporting, that client's stores and nothing of any
-- other: not with its own functions in a WHERE clause (they run on its rows only), not
-- with EXPLAIN (a plan counts and estimates rows it does not read: refused). Every object of tthub_reporting is taken from the
-- catalog, so a view added later is covered without touching this file.
BEGIN;
SELECT plan(33);

-- Two clients, a store of neither; data of every kind in every store.
SELECT tthub.tthub_add_client('Acme');
SELECT tthub.tthub_add_client('Globex');
INSERT INTO tthub.stores (store_code, store_name) VALUES
  ('ac-one', 'Acme One'), ('ac-two', 'Acme Two'), ('gx-secret', 'Globex Secret Store'), ('nc-free', 'Nobody Store');
SELECT tthub.tthub_set_store_client('ac-one', 'Acme'), tthub.tthub_set_store_client('ac-two', 'Acme'),
       tthub.tthub_set_store_client('gx-secret', 'Globex');
SELECT tthub.tthub_label_store(s, 'label-' || s) FROM unnest(ARRAY['ac-one', 'ac-two', 'gx-secret', 'nc-free']) s;
INSERT INTO tthub.store_accounts (store_code, open_id, status, refresh_token_expires_at, last_sync_at, connected_at)
SELECT s, s || '-acct', 'CONNECTED', now() + interval '3 days', now(), now() - interval '3 days'
  FROM unnest(ARRAY['ac-one', 'ac-two', 'gx-secret', 'nc-free']) s;
INSERT INTO tthub.user_daily (store_code, open_id, snapshot_date, display_name, follower_count, likes_count, video_count)
SELECT s, s || '-acct', current_date - d, s || ' display', 100 + d, 10, 3
  FROM unnest(ARRAY['ac-one', 'ac-two', 'gx-secret', 'nc-free']) s, generate_series(0, 2) d;
-- The Globex store has more videos than the others: a count would show it.
INSERT INTO tthub.video_daily (store_code, video_id, snapshot_date, open_id, title, view_count, like_count,
                               comment_count, share_count)
SELECT s, s || '-video-' || v, current_date - d, s || '-acct', s || ' title ' || v, 1000 * v + d, 10, 1, 1
  FROM unnest(ARRAY['ac-one', 'ac-two', 'gx-secret', 'nc-free']) s, generate_series(0, 2) d,
       generate_series(1, CASE WHEN s = 'gx-secret' THEN 7 ELSE 2 END) v;
SELECT tthub.tthub_label_video(s, s || '-video-1', 'vlabel-' || s) FROM unnest(ARRAY['ac-one', 'gx-secret', 'nc-free']) s;
INSERT INTO tthub.sync_ledger (store_code, open_id, snapshot_date, pages_fetched, videos_seen, complete)
SELECT s, s || '-acct', current_date - d, 1, 2, d > 0 FROM unnest(ARRAY['ac-one', 'ac-two', 'gx-secret', 'nc-free']) s,
       generate_series(0, 2) d;
INSERT INTO tthub.sync_logs (store_code, job_type, status, message)
SELECT s, 'daily_sync', st::tthub.sync_status, s || ' log'
  FROM unnest(ARRAY['ac-one', 'ac-two', 'gx-secret', 'nc-free']) s, unnest(ARRAY['SUCCESS', 'FAILED']) st;
INSERT INTO tthub.sync_jobs (store_code, snapshot_date, job_type, state, attempts, last_error)
SELECT s, current_date - d, 'daily_sync', st::tthub.job_state, 1, s || ' error'
  FROM unnest(ARRAY['ac-one', 'ac-two', 'gx-secret', 'nc-free']) s,
       (VALUES (0, 'running'), (1, 'dead'), (2, 'done')) AS j(d, st);

-- The readers, and a probe that tells what it was shown (as a BI user could write).
CREATE ROLE tap_acme_bi;
CREATE ROLE tap_globex_bi;
CREATE ROLE tap_all_bi IN ROLE tthub_reader;
CREATE ROLE tap_nobody IN ROLE tthub_client_reader;  -- in the group, with no client
SELECT tthub.tthub_grant_client_reader('tap_acme_bi', 'Acme');
SELECT tthub.tthub_grant_client_reader('tap_globex_bi', 'Globex');
CREATE TABLE public.tap_seen (who name DEFAULT current_user, v text);
CREATE TABLE public.tap_counts (who name DEFAULT current_user, obj text, n bigint);
CREATE TABLE public.tap_probes (who name DEFAULT current_user, obj text, probe text, numbers jsonb);
GRANT INSERT, SELECT ON public.tap_seen, public.tap_counts, public.tap_probes TO PUBLIC;
GRANT CREATE ON SCHEMA public TO tap_acme_bi;
SET LOCAL ROLE tap_acme_bi;
CREATE FUNCTION public.tap_peek(v text) RETURNS boolean
  LANGUAGE plpgsql COST 0.0001 AS $$
BEGIN
  RAISE NOTICE 'peek: %', v;
  INSERT INTO public.tap_seen (v) VALUES (v);
  RETURN true;
END
$$;
RESET ROLE;
GRANT EXECUTE ON FUNCTION public.tap_peek(text) TO PUBLIC;

-- What each view holds, as a superuser, for the stores of each role.
CREATE FUNCTION pg_temp.count_of(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  EXECUTE q INTO n;
  RETURN n;
END
$$;
CREATE TEMP TABLE expected AS
SELECT c.relname::text AS obj, w.who,
       pg_temp.count_of(format(
          CASE WHEN EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'store_code')
               THEN 'SELECT count(*) FROM tthub_reporting.%I WHERE store_code = ANY (%L::text[])'
               WHEN w.reads_all THEN 'SELECT count(*) FROM tthub_reporting.%I'
               ELSE 'SELECT 0::bigint' END, c.relname, w.stores)) AS n
  FROM pg_class c,
       (VALUES ('tap_acme_bi'::name, ARRAY['ac-one', 'ac-two'], false), ('tap_globex_bi', ARRAY['gx-secret'], false),
               ('tap_all_bi', ARRAY['ac-one', 'ac-two', 'gx-secret', 'nc-free'], true),
               ('tap_nobody', ARRAY[]::text[], false)) AS w(who, stores, reads_all)
 WHERE c.relnamespace = 'tthub_reporting'::regnamespace AND c.relkind = 'v';
GRANT SELECT ON expected TO PUBLIC;

-- Every view, as each role, through the probe.
CREATE FUNCTION pg_temp.read_all_views() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  r record;
  n bigint;
BEGIN
  FOR r IN SELECT c.relname FROM pg_class c
            WHERE c.relnamespace = 'tthub_reporting'::regnamespace AND c.relkind = 'v' ORDER BY 1 LOOP
    EXECUTE format('SELECT count(*) FROM tthub_reporting.%I x WHERE public.tap_peek(x::text)', r.relname) INTO n;
    INSERT INTO public.tap_counts (obj, n) VALUES (r.relname, n);
    -- The probe in a join, beside a leak-proof filter naming another client's store.
    EXECUTE format('SELECT count(*) FROM tthub_reporting.%I x WHERE public.tap_peek(x::text) AND %s',
                   r.relname, CASE WHEN EXISTS (SELECT 1 FROM pg_attribute a
                                                 WHERE a.attrelid = format('tthub_reporting.%I', r.relname)::regclass
                                                   AND a.attname = 'store_code')
                                   THEN 'x.store_code = ''gx-secret''' ELSE 'true' END);
  END LOOP;
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.read_all_views() TO PUBLIC;

SET client_min_messages = warning;  -- the probe's NOTICEs: tap_seen keeps them
SET LOCAL ROLE tap_acme_bi;
SELECT pg_temp.read_all_views();
RESET ROLE;
SET LOCAL ROLE tap_globex_bi;
SELECT pg_temp.read_all_views();
RESET ROLE;
SET LOCAL ROLE tap_all_bi;
SELECT pg_temp.read_all_views();
RESET ROLE;
SET LOCAL ROLE tap_nobody;
SELECT pg_temp.read_all_views();
RESET ROLE;
RESET client_min_messages;

SELECT cmp_ok((SELECT count(*) FROM public.tap_seen WHERE who = 'tap_acme_bi'), '>', 0::bigint,
              'the probe saw the client''s own rows');
SELECT is_empty($$ SELECT v FROM public.tap_seen WHERE who = 'tap_acme_bi' AND v ~ '(gx-|Globex|nc-free|Nobody)' $$,
                'the probe of a client reader never saw another client''s row or a store of no client, in any view');
SELECT is_empty($$ SELECT v FROM public.tap_seen WHERE who = 'tap_globex_bi' AND v ~ '(ac-|Acme|nc-free|Nobody)' $$,
                'nor the other client''s reader');
SELECT is_empty($$ SELECT v FROM public.tap_seen WHERE who = 'tap_nobody' $$,
                'a member of tthub_client_reader with no client sees nothing');
SELECT cmp_ok((SELECT count(*) FROM public.tap_seen WHERE who = 'tap_all_bi' AND v ~ 'gx-secret'), '>', 0::bigint,
              'tthub_reader still sees every store');
SELECT set_eq($$ SELECT obj, n FROM public.tap_counts WHERE who = 'tap_acme_bi' $$,
              $$ SELECT obj, n FROM expected WHERE who = 'tap_acme_bi' $$,
              'each view counts the client''s stores'' rows for its reader, and 0 where it is not per store');
SELECT set_eq($$ SELECT obj, n FROM public.tap_counts WHERE who = 'tap_globex_bi' $$,
              $$ SELECT obj, n FROM expected WHERE who = 'tap_globex_bi' $$, 'for either client');
SELECT set_eq($$ SELECT obj, n FROM public.tap_counts WHERE who = 'tap_all_bi' AND obj <> 'metrics_requests' $$,
              $$ SELECT obj, n FROM expected WHERE who = 'tap_all_bi' AND obj <> 'metrics_requests' $$,
              'tthub_reader counts what a superuser counts');
SELECT is((SELECT count(*) FROM expected WHERE who = 'tap_acme_bi' AND n > 0)::int >= 10, true,
          'most views hold rows of the client (the counts above compare something)');

-- EXPLAIN as a counter: a filter naming another client's store (or video, account)
-- gives other plan numbers than one naming nothing at all, counted (ANALYZE) or
-- estimated (the planner's statistics cover every store). So a client reader may not
-- EXPLAIN (src/ext/client_readers/explain_guard.cpp), in any form.
CREATE FUNCTION pg_temp.plan_numbers(q text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  p json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || q INTO p;
  -- Every number a node counts or estimates, in plan order (keyvalue()'s ids are
  -- offsets: left out).
  RETURN (SELECT jsonb_agg(jsonb_build_object(kv ->> 'key', kv -> 'value'))
            FROM jsonb_path_query(p::jsonb, '$.** ? (@.type() == "object") .keyvalue() ? (@.key like_regex "^(Plan Rows|Actual Rows|Actual Loops|Rows Removed by .*|Heap Fetches|Exact Heap Blocks|Lossy Heap Blocks)$")') kv);
EXCEPTION WHEN insufficient_privilege THEN
  RETURN to_jsonb(SQLSTATE);
END
$$;
CREATE FUNCTION pg_temp.probe_all_views() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  r record;
  probe record;
BEGIN
  FOR r IN SELECT c.relname, a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
            WHERE c.relnamespace = 'tthub_reporting'::regnamespace AND c.relkind = 'v'
              AND a.attname IN ('store_code', 'video_id', 'open_id') ORDER BY 1, 2 LOOP
    FOR probe IN SELECT * FROM (VALUES ('secret', 1), ('missing', 2)) AS v(name, n) LOOP
      INSERT INTO public.tap_probes (obj, probe, numbers)
      VALUES (r.relname || '.' || r.attname, probe.name,
              pg_temp.plan_numbers(format('SELECT * FROM tthub_reporting.%I WHERE %I = %L', r.relname, r.attname,
                CASE WHEN probe.name = 'missing' THEN 'zz-none'
                     WHEN r.attname = 'store_code' THEN 'gx-secret'
                     WHEN r.attname = 'video_id' THEN 'gx-secret-video-1'
                     ELSE 'gx-secret-acct' END)));
    END LOOP;
  END LOOP;
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.plan_numbers(text), pg_temp.probe_all_views() TO PUBLIC;
SET LOCAL ROLE tap_acme_bi;
SELECT pg_temp.probe_all_views();
RESET ROLE;
SELECT cmp_ok((SELECT count(DISTINCT obj) FROM public.tap_probes), '>=', 15::bigint, 'every per-store view was probed');
SELECT is_empty($$ SELECT obj || ' ' || probe FROM public.tap_probes WHERE who = 'tap_acme_bi' AND numbers <> '"42501"' $$,
                'EXPLAIN of any per-store view is refused to a client reader (42501), whatever it names');
PREPARE tap_secret_rows AS SELECT * FROM tthub_reporting.video_daily WHERE store_code = 'gx-secret';
SET LOCAL ROLE tap_acme_bi;
SELECT throws_ok('EXPLAIN EXECUTE tap_secret_rows', '42501', 'a client reader cannot EXPLAIN',
                 'and EXPLAIN EXECUTE of a prepared statement');
RESET ROLE;
SET LOCAL ROLE tap_nobody;
SELECT throws_ok('EXPLAIN SELECT 1', '42501', NULL, 'a member of tthub_client_reader with no client cannot EXPLAIN either');
RESET ROLE;
-- Plans written as LOG messages (debug_print_plan, auto_explain) reach a session whose
-- client_min_messages is LOG or below: a client reader's cannot plan or run a query so.
CREATE FUNCTION pg_temp.with_log_messages(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('client_min_messages', 'log', true);
  EXECUTE q;
  PERFORM set_config('client_min_messages', 'notice', true);
  RETURN 'ran';
EXCEPTION WHEN insufficient_privilege THEN
  RETURN SQLSTATE;  -- the subtransaction's rollback puts the setting back
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.with_log_messages(text) TO PUBLIC;
SET LOCAL ROLE tap_acme_bi;
SELECT is(pg_temp.with_log_messages('SELECT count(*) FROM tthub_reporting.video_daily'), '42501',
          'with client_min_messages at LOG, a client reader cannot run a query (debug_print_plan, auto_explain)');
RESET ROLE;
SET LOCAL ROLE tap_all_bi;
SELECT is(pg_temp.with_log_messages('SELECT count(*) FROM tthub_reporting.video_daily'), 'ran', 'tthub_reader can');
RESET ROLE;
-- PostgreSQL's activity statistics count the rows a scan fetched before row-level
-- security removed them (on Citus a client reader reads the tables): refused, however
-- named.
SET LOCAL ROLE tap_acme_bi;
SELECT throws_ok('SELECT idx_tup_fetch FROM pg_stat_xact_user_tables', '42501', 'a client reader cannot read PostgreSQL''s activity statistics',
                 'a client reader cannot read pg_stat_xact_user_tables');
SELECT throws_ok($$ SELECT pg_stat_get_xact_tuples_fetched('tthub.video_daily'::regclass) $$, '42501', NULL,
                 'nor call the pg_stat_get_ functions under it');
SELECT throws_ok($$ CREATE TEMP VIEW tap_stats AS SELECT * FROM (SELECT relname, idx_tup_fetch FROM pg_catalog.pg_statio_user_tables NATURAL JOIN pg_stat_user_tables) s $$,
                 '42501', NULL, 'nor wrap them in a view of its own');
RESET ROLE;
SET LOCAL ROLE tap_all_bi;
SELECT lives_ok('SELECT idx_tup_fetch FROM pg_stat_xact_user_tables', 'tthub_reader reads them');
RESET ROLE;
-- The probe is real: for a role that reads every store it tells the two apart, and
-- so do the planner's estimates alone, the rows counted left out (statistics taken).
ANALYZE tthub.video_daily;
SET LOCAL ROLE tap_all_bi;
SELECT isnt(pg_temp.plan_numbers($$ SELECT * FROM tthub_reporting.video_daily WHERE store_code = 'gx-secret' $$),
            pg_temp.plan_numbers($$ SELECT * FROM tthub_reporting.video_daily WHERE store_code = 'zz-none' $$),
            'for tthub_reader the probe tells the two apart');
SELECT isnt((SELECT jsonb_path_query_array(pg_temp.plan_numbers($$ SELECT * FROM tthub_reporting.video_daily WHERE store_code = 'gx-secret' $$), '$[*]."Plan Rows"')),
            (SELECT jsonb_path_query_array(pg_temp.plan_numbers($$ SELECT * FROM tthub_reporting.video_daily WHERE store_code = 'zz-none' $$), '$[*]."Plan Rows"')),
            'and the estimates alone do');
RESET ROLE;

-- Functions of tthub_reporting: another client's store code answers as no store does.
CREATE FUNCTION pg_temp.call_all_functions() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  f record;
  a text;
  b text;
BEGIN
  FOR f IN SELECT p.oid, p.proname, p.proargtypes::oid[] AS types FROM pg_proc p
            WHERE p.pronamespace = 'tthub_reporting'::regnamespace LOOP
    EXECUTE format('SELECT array_agg(x::text)::text FROM tthub_reporting.%I(%s) x', f.proname,
                   (SELECT string_agg(CASE WHEN t IN ('text'::regtype, 'varchar'::regtype) THEN '''gx-secret''' ELSE 'NULL' END, ', ')
                      FROM unnest(f.types) t)) INTO a;
    EXECUTE format('SELECT array_agg(x::text)::text FROM tthub_reporting.%I(%s) x', f.proname,
                   (SELECT string_agg(CASE WHEN t IN ('text'::regtype, 'varchar'::regtype) THEN '''zz-none''' ELSE 'NULL' END, ', ')
                      FROM unnest(f.types) t)) INTO b;
    IF a IS DISTINCT FROM b THEN
      RETURN NEXT f.oid::regprocedure::text;
    END IF;
  END LOOP;
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.call_all_functions() TO PUBLIC;
SET LOCAL ROLE tap_acme_bi;
SELECT is_empty('SELECT * FROM pg_temp.call_all_functions()',
                'every function of tthub_reporting answers a client reader about another client''s store as about no store');
SELECT isnt(tthub_reporting.store_today('ac-one'), NULL, 'and about its own store, it answers');
SELECT throws_ok($$ SELECT 1 FROM tthub.stores LIMIT 0 $$, '42501', NULL, 'a client reader cannot query tthub');
RESET ROLE;

-- Row-level security on the tables readers read on Citus is there on one node too (a
-- dump restored anywhere keeps it), and passes every role but a client reader.
SELECT is((SELECT count(*) FROM unnest(tthub._reader_tables()) t JOIN pg_class c ON c.oid = t
            WHERE c.relrowsecurity AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid
                                                 AND p.polname = 'tthub_client_reader_rows'))::int,
          cardinality(tthub._reader_tables()), 'every table behind the reporting views has the client reader policy');
CREATE ROLE tap_admin IN ROLE tthub_admin;
SET LOCAL ROLE tap_admin;
SELECT is((SELECT count(*) FROM tthub.clients)::int, 2, 'tthub_admin still reads every client from the table');
RESET ROLE;
-- A role of the DBA's own that was given a table (an ETL login) reads it as before:
-- the policy's functions are open to every role (they answer only about the session's
-- own roles), since PostgreSQL checks them for every reader of the table.
CREATE ROLE tap_etl;
GRANT USAGE ON SCHEMA tthub TO tap_etl;
GRANT SELECT ON tthub.video_daily, tthub.clients TO tap_etl;
SET LOCAL ROLE tap_etl;
SELECT is((SELECT count(DISTINCT store_code) FROM tthub.video_daily)::int, 4, 'a role the DBA gave video_daily reads every row');
SELECT is((SELECT count(*) FROM tthub.clients)::int, 2, 'and clients');
RESET ROLE;

-- Grants and their errors.
SELECT throws_ok($$ SELECT tthub.tthub_grant_client_reader('tap_all_bi', 'Acme') $$, 'TH206',
                 NULL, 'a member of tthub_reader cannot be narrowed: TH206');
SELECT throws_ok($$ SELECT tthub.tthub_grant_client_reader('postgres', 'Acme') $$, 'TH206', NULL, 'nor a superuser');
SELECT throws_ok($$ SELECT tthub.tthub_grant_client_reader('tap_nobody', 'Initech') $$, 'TH201', NULL, 'an unknown client: TH201');
SELECT throws_ok($$ SELECT tthub.tthub_revoke_client_reader('tap_nobody', 'Acme') $$, 'TH207',
                 NULL, 'revoking what was not granted: TH207');
SELECT tthub.tthub_revoke_client_reader('tap_acme_bi', 'Acme');
SELECT ok(NOT pg_has_role('tap_acme_bi', 'tthub_client_reader', 'MEMBER'), 'with its last client revoked it leaves tthub_client_reader');

SELECT * FROM finish();
ROLLBACK;
