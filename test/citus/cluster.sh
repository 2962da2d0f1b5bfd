# A Citus cluster on loopback for tests and benchmarks: a coordinator and worker
# nodes, each a throwaway cluster from test/lib/cluster.sh, wired as README "Running on
# Citus" says. Source after test/lib/itest.sh.

# citus_node_conf ROLE: the postgresql.conf lines of a node (after cluster_init's own,
# which they override).
citus_node_conf() {
  echo "citus.node_conninfo = 'sslmode=disable'"  # plain connections between nodes on loopback
  if [ "$1" = coordinator ]; then
    echo "shared_preload_libraries = 'citus,pg_cron,tthub'"  # citus first
  else
    # Workers load tthub (Citus creates the extension there; shards check store codes
    # with it) but run no sync worker and hold no secret.
    echo "shared_preload_libraries = 'citus,tthub'"
    echo "tthub.worker_enabled = off"
    echo "tthub.token_key_file = ''"
    echo "tthub.client_secret_file = ''"
  fi
}

# citus_cluster_up NAME WORKERS "SIMULATOR OPTIONS" [extra coordinator conf lines...]
# Starts the simulator, a coordinator (PORT, DIR/coord) and WORKERS workers
# (WORKER_PORTS, DIR/wN), creates database tthub with citus everywhere and pg_cron on
# the coordinator (without DDL propagation), and adds the workers. tthub itself is
# left to the caller.
citus_cluster_up() {
  local name=$1 workers=$2 sim_opts=$3 i port
  shift 3
  DIR=${TTHUB_TEST_WORK:-$(mktemp -d)}/$name
  mkdir -p "$DIR" && chmod 755 "$DIR" "$(dirname "$DIR")"
  WORKER_PORTS=()
  trap citus_cluster_down EXIT
  # shellcheck disable=SC2086
  sim_start "$DIR/sim" $sim_opts || return 1
  PORT=$(free_port 57000)
  cluster_init "$DIR/coord" "$PORT" "tthub.api_base_url = 'http://127.0.0.1:$SIM_PORT'" \
    "tthub.retry_base_delay = 500" "$(citus_node_conf coordinator)" "$@" || return 1
  for i in $(seq 1 "$workers"); do
    port=$(free_port $((57400 + i * 100)))
    while [ "$port" = "$PORT" ] || [[ " ${WORKER_PORTS[*]} " == *" $port "* ]]; do port=$((port + 1)); done
    cluster_init "$DIR/w$i" "$port" "$(citus_node_conf worker)" || return 1
    WORKER_PORTS+=("$port")
  done
  cluster_start "$DIR/coord" || return 1
  for i in $(seq 1 "$workers"); do cluster_start "$DIR/w$i" || return 1; done
  for port in "$PORT" "${WORKER_PORTS[@]}"; do
    cluster_psql "$port" postgres -c "CREATE DATABASE tthub" &&
      cluster_psql "$port" tthub -c "CREATE EXTENSION citus" || return 1
  done
  cluster_psql "$PORT" tthub <<SQL || return 1
SET citus.enable_ddl_propagation = off;
CREATE EXTENSION pg_cron;
RESET citus.enable_ddl_propagation;
SELECT citus_set_coordinator_host('127.0.0.1', $PORT);
SQL
  for port in "${WORKER_PORTS[@]}"; do
    cluster_psql "$PORT" tthub -c "SELECT citus_add_node('127.0.0.1', $port)" >/dev/null || return 1
  done
}

citus_cluster_down() {
  local d
  for d in "$DIR"/w* "$DIR/coord"; do [ -d "$d" ] && cluster_stop "$d"; done
  sim_stop
}
