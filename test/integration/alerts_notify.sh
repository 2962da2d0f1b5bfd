#!/usr/bin/env bash
# NOTIFY tthub_events: on by default and sent once the event has committed;
# tthub.notify_events = off turns it off; and a notification queue that takes no
# more (any role can fill it) fails no sync and no OAuth connect: the events are in
# tthub.events, only their NOTIFYs are dropped, and the worker goes on.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh

itest_setup notify "--accounts 4 --videos 5" || exit 1
Q() { q "$PORT" tthub "$1"; }
PGDATA_NOTIFY=$DIR/pg/data/pg_notify
trap 'chmod 0700 "$PGDATA_NOTIFY" 2>/dev/null; itest_teardown' EXIT
# listen FILE SECONDS: a session that LISTENs on tthub_events for SECONDS, in the background.
listen() {
  psql -X -qAt -h 127.0.0.1 -p "$PORT" -U postgres -d tthub -c "LISTEN tthub_events" -c "SELECT pg_sleep($2)" >"$1" 2>&1 &
  LISTENER=$!
  sleep 0.5
}
events_of() { Q "SELECT count(*) FROM tthub.events WHERE store_code = '$1' AND event = '$2'"; }
worker_pid() { Q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'"; }

echo "# on by default, sent after the event commits"
is "$(Q "SHOW tthub.notify_events")" "on" "tthub.notify_events is on by default"
listen "$DIR/on.out" 3
import_account n1 1
wait "$LISTENER"
like "$(cat "$DIR/on.out")" 'notification "tthub_events" with payload "\{"id" : [0-9]+, "event" : "account.connected", "store_code" : "n1"' \
   "a listener hears account.connected"
is "$(Q "SELECT count(*) FROM tthub.events WHERE notify_pending")" "0" "no notification is left pending"

echo "# tthub.notify_events = off"
Q "ALTER SYSTEM SET tthub.notify_events = off" >/dev/null
Q "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
listen "$DIR/off.out" 3
import_account n2 2
wait "$LISTENER"
unlike "$(cat "$DIR/off.out")" 'tthub_events' "with it off, a listener hears nothing"
is "$(events_of n2 account.connected)" "1" "the event is in tthub.events all the same"
Q "ALTER SYSTEM RESET tthub.notify_events" >/dev/null
Q "SELECT pg_reload_conf()" >/dev/null

echo "# a notification queue that takes no more"
# The real queue holds 8 GB, too much for a test. The same failure, cheaply: a
# listener that never reads keeps every page of the queue, and with pg_notify/
# unwritable no page can leave memory, so a NOTIFY that needs a new page fails its
# commit, as it does when the queue is full.
pid_before=$(worker_pid)
chmod 0500 "$PGDATA_NOTIFY"
PGAPPNAME=stuck_listener psql -X -qAt -h 127.0.0.1 -p "$PORT" -U postgres -d tthub \
  -c "LISTEN filler" -c "BEGIN" -c "SELECT pg_sleep(300)" >/dev/null 2>&1 &
STUCK=$!
sleep 0.5
fill() {  # fill PAYLOAD_BYTES: notify until a commit fails; prints how many went in
  local n=0
  while [ "$n" -lt 600 ]; do
    psql -X -qAt -h 127.0.0.1 -p "$PORT" -U postgres -d tthub -v ON_ERROR_STOP=1 \
      -c "SELECT pg_notify('filler', repeat('x', $1) || '$n')" >/dev/null 2>&1 || break
    n=$((n + 1))
  done
  echo "$n"
}
big=$(fill 1000)
small=$(fill 1)  # the last page, to its last bytes
like "$big $small" '^[0-9]+ [0-9]+$' "filled the queue ($big notifications of 1 kB, then $small small ones)"
probe_state=$(sqlstate "$PORT" tthub "SELECT pg_notify('tthub_probe', repeat('y', 100))")
like "$probe_state" '^[0-9A-Z]{5}$' "a NOTIFY now fails its commit (SQLSTATE $probe_state)"

import_account n3 3
is "$(Q "SELECT status FROM tthub.store_accounts WHERE store_code = 'n3'")" "CONNECTED" "an import (account.connected) still commits"
is "$(events_of n3 account.connected)" "1" "and its event is in tthub.events"

Q "ALTER SYSTEM SET tthub.authorize_url = 'http://127.0.0.1:$SIM_PORT/v2/auth/authorize/'" >/dev/null
Q "SELECT pg_reload_conf()" >/dev/null
Q "SELECT tthub.tthub_add_store('o1', 'OAuth')" >/dev/null
link=$(Q "SELECT tthub.tthub_connect_link('o1')")
sim_config '{"authorize_account": 4}'
authorize=$(Q "SELECT tthub.tthub_oauth_begin('${link#*invite=}', 'http://127.0.0.1:9/cb')")
callback=$(curl -s -o /dev/null -w '%{redirect_url}' "$authorize")
code=$(printf '%b' "$(printf '%s' "$callback" | grep -oE 'code=[^&]+' | cut -d= -f2 | sed 's/%/\\x/g')")
state=$(printf '%s' "$callback" | grep -oE 'state=[^&]+' | cut -d= -f2)
is "$(Q "SELECT status FROM tthub.tthub_oauth_complete('$state', '$code')")" "CONNECTED" "an OAuth connect still commits"
is "$(events_of o1 account.connected)" "1" "and its event is in tthub.events"

sim_config '{"revoke": "sim-open-2"}'
job=$(Q "SELECT tthub.tthub_sync('n2')")
wait_for "$PORT" "SELECT status FROM tthub.store_accounts WHERE store_code = 'n2'" "NEED_RECONNECT" 30
wait_for "$PORT" "SELECT state NOT IN ('queued', 'running') FROM tthub.sync_jobs WHERE job_id = $job" "t" 30
is "$?" "0" "a sync whose account lost its token (account.need_reconnect, sync.failed) still finishes"
is "$(events_of n2 account.need_reconnect)" "1" "its event is in tthub.events"
job=$(Q "SELECT tthub.tthub_sync('n1')")
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $job" "done" 30
is "$?" "0" "and another store syncs"
is "$(worker_pid)" "$pid_before" "the worker never restarted"
like "$(cat "$DIR/pg/server.log")" "WARNING: +tthub: NOTIFY tthub_events failed" "the worker says the NOTIFYs failed"
wait_for "$PORT" "SELECT count(*) FROM tthub.events WHERE notify_pending" "0" 10
is "$?" "0" "and drops them rather than retrying forever"

echo "# once the queue takes notifications again, they flow"
chmod 0700 "$PGDATA_NOTIFY"
Q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'stuck_listener'" >/dev/null
wait "$STUCK" 2>/dev/null
listen "$DIR/again.out" 3
Q "SELECT tthub._emit_event('sync.day_incomplete', 'n1', '{}')" >/dev/null
wait "$LISTENER"
like "$(cat "$DIR/again.out")" '"event" : "sync.day_incomplete", "store_code" : "n1"' "a listener hears the next event"

echo "# the payload is a hint"
# Any role may NOTIFY on the channel: a listener reads the event from tthub.events.
Q "CREATE ROLE nobody_special LOGIN" >/dev/null
listen "$DIR/spoof.out" 2
psql -X -qAt -h 127.0.0.1 -p "$PORT" -U nobody_special -d tthub \
  -c "SELECT pg_notify('tthub_events', '{\"id\": 999999, \"event\": \"job.dead\", \"store_code\": \"n1\"}')" >/dev/null 2>&1
wait "$LISTENER"
like "$(cat "$DIR/spoof.out")" '999999' "any role can send on tthub_events (PostgreSQL checks no privilege)"
is "$(Q "SELECT count(*) FROM tthub.events WHERE event_id = 999999")" "0" \
   "which is why the README says to read tthub.events: it has no such event"
tap_done
