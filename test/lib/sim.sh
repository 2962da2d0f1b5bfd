# The TikTok simulator for tests, the demo and benchmarks. Source after cluster.sh.
SIM_BIN=${SIM_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/tiktok_sim}

# sim_start DIR [simulator options...]: sets SIM_PORT and SIM_PID.
sim_start() {
  local dir=$1
  shift
  mkdir -p "$dir"
  rm -f "$dir/sim.port"
  ${TTHUB_SERVER_PRELOAD:+env "LD_PRELOAD=$TTHUB_SERVER_PRELOAD"} "$SIM_BIN" --port 0 --port-file "$dir/sim.port" "$@" >"$dir/sim.log" 2>&1 &
  SIM_PID=$!
  for _ in $(seq 1 50); do
    [ -s "$dir/sim.port" ] && break
    sleep 0.1
  done
  SIM_PORT=$(cat "$dir/sim.port" 2>/dev/null) || { echo "simulator did not start" >&2; return 1; }
}

sim_stop() { [ -n "${SIM_PID:-}" ] && kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; SIM_PID=; }

# sim_config JSON: change the simulator's behaviour (see test/sim/tiktok_sim.cpp).
sim_config() { curl -sf -X POST "http://127.0.0.1:$SIM_PORT/_sim/config" -d "$1" >/dev/null; }
sim_stats() { curl -sf "http://127.0.0.1:$SIM_PORT/_sim/stats"; }
