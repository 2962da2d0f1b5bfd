#!/usr/bin/env bash
# No way to superuser through search_path. A role that may CREATE in the database
# plants functions and operators that match tthub's statements more exactly than the
# built-ins do, in a schema named after the worker's role ("$user") and in public,
# then every path tthub runs as a superuser is exercised: the worker's sync, claim,
# retry, orphan requeue and prune, tthub_sync_now, tthub_sync_all, key rotation, the
# OAuth functions and TikTok's webhook. None of the planted code may ever run, and no
# role may gain privileges.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
source test/lib/shim.sh

itest_setup search_path "--accounts 3 --videos 30" || exit 1
# The test's own checks run pinned, so that they cannot trip the trap themselves;
# the calls under test run with the default search_path ("$user", public), as a DBA's would.
export PGOPTIONS="-c search_path=pg_catalog,pg_temp"
pinned() { q "$PORT" tthub "$1"; }
dba() { PGOPTIONS="" q "$PORT" tthub "$1"; }
as_attacker() { PGOPTIONS="" psql -X -qAt -h 127.0.0.1 -p "$PORT" -U attacker -d tthub -v ON_ERROR_STOP=1 -c "$1" 2>&1; }

pinned "CREATE ROLE attacker LOGIN; GRANT CREATE ON DATABASE tthub TO attacker; GRANT CREATE ON SCHEMA public TO attacker;
        INSERT INTO tthub.stores (store_code, store_name) VALUES ('s1', 'One'), ('s2', 'Two'), ('s3', 'Three')" >/dev/null
import_account s1 1
import_account s2 2

echo "# the attacker plants shadows of what tthub calls"
plant() {  # plant SCHEMA
  local s=$1
  cat <<SQL
CREATE FUNCTION $s.eq_vt(varchar, text) RETURNS boolean LANGUAGE plpgsql AS
  \$f\$ BEGIN PERFORM public.pwn('$s.=(varchar,text)'); RETURN \$1::text OPERATOR(pg_catalog.=) \$2; END \$f\$;
CREATE FUNCTION $s.eq_tv(text, varchar) RETURNS boolean LANGUAGE plpgsql AS
  \$f\$ BEGIN PERFORM public.pwn('$s.=(text,varchar)'); RETURN \$1 OPERATOR(pg_catalog.=) \$2::text; END \$f\$;
CREATE FUNCTION $s.eq_vv(varchar, varchar) RETURNS boolean LANGUAGE plpgsql AS
  \$f\$ BEGIN PERFORM public.pwn('$s.=(varchar,varchar)'); RETURN \$1::text OPERATOR(pg_catalog.=) \$2::text; END \$f\$;
CREATE OPERATOR $s.= (LEFTARG = varchar, RIGHTARG = text, FUNCTION = $s.eq_vt);
CREATE OPERATOR $s.= (LEFTARG = text, RIGHTARG = varchar, FUNCTION = $s.eq_tv);
CREATE OPERATOR $s.= (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = $s.eq_vv);
CREATE FUNCTION $s.to_timestamp(numeric) RETURNS timestamptz LANGUAGE plpgsql AS
  \$f\$ BEGIN PERFORM public.pwn('$s.to_timestamp(numeric)'); RETURN pg_catalog.to_timestamp(\$1::float8); END \$f\$;
CREATE FUNCTION $s.make_interval(secs numeric) RETURNS interval LANGUAGE plpgsql AS
  \$f\$ BEGIN PERFORM public.pwn('$s.make_interval(numeric)'); RETURN pg_catalog.make_interval(secs => \$1::float8); END \$f\$;
CREATE FUNCTION $s.make_interval(secs bigint) RETURNS interval LANGUAGE plpgsql AS
  \$f\$ BEGIN PERFORM public.pwn('$s.make_interval(bigint)'); RETURN pg_catalog.make_interval(secs => \$1::float8); END \$f\$;
CREATE FUNCTION $s.sha256(text) RETURNS bytea LANGUAGE plpgsql AS
  \$f\$ BEGIN PERFORM public.pwn('$s.sha256(text)'); RETURN pg_catalog.sha256(convert_to(\$1, 'UTF8')); END \$f\$;
CREATE FUNCTION $s.lower(varchar) RETURNS text LANGUAGE plpgsql AS
  \$f\$ BEGIN PERFORM public.pwn('$s.lower(varchar)'); RETURN pg_catalog.lower(\$1::text); END \$f\$;
SQL
}
# pwn() records who ran it and, when that is a superuser, makes the attacker one.
as_attacker "CREATE TABLE public.pwned (who name, what text, backend text, query text);
             GRANT INSERT, SELECT ON public.pwned TO PUBLIC;
             CREATE FUNCTION public.pwn(what text) RETURNS void LANGUAGE plpgsql AS \$f\$
             BEGIN
               INSERT INTO public.pwned
               SELECT current_user, what, a.backend_type || ' ' || a.application_name, left(current_query(), 300)
                 FROM pg_catalog.pg_stat_activity a WHERE a.pid = pg_catalog.pg_backend_pid();
               IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
                 EXECUTE 'ALTER ROLE attacker SUPERUSER';
               END IF;
             END \$f\$;
             CREATE SCHEMA postgres;
             GRANT USAGE ON SCHEMA postgres TO PUBLIC;
             $(plant postgres) $(plant public)" >/dev/null
is "$(pinned "SELECT count(*) FROM pg_catalog.pg_operator WHERE oprname = '=' AND oprnamespace IN ('postgres'::regnamespace, 'public'::regnamespace)")" \
   "6" "the attacker planted = for varchar/text in \"\$user\" and public"
# The trap is armed: an unqualified comparison in the attacker's own session runs it.
as_attacker "SELECT 'x'::varchar = 'x'::text" >/dev/null
is "$(pinned "SELECT who || ' ' || what FROM public.pwned")" "attacker public.=(varchar,text)" \
   "planted code does run where names resolve through \"\$user\", public"
pinned "TRUNCATE public.pwned" >/dev/null

echo "# the tthub schema itself: refused if made beforehand by another role; overloads in it never chosen"
# CREATE EXTENSION adopts an existing schema named tthub: one the attacker owns (or may
# CREATE in) could hold the attacker's overloads of tthub's functions.
pinned "CREATE DATABASE adopt" >/dev/null
adopt() { PGOPTIONS="" psql -X -qAt -h 127.0.0.1 -p "$PORT" -U postgres -d adopt -v VERBOSITY=sqlstate -c "$1" 2>&1; }
adopt "CREATE SCHEMA tthub AUTHORIZATION attacker" >/dev/null
is "$(adopt "CREATE EXTENSION tthub")" "ERROR:  42501" "CREATE EXTENSION refuses a tthub schema the attacker owns"
adopt "ALTER SCHEMA tthub OWNER TO postgres; GRANT CREATE ON SCHEMA tthub TO attacker" >/dev/null
is "$(adopt "CREATE EXTENSION tthub")" "ERROR:  42501" "and one the attacker may create in"
adopt "REVOKE CREATE ON SCHEMA tthub FROM attacker" >/dev/null
is "$(adopt "CREATE EXTENSION tthub; SELECT extname FROM pg_extension WHERE extname = 'tthub'")" "tthub" \
   "a schema a superuser made and keeps is used"
# An update runs superuser code in the schema as it is now: one opened up since the
# install (CREATE granted, or handed to another owner) is refused the same way.
adopt "DROP EXTENSION tthub; CREATE EXTENSION tthub VERSION '0.4'; GRANT CREATE ON SCHEMA tthub TO attacker" >/dev/null
is "$(adopt "ALTER EXTENSION tthub UPDATE")" "ERROR:  42501" "ALTER EXTENSION UPDATE refuses a tthub schema the attacker may create in"
adopt "REVOKE CREATE ON SCHEMA tthub FROM attacker; ALTER SCHEMA tthub OWNER TO attacker" >/dev/null
is "$(adopt "ALTER EXTENSION tthub UPDATE")" "ERROR:  42501" "and one the attacker owns"
is "$(adopt "SET client_min_messages = warning; ALTER SCHEMA tthub OWNER TO postgres; ALTER EXTENSION tthub UPDATE; SELECT extversion <> '0.4' FROM pg_extension WHERE extname = 'tthub'")" \
   "t" "closed again, the update runs"
pinned "DROP DATABASE adopt" >/dev/null

# Someone who can create in tthub (a superuser here, standing for an owner of an older
# install's schema) plants, beside every tthub function, overloads whose text/varchar
# and integer/bigint arguments are swapped: a call whose arguments are not of the
# declared types would choose one. tthub's own calls (SQL bodies, the worker's SPI
# statements) cast to the declared types, so none may run. (The calls below that a DBA
# types carry the declared types too: their literals would pick an overload as well.)
planted=$(pinned "DO \$plant\$
DECLARE
  f record;
  planted integer := 0;
  swaps int[];
  arity integer;
  mask integer;
  types text[];
  args text;
  body text;
  i integer;
BEGIN
  FOR f IN SELECT p.proname, p.proargtypes::oid[] AS t, p.pronargs, p.pronargdefaults, p.proretset,
                  p.prorettype = 'void'::regtype AS void, pg_get_function_result(p.oid) AS result
             FROM pg_proc p
            WHERE p.pronamespace = 'tthub'::regnamespace AND p.prokind = 'f' AND p.pronargs > 0
  LOOP
    FOR arity IN (f.pronargs - f.pronargdefaults) .. f.pronargs LOOP
      CONTINUE WHEN arity = 0;
      swaps := ARRAY(SELECT k FROM generate_series(1, arity) k
                      WHERE f.t[k - 1] IN ('text'::regtype, 'varchar'::regtype, 'int4'::regtype, 'int8'::regtype)
                      LIMIT 6);
      FOR mask IN 1 .. (1 << cardinality(swaps)) - 1 LOOP
        types := ARRAY(SELECT format_type(f.t[k - 1], NULL) FROM generate_series(1, arity) k);
        FOR i IN 1 .. cardinality(swaps) LOOP
          IF mask & (1 << (i - 1)) <> 0 THEN
            types[swaps[i]] := CASE types[swaps[i]] WHEN 'text' THEN 'character varying' WHEN 'character varying' THEN 'text'
                                                    WHEN 'integer' THEN 'bigint' ELSE 'integer' END;
          END IF;
        END LOOP;
        args := array_to_string(types, ', ');
        CONTINUE WHEN to_regprocedure(format('tthub.%I(%s)', f.proname, args)) IS NOT NULL;
        body := CASE WHEN f.proretset OR f.void THEN 'RETURN;' ELSE 'RETURN NULL;' END;
        BEGIN
          EXECUTE format('CREATE FUNCTION tthub.%I(%s) RETURNS %s LANGUAGE plpgsql AS %L',
                         f.proname, args, f.result,
                         format('BEGIN PERFORM public.pwn(%L); %s END', format('tthub.%s(%s)', f.proname, args), body));
          planted := planted + 1;
        EXCEPTION WHEN others THEN
          NULL;  -- a result type this cannot repeat (none of tthub's, so far)
        END;
      END LOOP;
    END LOOP;
  END LOOP;
  RAISE NOTICE 'planted %', planted;
END
\$plant\$" 2>&1 | grep -oE 'planted [0-9]+')
like "$planted" "^planted [1-9][0-9]+$" "overloads are planted in tthub beside its functions ($planted)"
for sig in "token_context(character varying, character varying, text)" \
           "_finish_delivery(text, bigint, boolean, integer, text, integer, bigint, integer)"; do
  is "$(pinned "SELECT to_regprocedure('tthub.$sig') IS NOT NULL")" "t" "among them tthub.$sig"
done

# A fresh worker: it prepares its statements after the planting.
cluster_stop "$DIR/pg" && cluster_start "$DIR/pg" || exit 1
wait_for_worker

echo "# every path tthub runs as a superuser"
pinned "ALTER SYSTEM SET tthub.authorize_url = 'http://127.0.0.1:$SIM_PORT/v2/auth/authorize/'" >/dev/null
pinned "SELECT pg_reload_conf()" >/dev/null
sim_config '{"authorize_account": 3}'
job=$(dba "SELECT tthub.tthub_sync('s1')")
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $job" "done" 30
is "$(pinned "SELECT count(*) FROM tthub.video_daily WHERE store_code = 's1'")" "30" "the worker claimed and synced a store"

is "$(dba "SELECT tthub.tthub_sync_all()")" "2" "tthub_sync_all enqueued both connected stores"
wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE store_code = 's2' AND state = 'done'" "1" 30
is "$?" "0" "the worker ran tthub_sync_all's jobs"

is "$(dba "SELECT status FROM tthub.tthub_sync_now('s2')")" "done" "tthub_sync_now synced in a DBA's session"

# Retry of a dead job.
pinned "UPDATE tthub.sync_jobs SET state = 'dead', finished_at = now() WHERE job_id = $job" >/dev/null
dba "SELECT tthub.tthub_retry_job($job::bigint)" >/dev/null
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $job" "done" 30
is "$?" "0" "the worker ran a retried dead job"

# An orphan: a running job whose worker is gone is requeued by the worker's maintenance
# (every 60 s while the worker is idle, at once when it starts).
orphan=$(pinned "INSERT INTO tthub.sync_jobs (store_code, snapshot_date, state, attempts, worker_pid, lease_until)
                 VALUES ('s1', tthub.snapshot_today() - 1, 'running', 1, 2147483000, now() + interval '1 hour')
                 RETURNING job_id")
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $orphan" "done" 80
is "$?" "0" "the worker requeued an orphaned job and ran it"

# Prune: the worker prunes at start; the DBA-facing one here.
like "$(dba "SELECT tthub._prune(30)")" "^[0-9]+$" "prune ran"
like "$(dba "SELECT tthub.tthub_prune_snapshots(3650)")" "^[0-9]+$" "snapshot pruning ran"

# Key rotation (re-encrypts every token): a new key, the old one kept for decryption.
as_postgres mv "$DIR/pg/token.key" "$DIR/pg/key_a"
as_postgres sh -c "umask 077; openssl rand -hex 32 > '$DIR/pg/key_b'"
pinned "ALTER SYSTEM SET tthub.token_key_file = '$DIR/pg/key_b'" >/dev/null
pinned "ALTER SYSTEM SET tthub.token_key_previous_file = '$DIR/pg/key_a'" >/dev/null
cluster_stop "$DIR/pg" && cluster_start "$DIR/pg" || exit 1
wait_for_worker
like "$(dba "SELECT tthub.tthub_rotate_token_key()")" "^[1-9][0-9]*$" "key rotation re-encrypted the tokens"

# Store management and import.
dba "SELECT tthub.tthub_add_store('s4', 'Four'); SELECT tthub.tthub_update_store('s4', 'Four!');
                 SELECT tthub.tthub_disable_store('s4'); SELECT tthub.tthub_enable_store('s4')" >/dev/null
dba "SELECT tthub.tthub_import_account('s4', 'sim-open-2', 'act.x', 'rft.x', 3600::bigint, 86400::bigint, 'video.list')" >/dev/null
like "$(dba "SELECT tthub.check_store_code('s4') AND tthub.snapshot_today() IS NOT NULL
                           AND tthub.token_context('a', 'b', 'c') = 'a/b/c'")" "^t$" "the helper functions ran"

# OAuth: a connect link, begin, the simulator's authorize page, complete; then disconnect.
link=$(dba "SELECT tthub.tthub_connect_link('s3')")
authorize=$(dba "SELECT tthub.tthub_oauth_begin('${link#*invite=}', 'http://127.0.0.1:9/cb')")
callback=$(curl -s -o /dev/null -w '%{redirect_url}' "$authorize")
echo "# authorize: $authorize -> $callback"
code=$(printf '%b' "$(printf '%s' "$callback" | grep -oE 'code=[^&]+' | cut -d= -f2 | sed 's/%/\\x/g')")
state=$(printf '%s' "$callback" | grep -oE 'state=[^&]+' | cut -d= -f2)
is "$(dba "SELECT status FROM tthub.tthub_oauth_complete('$state', '$code')")" "CONNECTED" "OAuth connected a store"
is "$(dba "SELECT tthub.tthub_disconnect('s3')")" "1" "disconnect revoked it"

# TikTok's webhook through the shim, whose role has the default search_path: the
# removal, its event and the reconnect link it carries.
pinned "ALTER SYSTEM SET tthub.public_url = 'https://connect.example.com'" >/dev/null
pinned "ALTER ROLE tthub_oauth LOGIN" >/dev/null
pinned "SELECT pg_reload_conf()" >/dev/null
trap 'shim_stop; itest_teardown' EXIT
if PGOPTIONS="" shim_start "$DIR/shim" "$PORT"; then
  r=$(curl -s -X POST "http://127.0.0.1:$SIM_PORT/_sim/webhook" \
        -d "{\"url\": \"http://127.0.0.1:$SHIM_PORT/tiktok/webhook\", \"open_id\": \"sim-open-2\", \"reason\": 1}")
  like "$r" '"status":200' "TikTok's authorization.removed went through the shim"
  is "$(pinned "SELECT a.status || '|' || (e.data ? 'reconnect_url') FROM tthub.store_accounts a
                  JOIN tthub.events e ON e.store_code = a.store_code AND e.event = 'account.need_reconnect'
                 WHERE a.store_code = 's2'")" "NEED_RECONNECT|true" "and stopped s2's account, with a reconnect link in its event"
  shim_stop
else
  tap_result 1 "the shim starts"
fi
# A webhook delivery: the worker claims it, fails to connect, records the attempt.
hook=$(pinned "SELECT tthub.tthub_add_webhook('http://127.0.0.1:1/hook', 'a-signing-secret-of-32-chars-xxx',
                ARRAY['sync.day_incomplete'], allow_http => true, allow_private => true)")
pinned "SELECT tthub._emit_event('sync.day_incomplete'::text, 's1'::varchar, '{}'::jsonb)" >/dev/null
wait_for "$PORT" "SELECT attempts > 0 AND state <> 'running' FROM tthub.deliveries WHERE webhook_id = $hook" "t" 30
is "$?" "0" "the worker sent a webhook delivery and recorded its outcome"

echo "# the verdict"
is "$(pinned "SELECT count(*) FROM public.pwned")" "0" "no planted function or operator ever ran"
[ "$(pinned "SELECT count(*) FROM public.pwned")" = 0 ] ||
  pinned "SELECT who || ' ran ' || what || ' in ' || backend || ': ' || query || ' x' || count(*) FROM public.pwned
          GROUP BY who, what, backend, query ORDER BY 1" | sed 's/^/#   /'
is "$(pinned "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = 'attacker'")" "f" "the attacker did not become superuser"
is "$(pinned "SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_catalog.pg_roles WHERE rolsuper")" "postgres" \
   "the bootstrap superuser is still the only one"
is "$(pinned "SELECT count(*) FROM tthub.sync_jobs WHERE state NOT IN ('done')")" "0" "every job of the run ended done"
tap_done
