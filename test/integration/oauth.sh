#!/usr/bin/env bash
# Connecting a store: the shim, the extension's OAuth functions and the simulator's
# Login Kit pages, on a real cluster.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
source test/lib/shim.sh

itest_setup oauth "--accounts 4 --videos 25" || exit 1
q "$PORT" tthub "INSERT INTO tthub.stores (store_code, store_name) VALUES ('s1', 'One'), ('s2', 'Two'), ('s3', 'Three')" >/dev/null
oauth_setup || exit 1
SHIM="http://127.0.0.1:$SHIM_PORT"
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
json_code() { curl -s -H 'Accept: application/json' "$1" | grep -oE '"code":"[a-z_]+"' | cut -d'"' -f4; }
# Follows login -> simulator authorize page -> callback, like a browser; prints the final page.
connect() { curl -sL "$SHIM/auth/login?store_code=$1"; }
# The callback URL the simulator sends the browser to (without following it).
callback_url() {
  local authorize
  authorize=$(curl -s -o /dev/null -w '%{redirect_url}' "$SHIM/auth/login?store_code=$1")
  curl -s -o /dev/null -w '%{redirect_url}' "$authorize"
}

echo "# the redirect"
loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$SHIM/auth/login?store_code=s1")
like "$loc" "^302 http://127.0.0.1:$SIM_PORT/v2/auth/authorize/\?client_key=sim-client-key&response_type=code&scope=user.info.basic%2Cuser.info.stats%2Cvideo.list&redirect_uri=http%3A%2F%2F127.0.0.1%3A$SHIM_PORT%2Fauth%2Fcallback&state=[A-Za-z0-9_-]{43}$" \
     "/auth/login redirects to the authorize page with client_key, scopes, redirect_uri and a 256-bit state"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.oauth_states WHERE store_code = 's1' AND expires_at BETWEEN now() + interval '9 minutes' AND now() + interval '10 minutes'")" \
   "1" "the state is stored, expiring in 10 minutes"
state=$(printf '%s' "$loc" | grep -oE 'state=[A-Za-z0-9_-]+' | cut -d= -f2)
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.oauth_states WHERE state_hash = sha256(convert_to('$state', 'UTF8'))")" "1" \
   "only its SHA-256 is stored"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.oauth_states WHERE encode(state_hash, 'escape') LIKE '%$state%'")" "0" \
   "the state itself is not"

echo "# the happy path"
sim_config '{"authorize_account": 1}'
page=$(connect s1)
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
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE store_code = 's1' AND job_type = 'first_sync'" "done" 30
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.video_daily WHERE store_code = 's1'")" "25" "a first sync ran at once"

echo "# a reconnect after NEED_RECONNECT"
q "$PORT" tthub "UPDATE tthub.store_accounts SET status = 'NEED_RECONNECT', status_reason = 'revoked' WHERE store_code = 's1'" >/dev/null
like "$(connect s1)" "Connected" "connecting again succeeds"
is "$(q "$PORT" tthub "SELECT status || ' ' || coalesce(status_reason, '-') FROM tthub.store_accounts WHERE store_code = 's1'")" "CONNECTED -" \
   "and restores the account"

echo "# a missing permission"
sim_config '{"authorize_account": 2, "grant_scopes": "user.info.basic,user.info.stats"}'
like "$(connect s2)" "permissions are missing.*scope video.list not granted" "a user who grants too little is told what is missing"
is "$(q "$PORT" tthub "SELECT status FROM tthub.store_accounts WHERE store_code = 's2'")" "NEED_RECONNECT" "and the account needs a reconnect"
sim_config '{"grant_scopes": ""}'

echo "# denied consent"
sim_config '{"deny_next": 1, "authorize_account": 3}'
page=$(connect s3)
like "$page" "access was not allowed" "a denied consent gets a page that says so"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.store_accounts WHERE store_code = 's3'")" "0" "and nothing is stored"
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
url=$(callback_url s2)
sim_config '{"fail_next": {"oauth/token": 1}}'
is "$(status_of -H 'Accept: application/json' "$url")" "500" "a 5xx from the token endpoint is 500"
sim_config '{"fail_next": {"oauth/token": 1}}'
is "$(json_code "$url")" "tiktok_unavailable" "with code tiktok_unavailable"
is "$(status_of "$url")" "200" "the state was not used up by the failure: a retry connects"

echo "# hostile or broken requests"
is "$(status_of "$SHIM/auth/login")" "400" "login without store_code is 400"
is "$(json_code "$SHIM/auth/login")" "missing_parameter" "with code missing_parameter"
is "$(status_of "$SHIM/auth/callback?state=abc")" "400" "a callback without code is 400"
is "$(status_of "$SHIM/auth/callback?code=abc")" "400" "a callback without state is 400"
is "$(status_of "$SHIM/auth/login?store_code=$(printf 'a%.0s' $(seq 1 5000))")" "400" "an oversized store code is 400"
is "$(status_of "$SHIM/auth/callback?code=$(printf 'c%.0s' $(seq 1 3000))&state=abc")" "400" "an oversized code is 400"
is "$(status_of "$SHIM/auth/login?store_code=a%27%3B%20DROP%20TABLE%20tthub.stores%3B--")" "400" "an SQL-injection store code is 400"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.stores")" "3" "and the stores are intact"
is "$(status_of -H 'Accept: application/json' "$SHIM/auth/login?store_code=nosuch")" "404" "an unknown store is 404"
is "$(status_of "$SHIM/elsewhere")" "404" "other paths are 404"

echo "# the tthub_oauth role"
as_oauth() { psql -X -qAt -h 127.0.0.1 -p "$PORT" -U tthub_oauth -d tthub -v VERBOSITY=sqlstate -c "$1" 2>&1 | grep -oE '[0-9A-Z]{5}$' | tail -1; }
for t in stores store_accounts user_daily video_daily sync_logs sync_jobs oauth_states; do
  is "$(as_oauth "SELECT 1 FROM tthub.$t LIMIT 1")" "42501" "tthub_oauth cannot read tthub.$t"
done
is "$(as_oauth "SELECT tthub.tthub_sync('s1')")" "42501" "tthub_oauth cannot enqueue syncs"
is "$(as_oauth "SELECT tthub.tthub_decrypt_token('\\x00', '')")" "42501" "tthub_oauth cannot decrypt"
is "$(as_oauth "SELECT tthub.tthub_disconnect('s1')")" "42501" "tthub_oauth cannot disconnect"
like "$(psql -X -qAt -h 127.0.0.1 -p "$PORT" -U tthub_oauth -d tthub -c "SELECT tthub.tthub_oauth_begin('s1', 'https://x.test/cb')")" "^http://127.0.0.1:$SIM_PORT/v2/auth/authorize/\?client_key=" \
   "tthub_oauth can begin an authorization"

echo "# disconnecting"
is "$(q "$PORT" tthub "SELECT tthub.tthub_disconnect('s1')")" "1" "tthub_disconnect disconnects the store's account"
is "$(sim_json "accounts,sim-open-1,revoked")" "true" "it revoked the token at TikTok"
is "$(q "$PORT" tthub "SELECT status || ' ' || (access_token_enc IS NULL AND refresh_token_enc IS NULL) FROM tthub.store_accounts WHERE store_code = 's1'")" \
   "DISABLED true" "the tokens are deleted and the account DISABLED"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.video_daily WHERE store_code = 's1'")" "25" "the snapshots stay"
is "$(sqlstate "$PORT" tthub "SELECT tthub.tthub_disconnect('s1', 'sim-open-1')")" "P0002" "disconnecting it again says there is no such connected account"

echo "# nothing secret in any output"
log=$(cat "$DIR/shim/shim.log")
like "$log" "^tthub-oauth listening" "the shim logs"
like "$log" "GET /auth/callback 200 [0-9]+ms" "one line per request: method, path, status, duration"
unlike "$log" "code=|state=|sim\*code|act\.|rft\." "the shim's log has no code, state or token"
unlike "$(cat "$DIR/pg/server.log")" "sim\*code|(act|rft)\.sim-open" "the server log has no code or token"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.sync_logs WHERE message ~ '(act|rft)\.|code!'")" "0" "sync_logs has none either"

echo "# health and shutdown"
is "$(status_of "$SHIM/healthz")" "200" "healthz is 200 with the database up"
cluster_stop "$DIR/pg"
is "$(status_of "$SHIM/healthz")" "503" "and 503 with it down"
is "$(status_of -H 'Accept: application/json' "$SHIM/auth/login?store_code=s1")" "503" "login says the service is unavailable"
cluster_start "$DIR/pg"
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
tap_done
