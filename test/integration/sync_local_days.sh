#!/usr/bin/env bash
# Each store's own day (issue 21): stores in UTC+7 (Asia/Jakarta), UTC and UTC-5
# (America/Bogota) synced by the worker just before and just after a UTC midnight get
# their snapshot days, ledger lines, alerts and reporting dates on their own local
# dates; the local-midnight schedule enqueues a store only when its own day turns.
# The cluster and the simulator run under libfaketime (Debian's libfaketime), their
# clock set to 23:58:30 UTC when they start.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh

FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
if [ ! -e "$FAKETIME_LIB" ]; then
  echo "not ok 1 - libfaketime is installed ($FAKETIME_LIB; apt-get install libfaketime)"
  echo "1..1"
  exit 1
fi
D=$(date -u +%F)
off=$(( $(date -u -d "$D 23:58:30" +%s) - $(date -u +%s) ))
# Only the server and the simulator load the library (cluster.sh, sim.sh): this
# script's own date and psql keep the real clock.
export TTHUB_SERVER_PRELOAD=$FAKETIME_LIB FAKETIME="$(printf '%+d' "$off")" FAKETIME_DONT_RESET=1 FAKETIME_NO_CACHE=1
itest_setup sync_local_days "--accounts 6 --videos 45" || exit 1
unset TTHUB_SERVER_PRELOAD FAKETIME
Q() { q "$PORT" tthub "$1"; }
DAY=$(Q "SELECT (now() AT TIME ZONE 'UTC')::date")
is "$DAY" "$D" "the server's clock is on $D, UTC"
like "$(Q "SELECT to_char(now() AT TIME ZONE 'UTC', 'HH24:MI')")" '^23:5[89]$' "a minute or so before midnight UTC"
NEXT=$(Q "SELECT '$DAY'::date + 1")
PREV=$(Q "SELECT '$DAY'::date - 1")

import_account e7 1
import_account u0 2
import_account w5 3
out=$(Q "SET client_min_messages = notice; SELECT tthub.tthub_set_store_timezone('e7', 'Asia/Jakarta');
         SELECT tthub.tthub_set_store_timezone('w5', 'America/Bogota')" 2>&1)
like "$out" "NOTICE:  store \"e7\" now has its days in Asia/Jakarta: today is $NEXT there" \
     "setting a zone says what today is there"
like "$out" "days already stored keep their dates" "and that stored days keep their dates"
is "$(Q "SELECT string_agg(store_code || '=' || tthub.store_today(store_code), ' ' ORDER BY store_code) FROM tthub.stores")" \
   "e7=$NEXT u0=$DAY w5=$DAY" "each store's today: UTC+7 is already on the next day"

echo "# before midnight UTC: one daily run"
is "$(Q "SELECT tthub.tthub_sync_all()")" "3" "tthub_sync_all enqueues the three stores"
is "$(Q "SELECT string_agg(store_code || '=' || snapshot_date, ' ' ORDER BY store_code) FROM tthub.sync_jobs")" \
   "e7=$NEXT u0=$DAY w5=$DAY" "each job is for its store's local day"
wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE state = 'done'" "3" 60
before=$(Q "SELECT now() AT TIME ZONE 'UTC' < '$NEXT'")
is "$before" "t" "the three syncs ended before midnight UTC"
is "$(Q "SELECT string_agg(DISTINCT store_code || '=' || snapshot_date, ' ') FROM tthub.video_daily")" \
   "e7=$NEXT u0=$DAY w5=$DAY" "video rows are on each store's local date"
is "$(Q "SELECT string_agg(store_code || '=' || snapshot_date || ':' || complete, ' ' ORDER BY store_code) FROM tthub.sync_ledger")" \
   "e7=$NEXT:true u0=$DAY:true w5=$DAY:true" "so are the ledger lines"
is "$(Q "SELECT tthub.tthub_sync_day_turned()")" "0" "the local-midnight run finds no store whose day turned"

echo "# across midnight UTC"
wait_for "$PORT" "SELECT now() AT TIME ZONE 'UTC' >= '$NEXT'" "t" 150
is "$(Q "SELECT string_agg(store_code || '=' || tthub.store_today(store_code), ' ' ORDER BY store_code) FROM tthub.stores")" \
   "e7=$NEXT u0=$NEXT w5=$DAY" "after midnight UTC only the UTC store's day turned"
# Stores never synced, connected long ago, for the day-incomplete alert.
import_account x7 4
import_account x0 5
import_account x5 6
Q "UPDATE tthub.store_accounts SET connected_at = now() - interval '3 days' WHERE store_code LIKE 'x%';
   SELECT tthub.tthub_set_store_timezone('x7', 'Asia/Jakarta'), tthub.tthub_set_store_timezone('x5', 'America/Bogota')" >/dev/null
is "$(Q "SELECT tthub._scan_alert_events('1 day', 60)")" "2" \
   "day incomplete, one hour after local midnight: the UTC+7 and UTC-5 stores, not the UTC one (00:0x there)"
is "$(Q "SELECT string_agg(store_code || '=' || (data ->> 'snapshot_date'), ' ' ORDER BY store_code) FROM tthub.events WHERE event = 'sync.day_incomplete'")" \
   "x5=$DAY x7=$NEXT" "each alert names the store's local day"
MAXJ=$(Q "SELECT max(job_id) FROM tthub.sync_jobs")
is "$(Q "SELECT tthub.tthub_sync_day_turned()")" "4" \
   "the local-midnight run enqueues the UTC store and the three never synced, not the UTC+7 and UTC-5 ones"
is "$(Q "SELECT string_agg(store_code || '=' || snapshot_date, ' ' ORDER BY store_code) FROM tthub.sync_jobs WHERE job_id > $MAXJ AND store_code IN ('e7', 'u0', 'w5')")" \
   "u0=$NEXT" "the UTC store's job is for its new day"
wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE state = 'done'" "7" 60
is "$(Q "SELECT string_agg(store_code || '=' || days, ' ' ORDER BY store_code) FROM (
           SELECT store_code, string_agg(DISTINCT snapshot_date::text, ',') AS days FROM tthub.user_daily GROUP BY 1) d")" \
   "e7=$NEXT u0=$DAY,$NEXT w5=$DAY x0=$NEXT x5=$DAY x7=$NEXT" "account rows: the UTC store has both days, the others one local day"
is "$(Q "SELECT string_agg(store_code || '=' || days, ' ' ORDER BY store_code) FROM (
           SELECT store_code, string_agg(snapshot_date || ':' || complete, ',' ORDER BY snapshot_date) AS days FROM tthub.sync_ledger GROUP BY 1) d")" \
   "e7=$NEXT:true u0=$DAY:true,$NEXT:true w5=$DAY:true x0=$NEXT:true x5=$DAY:true x7=$NEXT:true" "ledger lines likewise"
is "$(Q "SELECT string_agg(store_code || '=' || m.latest_snapshot_date || '/' || s.timezone, ' ' ORDER BY store_code)
           FROM tthub_reporting.store_summary m JOIN tthub_reporting.stores s USING (store_code)
          WHERE store_code IN ('e7', 'u0', 'w5')")" \
   "e7=$NEXT/Asia/Jakarta u0=$NEXT/UTC w5=$DAY/America/Bogota" "reporting views show each store's local dates and zone"
is "$(Q "SELECT string_agg(store_code || '=' || tthub_reporting.store_today(store_code), ' ' ORDER BY store_code) FROM tthub_reporting.stores WHERE store_code IN ('e7', 'u0', 'w5')")" \
   "e7=$NEXT u0=$NEXT w5=$DAY" "tthub_reporting.store_today(store_code) too"

echo "# changing a zone moves days from then on, never stored ones"
n_w5=$(Q "SELECT count(*) FROM tthub.video_daily WHERE store_code = 'w5' AND snapshot_date = '$DAY'")
Q "SELECT tthub.tthub_set_store_timezone('w5', 'Asia/Jakarta')" >/dev/null
is "$(Q "SELECT tthub.store_today('w5')")" "$NEXT" "the store's today follows its new zone"
is "$(Q "SELECT count(*) FROM tthub.video_daily WHERE store_code = 'w5' AND snapshot_date = '$DAY'")" "$n_w5" \
   "its stored day keeps its date and rows ($n_w5)"
is "$(Q "SELECT tthub.tthub_sync_day_turned()")" "1" "its new day has no job yet: the next run enqueues it"

echo "# one cron entry runs each store after its own midnight"
is "$(Q "SELECT tthub.tthub_schedule_local_midnight_sync(10) > 0")" "t" "tthub_schedule_local_midnight_sync"
is "$(Q "SELECT jobname || ' ' || schedule || ' ' || command FROM cron.job")" \
   "tthub-daily-sync */10 * * * * SELECT tthub.tthub_sync_day_turned()" "one cron.job entry, every 10 minutes"
Q "SELECT tthub.tthub_schedule_daily_sync()" >/dev/null
is "$(Q "SELECT count(*) || ' ' || min(command) FROM cron.job")" "1 SELECT tthub.tthub_sync_all()" \
   "the global schedule replaces it: still one entry"
like "$(Q "SELECT tthub.tthub_schedule_local_midnight_sync(0)")" "every_minutes must be between 1 and 59" "a bad interval is refused"

unlike "$(cat "$DIR/pg/server.log")" "terminated by signal|terminate called|std::" "no C++ exception ever reached the server"
tap_done
