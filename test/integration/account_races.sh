#!/usr/bin/env bash
# Disconnect and reconnect win over a sync in flight. A sync changes an account only
# while it is still the account it loaded (the same refresh token, CONNECTED or
# ERROR); otherwise it stops for that account, and revokes what it refreshed when
# the account was disconnected. tthub_disconnect holds no row lock while it calls
# TikTok.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
source test/lib/shim.sh

itest_setup account_races "--accounts 4 --videos 45" || exit 1
Q() { q "$PORT" tthub "$1"; }
pages_of() { Q "SELECT coalesce(max(pages_fetched), 0) FROM tthub.sync_progress WHERE store_code = '$1'"; }
account() { Q "SELECT status || CASE WHEN refresh_token_enc IS NULL THEN ' no tokens' ELSE ' tokens' END FROM tthub.store_accounts WHERE store_code = '$1'"; }
stored_refresh() {
  Q "SELECT tthub.tthub_decrypt_token(refresh_token_enc, tthub.token_context(store_code, open_id, 'refresh_token'))
       FROM tthub.store_accounts WHERE store_code = '$1'"
}
job_ended() { wait_for "$PORT" "SELECT state NOT IN ('queued', 'running') FROM tthub.sync_jobs WHERE job_id = $1" "t" "${2:-60}"; }

echo "# a disconnect while the sync refreshes an access token that expired mid-way"
sim_config '{"videos": {"sim-open-1": 300}, "latency_ms": 200}'
import_account d1 1
JD=$(Q "SELECT tthub.tthub_sync('d1')")
wait_for "$PORT" "SELECT coalesce(max(pages_fetched), 0) >= 2 FROM tthub.sync_progress WHERE store_code = 'd1'" "t" 30
# TikTok forgets the access token: the next page is refused and the sync refreshes.
# TikTok rotates at once and its answer is on the wire for 3 s, during which the
# owner's admin disconnects the account.
sim_config '{"expire": "sim-open-1", "hold_next": {"oauth/token": 3000}, "latency_ms": 0}'
for _ in $(seq 1 100); do [ "$(sim_json 'accounts,sim-open-1,generation')" = 2 ] && break; sleep 0.1; done
is "$(sim_json 'accounts,sim-open-1,generation')" "2" "the sync's refresh reached TikTok (its answer is on the wire)"
is "$(Q "SELECT tthub.tthub_disconnect('d1')")" "1" "tthub_disconnect disconnects the account meanwhile"
job_ended "$JD"
is "$(account d1)" "DISABLED no tokens" "the account stays disconnected, without tokens"
is "$(sim_json 'accounts,sim-open-1,revoked')" "true" "the sync revoked at TikTok the tokens it had refreshed"
is "$(Q "SELECT count(*) FROM tthub.sync_logs WHERE job_id = $JD AND status = 'SKIPPED' AND message LIKE '%disconnected during the sync%'")" "1" \
   "sync_logs says the sync stopped for the disconnected account"
is "$(Q "SELECT state FROM tthub.sync_jobs WHERE job_id = $JD")" "done" "the job ends done: nothing failed"
is "$(Q "SELECT count(*) FROM tthub.events WHERE event = 'account.connected' AND store_code = 'd1' AND occurred_at > (SELECT min(started_at) FROM tthub.sync_jobs WHERE job_id = $JD)")" "0" \
   "no account.connected event after the disconnect"

echo "# a disconnect holds no row lock while it calls TikTok"
import_account d2 2
sim_config '{"latency_ms": 3000}'
PGAPPNAME=disconnect psql -X -qAt -h 127.0.0.1 -p "$PORT" -U postgres -d tthub -c "SELECT tthub.tthub_disconnect('d2')" \
  >"$DIR/disconnect.out" 2>&1 &
dpid=$!
wait_for "$PORT" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'disconnect' AND state = 'active'" 1 10
sleep 1   # its revoke is on the wire (3 s)
is "$(sqlstate "$PORT" tthub "SELECT 1 FROM tthub.store_accounts WHERE store_code = 'd2' FOR UPDATE NOWAIT")" "" \
   "the account's row is not locked during the revoke"
wait "$dpid"
sim_config '{"latency_ms": 0}'
is "$(cat "$DIR/disconnect.out")" "1" "the disconnect completes"
is "$(account d2)/$(sim_json 'accounts,sim-open-2,revoked')" "DISABLED no tokens/true" "revoked at TikTok, tokens deleted"

echo "# a reconnect through the shim during a sync"
Q "INSERT INTO tthub.stores (store_code, store_name) VALUES ('r1', 'Reconnect')" >/dev/null
import_account r1 3
TTHUB_LOGIN_RATE_PER_MINUTE=10000 oauth_setup || exit 1
sim_config '{"videos": {"sim-open-3": 300}, "latency_ms": 200}'
JR=$(Q "SELECT tthub.tthub_sync('r1')")
wait_for "$PORT" "SELECT coalesce(max(pages_fetched), 0) >= 2 FROM tthub.sync_progress WHERE store_code = 'r1'" "t" 30
# The owner connects the account again: TikTok issues new tokens (the old ones stop
# working) and tthub stores them, CONNECTED.
sim_config '{"authorize_account": 3}'
page=$(curl -sL "$(connect_link r1)")
like "$page" "[Cc]onnected" "the owner reconnects through the shim"
is "$(stored_refresh r1)" "rft.sim-open-3.2" "the reconnect's tokens are stored"
sim_config '{"latency_ms": 0}'
job_ended "$JR"
is "$(Q "SELECT status FROM tthub.store_accounts WHERE store_code = 'r1'")" "CONNECTED" \
   "the sync that loaded the old tokens did not overwrite the reconnect (still CONNECTED)"
is "$(stored_refresh r1)" "rft.sim-open-3.2" "and the reconnect's tokens stay"
is "$(sim_json 'accounts,sim-open-3,revoked')" "false" "nothing of the reconnect was revoked"
is "$(Q "SELECT count(*) FROM tthub.sync_logs WHERE job_id = $JR AND status = 'SKIPPED' AND message LIKE '%reconnected during the sync%'")" "1" \
   "sync_logs says the sync stopped for the reconnected account"
is "$(Q "SELECT count(*) FROM tthub.events WHERE event = 'account.need_reconnect' AND store_code = 'r1'")" "0" \
   "no account.need_reconnect event"
# The next sync runs with the reconnect's tokens.
JN=$(Q "SELECT tthub.tthub_sync('r1')")
job_ended "$JN"
is "$(Q "SELECT state FROM tthub.sync_jobs WHERE job_id = $JN")/$(Q "SELECT status FROM tthub.store_accounts WHERE store_code = 'r1'")" \
   "done/CONNECTED" "the next sync succeeds with the reconnect's tokens"

echo "# nothing leaked"
is "$(sim_json max_refresh_token_uses)" "1" "no refresh token was ever sent twice"
unlike "$(cat "$DIR/pg/server.log")" "(act|rft)\.sim-open" "no token in the server log"
unlike "$(cat "$DIR/pg/server.log")" "terminated by signal|terminate called|std::|stopping after an error" "no crash, no worker error"
tap_done
