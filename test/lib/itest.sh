# Setup shared by integration tests: a simulator and a cluster of their own, with
# tthub and pg_cron in the database "tthub" and the worker pointed at the simulator.
# Sets DIR, PORT, SIM_PORT.
_itest_lib=$(dirname "${BASH_SOURCE[0]}")
source "$_itest_lib/cluster.sh"
source "$_itest_lib/sim.sh"
source "$_itest_lib/tap.sh"

# itest_setup NAME "SIMULATOR OPTIONS" [extra postgresql.conf lines...]
itest_setup() {
  local name=$1 sim_opts=$2
  shift 2
  DIR=${TTHUB_TEST_WORK:-$(mktemp -d)}/$name
  mkdir -p "$DIR" && chmod 755 "$DIR" "$(dirname "$DIR")"
  # Set before anything starts: a failed setup must not leave a simulator behind.
  trap itest_teardown EXIT
  # shellcheck disable=SC2086
  sim_start "$DIR/sim" $sim_opts || return 1
  PORT=$(free_port 56500)
  cluster_init "$DIR/pg" "$PORT" \
    "tthub.api_base_url = 'http://127.0.0.1:$SIM_PORT'" \
    "tthub.retry_base_delay = 500" \
    "$@" || return 1
  cluster_start "$DIR/pg" || return 1
  q "$PORT" postgres "CREATE DATABASE tthub" >/dev/null
  q "$PORT" tthub "CREATE EXTENSION pg_cron; CREATE EXTENSION tthub" >/dev/null
  wait_for_worker
}

itest_teardown() {
  cluster_stop "$DIR/pg"
  sim_stop
}

# wait_for PORT SQL EXPECTED SECONDS: polls until the query returns EXPECTED.
wait_for() {
  local port=$1 sql=$2 want=$3 secs=$4 got=""
  for _ in $(seq 1 $((secs * 5))); do
    got=$(q "$port" tthub "$sql" 2>/dev/null)
    [ "$got" = "$want" ] && return 0
    sleep 0.2
  done
  echo "# waited ${secs}s for [$sql] = '$want', last saw '$got'"
  return 1
}

# import STORE SIM_ACCOUNT_INDEX [expires_in] [scope]: a store with one simulator account.
import_account() {
  local store=$1 i=$2 expires=${3:-86400} scope=${4:-user.info.basic,user.info.stats,video.list}
  q "$PORT" tthub "INSERT INTO tthub.stores (store_code, store_name) VALUES ('$store', 'Store $store')
                   ON CONFLICT DO NOTHING;
                   SELECT tthub.tthub_import_account('$store', 'sim-open-$i', 'act.sim-open-$i.1',
                          'rft.sim-open-$i.1', $expires, 15552000, '$scope')" >/dev/null
}

# The worker starts once the database exists (it retries every 5 s until then).
wait_for_worker() {
  wait_for "$PORT" "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'tthub sync worker'" 1 30
}

# sim_json PATH: one value of the simulator's /_sim/stats, e.g. "accounts,sim-open-1,revoked".
sim_json() { q "$PORT" tthub "SELECT (\$j\$$(sim_stats)\$j\$::jsonb) #>> '{$1}'"; }
