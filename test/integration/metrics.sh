#!/usr/bin/env bash
# Prometheus: the postgres_exporter from Debian's prometheus-postgres-exporter,
# with monitoring/postgres_exporter.yaml, connected as a role in tthub_reader +
# pg_monitor, scraped after a sync: tthub's metric names, labels and values.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh

EXPORTER=${TTHUB_POSTGRES_EXPORTER:-/usr/bin/prometheus-postgres-exporter}
if [ ! -x "$EXPORTER" ]; then
  echo "not ok 1 - $EXPORTER is missing (Debian package prometheus-postgres-exporter, test/lib/install_deps.sh)"
  exit 1
fi
itest_setup metrics "--accounts 3 --videos 7" || exit 1
Q() { q "$PORT" tthub "$1"; }
EXPORTER_PID=
trap '[ -n "$EXPORTER_PID" ] && kill "$EXPORTER_PID" 2>/dev/null; itest_teardown' EXIT

import_account m1 1
import_account m2 2
Q "SELECT tthub.tthub_sync('m1')" >/dev/null
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE store_code = 'm1'" "done" 30
Q "CREATE ROLE tthub_metrics LOGIN IN ROLE tthub_reader, pg_monitor" >/dev/null
Q "SELECT tthub.tthub_add_client('Acme'); SELECT tthub.tthub_set_store_client('m1', 'Acme')" >/dev/null

EPORT=$(free_port 59100)
DATA_SOURCE_NAME="postgresql://tthub_metrics@127.0.0.1:$PORT/tthub?sslmode=disable" \
  "$EXPORTER" --extend.query-path=monitoring/postgres_exporter.yaml --web.listen-address="127.0.0.1:$EPORT" \
  >"$DIR/exporter.log" 2>&1 &
EXPORTER_PID=$!
M=""
for _ in $(seq 1 50); do
  M=$(curl -sf "http://127.0.0.1:$EPORT/metrics") && [ -n "$M" ] && break
  sleep 0.2
done
# metric NAME LABEL-REGEX: the value of the one sample whose labels match.
metric() { printf '%s\n' "$M" | grep -E "^$1\{[^}]*$2[^}]*\} " | awk '{print $2}'; }
metric0() { printf '%s\n' "$M" | grep -E "^$1(\{[^}]*\})? " | awk '{print $2}'; }

like "$M" "pg_up" "the exporter answers /metrics"
is "$(metric0 pg_exporter_user_queries_load_error)" "0" "it loaded the queries file"
is "$(metric0 pg_exporter_last_scrape_error)" "0" "the last scrape had no error"
unlike "$(cat "$DIR/exporter.log")" "level=error" "and logged none"
is "$(metric0 tthub_worker_up)" "1" "tthub_worker_up 1"
like "$(metric0 tthub_worker_heartbeat_age_seconds)" "^[0-9.e+-]+$" "tthub_worker_heartbeat_age_seconds is served"
is "$(awk -v v="$(metric0 tthub_worker_heartbeat_age_seconds)" 'BEGIN { print (v < 70) }')" "1" "and is under 70 s"
is "$(metric0 tthub_token_key_loaded)" "1" "tthub_token_key_loaded 1"
is "$(metric tthub_jobs 'state="done"')" "1" "tthub_jobs{state=\"done\"} 1"
is "$(metric tthub_jobs 'state="dead"')" "0" "tthub_jobs{state=\"dead\"} 0 (every state is present)"
LAST=$(metric tthub_store_last_success_timestamp_seconds 'store_code="m1"')
WANT=$(Q "SELECT round(extract(epoch FROM max(last_sync_at))) FROM tthub.store_accounts WHERE store_code = 'm1'")
is "$(printf '%.0f' "$LAST")" "$WANT" "tthub_store_last_success_timestamp_seconds{store_code=\"m1\"} is the last sync"
is "$(metric tthub_store_last_success_timestamp_seconds 'store_code="m2"')" "" "a store never synced has none"
is "$(metric tthub_store_rows_synced 'store_code="m1"')" "8" "tthub_store_rows_synced: 1 user row + 7 videos"
like "$(printf '%s\n' "$M" | grep '^tthub_store_rows_synced{' | grep 'store_code="m1"')" 'client="Acme"' \
  "a store's metrics carry its client as a label (issue 21)"
like "$(printf '%s\n' "$M" | grep '^tthub_account_refresh_token_expiry_timestamp_seconds{' | grep 'store_code="m1"')" 'client="Acme"' \
  "and so do its accounts'"
EXP=$(metric tthub_account_refresh_token_expiry_timestamp_seconds 'open_id="sim-open-2"')
WANT=$(Q "SELECT round(extract(epoch FROM refresh_token_expires_at)) FROM tthub.store_accounts WHERE store_code = 'm2'")
is "$(printf '%.0f' "$EXP")" "$WANT" "tthub_account_refresh_token_expiry_timestamp_seconds{store_code,open_id}"
like "$(printf '%s\n' "$M" | grep '^tthub_account_refresh_token_expiry_timestamp_seconds' | head -1)" 'store_code="m[12]"' \
  "with the store_code label"
is "$(metric tthub_requests_total 'endpoint="user/info".*status_class="2xx"')" "1" \
  "tthub_requests_total{endpoint=\"user/info\",status_class=\"2xx\"} 1"
is "$(metric tthub_requests_total 'endpoint="video/list".*status_class="2xx"')" "1" "one video/list page"
is "$(metric tthub_request_duration_seconds_count 'endpoint="video/list"')" "1" "tthub_request_duration_seconds_count"
like "$(metric tthub_request_duration_seconds_sum 'endpoint="video/list"')" '^[0-9.e+-]+$' "and _sum"
like "$(printf '%s\n' "$M" | grep '^# TYPE tthub_requests_total')" "counter" "tthub_requests_total is a counter"
is "$(metric tthub_webhook_deliveries 'state="queued"')" "0" "tthub_webhook_deliveries{state=\"queued\"}"
is "$(metric tthub_accounts_count 'status="CONNECTED"')/$(metric tthub_accounts_count 'status="NEED_RECONNECT"')" "2/0" \
  "tthub_accounts_count{status}"
is "$(printf '%s\n' "$M" | grep -cE '^tthub_refresh_age_p95_seconds\{[^}]*tier="(fresh|young|old)"')" "3" \
   "tthub_refresh_age_p95_seconds{tier}: the achieved interval of each tier"
is "$(printf '%s\n' "$M" | awk '/^tthub_refresh_videos[{]/ {s += $2} END {print s + 0}')" "7" \
   "tthub_refresh_videos{tier} adds up to the store's 7 videos"

echo "# readers see the metrics views and nothing of tthub"
is "$(psql -X -qAt -h 127.0.0.1 -p "$PORT" -U tthub_metrics -d tthub -c "SELECT count(*) FROM tthub.deliveries" 2>&1 | grep -c 'permission denied')" \
   "1" "the exporter's role cannot read tthub's tables"

tap_done
