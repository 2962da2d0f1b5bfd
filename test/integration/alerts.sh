#!/usr/bin/env bash
# Alerts: each event fires once, in the transaction of its change, as a signed
# webhook delivery and a NOTIFY. A receiver that fails first gets the same delivery
# id again and then no more; a dead endpoint ends dead; a slow one never slows a
# sync; at most tthub.webhook_max_in_flight deliveries per endpoint; a shutdown
# puts deliveries on the wire back without spending an attempt; secrets and
# receivers' answers stay out of SQL results and the log.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh

itest_setup alerts "--accounts 8 --videos 12" \
  "tthub.max_attempts = 3" "tthub.webhook_retry_base_delay = 200" "tthub.webhook_timeout = 20000" \
  "tthub.webhook_max_in_flight = 2" || exit 1
Q() { q "$PORT" tthub "$1"; }
SECRET=whsec_alerts_test_0123456789abcdef
SECRET_DEAD=whsec_dead_endpoint_0123456789ab
RECEIVERS=()
# receiver NAME [options...]: a webhook receiver on loopback; sets NAME_URL.
receiver() {
  local name=$1
  shift
  build/webhook_receiver --port-file "$DIR/$name.port" --log "$DIR/$name.log" "$@" >"$DIR/$name.out" 2>&1 &
  RECEIVERS+=($!)
  for _ in $(seq 1 50); do [ -s "$DIR/$name.port" ] && break; sleep 0.1; done
  printf -v "${name}_URL" 'http://127.0.0.1:%s/hook' "$(cat "$DIR/$name.port")"
}
trap 'for p in "${RECEIVERS[@]}"; do kill "$p" 2>/dev/null; done; itest_teardown' EXIT
# rlog NAME SQL-over-j: a query over the receiver's log, one jsonb j per request.
rlog() {
  Q "SELECT $2 FROM (SELECT l::jsonb AS j FROM unnest(string_to_array(\$r\$$(cat "$DIR/$1.log" 2>/dev/null)\$r\$, E'\n')) l
                      WHERE l <> '') s"
}
events_of() { Q "SELECT count(*) FROM tthub.events WHERE store_code = '$1' AND event = '$2'"; }

receiver good --secret "$SECRET" --fail-first 1
receiver dead --secret "$SECRET_DEAD" --status 503
receiver slow --secret "$SECRET" --delay-ms 30000

echo "# managing webhooks"
Q "CREATE ROLE alert_admin LOGIN IN ROLE tthub_admin" >/dev/null
AS_ADMIN() { psql -X -qAt -h 127.0.0.1 -p "$PORT" -U alert_admin -d tthub -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
# The receivers run on this host, in plain http: only a superuser may send there.
LOCAL="allow_http => true, allow_private => true"
GOOD=$(Q "SELECT tthub.tthub_add_webhook('$good_URL', '$SECRET', $LOCAL)")
DEAD=$(Q "SELECT tthub.tthub_add_webhook('$dead_URL', '$SECRET_DEAD', ARRAY['account.connected'], $LOCAL)")
SLACK=$(Q "SELECT tthub.tthub_add_webhook('$good_URL/slack', '$SECRET', ARRAY['account.need_reconnect'], format => 'slack', $LOCAL)")
like "$GOOD/$DEAD/$SLACK" '^[0-9]+/[0-9]+/[0-9]+$' "a superuser adds webhooks to receivers on this host"
ADMIN_HOOK=$(AS_ADMIN "SELECT tthub.tthub_add_webhook('https://hooks.example.com/tthub', '$SECRET', ARRAY['job.dead'])")
like "$ADMIN_HOOK" '^[0-9]+$' "tthub_admin adds an https webhook"
Q "SELECT tthub.tthub_remove_webhook($ADMIN_HOOK)" >/dev/null
# Refused calls carry the real secret: a failing statement must not log it (checked at the end).
REFUSED=$SECRET
is "$(sqlstate "$PORT" tthub "SELECT tthub.tthub_add_webhook('http://example.com/hook', '$REFUSED')")" "22023" \
   "plain http is refused without allow_http"
like "$(AS_ADMIN "SELECT tthub.tthub_add_webhook('$good_URL', '$REFUSED')")" "must use https" \
   "tthub_admin cannot add a plain http webhook on loopback (the database host's ports)"
like "$(AS_ADMIN "SELECT tthub.tthub_add_webhook('http://example.com/hook', '$REFUSED', allow_http => true)")" \
   "only a superuser may allow plain http" "tthub_admin cannot allow plain http (the worker sending it is a superuser)"
like "$(AS_ADMIN "SELECT tthub.tthub_add_webhook('https://example.com/hook', '$REFUSED', allow_private => true)")" \
   "only a superuser may allow" "nor internal addresses"
is "$(Q "SELECT tthub.tthub_add_webhook('http://example.com/hook', '$SECRET', allow_http => true) > 0")" "t" \
   "a superuser may allow plain http for one webhook"
is "$(sqlstate "$PORT" tthub "SELECT tthub.tthub_add_webhook('http://127.1.2.3.4.5/hook', '$REFUSED')")" "22023" \
   "nor on a host that only looks like loopback"
Q "SELECT tthub.tthub_remove_webhook(max(webhook_id)) FROM tthub.webhooks WHERE url = 'http://example.com/hook'" >/dev/null
is "$(sqlstate "$PORT" tthub "SELECT tthub.tthub_add_webhook('https://user:pw@example.com/', '$REFUSED')")" "22023" \
   "credentials in the URL are refused"
is "$(sqlstate "$PORT" tthub "SELECT tthub.tthub_add_webhook('https://example.com/', '$REFUSED', ARRAY['no.such'])")" "22023" \
   "an unknown event name is refused"
like "$(AS_ADMIN "SELECT secret_enc FROM tthub.webhooks")" "permission denied" "tthub_admin cannot read the secret's ciphertext"
LIST=$(AS_ADMIN "SELECT tthub.tthub_list_webhooks()")
like "$LIST" "$good_URL" "tthub_list_webhooks lists them"
unlike "$LIST" "$SECRET" "without the secret"
unlike "$(Q "SELECT string_agg(encode(secret_enc, 'escape'), '') FROM tthub.webhooks")" "$SECRET" \
   "the secret is stored encrypted"

echo "# account.connected: once, signed, retried with the same delivery id, then no more"
PGAPPNAME=listener psql -X -qAt -h 127.0.0.1 -p "$PORT" -U postgres -d tthub \
  -c "LISTEN tthub_events" -c "SELECT pg_sleep(4)" >"$DIR/listen.out" 2>&1 &
LISTENER=$!
sleep 1
import_account a1 1
wait_for "$PORT" "SELECT count(*) FROM tthub.deliveries WHERE store_code = 'a1' AND webhook_id = $GOOD AND state = 'done'" 1 20
is "$(events_of a1 account.connected)" "1" "one account.connected event"
is "$(rlog good "count(*) FILTER (WHERE j->'body'->>'store_code' = 'a1')")" "2" "the receiver got it twice (it failed the first)"
is "$(rlog good "count(DISTINCT j->>'delivery') FILTER (WHERE j->'body'->>'store_code' = 'a1')")" "1" "with the same delivery id"
is "$(rlog good "string_agg(j->>'answered', ',' ORDER BY (j->>'attempt')::int) FILTER (WHERE j->'body'->>'store_code' = 'a1')")" \
   "500,200" "500 first, then 200"
is "$(rlog good "bool_and((j->>'valid')::boolean) AND bool_and(j->>'content_type' = 'application/json')")" "t" \
   "every request has a valid signature and Content-Type application/json"
is "$(rlog good "bool_and((j->'body'->>'id') = (j->>'delivery') AND j->'body'->>'event' = 'account.connected'
                  AND j->'body'->'data'->>'open_id' = 'sim-open-1' AND (j->'body'->>'occurred_at')::timestamptz IS NOT NULL)
                  FILTER (WHERE j->'body'->>'store_code' = 'a1')")" "t" \
   "the body carries id (the delivery id), event, occurred_at, store_code and data"
is "$(Q "SELECT state || ' ' || attempts || ' ' || last_http_status FROM tthub.webhook_deliveries
          WHERE store_code = 'a1' AND webhook_id = $GOOD")" "done 2 200" "tthub.webhook_deliveries shows it done after 2 attempts"
wait "$LISTENER"
like "$(cat "$DIR/listen.out")" 'notification "tthub_events" with payload "\{"id" : [0-9]+, "event" : "account.connected", "store_code" : "a1"' \
   "LISTEN tthub_events sees the notification"
# Postgres checks no privilege on LISTEN: any role hears it, so it names the event only.
unlike "$(cat "$DIR/listen.out")" "sim-open-1|open_id|data" "the notification carries no event data (tthub.events has it)"

echo "# a dead endpoint ends dead, and tthub_redeliver sends a delivery again"
wait_for "$PORT" "SELECT state || ' ' || attempts FROM tthub.deliveries WHERE store_code = 'a1' AND webhook_id = $DEAD" "dead 3" 20
is "$(rlog dead "count(*)")" "3" "the dead endpoint was tried tthub.max_attempts times, no more"
is "$(Q "SELECT last_http_status || ' ' || last_error FROM tthub.webhook_deliveries WHERE store_code = 'a1' AND webhook_id = $DEAD")" \
   "503 the receiver answered HTTP 503" "its last status and error are shown"
DONE_ID=$(Q "SELECT delivery_id FROM tthub.deliveries WHERE store_code = 'a1' AND webhook_id = $GOOD")
is "$(AS_ADMIN "SELECT tthub.tthub_redeliver($DONE_ID)")" "$DONE_ID" "tthub_redeliver returns the delivery id"
wait_for "$PORT" "SELECT state || ' ' || attempts FROM tthub.deliveries WHERE delivery_id = $DONE_ID" "done 1" 10
is "$(rlog good "count(*) FILTER (WHERE j->>'delivery' = '$DONE_ID')")" "3" "the receiver got the same delivery id once more"

echo "# tthub_admin's webhooks never reach this host or the private network"
# An https URL passes tthub_add_webhook; the worker refuses the address it resolves
# to before connecting, in every IPv6 form of it, and says the same as for a name
# that does not resolve (so it maps no port and no internal name).
good_port=$(cat "$DIR/good.port")
ADMIN_HOOKS=()
for host in "127.0.0.1:$good_port" "localhost:$good_port" "[::ffff:127.0.0.1]:$good_port" "[::1]:$good_port" \
            "[64:ff9b::7f00:1]:$good_port" "[2002:7f00:1::1]:$good_port" "no-such-host.invalid"; do
  ADMIN_HOOKS+=("$(AS_ADMIN "SELECT tthub.tthub_add_webhook('https://$host/hook', '$SECRET', ARRAY['sync.day_incomplete'])")")
done
like "${ADMIN_HOOKS[*]}" '^[0-9]+( [0-9]+){6}$' "tthub_admin may add https webhooks to any host name"
Q "SELECT tthub._emit_event('sync.day_incomplete', 'a1', '{\"probe\": \"admin\"}')" >/dev/null
hooks_in=$(IFS=,; echo "${ADMIN_HOOKS[*]}")
wait_for "$PORT" "SELECT count(*) FROM tthub.deliveries WHERE webhook_id IN ($hooks_in) AND attempts >= 1 AND state <> 'running'" 7 20
is "$(Q "SELECT string_agg(DISTINCT last_error, ' | ') FROM tthub.deliveries WHERE webhook_id IN ($hooks_in)")" \
   "cannot connect: the host does not resolve to an address a webhook may reach" \
   "loopback in every form, NAT64 and 6to4 of it, and an unknown name fail with one and the same error"
is "$(rlog good "count(*) FILTER (WHERE j->>'delivery' IN (SELECT delivery_id::text FROM tthub.deliveries WHERE webhook_id IN ($hooks_in)))")" "0" \
   "and the receiver on this host never saw one of their requests"
Q "SELECT tthub.tthub_remove_webhook(w) FROM unnest(ARRAY[$hooks_in]::bigint[]) w" >/dev/null

echo "# internal addresses: refused where libcurl connects, unless a superuser allowed them"
# The check runs on the address libcurl is about to connect to, after DNS (so a name
# resolving to a private address is refused as well). 0.0.0.0 reaches this host on
# Linux, so it stands for an internal address without traffic leaving loopback.
probe_url="http://0.0.0.0:$(cat "$DIR/good.port")/hook"
INTERNAL=$(Q "SELECT tthub.tthub_add_webhook('$probe_url', '$SECRET', ARRAY['sync.day_incomplete'], allow_http => true)")
PRIVATE_OK=$(Q "SELECT tthub.tthub_add_webhook('$probe_url', '$SECRET', ARRAY['sync.day_incomplete'], allow_http => true,
                                               allow_private => true)")
Q "SELECT tthub._emit_event('sync.day_incomplete', 'a1', '{\"probe\": \"internal\"}')" >/dev/null
wait_for "$PORT" "SELECT state FROM tthub.deliveries WHERE webhook_id = $INTERNAL" "dead" 20
wait_for "$PORT" "SELECT state FROM tthub.deliveries WHERE webhook_id = $PRIVATE_OK" "done" 20
is "$(Q "SELECT last_error FROM tthub.deliveries WHERE webhook_id = $INTERNAL")" \
   "cannot connect: the host does not resolve to an address a webhook may reach" \
   "a superuser's webhook without allow_private is refused an internal address before connecting"
delivered_to() { rlog good "count(*) FILTER (WHERE j->>'delivery' IN ($(Q "SELECT coalesce(string_agg(quote_literal(delivery_id::text), ','), 'NULL') FROM tthub.deliveries WHERE webhook_id = $1")))"; }
is "$(delivered_to "$INTERNAL")" "0" "it never reached the receiver, not even over a connection the allowed one opened"
like "$(delivered_to "$PRIVATE_OK")" "^[1-9]" "with allow_private (a superuser's choice) the same address is delivered"
Q "SELECT tthub.tthub_remove_webhook($INTERNAL), tthub.tthub_remove_webhook($PRIVATE_OK)" >/dev/null

echo "# account.need_reconnect and sync.failed: a revoked account"
sim_config '{"revoke": "sim-open-2"}'
import_account b1 2 60
Q "SELECT tthub.tthub_sync('b1')" >/dev/null
wait_for "$PORT" "SELECT status FROM tthub.store_accounts WHERE store_code = 'b1'" "NEED_RECONNECT" 30
wait_for "$PORT" "SELECT count(*) FROM tthub.deliveries d JOIN tthub.events e USING (store_code, event_id)
                   WHERE d.store_code = 'b1' AND e.event = 'account.need_reconnect' AND d.state = 'done'" 2 20
is "$(events_of b1 account.need_reconnect)" "1" "one account.need_reconnect event"
like "$(Q "SELECT data->>'reason' FROM tthub.events WHERE store_code = 'b1' AND event = 'account.need_reconnect'")" "." \
   "with the reason"
wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE store_code = 'b1' AND state IN ('failed', 'done', 'dead')" 1 20
is "$(events_of b1 sync.failed)" "1" "one sync.failed event for the failed attempt"
like "$(Q "SELECT data->>'error' FROM tthub.events WHERE store_code = 'b1' AND event = 'sync.failed'")" "." "with the error"
like "$(rlog good "string_agg(j->'body'->>'text', '|') FILTER (WHERE j->>'path' = '/hook/slack')")" \
   "^tthub: account.need_reconnect for store b1; open_id: sim-open-2; reason: " "the Slack webhook got {\"text\": ...}"
is "$(rlog good "count(*) FILTER (WHERE j->>'path' = '/hook/slack')")" "2" "only the event it asked for (failed once, then sent)"

echo "# job.dead: a job whose attempts run out"
sim_config '{"error_rate": 1.0}'
import_account c1 3
Q "SELECT tthub.tthub_sync('c1')" >/dev/null
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE store_code = 'c1'" "dead" 40
sim_config '{"error_rate": 0}'
is "$(events_of c1 sync.failed)/$(events_of c1 job.dead)" "3/1" "three sync.failed (one per attempt), one job.dead"
wait_for "$PORT" "SELECT count(*) FROM tthub.deliveries d JOIN tthub.events e USING (store_code, event_id)
                   WHERE d.store_code = 'c1' AND e.event = 'job.dead' AND d.state = 'done'" 1 20

echo "# a job whose worker died with its last attempt: job.dead from the orphan requeue"
Q "INSERT INTO tthub.sync_jobs (store_code, snapshot_date, job_type, state, attempts, worker_pid, started_at, lease_until)
   VALUES ('a1', tthub.snapshot_today() - 5, 'daily_sync', 'running', 3, 2147483000, now(), now() + interval '10 minutes')" >/dev/null
Q "SELECT tthub._requeue_orphans(3)" >/dev/null  # or the worker's maintenance did it first
is "$(Q "SELECT state FROM tthub.sync_jobs WHERE store_code = 'a1' AND snapshot_date = tthub.snapshot_today() - 5")" "dead" \
   "the orphan's attempts were spent: dead"
is "$(Q "SELECT count(*) FROM tthub.events WHERE store_code = 'a1' AND event = 'job.dead'
          AND data->>'error' = 'the worker running this job stopped'")" "1" "one job.dead event for it"

echo "# an event of a rolled-back transaction is never sent"
Q "BEGIN; INSERT INTO tthub.stores (store_code, store_name) VALUES ('r1', 'rolled back');
   SELECT tthub.tthub_import_account('r1', 'sim-open-4', 'act.sim-open-4.1', 'rft.sim-open-4.1', 86400, 15552000, 'user.info.basic');
   ROLLBACK" >/dev/null
sleep 2
is "$(Q "SELECT count(*) FROM tthub.events WHERE store_code = 'r1'")" "0" "no event row"
is "$(rlog good "count(*) FILTER (WHERE j->'body'->>'store_code' = 'r1')")" "0" "no delivery reached the receiver"

echo "# account.token_expiring and sync.day_incomplete: once each"
import_account d1 5
Q "UPDATE tthub.store_accounts SET refresh_token_expires_at = now() + interval '2 days', connected_at = now() - interval '2 days'
    WHERE store_code = 'd1'" >/dev/null
is "$(Q "SELECT tthub._scan_alert_events(interval '7 days', 0)")" "2" \
   "the scan emits token_expiring and day_incomplete for the store"
is "$(Q "SELECT tthub._scan_alert_events(interval '7 days', 0)")" "0" "and nothing the second time"
is "$(events_of d1 account.token_expiring)/$(events_of d1 sync.day_incomplete)" "1/1" "one of each"
is "$(Q "SELECT tthub._scan_alert_events(interval '7 days', -1) + tthub._scan_alert_events(interval '1 day', 0)")" "0" \
   "no deadline: no day_incomplete; a shorter warning: no token_expiring"
wait_for "$PORT" "SELECT count(*) FROM tthub.deliveries WHERE store_code = 'd1' AND webhook_id = $GOOD AND state = 'done'" 3 20
# The warning is remembered with the account, not looked up in events: once the
# event is pruned (tthub.log_retention), the scan must not send it again.
Q "DELETE FROM tthub.events WHERE store_code = 'd1' AND event = 'account.token_expiring'" >/dev/null
is "$(Q "SELECT tthub._scan_alert_events(interval '7 days', -1)")" "0" \
   "token_expiring is not sent again once its event is pruned"
Q "UPDATE tthub.store_accounts SET refresh_token_expires_at = refresh_token_expires_at + interval '1 day' WHERE store_code = 'd1'" >/dev/null
is "$(Q "SELECT tthub._scan_alert_events(interval '7 days', -1)")" "1" "but is for a new expiry (a reconnect that still expires soon)"

echo "# a slow endpoint: in flight at most tthub.webhook_max_in_flight, never slows a sync"
SLOW=$(Q "SELECT tthub.tthub_add_webhook('$slow_URL', '$SECRET', ARRAY['sync.failed'], $LOCAL)")
for i in 1 2 3 4; do Q "SELECT tthub._emit_event('sync.failed', 'a1', '{\"n\": $i}')" >/dev/null; done
wait_for "$PORT" "SELECT count(*) FROM tthub.deliveries WHERE webhook_id = $SLOW AND state = 'running'" 2 10
sleep 1
is "$(Q "SELECT count(*) FROM tthub.deliveries WHERE webhook_id = $SLOW AND state = 'running'")" "2" \
   "two of four on the wire, the others wait"
import_account e1 6
Q "SELECT tthub.tthub_sync('e1')" >/dev/null
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE store_code = 'e1'" "done" 10
is "$(Q "SELECT (finished_at - started_at) < interval '2 seconds' FROM tthub.sync_jobs WHERE store_code = 'e1'")" "t" \
   "a sync runs in under 2 s meanwhile"
wait_for "$PORT" "SELECT count(*) FROM tthub.deliveries WHERE store_code = 'e1' AND webhook_id = $GOOD AND state = 'done'" 1 10
tap_result $? "and other endpoints get their deliveries"

echo "# shutdown: deliveries on the wire go back to the queue without spending an attempt"
Q "SELECT tthub.tthub_disable_webhook($SLOW)" >/dev/null
import_account g1 8
Q "UPDATE tthub.store_accounts SET refresh_token_expires_at = now() + interval '3 days' WHERE store_code = 'g1'" >/dev/null
cluster_stop "$DIR/pg"
cluster_start "$DIR/pg"
wait_for_worker
wait_for "$PORT" "SELECT count(*) FROM tthub.events WHERE store_code = 'g1' AND event = 'account.token_expiring'" 1 15
tap_result $? "the worker's own scan (at start, then every minute) emits account.token_expiring"
is "$(Q "SELECT count(*) FROM tthub.deliveries WHERE webhook_id = $SLOW AND state = 'queued' AND attempts = 0")" "4" \
   "all four queued, none with an attempt spent"
is "$(Q "SELECT count(*) FROM tthub.deliveries WHERE webhook_id = $SLOW AND last_error = 'the worker stopped while sending it'")" "2" \
   "the two on the wire were put back by the stopping worker"
unlike "$(cat "$DIR/pg/server.log")" "stopping after an error|deliveries on the wire were not put back" \
   "the worker stopped cleanly (a second SIGTERM of the fast shutdown cancels nothing)"

echo "# key rotation re-encrypts signing secrets"
as_postgres mv "$DIR/pg/token.key" "$DIR/pg/key_a"
as_postgres sh -c "umask 077; openssl rand -hex 32 > '$DIR/pg/key_b'"
Q "ALTER SYSTEM SET tthub.token_key_file = '$DIR/pg/key_b'; " >/dev/null
Q "ALTER SYSTEM SET tthub.token_key_previous_file = '$DIR/pg/key_a'" >/dev/null
cluster_stop "$DIR/pg"
cluster_start "$DIR/pg"
wait_for_worker
is "$(Q "SELECT tthub._reencrypt_webhook_secrets()")" "$(Q "SELECT count(*) FROM tthub.webhooks")" \
   "_reencrypt_webhook_secrets rewrites every secret"
is "$(Q "SELECT tthub._reencrypt_webhook_secrets()")" "0" "and none the second time"
Q "ALTER SYSTEM SET tthub.token_key_previous_file = ''" >/dev/null
cluster_stop "$DIR/pg"
cluster_start "$DIR/pg"
wait_for_worker
BEFORE=$(rlog good "count(*)")
import_account f1 7
wait_for "$PORT" "SELECT count(*) FROM tthub.deliveries WHERE store_code = 'f1' AND webhook_id = $GOOD AND state = 'done'" 1 20
is "$(rlog good "count(*) FILTER (WHERE j->'body'->>'store_code' = 'f1' AND (j->>'valid')::boolean)")" "2" \
   "deliveries are signed with the same secret under the new key alone"

echo "# the log: ids, statuses and timings, never a secret"
like "$(cat "$DIR/pg/server.log")" "tthub: webhook $GOOD delivery [0-9]+ account.connected: done, http 200, [0-9]+ ms" \
   "a delivery is logged with webhook id, delivery id, event, state, HTTP status and time"
unlike "$(cat "$DIR/pg/server.log")" "$SECRET|$SECRET_DEAD" "no signing secret in the server log"

tap_done
