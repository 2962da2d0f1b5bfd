#!/usr/bin/env bash
# The TikTok simulator's issue-19 behaviours, checked over HTTP: video/query (ids left
# out or an error, as switched), live catalogues with create_times over the past, posts
# and deletions, counters on a launch curve in compressed time, expiring cover links,
# and the fault switches on the new endpoint. No cluster needed.
set -u
cd "$(dirname "$0")/../.."
source test/lib/sim.sh
source test/lib/tap.sh

DIR=${TTHUB_TEST_WORK:-$(mktemp -d)}/simulator
mkdir -p "$DIR"
trap sim_stop EXIT
sim_start "$DIR/sim" --accounts 3 --videos 45 || exit 1
BASE=http://127.0.0.1:$SIM_PORT
FIELDS=id,create_time,view_count,cover_image_url
query() {  # query ACCOUNT IDS_JSON: prints "STATUS BODY"
  curl -s -o "$DIR/body" -w '%{http_code}' -X POST "$BASE/v2/video/query/?fields=$FIELDS" \
    -H "Authorization: Bearer act.sim-open-$1.1" -H 'Content-Type: application/json' \
    -d "{\"filters\": {\"video_ids\": $2}}"
  echo " $(cat "$DIR/body")"
}
list() {  # list ACCOUNT BODY
  curl -s -X POST "$BASE/v2/video/list/?fields=$FIELDS" -H "Authorization: Bearer act.sim-open-$1.1" \
    -H 'Content-Type: application/json' -d "$2"
}
ids_of() { grep -oE '"id":"[0-9]+"' | sed 's/"id"://; s/"//g' | tr '\n' ' ' | sed 's/ $//'; }
V0=91000000000010000007   # account 1, video 0 (dataset.h)
V1=91000000000010000017
V2_OTHER=91000000000020000007

echo "# default dataset: video/query answers what video/list does"
got=$(query 1 "[\"$V0\", \"$V1\"]")
like "$got" '^200 ' "video/query answers 200"
is "$(echo "$got" | ids_of)" "$V0 $V1" "with the two videos asked for"
is "$(echo "$got" | grep -oE '"view_count":[0-9]+' | head -1)" "$(list 1 '{"max_count": 1}' | grep -oE '"view_count":[0-9]+' | head -1)" \
   "with the same counters video/list shows"
got=$(query 1 "[\"$V0\", \"123\", \"$V2_OTHER\"]")
like "$got" '^200 ' "unknown and another user's ids: still 200 by default (query_missing omit)"
is "$(echo "$got" | ids_of)" "$V0" "and only the caller's known video comes back"
sim_config '{"query_missing": "error"}'
like "$(query 1 "[\"$V0\", \"123\"]")" '^400 .*invalid_params' "query_missing error: an unknown id fails the request with invalid_params"
like "$(query 1 "[\"$V0\"]")" '^200 ' "known ids alone still answer"
sim_config '{"query_missing": "omit"}'
like "$(query 1 "[$(seq -s, -f '"%g"' 1 21)]")" '^400 .*invalid_params' "21 ids: invalid_params (at most 20)"
like "$(query 1 '[1]')" '^400 ' "ids must be strings"
sim_config '{"throttle_next": {"video/query": 1}}'
like "$(query 1 "[\"$V0\"]")" '^429 .*rate_limit_exceeded' "throttle_next applies to video/query"
sim_config '{"fail_next": {"video/query": 1}}'
like "$(query 1 "[\"$V0\"]")" '^500 .*internal_error' "fail_next applies to video/query"
like "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/v2/video/query/?fields=id" -d '{}')" '^401$' "no token: 401"

echo "# live mode: a catalogue posted over the past, in compressed time"
sim_config '{"live": {"speed": 1, "history_days": 100}}'
page=$(list 2 '{"max_count": 20}')
now=$(curl -s "$BASE/_sim/now" | grep -oE '"sim_now":[0-9]+' | sed 's/.*://')
times=$(echo "$page" | grep -oE '"create_time":[0-9]+' | sed 's/.*://')
is "$(echo "$times" | sort -rn | tr '\n' ' ')" "$(echo "$times" | tr '\n' ' ')" "video/list is newest first"
is "$(echo "$times" | awk -v now="$now" '$1 >= now {bad++} END {print bad + 0}')" "0" "no video is posted in the future"
oldest=$(list 2 "{\"max_count\": 20, \"cursor\": $(( (now - 60 * 86400) * 1000 ))}" | grep -oE '"create_time":[0-9]+' | head -1 | sed 's/.*://')
like "$oldest" '^[0-9]+$' "videos older than 60 days exist (spread over the past)"
cursor=$(echo "$page" | grep -oE '"cursor":[0-9]+' | sed 's/.*://')
next=$(list 2 "{\"max_count\": 20, \"cursor\": $cursor}")
is "$(comm -12 <(echo "$page" | ids_of | tr ' ' '\n' | sort) <(echo "$next" | ids_of | tr ' ' '\n' | sort) | wc -l)" "0" \
   "the next page (by cursor) repeats none of the first"
is "$(echo "$next" | ids_of | wc -w)" "20" "and is full"

echo "# posts, launch-curve growth, deletions, covers"
sim_config '{"post": {"sim-open-2": 1}}'
new=$(list 2 '{"max_count": 1}' | ids_of)
unlike "$(echo "$page" | ids_of)" "$new" "a posted video is new"
v_before=$(query 2 "[\"$new\"]" | grep -oE '"view_count":[0-9]+' | sed 's/.*://')
like "$v_before" '^[0-9]+$' "video/query finds the new video"
sim_config '{"clock": {"advance": 3600}}'
v_hour=$(query 2 "[\"$new\"]" | grep -oE '"view_count":[0-9]+' | sed 's/.*://')
sim_config '{"clock": {"advance": 2592000}}'
v_month=$(query 2 "[\"$new\"]" | grep -oE '"view_count":[0-9]+' | sed 's/.*://')
sim_config '{"clock": {"advance": 3600}}'
v_month_hour=$(query 2 "[\"$new\"]" | grep -oE '"view_count":[0-9]+' | sed 's/.*://')
[ "$v_hour" -gt "$v_before" ]; tap_result $? "views grow in the first hour ($v_before -> $v_hour)"
[ $((v_hour - v_before)) -gt $((20 * (v_month_hour - v_month))) ]; tap_result $? \
  "fast when young, slow when old: first hour +$((v_hour - v_before)), an hour a month later +$((v_month_hour - v_month))"
sim_config "{\"delete\": {\"sim-open-2\": [\"$new\"]}}"
unlike "$(list 2 '{"max_count": 20}' | ids_of)" "$new" "a deleted video is gone from video/list"
is "$(query 2 "[\"$new\"]" | ids_of)" "" "and from video/query (left out)"
sim_config '{"query_missing": "error"}'
like "$(query 2 "[\"$new\"]")" '^400 ' "or refused, when switched to errors"
sim_config '{"query_missing": "omit"}'
cover=$(list 3 '{"max_count": 1}' | grep -oE '"cover_image_url":"[^"]+"' | sed 's/"cover_image_url":"//; s/"$//')
like "$cover" 'x-expires=[0-9]+' "a cover link carries its expiry"
is "$(curl -s -o /dev/null -w '%{http_code}' "$cover")" "200" "it works now"
sim_config '{"clock": {"advance": 21700}}'
is "$(curl -s -o /dev/null -w '%{http_code}' "$cover")" "403" "and not 6 simulated hours later"
stats=$(sim_stats)
like "$stats" '"posted":[1-9]' "stats count posts"
like "$stats" '"deleted":[1-9]' "and deletions"
sim_config '{"clock": {"speed": 86400}}'
t1=$(curl -s "$BASE/_sim/now" | grep -oE '"sim_now":[0-9]+' | sed 's/.*://'); sleep 1
t2=$(curl -s "$BASE/_sim/now" | grep -oE '"sim_now":[0-9]+' | sed 's/.*://')
[ $((t2 - t1)) -ge 43200 ]; tap_result $? "compressed time: a simulated day a second ($((t2 - t1)) s passed)"
sim_config '{"live": false}'
is "$(query 1 "[\"$V0\"]" | ids_of)" "$V0" "live mode off: the default dataset again"
tap_done
