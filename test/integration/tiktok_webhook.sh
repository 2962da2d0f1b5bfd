#!/usr/bin/env bash
# TikTok's webhook through the shim (issue #20): every answer (200 verified, also for
# unused events and unknown users; 401 bad or missing signature, stale or future
# timestamp, another app's client_key, no secret; 400 malformed; 413 oversized; 405
# other methods), each event recorded once; authorization.removed stops every
# account with the open_id at once (tokens deleted, status and reason, queued work
# cancelled, no further TikTok request from a sync in flight, one event with a
# reconnect link, none for deleted or banned accounts); the link reconnects the
# store through the shim and its history goes on; 50 webhooks a second are answered
# within a second at p99. The simulator plays TikTok and sends the webhooks.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
source test/lib/shim.sh

itest_setup tiktok_webhook "--accounts 6 --videos 40" "tthub.retry_base_delay = 60000" || exit 1
oauth_setup || exit 1
Q() { q "$PORT" tthub "$1"; }
SHIM=http://127.0.0.1:$SHIM_PORT
HOOK=$SHIM/tiktok/webhook
Q "ALTER SYSTEM SET tthub.public_url = '$SHIM'" >/dev/null
Q "SELECT pg_reload_conf()" >/dev/null
RECEIVER_PID=
trap 'kill $RECEIVER_PID 2>/dev/null; shim_stop; itest_teardown' EXIT

# send JSON: the simulator sends one webhook to the shim as TikTok would (members:
# test/sim/webhook_sender.cpp) and prints what it got back.
send() { curl -s -X POST "http://127.0.0.1:$SIM_PORT/_sim/webhook" -d "{\"url\": \"$HOOK\", $1}"; }
# jget JSON PATH: one value of a JSON document, e.g. "statuses,1".
jget() { Q "SELECT (\$j\$$1\$j\$::jsonb) #>> '{$2}'"; }
status_of() { jget "$1" status; }
recorded() { Q "SELECT count(*) FROM tthub.tiktok_events"; }
events_of() { Q "SELECT count(*) FROM tthub.events WHERE store_code = '$1' AND event = '$2'"; }

# A webhook receiver for tthub's own alerts, to see the event and its link arrive.
build/webhook_receiver --port-file "$DIR/receiver.port" --secret whsec_tiktok_webhook_test_0123 \
  --log "$DIR/receiver.log" >"$DIR/receiver.out" 2>&1 &
RECEIVER_PID=$!
for _ in $(seq 1 50); do [ -s "$DIR/receiver.port" ] && break; sleep 0.1; done
# A receiver on this host in plain http: a superuser's choice (Q runs as postgres).
Q "SELECT tthub.tthub_add_webhook('http://127.0.0.1:$(cat "$DIR/receiver.port")/hook', 'whsec_tiktok_webhook_test_0123',
                                  allow_http => true, allow_private => true)" >/dev/null
rlog() {
  Q "SELECT $1 FROM (SELECT l::jsonb AS j FROM unnest(string_to_array(\$r\$$(cat "$DIR/receiver.log" 2>/dev/null)\$r\$, E'\n')) l
                      WHERE l <> '') s"
}

echo "# who may call it"
is "$(Q "SELECT has_function_privilege('tthub_oauth', 'tthub.tthub_tiktok_webhook(text, bytea)', 'EXECUTE')")" "t" \
   "the shim's role may call tthub_tiktok_webhook"
is "$(Q "SELECT has_function_privilege('tthub_admin', 'tthub.tthub_tiktok_webhook(text, bytea)', 'EXECUTE')
          OR has_function_privilege('tthub_reader', 'tthub.tthub_tiktok_webhook(text, bytea)', 'EXECUTE')
          OR has_function_privilege('public', 'tthub.tthub_tiktok_webhook(text, bytea)', 'EXECUTE')")" "f" \
   "no other role may"
is "$(Q "SELECT has_table_privilege('tthub_admin', 'tthub.tiktok_events', 'SELECT')
          AND NOT has_table_privilege('tthub_reader', 'tthub.tiktok_events', 'SELECT')
          AND NOT has_table_privilege('tthub_oauth', 'tthub.tiktok_events', 'SELECT')")" "t" \
   "admins read tthub.tiktok_events, readers and the shim do not"

echo "# answers"
r=$(send '"open_id": "nobody-we-know", "reason": 1')
is "$(status_of "$r")" "200" "a verified authorization.removed for an unknown user: 200"
is "$(Q "SELECT event || '|' || open_id || '|' || reason || '|' || action FROM tthub.tiktok_events ORDER BY event_id DESC LIMIT 1")" \
   "authorization.removed|nobody-we-know|1|ignored: no account has this open_id" "recorded, and ignored"
r=$(send '"event": "video.publish.completed", "content": "{\"share_id\": \"video.7000\"}"')
is "$(status_of "$r")" "200" "an event tthub does not use: 200"
is "$(Q "SELECT action FROM tthub.tiktok_events WHERE event = 'video.publish.completed'")" \
   "ignored: tthub does not use this event" "recorded, and ignored"
before=$(recorded)
is "$(status_of "$(send '"open_id": "nobody-2", "signature": "tamper_body"')")" "401" "a body changed after signing: 401"
is "$(status_of "$(send '"open_id": "nobody-2", "signature": "bad"')")" "401" "a changed signature: 401"
is "$(status_of "$(send '"open_id": "nobody-2", "signature": "other_secret"')")" "401" "signed with another secret: 401"
is "$(status_of "$(send '"open_id": "nobody-2", "signature": "none"')")" "401" "no TikTok-Signature header: 401"
is "$(status_of "$(send '"open_id": "nobody-2", "signature": "raw:t=1,s=zz"')")" "401" "a garbled header: 401"
is "$(status_of "$(send '"open_id": "nobody-2", "t_offset": -360')")" "401" "a timestamp 6 minutes old: 401"
is "$(status_of "$(send '"open_id": "nobody-2", "t_offset": 360')")" "401" "a timestamp 6 minutes ahead: 401"
r=$(send '"open_id": "nobody-2", "client_key": "another-app"')
is "$(status_of "$r")" "401" "correctly signed, but another app's client_key: 401"
like "$(jget "$r" body)" '"code":"invalid_signature".*another app' "the answer says why"
is "$(status_of "$(send '"body": "this is not json"')")" "400" "a signed body that is not JSON: 400"
is "$(status_of "$(send '"open_id": "nobody-2", "content": "{\"why\": 1}"')")" "400" \
   "authorization.removed without a reason: 400"
is "$(status_of "$(send "\"body\": \"{\\\"client_key\\\":\\\"sim-client-key\\\",\\\"event\\\":\\\"x\\\",\\\"create_time\\\":5,\\\"user_openid\\\":\\\"$(printf 'o%.0s' $(seq 1 200))\\\",\\\"content\\\":\\\"\\\"}\"")")" \
   "400" "an open_id longer than 128 bytes: 400"
is "$(status_of "$(send '"event": "x", "pad_bytes": 20000')")" "413" "a 20 kB body: 413"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Length: 999999999' "$HOOK")" "413" \
   "an announced 1 GB body: 413 before it is read"
is "$(recorded)" "$before" "nothing refused was recorded"
is "$(status_of "$(send '"event": "x", "pad_bytes": 8000')")" "200" "an 8 kB one is taken"
is "$(curl -s -o /dev/null -w '%{http_code} %header{allow}' "$HOOK")" "405 POST" "GET: 405, Allow: POST"
is "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -d x "$HOOK")" "405" "PUT: 405"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$SHIM/auth/login")" "404" \
   "the other routes still take no POST"
# The tolerance is a setting.
Q "ALTER SYSTEM SET tthub.tiktok_webhook_tolerance = '10min'" >/dev/null
Q "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
is "$(status_of "$(send '"open_id": "nobody-3", "t_offset": -360')")" "200" \
   "with tthub.tiktok_webhook_tolerance = 10min, 6 minutes old is accepted"
Q "ALTER SYSTEM RESET tthub.tiktok_webhook_tolerance" >/dev/null
Q "SELECT pg_reload_conf()" >/dev/null
like "$(sqlstate "$PORT" tthub "ALTER SYSTEM SET tthub.public_url = 'ftp://example.com'")" "22023" \
   "tthub.public_url must be an https URL (http on loopback)"

echo "# authorization.removed: every account with the open_id stops at once"
# sim-open-1 in two stores (one with history), sim-open-2 in a third.
import_account s1 1
import_account s2 1
import_account s3 2
job=$(Q "SELECT tthub.tthub_sync('s1')")
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $job" done 30
history=$(Q "SELECT count(*) FROM tthub.video_daily WHERE store_code = 's1'")
like "$history" '^[1-9][0-9]*$' "s1 has history before"
# Queued work for s2, not due for an hour.
Q "INSERT INTO tthub.sync_jobs (store_code, snapshot_date, run_after) VALUES ('s2', tthub.snapshot_today(), now() + interval '1 hour')" >/dev/null
PGAPPNAME=listener psql -X -qAt -h 127.0.0.1 -p "$PORT" -U postgres -d tthub \
  -c "LISTEN tthub_events" -c "SELECT pg_sleep(6)" >"$DIR/listen.out" 2>&1 &
LISTENER=$!
sleep 1
T0=$(Q "SELECT now()")
CT=$(date +%s)
r=$(send "\"open_id\": \"sim-open-1\", \"reason\": 1, \"create_time\": $CT")
is "$(status_of "$r")" "200" "authorization.removed for a known user: 200"
is "$(Q "SELECT string_agg(store_code || ':' || status || ':' || (access_token_enc IS NULL AND refresh_token_enc IS NULL
                                                                  AND token_expires_at IS NULL), ',' ORDER BY store_code)
           FROM tthub.store_accounts WHERE open_id = 'sim-open-1'")" "s1:NEED_RECONNECT:true,s2:NEED_RECONNECT:true" \
   "both accounts with that open_id: NEED_RECONNECT, tokens deleted"
is "$(Q "SELECT DISTINCT status_reason FROM tthub.accounts WHERE open_id = 'sim-open-1'")" \
   "TikTok: the user disconnected the app in TikTok (authorization.removed, reason 1)" "the status reason says what TikTok said"
is "$(Q "SELECT count(*) FROM tthub.sync_jobs WHERE store_code = 's2' AND state = 'queued'")" "0" "s2's queued job is cancelled"
is "$(Q "SELECT action FROM tthub.tiktok_events WHERE open_id = 'sim-open-1' AND event = 'authorization.removed'")" \
   "2 account(s) NEED_RECONNECT, tokens deleted (s1, s2); 1 queued job(s) cancelled" "tthub.tiktok_events says what was done"
is "$(Q "SELECT array_to_string(store_codes, ',') || '|' || (tiktok_time = to_timestamp($CT)) FROM tthub.tiktok_events
           WHERE open_id = 'sim-open-1' AND event = 'authorization.removed'")" \
   "s1,s2|true" "for which stores, with TikTok's time"
is "$(events_of s1 account.need_reconnect)/$(events_of s2 account.need_reconnect)" "1/1" "one account.need_reconnect per store"
data=$(Q "SELECT data FROM tthub.events WHERE store_code = 's1' AND event = 'account.need_reconnect'")
is "$(jget "$data" tiktok_reason)" "1" "data.tiktok_reason is TikTok's reason"
link=$(jget "$data" reconnect_url)
like "$link" "^$SHIM/auth/login\\?invite=[A-Za-z0-9_-]{43}$" "data.reconnect_url is a fresh connect link on tthub.public_url"
wait_for "$PORT" "SELECT count(*) FROM tthub.deliveries d JOIN tthub.events e USING (store_code, event_id)
                  WHERE e.event = 'account.need_reconnect' AND d.state = 'done'" 2 10
is "$(Q "SELECT max(d.finished_at) - '$T0'::timestamptz < interval '5 seconds' FROM tthub.deliveries d
           JOIN tthub.events e USING (store_code, event_id) WHERE e.event = 'account.need_reconnect'")" "t" \
   "the webhook deliveries went out within seconds"
is "$(rlog "count(*) FILTER (WHERE j->'body'->>'event' = 'account.need_reconnect' AND (j->>'valid')::boolean
                                    AND j->'body'->'data'->>'reconnect_url' LIKE '$SHIM/auth/login?invite=%')")" "2" \
   "signed, with the link"
wait "$LISTENER"
is "$(grep -c 'account.need_reconnect' "$DIR/listen.out")" "2" "NOTIFY tthub_events announced both"

echo "# the same event again changes nothing"
updated=$(Q "SELECT string_agg(updated_at::text || status_reason, ',' ORDER BY store_code) FROM tthub.store_accounts WHERE open_id = 'sim-open-1'")
r=$(send "\"open_id\": \"sim-open-1\", \"reason\": 1, \"create_time\": $CT, \"repeat\": 2")
is "$(jget "$r" statuses)" "[200, 200]" "a replayed event (twice more): 200 each time"
like "$(jget "$r" body)" "already received: nothing changed" "and the answer says nothing changed"
is "$(Q "SELECT count(*) FROM tthub.tiktok_events WHERE open_id = 'sim-open-1' AND event = 'authorization.removed'")" "1" "recorded once"
is "$(Q "SELECT string_agg(updated_at::text || status_reason, ',' ORDER BY store_code) FROM tthub.store_accounts WHERE open_id = 'sim-open-1'")" \
   "$updated" "the accounts are untouched"
is "$(events_of s1 account.need_reconnect)" "1" "no second event"

echo "# deleted or banned: DISABLED, account.removed, never a link"
r=$(send '"open_id": "sim-open-2", "reason": 4')
is "$(status_of "$r")" "200" "authorization.removed, reason 4 (banned): 200"
is "$(Q "SELECT status || '|' || status_reason || '|' || (refresh_token_enc IS NULL) FROM tthub.store_accounts WHERE store_code = 's3'")" \
   "DISABLED|TikTok: the TikTok account was banned (authorization.removed, reason 4)|true" "the account is DISABLED, tokens deleted"
is "$(events_of s3 account.removed)/$(events_of s3 account.need_reconnect)" "1/0" "account.removed, not account.need_reconnect"
is "$(Q "SELECT (data->>'tiktok_reason') || '|' || (data ? 'reconnect_url') FROM tthub.events WHERE store_code = 's3' AND event = 'account.removed'")" \
   "4|false" "with TikTok's reason and no link"
is "$(Q "SELECT count(*) FROM tthub.oauth_invites WHERE store_code = 's3'")" "0" "and no invitation was made for it"

echo "# links can be turned off"
import_account s4 4
Q "ALTER SYSTEM SET tthub.reconnect_links = off" >/dev/null
Q "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
send '"open_id": "sim-open-4", "reason": 0' >/dev/null
is "$(Q "SELECT (data->>'tiktok_reason') || '|' || (data ? 'reconnect_url') FROM tthub.events WHERE store_code = 's4' AND event = 'account.need_reconnect'")" \
   "0|false" "tthub.reconnect_links = off: account.need_reconnect without a link"
Q "ALTER SYSTEM RESET tthub.reconnect_links" >/dev/null
Q "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
Q "SELECT tthub._emit_event('account.token_expiring', 's4', '{\"open_id\": \"sim-open-4\"}')" >/dev/null
like "$(Q "SELECT data->>'reconnect_url' FROM tthub.events WHERE store_code = 's4' AND event = 'account.token_expiring'")" \
   "^$SHIM/auth/login\\?invite=" "account.token_expiring carries a link too"

echo "# a sync in flight sends no further request for the account"
# 600 videos (30 pages) at 150 ms a request: the sync runs for seconds. The
# simulator leaves the token valid here (revoke: false), so that only tthub's own
# stop can end the requests.
sim_config '{"videos": {"sim-open-5": 600}, "latency_ms": 150}'
import_account s5 5
job=$(Q "SELECT tthub.tthub_sync('s5')")
wait_for "$PORT" "SELECT pages_fetched >= 3 FROM tthub.sync_jobs WHERE job_id = $job" t 30
r=$(send '"open_id": "sim-open-5", "reason": 1, "revoke": false')
is "$(status_of "$r")" "200" "authorization.removed while s5 syncs: 200"
at_answer=$(jget "$r" account_requests_at_answer)
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $job" done 30
sleep 1
after=$(sim_json "accounts,sim-open-5,requests")
like "$((after - at_answer))" '^[01]$' "at most the request already on the wire reached TikTok after the answer ($at_answer then $after)"
like "$(Q "SELECT pages_fetched < 30 FROM tthub.sync_jobs WHERE job_id = $job")" "t" "the sync did not page on"
is "$(Q "SELECT status FROM tthub.store_accounts WHERE store_code = 's5'")" "NEED_RECONNECT" "the account stays NEED_RECONNECT"
is "$(events_of s5 account.need_reconnect)" "1" "one account.need_reconnect event"
like "$(Q "SELECT string_agg(status || ': ' || message, '|') FROM tthub.sync_logs WHERE job_id = $job")" \
   "SKIPPED: stopped: the account's authorization ended" "the sync log says the sync stopped"
sim_config '{"latency_ms": 0}'

echo "# the link reconnects the store, and its history goes on"
sim_config '{"authorize_account": 1}'
final=$(curl -s -L -H 'Accept: application/json' "$link")
is "$final" '{"display_name":"Sim Account 1","status":"CONNECTED","store_code":"s1"}' "following the link through the shim connects s1 again"
is "$(Q "SELECT status || '|' || (refresh_token_enc IS NOT NULL) || '|' || (connected_at > '$T0') FROM tthub.store_accounts WHERE store_code = 's1' AND open_id = 'sim-open-1'")" \
   "CONNECTED|true|true" "the account is CONNECTED with new tokens"
wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE store_code = 's1' AND job_type = 'first_sync' AND created_at > '$T0' AND state = 'done'" 1 30
like "$(Q "SELECT count(*) >= $history FROM tthub.video_daily WHERE store_code = 's1'")" "t" \
   "a sync ran at once, not at the daily schedule, and the store's history is still there"
is "$(Q "SELECT count(DISTINCT store_code) FROM tthub.video_daily WHERE open_id = 'sim-open-1'")" "1" "under the same store"

echo "# late and self-made events leave accounts alone"
old=$(( $(date +%s) - 7200 ))
r=$(send "\"open_id\": \"sim-open-1\", \"reason\": 1, \"create_time\": $old, \"revoke\": false")
like "$(jget "$r" body)" "connected after the event, left as they are" \
   "an authorization.removed from two hours ago, first received after the reconnect, is recorded and ignored"
is "$(Q "SELECT status FROM tthub.store_accounts WHERE store_code = 's1' AND open_id = 'sim-open-1'")" "CONNECTED" \
   "the reconnected account stays CONNECTED"
import_account s6 6
Q "SELECT tthub.tthub_disconnect('s6')" >/dev/null
reason=$(Q "SELECT status_reason FROM tthub.store_accounts WHERE store_code = 's6'")
r=$(send '"open_id": "sim-open-6", "reason": 5')
like "$(jget "$r" body)" "already disconnected, left as they are" \
   "reason 5 after an admin's tthub_disconnect (tthub's own revoke) is recorded and ignored"
is "$(Q "SELECT status || '|' || status_reason FROM tthub.store_accounts WHERE store_code = 's6'")" "DISABLED|$reason" \
   "the account keeps the admin's status and reason"
is "$(events_of s6 account.need_reconnect)" "0" "and no event is sent"

echo "# 50 webhooks a second"
r=$(curl -s -X POST "http://127.0.0.1:$SIM_PORT/_sim/webhook" \
      -d "{\"url\": \"$HOOK\", \"event\": \"authorization.removed\", \"open_id\": \"load-user\", \"revoke\": false, \"count\": 200, \"rate\": 50}")
is "$(Q "SELECT count(*) FROM jsonb_array_elements(\$j\$$r\$j\$::jsonb -> 'statuses') s WHERE s::text = '200'")" "200" \
   "200 distinct webhooks over 4 s: all answered 200"
like "$(Q "SELECT (\$j\$$r\$j\$::jsonb ->> 'p99_ms')::float8 < 1000")" "t" "p99 under a second ($(jget "$r" p99_ms) ms, max $(jget "$r" max_ms) ms)"
is "$(Q "SELECT count(*) FROM tthub.tiktok_events WHERE open_id = 'load-user'")" "200" "each recorded once"

echo "# retention"
Q "INSERT INTO tthub.tiktok_events (event_key, event, open_id, tiktok_time, received_at, action)
   VALUES (repeat('a', 64), 'x', 'old', now() - interval '40 days', now() - interval '40 days', 'old'),
          (repeat('b', 64), 'x', 'recent', now() - interval '3 days', now() - interval '3 days', 'recent')" >/dev/null
Q "SELECT tthub._prune(1)" >/dev/null
is "$(Q "SELECT string_agg(open_id, ',') FROM tthub.tiktok_events WHERE open_id IN ('old', 'recent')")" "recent" \
   "pruned with the logs, but kept 4 days whatever the retention (TikTok retries for 72 h)"

echo "# the path is configurable"
P2=$(free_port 58600)
TTHUB_TIKTOK_WEBHOOK_PATH=/hooks/tiktok-42 TTHUB_DATABASE_URL="host=127.0.0.1 port=$PORT dbname=tthub user=tthub_oauth" \
  TTHUB_LISTEN="127.0.0.1:$P2" TTHUB_PUBLIC_URL="http://127.0.0.1:$P2" "$SHIM_BIN" >"$DIR/shim2.log" 2>&1 &
SHIM2=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$P2/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
r=$(curl -s -X POST "http://127.0.0.1:$SIM_PORT/_sim/webhook" -d "{\"url\": \"http://127.0.0.1:$P2/hooks/tiktok-42\", \"open_id\": \"nobody-5\"}")
is "$(status_of "$r")" "200" "TTHUB_TIKTOK_WEBHOOK_PATH=/hooks/tiktok-42: TikTok's webhook is taken there"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' "http://127.0.0.1:$P2/tiktok/webhook")" "404" "and not at the default path"
kill "$SHIM2"; wait "$SHIM2" 2>/dev/null
out=$(TTHUB_TIKTOK_WEBHOOK_PATH=/auth/callback TTHUB_DATABASE_URL="host=127.0.0.1" TTHUB_PUBLIC_URL="http://127.0.0.1:1" "$SHIM_BIN" 2>&1)
like "$out" "TTHUB_TIKTOK_WEBHOOK_PATH must be a path" "a path that is one of the shim's own routes is refused at start"

echo "# fail closed without a client secret"
Q "ALTER SYSTEM SET tthub.client_secret_file = ''" >/dev/null
cluster_stop "$DIR/pg" && cluster_start "$DIR/pg"
wait_for "$PORT" "SELECT 1" 1 30
# The shim's pooled connections broke with the restart: each call drops one.
for _ in 1 2 3 4 5; do curl -s -o /dev/null "$SHIM/healthz"; done
r=$(send '"open_id": "nobody-4"')
is "$(status_of "$r")" "401" "a correctly signed webhook: 401 when the server has no client secret"
like "$(jget "$r" body)" "no client secret is loaded" "saying why"

tap_done
