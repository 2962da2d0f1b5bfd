#!/usr/bin/env bash
# Hostile bytes and hostile rate limits from TikTok: NULs, control characters, over-long
# and cut multi-byte text end up stored sanitised (and survive pg_dump/pg_restore);
# a long Retry-After is capped by tthub.max_retry_after; a 429 storm on video/list
# does not keep other stores from user/info.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh

itest_setup sync_hostile_responses "--accounts 8 --videos 25" "tthub.max_concurrent_syncs = 2" || exit 1
TODAY="tthub.snapshot_today()"
sync_now() { q "$PORT" tthub "SELECT status || '|' || videos_written || '|' || pages FROM tthub.tthub_sync_now('$1')"; }
set_conf() { q "$PORT" tthub "ALTER SYSTEM SET $1" >/dev/null; q "$PORT" tthub "SELECT pg_reload_conf()" >/dev/null; sleep 0.5; }
idle_queue() { wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE state IN ('queued', 'running')" 0 "$1"; }
# Control characters (C0 but tab and newline, DEL, C1) and a check that re-reads the
# bytes as UTF-8 (it fails on invalid bytes, which a plain comparison would not see).
CTRL="'[\x01-\x08\x0b-\x1f\x7f-\x9f]'"
utf8() { echo "(convert_from(convert_to($1, 'UTF8'), 'UTF8') = $1)"; }

echo "# names, titles and descriptions with NULs, control characters and too many bytes"
import_account h1 1
sim_config '{"hostile": true}'
is "$(sync_now h1)" "done|25|2" "a sync answered with hostile text completes (it is not a malformed response)"
is "$(q "$PORT" tthub "SELECT left(display_name, 14) || '|' || octet_length(display_name) || '|' || (display_name ~ $CTRL)
                       FROM tthub.user_daily WHERE store_code = 'h1'")" "Toko Jaya[31m |256|false" \
   "the display name lost its NUL and control characters and is capped at 256 bytes on a character boundary"
is "$(q "$PORT" tthub "SELECT a.display_name = u.display_name FROM tthub.store_accounts a JOIN tthub.user_daily u USING (store_code, open_id)
                       WHERE store_code = 'h1'")" "t" "the account row holds the same sanitised name"
is "$(q "$PORT" tthub "SELECT count(*) || '|' || max(octet_length(title)) || '|' || bool_and(title LIKE 'Title %') || '|' ||
                              bool_or(title ~ $CTRL) || '|' || bool_and($(utf8 title))
                       FROM tthub.video_daily WHERE store_code = 'h1' AND snapshot_date = $TODAY")" "25|598|true|false|true" \
   "titles: NUL and controls gone, 200 emoji cut to 598 bytes (150 characters x 4 bytes at most), valid UTF-8"
is "$(q "$PORT" tthub "SELECT max(octet_length(description)) || '|' || bool_and(description LIKE E'line 1\nline 2\n%') || '|' ||
                              bool_or(description ~ $CTRL) || '|' || bool_and($(utf8 description))
                       FROM tthub.video_daily WHERE store_code = 'h1' AND snapshot_date = $TODAY")" "599|true|false|true" \
   "descriptions keep their line breaks (CRLF and NEL as newlines), lose the NUL, and are capped"
sim_config '{"hostile": false}'
idle_queue 30 >/dev/null

echo "# error messages and log_ids with NULs, control characters, and a cut inside a character"
import_account e1 5
set_conf "tthub.retry_base_delay = '1h'"  # the worker must not retry (and overwrite) before we look
set_conf "tthub.request_retries = 0"       # the 500 fails the attempt at once (no retry in place)
sim_config '{"hostile": true, "fail_next": {"user/info": 1}}'
is "$(q "$PORT" tthub "SELECT status FROM tthub.tthub_sync_now('e1')")" "queued" \
   "a 500 with a hostile body fails the attempt and requeues the job"
MSG="(SELECT message FROM tthub.sync_logs WHERE store_code = 'e1' AND status = 'FAILED' ORDER BY log_id DESC LIMIT 1)"
is "$(q "$PORT" tthub "SELECT $(utf8 "$MSG")")" "t" "the logged message is valid UTF-8 though TikTok's was cut inside a character"
is "$(q "$PORT" tthub "SELECT ($MSG ~ $CTRL) || '|' || (octet_length($MSG) <= 700) || '|' ||
                              ($MSG ~ '^retryable: TikTok internal_error \(HTTP 500\): x{200}x{99} \(log_id SIMLOG9{122}\)$')")" \
   "false|true|true" "it has no control character, TikTok's message and log_id are capped (300 and 128 bytes)"
is "$(q "$PORT" tthub "SELECT $(utf8 last_error) || '|' || (last_error ~ $CTRL) || '|' || (octet_length(last_error) <= 700)
                       FROM tthub.sync_jobs WHERE store_code = 'e1'")" "true|false|true" "sync_jobs.last_error is sanitised the same way"
import_account h2 2 60  # expires within the refresh margin: the sync starts with a refresh
sim_config '{"hostile": true, "fail_next": {"oauth/token": 1}}'
like "$(sync_now h2)" "^queued" "a failed refresh with a hostile OAuth error is retried"
MSG2="(SELECT message FROM tthub.sync_logs WHERE store_code = 'h2' AND status = 'FAILED' ORDER BY log_id DESC LIMIT 1)"
is "$(q "$PORT" tthub "SELECT ($MSG2 ~ $CTRL) || '|' || $(utf8 "$MSG2") || '|' || ($MSG2 LIKE '%server_error: xxx%(log_id SIMLOG999%')")" \
   "false|true|true" "the OAuth error_description and log_id are logged sanitised"
sim_config '{"hostile": false}'
q "$PORT" tthub "ALTER SYSTEM RESET tthub.retry_base_delay" >/dev/null
q "$PORT" tthub "ALTER SYSTEM RESET tthub.request_retries" >/dev/null
q "$PORT" tthub "SELECT pg_reload_conf()" >/dev/null
is "$(sync_now e1) $(sync_now h2)" "done|25|2 done|25|2" "the requeued jobs complete once TikTok behaves"

# (That the database edge refuses invalid UTF-8 and NUL bytes, what pg_restore would
# reject: test/bridge/sql/bridge.sql.)
echo "# pg_dump / pg_restore after hostile responses keeps every row"
pg_dump -Fc -h 127.0.0.1 -p "$PORT" -U postgres -d tthub -f "$DIR/tthub.dump" 2>"$DIR/dump.err"
is "$?" "0" "pg_dump succeeds"
q "$PORT" postgres "CREATE DATABASE restored" >/dev/null
# pg_cron lives only in cron.database_name: leave it (and its tables' data) out.
pg_restore -l "$DIR/tthub.dump" | grep -vE 'EXTENSION.*pg_cron| cron ' >"$DIR/restore.list"
pg_restore -h 127.0.0.1 -p "$PORT" -U postgres -L "$DIR/restore.list" -d restored "$DIR/tthub.dump" 2>"$DIR/restore.err"
is "$?" "0" "pg_restore succeeds without errors"
[ -s "$DIR/restore.err" ] && sed 's/^/# /' "$DIR/restore.err" | head -5
digest() {  # digest DB TABLE: the table's content, in a stable order
  q "$PORT" "$1" "SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM tthub.$2 t"
}
for t in sync_logs user_daily video_daily store_accounts sync_jobs; do
  is "$(digest restored "$t")" "$(digest tthub "$t")" "tthub.$t comes back with every row ($(digest tthub "$t" | cut -d: -f1) rows)"
done

echo "# Retry-After is capped by tthub.max_retry_after"
set_conf "tthub.max_retry_after = 2"
is "$(q "$PORT" tthub "SHOW tthub.max_retry_after")" "2s" "tthub.max_retry_after is a setting in seconds"
import_account h3 3
sim_config "{\"throttle_next\": {\"user/info\": 1}, \"retry_after\": \"$(date -u -d '+1 hour' '+%a, %d %b %Y %H:%M:%S GMT')\"}"
is "$(q "$PORT" tthub "SET statement_timeout = '60s';
                       SELECT status || '|' || (duration_ms BETWEEN 2000 AND 15000) FROM tthub.tthub_sync_now('h3')")" "done|true" \
   "a Retry-After an hour away (HTTP-date form) is honoured for tthub.max_retry_after (2 s), not an hour"
set_conf "tthub.max_retry_after = 5"
idle_queue 30 >/dev/null
sleep 1  # the idle worker reloads its settings
import_account h4 4
sim_config '{"throttle_next": {"video/list": 1}, "retry_after": 3600}'
J4=$(q "$PORT" tthub "SELECT tthub.tthub_sync('h4')")
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_id = $J4" "done" 30
is "$(q "$PORT" tthub "SELECT state || '|' || attempts || '|' || (finished_at - created_at BETWEEN interval '5 seconds' AND interval '30 seconds')
                       FROM tthub.sync_jobs WHERE job_id = $J4")" "done|1|true" \
   "the worker retried after 'Retry-After: 3600' within tthub.max_retry_after (5 s), spending no attempt"
sim_config '{"retry_after": 0}'
set_conf "tthub.max_retry_after TO DEFAULT"
idle_queue 30 >/dev/null
sleep 1

echo "# a 429 storm on video/list does not pause user/info for other stores"
for i in 1 2 3 4 5 6; do import_account "st$i" $((i + 2)); done
sim_config '{"throttle_next": {"video/list": 1000000}, "retry_after": 8, "reset_counters": true}'
q "$PORT" tthub "SELECT tthub.tthub_sync('st' || i) FROM generate_series(1, 6) i" >/dev/null
wait_for "$PORT" "SELECT count(*) FROM tthub.user_daily WHERE store_code LIKE 'st%' AND snapshot_date = $TODAY" 6 15
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.user_daily WHERE store_code LIKE 'st%' AND snapshot_date = $TODAY")" "6" \
   "with 2 sync slots and video/list answering 429 (Retry-After: 8), all 6 stores got their user/info within 15 s"
is "$(sim_json "throttled,user/info")" "" "user/info itself was never throttled"
like "$(sim_json "throttled,video/list")" "^[0-9]+$" "video/list was"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.sync_jobs WHERE store_code LIKE 'st%' AND (state IN ('dead', 'failed') OR attempts > 1)")" "0" \
   "no attempt was spent on the storm"
sim_config '{"throttle_next": {"video/list": 0}, "retry_after": 0}'
wait_for "$PORT" "SELECT count(*) FROM tthub.sync_jobs WHERE store_code LIKE 'st%' AND state = 'done'" 6 60
is "$(q "$PORT" tthub "SELECT count(*) || '|' || bool_and(attempts = 1) FROM tthub.sync_jobs WHERE store_code LIKE 'st%' AND state = 'done'")" "6|true" \
   "after the storm every store's job completed on its first attempt"
is "$(q "$PORT" tthub "SELECT count(*) FROM tthub.video_daily WHERE store_code LIKE 'st%' AND snapshot_date = $TODAY")" "150" \
   "with all 6 x 25 videos"

unlike "$(cat "$DIR/pg/server.log")" "terminated by signal|terminate called|std::" "no crash, no C++ exception reached the server"
tap_done
