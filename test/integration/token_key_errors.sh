#!/usr/bin/env bash
# A key problem is a configuration error, not every store's problem. A token key file
# that is missing, or a key that does not know the stored tokens' key id (a rotation
# without tthub.token_key_previous_file), fails the job as a configuration error:
# retried without spending an attempt, tthub_token_key_loaded = 0 in health and the
# metrics, no account changes status and no account event is sent; fixing the key
# lets the next attempt succeed. Only an authentication failure under a loaded key
# (a tampered token) says something about the account.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh

itest_setup token_key_errors "--accounts 4 --videos 45" || exit 1
Q() { q "$PORT" tthub "$1"; }
PG=$DIR/pg
restart() { cluster_stop "$PG" && cluster_start "$PG" && wait_for_worker; }
key_loaded() { Q "SELECT value FROM tthub.health WHERE metric = 'tthub_token_key_loaded'"; }
statuses() { Q "SELECT string_agg(status::text, ',' ORDER BY store_code) FROM tthub.store_accounts WHERE store_code IN ('k1', 'k2')"; }
account_events() { Q "SELECT count(*) FROM tthub.events WHERE event LIKE 'account.%' AND event <> 'account.connected'"; }
sync_job() { Q "SELECT tthub.tthub_sync('$1')"; }
job() { Q "SELECT state || ' ' || attempts FROM tthub.sync_jobs WHERE job_id = $1"; }
# due_now JOB: the retry runs now rather than after its backoff.
due_now() { Q "UPDATE tthub.sync_jobs SET run_after = now() WHERE job_id = $1; SELECT tthub._wake_worker()" >/dev/null; }
config_failure() {  # config_failure JOB: waits for the job to be put back after a failed attempt
  wait_for "$PORT" "SELECT last_error LIKE 'configuration error:%' FROM tthub.sync_jobs WHERE job_id = $1" "t" 30
}

import_account k1 1
import_account k2 2
J=$(sync_job k1)
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $J" "done" 40
is "$(key_loaded)" "1" "with its key, tthub_token_key_loaded = 1"

echo "# the token key file is missing"
as_postgres mv "$PG/token.key" "$PG/token.key.away"
restart
is "$(key_loaded)" "0" "tthub_token_key_loaded = 0 in health"
is "$(q "$PORT" tthub "SET ROLE tthub_reader; SELECT token_key_loaded FROM tthub_reporting.metrics_worker")" "0" \
   "and in the metrics (tthub_reporting.metrics_worker, for tthub_reader)"
J1=$(sync_job k1)
J2=$(sync_job k2)
config_failure "$J1"
config_failure "$J2"
is "$(job "$J1")/$(job "$J2")" "queued 0/queued 0" "both jobs are back in the queue, no attempt spent"
like "$(Q "SELECT last_error FROM tthub.sync_jobs WHERE job_id = $J1")" "configuration error: tthub token encryption key is not configured" \
     "last_error says it is a configuration error, and which"
due_now "$J1"
config_failure "$J1"
sleep 1
is "$(job "$J1")" "queued 0" "retried again and again, never dead"
is "$(statuses)" "CONNECTED,CONNECTED" "no account changed status"
is "$(account_events)" "0" "no account event (no webhook per account)"
is "$(Q "SELECT count(*) FROM tthub.events WHERE event IN ('sync.failed', 'job.dead')")" "0" "no sync.failed or job.dead either"
as_postgres mv "$PG/token.key.away" "$PG/token.key"
restart
is "$(key_loaded)" "1" "the key is back: tthub_token_key_loaded = 1"
due_now "$J1"
due_now "$J2"
wait_for "$PORT" "SELECT string_agg(state::text, ',' ORDER BY job_id) FROM tthub.sync_jobs WHERE job_id IN ($J1, $J2)" "done,done" 40
is "$(job "$J1")/$(job "$J2")" "done 1/done 1" "the next attempt succeeds, in one attempt"
is "$(statuses)" "CONNECTED,CONNECTED" "both accounts CONNECTED"

echo "# a key rotation without tthub.token_key_previous_file"
as_postgres sh -c "umask 077; openssl rand -hex 32 > '$PG/token2.key'"
Q "ALTER SYSTEM SET tthub.token_key_file = '$PG/token2.key'" >/dev/null
restart
is "$(key_loaded)" "0" "the new key does not know the stored tokens' key id: tthub_token_key_loaded = 0"
J3=$(sync_job k2)
config_failure "$J3"
is "$(job "$J3")" "queued 0" "the job is back in the queue, no attempt spent"
like "$(Q "SELECT last_error FROM tthub.sync_jobs WHERE job_id = $J3")" "configuration error: .*key the server has not loaded" \
     "last_error names the unknown key"
is "$(statuses)" "CONNECTED,CONNECTED" "no account changed status"
is "$(account_events)" "0" "no account event"
Q "ALTER SYSTEM SET tthub.token_key_previous_file = '$PG/token.key'" >/dev/null
restart
is "$(key_loaded)" "1" "with the previous key configured: tthub_token_key_loaded = 1"
due_now "$J3"
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $J3" "done" 40
is "$(job "$J3")" "done 1" "the next attempt succeeds"
is "$(statuses)" "CONNECTED,CONNECTED" "both accounts CONNECTED"

echo "# an authentication failure under a loaded key is the account's problem"
# One byte of k1's stored refresh token changed after the header: its key id is known.
Q "UPDATE tthub.store_accounts
      SET refresh_token_enc = set_byte(refresh_token_enc, 19, get_byte(refresh_token_enc, 19) # 255)
    WHERE store_code = 'k1'" >/dev/null
is "$(key_loaded)" "1" "tthub_token_key_loaded stays 1"
J4=$(sync_job k1)
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $J4" "failed" 40
is "$(Q "SELECT status FROM tthub.store_accounts WHERE store_code = 'k1'")" "NEED_RECONNECT" "the account must reconnect"
is "$(Q "SELECT status FROM tthub.store_accounts WHERE store_code = 'k2'")" "CONNECTED" "the other account is untouched"

unlike "$(cat "$PG/server.log")" "(act|rft)\.sim-open" "no token in the server log"
unlike "$(cat "$PG/server.log")" "terminated by signal|terminate called|std::|stopping after an error" "no crash, no worker error"
tap_done
