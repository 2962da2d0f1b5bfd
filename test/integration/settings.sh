#!/usr/bin/env bash
# tthub's settings refuse what would fail later: a time zone, URL, scope list or
# client key that is not one is refused by ALTER SYSTEM, ignored (with the reason in
# the log) by a reload, and stops the server at start, as a core setting does.
set -u
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/tap.sh

cluster_up settings || exit 1
q "$PORT" postgres "CREATE DATABASE tthub" >/dev/null
q "$PORT" tthub "CREATE EXTENSION tthub" >/dev/null

# verbose PORT SQL: the statement's error, with SQLSTATE and DETAIL ("" on success).
verbose() {
  psql -X -qAt -h 127.0.0.1 -p "$1" -U postgres -d tthub -v VERBOSITY=verbose -c "$2" 2>&1 >/dev/null | grep -v '^LOCATION'
}
show() { q "$PORT" tthub "SHOW $1"; }
reload() { q "$PORT" tthub "SELECT pg_reload_conf()" >/dev/null; sleep 0.5; }

echo "# tthub.snapshot_timezone"
out=$(verbose "$PORT" "ALTER SYSTEM SET tthub.snapshot_timezone = 'Asia/Jakrta'")
like "$out" 'ERROR:  22023: invalid value for parameter "tthub.snapshot_timezone": "Asia/Jakrta"' \
     "ALTER SYSTEM refuses a misspelt time zone (22023)"
like "$out" "DETAIL:  Not a time zone PostgreSQL knows: use a name listed in pg_timezone_names, such as Asia/Jakarta" \
     "and says what it takes"
unlike "$(cat "$DIR/data/postgresql.auto.conf")" "Jakrta" "nothing was written to postgresql.auto.conf"
is "$(verbose "$PORT" "ALTER SYSTEM SET tthub.snapshot_timezone = ''" | grep -c 'It must name a time zone')" "1" \
   "an empty time zone is refused too"
like "$(verbose "$PORT" "SET tthub.snapshot_timezone = 'Asia/Jakarta'")" "55P02: parameter \"tthub.snapshot_timezone\" cannot be changed now" \
     "SET is refused in a session: every session and the worker must agree on the day"
is "$(verbose "$PORT" "ALTER SYSTEM SET tthub.snapshot_timezone = 'Asia/Jakarta'")" "" "a real time zone is accepted"
reload
is "$(show tthub.snapshot_timezone)" "Asia/Jakarta" "and applies on reload"
is "$(q "$PORT" tthub "SELECT tthub.snapshot_today() = (now() AT TIME ZONE 'Asia/Jakarta')::date")" "t" \
   "snapshot_today() follows it"
for tz in 'UTC' 'America/New_York' 'PST' 'EST5EDT'; do
  is "$(verbose "$PORT" "ALTER SYSTEM SET tthub.snapshot_timezone = '$tz'")" "" "what AT TIME ZONE accepts is accepted: $tz"
done
q "$PORT" tthub "ALTER SYSTEM RESET tthub.snapshot_timezone" >/dev/null

echo "# a reload with a wrong value keeps the old one"
printf "tthub.snapshot_timezone = 'Asia/Jakarta'\n" >>"$DIR/data/postgresql.conf"
reload
is "$(show tthub.snapshot_timezone)" "Asia/Jakarta" "postgresql.conf's time zone applies on reload"
printf "tthub.snapshot_timezone = 'Mars/Olympus_Mons'\n" >>"$DIR/data/postgresql.conf"
reload
is "$(show tthub.snapshot_timezone)" "Asia/Jakarta" "a wrong one in postgresql.conf does not apply on reload"
like "$(cat "$DIR/server.log")" 'invalid value for parameter "tthub.snapshot_timezone": "Mars/Olympus_Mons"' \
     "the server log says which value is wrong"

echo "# the server does not start with a wrong value"
cluster_stop "$DIR"
cluster_start "$DIR" >/dev/null 2>&1
is "$?" "1" "pg_ctl start fails"
like "$(cat "$DIR/server.log")" 'FATAL:  invalid value for parameter "tthub.snapshot_timezone" in the server configuration' \
     "the log says why"
sed -i '/Mars\/Olympus_Mons/d' "$DIR/data/postgresql.conf"
cluster_start "$DIR"
is "$?" "0" "corrected, it starts"
is "$(show tthub.snapshot_timezone)" "Asia/Jakarta" "with the time zone of postgresql.conf"

echo "# the other settings"
refused() {  # refused SETTING VALUE DETAIL-REGEX
  local out
  out=$(verbose "$PORT" "ALTER SYSTEM SET $1 = '$2'" | tr '\n' ' ')
  like "$out" "ERROR:  22023: invalid value for parameter \"$1\".*DETAIL:  $3" "$1 = '$2' is refused: $3"
}
refused tthub.api_base_url 'htps://open.tiktokapis.com' 'It must start with https://'
refused tthub.api_base_url 'http://open.tiktokapis.com' 'Plain http is allowed only to'
refused tthub.api_base_url 'https://open.tiktokapis.com/?x=1' 'It must not have a query string'
refused tthub.api_base_url 'https://open.tiktokapis .com' 'It must not contain spaces'
refused tthub.authorize_url 'https://www.tiktok.com/v2/auth/authorize/#x' 'It must not have a fragment'
refused tthub.oauth_scopes 'user.info.basic, video.list' 'A scope is made of a-z.*with no spaces'
refused tthub.oauth_scopes '' 'At least one scope'
refused tthub.client_key 'ab cd' 'It must not contain spaces'
refused tthub.database '' 'It must name a database'
like "$(verbose "$PORT" "ALTER SYSTEM SET tthub.http_timeout_ms = 600000")" \
     '22023: 600000 ms is outside the valid range for parameter "tthub.http_timeout_ms" \(100 .. 300000\)' \
     "a TikTok request cannot outlast the job's 10-minute lease"
is "$(verbose "$PORT" "ALTER SYSTEM SET tthub.api_base_url = 'http://127.0.0.1:9'")" "" "the simulator's loopback URL is accepted"
is "$(verbose "$PORT" "ALTER SYSTEM SET tthub.authorize_url = 'https://www.tiktok.com/v2/auth/authorize/?lang=id'")" "" \
   "an authorize URL may carry a query"
is "$(verbose "$PORT" "ALTER SYSTEM SET tthub.oauth_scopes = 'user.info.basic,video.list'")" "" "a scope list is accepted"
is "$(verbose "$PORT" "ALTER SYSTEM SET tthub.client_key = 'aw1b2c3d4e5f'")" "" "a client key is accepted"
echo "# the refresh tiers (issue 19): time units, at least 1 s"
like "$(verbose "$PORT" "ALTER SYSTEM SET tthub.fresh_video_interval = '0'")" \
     '22023: 0 s is outside the valid range for parameter "tthub.fresh_video_interval" \(1 \.\. 31536000\)' \
     "a fresh interval below 1 s is refused"
like "$(verbose "$PORT" "ALTER SYSTEM SET tthub.young_video_age = '2 weeks'")" '22023: invalid value for parameter "tthub.young_video_age"' \
     "so is a value in a unit PostgreSQL does not know"
for setting in "tthub.fresh_video_age = '36h'" "tthub.fresh_video_interval = '30min'" "tthub.young_video_age = '14d'" \
               "tthub.young_video_interval = '12h'" "tthub.old_video_max_interval = '3d'" "tthub.observation_retention = '90d'"; do
  is "$(verbose "$PORT" "ALTER SYSTEM SET $setting")" "" "accepted: $setting"
done
reload
is "$(show tthub.fresh_video_interval)/$(show tthub.young_video_age)/$(show tthub.observation_retention)" "30min/14d/90d" \
   "and they apply on reload"
is "$(q "$PORT" tthub "SELECT fresh_age || '/' || fresh_interval || '/' || young_age || '/' || young_interval || '/' || old_max_interval
                       FROM tthub._refresh_tiers()")" "36:00:00/00:30:00/14 days/12:00:00/3 days" \
   "the refresh reads them as intervals"
is "$(q "$PORT" tthub "SELECT tthub.video_tier(now() - interval '37 hours')")" "young" "a video 37 hours old is young at 36h"
tap_done
