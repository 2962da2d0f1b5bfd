# Throwaway PostgreSQL clusters for tests, the demo and benchmarks.
# Source this file. The server runs as the `postgres` user when we are root
# (Postgres refuses to run as root); clients connect over loopback as `postgres`.

PGBIN=${PGBIN:-$(pg_config --bindir)}

# TTHUB_SERVER_PRELOAD (a library, e.g. libfaketime) is preloaded into what runs as
# postgres, and only there: set after the switch of user, so no root process under the
# library hands its root-only objects down (libfaketime passes its semaphore's name to
# children; a postgres child that cannot open root's fails to start).
as_postgres() {
  local pre=()
  [ -z "${TTHUB_SERVER_PRELOAD:-}" ] || pre=(env "LD_PRELOAD=$TTHUB_SERVER_PRELOAD")
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "${pre[@]}" "$@"; else "${pre[@]}" "$@"; fi
}

# free_port [start]: a TCP port on 127.0.0.1 nobody listens on, from a random point
# past start, so that suites run in parallel rarely reach for the same one. Ports are
# taken below Linux's ephemeral range (32768-60999): there, the local end of any
# outgoing connection (psql, the worker's HTTP, the simulator's port 0) may hold the
# port when a server binds it, and the server fails with "Address already in use".
# start keeps its last four digits: 55432 -> 25432, 58080 -> 28080.
# Under test/run.sh, suites run side by side and a port is chosen seconds before its
# server binds it: a port handed out once in a run ($TTHUB_TEST_WORK/.ports) is not
# handed out again.
free_port() {
  local p=$(( 20000 + ${1:-55432} % 10000 + RANDOM % 400 )) taken=${TTHUB_TEST_WORK:+$TTHUB_TEST_WORK/.ports}
  [ -z "$taken" ] || mkdir -p "$taken"
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { [ -n "$taken" ] && ! mkdir "$taken/$p" 2>/dev/null; }; do
    p=$((p + 1))
  done
  echo "$p"
}

# cluster_init DIR PORT [extra postgresql.conf lines...]
# Creates DIR/data with tthub and pg_cron preloaded and a fresh token key in DIR/token.key.
cluster_init() {
  local dir=$1 port=$2
  shift 2
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  as_postgres test -w "$dir" || { echo "cluster_init: the postgres user cannot write $dir (check its parents' permissions)" >&2; return 1; }
  as_postgres "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust --no-instructions \
    -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; return 1; }
  as_postgres sh -c "umask 077; openssl rand -hex 32 > '$dir/token.key'"
  as_postgres sh -c "umask 077; printf 'sim-client-secret\n' > '$dir/client_secret'"
  as_postgres sh -c "cat >> '$dir/data/postgresql.conf'" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
shared_preload_libraries = 'pg_cron,tthub'
max_worker_processes = 32
cron.database_name = 'tthub'
cron.use_background_workers = on
tthub.database = 'tthub'
tthub.token_key_file = '$dir/token.key'
tthub.client_secret_file = '$dir/client_secret'
tthub.client_key = 'sim-client-key'
# Tests never call the real TikTok: a dead loopback port unless a test sets the simulator.
tthub.api_base_url = 'http://127.0.0.1:1'
log_line_prefix = '%m [%p] %q%a '
log_min_messages = info
$(printf '%s\n' "$@")
CONF
}

cluster_start() {
  local dir=$1
  as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
    { tail -n 30 "$dir/server.log"; return 1; }
}

cluster_stop() {
  local dir=$1
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1
}

# cluster_psql PORT DB [psql args...]: quiet psql that stops at the first error.
cluster_psql() {
  local port=$1 db=$2
  shift 2
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$db" "$@"
}

# cluster_up NAME [extra postgresql.conf lines...]: a started cluster of its own for a
# suite, stopped when the suite exits. Sets DIR and PORT.
cluster_up() {
  local name=$1
  shift
  DIR=${TTHUB_TEST_WORK:-$(mktemp -d)}/$name
  PORT=$(free_port 56400)
  cluster_init "$DIR" "$PORT" "$@" || return 1
  trap 'cluster_stop "$DIR"' EXIT
  cluster_start "$DIR"
}
