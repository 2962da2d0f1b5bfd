#!/usr/bin/env bash
# The README's first command: a throwaway cluster with tthub and pg_cron, the TikTok
# simulator, three demo stores, two days of syncs by the worker, and a report.
#   bash demo/run.sh          run the demo (reuses a running demo cluster)
#   bash demo/run.sh --stop   stop the demo cluster and simulator, remove their files
set -euo pipefail
cd "$(dirname "$0")/.."
source test/lib/install_deps.sh
source test/lib/build.sh
source test/lib/cluster.sh
source test/lib/sim.sh

DEMO_DIR=${TTHUB_DEMO_DIR:-/tmp/tthub-demo}
step() { printf '\n== %s\n' "$*"; }
sql() { cluster_psql "$PORT" tthub -P pager=off "$@"; }

if [ "${1:-}" = "--stop" ]; then
  [ -f "$DEMO_DIR/sim.pid" ] && kill "$(cat "$DEMO_DIR/sim.pid")" 2>/dev/null || true
  [ -d "$DEMO_DIR/pg" ] && cluster_stop "$DEMO_DIR/pg"
  rm -rf "$DEMO_DIR"
  echo "demo stopped and removed ($DEMO_DIR)"
  exit 0
fi

step "installing packages (first run only)"
install_deps
step "building and installing tthub"
build_all

mkdir -p "$DEMO_DIR" && chmod 755 "$DEMO_DIR"
if [ -f "$DEMO_DIR/sim.pid" ] && kill -0 "$(cat "$DEMO_DIR/sim.pid")" 2>/dev/null; then
  SIM_PORT=$(cat "$DEMO_DIR/sim/sim.port")
else
  step "starting the TikTok simulator (3 accounts x 120 videos)"
  sim_start "$DEMO_DIR/sim" --accounts 3 --videos 120 --day 1
  echo "$SIM_PID" >"$DEMO_DIR/sim.pid"
  disown "$SIM_PID" 2>/dev/null || true
  echo "simulator on 127.0.0.1:$SIM_PORT"
fi
if [ -f "$DEMO_DIR/port" ]; then
  PORT=$(cat "$DEMO_DIR/port")
  cluster_start "$DEMO_DIR/pg" 2>/dev/null || true
else
  step "creating a throwaway PostgreSQL cluster with pg_cron and tthub"
  PORT=$(free_port 55500)
  echo "$PORT" >"$DEMO_DIR/port"
  cluster_init "$DEMO_DIR/pg" "$PORT" "tthub.api_base_url = 'http://127.0.0.1:$SIM_PORT'"
  cluster_start "$DEMO_DIR/pg"
  cluster_psql "$PORT" postgres -c "CREATE DATABASE tthub"
  sql -c "CREATE EXTENSION pg_cron; CREATE EXTENSION tthub"
fi
sim_config '{"day": 1}'

step "adding three demo stores, each with a TikTok account (tokens stored encrypted)"
sql <<'SQL'
INSERT INTO tthub.stores (store_code, store_name, pic_name)
VALUES ('demo-jakarta', 'Demo Jakarta', 'Ayu'), ('demo-bandung', 'Demo Bandung', 'Budi'),
       ('demo-surabaya', 'Demo Surabaya', 'Citra')
ON CONFLICT (store_code) DO NOTHING;
SELECT tthub.tthub_import_account(s.store_code, 'sim-open-' || s.n, 'act.sim-open-' || s.n || '.1',
                                  'rft.sim-open-' || s.n || '.1', 86400, 15552000,
                                  'user.info.basic,user.info.stats,video.list')
  FROM (VALUES ('demo-jakarta', 1), ('demo-bandung', 2), ('demo-surabaya', 3)) AS s(store_code, n)
 WHERE NOT EXISTS (SELECT 1 FROM tthub.store_accounts a WHERE a.store_code = s.store_code);
SELECT tthub.tthub_schedule_daily_sync('0 2 * * *') AS daily_pg_cron_job;
SQL

wait_idle() {
  local n
  while n=$(sql -qAt -c "SELECT count(*) FROM tthub.sync_jobs WHERE state IN ('queued', 'running')") && [ "$n" != 0 ]; do
    printf '   %s job(s) in flight: %s\n' "$n" "$(sql -qAt -c "SELECT coalesce(string_agg(store_code || ' p' || pages_fetched, ', '), 'starting') FROM tthub.sync_progress")"
    sleep 1
  done
}

step "day 1 (yesterday): the worker syncs every store"
# Backfill yesterday's snapshot from the simulator's day 1 (a demo-only shortcut: the
# worker runs any queued job for the day it names).
sql -qAt -c "INSERT INTO tthub.sync_jobs (store_code, snapshot_date, job_type)
             SELECT DISTINCT store_code, tthub.snapshot_today() - 1, 'demo_backfill' FROM tthub.store_accounts
             ON CONFLICT DO NOTHING; SELECT tthub._wake_worker();" >/dev/null
wait_idle
step "day 2 (today): the counters grew; tthub_sync_all() is what pg_cron runs daily"
sim_config '{"day": 2}'
sql -qAt -c "SELECT tthub.tthub_sync_all() || ' store(s) enqueued'"
wait_idle

step "report: top videos by views gained since yesterday"
sql <<'SQL'
SELECT t.store_code, left(t.title, 28) AS title, y.view_count AS views_yesterday, t.view_count AS views_today,
       t.view_count - y.view_count AS gained
  FROM tthub.video_daily t
  JOIN tthub.video_daily y ON y.store_code = t.store_code AND y.video_id = t.video_id
                          AND y.snapshot_date = t.snapshot_date - 1
 WHERE t.snapshot_date = tthub.snapshot_today()
 ORDER BY gained DESC LIMIT 5;
SQL
step "report: follower growth per store"
sql <<'SQL'
SELECT t.store_code, y.follower_count AS followers_yesterday, t.follower_count AS followers_today,
       t.follower_count - y.follower_count AS growth, t.video_count AS videos
  FROM tthub.user_daily t
  JOIN tthub.user_daily y ON y.store_code = t.store_code AND y.open_id = t.open_id
                         AND y.snapshot_date = t.snapshot_date - 1
 WHERE t.snapshot_date = tthub.snapshot_today()
 ORDER BY growth DESC;
SQL
step "report: sync status"
sql <<'SQL'
SELECT a.store_code, a.status, a.last_sync_at::timestamp(0) AS last_sync,
       (SELECT count(*) FROM tthub.sync_logs l WHERE l.store_code = a.store_code AND l.status = 'SUCCESS') AS successful_syncs,
       l.complete AS today_complete, l.pages_fetched AS pages, l.videos_seen AS videos
  FROM tthub.accounts a
  LEFT JOIN tthub.sync_ledger l ON l.store_code = a.store_code AND l.open_id = a.open_id
                               AND l.snapshot_date = tthub.snapshot_today()
 ORDER BY 1;
SELECT state, jobs FROM tthub.job_queue WHERE jobs > 0;
SQL

step "the demo keeps running"
echo "connect:  psql 'host=127.0.0.1 port=$PORT user=postgres dbname=tthub'"
echo "stop:     bash demo/run.sh --stop"
