#!/usr/bin/env bash
# The README's first command: a throwaway cluster with tthub, a demo run, a report.
#   bash demo/run.sh          start (or reuse) the demo cluster and run the demo
#   bash demo/run.sh --stop   stop the demo cluster and remove it
set -euo pipefail
cd "$(dirname "$0")/.."
source test/lib/install_deps.sh
source test/lib/build.sh
source test/lib/cluster.sh

DEMO_DIR=${TTHUB_DEMO_DIR:-/tmp/tthub-demo}
step() { printf '\n== %s\n' "$*"; }

if [ "${1:-}" = "--stop" ]; then
  cluster_stop "$DEMO_DIR"
  rm -rf "$DEMO_DIR"
  echo "demo cluster stopped and removed ($DEMO_DIR)"
  exit 0
fi

step "installing packages (first run only)"
install_deps
step "building and installing tthub"
build_all

if [ -f "$DEMO_DIR/port" ]; then
  PORT=$(cat "$DEMO_DIR/port")
  cluster_start "$DEMO_DIR" 2>/dev/null || true
else
  step "creating a throwaway cluster in $DEMO_DIR"
  PORT=$(free_port 55500)
  mkdir -p "$(dirname "$DEMO_DIR")"
  cluster_init "$DEMO_DIR" "$PORT"
  echo "$PORT" >"$DEMO_DIR/port"
  cluster_start "$DEMO_DIR"
  cluster_psql "$PORT" postgres -c "CREATE DATABASE tthub"
  cluster_psql "$PORT" tthub -c "CREATE EXTENSION pg_cron; CREATE EXTENSION tthub"
fi

step "adding demo stores and an account with encrypted tokens"
cluster_psql "$PORT" tthub <<'SQL'
INSERT INTO tthub.stores (store_code, store_name, pic_name)
VALUES ('demo-jakarta', 'Demo Jakarta', 'Ayu'), ('demo-bandung', 'Demo Bandung', 'Budi'),
       ('demo-surabaya', 'Demo Surabaya', 'Citra')
ON CONFLICT (store_code) DO NOTHING;
INSERT INTO tthub.store_accounts (store_code, open_id, display_name, access_token_enc, refresh_token_enc)
SELECT s.store_code, 'demo-open-' || s.store_code, s.store_name || ' on TikTok',
       tthub.tthub_encrypt_token('act.demo', tthub.token_context(s.store_code, 'demo-open-' || s.store_code, 'access_token')),
       tthub.tthub_encrypt_token('rft.demo', tthub.token_context(s.store_code, 'demo-open-' || s.store_code, 'refresh_token'))
  FROM tthub.stores s
ON CONFLICT (store_code, open_id) DO NOTHING;
SQL

step "report"
cluster_psql "$PORT" tthub -P pager=off <<'SQL'
SELECT store_code, display_name, status, length(a.access_token_enc) AS access_token_ciphertext_bytes
  FROM tthub.store_accounts a ORDER BY 1;
SQL
step "the demo cluster keeps running"
echo "connect: psql 'host=127.0.0.1 port=$PORT user=postgres dbname=tthub'"
echo "stop:    bash demo/run.sh --stop"
