# The OAuth shim for tests and the demo. Source after cluster.sh.
SHIM_BIN=${SHIM_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/tthub-oauth}

# shim_start DIR DB_PORT: as role tthub_oauth (which the caller let log in); sets SHIM_PORT, SHIM_PID.
# Other TTHUB_* settings (TTHUB_LOGIN_RATE_PER_MINUTE, ...) come from the caller's environment.
shim_start() {
  local dir=$1 db_port=$2 attempt
  mkdir -p "$dir"
  # A port nobody listens on can still be unbindable (a socket lingering from an
  # earlier run): try a few.
  for attempt in 1 2 3; do
    SHIM_PORT=$(free_port $((58080 + RANDOM % 2000)))
    TTHUB_DATABASE_URL="host=127.0.0.1 port=$db_port dbname=tthub user=tthub_oauth" \
    TTHUB_LISTEN="127.0.0.1:$SHIM_PORT" TTHUB_PUBLIC_URL="http://127.0.0.1:$SHIM_PORT" \
      "$SHIM_BIN" >"$dir/shim.log" 2>&1 &
    SHIM_PID=$!
    for _ in $(seq 1 50); do
      curl -sf "http://127.0.0.1:$SHIM_PORT/healthz" >/dev/null 2>&1 && return 0
      kill -0 "$SHIM_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill "$SHIM_PID" 2>/dev/null
    wait "$SHIM_PID" 2>/dev/null
  done
  echo "the shim did not start:" >&2
  cat "$dir/shim.log" >&2
  return 1
}

shim_stop() { [ -n "${SHIM_PID:-}" ] && kill "$SHIM_PID" 2>/dev/null; wait "$SHIM_PID" 2>/dev/null; SHIM_PID=; }

# oauth_setup: point the cluster's authorize page at the simulator, let the shim's role
# log in, start the shim. Needs PORT, SIM_PORT and DIR (itest_setup).
oauth_setup() {
  q "$PORT" tthub "ALTER SYSTEM SET tthub.authorize_url = 'http://127.0.0.1:$SIM_PORT/v2/auth/authorize/'" >/dev/null
  q "$PORT" tthub "SELECT pg_reload_conf()" >/dev/null
  q "$PORT" tthub "ALTER ROLE tthub_oauth LOGIN" >/dev/null
  shim_start "$DIR/shim" "$PORT" || return 1
  trap 'shim_stop; itest_teardown' EXIT
}

# connect_link STORE [VALID_FOR]: the full connect link an admin would send (a fresh invite).
# Needs PORT and SHIM_PORT.
connect_link() {
  local path
  path=$(q "$PORT" tthub "SELECT tthub.tthub_connect_link('$1'${2:+, '$2'})") || return 1
  printf 'http://127.0.0.1:%s%s' "$SHIM_PORT" "$path"
}
