#!/usr/bin/env bash
# Updating a 0.4 install to 0.5 (issue 19): every row kept, each video's metadata
# backfilled from its latest video_daily row into tthub.videos, and the first refresh
# after the update lists the account in full, noticing a video deleted meanwhile.
set -u
cd "$(dirname "$0")/../.."
source test/lib/itest.sh

itest_setup video_upgrade "--accounts 2 --videos 45" || exit 1
n() { q "$PORT" tthub "$1"; }
V1=91000000000010000001  # the simulator's videos 1 and 2 of account 1 (test/sim/dataset.cpp)
V2=91000000000010000002

echo "# a 0.4 install with a year of snapshots"
n "DROP EXTENSION tthub; CREATE EXTENSION tthub VERSION '0.4'" >/dev/null
is "$(n "SELECT extversion FROM pg_extension WHERE extname = 'tthub'")" "0.4" "tthub 0.4"
# The server runs the new library before anyone runs ALTER EXTENSION tthub UPDATE: the
# worker must go on with 0.4's SQL (installed_sql.h), its next-due query included.
import_account s2 2
n "SELECT tthub.tthub_sync('s2')" >/dev/null
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE store_code = 's2'" "done" 60
is "$(n "SELECT state || ' ' || (SELECT count(*) FROM tthub.video_daily WHERE store_code = 's2')
           FROM tthub.sync_jobs WHERE store_code = 's2'")" "done 45" "the new library syncs on 0.4's SQL, before the update"
n "DELETE FROM tthub.video_daily WHERE store_code = 's2'; DELETE FROM tthub.user_daily WHERE store_code = 's2';
   DELETE FROM tthub.stores WHERE store_code = 's2'" >/dev/null
import_account s1 1
n "INSERT INTO tthub.video_daily (store_code, video_id, snapshot_date, open_id, title, description, cover_image_url,
                                  share_url, create_time, duration, view_count, like_count, comment_count, share_count,
                                  created_at, updated_at)
   SELECT 's1', v, current_date - d, 'sim-open-1', 'title of ' || v || ' on day ' || d, 'about ' || v,
          'https://cdn.example/' || v || '/' || d, 'https://tiktok.example/' || v, '2025-06-01 10:00+00', 30,
          1000 - d, 100 - d / 10, 10, 1, now() - make_interval(days => d), now() - make_interval(days => d)
     FROM unnest(ARRAY['$V1', '$V2', 'gone1']) v, generate_series(1, 365) d" >/dev/null
n "INSERT INTO tthub.user_daily (store_code, open_id, snapshot_date, follower_count)
   SELECT 's1', 'sim-open-1', current_date - d, 1000 - d FROM generate_series(1, 365) d" >/dev/null
BEFORE=$(n "SELECT count(*) || '/' || sum(view_count) || '/' || sum(length(title)) FROM tthub.video_daily")
USERS=$(n "SELECT count(*) || '/' || sum(follower_count) FROM tthub.user_daily")

echo "# ALTER EXTENSION tthub UPDATE"
is "$(n "ALTER EXTENSION tthub UPDATE; SELECT extversion FROM pg_extension WHERE extname = 'tthub'")" "0.5" "updated to 0.5"
is "$(n "SELECT count(*) || '/' || sum(view_count) || '/' || sum(length(title)) FROM tthub.video_daily")" "$BEFORE" \
   "every video_daily row is kept, unchanged"
is "$(n "SELECT count(*) || '/' || sum(follower_count) FROM tthub.user_daily")" "$USERS" "every user_daily row too"
is "$(n "SELECT count(*) FROM tthub.videos")" "3" "one videos row per video"
is "$(n "SELECT title || '|' || description || '|' || share_url || '|' || duration || '|' || view_count
          FROM tthub.videos WHERE video_id = '$V1'")" \
   "title of $V1 on day 1|about $V1|https://tiktok.example/$V1|30|999" "its metadata and counters are the latest day's"
is "$(n "SELECT first_seen_at::date = current_date - 365 AND last_seen_at::date = current_date - 1
          FROM tthub.videos WHERE video_id = '$V1'")" "t" "first seen on its first day, last seen on its latest"
is "$(n "SELECT cover_image_url || '|' || (cover_fetched_at::date = current_date - 1) FROM tthub.videos WHERE video_id = '$V1'")" \
   "https://cdn.example/$V1/1|true" "the cover with when it was fetched"
is "$(n "SELECT count(*) FROM tthub_reporting.videos WHERE cover_image_url IS NOT NULL")" "0" \
   "a day-old cover is not shown as working"
is "$(n "SELECT count(*) FROM tthub.videos WHERE removed_at IS NOT NULL")" "0" "nothing is marked removed by the update"
is "$(n "SELECT count(*) FROM tthub.video_observations")" "0" "observations start with 0.5"

echo "# the first refresh after the update"
is "$(n "SELECT tthub.tthub_enqueue_due()")" "1" "the store is due (never listed in full)"
wait_for "$PORT" "SELECT state FROM tthub.sync_jobs WHERE job_type = 'refresh'" "done" 30
is "$(n "SELECT count(*) FROM tthub.videos WHERE removed_at IS NULL")" "45" "the catalogue is known in full"
is "$(n "SELECT removed_at IS NOT NULL FROM tthub.videos WHERE video_id = 'gone1'")" "t" \
   "the video deleted meanwhile is marked removed by that full pass"
is "$(n "SELECT first_seen_at::date = current_date - 365 FROM tthub.videos WHERE video_id = '$V1'")" "t" \
   "a backfilled video keeps when it was first seen"
is "$(n "SELECT count(*) FROM tthub.video_observations")" "45" "each video observed once"
is "$(n "SELECT count(*) FROM tthub.video_daily WHERE snapshot_date = tthub.snapshot_today()")" "45" \
   "and today's video_daily row written from it"
tap_done
