#!/usr/bin/env bash
# Connecting a store: connect links (invites), the shim, the extension's OAuth
# functions and the simulator's Login Kit pages, on a real cluster; and the shim
# staying up under slow, oversized and hostile clients.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
source test/lib/shim.sh

itest_setup oauth "--accounts 4 --videos 25" || exit 1
q "$PORT" tthub "INSERT INTO tthub.stores (store_code, store_name) VALUES ('s1', 'One'), ('s2', 'Two'), ('s3', 'Three'), ('cap', 'Cap')" >/dev/null
# This suite logs in far more than 5 times a minute from one address; the limit
# itself is tested on a second shim below, with the default.
TTHUB_LOGIN_RATE_PER_MINUTE=10000 oauth_setup || exit 1
SHIM="http://127.0.0.1:$SHIM_PORT"
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
json_code() { curl -s -H 'Accept: application/json' "$@" | grep -oE '"code":"[a-z_]+"' | cut -d'"' -f4; }
invite_of() { printf '%s' "$1" | grep -oE 'invite=[A-Za-z0-9_-]+' | cut -d= -f2; }
# Follows a link -> simulator authorize page -> callback, like a browser; prints the final page.
follow() { curl -sL "$1"; }
connect() { follow "$(connect_link "$1")"; }
# The callback URL the simulator sends the browser to from a link (without following it).
callback_from() {
  local authorize
  authorize=$(curl -s -o /dev/null -w '%{redirect_url}' "$1")
  curl -s -o /dev/null -w '%{redirect_url}' "$authorize"
}
callback_url() { callback_from "$(connect_link "$1")"; }
states() { q "$PORT" tthub "SELECT count(*) FROM tthub.oauth_states WHERE store_code = '$1' ${2:+AND $2}"; }

# What tthub_connect_link returns, stores and refuses, and who may call it:
# test/pgtap/oauth.sql.
echo "# the shim refuses a login without a valid link"
is "$(status_of "$SHIM/auth/login")" "403" "login without an invite is 403"
is "$(json_code "$SHIM/auth/login")" "invalid_invite" "with code invalid_invite"
is "$(status_of "$SHIM/auth/login?store_code=s1")" "403" "the old link with a store code is 403"
is "$(json_code "$SHIM/auth/login?store_code=s1")" "invalid_invite" "with code invalid_invite"
is "$(json_code "$SHIM/auth/login?invite=never-issued-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")" "invalid_invite" "an unknown invite is invalid_invite"
is "$(status_of "$SHIM/auth/login?invite=$(printf 'a%.0s' $(seq 1 200))")" "403" "an oversized invite is 403"
is "$(status_of "$SHIM/auth/login?invite=a%27%3B%20DROP%20TABLE%20tthub.stores%3B--")" "403" "an SQL-injection invite is 403"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.stores")" "4" "and the stores are intact"
link=$(connect_link s1)
q "$PORT" tthub "UPDATE tthub.oauth_invites SET expires_at = now() - interval '1 second', created_at = now() - interval '1 day'
                 WHERE invite_hash = sha256(convert_to('$(invite_of "$link")', 'UTF8'))" >/dev/null
is "$(status_of "$link")" "403" "an expired link is 403"
is "$(curl -s -H 'Accept: application/json' "$link")" \
   '{"error":{"code":"invite_expired","message":"This connect link has expired. Ask the store'"'"'s administrator for a new link."}}' \
   "with code invite_expired"
like "$(curl -s "$link")" "<h1 class=\"err\">.*has expired.*Error: invite_expired" "a person gets a page that says so"
is "$(states s1)" "0" "none of these created a state"

echo "# the redirect"
link=$(connect_link s1)
loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$link")
like "$loc" "^302 http://127.0.0.1:$SIM_PORT/v2/auth/authorize/\?client_key=sim-client-key&response_type=code&scope=user.info.basic%2Cuser.info.stats%2Cvideo.list&redirect_uri=http%3A%2F%2F127.0.0.1%3A$SHIM_PORT%2Fauth%2Fcallback&state=[A-Za-z0-9_-]{43}$" \
     "a valid link redirects to the authorize page with client_key, scopes, redirect_uri and a 256-bit state"
is "$(states s1 "expires_at BETWEEN now() + interval '9 minutes' AND now() + interval '10 minutes'
                 AND invite_hash = sha256(convert_to('$(invite_of "$link")', 'UTF8'))")" \
   "1" "the state is stored with its invite, expiring in 10 minutes"
state=$(printf '%s' "$loc" | grep -oE 'state=[A-Za-z0-9_-]+' | cut -d= -f2)
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.oauth_states WHERE state_hash = sha256(convert_to('$state', 'UTF8'))")" "1" \
   "only its SHA-256 is stored"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.oauth_states WHERE encode(state_hash, 'escape') LIKE '%$state%'")" "0" \
   "the state itself is not"

echo "# the happy path"
sim_config '{"authorize_account": 1}'
link=$(connect_link s1)
page=$(follow "$link")
like "$page" "<h1 class=\"ok\">Connected</h1>" "the final page says connected"
like "$page" "Sim Account 1.*store <strong>s1</strong>" "and names the account and the store"
is "$(q "$PORT" tthub "SELECT open_id || ' ' || status || ' ' || display_name FROM tthub.store_accounts WHERE store_code = 's1'")" \
   "sim-open-1 CONNECTED Sim Account 1" "the account is stored as CONNECTED"
is "$(q "$PORT" tthub "SELECT tthub.tthub_decrypt_token(access_token_enc, tthub.token_context(store_code, open_id, 'access_token')) || ' ' ||
                              tthub.tthub_decrypt_token(refresh_token_enc, tthub.token_context(store_code, open_id, 'refresh_token'))
                         FROM tthub.store_accounts WHERE store_code = 's1'")" "act.sim-open-1.2 rft.sim-open-1.2" \
   "both tokens are stored encrypted with the store's context"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.sync_logs WHERE store_code = 's1' AND job_type = 'oauth_connect' AND status = 'SUCCESS'")" "1" \
   "the connection is recorded"
is "$(q "$PORT" tthub "SELECT open_id || ' ' || (used_at IS NOT NULL) FROM tthub.oauth_invites WHERE invite_hash = sha256(convert_to('$(invite_of "$link")', 'UTF8'))")" \
   "sim-open-1 true" "the link is spent, naming the account connected through it"
is "$(status_of "$link")" "403" "the same link again is 403"
is "$(json_code "$link")" "invite_used" "with code invite_used"
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE store_code = 's1' AND job_type = 'first_sync'" "done" 30
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.video_daily WHERE store_code = 's1'")" "25" "a first sync ran at once"

echo "# a reconnect after NEED_RECONNECT, through a new link"
q "$PORT" tthub "UPDATE tthub.store_accounts SET status = 'NEED_RECONNECT', status_reason = 'revoked' WHERE store_code = 's1'" >/dev/null
like "$(connect s1)" "Connected" "connecting again succeeds"
is "$(q "$PORT" tthub "SELECT status || ' ' || coalesce(status_reason, '-') FROM tthub.store_accounts WHERE store_code = 's1'")" "CONNECTED -" \
   "and restores the account"

echo "# a missing permission: the link stays usable, for that account only"
sim_config '{"authorize_account": 2, "grant_scopes": "user.info.basic,user.info.stats"}'
link2=$(connect_link s2)
like "$(follow "$link2")" "permissions are missing.*scope video.list not granted" "a user who grants too little is told what is missing"
is "$(q "$PORT" tthub "SELECT status FROM tthub.store_accounts WHERE store_code = 's2'")" "NEED_RECONNECT" "and the account needs a reconnect"
is "$(q "$PORT" tthub "SELECT open_id || ' ' || (used_at IS NULL) FROM tthub.oauth_invites WHERE invite_hash = sha256(convert_to('$(invite_of "$link2")', 'UTF8'))")" \
   "sim-open-2 true" "the link is bound to that account, not spent"
sim_config '{"authorize_account": 4, "grant_scopes": ""}'
page=$(follow "$link2")
like "$page" "already used to connect a TikTok account.*Error: invite_used" "another account cannot use the link"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.store_accounts WHERE open_id = 'sim-open-4'")" "0" "and is not stored"
sim_config '{"authorize_account": 2}'
like "$(follow "$link2")" "<h1 class=\"ok\">Connected</h1>" "the same account, granting everything, connects through it"
is "$(q "$PORT" tthub "SELECT status FROM tthub.store_accounts WHERE store_code = 's2'")" "CONNECTED" "and the account is connected"

echo "# a link serves one account, even from two tabs"
link=$(connect_link s3)
sim_config '{"authorize_account": 3}'
url_a=$(callback_from "$link")
sim_config '{"authorize_account": 4}'
url_b=$(callback_from "$link")
is "$(status_of "$url_a")" "200" "the first tab connects"
is "$(status_of -H 'Accept: application/json' "$url_b")" "403" "the second, with another account, is 403"
is "$(json_code "$url_b")" "invite_used" "with code invite_used"
is "$(q "$PORT" tthub "SELECT string_agg(open_id, ',') FROM tthub.store_accounts WHERE store_code = 's3'")" "sim-open-3" \
   "only the first account is attached"

echo "# withdrawing a link"
link=$(connect_link s3)
url=$(callback_from "$link")
is "$(q "$PORT" tthub "SET ROLE tthub_admin; DELETE FROM tthub.oauth_invites WHERE store_code = 's3' AND used_at IS NULL RETURNING store_code")" "s3" \
   "an admin deletes the store's unused links"
is "$(json_code "$url")" "unknown_state" "an authorization begun with it is cancelled"
is "$(json_code "$link")" "invalid_invite" "and the link no longer works"

echo "# denied consent"
sim_config '{"deny_next": 1, "authorize_account": 3}'
page=$(connect s3)
like "$page" "access was not allowed" "a denied consent gets a page that says so"
is "$(status_of "$SHIM/auth/callback?error=access_denied&error_description=x&state=abc")" "400" "with HTTP 400"

echo "# bad states"
is "$(status_of -H 'Accept: application/json' "$SHIM/auth/callback?code=abc&state=never-issued")" "404" "an unknown state is 404"
is "$(json_code "$SHIM/auth/callback?code=abc&state=never-issued")" "unknown_state" "with code unknown_state"
url=$(callback_url s3)
st=$(printf '%s' "$url" | grep -oE 'state=[A-Za-z0-9_-]+' | cut -d= -f2)
q "$PORT" tthub "UPDATE tthub.oauth_states SET expires_at = now() - interval '1 second' WHERE state_hash = sha256(convert_to('$st', 'UTF8'))" >/dev/null
is "$(curl -s -H 'Accept: application/json' "$url")" '{"error":{"code":"expired_state","message":"This connection attempt took longer than 10 minutes. Start again from your store'"'"'s connect link."}}' \
   "an expired state is refused with expired_state"
url=$(callback_url s3)
is "$(status_of "$url")" "200" "a fresh callback works"
is "$(status_of -H 'Accept: application/json' "$url")" "409" "the same callback again is 409"
is "$(json_code "$url")" "state_already_used" "with code state_already_used"

echo "# TikTok's token endpoint fails"
sim_config '{"authorize_account": 2}'
url=$(callback_url s2)
sim_config '{"fail_next": {"oauth/token": 1}}'
is "$(status_of -H 'Accept: application/json' "$url")" "500" "a 5xx from the token endpoint is 500"
sim_config '{"fail_next": {"oauth/token": 1}}'
is "$(json_code "$url")" "tiktok_unavailable" "with code tiktok_unavailable"
is "$(status_of "$url")" "200" "neither the state nor the link was used up by the failure: a retry connects"

echo "# pending authorizations per store are capped"
link=$(connect_link cap)
codes=$(for i in $(seq 1 20); do status_of "$link"; echo; done | sort | uniq -c | awk '{print $1 "x" $2}')
is "$codes" "20x302" "20 authorizations of one store may be pending"
is "$(status_of -H 'Accept: application/json' "$link")" "429" "the 21st is 429"
is "$(json_code "$link")" "too_many_attempts" "with code too_many_attempts"
is "$(states cap)" "20" "and no state beyond the 20 was stored"
q "$PORT" tthub "UPDATE tthub.oauth_states SET expires_at = now() - interval '2 hours' WHERE store_code = 'cap'" >/dev/null
is "$(status_of "$link")" "302" "once they expire, the store can begin again"
is "$(states cap)" "1" "and the long-expired states were pruned"

echo "# retention"
q "$PORT" tthub "UPDATE tthub.oauth_invites SET created_at = now() - interval '40 days', expires_at = now() - interval '31 days' WHERE store_code = 'cap';
                 UPDATE tthub.oauth_states SET created_at = now() - interval '3 days', expires_at = now() - interval '2 days'
                  WHERE store_code = 's1'" >/dev/null
expired_recent=$(q "$PORT" tthub "SELECT count(*) FROM tthub.oauth_invites WHERE expires_at < now() AND expires_at > now() - interval '30 days'")
q "$PORT" tthub "SELECT tthub._prune(30)" >/dev/null
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.oauth_invites WHERE store_code = 'cap'") $(states cap) $(states s1)" "0 0 0" \
   "_prune deletes links expired longer than the retention (and their states) and states expired a day ago"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.oauth_invites WHERE expires_at < now() AND expires_at > now() - interval '30 days'")" "$expired_recent" \
   "and keeps links that expired recently (they still say invite_expired)"

echo "# the tthub_oauth role"
# (What it may not do: test/pgtap/oauth.sql.)
inv=$(invite_of "$(connect_link s1)")
like "$(psql -X -qAt -h 127.0.0.1 -p "$PORT" -U tthub_oauth -d tthub -c "SELECT tthub.tthub_oauth_begin('$inv', 'https://x.test/cb')")" "^http://127.0.0.1:$SIM_PORT/v2/auth/authorize/\?client_key=" \
   "tthub_oauth can begin an authorization with an invite"

echo "# disconnecting"
is "$(q "$PORT" tthub "SELECT tthub.tthub_disconnect('s1')")" "1" "tthub_disconnect disconnects the store's account"
is "$(sim_json "accounts,sim-open-1,revoked")" "true" "it revoked the token at TikTok"
is "$(q "$PORT" tthub "SELECT status || ' ' || (access_token_enc IS NULL AND refresh_token_enc IS NULL) FROM tthub.store_accounts WHERE store_code = 's1'")" \
   "DISABLED true" "the tokens are deleted and the account DISABLED"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.video_daily WHERE store_code = 's1'")" "25" "the snapshots stay"
is "$(sqlstate "$PORT" tthub "SELECT tthub.tthub_disconnect('s1', 'sim-open-1')")" "P0002" "disconnecting it again says there is no such connected account"

echo "# requests the shim refuses before they reach a handler"
is "$(status_of "$SHIM/elsewhere")" "404" "other paths are 404"
is "$(status_of "$SHIM/auth/callback?state=abc")" "400" "a callback without code is 400"
is "$(status_of "$SHIM/auth/callback?code=abc")" "400" "a callback without state is 400"
is "$(status_of "$SHIM/auth/callback?code=$(printf 'c%.0s' $(seq 1 3000))&state=abc")" "400" "an oversized code is 400"
is "$(status_of "$SHIM/auth/callback?code=abc&state=$(printf 's%.0s' $(seq 1 5000))")" "414" "an address over 4 KiB is 414"
many_headers=()
for i in $(seq 1 24); do many_headers+=(-H "X-Filler-$i: $(printf 'h%.0s' $(seq 1 1000))"); done
is "$(status_of "${many_headers[@]}" "$SHIM/healthz")" "431" "headers over 16 KiB are 431"
is "$(status_of -X POST --data-binary "$(printf 'b%.0s' $(seq 1 5000))" "$SHIM/auth/login")" "413" "a body over 1 KiB is 413"
is "$(status_of -X POST -H 'Transfer-Encoding: chunked' --data-binary 'x' "$SHIM/auth/login")" "400" "a chunked body is 400"
pipelined=$( (exec 3<>"/dev/tcp/127.0.0.1/$SHIM_PORT"
  printf 'GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
  timeout 5 cat <&3) | grep -ao 'HTTP/1.1 [0-9]*' | tr '\n' ' ')
is "$pipelined" "HTTP/1.1 404 HTTP/1.1 200 " "two requests sent at once get two answers, in order"
is "$(status_of "$SHIM/healthz")" "200" "and the shim still answers"

echo "# slow and idle clients do not hold the shim"
idle=()
for i in $(seq 1 64); do exec {fd}<>"/dev/tcp/127.0.0.1/$SHIM_PORT" && idle+=("$fd"); done
is "${#idle[@]}" "64" "64 connections that send nothing are open"
got=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{time_total}' "$SHIM/healthz")
like "$got" "^200 0\.[0-9]+$" "healthz still answers 200 within a second ($got s)"
for fd in "${idle[@]}"; do exec {fd}>&-; done
# A client that sends its headers a line every 1.5 s: cut off after 10 s with 408.
slow=$( (
  trap '' PIPE
  exec 3<>"/dev/tcp/127.0.0.1/$SHIM_PORT"
  printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n' >&3
  for i in $(seq 1 9); do
    sleep 1.5
    read -r -t 0 -u 3 && break  # answered
    printf 'X-Slow-%s: y\r\n' "$i" >&3 2>/dev/null || break
  done
  timeout 5 head -c 400 <&3
) 2>/dev/null | head -1 | tr -d '\r')
is "$slow" "HTTP/1.1 408 Request Timeout" "a client trickling its request is answered 408 when its 10 s are up"

echo "# the shim's log cannot be forged"
# The forged line carries a time no real request takes (9999ms), so only a forgery matches.
is "$(status_of "$SHIM/auth/x%0AGET%20/auth/callback%20200%209999ms%0D")" "404" "a path with an encoded line break is 404"
status_of "$SHIM/$(printf 'p%.0s' $(seq 1 3000))" >/dev/null
log=$(cat "$DIR/shim/shim.log")
is "$(grep -c '^GET /auth/callback 200 9999ms' "$DIR/shim/shim.log")" "0" "it does not start a line of its own in the log"
like "$log" 'GET /auth/x\\x0aGET\\x20/auth/callback\\x20200\\x209999ms\\x0d 404 [0-9]+ms' "it is logged on one line, escaped"
is "$(awk 'length > 300' "$DIR/shim/shim.log" | wc -l)" "0" "a long path is cut: no line over 300 bytes"
is "$(grep -cvE '^(tthub-oauth listening on .*|database (unavailable: .*|available again)|[A-Z-]+ [!-~]+ [0-9]{3} [0-9]+ms)$' "$DIR/shim/shim.log")" "0" \
   "every line is a start line, a database notice, or method path status duration"

echo "# nothing secret in any output"
like "$log" "^tthub-oauth listening" "the shim logs"
like "$log" "GET /auth/callback 200 [0-9]+ms" "one line per request: method, path, status, duration"
unlike "$log" "code=|state=|invite=|sim\*code|act\.|rft\." "the shim's log has no code, state, invite or token"
unlike "$(cat "$DIR/pg/server.log")" "sim\*code|(act|rft)\.sim-open|$inv" "the server log has no code, token or invite"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.sync_logs WHERE message ~ '(act|rft)\.|code!'")" "0" "sync_logs has none either"

echo "# login is rate limited per client address"
main_port=$SHIM_PORT main_pid=$SHIM_PID
TTHUB_TRUSTED_PROXY=127.0.0.1 shim_start "$DIR/shim-limited" "$PORT" || exit 1
limited="http://127.0.0.1:$SHIM_PORT/auth/login"
from() { status_of -H "X-Forwarded-For: $1" "$limited"; }
codes=$(for i in 1 2 3 4 5; do from 203.0.113.7; echo; done | sort | uniq -c | awk '{print $1 "x" $2}')
is "$codes" "5x403" "5 logins a minute from one address are answered (here: no invite, 403)"
is "$(from 203.0.113.7)" "429" "the 6th is 429"
hdrs=$(curl -s -D - -o /dev/null -H 'Accept: application/json' -H 'X-Forwarded-For: 203.0.113.7' "$limited")
like "$hdrs" "Retry-After: [0-9]+" "with Retry-After"
is "$(json_code -H 'X-Forwarded-For: 203.0.113.7' "$limited")" "rate_limited" "and code rate_limited"
is "$(from 203.0.113.8)" "403" "another address is not limited"
is "$(from '198.51.100.1, 203.0.113.7')" "429" "an address the client wrote before the proxy's does not evade the limit"
is "$(status_of -H 'X-Forwarded-For: 198.51.100.2' -H 'X-Forwarded-For: 203.0.113.7' "$limited")" "429" \
   "nor does a line of its own before the one the proxy added"
for i in 1 2 3 4 5; do from 2001:db8::1 >/dev/null; done
is "$(from 2001:db8::2)" "429" "IPv6 addresses count by /64"
is "$(status_of "http://127.0.0.1:$SHIM_PORT/healthz")" "200" "other paths are not limited"
shim_stop
SHIM_PORT=$main_port SHIM_PID=$main_pid

echo "# callbacks waiting on TikTok leave a database connection for the rest"
link=$(connect_link cap)
sim_config '{"latency_ms": 2500}'
sts=()
for i in 1 2 3 4 5; do  # one more than the shim's 4 database connections
  sts+=("$(curl -s -o /dev/null -w '%{redirect_url}' "$link" | grep -oE 'state=[A-Za-z0-9_-]+' | cut -d= -f2)")
done
pids=()
for st in "${sts[@]}"; do
  curl -s -o /dev/null "$SHIM/auth/callback?code=not-a-code&state=$st" &
  pids+=($!)
done
sleep 0.5
got=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{time_total}' "$SHIM/healthz")
like "$got" "^200 0\.[0-9]+$" "with 5 callbacks in flight, healthz answers 200 within a second ($got s)"
got=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{time_total}' "$link")
like "$got" "^302 0\.[0-9]+$" "and so does a login ($got s)"
wait "${pids[@]}"
sim_config '{"latency_ms": 0}'

echo "# health, database restarts and shutdown"
is "$(status_of "$SHIM/healthz")" "200" "healthz is 200 with the database up"
cluster_stop "$DIR/pg"
is "$(status_of "$SHIM/healthz")" "503" "and 503 with it down"
is "$(status_of -H 'Accept: application/json' "$SHIM/auth/login?invite=$inv")" "503" "login says the service is unavailable"
cluster_start "$DIR/pg"
is "$(status_of "$SHIM/healthz")" "200" "pooled connections are replaced once the database is back"
is "$(grep -c '^database unavailable: ' "$DIR/shim/shim.log") $(grep -c '^database available again$' "$DIR/shim/shim.log")" "1 1" \
   "the outage is logged once, and the recovery once"
url=$(callback_url s3)
sim_config '{"latency_ms": 1500}'
curl -s -o /dev/null -w '%{http_code}' "$url" >"$DIR/inflight.out" &
inflight=$!
sleep 0.5
kill -TERM "$SHIM_PID"
wait "$inflight"
is "$(cat "$DIR/inflight.out")" "200" "a callback in flight when SIGTERM arrives still completes"
wait "$SHIM_PID"
is "$?" "0" "then the shim exits with code 0"
SHIM_PID=
is "$(status_of "$SHIM/healthz")" "000" "and no longer accepts connections"

echo "# upgrading from 0.2 drops states begun with a store code alone"
q "$PORT" postgres "CREATE DATABASE up02" >/dev/null
q "$PORT" up02 "CREATE EXTENSION tthub VERSION '0.2'; SELECT tthub.tthub_add_store('u1', 'U')" >/dev/null
like "$(q "$PORT" up02 "SELECT tthub.tthub_oauth_begin('u1', 'https://x.test/cb')")" "state=" "0.2 begins with a store code"
q "$PORT" up02 "ALTER EXTENSION tthub UPDATE" >/dev/null
is "$(q "$PORT" up02 "SELECT extversion FROM pg_extension WHERE extname = 'tthub'") $(q "$PORT" up02 "SELECT count(*) FROM tthub.oauth_states")" "0.5 0" \
   "after the update no state from 0.2 is left"
is "$(q "$PORT" up02 "SELECT count(*) FROM pg_proc WHERE proname = 'tthub_oauth_begin' AND pg_get_function_identity_arguments(oid) = 'invite text, redirect_uri text'")" "1" \
   "and tthub_oauth_begin takes an invite"
tap_done
