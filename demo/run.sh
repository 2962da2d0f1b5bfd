#!/usr/bin/env bash
# The README's first command. On a fresh Debian 12 machine (as root): installs what it
# needs, builds, starts a throwaway cluster with tthub and pg_cron, the TikTok
# simulator and the OAuth shim, connects three demo stores through the real OAuth
# flow (connect link -> simulator's authorize page -> callback), syncs two simulated days and
# prints a report from the reporting views; then a store owner revokes tthub's access
# and the alert arrives at a webhook receiver, signed; then a video posted now is
# observed again and again by refresh jobs (its first minutes as a curve). The cluster
# keeps running.
#   bash demo/run.sh          run the demo
#   bash demo/run.sh --stop   stop the cluster, the simulator and the shim; remove them
# TTHUB_DEMO_DIR (default /tmp/tthub-demo), TTHUB_DEMO_VIDEOS (videos per account, 120).
set -euo pipefail
cd "$(dirname "$0")/.."
source test/lib/install_deps.sh
source test/lib/build.sh
source test/lib/cluster.sh
source test/lib/sim.sh
source test/lib/shim.sh

DEMO_DIR=${TTHUB_DEMO_DIR:-/tmp/tthub-demo}
VIDEOS=${TTHUB_DEMO_VIDEOS:-120}
FRESH_EVERY=${TTHUB_DEMO_FRESH_EVERY:-15}   # seconds between observations of the fresh video
FRESH_ROUNDS=${TTHUB_DEMO_FRESH_ROUNDS:-6}
STORES=(demo-jakarta demo-bandung demo-surabaya)
step() { printf '\n== %s\n' "$*"; }
sql() { cluster_psql "$PORT" tthub -P pager=off "$@"; }

stop_all() {
  for f in shim.pid sim.pid receiver.pid; do
    [ -f "$DEMO_DIR/$f" ] && kill "$(cat "$DEMO_DIR/$f")" 2>/dev/null || true
  done
  [ -d "$DEMO_DIR/pg/data" ] && cluster_stop "$DEMO_DIR/pg"
  rm -rf "$DEMO_DIR"
}

if [ "${1:-}" = "--stop" ]; then
  stop_all
  echo "demo stopped and removed ($DEMO_DIR)"
  exit 0
fi

step "installing packages (first run only) and building tthub"
install_deps
build_all
stop_all  # a previous demo, if any: start clean

step "starting the TikTok simulator (3 accounts x $VIDEOS videos)"
mkdir -p "$DEMO_DIR" && chmod 755 "$DEMO_DIR"
sim_start "$DEMO_DIR/sim" --accounts 3 --videos "$VIDEOS" --day 1
echo "$SIM_PID" >"$DEMO_DIR/sim.pid"
echo "simulator on 127.0.0.1:$SIM_PORT"

step "creating a throwaway PostgreSQL cluster with pg_cron and tthub"
PORT=$(free_port 55500)
cluster_init "$DEMO_DIR/pg" "$PORT" "tthub.api_base_url = 'http://127.0.0.1:$SIM_PORT'" \
  "tthub.authorize_url = 'http://127.0.0.1:$SIM_PORT/v2/auth/authorize/'"
cluster_start "$DEMO_DIR/pg"
cluster_psql "$PORT" postgres -c "CREATE DATABASE tthub"
sql -q -c "CREATE EXTENSION pg_cron" -c "CREATE EXTENSION tthub" -c "ALTER ROLE tthub_oauth LOGIN" \
    -c "SELECT tthub.tthub_schedule_daily_sync('0 2 * * *')" >/dev/null
echo "cluster on 127.0.0.1:$PORT, daily sync scheduled with pg_cron at 02:00 GMT"

step "alerts: a webhook receiver on loopback gets tthub's events, signed"
build/webhook_receiver --port-file "$DEMO_DIR/receiver.port" --secret whsec_demo-signing-secret-0123 \
  --log "$DEMO_DIR/receiver.log" --print >"$DEMO_DIR/alerts.out" 2>&1 &
echo $! >"$DEMO_DIR/receiver.pid"
for _ in $(seq 1 50); do [ -s "$DEMO_DIR/receiver.port" ] && break; sleep 0.1; done
RECEIVER_URL="http://127.0.0.1:$(cat "$DEMO_DIR/receiver.port")/tthub"
sql -qAt -c "SELECT tthub.tthub_add_webhook('$RECEIVER_URL', 'whsec_demo-signing-secret-0123',
                                            ARRAY['account.connected', 'account.need_reconnect', 'job.dead'])" >/dev/null
echo "receiver on $RECEIVER_URL (test/tools/webhook_receiver: checks each signature)"

step "starting the OAuth shim (tthub-oauth)"
shim_start "$DEMO_DIR/shim" "$PORT"
echo "$SHIM_PID" >"$DEMO_DIR/shim.pid"
echo "shim on http://127.0.0.1:$SHIM_PORT"

step "adding three stores and connecting their TikTok accounts through OAuth"
sql -q -c "SELECT tthub.tthub_add_store('demo-jakarta', 'Demo Jakarta', 'Ayu');
           SELECT tthub.tthub_add_store('demo-bandung', 'Demo Bandung', 'Budi');
           SELECT tthub.tthub_add_store('demo-surabaya', 'Demo Surabaya', 'Citra');" >/dev/null
i=0
for store in "${STORES[@]}"; do
  i=$((i + 1))
  sim_config "{\"authorize_account\": $i}"
  # What an admin sends the store owner: a connect link with a one-store invite.
  link="http://127.0.0.1:$SHIM_PORT$(sql -qAt -c "SELECT tthub.tthub_connect_link('$store')")"
  page=$(curl -sL "$link")
  if ! printf '%s' "$page" | grep -q 'class="ok">Connected'; then
    echo "connecting $store failed:"; printf '%s\n' "$page"; exit 1
  fi
  echo "   $store: $(printf '%s' "$page" | sed -n 's/.*The TikTok account \(.*\) is now connected.*/\1/p') connected"
done

wait_idle() {
  local n
  while n=$(sql -qAt -c "SELECT count(*) FROM tthub.sync_jobs WHERE state IN ('queued', 'running')") && [ "$n" != 0 ]; do
    printf '   %s job(s) in flight: %s\n' "$n" \
      "$(sql -qAt -c "SELECT coalesce(string_agg(store_code || ' page ' || pages_fetched, ', '), 'starting') FROM tthub.sync_progress")"
    sleep 1
  done
}

step "day 1 (yesterday): the worker syncs every store"
# The first syncs that connecting enqueued saw the simulator's day 1. Rows are written
# under the day they were observed (today), so the demo moves them to yesterday (a
# demo shortcut: TikTok has no past counts to sync).
wait_idle
sql -qAt -c "UPDATE tthub.video_daily SET snapshot_date = snapshot_date - 1;
             UPDATE tthub.user_daily SET snapshot_date = snapshot_date - 1;
             UPDATE tthub.sync_ledger SET snapshot_date = snapshot_date - 1" >/dev/null
step "day 2 (today): the counters grew; tthub_sync_all() is what pg_cron runs daily"
sim_config '{"day": 2}'
echo "   $(sql -qAt -c "SELECT tthub.tthub_sync_all()") store(s) enqueued"
wait_idle

step "report: top videos by views gained since yesterday"
sql -c "SELECT store_code, left(title, 26) AS title, view_count AS views, views_change AS gained, days_since_previous AS days
          FROM tthub.video_daily_delta WHERE snapshot_date = tthub.snapshot_today()
         ORDER BY views_change DESC NULLS LAST, store_code LIMIT 5"
step "report: follower growth per store"
sql -c "SELECT store_code, follower_count AS followers, follower_change AS growth, likes_change AS likes_gained,
               video_count AS videos
          FROM tthub.account_daily WHERE snapshot_date = tthub.snapshot_today() ORDER BY growth DESC, store_code"
step "report: sync status"
sql -c "SELECT s.store_code, s.accounts_connected AS connected, s.last_successful_sync::timestamp(0) AS last_sync,
               s.consecutive_failures AS failures, l.complete AS today_complete, l.videos_seen AS videos
          FROM tthub.store_summary s
          LEFT JOIN tthub.sync_ledger l ON l.store_code = s.store_code AND l.snapshot_date = tthub.snapshot_today()
         ORDER BY 1" \
    -c "SELECT metric, value FROM tthub.health WHERE metric IN ('tthub_jobs_dead', 'tthub_accounts_need_reconnect', 'tthub_worker_running')"

step "an alert: the owner of demo-bandung revokes tthub's access at TikTok"
sim_config '{"revoke": "sim-open-2"}'
echo "   sync job $(sql -qAt -c "SELECT tthub.tthub_sync('demo-bandung')") enqueued"
for _ in $(seq 1 100); do grep -q "account.need_reconnect" "$DEMO_DIR/alerts.out" && break; sleep 0.2; done
echo "   what the webhook receiver printed:"
sed 's/^/   /' "$DEMO_DIR/alerts.out"
sql -c "SELECT delivery_id, event, store_code, state, attempts, last_http_status FROM tthub.webhook_deliveries ORDER BY 1"

step "a fresh video's first minutes: refresh tiers (compressed here: a fresh video every ${FRESH_EVERY}s)"
# Production observes a video younger than 48 h every hour (tthub.fresh_video_interval);
# the demo observes it every few seconds so its curve shows within the demo. The
# simulator switches to live catalogues (same videos, counters on a launch curve in
# real time) and demo-jakarta's account posts a video now.
sql -q -c "ALTER SYSTEM SET tthub.fresh_video_interval = '${FRESH_EVERY}s'" -c "SELECT pg_reload_conf()" >/dev/null
sim_config '{"live": {"history_days": 60}}'
sim_config '{"post": {"sim-open-1": 1}}'
echo "   pg_cron would run tthub_enqueue_due() (tthub_schedule_refresh()); the demo calls it each round"
for round in $(seq 1 "$FRESH_ROUNDS"); do
  sleep "$FRESH_EVERY"
  echo "   round $round: $(sql -qAt -c "SELECT tthub.tthub_enqueue_due()") store(s) queued for a refresh"
  wait_idle >/dev/null
done
sql -c "SELECT round(extract(epoch FROM o.observed_at - v.create_time))::int AS seconds_after_posting,
               o.view_count AS views, o.like_count AS likes,
               rpad('', (50 * o.view_count / nullif(max(o.view_count) OVER (), 0))::int, '#') AS curve
          FROM tthub.video_observations o
          JOIN tthub.videos v ON v.store_code = o.store_code AND v.video_id = o.video_id
         WHERE v.store_code = 'demo-jakarta'
           AND v.video_id = (SELECT video_id FROM tthub.videos WHERE store_code = 'demo-jakarta'
                              ORDER BY create_time DESC LIMIT 1)
         ORDER BY o.observed_at" \
    -c "SELECT store_code, tier, videos, age_p95_seconds, calls_today
          FROM tthub_reporting.refresh_freshness WHERE store_code = 'demo-jakarta' ORDER BY tier"
sql -q -c "ALTER SYSTEM RESET tthub.fresh_video_interval" -c "SELECT pg_reload_conf()" >/dev/null

step "the demo keeps running"
echo "connect:  psql 'host=127.0.0.1 port=$PORT user=postgres dbname=tthub'"
echo "connect another account to demo-jakarta (link valid 1 day):"
echo "          http://127.0.0.1:$SHIM_PORT$(sql -qAt -c "SELECT tthub.tthub_connect_link('demo-jakarta', '1 day')")"
echo "stop:     bash demo/run.sh --stop"
